//! The job rules wasmi's validator does not know: no floating point anywhere, only the host ABI
//! as imports, no start function, the required exports, memory and table sizes.
//!
//! One pass over the module with wasmparser (the parser wasmi itself uses). Runs before wasmi's
//! full validation so a float is reported by name and place, not as a generic validator message.

use wasmparser::{
    BlockType, CompositeInnerType, ExternalKind, Operator, Parser, Payload, TypeRef, ValType,
};

use super::error::{FloatSite, WorkError};
use super::{MAX_MEMORY_PAGES, MAX_TABLE_ELEMENTS};

/// A function signature, as `(params, results)`; `None` for a non-function type.
type Sig = Option<(Vec<ValType>, Vec<ValType>)>;

/// The host ABI: `(name, params, results, text)`; the module name is `flux`.
const HOST_ABI: [(&str, &[ValType], &[ValType], &str); 3] = [
    ("input_len", &[], &[ValType::I32], "[] -> [i32]"),
    (
        "read_input",
        &[ValType::I32, ValType::I32, ValType::I32],
        &[ValType::I32],
        "[i32 i32 i32] -> [i32]",
    ),
    (
        "write_output",
        &[ValType::I32, ValType::I32],
        &[],
        "[i32 i32] -> []",
    ),
];

/// The import module of the host ABI.
pub(super) const HOST_MODULE: &str = "flux";

/// Checks the job rules on `wasm` (see the module docs). Malformed bytes give
/// [`WorkError::Malformed`] at the first byte the parser cannot read.
pub(super) fn scan(wasm: &[u8]) -> Result<(), WorkError> {
    let mut types: Vec<Sig> = Vec::new();
    // Type index of every function, imports first.
    let mut funcs: Vec<u32> = Vec::new();
    let mut imported_funcs: u32 = 0;
    let mut next_body: u32 = 0;
    let mut globals: u32 = 0;
    let mut run: Option<u32> = None;
    let mut memory_exported = false;

    for payload in Parser::new(0).parse_all(wasm) {
        match payload.map_err(malformed)? {
            Payload::Version {
                encoding, range, ..
            } if encoding != wasmparser::Encoding::Module => {
                return Err(WorkError::Malformed {
                    offset: range.start,
                    message: "a component, not a core module".into(),
                });
            }
            Payload::TypeSection(reader) => {
                for group in reader.into_iter_with_offsets() {
                    let (offset, group) = group.map_err(malformed)?;
                    for sub in group.into_types() {
                        let index = u32::try_from(types.len()).unwrap_or(u32::MAX);
                        let sig = match &sub.composite_type.inner {
                            CompositeInnerType::Func(f) => {
                                if f.params().iter().chain(f.results()).any(is_float) {
                                    let site = FloatSite::Type { index };
                                    return Err(WorkError::Float { site, offset });
                                }
                                Some((f.params().to_vec(), f.results().to_vec()))
                            }
                            _ => None,
                        };
                        types.push(sig);
                    }
                }
            }
            Payload::ImportSection(reader) => {
                for import in reader.into_iter_with_offsets() {
                    let (_, import) = import.map_err(malformed)?;
                    let bad = |expected| WorkError::BadImport {
                        module: import.module.into(),
                        name: import.name.into(),
                        expected,
                    };
                    let TypeRef::Func(ty) = import.ty else {
                        return Err(bad(None));
                    };
                    let abi = HOST_ABI.iter().find(|(name, ..)| *name == import.name);
                    let Some((_, params, results, text)) =
                        abi.filter(|_| import.module == HOST_MODULE)
                    else {
                        return Err(bad(None));
                    };
                    match types.get(ty as usize) {
                        Some(Some((p, r))) if p == params && r == results => {}
                        _ => return Err(bad(Some(text))),
                    }
                    funcs.push(ty);
                    imported_funcs = imported_funcs.saturating_add(1);
                }
            }
            Payload::FunctionSection(reader) => {
                for ty in reader {
                    funcs.push(ty.map_err(malformed)?);
                }
            }
            Payload::TableSection(reader) => {
                for table in reader {
                    let table = table.map_err(malformed)?;
                    if table.ty.initial > MAX_TABLE_ELEMENTS {
                        return Err(WorkError::TooBig {
                            what: "table elements",
                            initial: table.ty.initial,
                            max: MAX_TABLE_ELEMENTS,
                        });
                    }
                }
            }
            Payload::MemorySection(reader) => {
                for memory in reader {
                    let memory = memory.map_err(malformed)?;
                    if memory.initial > MAX_MEMORY_PAGES {
                        return Err(WorkError::TooBig {
                            what: "memory pages",
                            initial: memory.initial,
                            max: MAX_MEMORY_PAGES,
                        });
                    }
                }
            }
            Payload::GlobalSection(reader) => {
                for global in reader.into_iter_with_offsets() {
                    let (offset, global) = global.map_err(malformed)?;
                    if is_float(&global.ty.content_type) {
                        let site = FloatSite::Global { index: globals };
                        return Err(WorkError::Float { site, offset });
                    }
                    globals = globals.saturating_add(1);
                }
            }
            Payload::ExportSection(reader) => {
                for export in reader {
                    let export = export.map_err(malformed)?;
                    match (export.name, export.kind) {
                        ("run", ExternalKind::Func) => run = Some(export.index),
                        ("memory", ExternalKind::Memory) => memory_exported = true,
                        _ => {}
                    }
                }
            }
            Payload::StartSection { func, .. } => {
                return Err(WorkError::StartFunction { func });
            }
            Payload::CodeSectionEntry(body) => {
                let func = imported_funcs.saturating_add(next_body);
                next_body = next_body.saturating_add(1);
                scan_body(func, &body)?;
            }
            _ => {}
        }
    }

    if !memory_exported {
        return Err(WorkError::MissingExport {
            expected: "its memory as \"memory\"",
        });
    }
    let run_type = run
        .and_then(|f| funcs.get(f as usize))
        .and_then(|ty| types.get(*ty as usize));
    match run_type {
        Some(Some((p, r))) if p.is_empty() && r.is_empty() => Ok(()),
        _ => Err(WorkError::MissingExport {
            expected: "a function \"run\" of type [] -> []",
        }),
    }
}

