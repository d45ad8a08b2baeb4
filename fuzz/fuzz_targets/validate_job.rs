#![no_main]
//! Job modules from arbitrary bytes: validation never panics; a module that validates runs
//! with a small fuel limit without panicking, twice to the same outcome, within its fuel.

use flux_nodes::work::{Status, execute, validate};

const FUEL: u64 = 20_000;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Ok(module) = validate(data) else {
        return;
    };
    let input = &data[..data.len().min(64)];
    let first = execute(&module, input, FUEL);
    assert_eq!(
        first,
        execute(&module, input, FUEL),
        "execution is not deterministic"
    );
    if let Ok(outcome) = first {
        assert!(outcome.fuel_used <= FUEL);
        assert!(outcome.status == Status::Completed || outcome.output.is_empty());
    }
});
