//! The picture routes against the real server: `frame.png` holds the
//! published frame exactly, `frame.jpg` and MJPEG parts come close to it,
//! an MJPEG client gets each part with the next boundary at once and, when
//! it reads slowly, the newest frame rather than a queue; the limits answer
//! 429, and an `<img>` on a page of another site gets 403.

mod common;

use std::time::Duration;

use common::{gradient, http_request, start_server_on, TestServer, EXPECT_WITHIN};
use framecast_codec::PixelFormat;
use framecast_server::{Access, Config, Limits, Streams};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};

/// Natural-looking RGB content (JPEG compares against it in dB).
fn smooth(width: u32, height: u32, t: u32) -> Vec<u8> {
    (0..width * height)
        .flat_map(|i| {
            let (x, y) = ((i % width) as f32, (i / width) as f32);
            let wave = |k: f32, phase: f32| {
                ((x * k + y * 0.02 + phase + t as f32 * 0.2).sin() * 90.0 + 128.0) as u8
            };
            [wave(0.03, 0.0), wave(0.05, 1.0), wave(0.02, 2.0)]
        })
        .collect()
}

fn psnr(a: &[u8], b: &[u8]) -> f64 {
    let mse = a
        .iter()
        .zip(b)
        .map(|(a, b)| (f64::from(*a) - f64::from(*b)).powi(2))
        .sum::<f64>()
        / a.len() as f64;
    10.0 * (255.0 * 255.0 / mse).log10()
}

fn decode_jpeg(file: &[u8]) -> (usize, usize, Vec<u8>) {
    let mut decoder = zune_jpeg::JpegDecoder::new(file);
    let pixels = decoder.decode().expect("a JPEG");
    let (width, height) = decoder.dimensions().unwrap();
    (width, height, pixels)
}

fn header<'a>(head: &'a str, name: &str) -> Option<&'a str> {
    head.lines().find_map(|line| {
        let (key, value) = line.split_once(':')?;
        key.trim().eq_ignore_ascii_case(name).then(|| value.trim())
    })
}

async fn server_with(limits: Limits) -> TestServer {
    start_server_on(Config::default(), Streams::with_limits(limits)).await
}

#[tokio::test]
async fn frame_png_is_the_published_frame_exactly_and_frame_jpg_comes_close() {
    let server = server_with(Limits::default()).await;
    let stream = server.streams.get_or_create("cam").unwrap();
    let rgba: Vec<u8> = (0..40 * 30 * 4).map(|i| (i * 7 % 251) as u8).collect();
    for (format, pixels) in [
        (PixelFormat::Rgb8, smooth(40, 30, 0)),
        (PixelFormat::Rgba8, rgba),
    ] {
        let seq = stream.publish(40, 30, format, pixels.clone()).unwrap();
        let response = http_request(
            server.address,
            "GET",
            "/api/streams/cam/frame.png",
            &[],
            b"",
        )
        .await;
        assert_eq!(response.status, 200);
        assert_eq!(header(&response.head, "content-type"), Some("image/png"));
        assert_eq!(
            header(&response.head, "x-framecast-seq"),
            Some(seq.to_string().as_str())
        );
        let mut reader = png::Decoder::new(std::io::Cursor::new(&response.body))
            .read_info()
            .unwrap();
        let mut decoded = vec![0; reader.output_buffer_size().unwrap()];
        let info = reader.next_frame(&mut decoded).unwrap();
        assert_eq!((info.width, info.height), (40, 30));
        assert_eq!(
            &decoded[..info.buffer_size()],
            &pixels[..],
            "{format:?} exactly"
        );
    }

    // RGB: a JPEG of the asked quality; RGBA: its colour channels.
    stream
        .publish(40, 30, PixelFormat::Rgb8, smooth(40, 30, 1))
        .unwrap();
    let published = smooth(40, 30, 1);
    let response = http_request(
        server.address,
        "GET",
        "/api/streams/cam/frame.jpg?quality=95",
        &[],
        b"",
    )
    .await;
    assert_eq!(header(&response.head, "content-type"), Some("image/jpeg"));
    let (width, height, pixels) = decode_jpeg(&response.body);
    assert_eq!((width, height), (40, 30));
    assert!(
        psnr(&pixels, &published) > 30.0,
        "{} dB",
        psnr(&pixels, &published)
    );
    for query in ["quality=0", "quality=101", "quality=x"] {
        let response = http_request(
            server.address,
            "GET",
            &format!("/api/streams/cam/frame.jpg?{query}"),
            &[],
            b"",
        )
        .await;
        assert_eq!(response.status, 400, "{query}");
        assert!(response.error().contains("1 to 100"), "{query}");
    }
    let missing = http_request(
        server.address,
        "GET",
        "/api/streams/nope/frame.png",
        &[],
        b"",
    )
    .await;
    assert_eq!(missing.status, 404);
}

