//! The node's view of other chains: which burns of parallel FLUX it has seen, final.

use std::fmt;
use std::path::PathBuf;
use std::sync::Mutex;

use flux_chain::parallel::BurnStatement;

/// A node's view of another chain: whether a burn of parallel FLUX happened there, final, as
/// the statement says. A member signs a burn only when its witness confirms it.
///
/// This SDK ships no light client of the ten chains; an operator plugs one in here. The devnet
/// uses [`FileWitness`].
pub trait BurnWitness: Send + Sync + fmt::Debug {
    /// `true` if `burn` happened on `burn.chain`, final, exactly as stated.
    fn confirms(&self, burn: &BurnStatement) -> bool;
}

/// A [`BurnWitness`] that reads the burns it has seen from a JSON file (an array of
/// [`BurnStatement`]s), read again on every question: the devnet's stand-in for a light client,
/// which a test or an operator's own watcher writes. A missing or unreadable file confirms
/// nothing.
///
/// ```
/// use flux_chain::parallel::BurnStatement;
/// use flux_core::parallel::ExternalChain;
/// use flux_core::{Address, Amount};
/// use flux_net::host::swaps::{BurnWitness, FileWitness};
///
/// let dir = tempfile::tempdir()?;
/// let burn = BurnStatement {
///     chain: ExternalChain::Solana,
///     reference: vec![9; 64],
///     amount: Amount::ONE_FLUX,
///     recipient: Address::from_bytes([3; 20]),
/// };
/// let witness = FileWitness::new(dir.path().join("burns.json"));
/// assert!(!witness.confirms(&burn));
/// std::fs::write(dir.path().join("burns.json"), serde_json::to_vec(&[&burn])?)?;
/// assert!(witness.confirms(&burn));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct FileWitness {
    path: PathBuf,
    /// The burns last read, with the file's modification time and length then.
    cache: Mutex<Option<(std::time::SystemTime, u64, Vec<BurnStatement>)>>,
}

impl FileWitness {
    /// A witness reading `path`.
    pub fn new(path: impl Into<PathBuf>) -> FileWitness {
        FileWitness {
            path: path.into(),
            cache: Mutex::new(None),
        }
    }

    /// Whether the file lists `burn`; read again only when it changed (a gossiped request
    /// costs a `stat`, not a parse).
    fn lists(&self, burn: &BurnStatement) -> bool {
        let Ok(meta) = std::fs::metadata(&self.path) else {
            return false;
        };
        let stamp = (meta.modified().ok(), meta.len());
        let Ok(mut cache) = self.cache.lock() else {
            return false;
        };
        if let (Some(modified), Some((at, len, seen))) = (stamp.0, cache.as_ref())
            && *at == modified
            && *len == stamp.1
        {
            return seen.contains(burn);
        }
        let seen = match std::fs::read(&self.path)
            .map_err(|e| e.to_string())
            .and_then(|b| {
                serde_json::from_slice::<Vec<BurnStatement>>(&b).map_err(|e| e.to_string())
            }) {
            Ok(seen) => seen,
            Err(e) => {
                tracing::warn!(path = %self.path.display(), error = %e, "unreadable burns file");
                Vec::new()
            }
        };
        let listed = seen.contains(burn);
        *cache = stamp.0.map(|m| (m, stamp.1, seen));
        listed
    }
}

impl BurnWitness for FileWitness {
    fn confirms(&self, burn: &BurnStatement) -> bool {
        self.lists(burn)
    }
}
