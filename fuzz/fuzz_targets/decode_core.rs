#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| flux_fuzz::decode_core(data));
