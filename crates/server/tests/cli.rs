//! The `framecast` binary itself: command-line errors, frames read from
//! standard input reaching a viewer exactly, the token it generates beyond
//! loopback, and SIGTERM closing every session.

mod common;

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use common::{gradient, http_request, next_close, websocket, Viewer};
use framecast_codec::PixelFormat;

const BINARY: &str = env!("CARGO_BIN_EXE_framecast");

fn framecast(args: &[&str]) -> std::process::Output {
    Command::new(BINARY)
        .args(args)
        .output()
        .expect("framecast runs")
}

#[test]
fn help_explains_the_options() {
    let help = String::from_utf8(framecast(&["--help"]).stdout).unwrap();
    for option in [
        "--bind",
        "--source",
        "--size",
        "--fps",
        "--stdin",
        "--format",
        "--stream",
        "--token",
        "FRAMECAST_TOKEN",
        "--view-token",
        "--public-view",
        "--no-auth",
        "--allow-origin",
        "--allow-host",
        "--max-streams",
        "--max-viewers-per-stream",
        "--max-viewers",
        "--max-producers-per-stream",
        "--stream-ttl",
        "--keyframe-requests-per-minute",
        "--www",
    ] {
        assert!(help.contains(option), "--help lacks {option}");
    }
}

#[test]
fn bad_arguments_say_what_is_wrong() {
    for (args, expected) in [
        (&["--size", "0x5"][..], "zero side"),
        (&["--size", "big"][..], "expected WIDTHxHEIGHT"),
        (&["--fps", "0"][..], "--fps must be above 0"),
        (
            &["--stdin", "10x10", "--format", "yuv"][..],
            "expected rgb24, rgba, gray, gray16le or grayf32le",
        ),
        (
            &["--stdin", "10x10", "--colormap", "jet"][..],
            "expected gray, viridis, magma, inferno, turbo or coolwarm",
        ),
        (
            &["--stdin", "10x10", "--range", "1:0"][..],
            "expected auto, frame, window or LO:HI (LO < HI)",
        ),
        (&["--format", "rgba"][..], "--stdin"),
        (
            &["--stream-ttl", "5 parsecs"][..],
            "expected a duration like 300",
        ),
        (
            &["--allow-origin", "evil.example"][..],
            "expected an origin like",
        ),
        (&["--allow-origin", "http://a.example/path"][..], "no path"),
        (&["--no-auth", "--token", "x"][..], "cannot be used with"),
        (&["--token", ""][..], "--token is empty"),
        (&["--www", "/nonexistent/www"][..], "--www /nonexistent/www"),
        // A directory without the page in it.
        (
            &["--www", env!("CARGO_MANIFEST_DIR")][..],
            "has no index.html",
        ),
    ] {
        let output = framecast(args);
        assert!(!output.status.success(), "{args:?} should fail");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(expected), "{args:?}: {stderr}");
    }
}

/// The running binary, killed when dropped (also when a test fails).
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts the binary on a free loopback port; returns it and its address.
fn start(args: &[&str]) -> (Running, String) {
    let (running, address, _) = start_on("127.0.0.1:0", args);
    (running, address)
}

/// What the binary has logged so far, collected by a thread.
#[derive(Clone, Default)]
struct Log(std::sync::Arc<std::sync::Mutex<String>>);

