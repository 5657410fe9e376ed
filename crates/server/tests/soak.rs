//! A bounded soak of the real binary: viewers joining and leaving (some
//! without a goodbye), producers restarting, forged acks, keyframe floods,
//! input event floods, malformed and oversize messages (whole and in
//! fragments), frames published in fragments, and throwaway streams that
//! must expire.
//! Afterwards the server's resident memory and open file descriptors must be
//! back near where they were after a warm-up round of the same work.
//!
//! `FRAMECAST_SOAK_SECS` sets the length (default 40 s; run longer by hand).

mod common;

use std::time::{Duration, Instant};

use common::{gradient, http_request, next_close, usage, websocket, Binary, Socket, Viewer};
use framecast_codec::wire::write_publish_header;
use framecast_codec::{KeyframeReason, KeyframeRequest, PixelFormat};
use futures_util::SinkExt;
use tokio_tungstenite::tungstenite::protocol::frame::coding::{Data, OpCode};
use tokio_tungstenite::tungstenite::protocol::frame::Frame;
use tokio_tungstenite::tungstenite::Message;

const SIDE: u32 = 256;
/// Resident memory the server may keep beyond the warm-up's (allocator
/// arenas, actix's buffers). A leak of one 192 KiB frame per round (over
/// 250 rounds in 40 s here) is several times more.
const RSS_SLACK_KB: u64 = 16 * 1024;
/// File descriptors the server may keep beyond the warm-up's.
const FD_SLACK: usize = 4;

fn publish(shift: u8) -> Message {
    let mut bytes = Vec::new();
    write_publish_header(&mut bytes, SIDE, SIDE, PixelFormat::Rgb8, 0);
    bytes.extend_from_slice(&gradient(SIDE, SIDE, shift));
    Message::Binary(bytes.into())
}

fn keyframe_request() -> Message {
    let mut out = Vec::new();
    KeyframeRequest {
        reason: KeyframeReason::DecodeError,
    }
    .write(&mut out);
    Message::Binary(out.into())
}

