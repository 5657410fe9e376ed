//! JPEG tiles (protocol 3): the lossy tiles of a frame message travel as a
//! few JPEG images after the tile records, each a column of **slots** one
//! tile wide, one tile per slot. A slot is the tile size rounded up to
//! whole 16x16 blocks (a 4:2:0 JPEG's unit), so no block mixes two tiles and
//! a tile's pixels depend on its own slot alone; a tile clipped by the
//! frame's edge fills its slot by repeating its last column and row.
//!
//! A frame of values (Gray8, Gray16, F32) has grayscale JPEG tiles: each
//! tile's values quantized to 8 bits over the tile's own range (its least
//! and greatest value, which its tile record carries), so that a viewer
//! turns them back into values and maps those through whatever colormap it
//! shows; the lossy form does not depend on any viewer's colormap. A tile
//! holding a NaN or an infinity is never sent this way.
//!
//! Decoding is pure Rust (zune-jpeg) so that the wasm viewer and native
//! tests run the same code; encoding, on the server only, goes through
//! libjpeg-turbo behind the `lossy` feature.

use crate::colormap::Range;
use crate::error::DecodeError;
use crate::frame::{PixelFormat, Rect};
use zune_core::colorspace::ColorSpace;
use zune_core::options::DecoderOptions;
use zune_jpeg::JpegDecoder;

/// Bytes a pixel of a slot takes for frames of `format`: RGB for colours,
/// one quantized value for values.
pub(crate) const fn slot_bytes(format: PixelFormat) -> usize {
    if format.is_value() {
        1
    } else {
        3
    }
}

/// Decodes one JPEG image of slots `slot` (width, height) into `out` as rows
/// of `channels` bytes a pixel (3: RGB; 1: gray), and returns how many
/// slots it holds: at least one and at most `max_slots`. Its width must be
/// the slot width and its height a whole number of slots; nothing larger is
/// allocated.
pub(crate) fn decode(
    image: &[u8],
    slot: (u32, u32),
    max_slots: usize,
    channels: usize,
    out: &mut Vec<u8>,
) -> Result<usize, DecodeError> {
    let (slot_width, slot_height) = (slot.0 as usize, slot.1 as usize);
    let bad = |reason: String| DecodeError::JpegImages(reason);
    let max_height = (max_slots * slot_height).min(crate::wire::MAX_JPEG_ROWS as usize);
    let options = DecoderOptions::default()
        .set_max_width(slot_width)
        .set_max_height(max_height)
        .jpeg_set_out_colorspace(if channels == 1 {
            ColorSpace::Luma
        } else {
            ColorSpace::RGB
        });
    let mut decoder = JpegDecoder::new_with_options(image, options);
    decoder
        .decode_headers()
        .map_err(|error| bad(format!("an image does not decode: {error}")))?;
    let (width, height) = decoder
        .dimensions()
        .ok_or_else(|| bad("an image has no size".into()))?;
    let slots = height / slot_height;
    if width != slot_width || height % slot_height != 0 || slots == 0 || slots > max_slots {
        return Err(bad(format!(
            "an image is {width}x{height}; slots are {slot_width}x{slot_height} and {max_slots} JPEG tiles are left"
        )));
    }
    let len = width * height * channels;
    if decoder.output_buffer_size() != Some(len) {
        let kind = if channels == 1 { "gray" } else { "RGB" };
        return Err(bad(format!("an image does not decode to {kind}")));
    }
    let out = crate::scratch(out, len);
    decoder
        .decode_into(out)
        .map_err(|error| bad(format!("an image does not decode: {error}")))?;
    Ok(slots)
}

/// Appends the tile `rect` of a frame (rows `row(y)` for `y` in
/// `0..rect.height`, each `rect.width * bytes` bytes: RGB, or quantized
/// values) to `strip` as one slot of `slot` (width, height), repeating its
/// last column and row to fill it.
#[cfg_attr(not(feature = "lossy"), allow(dead_code))]
pub(crate) fn append_slot<'a>(
    rect: Rect,
    slot: (u32, u32),
    bytes: usize,
    row: impl Fn(usize) -> &'a [u8],
    strip: &mut Vec<u8>,
) {
    let (slot_width, slot_height) = (slot.0 as usize, slot.1 as usize);
    let width = rect.width as usize;
    let start = strip.len();
    for y in 0..rect.height as usize {
        let row = &row(y)[..width * bytes];
        strip.extend_from_slice(row);
        for _ in width..slot_width {
            strip.extend_from_within(strip.len() - bytes..);
        }
    }
    let row_len = slot_width * bytes;
    for _ in rect.height as usize..slot_height {
        strip.extend_from_within(strip.len() - row_len..);
    }
    debug_assert_eq!(strip.len() - start, slot_width * slot_height * bytes);
}

