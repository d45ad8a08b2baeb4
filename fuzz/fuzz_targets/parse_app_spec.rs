#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| flux_fuzz::app::parse_app_spec(data));
