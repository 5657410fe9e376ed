//! What a hostile web page or client can do against the real server on
//! loopback: every refusal SECURITY.md promises, with its status or close
//! code and its message.

mod common;

use std::time::Duration;

use common::{
    assert_close, gradient, http_post, http_request, next_close, start_server, start_server_on,
    start_server_with, websocket, TestServer, Viewer, EXPECT_WITHIN,
};
use framecast_codec::wire::write_publish_header;
use framecast_codec::{KeyframeReason, KeyframeRequest, PixelFormat};
use framecast_server::{Access, Config, Limits, Page, Streams, Token};
use futures_util::SinkExt;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::Message;

const EVIL: &str = "http://evil.example";

fn publish_message(width: u32, height: u32, pixels: &[u8]) -> Message {
    let mut bytes = Vec::new();
    write_publish_header(&mut bytes, width, height, PixelFormat::Rgb8, 0);
    bytes.extend_from_slice(pixels);
    Message::Binary(bytes.into())
}

fn url(server: &TestServer, path: &str) -> String {
    format!("ws://{}{path}", server.address)
}

#[tokio::test]
async fn a_rebinding_host_is_refused_and_local_names_are_served() {
    let server = start_server().await;
    server.streams.get_or_create("cam").unwrap();
    let port = server.address.port();
    for host in [
        format!("localhost:{port}"),
        format!("127.0.0.1:{port}"),
        "[::1]".to_string(),
    ] {
        let response = http_request(
            server.address,
            "GET",
            "/api/streams",
            &[("Host", &host)],
            b"",
        )
        .await;
        assert_eq!(response.status, 200, "{host}");
    }
    let evil = format!("evil.example:{port}");
    for path in ["/api/streams", "/", "/api/streams/cam/frame"] {
        let response = http_request(server.address, "GET", path, &[("Host", &evil)], b"").await;
        assert_eq!(response.status, 403, "{path}");
        assert!(
            response.error().contains("--allow-host"),
            "{}",
            response.error()
        );
    }
    let refused = websocket(&url(&server, "/ws/cam"), &[("Host", &evil)])
        .await
        .err();
    assert_eq!(refused.map(|(status, _)| status), Some(403));

    let allowed = start_server_with(Config {
        access: Access {
            allowed_hosts: Some(vec!["localhost".into(), "framecast.test".into()]),
            ..Access::default()
        },
        ..Config::default()
    })
    .await;
    let response = http_request(
        allowed.address,
        "GET",
        "/api/streams",
        &[("Host", "framecast.test:80")],
        b"",
    )
    .await;
    assert_eq!(response.status, 200, "--allow-host");
}

#[tokio::test]
async fn a_page_on_another_origin_cannot_view_publish_or_delete() {
    let server = start_server().await;
    let stream = server.streams.get_or_create("cam").unwrap();
    stream
        .publish(16, 16, PixelFormat::Rgb8, gradient(16, 16, 1))
        .unwrap();

    let (status, body) = websocket(&url(&server, "/ws/cam"), &[("Origin", EVIL)])
        .await
        .err()
        .unwrap();
    assert_eq!(status, 403);
    assert!(
        body.contains("--allow-origin http://evil.example"),
        "{body}"
    );
    let (status, _) = websocket(&url(&server, "/ingest/cam"), &[("Origin", EVIL)])
        .await
        .err()
        .unwrap();
    assert_eq!(status, 403);
    for (method, path) in [
        ("POST", "/api/streams/cam/frame?width=16&height=16"),
        ("DELETE", "/api/streams/cam"),
        ("GET", "/api/streams"),
    ] {
        let response = http_request(
            server.address,
            method,
            path,
            &[
                ("Origin", EVIL),
                ("Content-Type", "application/octet-stream"),
            ],
            &gradient(16, 16, 2),
        )
        .await;
        assert_eq!(response.status, 403, "{method} {path}");
    }
    assert_eq!(stream.latest().unwrap().seq, 1, "nothing was published");
    assert!(server.streams.get("cam").is_some(), "nothing was deleted");

    // The server's own page (and programs, which send no Origin) get in.
    let own = format!("http://{}", server.address);
    assert!(websocket(&url(&server, "/ws/cam"), &[("Origin", &own)])
        .await
        .is_ok());
    let response = http_request(
        server.address,
        "POST",
        "/api/streams/cam/frame?width=16&height=16",
        &[
            ("Origin", &own),
            ("Content-Type", "application/octet-stream"),
        ],
        &gradient(16, 16, 2),
    )
    .await;
    assert_eq!(response.status, 200);

    // An origin the user allows gets in too.
    let allowing = start_server_with(Config {
        access: Access {
            allowed_origins: vec![EVIL.to_string()],
            ..Access::default()
        },
        ..Config::default()
    })
    .await;
    allowing.streams.get_or_create("cam").unwrap();
    assert!(websocket(&url(&allowing, "/ws/cam"), &[("Origin", EVIL)])
        .await
        .is_ok());
}

