//! The encoder: a frame and the frame the viewer already has (its base) in,
//! one frame message out.
//!
//! Tiles equal to their base are left out. Every other tile is sent as the
//! XOR of the tile and its base, compressed as one LZ4 block, or stored raw
//! when LZ4 does not shrink it (noise). Without a base, or with a base of
//! another size or format, the base is a black frame and every tile is sent:
//! a keyframe is just a delta with nothing left out.

use crate::error::FrameError;
use crate::frame::{FrameRef, Rect, TileGrid};
use crate::wire::{FrameHeader, TileEncoding, FRAME_HEADER_LEN, TILE_HEADER_LEN};
use crate::{DEFAULT_TILE_SIDE, MAX_TILE_SIDE, MIN_TILE_SIDE};

/// Encodes frames into frame messages. Holds scratch space that is reused
/// from one frame to the next, so keep one per thread.
#[derive(Debug, Clone)]
pub struct Encoder {
    tile_width: u16,
    tile_height: u16,
    /// One tile's XOR bytes, gathered from the frame's rows before compression.
    scratch: Vec<u8>,
    /// One tile's LZ4 block, before it is known to be smaller than raw.
    compressed: Vec<u8>,
    /// Which tiles differ from the base, by index.
    changed: Vec<bool>,
}

/// What [`Encoder::encode`] did, for logs and benchmarks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct EncodeStats {
    /// Whether the message is a keyframe (a delta against black).
    pub keyframe: bool,
    /// Tiles in the frame.
    pub tiles: u32,
    /// Tiles in the message (changed, or all of them for a keyframe).
    pub tiles_sent: u32,
    /// Tiles of those stored raw because LZ4 did not shrink them.
    pub tiles_raw: u32,
    /// Bytes of the message.
    pub bytes: usize,
}

impl Default for Encoder {
    fn default() -> Self {
        Encoder {
            tile_width: DEFAULT_TILE_SIDE,
            tile_height: DEFAULT_TILE_SIDE,
            scratch: Vec::new(),
            compressed: Vec::new(),
            changed: Vec::new(),
        }
    }
}

impl Encoder {
    /// An encoder with tiles of `tile_width x tile_height` pixels.
    pub fn with_tile_size(tile_width: u16, tile_height: u16) -> Result<Self, FrameError> {
        let side_ok = |side: u16| (MIN_TILE_SIDE..=MAX_TILE_SIDE).contains(&side);
        if !side_ok(tile_width) || !side_ok(tile_height) {
            return Err(FrameError::TileSize {
                tile_width,
                tile_height,
            });
        }
        Ok(Encoder {
            tile_width,
            tile_height,
            scratch: Vec::new(),
            compressed: Vec::new(),
            changed: Vec::new(),
        })
    }

    /// Appends a keyframe message for `frame` to `out`.
    pub fn encode_keyframe(
        &mut self,
        seq: u64,
        capture_us: u64,
        frame: FrameRef<'_>,
        out: &mut Vec<u8>,
    ) -> EncodeStats {
        self.encode(seq, capture_us, frame, None, out)
    }

