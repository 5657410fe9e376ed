//! The `framecast` command: parses the command line, starts a built-in
//! source if asked, and runs the server until Ctrl-C or SIGTERM. The Rust
//! binary (`main.rs`) and the Python package's `framecast` command both call
//! [`main`].

use std::ffi::OsString;
use std::io::IsTerminal;
use std::net::{SocketAddr, TcpListener};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use crate::limits::{self, Limits};
use crate::quality::Quality;
use crate::{
    source, Access, Config, Page, SessionConfig, SourceConfig, SourceKind, Streams, Token,
};
use anyhow::{bail, Context};
use clap::Parser;
use framecast_codec::colormap::{Colormap, RangeMode, View};
use framecast_codec::PixelFormat;

/// The command's own log lines (the URL to open, why it stops) log to
/// `framecast`, as when they came from the binary's crate, so that
/// `RUST_LOG=framecast=info` keeps them whatever module they come from.
const LOG_TARGET: &str = "framecast";

/// Watch live frames from a program in a browser: framecast sends each viewer
/// only the tiles that changed since the frame it has, losslessly, over a
/// WebSocket.
#[derive(Debug, Parser)]
#[command(name = "framecast", version)]
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

    /// Pixel format of --stdin: rgb24 (3 bytes a pixel), rgba (4), or
    /// values shown through a colormap: gray (1 byte), gray16le (2, a 12-
    /// or 16-bit camera), grayf32le (a 4-byte float), as ffmpeg names them.
    #[arg(long, default_value = "rgb24", value_parser = parse_format, requires = "stdin")]
    format: PixelFormat,

    /// Colormap of --stdin's values (gray, gray16le, grayf32le) until a
    /// viewer chooses another: gray, viridis, magma, inferno, turbo or
    /// coolwarm.
    #[arg(long, default_value = "gray", value_parser = parse_colormap, requires = "stdin")]
    colormap: Colormap,

    /// Value range of --stdin's values until a viewer chooses another: auto
    /// (0-255 for gray, the bits in use for gray16le, the last two seconds'
    /// least and greatest value for floats), frame, window, or LO:HI.
    #[arg(long, default_value = "auto", value_parser = parse_range, requires = "stdin", allow_hyphen_values = true)]
    range: RangeMode,

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

    /// Serve the page from this directory (index.html, app.js and the
    /// wasm-pack output in pkg/) instead of the one compiled in: for
    /// working on the page without rebuilding.
    #[arg(long)]
    www: Option<PathBuf>,

    #[command(flatten)]
    access: AccessArgs,

    #[command(flatten)]
    quality: QualityArgs,

    #[command(flatten)]
    limits: LimitArgs,
}

/// Exact pixels, or JPEG while the link cannot carry them (PROTOCOL.md).
#[derive(Debug, clap::Args)]
#[command(next_help_heading = "Quality")]
struct QualityArgs {
    /// What the built-in source's or --stdin's stream allows its viewers:
    /// `auto` (each viewer's link decides; exact where it keeps up),
    /// `lossless` (never JPEG) or a JPEG quality 1-100 (moving natural content
    /// always as JPEG of at most that quality, exact once still). Viewers
    /// choose with `?quality=` within it; producers set it with
    /// `/ingest/NAME?quality=`.
    #[arg(long, default_value = "auto", value_parser = parse_quality)]
    quality: Quality,

    /// How long a region sent as JPEG must stay still before it is refined
    /// to exact pixels: 200ms, 0.5s.
    #[arg(long, default_value = "200ms", value_parser = parse_duration)]
    refine_after: Duration,
}

/// Who may view and publish (SECURITY.md).
#[derive(Debug, clap::Args)]
#[command(next_help_heading = "Access")]
struct AccessArgs {
    /// The token that grants publishing and viewing. Required beyond
    /// loopback (one is generated and printed if none is given); optional on
    /// loopback. Clients send it as `Authorization: Bearer TOKEN` or
    /// `?token=TOKEN`.
    #[arg(long, env = "FRAMECAST_TOKEN", hide_env_values = true)]
    token: Option<String>,

    /// A second token that grants viewing only (to share a view without the
    /// right to publish).
    #[arg(long, env = "FRAMECAST_VIEW_TOKEN", hide_env_values = true)]
    view_token: Option<String>,

