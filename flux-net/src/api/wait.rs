//! Waiting on the node for `--wait`: polls an answer until it is final or a timeout passes
//! ([`Client::wait_job`], [`wait_attested`]).

use std::time::{Duration, Instant};

use flux_chain::work::JobId;
use thiserror::Error;

use super::client::{Client, ClientError};
use super::views::{AttestationStatusView, JobView};

/// How often a wait asks the node.
pub const POLL: Duration = Duration::from_millis(500);

/// Why a wait ended without the answer it waited for.
#[derive(Debug, Error)]
pub enum WaitError<E, P> {
    /// Asking the node failed.
    #[error(transparent)]
    Ask(E),
    /// The time ran out; `progress` is what the last answer showed.
    #[error("still waiting after {secs} s")]
    TimedOut {
        /// The time waited, seconds.
        secs: u64,
        /// The last answer's progress.
        progress: P,
    },
}

impl Client {
    /// Polls the job every [`POLL`] until it is accepted or refunded; times out with its last
    /// phase seen (`pending` while it is not on chain).
    ///
    /// ```no_run
    /// # use flux_net::api::client::Client;
    /// # async fn run(client: Client, id: flux_chain::work::JobId) -> Result<(), Box<dyn std::error::Error>> {
    /// let done = client.wait_job(&id, std::time::Duration::from_secs(60)).await?;
    /// println!("{}", done.phase); // accepted or refunded
    /// # Ok(())
    /// # }
    /// ```
    pub async fn wait_job(
        &self,
        id: &JobId,
        timeout: Duration,
    ) -> Result<JobView, WaitError<ClientError, String>> {
        let deadline = Instant::now() + timeout;
        let mut phase = "pending".to_owned();
        loop {
            if let Some(view) = self.job(id).await.map_err(WaitError::Ask)? {
                if view.phase == "accepted" || view.phase == "refunded" {
                    return Ok(view);
                }
                phase = view.phase;
            }
            if Instant::now() + POLL > deadline {
                return Err(WaitError::TimedOut {
                    secs: timeout.as_secs(),
                    progress: phase,
                });
            }
            tokio::time::sleep(POLL).await;
        }
    }
}

/// Polls `ask` every [`POLL`] until the attestation `status` finds in its answer is complete;
/// times out with the signers' weight and the committee's weight last seen.
///
/// ```no_run
/// # use flux_net::api::{client::Client, views::SwapView, wait::wait_attested};
/// # async fn run(client: Client, id: flux_chain::tx::TxId) -> Result<(), Box<dyn std::error::Error>> {
/// let timeout = std::time::Duration::from_secs(60);
/// let swap = wait_attested(timeout, async || client.swap(&id).await, |v: &Option<SwapView>| {
///     v.as_ref().and_then(|s| s.status.as_ref())
/// })
/// .await?;
/// # Ok(())
/// # }
/// ```
pub async fn wait_attested<T, E>(
    timeout: Duration,
    mut ask: impl AsyncFnMut() -> Result<T, E>,
    status: impl Fn(&T) -> Option<&AttestationStatusView>,
) -> Result<T, WaitError<E, (u64, u64)>> {
    let start = Instant::now();
    loop {
        let view = ask().await.map_err(WaitError::Ask)?;
        let progress =
            status(&view).map_or((false, 0, 0), |s| (s.attested, s.weight, s.total_weight));
        if progress.0 {
            return Ok(view);
        }
        if start.elapsed() >= timeout {
            return Err(WaitError::TimedOut {
                secs: timeout.as_secs(),
                progress: (progress.1, progress.2),
            });
        }
        tokio::time::sleep(POLL).await;
    }
}
