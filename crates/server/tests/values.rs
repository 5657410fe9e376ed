//! Value frames (gray8, gray16, f32) against the real server: what is
//! published over HTTP or an ingest WebSocket comes back from `GET /frame`
//! byte for byte and is what a viewer's decoder holds, NaN payloads
//! included; viewers are told the colormap and range the producer asked
//! for, before the frames they apply to; `frame.png` holds gray values
//! exactly (16 bits as 16) and a float's picture through the colormap; bad
//! formats and views are refused with what is accepted.

mod common;

use common::{http_get, http_post, http_request, start_server, websocket, Viewer};
use framecast_codec::colormap::{Colormap, Palette, Range, NAN_COLOUR};
use framecast_codec::wire::write_publish_header;
use framecast_codec::PixelFormat;
use futures_util::SinkExt;
use tokio_tungstenite::tungstenite::Message;

const W: u32 = 37;
const H: u32 = 23;

/// A float field with a NaN of its own payload, the infinities and a
/// negative zero in it.
fn field(t: f32) -> Vec<u8> {
    (0..W * H)
        .map(|i| match i {
            3 => f32::from_bits(0x7fa0_0042),
            4 => f32::INFINITY,
            5 => f32::NEG_INFINITY,
            6 => -0.0,
            _ => ((i % W) as f32 * 0.21 + (i / W) as f32 * 0.13 + t).sin() * 2.5,
        })
        .flat_map(f32::to_le_bytes)
        .collect()
}

/// A 12-bit camera: a gradient and a little noise.
fn camera(t: u16) -> Vec<u8> {
    (0..W * H)
        .map(|i| (i % W) as u16 * 100 + (i / W) as u16 * 3 + (i as u16 * 7 + t) % 5)
        .flat_map(u16::to_le_bytes)
        .collect()
}

fn gray(t: u8) -> Vec<u8> {
    (0..W * H)
        .map(|i| (i as u8).wrapping_mul(3).wrapping_add(t))
        .collect()
}

fn header<'a>(head: &'a str, name: &str) -> Option<&'a str> {
    head.lines().find_map(|line| {
        let (key, value) = line.split_once(':')?;
        key.trim().eq_ignore_ascii_case(name).then(|| value.trim())
    })
}

fn png_of(file: &[u8]) -> (png::OutputInfo, Vec<u8>) {
    let mut reader = png::Decoder::new(std::io::Cursor::new(file))
        .read_info()
        .unwrap();
    let mut decoded = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut decoded).unwrap();
    decoded.truncate(info.buffer_size());
    (info, decoded)
}

#[tokio::test]
async fn each_value_format_posted_comes_back_exactly_and_a_viewer_holds_it() {
    let server = start_server().await;
    for (name, format, frames) in [
        ("gray8", PixelFormat::Gray8, [gray(0), gray(1)]),
        ("gray16", PixelFormat::Gray16, [camera(0), camera(1)]),
        ("f32", PixelFormat::F32, [field(0.0), field(0.05)]),
    ] {
        let stream = format!("v-{name}");
        let path = format!("/api/streams/{stream}/frame?width={W}&height={H}&format={name}&colormap=magma&vmin=-1&vmax=2");
        assert_eq!(http_post(&server, &path, &frames[0]).await.status, 200);
        let mut viewer = Viewer::connect(&server, &stream).await;
        viewer.receive().await;
        viewer.assert_shows(format, &frames[0]);
        let (view, before) = viewer.view.clone().expect("a view message");
        assert_eq!(view["colormap"], "magma", "{view}");
        assert_eq!(view["range"], serde_json::json!([-1, 2]), "{view}");
        assert_eq!(before, 0, "the view comes before the frame it applies to");
        viewer.ack(1).await;

        // Only what changed, exactly, and the view stays.
        let path = format!("/api/streams/{stream}/frame?width={W}&height={H}&format={name}");
        assert_eq!(http_post(&server, &path, &frames[1]).await.status, 200);
        let (seq, base, _) = viewer.receive().await;
        assert_eq!((seq, base), (2, 1));
        viewer.assert_shows(format, &frames[1]);

        let (status, head, body) =
            http_get(server.address, &format!("/api/streams/{stream}/frame")).await;
        assert_eq!(status, 200);
        assert_eq!(header(&head, "x-framecast-format"), Some(name));
        assert!(
            body == frames[1],
            "{name}: GET /frame is the bytes published"
        );
    }
}

