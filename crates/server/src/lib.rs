//! framecast's server: streams that hold the newest frame, viewers that get
//! only what changed since the frame they have, over a WebSocket, with
//! per-viewer flow control.
//!
//! [`run`] serves a set of [`Streams`] on a listener until a shutdown future
//! completes; `main.rs` only parses the command line and calls it, and the
//! integration tests call it on `127.0.0.1:0`.
//!
//! # Layout
//! - [`stream`]: [`Stream`] (newest frame, encode-once cache, who is
//!   connected) and [`Streams`].
//! - [`viewer`]: a viewer's WebSocket session and its flow control.
//! - [`producer`]: a producer's WebSocket session (ingest).
//! - [`events`]: input events from viewers to producers.
//! - [`session`]: heartbeat and settings both kinds of session share.
//! - [`source`]: the built-in `demo` and `noise` sources, and standard input.
//! - this file: the HTTP routes and [`run`].
//!
//! # Routes
//! - `GET /ws/{stream}`: viewer WebSocket (protocol in `PROTOCOL.md`).
//! - `GET /ingest/{stream}`: producer WebSocket; creates the stream.
//! - `GET /api/streams`: the streams, as JSON.
//! - `GET /api/streams/{stream}/frame`: the newest frame's raw pixels.
//! - `POST /api/streams/{stream}/frame?width=W&height=H&format=F`: publish
//!   one frame; creates the stream.
//! - `GET /`: the page, from the `www` directory.

pub mod events;
pub mod producer;
pub mod session;
pub mod source;
pub mod stream;
pub mod viewer;

use std::future::Future;
use std::net::TcpListener;
use std::path::PathBuf;

use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use serde::Serialize;

pub use session::SessionConfig;
pub use source::{SourceConfig, SourceKind};
pub use stream::{Frame, Role, Stream, Streams};

/// How the server runs.
#[derive(Debug, Clone)]
pub struct Config {
    /// Directory served at `/`: the page, and `pkg/` with the wasm viewer.
    pub www_dir: PathBuf,
    /// Viewer flow control, and the heartbeat of viewers and producers.
    pub session: SessionConfig,
    /// HTTP worker threads.
    pub workers: usize,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            www_dir: default_www_dir(),
            session: SessionConfig::default(),
            workers: 2,
        }
    }
}

/// The `www` directory of the source tree this binary was built from.
pub fn default_www_dir() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../www"))
}

/// Serves `streams` on `listener` until `shutdown` completes, then stops
/// gracefully (viewers are closed).
pub async fn run(
    listener: TcpListener,
    config: Config,
    streams: Streams,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    let www_dir = config.www_dir.clone();
    let session_config = config.session.clone();
    let server = HttpServer::new(move || {
        App::new()
            .app_data(web::Data::new(streams.clone()))
            .app_data(web::Data::new(session_config.clone()))
            .app_data(web::PayloadConfig::new(producer::MAX_PUBLISH_MESSAGE))
            .route("/ws/{stream}", web::get().to(viewer_socket))
            .route("/ingest/{stream}", web::get().to(producer_socket))
            .route("/api/streams", web::get().to(list_streams))
            .route("/api/streams/{stream}/frame", web::get().to(latest_frame))
            .route("/api/streams/{stream}/frame", web::post().to(post_frame))
            .service(actix_files::Files::new("/", &www_dir).index_file("index.html"))
    })
    .workers(config.workers)
    // WebSockets live as long as their viewers; do not wait long for them.
    .shutdown_timeout(2)
    .disable_signals()
    .listen(listener)?
    .run();
    let handle = server.handle();
    tokio::select! {
        result = server => result,
        () = shutdown => {
            handle.stop(true).await;
            Ok(())
        }
    }
}

fn error(status: actix_web::http::StatusCode, message: impl Into<String>) -> HttpResponse {
    #[derive(Serialize)]
    struct Error {
        error: String,
    }
    HttpResponse::build(status).json(Error {
        error: message.into(),
    })
}

fn not_found(name: &str) -> HttpResponse {
    error(
        actix_web::http::StatusCode::NOT_FOUND,
        format!("no stream named {name:?}; GET /api/streams lists them"),
    )
}

async fn viewer_socket(
    request: HttpRequest,
    body: web::Payload,
    name: web::Path<String>,
    streams: web::Data<Streams>,
    config: web::Data<SessionConfig>,
) -> actix_web::Result<HttpResponse> {
    let Some(stream) = streams.get(&name) else {
        return Ok(not_found(&name));
    };
    let (response, session, messages) = actix_ws::handle(&request, body)?;
    let messages = messages.max_frame_size(viewer::MAX_VIEWER_MESSAGE);
    actix_web::rt::spawn(viewer::run(
        stream,
        session,
        messages,
        config.get_ref().clone(),
    ));
    Ok(response)
}

