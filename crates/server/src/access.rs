//! Who may view and who may publish.
//!
//! Three checks, in this order (SECURITY.md has the threat model):
//! 1. **Host** ([`check_request`], every request). A server bound to
//!    loopback answers only requests addressed to `localhost`, `127.0.0.1`
//!    or `[::1]` (any port) and the names given with `--allow-host`, so a
//!    web page cannot reach it through a DNS name it rebinds to 127.0.0.1.
//!    Where a request was sent is read as HTTP says ([`crate::authority`]):
//!    one well-formed Host header, or an absolute target's authority; a
//!    request that does not name one host is refused with 400.
//! 2. **Origin** ([`check_request`], see [`crate::origin`]). A browser names
//!    the page behind a request in `Origin`, or marks one from another site
//!    in `Sec-Fetch-Site` and `Referer` (an `<img>`); on the API and the
//!    WebSockets only the server's own origin and those given with
//!    `--allow-origin` pass, and get CORS headers. So a page on another site
//!    cannot open a viewer, publish, delete, or show a stream in an
//!    `<img>`, whatever the user's browser can reach. The page's own files
//!    are served to any page. Programs (Python, curl, ffmpeg) send none of
//!    these and go on to the token check.
//! 3. **Token** (the [`CanView`] and [`CanPublish`] extractors, per route).
//!    Where a token is set, a request shows it as `Authorization: Bearer
//!    TOKEN` or, where a client cannot set headers (a browser's WebSocket),
//!    as `?token=TOKEN`. The publish token grants viewing too; a view token
//!    grants viewing only. Tokens are compared in constant time.
//!
//! The defaults: on loopback no token (the Host and Origin checks keep other
//! sites out); beyond loopback a token, which the `framecast` binary
//! generates at start when none is given ([`Access::for_bind`] and
//! `main.rs`).

use std::fmt;
use std::future::{ready, Ready};
use std::net::SocketAddr;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::header;
use actix_web::middleware::Next;
use actix_web::{web, FromRequest, HttpRequest, HttpResponse};
use subtle::ConstantTimeEq;

use crate::authority;
use crate::error::ApiError;
use crate::origin::{self, Caller, Route};

/// Random bytes in a generated token (printed as hex: 48 characters).
pub const GENERATED_TOKEN_BYTES: usize = 24;

/// A secret that grants access. Its `Debug` does not show it.
#[derive(Clone, PartialEq, Eq)]
pub struct Token(String);

impl Token {
    /// A token with the given text; `None` if it is empty.
    pub fn new(text: impl Into<String>) -> Option<Token> {
        let text = text.into();
        (!text.is_empty()).then_some(Token(text))
    }

    /// A fresh random token from the operating system's generator.
    pub fn generate() -> std::io::Result<Token> {
        let mut bytes = [0u8; GENERATED_TOKEN_BYTES];
        getrandom::fill(&mut bytes).map_err(std::io::Error::other)?;
        Ok(Token(bytes.iter().map(|b| format!("{b:02x}")).collect()))
    }

    /// The token's text, for the URL to print.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Whether `candidate` is this token, in time that does not depend on
    /// where they differ.
    fn matches(&self, candidate: &str) -> bool {
        self.0.as_bytes().ct_eq(candidate.as_bytes()).into()
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Token(..)")
    }
}

/// What a request may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Right {
    /// Nothing but the page's own files.
    None,
    /// Watch streams: `/ws`, `GET /api/streams`, `GET .../frame`.
    View,
    /// Publish and delete streams; viewing too.
    Publish,
}

/// The access rules of one server.
#[derive(Debug, Clone)]
pub struct Access {
    /// Host names (without port) served when bound to loopback; `None`
    /// serves any Host (bound beyond loopback, where a token guards instead).
    pub allowed_hosts: Option<Vec<String>>,
    /// Browser origins (`scheme://host[:port]`) let in besides the server's
    /// own.
    pub allowed_origins: Vec<String>,
    /// Grants publishing and viewing; `None`: publishing needs no token.
    pub publish_token: Option<Token>,
    /// Grants viewing only.
    pub view_token: Option<Token>,
    /// Viewing needs no token even where publishing does.
    pub public_view: bool,
}

