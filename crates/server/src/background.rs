//! framecast inside another program: the server on threads of its own, for
//! a program that publishes its frames in-process through
//! [`Stream`](crate::Stream) rather than over a socket (what the Python
//! package's `framecast.serve` is to be built on).

use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpListener};
use std::thread::JoinHandle;

use tokio::sync::oneshot;

use crate::{Config, Streams};

/// A running server. Dropping it closes it, as [`Server::close`] does.
#[derive(Debug)]
pub struct Server {
    address: SocketAddr,
    streams: Streams,
    /// The token of the URLs it gives this program (the page, its own
    /// viewers): the view token if there is one, else the publish token.
    view_token: Option<String>,
    /// The token it gives others (the embedding snippet): a view token only.
    shared_token: Option<String>,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<io::Result<()>>>,
}

/// The name of the thread that runs the server's runtime (its HTTP
/// workers are actix's own, named by actix); short enough for Linux, which
/// keeps 15 bytes of a thread's name.
pub const THREAD_NAME: &str = "framecast-srv";

impl Server {
    /// Listens on `bind` (port 0 picks a free one) and serves `streams`
    /// with `config` on a thread of its own, until closed. Fails at once,
    /// saying which address, when it cannot listen.
    pub fn start(bind: SocketAddr, config: Config, streams: Streams) -> io::Result<Server> {
        let listener = TcpListener::bind(bind).map_err(|error| {
            io::Error::new(error.kind(), format!("cannot listen on {bind}: {error}"))
        })?;
        let address = listener.local_addr()?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("framecast-runtime")
            .enable_all()
            .build()?;
        let view_token = config
            .access
            .view_token
            .as_ref()
            .or(config.access.publish_token.as_ref())
            .filter(|_| !config.access.public_view)
            .map(|token| token.expose().to_owned());
        let shared_token = (config.access.view_token.as_ref())
            .filter(|_| !config.access.public_view)
            .map(|token| token.expose().to_owned());
        let (stop, stopped) = oneshot::channel::<()>();
        let served = streams.clone();
        let thread = std::thread::Builder::new()
            .name(THREAD_NAME.into())
            .spawn(move || {
                runtime.block_on(crate::run(listener, config, served, async {
                    let _ = stopped.await;
                }))
            })?;
        Ok(Server {
            address,
            streams,
            view_token,
            shared_token,
            stop: Some(stop),
            thread: Some(thread),
        })
    }

    /// The address it listens on.
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// The page's URL, with a token when viewing needs one: the view token
    /// if there is one, else the publish token.
    pub fn url(&self) -> String {
        match &self.view_token {
            Some(token) => format!("http://{}/?token={token}", self.address),
            None => format!("http://{}/", self.address),
        }
    }

    /// The page of `stream` (a valid stream name), with the view token when
    /// viewing needs one.
    pub fn stream_url(&self, stream: &str) -> String {
        match &self.view_token {
            Some(token) => format!("http://{}/?stream={stream}&token={token}", self.address),
            None => format!("http://{}/?stream={stream}", self.address),
        }
    }

    /// The HTML that shows `stream` (a valid stream name) live in any page
    /// of an origin the server allows: the element's module and one
    /// `<framecast-view>`, with the view token when there is one (never the
    /// publish token).
    pub fn embed_html(&self, stream: &str) -> String {
        let server = format!("http://{}/", self.address);
        let token = match &self.shared_token {
            Some(token) => format!(" token=\"{token}\""),
            None => String::new(),
        };
        format!(
            "<script type=\"module\" src=\"{server}framecast.js\"></script>\n\
             <framecast-view server=\"{server}\" stream=\"{stream}\"{token}></framecast-view>"
        )
    }

    /// The WebSocket URL at which a viewer in this process watches `stream`
    /// (a valid stream name): on loopback even when the server listens on
    /// every interface, with the view token when viewing needs one.
    pub fn viewer_url(&self, stream: &str) -> String {
        let ip = match self.address.ip() {
            IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
            IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
            ip => ip,
        };
        let address = SocketAddr::new(ip, self.address.port());
        match &self.view_token {
            Some(token) => format!("ws://{address}/ws/{stream}?token={token}"),
            None => format!("ws://{address}/ws/{stream}"),
        }
    }

    /// Its streams: [`Streams::get_or_create`] gives one to publish to.
    pub fn streams(&self) -> &Streams {
        &self.streams
    }

    /// Closes every viewer and producer with 1001, stops, and returns once
    /// the port and the server's threads are free.
    pub fn close(mut self) -> io::Result<()> {
        self.shut_down()
    }

    fn shut_down(&mut self) -> io::Result<()> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        match self.thread.take() {
            Some(thread) => thread
                .join()
                .unwrap_or_else(|_| Err(io::Error::other("the server's thread panicked"))),
            None => Ok(()),
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Err(error) = self.shut_down() {
            tracing::warn!(%error, "framecast server closed with an error");
        }
    }
}
