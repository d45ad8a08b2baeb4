//! Images without a registry: a root filesystem holding one binary of this machine and the
//! shared libraries it loads (found with `ldd`), imported into the engine as `docker import`
//! does, with the binary as entrypoint. The devnet and the Docker tests host the sample app
//! ([`super::sample`]) this way; nothing is pulled.
//!
//! The image holds only those files (no shell, no `/etc`): enough for a program that needs
//! libc and the network, which is what the sample app and `fluxd` are.
//!
//! ```
//! use flux_net::runtime::image::parse_ldd;
//!
//! let out = "\tlinux-vdso.so.1 (0x00007ffc)\n\
//!            \tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007f1)\n\
//!            \t/lib64/ld-linux-x86-64.so.2 (0x00007f2)\n";
//! let libs = parse_ldd(out)?;
//! assert_eq!(libs, ["/lib/x86_64-linux-gnu/libc.so.6", "/lib64/ld-linux-x86-64.so.2"].map(std::path::PathBuf::from));
//! # Ok::<(), String>(())
//! ```

use std::path::{Path, PathBuf};
use std::process::Command;

use bollard::errors::Error as BollardError;
use bollard::query_parameters::CreateImageOptions;
use futures::StreamExt;

use super::{DockerRuntime, RuntimeError, with_default_tag};

/// Where the binary goes in the image (its file name under `/`).
fn image_path(binary: &Path) -> Option<String> {
    binary
        .file_name()
        .and_then(|n| n.to_str())
        .map(|n| format!("/{n}"))
}

/// The absolute paths of the shared libraries (and the ELF interpreter) listed by `ldd`, in
/// its order; the vDSO (no file) is skipped.
///
/// # Errors
/// The line of a library `ldd` could not find.
pub fn parse_ldd(output: &str) -> Result<Vec<PathBuf>, String> {
    let mut found = Vec::new();
    for line in output.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let path = match line.split_once("=>") {
            Some((_, target)) => {
                let target = target.trim();
                if target.starts_with("not found") {
                    return Err(format!("a needed library is missing: {line}"));
                }
                target.split_whitespace().next().unwrap_or_default()
            }
            None => line.split_whitespace().next().unwrap_or_default(),
        };
        if path.starts_with('/') && !found.iter().any(|f: &PathBuf| f.as_os_str() == path) {
            found.push(PathBuf::from(path));
        }
    }
    Ok(found)
}

/// The libraries `binary` needs, by running `ldd` on it (which may load it: only for
/// binaries of this machine). A static binary needs none.
///
/// # Errors
/// [`RuntimeError::ImageBuild`] when `ldd` cannot run or a library is missing.
pub fn needed_libraries(binary: &Path, tag: &str) -> Result<Vec<PathBuf>, RuntimeError> {
    let failed = |reason: String| RuntimeError::ImageBuild {
        image: tag.to_string(),
        reason,
    };
    let out = Command::new("ldd")
        .arg(binary)
        .output()
        .map_err(|e| failed(format!("running ldd: {e}")))?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let all = format!("{stdout}{stderr}");
    if all.contains("not a dynamic executable") || all.contains("statically linked") {
        return Ok(Vec::new());
    }
    if !out.status.success() {
        return Err(failed(format!(
            "ldd {}: {}",
            binary.display(),
            stderr.trim()
        )));
    }
    parse_ldd(&stdout).map_err(failed)
}

/// The root filesystem of an image holding `binary` at `/<its file name>` and the `libraries`
/// at their own paths (symbolic links followed: the files are copied), as an uncompressed tar.
/// Owners root, times zero: the same inputs give the same bytes.
///
/// # Errors
/// [`RuntimeError::ImageBuild`] when a file cannot be read.
pub fn rootfs_tar(
    binary: &Path,
    libraries: &[PathBuf],
    tag: &str,
) -> Result<Vec<u8>, RuntimeError> {
    let failed = |reason: String| RuntimeError::ImageBuild {
        image: tag.to_string(),
        reason,
    };
    let target = image_path(binary).ok_or_else(|| failed("the binary has no file name".into()))?;
    let mut files: Vec<(String, &Path, u32)> = vec![(target, binary, 0o755)];
    for lib in libraries {
        files.push((lib.to_string_lossy().into_owned(), lib, 0o755));
    }
    let mut dirs: Vec<String> = vec!["tmp".to_string()];
    for (path, _, _) in &files {
        let mut dir = Path::new(path.trim_start_matches('/')).parent();
        while let Some(d) = dir.filter(|d| !d.as_os_str().is_empty()) {
            dirs.push(d.to_string_lossy().into_owned());
            dir = d.parent();
        }
    }
    dirs.sort();
    dirs.dedup();
    let mut tar = tar::Builder::new(Vec::new());
    let mut append = |path: &str, kind: tar::EntryType, mode: u32, data: &[u8]| {
        let mut header = tar::Header::new_gnu();
        header.set_entry_type(kind);
        header.set_mode(mode);
        header.set_uid(0);
        header.set_gid(0);
        header.set_mtime(0);
        header.set_size(data.len() as u64);
        tar.append_data(&mut header, path, data)
            .map_err(|e| failed(format!("tar {path}: {e}")))
    };
    for dir in &dirs {
        let mode = if dir == "tmp" { 0o1777 } else { 0o755 };
        append(&format!("{dir}/"), tar::EntryType::Directory, mode, &[])?;
    }
    for (path, source, mode) in &files {
        let data = std::fs::read(source)
            .map_err(|e| failed(format!("reading {}: {e}", source.display())))?;
        append(
            path.trim_start_matches('/'),
            tar::EntryType::Regular,
            *mode,
            &data,
        )?;
    }
    tar.into_inner()
        .map_err(|e| failed(format!("finishing the tar: {e}")))
}

