//! Submission rules: floats, imports, exports, start functions, sizes, malformed bytes.

use super::super::{FloatSite, MAX_MODULE_BYTES, validate};
use super::{ECHO, WorkError, compile_wat, run_body, validated, with_abi};

/// The float site of a refused module.
fn float_site(text: &str) -> FloatSite {
    match validated(text) {
        Err(WorkError::Float { site, offset }) => {
            assert!(offset > 8, "offset {offset} points into the module");
            site
        }
        other => panic!("expected a float error, got {other:?}"),
    }
}

/// The instruction named by a refused body.
fn float_instruction(body: &str) -> String {
    match float_site(&run_body(body)) {
        // Functions 0..3 are the imports; `run` is function 3.
        FloatSite::Instruction { func: 3, name } => name,
        other => panic!("expected an instruction in function 3, got {other:?}"),
    }
}

#[test]
fn echo_is_valid() {
    let module = validated(&run_body(ECHO)).unwrap();
    assert!(module.size() > 0);
    let again = validated(&run_body(ECHO)).unwrap();
    assert_eq!(module.code_hash(), again.code_hash());
}

#[test]
fn float_instructions_are_named() {
    let cases = [
        ("(drop (f32.const 1.5))", "f32.const"),
        ("(drop (f64.const 0))", "f64.const"),
        (
            "(drop (f64.convert_i32_s (i32.const 1)))",
            "f64.convert_i32_s",
        ),
        ("(drop (i32.trunc_f32_s (unreachable)))", "i32.trunc_f32_s"),
        (
            "(drop (i64.trunc_sat_f64_u (unreachable)))",
            "i64.trunc_sat_f64_u",
        ),
        (
            "(drop (f32.reinterpret_i32 (i32.const 7)))",
            "f32.reinterpret_i32",
        ),
        (
            "(drop (i64.reinterpret_f64 (unreachable)))",
            "i64.reinterpret_f64",
        ),
        ("(drop (f64.load (i32.const 0)))", "f64.load"),
        ("(f32.store (i32.const 0) (unreachable))", "f32.store"),
        ("(drop (f32.add (unreachable) (unreachable)))", "f32.add"),
        ("(drop (f64.sqrt (unreachable)))", "f64.sqrt"),
        ("(drop (f32.demote_f64 (unreachable)))", "f32.demote_f64"),
        (
            "(drop (block (result f32) (unreachable)))",
            "block (result f32)",
        ),
        (
            "(drop (if (result f64) (i32.const 1) (then (unreachable)) (else (unreachable))))",
            "if (result f64)",
        ),
    ];
    for (body, name) in cases {
        assert_eq!(float_instruction(body), name, "{body}");
    }
}

