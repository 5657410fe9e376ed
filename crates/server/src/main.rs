//! `framecast`: serves live frames to browsers. Parses the command line,
//! starts a built-in source if asked, and runs the server until Ctrl-C.

use std::net::{SocketAddr, TcpListener};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use anyhow::{bail, Context};
use clap::Parser;
use framecast_codec::PixelFormat;
use framecast_server::{source, Config, SourceConfig, SourceKind, Streams};

/// Watch live frames from a program in a browser: framecast sends each viewer
/// only the tiles that changed since the frame it has, losslessly, over a
/// WebSocket.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Args {
    /// Address to listen on. Use 0.0.0.0:8080 to let other machines connect.
    #[arg(long, default_value = "127.0.0.1:8080")]
    bind: SocketAddr,

    /// Built-in frame source: `demo` (sprites over a textured background, a
    /// frame counter), `noise` (fresh random RGB each frame, the worst case)
    /// or `none` (frames come only from producers: /ingest/NAME, POST).
    #[arg(long, value_enum, default_value = "demo", conflicts_with = "stdin")]
    source: SourceKind,

    /// Read raw frames of WIDTHxHEIGHT from standard input instead, as
    /// `ffmpeg -f rawvideo -pix_fmt rgb24 -` writes them:
    /// `some_program | framecast --stdin 1000x1000 --format rgb24`.
    #[arg(long, value_name = "WIDTHxHEIGHT", value_parser = parse_size)]
    stdin: Option<(u32, u32)>,

    /// Pixel format of --stdin: rgb24 (3 bytes a pixel) or rgba (4).
    #[arg(long, default_value = "rgb24", value_parser = parse_format, requires = "stdin")]
    format: PixelFormat,

    /// Frame size of the built-in source, WIDTHxHEIGHT.
    #[arg(long, default_value = "1000x1000", value_parser = parse_size)]
    size: (u32, u32),

    /// Frames per second of the built-in source.
    #[arg(long, default_value_t = 30.0)]
    fps: f64,

    /// Stop the built-in source after this many frames; the last one stays
    /// on screen.
    #[arg(long)]
    frames: Option<u64>,

    /// Name of the built-in source's or --stdin's stream (default: the
    /// source's name, or `stdin`).
    #[arg(long)]
    stream: Option<String>,

    /// Directory with the page (index.html, app.js and the wasm-pack output
    /// in pkg/). Default: the www/ directory of the source tree.
    #[arg(long)]
    www: Option<PathBuf>,
}

fn parse_format(text: &str) -> Result<PixelFormat, String> {
    PixelFormat::from_name(text).ok_or_else(|| format!("expected rgb24 or rgba, got {text:?}"))
}

fn parse_size(text: &str) -> Result<(u32, u32), String> {
    let (width, height) = text
        .split_once(['x', 'X'])
        .ok_or_else(|| format!("expected WIDTHxHEIGHT, like 1000x1000; got {text:?}"))?;
    let parse = |side: &str| {
        side.trim()
            .parse::<u32>()
            .map_err(|_| format!("{side:?} is not a whole number"))
    };
    let (width, height) = (parse(width)?, parse(height)?);
    framecast_codec::frame::check_dimensions(width, height).map_err(|error| error.to_string())?;
    Ok((width, height))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,actix_server=warn".into()),
        )
        .init();
    let args = Args::parse();
    if !(args.fps > 0.0 && args.fps <= 1000.0) {
        bail!("--fps must be above 0 and at most 1000, got {}", args.fps);
    }

    let www_dir = args.www.unwrap_or_else(framecast_server::default_www_dir);
    if !www_dir.join("index.html").is_file() {
        bail!(
            "{} has no index.html; pass --www with the page's directory",
            www_dir.display()
        );
    }
    let www_dir = www_dir.canonicalize()?;
    if !www_dir.join("pkg/framecast_viewer.js").is_file() {
        tracing::warn!(
            "{} is missing: build the viewer with `just wasm` or the page cannot decode",
            www_dir.join("pkg/framecast_viewer.js").display()
        );
    }

    let streams = Streams::new();
    let stop = Arc::new(AtomicBool::new(false));
    let (what, source) = match (args.stdin, args.source) {
        (Some((width, height)), _) => {
            let name = args.stream.as_deref().unwrap_or("stdin");
            let stream = streams.get_or_create(name)?;
            // Not joined at exit: a read from standard input cannot be interrupted.
            source::spawn_stdin(stream, width, height, args.format)?;
            (
                format!(
                    "{name:?} from standard input ({width}x{height} {})",
                    args.format
                ),
                None,
            )
        }
        (None, SourceKind::None) => ("frames from producers".to_string(), None),
        (None, kind) => {
            let name = args
                .stream
                .unwrap_or_else(|| format!("{kind:?}").to_lowercase());
            let stream = streams.get_or_create(&name)?;
            let (width, height) = args.size;
            let config = SourceConfig {
                kind,
                width,
                height,
                fps: args.fps,
                frames: args.frames,
            };
            let thread = source::spawn(stream, config, Arc::clone(&stop))?;
            (
                format!("{name:?} ({kind:?} {width}x{height} at {} fps)", args.fps),
                Some(thread),
            )
        }
    };

    let listener =
        TcpListener::bind(args.bind).with_context(|| format!("cannot listen on {}", args.bind))?;
    let address = listener.local_addr()?;
    tracing::info!("framecast is serving {what}: open http://{address}/");
    let config = Config {
        www_dir,
        ..Config::default()
    };
    let shutdown = async {
        let _ = tokio::signal::ctrl_c().await;
        tracing::info!("shutting down");
    };
    framecast_server::run(listener, config, streams, shutdown).await?;
    stop.store(true, Ordering::Relaxed);
    if let Some(source) = source {
        let _ = source.join();
    }
    Ok(())
}
