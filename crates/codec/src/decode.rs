//! The decoder: applies frame messages, in order, to a framebuffer it owns:
//! RGBA, expanding RGB8 sources with opaque alpha (a viewer's, painted onto
//! a canvas), or in the frames' own format (the server's, rebuilding what a
//! producer publishes as deltas). A tile is XORed into the framebuffer or,
//! for the encodings of differences (bit planes, packed), added to it; a
//! whole tile or a JPEG tile replaces what the framebuffer had there.

use wide::u8x16;

use crate::colormap::Range;
use crate::error::DecodeError;
use crate::frame::{FrameRef, PixelFormat, Rect};
use crate::jpeg;
use crate::lz4;
use crate::packed;
use crate::planes::{self, unzigzag, unzigzag16, unzigzag8};
use crate::samples::{self, Prediction};
use crate::wire::{jpeg_slot, parse_frame, FrameMessage, Images, Scroll, TileEncoding, TileRecord};

/// Holds a framebuffer and the sequence number of the frame in it.
#[derive(Debug, Default, Clone)]
pub struct Decoder {
    /// `width * height` pixels of `layout`, row-major. Empty until a keyframe.
    framebuffer: Vec<u8>,
    layout: Layout,
    width: u32,
    height: u32,
    /// Source format of the frames being applied; decides the tiles' layout.
    format: Option<PixelFormat>,
    /// Sequence of the frame in `framebuffer`; `None` until a keyframe and
    /// after an error that may have left a frame half applied.
    held: Option<u64>,
    /// One compressed tile's payload, inflated.
    inflated: Vec<u8>,
    /// A bit-plane or packed tile's differences, back in byte order.
    differences: Vec<u8>,
    /// A wide-sample tile's differences, back in sample order.
    joined: Vec<u8>,
    /// A packed tile's group widths.
    widths: Vec<u8>,
    /// The JPEG tiles of the message being applied, in slot order, with
    /// their range (a frame of values; unused for RGB8).
    jpeg_tiles: Vec<(u32, Range)>,
    /// One JPEG image, decoded (RGB).
    jpeg_pixels: Vec<u8>,
}

/// Bytes of decoded JPEG pixels a [`Decoder`] keeps as scratch between
/// messages: eight 128x128 slots, RGB.
const JPEG_SCRATCH_KEPT: usize = 8 * 128 * 128 * 3;

