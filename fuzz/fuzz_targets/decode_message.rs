//! Gossiped messages and block-sync items on untrusted bytes: never panics, and whatever
//! decodes round-trips (re-encoding gives back exactly the input, which decodes to the same
//! value).

#![no_main]

use flux_net::message::{Decided, Message};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(message) = Message::from_bytes(data) {
        let bytes = message.to_bytes().expect("a decoded message encodes");
        assert_eq!(bytes, data, "message: decode then encode changed the bytes");
        assert_eq!(Message::from_bytes(&bytes).ok(), Some(message));
    }
    if let Ok(decided) = Decided::from_bytes(data) {
        let bytes = decided.to_bytes().expect("a decoded item encodes");
        assert_eq!(bytes, data, "decided: decode then encode changed the bytes");
        assert_eq!(Decided::from_bytes(&bytes).ok(), Some(decided));
    }
});
