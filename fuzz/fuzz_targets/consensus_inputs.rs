#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| flux_fuzz::consensus::consensus_inputs(data));