/// How a [`Decoder`] lays out its framebuffer.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// RGBA8 for the colour formats, RGB8 frames with opaque alpha: what a
    /// canvas paints. Frames of a value format are held as their values
    /// (as [`Layout::Source`]), which a viewer maps to colours itself (see
    /// [`crate::colormap`]).
    #[default]
    Rgba,
    /// The frames' own format (3 bytes a pixel for RGB8, 4 for RGBA8): the
    /// frames exactly as their producer had them.
    Source,
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
    /// A decoder into RGBA holding no frame; the first message it accepts
    /// is a keyframe.
    pub fn new() -> Self {
        Decoder::default()
    }

    /// A decoder holding no frame whose framebuffer is in the frames' own
    /// format ([`Layout::Source`]).
    pub fn source() -> Self {
        Decoder {
            layout: Layout::Source,
            ..Decoder::default()
        }
    }

    /// The framebuffer: `width * height` pixels, RGBA or in the frames' own
    /// format as the decoder was made.
    pub fn framebuffer(&self) -> &[u8] {
        &self.framebuffer
    }

    /// Width of the framebuffer (0 before the first keyframe).
    pub fn width(&self) -> u32 {
        self.width
    }

    /// Source format of the frames applied (`None` before the first
    /// keyframe).
    pub fn format(&self) -> Option<PixelFormat> {
        self.format
    }

    /// Bytes of memory the decoder holds: its framebuffer and its scratch
    /// buffers (their capacity, not their length).
    pub fn memory_bytes(&self) -> usize {
        self.framebuffer.capacity()
            + self.inflated.capacity()
            + self.differences.capacity()
            + self.joined.capacity()
            + self.jpeg_tiles.capacity() * std::mem::size_of::<(u32, Range)>()
            + self.jpeg_pixels.capacity()
    }

    /// Height of the framebuffer (0 before the first keyframe).
    pub fn height(&self) -> u32 {
        self.height
    }

    /// Sequence number of the frame held, if any.
    pub fn held_seq(&self) -> Option<u64> {
        self.held
    }

    /// Makes `frame` the frame held, as `seq`, as if a keyframe had brought
    /// it: a delta against `seq` applies to it next.
    pub fn hold(&mut self, seq: u64, frame: FrameRef<'_>) {
        self.reset(frame.width(), frame.height(), frame.format());
        let whole = Rect {
            x: 0,
            y: 0,
            width: frame.width(),
            height: frame.height(),
        };
        combine_tile::<Replace>(
            &mut self.framebuffer,
            self.width,
            self.layout,
            whole,
            frame.format(),
            frame.pixels(),
        );
        self.held = Some(seq);
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
        let resized =
            header.is_keyframe() && self.reset(header.width, header.height, header.format);
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

    /// Makes the framebuffer a black frame of this size and format; returns
    /// whether the size changed. A smaller frame gets a buffer of its own
    /// size: the decoder holds the memory of its frame, not of the largest
    /// it ever held (a server keeps one per producer connection).
    fn reset(&mut self, width: u32, height: u32, format: PixelFormat) -> bool {
        let resized = (width, height) != (self.width, self.height);
        let len = self.layout.bytes_per_pixel(format) * width as usize * height as usize;
        if self.framebuffer.capacity() > len {
            self.framebuffer = Vec::new();
        }
        self.framebuffer.clear();
        self.framebuffer.resize(len, 0);
        // Black in the source format: RGB's implied alpha is opaque, and an
        // RGBA source's alpha channel is XORed like any other.
        if (self.layout, format) == (Layout::Rgba, PixelFormat::Rgb8) {
            for pixel in self.framebuffer.chunks_exact_mut(4) {
                pixel[3] = 255;
            }
        }
        self.width = width;
        self.height = height;
        self.format = Some(format);
        resized
    }

    fn apply_tiles(&mut self, frame: &FrameMessage<'_>) -> Result<Rect, DecodeError> {
        let mut dirty = Rect::default();
        if let Some(scroll) = frame.scroll {
            dirty = self.scroll(scroll);
        }
        let format = frame.header.format;
        let sample_bytes = format.sample_bytes();
        self.jpeg_tiles.clear();
        let mut tiles = frame.tiles();
        for tile in &mut tiles {
            let tile = tile?;
            let rect = frame.grid.tile(tile.index);
            dirty = dirty.union(rect);
            let len = rect.width as usize * rect.height as usize * format.bytes_per_pixel();
            let bytes = match tile.encoding {
                TileEncoding::Jpeg => {
                    let number = |at: usize| {
                        f32::from_le_bytes(tile.payload[at..at + 4].try_into().expect("four bytes"))
                    };
                    // The wire module has checked the range a value tile carries.
                    let range = match tile.payload.len() {
                        0 => Range { lo: 0.0, hi: 0.0 },
                        _ => Range {
                            lo: number(0),
                            hi: number(4),
                        },
                    };
                    self.jpeg_tiles.push((tile.index, range));
                    continue;
                }
                // The wire module has checked that a raw payload is exactly
                // one tile.
                TileEncoding::Raw => tile.payload,
                TileEncoding::Lz4 => inflate(&tile, len, &mut self.inflated)?,
                TileEncoding::Planes | TileEncoding::UpPlanes => {
                    let planes = inflate(&tile, len, &mut self.inflated)?;
                    let differences = crate::scratch(&mut self.differences, len);
                    planes::unshuffle_into(planes, differences);
                    let up = tile.encoding == TileEncoding::UpPlanes;
                    let row_len = rect.width as usize * format.bytes_per_pixel();
                    if sample_bytes == 1 {
                        undo_differences(differences, row_len, up);
                        differences
                    } else {
                        let joined = crate::scratch(&mut self.joined, len);
                        let prediction = if up { Prediction::Up } else { Prediction::None };
                        let width = rect.width as usize;
                        samples::join_planes(sample_bytes, differences, width, prediction, joined);
                        joined
                    }
                }
                TileEncoding::Packed | TileEncoding::UpPacked | TileEncoding::PlanarPacked => {
                    let differences = crate::scratch(&mut self.differences, len);
                    let up = tile.encoding == TileEncoding::UpPacked;
                    let unpacked = if sample_bytes == 1 {
                        // Unzigzagged as they are unpacked, sixteen at a time.
                        packed::unpack_into(tile.payload, differences, unzigzag16, &mut self.widths)
                    } else {
                        packed::unpack_into(tile.payload, differences, |x| x, &mut self.widths)
                    };
                    unpacked.map_err(|error| DecodeError::Packed {
                        index: tile.index,
                        reason: error.to_string(),
                    })?;
                    if sample_bytes == 1 {
                        if up {
                            undo_up(differences, rect.width as usize * format.bytes_per_pixel());
                        }
                        differences
                    } else {
                        let joined = crate::scratch(&mut self.joined, len);
                        let prediction = match tile.encoding {
                            TileEncoding::PlanarPacked => Prediction::Planar,
                            TileEncoding::UpPacked => Prediction::Up,
                            _ => Prediction::None,
                        };
                        let width = rect.width as usize;
                        samples::join_planes(sample_bytes, differences, width, prediction, joined);
                        joined
                    }
                }
            };
            let framebuffer = &mut self.framebuffer;
            // A whole tile is a delta against black: XOR or add onto zeros is
            // the bytes themselves.
            match tile.encoding {
                _ if tile.whole => combine_tile::<Replace>(
                    framebuffer,
                    self.width,
                    self.layout,
                    rect,
                    format,
                    bytes,
                ),
                encoding if encoding.adds() => {
                    combine_tile::<Add>(framebuffer, self.width, self.layout, rect, format, bytes)
                }
                _ => combine_tile::<Xor>(framebuffer, self.width, self.layout, rect, format, bytes),
            }
        }
        self.place_jpeg_tiles(frame, tiles.images())?;
        Ok(dirty)
    }
}