impl Log {
    /// The log once it contains `needle` (panics after 10 s).
    fn wait_for(&self, needle: &str) -> String {
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        loop {
            let log = self.0.lock().unwrap().clone();
            if log.contains(needle) {
                return log;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "no {needle:?} in the log:\n{log}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

/// Starts the binary bound to `bind`; returns it, its address (`host:port`)
/// and its log.
fn start_on(bind: &str, args: &[&str]) -> (Running, String, Log) {
    let mut child = Command::new(BINARY)
        .args(["--bind", bind])
        .args(args)
        .env("NO_COLOR", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("framecast starts");
    let lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let log = Log::default();
    let collected = log.clone();
    std::thread::spawn(move || {
        for line in lines.map_while(Result::ok) {
            let mut log = collected.0.lock().unwrap();
            log.push_str(&line);
            log.push('\n');
        }
    });
    let text = log.wait_for("open http://");
    let at = text.find("open http://").unwrap() + "open http://".len();
    let address = text[at..].split('/').next().unwrap().to_string();
    (Running(child), address, log)
}

#[tokio::test]
async fn frames_from_standard_input_reach_viewers_exactly() {
    let (mut child, address) =
        start(&["--stdin", "64x48", "--format", "rgb24", "--stream", "pipe"]);
    let frames: Vec<Vec<u8>> = (0..3).map(|n| gradient(64, 48, n * 40)).collect();
    let mut stdin = child.0.stdin.take().unwrap();
    for frame in &frames {
        stdin.write_all(frame).unwrap();
    }
    stdin.write_all(&frames[0][..100]).unwrap(); // a cut-off frame, dropped
    drop(stdin);

    let mut viewer = Viewer::connect_to(&address, "pipe").await;
    let mut seq = 0;
    while seq < 3 {
        seq = viewer.receive().await.0;
        viewer.ack(seq).await;
    }
    viewer.assert_shows(PixelFormat::Rgb8, &frames[2]);
    // Standard input has ended, so the stream has no producer any more.
    while viewer.producer_online != Some(false) {
        viewer.next_status().await;
    }
    assert!(
        viewer
            .next_binary_within(Duration::from_millis(300))
            .await
            .is_none(),
        "the cut-off frame was dropped"
    );
}

#[tokio::test]
async fn floats_from_standard_input_arrive_exactly_with_their_colormap() {
    let (mut child, address) = start(&[
        "--stdin",
        "16x8",
        "--format",
        "grayf32le",
        "--colormap",
        "inferno",
        "--range",
        "-1:1",
        "--stream",
        "field",
    ]);
    let field: Vec<u8> = (0..16 * 8)
        .map(|i| {
            if i == 9 {
                f32::NAN
            } else {
                (i as f32 * 0.3).sin()
            }
        })
        .flat_map(f32::to_le_bytes)
        .collect();
    let mut stdin = child.0.stdin.take().unwrap();
    stdin.write_all(&field).unwrap();
    let mut viewer = Viewer::connect_to(&address, "field").await;
    viewer.receive().await;
    viewer.assert_shows(PixelFormat::F32, &field);
    let (view, _) = viewer.view.clone().expect("a view message");
    assert_eq!(view["colormap"], "inferno");
    assert_eq!(view["range"], serde_json::json!([-1, 1]));
    drop(stdin);
}

#[tokio::test]
async fn beyond_loopback_a_token_is_generated_and_required() {
    let (_server, address, log) = start_on("0.0.0.0:0", &["--source", "demo", "--size", "32x32"]);
    let log = log.wait_for("?token=");
    let port = address.rsplit(':').next().unwrap();
    let token = log
        .split("?token=")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("no token in the URL to open:\n{log}"));
    assert_eq!(token.len(), 48, "{token}");
    assert!(token.bytes().all(|b| b.is_ascii_hexdigit()), "{token}");
    let local: std::net::SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    // Bound beyond loopback any Host is served; the token guards instead.
    let refused = http_request(
        local,
        "GET",
        "/api/streams",
        &[("Host", "framecast.lan")],
        b"",
    )
    .await;
    assert_eq!(refused.status, 401);
    let path = format!("/api/streams?token={token}");
    let listed = http_request(local, "GET", &path, &[("Host", "framecast.lan")], b"").await;
    assert_eq!(listed.status, 200);
    let mut viewer = Viewer::over(
        websocket(&format!("ws://{local}/ws/demo?token={token}"), &[])
            .await
            .unwrap(),
    );
    viewer.receive().await;
}

#[test]
fn no_auth_beyond_loopback_serves_everyone_and_says_so_loudly() {
    let (_server, _, log) = start_on("0.0.0.0:0", &["--source", "none", "--no-auth"]);
    let log = log.wait_for("ANYONE WHO CAN REACH");
    assert!(!log.contains("token="), "{log}");
    assert!(log.contains("WARN"), "{log}");
}

#[tokio::test]
async fn sigterm_closes_every_session_with_1001_and_exits() {
    let (mut server, address, _) =
        start_on("127.0.0.1:0", &["--source", "demo", "--size", "32x32"]);
    let mut viewer = Viewer::connect_to(&address, "demo").await;
    viewer.receive().await;
    let mut producer = websocket(&format!("ws://{address}/ingest/other"), &[])
        .await
        .unwrap();
    let pid = server.0.id().to_string();
    assert!(Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap()
        .success());
    let (viewer_close, producer_close) =
        tokio::join!(viewer.next_close(), next_close(&mut producer));
    for close in [viewer_close, producer_close] {
        assert_eq!(
            close.code,
            tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode::Away
        );
        assert_eq!(close.reason.as_str(), "server stopping");
    }
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(status) = server.0.try_wait().unwrap() {
            break status;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "framecast did not exit after SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(status.success(), "{status:?}");
}
