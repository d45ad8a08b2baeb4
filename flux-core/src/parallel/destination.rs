//! A destination address as a user writes it for its chain, parsed to the bytes a swap out
//! carries ([`ExternalChain::parse_destination`]).

use thiserror::Error;

use super::ExternalChain;
use crate::error::{HexError, ParallelError};

/// Why a written destination address is refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum DestinationError {
    /// The chain writes addresses in hex and the text is not hex.
    #[error("not hex: {0}")]
    NotHex(HexError),
    /// The bytes break the chain's rule ([`ExternalChain::check_destination`]).
    #[error(transparent)]
    Rule(#[from] ParallelError),
}

impl ExternalChain {
    /// The raw bytes of a destination address as this chain writes it: `0x`-hex on EVM chains,
    /// hex on the others, a Kadena account name as text; checked by
    /// [`ExternalChain::check_destination`].
    ///
    /// ```
    /// use flux_core::parallel::ExternalChain;
    ///
    /// let to = ExternalChain::Ethereum.parse_destination("0x00112233445566778899aabbccddeeff00112233")?;
    /// assert_eq!(to.len(), 20);
    /// assert!(ExternalChain::Ethereum.parse_destination("0x0011").is_err());
    /// assert_eq!(ExternalChain::Kadena.parse_destination("k:alice")?, b"k:alice");
    /// # Ok::<(), flux_core::parallel::DestinationError>(())
    /// ```
    pub fn parse_destination(self, text: &str) -> Result<Vec<u8>, DestinationError> {
        let bytes = if self == ExternalChain::Kadena {
            text.as_bytes().to_vec()
        } else {
            let digits = text.strip_prefix("0x").unwrap_or(text);
            crate::hex::decode(digits).map_err(DestinationError::NotHex)?
        };
        self.check_destination(&bytes)?;
        Ok(bytes)
    }
}