/// Builds the local image `tag` from `binary` (this machine's file) and its libraries, with
/// `/<binary's file name> args...` as entrypoint, replacing any image of that tag.
///
/// ```no_run
/// use flux_net::runtime::{DockerRuntime, image};
/// # async fn f() -> Result<(), flux_net::runtime::RuntimeError> {
/// let docker = DockerRuntime::connect(None).await?;
/// image::import_binary(&docker, "target/debug/flux-sample-app".as_ref(), "flux-sample-app:dev", &[]).await?;
/// # Ok(()) }
/// ```
///
/// # Errors
/// [`RuntimeError::ImageBuild`] (ldd, files, the engine's import), transport errors.
pub async fn import_binary(
    docker: &DockerRuntime,
    binary: &Path,
    tag: &str,
    args: &[&str],
) -> Result<(), RuntimeError> {
    let failed = |reason: String| RuntimeError::ImageBuild {
        image: tag.to_string(),
        reason,
    };
    let libraries = needed_libraries(binary, tag)?;
    let rootfs = rootfs_tar(binary, &libraries, tag)?;
    let target = image_path(binary).ok_or_else(|| failed("the binary has no file name".into()))?;
    let entrypoint: Vec<&str> = std::iter::once(target.as_str())
        .chain(args.iter().copied())
        .collect();
    let entrypoint = serde_json::to_string(&entrypoint).map_err(|e| failed(e.to_string()))?;
    let full = with_default_tag(tag);
    let (repo, version) = full
        .rsplit_once(':')
        .filter(|(_, v)| !v.contains('/'))
        .unwrap_or((&full, "latest"));
    let options = CreateImageOptions {
        from_src: Some("-".to_string()),
        repo: Some(repo.to_string()),
        tag: Some(version.to_string()),
        changes: vec![format!("ENTRYPOINT {entrypoint}")],
        ..Default::default()
    };
    let mut progress =
        docker
            .client()
            .create_image(Some(options), Some(bollard::body_full(rootfs.into())), None);
    while let Some(step) = progress.next().await {
        match step {
            Ok(_) => {}
            Err(BollardError::DockerStreamError { error }) => return Err(failed(error)),
            Err(BollardError::DockerResponseServerError { message, .. }) => {
                return Err(failed(message));
            }
            Err(e) => return Err(failed(e.to_string())),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_ldd_refuses_a_missing_library_and_skips_the_vdso() {
        let missing = "\tlibfoo.so.1 => not found\n";
        assert!(parse_ldd(missing).is_err());
        assert_eq!(parse_ldd("\tlinux-vdso.so.1 (0x1)\n"), Ok(vec![]));
        assert_eq!(parse_ldd("\tstatically linked\n"), Ok(vec![]));
    }

    #[test]
    fn rootfs_holds_the_binary_its_libraries_and_their_folders_deterministically() {
        let dir = tempfile::tempdir().expect("tempdir");
        let binary = dir.path().join("app");
        std::fs::write(&binary, b"\x7fELF binary").expect("write");
        let lib = dir.path().join("lib").join("libx.so");
        std::fs::create_dir_all(lib.parent().expect("parent")).expect("mkdir");
        std::fs::write(&lib, b"library").expect("write");

        let tar = rootfs_tar(&binary, std::slice::from_ref(&lib), "t").expect("tar");
        assert_eq!(
            tar,
            rootfs_tar(&binary, std::slice::from_ref(&lib), "t").expect("tar")
        );
        let mut archive = tar::Archive::new(tar.as_slice());
        let entries: Vec<(String, u32)> = archive
            .entries()
            .expect("entries")
            .map(|e| {
                let e = e.expect("entry");
                (
                    e.path().expect("path").to_string_lossy().into_owned(),
                    e.header().mode().expect("mode"),
                )
            })
            .collect();
        let lib_in_image = lib.to_string_lossy().trim_start_matches('/').to_string();
        assert!(entries.contains(&("app".to_string(), 0o755)), "{entries:?}");
        assert!(entries.contains(&(lib_in_image, 0o755)), "{entries:?}");
        assert!(
            entries.iter().any(|(p, m)| p == "tmp/" && *m == 0o1777),
            "{entries:?}"
        );
        let missing = rootfs_tar(&dir.path().join("nothing"), &[], "t").expect_err("no file");
        assert!(
            matches!(missing, RuntimeError::ImageBuild { .. }),
            "{missing}"
        );
    }

    #[test]
    fn this_test_binary_needs_libc_or_nothing() {
        let me = std::env::current_exe().expect("exe");
        let libs = needed_libraries(&me, "t").expect("ldd");
        assert!(libs.iter().all(|l| l.is_absolute()), "{libs:?}");
    }
}
