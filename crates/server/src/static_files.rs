//! The page's files: compiled into the binary from `www/` when it was
//! built (see `build.rs`), or read from a directory given with `--www`
//! (for working on the page without rebuilding), and nothing else.
//!
//! A request path is refused (404) when a segment is hidden (`.git`,
//! `.env`), is `..`, or holds a backslash or NUL. From a directory, the
//! file's real path, symlinks resolved, must also lie inside it (itself
//! resolved when the server starts). A directory serves its `index.html` or
//! nothing: there are no listings.

use std::path::{Path, PathBuf};

use crate::error::ApiError;
use actix_files::NamedFile;
use actix_web::http::header::{self, HeaderValue};
use actix_web::ResponseError;
use actix_web::{web, HttpRequest, HttpResponse, Responder};

/// A file of the page compiled into the binary.
#[derive(Debug)]
struct EmbeddedFile {
    /// Relative to `www/`, `/`-separated.
    path: &'static str,
    contents: &'static [u8],
    /// A hash of the contents, quoted.
    etag: &'static str,
}

/// Every visible file of `www/` when the binary was built.
static EMBEDDED: &[EmbeddedFile] = include!(concat!(env!("OUT_DIR"), "/page.rs"));

/// The file the page imports the viewer from: without it the page cannot
/// decode.
pub const VIEWER_JS: &str = "pkg/framecast_viewer.js";

/// Where the page's files come from.
#[derive(Debug, Clone)]
pub enum Page {
    /// Compiled into the binary.
    Embedded,
    /// A directory, resolved once at start.
    Dir(PageDir),
}

impl Page {
    /// The page in `dir`, which must hold an `index.html`.
    pub fn dir(dir: &Path) -> std::io::Result<Page> {
        let dir = PageDir::new(dir)?;
        match dir.resolve("index.html") {
            Some(_) => Ok(Page::Dir(dir)),
            None => Err(std::io::Error::new(
                std::io::ErrorKind::NotFound,
                format!("{} has no index.html", dir.0.display()),
            )),
        }
    }

    /// The compiled-in file at `path` (relative to `www/`, like
    /// `pkg/framecast_viewer.js`), for embedding the viewer elsewhere (the
    /// Python package's notebook widget).
    pub fn embedded_file(path: &str) -> Option<&'static [u8]> {
        embedded(path).map(|file| file.contents)
    }

    /// What is missing when the page lacks the wasm viewer (built by `just
    /// wasm`), said for a person.
    pub fn missing_viewer(&self) -> Option<String> {
        match self {
            Page::Embedded if embedded(VIEWER_JS).is_none() => Some(format!(
                "this framecast was built without the wasm viewer ({VIEWER_JS}): \
                 run `just wasm`, then build framecast again"
            )),
            Page::Dir(dir) if dir.resolve(VIEWER_JS).is_none() => Some(format!(
                "{} has no {VIEWER_JS}: run `just wasm`",
                dir.0.display()
            )),
            _ => None,
        }
    }
}

/// Whether every segment of `request_path` may name a file of the page,
/// and those segments.
fn segments(request_path: &str) -> Option<Vec<&str>> {
    let acceptable = |segment: &str| !segment.starts_with('.') && !segment.contains(['\\', '\0']);
    let segments: Vec<&str> = request_path.split('/').filter(|s| !s.is_empty()).collect();
    segments
        .iter()
        .all(|segment| acceptable(segment))
        .then_some(segments)
}

/// The compiled-in file that `request_path` names, if any.
fn embedded(request_path: &str) -> Option<&'static EmbeddedFile> {
    let path = segments(request_path)?.join("/");
    let find = |wanted: &str| EMBEDDED.iter().find(|file| file.path == wanted);
    match path.as_str() {
        "" => find("index.html"),
        path => find(path).or_else(|| find(&format!("{path}/index.html"))),
    }
}

/// A directory of the page, resolved once at start.
#[derive(Debug, Clone)]
pub struct PageDir(PathBuf);

