//! The pure consensus core: Tendermint BFT among an epoch's node committee.
//!
//! - [`types`]: votes and proposals, signed with validators' Ed25519 operator keys in
//!   [`Domain::VOTE`](flux_core::crypto::Domain::VOTE) /
//!   [`Domain::PROPOSAL`](flux_core::crypto::Domain::PROPOSAL) over the chain id;
//! - [`evidence`]: equivocation [`Evidence`], conflicting votes or conflicting proposals;
//! - [`committee`]: the epoch's committee, drawn by weighted sampling without replacement
//!   from the confirmed nodes, and the weighted round-robin proposer rotation ([`rotation`]:
//!   built once per committee);
//! - [`votes`]: the per-height vote keeper (weights, thresholds, equivocation);
//! - [`rounds`]: the round window that bounds what a member can make a validator store;
//! - [`machine`]: Algorithm 1 of "The latest gossip on BFT consensus" (Buchman, Kwon,
//!   Milosevic 2018) as one pure `apply(input) -> outputs`;
//! - [`certificate`]: commit certificates anyone holding the committee can check;
//! - [`error`]: why a message, committee or certificate is rejected.
//!
//! Nothing here does IO, reads a clock or draws randomness: the host (flux-net) delivers
//! messages, fires timeouts and answers block requests; seeds are inputs.
//!
//! A one-validator committee decides alone:
//!
//! ```
//! use flux_chain::block::BlockId;
//! use flux_chain::consensus::committee::{Committee, Member};
//! use flux_chain::consensus::machine::{Input, Machine, Output};
//! use flux_core::crypto::{Scheme, SecretKey};
//! use flux_core::{ChainParams, Hash};
//! use flux_nodes::NodeId;
//!
//! let params = ChainParams::devnet();
//! let key = SecretKey::from_bytes(Scheme::Ed25519, &[1; 32])?;
//! let me = Member { id: NodeId::of(&key.public_key()), key: key.public_key(), weight: 10 };
//! let committee = Committee::new(vec![me], params.consensus.commit_threshold)?;
//! let mut machine = Machine::new(&params, Some(key));
//!
//! let out = machine.apply(Input::NewHeight { height: 1, committee })?;
//! assert!(out.contains(&Output::RequestBlock { height: 1, round: 0 }));
//! let block = BlockId(Hash::digest(b"block 1"));
//! let out = machine.apply(Input::ProposeValue { height: 1, round: 0, value: block })?;
//! let decided = out.iter().find_map(|o| match o {
//!     Output::Decide { value, commit, .. } => Some((*value, commit.clone())),
//!     _ => None,
//! });
//! let (value, commit) = decided.expect("decides");
//! assert_eq!(value, block);
//! # let committee = machine.votes().unwrap().committee().clone();
//! commit.verify(&committee, params.chain_id)?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod certificate;
pub mod committee;
pub mod error;
pub mod evidence;
pub mod machine;
pub mod rotation;
pub mod rounds;
pub mod types;
pub mod votes;

pub use certificate::CommitCertificate;
pub use committee::{Committee, Member};
pub use error::ConsensusError;
pub use evidence::Evidence;
pub use machine::{Input, Machine, Output, ResumePoint, Step, TimeoutKind, Trigger};
pub use types::{Height, Proposal, Round, SignedProposal, SignedVote, Vote, VoteKind};
pub use votes::{AddOutcome, VoteKeeper};
