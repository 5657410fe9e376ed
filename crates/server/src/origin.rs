//! Which web pages may use the server from a browser, and the CORS headers
//! that let an allowed page read what it gets.
//!
//! The server's routes are of two kinds ([`Route`]):
//! - **the page's files** (`/`, `/framecast.js`, `pkg/`...): the same on
//!   every framecast install and holding no stream data, so any page may
//!   load them, with `Access-Control-Allow-Origin: *`. A page on any
//!   origin can therefore load `<framecast-view>`, which then says why the
//!   server refuses it, rather than failing without a word;
//! - **data** (`/api/`, `/ws/`, `/ingest/`): only the server's own origin and
//!   those given with `--allow-origin` may use them from a browser.
//!
//! A browser names the page behind a request in `Origin` (fetches, WebSockets,
//! posts). It sends none for an `<img>`, but marks a request from another
//! site with `Sec-Fetch-Site` (`cross-site`, `same-site`) and names the page
//! in `Referer`; such a request to a data route is refused unless the
//! Referer's origin is allowed, so no page can show a private stream to its
//! visitor through an `<img>` or use up the server's places. Programs send
//! none of these and go on to the token check.
//!
//! An allowed origin gets `Access-Control-Allow-Origin` (and answers to its
//! preflights); a refusal carries it for any origin, so that a page can read
//! why it was refused (which flag would let it in), and nothing more.

use actix_web::http::header::{self, HeaderMap, HeaderValue};
use actix_web::http::Method;
use actix_web::HttpRequest;

use crate::error::ApiError;

/// What a path serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    /// A file of the page: no stream data.
    Page,
    /// The API and the WebSockets.
    Data,
}

impl Route {
    /// The kind of route `path` is.
    pub fn of(path: &str) -> Route {
        let data = ["/api/", "/ws/", "/ingest/"]
            .iter()
            .any(|prefix| path.starts_with(prefix))
            || path == "/api";
        if data {
            Route::Data
        } else {
            Route::Page
        }
    }
}

/// Who a browser says made a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Caller {
    /// No browser says anything: a program, a page of the server's own
    /// origin, or a user who typed the URL.
    Unnamed,
    /// A page named by `Origin`.
    Origin(String),
    /// A request a browser marked as coming from another site without an
    /// `Origin` (an `<img>`), and the origin of its `Referer`, if it sent one.
    CrossSite(Option<String>),
}

impl Caller {
    /// Reads the request's `Origin`, `Sec-Fetch-Site` and `Referer`.
    /// Two Origin headers are a bad request.
    pub fn of(headers: &HeaderMap) -> Result<Caller, ApiError> {
        let mut origins = headers.get_all(header::ORIGIN);
        match (origins.next(), origins.next()) {
            (Some(_), Some(_)) => {
                return Err(ApiError::BadRequest(
                    "more than one Origin header; a browser sends one".to_string(),
                ))
            }
            (Some(origin), None) => {
                return Ok(Caller::Origin(
                    origin.to_str().unwrap_or("(not text)").to_string(),
                ))
            }
            (None, _) => {}
        }
        let text = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
        let referer = text(header::REFERER.as_str()).map(origin_of);
        let from_elsewhere = match text("sec-fetch-site") {
            Some("cross-site" | "same-site") => true,
            Some(_) => false,
            // A browser without Fetch Metadata: its Referer tells.
            None => referer.is_some(),
        };
        Ok(if from_elsewhere {
            Caller::CrossSite(referer)
        } else {
            Caller::Unnamed
        })
    }
}

/// The origin (`scheme://host[:port]`) of a URL as a `Referer` gives it.
fn origin_of(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    format!("{scheme}://{}", &rest[..end])
}

/// Whether `request` is a CORS preflight: `OPTIONS` with an `Origin` and the
/// method it asks for.
pub fn is_preflight(request: &HttpRequest) -> bool {
    request.method() == Method::OPTIONS
        && request.headers().contains_key(header::ORIGIN)
        && request
            .headers()
            .contains_key(header::ACCESS_CONTROL_REQUEST_METHOD)
}