    /// Anyone who can reach the server may view without a token; publishing
    /// still needs the token.
    #[arg(long, conflicts_with = "view_token")]
    public_view: bool,

    /// Bound beyond loopback, serve without any token: anyone who can reach
    /// the server can view and publish. Only on a network you trust.
    #[arg(long, conflicts_with_all = ["token", "view_token", "public_view"])]
    no_auth: bool,

    /// A browser origin (like `https://notebook.example:8888`) whose pages may
    /// view and publish, besides the server's own. Repeatable.
    #[arg(long, value_name = "ORIGIN", value_parser = crate::access::parse_origin)]
    allow_origin: Vec<String>,

    /// A host name this server answers to when bound to loopback, besides
    /// `localhost`, `127.0.0.1` and `[::1]` (say, a name in /etc/hosts). Repeatable.
    #[arg(long, value_name = "NAME")]
    allow_host: Vec<String>,
}

/// Bounds on what clients can make the server hold (SECURITY.md).
#[derive(Debug, clap::Args)]
#[command(next_help_heading = "Limits")]
struct LimitArgs {
    /// Streams in all; a publish to a new name beyond it is refused (429).
    #[arg(long, default_value_t = limits::MAX_STREAMS)]
    max_streams: usize,

    /// Viewers of one stream.
    #[arg(long, default_value_t = limits::MAX_VIEWERS_PER_STREAM)]
    max_viewers_per_stream: usize,

    /// Viewers of all streams together.
    #[arg(long, default_value_t = limits::MAX_VIEWERS)]
    max_viewers: usize,

    /// Producers connected to one stream at once.
    #[arg(long, default_value_t = limits::MAX_PRODUCERS_PER_STREAM)]
    max_producers_per_stream: usize,

    /// How long a stream with no producer and no viewer keeps its last frame
    /// before it is dropped: 300, 300s, 5m, 500ms.
    #[arg(long, default_value = "5m", value_parser = parse_duration)]
    stream_ttl: Duration,

    /// Keyframe requests one viewer may make in a minute before it is closed.
    #[arg(long, default_value_t = limits::KEYFRAME_REQUESTS_PER_MINUTE)]
    keyframe_requests_per_minute: u32,

    /// Pointer moves relayed per viewer per second; more are dropped (the
    /// next carries the newest position).
    #[arg(long, default_value_t = limits::POINTER_MOVES_PER_SECOND)]
    pointer_moves_per_second: u32,

    /// Other input events (buttons, wheel, keys, resize) relayed per viewer
    /// per second; more are dropped and counted.
    #[arg(long, default_value_t = limits::INPUT_EVENTS_PER_SECOND)]
    input_events_per_second: u32,

    /// Frames being uploaded by POST at once; one more gets 429.
    #[arg(long, default_value_t = limits::MAX_UPLOADS)]
    max_uploads: usize,

    /// HTTP connections served at once (of every kind); more wait to be
    /// accepted.
    #[arg(long, default_value_t = limits::MAX_CONNECTIONS)]
    max_connections: usize,

    /// How long a connection may take to send a request's head before it is
    /// answered 408 and closed: 5s, 500ms.
    #[arg(long, default_value = "5s", value_parser = parse_duration)]
    request_head_timeout: Duration,

    /// How long an idle connection is kept open for its next request.
    #[arg(long, default_value = "5s", value_parser = parse_duration)]
    keep_alive: Duration,

    /// MJPEG clients of all streams at once; one more gets 429.
    #[arg(long, default_value_t = limits::MAX_MJPEG_CLIENTS)]
    max_mjpeg_clients: usize,

    /// Distinct JPEG qualities the MJPEG clients of one stream may watch
    /// (each costs an encode a frame).
    #[arg(long, default_value_t = limits::MAX_JPEG_QUALITIES)]
    max_jpeg_qualities: usize,

    /// Frames in flight to one viewer (sent, not yet acknowledged), at
    /// most, however long and fast its path measures (at least 2).
    #[arg(long, default_value_t = limits::MAX_FRAMES_IN_FLIGHT as u32, value_parser = clap::value_parser!(u32).range(2..))]
    max_frames_in_flight: u32,