#[tokio::test]
async fn a_publish_post_must_be_an_octet_stream() {
    let server = start_server().await;
    for content_type in [
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
    ] {
        let response = http_request(
            server.address,
            "POST",
            "/api/streams/cam/frame?width=2&height=2",
            &[("Content-Type", content_type)],
            &[0; 12],
        )
        .await;
        assert_eq!(response.status, 415, "{content_type}");
        assert!(response.error().contains("application/octet-stream"));
    }
    assert!(server.streams.get("cam").is_none(), "no stream was created");
    let response = http_post(&server, "/api/streams/cam/frame?width=2&height=2", &[0; 12]).await;
    assert_eq!(response.status, 200);
}

fn token_config() -> Config {
    Config {
        access: Access {
            publish_token: Token::new("publish-secret"),
            view_token: Token::new("view-secret"),
            ..Access::default()
        },
        ..Config::default()
    }
}

#[tokio::test]
async fn tokens_grant_viewing_and_publishing_separately() {
    let server = start_server_with(token_config()).await;
    let frame = gradient(8, 8, 1);
    let post = |headers: &'static [(&'static str, &'static str)], path: &'static str| {
        let all: Vec<(&str, &str)> = headers
            .iter()
            .copied()
            .chain([("Content-Type", "application/octet-stream")])
            .collect();
        let frame = frame.clone();
        let address = server.address;
        async move { http_request(address, "POST", path, &all, &frame).await }
    };

    // Publishing needs the publish token, as a header or in the query.
    let missing = post(&[], "/api/streams/cam/frame?width=8&height=8").await;
    assert_eq!(missing.status, 401);
    assert!(
        missing.error().contains("needs a token"),
        "{}",
        missing.error()
    );
    assert!(missing
        .head
        .to_lowercase()
        .contains("www-authenticate: bearer"));
    let wrong = post(
        &[("Authorization", "Bearer publish-secreT")],
        "/api/streams/cam/frame?width=8&height=8",
    )
    .await;
    assert_eq!(
        (wrong.status, wrong.error()),
        (401, "wrong token".to_string())
    );
    let viewer_only = post(
        &[("Authorization", "Bearer view-secret")],
        "/api/streams/cam/frame?width=8&height=8",
    )
    .await;
    assert_eq!(viewer_only.status, 403);
    assert!(viewer_only.error().contains("may view but not publish"));
    assert!(server.streams.get("cam").is_none());
    assert_eq!(
        post(
            &[("Authorization", "Bearer publish-secret")],
            "/api/streams/cam/frame?width=8&height=8"
        )
        .await
        .status,
        200
    );
    assert_eq!(
        post(
            &[],
            "/api/streams/cam/frame?width=8&height=8&token=publish-secret"
        )
        .await
        .status,
        200
    );

    // Viewing needs either token.
    let get = |path: &'static str| http_request(server.address, "GET", path, &[], b"");
    assert_eq!(get("/api/streams").await.status, 401);
    assert_eq!(get("/api/streams?token=nope").await.status, 401);
    assert_eq!(get("/api/streams/cam/frame").await.status, 401);
    assert_eq!(get("/api/streams?token=view-secret").await.status, 200);
    assert_eq!(get("/api/streams?token=publish-secret").await.status, 200);
    assert_eq!(get("/").await.status, 200, "the page itself is not secret");

    assert_eq!(
        websocket(&url(&server, "/ws/cam"), &[])
            .await
            .err()
            .map(|e| e.0),
        Some(401)
    );
    let mut viewer = Viewer::over(
        websocket(&url(&server, "/ws/cam?token=view-secret"), &[])
            .await
            .unwrap(),
    );
    viewer.receive().await;
    viewer.assert_shows(PixelFormat::Rgb8, &frame);

    // Ingest: a view token may not publish; the publish token may.
    let refused = websocket(&url(&server, "/ingest/cam?token=view-secret"), &[])
        .await
        .err();
    assert_eq!(refused.map(|e| e.0), Some(403));
    let mut producer = websocket(
        &url(&server, "/ingest/cam"),
        &[("Authorization", "Bearer publish-secret")],
    )
    .await
    .unwrap();
    let next = gradient(8, 8, 9);
    producer.send(publish_message(8, 8, &next)).await.unwrap();
    viewer.ack(viewer.decoder.held_seq().unwrap()).await;
    viewer.receive().await;
    viewer.assert_shows(PixelFormat::Rgb8, &next);

    // Deleting is publishing.
    let delete = |token: &'static str| {
        let address = server.address;
        async move {
            http_request(
                address,
                "DELETE",
                &format!("/api/streams/cam?token={token}"),
                &[],
                b"",
            )
            .await
            .status
        }
    };
    assert_eq!(delete("view-secret").await, 403);
    assert_eq!(delete("publish-secret").await, 204);
}