/// The range of a value tile's JPEG: its least and greatest value, or
/// `None` when it holds a NaN or an infinity (such a tile is sent exactly).
/// `rows` are the tile's rows of `format` (a value format).
#[cfg_attr(not(feature = "lossy"), allow(dead_code))]
pub(crate) fn tile_range<'a>(
    format: PixelFormat,
    rows: impl Iterator<Item = &'a [u8]>,
) -> Option<Range> {
    let mut range: Option<Range> = None;
    for row in rows {
        let all_finite = format != PixelFormat::F32
            || row
                .chunks_exact(4)
                .all(|v| f32::from_le_bytes([v[0], v[1], v[2], v[3]]).is_finite());
        if !all_finite {
            return None;
        }
        let row_range = crate::colormap::value_range(format, row)?;
        range = Some(match range {
            None => row_range,
            Some(r) => Range {
                lo: r.lo.min(row_range.lo),
                hi: r.hi.max(row_range.hi),
            },
        });
    }
    range
}

/// Appends `values` (a row of `format`, all within `range`) quantized to
/// 8 bits over `range` to `out`: `round((v - lo) * (255 / (hi - lo)))`, in
/// single precision, clamped to 0..=255 (0 where `hi` is `lo`).
#[cfg_attr(not(feature = "lossy"), allow(dead_code))]
pub(crate) fn quantize(format: PixelFormat, values: &[u8], range: Range, out: &mut Vec<u8>) {
    let scale = if range.hi > range.lo {
        255.0 / (range.hi - range.lo)
    } else {
        0.0
    };
    let q = |v: f32| ((v - range.lo) * scale).round().clamp(0.0, 255.0) as u8;
    match format {
        PixelFormat::Gray8 => out.extend(values.iter().map(|&v| q(f32::from(v)))),
        PixelFormat::Gray16 => out.extend(
            values
                .chunks_exact(2)
                .map(|v| q(f32::from(u16::from_le_bytes([v[0], v[1]])))),
        ),
        PixelFormat::F32 => out.extend(
            values
                .chunks_exact(4)
                .map(|v| q(f32::from_le_bytes([v[0], v[1], v[2], v[3]]))),
        ),
        PixelFormat::Rgb8 | PixelFormat::Rgba8 => unreachable!("colours are not quantized"),
    }
}

/// Appends the values of `format` that 8-bit `levels` stand for over
/// `range` to `out`: `lo + q * ((hi - lo) / 255)` in single precision,
/// rounded to the nearest integer and clamped for the gray formats.
pub(crate) fn dequantize(format: PixelFormat, levels: &[u8], range: Range, out: &mut Vec<u8>) {
    let step = (range.hi - range.lo) / 255.0;
    let value = |q: u8| range.lo + f32::from(q) * step;
    match format {
        PixelFormat::Gray8 => out.extend(
            levels
                .iter()
                .map(|&q| value(q).round().clamp(0.0, 255.0) as u8),
        ),
        PixelFormat::Gray16 => {
            for &q in levels {
                let v = value(q).round().clamp(0.0, 65535.0) as u16;
                out.extend_from_slice(&v.to_le_bytes());
            }
        }
        PixelFormat::F32 => {
            for &q in levels {
                out.extend_from_slice(&value(q).to_le_bytes());
            }
        }
        PixelFormat::Rgb8 | PixelFormat::Rgba8 => unreachable!("colours are not quantized"),
    }
}

