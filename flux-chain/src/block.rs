//! Blocks: a [`Header`] and a body of transactions.
//!
//! The block id is the tagged hash of the header; the header commits to the body through the
//! transaction root and to the state after the block through the state root. The consensus field
//! is opaque bytes for the consensus layer (commit certificates of the parent, round data). The
//! seed proof is the proposer's contribution to the committee seed.

use core::fmt;
use std::sync::LazyLock;

use flux_core::crypto::{PublicKey, VrfProof};
use flux_core::error::CodecError;
use flux_core::hash::Tag;
use flux_core::{ChainId, Hash, codec};
use serde::{Deserialize, Serialize};

use crate::tx::{Transaction, TxId};

static BLOCK_ID: LazyLock<Tag> = LazyLock::new(|| Tag::new("flux/block-id/v1"));
static TX_ROOT_NODE: LazyLock<Tag> = LazyLock::new(|| Tag::new("flux/tx-root/node/v1"));
static TX_ROOT: LazyLock<Tag> = LazyLock::new(|| Tag::new("flux/tx-root/v1"));

/// Most bytes of opaque consensus data a header may carry (and of an encoded commit
/// certificate).
pub const MAX_CONSENSUS_DATA: usize = 64 * 1024;

// A block-sync item is a block and its certificate: the certificate must fit the room kept
// around a block in a gossip message (`limits.max_block_bytes` is at most the message less
// that room), with space left for the item's framing.
const _: () = assert!(MAX_CONSENSUS_DATA as u64 + 1024 <= flux_core::params::BLOCK_ENVELOPE_BYTES);

/// A block id: the tagged BLAKE3 hash of the header's canonical bytes.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct BlockId(pub Hash);

impl fmt::Display for BlockId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// A block header.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Header {
    /// The chain.
    pub chain_id: ChainId,
    /// Height: the genesis state is height 0, the first block height 1.
    pub height: u64,
    /// The previous block (the genesis id for height 1).
    pub parent: BlockId,
    /// Proposer's time, ms since the Unix epoch; strictly increasing.
    pub timestamp_ms: u64,
    /// The proposer's key (Ed25519); fees go to its address.
    pub proposer: PublicKey,
    /// The proposer's VRF proof over the parent's committee seed and this height
    /// ([`crate::transition::header::seed_message`]): its output is mixed into the seed the
    /// next committees are drawn from, which no proposer can choose (see
    /// [`crate::consensus::committee`]).
    pub seed_proof: VrfProof,
    /// Root of the body's transaction ids ([`tx_root`]).
    pub tx_root: Hash,
    /// Root of the state after this block.
    pub state_root: Hash,
    /// Consensus data, opaque here (at most [`MAX_CONSENSUS_DATA`] bytes).
    pub consensus: Vec<u8>,
}

impl Header {
    /// The block id.
    pub fn id(&self) -> Result<BlockId, CodecError> {
        Ok(BlockId(BLOCK_ID.hash(&codec::encode(self)?)))
    }
}

/// A block: header and transactions.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Block {
    /// The header.
    pub header: Header,
    /// The transactions, applied in order.
    pub txs: Vec<Transaction>,
}

impl Block {
    /// The block id (the header's).
    pub fn id(&self) -> Result<BlockId, CodecError> {
        self.header.id()
    }
}

/// The root of a list of transaction ids: a binary Merkle tree (an odd node moves up unpaired,
/// so no two lists share a root), bound to the count.
///
/// ```
/// use flux_chain::block::tx_root;
/// use flux_chain::tx::TxId;
/// use flux_core::Hash;
/// let a = TxId(Hash::digest(b"a"));
/// let b = TxId(Hash::digest(b"b"));
/// assert_ne!(tx_root(&[a, b]), tx_root(&[b, a]));
/// assert_ne!(tx_root(&[a]), tx_root(&[a, a]));
/// ```
pub fn tx_root(ids: &[TxId]) -> Hash {
    let mut level: Vec<Hash> = ids.iter().map(|id| id.0).collect();
    while level.len() > 1 {
        level = level
            .chunks(2)
            .map(|pair| match pair {
                [l, r] => {
                    let mut h = TX_ROOT_NODE.hasher();
                    h.update(l.as_bytes()).update(r.as_bytes());
                    h.finalize()
                }
                [single] => *single,
                _ => Hash::ZERO,
            })
            .collect();
    }
    let mut h = TX_ROOT.hasher();
    h.update(&(ids.len() as u64).to_le_bytes());
    h.update(level.first().unwrap_or(&Hash::ZERO).as_bytes());
    h.finalize()
}
