//! Typed errors of flux-core: one enum per area, one variant per rule.
//!
//! The `error <-> amount` module cycle is kept on purpose: the variants carry domain values
//! (what was expected and what came, as the architecture asks), and `amount` returns them.

use thiserror::Error;

/// Why an amount could not be computed or parsed.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum AmountError {
    /// The result exceeds `u64::MAX` base units.
    #[error("amount overflow: {lhs} {op} {rhs} does not fit in u64 base units")]
    Overflow {
        /// Left operand, in base units.
        lhs: u64,
        /// The operation (`+`, `*`, ...).
        op: &'static str,
        /// Right operand.
        rhs: u64,
    },
    /// A subtraction would go below zero.
    #[error("amount underflow: {lhs} - {rhs} is negative (base units)")]
    Underflow {
        /// Minuend, in base units.
        lhs: u64,
        /// Subtrahend, in base units.
        rhs: u64,
    },
    /// Division or ratio with a zero denominator.
    #[error("division by zero")]
    DivisionByZero,
    /// The text was empty.
    #[error("empty amount")]
    Empty,
    /// A character that is not an ASCII digit or a single `.`.
    #[error("invalid character {found:?} at position {position} in amount")]
    InvalidCharacter {
        /// Byte position in the input.
        position: usize,
        /// The character found there.
        found: char,
    },
    /// A `.` with no digits before or after it.
    #[error("amount needs digits on both sides of the decimal point")]
    MissingDigits,
    /// More fractional digits than base units can hold (8).
    #[error("too many decimals: at most {max} allowed, found {found}")]
    TooManyDecimals {
        /// The maximum (8).
        max: usize,
        /// How many were given.
        found: usize,
    },
    /// The decimal value does not fit in u64 base units.
    #[error("amount {0:?} is too large")]
    TooLarge(String),
}

/// Why a hex string could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum HexError {
    /// Wrong number of hex digits for the expected byte length.
    #[error("expected {expected} hex digits, found {found}")]
    Length {
        /// Expected number of hex digits.
        expected: usize,
        /// Number found.
        found: usize,
    },
    /// A character that is not a hex digit.
    #[error("invalid hex character {found:?} at position {position}")]
    InvalidCharacter {
        /// Position in the input.
        position: usize,
        /// The character found.
        found: char,
    },
}

/// Why canonical decoding failed.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CodecError {
    /// The input is larger than the decode limit.
    #[error("input of {len} bytes exceeds the decode limit of {limit} bytes")]
    TooLarge {
        /// Input length.
        len: usize,
        /// The limit in force.
        limit: u64,
    },
    /// A length prefix inside the input asks for more than the limit allows.
    #[error("a length inside the input exceeds the decode limit")]
    LimitExceeded,
    /// The input ended before the value was complete.
    #[error("input truncated")]
    Truncated,
    /// Bytes remain after a complete value.
    #[error("{count} trailing bytes after the value")]
    TrailingBytes {
        /// How many bytes were left over.
        count: usize,
    },
    /// A bool byte other than 0 or 1.
    #[error("invalid bool byte {found}")]
    InvalidBool {
        /// The byte found.
        found: u8,
    },
    /// An enum variant or option tag out of range.
    #[error("invalid tag {found}")]
    InvalidTag {
        /// The tag found.
        found: usize,
    },
    /// A string that is not UTF-8.
    #[error("invalid utf-8 in string")]
    InvalidUtf8,
    /// A char that is not a valid Unicode scalar.
    #[error("invalid char encoding")]
    InvalidChar,
    /// A value rejected by the type's own validation (e.g. an amount string).
    #[error("invalid value: {0}")]
    InvalidValue(String),
    /// The type cannot be encoded canonically (an unsized sequence or a `deserialize_any`).
    #[error("type is not canonically encodable: {0}")]
    Unsupported(&'static str),
}

/// Why a key or signature was rejected.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum SignatureError {
    /// A scheme name other than `ed25519` or `secp256k1`.
    #[error("unknown signature scheme {0:?} (expected ed25519 or secp256k1)")]
    UnknownScheme(String),
    /// A key or signature in hex form that is not valid hex.
    #[error(transparent)]
    Hex(#[from] HexError),
    /// Key bytes of the wrong length for the scheme.
    #[error("{scheme} key must be {expected} bytes, found {found}")]
    KeyLength {
        /// Scheme name.
        scheme: &'static str,
        /// Expected length.
        expected: usize,
        /// Length found.
        found: usize,
    },
    /// Secret key bytes that are not a valid scalar for the scheme.
    #[error("invalid {scheme} secret key")]
    InvalidSecretKey {
        /// Scheme name.
        scheme: &'static str,
    },
    /// Public key bytes that do not decode to a curve point.
    #[error("invalid {scheme} public key")]
    InvalidPublicKey {
        /// Scheme name.
        scheme: &'static str,
    },
    /// Signature bytes that are not well formed for the scheme (e.g. a zero or out-of-range scalar).
    #[error("malformed {scheme} signature")]
    MalformedSignature {
        /// Scheme name.
        scheme: &'static str,
    },
    /// A secp256k1 signature with a high S value (malleable; only low-S is accepted).
    #[error("secp256k1 signature has high S (malleable)")]
    HighS,
    /// The key and the signature belong to different schemes.
    #[error("signature scheme {signature} does not match key scheme {key}")]
    SchemeMismatch {
        /// The key's scheme.
        key: &'static str,
        /// The signature's scheme.
        signature: &'static str,
    },
    /// The signature does not verify under this key, domain, chain id and message.
    #[error("signature does not verify")]
    Invalid,
    /// Item `index` of a batch failed verification.
    #[error("signature {index} of the batch is invalid: {source}")]
    BatchItem {
        /// Index of the first bad item.
        index: usize,
        /// Why it failed.
        #[source]
        source: Box<SignatureError>,
    },
    /// The batch equation failed but no single item did (cannot happen under ZIP-215; reported, never ignored).
    #[error("batch verification failed without a failing item")]
    BatchInconsistent,
}

