//! Publishes one class of the benchmark corpus to a framecast server as fast
//! as the ingest WebSocket takes it, each frame stamped with its capture
//! time, for the end-to-end run (`tests/browser/e2e-bench.mjs`).
//!
//! ```sh
//! framecast-bench-publish ws://127.0.0.1:8080/ingest/e2e sprite 10
//! ```

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::Context;
use framecast_bench::corpus::{Class, Corpus};
use framecast_codec::wire::write_publish_header;
use framecast_codec::PixelFormat;
use futures_util::SinkExt;
use tokio_tungstenite::tungstenite::Message;

const WIDTH: usize = 1000;
const HEIGHT: usize = 1000;
/// Distinct frames, cycled.
const FRAMES: usize = 120;

#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let usage = "usage: framecast-bench-publish WS_INGEST_URL CLASS SECONDS";
    let url = args.next().context(usage)?;
    let class = Class::from_name(&args.next().context(usage)?).context("unknown class")?;
    let seconds: f64 = args.next().context(usage)?.parse()?;

    let corpus = Corpus::new(class, WIDTH, HEIGHT);
    let frames: Vec<Vec<u8>> = (0..FRAMES).map(|n| corpus.frame(n)).collect();
    let (mut socket, _) = tokio_tungstenite::connect_async(&url).await?;
    let (start, mut sent) = (Instant::now(), 0u64);
    let mut message = Vec::with_capacity(WIDTH * HEIGHT * 3 + 64);
    for frame in frames.iter().cycle() {
        if start.elapsed() > Duration::from_secs_f64(seconds) {
            break;
        }
        let capture_us = SystemTime::now().duration_since(UNIX_EPOCH)?.as_micros() as u64;
        message.clear();
        write_publish_header(
            &mut message,
            WIDTH as u32,
            HEIGHT as u32,
            PixelFormat::Rgb8,
            capture_us,
        );
        message.extend_from_slice(frame);
        socket.send(Message::Binary(message.clone().into())).await?;
        sent += 1;
    }
    println!("{sent} frames in {:.1} s", start.elapsed().as_secs_f64());
    Ok(())
}
