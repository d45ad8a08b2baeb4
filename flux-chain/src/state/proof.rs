//! Light-client proofs of state entries against a header's state root.

use flux_core::Address;
use flux_core::error::CodecError;
use serde::{Deserialize, Serialize};
use thiserror::Error;

use super::{Account, StateKey, value_hash};
use crate::block::Header;
use crate::trie::{Proof, ProofError};

/// Why a state proof does not hold.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum StateProofError {
    /// The trie proof does not lead to the root.
    #[error(transparent)]
    Trie(#[from] ProofError),
    /// The entry could not be encoded.
    #[error(transparent)]
    Codec(#[from] CodecError),
}

/// Proof that an account has a given balance and nonce (or does not exist) at a header.
///
/// ```
/// use flux_chain::genesis::Genesis;
/// let genesis = Genesis::devnet_example();
/// let state = genesis.state()?;
/// let (addr, _) = state.accounts().iter().next().unwrap();
/// let proof = state.prove_account(addr)?;
/// proof.verify_root(&state.state_root())?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountProof {
    /// The account's address.
    pub address: Address,
    /// The claimed account; `None` claims it does not exist.
    pub account: Option<Account>,
    /// The trie path.
    pub proof: Proof,
}

impl AccountProof {
    /// Checks the claim against a state root.
    pub fn verify_root(&self, root: &flux_core::Hash) -> Result<(), StateProofError> {
        let key = StateKey::Account(self.address).trie_key()?;
        let value = self.account.as_ref().map(value_hash).transpose()?;
        self.proof.verify(root, &key, value.as_ref())?;
        Ok(())
    }

    /// Checks the claim against a block header (all a light client needs).
    pub fn verify(&self, header: &Header) -> Result<(), StateProofError> {
        self.verify_root(&header.state_root)
    }
}
