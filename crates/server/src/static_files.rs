//! The page's files, from one directory, and nothing else.
//!
//! A request path is refused (404) when a segment is hidden (`.git`,
//! `.env`), is `..`, or holds a backslash or NUL; otherwise the file's real
//! path, symlinks resolved, must lie inside the page directory (itself
//! resolved when the server starts). A directory serves its `index.html` or
//! nothing: there are no listings.

use std::path::{Path, PathBuf};

use actix_files::NamedFile;
use actix_web::{web, HttpRequest, HttpResponse, Responder};

/// The page directory, resolved once at start.
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
        let acceptable =
            |segment: &str| !segment.starts_with('.') && !segment.contains(['\\', '\0']);
        let segments: Vec<&str> = request_path.split('/').filter(|s| !s.is_empty()).collect();
        if !segments.iter().all(|segment| acceptable(segment)) {
            return None;
        }
        let mut path = self.0.join(segments.join("/"));
        if path.is_dir() {
            path.push("index.html");
        }
        let real = path.canonicalize().ok()?;
        (real.starts_with(&self.0) && real.is_file()).then_some(real)
    }
}

/// `GET /{path}`: a file of the page.
pub async fn serve(request: HttpRequest, dir: web::Data<PageDir>) -> HttpResponse {
    let path = request.match_info().query("path");
    match dir.resolve(path).map(NamedFile::open) {
        Some(Ok(file)) => file.respond_to(&request).map_into_boxed_body(),
        _ => {
            tracing::debug!(path, "no such page file");
            HttpResponse::NotFound()
                .content_type("text/plain; charset=utf-8")
                .body("not found\n")
        }
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
