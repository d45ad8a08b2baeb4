//! [`WorkError`]: why a job was refused, at submission or before it runs.

use core::fmt;

use thiserror::Error;

/// Where a module uses floating point (see [`WorkError::Float`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FloatSite {
    /// A function type of the type section has an `f32`/`f64` parameter or result.
    Type {
        /// Index in the type section.
        index: u32,
    },
    /// A global has type `f32`/`f64`.
    Global {
        /// Index among the module's globals.
        index: u32,
    },
    /// A function declares an `f32`/`f64` local.
    Local {
        /// Function index (imports first, as in the binary format).
        func: u32,
    },
    /// A function uses a float instruction, or a block or `select` typed `f32`/`f64`.
    Instruction {
        /// Function index (imports first, as in the binary format).
        func: u32,
        /// The instruction, in text-format spelling (e.g. `f32.add`, `i32.trunc_f64_s`).
        name: String,
    },
}

impl fmt::Display for FloatSite {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FloatSite::Type { index } => write!(f, "type {index} has a float parameter or result"),
            FloatSite::Global { index } => write!(f, "global {index} is a float"),
            FloatSite::Local { func } => write!(f, "function {func} declares a float local"),
            FloatSite::Instruction { func, name } => {
                write!(f, "function {func} uses the float instruction `{name}`")
            }
        }
    }
}

/// Why a job module, input or fuel limit was refused. Each variant is one rule of
/// [`validate`](super::validate) or [`execute`](super::execute); a refused job never runs.
///
/// What happens while a job runs (a trap, running out of fuel, too much output) is not an
/// error: it is the job's deterministic [`Status`](super::Status).
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum WorkError {
    /// The module is larger than [`MAX_MODULE_BYTES`](super::MAX_MODULE_BYTES).
    #[error("module is {size} bytes, at most {max} allowed")]
    ModuleTooLarge {
        /// The module's size.
        size: usize,
        /// The limit.
        max: usize,
    },
    /// The input is larger than [`MAX_INPUT_BYTES`](super::MAX_INPUT_BYTES).
    #[error("input is {size} bytes, at most {max} allowed")]
    InputTooLarge {
        /// The input's size.
        size: usize,
        /// The limit.
        max: usize,
    },
    /// The fuel limit is zero or above [`MAX_FUEL`](super::MAX_FUEL).
    #[error("fuel limit {fuel} is not within 1..={max}")]
    BadFuel {
        /// The fuel asked for.
        fuel: u64,
        /// The limit.
        max: u64,
    },
    /// The text format does not compile to a module.
    #[error("WebAssembly text does not compile: {message}")]
    Wat {
        /// The text parser's message (with line and column).
        message: String,
    },
    /// The bytes are not a well-formed, valid WebAssembly module (or use a feature jobs may not
    /// use: SIMD, threads, reference types, tail calls, several memories, 64-bit memory...).
    #[error("invalid module at byte {offset}: {message}")]
    Malformed {
        /// Byte offset in the module where the parser or validator stopped (0 if unknown).
        offset: usize,
        /// The parser's or validator's message.
        message: String,
    },
    /// The module uses floating point, whose results (NaN bit patterns) may differ between
    /// machines. The first use found is named.
    #[error("floating point is not allowed in jobs: {site} (byte {offset})")]
    Float {
        /// Where.
        site: FloatSite,
        /// Byte offset in the module.
        offset: usize,
    },
    /// An import other than the host ABI (module `flux`: `input_len`, `read_input`,
    /// `write_output`, with their exact signatures).
    #[error("import {module}.{name} is not part of the job ABI{}", expected_sig(.expected))]
    BadImport {
        /// The import's module name.
        module: String,
        /// The import's field name.
        name: String,
        /// The signature the ABI gives this name, when the name is right but the type is not.
        expected: Option<&'static str>,
    },
    /// The module has a start function (jobs have one entry point, `run`).
    #[error("start functions are not allowed (function {func})")]
    StartFunction {
        /// The start function's index.
        func: u32,
    },
    /// A required export is missing or has the wrong kind or type.
    #[error("the module must export {expected}")]
    MissingExport {
        /// What is required, e.g. `a function "run" of type [] -> []`.
        expected: &'static str,
    },
    /// A memory or table starts larger than a job may have.
    #[error("{what} starts at {initial}, at most {max} allowed")]
    TooBig {
        /// `"memory pages"` or `"table elements"`.
        what: &'static str,
        /// Its initial size.
        initial: u64,
        /// The limit.
        max: u64,
    },
    /// The interpreter failed in a way that is not the job's doing (the host out of memory, or
    /// a bug). Not a result: a node that gets this reports nothing for the job.
    #[error("interpreter failure: {message}")]
    Engine {
        /// The interpreter's message.
        message: String,
    },
}

fn expected_sig(expected: &Option<&'static str>) -> String {
    match expected {
        Some(sig) => format!(" (expected type {sig})"),
        None => String::new(),
    }
}