#[tokio::test]
async fn forged_and_repeated_acks_close_the_viewer() {
    let server = start_server().await;
    let stream = server.streams.get_or_create("cam").unwrap();
    stream
        .publish(32, 32, PixelFormat::Rgb8, gradient(32, 32, 1))
        .unwrap();

    let mut forger = Viewer::connect(&server, "cam").await;
    forger.receive().await;
    forger.ack(u64::MAX).await;
    let close = forger.next_close().await;
    assert_close(
        &close,
        CloseCode::Policy,
        "ack for frame 18446744073709551615",
    );

    let mut repeater = Viewer::connect(&server, "cam").await;
    repeater.receive().await;
    repeater.ack(1).await;
    repeater.ack(1).await;
    let close = repeater.next_close().await;
    assert_close(&close, CloseCode::Policy, "already acknowledged");
}

#[tokio::test]
async fn a_keyframe_request_flood_costs_one_keyframe_then_the_viewer() {
    let streams = Streams::with_limits(Limits {
        keyframe_requests_per_minute: 60,
        ..Limits::default()
    });
    let server = start_server_on(Config::default(), streams).await;
    let stream = server.streams.get_or_create("cam").unwrap();
    stream
        .publish(64, 64, PixelFormat::Rgb8, gradient(64, 64, 1))
        .unwrap();
    let mut viewer = Viewer::connect(&server, "cam").await;
    viewer.receive().await;
    viewer.ack(1).await;
    stream
        .publish(64, 64, PixelFormat::Rgb8, gradient(64, 64, 2))
        .unwrap();
    viewer.next_binary_within(EXPECT_WITHIN).await.unwrap();

    let request = || {
        let mut out = Vec::new();
        KeyframeRequest {
            reason: KeyframeReason::DecodeError,
        }
        .write(&mut out);
        Message::Binary(out.into())
    };
    for _ in 0..5 {
        viewer.socket.send(request()).await.unwrap();
    }
    let mut keyframes = 0;
    while let Some(message) = viewer.next_binary_within(Duration::from_millis(400)).await {
        let header = framecast_codec::wire::parse_frame(&message).unwrap().header;
        assert_eq!((header.seq, header.base_seq), (2, 0));
        keyframes += 1;
    }
    assert_eq!(keyframes, 1, "five requests, one keyframe in flight");

    // Past the rate (a burst of ten a minute's sixth), the viewer is closed.
    for _ in 0..20 {
        if viewer.socket.send(request()).await.is_err() {
            break;
        }
    }
    let close = viewer.next_close().await;
    assert_close(&close, CloseCode::Policy, "60 keyframe requests a minute");
}

#[tokio::test]
async fn an_oversize_viewer_message_closes_with_1009() {
    let server = start_server().await;
    server.streams.get_or_create("cam").unwrap();
    let mut viewer = Viewer::connect(&server, "cam").await;
    let _ = viewer
        .socket
        .send(Message::Binary(vec![0; 65 * 1024].into()))
        .await;
    let close = viewer.next_close().await;
    assert_close(&close, CloseCode::Size, "65536 bytes");
}

#[tokio::test]
async fn a_producer_sending_garbage_between_pings_is_still_closed() {
    let server = start_server().await;
    let mut producer = websocket(&url(&server, "/ingest/cam"), &[]).await.unwrap();
    for _ in 0..10 {
        producer
            .send(Message::Ping(b"hi".to_vec().into()))
            .await
            .unwrap();
        producer
            .send(Message::Pong(b"hi".to_vec().into()))
            .await
            .unwrap();
        producer
            .send(Message::Binary(b"garbage".to_vec().into()))
            .await
            .unwrap();
    }
    let close = next_close(&mut producer).await;
    assert_close(&close, CloseCode::Policy, "10 bad messages in a row");
}

