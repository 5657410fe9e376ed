//! What a page on another origin gets from the server: the page's files
//! (`/framecast.js`, the wasm viewer) with `Access-Control-Allow-Origin: *`;
//! the API refused with a reason it can read; and, for an origin the
//! server allows, preflights answered and every response readable.

mod common;

use common::{gradient, http_request, start_server_with, Response};
use framecast_codec::PixelFormat;
use framecast_server::{Access, Config};

const ALLOWED: &str = "http://dashboard.example:3000";
const OTHER: &str = "http://evil.example";

fn header<'a>(response: &'a Response, name: &str) -> Option<&'a str> {
    response.head.lines().find_map(|line| {
        let (key, value) = line.split_once(':')?;
        key.trim().eq_ignore_ascii_case(name).then(|| value.trim())
    })
}

#[tokio::test]
async fn pages_anywhere_load_the_code_and_only_allowed_ones_read_data() {
    let server = start_server_with(Config {
        access: Access {
            allowed_origins: vec![ALLOWED.to_string()],
            ..Access::default()
        },
        ..Config::default()
    })
    .await;
    let stream = server.streams.get_or_create("cam").unwrap();
    stream
        .publish(8, 8, PixelFormat::Rgb8, gradient(8, 8, 0))
        .unwrap();
    let address = server.address;
    let get = |path: &'static str, origin: &'static str| async move {
        http_request(address, "GET", path, &[("Origin", origin)], b"").await
    };

    // The code holds no data: any page may load it.
    for path in ["/framecast.js", "/pkg/framecast_viewer_bg.wasm", "/"] {
        let response = get(path, OTHER).await;
        assert_eq!(response.status, 200, "{path}");
        assert_eq!(
            header(&response, "access-control-allow-origin"),
            Some("*"),
            "{path}"
        );
    }

    // Data: refused for another origin, with a reason it may read.
    let refused = get("/api/streams", OTHER).await;
    assert_eq!(refused.status, 403);
    assert_eq!(header(&refused, "access-control-allow-origin"), Some(OTHER));
    assert!(
        refused
            .error()
            .contains("--allow-origin http://evil.example"),
        "{}",
        refused.error()
    );

    // An allowed origin reads it, and the frame's headers too.
    let listed = get("/api/streams", ALLOWED).await;
    assert_eq!(listed.status, 200);
    assert_eq!(
        header(&listed, "access-control-allow-origin"),
        Some(ALLOWED)
    );
    assert_eq!(header(&listed, "vary"), Some("Origin"));
    let frame = get("/api/streams/cam/frame", ALLOWED).await;
    assert!(header(&frame, "access-control-expose-headers")
        .unwrap()
        .contains("X-Framecast-Width"));

    // Preflights: answered for an allowed origin, refused for another.
    let preflight = |origin: &'static str| async move {
        let headers = [
            ("Origin", origin),
            ("Access-Control-Request-Method", "GET"),
            ("Access-Control-Request-Headers", "authorization"),
        ];
        http_request(address, "OPTIONS", "/api/streams", &headers, b"").await
    };
    let allowed = preflight(ALLOWED).await;
    assert_eq!(allowed.status, 204);
    assert_eq!(
        header(&allowed, "access-control-allow-origin"),
        Some(ALLOWED)
    );
    assert!(header(&allowed, "access-control-allow-headers")
        .unwrap()
        .contains("Authorization"));
    assert_eq!(preflight(OTHER).await.status, 403);
}
