//! The server run inside another program (`framecast_server::Server`):
//! frames published in-process reach a real viewer exactly, a taken port
//! is a clear error, and closing frees the port and the server's threads.

mod common;

use std::net::{SocketAddr, TcpListener};

use common::Viewer;
use framecast_codec::PixelFormat;
use framecast_server::{background, Config, Server, Streams};

fn loopback(port: u16) -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], port))
}

/// The names of this process's threads, from /proc.
fn thread_names() -> Vec<String> {
    std::fs::read_dir("/proc/self/task")
        .unwrap()
        .filter_map(|task| std::fs::read_to_string(task.ok()?.path().join("comm")).ok())
        .map(|name| name.trim().to_owned())
        .collect()
}

#[tokio::test]
async fn frames_published_in_process_reach_a_viewer_exactly_and_close_frees_everything() {
    let server = Server::start(loopback(0), Config::default(), Streams::new()).unwrap();
    let address = server.address();
    assert_eq!(server.url(), format!("http://{address}/"));
    // A thread names itself once it runs.
    for _ in 0..500 {
        if thread_names().contains(&background::THREAD_NAME.to_string()) {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    assert!(thread_names().contains(&background::THREAD_NAME.to_string()));

    let stream = server.streams().get_or_create("sim").unwrap();
    let frames: Vec<Vec<u8>> = (0..3u8)
        .map(|n| {
            (0..64 * 48 * 3)
                .map(|i| (i as u8).wrapping_mul(7) ^ n)
                .collect()
        })
        .collect();
    stream
        .publish(64, 48, PixelFormat::Rgb8, frames[0].clone())
        .unwrap();
    let mut viewer = Viewer::connect_to(&address.to_string(), "sim").await;
    let mut seq = viewer.receive().await.0;
    viewer.ack(seq).await;
    viewer.assert_shows(PixelFormat::Rgb8, &frames[0]);
    for frame in &frames[1..] {
        stream
            .publish(64, 48, PixelFormat::Rgb8, frame.clone())
            .unwrap();
    }
    while seq < 3 {
        seq = viewer.receive().await.0;
        viewer.ack(seq).await;
    }
    viewer.assert_shows(PixelFormat::Rgb8, &frames[2]);

    // Closing says goodbye to the viewer, then frees the port and the thread.
    let closing = tokio::task::spawn_blocking(move || server.close());
    let close = viewer.next_close().await;
    assert_eq!(close.reason.as_str(), "server stopping");
    closing.await.unwrap().unwrap();
    TcpListener::bind(address).expect("the port is free again");
    // The runtime's thread is joined; actix's workers end on their own
    // just after.
    let servers_threads = || -> Vec<String> {
        thread_names()
            .into_iter()
            .filter(|name| name.starts_with("framecast") || name.starts_with("actix"))
            .collect()
    };
    assert!(!servers_threads().contains(&background::THREAD_NAME.to_string()));
    for _ in 0..100 {
        if servers_threads().is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(
        servers_threads(),
        Vec::<String>::new(),
        "threads left after close"
    );
}

#[test]
fn a_taken_port_is_a_clear_error() {
    let taken = TcpListener::bind(loopback(0)).unwrap();
    let address = taken.local_addr().unwrap();
    let error = Server::start(address, Config::default(), Streams::new()).unwrap_err();
    assert_eq!(error.kind(), std::io::ErrorKind::AddrInUse);
    assert!(
        error
            .to_string()
            .contains(&format!("cannot listen on {address}")),
        "{error}"
    );
}
