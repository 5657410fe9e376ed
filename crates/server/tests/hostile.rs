//! What hostile clients cannot do however they cut their bytes, against the
//! real server on loopback: freeze a stream by flooding events at a producer
//! that does not read them, relay events faster than a viewer's rate, get a
//! message past its limit in fragments, sidestep the Host and Origin checks
//! with hand-built requests, or make a POST read a body it will refuse.

mod common;

use std::time::Duration;

use common::{
    assert_close, eventually, gradient, next_close, start_server_on, websocket, RawClient, Socket,
    TestServer, Viewer, EXPECT_WITHIN,
};
use framecast_codec::wire::write_publish_header;
use framecast_codec::PixelFormat;
use framecast_server::{Config, Limits, Streams};
use futures_util::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::protocol::frame::coding::{CloseCode, Data, OpCode};
use tokio_tungstenite::tungstenite::protocol::frame::Frame;
use tokio_tungstenite::tungstenite::Message;

fn publish_message(width: u32, height: u32, pixels: &[u8]) -> Message {
    let mut bytes = Vec::new();
    write_publish_header(&mut bytes, width, height, PixelFormat::Rgb8, 0);
    bytes.extend_from_slice(pixels);
    Message::Binary(bytes.into())
}

/// A key event padded to about `size` bytes with a long `key`.
fn keydown(size: usize) -> Message {
    let key = "k".repeat(size.saturating_sub(80));
    Message::Text(format!(r#"{{"type":"keydown","key":"{key}","code":"KeyK"}}"#).into())
}

/// The stream's entry in `GET /api/streams`.
async fn listed(server: &TestServer, name: &str) -> serde_json::Value {
    let response = common::http_request(server.address, "GET", "/api/streams", &[], b"").await;
    response
        .json()
        .as_array()
        .unwrap()
        .iter()
        .find(|stream| stream["name"] == name)
        .cloned()
        .unwrap_or_else(|| panic!("{name} is listed"))
}

/// A publish message's bytes.
fn publish_bytes(width: u32, height: u32, pixels: &[u8]) -> Vec<u8> {
    let Message::Binary(bytes) = publish_message(width, height, pixels) else {
        unreachable!()
    };
    bytes.to_vec()
}

/// The real server held to `limits`.
async fn server_with(limits: Limits) -> TestServer {
    start_server_on(Config::default(), Streams::with_limits(limits)).await
}

/// A server whose viewers' event rate is lifted, so that a flood reaches a
/// producer's queue (the rate is tested on its own below).
async fn server_for_floods() -> TestServer {
    server_with(Limits {
        input_events_per_second: 1_000_000,
        ..Limits::default()
    })
    .await
}

/// A producer of stream `name` that has published one `side`x`side` frame
/// and never reads its socket.
async fn deaf_producer(server: &TestServer, name: &str, side: u32) -> RawClient {
    let mut producer = RawClient::connect(server.address, &format!("/ingest/{name}"), 4096).await;
    let frame = publish_bytes(side, side, &gradient(side, side, 0));
    producer.write_frame(2, true, &frame).await.unwrap();
    producer
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_event_flood_at_a_producer_that_does_not_read_leaves_the_stream_flowing() {
    let server = server_for_floods().await;
    // The producer publishes every 10 ms and never reads its socket.
    let mut producer = deaf_producer(&server, "cam", 64).await;
    let publishing = tokio::spawn(async move {
        for shift in 1u32.. {
            let frame = publish_bytes(64, 64, &gradient(64, 64, shift as u8));
            if producer.write_frame(2, true, &frame).await.is_err() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    });

    let mut bystander = Viewer::connect(&server, "cam").await;
    let mut flooder = Viewer::connect(&server, "cam").await;
    let (first, _, _) = bystander.receive().await;
    bystander.ack(first).await;

    // Events of 1 KB for 6 s, as fast as the server takes them: far more
    // than the producer's socket buffers (which the kernel grows to about
    // 4 MB for a peer that does not read), actix-ws and the outbox hold.
    const FLOOD_FOR: Duration = Duration::from_secs(6);
    let flooding = tokio::spawn(async move {
        let start = tokio::time::Instant::now();
        let mut sent = 0u64;
        while start.elapsed() < FLOOD_FOR {
            flooder.socket.send(keydown(1000)).await.unwrap();
            sent += 1;
        }
        (flooder, sent)
    });

    // Meanwhile, and after, the bystander keeps getting frames.
    let watch_for = |time: Duration, mut viewer: Viewer| async move {
        let deadline = tokio::time::Instant::now() + time;
        let mut frames = 0;
        let mut last = 0;
        while tokio::time::Instant::now() < deadline {
            let (seq, _, _) = viewer.receive().await;
            viewer.ack(seq).await;
            assert!(seq > last, "frames move on");
            (frames, last) = (frames + 1, seq);
        }
        (viewer, frames, last)
    };
    let (bystander, during, seq_during) = watch_for(FLOOD_FOR, bystander).await;
    let (flooder, sent) = tokio::time::timeout(EXPECT_WITHIN, flooding)
        .await
        .expect("the flood is read as fast as it comes")
        .unwrap();
    let (_bystander, after, seq_after) = watch_for(Duration::from_secs(1), bystander).await;
    // Frozen, it would be none; the numbers are low because the flood and
    // a debug build share two cores.
    assert!(
        during >= 20,
        "{during} frames in the 6 s of the flood (600 published)"
    );
    assert!(
        after >= 10,
        "{after} frames in the 1 s after (100 published)"
    );
    assert!(seq_after > seq_during);
    assert!(sent > 10_000, "{sent} events: a flood");

    // Every event was relayed to the producer's session; those it could not
    // take were dropped and counted.
    let events = &listed(&server, "cam").await["events"];
    assert_eq!(events["relayed"], sent, "{events}");
    let dropped = events["dropped"].as_u64().unwrap();
    assert!(
        dropped > sent / 2,
        "{events}: the producer's buffers hold a few thousand"
    );
    assert_eq!(events["limited"], 0);
    drop(flooder);

    // The producer's place frees when it goes.
    publishing.abort();
    let _ = publishing.await;
    let stream = server.streams.get("cam").unwrap();
    let producers =
        || async { (stream.count(framecast_server::Role::Producer) == 0).then_some(()) };
    eventually("the producer's place frees", producers).await;
}

#[tokio::test]
async fn a_producer_that_reads_late_learns_how_many_events_it_lost() {
    let server = server_for_floods().await;
    let mut producer = deaf_producer(&server, "cam", 8).await;
    let mut viewer = Viewer::connect(&server, "cam").await;
    viewer.receive().await;
    const SENT: u64 = 5_000;
    for _ in 0..SENT {
        viewer.socket.send(keydown(1000)).await.unwrap();
    }
    // Wait until the server has relayed them all, then read everything.
    let relayed =
        || async { (listed(&server, "cam").await["events"]["relayed"] == SENT).then_some(()) };
    eventually("every event relayed", relayed).await;
    let (mut events, mut reported) = (0, 0);
    while events + reported < SENT {
        let (opcode, payload) = tokio::time::timeout(EXPECT_WITHIN, producer.read_frame())
            .await
            .expect("everything arrives, as events or as a count")
            .unwrap();
        if opcode != 1 {
            continue; // a ping
        }
        let json: serde_json::Value = serde_json::from_slice(&payload).unwrap();
        let text = String::from_utf8_lossy(&payload);
        match json["type"].as_str().unwrap() {
            "keydown" => events += 1,
            "dropped" => reported += json["events"].as_u64().unwrap(),
            other => panic!("unexpected {other}: {text}"),
        }
    }
    assert_eq!(events + reported, SENT);
    assert!(reported > 0);
    let dropped_by_server = listed(&server, "cam").await["events"]["dropped"].clone();
    assert_eq!(
        reported, dropped_by_server,
        "the producer is told of every drop"
    );
}

#[tokio::test]
async fn every_kind_of_input_event_is_held_to_the_viewers_rate() {
    let server = server_with(Limits {
        input_events_per_second: 50,
        ..Limits::default()
    })
    .await;
    let mut producer = websocket(&format!("ws://{}/ingest/gui", server.address), &[])
        .await
        .unwrap();
    producer
        .send(publish_message(8, 8, &gradient(8, 8, 0)))
        .await
        .unwrap();
    let mut viewer = Viewer::connect(&server, "gui").await;
    viewer.receive().await;
    let kinds = [
        r#"{"type":"keydown","key":"a","code":"KeyA"}"#,
        r#"{"type":"keyup","key":"a","code":"KeyA"}"#,
        r#"{"type":"wheel","x":1,"y":2,"dx":0,"dy":3}"#,
        r#"{"type":"pointerdown","x":1,"y":2,"button":0,"buttons":1}"#,
        r#"{"type":"pointerup","x":1,"y":2,"button":0,"buttons":0}"#,
        r#"{"type":"resize","width":100,"height":100}"#,
    ];
    let start = tokio::time::Instant::now();
    for kind in kinds.iter().cycle().take(600) {
        viewer
            .socket
            .send(Message::Text((*kind).into()))
            .await
            .unwrap();
    }
    let elapsed = start.elapsed().as_secs_f64();
    let events = eventually("every event relayed or limited", || async {
        let events = listed(&server, "gui").await["events"].clone();
        let counted = events["relayed"].as_u64().unwrap() + events["limited"].as_u64().unwrap();
        (counted == 600).then_some(events)
    })
    .await;
    // A burst of a second's worth, then the rate.
    let relayed = events["relayed"].as_u64().unwrap();
    let allowed = 50 + (50.0 * (elapsed + 0.5)) as u64;
    assert!(
        (50..=allowed).contains(&relayed),
        "{relayed} of 600 relayed in {elapsed:.2} s (at most {allowed})"
    );
    let mut received = 0;
    while let Ok(Some(Ok(message))) =
        tokio::time::timeout(Duration::from_millis(300), producer.next()).await
    {
        if matches!(message, Message::Text(_)) {
            received += 1;
        }
    }
    assert_eq!(
        received, relayed,
        "the producer got what was relayed, no more"
    );
}

/// Sends `total` bytes as one fragmented message of `fragment`-byte frames.
async fn send_fragmented(socket: &mut Socket, text: bool, total: usize, fragment: usize) {
    let data = if text { Data::Text } else { Data::Binary };
    let mut sent = 0;
    while sent < total {
        let len = fragment.min(total - sent);
        let opcode = if sent == 0 {
            OpCode::Data(data)
        } else {
            OpCode::Data(Data::Continue)
        };
        let last = sent + len == total;
        let frame = Frame::message(vec![b'x'; len], opcode, last);
        if socket.send(Message::Frame(frame)).await.is_err() {
            return; // closed on us: what the test waits for
        }
        sent += len;
    }
}

#[tokio::test]
async fn a_fragmented_message_over_the_limit_closes_with_1009_for_both_kinds() {
    let server = start_server_on(Config::default(), Streams::new()).await;
    let mut producer = websocket(&format!("ws://{}/ingest/cam", server.address), &[])
        .await
        .unwrap();
    producer
        .send(publish_message(8, 8, &gradient(8, 8, 0)))
        .await
        .unwrap();

    // A viewer: 64 KiB in all, however it is cut.
    let mut viewer = Viewer::connect(&server, "cam").await;
    viewer.receive().await;
    send_fragmented(&mut viewer.socket, true, 32 << 20, 60_000).await;
    assert_close(
        &viewer.next_close().await,
        CloseCode::Size,
        "message over 65536 bytes",
    );

    // Within the limit, fragments make one message: an event that arrives.
    let mut listener = Viewer::connect(&server, "cam").await;
    listener.receive().await;
    let click = r#"{"type":"pointerdown","x":1,"y":2,"button":0,"buttons":1}"#;
    for (n, part) in click.as_bytes().chunks(10).enumerate() {
        let opcode = if n == 0 {
            OpCode::Data(Data::Text)
        } else {
            OpCode::Data(Data::Continue)
        };
        let last = (n + 1) * 10 >= click.len();
        let frame = Frame::message(part.to_vec(), opcode, last);
        listener.socket.send(Message::Frame(frame)).await.unwrap();
    }
    let relayed =
        || async { (listed(&server, "cam").await["events"]["relayed"] == 1).then_some(()) };
    eventually("the fragmented event is relayed", relayed).await;

    // A producer: the largest frame message, however it is cut.
    let limit = framecast_server::producer::MAX_PUBLISH_MESSAGE;
    send_fragmented(&mut producer, false, limit + 1, 8 << 20).await;
    let close = next_close(&mut producer).await;
    assert_close(
        &close,
        CloseCode::Size,
        &format!("message over {limit} bytes"),
    );
}

/// Sends `request` (a whole HTTP request head, without its final blank line)
/// as written and returns the status.
async fn raw_status(server: &TestServer, request: &str) -> (u16, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut socket = tokio::net::TcpStream::connect(server.address)
        .await
        .unwrap();
    let request = format!("{request}Content-Length: 0\r\nConnection: close\r\n\r\n");
    socket.write_all(request.as_bytes()).await.unwrap();
    let mut response = Vec::new();
    socket.read_to_end(&mut response).await.unwrap();
    let text = String::from_utf8_lossy(&response).into_owned();
    (text[9..12].parse().unwrap(), text)
}

#[tokio::test]
async fn every_form_of_host_and_origin_gets_its_documented_answer() {
    let server = start_server_on(Config::default(), Streams::new()).await;
    let stream = server.streams.get_or_create("cam").unwrap();
    stream
        .publish(2, 2, PixelFormat::Rgb8, vec![7; 12])
        .unwrap();
    let port = server.address.port();
    let own = format!("127.0.0.1:{port}");
    let get = |target: &str, headers: &str| format!("GET {target} HTTP/1.1\r\n{headers}");
    let host = format!("Host: {own}\r\n");
    let cases = [
        // An absolute target names where the request was sent.
        (get("http://evil.example/api/streams", &host), 403, true),
        (format!("POST http://evil.example/api/streams/cam/frame?width=2&height=2 HTTP/1.1\r\n{host}Content-Type: application/octet-stream\r\n"), 403, true),
        (get(&format!("http://{own}/api/streams"), "Host: evil.example\r\n"), 200, true),
        (get(&format!("ftp://{own}/api/streams"), &host), 400, true),
        (get(&format!("http://me@{own}/api/streams"), &host), 400, true),
        // A Host header is one host and a port, once.
        (get("/api/streams", "Host: [::1].evil.example\r\n"), 400, true),
        (get("/api/streams", "Host: [::1]evil\r\n"), 400, true),
        (get("/api/streams", &format!("Host: {own},evil.example\r\n")), 400, true),
        // (actix-http's parser refuses these two itself, with an empty 400)
        (get("/api/streams", &format!("{host}Host: evil.example\r\n")), 400, false),
        (get("/api/streams", ""), 400, false),
        (get("/api/streams", "Host: evil.example,127.0.0.1\r\n"), 403, true),
        ("GET /api/streams HTTP/1.0\r\n".to_string(), 403, true),
        (get("/api/streams", &format!("Host: [::1]:{port}\r\n")), 200, true),
        // One Origin, the server's own or an allowed one.
        (get("/api/streams", &format!("{host}Origin: http://{own}\r\nOrigin: http://evil.example\r\n")), 400, true),
        (get("/api/streams", &format!("{host}Origin: http://{own} http://evil.example\r\n")), 403, true),
        (get("/api/streams", &format!("{host}Origin: http://{own}\r\n")), 200, true),
    ];
    for (request, expected, json) in cases {
        let (status, response) = raw_status(&server, &request).await;
        assert_eq!(status, expected, "{request}\n{response}");
        if status != 200 && json {
            assert!(response.contains("\"error\""), "{request}\n{response}");
        }
    }
    assert_eq!(stream.latest().unwrap().seq, 1, "nothing was published");
}

/// Writes `head` (and `body`), then reads the response within `within`:
/// (status, whole response), or `None` if none came.
async fn exchange(
    server: &TestServer,
    head: &str,
    body: &[u8],
    within: Duration,
) -> Option<(u16, String)> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut socket = tokio::net::TcpStream::connect(server.address)
        .await
        .unwrap();
    socket.write_all(head.as_bytes()).await.unwrap();
    socket.write_all(body).await.unwrap();
    let mut response = Vec::new();
    let mut chunk = [0; 4096];
    let read = tokio::time::timeout(within, async {
        loop {
            match socket.read(&mut chunk).await {
                Ok(0) | Err(_) => break,
                Ok(n) => response.extend_from_slice(&chunk[..n]),
            }
            if let Some(end) = response.windows(4).position(|w| w == b"\r\n\r\n") {
                let head = String::from_utf8_lossy(&response[..end]).to_lowercase();
                let length: usize = head
                    .lines()
                    .find_map(|line| line.strip_prefix("content-length: ")?.parse().ok())
                    .unwrap_or(0);
                if response.len() >= end + 4 + length {
                    break;
                }
            }
        }
    })
    .await;
    read.ok()?;
    let text = String::from_utf8_lossy(&response).into_owned();
    Some((text.get(9..12)?.parse().ok()?, text))
}

fn post_head(path: &str, extra: &str) -> String {
    format!(
        "POST {path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/octet-stream\r\n{extra}\r\n"
    )
}

#[tokio::test]
async fn a_post_is_refused_from_its_headers_before_its_body_is_read() {
    let server = server_with(Limits {
        max_uploads: 1,
        ..Limits::default()
    })
    .await;
    let soon = Duration::from_secs(2);
    let path = "/api/streams/cam/frame?width=2&height=2";

    // A declared size other than the frame's is answered without the body.
    let (status, response) = exchange(
        &server,
        &post_head(path, "Content-Length: 100000000\r\n"),
        b"",
        soon,
    )
    .await
    .expect("answered without waiting for 100 MB");
    assert_eq!(status, 413, "{response}");
    assert!(
        response
            .contains(r#""error":"a 2x2 rgb8 frame has 12 bytes; this request declares 100000000"#),
        "{response}"
    );
    let (status, response) = exchange(
        &server,
        &post_head(path, "Content-Length: 5\r\n"),
        b"",
        soon,
    )
    .await
    .expect("answered at once");
    assert_eq!(status, 400, "{response}");
    // So is one too large for any frame, and one of a bad size or type.
    for (path, extra, expected) in [
        (
            "/api/streams/cam/frame?width=99999&height=2",
            "Content-Length: 5\r\n",
            400,
        ),
        (
            "/api/streams/cam/frame?width=2",
            "Content-Length: 12\r\n",
            400,
        ),
    ] {
        let (status, response) = exchange(&server, &post_head(path, extra), b"", soon)
            .await
            .unwrap();
        assert_eq!(status, expected, "{path}: {response}");
        assert!(response.contains(r#""error""#), "{response}");
    }

    // A body without a length is refused the moment it goes past the frame.
    let chunked = post_head(path, "Transfer-Encoding: chunked\r\n");
    let chunk = format!("{:x}\r\n{}\r\n", 65536, "x".repeat(65536));
    let (status, response) = exchange(&server, &chunked, chunk.as_bytes(), soon)
        .await
        .expect("answered after the first chunk");
    assert_eq!(status, 413, "{response}");
    assert!(
        response.contains("the body goes on past them"),
        "{response}"
    );

    // One upload at a time here: a second is refused while the first's body
    // is on its way, and taken after.
    use tokio::io::AsyncWriteExt;
    let big = "/api/streams/cam/frame?width=256&height=256";
    let mut first = tokio::net::TcpStream::connect(server.address)
        .await
        .unwrap();
    let head = post_head(big, "Content-Length: 196608\r\n");
    first.write_all(head.as_bytes()).await.unwrap();
    first.write_all(&[1; 1000]).await.unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let body = vec![2; 196608];
    let (status, response) = exchange(
        &server,
        &post_head(big, "Content-Length: 196608\r\n"),
        &body,
        soon,
    )
    .await
    .unwrap();
    assert_eq!(status, 429, "{response}");
    assert!(response.contains("--max-uploads"), "{response}");
    first.write_all(&[1; 196608 - 1000]).await.unwrap();
    let mut answer = Vec::new();
    tokio::io::AsyncReadExt::read_buf(&mut first, &mut answer)
        .await
        .unwrap();
    assert!(
        answer.starts_with(b"HTTP/1.1 200"),
        "{}",
        String::from_utf8_lossy(&answer)
    );
    let (status, _) = exchange(
        &server,
        &post_head(big, "Content-Length: 196608\r\n"),
        &body,
        soon,
    )
    .await
    .unwrap();
    assert_eq!(status, 200, "the place is free again");
    assert_eq!(server.streams.get("cam").unwrap().latest().unwrap().seq, 2);
}

#[tokio::test]
async fn every_refusal_of_the_http_api_is_json() {
    let server = start_server_on(Config::default(), Streams::new()).await;
    server.streams.get_or_create("cam").unwrap();
    let request =
        |line: &str| format!("{line} HTTP/1.1\r\nHost: localhost\r\nContent-Length: 0\r\n\r\n");
    for (line, expected) in [
        ("PUT /api/streams", 404),
        ("GET /api/nothing-here", 404),
        ("GET /no-such-file.js", 404),
        ("DELETE /api/streams/nope", 404),
        ("GET /ws/cam", 400),
        ("GET /ingest/cam", 400),
        ("GET /ws/nope", 404),
        ("GET /ws/cam?quality=best", 400),
        ("POST /api/streams/cam/frame?width=2&height=2", 415),
        ("POST /api/streams/a%2Fb/frame?width=2&height=2", 415),
        ("GET /api/streams/cam/frame", 503),
    ] {
        let (status, response) = exchange(&server, &request(line), b"", Duration::from_secs(5))
            .await
            .unwrap();
        assert_eq!(status, expected, "{line}: {response}");
        assert!(
            response
                .to_lowercase()
                .contains("content-type: application/json")
                && response.contains(r#"{"error":"#),
            "{line}: {response}"
        );
    }
}