/// Why an address could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum AddressError {
    /// Not a bech32m string (bad characters, mixed case, missing separator, bad checksum...).
    #[error("invalid bech32m address: {0}")]
    Encoding(String),
    /// The checksum does not match (a typo).
    #[error("address checksum does not match")]
    Checksum,
    /// A bech32 (not bech32m) checksum.
    #[error("address uses a bech32 checksum; flux addresses use bech32m")]
    WrongVariant,
    /// The human-readable prefix is not the expected one.
    #[error("wrong address prefix: expected {expected:?}, found {found:?}")]
    WrongPrefix {
        /// The prefix of the expected network.
        expected: &'static str,
        /// The prefix found.
        found: String,
    },
    /// The payload is not 20 bytes.
    #[error("address payload must be 20 bytes, found {found}")]
    WrongLength {
        /// Payload length found.
        found: usize,
    },
    /// Hex form of the wrong shape.
    #[error(transparent)]
    Hex(#[from] HexError),
}

/// Why chain parameters are inconsistent.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ParamsError {
    /// A named parameter has a value outside what the protocol allows.
    #[error("parameter {name}: {reason}")]
    Invalid {
        /// The parameter's name.
        name: &'static str,
        /// What is wrong.
        reason: &'static str,
    },
    /// Unknown network name.
    #[error("unknown network {0:?} (expected mainnet, testnet or devnet)")]
    UnknownNetwork(String),
    /// A value outside the bounds fixed in code for a governable parameter.
    #[error("{name} = {value} is outside its bounds {min}..={max}")]
    OutOfBounds {
        /// The parameter.
        name: &'static str,
        /// The value asked for.
        value: u64,
        /// Lowest allowed.
        min: u64,
        /// Highest allowed.
        max: u64,
    },
    /// No governable parameter has this name.
    #[error("unknown governable parameter {0:?}")]
    UnknownParam(String),
    /// Unknown tier name.
    #[error("unknown tier {0:?} (expected cumulus, nimbus or stratus)")]
    UnknownTier(String),
}

/// Why the emission schedule or the reward split refused its inputs.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum TokenomicsError {
    /// The genesis allocations plus all future emission would exceed the supply cap.
    #[error(
        "genesis supply {genesis} FLUX plus maximum future emission {max_emission} FLUX exceeds \
         the cap of {cap} FLUX by {excess} FLUX"
    )]
    GenesisExceedsCap {
        /// Total of the genesis allocations.
        genesis: crate::amount::Amount,
        /// Everything the schedule will ever mint.
        max_emission: crate::amount::Amount,
        /// The supply cap.
        cap: crate::amount::Amount,
        /// By how much `genesis + max_emission` exceeds `cap` (saturating).
        excess: crate::amount::Amount,
    },
    /// The tier percentages of the node share do not sum to 100.
    #[error("tier percentages {found:?} do not sum to 100")]
    TierPercent {
        /// The percentages found (Cumulus, Nimbus, Stratus).
        found: [u64; 3],
    },
    /// The node operators' share plus the dev fund exceed the minted amount.
    #[error(
        "node share {node_operators} FLUX plus dev fund {dev_fund} FLUX exceed the minted {minted} FLUX"
    )]
    SharesExceedMinted {
        /// The amount being split.
        minted: crate::amount::Amount,
        /// The node operators' part.
        node_operators: crate::amount::Amount,
        /// The dev fund's part.
        dev_fund: crate::amount::Amount,
    },
    /// An amount computation failed (overflow or a zero ratio denominator).
    #[error(transparent)]
    Amount(#[from] AmountError),
}

/// Why a parallel-asset value (external chain, destination, EVM signature) was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ParallelError {
    /// No external chain has this id or name.
    #[error("unknown external chain {0:?}")]
    UnknownChain(String),
    /// A destination address of the wrong length for its chain.
    #[error("destination on {chain}: {len} bytes, expected {min}..={max}")]
    DestinationLength {
        /// The chain's name.
        chain: &'static str,
        /// Length found.
        len: usize,
        /// Shortest allowed.
        min: usize,
        /// Longest allowed.
        max: usize,
    },
    /// A destination address with a wrong format (prefix byte, characters).
    #[error("destination on {chain}: {reason}")]
    DestinationFormat {
        /// The chain's name.
        chain: &'static str,
        /// What is wrong.
        reason: &'static str,
    },
    /// An Ethereum-style signature that does not parse or recovers no key.
    #[error("malformed EVM signature: {0}")]
    EvmSignature(&'static str),
    /// A key that is not a valid secp256k1 key where one is needed.
    #[error("not a secp256k1 key")]
    NotSecp256k1,
}
