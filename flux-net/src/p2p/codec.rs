//! The block-sync wire format: length-prefixed frames with a bound on every length.
//!
//! ```text
//! frame    = body_len: u32 LE, body                 (body_len <= max_message_bytes)
//! body     = kind: u8, payload
//! request  = kind 0x01, from_height: u64 LE, max_items: u32 LE        (13 bytes)
//! response = kind 0x02, count: u32 LE, count x (item_len: u32 LE, item bytes)
//! ```
//!
//! One request and one response travel per stream, and each side closes its half after
//! writing, so a reader also rejects bytes after the frame. Decoding never allocates more than
//! the bytes actually present: a claimed length is checked against the limit and against what
//! is left before anything is reserved.

use std::io;

use futures::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use libp2p::StreamProtocol;

use super::error::CodecError;

const KIND_REQUEST: u8 = 0x01;
const KIND_RESPONSE: u8 = 0x02;
const PREFIX_LEN: usize = 4;
const REQUEST_BODY_LEN: usize = 1 + 8 + 4;
const RESPONSE_HEADER_LEN: usize = 1 + 4;
const ITEM_HEADER_LEN: usize = 4;

/// Asks a peer for decided blocks from `from_height` on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SyncRequest {
    /// The first height wanted.
    pub from_height: u64,
    /// At most this many items in the answer.
    pub max_items: u32,
}

/// A peer's answer: opaque items, each one encoded decided block, in height order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SyncResponse {
    /// The items (possibly fewer than asked, possibly none).
    pub items: Vec<Vec<u8>>,
}

/// One decoded sync frame.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SyncFrame {
    /// A request.
    Request(SyncRequest),
    /// A response.
    Response(SyncResponse),
}

impl SyncFrame {
    fn kind(&self) -> &'static str {
        match self {
            SyncFrame::Request(_) => "request",
            SyncFrame::Response(_) => "response",
        }
    }
}

/// Encodes `frame` with its length prefix.
///
/// # Errors
/// [`CodecError::FrameTooLarge`] if the body would exceed `max_message_bytes` (use
/// [`fit_response`] to cut a response down first).
pub fn encode_sync_frame(
    frame: &SyncFrame,
    max_message_bytes: usize,
) -> Result<Vec<u8>, CodecError> {
    let body_len = match frame {
        SyncFrame::Request(_) => REQUEST_BODY_LEN,
        SyncFrame::Response(r) => response_body_len(&r.items),
    };
    let too_large = CodecError::FrameTooLarge {
        claimed: body_len as u64,
        limit: max_message_bytes,
    };
    if body_len > max_message_bytes {
        return Err(too_large);
    }
    let prefix = u32::try_from(body_len).map_err(|_| too_large.clone())?;
    let mut out = Vec::with_capacity(PREFIX_LEN + body_len);
    out.extend_from_slice(&prefix.to_le_bytes());
    match frame {
        SyncFrame::Request(r) => {
            out.push(KIND_REQUEST);
            out.extend_from_slice(&r.from_height.to_le_bytes());
            out.extend_from_slice(&r.max_items.to_le_bytes());
        }
        SyncFrame::Response(r) => {
            out.push(KIND_RESPONSE);
            let count = u32::try_from(r.items.len()).map_err(|_| too_large.clone())?;
            out.extend_from_slice(&count.to_le_bytes());
            for item in &r.items {
                // Fits: the whole body is at most max_message_bytes <= u32::MAX.
                let len = u32::try_from(item.len()).map_err(|_| too_large.clone())?;
                out.extend_from_slice(&len.to_le_bytes());
                out.extend_from_slice(item);
            }
        }
    }
    Ok(out)
}

