//! The decoder: applies frame messages, in order, to an RGBA framebuffer it
//! owns, expanding RGB8 sources to RGBA with opaque alpha.

use crate::error::DecodeError;
use crate::frame::{PixelFormat, Rect};
use crate::wire::{parse_frame, FrameMessage, Scroll, TileEncoding, TileRecord};

/// Holds the viewer's framebuffer and the sequence number of the frame in it.
#[derive(Debug, Default, Clone)]
pub struct Decoder {
    /// RGBA8, `4 * width * height` bytes, row-major. Empty until a keyframe.
    framebuffer: Vec<u8>,
    width: u32,
    height: u32,
    /// Source format of the frames being applied; decides the XOR layout.
    format: Option<PixelFormat>,
    /// Sequence of the frame in `framebuffer`; `None` until a keyframe and
    /// after an error that may have left a frame half applied.
    held: Option<u64>,
    /// One LZ4 tile's decompressed XOR bytes.
    scratch: Vec<u8>,
}

/// What [`Decoder::apply`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameInfo {
    /// The frame's sequence number; the framebuffer now holds this frame.
    pub seq: u64,
    /// The frame it was a delta against (0: a keyframe).
    pub base_seq: u64,
    /// Capture time, microseconds since the Unix epoch (0 if unknown).
    pub capture_us: u64,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// Source pixel format.
    pub format: PixelFormat,
    /// Smallest rectangle covering every changed tile (empty if none).
    pub dirty: Rect,
    /// Tiles in the message.
    pub tiles: u32,
    /// Whether the framebuffer changed size (repaint and resize the canvas).
    pub resized: bool,
}

impl Decoder {
    /// A decoder holding no frame; the first message it accepts is a keyframe.
    pub fn new() -> Self {
        Decoder::default()
    }

    /// The RGBA framebuffer, `4 * width * height` bytes.
    pub fn framebuffer(&self) -> &[u8] {
        &self.framebuffer
    }

    /// Width of the framebuffer (0 before the first keyframe).
    pub fn width(&self) -> u32 {
        self.width
    }

    /// Height of the framebuffer (0 before the first keyframe).
    pub fn height(&self) -> u32 {
        self.height
    }

    /// Sequence number of the frame held, if any.
    pub fn held_seq(&self) -> Option<u64> {
        self.held
    }

    /// Applies one frame message.
    ///
    /// A delta must be against the frame held (else
    /// [`DecodeError::BaseMismatch`], and nothing changes). On any other error
    /// the framebuffer may be half updated, so the decoder then holds no frame
    /// and accepts only a keyframe.
    pub fn apply(&mut self, message: &[u8]) -> Result<FrameInfo, DecodeError> {
        let frame = parse_frame(message)?;
        let header = frame.header;
        if !header.is_keyframe() {
            if self.held != Some(header.base_seq) {
                return Err(DecodeError::BaseMismatch {
                    base_seq: header.base_seq,
                    held: self.held,
                });
            }
            if (header.width, header.height, Some(header.format))
                != (self.width, self.height, self.format)
            {
                self.held = None;
                return Err(DecodeError::GeometryMismatch {
                    width: header.width,
                    height: header.height,
                    format: header.format,
                });
            }
        }
        self.held = None;
        let resized = header.is_keyframe() && self.reset(&frame);
        let dirty = self.apply_tiles(&frame)?;
        self.held = Some(header.seq);
        Ok(FrameInfo {
            seq: header.seq,
            base_seq: header.base_seq,
            capture_us: header.capture_us,
            width: header.width,
            height: header.height,
            format: header.format,
            dirty,
            tiles: header.tile_count,
            resized,
        })
    }

    /// Makes the framebuffer a black frame of the keyframe's size and format;
    /// returns whether the size changed.
    fn reset(&mut self, frame: &FrameMessage<'_>) -> bool {
        let header = frame.header;
        let resized = (header.width, header.height) != (self.width, self.height);
        let len = 4 * header.width as usize * header.height as usize;
        self.framebuffer.resize(len, 0);
        // Black in the source format: RGB's implied alpha is opaque, and an
        // RGBA source's alpha channel is XORed like any other.
        let black: [u8; 4] = match header.format {
            PixelFormat::Rgb8 => [0, 0, 0, 255],
            PixelFormat::Rgba8 => [0, 0, 0, 0],
        };
        for pixel in self.framebuffer.chunks_exact_mut(4) {
            pixel.copy_from_slice(&black);
        }
        self.width = header.width;
        self.height = header.height;
        self.format = Some(header.format);
        resized
    }

