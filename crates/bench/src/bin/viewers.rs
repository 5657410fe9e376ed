//! The many-viewers run: the real `framecast` binary serves one 60 fps
//! sprite stream (1000x1000, published over the ingest WebSocket) to 1, 10
//! and 100 real WebSocket viewers that decode every frame with
//! framecast-codec and ack it, as the page does. It measures the server
//! process's CPU time (from /proc) per second of wall time, and the frames
//! each viewer received, and writes them as JSON for the report.
//!
//! ```sh
//! framecast-bench-viewers target/release/framecast target/bench/viewers.json
//! ```

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use framecast_bench::corpus::{Class, Corpus};
use framecast_codec::wire::write_publish_header;
use framecast_codec::{Ack, Decoder, PixelFormat};
use futures_util::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::Message;

const WIDTH: usize = 1000;
const HEIGHT: usize = 1000;
const FPS: u64 = 60;
/// Distinct frames published, cycled.
const FRAMES: usize = 120;
const VIEWER_COUNTS: [usize; 3] = [1, 10, 100];
const WARM_UP: Duration = Duration::from_secs(2);
const MEASURE: Duration = Duration::from_secs(8);

/// Kills the server when dropped.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// CPU seconds the process has used (user + system), from /proc.
fn cpu_seconds(pid: u32) -> anyhow::Result<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))?;
    // Fields after the command name, which is in parentheses.
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .context("odd /proc stat")?
        .1
        .split_whitespace()
        .collect();
    let ticks: f64 = fields[11].parse::<f64>()? + fields[12].parse::<f64>()?;
    // Linux reports these in USER_HZ, which is 100 on every mainstream kernel.
    Ok(ticks / 100.0)
}

async fn publish(address: String, stop: Arc<AtomicBool>) -> anyhow::Result<()> {
    let corpus = Corpus::new(Class::Sprite, WIDTH, HEIGHT);
    let messages: Vec<Vec<u8>> = (0..FRAMES)
        .map(|n| {
            let mut message = Vec::new();
            write_publish_header(
                &mut message,
                WIDTH as u32,
                HEIGHT as u32,
                PixelFormat::Rgb8,
                0,
            );
            message.extend_from_slice(&corpus.frame(n));
            message
        })
        .collect();
    let (mut socket, _) =
        tokio_tungstenite::connect_async(format!("ws://{address}/ingest/sprite")).await?;
    let mut tick = tokio::time::interval(Duration::from_micros(1_000_000 / FPS));
    for message in messages.iter().cycle() {
        if stop.load(Ordering::Relaxed) {
            break;
        }
        tick.tick().await;
        socket.send(Message::Binary(message.clone().into())).await?;
    }
    Ok(())
}

async fn view(
    address: String,
    frames: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
) -> anyhow::Result<()> {
    let (mut socket, _) =
        tokio_tungstenite::connect_async(format!("ws://{address}/ws/sprite")).await?;
    let mut decoder = Decoder::new();
    let mut ack = Vec::new();
    while !stop.load(Ordering::Relaxed) {
        let Ok(Some(message)) =
            tokio::time::timeout(Duration::from_millis(200), socket.next()).await
        else {
            continue;
        };
        let Message::Binary(bytes) = message? else {
            continue;
        };
        let info = decoder.apply(&bytes)?;
        frames.fetch_add(1, Ordering::Relaxed);
        ack.clear();
        Ack {
            seq: info.seq,
            decode_us: 0,
            paint_us: 0,
            hold_us: 0,
        }
        .write(&mut ack);
        socket.send(Message::Binary(ack.clone().into())).await?;
    }
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let binary = args
        .next()
        .unwrap_or_else(|| "target/release/framecast".into());
    let out = args
        .next()
        .unwrap_or_else(|| "target/bench/viewers.json".into());

    let mut child = Command::new(&binary)
        // Viewers of the last round may still be closing when the next joins.
        .args([
            "--source",
            "none",
            "--bind",
            "127.0.0.1:0",
            "--max-viewers-per-stream",
            "1000",
        ])
        .env("RUST_LOG", "warn,framecast=info,framecast_server=warn")
        .env("NO_COLOR", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .with_context(|| format!("cannot start {binary}"))?;
    let stdout = child.stdout.take().context("no stdout")?;
    let server = Server(child);
    let mut lines = BufReader::new(stdout).lines();
    let address = loop {
        let Some(line) = lines.next() else {
            bail!("framecast exited before printing its URL")
        };
        if let Some(at) = line?.split_once("open http://") {
            break at.1.trim_end_matches('/').to_string();
        }
    };
    std::thread::spawn(move || lines.for_each(drop));
    let pid = server.0.id();

    let stop_publishing = Arc::new(AtomicBool::new(false));
    let producer = tokio::spawn(publish(address.clone(), Arc::clone(&stop_publishing)));
    tokio::time::sleep(Duration::from_millis(500)).await;

    let mut rows = Vec::new();
    for count in VIEWER_COUNTS {
        let stop = Arc::new(AtomicBool::new(false));
        let counters: Vec<Arc<AtomicU64>> =
            (0..count).map(|_| Arc::new(AtomicU64::new(0))).collect();
        let viewers: Vec<_> = counters
            .iter()
            .map(|frames| {
                tokio::spawn(view(address.clone(), Arc::clone(frames), Arc::clone(&stop)))
            })
            .collect();
        tokio::time::sleep(WARM_UP).await;
        let (cpu_before, start) = (cpu_seconds(pid)?, Instant::now());
        let frames_before: Vec<u64> = counters.iter().map(|c| c.load(Ordering::Relaxed)).collect();
        tokio::time::sleep(MEASURE).await;
        let (cpu_after, elapsed) = (cpu_seconds(pid)?, start.elapsed().as_secs_f64());
        let mut fps: Vec<f64> = counters
            .iter()
            .zip(&frames_before)
            .map(|(c, before)| (c.load(Ordering::Relaxed) - before) as f64 / elapsed)
            .collect();
        fps.sort_by(f64::total_cmp);
        stop.store(true, Ordering::Relaxed);
        for viewer in viewers {
            viewer.await??;
        }
        let cpu_per_second = (cpu_after - cpu_before) / elapsed;
        println!(
            "{count:>3} viewers: server CPU {:.1} ms per second; frames per viewer per second: median {:.1}, lowest {:.1}",
            cpu_per_second * 1000.0,
            fps[fps.len() / 2],
            fps[0]
        );
        rows.push(serde_json::json!({
            "viewers": count,
            "server_cpu_ms_per_s": cpu_per_second * 1000.0,
            "median_fps": fps[fps.len() / 2],
            "lowest_fps": fps[0],
        }));
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    stop_publishing.store(true, Ordering::Relaxed);
    producer.await??;
    let report = serde_json::json!({ "width": WIDTH, "height": HEIGHT, "fps": FPS, "rows": rows });
    if let Some(dir) = std::path::Path::new(&out).parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(&out, serde_json::to_string_pretty(&report)?)?;
    println!("wrote {out}");
    Ok(())
}
