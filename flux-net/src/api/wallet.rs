//! Sending transactions through a node: sign at the sender's next nonce for the node's chain,
//! submit, and wait for finality. What `flux send`, `flux node start` and the like do.

use std::time::{Duration, Instant};

use flux_chain::tx::{Transaction, TxId, TxKind};
use flux_core::crypto::SecretKey;
use flux_core::{Address, Amount, ChainId};
use serde::{Deserialize, Serialize};

use super::client::{Client, ClientError};
use super::views::{TxStatus, TxView};

/// How often [`Client::wait_finalized`] asks.
pub const WAIT_POLL: Duration = Duration::from_millis(200);

/// A transaction the node accepted into its mempool.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sent {
    /// Its id.
    pub id: TxId,
    /// The chain it was signed for.
    pub chain_id: ChainId,
    /// The sender's address (bech32m).
    pub sender: String,
    /// The nonce it carries.
    pub nonce: u64,
    /// The fee offered.
    pub fee: Amount,
}

impl Client {
    /// Signs `kind` with `key` for the node's chain at the sender's next nonce (both read from
    /// the node; the nonce follows the sender's transactions pending there, so several can be
    /// sent in a row) and submits it. A refusal is [`ClientError::Status`] with the node's reason.
    pub async fn sign_and_submit(
        &self,
        key: &SecretKey,
        fee: Amount,
        kind: TxKind,
    ) -> Result<Sent, ClientError> {
        let status = self.status().await?;
        let address = Address::from_public_key(&key.public_key());
        let account = self.account(&format!("{address:x}")).await?;
        let nonce = account.nonce.max(account.pending_nonce);
        let tx = Transaction::sign(key, status.chain_id, nonce, fee, kind)?;
        let id = self.submit(&tx).await?;
        Ok(Sent {
            id,
            chain_id: status.chain_id,
            sender: account.address,
            nonce,
            fee,
        })
    }

    /// Waits until the transaction is in a finalised block; [`ClientError::Timeout`] after
    /// `timeout`. A transaction the node does not know (any more) keeps being waited for: it
    /// may have been gossiped, or dropped from the mempool.
    pub async fn wait_finalized(
        &self,
        id: &TxId,
        timeout: Duration,
    ) -> Result<TxView, ClientError> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(view) = self.tx(id).await?
                && view.status == TxStatus::Finalized
            {
                return Ok(view);
            }
            if Instant::now() + WAIT_POLL > deadline {
                return Err(ClientError::Timeout {
                    url: format!("{}/v1/txs/{id}", self.base_url()),
                    after: timeout,
                });
            }
            tokio::time::sleep(WAIT_POLL).await;
        }
    }
}