    fn apply_tiles(&mut self, frame: &FrameMessage<'_>) -> Result<Rect, DecodeError> {
        let mut dirty = Rect::default();
        if let Some(scroll) = frame.scroll {
            dirty = self.scroll(scroll);
        }
        for tile in frame.tiles() {
            let tile = tile?;
            let rect = frame.grid.tile(tile.index);
            let delta = decompress(&tile, rect, frame.header.format, &mut self.scratch)?;
            xor_tile(
                &mut self.framebuffer,
                self.width,
                rect,
                frame.header.format,
                delta,
            );
            dirty = dirty.union(rect);
        }
        Ok(dirty)
    }
}

impl Decoder {
    /// Moves the scroll's band of rows (one `memmove`); returns the band.
    fn scroll(&mut self, scroll: Scroll) -> Rect {
        let stride = 4 * self.width as usize;
        let (top, bottom) = (scroll.top as usize, scroll.bottom as usize);
        let moved = scroll.dy.unsigned_abs() as usize;
        let (from, to) = if scroll.dy > 0 {
            (top + moved..bottom, top) // content moves up
        } else {
            (top..bottom - moved, top + moved)
        };
        self.framebuffer
            .copy_within(from.start * stride..from.end * stride, to * stride);
        Rect {
            x: 0,
            y: scroll.top,
            width: self.width,
            height: scroll.bottom - scroll.top,
        }
    }
}

/// The tile's XOR bytes: the payload itself, or it decompressed into `scratch`.
fn decompress<'a>(
    tile: &TileRecord<'a>,
    rect: Rect,
    format: PixelFormat,
    scratch: &'a mut Vec<u8>,
) -> Result<&'a [u8], DecodeError> {
    match tile.encoding {
        // The wire module has checked that a raw payload is exactly one tile.
        TileEncoding::Raw => Ok(tile.payload),
        TileEncoding::Lz4 => {
            let len = rect.width as usize * rect.height as usize * format.bytes_per_pixel();
            scratch.resize(len, 0);
            let written =
                lz4_flex::block::decompress_into(tile.payload, scratch).map_err(|error| {
                    DecodeError::Lz4 {
                        index: tile.index,
                        reason: error.to_string(),
                    }
                })?;
            if written != len {
                return Err(DecodeError::Lz4 {
                    index: tile.index,
                    reason: format!("decompressed to {written} bytes, the tile has {len}"),
                });
            }
            Ok(scratch)
        }
    }
}