/// An MJPEG client reading by hand.
struct Mjpeg {
    reader: BufReader<tokio::net::TcpStream>,
    boundary: String,
}

impl Mjpeg {
    /// Opens `path`; `headers` are extra request lines.
    async fn open(server: &TestServer, path: &str, headers: &str) -> Result<Mjpeg, (u16, String)> {
        Mjpeg::open_with(server, path, headers, None).await
    }

    /// [`Mjpeg::open`] receiving into a buffer of `recv_buffer` bytes.
    async fn open_with(
        server: &TestServer,
        path: &str,
        headers: &str,
        recv_buffer: Option<u32>,
    ) -> Result<Mjpeg, (u16, String)> {
        let socket = tokio::net::TcpSocket::new_v4().unwrap();
        if let Some(size) = recv_buffer {
            socket.set_recv_buffer_size(size).unwrap();
        }
        let mut socket = socket.connect(server.address).await.unwrap();
        let request = format!("GET {path} HTTP/1.1\r\nHost: localhost\r\n{headers}\r\n");
        socket.write_all(request.as_bytes()).await.unwrap();
        let mut reader = BufReader::new(socket);
        let head = read_head(&mut reader).await;
        let status: u16 = head[9..12].parse().unwrap();
        if status != 200 {
            let length: usize = header(&head, "content-length").map_or(0, |n| n.parse().unwrap());
            let mut body = vec![0; length];
            reader.read_exact(&mut body).await.unwrap();
            return Err((status, head + &String::from_utf8_lossy(&body)));
        }
        let media_type = header(&head, "content-type").unwrap().to_string();
        let boundary = media_type
            .strip_prefix("multipart/x-mixed-replace; boundary=")
            .unwrap_or_else(|| panic!("{media_type}"))
            .to_string();
        assert!(
            head.to_lowercase().contains("transfer-encoding: chunked"),
            "{head}"
        );
        Ok(Mjpeg { reader, boundary })
    }

    /// The body's bytes, chunked encoding undone, until `want` are there.
    async fn body_bytes(&mut self, out: &mut Vec<u8>, want: usize) {
        while out.len() < want {
            let mut size = String::new();
            self.reader.read_line(&mut size).await.unwrap();
            let size = usize::from_str_radix(size.trim(), 16).unwrap();
            let mut chunk = vec![0; size + 2];
            self.reader.read_exact(&mut chunk).await.unwrap();
            out.extend_from_slice(&chunk[..size]);
        }
    }

    /// The next part's JPEG, read up to and including the next part's
    /// boundary and headers that follow it at once.
    async fn part(&mut self, pending: &mut Vec<u8>) -> Vec<u8> {
        let head = format!("--{}\r\nContent-Type: image/jpeg\r\n\r\n", self.boundary);
        let tail = format!("\r\n{head}");
        self.body_bytes(pending, head.len()).await;
        assert!(
            pending.starts_with(head.as_bytes()),
            "a part begins with its boundary and headers"
        );
        loop {
            if let Some(end) = pending
                .windows(tail.len())
                .position(|w| w == tail.as_bytes())
            {
                let jpeg = pending[head.len()..end].to_vec();
                pending.drain(..end + 2); // the next part begins with its boundary
                return jpeg;
            }
            let want = pending.len() + 1;
            self.body_bytes(pending, want).await;
        }
    }
}

