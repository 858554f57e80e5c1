#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| gettoken_fuzz::request(data));
