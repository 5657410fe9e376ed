//! The real server on loopback, real WebSocket viewers (tokio-tungstenite),
//! frames decoded with framecast-codec and compared with what was published.

mod common;

use std::time::Duration;

use common::{gradient, http_get, start_server, start_server_with, Viewer, EXPECT_WITHIN};
use framecast_codec::wire::{parse_frame, FRAME_HEADER_LEN};
use framecast_codec::{Decoder, KeyframeReason, KeyframeRequest, PixelFormat};
use framecast_server::{Config, SessionConfig};
use futures_util::SinkExt;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::Message;

#[tokio::test]
async fn viewer_gets_a_keyframe_then_small_deltas_with_exact_pixels() {
    let server = start_server().await;
    let stream = server.streams.get_or_create("cam").unwrap();
    let first = gradient(300, 200, 0);
    stream
        .publish(300, 200, PixelFormat::Rgb8, first.clone())
        .unwrap();

    let mut viewer = Viewer::connect(&server, "cam").await;
    let (seq, base, _) = viewer.receive().await;
    assert_eq!((seq, base), (1, 0), "a joining viewer gets a keyframe");
    viewer.assert_shows(PixelFormat::Rgb8, &first);
    viewer.ack(1).await;

    // Change a 10x10 block: one tile changes, the message is small.
    let mut second = first.clone();
    for y in 100..110 {
        for x in 150..160 {
            second[(y * 300 + x) * 3..][..3].copy_from_slice(&[255, 0, 0]);
        }
    }
    stream
        .publish(300, 200, PixelFormat::Rgb8, second.clone())
        .unwrap();
    let (seq, base, bytes) = viewer.receive().await;
    assert_eq!(
        (seq, base),
        (2, 1),
        "a delta against the frame the viewer has"
    );
    assert!(bytes < 1000, "one changed block costs {bytes} bytes");
    viewer.assert_shows(PixelFormat::Rgb8, &second);
    viewer.ack(2).await;

    // An identical frame costs a header and nothing else.
    stream
        .publish(300, 200, PixelFormat::Rgb8, second.clone())
        .unwrap();
    let (seq, _, bytes) = viewer.receive().await;
    assert_eq!((seq, bytes), (3, FRAME_HEADER_LEN));
    viewer.assert_shows(PixelFormat::Rgb8, &second);
}

#[tokio::test]
async fn slow_viewer_skips_to_the_newest_frame() {
    let server = start_server().await;
    let stream = server.streams.get_or_create("fast").unwrap();
    let frame = |n: u8| gradient(128, 128, n * 7);
    stream
        .publish(128, 128, PixelFormat::Rgb8, frame(1))
        .unwrap();

    let mut viewer = Viewer::connect(&server, "fast").await;
    assert_eq!(viewer.receive().await.0, 1);
    stream
        .publish(128, 128, PixelFormat::Rgb8, frame(2))
        .unwrap();
    assert_eq!(viewer.receive().await.0, 2);

    // Two frames are in flight and unacknowledged: the window is full, so the
    // next eight frames are not sent while the viewer is silent.
    for n in 3..=10 {
        stream
            .publish(128, 128, PixelFormat::Rgb8, frame(n))
            .unwrap();
    }
    assert!(
        viewer
            .next_binary_within(Duration::from_millis(500))
            .await
            .is_none(),
        "nothing is sent while the window is full"
    );

    // One ack opens the window: the viewer gets frame 10 as a delta against
    // frame 2, not the backlog.
    viewer.ack(2).await;
    let (seq, base, _) = viewer.receive().await;
    assert_eq!((seq, base), (10, 2));
    viewer.assert_shows(PixelFormat::Rgb8, &frame(10));
    assert!(viewer
        .next_binary_within(Duration::from_millis(300))
        .await
        .is_none());
}

#[tokio::test]
async fn size_and_format_change_mid_stream_starts_a_keyframe() {
    let server = start_server().await;
    let stream = server.streams.get_or_create("resize").unwrap();
    stream
        .publish(64, 48, PixelFormat::Rgb8, gradient(64, 48, 1))
        .unwrap();
    let mut viewer = Viewer::connect(&server, "resize").await;
    viewer.receive().await;
    viewer.ack(1).await;

    let rgba: Vec<u8> = (0..100 * 70 * 4).map(|i| (i * 7 % 256) as u8).collect();
    stream
        .publish(100, 70, PixelFormat::Rgba8, rgba.clone())
        .unwrap();
    let (seq, base, _) = viewer.receive().await;
    assert_eq!((seq, base), (2, 0), "a new size is a keyframe");
    assert_eq!((viewer.decoder.width(), viewer.decoder.height()), (100, 70));
    viewer.assert_shows(PixelFormat::Rgba8, &rgba);
}

#[tokio::test]
async fn keyframe_request_resends_the_newest_frame_whole() {
    let server = start_server().await;
    let stream = server.streams.get_or_create("k").unwrap();
    stream
        .publish(90, 90, PixelFormat::Rgb8, gradient(90, 90, 3))
        .unwrap();
    let mut viewer = Viewer::connect(&server, "k").await;
    viewer.receive().await;
    viewer.ack(1).await;
    let pixels = gradient(90, 90, 4);
    stream
        .publish(90, 90, PixelFormat::Rgb8, pixels.clone())
        .unwrap();
    viewer.next_binary_within(EXPECT_WITHIN).await.unwrap();

    viewer.decoder = Decoder::new(); // as after a decode error: frame 2 is dropped
    viewer
        .send(|out| {
            KeyframeRequest {
                reason: KeyframeReason::DecodeError,
            }
            .write(out)
        })
        .await;
    let (seq, base, _) = viewer.receive().await;
    assert_eq!((seq, base), (2, 0), "the newest frame, whole");
    viewer.assert_shows(PixelFormat::Rgb8, &pixels);
    viewer.ack(2).await;
}