/// Decodes one whole frame (length prefix included) from `bytes`: the pure entry point for
/// fuzzing. Never panics and never allocates more than `bytes.len()`.
///
/// # Errors
/// [`CodecError`]: a length over `max_message_bytes`, input ending early, bytes after the
/// frame, an unknown kind, or a response claiming more items than it holds.
///
/// ```
/// use flux_net::p2p::codec::{decode_sync_frame, encode_sync_frame, SyncFrame, SyncRequest};
///
/// let frame = SyncFrame::Request(SyncRequest { from_height: 7, max_items: 16 });
/// let bytes = encode_sync_frame(&frame, 1024)?;
/// assert_eq!(decode_sync_frame(&bytes, 1024)?, frame);
/// assert!(decode_sync_frame(&bytes[..bytes.len() - 1], 1024).is_err());
/// # Ok::<(), flux_net::p2p::CodecError>(())
/// ```
pub fn decode_sync_frame(bytes: &[u8], max_message_bytes: usize) -> Result<SyncFrame, CodecError> {
    let mut reader = Reader(bytes);
    let claimed = reader.u32()?;
    let body_len = check_len(claimed, max_message_bytes)?;
    let body = reader.take(body_len)?;
    if !reader.0.is_empty() {
        return Err(CodecError::TrailingBytes {
            extra: reader.0.len(),
        });
    }
    decode_body(body)
}

/// Decodes a frame body (everything after the length prefix).
///
/// # Errors
/// As [`decode_sync_frame`], minus the prefix checks.
pub fn decode_body(body: &[u8]) -> Result<SyncFrame, CodecError> {
    let mut reader = Reader(body);
    let frame = match reader.u8()? {
        KIND_REQUEST => {
            let from_height = reader.u64()?;
            let max_items = reader.u32()?;
            SyncFrame::Request(SyncRequest {
                from_height,
                max_items,
            })
        }
        KIND_RESPONSE => {
            let count = reader.u32()?;
            let max = reader.0.len() / ITEM_HEADER_LEN;
            if count as usize > max {
                return Err(CodecError::TooManyItems { count, max });
            }
            let mut items = Vec::with_capacity(count as usize);
            for _ in 0..count {
                let len = reader.u32()? as usize;
                items.push(reader.take(len)?.to_vec());
            }
            SyncFrame::Response(SyncResponse { items })
        }
        kind => return Err(CodecError::UnknownKind(kind)),
    };
    if !reader.0.is_empty() {
        return Err(CodecError::TrailingBytes {
            extra: reader.0.len(),
        });
    }
    Ok(frame)
}

/// Body length of a response carrying `items`.
pub fn response_body_len(items: &[Vec<u8>]) -> usize {
    items.iter().fold(RESPONSE_HEADER_LEN, |total, item| {
        total
            .saturating_add(ITEM_HEADER_LEN)
            .saturating_add(item.len())
    })
}

/// The longest prefix of `items` (at most `max_items` of them) whose response frame fits in
/// `max_message_bytes`. Items are consecutive blocks, so the cut keeps a prefix rather than
/// skipping a big item.
pub fn fit_response(
    mut items: Vec<Vec<u8>>,
    max_items: u32,
    max_message_bytes: usize,
) -> Vec<Vec<u8>> {
    let mut total = RESPONSE_HEADER_LEN;
    let mut keep = 0;
    for item in items.iter().take(max_items as usize) {
        total = total
            .saturating_add(ITEM_HEADER_LEN)
            .saturating_add(item.len());
        if total > max_message_bytes {
            break;
        }
        keep += 1;
    }
    items.truncate(keep);
    items
}

fn check_len(claimed: u32, limit: usize) -> Result<usize, CodecError> {
    let len = claimed as usize;
    if len > limit {
        return Err(CodecError::FrameTooLarge {
            claimed: u64::from(claimed),
            limit,
        });
    }
    Ok(len)
}

/// A cursor over untrusted bytes whose reads fail instead of panicking.
struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], CodecError> {
        if n > self.0.len() {
            return Err(CodecError::Truncated {
                needed: n,
                available: self.0.len(),
            });
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Ok(head)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], CodecError> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N)?);
        Ok(out)
    }

    fn u8(&mut self) -> Result<u8, CodecError> {
        Ok(self.array::<1>()?[0])
    }

    fn u32(&mut self) -> Result<u32, CodecError> {
        Ok(u32::from_le_bytes(self.array()?))
    }

    fn u64(&mut self) -> Result<u64, CodecError> {
        Ok(u64::from_le_bytes(self.array()?))
    }
}

