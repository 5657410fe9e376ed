//! The test harness: the real server on a free loopback port, and a viewer
//! that decodes what it gets with framecast-codec, as the browser does.
#![allow(dead_code)] // each test file uses its own part of this

use std::net::SocketAddr;
use std::time::Duration;

use framecast_codec::{Ack, Decoder, PixelFormat};
use framecast_server::{Config, Streams};
use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::oneshot;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// How long a test waits for a message it expects before failing.
pub const EXPECT_WITHIN: Duration = Duration::from_secs(10);

pub struct TestServer {
    pub address: SocketAddr,
    pub streams: Streams,
    shutdown: Option<oneshot::Sender<()>>,
    running: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
}

impl TestServer {
    /// Stops the server as Ctrl-C would.
    pub fn stop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
    }

    /// Waits until `run` has returned, after [`TestServer::stop`].
    pub async fn stopped(&mut self) {
        let running = self.running.take().expect("started");
        tokio::time::timeout(EXPECT_WITHIN, running)
            .await
            .expect("run() returns after its shutdown")
            .unwrap()
            .unwrap();
    }
}

pub async fn start_server() -> TestServer {
    start_server_with(Config {
        workers: 1,
        ..Config::default()
    })
    .await
}

pub async fn start_server_with(config: Config) -> TestServer {
    start_server_on(config, Streams::new()).await
}

/// Serves `streams` (and so their limits) with `config`.
pub async fn start_server_on(config: Config, streams: Streams) -> TestServer {
    // The server's logs, shown for failing tests (RUST_LOG=debug for more).
    let _ = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .with_test_writer()
        .try_init();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    let (shutdown, stopped) = oneshot::channel::<()>();
    let running = tokio::spawn(framecast_server::run(
        listener,
        config,
        streams.clone(),
        async {
            let _ = stopped.await;
        },
    ));
    TestServer {
        address,
        streams,
        shutdown: Some(shutdown),
        running: Some(running),
    }
}