/// One round of everything a crowd of clients does.
async fn round(address: &str, round: u32) {
    let socket_address: std::net::SocketAddr = address.parse().unwrap();
    let url = |path: &str| format!("ws://{address}{path}");

    // A producer (re)starts and publishes a few frames.
    let mut producer: Socket = websocket(&url("/ingest/soak"), &[]).await.unwrap();
    for n in 0..4 {
        producer.send(publish((round * 4 + n) as u8)).await.unwrap();
    }

    // An honest viewer watches two frames, then leaves politely or not.
    let mut viewer = Viewer::connect_to(address, "soak").await;
    let (seq, _, _) = viewer.receive().await;
    viewer.ack(seq).await;
    producer.send(publish(round as u8 ^ 0x55)).await.unwrap();
    let (seq, _, _) = viewer.receive().await;
    viewer.ack(seq).await;
    if round % 2 == 0 {
        let _ = viewer.socket.close(None).await;
    }
    drop(viewer);

    // A forger, a flooder, a garbage sender and an oversize sender: each is
    // closed with its reason.
    let mut forger = Viewer::connect_to(address, "soak").await;
    forger.receive().await;
    forger.ack(u64::MAX).await;
    assert_eq!(forger.next_close().await.code, 1008.into());

    let mut flooder = Viewer::connect_to(address, "soak").await;
    flooder.receive().await;
    for _ in 0..40 {
        if flooder.socket.send(keyframe_request()).await.is_err() {
            break;
        }
    }
    assert_eq!(next_close(&mut flooder.socket).await.code, 1008.into());

    let mut garbage = websocket(&url("/ws/soak"), &[]).await.unwrap();
    garbage
        .send(Message::Binary(
            [&b"FCST"[..], &[framecast_codec::wire::VERSION, 9, 0, 0]]
                .concat()
                .into(),
        ))
        .await
        .unwrap();
    assert_eq!(next_close(&mut garbage).await.code, 1007.into());

    let mut oversize = websocket(&url("/ws/soak"), &[]).await.unwrap();
    let _ = oversize
        .send(Message::Binary(vec![0; 100_000].into()))
        .await;
    assert_eq!(next_close(&mut oversize).await.code, 1009.into());

    // The same in fragments: 100 KB of text in 10 KB frames.
    let mut fragmented = websocket(&url("/ws/soak"), &[]).await.unwrap();
    for n in 0..10 {
        let opcode = if n == 0 {
            OpCode::Data(Data::Text)
        } else {
            OpCode::Data(Data::Continue)
        };
        let frame = Frame::message(vec![b'x'; 10_000], opcode, n == 9);
        if fragmented.send(Message::Frame(frame)).await.is_err() {
            break;
        }
    }
    assert_eq!(next_close(&mut fragmented).await.code, 1009.into());

    // A viewer floods the producer with key events (most over its rate).
    let mut flooder = Viewer::connect_to(address, "soak").await;
    flooder.receive().await;
    let key = format!(
        r#"{{"type":"keydown","key":"{}","code":"KeyK"}}"#,
        "k".repeat(900)
    );
    for _ in 0..300 {
        flooder
            .socket
            .send(Message::Text(key.clone().into()))
            .await
            .unwrap();
    }
    drop(flooder);

    // A frame published in fragments arrives whole.
    let Message::Binary(whole) = publish(round as u8 ^ 0xAA) else {
        unreachable!()
    };
    for (n, part) in whole.chunks(64 * 1024).enumerate() {
        let opcode = if n == 0 {
            OpCode::Data(Data::Binary)
        } else {
            OpCode::Data(Data::Continue)
        };
        let last = (n + 1) * 64 * 1024 >= whole.len();
        producer
            .send(Message::Frame(Frame::message(part.to_vec(), opcode, last)))
            .await
            .unwrap();
    }

    // Throwaway streams, which expire with the short TTL.
    let frame = gradient(SIDE, SIDE, round as u8);
    let response = http_request(
        socket_address,
        "POST",
        &format!("/api/streams/tmp-{round}/frame?width={SIDE}&height={SIDE}"),
        &[("Content-Type", "application/octet-stream")],
        &frame,
    )
    .await;
    assert!(
        matches!(response.status, 200 | 429),
        "status {}",
        response.status
    );

    let _ = producer.close(None).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn memory_and_descriptors_return_after_a_soak_of_hostile_and_honest_clients() {
    let seconds: u64 = std::env::var("FRAMECAST_SOAK_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(40);
    let server = Binary::start(&[
        "--stream-ttl",
        "1s",
        "--max-streams",
        "32",
        "--keyframe-requests-per-minute",
        "60",
    ]);
    let (pid, address) = (server.pid(), server.address.to_string());

    let settle = || tokio::time::sleep(Duration::from_millis(2500)); // past the TTL
    for n in 0..5 {
        round(&address, n).await;
    }
    settle().await;
    let (rss_start, fds_start) = usage(pid);

    let start = Instant::now();
    let mut rounds = 5;
    while start.elapsed() < Duration::from_secs(seconds) && rounds < 100_000 {
        round(&address, rounds).await;
        rounds += 1;
    }
    settle().await;
    let (rss_end, fds_end) = usage(pid);
    println!(
        "{} rounds in {:.0} s: resident {} -> {} KiB, descriptors {} -> {}",
        rounds - 5,
        start.elapsed().as_secs_f64(),
        rss_start,
        rss_end,
        fds_start,
        fds_end
    );
    assert!(
        rss_end <= rss_start + RSS_SLACK_KB,
        "resident memory grew from {rss_start} to {rss_end} KiB over {rounds} rounds"
    );
    assert!(
        fds_end <= fds_start + FD_SLACK,
        "descriptors grew from {fds_start} to {fds_end}"
    );
    let listed = http_request(address.parse().unwrap(), "GET", "/api/streams", &[], b"").await;
    let names: Vec<String> = listed
        .json()
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap().to_string())
        .collect();
    assert!(
        names.iter().all(|name| !name.starts_with("tmp-")),
        "unused streams expired: {names:?}"
    );
}