/// XORs a tile's bytes (in the source format) into the RGBA framebuffer.
fn xor_tile(framebuffer: &mut [u8], fb_width: u32, rect: Rect, format: PixelFormat, delta: &[u8]) {
    let bpp = format.bytes_per_pixel();
    let src_row_len = rect.width as usize * bpp;
    let dst_row_len = rect.width as usize * 4;
    for (row, src) in delta.chunks_exact(src_row_len).enumerate() {
        let start = ((rect.y as usize + row) * fb_width as usize + rect.x as usize) * 4;
        let dst = &mut framebuffer[start..start + dst_row_len];
        match format {
            PixelFormat::Rgba8 => dst.iter_mut().zip(src).for_each(|(d, s)| *d ^= s),
            PixelFormat::Rgb8 => {
                // Eight pixels at a time: 24 source bytes as three 64-bit
                // words become four words of two RGBA pixels each (alpha
                // bytes zero), XORed into the framebuffer.
                let mut dst_quads = dst.chunks_exact_mut(32);
                let mut src_quads = src.chunks_exact(24);
                for (d, s) in (&mut dst_quads).zip(&mut src_quads) {
                    let word = |at: usize| {
                        u64::from_le_bytes(s[at..at + 8].try_into().expect("eight bytes"))
                    };
                    let (a, b, c) = (word(0), word(8), word(16));
                    const RGB: u64 = 0x00ff_ffff;
                    let pixel = |n: u64| match n {
                        0 => a & RGB,
                        1 => (a >> 24) & RGB,
                        2 => (a >> 48) | ((b & 0xff) << 16),
                        3 => (b >> 8) & RGB,
                        4 => (b >> 32) & RGB,
                        5 => (b >> 56) | ((c & 0xffff) << 8),
                        6 => (c >> 16) & RGB,
                        _ => c >> 40,
                    };
                    for (n, d) in (0..4).zip(d.chunks_exact_mut(8)) {
                        let pair = pixel(2 * n) | (pixel(2 * n + 1) << 32);
                        let old = u64::from_le_bytes(d[..8].try_into().expect("eight bytes"));
                        d.copy_from_slice(&(old ^ pair).to_le_bytes());
                    }
                }
                let rest = dst_quads.into_remainder().chunks_exact_mut(4);
                for (d, s) in rest.zip(src_quads.remainder().chunks_exact(3)) {
                    d[0] ^= s[0];
                    d[1] ^= s[1];
                    d[2] ^= s[2];
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Encoder, FrameRef};

    fn keyframe(seq: u64, width: u32, height: u32, fill: u8) -> Vec<u8> {
        let pixels = vec![fill; (width * height * 3) as usize];
        let mut out = Vec::new();
        Encoder::default().encode_keyframe(
            seq,
            0,
            FrameRef::new(width, height, PixelFormat::Rgb8, &pixels).unwrap(),
            &mut out,
        );
        out
    }

    #[test]
    fn delta_before_keyframe_is_refused() {
        let mut decoder = Decoder::new();
        let mut message = keyframe(5, 16, 16, 1);
        message[16] = 4; // base_seq = 4: a delta
        assert_eq!(
            decoder.apply(&message).unwrap_err(),
            DecodeError::BaseMismatch {
                base_seq: 4,
                held: None
            }
        );
    }

    #[test]
    fn keyframe_resizes_and_fills() {
        let mut decoder = Decoder::new();
        let info = decoder.apply(&keyframe(1, 20, 10, 7)).unwrap();
        assert!(info.resized);
        assert_eq!(
            info.dirty,
            Rect {
                x: 0,
                y: 0,
                width: 20,
                height: 10
            }
        );
        assert_eq!(decoder.framebuffer().len(), 20 * 10 * 4);
        assert!(decoder.framebuffer().chunks(4).all(|p| p == [7, 7, 7, 255]));

        let info = decoder.apply(&keyframe(2, 20, 10, 9)).unwrap();
        assert!(!info.resized);
        let info = decoder.apply(&keyframe(3, 30, 10, 9)).unwrap();
        assert!(info.resized);
        assert_eq!(decoder.held_seq(), Some(3));
    }

    #[test]
    fn corrupt_lz4_drops_the_held_frame() {
        let mut decoder = Decoder::new();
        decoder.apply(&keyframe(1, 16, 16, 3)).unwrap();
        let mut message = keyframe(2, 16, 16, 3);
        // The one tile is uniform, so it is LZ4; break its payload.
        let payload_at = crate::wire::FRAME_HEADER_LEN + crate::wire::TILE_HEADER_LEN;
        assert_eq!(message[payload_at - 5], TileEncoding::Lz4 as u8);
        message[payload_at] = 0xff;
        message.truncate(payload_at + 1);
        let len_at = payload_at - 4;
        message[len_at..payload_at].copy_from_slice(&1u32.to_le_bytes());
        assert!(matches!(
            decoder.apply(&message),
            Err(DecodeError::Lz4 { index: 0, .. })
        ));
        assert_eq!(decoder.held_seq(), None);
    }

    #[test]
    fn delta_with_other_geometry_is_refused() {
        let mut decoder = Decoder::new();
        decoder.apply(&keyframe(1, 16, 16, 3)).unwrap();
        let mut message = keyframe(2, 32, 16, 3);
        message[16] = 1; // a delta against frame 1, but 32 wide
        assert!(matches!(
            decoder.apply(&message),
            Err(DecodeError::GeometryMismatch { width: 32, .. })
        ));
        assert_eq!(decoder.held_seq(), None);
    }

    #[test]
    fn lz4_of_wrong_length_is_refused() {
        let mut decoder = Decoder::new();
        let mut message = keyframe(1, 16, 16, 0);
        // Replace the one tile's payload by a valid LZ4 block of one byte too few.
        let payload_at = crate::wire::FRAME_HEADER_LEN + crate::wire::TILE_HEADER_LEN;
        message.truncate(payload_at);
        let short = lz4_flex::block::compress(&vec![0u8; 16 * 16 * 3 - 1]);
        message.extend_from_slice(&short);
        message[payload_at - 4..payload_at].copy_from_slice(&(short.len() as u32).to_le_bytes());
        assert!(matches!(
            decoder.apply(&message),
            Err(DecodeError::Lz4 { index: 0, .. })
        ));
    }
}