#[tokio::test]
async fn streams_viewers_and_producers_are_limited_with_a_message() {
    let streams = Streams::with_limits(Limits {
        max_streams: 2,
        max_viewers_per_stream: 1,
        max_producers_per_stream: 1,
        ..Limits::default()
    });
    let server = start_server_on(Config::default(), streams).await;
    let pixels = gradient(4, 4, 0);
    let post = |name: &'static str| {
        let path = format!("/api/streams/{name}/frame?width=4&height=4");
        let (server, pixels) = (&server, &pixels);
        async move { http_post(server, &path, pixels).await }
    };
    assert_eq!(post("a").await.status, 200);
    assert_eq!(post("b").await.status, 200);
    let refused = post("c").await;
    assert_eq!(refused.status, 429);
    assert!(
        refused.error().contains("--max-streams"),
        "{}",
        refused.error()
    );
    let (status, body) = websocket(&url(&server, "/ingest/c"), &[])
        .await
        .err()
        .unwrap();
    assert_eq!(status, 429);
    assert!(body.contains("--max-streams"), "{body}");
    assert_eq!(
        http_request(server.address, "DELETE", "/api/streams/b", &[], b"")
            .await
            .status,
        204
    );
    assert_eq!(post("c").await.status, 200, "deleting one made room");

    let _viewer = Viewer::connect(&server, "a").await;
    let (status, body) = websocket(&url(&server, "/ws/a"), &[]).await.err().unwrap();
    assert_eq!(status, 429);
    assert!(body.contains("(--max-viewers-per-stream)"), "{body}");

    let _producer = websocket(&url(&server, "/ingest/a"), &[]).await.unwrap();
    let (status, body) = websocket(&url(&server, "/ingest/a"), &[])
        .await
        .err()
        .unwrap();
    assert_eq!(status, 429);
    assert!(body.contains("(--max-producers-per-stream)"), "{body}");
}

#[tokio::test]
async fn viewers_in_all_are_limited_and_a_place_frees_when_one_leaves() {
    let streams = Streams::with_limits(Limits {
        max_viewers: 2,
        ..Limits::default()
    });
    let server = start_server_on(Config::default(), streams).await;
    for name in ["a", "b"] {
        server.streams.get_or_create(name).unwrap();
    }
    let first = Viewer::connect(&server, "a").await;
    let _second = Viewer::connect(&server, "b").await;
    let (status, body) = websocket(&url(&server, "/ws/b"), &[]).await.err().unwrap();
    assert_eq!(status, 429);
    assert!(body.contains("(--max-viewers)"), "{body}");
    drop(first);
    let deadline = tokio::time::Instant::now() + EXPECT_WITHIN;
    while server.streams.viewer_count() > 1 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the viewer that left is still counted"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(websocket(&url(&server, "/ws/b"), &[]).await.is_ok());
}

#[tokio::test]
async fn an_unused_stream_expires_after_its_ttl_and_delete_drops_one_now() {
    let streams = Streams::with_limits(Limits {
        stream_ttl: Duration::from_millis(300),
        ..Limits::default()
    });
    let server = start_server_on(Config::default(), streams).await;
    let pixels = gradient(100, 100, 0);
    for name in ["abandoned", "watched"] {
        assert_eq!(
            http_post(
                &server,
                &format!("/api/streams/{name}/frame?width=100&height=100"),
                &pixels
            )
            .await
            .status,
            200
        );
    }
    let abandoned = server.streams.get("abandoned").unwrap();
    let weak = std::sync::Arc::downgrade(&abandoned);
    drop(abandoned);
    let mut viewer = Viewer::connect(&server, "watched").await;
    viewer.receive().await;
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert!(server.streams.get("abandoned").is_none(), "expired");
    assert!(weak.upgrade().is_none(), "and its frame freed");
    assert!(
        server.streams.get("watched").is_some(),
        "a stream with a viewer stays"
    );

    let response = http_request(server.address, "DELETE", "/api/streams/watched", &[], b"").await;
    assert_eq!(response.status, 204);
    let close = viewer.next_close().await;
    assert_eq!(
        (close.code, close.reason.as_str()),
        (CloseCode::Away, "stream deleted")
    );
    let response = http_request(server.address, "DELETE", "/api/streams/watched", &[], b"").await;
    assert_eq!(response.status, 404);
}