impl Decoder {
    /// Decodes the message's JPEG images and copies each slot into the
    /// framebuffer at its JPEG tile: RGB, or for a frame of values the
    /// values its gray levels stand for over the tile's range.
    fn place_jpeg_tiles(
        &mut self,
        frame: &FrameMessage<'_>,
        images: Images<'_>,
    ) -> Result<(), DecodeError> {
        let (tile_width, tile_height) = frame.grid.tile_size();
        let (slot_width, slot_height) = jpeg_slot(tile_width as u16, tile_height as u16);
        let format = frame.header.format;
        let channels = jpeg::slot_bytes(format);
        // What the slots' pixels replace the tile's with.
        let replaced = if format.is_value() {
            format
        } else {
            PixelFormat::Rgb8
        };
        let mut placed = 0;
        for image in images {
            let unplaced = &self.jpeg_tiles[placed..];
            let slots = jpeg::decode(
                image?,
                (slot_width, slot_height),
                unplaced.len(),
                channels,
                &mut self.jpeg_pixels,
            )?;
            let slot_len = (slot_width * slot_height) as usize * channels;
            for (slot, &(index, range)) in self
                .jpeg_pixels
                .chunks_exact(slot_len)
                .zip(&unplaced[..slots])
            {
                let rect = frame.grid.tile(index);
                let row_len = rect.width as usize * channels;
                self.inflated.clear();
                for row in slot
                    .chunks_exact(slot_width as usize * channels)
                    .take(rect.height as usize)
                {
                    if format.is_value() {
                        jpeg::dequantize(format, &row[..row_len], range, &mut self.inflated);
                    } else {
                        self.inflated.extend_from_slice(&row[..row_len]);
                    }
                }
                combine_tile::<Replace>(
                    &mut self.framebuffer,
                    self.width,
                    self.layout,
                    rect,
                    replaced,
                    &self.inflated,
                );
            }
            placed += slots;
        }
        // A JPEG image may be tall (up to 65500 rows); keep no more than a
        // strip's worth of scratch once the message is applied.
        self.jpeg_pixels.clear();
        self.jpeg_pixels.shrink_to(JPEG_SCRATCH_KEPT);
        if placed != self.jpeg_tiles.len() {
            return Err(DecodeError::JpegImages(format!(
                "{} JPEG tiles, the images hold {placed} slots",
                self.jpeg_tiles.len()
            )));
        }
        Ok(())
    }

