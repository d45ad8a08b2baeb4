//! `flux keys new` and `flux keys show`.

use std::io::Write;
use std::path::Path;

use flux_core::crypto::{Scheme, SecretKey};

use crate::cli::KeysCommand;
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

/// `flux keys new` (a key from the OS RNG, written to a key file) and `flux keys show` (a key
/// file read and checked): the address and public key.
pub fn run<W: Write>(out: &mut Output<W>, command: &KeysCommand) -> Result<(), CliError> {
    let info = match command {
        KeysCommand::New {
            scheme,
            out: path,
            force,
            network,
        } => {
            let key = SecretKey::generate((*scheme).into(), &mut rand_core::OsRng);
            keyfile::write(path, &key, *force)?;
            KeyInfo::new(&key, path, network.network.into(), false)
        }
        KeysCommand::Show {
            file,
            secret,
            network,
        } => KeyInfo::new(&keyfile::read(file)?, file, network.network.into(), *secret),
    };
    out.emit(&info, &info.text())
}
