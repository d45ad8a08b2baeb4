//! Tests of the job engine: submission rules ([`validate`](super::validate)), execution and its
//! outcomes, the example jobs against Rust references, and property tests.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod execute;
mod jobs;
mod prop;
mod reference;
mod validate;

use super::{JobSpec, Outcome, ValidatedModule, WorkError, compile_wat, validate};

/// A job module with the host ABI imported, one page of memory exported, and `items`.
fn with_abi(items: &str) -> String {
    format!(
        r#"(module
  (import "flux" "input_len" (func $input_len (result i32)))
  (import "flux" "read_input" (func $read_input (param i32 i32 i32) (result i32)))
  (import "flux" "write_output" (func $write_output (param i32 i32)))
  (memory (export "memory") 1)
  {items})"#
    )
}

/// `with_abi` plus `(func (export "run") body)`.
fn run_body(body: &str) -> String {
    with_abi(&format!(r#"(func (export "run") {body})"#))
}

/// Compiles and validates `text`.
fn validated(text: &str) -> Result<ValidatedModule, WorkError> {
    validate(&compile_wat(text).unwrap())
}

/// Validates and runs `text` on `input`.
fn run(text: &str, input: &[u8], fuel: u64) -> Outcome {
    JobSpec::from_wat(text, input.to_vec(), fuel)
        .unwrap()
        .run()
        .unwrap()
}

/// Copies the input to memory at 0 and outputs it.
const ECHO: &str = r#"
    (local $n i32)
    (local.set $n (call $read_input (i32.const 0) (i32.const 0) (call $input_len)))
    (call $write_output (i32.const 0) (local.get $n))"#;