#[tokio::test]
async fn stopping_the_server_closes_viewers_and_producers_with_1001() {
    let mut server = start_server().await;
    let stream = server.streams.get_or_create("cam").unwrap();
    stream
        .publish(8, 8, PixelFormat::Rgb8, gradient(8, 8, 0))
        .unwrap();
    let mut viewer = Viewer::connect(&server, "cam").await;
    viewer.receive().await;
    let mut producer = websocket(&url(&server, "/ingest/cam"), &[]).await.unwrap();
    server.stop();
    let (viewer_close, producer_close) =
        tokio::join!(viewer.next_close(), next_close(&mut producer));
    for close in [viewer_close, producer_close] {
        assert_eq!(
            (close.code, close.reason.as_str()),
            (CloseCode::Away, "server stopping")
        );
    }
}

#[tokio::test]
async fn page_files_come_only_from_inside_the_page_directory() {
    let root = std::env::temp_dir().join(format!("framecast-www-test-{}", std::process::id()));
    let page = root.join("www");
    std::fs::create_dir_all(page.join("pkg")).unwrap();
    std::fs::create_dir_all(page.join(".git")).unwrap();
    std::fs::write(page.join("index.html"), "the page").unwrap();
    std::fs::write(page.join(".git/config"), "secret").unwrap();
    std::fs::write(root.join("private.txt"), "secret").unwrap();
    std::os::unix::fs::symlink(root.join("private.txt"), page.join("link.txt")).unwrap();
    let server = start_server_with(Config {
        page: Page::dir(&page).unwrap(),
        ..Config::default()
    })
    .await;
    let get = |path: &'static str| http_request(server.address, "GET", path, &[], b"");
    let index = get("/").await;
    assert_eq!(
        (index.status, index.body.as_slice()),
        (200, b"the page".as_slice())
    );
    for path in [
        "/link.txt",
        "/.git/config",
        "/%2egit/config",
        "/../private.txt",
        "/pkg/",
        "/pkg",
    ] {
        let response = get(path).await;
        assert_eq!(response.status, 404, "{path}");
        assert!(
            !String::from_utf8_lossy(&response.body).contains("secret"),
            "{path}"
        );
    }
    std::fs::remove_dir_all(root).unwrap();
}

#[tokio::test]
async fn the_compiled_in_page_is_www_as_built_and_nothing_else() {
    let www = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../www");
    let server = start_server_with(Config::default()).await;
    let get = |path: &'static str, headers: &'static [(&'static str, &'static str)]| {
        http_request(server.address, "GET", path, headers, b"")
    };
    for (path, file, media_type) in [
        ("/", "index.html", "text/html; charset=utf-8"),
        ("/index.html", "index.html", "text/html; charset=utf-8"),
        ("/app.js", "app.js", "text/javascript; charset=utf-8"),
    ] {
        let response = get(path, &[]).await;
        assert_eq!(response.status, 200, "{path}");
        assert_eq!(
            response.body,
            std::fs::read(www.join(file)).unwrap(),
            "{path}"
        );
        let head = response.head.to_ascii_lowercase();
        assert!(
            head.contains(&format!("content-type: {media_type}")),
            "{path}: {head}"
        );
        assert!(head.contains("cache-control: no-cache"), "{path}: {head}");
    }
    // Revalidation: the same ETag gets 304 and no body.
    let first = get("/app.js", &[]).await;
    let etag = first
        .head
        .lines()
        .find_map(|line| {
            line.strip_prefix("etag: ")
                .or_else(|| line.strip_prefix("ETag: "))
        })
        .expect("an ETag")
        .to_string();
    let again = http_request(
        server.address,
        "GET",
        "/app.js",
        &[("If-None-Match", &etag)],
        b"",
    )
    .await;
    assert_eq!((again.status, again.body.len()), (304, 0));
    let changed = get("/app.js", &[("If-None-Match", "\"something else\"")]).await;
    assert_eq!(changed.status, 200);
    for path in [
        "/pkg/.gitignore",
        "/../Cargo.toml",
        "/%2e%2e/Cargo.toml",
        "/nope.js",
        "/pkg",
    ] {
        assert_eq!(get(path, &[]).await.status, 404, "{path}");
    }
}