    /// Moves the scroll's band of rows (one `memmove`); returns the band.
    fn scroll(&mut self, scroll: Scroll) -> Rect {
        let format = self.format.expect("a frame is held");
        let stride = self.layout.bytes_per_pixel(format) * self.width as usize;
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

/// Inflates a compressed tile's payload into `buffer`, which must come out
/// at exactly the tile's `len` bytes; returns those bytes.
///
/// XOR tiles go through lz4_flex's decoder and bit-plane tiles through ours
/// (`lz4.rs`). Measured 2026-11-24 with a release-build loop timing
/// `Decoder::apply` (best of 20) on the delta between the benchmark corpus's
/// 1000x1000 plasma frames 1 and 2, with each decoder in turn: XOR tiles
/// 2.0 ms with lz4_flex's against 3.1 ms with ours (their short matches suit
/// lz4_flex's unchecked copies); bit-plane tiles 3.1 ms with lz4_flex's
/// against 1.6 ms with ours (lz4_flex copies their long runs a byte at a
/// time).
fn inflate<'a>(
    tile: &TileRecord<'_>,
    len: usize,
    buffer: &'a mut Vec<u8>,
) -> Result<&'a [u8], DecodeError> {
    let out = crate::scratch(buffer, len);
    let written = if tile.encoding == TileEncoding::Lz4 {
        lz4_flex::block::decompress_into(tile.payload, out).map_err(|error| error.to_string())
    } else {
        lz4::decompress_into(tile.payload, out).map_err(|error| error.to_string())
    }
    .map_err(|reason| DecodeError::Lz4 {
        index: tile.index,
        reason,
    })?;
    if written != len {
        return Err(DecodeError::Lz4 {
            index: tile.index,
            reason: format!("decompressed to {written} bytes, the tile has {len}"),
        });
    }
    Ok(out)
}

/// Turns a bit-plane tile's bytes, once back in byte order, into the
/// differences to add to the framebuffer: undoes the zigzag and, with `up`,
/// adds to each row the differences of the row above (the encoder
/// subtracted them). Both run a word or a row at a time: nothing here
/// depends on a byte to its left.
fn undo_differences(tile: &mut [u8], row_len: usize, up: bool) {
    let mut words = tile.chunks_exact_mut(8);
    for word in &mut words {
        let x = u64::from_le_bytes((*word).try_into().expect("eight bytes"));
        word.copy_from_slice(&unzigzag8(x).to_le_bytes());
    }
    for byte in words.into_remainder() {
        *byte = unzigzag(*byte);
    }
    if up {
        undo_up(tile, row_len);
    }
}

/// Adds to each row of `tile` the row above it, from the top: the inverse
/// of predicting each difference by the one above.
fn undo_up(tile: &mut [u8], row_len: usize) {
    for y in 1..tile.len() / row_len.max(1) {
        let (above, here) = tile[(y - 1) * row_len..(y + 1) * row_len].split_at_mut(row_len);
        for (here, above) in here.iter_mut().zip(above.iter()) {
            *here = here.wrapping_add(*above);
        }
    }
}

/// How a tile's bytes combine with the framebuffer's.
trait Combine {
    /// Sixteen bytes at once, byte by byte; for RGBA, the tile's alpha
    /// bytes are zero.
    fn vectors(framebuffer: u8x16, tile: u8x16) -> u8x16;
    /// One byte.
    fn byte(framebuffer: u8, tile: u8) -> u8;
    /// A row of samples of `sample_bytes` each in the frames' own format;
    /// byte by byte unless the combination carries between bytes.
    fn samples(framebuffer: &mut [u8], tile: &[u8], _sample_bytes: usize) {
        framebuffer
            .iter_mut()
            .zip(tile)
            .for_each(|(d, s)| *d = Self::byte(*d, *s));
    }
}

/// XOR: the raw and LZ4 encodings.
struct Xor;

impl Combine for Xor {
    fn vectors(framebuffer: u8x16, tile: u8x16) -> u8x16 {
        framebuffer ^ tile
    }

    fn byte(framebuffer: u8, tile: u8) -> u8 {
        framebuffer ^ tile
    }
}

/// Replacement: whole tiles and JPEG tiles. An RGB8 frame's alpha bytes
/// (zero in the tile's words) stay as they are.
struct Replace;

impl Combine for Replace {
    fn vectors(framebuffer: u8x16, tile: u8x16) -> u8x16 {
        const ALPHA: [u8; 16] = [0, 0, 0, 0xff, 0, 0, 0, 0xff, 0, 0, 0, 0xff, 0, 0, 0, 0xff];
        (framebuffer & u8x16::new(ALPHA)) | tile
    }

    fn byte(_framebuffer: u8, tile: u8) -> u8 {
        tile
    }
}

/// Wrapping addition, byte by byte: the encodings of differences.
struct Add;

impl Combine for Add {
    fn vectors(framebuffer: u8x16, tile: u8x16) -> u8x16 {
        framebuffer + tile
    }

    fn byte(framebuffer: u8, tile: u8) -> u8 {
        framebuffer.wrapping_add(tile)
    }

