//! `arbitrary::Arbitrary` for flux-chain's consensus and wire types: every field drawn in its
//! canonical shape ([`flux_core::arbitrary_via_serde!`]). Signatures are arbitrary bytes, so
//! these are the values an attacker can send, not ones the chain accepts; for those, see
//! [`super::generate`].

use crate::block::{Block, BlockId, Header};
use crate::consensus::{
    CommitCertificate, Evidence, Proposal, SignedProposal, SignedVote, Vote, VoteKind,
};
use crate::genesis::{Allocation, Genesis, GenesisNode};
use crate::gov::{Action, Choice};
use crate::state::Account;
use crate::trie::{Proof, ProofEnd, ProofStep};
use crate::tx::{
    AppCancel, AppRegister, AppUpdate, GovPropose, GovVote, HostingReport, JobSubmit, NodeConfirm,
    NodeExit, NodeUpdateEndpoint, SwapIn, SwapKeyRegister, SwapOut, Transaction, Transfer, TxId,
    TxKind, WorkCommit, WorkReveal,
};

flux_core::arbitrary_via_serde!(
    Transaction,
    TxKind,
    TxId,
    Transfer,
    NodeConfirm,
    NodeUpdateEndpoint,
    NodeExit,
    AppRegister,
    AppUpdate,
    AppCancel,
    GovPropose,
    GovVote,
    JobSubmit,
    WorkCommit,
    WorkReveal,
    HostingReport,
    SwapOut,
    SwapIn,
    SwapKeyRegister,
    Block,
    BlockId,
    Header,
    Vote,
    VoteKind,
    SignedVote,
    Proposal,
    SignedProposal,
    Evidence,
    CommitCertificate,
    Action,
    Choice,
    Genesis,
    GenesisNode,
    Allocation,
    Account,
    Proof,
    ProofStep,
    ProofEnd,
);
