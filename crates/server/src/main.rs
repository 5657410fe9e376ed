//! `framecast`: serves live frames to browsers. Parses the command line,
//! starts a built-in source if asked, and runs the server until Ctrl-C.

use std::net::{SocketAddr, TcpListener};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use anyhow::{bail, Context};
use clap::Parser;
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
    /// frame counter) or `noise` (fresh random RGB each frame, the worst case).
    #[arg(long, value_enum, default_value = "demo")]
    source: SourceKind,

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

    /// Name of the built-in source's stream (default: the source's name).
    #[arg(long)]
    stream: Option<String>,

    /// Directory with the page (index.html, app.js and the wasm-pack output
    /// in pkg/). Default: the www/ directory of the source tree.
    #[arg(long)]
    www: Option<PathBuf>,
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
    let stream_name = args
        .stream
        .unwrap_or_else(|| format!("{:?}", args.source).to_lowercase());
    let stream = streams.get_or_create(&stream_name)?;
    let stop = Arc::new(AtomicBool::new(false));
    let (width, height) = args.size;
    let source = source::spawn(
        stream,
        SourceConfig {
            kind: args.source,
            width,
            height,
            fps: args.fps,
            frames: args.frames,
        },
        Arc::clone(&stop),
    )?;

    let listener =
        TcpListener::bind(args.bind).with_context(|| format!("cannot listen on {}", args.bind))?;
    let address = listener.local_addr()?;
    tracing::info!(
        "framecast is serving {stream_name:?} ({:?} {width}x{height} at {} fps): open http://{address}/",
        args.source,
        args.fps
    );
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
    let _ = source.join();
    Ok(())
}