/// An origin as `--allow-origin` takes it (`https://notebook.example:8888`:
/// scheme, host, optional port, no path; a trailing `/` is dropped), or
/// what is wrong with it.
pub fn parse_origin(text: &str) -> Result<String, String> {
    let origin = text.trim_end_matches('/');
    let valid = origin.split_once("://").is_some_and(|(scheme, rest)| {
        matches!(scheme, "http" | "https") && !rest.is_empty() && !rest.contains('/')
    });
    if valid {
        Ok(origin.to_string())
    } else {
        Err(format!("expected an origin like https://notebook.example:8888 (scheme, host, optional port; no path), got {text:?}"))
    }
}

/// Host names a loopback server answers to, besides `--allow-host`.
pub const LOOPBACK_HOSTS: [&str; 3] = ["localhost", "127.0.0.1", "[::1]"];

impl Default for Access {
    /// Loopback rules: the Host and Origin checks, no token.
    fn default() -> Self {
        Access {
            allowed_hosts: Some(LOOPBACK_HOSTS.iter().map(|h| h.to_string()).collect()),
            allowed_origins: Vec::new(),
            publish_token: None,
            view_token: None,
            public_view: false,
        }
    }
}

impl Access {
    /// The rules for a server bound to `bind`, before tokens: the Host check
    /// on loopback, none beyond it (where the caller sets a token; the
    /// `framecast` binary generates one unless told `--no-auth`).
    pub fn for_bind(bind: SocketAddr) -> Access {
        Access {
            allowed_hosts: bind
                .ip()
                .is_loopback()
                .then(|| LOOPBACK_HOSTS.iter().map(|h| h.to_string()).collect()),
            ..Access::default()
        }
    }

    /// The rules for a server whose frames come from its own process
    /// (`framecast.serve` in Python): [`Access::for_bind`], and beyond
    /// loopback a generated view token, for the URL viewers are given, and
    /// a generated publish token nobody is told, so that nobody holding
    /// that URL can replace a stream.
    pub fn in_process(bind: SocketAddr) -> std::io::Result<Access> {
        let mut access = Access::for_bind(bind);
        if !bind.ip().is_loopback() {
            access.publish_token = Some(Token::generate()?);
            access.view_token = Some(Token::generate()?);
        }
        Ok(access)
    }

    /// Whether anything at all needs a token.
    pub fn needs_token(&self) -> bool {
        self.publish_token.is_some() || self.view_token.is_some()
    }

    /// What a request showing `presented` (or nothing) may do.
    fn rights(&self, presented: Option<&str>) -> Right {
        let shows = |token: &Option<Token>| matches!((token, presented), (Some(token), Some(candidate)) if token.matches(candidate));
        if !self.needs_token() || shows(&self.publish_token) {
            Right::Publish
        } else if self.public_view || shows(&self.view_token) {
            Right::View
        } else {
            Right::None
        }
    }

    /// Whether a request sent to `host` (a name without its port) may be
    /// served.
    fn host_allowed(&self, host: &str) -> bool {
        let Some(allowed) = &self.allowed_hosts else {
            return true;
        };
        allowed.iter().any(|a| a.eq_ignore_ascii_case(host))
    }

    /// Whether a browser request from `origin` to `authority` (the request's
    /// `host[:port]` as sent) may go on.
    fn origin_allowed(&self, origin: &str, authority: &str) -> bool {
        let own = origin.split_once("://").is_some_and(|(scheme, rest)| {
            matches!(scheme, "http" | "https") && rest.eq_ignore_ascii_case(authority)
        });
        own || self
            .allowed_origins
            .iter()
            .any(|allowed| allowed.trim_end_matches('/').eq_ignore_ascii_case(origin))
    }
}

