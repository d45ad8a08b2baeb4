//! Submission checks and compilation: [`validate`] turns module bytes into a
//! [`ValidatedModule`] ready to [`execute`](super::execute) any number of times.

use core::fmt;
use std::sync::LazyLock;

use flux_core::Hash;
use flux_core::hash::Tag;
use wasmi::{CompilationMode, Config, EnforcedLimits, Engine, Module};

use super::error::WorkError;
use super::{MAX_CALL_DEPTH, MAX_MODULE_BYTES, scan};

/// Domain of a module's code hash.
static CODE_HASH: LazyLock<Tag> = LazyLock::new(|| Tag::new("flux/work/module/v1"));

/// wasmi's value stack limit, in cells (wasmi's default, stated here because it is consensus:
/// deep recursion traps at the same point on every node).
const MAX_STACK_CELLS: usize = 1_000_000;

/// A module that passed every submission rule, compiled for execution.
///
/// Cheap to clone (the compiled code is shared).
#[derive(Clone)]
pub struct ValidatedModule {
    pub(super) engine: Engine,
    pub(super) module: Module,
    code_hash: Hash,
    size: usize,
}

impl ValidatedModule {
    /// `Hash::tagged("flux/work/module/v1", module bytes)`: names the code of a job.
    pub fn code_hash(&self) -> Hash {
        self.code_hash
    }

    /// The module's size in bytes.
    pub fn size(&self) -> usize {
        self.size
    }
}

impl fmt::Debug for ValidatedModule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ValidatedModule")
            .field("code_hash", &self.code_hash)
            .field("size", &self.size)
            .finish_non_exhaustive()
    }
}

/// The interpreter configuration of every job. Each setting is consensus: it decides which
/// modules are valid and how much fuel and stack a run takes.
fn config() -> Config {
    let mut config = Config::default();
    config
        .consume_fuel(true)
        // Compile everything at submission: no translation fuel charged lazily at run time,
        // and a module that cannot be compiled is refused up front.
        .compilation_mode(CompilationMode::Eager)
        .floats(false)
        .wasm_saturating_float_to_int(false)
        .wasm_reference_types(false)
        .wasm_tail_call(false)
        .wasm_extended_const(false)
        .wasm_multi_memory(false)
        .wasm_custom_page_sizes(false)
        .wasm_wide_arithmetic(false)
        .allow_start_fn(false)
        .ignore_custom_sections(true)
        .set_max_recursion_depth(MAX_CALL_DEPTH)
        .set_max_stack_height(MAX_STACK_CELLS)
        // Bounds on globals, functions, segments, parameters... against compile-time attacks.
        .enforced_limits(EnforcedLimits::strict());
    config
}

/// Checks `module` against every submission rule and compiles it.
///
/// The rules: at most [`MAX_MODULE_BYTES`](super::MAX_MODULE_BYTES); a valid core WebAssembly
/// module (MVP plus mutable globals, sign extension, multi-value and bulk memory); no floating
/// point anywhere; imports only from the host ABI; no start function; exports `"memory"` and
/// `"run": [] -> []`; memory and tables no larger than the limits (see the [module
/// docs](super)); and wasmi's strict compile limits (at most 10,000 functions, 1,000 globals,
/// 1,000 data and 1,000 element segments, 32 parameters and 32 results per function, and
/// function bodies of at least 40 bytes on average once they total 1,000 bytes), which bound
/// the cost of compiling a hostile module. A 1 MiB module validates in about 30 ms.
///
/// # Errors
/// The first rule broken: [`WorkError::ModuleTooLarge`], [`WorkError::Malformed`],
/// [`WorkError::Float`], [`WorkError::BadImport`], [`WorkError::StartFunction`],
/// [`WorkError::MissingExport`], [`WorkError::TooBig`]. Never panics, whatever the bytes.
pub fn validate(module: &[u8]) -> Result<ValidatedModule, WorkError> {
    if module.len() > MAX_MODULE_BYTES {
        return Err(WorkError::ModuleTooLarge {
            size: module.len(),
            max: MAX_MODULE_BYTES,
        });
    }
    scan::scan(module)?;
    let engine = Engine::new(&config());
    let compiled = Module::new(&engine, module).map_err(|e| WorkError::Malformed {
        offset: 0,
        message: e.to_string(),
    })?;
    Ok(ValidatedModule {
        engine,
        module: compiled,
        code_hash: CODE_HASH.hash(module),
        size: module.len(),
    })
}

/// Compiles WebAssembly text to the binary format (the module is not validated).
///
/// # Errors
/// [`WorkError::Wat`] with the parser's message, line and column.
pub fn compile_wat(text: &str) -> Result<Vec<u8>, WorkError> {
    wat::parse_str(text).map_err(|e| WorkError::Wat {
        message: e.to_string(),
    })
}
