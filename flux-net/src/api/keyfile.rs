//! Key files: a secret key as JSON on disk, created with mode 0600
//! ([`crate::node::write_secret_file`]) and checked on load; what the wallet helpers
//! ([`super::wallet`]) sign with, what `fluxd` reads its validator key from and the devnet
//! writes ([`crate::devnet`]).
//!
//! ```json
//! { "version": 1, "scheme": "ed25519", "secret_key": "<64 hex>", "public_key": "ed25519:<hex>" }
//! ```
//!
//! The public key is stored too, so that a corrupted file is detected (it no longer matches the
//! secret) instead of silently yielding another key.
//!
//! ```
//! use flux_core::crypto::{Scheme, SecretKey};
//! use flux_net::api::keyfile;
//!
//! let dir = tempfile::tempdir().unwrap();
//! let path = dir.path().join("owner.key");
//! let key = SecretKey::generate(Scheme::Ed25519, &mut rand_core::OsRng);
//! keyfile::write(&path, &key, false)?;
//! assert_eq!(keyfile::read(&path)?.public_key(), key.public_key());
//! assert!(keyfile::write(&path, &key, false).is_err()); // no silent replacement
//! # Ok::<(), keyfile::KeyFileError>(())
//! ```

use std::fs;
use std::path::{Path, PathBuf};

use flux_core::crypto::{PublicKey, Scheme, SecretKey};
use serde::{Deserialize, Serialize};
use thiserror::Error;
use zeroize::Zeroizing;

/// Why a key file could not be read or written.
#[derive(Debug, Error)]
pub enum KeyFileError {
    /// The file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// The file exists and `--force` was not given.
    #[error("{path} already exists (use --force to replace it)")]
    Exists {
        /// The file.
        path: PathBuf,
    },
    /// The file is not a flux key file (bad JSON, missing or unknown fields).
    #[error("{path} is not a valid flux key file: {source}")]
    Format {
        /// The file.
        path: PathBuf,
        /// What the JSON parser found.
        #[source]
        source: serde_json::Error,
    },
    /// A key file version this build does not know.
    #[error("{path}: unsupported key file version {found} (this build reads version {expected})")]
    Version {
        /// The file.
        path: PathBuf,
        /// The version this build reads.
        expected: u32,
        /// The version found.
        found: u32,
    },
    /// The secret key field is not a valid key.
    #[error("{path}: bad secret key: {source}")]
    Secret {
        /// The file.
        path: PathBuf,
        /// Why the key was refused.
        #[source]
        source: flux_core::error::SignatureError,
    },
    /// The stored public key does not belong to the stored secret key: the file is corrupted.
    #[error("{path}: public key does not match the secret key (corrupted file?)")]
    Mismatch {
        /// The file.
        path: PathBuf,
    },
}

/// The key file format version this build writes and reads.
pub const VERSION: u32 = 1;

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct KeyFileJson {
    version: u32,
    scheme: Scheme,
    secret_key: String,
    public_key: String,
}

/// Writes `key` to `path` with mode 0600. Refuses to replace an existing file unless `force`.
pub fn write(path: &Path, key: &SecretKey, force: bool) -> Result<(), KeyFileError> {
    let io = |source| KeyFileError::Io {
        path: path.to_owned(),
        source,
    };
    let body = KeyFileJson {
        version: VERSION,
        scheme: key.scheme(),
        secret_key: flux_core::hex::encode(key.to_bytes().as_slice()),
        public_key: key.public_key().to_string(),
    };
    let mut text = Zeroizing::new(serde_json::to_string_pretty(&body).map_err(|source| {
        KeyFileError::Format {
            path: path.to_owned(),
            source,
        }
    })?);
    text.push('\n');
    drop(Zeroizing::new(body.secret_key));
    if force {
        match fs::remove_file(path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(io(e)),
            _ => {}
        }
    }
    crate::node::write_secret_file(path, text.as_bytes()).map_err(|e| {
        if e.kind() == std::io::ErrorKind::AlreadyExists {
            KeyFileError::Exists {
                path: path.to_owned(),
            }
        } else {
            io(e)
        }
    })
}

/// Reads and checks the key file at `path`.
pub fn read(path: &Path) -> Result<SecretKey, KeyFileError> {
    let text = Zeroizing::new(fs::read_to_string(path).map_err(|source| KeyFileError::Io {
        path: path.to_owned(),
        source,
    })?);
    let body: KeyFileJson = serde_json::from_str(&text).map_err(|source| KeyFileError::Format {
        path: path.to_owned(),
        source,
    })?;
    let secret_hex = Zeroizing::new(body.secret_key);
    if body.version != VERSION {
        return Err(KeyFileError::Version {
            path: path.to_owned(),
            expected: VERSION,
            found: body.version,
        });
    }
    let secret = |source| KeyFileError::Secret {
        path: path.to_owned(),
        source,
    };
    let bytes = Zeroizing::new(flux_core::hex::decode(&secret_hex).map_err(|e| secret(e.into()))?);
    let key = SecretKey::from_bytes(body.scheme, &bytes).map_err(secret)?;
    let stored: Result<PublicKey, _> = body.public_key.parse();
    if stored.ok() != Some(key.public_key()) {
        return Err(KeyFileError::Mismatch {
            path: path.to_owned(),
        });
    }
    Ok(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_mode_and_overwrite() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("k.json");
        for scheme in [Scheme::Ed25519, Scheme::Secp256k1] {
            let key = SecretKey::generate(scheme, &mut rand_core::OsRng);
            write(&path, &key, true).unwrap();
            assert_eq!(read(&path).unwrap().public_key(), key.public_key());
            assert!(matches!(
                write(&path, &key, false),
                Err(KeyFileError::Exists { .. })
            ));
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                let mode = fs::metadata(&path).unwrap().permissions().mode();
                assert_eq!(mode & 0o777, 0o600);
            }
        }
    }

    #[test]
    fn corruption_is_a_typed_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("k.json");
        let key = SecretKey::generate(Scheme::Ed25519, &mut rand_core::OsRng);
        write(&path, &key, false).unwrap();
        let good = fs::read_to_string(&path).unwrap();

        let flip = good.replacen("\"secret_key\": \"", "\"secret_key\": \"0", 1);
        fs::write(&path, &flip).unwrap();
        assert!(matches!(read(&path), Err(KeyFileError::Secret { .. })));

        let body: serde_json::Value = serde_json::from_str(&good).unwrap();
        let mut other = body.clone();
        let s = other["secret_key"].as_str().unwrap().to_owned();
        let first = if s.starts_with('0') { '1' } else { '0' };
        let changed = format!("{first}{}", &s[1..]);
        other["secret_key"] = changed.into();
        fs::write(&path, other.to_string()).unwrap();
        assert!(matches!(read(&path), Err(KeyFileError::Mismatch { .. })));

        let mut newer = body.clone();
        newer["version"] = 9.into();
        fs::write(&path, newer.to_string()).unwrap();
        assert!(matches!(
            read(&path),
            Err(KeyFileError::Version { found: 9, .. })
        ));

        fs::write(&path, &good[..good.len() / 2]).unwrap();
        assert!(matches!(read(&path), Err(KeyFileError::Format { .. })));

        assert!(matches!(
            read(&dir.path().join("missing")),
            Err(KeyFileError::Io { .. })
        ));
    }
}