    fn samples(framebuffer: &mut [u8], tile: &[u8], sample_bytes: usize) {
        if sample_bytes == 1 {
            framebuffer
                .iter_mut()
                .zip(tile)
                .for_each(|(d, s)| *d = d.wrapping_add(*s));
        } else {
            samples::add(sample_bytes, framebuffer, tile);
        }
    }
}

impl Layout {
    /// Bytes a pixel of `format` takes in the framebuffer.
    fn bytes_per_pixel(self, format: PixelFormat) -> usize {
        match self {
            Layout::Rgba if !format.is_value() => 4,
            _ => format.bytes_per_pixel(),
        }
    }
}

/// Combines a tile's bytes (in the source format) with the framebuffer's;
/// into RGBA from RGB8 the alpha bytes stay as they are.
fn combine_tile<C: Combine>(
    framebuffer: &mut [u8],
    fb_width: u32,
    layout: Layout,
    rect: Rect,
    format: PixelFormat,
    delta: &[u8],
) {
    let src_row_len = rect.width as usize * format.bytes_per_pixel();
    let fb_bpp = layout.bytes_per_pixel(format);
    let dst_row_len = rect.width as usize * fb_bpp;
    for (row, src) in delta.chunks_exact(src_row_len).enumerate() {
        let start = ((rect.y as usize + row) * fb_width as usize + rect.x as usize) * fb_bpp;
        let dst = &mut framebuffer[start..start + dst_row_len];
        match (layout, format) {
            (Layout::Rgba, PixelFormat::Rgb8) => combine_rgb_into_rgba::<C>(dst, src),
            _ => C::samples(dst, src, format.sample_bytes()),
        }
    }
}

/// Combines a row of RGB8 pixels with a row of RGBA ones, whose alpha bytes
/// stay as they are (the tile's are taken as zero).
///
/// Where there is a byte shuffle (WebAssembly's simd128, the viewer's
/// target): four pixels at a time, twelve source bytes spread into a
/// vector's four RGBA lanes.
#[cfg(target_feature = "simd128")]
fn combine_rgb_into_rgba<C: Combine>(dst: &mut [u8], src: &[u8]) {
    // Lane `i` takes source byte `SPREAD[i]`; an index over 15 gives zero.
    const SPREAD: [u8; 16] = [0, 1, 2, 0x80, 3, 4, 5, 0x80, 6, 7, 8, 0x80, 9, 10, 11, 0x80];
    let spread = u8x16::new(SPREAD);
    // Each step reads sixteen source bytes for its twelve: the row's last
    // pixels go one at a time.
    let steps = (src.len().saturating_sub(4) / 12).min(dst.len() / 16);
    for step in 0..steps {
        let source: [u8; 16] = src[12 * step..][..16].try_into().expect("sixteen bytes");
        let d = &mut dst[16 * step..][..16];
        let old = u8x16::new((&*d).try_into().expect("sixteen bytes"));
        let new = C::vectors(old, u8x16::new(source).shuffle(spread));
        d.copy_from_slice(&new.to_array());
    }
    combine_pixels::<C>(&mut dst[16 * steps..], &src[12 * steps..]);
}

/// Elsewhere (SSE2 has no byte shuffle): eight pixels at a time, their 24
/// bytes read as three 64-bit words and spread into four words of two RGBA
/// pixels each.
#[cfg(not(target_feature = "simd128"))]
fn combine_rgb_into_rgba<C: Combine>(dst: &mut [u8], src: &[u8]) {
    let mut dst_eights = dst.chunks_exact_mut(32);
    let mut src_eights = src.chunks_exact(24);
    for (d, s) in (&mut dst_eights).zip(&mut src_eights) {
        let word = |at: usize| u64::from_le_bytes(s[at..at + 8].try_into().expect("eight bytes"));
        let (a, b, c) = (word(0), word(8), word(16));
        const RGB: u64 = 0x00ff_ffff;
        let pixels = [
            a & RGB,
            (a >> 24) & RGB,
            (a >> 48) | ((b & 0xff) << 16),
            (b >> 8) & RGB,
            (b >> 32) & RGB,
            (b >> 56) | ((c & 0xffff) << 8),
            (c >> 16) & RGB,
            c >> 40,
        ];
        for (n, d) in d.chunks_exact_mut(16).enumerate() {
            let four = |k: usize| pixels[4 * n + k];
            let words = [four(0) | (four(1) << 32), four(2) | (four(3) << 32)];
            let old = u8x16::new(d.try_into().expect("sixteen bytes"));
            let new = C::vectors(old, bytemuck::cast(words));
            d.copy_from_slice(&new.to_array());
        }
    }
    combine_pixels::<C>(dst_eights.into_remainder(), src_eights.remainder());
}

