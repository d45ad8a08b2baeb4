//! Useful-work jobs: deterministic WebAssembly compute that several nodes run and agree on.
//!
//! A job ([`JobSpec`]) is a WebAssembly module, an input and a fuel limit. It is checked once at
//! submission ([`validate`]) and then run by each assigned node ([`execute`]); every honest node
//! gets the byte-identical [`Outcome`] (status, output, fuel used), so the chain can accept the
//! result a majority agrees on by its [`Outcome::result_hash`], and pay by the fuel used.
//!
//! # Determinism
//! - **Interpreter pinned.** Jobs run on wasmi (a WebAssembly interpreter) with fuel metering:
//!   each Wasm operator costs the fuel of wasmi's cost table (1 for most, 0 for structured
//!   control flow), plus 1 per 64 bytes that `memory.grow`, `memory.fill` and `memory.copy`
//!   touch (growing by 255 pages costs 261,120). Fuel counts are consensus, so the
//!   wasmi version is pinned exactly in the workspace and changes only with a network upgrade.
//! - **No floating point.** NaN bit patterns may differ between machines, so a module that
//!   mentions `f32` or `f64` anywhere (types, globals, locals, instructions, conversions, float
//!   loads and stores, typed blocks and selects) is refused with [`WorkError::Float`], naming the
//!   first use. Fixed-point integer arithmetic does the same work deterministically (see the
//!   example jobs in [`jobs`]).
//! - **No other nondeterminism.** The only imports are the three host functions below; there is
//!   no clock, randomness, threads or SIMD. Memory is at most [`MAX_MEMORY_PAGES`] pages and
//!   tables at most [`MAX_TABLE_ELEMENTS`] elements (`memory.grow` past the limit returns -1,
//!   the same everywhere); calls nest at most [`MAX_CALL_DEPTH`] deep.
//! - **Start functions are refused** ([`WorkError::StartFunction`]): a job has one entry point,
//!   `run`, so everything it does happens inside one metered call whose outcome is recorded.
//! - **Running is never an error.** A trap, running out of fuel or writing too much output is
//!   the job's deterministic [`Status`], part of the result hash like the output. [`execute`]
//!   returns `Err` only for a refused job (oversized input, bad fuel limit) or an interpreter
//!   failure that is not the job's doing ([`WorkError::Engine`], e.g. the host out of memory):
//!   such a node reports no result rather than a wrong one.
//!
//! # Job ABI
//! A job exports its linear memory as `"memory"` and a function `"run"` of type `[] -> []`, and
//! may import these functions from the module `"flux"` (pointers and lengths are `i32`, read as
//! unsigned):
//!
//! | Import | Type | Effect |
//! |---|---|---|
//! | `input_len` | `[] -> [i32]` | the input's length in bytes |
//! | `read_input` | `[dst, offset, len: i32] -> [i32]` | copies up to `len` input bytes from `offset` to memory at `dst`; returns the count copied (0 past the end) |
//! | `write_output` | `[src, len: i32] -> []` | appends `len` bytes of memory at `src` to the output |
//!
//! A host call costs [`HOST_CALL_FUEL`] plus one fuel per [`HOST_BYTES_PER_FUEL`] bytes copied.
//! A copy out of memory bounds traps ([`Trap::MemoryOutOfBounds`]); output beyond
//! [`MAX_OUTPUT_BYTES`] traps ([`Trap::OutputTooLarge`]). The output of a job that does not
//! complete is discarded.
//!
//! ```wat
//! (module
//!   (import "flux" "input_len" (func $input_len (result i32)))
//!   (import "flux" "read_input" (func $read_input (param i32 i32 i32) (result i32)))
//!   (import "flux" "write_output" (func $write_output (param i32 i32)))
//!   (memory (export "memory") 1)
//!   ;; Echo the input back.
//!   (func (export "run")
//!     (local $n i32)
//!     (local.set $n (call $read_input (i32.const 0) (i32.const 0) (call $input_len)))
//!     (call $write_output (i32.const 0) (local.get $n))))
//! ```
//!
//! # Example
//! ```
//! use flux_nodes::work::{JobSpec, Status, jobs};
//!
//! let job = JobSpec::from_wat(jobs::MANDELBROT_WAT, jobs::mandelbrot_input(32, 24, 32), 10_000_000)?;
//! let outcome = job.run()?;
//! assert_eq!(outcome.status, Status::Completed);
//! let image = jobs::Ppm::parse(&outcome.output).ok_or("not a PPM image")?;
//! assert_eq!((image.width, image.height), (32, 24));
//! // Every node computes the same result, fuel included.
//! assert_eq!(job.run()?.result_hash(), outcome.result_hash());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod engine;
mod error;
mod exec;
pub mod jobs;
mod load;
mod outcome;
mod scan;
#[cfg(test)]
mod tests;

