//! The viewer in a real headless Chromium (wasm-bindgen-test): frames encoded
//! with framecast-codec, decoded in wasm, painted onto a canvas as the element
//! paints them (the dirty rectangle of the framebuffer's `ImageData`) and read
//! back with getImageData must equal the source pixels exactly.
#![cfg(target_arch = "wasm32")]

use framecast_codec::colormap::{Colormap, Palette, Range};
use framecast_codec::{Encoder, FrameRef, PixelFormat};
use framecast_viewer::Viewer;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;
use web_sys::{CanvasRenderingContext2d, HtmlCanvasElement};

wasm_bindgen_test_configure!(run_in_browser);

fn canvas() -> HtmlCanvasElement {
    web_sys::window()
        .unwrap()
        .document()
        .unwrap()
        .create_element("canvas")
        .unwrap()
        .unchecked_into()
}

/// Puts what changed onto `canvas` as the element does, sizing the canvas to
/// the frame; returns whether anything was put.
fn paint(viewer: &mut Viewer, canvas: &HtmlCanvasElement) -> bool {
    let Some(dirty) = viewer.take_dirty() else {
        return false;
    };
    let image = viewer.image().unwrap();
    if (canvas.width(), canvas.height()) != (image.width(), image.height()) {
        canvas.set_width(image.width());
        canvas.set_height(image.height());
    }
    let context: CanvasRenderingContext2d =
        canvas.get_context("2d").unwrap().unwrap().unchecked_into();
    context
        .put_image_data_with_dirty_x_and_dirty_y_and_dirty_width_and_dirty_height(
            &image,
            0.0,
            0.0,
            f64::from(dirty.x),
            f64::from(dirty.y),
            f64::from(dirty.width),
            f64::from(dirty.height),
        )
        .unwrap();
    true
}

fn canvas_pixels(canvas: &HtmlCanvasElement) -> Vec<u8> {
    let context: CanvasRenderingContext2d =
        canvas.get_context("2d").unwrap().unwrap().unchecked_into();
    context
        .get_image_data(
            0.0,
            0.0,
            f64::from(canvas.width()),
            f64::from(canvas.height()),
        )
        .unwrap()
        .data()
        .0
}

fn rgba(pixels: &[u8]) -> Vec<u8> {
    pixels
        .chunks_exact(3)
        .flat_map(|p| [p[0], p[1], p[2], 255])
        .collect()
}

fn pattern(width: u32, height: u32, shift: u32) -> Vec<u8> {
    (0..width * height * 3)
        .map(|i| ((i * 31 + shift) % 251) as u8)
        .collect()
}

#[wasm_bindgen_test]
fn keyframe_then_delta_paint_exact_pixels() {
    let (width, height) = (150, 90);
    let canvas = canvas();
    let mut viewer = Viewer::new();
    let mut encoder = Encoder::default();

    let first = pattern(width, height, 0);
    let mut message = Vec::new();
    encoder.encode_keyframe(
        1,
        5_000,
        FrameRef::new(width, height, PixelFormat::Rgb8, &first).unwrap(),
        &mut message,
    );
    let stats = viewer.apply(&message).unwrap();
    assert!(stats.keyframe);
    assert_eq!(
        (stats.width, stats.height, stats.seq, stats.capture_ms),
        (width, height, 1.0, 5.0)
    );
    assert!(paint(&mut viewer, &canvas));
    assert_eq!((canvas.width(), canvas.height()), (width, height));
    assert_eq!(canvas_pixels(&canvas), rgba(&first));

    // A delta touching one corner: only that part is painted, and the whole
    // canvas equals the new frame.
    let mut second = first.clone();
    second[..30].fill(0xee);
    message.clear();
    encoder.encode(
        2,
        0,
        FrameRef::new(width, height, PixelFormat::Rgb8, &second).unwrap(),
        Some((
            1,
            FrameRef::new(width, height, PixelFormat::Rgb8, &first).unwrap(),
        )),
        &mut message,
    );
    let stats = viewer.apply(&message).unwrap();
    assert!(!stats.keyframe);
    assert_eq!(stats.tiles, 1);
    assert!(paint(&mut viewer, &canvas));
    assert!(!paint(&mut viewer, &canvas), "nothing left to paint");
    assert_eq!(canvas_pixels(&canvas), rgba(&second));
    assert_eq!(viewer.framebuffer(), &rgba(&second)[..]);
}

#[wasm_bindgen_test]
fn memory_growth_and_resize_rebuild_the_view() {
    let canvas = canvas();
    let mut viewer = Viewer::new();
    let mut encoder = Encoder::default();
    let mut message = Vec::new();
    // Small, then much larger (the framebuffer moves and wasm memory grows,
    // detaching any view made before), then small again.
    for (seq, (width, height)) in [(40, 30), (900, 700), (41, 29)].into_iter().enumerate() {
        let pixels = pattern(width, height, seq as u32);
        message.clear();
        encoder.encode_keyframe(
            seq as u64 + 1,
            0,
            FrameRef::new(width, height, PixelFormat::Rgb8, &pixels).unwrap(),
            &mut message,
        );
        viewer.apply(&message).unwrap();
        paint(&mut viewer, &canvas);
        assert_eq!(canvas_pixels(&canvas), rgba(&pixels), "{width}x{height}");
    }
}