/// What a viewer that acks every frame `delay` after it arrives, claiming
/// it held none of them (a long, fast path, as far as the server can tell),
/// had received and not yet acknowledged at most, in frames and bytes, over
/// `run_for` of frames published every 5 ms by `frame(n)`.
async fn most_unacknowledged(
    limits: Limits,
    frame: impl Fn(u32) -> Vec<u8> + Send + 'static,
    delay: Duration,
    run_for: Duration,
) -> (usize, usize) {
    let server = start_server_on(Config::default(), Streams::with_limits(limits)).await;
    let stream = server.streams.get_or_create("far").unwrap();
    stream
        .publish(128, 128, PixelFormat::Rgb8, frame(0))
        .unwrap();
    let publisher = {
        let stream = stream.clone();
        tokio::spawn(async move {
            for n in 1.. {
                stream
                    .publish(128, 128, PixelFormat::Rgb8, frame(n))
                    .unwrap();
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        })
    };
    let mut viewer = Viewer::connect(&server, "far").await;
    let mut unacked: std::collections::VecDeque<(tokio::time::Instant, u64, usize)> =
        Default::default();
    let (mut most_frames, mut most_bytes) = (0, 0);
    let end = tokio::time::Instant::now() + run_for;
    while tokio::time::Instant::now() < end {
        let due = unacked.front().map(|&(arrived, ..)| arrived + delay);
        let wait = due.map_or(Duration::from_millis(50), |due| {
            due.saturating_duration_since(tokio::time::Instant::now())
        });
        if let Some(message) = viewer.next_binary_within(wait).await {
            // Each delta is against the frame the viewer holds when it
            // arrives, however many are in flight.
            let info = viewer
                .decoder
                .apply(&message)
                .expect("every message applies");
            unacked.push_back((tokio::time::Instant::now(), info.seq, message.len()));
            most_frames = most_frames.max(unacked.len());
            most_bytes = most_bytes.max(unacked.iter().map(|&(.., bytes)| bytes).sum());
        }
        while let Some(&(arrived, seq, _)) = unacked.front() {
            if arrived + delay > tokio::time::Instant::now() {
                break;
            }
            unacked.pop_front();
            viewer
                .send(|out| {
                    framecast_codec::Ack {
                        seq,
                        decode_us: 0,
                        paint_us: 0,
                        hold_us: 0,
                    }
                    .write(out)
                })
                .await;
        }
    }
    publisher.abort();
    // Once everything is acked, the viewer holds the newest frame exactly.
    while let Some((_, seq, _)) = unacked.pop_front() {
        viewer.ack(seq).await;
    }
    let newest = stream.latest().unwrap();
    while viewer.decoder.held_seq() != Some(newest.seq) {
        let message = viewer
            .next_binary_within(Duration::from_secs(5))
            .await
            .expect("the newest frame comes");
        let info = viewer
            .decoder
            .apply(&message)
            .expect("every message applies");
        viewer.ack(info.seq).await;
    }
    viewer.assert_shows(PixelFormat::Rgb8, &newest.pixel_bytes());
    (most_frames, most_bytes)
}

/// A 128x128 RGB frame of noise: about 49 KB whatever it is a delta against.
fn noise(n: u32) -> Vec<u8> {
    let mut state = 0x9e37_79b9_u32.wrapping_mul(n + 1);
    (0..128 * 128 * 3)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            state as u8
        })
        .collect()
}

#[tokio::test]
async fn what_a_viewer_acks_cannot_buy_it_more_in_flight_than_the_limits() {
    // Acked 150 ms after arrival with no hold: the window measures a path
    // of 150 ms carrying whatever is sent, which would grow it past any
    // size; the limits hold it.
    let limits = Limits {
        max_frames_in_flight: 6,
        ..Limits::default()
    };
    let shifted = |n: u32| gradient(128, 128, n as u8);
    let delay = Duration::from_millis(150);
    let (frames, _) = most_unacknowledged(limits, shifted, delay, Duration::from_secs(2)).await;
    assert_eq!(
        frames, 6,
        "more than the two frames of an unmeasured window, no more than the limit"
    );

    let limits = Limits {
        max_bytes_in_flight: 200_000,
        ..Limits::default()
    };
    let (frames, bytes) = most_unacknowledged(limits, noise, delay, Duration::from_secs(2)).await;
    assert!(frames > 2, "the window grew past two frames: {frames}");
    let message = 128 * 128 * 3 + 2_000;
    assert!(bytes < 200_000 + message, "{bytes} bytes unacknowledged");
}
