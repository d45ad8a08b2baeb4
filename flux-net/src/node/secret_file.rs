//! Secret key files (`network.key`, `swap.key`, the CLI's key files): created readable by their
//! owner only from the first byte, never over an existing file.

use std::io::Write;
use std::path::Path;

/// Creates `path` holding `bytes`, with mode 0600 on Unix from its creation (the mode is given
/// to `open`, so the file never exists with wider permissions whatever the umask; no `chmod`
/// afterwards). Refuses to replace an existing file (`ErrorKind::AlreadyExists`): a key is
/// never overwritten by accident. On a failed write the partial file is removed. The data is
/// synced before returning.
///
/// ```
/// let dir = tempfile::tempdir()?;
/// let path = dir.path().join("secret.key");
/// flux_net::node::write_secret_file(&path, b"secret")?;
/// assert_eq!(std::fs::read(&path)?, b"secret");
/// assert!(flux_net::node::write_secret_file(&path, b"other").is_err());
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn write_secret_file(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    let written = file.write_all(bytes).and_then(|()| file.sync_all());
    if written.is_err() {
        drop(file);
        // Best effort: the write's error is the one to report.
        let _ = std::fs::remove_file(path);
    }
    written
}

/// Restricts an existing secret file to its owner (mode 0600) if it is readable or writable
/// by others: repairs a key file an older version wrote with the default permissions.
pub(crate) fn restrict(path: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path)?.permissions().mode();
        if mode & 0o077 != 0 {
            tracing::warn!(path = %path.display(), mode = format!("{:o}", mode & 0o777), "secret key file readable by others: restricting it to its owner");
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
        }
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

#[cfg(all(test, unix))]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use std::os::unix::fs::PermissionsExt;
    use std::process::Command;

    use super::*;

    const CHILD: &str = "FLUX_SECRET_FILE_CHILD_DIR";

    fn mode(path: &Path) -> u32 {
        std::fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    /// The helper creates a 0600 file and never replaces one.
    #[test]
    fn a_secret_file_is_private_and_never_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("k");
        write_secret_file(&path, b"one").unwrap();
        assert_eq!(mode(&path), 0o600);
        let again = write_secret_file(&path, b"two").unwrap_err();
        assert_eq!(again.kind(), std::io::ErrorKind::AlreadyExists);
        assert_eq!(std::fs::read(&path).unwrap(), b"one");
    }

    /// A key file an older version left world-readable is restricted when it is read.
    #[test]
    fn a_readable_key_file_is_restricted_when_read() {
        let dir = tempfile::tempdir().unwrap();
        let net = crate::node::network_keypair(dir.path()).unwrap();
        let path = dir.path().join(crate::node::NETWORK_KEY_FILE);
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let again = crate::node::network_keypair(dir.path()).unwrap();
        assert_eq!(again.public(), net.public());
        assert_eq!(mode(&path), 0o600);
    }

    /// Replays issue 19 point 14: `network.key` was written with the default permissions
    /// (0644 under the usual umask 022, 0666 under 000) and `swap.key` was written, then
    /// `chmod`ed. A node's data directory made under the most permissive umask (a child
    /// process run with `umask 000`) holds both keys with mode 0600, and a node restarted on
    /// it reads the same keys.
    #[test]
    fn a_node_creates_its_key_files_private_under_any_umask() {
        let dir = tempfile::tempdir().unwrap();
        let exe = std::env::current_exe().unwrap();
        let status = Command::new("sh")
            .arg("-c")
            .arg("umask 000 && exec \"$0\" \"$@\"")
            .arg(exe)
            .args([
                "--exact",
                "node::secret_file::tests::key_files_child",
                "--nocapture",
            ])
            .env(CHILD, dir.path())
            .status()
            .unwrap();
        assert!(status.success(), "the child failed: {status}");
        for file in [crate::node::NETWORK_KEY_FILE, crate::node::SWAP_KEY_FILE] {
            let path = dir.path().join(file);
            assert_eq!(
                mode(&path),
                0o600,
                "{file} was created with mode {:o}",
                mode(&path)
            );
        }
    }

    /// The child of the test above: creates the node's key files in the directory it is given,
    /// as `Node::start` does, and reads them back.
    #[test]
    fn key_files_child() {
        let Some(dir) = std::env::var_os(CHILD) else {
            return;
        };
        let dir = Path::new(&dir);
        let network = crate::node::network_keypair(dir).unwrap();
        let swap = crate::node::swap_key(dir).unwrap();
        assert_eq!(
            crate::node::network_keypair(dir).unwrap().public(),
            network.public()
        );
        assert_eq!(
            crate::node::swap_key(dir).unwrap().public_key(),
            swap.public_key()
        );
    }
}
