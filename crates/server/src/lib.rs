//! framecast's server: streams that hold the newest frame, viewers that get
//! only what changed since the frame they have, over a WebSocket, with
//! per-viewer flow control.
//!
//! [`run`] serves a set of [`Streams`] on a listener until a shutdown future
//! completes; [`cli`] parses the command line and calls it, and the
//! integration tests call it on `127.0.0.1:0`.
//!
//! # Layout
//! - [`stream`]: [`Stream`] (newest frame, encode-once cache, who is
//!   connected) and [`Streams`] (admission within the limits, expiry).
//! - [`viewer`]: a viewer's WebSocket session and its flow control.
//! - [`sent`]: what each viewer was sent, for producers that wait for it.
//! - [`producer`]: a producer's WebSocket session (ingest).
//! - [`events`]: input events from viewers to producers.
//! - [`session`]: heartbeat, close reasons and shutdown, shared by both kinds
//!   of session.
//! - [`access`]: the Host, Origin and token checks; [`authority`]: where
//!   a request was sent, read as HTTP says; [`origin`]: which pages may use
//!   the server from a browser, and the CORS headers.
//! - [`limits`]: every bound on what clients can make the server hold.
//! - [`memory`]: freed memory given back once clients have gone.
//! - [`api`]: the HTTP routes.
//! - [`error`]: why a request was refused, as JSON.
//! - [`static_files`]: the page.
//! - [`pictures`]: the newest frame as PNG, JPEG and MJPEG.
//! - [`source`]: the built-in `demo` and `noise` sources, and standard input.
//! - [`cli`]: the `framecast` command.
//! - this file: [`run`].
//!
//! # Routes
//! - `GET /ws/{stream}`: viewer WebSocket (protocol in `PROTOCOL.md`).
//! - `GET /ingest/{stream}`: producer WebSocket; creates the stream.
//! - `GET /api/streams`: the streams, as JSON.
//! - `GET /api/streams/{stream}/frame`: the newest frame's raw pixels.
//! - `POST /api/streams/{stream}/frame?width=W&height=H&format=F`: publish
//!   one frame; creates the stream.
//! - `DELETE /api/streams/{stream}`: drop a stream now.
//! - `GET /api/streams/{stream}/frame.png`, `frame.jpg`, `mjpeg`: the
//!   newest frame as pictures, for what reads pictures.
//! - `GET /`: the page, compiled into the binary from `www/` (or from
//!   a directory: [`Config::page`]).

pub mod access;
pub mod api;
pub mod authority;
pub mod background;
pub mod cli;
pub mod error;
pub mod events;
pub mod limits;
pub mod link;
pub mod memory;
pub mod origin;
pub mod pictures;
pub mod producer;
pub mod quality;
pub mod sent;
pub mod session;
pub mod source;
pub mod static_files;
pub mod stream;
pub mod view;
pub mod viewer;

use std::future::Future;
use std::net::TcpListener;
use std::time::{Duration, Instant};

use actix_web::middleware::from_fn;
use actix_web::{web, App, HttpServer};

pub use access::{Access, Token};
pub use background::Server;
pub use limits::Limits;
pub use session::{SessionConfig, Shutdown};
pub use source::{SourceConfig, SourceKind};
pub use static_files::Page;
pub use stream::{Frame, JoinError, Role, Stream, Streams};

/// How the server runs. The limits belong to the [`Streams`] it serves.
#[derive(Debug, Clone)]
pub struct Config {
    /// The page served at `/`: compiled in, or a directory's.
    pub page: Page,
    /// Viewer flow control, and the heartbeat of viewers and producers.
    pub session: SessionConfig,
    /// Who may view and publish.
    pub access: Access,
    /// HTTP worker threads.
    pub workers: usize,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            page: Page::Embedded,
            session: SessionConfig::default(),
            access: Access::default(),
            workers: 2,
        }
    }
}

/// Serves `streams` on `listener` until `shutdown` completes, then closes
/// every viewer and producer with 1001 and stops.
pub async fn run(
    listener: TcpListener,
    config: Config,
    streams: Streams,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    let page = config.page.clone();
    let limits = streams.limits().clone();
    let connections = limits::connections_within_descriptors(limits.max_connections);
    let stopping = Shutdown::default();
    let (access, session_config) = (config.access.clone(), config.session.clone());
    let app_streams = streams.clone();
    let app_stopping = stopping.clone();
    let server = HttpServer::new(move || {
        App::new()
            .app_data(web::Data::new(app_streams.clone()))
            .app_data(web::Data::new(session_config.clone()))
            .app_data(web::Data::new(access.clone()))
            .app_data(web::Data::new(app_stopping.clone()))
            .app_data(web::Data::new(page.clone()))
            .app_data(web::QueryConfig::default().error_handler(|e, _| api::bad_request(e)))
            .app_data(web::PathConfig::default().error_handler(|e, _| api::bad_request(e)))
            .wrap(from_fn(access::check_request))
            .route("/ws/{stream}", web::get().to(api::viewer_socket))
            .route("/ingest/{stream}", web::get().to(api::producer_socket))
            .route("/api/streams", web::get().to(api::list_streams))
            .route(
                "/api/streams/{stream}",
                web::delete().to(api::delete_stream),
            )
            .route(
                "/api/streams/{stream}/frame",
                web::get().to(api::latest_frame),
            )
            .route(
                "/api/streams/{stream}/frame",
                web::post().to(api::post_frame),
            )
            .route(
                "/api/streams/{stream}/frame.png",
                web::get().to(pictures::png),
            )
            .route(
                "/api/streams/{stream}/frame.jpg",
                web::get().to(pictures::jpeg),
            )
            .route(
                "/api/streams/{stream}/mjpeg",
                web::get().to(pictures::mjpeg),
            )
            .route("/{path:.*}", web::get().to(static_files::serve))
            .default_service(web::to(api::no_route))
    })
    .workers(config.workers)
    // Each worker serves its share; past them all, none is accepted.
    .max_connections(connections.div_ceil(config.workers.max(1)))
    .client_request_timeout(limits.request_head_timeout)
    .keep_alive(limits.keep_alive)
    .on_connect(|connection, _| limits::tune_connection(connection))
    .shutdown_timeout(2)
    .disable_signals()
    .listen(listener)?
    .run();
    let handle = server.handle();
    let reaper = tokio::spawn(expire_unused_streams(streams, stopping.clone()));
    let trimmer = tokio::spawn(memory::give_back_freed_memory(stopping.clone()));
    // Dropping actix's server future stops the server at once, so it is
    // pinned here and awaited to the end, after the sessions have closed.
    tokio::pin!(server);
    let result = tokio::select! {
        result = &mut server => result,
        () = shutdown => {
            tracing::info!("closing every viewer and producer");
            stopping.close_sessions().await;
            // The server future handles the stop command: poll both.
            let ((), result) = tokio::join!(handle.stop(true), server);
            result
        }
    };
    stopping.close_sessions().await;
    let _ = reaper.await;
    let _ = trimmer.await;
    result
}

/// Drops streams nobody has used for their TTL, checking a few times per TTL.
async fn expire_unused_streams(streams: Streams, stopping: Shutdown) {
    let ttl = streams.limits().stream_ttl;
    let every = (ttl / 4).clamp(Duration::from_millis(50), Duration::from_secs(30));
    let mut ticks = tokio::time::interval(every);
    loop {
        tokio::select! {
            _ = ticks.tick() => {
                streams.remove_idle(Instant::now());
            }
            () = stopping.started() => return,
        }
    }
}