#[tokio::test]
async fn a_producer_sets_the_view_over_its_websocket_and_viewers_are_told() {
    let server = start_server().await;
    let url = format!("ws://{}/ingest/sim", server.address);
    let mut producer = websocket(&url, &[]).await.unwrap();
    let publish = |pixels: &[u8]| {
        let mut message = Vec::new();
        write_publish_header(&mut message, W, H, PixelFormat::F32, 0);
        message.extend_from_slice(pixels);
        Message::Binary(message.into())
    };
    producer
        .send(Message::Text(
            r#"{"type":"view","colormap":"coolwarm","range":"frame"}"#.into(),
        ))
        .await
        .unwrap();
    producer.send(publish(&field(0.0))).await.unwrap();
    let mut viewer = Viewer::connect(&server, "sim").await;
    viewer.receive().await;
    viewer.assert_shows(PixelFormat::F32, &field(0.0));
    let (view, _) = viewer.view.clone().expect("a view message");
    assert_eq!(
        view,
        serde_json::json!({"type": "view", "colormap": "coolwarm", "range": "frame"})
    );
    viewer.ack(1).await;

    producer
        .send(Message::Text(r#"{"type":"view","range":[0,4095]}"#.into()))
        .await
        .unwrap();
    producer.send(publish(&field(0.1))).await.unwrap();
    viewer.receive().await;
    let (view, before) = viewer.view.clone().unwrap();
    assert_eq!(
        view["colormap"], "coolwarm",
        "what the message leaves out stays"
    );
    assert_eq!(view["range"], serde_json::json!([0, 4095]));
    assert_eq!(before, 1, "told before frame 2");
}

#[tokio::test]
async fn pictures_hold_gray_values_exactly_and_a_floats_colours() {
    let server = start_server().await;
    let stream = server.streams.get_or_create("pic").unwrap();
    stream
        .publish(W, H, PixelFormat::Gray16, camera(0))
        .unwrap();
    let response = http_request(
        server.address,
        "GET",
        "/api/streams/pic/frame.png",
        &[],
        b"",
    )
    .await;
    let (info, decoded) = png_of(&response.body);
    assert_eq!((info.bit_depth as u8, info.color_type.samples()), (16, 1));
    let big_endian: Vec<u8> = camera(0)
        .chunks_exact(2)
        .flat_map(|v| [v[1], v[0]])
        .collect();
    assert!(decoded == big_endian, "16-bit values exactly");
    assert_eq!(
        header(&response.head, "x-framecast-colormap"),
        None,
        "values, not colours"
    );

    stream.set_view(framecast_codec::colormap::View {
        colormap: Colormap::Viridis,
        range: framecast_codec::colormap::RangeMode::Fixed(Range { lo: -2.5, hi: 2.5 }),
    });
    stream.publish(W, H, PixelFormat::F32, field(0.0)).unwrap();
    let response = http_request(
        server.address,
        "GET",
        "/api/streams/pic/frame.png",
        &[],
        b"",
    )
    .await;
    assert_eq!(response.status, 200);
    assert_eq!(
        header(&response.head, "x-framecast-colormap"),
        Some("viridis")
    );
    assert_eq!(
        header(&response.head, "x-framecast-range"),
        Some("-2.5 2.5")
    );
    let (info, decoded) = png_of(&response.body);
    assert_eq!(info.color_type.samples(), 4);
    let mut expected = vec![0; (W * H * 4) as usize];
    Palette::new(
        PixelFormat::F32,
        Colormap::Viridis,
        Range { lo: -2.5, hi: 2.5 },
    )
    .map(&field(0.0), &mut expected);
    assert!(decoded == expected, "the float's colours");
    assert_eq!(&decoded[12..16], &NAN_COLOUR);

    // A JPEG of values is of their colours too.
    let response = http_request(
        server.address,
        "GET",
        "/api/streams/pic/frame.jpg?quality=95",
        &[],
        b"",
    )
    .await;
    assert_eq!(response.status, 200);
    assert_eq!(
        header(&response.head, "x-framecast-colormap"),
        Some("viridis")
    );
    let mut decoder = zune_jpeg::JpegDecoder::new(&response.body);
    let pixels = decoder.decode().expect("a JPEG");
    let far = pixels
        .chunks_exact(3)
        .zip(expected.chunks_exact(4))
        .filter(|(got, want)| (0..3).any(|c| got[c].abs_diff(want[c]) > 60))
        .count();
    assert!(
        far < (W * H / 20) as usize,
        "{far} pixels far from their colours"
    );
}

#[tokio::test]
async fn bad_formats_and_views_are_refused_with_what_is_accepted() {
    let server = start_server().await;
    let cases = [
        (
            "format=gray12",
            "expected rgb8, rgba8, gray8, gray16 or f32",
        ),
        (
            "format=f32&colormap=jet",
            "expected gray, viridis, magma, inferno, turbo or coolwarm",
        ),
        ("format=f32&vmin=0", "needs both vmin and vmax"),
        ("format=f32&vmin=1&vmax=nan", "two finite numbers"),
        (
            "format=f32&range=sometimes",
            "expected auto, frame or window",
        ),
    ];
    for (query, says) in cases {
        let path = format!("/api/streams/bad/frame?width={W}&height={H}&{query}");
        let response = http_post(&server, &path, &field(0.0)).await;
        assert_eq!(response.status, 400, "{query}");
        assert!(
            response.error().contains(says),
            "{query}: {}",
            response.error()
        );
    }
    assert!(server.streams.get("bad").is_none(), "nothing published");
    // A float frame's bytes are four a pixel.
    let path = format!("/api/streams/bad/frame?width={W}&height={H}&format=f32");
    let response = http_post(&server, &path, &gray(0)).await;
    assert_eq!(response.status, 400);
    assert!(
        response
            .error()
            .contains(&format!("a {W}x{H} f32 frame has {} bytes", W * H * 4)),
        "{}",
        response.error()
    );
}
