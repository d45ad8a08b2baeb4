//! `flux keys new` and `flux keys show`.

use std::io::Write;
use std::path::Path;

use flux_core::crypto::{Scheme, SecretKey};
use flux_core::{Address, Network};
use serde::Serialize;
use zeroize::Zeroizing;

use crate::error::CliError;
use crate::output::Output;
use flux_net::api::keyfile;

/// What `keys new` and `keys show` print.
#[derive(Serialize)]
pub struct KeyInfo {
    /// Signature scheme.
    pub scheme: Scheme,
    /// bech32m address for the chosen network.
    pub address: String,
    /// `scheme:hex` public key.
    pub public_key: String,
    /// The key file.
    pub file: String,
    /// Hex secret key, only when asked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret_key: Option<String>,
}

impl KeyInfo {
    fn new(key: &SecretKey, file: &Path, network: Network, secret: bool) -> KeyInfo {
        let public = key.public_key();
        KeyInfo {
            scheme: key.scheme(),
            address: Address::from_public_key(&public).to_bech32(network),
            public_key: public.to_string(),
            file: file.display().to_string(),
            secret_key: secret.then(|| flux_core::hex::encode(key.to_bytes().as_slice())),
        }
    }

    fn text(&self) -> String {
        let mut rows = vec![
            ("address", self.address.clone()),
            ("public key", self.public_key.clone()),
            ("scheme", self.scheme.to_string()),
            ("file", self.file.clone()),
        ];
        if let Some(s) = &self.secret_key {
            rows.push(("secret key", s.clone()));
        }
        Output::<Vec<u8>>::table(&rows)
    }
}

impl Drop for KeyInfo {
    fn drop(&mut self) {
        drop(self.secret_key.take().map(Zeroizing::new));
    }
}

/// `flux keys new`: generates a key from the OS RNG and writes it to `out`.
pub fn new<W: Write>(
    out: &mut Output<W>,
    scheme: Scheme,
    path: &Path,
    force: bool,
    network: Network,
) -> Result<(), CliError> {
    let key = SecretKey::generate(scheme, &mut rand_core::OsRng);
    keyfile::write(path, &key, force)?;
    let info = KeyInfo::new(&key, path, network, false);
    out.emit(&info, &info.text())
}

/// `flux keys show`: reads and checks a key file, prints its address and public key.
pub fn show<W: Write>(
    out: &mut Output<W>,
    path: &Path,
    secret: bool,
    network: Network,
) -> Result<(), CliError> {
    let key = keyfile::read(path)?;
    let info = KeyInfo::new(&key, path, network, secret);
    out.emit(&info, &info.text())
}
