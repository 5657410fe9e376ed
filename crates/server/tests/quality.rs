//! Per-viewer quality against the real server on loopback: a viewer that
//! asks for JPEG gets JPEG tiles while the picture moves and exact pixels
//! once it is still; a producer's cap overrides the viewer; bad values are
//! refused.

mod common;

use std::time::{Duration, Instant};

use common::{start_server, websocket, Viewer};
use framecast_codec::wire::{parse_frame, TileEncoding};
use framecast_codec::PixelFormat;

const W: u32 = 256;
const H: u32 = 192;

/// Smooth natural-looking content, frame `t` of a moving pattern.
fn natural(t: u32) -> Vec<u8> {
    (0..W * H)
        .flat_map(|i| {
            let (x, y) = ((i % W) as f32, (i / W) as f32);
            let wave = |k: f32, phase: f32| ((x * k + y * 0.04 + phase).sin() * 80.0 + 120.0) as u8;
            let t = t as f32 * 0.4;
            [wave(0.05, t), wave(0.03, -t), wave(0.02, 2.0 * t)]
        })
        .collect()
}

/// Receives, applies and acks the next frame message; returns its JPEG
/// tiles.
async fn receive_and_ack(viewer: &mut Viewer) -> usize {
    let bytes = viewer
        .next_binary_within(common::EXPECT_WITHIN)
        .await
        .expect("a frame arrives");
    apply_and_ack(viewer, &bytes).await
}

/// Applies and acks a frame message; returns its JPEG tiles.
async fn apply_and_ack(viewer: &mut Viewer, bytes: &[u8]) -> usize {
    let jpeg = parse_frame(bytes)
        .unwrap()
        .tiles()
        .filter(|tile| tile.as_ref().unwrap().encoding == TileEncoding::Jpeg)
        .count();
    let info = viewer.decoder.apply(bytes).expect("frame decodes");
    viewer.ack(info.seq).await;
    jpeg
}

async fn connect(server: &common::TestServer, query: &str) -> Viewer {
    let url = format!("ws://{}/ws/nature?{query}", server.address);
    Viewer::over(websocket(&url, &[]).await.expect("viewer connects"))
}

#[tokio::test]
async fn jpeg_while_moving_then_exact_pixels_once_still() {
    let server = start_server().await;
    let stream = server.streams.get_or_create("nature").unwrap();
    stream.publish(W, H, PixelFormat::Rgb8, natural(0)).unwrap();
    let mut viewer = connect(&server, "quality=60").await;
    assert!(
        receive_and_ack(&mut viewer).await > 0,
        "the keyframe has JPEG tiles"
    );
    for t in 1..4 {
        stream.publish(W, H, PixelFormat::Rgb8, natural(t)).unwrap();
        assert!(receive_and_ack(&mut viewer).await > 0, "moving: JPEG");
    }
    assert_eq!(
        viewer.lossy,
        Some(true),
        "the viewer is told its picture is lossy"
    );
    let last = natural(3);
    // Still: the refinement comes by itself, messages of the same frame,
    // until the server says the picture is exact.
    let still = Instant::now();
    while let Some(bytes) = viewer.next_binary_within(Duration::from_secs(1)).await {
        let jpeg = apply_and_ack(&mut viewer, &bytes).await;
        assert_eq!(jpeg, 0, "refinements are exact");
        assert!(
            still.elapsed() < Duration::from_secs(5),
            "refined within 5 s"
        );
    }
    assert_eq!(viewer.lossy, Some(false), "the viewer is told it is exact");
    viewer.assert_shows(PixelFormat::Rgb8, &last);
    assert_eq!(viewer.decoder.held_seq(), Some(4));
}

#[tokio::test]
async fn loopback_auto_viewers_get_exact_frames() {
    let server = start_server().await;
    let stream = server.streams.get_or_create("nature").unwrap();
    stream.publish(W, H, PixelFormat::Rgb8, natural(0)).unwrap();
    let mut viewer = connect(&server, "quality=auto").await;
    for t in 1..6 {
        assert_eq!(receive_and_ack(&mut viewer).await, 0);
        viewer.assert_shows(PixelFormat::Rgb8, &natural(t - 1));
        stream.publish(W, H, PixelFormat::Rgb8, natural(t)).unwrap();
    }
}

#[tokio::test]
async fn a_lossless_producer_overrides_a_lossy_viewer() {
    let server = start_server().await;
    let mut producer = websocket(
        &format!("ws://{}/ingest/nature?quality=lossless", server.address),
        &[],
    )
    .await
    .expect("producer connects");
    let stream = server.streams.get_or_create("nature").unwrap();
    stream.publish(W, H, PixelFormat::Rgb8, natural(0)).unwrap();
    let mut viewer = connect(&server, "quality=20").await;
    assert_eq!(receive_and_ack(&mut viewer).await, 0);
    viewer.assert_shows(PixelFormat::Rgb8, &natural(0));
    producer.close(None).await.unwrap();
}

#[tokio::test]
async fn bad_quality_values_are_refused_with_what_is_accepted() {
    let server = start_server().await;
    server.streams.get_or_create("nature").unwrap();
    for bad in ["0", "101", "best"] {
        for path in ["ws", "ingest"] {
            let url = format!("ws://{}/{path}/nature?quality={bad}", server.address);
            let (status, body) = websocket(&url, &[]).await.expect_err("refused");
            assert_eq!(status, 400, "{path} {bad}");
            assert!(
                body.contains("auto, lossless or a JPEG quality from 1 to 100"),
                "{body}"
            );
        }
    }
}
