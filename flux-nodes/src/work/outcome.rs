//! [`Outcome`]: what a job run produced, and the hash nodes agree on.

use core::fmt;
use std::sync::LazyLock;

use flux_core::Hash;
use flux_core::hash::Tag;
use serde::{Deserialize, Serialize};

/// Domain of [`Outcome::result_hash`].
static RESULT_HASH: LazyLock<Tag> = LazyLock::new(|| Tag::new("flux/work/result/v1"));

/// The result of running a job: identical on every honest node.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Outcome {
    /// How the run ended.
    pub status: Status,
    /// What the job wrote with `write_output`; empty unless it [completed](Status::Completed).
    pub output: Vec<u8>,
    /// Fuel consumed: the work units of the run. A run that ran out of fuel used its whole
    /// limit.
    pub fuel_used: u64,
}

impl Outcome {
    /// The hash nodes commit to and compare:
    /// `Hash::tagged("flux/work/result/v1", status ‖ trap ‖ fuel_used ‖ len ‖ output)`, where
    /// `status` is one byte (0 completed, 1 trapped, 2 out of fuel), `trap` the
    /// [`Trap::code`] (0 if none), `fuel_used` and `len` (the output's length) are u64
    /// little-endian.
    pub fn result_hash(&self) -> Hash {
        let (status, trap) = match self.status {
            Status::Completed => (0u8, 0u8),
            Status::Trapped(trap) => (1, trap.code()),
            Status::OutOfFuel => (2, 0),
        };
        let len = u64::try_from(self.output.len()).unwrap_or(u64::MAX);
        let mut h = RESULT_HASH.hasher();
        h.update(&[status, trap])
            .update(&self.fuel_used.to_le_bytes())
            .update(&len.to_le_bytes())
            .update(&self.output);
        h.finalize()
    }
}

/// How a job run ended. Every status is a deterministic result, agreed on like the output.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Status {
    /// `run` returned.
    Completed,
    /// The job trapped.
    Trapped(Trap),
    /// The fuel limit was reached.
    OutOfFuel,
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Status::Completed => f.write_str("completed"),
            Status::Trapped(trap) => write!(f, "trapped: {trap}"),
            Status::OutOfFuel => f.write_str("out of fuel"),
        }
    }
}

/// Why a job trapped. The codes ([`Trap::code`]) are part of the result hash and never change
/// meaning.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Trap {
    /// `unreachable` was executed.
    Unreachable,
    /// A memory access (by an instruction, a data segment or a host call) was out of bounds.
    MemoryOutOfBounds,
    /// A table access (or an element segment) was out of bounds.
    TableOutOfBounds,
    /// `call_indirect` reached an empty table slot.
    IndirectCallToNull,
    /// Integer division or remainder by zero.
    IntegerDivisionByZero,
    /// Signed division overflow (`i32::MIN / -1`).
    IntegerOverflow,
    /// `call_indirect` with a function of another type.
    BadSignature,
    /// Calls nested deeper than [`MAX_CALL_DEPTH`](super::MAX_CALL_DEPTH) or the value stack
    /// limit.
    StackOverflow,
    /// A memory or table grew past its limit where growing must not fail.
    GrowthLimited,
    /// The output would exceed [`MAX_OUTPUT_BYTES`](super::MAX_OUTPUT_BYTES).
    OutputTooLarge,
}

impl Trap {
    /// The trap's stable code (1..=10), hashed into [`Outcome::result_hash`].
    pub const fn code(self) -> u8 {
        match self {
            Trap::Unreachable => 1,
            Trap::MemoryOutOfBounds => 2,
            Trap::TableOutOfBounds => 3,
            Trap::IndirectCallToNull => 4,
            Trap::IntegerDivisionByZero => 5,
            Trap::IntegerOverflow => 6,
            Trap::BadSignature => 7,
            Trap::StackOverflow => 8,
            Trap::GrowthLimited => 9,
            Trap::OutputTooLarge => 10,
        }
    }
}

impl fmt::Display for Trap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Trap::Unreachable => "unreachable executed",
            Trap::MemoryOutOfBounds => "memory access out of bounds",
            Trap::TableOutOfBounds => "table access out of bounds",
            Trap::IndirectCallToNull => "indirect call to a null slot",
            Trap::IntegerDivisionByZero => "integer division by zero",
            Trap::IntegerOverflow => "integer overflow",
            Trap::BadSignature => "indirect call with the wrong signature",
            Trap::StackOverflow => "call stack exhausted",
            Trap::GrowthLimited => "growth past the limit",
            Trap::OutputTooLarge => "output too large",
        })
    }
}
