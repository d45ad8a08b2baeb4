//! [`execute`]: one metered run of a validated job, with the three host functions of the ABI.

use wasmi::{Caller, Error, Linker, Memory, Store, StoreLimits, StoreLimitsBuilder, TrapCode};

use super::engine::ValidatedModule;
use super::error::WorkError;
use super::outcome::{Outcome, Status, Trap};
use super::scan::HOST_MODULE;
use super::{
    HOST_BYTES_PER_FUEL, HOST_CALL_FUEL, MAX_FUEL, MAX_INPUT_BYTES, MAX_MEMORY_PAGES,
    MAX_OUTPUT_BYTES, MAX_TABLE_ELEMENTS,
};

/// What a running job can reach: its input, its output so far and its memory.
struct Job {
    input: Vec<u8>,
    output: Vec<u8>,
    memory: Option<Memory>,
    limits: StoreLimits,
    /// A trap raised by a host function that wasmi has no code for.
    host_trap: Option<Trap>,
}

/// The submission rules on input and fuel.
pub(super) fn check_limits(input_len: usize, fuel: u64) -> Result<(), WorkError> {
    if input_len > MAX_INPUT_BYTES {
        return Err(WorkError::InputTooLarge {
            size: input_len,
            max: MAX_INPUT_BYTES,
        });
    }
    if fuel == 0 || fuel > MAX_FUEL {
        return Err(WorkError::BadFuel {
            fuel,
            max: MAX_FUEL,
        });
    }
    Ok(())
}

/// Runs `module`'s `run` on `input` with at most `fuel` fuel.
///
/// Deterministic: the same module, input and fuel give the same [`Outcome`] on every machine.
/// A trap or running out of fuel is an `Ok` outcome with that [`Status`].
///
/// # Errors
/// [`WorkError::InputTooLarge`] and [`WorkError::BadFuel`] (nothing runs), and
/// [`WorkError::Engine`] if the interpreter fails for a reason that is not the job's (no
/// result should be reported then). Never panics, whatever the module does.
pub fn execute(module: &ValidatedModule, input: &[u8], fuel: u64) -> Result<Outcome, WorkError> {
    check_limits(input.len(), fuel)?;
    let pages_bytes = usize::try_from(MAX_MEMORY_PAGES * 65_536).unwrap_or(usize::MAX);
    let limits = StoreLimitsBuilder::new()
        .memory_size(pages_bytes)
        .table_elements(usize::try_from(MAX_TABLE_ELEMENTS).unwrap_or(usize::MAX))
        .instances(1)
        .memories(1)
        .tables(1)
        .build();
    let job = Job {
        input: input.to_vec(),
        output: Vec::new(),
        memory: None,
        limits,
        host_trap: None,
    };
    let mut store = Store::new(&module.engine, job);
    store.limiter(|job| &mut job.limits);
    store.set_fuel(fuel).map_err(engine)?;

    let mut linker = Linker::<Job>::new(&module.engine);
    linker
        .func_wrap(HOST_MODULE, "input_len", input_len)
        .and_then(|l| l.func_wrap(HOST_MODULE, "read_input", read_input))
        .and_then(|l| l.func_wrap(HOST_MODULE, "write_output", write_output))
        .map_err(|e| engine(e.into()))?;

    // Instantiation runs no code (start functions are refused) but writes the data and element
    // segments, which may be out of bounds: a trap like any other.
    let instance = match linker.instantiate_and_start(&mut store, &module.module) {
        Ok(instance) => instance,
        Err(e) => return ended(&store, e, fuel),
    };
    let memory = instance.get_memory(&store, "memory");
    store.data_mut().memory = memory;
    let run = instance
        .get_typed_func::<(), ()>(&store, "run")
        .map_err(engine)?;
    match run.call(&mut store, ()) {
        Ok(()) => {
            let fuel_used = fuel_used(&store, fuel)?;
            Ok(Outcome {
                status: Status::Completed,
                output: std::mem::take(&mut store.data_mut().output),
                fuel_used,
            })
        }
        Err(e) => ended(&store, e, fuel),
    }
}

