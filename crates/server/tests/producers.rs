//! Producers publishing over the network (WebSocket ingest and HTTP POST) to
//! the real server, viewers checking that the pixels arrive exactly, bad
//! input refused with a clear error and nothing lost, and input events
//! relayed from viewers to producers.

mod common;

use std::time::Duration;

use common::{assert_close, gradient, http_post, start_server, TestServer, Viewer, EXPECT_WITHIN};
use framecast_codec::wire::write_publish_header;
use framecast_codec::{Encoder, FrameRef, PixelFormat};
use futures_util::{SinkExt, StreamExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

struct Producer {
    socket: WebSocketStream<MaybeTlsStream<TcpStream>>,
}

impl Producer {
    async fn connect(server: &TestServer, stream: &str) -> Producer {
        let url = format!("ws://{}/ingest/{stream}", server.address);
        let (socket, _) = tokio_tungstenite::connect_async(url)
            .await
            .expect("producer connects");
        Producer { socket }
    }

    async fn send_raw(&mut self, bytes: Vec<u8>) {
        self.socket
            .send(Message::Binary(bytes.into()))
            .await
            .unwrap();
    }

    /// Sends a publish message whose header says `width x height` `format`.
    async fn publish(&mut self, width: u32, height: u32, format: PixelFormat, pixels: &[u8]) {
        let mut message = Vec::new();
        write_publish_header(&mut message, width, height, format, 0);
        message.extend_from_slice(pixels);
        self.send_raw(message).await;
    }

    /// Sends `frame` as a frame message numbered `seq`: a delta against
    /// `base` (its number and pixels), or a keyframe without one.
    async fn send_frame(
        &mut self,
        seq: u64,
        frame: FrameRef<'_>,
        base: Option<(u64, FrameRef<'_>)>,
    ) {
        let mut message = Vec::new();
        Encoder::default().encode(seq, 0, frame, base, &mut message);
        self.send_raw(message).await;
    }

    /// The next JSON text message.
    async fn next_json(&mut self) -> serde_json::Value {
        loop {
            let message = tokio::time::timeout(EXPECT_WITHIN, self.socket.next())
                .await
                .expect("a message arrives");
            match message.expect("socket open").expect("socket healthy") {
                Message::Text(text) => return serde_json::from_str(&text).expect("JSON"),
                Message::Ping(_) | Message::Pong(_) => continue,
                other => panic!("expected a text message, got {other:?}"),
            }
        }
    }

    async fn next_error(&mut self) -> String {
        let reply = self.next_json().await;
        assert_eq!(reply["type"], "error", "{reply}");
        reply["error"].as_str().unwrap().to_string()
    }
}

async fn wait_for_stream(server: &TestServer, name: &str, seq: u64) {
    tokio::time::timeout(EXPECT_WITHIN, async {
        while server
            .streams
            .get(name)
            .and_then(|s| s.latest())
            .map(|f| f.seq)
            != Some(seq)
        {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await
    .expect("the frame is published");
}

#[tokio::test]
async fn frames_published_over_websocket_reach_viewers_exactly() {
    let server = start_server().await;
    let mut producer = Producer::connect(&server, "sim").await;
    let first = gradient(120, 80, 0);
    producer.publish(120, 80, PixelFormat::Rgb8, &first).await;
    wait_for_stream(&server, "sim", 1).await;

    let mut viewer = Viewer::connect(&server, "sim").await;
    assert_eq!(viewer.receive().await.0, 1);
    viewer.assert_shows(PixelFormat::Rgb8, &first);
    assert_eq!(viewer.producer_online, Some(true));
    viewer.ack(1).await;

    // Size and format change between frames: the viewer gets a keyframe.
    let rgba: Vec<u8> = (0..64 * 50 * 4).map(|i| (i * 13 % 256) as u8).collect();
    producer.publish(64, 50, PixelFormat::Rgba8, &rgba).await;
    let (seq, base, _) = viewer.receive().await;
    assert_eq!((seq, base), (2, 0));
    viewer.assert_shows(PixelFormat::Rgba8, &rgba);
}

#[tokio::test]
async fn bad_frames_get_an_error_and_lose_nothing() {
    let server = start_server().await;
    let mut producer = Producer::connect(&server, "careful").await;
    let good = gradient(40, 30, 1);
    producer.publish(40, 30, PixelFormat::Rgb8, &good).await;
    wait_for_stream(&server, "careful", 1).await;
    let mut viewer = Viewer::connect(&server, "careful").await;
    viewer.receive().await;
    viewer.ack(1).await;

    producer
        .publish(40, 30, PixelFormat::Rgb8, &good[1..])
        .await;
    let error = producer.next_error().await;
    assert!(error.contains("has 3600 bytes, got 3599"), "{error}");

    let mut unknown_format = Vec::new();
    write_publish_header(&mut unknown_format, 40, 30, PixelFormat::Rgb8, 0);
    unknown_format[16] = 7;
    producer.send_raw(unknown_format).await;
    assert!(producer
        .next_error()
        .await
        .contains("unknown pixel format code 7"));

    producer.publish(0, 30, PixelFormat::Rgb8, &[]).await;
    assert!(producer.next_error().await.contains("zero side"));

    producer.publish(100_000, 30, PixelFormat::Rgb8, &[]).await;
    assert!(producer.next_error().await.contains("over the limits"));

    producer
        .send_raw(
            [
                &b"FCST"[..],
                &[framecast_codec::wire::VERSION, 4, 0, 0, 0x10],
            ]
            .concat(),
        )
        .await;
    assert!(producer.next_error().await.contains("truncated"));

    producer
        .socket
        .send(Message::Text("hello".into()))
        .await
        .unwrap();
    assert!(producer
        .next_error()
        .await
        .contains("a producer's text message is a JSON view message"));

    // The stream kept its last good frame, and the viewer is still connected
    // and gets the next good one.
    assert_eq!(
        server.streams.get("careful").unwrap().latest().unwrap().seq,
        1
    );
    let next = gradient(40, 30, 2);
    producer.publish(40, 30, PixelFormat::Rgb8, &next).await;
    let (seq, base, _) = viewer.receive().await;
    assert_eq!((seq, base), (2, 1));
    viewer.assert_shows(PixelFormat::Rgb8, &next);
}

/// A producer may send what changed as frame messages, deltas against the
/// last frame it published on the connection (a publish message or a frame
/// message): viewers get exactly the frames it had. A delta against any
/// other frame is refused, and so is every delta after a refusal until a
/// whole frame comes, so that nothing is applied to the wrong base.
#[tokio::test]
async fn deltas_from_a_producer_rebuild_its_frames_exactly() {
    let server = start_server().await;
    let mut producer = Producer::connect(&server, "deltas").await;
    let (width, height) = (150, 90);
    let frames: Vec<Vec<u8>> = (0..5).map(|shift| gradient(width, height, shift)).collect();
    let frame = |i: usize| FrameRef::new(width, height, PixelFormat::Rgb8, &frames[i]).unwrap();
    // A sprite-like change: one corner of frame 0 becomes frame 1's.
    let mut corner = frames[0].clone();
    for row in 0..20 {
        let at = (row * width as usize) * 3;
        corner[at..at + 60].copy_from_slice(&frames[1][at..at + 60]);
    }
    let corner_frame = FrameRef::new(width, height, PixelFormat::Rgb8, &corner).unwrap();

    // Frame 1: a plain publish; frame 2: a delta against it.
    producer
        .publish(width, height, PixelFormat::Rgb8, &frames[0])
        .await;
    producer
        .send_frame(2, corner_frame, Some((1, frame(0))))
        .await;
    wait_for_stream(&server, "deltas", 2).await;
    let mut viewer = Viewer::connect(&server, "deltas").await;
    viewer.receive().await;
    viewer.assert_shows(PixelFormat::Rgb8, &corner);
    viewer.ack(2).await;

    // Frame 3: a delta against frame 2, the frame message before.
    producer
        .send_frame(3, frame(2), Some((2, corner_frame)))
        .await;
    let (seq, _, _) = viewer.receive().await;
    viewer.assert_shows(PixelFormat::Rgb8, &frames[2]);
    viewer.ack(seq).await;

    // A delta against frame 2 again (not the last) and a number already
    // used are refused; the stream keeps frame 3.
    producer
        .send_frame(4, frame(3), Some((2, corner_frame)))
        .await;
    let error = producer.next_error().await;
    assert!(
        error.contains("a delta against frame 2, but this connection's last frame is 3"),
        "{error}"
    );
    producer.send_frame(3, frame(3), None).await;
    let error = producer.next_error().await;
    assert!(
        error.contains("frame 3 does not come after this connection's last frame, 3"),
        "{error}"
    );
    // After a refusal the connection holds no base: even a delta against
    // the right frame is refused until a whole frame comes.
    producer.send_frame(4, frame(3), Some((3, frame(2)))).await;
    let error = producer.next_error().await;
    assert!(error.contains("send a whole frame"), "{error}");
    assert_eq!(
        server.streams.get("deltas").unwrap().latest().unwrap().seq,
        3
    );

    // A keyframe as a frame message starts again, from its own number.
    producer.send_frame(10, frame(3), None).await;
    let (seq, _, _) = viewer.receive().await;
    viewer.assert_shows(PixelFormat::Rgb8, &frames[3]);
    viewer.ack(seq).await;
    producer
        .send_frame(11, frame(4), Some((10, frame(3))))
        .await;
    viewer.receive().await;
    viewer.assert_shows(PixelFormat::Rgb8, &frames[4]);

    // The largest number a keyframe may take; a publish message after it
    // is still published (its number cannot go higher).
    producer.send_frame(u64::MAX, frame(3), None).await;
    producer
        .publish(width, height, PixelFormat::Rgb8, &frames[0])
        .await;
    wait_for_stream(&server, "deltas", 7).await; // the stream's own numbers
    while viewer.decoder.held_seq() != Some(7) {
        let (seq, _, _) = viewer.receive().await;
        viewer.ack(seq).await;
    }
    viewer.assert_shows(PixelFormat::Rgb8, &frames[0]);

    // A viewer's kind of message is not a producer's.
    let mut ack = Vec::new();
    framecast_codec::Ack {
        seq: 1,
        decode_us: 0,
        paint_us: 0,
        hold_us: 0,
    }
    .write(&mut ack);
    producer.send_raw(ack).await;
    let error = producer.next_error().await;
    assert!(error.contains("not ack messages"), "{error}");
}

#[tokio::test]
async fn a_producer_sending_only_garbage_is_closed_with_a_reason() {
    let server = start_server().await;
    let mut producer = Producer::connect(&server, "noisy").await;
    for _ in 0..10 {
        producer.send_raw(b"garbage".to_vec()).await;
    }
    let close = common::next_close(&mut producer.socket).await;
    assert_close(&close, CloseCode::Policy, "10 bad messages in a row");
}

#[tokio::test]
async fn viewers_are_told_when_the_producer_leaves_and_returns() {
    let server = start_server().await;
    let mut producer = Producer::connect(&server, "cam").await;
    producer
        .publish(32, 32, PixelFormat::Rgb8, &gradient(32, 32, 0))
        .await;
    wait_for_stream(&server, "cam", 1).await;
    let mut viewer = Viewer::connect(&server, "cam").await;
    viewer.receive().await;
    viewer.ack(1).await;
    assert_eq!(viewer.producer_online, Some(true));

    producer.socket.close(None).await.unwrap();
    assert!(!viewer.next_status().await, "the producer is offline");

    let mut producer = Producer::connect(&server, "cam").await;
    assert!(viewer.next_status().await, "the producer is back");
    let frame = gradient(32, 32, 5);
    producer.publish(32, 32, PixelFormat::Rgb8, &frame).await;
    let (seq, base, _) = viewer.receive().await;
    assert_eq!((seq, base), (2, 1), "the stream continues");
    viewer.assert_shows(PixelFormat::Rgb8, &frame);
}

#[tokio::test]
async fn input_events_go_from_viewers_to_the_producer() {
    let server = start_server().await;
    let mut producer = Producer::connect(&server, "gui").await;
    producer
        .publish(32, 32, PixelFormat::Rgb8, &gradient(32, 32, 0))
        .await;
    wait_for_stream(&server, "gui", 1).await;
    let mut viewer = Viewer::connect(&server, "gui").await;
    viewer.receive().await;

    let click = r#"{"type":"pointerdown","x":12.0,"y":7.5,"button":0,"buttons":1}"#;
    viewer
        .socket
        .send(Message::Text(click.into()))
        .await
        .unwrap();
    let event = producer.next_json().await;
    assert_eq!(
        event,
        serde_json::from_str::<serde_json::Value>(click).unwrap()
    );

    // Malformed events are dropped; the viewer stays connected.
    viewer
        .socket
        .send(Message::Text(r#"{"type":"explode"}"#.into()))
        .await
        .unwrap();
    let key = r#"{"type":"keydown","key":"a","code":"KeyA","shift":false,"ctrl":false,"alt":false,"meta":false}"#;
    viewer.socket.send(Message::Text(key.into())).await.unwrap();
    assert_eq!(producer.next_json().await["type"], "keydown");

    // A burst of pointer moves is thinned out.
    for x in 0..50 {
        let moved = format!(r#"{{"type":"pointermove","x":{x}.0,"y":1.0,"buttons":0}}"#);
        viewer
            .socket
            .send(Message::Text(moved.into()))
            .await
            .unwrap();
    }
    viewer.socket.send(Message::Text(key.into())).await.unwrap();
    let mut moves = 0;
    loop {
        let event = producer.next_json().await;
        match event["type"].as_str() {
            Some("pointermove") => moves += 1,
            Some("keydown") => break,
            other => panic!("unexpected {other:?}"),
        }
    }
    assert!((1..50).contains(&moves), "{moves} of 50 moves forwarded");
}

#[tokio::test]
async fn http_post_publishes_one_frame_or_says_what_is_wrong() {
    let server = start_server().await;
    let pixels = gradient(30, 20, 3);
    let reply = http_post(
        &server,
        "/api/streams/posted/frame?width=30&height=20&format=rgb8",
        &pixels,
    )
    .await;
    assert_eq!((reply.status, reply.json()["seq"].as_u64()), (200, Some(1)));
    let mut viewer = Viewer::connect(&server, "posted").await;
    viewer.receive().await;
    viewer.assert_shows(PixelFormat::Rgb8, &pixels);
    assert_eq!(
        viewer.producer_online,
        Some(false),
        "a POST is not a connected producer"
    );

    for (query, body_len, expected) in [
        (
            "width=30&height=20&format=rgb8",
            599,
            "a 30x20 rgb8 frame has 1800 bytes; this request declares 599",
        ),
        (
            "width=30&height=20&format=yuv",
            1800,
            "unknown format \"yuv\"",
        ),
        ("height=20", 1800, "missing width"),
        (
            "width=3x&height=20",
            1800,
            "width=\"3x\" is not a whole number",
        ),
        ("width=0&height=20", 0, "zero side"),
        ("width=20000&height=20", 0, "over the limits"),
    ] {
        let reply = http_post(
            &server,
            &format!("/api/streams/posted/frame?{query}"),
            &pixels[..body_len.min(pixels.len())],
        )
        .await;
        assert_eq!(reply.status, 400, "{query}");
        let error = reply.error();
        assert!(error.contains(expected), "{query}: {error}");
    }
    let reply = http_post(
        &server,
        "/api/streams/bad%20name/frame?width=1&height=1",
        &[0, 0, 0],
    )
    .await;
    assert_eq!(reply.status, 400);
    assert!(reply.error().contains("stream names"));
    assert_eq!(
        server.streams.get("posted").unwrap().latest().unwrap().seq,
        1,
        "nothing lost"
    );
}