impl PageDir {
    /// `dir`, with symlinks resolved.
    pub fn new(dir: &Path) -> std::io::Result<PageDir> {
        Ok(PageDir(dir.canonicalize()?))
    }

    /// The file that `request_path` (percent-decoded, without the leading
    /// `/`) names, if it may be served.
    pub fn resolve(&self, request_path: &str) -> Option<PathBuf> {
        let mut path = self.0.join(segments(request_path)?.join("/"));
        if path.is_dir() {
            path.push("index.html");
        }
        let real = path.canonicalize().ok()?;
        (real.starts_with(&self.0) && real.is_file()).then_some(real)
    }
}

/// `GET /{path}`: a file of the page. Compiled-in files carry an ETag and
/// are revalidated on each load (`no-cache`), so a rebuilt server's page is
/// never stale.
pub async fn serve(request: HttpRequest, page: web::Data<Page>) -> HttpResponse {
    let path = request.match_info().query("path");
    match page.get_ref() {
        Page::Embedded => {
            if let Some(file) = embedded(path) {
                return embedded_response(&request, file);
            }
        }
        Page::Dir(dir) => {
            if let Some(Ok(file)) = dir.resolve(path).map(NamedFile::open) {
                return file.respond_to(&request).map_into_boxed_body();
            }
        }
    }
    tracing::debug!(path, "no such page file");
    ApiError::NotFound(format!("no file /{path} in the page")).error_response()
}

/// The media type of a file of the page, from its name.
fn content_type(path: &str) -> &'static str {
    match path.rsplit_once('.').map(|(_, extension)| extension) {
        Some("html") => "text/html; charset=utf-8",
        Some("js") => "text/javascript; charset=utf-8",
        Some("wasm") => "application/wasm",
        Some("css") => "text/css; charset=utf-8",
        Some("json") => "application/json",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("ts" | "md" | "txt") => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

fn embedded_response(request: &HttpRequest, file: &'static EmbeddedFile) -> HttpResponse {
    let fresh = request
        .headers()
        .get(header::IF_NONE_MATCH)
        .is_some_and(|tags| tags.as_bytes() == file.etag.as_bytes());
    let mut response = if fresh {
        HttpResponse::NotModified()
    } else {
        HttpResponse::Ok()
    };
    response
        .insert_header((header::CONTENT_TYPE, content_type(file.path)))
        .insert_header((header::ETAG, HeaderValue::from_static(file.etag)))
        .insert_header((header::CACHE_CONTROL, HeaderValue::from_static("no-cache")));
    if fresh {
        response.finish()
    } else {
        response.body(file.contents)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_visible_files_inside_the_directory_are_served() {
        let root = std::env::temp_dir().join(format!("framecast-page-{}", std::process::id()));
        let page = root.join("www");
        std::fs::create_dir_all(page.join("pkg")).unwrap();
        std::fs::write(page.join("index.html"), "page").unwrap();
        std::fs::write(page.join("pkg/viewer.js"), "js").unwrap();
        std::fs::write(page.join(".env"), "secret").unwrap();
        std::fs::write(root.join("outside.txt"), "secret").unwrap();
        std::os::unix::fs::symlink(root.join("outside.txt"), page.join("link.txt")).unwrap();
        std::os::unix::fs::symlink(page.join("index.html"), page.join("inside.html")).unwrap();

        let dir = PageDir::new(&page).unwrap();
        let served = |path: &str| {
            dir.resolve(path)
                .map(|p| std::fs::read_to_string(p).unwrap())
        };
        assert_eq!(
            served("").as_deref(),
            Some("page"),
            "a directory serves its index.html"
        );
        assert_eq!(served("pkg/viewer.js").as_deref(), Some("js"));
        assert_eq!(
            served("inside.html").as_deref(),
            Some("page"),
            "a link within is fine"
        );
        for refused in [
            "link.txt",
            ".env",
            "../outside.txt",
            "pkg/../../outside.txt",
            "pkg",
            "pkg\\..\\x",
            "nope.js",
        ] {
            assert_eq!(served(refused), None, "{refused}");
        }
        std::fs::remove_dir_all(root).unwrap();
    }
}