/// Middleware: the Host check and the browser's rules ([`crate::origin`]),
/// for every request, and the CORS headers of what may be read.
pub async fn check_request(
    request: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> actix_web::Result<ServiceResponse<BoxBody>> {
    let access = request
        .app_data::<web::Data<Access>>()
        .expect("run() registers the access rules")
        .clone();
    let route = Route::of(request.path());
    let reader = match admit(&access, request.request(), route) {
        Ok(reader) => reader,
        Err(Refused { error, origin }) => {
            let mut response = request.error_response(error);
            if let Some(origin) = origin {
                origin::let_read(response.headers_mut(), &origin);
            }
            return Ok(response);
        }
    };
    if origin::is_preflight(request.request()) {
        let mut response = HttpResponse::NoContent().finish();
        match &reader {
            Reader::Origin(origin) => origin::allow_preflight(response.headers_mut(), origin),
            _ => origin::let_anyone_read(response.headers_mut()),
        }
        return Ok(request.into_response(response));
    }
    let mut response = next.call(request).await?.map_into_boxed_body();
    match &reader {
        Reader::Anyone => origin::let_anyone_read(response.headers_mut()),
        Reader::Origin(origin) => origin::let_read(response.headers_mut(), origin),
        Reader::SameOrigin => {}
    }
    Ok(response)
}

/// Who may read the answer to an admitted request.
#[derive(Debug)]
enum Reader {
    /// Any page: a file of the page.
    Anyone,
    /// The allowed page that asked.
    Origin(String),
    /// Nobody else: a program, or the server's own page.
    SameOrigin,
}

/// A refused request: the answer, and the page that asked (which may read
/// why), if a browser named one.
struct Refused {
    error: ApiError,
    origin: Option<String>,
}

/// Whether `request` may go on to `route`: a malformed or repeated Host or
/// Origin (400), a name this server does not answer to, a page on another
/// site that is not allowed (403).
fn admit(access: &Access, request: &HttpRequest, route: Route) -> Result<Reader, Refused> {
    let named_origin = request
        .headers()
        .get(header::ORIGIN)
        .and_then(|value| value.to_str().ok())
        .map(str::to_string);
    let refuse = |error| Refused {
        error,
        origin: named_origin.clone(),
    };
    let authority = authority::of_request(request.head()).map_err(|invalid| {
        tracing::warn!(reason = %invalid, "refused a request that does not name one host");
        refuse(ApiError::BadRequest(format!(
            "a request names exactly one host, in one Host header: {invalid}"
        )))
    })?;
    let (host, sent_to) = authority.map_or(("", ""), |a| (a.host, a.text));
    if !access.host_allowed(host) {
        tracing::warn!(
            host = ?sent_to, // Debug: quoted and escaped, as it comes from the client
            "refused a request for a host this server does not serve"
        );
        return Err(refuse(ApiError::HostNotAllowed(sent_to.to_string())));
    }
    let caller = Caller::of(request.headers()).map_err(|error| {
        tracing::warn!(
            path = request.path(),
            "refused a request with two Origin headers"
        );
        refuse(error)
    })?;
    if route == Route::Page {
        return Ok(Reader::Anyone);
    }
    match caller {
        Caller::Unnamed => Ok(Reader::SameOrigin),
        Caller::Origin(origin) if access.origin_allowed(&origin, sent_to) => {
            Ok(Reader::Origin(origin))
        }
        Caller::CrossSite(Some(page)) if access.origin_allowed(&page, sent_to) => {
            Ok(Reader::SameOrigin)
        }
        Caller::Origin(page) | Caller::CrossSite(Some(page)) => {
            tracing::warn!(
                origin = ?page,
                path = request.path(),
                "refused a request from a page on another site"
            );
            Err(refuse(ApiError::OriginNotAllowed(page)))
        }
        Caller::CrossSite(None) => {
            tracing::warn!(
                path = request.path(),
                "refused a request from an unnamed other site"
            );
            Err(refuse(ApiError::UnnamedSite))
        }
    }
}

/// The token a request shows: `Authorization: Bearer T`, else `?token=T`.
fn presented_token(request: &HttpRequest) -> Option<String> {
    let bearer = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
        .map(|token| token.trim().to_string());
    bearer.or_else(|| {
        web::Query::<TokenQuery>::from_query(request.query_string())
            .ok()
            .and_then(|query| query.into_inner().token)
    })
}

#[derive(Debug, serde::Deserialize)]
struct TokenQuery {
    token: Option<String>,
}

fn require(request: &HttpRequest, needed: Right) -> Result<(), ApiError> {
    let access = request
        .app_data::<web::Data<Access>>()
        .expect("run() registers the access rules");
    let presented = presented_token(request);
    let granted = access.rights(presented.as_deref());
    if granted >= needed {
        return Ok(());
    }
    tracing::warn!(
        path = request.path(),
        ?needed,
        shown = presented.is_some(),
        "refused a request without the right token"
    );
    Err(match (presented, granted) {
        (None, _) => ApiError::TokenMissing,
        (Some(_), Right::None) => ApiError::TokenWrong,
        (Some(_), _) => ApiError::PublishTokenNeeded,
    })
}

/// Extractor: the request may view streams.
#[derive(Debug)]
pub struct CanView;

impl FromRequest for CanView {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(request: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(require(request, Right::View).map(|()| CanView))
    }
}

/// Extractor: the request may publish to and delete streams.
#[derive(Debug)]
pub struct CanPublish;

impl FromRequest for CanPublish {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(request: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(require(request, Right::Publish).map(|()| CanPublish))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token(text: &str) -> Option<Token> {
        Token::new(text)
    }

    #[test]
    fn loopback_serves_only_local_host_names() {
        let access = Access::for_bind("127.0.0.1:8080".parse().unwrap());
        let allowed = |value| access.host_allowed(authority::parse(value).unwrap().host);
        for host in [
            "localhost:8080",
            "127.0.0.1:9",
            "[::1]:8080",
            "LOCALHOST",
            "127.0.0.1",
        ] {
            assert!(allowed(host), "{host}");
        }
        for host in [
            "evil.example:8080",
            "evil.example",
            "127.0.0.1.evil.example:80",
            "",
            "[::2]:80",
            "localhost.:80",
        ] {
            assert!(!allowed(host), "{host}");
        }
        let everywhere = Access::for_bind("0.0.0.0:8080".parse().unwrap());
        assert!(everywhere.host_allowed("evil.example"));
    }

    #[test]
    fn only_the_own_origin_and_allowed_ones_pass() {
        let access = Access {
            allowed_origins: vec!["https://notebook.example/".to_string()],
            ..Access::default()
        };
        assert!(access.origin_allowed("http://127.0.0.1:8080", "127.0.0.1:8080"));
        assert!(access.origin_allowed("https://notebook.example", "127.0.0.1:8080"));
        for origin in [
            "http://127.0.0.1:8081",
            "http://evil.example",
            "null",
            "file://",
            "127.0.0.1:8080",
        ] {
            assert!(!access.origin_allowed(origin, "127.0.0.1:8080"), "{origin}");
        }
    }

    #[test]
    fn tokens_grant_what_they_name() {
        let open = Access::default();
        assert_eq!(open.rights(None), Right::Publish);

        let one = Access {
            publish_token: token("secret"),
            ..Access::default()
        };
        assert_eq!(one.rights(None), Right::None);
        assert_eq!(one.rights(Some("secreT")), Right::None);
        assert_eq!(one.rights(Some("secret")), Right::Publish);

        let split = Access {
            publish_token: token("pub"),
            view_token: token("view"),
            ..Access::default()
        };
        assert_eq!(split.rights(Some("view")), Right::View);
        assert_eq!(split.rights(Some("pub")), Right::Publish);
        assert_eq!(split.rights(Some("")), Right::None);

        let public = Access {
            publish_token: token("pub"),
            public_view: true,
            ..Access::default()
        };
        assert_eq!(public.rights(None), Right::View);
        assert_eq!(public.rights(Some("pub")), Right::Publish);
    }

    #[test]
    fn generated_tokens_are_long_and_differ() {
        let (a, b) = (Token::generate().unwrap(), Token::generate().unwrap());
        assert_eq!(a.expose().len(), 2 * GENERATED_TOKEN_BYTES);
        assert_ne!(a, b);
        assert_eq!(format!("{a:?}"), "Token(..)");
    }
}
