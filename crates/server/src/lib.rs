//! framecast's server: streams that hold the newest frame, viewers that get
//! only what changed since the frame they have, over a WebSocket, with
//! per-viewer flow control.
//!
//! [`run`] serves a set of [`Streams`] on a listener until a shutdown future
//! completes; `main.rs` only parses the command line and calls it, and the
//! integration tests call it on `127.0.0.1:0`.
//!
//! # Layout
//! - [`stream`]: [`Stream`] (newest frame, encode-once cache) and [`Streams`].
//! - [`viewer`]: a viewer's WebSocket session and its flow control.
//! - [`source`]: the built-in `demo` and `noise` sources.
//! - this file: the HTTP routes and [`run`].
//!
//! # Routes
//! - `GET /ws/{stream}`: viewer WebSocket (protocol in `PROTOCOL.md`).
//! - `GET /api/streams`: the streams, as JSON.
//! - `GET /api/streams/{stream}/frame`: the newest frame's raw pixels.
//! - `GET /`: the page, from the `www` directory.

pub mod source;
pub mod stream;
pub mod viewer;

use std::future::Future;
use std::net::TcpListener;
use std::path::PathBuf;

use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use serde::Serialize;

pub use source::{SourceConfig, SourceKind};
pub use stream::{Frame, Stream, Streams};
pub use viewer::ViewerConfig;

/// How the server runs.
#[derive(Debug, Clone)]
pub struct Config {
    /// Directory served at `/`: the page, and `pkg/` with the wasm viewer.
    pub www_dir: PathBuf,
    /// Viewer flow control and heartbeat.
    pub viewer: ViewerConfig,
    /// HTTP worker threads.
    pub workers: usize,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            www_dir: default_www_dir(),
            viewer: ViewerConfig::default(),
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
    let viewer_config = config.viewer.clone();
    let server = HttpServer::new(move || {
        App::new()
            .app_data(web::Data::new(streams.clone()))
            .app_data(web::Data::new(viewer_config.clone()))
            .route("/ws/{stream}", web::get().to(viewer_socket))
            .route("/api/streams", web::get().to(list_streams))
            .route("/api/streams/{stream}/frame", web::get().to(latest_frame))
            .service(actix_files::Files::new("/", &www_dir).index_file("index.html"))
    })
    .workers(config.workers)
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
    config: web::Data<ViewerConfig>,
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

/// One entry of `GET /api/streams`.
#[derive(Debug, Serialize)]
struct StreamInfo {
    name: String,
    width: Option<u32>,
    height: Option<u32>,
    format: Option<&'static str>,
    seq: u64,
    viewers: usize,
}

async fn list_streams(streams: web::Data<Streams>) -> HttpResponse {
    let list: Vec<StreamInfo> = streams
        .list()
        .iter()
        .map(|stream| {
            let latest = stream.latest();
            StreamInfo {
                name: stream.name().to_string(),
                width: latest.as_ref().map(|f| f.width()),
                height: latest.as_ref().map(|f| f.height()),
                format: latest.as_ref().map(|f| f.format().name()),
                seq: latest.as_ref().map_or(0, |f| f.seq),
                viewers: stream.viewer_count(),
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
    HttpResponse::Ok()
        .content_type("application/octet-stream")
        .insert_header(("X-Framecast-Width", frame.width().to_string()))
        .insert_header(("X-Framecast-Height", frame.height().to_string()))
        .insert_header(("X-Framecast-Format", frame.format().name()))
        .insert_header(("X-Framecast-Seq", frame.seq.to_string()))
        .body(frame.pixels().to_vec())
}
