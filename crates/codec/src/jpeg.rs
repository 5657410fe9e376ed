//! JPEG tiles (protocol 3): the lossy tiles of a frame message travel as a
//! few JPEG images after the tile records, each a column of **slots** one
//! tile wide, one tile per slot. A slot is the tile size rounded up to
//! whole 16x16 blocks (a 4:2:0 JPEG's unit), so no block mixes two tiles and
//! a tile's pixels depend on its own slot alone; a tile clipped by the
//! frame's edge fills its slot by repeating its last column and row.
//!
//! Decoding is pure Rust (zune-jpeg) so that the wasm viewer and native
//! tests run the same code; encoding, on the server only, goes through
//! libjpeg-turbo behind the `lossy` feature.

use crate::error::DecodeError;
use crate::frame::Rect;
use zune_core::colorspace::ColorSpace;
use zune_core::options::DecoderOptions;
use zune_jpeg::JpegDecoder;

/// Decodes one JPEG image of slots `slot` (width, height) into `out` as RGB
/// rows, and returns how many slots it holds: at least one and at most
/// `max_slots`. Its width must be the slot width and its height a whole
/// number of slots; nothing larger is allocated.
pub(crate) fn decode(
    image: &[u8],
    slot: (u32, u32),
    max_slots: usize,
    out: &mut Vec<u8>,
) -> Result<usize, DecodeError> {
    let (slot_width, slot_height) = (slot.0 as usize, slot.1 as usize);
    let bad = |reason: String| DecodeError::JpegImages(reason);
    let max_height = (max_slots * slot_height).min(crate::wire::MAX_JPEG_ROWS as usize);
    let options = DecoderOptions::default()
        .set_max_width(slot_width)
        .set_max_height(max_height)
        .jpeg_set_out_colorspace(ColorSpace::RGB);
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
    let len = width * height * 3;
    if decoder.output_buffer_size() != Some(len) {
        return Err(bad("an image does not decode to RGB".into()));
    }
    let out = crate::scratch(out, len);
    decoder
        .decode_into(out)
        .map_err(|error| bad(format!("an image does not decode: {error}")))?;
    Ok(slots)
}

/// Appends the RGB8 tile `rect` of a frame (rows `row(y)` for `y` in
/// `0..rect.height`, each `rect.width * 3` bytes) to `strip` as one slot
/// of `slot` (width, height), repeating its last column and row to fill it.
#[cfg_attr(not(feature = "lossy"), allow(dead_code))]
pub(crate) fn append_slot<'a>(
    rect: Rect,
    slot: (u32, u32),
    row: impl Fn(usize) -> &'a [u8],
    strip: &mut Vec<u8>,
) {
    let (slot_width, slot_height) = (slot.0 as usize, slot.1 as usize);
    let width = rect.width as usize;
    let start = strip.len();
    for y in 0..rect.height as usize {
        let row = &row(y)[..width * 3];
        strip.extend_from_slice(row);
        let last: [u8; 3] = row[row.len() - 3..].try_into().expect("three bytes");
        for _ in width..slot_width {
            strip.extend_from_slice(&last);
        }
    }
    let row_len = slot_width * 3;
    for _ in rect.height as usize..slot_height {
        strip.extend_from_within(strip.len() - row_len..);
    }
    debug_assert_eq!(strip.len() - start, slot_width * slot_height * 3);
}

/// Encodes `strip` (RGB rows `width` pixels wide) as a baseline 4:2:0 JPEG
/// of `quality` (1 to 100) and appends it to `out` as an image record
/// ([`write_image`](crate::wire::write_image)). At most
/// [`MAX_JPEG_ROWS`](crate::wire::MAX_JPEG_ROWS) rows.
#[cfg(feature = "lossy")]
pub(crate) fn encode(strip: &[u8], width: u32, quality: u8, out: &mut Vec<u8>) {
    let width = width as usize;
    let image = turbojpeg::Image {
        pixels: strip,
        width,
        pitch: width * 3,
        height: strip.len() / (width * 3),
        format: turbojpeg::PixelFormat::RGB,
    };
    let jpeg = turbojpeg::compress(
        image,
        i32::from(quality.clamp(1, 100)),
        turbojpeg::Subsamp::Sub2x2,
    )
    .expect("libjpeg-turbo encodes any RGB image within its limits");
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
