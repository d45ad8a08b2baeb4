//! The sample app the devnet and the Docker tests host: a tiny HTTP/1.1 server (std only, one
//! thread per connection) that answers every request with a fixed message and its instance
//! name, so a test or a `curl` through the gateway sees which instance answered.
//!
//! Keep-alive as HTTP/1.1 says (on unless `Connection: close`; HTTP/1.0 only with
//! `Connection: keep-alive`), request bodies read and dropped (`Content-Length` up to
//! [`MAX_BODY`]; chunked bodies get 411 and the connection closes), idle connections closed
//! after [`IDLE_TIMEOUT`], at most [`MAX_CONNECTIONS`] at once.
//!
//! The `flux-sample-app` binary (and a hidden `flux` subcommand) call [`serve`].
//!
//! ```
//! use std::io::{Read, Write};
//! use std::net::{TcpListener, TcpStream};
//!
//! let listener = TcpListener::bind("127.0.0.1:0")?;
//! let addr = listener.local_addr()?;
//! std::thread::spawn(move || flux_net::runtime::sample::serve_on(listener, "hello", "a1"));
//! let mut conn = TcpStream::connect(addr)?;
//! conn.write_all(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")?;
//! let mut reply = String::new();
//! conn.read_to_string(&mut reply)?;
//! assert!(reply.starts_with("HTTP/1.1 200 OK\r\n"));
//! assert!(reply.ends_with("hello (instance a1)\n"));
//! # Ok::<(), std::io::Error>(())
//! ```

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

/// Longest request head (request line and headers) read, in bytes.
pub const MAX_HEAD: u64 = 16 * 1024;
/// Largest request body read (and dropped), in bytes.
pub const MAX_BODY: u64 = 1024 * 1024;
/// Connections served at once; more are closed at once.
pub const MAX_CONNECTIONS: usize = 512;
/// How long an idle connection stays open.
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(30);

/// The body every answer carries.
///
/// ```
/// assert_eq!(flux_net::runtime::sample::body("hi", "n2"), "hi (instance n2)\n");
/// ```
pub fn body(message: &str, instance: &str) -> String {
    format!("{message} (instance {instance})\n")
}

/// Binds `addr` and serves forever (see [`serve_on`]).
///
/// # Errors
/// The bind's error; serving itself only ends on a listener error.
pub fn serve(addr: SocketAddr, message: &str, instance: &str) -> io::Result<()> {
    serve_on(TcpListener::bind(addr)?, message, instance)
}

/// Serves on `listener` forever: every request gets `200 OK` with [`body`].
///
/// # Errors
/// Only when the listener itself fails; a bad connection just ends that connection.
pub fn serve_on(listener: TcpListener, message: &str, instance: &str) -> io::Result<()> {
    let body: Arc<str> = body(message, instance).into();
    let open = Arc::new(AtomicUsize::new(0));
    for conn in listener.incoming() {
        let conn = match conn {
            Ok(conn) => conn,
            // A connection reset before accept, or out of descriptors for a moment: go on.
            Err(e) if is_per_connection(&e) => continue,
            Err(e) => return Err(e),
        };
        if open.fetch_add(1, Ordering::AcqRel) >= MAX_CONNECTIONS {
            open.fetch_sub(1, Ordering::AcqRel);
            continue; // dropped: closed
        }
        let (body, open) = (body.clone(), open.clone());
        std::thread::spawn(move || {
            // A broken connection only ends itself.
            let _ = serve_connection(conn, &body);
            open.fetch_sub(1, Ordering::AcqRel);
        });
    }
    Ok(())
}

fn is_per_connection(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
            | io::ErrorKind::Interrupted
    ) || e.raw_os_error() == Some(24) // EMFILE
}

/// What the server needs from one request head.
#[derive(Debug, PartialEq, Eq)]
struct Head {
    head_only: bool,
    keep_alive: bool,
    content_length: u64,
    chunked: bool,
}

/// Reads one request head; `Ok(None)` at a clean end of the connection, `Err` with
/// `InvalidData` for a malformed one.
fn read_head(reader: &mut impl BufRead) -> io::Result<Option<Head>> {
    let mut limited = reader.take(MAX_HEAD);
    let mut line = String::new();
    // Robustness (RFC 9112 §2.2): skip empty lines before the request line.
    loop {
        line.clear();
        if limited.read_line(&mut line)? == 0 {
            return Ok(None);
        }
        if !line.trim_end().is_empty() {
            break;
        }
    }
    let bad = |what: &str| io::Error::new(io::ErrorKind::InvalidData, what.to_string());
    let mut parts = line.split_whitespace();
    let (Some(method), Some(_target), Some(version), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(bad("malformed request line"));
    };
    let http11 = match version {
        "HTTP/1.1" => true,
        "HTTP/1.0" => false,
        _ => return Err(bad("unsupported HTTP version")),
    };
    let mut head = Head {
        head_only: method == "HEAD",
        keep_alive: http11,
        content_length: 0,
        chunked: false,
    };
    loop {
        line.clear();
        if limited.read_line(&mut line)? == 0 || !line.ends_with('\n') {
            return Err(bad("request head cut or too long"));
        }
        let header = line.trim_end();
        if header.is_empty() {
            return Ok(Some(head));
        }
        let Some((name, value)) = header.split_once(':') else {
            return Err(bad("malformed header"));
        };
        let value = value.trim().to_ascii_lowercase();
        match name.trim().to_ascii_lowercase().as_str() {
            "content-length" => {
                head.content_length = value.parse().map_err(|_| bad("bad content-length"))?;
            }
            "transfer-encoding" => head.chunked = value.contains("chunked"),
            "connection" if value.contains("close") => head.keep_alive = false,
            "connection" if value.contains("keep-alive") => head.keep_alive = true,
            _ => {}
        }
    }
}