#[wasm_bindgen_test]
fn malformed_message_throws_and_needs_a_keyframe() {
    let mut viewer = Viewer::new();
    let truncated = [&b"FCST"[..], &[framecast_codec::wire::VERSION, 1, 0, 0]].concat();
    assert!(viewer.apply(&truncated).is_err());
    assert_eq!(viewer.seq(), 0.0);
    let request = viewer.keyframe_request(true);
    assert_eq!(&request[..4], b"FCST");
    assert_eq!(request[8], 1, "reason: decode error");
}

#[wasm_bindgen_test]
fn a_snapshot_is_the_frame_exactly_in_its_own_format_and_pixels_read_back() {
    let (width, height) = (37, 21);
    for (format, channels) in [(PixelFormat::Rgb8, 3), (PixelFormat::Rgba8, 4)] {
        let source: Vec<u8> = (0..width * height * channels)
            .map(|i| ((i * 53 + 7) % 256) as u8)
            .collect();
        let mut viewer = Viewer::new();
        assert!(viewer.snapshot_png().is_err(), "no frame yet");
        assert_eq!(viewer.pixel(0, 0), None);
        let mut message = Vec::new();
        let frame = FrameRef::new(width, height, format, &source).unwrap();
        Encoder::default().encode_keyframe(1, 0, frame, &mut message);
        viewer.apply(&message).unwrap();
        assert_eq!(viewer.format(), format.name());

        let file = viewer.snapshot_png().unwrap();
        let mut reader = png::Decoder::new(std::io::Cursor::new(&file))
            .read_info()
            .unwrap();
        let mut decoded = vec![0; reader.output_buffer_size().unwrap()];
        let info = reader.next_frame(&mut decoded).unwrap();
        assert_eq!((info.width, info.height), (width, height));
        assert_eq!(&decoded[..info.buffer_size()], &source[..], "{format:?}");

        let (x, y) = (5, 9);
        let at = ((y * width + x) * channels) as usize;
        let expected: Vec<u8> = match format {
            PixelFormat::Rgb8 => vec![source[at], source[at + 1], source[at + 2], 255],
            PixelFormat::Rgba8 => source[at..at + 4].to_vec(),
            _ => unreachable!("colour formats only"),
        };
        assert_eq!(viewer.pixel(x, y), Some(expected.clone()));
        assert_eq!(viewer.pixel(width, 0), None, "outside");

        // A region is rows of pixels, each as pixel() reads it.
        let region = viewer.region(x - 1, y, 2, 3).unwrap();
        assert_eq!(region.len(), 2 * 3 * 4);
        assert_eq!(
            &region[4..8],
            &expected[..],
            "second pixel of the first row"
        );
        for (n, pixel) in region.chunks_exact(4).enumerate() {
            let (px, py) = (x - 1 + n as u32 % 2, y + n as u32 / 2);
            assert_eq!(viewer.pixel(px, py).as_deref(), Some(pixel), "{px},{py}");
        }
        assert_eq!(
            viewer.region(width - 1, 0, 2, 1),
            None,
            "past the right edge"
        );
        assert_eq!(viewer.region(0, u32::MAX, 1, 2), None, "overflowing");
    }
}

#[wasm_bindgen_test]
fn a_float_field_is_painted_through_the_colormap_and_read_as_values() {
    let (width, height) = (70u32, 45u32);
    let field: Vec<f32> = (0..width * height)
        .map(|i| match i {
            7 => f32::NAN,
            _ => ((i % width) as f32 * 0.1).sin() * 2.0 + (i / width) as f32 * 0.01,
        })
        .collect();
    let bytes: Vec<u8> = field.iter().flat_map(|v| v.to_le_bytes()).collect();
    let mut message = Vec::new();
    let frame = FrameRef::new(width, height, PixelFormat::F32, &bytes).unwrap();
    Encoder::default().encode_keyframe(1, 0, frame, &mut message);
    let canvas = canvas();
    let mut viewer = Viewer::new();
    viewer.set_colormap("inferno").unwrap();
    viewer.set_range(-2.0, 2.5).unwrap();
    viewer.apply(&message).unwrap();
    assert!(viewer.is_values());
    assert!(paint(&mut viewer, &canvas));
    let colours = |colormap, range| {
        let mut rgba = vec![0; (width * height * 4) as usize];
        Palette::new(PixelFormat::F32, colormap, range).map(&bytes, &mut rgba);
        rgba
    };
    let fixed = Range { lo: -2.0, hi: 2.5 };
    assert_eq!(canvas_pixels(&canvas), colours(Colormap::Inferno, fixed));
    assert_eq!(
        viewer.value(3, 2),
        Some(f64::from(field[(2 * width + 3) as usize]))
    );
    assert!(viewer.value(7, 0).unwrap().is_nan());
    assert_eq!(viewer.range(), Some(vec![-2.0, 2.5]));

    // Another colormap, and the frame's own range: all of it painted again.
    viewer.set_colormap("coolwarm").unwrap();
    viewer.set_range_mode("frame").unwrap();
    assert!(paint(&mut viewer, &canvas));
    let finite = field.iter().copied().filter(|v| v.is_finite());
    let own = Range {
        lo: finite.clone().fold(f32::INFINITY, f32::min),
        hi: finite.fold(f32::NEG_INFINITY, f32::max),
    };
    assert_eq!(canvas_pixels(&canvas), colours(Colormap::Coolwarm, own));
    assert!(viewer.set_colormap("jet").is_err());
}