async fn read_head(reader: &mut BufReader<tokio::net::TcpStream>) -> String {
    let mut head = String::new();
    loop {
        let mut line = String::new();
        reader.read_line(&mut line).await.unwrap();
        if line == "\r\n" || line.is_empty() {
            return head;
        }
        head += &line;
    }
}

#[tokio::test]
async fn an_mjpeg_client_gets_each_part_with_the_next_boundary_and_the_newest_frame() {
    let server = server_with(Limits::default()).await;
    let stream = server.streams.get_or_create("cam").unwrap();
    stream
        .publish(64, 48, PixelFormat::Rgb8, smooth(64, 48, 0))
        .unwrap();
    let mut client = Mjpeg::open(&server, "/api/streams/cam/mjpeg?quality=90", "")
        .await
        .unwrap();
    let mut pending = Vec::new();
    for t in 1..=3u32 {
        // Each part, with the next part's boundary and headers after it,
        // arrives before another frame is published.
        let jpeg = tokio::time::timeout(EXPECT_WITHIN, client.part(&mut pending))
            .await
            .unwrap();
        let (width, height, pixels) = decode_jpeg(&jpeg);
        assert_eq!((width, height), (64, 48));
        let published = smooth(64, 48, t - 1);
        assert!(
            psnr(&pixels, &published) > 30.0,
            "part {t}: {} dB",
            psnr(&pixels, &published)
        );
        stream
            .publish(64, 48, PixelFormat::Rgb8, smooth(64, 48, t))
            .unwrap();
    }

    // A client that stops reading gets, when it reads again, the newest
    // frame, not the ones published meanwhile: parts of noise (about 200 KB
    // each) to a client with a small window. Each frame says its number in
    // a flat corner.
    let numbered = |n: u32| -> Vec<u8> {
        let mut state = u64::from(n).wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
        let mut pixels: Vec<u8> = (0..256 * 256 * 3)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                state as u8
            })
            .collect();
        for y in 0..32 {
            pixels[y * 256 * 3..(y * 256 + 32) * 3].fill((n * 2) as u8);
        }
        pixels
    };
    let number_of = |jpeg: &[u8]| {
        let (width, _, pixels) = decode_jpeg(jpeg);
        u32::from(pixels[(12 * width + 12) * 3]).div_ceil(2)
    };
    let mut slow = Mjpeg::open_with(&server, "/api/streams/cam/mjpeg", "", Some(4096))
        .await
        .unwrap();
    let mut pending = Vec::new();
    for n in 1..=100 {
        stream
            .publish(256, 256, PixelFormat::Rgb8, numbered(n))
            .unwrap();
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let mut numbers = Vec::new();
    while numbers.last() != Some(&100) {
        let jpeg = tokio::time::timeout(EXPECT_WITHIN, slow.part(&mut pending))
            .await
            .unwrap();
        numbers.push(number_of(&jpeg));
    }
    // What may be ahead of the newest: a part in actix's write buffer, one
    // the kernel took whole (128 KiB unsent at most after it), the start of
    // the receive window; not the 100 frames published meanwhile.
    assert!(
        numbers.len() <= 8,
        "{} parts to catch up ({numbers:?}): no queue",
        numbers.len()
    );
    drop(client);

    // fps caps the rate.
    let mut capped = Mjpeg::open(&server, "/api/streams/cam/mjpeg?fps=5", "")
        .await
        .unwrap();
    let mut pending = Vec::new();
    let start = tokio::time::Instant::now();
    capped.part(&mut pending).await;
    for t in 0..3u8 {
        stream
            .publish(64, 48, PixelFormat::Rgb8, gradient(64, 48, t))
            .unwrap();
        capped.part(&mut pending).await;
    }
    assert!(
        start.elapsed() >= Duration::from_millis(550),
        "{:?} for 4 parts at 5 a second",
        start.elapsed()
    );
}