fn respond(
    conn: &mut TcpStream,
    status: &str,
    body: &str,
    head_only: bool,
    keep_alive: bool,
) -> io::Result<()> {
    let connection = if keep_alive { "keep-alive" } else { "close" };
    let mut reply = format!(
        "HTTP/1.1 {status}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: {}\r\nConnection: {connection}\r\n\r\n",
        body.len()
    );
    if !head_only {
        reply.push_str(body);
    }
    conn.write_all(reply.as_bytes())?;
    conn.flush()
}

/// Answers `status` and closes, reading what the client still sends (up to [`MAX_HEAD`])
/// first so the close does not reset the connection before it read the answer.
fn refuse(
    writer: &mut TcpStream,
    mut reader: BufReader<TcpStream>,
    status: &str,
) -> io::Result<()> {
    respond(writer, status, &format!("{status}\n"), false, false)?;
    writer.shutdown(std::net::Shutdown::Write)?;
    io::copy(&mut (&mut reader).take(MAX_HEAD), &mut io::sink()).map(drop)
}

fn serve_connection(conn: TcpStream, body: &str) -> io::Result<()> {
    conn.set_read_timeout(Some(IDLE_TIMEOUT))?;
    conn.set_write_timeout(Some(IDLE_TIMEOUT))?;
    conn.set_nodelay(true)?;
    let mut writer = conn.try_clone()?;
    let mut reader = BufReader::new(conn);
    loop {
        let head = match read_head(&mut reader) {
            Ok(Some(head)) => head,
            Ok(None) => return Ok(()),
            Err(e) if e.kind() == io::ErrorKind::InvalidData => {
                return refuse(&mut writer, reader, "400 Bad Request");
            }
            Err(e) => return Err(e),
        };
        if head.chunked {
            return refuse(&mut writer, reader, "411 Length Required");
        }
        if head.content_length > MAX_BODY {
            return refuse(&mut writer, reader, "413 Content Too Large");
        }
        let dropped = io::copy(
            &mut (&mut reader).take(head.content_length),
            &mut io::sink(),
        )?;
        if dropped < head.content_length {
            return Ok(()); // the client went away mid-body
        }
        respond(&mut writer, "200 OK", body, head.head_only, head.keep_alive)?;
        if !head.keep_alive {
            return Ok(());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn server() -> SocketAddr {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let addr = listener.local_addr().expect("addr");
        std::thread::spawn(move || serve_on(listener, "hello", "i0"));
        addr
    }

    fn exchange(addr: SocketAddr, request: &[u8]) -> String {
        let mut conn = TcpStream::connect(addr).expect("connect");
        conn.write_all(request).expect("write");
        let mut reply = String::new();
        conn.read_to_string(&mut reply).expect("read");
        reply
    }

    #[test]
    fn two_pipelined_requests_on_one_connection_then_close() {
        let reply = exchange(
            server(),
            b"GET / HTTP/1.1\r\nHost: a\r\n\r\nPOST /x HTTP/1.1\r\nContent-Length: 3\r\n\r\nabcGET / HTTP/1.1\r\nConnection: close\r\n\r\n",
        );
        assert_eq!(reply.matches("HTTP/1.1 200 OK").count(), 3, "{reply}");
        assert_eq!(reply.matches("hello (instance i0)\n").count(), 3);
        assert!(
            reply.contains("Connection: keep-alive")
                && reply.ends_with("Connection: close\r\n\r\nhello (instance i0)\n")
        );
    }

    #[test]
    fn http_1_0_closes_and_head_has_no_body() {
        let reply = exchange(server(), b"HEAD / HTTP/1.0\r\n\r\n");
        assert!(reply.starts_with("HTTP/1.1 200 OK\r\n"), "{reply}");
        assert!(reply.contains("Content-Length: 20\r\n"));
        assert!(reply.ends_with("\r\n\r\n"), "no body: {reply}");
    }

    #[test]
    fn malformed_and_chunked_requests_are_refused() {
        assert!(exchange(server(), b"NONSENSE\r\n\r\n").starts_with("HTTP/1.1 400"));
        assert!(exchange(server(), b"GET / HTTP/2.0\r\n\r\n").starts_with("HTTP/1.1 400"));
        let chunked = b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n";
        assert!(exchange(server(), chunked).starts_with("HTTP/1.1 411"));
        let huge = format!(
            "POST / HTTP/1.1\r\nContent-Length: {}\r\n\r\n",
            MAX_BODY + 1
        );
        assert!(exchange(server(), huge.as_bytes()).starts_with("HTTP/1.1 413"));
    }

    #[test]
    fn a_head_longer_than_the_limit_is_refused() {
        let mut request = b"GET / HTTP/1.1\r\nX: ".to_vec();
        request.extend(std::iter::repeat_n(
            b'a',
            usize::try_from(MAX_HEAD).expect("fits"),
        ));
        request.extend(b"\r\n\r\n");
        let mut conn = TcpStream::connect(server()).expect("connect");
        // The server may answer and close before it has read everything: ignore a reset.
        let _ = conn.write_all(&request);
        let mut reply = String::new();
        let _ = conn.read_to_string(&mut reply);
        assert!(reply.starts_with("HTTP/1.1 400"), "{reply}");
    }
}