/// The outcome of a run that stopped with `e`.
fn ended(store: &Store<Job>, e: Error, fuel: u64) -> Result<Outcome, WorkError> {
    let trap = match (store.data().host_trap, e.as_trap_code()) {
        (Some(trap), _) => trap,
        (None, Some(TrapCode::OutOfFuel)) => {
            return Ok(Outcome {
                status: Status::OutOfFuel,
                output: Vec::new(),
                fuel_used: fuel,
            });
        }
        (None, Some(code)) => match code {
            TrapCode::UnreachableCodeReached => Trap::Unreachable,
            TrapCode::MemoryOutOfBounds => Trap::MemoryOutOfBounds,
            TrapCode::TableOutOfBounds => Trap::TableOutOfBounds,
            TrapCode::IndirectCallToNull => Trap::IndirectCallToNull,
            TrapCode::IntegerDivisionByZero => Trap::IntegerDivisionByZero,
            TrapCode::IntegerOverflow => Trap::IntegerOverflow,
            TrapCode::BadSignature => Trap::BadSignature,
            TrapCode::StackOverflow => Trap::StackOverflow,
            TrapCode::GrowthOperationLimited => Trap::GrowthLimited,
            // Out of host memory is the machine's state, not the job's: no result. (Float
            // conversions cannot happen: floats are refused.)
            _ => return Err(engine(e)),
        },
        (None, None) => return Err(engine(e)),
    };
    Ok(Outcome {
        status: Status::Trapped(trap),
        output: Vec::new(),
        fuel_used: fuel_used(store, fuel)?,
    })
}

fn fuel_used(store: &Store<Job>, fuel: u64) -> Result<u64, WorkError> {
    let left = store.get_fuel().map_err(engine)?;
    Ok(fuel.saturating_sub(left))
}

fn engine(e: Error) -> WorkError {
    WorkError::Engine {
        message: e.to_string(),
    }
}

/// Raises `trap` from a host function.
fn host_trap(caller: &mut Caller<'_, Job>, trap: Trap) -> Error {
    caller.data_mut().host_trap = Some(trap);
    Error::new(trap.to_string())
}

/// Charges a host call that copies `bytes` bytes.
fn charge(caller: &mut Caller<'_, Job>, bytes: usize) -> Result<(), Error> {
    let bytes = u64::try_from(bytes).unwrap_or(u64::MAX);
    let cost = HOST_CALL_FUEL.saturating_add(bytes.div_ceil(HOST_BYTES_PER_FUEL));
    let left = caller.get_fuel()?;
    if left < cost {
        caller.set_fuel(0)?;
        return Err(Error::from(TrapCode::OutOfFuel));
    }
    caller.set_fuel(left - cost)
}

/// The memory and the job state of a host call; a trap if the job has no memory (cannot
/// happen after validation, but must not panic).
fn memory_of<'a>(caller: &'a mut Caller<'_, Job>) -> Result<(&'a mut [u8], &'a mut Job), Error> {
    match caller.data().memory {
        Some(memory) => Ok(memory.data_and_store_mut(caller)),
        None => Err(host_trap(caller, Trap::MemoryOutOfBounds)),
    }
}

/// `input_len() -> i32`.
fn input_len(mut caller: Caller<'_, Job>) -> Result<i32, Error> {
    charge(&mut caller, 0)?;
    Ok(i32::try_from(caller.data().input.len()).unwrap_or(i32::MAX))
}

/// `read_input(dst, offset, len) -> i32`: copies what there is of `input[offset..offset+len]`.
fn read_input(mut caller: Caller<'_, Job>, dst: i32, offset: i32, len: i32) -> Result<i32, Error> {
    let (dst, offset, len) = (
        dst as u32 as usize,
        offset as u32 as usize,
        len as u32 as usize,
    );
    let available = caller.data().input.len().saturating_sub(offset);
    let n = len.min(available);
    charge(&mut caller, n)?;
    let (mem, job) = memory_of(&mut caller)?;
    let Some(target) = dst.checked_add(n).and_then(|end| mem.get_mut(dst..end)) else {
        return Err(host_trap(&mut caller, Trap::MemoryOutOfBounds));
    };
    // `n > 0` implies `offset + n <= input.len()`.
    if let Some(source) = job.input.get(offset..offset + n) {
        target.copy_from_slice(source);
    }
    Ok(i32::try_from(n).unwrap_or(i32::MAX))
}

/// `write_output(src, len)`: appends `memory[src..src+len]` to the output.
fn write_output(mut caller: Caller<'_, Job>, src: i32, len: i32) -> Result<(), Error> {
    let (src, len) = (src as u32 as usize, len as u32 as usize);
    if caller.data().output.len().saturating_add(len) > MAX_OUTPUT_BYTES {
        return Err(host_trap(&mut caller, Trap::OutputTooLarge));
    }
    charge(&mut caller, len)?;
    let (mem, job) = memory_of(&mut caller)?;
    let Some(source) = src.checked_add(len).and_then(|end| mem.get(src..end)) else {
        return Err(host_trap(&mut caller, Trap::MemoryOutOfBounds));
    };
    job.output.extend_from_slice(source);
    Ok(())
}
