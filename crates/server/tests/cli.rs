//! The `framecast` binary itself: command-line errors, and frames read from
//! standard input reaching a viewer exactly.

mod common;

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use common::{gradient, Viewer};
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
        "--bind", "--source", "--size", "--fps", "--stdin", "--format", "--stream",
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
            "expected rgb24 or rgba",
        ),
        (&["--format", "rgba"][..], "--stdin"),
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

/// Starts the binary on a free port; returns it and its address.
fn start(args: &[&str]) -> (Running, String) {
    let mut child = Command::new(BINARY)
        .args(["--bind", "127.0.0.1:0"])
        .args(args)
        .env("NO_COLOR", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("framecast starts");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let address = lines
        .by_ref()
        .find_map(|line| {
            let line = line.ok()?;
            let at = line.find("open http://")? + "open http://".len();
            Some(line[at..].trim_end_matches('/').to_string())
        })
        .expect("framecast prints its URL");
    std::thread::spawn(move || lines.for_each(drop)); // keep the pipe drained
    (Running(child), address)
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