    /// Appends a frame message for `frame` to `out`: a delta against `base`
    /// (its sequence number and pixels), or a keyframe when `base` is `None`,
    /// has sequence 0, or differs in size or format.
    ///
    /// `seq` must be above zero; 0 names the black frame keyframes are deltas
    /// against.
    pub fn encode(
        &mut self,
        seq: u64,
        capture_us: u64,
        frame: FrameRef<'_>,
        base: Option<(u64, FrameRef<'_>)>,
        out: &mut Vec<u8>,
    ) -> EncodeStats {
        debug_assert!(seq > 0, "sequence 0 is the black frame");
        let base = base.filter(|(base_seq, base)| *base_seq != 0 && base.same_geometry(&frame));
        let grid = TileGrid::new(
            frame.width(),
            frame.height(),
            self.tile_width,
            self.tile_height,
        )
        .expect("FrameRef and Encoder check their sizes when made");
        let start = out.len();
        FrameHeader {
            seq,
            base_seq: base.map_or(0, |(base_seq, _)| base_seq),
            capture_us,
            width: frame.width(),
            height: frame.height(),
            tile_width: self.tile_width,
            tile_height: self.tile_height,
            format: frame.format(),
            tile_count: 0, // patched below, once known
        }
        .write(out);

        let mut stats = EncodeStats {
            keyframe: base.is_none(),
            tiles: grid.len(),
            ..EncodeStats::default()
        };
        let bpp = frame.format().bytes_per_pixel();
        let tile_bytes = |rect: Rect| rect.width as usize * rect.height as usize * bpp;
        let most_bytes = match base {
            Some((_, base)) => {
                mark_changed_tiles(&frame, &base, &grid, &mut self.changed);
                grid.tiles()
                    .filter(|(index, _)| self.changed[*index as usize])
                    .map(|(_, rect)| TILE_HEADER_LEN + tile_bytes(rect))
                    .sum()
            }
            None => grid.len() as usize * TILE_HEADER_LEN + frame.pixels().len(),
        };
        // No payload is larger than its raw tile, so this is enough: the
        // message never grows by reallocation.
        out.reserve(most_bytes);
        for (index, rect) in grid.tiles() {
            if base.is_some() && !self.changed[index as usize] {
                continue;
            }
            self.scratch.clear();
            append_xor(&frame, base.map(|(_, base)| base), rect, &mut self.scratch);
            let raw = self.write_tile(index, out);
            stats.tiles_sent += 1;
            stats.tiles_raw += u32::from(raw);
        }

        let count_at = start + FRAME_HEADER_LEN - 4;
        out[count_at..count_at + 4].copy_from_slice(&stats.tiles_sent.to_le_bytes());
        stats.bytes = out.len() - start;
        stats
    }

    /// Appends the tile record for the XOR bytes in `scratch`: their LZ4
    /// block when it is smaller, else the bytes themselves. Returns whether
    /// the tile went raw.
    ///
    /// (Gathering straight into `out` and compressing from there saves a copy
    /// of raw tiles but measured slower on noise: compressing from a small
    /// buffer that stays in cache wins.)
    fn write_tile(&mut self, index: u32, out: &mut Vec<u8>) -> bool {
        let raw_len = self.scratch.len();
        // The block goes into a buffer kept at the worst-case size, so no
        // tile pays for zeroing one.
        let max_len = lz4_flex::block::get_maximum_output_size(raw_len);
        if self.compressed.len() < max_len {
            self.compressed.resize(max_len, 0);
        }
        let compressed = lz4_flex::block::compress_into(&self.scratch, &mut self.compressed)
            .ok()
            .filter(|&len| len < raw_len);
        let (encoding, payload) = match compressed {
            Some(len) => (TileEncoding::Lz4, &self.compressed[..len]),
            None => (TileEncoding::Raw, &self.scratch[..]),
        };
        out.extend_from_slice(&index.to_le_bytes());
        out.push(encoding as u8);
        out.extend_from_slice(&(payload.len() as u32).to_le_bytes());
        out.extend_from_slice(payload);
        encoding == TileEncoding::Raw
    }
}

/// Appends the tile's bytes XOR the base's (or the tile's bytes alone, for a
/// keyframe) to `out`, row after row.
fn append_xor(frame: &FrameRef<'_>, base: Option<FrameRef<'_>>, rect: Rect, out: &mut Vec<u8>) {
    for row in tile_rows(frame, rect) {
        let at = out.len();
        // Copy, then XOR in place: both loops vectorize.
        out.extend_from_slice(&frame.pixels()[row.clone()]);
        if let Some(base) = base {
            out[at..]
                .iter_mut()
                .zip(&base.pixels()[row])
                .for_each(|(byte, old)| *byte ^= old);
        }
    }
}

/// The byte ranges of a tile's rows in a frame's pixels.
fn tile_rows(frame: &FrameRef<'_>, rect: Rect) -> impl Iterator<Item = std::ops::Range<usize>> {
    let bpp = frame.format().bytes_per_pixel();
    let stride = frame.stride();
    let left = rect.x as usize * bpp;
    let row_len = rect.width as usize * bpp;
    (rect.y as usize..(rect.y + rect.height) as usize).map(move |y| {
        let start = y * stride + left;
        start..start + row_len
    })
}

/// Sets `changed[index]` for every tile that differs from the base.
///
/// Each row is compared whole first: one long comparison, about as fast as
/// reading both frames, settles the rows that did not change (all of them in
/// a static frame, most of them when a sprite moves). Only a row that differs
/// is compared tile by tile, skipping tiles already known to have changed.
fn mark_changed_tiles(
    frame: &FrameRef<'_>,
    base: &FrameRef<'_>,
    grid: &TileGrid,
    changed: &mut Vec<bool>,
) {
    changed.clear();
    changed.resize(grid.len() as usize, false);
    let (new, old) = (frame.pixels(), base.pixels());
    let stride = frame.stride();
    let (tile_width, tile_height) = grid.tile_size();
    let tile_bytes = tile_width as usize * frame.format().bytes_per_pixel();
    let columns = grid.columns() as usize;
    for (y, (new_row, old_row)) in new
        .chunks_exact(stride)
        .zip(old.chunks_exact(stride))
        .enumerate()
    {
        if new_row == old_row {
            continue;
        }
        let first = y / tile_height as usize * columns;
        let segments = new_row.chunks(tile_bytes).zip(old_row.chunks(tile_bytes));
        for (flag, (new_segment, old_segment)) in
            changed[first..first + columns].iter_mut().zip(segments)
        {
            *flag = *flag || new_segment != old_segment;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::{parse_frame, FRAME_HEADER_LEN};
    use crate::PixelFormat;

    fn frame(pixels: &[u8]) -> FrameRef<'_> {
        FrameRef::new(100, 70, PixelFormat::Rgb8, pixels).unwrap()
    }

    #[test]
    fn unchanged_frame_is_just_a_header() {
        let pixels: Vec<u8> = (0..100 * 70 * 3).map(|i| (i % 251) as u8).collect();
        let mut out = Vec::new();
        let stats =
            Encoder::default().encode(2, 0, frame(&pixels), Some((1, frame(&pixels))), &mut out);
        assert_eq!(out.len(), FRAME_HEADER_LEN);
        assert_eq!(
            (stats.keyframe, stats.tiles, stats.tiles_sent),
            (false, 4, 0)
        );
        assert!(out.len() <= 64, "a static frame costs a few dozen bytes");
    }

    #[test]
    fn only_changed_tiles_are_sent() {
        let base = vec![10u8; 100 * 70 * 3];
        let mut new = base.clone();
        let (x, y) = (80, 66); // inside tile 3, the bottom-right one
        new[(y * 100 + x) * 3] = 99;
        let mut out = Vec::new();
        let stats = Encoder::default().encode(2, 0, frame(&new), Some((1, frame(&base))), &mut out);
        assert_eq!(stats.tiles_sent, 1);
        let message = parse_frame(&out).unwrap();
        assert_eq!(message.header.base_seq, 1);
        let indices: Vec<u32> = message.tiles().map(|t| t.unwrap().index).collect();
        assert_eq!(indices, [3]);
    }

    #[test]
    fn base_of_another_size_gives_a_keyframe() {
        let small = vec![0u8; 10 * 10 * 3];
        let big = vec![0u8; 100 * 70 * 3];
        let base = FrameRef::new(10, 10, PixelFormat::Rgb8, &small).unwrap();
        let mut out = Vec::new();
        let stats = Encoder::default().encode(2, 0, frame(&big), Some((1, base)), &mut out);
        assert!(stats.keyframe);
        assert_eq!(stats.tiles_sent, 4);
        assert_eq!(parse_frame(&out).unwrap().header.base_seq, 0);
    }

    #[test]
    fn incompressible_tiles_go_raw() {
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let noise: Vec<u8> = (0..100 * 70 * 3)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                state as u8
            })
            .collect();
        let mut out = Vec::new();
        let stats = Encoder::default().encode_keyframe(1, 0, frame(&noise), &mut out);
        assert_eq!(stats.tiles_raw, 4);
        assert!(parse_frame(&out).unwrap().tiles().all(|t| t.is_ok()));
    }

    #[test]
    fn tile_size_is_checked() {
        assert!(Encoder::with_tile_size(64, 7).is_err());
        assert!(Encoder::with_tile_size(128, 32).is_ok());
    }
}