/// Methods and headers an allowed origin's page may use on the data routes.
const ALLOWED_METHODS: &str = "GET, POST, DELETE";
const ALLOWED_HEADERS: &str = "Authorization, Content-Type";
/// Headers of the frame route a page may read.
const EXPOSED_HEADERS: &str =
    "X-Framecast-Width, X-Framecast-Height, X-Framecast-Format, X-Framecast-Seq, X-Framecast-Colormap, X-Framecast-Range";
/// How long a browser may keep a preflight's answer, in seconds.
const PREFLIGHT_MAX_AGE: &str = "600";

/// Lets `origin` read the response: for an allowed origin on any response,
/// for any origin on a refusal.
pub fn let_read(headers: &mut HeaderMap, origin: &str) {
    if let Ok(value) = HeaderValue::from_str(origin) {
        headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, value);
        headers.insert(header::VARY, HeaderValue::from_static("Origin"));
        headers.insert(
            header::ACCESS_CONTROL_EXPOSE_HEADERS,
            HeaderValue::from_static(EXPOSED_HEADERS),
        );
    }
}

/// Lets any page read a file of the page.
pub fn let_anyone_read(headers: &mut HeaderMap) {
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
}

/// The headers of an allowed origin's preflight answer.
pub fn allow_preflight(headers: &mut HeaderMap, origin: &str) {
    let_read(headers, origin);
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_METHODS,
        HeaderValue::from_static(ALLOWED_METHODS),
    );
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_HEADERS,
        HeaderValue::from_static(ALLOWED_HEADERS),
    );
    headers.insert(
        header::ACCESS_CONTROL_MAX_AGE,
        HeaderValue::from_static(PREFLIGHT_MAX_AGE),
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    fn caller(headers: &[(&str, &str)]) -> Result<Caller, ApiError> {
        let mut request = TestRequest::get();
        for header in headers {
            request = request.append_header(*header);
        }
        Caller::of(request.to_http_request().headers())
    }

    #[test]
    fn routes_are_data_or_the_page() {
        for path in [
            "/api/streams",
            "/api",
            "/ws/cam",
            "/ingest/cam",
            "/api/streams/a/mjpeg",
        ] {
            assert_eq!(Route::of(path), Route::Data, "{path}");
        }
        for path in [
            "/",
            "/framecast.js",
            "/pkg/framecast_viewer_bg.wasm",
            "/apix",
            "/wsx",
        ] {
            assert_eq!(Route::of(path), Route::Page, "{path}");
        }
    }

    #[test]
    fn a_browser_names_the_page_behind_a_request() {
        assert_eq!(caller(&[]).unwrap(), Caller::Unnamed, "a program");
        assert_eq!(
            caller(&[("Origin", "http://a.example")]).unwrap(),
            Caller::Origin("http://a.example".into())
        );
        assert!(caller(&[("Origin", "http://a"), ("Origin", "http://b")]).is_err());
        let img = [
            ("Sec-Fetch-Site", "cross-site"),
            ("Referer", "https://evil.example:8443/page.html?x#y"),
        ];
        assert_eq!(
            caller(&img).unwrap(),
            Caller::CrossSite(Some("https://evil.example:8443".into()))
        );
        assert_eq!(
            caller(&[("Sec-Fetch-Site", "same-site")]).unwrap(),
            Caller::CrossSite(None),
            "no Referer: no way to tell which page"
        );
        assert_eq!(
            caller(&[("Sec-Fetch-Site", "same-origin"), ("Referer", "http://x/")]).unwrap(),
            Caller::Unnamed
        );
        assert_eq!(
            caller(&[("Sec-Fetch-Site", "none")]).unwrap(),
            Caller::Unnamed,
            "typed"
        );
        assert_eq!(
            caller(&[("Referer", "http://old.example/")]).unwrap(),
            Caller::CrossSite(Some("http://old.example".into())),
            "a browser without Fetch Metadata"
        );
    }
}