/// Encodes `strip` (rows `width` pixels wide of `channels` bytes a pixel:
/// 3 RGB, 1 gray) as a baseline JPEG (4:2:0, or one gray component) of
/// `quality` (1 to 100) and appends it to `out` as an image record
/// ([`write_image`](crate::wire::write_image)). At most
/// [`MAX_JPEG_ROWS`](crate::wire::MAX_JPEG_ROWS) rows.
#[cfg(feature = "lossy")]
pub(crate) fn encode(strip: &[u8], width: u32, channels: usize, quality: u8, out: &mut Vec<u8>) {
    let width = width as usize;
    let (format, subsamp) = if channels == 1 {
        (turbojpeg::PixelFormat::GRAY, turbojpeg::Subsamp::Gray)
    } else {
        (turbojpeg::PixelFormat::RGB, turbojpeg::Subsamp::Sub2x2)
    };
    let image = turbojpeg::Image {
        pixels: strip,
        width,
        pitch: width * channels,
        height: strip.len() / (width * channels),
        format,
    };
    let jpeg = turbojpeg::compress(image, i32::from(quality.clamp(1, 100)), subsamp)
        .expect("libjpeg-turbo encodes any image within its limits");
    crate::wire::write_image(&jpeg, out);
}

#[cfg(all(test, feature = "lossy"))]
mod tests {
    use crate::wire::{parse_frame, TileEncoding};
    use crate::{DecodeError, Decoder, Encoder, FrameRef, Lossy, PixelFormat, TileSet};

    /// Smooth natural-looking content with a little noise: frame `t` of a
    /// moving pattern, RGB8.
    fn natural(width: u32, height: u32, t: u32) -> Vec<u8> {
        let noise = crate::testing::noise((width * height) as usize, u64::from(t) + 1);
        let mut pixels = Vec::with_capacity((width * height * 3) as usize);
        for y in 0..height {
            for x in 0..width {
                let wave = |k: f32| {
                    let phase = (x as f32 * k + y as f32 * 0.05 + t as f32 * 0.3).sin();
                    (phase * 60.0 + 100.0) as u8
                };
                let n = noise[(y * width + x) as usize] % 4;
                pixels.extend_from_slice(&[wave(0.03) + n, wave(0.07), wave(0.02) + 40]);
            }
        }
        pixels
    }