    /// Bytes of frames in flight to one viewer, at most, beyond its first
    /// two frames.
    #[arg(long, default_value_t = limits::MAX_BYTES_IN_FLIGHT)]
    max_bytes_in_flight: usize,
}

impl LimitArgs {
    fn limits(&self) -> Limits {
        Limits {
            max_streams: self.max_streams,
            max_viewers_per_stream: self.max_viewers_per_stream,
            max_viewers: self.max_viewers,
            max_producers_per_stream: self.max_producers_per_stream,
            stream_ttl: self.stream_ttl,
            keyframe_requests_per_minute: self.keyframe_requests_per_minute,
            pointer_moves_per_second: self.pointer_moves_per_second,
            input_events_per_second: self.input_events_per_second,
            max_uploads: self.max_uploads,
            max_connections: self.max_connections,
            request_head_timeout: self.request_head_timeout,
            keep_alive: self.keep_alive,
            max_mjpeg_clients: self.max_mjpeg_clients,
            max_jpeg_qualities: self.max_jpeg_qualities,
            max_frames_in_flight: self.max_frames_in_flight as usize,
            max_bytes_in_flight: self.max_bytes_in_flight,
        }
    }
}

impl AccessArgs {
    /// The access rules for a server bound to `bind`, generating the token
    /// that beyond loopback must exist.
    fn access(&self, bind: SocketAddr) -> anyhow::Result<Access> {
        let token = |text: &Option<String>, flag: &str| -> anyhow::Result<Option<Token>> {
            match text {
                Some(text) => Token::new(text.as_str())
                    .map(Some)
                    .with_context(|| format!("{flag} is empty")),
                None => Ok(None),
            }
        };
        let mut access = Access::for_bind(bind);
        access.publish_token = token(&self.token, "--token")?;
        access.view_token = token(&self.view_token, "--view-token")?;
        access.public_view = self.public_view;
        access.allowed_origins = self.allow_origin.clone();
        if let Some(hosts) = &mut access.allowed_hosts {
            hosts.extend(self.allow_host.iter().cloned());
        }
        let beyond_loopback = !bind.ip().is_loopback();
        if access.publish_token.is_none()
            && (self.view_token.is_some() || self.public_view || (beyond_loopback && !self.no_auth))
        {
            access.publish_token = Some(Token::generate().context("cannot generate a token")?);
        }
        Ok(access)
    }
}

fn parse_quality(text: &str) -> Result<Quality, String> {
    text.parse()
}

fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let seconds_per_unit = match unit.trim() {
        "" | "s" => 1.0,
        "ms" => 0.001,
        "m" | "min" => 60.0,
        "h" => 3600.0,
        _ => {
            return Err(format!(
                "expected a duration like 300, 300s, 5m or 500ms; got {text:?}"
            ))
        }
    };
    let number: f64 = number
        .parse()
        .map_err(|_| format!("expected a duration like 300, 300s, 5m or 500ms; got {text:?}"))?;
    Duration::try_from_secs_f64(number * seconds_per_unit)
        .map_err(|error| format!("{text:?}: {error}"))
}

fn parse_format(text: &str) -> Result<PixelFormat, String> {
    let format = match text {
        "gray16le" => Some(PixelFormat::Gray16),
        "grayf32le" => Some(PixelFormat::F32),
        _ => PixelFormat::from_name(text),
    };
    format.ok_or_else(|| format!("expected rgb24, rgba, gray, gray16le or grayf32le; got {text:?}"))
}

fn parse_colormap(text: &str) -> Result<Colormap, String> {
    Colormap::from_name(text).ok_or_else(|| format!("expected {}; got {text:?}", Colormap::NAMES))
}