/// Reads one frame body from a stream: the prefix, then at most the claimed (and allowed)
/// number of bytes, growing the buffer only as bytes arrive; then checks the stream ends.
async fn read_frame<T: AsyncRead + Unpin + Send>(
    io: &mut T,
    limit: usize,
) -> io::Result<SyncFrame> {
    let mut prefix = [0u8; PREFIX_LEN];
    io.read_exact(&mut prefix).await?;
    let len = check_len(u32::from_le_bytes(prefix), limit)?;
    let mut body = Vec::new();
    (&mut *io).take(len as u64).read_to_end(&mut body).await?;
    if body.len() < len {
        return Err(CodecError::Truncated {
            needed: len,
            available: body.len(),
        }
        .into());
    }
    let mut probe = [0u8; 1];
    let extra = io.read(&mut probe).await?;
    if extra > 0 {
        return Err(CodecError::TrailingBytes { extra }.into());
    }
    Ok(decode_body(&body)?)
}

async fn write_frame<T: AsyncWrite + Unpin + Send>(
    io: &mut T,
    frame: &SyncFrame,
    limit: usize,
) -> io::Result<()> {
    let bytes = encode_sync_frame(frame, limit)?;
    io.write_all(&bytes).await?;
    io.flush().await
}

fn unexpected(expected: &'static str, got: &SyncFrame) -> io::Error {
    CodecError::UnexpectedKind {
        expected,
        got: got.kind(),
    }
    .into()
}

/// The request-response codec of the sync protocol; errors caused by the peer's bytes are
/// [`io::Error`]s of kind `InvalidData` wrapping a [`CodecError`] (see [`codec_error`]).
#[derive(Clone, Debug)]
pub struct SyncCodec {
    max_message_bytes: usize,
}

impl SyncCodec {
    /// A codec bounding every frame by `max_message_bytes`.
    pub fn new(max_message_bytes: usize) -> Self {
        SyncCodec { max_message_bytes }
    }
}

/// The [`CodecError`] inside an IO error returned by [`SyncCodec`], if the peer's bytes caused it.
pub fn codec_error(error: &io::Error) -> Option<&CodecError> {
    error
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<CodecError>())
}

#[async_trait::async_trait]
impl libp2p::request_response::Codec for SyncCodec {
    type Protocol = StreamProtocol;
    /// A `Result`: libp2p does not tell the behaviour about a failed `read_request`, so a
    /// malformed request is read as `Err` and its sender can be charged.
    type Request = Result<SyncRequest, CodecError>;
    type Response = SyncResponse;

    async fn read_request<T>(
        &mut self,
        _: &StreamProtocol,
        io: &mut T,
    ) -> io::Result<Result<SyncRequest, CodecError>>
    where
        T: AsyncRead + Unpin + Send,
    {
        // A request body is 13 bytes; a longer claim is refused before reading it.
        match read_frame(io, REQUEST_BODY_LEN).await {
            Ok(SyncFrame::Request(request)) => Ok(Ok(request)),
            Ok(other) => Ok(Err(CodecError::UnexpectedKind {
                expected: "request",
                got: other.kind(),
            })),
            Err(error) => match codec_error(&error) {
                Some(codec) => Ok(Err(codec.clone())),
                None => Err(error),
            },
        }
    }

    async fn read_response<T>(&mut self, _: &StreamProtocol, io: &mut T) -> io::Result<SyncResponse>
    where
        T: AsyncRead + Unpin + Send,
    {
        match read_frame(io, self.max_message_bytes).await? {
            SyncFrame::Response(response) => Ok(response),
            other => Err(unexpected("response", &other)),
        }
    }

    async fn write_request<T>(
        &mut self,
        _: &StreamProtocol,
        io: &mut T,
        req: Result<SyncRequest, CodecError>,
    ) -> io::Result<()>
    where
        T: AsyncWrite + Unpin + Send,
    {
        write_frame(io, &SyncFrame::Request(req?), self.max_message_bytes).await
    }

    async fn write_response<T>(
        &mut self,
        _: &StreamProtocol,
        io: &mut T,
        res: SyncResponse,
    ) -> io::Result<()>
    where
        T: AsyncWrite + Unpin + Send,
    {
        write_frame(io, &SyncFrame::Response(res), self.max_message_bytes).await
    }
}
