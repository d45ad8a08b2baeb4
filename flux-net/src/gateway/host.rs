//! Reading a `Host` header (or a request target's authority) into the name the route table is
//! keyed by: lower case, without port or trailing dot, checked to be a DNS name.
//!
//! The input is whatever a client sent, so every length is bounded before anything is copied,
//! and anything that is not a plain DNS name is refused with a [`HostError`] (never a panic).

use super::error::HostError;

/// Longest DNS name (RFC 1035: 253 characters in text form, without the trailing dot).
pub const MAX_NAME_LEN: usize = 253;

/// Longest label of a DNS name.
pub const MAX_LABEL_LEN: usize = 63;

/// Longest `Host` value looked at: a name, its trailing dot, `:` and a five-digit port.
pub const MAX_HOST_LEN: usize = MAX_NAME_LEN + 1 + 1 + 5;

/// The route-table key of a raw `Host` value: ASCII lower case, the port (`:8080`) and one
/// trailing dot removed.
///
/// # Errors
/// - [`HostError::Empty`]: nothing before the port;
/// - [`HostError::TooLong`]: longer than [`MAX_HOST_LEN`] bytes, or the name longer than
///   [`MAX_NAME_LEN`], or a label longer than [`MAX_LABEL_LEN`];
/// - [`HostError::IpLiteral`]: an IPv6 literal (`[::1]:80`), which no app is named by;
/// - [`HostError::BadPort`]: a port that is not 1–5 digits;
/// - [`HostError::BadName`]: an empty label or a byte other than `a-z`, `A-Z`, `0-9`, `-`.
///
/// ```
/// use flux_net::gateway::normalize_host;
///
/// assert_eq!(normalize_host(b"MyApp.App.Localhost:20080").as_deref(), Ok("myapp.app.localhost"));
/// assert_eq!(normalize_host(b"example.com.").as_deref(), Ok("example.com"));
/// assert!(normalize_host(b"a b.example").is_err());
/// ```
pub fn normalize_host(raw: &[u8]) -> Result<String, HostError> {
    if raw.len() > MAX_HOST_LEN {
        return Err(HostError::TooLong { len: raw.len() });
    }
    if raw.first() == Some(&b'[') {
        return Err(HostError::IpLiteral);
    }
    let name = match raw.iter().rposition(|b| *b == b':') {
        Some(colon) => {
            let port = raw.get(colon + 1..).unwrap_or_default();
            if port.len() > 5 || !port.iter().all(u8::is_ascii_digit) {
                return Err(HostError::BadPort);
            }
            raw.get(..colon).unwrap_or_default()
        }
        None => raw,
    };
    let name = name.strip_suffix(b".").unwrap_or(name);
    if name.is_empty() {
        return Err(HostError::Empty);
    }
    if name.len() > MAX_NAME_LEN {
        return Err(HostError::TooLong { len: name.len() });
    }
    for label in name.split(|b| *b == b'.') {
        if label.is_empty() {
            return Err(HostError::BadName);
        }
        if label.len() > MAX_LABEL_LEN {
            return Err(HostError::TooLong { len: label.len() });
        }
        if !label
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || *b == b'-')
        {
            return Err(HostError::BadName);
        }
    }
    // Only ASCII passed the checks above, so this is a plain byte-for-char copy.
    Ok(name
        .iter()
        .map(|b| char::from(b.to_ascii_lowercase()))
        .collect())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;
    use proptest::prelude::*;

    #[test]
    fn names_are_lowered_and_stripped() {
        for (raw, want) in [
            ("a.app.localhost", "a.app.localhost"),
            ("A.App.LocalHost", "a.app.localhost"),
            ("a.app.localhost:80", "a.app.localhost"),
            ("a.app.localhost.:65535", "a.app.localhost"),
            ("a.app.localhost:", "a.app.localhost"),
            ("127.0.0.1:20080", "127.0.0.1"),
            ("x-y.example", "x-y.example"),
        ] {
            assert_eq!(normalize_host(raw.as_bytes()).as_deref(), Ok(want), "{raw}");
        }
    }

    #[test]
    fn hostile_values_are_refused() {
        assert_eq!(normalize_host(b""), Err(HostError::Empty));
        assert_eq!(normalize_host(b":80"), Err(HostError::Empty));
        assert_eq!(normalize_host(b"."), Err(HostError::Empty));
        assert_eq!(normalize_host(b"[::1]:80"), Err(HostError::IpLiteral));
        assert_eq!(normalize_host(b"a.b:http"), Err(HostError::BadPort));
        assert_eq!(normalize_host(b"a.b:123456"), Err(HostError::BadPort));
        assert_eq!(normalize_host(b"a..b"), Err(HostError::BadName));
        assert_eq!(normalize_host(b"a b"), Err(HostError::BadName));
        assert_eq!(normalize_host(b"a_b.c"), Err(HostError::BadName));
        assert_eq!(
            normalize_host("é.example".as_bytes()),
            Err(HostError::BadName)
        );
        assert_eq!(normalize_host(b"a\0b"), Err(HostError::BadName));
        let huge = vec![b'a'; 100_000];
        assert_eq!(
            normalize_host(&huge),
            Err(HostError::TooLong { len: 100_000 })
        );
        let long_label = format!("{}.example", "a".repeat(64));
        assert_eq!(
            normalize_host(long_label.as_bytes()),
            Err(HostError::TooLong { len: 64 })
        );
        let long_name = vec!["abcdefg"; 32].join(".");
        assert_eq!(
            normalize_host(long_name.as_bytes()),
            Err(HostError::TooLong { len: 255 })
        );
    }

    proptest! {
        /// Whatever the bytes: no panic, and an accepted name is its own normal form, at most
        /// 253 lower-case characters.
        #[test]
        fn normal_form_is_a_fixed_point(raw in proptest::collection::vec(any::<u8>(), 0..300)) {
            if let Ok(name) = normalize_host(&raw) {
                prop_assert!(name.len() <= MAX_NAME_LEN);
                prop_assert!(!name.bytes().any(|b| b.is_ascii_uppercase()));
                prop_assert_eq!(normalize_host(name.as_bytes()), Ok(name.clone()));
            }
        }

        #[test]
        fn case_and_port_do_not_matter(name in "[a-z0-9]{1,20}(\\.[a-z0-9-]{1,20}){0,3}", port in 0u16..) {
            let shouted = format!("{}:{port}", name.to_ascii_uppercase());
            prop_assert_eq!(normalize_host(shouted.as_bytes()), Ok(name));
        }
    }
}
