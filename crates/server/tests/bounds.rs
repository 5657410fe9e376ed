//! What the server holds after clients that pushed it to hold much, measured
//! on the real binary: its resident memory (a producer connection holds the
//! memory of its last frame, not of its largest; a stream whose slow viewers
//! left keeps no encoders or encoded messages for them) and its connections
//! and open files under a burst of requests that never finish.
//!
//! The binary runs with glibc's mapping threshold fixed at 1 MiB
//! ([`FRAMES_MAPPED`]), so that a frame-sized block it frees leaves its
//! resident memory at once: what is measured is what the server holds, not
//! what malloc keeps for reuse (see `src/memory.rs`).

mod common;

use std::time::Duration;

use common::{
    eventually, http_request, usage, websocket, Binary, RawClient, Socket, EXPECT_WITHIN,
};
use framecast_codec::wire::{write_publish_header, FrameHeader};
use framecast_codec::{Encoder, FrameRef, PixelFormat};
use futures_util::SinkExt;
use tokio_tungstenite::tungstenite::Message;

const MIB: u64 = 1024; // in KiB, as /proc reports resident memory

/// glibc's malloc maps every block of 1 MiB or more on its own, and unmaps
/// it when freed.
const FRAMES_MAPPED: &[(&str, &str)] = &[("MALLOC_MMAP_THRESHOLD_", "1048576")];

/// The newest `seq` of stream `name` in `GET /api/streams` (0 if none).
async fn seq_of(server: &Binary, name: &str) -> u64 {
    let listed = http_request(server.address, "GET", "/api/streams", &[], b"").await;
    listed
        .json()
        .as_array()
        .unwrap()
        .iter()
        .find(|stream| stream["name"] == name)
        .map_or(0, |stream| stream["seq"].as_u64().unwrap())
}

async fn wait_for_seq(server: &Binary, name: &str, seq: u64) {
    let reached = || async { (seq_of(server, name).await >= seq).then_some(()) };
    eventually(&format!("{name} reaches frame {seq}"), reached).await;
}

async fn producer(server: &Binary, name: &str) -> Socket {
    websocket(&format!("ws://{}/ingest/{name}", server.address), &[])
        .await
        .unwrap()
}

#[tokio::test]
async fn a_producer_whose_frames_shrink_holds_its_last_frames_memory() {
    let server = Binary::start_with_env(&[], FRAMES_MAPPED);
    let (start, _) = usage(server.pid());
    // Four producers each declare the largest frame (a keyframe of no tiles:
    // 49 bytes for 128 MiB of black), then send a 16x16 keyframe.
    let mut producers = Vec::new();
    for n in 0..4 {
        let name = format!("shrinking-{n}");
        let mut socket = producer(&server, &name).await;
        let mut huge = Vec::new();
        FrameHeader {
            seq: 1,
            base_seq: 0,
            capture_us: 0,
            width: 8192,
            height: 4096,
            tile_width: 512,
            tile_height: 512,
            format: PixelFormat::Rgba8,
            tile_count: 0,
        }
        .write(&mut huge);
        socket.send(Message::Binary(huge.into())).await.unwrap();
        wait_for_seq(&server, &name, 1).await;

        let pixels = vec![9; 16 * 16 * 4];
        let mut small = Vec::new();
        let frame = FrameRef::new(16, 16, PixelFormat::Rgba8, &pixels).unwrap();
        Encoder::default().encode(2, 0, frame, None, &mut small);
        socket.send(Message::Binary(small.into())).await.unwrap();
        wait_for_seq(&server, &name, 2).await;
        producers.push(socket);
    }
    let (end, _) = usage(server.pid());
    println!("resident memory {start} -> {end} KiB with four shrunk producers connected");
    assert!(
        end <= start + 32 * MIB,
        "resident memory grew from {start} to {end} KiB: the 128 MiB frames are still held"
    );
}

/// A 2048x2048 RGB frame of noise (12 MiB: nothing compresses).
fn noise(seed: u64) -> Vec<u8> {
    let mut state = seed | 1;
    let mut pixels = Vec::with_capacity(2048 * 2048 * 3);
    while pixels.len() < 2048 * 2048 * 3 {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        pixels.extend_from_slice(&state.to_le_bytes());
    }
    pixels.truncate(2048 * 2048 * 3);
    pixels
}