/// Combines RGB8 pixels with RGBA ones one at a time.
fn combine_pixels<C: Combine>(dst: &mut [u8], src: &[u8]) {
    for (d, s) in dst.chunks_exact_mut(4).zip(src.chunks_exact(3)) {
        d[0] = C::byte(d[0], s[0]);
        d[1] = C::byte(d[1], s[1]);
        d[2] = C::byte(d[2], s[2]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::{offset, TILE_HEADER_LEN};
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
        message[offset::BASE_SEQ] = 4; // a delta against frame 4
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
    fn a_smaller_keyframe_gives_back_the_larger_frames_memory() {
        let mut decoder = Decoder::source();
        // A frame message of no tiles may declare the largest frame (black).
        decoder.apply(&keyframe(1, 2048, 1024, 0)).unwrap();
        assert!(decoder.memory_bytes() >= 2048 * 1024 * 3);
        decoder.apply(&keyframe(2, 16, 16, 5)).unwrap();
        assert!(
            decoder.memory_bytes() < 64 * 1024,
            "{} bytes held for a 16x16 frame",
            decoder.memory_bytes()
        );
        let held = decoder.framebuffer().as_ptr();
        decoder.apply(&keyframe(3, 16, 16, 6)).unwrap();
        assert_eq!(
            decoder.framebuffer().as_ptr(),
            held,
            "the same size keeps its buffer"
        );
    }

    #[test]
    fn a_packed_tile_whose_widths_lie_drops_the_held_frame() {
        let (width, height) = (16u32, 16u32);
        let base: Vec<u8> = (0..width * height * 3)
            .map(|i| (i * 7 % 251) as u8)
            .collect();
        // Every byte a little up or down: packed differences.
        let moved: Vec<u8> = base
            .iter()
            .enumerate()
            .map(|(i, &byte)| byte.wrapping_add((i * 5 % 7) as u8).wrapping_sub(3))
            .collect();
        let at = |pixels| FrameRef::new(width, height, PixelFormat::Rgb8, pixels).unwrap();
        let mut encoder = Encoder::default();
        let mut key = Vec::new();
        encoder.encode_keyframe(1, 0, at(&base), &mut key);
        let mut delta = Vec::new();
        encoder.encode(2, 0, at(&moved), Some((1, at(&base))), &mut delta);
        let encoding_at = crate::wire::FRAME_HEADER_LEN + offset::TILE_ENCODING;
        assert_eq!(delta[encoding_at], TileEncoding::Packed as u8);

        let mut decoder = Decoder::new();
        decoder.apply(&key).unwrap();
        decoder.apply(&delta.clone()).unwrap();
        let rgba: Vec<u8> = moved
            .chunks(3)
            .flat_map(|p| [p[0], p[1], p[2], 255])
            .collect();
        assert!(decoder.framebuffer() == &rgba[..], "decodes exactly");

        decoder.apply(&key).unwrap();
        let payload_at = crate::wire::FRAME_HEADER_LEN + TILE_HEADER_LEN;
        delta[payload_at] = (delta[payload_at] & 0xf0) | 9; // group 0 of 9 bits
        assert!(matches!(
            decoder.apply(&delta),
            Err(DecodeError::Packed { index: 0, .. })
        ));
        assert_eq!(decoder.held_seq(), None);
    }

    #[test]
    fn corrupt_lz4_drops_the_held_frame() {
        let mut decoder = Decoder::new();
        decoder.apply(&keyframe(1, 16, 16, 3)).unwrap();
        let mut message = keyframe(2, 16, 16, 3);
        // The one tile is uniform, so it is compressed; break its payload.
        let payload_at = crate::wire::FRAME_HEADER_LEN + crate::wire::TILE_HEADER_LEN;
        let encoding = message[payload_at - TILE_HEADER_LEN + offset::TILE_ENCODING];
        assert!(TileEncoding::from_code(encoding).unwrap().is_compressed());
        message[payload_at] = 0xff;
        message.truncate(payload_at + 1);
        let len_at = payload_at - TILE_HEADER_LEN + offset::TILE_LENGTH;
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
        message[offset::BASE_SEQ] = 1; // a delta against frame 1, but 32 wide
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
