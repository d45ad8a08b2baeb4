//! Execution: outcomes, traps, fuel, limits, host calls.

use super::super::{
    HOST_CALL_FUEL, MAX_FUEL, MAX_INPUT_BYTES, MAX_OUTPUT_BYTES, Outcome, Status, Trap, execute,
};
use super::{ECHO, WorkError, run, run_body, validated, with_abi};

#[test]
fn echo_returns_its_input() {
    let out = run(&run_body(ECHO), b"hello, flux", 10_000);
    assert_eq!(out.status, Status::Completed);
    assert_eq!(out.output, b"hello, flux");
    assert!(out.fuel_used >= 2 * HOST_CALL_FUEL, "{out:?}");
    // Same job, same outcome, also on a freshly compiled module.
    assert_eq!(run(&run_body(ECHO), b"hello, flux", 10_000), out);
    assert_eq!(run(&run_body(ECHO), b"hello, flux", 99_999), out);
}

#[test]
fn input_and_fuel_limits_are_submission_rules() {
    let module = validated(&run_body(ECHO)).unwrap();
    let big = vec![0; MAX_INPUT_BYTES + 1];
    assert!(matches!(
        execute(&module, &big, 1_000),
        Err(WorkError::InputTooLarge { .. })
    ));
    assert!(matches!(
        execute(&module, b"", 0),
        Err(WorkError::BadFuel { .. })
    ));
    assert!(matches!(
        execute(&module, b"", MAX_FUEL + 1),
        Err(WorkError::BadFuel { .. })
    ));
    assert!(execute(&module, &vec![7; MAX_INPUT_BYTES], MAX_FUEL).is_ok());
}

#[test]
fn out_of_fuel_is_deterministic() {
    let spin = run_body("(loop $l (br $l))");
    let module = validated(&spin).unwrap();
    for fuel in [1, 2, 3, 1_000, 123_457] {
        let a = execute(&module, b"", fuel).unwrap();
        assert_eq!(a.status, Status::OutOfFuel);
        assert_eq!(a.fuel_used, fuel);
        assert!(a.output.is_empty());
        assert_eq!(execute(&module, b"", fuel).unwrap(), a);
    }
    // Output written before the fuel ran out is discarded.
    let writes = run_body("(loop $l (call $write_output (i32.const 0) (i32.const 4)) (br $l))");
    let out = run(&writes, b"", 10_000);
    assert_eq!(
        (out.status, out.output.len(), out.fuel_used),
        (Status::OutOfFuel, 0, 10_000)
    );
}

#[test]
fn exactly_the_fuel_used_suffices() {
    let module = validated(&run_body(ECHO)).unwrap();
    let input = vec![3u8; 5_000];
    let full = execute(&module, &input, 1_000_000).unwrap();
    assert_eq!(full.status, Status::Completed);
    assert_eq!(execute(&module, &input, full.fuel_used).unwrap(), full);
    let short = execute(&module, &input, full.fuel_used - 1).unwrap();
    assert_eq!(short.status, Status::OutOfFuel);
}

#[test]
fn host_copies_cost_fuel_by_size() {
    let module = validated(&run_body(ECHO)).unwrap();
    let small = execute(&module, &[1; 64], 1_000_000).unwrap();
    let large = execute(&module, &[1; 64 * 101], 1_000_000).unwrap();
    // 100 more blocks of 64 bytes, read and written.
    assert_eq!(large.fuel_used - small.fuel_used, 200);
}

#[test]
fn traps_are_outcomes() {
    let cases = [
        ("unreachable", Trap::Unreachable),
        (
            "(drop (i32.div_u (i32.const 1) (i32.const 0)))",
            Trap::IntegerDivisionByZero,
        ),
        (
            "(drop (i32.div_s (i32.const 0x80000000) (i32.const -1)))",
            Trap::IntegerOverflow,
        ),
        (
            "(drop (i32.load (i32.const 65535)))",
            Trap::MemoryOutOfBounds,
        ),
        // The host refuses copies out of memory both ways.
        (
            "(drop (call $read_input (i32.const 65535) (i32.const 0) (i32.const 2)))",
            Trap::MemoryOutOfBounds,
        ),
        (
            "(call $write_output (i32.const 65535) (i32.const 2))",
            Trap::MemoryOutOfBounds,
        ),
        (
            "(call $write_output (i32.const -1) (i32.const -1))",
            Trap::OutputTooLarge,
        ),
    ];
    for (body, trap) in cases {
        let out = run(&run_body(body), b"abc", 10_000);
        assert_eq!(out.status, Status::Trapped(trap), "{body}");
        assert!(out.output.is_empty());
        assert!(
            out.fuel_used > 0 && out.fuel_used < 10_000,
            "{body}: {out:?}"
        );
        assert_eq!(run(&run_body(body), b"abc", 10_000), out, "{body}");
    }
}

