#![no_main]
//! The gateway's reading of a client's `Host` value and its route lookup: never a panic; an
//! accepted name is at most 253 lower-case DNS characters, its own normal form, and routing it
//! makes the raw value resolve to that route.

use flux_net::gateway::{MAX_NAME_LEN, RouteTable, Target, normalize_host};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Ok(name) = normalize_host(data) else {
        return;
    };
    assert!(name.len() <= MAX_NAME_LEN, "{name}");
    assert!(
        name.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.'),
        "{name}"
    );
    assert_eq!(normalize_host(name.as_bytes()).as_ref(), Ok(&name));
    let target = Target::first_port("app", "web");
    let mut table = RouteTable::new();
    table
        .route(&name, target.clone())
        .expect("a normal name routes");
    let raw = std::str::from_utf8(data).expect("an accepted value is ASCII");
    assert_eq!(table.target(raw), Some(&target));
});