#[test]
fn float_types_are_refused() {
    // A float parameter: its type is refused before any code is read.
    let site = float_site(&with_abi(r#"(func (export "run")) (func (param f32))"#));
    assert!(matches!(site, FloatSite::Type { .. }), "{site:?}");
    let site = float_site(&with_abi(
        r#"(func (export "run")) (func (result f64) unreachable)"#,
    ));
    assert!(matches!(site, FloatSite::Type { .. }), "{site:?}");
    // A float global (the first global: index 0).
    let site = float_site(&with_abi(
        r#"(global $g (mut f64) (f64.const 0)) (func (export "run"))"#,
    ));
    assert_eq!(site, FloatSite::Global { index: 0 });
    // A float local, unused.
    let site = float_site(&run_body("(local $x i32) (local $y f32)"));
    assert_eq!(site, FloatSite::Local { func: 3 });
}

#[test]
fn float_errors_say_what_and_where() {
    let err = validated(&run_body("(drop (f32.const 1))")).unwrap_err();
    let text = err.to_string();
    assert!(text.contains("function 3"), "{text}");
    assert!(text.contains("f32.const"), "{text}");
}

#[test]
fn imports_other_than_the_abi_are_refused() {
    let err = validated(r#"(module (import "env" "abort" (func)) (memory (export "memory") 1) (func (export "run")))"#)
        .unwrap_err();
    assert!(
        matches!(err, WorkError::BadImport { expected: None, .. }),
        "{err:?}"
    );
    let err = validated(r#"(module (import "flux" "clock" (func (result i64))) (memory (export "memory") 1) (func (export "run")))"#)
        .unwrap_err();
    assert!(
        matches!(err, WorkError::BadImport { ref name, .. } if name == "clock"),
        "{err:?}"
    );
    // The right name with the wrong type says which type the ABI has.
    let err = validated(r#"(module (import "flux" "input_len" (func (result i64))) (memory (export "memory") 1) (func (export "run")))"#)
        .unwrap_err();
    assert_eq!(
        err,
        WorkError::BadImport {
            module: "flux".into(),
            name: "input_len".into(),
            expected: Some("[] -> [i32]"),
        }
    );
    // Memories, globals and tables cannot be imported.
    let err = validated(r#"(module (import "flux" "memory" (memory 1)) (export "memory" (memory 0)) (func (export "run")))"#)
        .unwrap_err();
    assert!(matches!(err, WorkError::BadImport { .. }), "{err:?}");
    let err = validated(r#"(module (import "flux" "g" (global i32)) (memory (export "memory") 1) (func (export "run")))"#)
        .unwrap_err();
    assert!(matches!(err, WorkError::BadImport { .. }), "{err:?}");
}

#[test]
fn exports_are_required() {
    let no_run = with_abi(r#"(func (export "main"))"#);
    assert!(matches!(
        validated(&no_run),
        Err(WorkError::MissingExport { .. })
    ));
    let wrong_type = with_abi(r#"(func (export "run") (param i32))"#);
    assert!(matches!(
        validated(&wrong_type),
        Err(WorkError::MissingExport { .. })
    ));
    let returns = with_abi(r#"(func (export "run") (result i32) (i32.const 0))"#);
    assert!(matches!(
        validated(&returns),
        Err(WorkError::MissingExport { .. })
    ));
    let no_memory = r#"(module (memory 1) (func (export "run")))"#;
    let err = validated(no_memory).unwrap_err();
    assert!(err.to_string().contains("\"memory\""), "{err}");
    // `run` may be any function of the right type, even an export of another name too.
    assert!(
        validated(&with_abi(
            r#"(func $f) (export "run" (func $f)) (export "other" (func $f))"#
        ))
        .is_ok()
    );
}

#[test]
fn start_functions_are_refused() {
    let text = with_abi(r#"(func $init) (start $init) (func (export "run"))"#);
    assert_eq!(
        validated(&text).unwrap_err(),
        WorkError::StartFunction { func: 3 }
    );
}

#[test]
fn sizes_are_bounded() {
    let big = vec![0u8; MAX_MODULE_BYTES + 1];
    assert!(matches!(
        validate(&big),
        Err(WorkError::ModuleTooLarge { .. })
    ));
    let memory = r#"(module (memory (export "memory") 257) (func (export "run")))"#;
    assert!(matches!(
        validated(memory),
        Err(WorkError::TooBig { initial: 257, .. })
    ));
    let table =
        r#"(module (memory (export "memory") 1) (table 10001 funcref) (func (export "run")))"#;
    assert!(matches!(validated(table), Err(WorkError::TooBig { .. })));
    // A memory may declare a larger maximum: growth past the limit fails at run time.
    let max = r#"(module (memory (export "memory") 1 65536) (func (export "run")))"#;
    assert!(validated(max).is_ok());
}

#[test]
fn malformed_and_unsupported_modules_are_refused() {
    for bytes in [
        &b""[..],
        b"\0asm",
        b"\0asm\x01\0\0\0\x01",
        b"not wasm at all",
    ] {
        assert!(
            matches!(validate(bytes), Err(WorkError::Malformed { .. })),
            "{bytes:?}"
        );
    }
    // Invalid code (type mismatch) is caught by wasmi's validator.
    let err = validated(&run_body("(drop (i32.add (i32.const 1) (i64.const 2)))")).unwrap_err();
    assert!(matches!(err, WorkError::Malformed { .. }), "{err:?}");
    // Two memories, reference types and tail calls are not enabled.
    for items in [
        r#"(memory 1) (func (export "run"))"#,
        r#"(table 1 externref) (func (export "run"))"#,
        r#"(func $f) (func (export "run") (return_call $f))"#,
    ] {
        let err = validated(&with_abi(items)).unwrap_err();
        assert!(
            matches!(err, WorkError::Malformed { .. }),
            "{items}: {err:?}"
        );
    }
}

#[test]
fn operators_after_the_end_of_a_function_are_refused() {
    // `run` is `end i32.const 0 drop end`: wasmi's translator must never see code past the
    // function's end (it debug-asserts; found by fuzzing).
    let bytes = [
        &b"\0asm\x01\0\0\0"[..],
        &[0x01, 0x04, 0x01, 0x60, 0x00, 0x00], // type 0: [] -> []
        &[0x03, 0x02, 0x01, 0x00],             // function 0: type 0
        &[0x05, 0x03, 0x01, 0x00, 0x01],       // memory 0: 1 page
        &[0x07, 0x10, 0x02, 0x06],
        b"memory",
        &[0x02, 0x00, 0x03],
        b"run",
        &[0x00, 0x00],
        &[0x0a, 0x08, 0x01, 0x06, 0x00, 0x0b, 0x41, 0x00, 0x1a, 0x0b],
    ]
    .concat();
    let err = validate(&bytes).unwrap_err();
    assert!(
        matches!(err, WorkError::Malformed { ref message, .. } if message.contains("after the end")),
        "{err:?}"
    );
    // The same module without the trailing code is valid.
    let mut fixed = bytes[..bytes.len() - 10].to_vec();
    fixed.extend([0x0a, 0x04, 0x01, 0x02, 0x00, 0x0b]);
    assert!(validate(&fixed).is_ok());
}

#[test]
fn bad_text_is_a_typed_error() {
    let err = compile_wat("(module (func (export \"run\") (i32.frobnicate)))").unwrap_err();
    let WorkError::Wat { message } = err else {
        panic!("expected a text error");
    };
    assert!(
        message.contains("frobnicate") || message.contains("unknown"),
        "{message}"
    );
}