    fn frame(width: u32, height: u32, pixels: &[u8]) -> FrameRef<'_> {
        FrameRef::new(width, height, PixelFormat::Rgb8, pixels).unwrap()
    }

    /// The framebuffer's RGB bytes.
    fn rgb(decoder: &Decoder) -> Vec<u8> {
        decoder
            .framebuffer()
            .chunks_exact(4)
            .flat_map(|p| [p[0], p[1], p[2]])
            .collect()
    }

    fn max_error(a: &[u8], b: &[u8]) -> u8 {
        a.iter().zip(b).map(|(a, b)| a.abs_diff(*b)).max().unwrap()
    }

    #[test]
    fn lossy_tiles_come_close_and_a_refinement_makes_them_exact() {
        let (w, h) = (200, 150); // edge tiles clipped on both sides
        let first = natural(w, h, 0);
        let lossy = Lossy {
            quality: Some(90),
            ..Lossy::default()
        };
        let mut encoder = Encoder::default();
        let mut decoder = Decoder::new();
        let mut message = Vec::new();
        let (stats, outcome) =
            encoder.encode_lossy(1, 0, frame(w, h, &first), None, lossy, &mut message);
        assert_eq!(
            stats.tiles_jpeg, stats.tiles,
            "every tile of natural content"
        );
        assert_eq!(outcome.jpeg.len(), stats.tiles as usize);
        decoder.apply(&message).unwrap();
        let shown = rgb(&decoder);
        assert_ne!(shown, first, "JPEG is lossy");
        let error = max_error(&shown, &first);
        assert!(error < 48, "but close: off by {error} at most");

        // The next frame moves; the held tiles are sent again, as JPEG.
        let second = natural(w, h, 1);
        let mut held = outcome.jpeg;
        message.clear();
        let (stats, outcome) = encoder.encode_lossy(
            2,
            0,
            frame(w, h, &second),
            Some((1, frame(w, h, &first))),
            Lossy {
                held: Some(&held),
                ..lossy
            },
            &mut message,
        );
        assert_eq!(stats.tiles_jpeg, stats.tiles);
        assert_eq!(outcome.jpeg, held);
        decoder.apply(&message).unwrap();
        assert!(max_error(&rgb(&decoder), &second) < 48);

        // Motion stops: the refinement sends the held tiles exactly, whole.
        message.clear();
        let (stats, outcome) = encoder.encode_lossy(
            2,
            0,
            frame(w, h, &second),
            Some((2, frame(w, h, &second))),
            Lossy {
                quality: None,
                held: Some(&held),
                refine: Some(&held),
            },
            &mut message,
        );
        assert_eq!((stats.tiles_sent, stats.tiles_jpeg), (stats.tiles, 0));
        let parsed = parse_frame(&message).unwrap();
        assert!(parsed.tiles().all(|tile| tile.unwrap().whole));
        decoder.apply(&message).unwrap();
        assert_eq!(rgb(&decoder), second, "exact once refined");
        held.subtract(&outcome.exact);
        held.union_with(&outcome.jpeg);
        assert!(held.is_empty());
    }

    #[test]
    fn held_tiles_left_alone_stay_and_gui_changes_stay_exact() {
        let (w, h) = (128, 64); // two 64x64 tiles
        let first = natural(w, h, 0);
        let mut encoder = Encoder::default();
        let mut decoder = Decoder::new();
        let mut message = Vec::new();
        let lossy = Lossy {
            quality: Some(80),
            ..Lossy::default()
        };
        let (_, outcome) =
            encoder.encode_lossy(1, 0, frame(w, h, &first), None, lossy, &mut message);
        decoder.apply(&message).unwrap();
        let jpeg_pixels = decoder.framebuffer().to_vec();
        // A small mark on the left tile (a GUI-like change), nothing on the
        // right one, which is not refined: left sent whole and exact, right
        // untouched.
        let mut second = first.clone();
        for x in 10..20 {
            second[(5 * w as usize + x) * 3..][..3].copy_from_slice(&[255, 0, 0]);
        }
        message.clear();
        let (stats, outcome2) = encoder.encode_lossy(
            2,
            0,
            frame(w, h, &second),
            Some((1, frame(w, h, &first))),
            Lossy {
                held: Some(&outcome.jpeg),
                refine: Some(&TileSet::new()),
                ..lossy
            },
            &mut message,
        );
        assert_eq!((stats.tiles_sent, stats.tiles_jpeg), (1, 0));
        assert_eq!(outcome2.exact, [0].into_iter().collect());
        decoder.apply(&message).unwrap();
        let shown = rgb(&decoder);
        let left = |pixels: &[u8]| -> Vec<u8> {
            pixels
                .chunks_exact(w as usize * 3)
                .flat_map(|row| row[..64 * 3].to_vec())
                .collect()
        };
        assert_eq!(
            left(&shown),
            left(&second),
            "the changed held tile is exact"
        );
        let right = |pixels: &[u8], bpp: usize| -> Vec<u8> {
            pixels
                .chunks_exact(w as usize * bpp)
                .flat_map(|row| row[64 * bpp..].to_vec())
                .collect()
        };
        assert_eq!(
            right(decoder.framebuffer(), 4),
            right(&jpeg_pixels, 4),
            "the other is as it was"
        );
    }

    #[test]
    fn more_slots_than_one_jpeg_holds_take_several_images() {
        // 8x8 tiles have 16x16 slots: 4093 to an image; this frame has 4224.
        let (w, h) = (1024, 264);
        let pixels = natural(w, h, 3);
        let mut encoder = Encoder::with_tile_size(8, 8).unwrap();
        let mut message = Vec::new();
        let lossy = Lossy {
            quality: Some(75),
            ..Lossy::default()
        };
        let (stats, _) =
            encoder.encode_lossy(1, 0, frame(w, h, &pixels), None, lossy, &mut message);
        assert_eq!(stats.tiles_jpeg, 4224);
        let parsed = parse_frame(&message).unwrap();
        let mut tiles = parsed.tiles();
        assert!(tiles
            .by_ref()
            .all(|tile| tile.unwrap().encoding == TileEncoding::Jpeg));
        assert_eq!(tiles.images().count(), 2);
        let mut decoder = Decoder::new();
        decoder.apply(&message).unwrap();
        assert!(max_error(&rgb(&decoder), &pixels) < 48);
    }

    #[test]
    fn rgba_frames_are_always_exact() {
        let pixels: Vec<u8> = natural(64, 64, 0)
            .chunks(3)
            .flat_map(|p| [p[0], p[1], p[2], 9])
            .collect();
        let mut message = Vec::new();
        let lossy = Lossy {
            quality: Some(50),
            ..Lossy::default()
        };
        let rgba = FrameRef::new(64, 64, PixelFormat::Rgba8, &pixels).unwrap();
        let (stats, outcome) =
            Encoder::default().encode_lossy(1, 0, rgba, None, lossy, &mut message);
        assert_eq!((stats.tiles_jpeg, outcome.jpeg.len()), (0, 0));
        let mut decoder = Decoder::new();
        decoder.apply(&message).unwrap();
        assert_eq!(decoder.framebuffer(), &pixels[..]);
    }

    #[test]
    fn value_tiles_go_as_gray_jpeg_of_their_range_and_nan_tiles_stay_exact() {
        let (w, h) = (128u32, 64u32); // two 64x64 tiles
        let field: Vec<f32> = (0..w * h)
            .map(|i| {
                let (x, y) = ((i % w) as f32, (i / w) as f32);
                (x * 0.05).sin() * 40.0 + (y * 0.07).cos() * 25.0 + 1000.0
            })
            .collect();
        let mut with_nan = field.clone();
        with_nan[(10 * w + 100) as usize] = f32::NAN; // in the right tile
        let bytes: Vec<u8> = with_nan.iter().flat_map(|v| v.to_le_bytes()).collect();
        let at = |pixels| FrameRef::new(w, h, PixelFormat::F32, pixels).unwrap();
        let lossy = Lossy {
            quality: Some(90),
            ..Lossy::default()
        };
        let mut message = Vec::new();
        let (stats, outcome) =
            Encoder::default().encode_lossy(1, 0, at(&bytes), None, lossy, &mut message);
        assert_eq!(stats.tiles_jpeg, 1, "the left tile; the right holds a NaN");
        assert_eq!(outcome.jpeg, [0].into_iter().collect());
        let parsed = parse_frame(&message).unwrap();
        let jpeg = parsed
            .tiles()
            .map(|t| t.unwrap())
            .find(|t| t.encoding == TileEncoding::Jpeg)
            .unwrap();
        let lo = f32::from_le_bytes(jpeg.payload[..4].try_into().unwrap());
        let hi = f32::from_le_bytes(jpeg.payload[4..].try_into().unwrap());
        let left: Vec<f32> = (0..64 * 64)
            .map(|i| field[((i / 64) * w + i % 64) as usize])
            .collect();
        let least = left.iter().copied().fold(f32::INFINITY, f32::min);
        let most = left.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        assert_eq!((lo, hi), (least, most), "the tile's own range");

        let mut decoder = Decoder::new();
        decoder.apply(&message).unwrap();
        let shown: Vec<f32> = decoder
            .framebuffer()
            .chunks_exact(4)
            .map(|v| f32::from_le_bytes(v.try_into().unwrap()))
            .collect();
        let step = (hi - lo) / 255.0;
        for (i, (&shown, &published)) in shown.iter().zip(&with_nan).enumerate() {
            if i as u32 % w < 64 {
                assert!(
                    (shown - published).abs() < 4.0 * step,
                    "pixel {i}: {shown} for {published}"
                );
            } else {
                assert_eq!(
                    shown.to_bits(),
                    published.to_bits(),
                    "the NaN tile is exact"
                );
            }
        }
    }

    #[test]
    fn a_16_bit_camera_comes_close_as_jpeg_and_exact_once_refined() {
        let (w, h) = (64u32, 64u32);
        let camera: Vec<u8> = (0..w * h)
            .flat_map(|i| (2000 + (i % w) as u16 * 20 + (i / w) as u16 * 7).to_le_bytes())
            .collect();
        let at = |pixels| FrameRef::new(w, h, PixelFormat::Gray16, pixels).unwrap();
        let lossy = Lossy {
            quality: Some(90),
            ..Lossy::default()
        };
        let mut encoder = Encoder::default();
        let mut message = Vec::new();
        let (_, outcome) = encoder.encode_lossy(1, 0, at(&camera), None, lossy, &mut message);
        let mut decoder = Decoder::new();
        decoder.apply(&message).unwrap();
        let values = |bytes: &[u8]| -> Vec<u16> {
            bytes
                .chunks_exact(2)
                .map(|v| u16::from_le_bytes([v[0], v[1]]))
                .collect()
        };
        let error = values(decoder.framebuffer())
            .iter()
            .zip(values(&camera))
            .map(|(a, b)| a.abs_diff(b))
            .max()
            .unwrap();
        assert!(
            error > 0 && error < 30,
            "close, not exact: off by {error} (a level is 6.9)"
        );
        message.clear();
        encoder.encode_lossy(
            1,
            0,
            at(&camera),
            Some((1, at(&camera))),
            Lossy {
                quality: None,
                held: Some(&outcome.jpeg),
                refine: Some(&outcome.jpeg),
            },
            &mut message,
        );
        decoder.apply(&message).unwrap();
        assert!(decoder.framebuffer() == &camera[..], "exact once refined");
    }

    #[test]
    fn a_value_tiles_range_is_checked() {
        let field: Vec<u8> = (0..64 * 64)
            .flat_map(|i| ((i as f32) * 0.01).sin().to_le_bytes())
            .collect();
        let lossy = Lossy {
            quality: Some(75),
            ..Lossy::default()
        };
        let mut message = Vec::new();
        let frame = FrameRef::new(64, 64, PixelFormat::F32, &field).unwrap();
        Encoder::default().encode_lossy(1, 0, frame, None, lossy, &mut message);
        let range_at = 49 + 9;
        Decoder::new().apply(&message).unwrap();
        for (lo, hi) in [(1.0f32, 0.0f32), (f32::NAN, 1.0), (0.0, f32::INFINITY)] {
            let mut bad = message.clone();
            bad[range_at..range_at + 4].copy_from_slice(&lo.to_le_bytes());
            bad[range_at + 4..range_at + 8].copy_from_slice(&hi.to_le_bytes());
            let error = Decoder::new().apply(&bad).unwrap_err();
            assert!(
                matches!(error, DecodeError::JpegTile { .. }),
                "{lo}..{hi}: {error}"
            );
        }
    }

    /// A one-tile lossy keyframe of 64x64, and where its image record starts.
    fn lossy_keyframe() -> (Vec<u8>, usize) {
        let pixels = natural(64, 64, 0);
        let mut message = Vec::new();
        let lossy = Lossy {
            quality: Some(75),
            ..Lossy::default()
        };
        Encoder::default().encode_lossy(1, 0, frame(64, 64, &pixels), None, lossy, &mut message);
        // Header (49 bytes) and one empty tile record (9).
        (message, 49 + 9)
    }

    #[test]
    fn bad_images_are_errors() {
        let (message, image_at) = lossy_keyframe();
        let apply = |bytes: &[u8]| Decoder::new().apply(bytes).unwrap_err();
        assert!(
            matches!(apply(&message[..image_at]), DecodeError::JpegImages(_)),
            "no image"
        );
        let mut corrupt = message.clone();
        corrupt[image_at + 4..]
            .iter_mut()
            .skip(2)
            .for_each(|b| *b = 0x5a);
        assert!(
            matches!(apply(&corrupt), DecodeError::JpegImages(_)),
            "not a JPEG"
        );
        let mut extra = message.clone();
        extra.extend_from_slice(&message[image_at..]);
        assert!(
            matches!(apply(&extra), DecodeError::JpegImages(_)),
            "two slots, one tile"
        );
        let mut short = message.clone();
        short.pop();
        assert!(matches!(
            apply(&short),
            DecodeError::JpegImages(_) | DecodeError::Truncated { .. }
        ));
        // A JPEG tile in an RGBA frame.
        let mut rgba = message.clone();
        rgba[crate::wire::offset::FORMAT] = PixelFormat::Rgba8 as u8;
        assert!(matches!(apply(&rgba), DecodeError::JpegTile { .. }));
        // A JPEG tile with the whole flag, or a payload.
        let mut flagged = message.clone();
        flagged[49 + crate::wire::offset::TILE_ENCODING] |= crate::wire::WHOLE_FLAG;
        assert!(matches!(
            apply(&flagged),
            DecodeError::UnknownTileEncoding { .. }
        ));
        let mut payload = message;
        payload[49 + crate::wire::offset::TILE_LENGTH] = 1;
        assert!(matches!(apply(&payload), DecodeError::TileLength { .. }));
    }
}