fn parse_range(text: &str) -> Result<RangeMode, String> {
    let fixed = text.split_once(':').and_then(|(lo, hi)| {
        let (lo, hi) = (lo.parse().ok()?, hi.parse().ok()?);
        RangeMode::fixed(lo, hi).filter(|_| lo < hi)
    });
    fixed
        .or_else(|| RangeMode::from_name(text))
        .ok_or_else(|| format!("expected auto, frame, window or LO:HI (LO < HI); got {text:?}"))
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

/// Runs the command line `args` (the first being the program's name) to the
/// end and returns the exit status: `--help`, `--version` and usage errors
/// print and return as clap's would, a failure prints `error: ...`. Logs go
/// to standard output (`RUST_LOG` filters them; colored only on a terminal)
/// unless the process already has a tracing subscriber.
pub fn main<I, T>(args: I) -> u8
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let _ = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,actix_server=warn".into()),
        )
        .with_ansi(std::io::stdout().is_terminal())
        .try_init();
    let args = match Args::try_parse_from(args) {
        Ok(args) => args,
        Err(error) => {
            let _ = error.print();
            return u8::try_from(error.exit_code()).unwrap_or(2);
        }
    };
    let run = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
        .and_then(|runtime| runtime.block_on(serve(args)));
    match run {
        Ok(()) => 0,
        Err(error) => {
            eprintln!("error: {error:#}");
            1
        }
    }
}

async fn serve(args: Args) -> anyhow::Result<()> {
    if !(args.fps > 0.0 && args.fps <= 1000.0) {
        bail!("--fps must be above 0 and at most 1000, got {}", args.fps);
    }

    let page = match &args.www {
        None => Page::Embedded,
        Some(dir) => Page::dir(dir).with_context(|| format!("--www {}", dir.display()))?,
    };
    if let Some(missing) = page.missing_viewer() {
        tracing::warn!(target: LOG_TARGET, "the page cannot decode: {missing}");
    }

    let access = args.access.access(args.bind)?;
    let streams = Streams::with_limits(args.limits.limits());
    let stop = Arc::new(AtomicBool::new(false));
    let (what, source) = match (args.stdin, args.source) {
        (Some((width, height)), _) => {
            let name = args.stream.as_deref().unwrap_or("stdin");
            let stream = streams.get_or_create(name)?;
            stream.set_quality_cap(args.quality.quality);
            stream.set_view(View {
                colormap: args.colormap,
                range: args.range,
            });
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
            stream.set_quality_cap(args.quality.quality);
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
    announce(&what, address, &access, args.access.no_auth);
    let config = Config {
        page,
        access,
        session: SessionConfig {
            refine_after: args.quality.refine_after,
            ..SessionConfig::default()
        },
        ..Config::default()
    };
    let shutdown = async {
        let mut terminate =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
                .expect("a SIGTERM handler");
        tokio::select! {
            _ = tokio::signal::ctrl_c() => tracing::info!(target: LOG_TARGET, "interrupted (SIGINT); shutting down"),
            _ = terminate.recv() => tracing::info!(target: LOG_TARGET, "terminated (SIGTERM); shutting down"),
        }
    };
    crate::run(listener, config, streams, shutdown).await?;
    stop.store(true, Ordering::Relaxed);
    if let Some(source) = source {
        let _ = source.join();
    }
    Ok(())
}

/// Logs the URL to open (with the token, as Jupyter prints it) and how the
/// server is guarded.
fn announce(what: &str, address: SocketAddr, access: &Access, no_auth: bool) {
    let url = format!("http://{address}/");
    match (&access.publish_token, access.public_view) {
        (Some(token), false) => {
            tracing::info!(target: LOG_TARGET,
                "framecast is serving {what}: open {url}?token={}",
                token.expose()
            );
            tracing::info!(target: LOG_TARGET, "producers send the token as `Authorization: Bearer TOKEN` (or ?token=TOKEN); FRAMECAST_TOKEN sets it");
        }
        (Some(token), true) => {
            tracing::info!(target: LOG_TARGET, "framecast is serving {what}: open {url} (viewing needs no token)");
            tracing::info!(target: LOG_TARGET,
                "publishing needs the token {}: `Authorization: Bearer TOKEN` or ?token=TOKEN",
                token.expose()
            );
        }
        (None, _) => tracing::info!(target: LOG_TARGET, "framecast is serving {what}: open {url}"),
    }
    if access.view_token.is_some() {
        tracing::info!(target: LOG_TARGET, "the view token grants viewing only: {url}?token=VIEW_TOKEN");
    }
    if no_auth && !address.ip().is_loopback() {
        tracing::warn!(target: LOG_TARGET, "--no-auth: ANYONE WHO CAN REACH {address} CAN WATCH AND REPLACE EVERY STREAM. Use it only on a network you trust.");
    }
}