#[test]
fn table_traps_are_outcomes() {
    let text = with_abi(
        r#"(type $v (func)) (type $i (func (result i32)))
           (table 2 funcref) (elem (i32.const 0) $f)
           (func $f)
           (func (export "run")
             (if (i32.eqz (call $input_len)) (then (call_indirect (type $v) (i32.const 5))))
             (if (i32.eq (call $input_len) (i32.const 1)) (then (call_indirect (type $v) (i32.const 1))))
             (drop (call_indirect (type $i) (i32.const 0))))"#,
    );
    let status = |input: &[u8]| run(&text, input, 10_000).status;
    assert_eq!(status(b""), Status::Trapped(Trap::TableOutOfBounds));
    assert_eq!(status(b"x"), Status::Trapped(Trap::IndirectCallToNull));
    assert_eq!(status(b"xy"), Status::Trapped(Trap::BadSignature));
}

#[test]
fn deep_recursion_traps_the_same_way_every_time() {
    let text = with_abi(r#"(func $down (call $down)) (func (export "run") (call $down))"#);
    let out = run(&text, b"", 10_000_000);
    assert_eq!(out.status, Status::Trapped(Trap::StackOverflow));
    assert_eq!(run(&text, b"", 10_000_000), out);
}

#[test]
fn a_data_segment_out_of_bounds_traps_at_instantiation() {
    let text = with_abi(r#"(data (i32.const 65535) "ab") (func (export "run"))"#);
    let out = run(&text, b"", 1_000);
    assert_eq!(out.status, Status::Trapped(Trap::MemoryOutOfBounds));
}

#[test]
fn output_is_capped() {
    // 64 KiB per write: the 17th write passes 1 MiB.
    let body = "(loop $l (call $write_output (i32.const 0) (i32.const 65536)) (br $l))";
    let out = run(&run_body(body), b"", 10_000_000);
    assert_eq!(out.status, Status::Trapped(Trap::OutputTooLarge));
    // Exactly the limit is fine.
    let body = "(local $i i32)
        (loop $l
          (call $write_output (i32.const 0) (i32.const 65536))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br_if $l (i32.lt_u (local.get $i) (i32.const 16))))";
    let out = run(&run_body(body), b"", 10_000_000);
    assert_eq!(out.status, Status::Completed);
    assert_eq!(out.output.len(), MAX_OUTPUT_BYTES);
}

#[test]
fn memory_grows_up_to_the_limit_only() {
    // Output: memory.grow results (i32 LE) of +255 pages (to 256), then +1, then +300.
    let body = "
        (i32.store (i32.const 0) (memory.grow (i32.const 255)))
        (i32.store (i32.const 4) (memory.grow (i32.const 1)))
        (i32.store (i32.const 8) (memory.grow (i32.const 300)))
        (i32.store (i32.const 12) (memory.size))
        ;; The new memory is usable to its last byte.
        (i32.store8 (i32.const 16777215) (i32.const 9))
        (call $write_output (i32.const 0) (i32.const 16))";
    // Growing costs fuel by size (1 per 64 bytes, as memory.copy): 255 pages is 261,120 fuel.
    let out = run(&run_body(body), b"", 10_000);
    assert_eq!(out.status, Status::OutOfFuel);
    let out = run(&run_body(body), b"", 1_000_000);
    assert_eq!(out.status, Status::Completed);
    let words: Vec<i32> = out
        .output
        .chunks(4)
        .map(|c| i32::from_le_bytes(c.try_into().unwrap()))
        .collect();
    assert_eq!(words, [1, -1, -1, 256]);
}

#[test]
fn result_hash_covers_status_output_and_fuel() {
    let base = Outcome {
        status: Status::Completed,
        output: b"42".to_vec(),
        fuel_used: 100,
    };
    let variants = [
        Outcome {
            status: Status::OutOfFuel,
            ..base.clone()
        },
        Outcome {
            status: Status::Trapped(Trap::Unreachable),
            ..base.clone()
        },
        Outcome {
            status: Status::Trapped(Trap::StackOverflow),
            ..base.clone()
        },
        Outcome {
            output: b"43".to_vec(),
            ..base.clone()
        },
        Outcome {
            output: Vec::new(),
            ..base.clone()
        },
        Outcome {
            fuel_used: 101,
            ..base.clone()
        },
    ];
    let mut hashes: Vec<_> = variants.iter().map(Outcome::result_hash).collect();
    hashes.push(base.result_hash());
    let count = hashes.len();
    hashes.sort();
    hashes.dedup();
    assert_eq!(hashes.len(), count);
    assert_eq!(base.clone().result_hash(), base.result_hash());
}

#[test]
fn read_input_past_the_end_copies_nothing() {
    let body = "
        (i32.store (i32.const 0) (call $read_input (i32.const 100) (i32.const 2) (i32.const 10)))
        (i32.store (i32.const 4) (call $read_input (i32.const 100) (i32.const 5) (i32.const 10)))
        (i32.store (i32.const 8) (call $read_input (i32.const 100) (i32.const -1) (i32.const -1)))
        (call $write_output (i32.const 0) (i32.const 12))
        (call $write_output (i32.const 100) (i32.const 3))";
    let out = run(&run_body(body), b"abcde", 10_000);
    assert_eq!(out.status, Status::Completed);
    assert_eq!(out.output[..12], [3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    assert_eq!(&out.output[12..], b"cde");
}
