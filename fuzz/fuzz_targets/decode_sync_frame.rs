//! The block-sync wire codec on untrusted bytes: never panics, and whatever decodes is the
//! one canonical encoding of its frame (re-encoding gives back exactly the input).

#![no_main]

use flux_net::p2p::codec::{SyncFrame, decode_body, encode_sync_frame, response_body_len};
use flux_net::p2p::{DEFAULT_MAX_MESSAGE_BYTES, MIN_MAX_MESSAGE_BYTES, decode_sync_frame};

/// Frame limits to decode under: none, a request body, the smallest and the default config.
const LIMITS: [usize; 5] = [
    0,
    13,
    MIN_MAX_MESSAGE_BYTES,
    4096,
    DEFAULT_MAX_MESSAGE_BYTES,
];

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Some((&which, bytes)) = data.split_first() else {
        return;
    };
    let limit = LIMITS[usize::from(which) % LIMITS.len()];
    let Ok(frame) = decode_sync_frame(bytes, limit) else {
        return;
    };
    let again = encode_sync_frame(&frame, limit).expect("a decoded frame fits its limit");
    assert_eq!(again, bytes, "decode then encode changed the bytes");
    // The body alone decodes to the same frame, and a larger limit accepts it too.
    assert_eq!(decode_body(&bytes[4..]).ok().as_ref(), Some(&frame));
    assert_eq!(
        decode_sync_frame(bytes, usize::MAX).ok().as_ref(),
        Some(&frame)
    );
    if let SyncFrame::Response(response) = &frame {
        assert_eq!(response_body_len(&response.items), bytes.len() - 4);
    }
});
