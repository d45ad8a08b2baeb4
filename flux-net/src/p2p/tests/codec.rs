//! Sync frame codec: typed errors for bad frames, and round trips.

use proptest::prelude::*;

use crate::p2p::CodecError;
use crate::p2p::codec::{
    SyncFrame, SyncRequest, SyncResponse, decode_body, decode_sync_frame, encode_sync_frame,
    fit_response, response_body_len,
};

const LIMIT: usize = 64 * 1024;

fn response(items: &[&[u8]]) -> SyncFrame {
    SyncFrame::Response(SyncResponse {
        items: items.iter().map(|i| i.to_vec()).collect(),
    })
}

#[test]
fn request_round_trips_with_its_exact_layout() {
    let frame = SyncFrame::Request(SyncRequest {
        from_height: 0x0102,
        max_items: 3,
    });
    let bytes = encode_sync_frame(&frame, LIMIT).unwrap();
    assert_eq!(bytes, [13, 0, 0, 0, 1, 2, 1, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0]);
    assert_eq!(decode_sync_frame(&bytes, LIMIT).unwrap(), frame);
}

#[test]
fn truncated_frames_are_errors() {
    let bytes = encode_sync_frame(&response(&[b"abc", b"defg"]), LIMIT).unwrap();
    for cut in 0..bytes.len() {
        let err = decode_sync_frame(&bytes[..cut], LIMIT).unwrap_err();
        assert!(
            matches!(err, CodecError::Truncated { .. }),
            "cut at {cut}: {err:?}"
        );
    }
}

#[test]
fn trailing_garbage_is_an_error() {
    let mut bytes = encode_sync_frame(&response(&[b"abc"]), LIMIT).unwrap();
    bytes.extend_from_slice(b"zz");
    assert_eq!(
        decode_sync_frame(&bytes, LIMIT),
        Err(CodecError::TrailingBytes { extra: 2 })
    );
    // Garbage inside the body, after the last item, is caught by the body decoder.
    let mut body = bytes[4..bytes.len() - 2].to_vec();
    body.push(0);
    assert_eq!(
        decode_body(&body),
        Err(CodecError::TrailingBytes { extra: 1 })
    );
}

#[test]
fn oversized_length_prefix_is_refused_before_reading() {
    let mut bytes = u32::MAX.to_le_bytes().to_vec();
    bytes.push(2);
    assert_eq!(
        decode_sync_frame(&bytes, LIMIT),
        Err(CodecError::FrameTooLarge {
            claimed: u64::from(u32::MAX),
            limit: LIMIT
        })
    );
    let big = response(&[&vec![7u8; LIMIT][..]]);
    assert!(matches!(
        encode_sync_frame(&big, LIMIT),
        Err(CodecError::FrameTooLarge { .. })
    ));
}

#[test]
fn item_count_beyond_the_frame_is_refused_without_allocating() {
    // Claims four billion items in a 5-byte body.
    let body = [2, 0xff, 0xff, 0xff, 0xff];
    assert_eq!(
        decode_body(&body),
        Err(CodecError::TooManyItems {
            count: u32::MAX,
            max: 0
        })
    );
    // An item claiming more bytes than are left.
    let body = [2, 1, 0, 0, 0, 0xff, 0xff, 0, 0, 1, 2];
    assert!(matches!(
        decode_body(&body),
        Err(CodecError::Truncated {
            needed: 0xffff,
            available: 2
        })
    ));
}

#[test]
fn unknown_kind_is_an_error() {
    assert_eq!(decode_body(&[9, 0, 0]), Err(CodecError::UnknownKind(9)));
    assert!(matches!(
        decode_body(&[]),
        Err(CodecError::Truncated { .. })
    ));
}

#[test]
fn fit_response_keeps_the_longest_prefix_that_fits() {
    let items = vec![vec![1u8; 100], vec![2u8; 100], vec![3u8; 100]];
    let limit = response_body_len(&items[..2]);
    let kept = fit_response(items.clone(), 10, limit);
    assert_eq!(kept, items[..2]);
    assert_eq!(fit_response(items.clone(), 1, LIMIT), items[..1]);
    assert!(fit_response(items, 10, 50).is_empty());
}

fn frame_strategy() -> impl Strategy<Value = SyncFrame> {
    prop_oneof![
        (any::<u64>(), any::<u32>()).prop_map(|(from_height, max_items)| SyncFrame::Request(
            SyncRequest {
                from_height,
                max_items
            }
        )),
        prop::collection::vec(prop::collection::vec(any::<u8>(), 0..200), 0..20)
            .prop_map(|items| SyncFrame::Response(SyncResponse { items })),
    ]
}

proptest! {
    #[test]
    fn decode_inverts_encode(frame in frame_strategy()) {
        let bytes = encode_sync_frame(&frame, LIMIT).unwrap();
        prop_assert_eq!(decode_sync_frame(&bytes, LIMIT).unwrap(), frame);
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        let _ = decode_sync_frame(&bytes, 256);
        let _ = decode_body(&bytes);
    }

    #[test]
    fn fitted_responses_always_encode(
        items in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..300), 0..30),
        max_items in 0u32..40,
        limit in 5usize..4000,
    ) {
        let kept = fit_response(items.clone(), max_items, limit);
        prop_assert!(kept.len() <= max_items as usize);
        prop_assert_eq!(&items[..kept.len()], &kept[..]);
        let frame = SyncFrame::Response(SyncResponse { items: kept });
        let bytes = encode_sync_frame(&frame, limit).unwrap();
        prop_assert_eq!(decode_sync_frame(&bytes, limit).unwrap(), frame);
    }
}
