//! The name a request was sent to, read as RFC 9110 §7.2 and RFC 9112 §3.2
//! say, for the Host check ([`crate::access`]).
//!
//! - A request carries exactly one `Host` header (HTTP/1.0 may carry none),
//!   and its value is `host [":" port]` with `host` an IPv6 literal in
//!   brackets, an IPv4 address or a registered name (RFC 3986 §3.2.2), and
//!   `port` digits. Anything else is a bad request (400): more than one Host
//!   line, `Host: [::1].evil.example`, `Host: [::1]evil`,
//!   `Host: 127.0.0.1:8080,evil.example`.
//! - A request whose target is in absolute form (`GET http://name/path`)
//!   was sent to the target's authority, and its Host header is ignored
//!   (RFC 9112 §3.2.2); the target's scheme must be `http` or `https` and
//!   its authority may not carry user information (RFC 9110 §4.2.4).
//!
//! The name found is then allowed or not (403) by [`crate::access`].

use actix_web::dev::RequestHead;
use actix_web::http::{header, Version};

/// A `host [":" port]` as a request gave it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Authority<'a> {
    /// The whole value, as sent: what a browser's `Origin` names after the
    /// scheme when the request comes from the server's own page.
    pub text: &'a str,
    /// The host: a registered name, an IPv4 address or an IPv6 literal with
    /// its brackets.
    pub host: &'a str,
}

/// Why a request's authority is not one (the request is answered with 400).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Invalid(pub String);

fn invalid(what: impl Into<String>) -> Invalid {
    Invalid(what.into())
}

/// Characters of a registered name or an IPv4 address (RFC 3986: unreserved,
/// sub-delims and the `%` of percent-encoding).
fn name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "-._~!$&'()*+,;=%".contains(c)
}

/// Parses `host [":" port]` (a Host header's value, or the authority of an
/// absolute request target without user information).
pub fn parse(value: &str) -> Result<Authority<'_>, Invalid> {
    let (host, port) = if let Some(literal) = value.strip_prefix('[') {
        let end = literal
            .find(']')
            .ok_or_else(|| invalid(format!("{value:?}: an IPv6 literal without its ']'")))?;
        let address = &literal[..end];
        if address.parse::<std::net::Ipv6Addr>().is_err() {
            return Err(invalid(format!(
                "{value:?}: not an IPv6 address in brackets"
            )));
        }
        let rest = &literal[end + 1..];
        let port = match rest.strip_prefix(':') {
            Some(port) => Some(port),
            None if rest.is_empty() => None,
            None => {
                return Err(invalid(format!(
                    "{value:?}: only a port may follow an IPv6 literal"
                )))
            }
        };
        (&value[..end + 2], port)
    } else {
        match value.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (value, None),
        }
    };
    if !host.starts_with('[') && !host.chars().all(name_char) {
        return Err(invalid(format!("{value:?}: not a host name")));
    }
    if port.is_some_and(|port| !port.bytes().all(|b| b.is_ascii_digit())) {
        return Err(invalid(format!("{value:?}: a port is digits only")));
    }
    Ok(Authority { text: value, host })
}

/// The authority a request was sent to: its target's, when the target is in
/// absolute form, else its Host header's; `None` for an HTTP/1.0 request
/// without either (nothing names where it was sent).
pub fn of_request(head: &RequestHead) -> Result<Option<Authority<'_>>, Invalid> {
    let mut hosts = head.headers().get_all(header::HOST);
    let host = match (hosts.next(), hosts.next()) {
        (Some(_), Some(_)) => return Err(invalid("more than one Host header")),
        (Some(value), None) => Some(parse(
            value
                .to_str()
                .map_err(|_| invalid("a Host header that is not text"))?,
        )?),
        (None, _) if head.version >= Version::HTTP_11 => {
            return Err(invalid("an HTTP/1.1 request without a Host header"))
        }
        (None, _) => None,
    };
    let uri = &head.uri;
    let Some(target) = uri.authority() else {
        return Ok(host);
    };
    if !matches!(uri.scheme_str(), Some("http" | "https")) {
        return Err(invalid(format!(
            "a request target of scheme {:?}: http or https only",
            uri.scheme_str().unwrap_or("")
        )));
    }
    if target.as_str().contains('@') {
        return Err(invalid("a request target with user information"));
    }
    parse(target.as_str()).map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    #[test]
    fn host_values_parse_as_rfc_3986_says() {
        for (value, host) in [
            ("localhost:8080", "localhost"),
            ("127.0.0.1", "127.0.0.1"),
            ("[::1]:8080", "[::1]"),
            ("[::1]", "[::1]"),
            ("LOCALHOST:", "LOCALHOST"),
            ("", ""),
            ("evil.example,127.0.0.1", "evil.example,127.0.0.1"),
        ] {
            assert_eq!(parse(value).map(|a| a.host), Ok(host), "{value:?}");
        }
        for value in [
            "[::1].evil.example",
            "[::1]evil",
            "[::1]:80x",
            "127.0.0.1:8080,evil.example",
            "127.0.0.1:80:80",
            "[::1",
            "[evil.example]",
            "user@127.0.0.1",
            "127.0.0.1 evil.example",
            "127.0.0.1/evil",
            "127.0.0.1\tx",
        ] {
            assert!(parse(value).is_err(), "{value:?}");
        }
    }

    fn authority(request: TestRequest) -> Result<Option<String>, Invalid> {
        let request = request.to_http_request();
        of_request(request.head()).map(|a| a.map(|a| a.text.to_string()))
    }

    #[test]
    fn an_absolute_target_names_the_authority_and_the_host_header_must_be_one() {
        let host = |value: &'static str| TestRequest::get().insert_header(("Host", value));
        assert_eq!(
            authority(host("127.0.0.1:80")),
            Ok(Some("127.0.0.1:80".into()))
        );
        assert_eq!(
            authority(host("127.0.0.1:80").uri("http://evil.example/api/streams")),
            Ok(Some("evil.example".into())),
            "the target's authority, not the Host header's"
        );
        for request in [
            host("127.0.0.1:80").uri("ftp://127.0.0.1/api/streams"),
            host("127.0.0.1:80").uri("http://me@127.0.0.1/api/streams"),
            host("127.0.0.1:80").append_header(("Host", "evil.example")),
            host("[::1]evil"),
            TestRequest::get(),
        ] {
            assert!(authority(request).is_err());
        }
        let old = TestRequest::get().version(Version::HTTP_10);
        assert_eq!(authority(old), Ok(None), "HTTP/1.0 may name no host");
    }
}