#[tokio::test]
async fn viewers_share_one_encoded_message() {
    let server = start_server().await;
    let stream = server.streams.get_or_create("many").unwrap();
    let pixels = gradient(200, 100, 9);
    stream
        .publish(200, 100, PixelFormat::Rgb8, pixels.clone())
        .unwrap();
    let mut viewers = Vec::new();
    for _ in 0..5 {
        viewers.push(Viewer::connect(&server, "many").await);
    }
    let mut messages = Vec::new();
    for viewer in &mut viewers {
        messages.push(viewer.next_binary_within(EXPECT_WITHIN).await.unwrap());
    }
    assert!(messages.windows(2).all(|pair| pair[0] == pair[1]));
    let header = parse_frame(&messages[0]).unwrap().header;
    assert_eq!((header.seq, header.base_seq, header.width), (1, 0, 200));
}

#[tokio::test]
async fn malformed_viewer_message_closes_with_the_reason() {
    let server = start_server().await;
    let stream = server.streams.get_or_create("bad").unwrap();
    stream
        .publish(16, 16, PixelFormat::Rgb8, vec![0; 16 * 16 * 3])
        .unwrap();
    let mut viewer = Viewer::connect(&server, "bad").await;
    viewer.receive().await;
    viewer
        .socket
        .send(Message::Binary(b"FCST\x09\x02\x00\x00".to_vec().into()))
        .await
        .unwrap();
    let close = viewer.next_close().await;
    assert_eq!(close.code, CloseCode::Invalid);
    assert!(
        close.reason.contains("protocol version 9"),
        "reason: {}",
        close.reason
    );
}

#[tokio::test]
async fn a_viewer_of_the_previous_protocol_version_is_told_which_the_server_speaks() {
    let server = start_server().await;
    let stream = server.streams.get_or_create("old").unwrap();
    stream
        .publish(16, 16, PixelFormat::Rgb8, vec![0; 16 * 16 * 3])
        .unwrap();
    let mut viewer = Viewer::connect(&server, "old").await;
    viewer.receive().await;
    // A version 3 ack: 24 bytes, without hold_us.
    let mut ack = b"FCST\x03\x02\x00\x00".to_vec();
    ack.extend_from_slice(&1u64.to_le_bytes());
    ack.extend_from_slice(&[0; 8]);
    viewer
        .socket
        .send(Message::Binary(ack.into()))
        .await
        .unwrap();
    let close = viewer.next_close().await;
    assert_eq!(close.code, CloseCode::Invalid);
    let speaks = format!("speaks version {}", framecast_codec::wire::VERSION);
    assert!(
        close.reason.contains("protocol version 3") && close.reason.contains(&speaks),
        "reason: {}",
        close.reason
    );
}

#[tokio::test]
async fn silent_viewer_is_closed_after_the_timeout() {
    let server = start_server_with(Config {
        workers: 1,
        session: SessionConfig {
            heartbeat_interval: Duration::from_millis(50),
            client_timeout: Duration::from_millis(300),
            ..SessionConfig::default()
        },
        ..Config::default()
    })
    .await;
    server.streams.get_or_create("quiet").unwrap();
    let mut viewer = Viewer::connect(&server, "quiet").await;
    // Read nothing (so answer no ping) for longer than the timeout.
    tokio::time::sleep(Duration::from_millis(800)).await;
    let close = viewer.next_close().await;
    assert_eq!(close.code, CloseCode::Away);
    assert!(close.reason.contains("timeout"), "reason: {}", close.reason);
}

#[tokio::test]
async fn http_api_lists_streams_and_serves_the_newest_frame() {
    let server = start_server().await;
    let stream = server.streams.get_or_create("snap").unwrap();
    let pixels = gradient(20, 10, 5);
    stream
        .publish(20, 10, PixelFormat::Rgb8, pixels.clone())
        .unwrap();

    let (status, _, body) = http_get(server.address, "/api/streams").await;
    assert_eq!(status, 200);
    let list: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(list[0]["name"], "snap");
    assert_eq!(
        (list[0]["width"].as_u64(), list[0]["format"].as_str()),
        (Some(20), Some("rgb8"))
    );

    let (status, head, body) = http_get(server.address, "/api/streams/snap/frame").await;
    assert_eq!(status, 200);
    assert!(head.to_lowercase().contains("x-framecast-seq: 1"), "{head}");
    assert_eq!(body, pixels);

    let (status, _, body) = http_get(server.address, "/api/streams/nope/frame").await;
    assert_eq!(status, 404);
    assert!(String::from_utf8_lossy(&body).contains("no stream named \\\"nope\\\""));

    let error = tokio_tungstenite::connect_async(format!("ws://{}/ws/nope", server.address))
        .await
        .unwrap_err();
    assert!(error.to_string().contains("404"), "{error}");
}