use serde::{Deserialize, Serialize};

pub use engine::{ValidatedModule, compile_wat, validate};
pub use error::{FloatSite, WorkError};
pub use exec::execute;
pub use load::{module_from_bytes, nn_example_vectors};
pub use outcome::{Outcome, Status, Trap};

/// Largest module accepted, in bytes (1 MiB).
pub const MAX_MODULE_BYTES: usize = 1 << 20;
/// Largest input accepted, in bytes (1 MiB).
pub const MAX_INPUT_BYTES: usize = 1 << 20;
/// Largest output a job may write, in bytes (1 MiB); writing more traps.
pub const MAX_OUTPUT_BYTES: usize = 1 << 20;
/// Most 64 KiB memory pages a job may have (256 pages = 16 MiB).
pub const MAX_MEMORY_PAGES: u64 = 256;
/// Most elements a job's table may have.
pub const MAX_TABLE_ELEMENTS: u64 = 10_000;
/// Highest fuel limit of one job (10^10: tens of seconds of interpretation).
pub const MAX_FUEL: u64 = 10_000_000_000;
/// Deepest call nesting; deeper calls trap with [`Trap::StackOverflow`].
pub const MAX_CALL_DEPTH: usize = 1_000;
/// Fuel of one host call, on top of the `call` instruction itself.
pub const HOST_CALL_FUEL: u64 = 8;
/// Bytes a host call copies per unit of fuel (as wasmi charges `memory.copy`).
pub const HOST_BYTES_PER_FUEL: u64 = 64;

/// A compute job as submitted: a WebAssembly module (binary format), its input and a fuel limit.
///
/// The fee and the chain side (assignment, commitments, payout) belong to the chain; this is
/// what the nodes execute.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobSpec {
    /// The module, in WebAssembly binary format.
    pub module: Vec<u8>,
    /// The bytes the job reads with `read_input`.
    pub input: Vec<u8>,
    /// Most fuel the job may use.
    pub fuel: u64,
}

impl JobSpec {
    /// A job whose module is given in the WebAssembly text format.
    ///
    /// # Errors
    /// [`WorkError::Wat`] if the text does not compile. The module is not validated here.
    pub fn from_wat(text: &str, input: Vec<u8>, fuel: u64) -> Result<JobSpec, WorkError> {
        Ok(JobSpec {
            module: compile_wat(text)?,
            input,
            fuel,
        })
    }

    /// Applies every submission rule: the module [`validate`]s, the input is at most
    /// [`MAX_INPUT_BYTES`], and the fuel limit is within `1..=`[`MAX_FUEL`].
    ///
    /// # Errors
    /// The first rule broken.
    pub fn check(&self) -> Result<ValidatedModule, WorkError> {
        exec::check_limits(self.input.len(), self.fuel)?;
        validate(&self.module)
    }

    /// Checks the job, then executes it.
    ///
    /// # Errors
    /// As [`JobSpec::check`] and [`execute`].
    pub fn run(&self) -> Result<Outcome, WorkError> {
        execute(&self.check()?, &self.input, self.fuel)
    }
}
