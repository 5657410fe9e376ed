//! A minimal framecast viewer for scripts and tests: connects to a stream's
//! viewer WebSocket, decodes with framecast-codec, acks every frame, and once
//! it holds frame `--seq` (or the first frame, without it) writes the
//! framebuffer to standard output after a line `WIDTH HEIGHT SEQ FORMAT`:
//! RGBA for the colour formats, the values as published for the others
//! (`gray8`, `gray16`, `f32`; little-endian).
//!
//! ```sh
//! cargo run --release --example peek -- ws://127.0.0.1:8080/ws/demo > frame.rgba
//! ```

use std::io::Write;

use framecast_codec::{Ack, Decoder};
use futures_util::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::Message;

#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let url = args
        .next()
        .ok_or_else(|| anyhow::anyhow!("usage: peek WS_URL [--seq N]"))?;
    let want_seq: Option<u64> = match (args.next().as_deref(), args.next()) {
        (Some("--seq"), Some(n)) => Some(n.parse()?),
        (None, _) => None,
        _ => anyhow::bail!("usage: peek WS_URL [--seq N]"),
    };
    let (mut socket, _) = tokio_tungstenite::connect_async(&url).await?;
    let mut decoder = Decoder::new();
    while let Some(message) = socket.next().await {
        let Message::Binary(bytes) = message? else {
            continue;
        };
        let arrived = std::time::Instant::now();
        let info = decoder.apply(&bytes)?;
        // Decoding is all this viewer does with a frame before acking it.
        let micros = |d: std::time::Duration| u32::try_from(d.as_micros()).unwrap_or(u32::MAX);
        let decoded = micros(arrived.elapsed());
        let mut ack = Vec::new();
        Ack {
            seq: info.seq,
            decode_us: decoded,
            paint_us: 0,
            hold_us: decoded,
        }
        .write(&mut ack);
        socket.send(Message::Binary(ack.into())).await?;
        if want_seq.is_none_or(|want| info.seq >= want) {
            let mut out = std::io::stdout().lock();
            writeln!(
                out,
                "{} {} {} {}",
                info.width, info.height, info.seq, info.format
            )?;
            out.write_all(decoder.framebuffer())?;
            out.flush()?;
            return Ok(());
        }
    }
    anyhow::bail!("the server closed the connection before frame {want_seq:?}")
}