async fn producer_socket(
    request: HttpRequest,
    body: web::Payload,
    name: web::Path<String>,
    streams: web::Data<Streams>,
    config: web::Data<SessionConfig>,
) -> actix_web::Result<HttpResponse> {
    let stream = match streams.get_or_create(&name) {
        Ok(stream) => stream,
        Err(error) => return Ok(bad_request(error.to_string())),
    };
    let (response, session, messages) = actix_ws::handle(&request, body)?;
    let messages = messages
        .max_frame_size(producer::MAX_PUBLISH_MESSAGE)
        .aggregate_continuations()
        .max_continuation_size(producer::MAX_PUBLISH_MESSAGE);
    actix_web::rt::spawn(producer::run(
        stream,
        session,
        messages,
        config.get_ref().clone(),
    ));
    Ok(response)
}

fn bad_request(message: impl Into<String>) -> HttpResponse {
    error(actix_web::http::StatusCode::BAD_REQUEST, message)
}

/// Publishes the request body as one frame; size and format come from the
/// query string.
async fn post_frame(
    name: web::Path<String>,
    query: web::Query<std::collections::HashMap<String, String>>,
    body: web::Bytes,
    streams: web::Data<Streams>,
) -> HttpResponse {
    const USAGE: &str = "POST /api/streams/NAME/frame?width=W&height=H&format=rgb8|rgba8 with the raw pixels (row-major, tightly packed) as the body";
    let dimension = |key: &str| -> Result<u32, String> {
        let text = query
            .get(key)
            .ok_or_else(|| format!("missing {key}; {USAGE}"))?;
        text.parse()
            .map_err(|_| format!("{key}={text:?} is not a whole number; {USAGE}"))
    };
    let (width, height) = match (dimension("width"), dimension("height")) {
        (Ok(width), Ok(height)) => (width, height),
        (Err(error), _) | (_, Err(error)) => return bad_request(error),
    };
    let format_name = query.get("format").map_or("rgb8", String::as_str);
    let Some(format) = framecast_codec::PixelFormat::from_name(format_name) else {
        return bad_request(format!(
            "unknown format {format_name:?}; expected rgb8 or rgba8"
        ));
    };
    let stream = match streams.get_or_create(&name) {
        Ok(stream) => stream,
        Err(error) => return bad_request(error.to_string()),
    };
    match stream.publish(width, height, format, body) {
        Ok(seq) => HttpResponse::Ok().json(serde_json::json!({ "seq": seq })),
        Err(error) => bad_request(error.to_string()),
    }
}

/// One entry of `GET /api/streams`.
#[derive(Debug, Serialize)]
struct StreamInfo {
    name: String,
    width: Option<u32>,
    height: Option<u32>,
    format: Option<&'static str>,
    seq: u64,
    fps: f64,
    viewers: usize,
    producer: bool,
}

async fn list_streams(streams: web::Data<Streams>) -> HttpResponse {
    let list: Vec<StreamInfo> = streams
        .list()
        .iter()
        .map(|stream| {
            let latest = stream.latest();
            let frame = latest.as_deref().map(Frame::as_frame_ref);
            StreamInfo {
                name: stream.name().to_string(),
                width: frame.map(|f| f.width()),
                height: frame.map(|f| f.height()),
                format: frame.map(|f| f.format().name()),
                seq: latest.as_ref().map_or(0, |f| f.seq),
                fps: (stream.fps() * 10.0).round() / 10.0,
                viewers: stream.count(Role::Viewer),
                producer: stream.count(Role::Producer) > 0,
            }
        })
        .collect();
    HttpResponse::Ok().json(list)
}

/// The newest frame's pixels as they were published, with its size, format
/// and sequence in `X-Framecast-*` headers.
async fn latest_frame(name: web::Path<String>, streams: web::Data<Streams>) -> HttpResponse {
    let Some(stream) = streams.get(&name) else {
        return not_found(&name);
    };
    let Some(frame) = stream.latest() else {
        return error(
            actix_web::http::StatusCode::SERVICE_UNAVAILABLE,
            format!("stream {name:?} has no frame yet"),
        );
    };
    let pixels = frame.as_frame_ref();
    HttpResponse::Ok()
        .content_type("application/octet-stream")
        .insert_header(("X-Framecast-Width", pixels.width().to_string()))
        .insert_header(("X-Framecast-Height", pixels.height().to_string()))
        .insert_header(("X-Framecast-Format", pixels.format().name()))
        .insert_header(("X-Framecast-Seq", frame.seq.to_string()))
        .body(frame.pixel_bytes())
}