fn publish_message(pixels: &[u8]) -> Message {
    let mut bytes = Vec::new();
    write_publish_header(&mut bytes, 2048, 2048, PixelFormat::Rgb8, 0);
    bytes.extend_from_slice(pixels);
    Message::Binary(bytes.into())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stream_whose_slow_viewers_left_keeps_nothing_for_them() {
    let server = Binary::start_with_env(&[], FRAMES_MAPPED);
    let frames: Vec<Vec<u8>> = (1..=4).map(noise).collect();
    let mut producer = producer(&server, "big").await;
    for frame in &frames {
        producer.send(publish_message(frame)).await.unwrap();
    }
    wait_for_seq(&server, "big", 4).await;
    let (before, _) = usage(server.pid());

    // Eight viewers that never read, joining while frames keep coming.
    let mut viewers = Vec::new();
    for round in 0..8 {
        viewers.push(RawClient::connect(server.address, "/ws/big", 4096).await);
        producer
            .send(publish_message(&frames[round % frames.len()]))
            .await
            .unwrap();
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let (watched, _) = usage(server.pid());
    drop(viewers);
    eventually("the viewers leave", || async {
        let listed = http_request(server.address, "GET", "/api/streams", &[], b"").await;
        (listed.json()[0]["viewers"] == 0).then_some(())
    })
    .await;
    // The server gives freed memory back a second or two after sessions end.
    let deadline = tokio::time::Instant::now() + EXPECT_WITHIN;
    let after = loop {
        let (after, _) = usage(server.pid());
        if after <= before + 16 * MIB || tokio::time::Instant::now() > deadline {
            break after;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    println!("resident memory {before} KiB, {watched} KiB with slow viewers, {after} KiB after they left");
    assert!(
        after <= before + 16 * MIB,
        "resident memory {before} KiB before the viewers, {after} KiB after they left"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_of_unfinished_requests_is_served_within_the_bound_and_timed_out() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    const MAX: usize = 40;
    const BURST: usize = 120;
    let server = Binary::start(&["--max-connections", "40", "--request-head-timeout", "1s"]);
    let pid = server.pid();
    // The workers open their own files on the first requests.
    for _ in 0..4 {
        http_request(server.address, "GET", "/api/streams", &[], b"").await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let (_, descriptors_before) = usage(pid);

    // Watch the server's open files while the burst lasts.
    let watching = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
    let most = {
        let watching = std::sync::Arc::clone(&watching);
        std::thread::spawn(move || {
            let mut most = 0;
            while watching.load(std::sync::atomic::Ordering::Relaxed) {
                most = most.max(usage(pid).1);
                std::thread::sleep(Duration::from_millis(10));
            }
            most
        })
    };
    let start = tokio::time::Instant::now();
    let requests = (0..BURST).map(|_| async move {
        let mut socket = tokio::net::TcpStream::connect(server.address)
            .await
            .unwrap();
        socket
            .write_all(b"GET /ws/cam HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\n")
            .await
            .unwrap();
        let mut answer = Vec::new();
        let _ = tokio::time::timeout(EXPECT_WITHIN, socket.read_to_end(&mut answer)).await;
        (
            String::from_utf8_lossy(&answer).into_owned(),
            start.elapsed(),
        )
    });
    let answers = futures_util::future::join_all(requests).await;
    watching.store(false, std::sync::atomic::Ordering::Relaxed);
    let most = most.join().unwrap();

    for (answer, _) in &answers {
        assert!(
            answer.starts_with("HTTP/1.1 408"),
            "every one is answered 408: {answer:?}"
        );
    }
    // Served MAX at a time, each for its 1 s: three waves.
    let last = answers.iter().map(|(_, at)| *at).max().unwrap();
    assert!(
        last < Duration::from_secs(6),
        "the last answered after {last:?}"
    );
    assert!(
        most <= descriptors_before + MAX + 2,
        "{most} files open at most, {descriptors_before} before: at most {MAX} connections at once"
    );
    let back = || async { (usage(pid).1 <= descriptors_before + 2).then_some(()) };
    eventually("the descriptors come back", back).await;
}

#[tokio::test]
async fn connections_are_fitted_to_the_limit_on_open_files() {
    if std::process::Command::new("prlimit")
        .arg("--version")
        .output()
        .is_err()
    {
        eprintln!("skipped: no prlimit here (util-linux) to start the server under a low limit");
        return;
    }
    // 200 open files, soft and hard: the server cannot raise it, so it
    // serves 200 - RESERVED_DESCRIPTORS connections rather than failing to
    // accept the ones past the limit.
    let server = Binary::start_under(&["prlimit", "--nofile=200:200"], &[], &[]);
    let fit = 200 - framecast_server::limits::RESERVED_DESCRIPTORS;
    let warning = server
        .logged("the limit on open files allows")
        .await
        .expect("the server says it serves fewer connections");
    assert!(
        warning.contains(&format!("allows {fit} connections at once")),
        "{warning}"
    );
    let listed = http_request(server.address, "GET", "/api/streams", &[], b"").await;
    assert_eq!(listed.status, 200);
}