/// Tries `attempt` every 20 ms until it gives a value, and returns it;
/// fails the test, saying `what` was awaited, after [`EXPECT_WITHIN`].
pub async fn eventually<T, F, Fut>(what: &str, mut attempt: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + EXPECT_WITHIN;
    loop {
        if let Some(value) = attempt().await {
            return value;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "waited in vain: {what}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A viewer that decodes what it gets, as the browser does.
pub struct Viewer {
    pub socket: WebSocketStream<MaybeTlsStream<TcpStream>>,
    pub decoder: Decoder,
    /// The last producer status the server sent (`None` before the first).
    pub producer_online: Option<bool>,
    /// The last quality message: whether the picture holds JPEG tiles.
    pub lossy: Option<bool>,
    /// The last view message (how value frames are to be shown), and the
    /// frames decoded before it came.
    pub view: Option<(serde_json::Value, u64)>,
}

impl Viewer {
    pub async fn connect(server: &TestServer, stream: &str) -> Viewer {
        Viewer::connect_to(&server.address.to_string(), stream).await
    }

    /// Connects to the server at `address` (`host:port`).
    pub async fn connect_to(address: &str, stream: &str) -> Viewer {
        let socket = websocket(&format!("ws://{address}/ws/{stream}"), &[])
            .await
            .expect("viewer connects");
        Viewer::over(socket)
    }

    /// A viewer on a WebSocket already open.
    pub fn over(socket: Socket) -> Viewer {
        Viewer {
            socket,
            decoder: Decoder::new(),
            producer_online: None,
            lossy: None,
            view: None,
        }
    }

    /// The next binary message, within `within`, or `None` if none came.
    pub async fn next_binary_within(&mut self, within: Duration) -> Option<Vec<u8>> {
        loop {
            let message = tokio::time::timeout(within, self.socket.next())
                .await
                .ok()?;
            match message.expect("socket open").expect("socket healthy") {
                Message::Binary(bytes) => return Some(bytes.to_vec()),
                Message::Text(text) => {
                    self.note_status(&text);
                }
                Message::Ping(_) | Message::Pong(_) => continue,
                other => panic!("unexpected message {other:?}"),
            }
        }
    }

    /// Receives and applies the next frame; returns (seq, base_seq, bytes).
    pub async fn receive(&mut self) -> (u64, u64, usize) {
        let bytes = self
            .next_binary_within(EXPECT_WITHIN)
            .await
            .expect("a frame arrives");
        let info = self.decoder.apply(&bytes).expect("frame decodes");
        (info.seq, info.base_seq, bytes.len())
    }

    /// Notes a text message; returns whether it was a producer status.
    fn note_status(&mut self, text: &str) -> bool {
        let status: serde_json::Value = serde_json::from_str(text).expect("text messages are JSON");
        if status["type"] == "quality" {
            self.lossy = Some(status["lossy"].as_bool().expect("lossy is a bool"));
            return false;
        }
        if status["type"] == "view" {
            self.view = Some((status, self.decoder.held_seq().unwrap_or(0)));
            return false;
        }
        assert_eq!(status["type"], "status", "{text}");
        self.producer_online = Some(status["producer"].as_bool().expect("producer is a bool"));
        true
    }

    /// Reads until the next producer status; returns it.
    pub async fn next_status(&mut self) -> bool {
        loop {
            let message = tokio::time::timeout(EXPECT_WITHIN, self.socket.next())
                .await
                .expect("a status arrives");
            match message.expect("socket open").expect("socket healthy") {
                Message::Text(text) => {
                    if self.note_status(&text) {
                        return self.producer_online.unwrap();
                    }
                }
                Message::Ping(_) | Message::Pong(_) => continue,
                other => panic!("expected a status, got {other:?}"),
            }
        }
    }

    /// Reads until the server's close frame; returns it.
    pub async fn next_close(&mut self) -> CloseFrame {
        next_close(&mut self.socket).await
    }

    pub async fn send(&mut self, write: impl FnOnce(&mut Vec<u8>)) {
        let mut bytes = Vec::new();
        write(&mut bytes);
        self.socket
            .send(Message::Binary(bytes.into()))
            .await
            .unwrap();
    }

    pub async fn ack(&mut self, seq: u64) {
        self.send(|out| {
            Ack {
                seq,
                decode_us: 100,
                paint_us: 10,
                hold_us: 150,
            }
            .write(out)
        })
        .await;
    }

    /// Asserts that the viewer holds `pixels`: as RGBA, or a value
    /// format's values as they are.
    pub fn assert_shows(&self, format: PixelFormat, pixels: &[u8]) {
        let expected: Vec<u8> = match format {
            PixelFormat::Rgb8 => pixels
                .chunks_exact(3)
                .flat_map(|p| [p[0], p[1], p[2], 255])
                .collect(),
            _ => pixels.to_vec(),
        };
        assert!(
            self.decoder.framebuffer() == expected,
            "framebuffer differs from the published frame"
        );
    }
}

pub type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// Opens a WebSocket to `url` with extra request `headers`; on refusal, the
/// HTTP status and body.
pub async fn websocket(url: &str, headers: &[(&str, &str)]) -> Result<Socket, (u16, String)> {
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    use tokio_tungstenite::tungstenite::Error;
    let mut request = url.into_client_request().unwrap();
    for (name, value) in headers {
        request.headers_mut().insert(
            tokio_tungstenite::tungstenite::http::HeaderName::from_bytes(name.as_bytes()).unwrap(),
            value.parse().unwrap(),
        );
    }
    match tokio_tungstenite::connect_async(request).await {
        Ok((socket, _)) => Ok(socket),
        Err(Error::Http(response)) => Err((
            response.status().as_u16(),
            String::from_utf8_lossy(response.body().as_deref().unwrap_or_default()).into_owned(),
        )),
        Err(other) => panic!("WebSocket to {url}: {other}"),
    }
}

/// A frame of RGB bytes that differs with `shift`.
pub fn gradient(width: u32, height: u32, shift: u8) -> Vec<u8> {
    (0..width * height)
        .flat_map(|i| {
            let (x, y) = ((i % width) as u8, (i / width) as u8);
            [x.wrapping_add(shift), y, x ^ y]
        })
        .collect()
}

/// An HTTP response: status, head (status line and headers) and body.
pub struct Response {
    pub status: u16,
    pub head: String,
    pub body: Vec<u8>,
}

impl Response {
    /// The body as JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|error| panic!("{error}: {}", String::from_utf8_lossy(&self.body)))
    }

    /// The `error` of a JSON error body.
    pub fn error(&self) -> String {
        self.json()["error"]
            .as_str()
            .expect("an error message")
            .to_string()
    }
}

/// Sends one HTTP/1.1 request with `headers` (a `Host` header is added
/// unless given) and reads the whole response.
pub async fn http_request(
    address: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Response {
    let mut socket = TcpStream::connect(address).await.unwrap();
    let mut request = format!("{method} {path} HTTP/1.1\r\n");
    if !headers
        .iter()
        .any(|(name, _)| name.eq_ignore_ascii_case("host"))
    {
        request += &format!("Host: {address}\r\n");
    }
    for (name, value) in headers {
        request += &format!("{name}: {value}\r\n");
    }
    request += &format!(
        "Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    socket.write_all(request.as_bytes()).await.unwrap();
    socket.write_all(body).await.unwrap();
    let mut response = Vec::new();
    socket.read_to_end(&mut response).await.unwrap();
    let split = response
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a header");
    let head = String::from_utf8(response[..split].to_vec()).unwrap();
    let status = head[9..12].parse().unwrap();
    Response {
        status,
        head,
        body: response[split + 4..].to_vec(),
    }
}

pub async fn http_get(address: SocketAddr, path: &str) -> (u16, String, Vec<u8>) {
    let response = http_request(address, "GET", path, &[], b"").await;
    (response.status, response.head, response.body)
}

/// Publishes `body` with a `POST`, as curl or a script would.
pub async fn http_post(server: &TestServer, path: &str, body: &[u8]) -> Response {
    http_request(
        server.address,
        "POST",
        path,
        &[("Content-Type", "application/octet-stream")],
        body,
    )
    .await
}

/// Asserts that `close` has `code` and a reason containing `reason`.
pub fn assert_close(
    close: &CloseFrame,
    code: tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode,
    reason: &str,
) {
    assert_eq!(close.code, code, "reason: {}", close.reason);
    assert!(close.reason.contains(reason), "reason: {}", close.reason);
}

/// Reads `socket` until the server's close frame; returns it.
pub async fn next_close(socket: &mut WebSocketStream<MaybeTlsStream<TcpStream>>) -> CloseFrame {
    loop {
        match tokio::time::timeout(EXPECT_WITHIN, socket.next())
            .await
            .unwrap()
        {
            Some(Ok(Message::Close(frame))) => return frame.expect("a close reason"),
            Some(Ok(_)) => continue,
            other => panic!("expected a close frame, got {other:?}"),
        }
    }
}

/// A WebSocket client written by hand over a plain socket, for clients that
/// a library would not let a test be: one that never reads (tokio-tungstenite
/// reads while it writes), with a receive buffer of `recv_buffer` bytes so
/// that it backs up into the server at once.
pub struct RawClient {
    pub socket: TcpStream,
}

impl RawClient {
    /// Connects to `path` and completes the WebSocket handshake.
    pub async fn connect(address: SocketAddr, path: &str, recv_buffer: u32) -> RawClient {
        let socket = tokio::net::TcpSocket::new_v4().unwrap();
        socket.set_recv_buffer_size(recv_buffer).unwrap();
        let mut socket = socket.connect(address).await.unwrap();
        let request = format!(
            "GET {path} HTTP/1.1\r\nHost: {address}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
             Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
        );
        socket.write_all(request.as_bytes()).await.unwrap();
        let mut head = Vec::new();
        while !head.ends_with(b"\r\n\r\n") {
            head.push(socket.read_u8().await.unwrap());
        }
        assert!(
            head.starts_with(b"HTTP/1.1 101"),
            "{}",
            String::from_utf8_lossy(&head)
        );
        RawClient { socket }
    }

    /// Writes one frame (`opcode`: 1 text, 2 binary, 0 continuation) with
    /// a zero mask, as a client must mask.
    pub async fn write_frame(
        &mut self,
        opcode: u8,
        fin: bool,
        payload: &[u8],
    ) -> std::io::Result<()> {
        let mut frame = vec![opcode | if fin { 0x80 } else { 0 }];
        match payload.len() {
            len @ 0..=125 => frame.push(0x80 | len as u8),
            len @ 126..=0xFFFF => {
                frame.push(0x80 | 126);
                frame.extend_from_slice(&(len as u16).to_be_bytes());
            }
            len => {
                frame.push(0x80 | 127);
                frame.extend_from_slice(&(len as u64).to_be_bytes());
            }
        }
        frame.extend_from_slice(&[0; 4]);
        frame.extend_from_slice(payload);
        self.socket.write_all(&frame).await
    }

    /// Reads the next frame the server sent: (opcode, payload).
    pub async fn read_frame(&mut self) -> std::io::Result<(u8, Vec<u8>)> {
        let first = self.socket.read_u8().await?;
        let len = match self.socket.read_u8().await? & 0x7F {
            126 => u64::from(self.socket.read_u16().await?),
            127 => self.socket.read_u64().await?,
            len => u64::from(len),
        };
        let mut payload = vec![0; len as usize];
        self.socket.read_exact(&mut payload).await?;
        Ok((first & 0x0F, payload))
    }
}

/// The `framecast` binary of this build, serving with no built-in source
/// on a free loopback port; killed when dropped.
pub struct Binary {
    child: std::process::Child,
    pub address: SocketAddr,
    /// Every line it has logged so far.
    log: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

impl Binary {
    /// Starts it with `args` besides `--bind 127.0.0.1:0 --source none`,
    /// and waits for the URL it prints.
    pub fn start(args: &[&str]) -> Binary {
        Binary::start_with_env(args, &[])
    }

    /// [`Binary::start`] with `env` added to its environment.
    pub fn start_with_env(args: &[&str], env: &[(&str, &str)]) -> Binary {
        Binary::start_under(&[], args, env)
    }

    /// [`Binary::start_with_env`], run by the command `wrapper` (`prlimit
    /// --nofile=...`, say) when one is given.
    pub fn start_under(wrapper: &[&str], args: &[&str], env: &[(&str, &str)]) -> Binary {
        use std::io::{BufRead, BufReader};
        use std::process::{Command, Stdio};
        let binary = env!("CARGO_BIN_EXE_framecast");
        let mut command = match wrapper.split_first() {
            Some((program, wrapper_args)) => {
                let mut command = Command::new(program);
                command.args(wrapper_args).arg(binary);
                command
            }
            None => Command::new(binary),
        };
        let mut child = command
            .args(["--bind", "127.0.0.1:0", "--source", "none"])
            .args(args)
            .envs(env.iter().copied())
            .env("RUST_LOG", "warn,framecast=info")
            .env("NO_COLOR", "1")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let log = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let address = lines
            .by_ref()
            .map_while(Result::ok)
            .find_map(|line| {
                log.lock().unwrap().push(line.clone());
                let at = line.find("open http://")? + "open http://".len();
                Some(line[at..].trim_end_matches('/').to_string())
            })
            .expect("framecast prints its URL");
        let kept = std::sync::Arc::clone(&log);
        // Keep the pipe drained, and the lines.
        std::thread::spawn(move || {
            for line in lines.map_while(Result::ok) {
                kept.lock().unwrap().push(line);
            }
        });
        Binary {
            child,
            address: address.parse().unwrap(),
            log,
        }
    }

    /// The first line logged that contains `text`, waiting for it up to
    /// [`EXPECT_WITHIN`].
    pub async fn logged(&self, text: &str) -> Option<String> {
        let deadline = tokio::time::Instant::now() + EXPECT_WITHIN;
        loop {
            let found = {
                let log = self.log.lock().unwrap();
                log.iter().find(|line| line.contains(text)).cloned()
            };
            if found.is_some() || tokio::time::Instant::now() > deadline {
                return found;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Binary {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// (resident KiB, open file descriptors) of process `pid`.
pub fn usage(pid: u32) -> (u64, usize) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let rss = status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|value| value.split_whitespace().next()?.parse().ok())
        .unwrap();
    let fds = std::fs::read_dir(format!("/proc/{pid}/fd"))
        .unwrap()
        .count();
    (rss, fds)
}