#[tokio::test]
async fn mjpeg_clients_and_their_qualities_are_limited() {
    let server = server_with(Limits {
        max_mjpeg_clients: 2,
        max_jpeg_qualities: 1,
        ..Limits::default()
    })
    .await;
    let stream = server.streams.get_or_create("cam").unwrap();
    stream
        .publish(16, 16, PixelFormat::Rgb8, gradient(16, 16, 0))
        .unwrap();
    let first = Mjpeg::open(&server, "/api/streams/cam/mjpeg?quality=80", "")
        .await
        .unwrap();
    let (status, body) = Mjpeg::open(&server, "/api/streams/cam/mjpeg?quality=70", "")
        .await
        .err()
        .unwrap();
    assert_eq!(status, 429, "another quality: {body}");
    assert!(body.contains("--max-jpeg-qualities"), "{body}");
    let second = Mjpeg::open(&server, "/api/streams/cam/mjpeg?quality=80", "")
        .await
        .unwrap();
    let (status, body) = Mjpeg::open(&server, "/api/streams/cam/mjpeg?quality=80", "")
        .await
        .err()
        .unwrap();
    assert_eq!(status, 429, "a third client: {body}");
    assert!(body.contains("--max-mjpeg-clients"), "{body}");
    drop((first, second));
    common::eventually("the places free", || async {
        Mjpeg::open(&server, "/api/streams/cam/mjpeg?quality=70", "")
            .await
            .ok()
    })
    .await;
    for query in ["fps=0", "fps=-1", "fps=x", "quality=0"] {
        let (status, _) = Mjpeg::open(&server, &format!("/api/streams/cam/mjpeg?{query}"), "")
            .await
            .err()
            .unwrap();
        assert_eq!(status, 400, "{query}");
    }
}

#[tokio::test]
async fn an_img_on_a_page_of_another_site_gets_no_picture() {
    let server = start_server_on(
        Config {
            access: Access {
                allowed_origins: vec!["http://dashboard.example".to_string()],
                ..Access::default()
            },
            ..Config::default()
        },
        Streams::new(),
    )
    .await;
    let stream = server.streams.get_or_create("cam").unwrap();
    stream
        .publish(16, 16, PixelFormat::Rgb8, gradient(16, 16, 0))
        .unwrap();
    let own = format!("http://{}/", server.address);
    for (headers, expected) in [
        (
            "Sec-Fetch-Site: cross-site\r\nReferer: http://evil.example/page\r\n",
            403,
        ),
        ("Sec-Fetch-Site: same-site\r\n", 403),
        ("Referer: http://evil.example/\r\n", 403),
        (
            "Sec-Fetch-Site: cross-site\r\nReferer: http://dashboard.example/live\r\n",
            200,
        ),
        (
            &format!("Sec-Fetch-Site: same-origin\r\nReferer: {own}\r\n") as &str,
            200,
        ),
        ("Sec-Fetch-Site: none\r\n", 200),
        ("", 200),
    ] {
        let status = match Mjpeg::open(&server, "/api/streams/cam/mjpeg", headers).await {
            Ok(_) => 200,
            Err((status, body)) => {
                assert!(body.contains("refused"), "{body}");
                status
            }
        };
        assert_eq!(status, expected, "mjpeg with {headers:?}");
        let lines: Vec<(&str, &str)> = headers
            .split("\r\n")
            .filter_map(|line| line.split_once(": "))
            .collect();
        let png = http_request(
            server.address,
            "GET",
            "/api/streams/cam/frame.png",
            &lines,
            b"",
        )
        .await;
        assert_eq!(png.status, expected, "frame.png with {headers:?}");
    }
}
