#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| flux_fuzz::chain::apply_random_block(data));