/// Refuses float locals and instructions in the body of function `func`.
fn scan_body(func: u32, body: &wasmparser::FunctionBody<'_>) -> Result<(), WorkError> {
    let mut locals = body.get_locals_reader().map_err(malformed)?;
    for _ in 0..locals.get_count() {
        let offset = locals.original_position();
        let (_, ty) = locals.read().map_err(malformed)?;
        if is_float(&ty) {
            let site = FloatSite::Local { func };
            return Err(WorkError::Float { site, offset });
        }
    }
    let mut ops = body.get_operators_reader().map_err(malformed)?;
    // Open blocks, the function's own included: operators after its final `end` are refused
    // here, before wasmi's translator (which asserts they never reach it) sees them.
    let mut open: u32 = 1;
    while !ops.eof() {
        let (op, offset) = ops.read_with_offset().map_err(malformed)?;
        if open == 0 {
            return Err(WorkError::Malformed {
                offset,
                message: format!("operators after the end of function {func}"),
            });
        }
        match op {
            Operator::Block { .. } | Operator::Loop { .. } | Operator::If { .. } => {
                open = open.saturating_add(1)
            }
            Operator::End => open = open.saturating_sub(1),
            _ => {}
        }
        if let Some(name) = float_use(&op) {
            let site = FloatSite::Instruction { func, name };
            return Err(WorkError::Float { site, offset });
        }
    }
    Ok(())
}

fn is_float(ty: &ValType) -> bool {
    matches!(ty, ValType::F32 | ValType::F64)
}

/// The text-format name of `op` if it computes with, converts, loads, stores or is typed by a
/// float (`None` for integer-only operators).
fn float_use(op: &Operator<'_>) -> Option<String> {
    match op {
        Operator::Block { blockty } | Operator::Loop { blockty } | Operator::If { blockty } => {
            match blockty {
                BlockType::Type(ty) if is_float(ty) => {
                    Some(format!("{} (result {ty})", op_name(op)))
                }
                _ => None,
            }
        }
        Operator::TypedSelect { ty } if is_float(ty) => Some(format!("select (result {ty})")),
        _ => {
            let name = op_name(op);
            (name.contains("f32") || name.contains("f64")).then(|| text_name(name))
        }
    }
}

/// `f32_add` -> `f32.add`, `i32_trunc_f64_s` -> `i32.trunc_f64_s`: the text format puts a dot
/// after the type prefix of a numeric instruction.
fn text_name(name: &str) -> String {
    name.split_once('_')
        .map_or_else(|| name.to_owned(), |(ty, rest)| format!("{ty}.{rest}"))
}

/// Every operator's snake-case name (`f32_add`, `i32_trunc_sat_f64_u`, ...), from wasmparser's
/// own list of operators, so no float operator can be missed by a hand-written list.
macro_rules! define_op_name {
    ($( @$proposal:ident $op:ident $({ $($arg:ident: $argty:ty),* })? => $visit:ident ($($ann:tt)*))*) => {
        fn op_name(op: &Operator<'_>) -> &'static str {
            let visit = match op {
                $( Operator::$op { .. } => stringify!($visit), )*
                _ => "visit_unknown",
            };
            visit.strip_prefix("visit_").unwrap_or(visit)
        }
    };
}
wasmparser::for_each_operator!(define_op_name);

fn malformed(e: wasmparser::BinaryReaderError) -> WorkError {
    WorkError::Malformed {
        offset: e.offset(),
        message: e.message().into(),
    }
}
