//! The encoder: a frame and the frame the viewer already has (its base) in,
//! one frame message out.
//!
//! Tiles equal to their base are left out. Every other tile is sent as the
//! XOR of the tile and its base, compressed as one LZ4 block, or stored raw
//! when LZ4 does not shrink it (noise). Without a base, or with a base of
//! another size or format, the base is a black frame and every tile is sent:
//! a keyframe is just a delta with nothing left out.
//!
//! When most of the frame is the base scrolled (a band of rows moved), a
//! scroll record goes first and the tiles are deltas against the base as
//! moved, so only the uncovered rows cost anything (see `scroll.rs`). The
//! default encoder cuts small changes into 64x64 tiles and big ones into
//! 128x128, remembers which tiles were incompressible so as not to try LZ4
//! on them every frame, and can spread a big change over several threads.

use crate::error::FrameError;
use crate::frame::{FrameRef, Rect, TileGrid};
use crate::scroll;
use crate::wire::{FrameHeader, Scroll, TileEncoding, FRAME_HEADER_LEN, TILE_HEADER_LEN};
use crate::{DEFAULT_TILE_SIDE, MAX_TILE_SIDE, MIN_TILE_SIDE};

/// Encodes frames into frame messages. Holds scratch space that is reused
/// from one frame to the next and remembers which tiles of the frames it saw
/// were incompressible, so keep one per stream (and per thread).
#[derive(Debug, Clone)]
pub struct Encoder {
    tile_width: u16,
    tile_height: u16,
    /// Whether frames that changed a lot (and keyframes) use tiles twice as
    /// wide and tall; see [`Encoder::default`].
    coarse_for_big_changes: bool,
    /// Scratch space of the calling thread, and of each other thread when
    /// tiles are compressed in parallel.
    lanes: Vec<Lane>,
    /// Threads to spread a frame's tiles over when much of it changed.
    threads: usize,
    /// Which tiles differ from the base, by index.
    changed: Vec<bool>,
    /// A second `changed`, swapped with it: the tiles changed against the
    /// scrolled base while deciding on a scroll, then the coarse grid's.
    changed_spare: Vec<bool>,
    /// Per tile index: whether the tile went raw the last time it was tried,
    /// so that a tile of noise does not pay for a failed compression every
    /// frame. Such a tile is stored raw without trying, except on one frame
    /// in [`RAW_RETRY_EVERY`] (staggered across tiles), when LZ4 is tried
    /// again. Forgotten when the number of tiles changes. One per grid: the
    /// fine one and the coarse one.
    went_raw: [Vec<bool>; 2],
    /// Frames encoded, for staggering the retries.
    frames: u64,
}

/// How often (in frames) a tile that went raw is offered to LZ4 again.
pub const RAW_RETRY_EVERY: u64 = 8;

/// A frame whose changed tiles hold fewer bytes than this is encoded on one
/// thread whatever [`Encoder::set_threads`] says: below it, handing work to
/// other threads costs more than it saves.
pub const PARALLEL_MIN_BYTES: usize = 256 * 1024;

/// One thread's scratch space.
#[derive(Debug, Clone, Default)]
struct Lane {
    scratch: Scratch,
    /// The tile records of this lane's share of the frame (other lanes than
    /// the first, which writes straight into the message).
    #[cfg_attr(not(feature = "parallel"), allow(dead_code))]
    records: Vec<u8>,
}

/// Buffers one tile at a time goes through.
#[derive(Debug, Clone, Default)]
struct Scratch {
    /// One tile's XOR bytes, gathered from the frame's rows before compression.
    xor: Vec<u8>,
    /// One tile's LZ4 block, before it is known to be smaller than raw.
    compressed: Vec<u8>,
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
    /// The rows that moved, when the frame scrolled.
    pub scroll: Option<Scroll>,
    /// Bytes of the message.
    pub bytes: usize,
}

impl Default for Encoder {
    /// Tiles of [`DEFAULT_TILE_SIDE`] for frames where less than half of
    /// them changed, and twice that side for the others and for keyframes:
    /// small tiles send and decode less around a small change, large ones
    /// encode a big change faster (fewer LZ4 blocks and row segments). Both
    /// chosen by the tile-size sweep in BENCHMARKS.md.
    fn default() -> Self {
        Encoder {
            tile_width: DEFAULT_TILE_SIDE,
            tile_height: DEFAULT_TILE_SIDE,
            coarse_for_big_changes: true,
            lanes: vec![Lane::default()],
            threads: 1,
            changed: Vec::new(),
            changed_spare: Vec::new(),
            went_raw: [Vec::new(), Vec::new()],
            frames: 0,
        }
    }
}

impl Encoder {
    /// An encoder with tiles of `tile_width x tile_height` pixels, whatever
    /// the frame.
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
            coarse_for_big_changes: false,
            ..Encoder::default()
        })
    }

    /// Spreads the tiles of frames that changed a lot over up to `threads`
    /// threads (rayon's pool; needs the `parallel` feature, else stays at 1).
    /// The message is the same byte for byte whatever the count. Default 1.
    pub fn set_threads(&mut self, threads: usize) {
        self.threads = if cfg!(feature = "parallel") {
            threads.max(1)
        } else {
            1
        };
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
        let grid_of = |tile_width: u16, tile_height: u16| {
            TileGrid::new(frame.width(), frame.height(), tile_width, tile_height)
                .expect("FrameRef and Encoder check their sizes when made")
        };
        let fine = grid_of(self.tile_width, self.tile_height);
        // Which tiles changed, against the base as the viewer will hold it.
        let (base, changed) = match base {
            Some((base_seq, base)) => {
                let (base, changed) = self.choose_base(&frame, base, &fine);
                (Some((base_seq, base)), changed)
            }
            None => (None, 0),
        };
        let big = base.is_none() || changed * 2 >= fine.len() as usize;
        // Exactly twice the side, so that each fine tile lies in one coarse
        // tile (only the default encoder does this: 64 and 128).
        let coarse = (self.coarse_for_big_changes && big)
            .then(|| grid_of(self.tile_width * 2, self.tile_height * 2));
        if let (Some(coarse), Some(_)) = (&coarse, base) {
            coarsen(&self.changed, &fine, coarse, &mut self.changed_spare);
            std::mem::swap(&mut self.changed, &mut self.changed_spare);
        }
        let (grid, went_raw) = match coarse {
            Some(coarse) => (coarse, &mut self.went_raw[1]),
            None => (fine, &mut self.went_raw[0]),
        };
        let (tile_width, tile_height) = grid.tile_size();

        let start = out.len();
        FrameHeader {
            seq,
            base_seq: base.map_or(0, |(base_seq, _)| base_seq),
            capture_us,
            width: frame.width(),
            height: frame.height(),
            tile_width: tile_width as u16,
            tile_height: tile_height as u16,
            format: frame.format(),
            tile_count: 0, // patched below, once known
        }
        .write(out);

        let mut stats = EncodeStats {
            keyframe: base.is_none(),
            tiles: grid.len(),
            ..EncodeStats::default()
        };
        let base = base.map(|(_, base)| base);
        if let Some(scroll) = base.and_then(|base| base.scroll) {
            scroll.write(out);
            stats.scroll = Some(scroll);
        }
        let bpp = frame.format().bytes_per_pixel();
        let tile_bytes = |rect: Rect| rect.width as usize * rect.height as usize * bpp;
        let most_bytes = match base {
            Some(_) => grid
                .tiles()
                .filter(|(index, _)| self.changed[*index as usize])
                .map(|(_, rect)| TILE_HEADER_LEN + tile_bytes(rect))
                .sum(),
            None => grid.len() as usize * TILE_HEADER_LEN + frame.pixels().len(),
        };
        // No payload is larger than its raw tile, so this is enough: the
        // message never grows by reallocation.
        out.reserve(most_bytes);
        if went_raw.len() != grid.len() as usize {
            went_raw.clear();
            went_raw.resize(grid.len() as usize, false);
        }
        self.frames += 1;
        let tiles = Tiles {
            frame,
            base,
            grid: &grid,
            changed: &self.changed,
            frames: self.frames,
        };
        let lanes = if most_bytes >= PARALLEL_MIN_BYTES {
            self.threads.min(grid.len() as usize)
        } else {
            1
        };
        let (sent, raw) = if lanes > 1 {
            encode_parallel(&tiles, lanes, &mut self.lanes, went_raw, out)
        } else {
            tiles.encode(0, went_raw, &mut self.lanes[0].scratch, out)
        };
        stats.tiles_sent = sent;
        stats.tiles_raw = raw;

        let count_at = start + FRAME_HEADER_LEN - 4;
        out[count_at..count_at + 4].copy_from_slice(&stats.tiles_sent.to_le_bytes());
        stats.bytes = out.len() - start;
        stats
    }
}

impl Encoder {
    /// What the tiles are diffed against: the base as it is, or moved by a
    /// scroll when the frame scrolled and the move leaves fewer tiles changed.
    /// Leaves the changed tiles in `self.changed` and returns how many.
    fn choose_base<'a>(
        &mut self,
        frame: &FrameRef<'_>,
        base: FrameRef<'a>,
        grid: &TileGrid,
    ) -> (Base<'a>, usize) {
        let plain = Base {
            frame: base,
            scroll: None,
        };
        let changed = mark_changed_tiles(frame, plain, grid, &mut self.changed);
        // A small change is not a scroll; only then is it worth looking.
        if changed * 2 < grid.len() as usize {
            return (plain, changed);
        }
        let Some(scroll) = scroll::detect(frame, &base) else {
            return (plain, changed);
        };
        let scrolled = Base {
            frame: base,
            scroll: Some(scroll),
        };
        let changed_scrolled = mark_changed_tiles(frame, scrolled, grid, &mut self.changed_spare);
        if changed_scrolled < changed {
            std::mem::swap(&mut self.changed, &mut self.changed_spare);
            (scrolled, changed_scrolled)
        } else {
            (plain, changed)
        }
    }
}

/// What every tile of one frame's encode shares.
struct Tiles<'a> {
    frame: FrameRef<'a>,
    base: Option<Base<'a>>,
    grid: &'a TileGrid,
    /// Which tiles differ from the base (unused for a keyframe).
    changed: &'a [bool],
    /// The encoder's frame count, for staggering retries of raw tiles.
    frames: u64,
}

impl Tiles<'_> {
    /// Appends the records of the tiles `first..first + went_raw.len()` that
    /// are to be sent (changed ones, or all for a keyframe) to `out`; returns
    /// how many were sent and how many of those went raw.
    fn encode(
        &self,
        first: u32,
        went_raw: &mut [bool],
        scratch: &mut Scratch,
        out: &mut Vec<u8>,
    ) -> (u32, u32) {
        let bpp = self.frame.format().bytes_per_pixel();
        let (mut sent, mut raw_count) = (0, 0);
        for (index, went_raw) in (first..).zip(went_raw) {
            if self.base.is_some() && !self.changed[index as usize] {
                continue;
            }
            let rect = self.grid.tile(index);
            let retry = (self.frames + u64::from(index)) % RAW_RETRY_EVERY == 0;
            let raw = if self.base.is_some() && *went_raw && !retry {
                // Known incompressible: XOR straight into the message.
                let len = rect.width as usize * rect.height as usize * bpp;
                write_tile_header(index, TileEncoding::Raw, len, out);
                append_xor(&self.frame, self.base, rect, out);
                true
            } else {
                scratch.xor.clear();
                append_xor(&self.frame, self.base, rect, &mut scratch.xor);
                let raw = write_tile(index, &scratch.xor, &mut scratch.compressed, out);
                // Only deltas teach: a keyframe's tile is the picture itself,
                // which says little about how its changes will compress.
                if self.base.is_some() {
                    *went_raw = raw;
                }
                raw
            };
            sent += 1;
            raw_count += u32::from(raw);
        }
        (sent, raw_count)
    }
}

/// Encodes the frame's tiles as `lanes` runs of consecutive tiles on rayon's
/// pool: the first run straight into `out` on this thread, the others into
/// their lanes' buffers, appended after it in order.
#[cfg(feature = "parallel")]
fn encode_parallel(
    tiles: &Tiles<'_>,
    lanes: usize,
    buffers: &mut Vec<Lane>,
    went_raw: &mut [bool],
    out: &mut Vec<u8>,
) -> (u32, u32) {
    let per_lane = went_raw.len().div_ceil(lanes);
    // Rounding up can leave fewer runs than lanes asked for (15 tiles in 6
    // lanes are 5 runs of 3); only those runs' records are appended below.
    let lanes = went_raw.len().div_ceil(per_lane);
    buffers.resize_with(buffers.len().max(lanes), Lane::default);
    let mut runs = went_raw.chunks_mut(per_lane).zip(buffers.iter_mut());
    let (first_raw, first_lane) = runs.next().expect("at least one tile");
    let mut counts = vec![(0, 0); lanes];
    let (first_count, other_counts) = counts.split_first_mut().expect("two lanes or more");
    rayon::scope(|scope| {
        for (n, ((went_raw, lane), count)) in runs.zip(other_counts).enumerate() {
            scope.spawn(move |_| {
                lane.records.clear();
                let first = ((n + 1) * per_lane) as u32;
                *count = tiles.encode(first, went_raw, &mut lane.scratch, &mut lane.records);
            });
        }
        *first_count = tiles.encode(0, first_raw, &mut first_lane.scratch, out);
    });
    for lane in &buffers[1..lanes] {
        out.extend_from_slice(&lane.records);
    }
    counts
        .iter()
        .fold((0, 0), |(sent, raw), (s, r)| (sent + s, raw + r))
}

/// Without the `parallel` feature there is one lane.
#[cfg(not(feature = "parallel"))]
fn encode_parallel(
    tiles: &Tiles<'_>,
    _lanes: usize,
    buffers: &mut [Lane],
    went_raw: &mut [bool],
    out: &mut Vec<u8>,
) -> (u32, u32) {
    tiles.encode(0, went_raw, &mut buffers[0].scratch, out)
}

/// Appends the tile record for the XOR bytes `xor`: their LZ4 block (made in
/// `compressed`) when it is smaller, else the bytes themselves. Returns
/// whether the tile went raw.
///
/// (Gathering straight into `out` and compressing from there saves a copy of
/// raw tiles but measured slower on noise: compressing from a small buffer
/// that stays in cache wins.)
fn write_tile(index: u32, xor: &[u8], compressed: &mut Vec<u8>, out: &mut Vec<u8>) -> bool {
    // The block goes into a buffer kept at the worst-case size, so no tile
    // pays for zeroing one.
    let max_len = lz4_flex::block::get_maximum_output_size(xor.len());
    if compressed.len() < max_len {
        compressed.resize(max_len, 0);
    }
    let block_len = lz4_flex::block::compress_into(xor, compressed)
        .ok()
        .filter(|&len| len < xor.len());
    let (encoding, payload) = match block_len {
        Some(len) => (TileEncoding::Lz4, &compressed[..len]),
        None => (TileEncoding::Raw, xor),
    };
    write_tile_header(index, encoding, payload.len(), out);
    out.extend_from_slice(payload);
    encoding == TileEncoding::Raw
}

/// Appends a tile record's header; its `len` bytes of payload follow.
fn write_tile_header(index: u32, encoding: TileEncoding, len: usize, out: &mut Vec<u8>) {
    out.extend_from_slice(&index.to_le_bytes());
    out.push(encoding as u8);
    out.extend_from_slice(&(len as u32).to_le_bytes());
}

/// The frame a delta is against as the viewer will hold it when the tiles
/// apply: the base, with a band of its rows moved when the frame scrolled.
#[derive(Debug, Clone, Copy)]
struct Base<'a> {
    frame: FrameRef<'a>,
    scroll: Option<Scroll>,
}

impl<'a> Base<'a> {
    /// Row `y`, whole.
    fn row(&self, y: usize) -> &'a [u8] {
        let source = self
            .scroll
            .map_or(y, |scroll| scroll.source_row(y as u32) as usize);
        let stride = self.frame.stride();
        &self.frame.pixels()[source * stride..][..stride]
    }
}

/// Appends the tile's bytes XOR the base's (or the tile's bytes alone, for a
/// keyframe) to `out`, row after row.
fn append_xor(frame: &FrameRef<'_>, base: Option<Base<'_>>, rect: Rect, out: &mut Vec<u8>) {
    let bpp = frame.format().bytes_per_pixel();
    let columns = rect.x as usize * bpp..(rect.x + rect.width) as usize * bpp;
    let stride = frame.stride();
    for y in rect.y as usize..(rect.y + rect.height) as usize {
        let new = &frame.pixels()[y * stride..][columns.clone()];
        match base {
            // One pass: a zip of two slices has an exact length, so this
            // extend reserves once and vectorizes.
            Some(base) => out.extend(
                new.iter()
                    .zip(&base.row(y)[columns.clone()])
                    .map(|(new, old)| new ^ old),
            ),
            None => out.extend_from_slice(new),
        }
    }
}

/// Sets `coarse_changed` from `fine_changed`: a tile of `coarse` (twice the
/// side of `fine`'s, or the frame's size) changed if any of the fine tiles
/// it covers did.
fn coarsen(
    fine_changed: &[bool],
    fine: &TileGrid,
    coarse: &TileGrid,
    coarse_changed: &mut Vec<bool>,
) {
    coarse_changed.clear();
    coarse_changed.resize(coarse.len() as usize, false);
    let (fine_width, fine_height) = fine.tile_size();
    let (coarse_width, coarse_height) = coarse.tile_size();
    let (fine_columns, coarse_columns) = (fine.columns() as usize, coarse.columns() as usize);
    for (index, _) in fine_changed
        .iter()
        .enumerate()
        .filter(|(_, &changed)| changed)
    {
        let x = (index % fine_columns) as u32 * fine_width / coarse_width;
        let y = (index / fine_columns) as u32 * fine_height / coarse_height;
        coarse_changed[y as usize * coarse_columns + x as usize] = true;
    }
}

/// Sets `changed[index]` for every tile that differs from the base; returns
/// how many do.
///
/// Each row is compared whole first: one long comparison, about as fast as
/// reading both frames, settles the rows that did not change (all of them in
/// a static frame, most of them when a sprite moves). Only a row that differs
/// is compared tile by tile, skipping tiles already known to have changed.
fn mark_changed_tiles(
    frame: &FrameRef<'_>,
    base: Base<'_>,
    grid: &TileGrid,
    changed: &mut Vec<bool>,
) -> usize {
    changed.clear();
    changed.resize(grid.len() as usize, false);
    let (tile_width, tile_height) = grid.tile_size();
    let tile_bytes = tile_width as usize * frame.format().bytes_per_pixel();
    let columns = grid.columns() as usize;
    for (y, new_row) in frame.pixels().chunks_exact(frame.stride()).enumerate() {
        let old_row = base.row(y);
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
    changed.iter().filter(|&&changed| changed).count()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::{parse_frame, FRAME_HEADER_LEN};
    use crate::PixelFormat;

    /// Test frames: 2x2 tiles of the default side, the right and bottom
    /// ones partial.
    const W: usize = DEFAULT_TILE_SIDE as usize * 3 / 2;
    const H: usize = DEFAULT_TILE_SIDE as usize * 5 / 4;

    /// Tiles of the default side whatever the frame.
    fn fixed() -> Encoder {
        Encoder::with_tile_size(DEFAULT_TILE_SIDE, DEFAULT_TILE_SIDE).unwrap()
    }

    fn frame(pixels: &[u8]) -> FrameRef<'_> {
        FrameRef::new(W as u32, H as u32, PixelFormat::Rgb8, pixels).unwrap()
    }

    #[test]
    fn unchanged_frame_is_just_a_header() {
        let pixels: Vec<u8> = (0..W * H * 3).map(|i| (i % 251) as u8).collect();
        let mut out = Vec::new();
        let stats = fixed().encode(2, 0, frame(&pixels), Some((1, frame(&pixels))), &mut out);
        assert_eq!(out.len(), FRAME_HEADER_LEN);
        assert_eq!(
            (stats.keyframe, stats.tiles, stats.tiles_sent),
            (false, 4, 0)
        );
        assert!(out.len() <= 64, "a static frame costs a few dozen bytes");
    }

    #[test]
    fn only_changed_tiles_are_sent() {
        let base = vec![10u8; W * H * 3];
        let mut new = base.clone();
        let (x, y) = (W - 3, H - 2); // inside tile 3, the bottom-right one
        new[(y * W + x) * 3] = 99;
        let mut out = Vec::new();
        let stats = fixed().encode(2, 0, frame(&new), Some((1, frame(&base))), &mut out);
        assert_eq!(stats.tiles_sent, 1);
        let message = parse_frame(&out).unwrap();
        assert_eq!(message.header.base_seq, 1);
        let indices: Vec<u32> = message.tiles().map(|t| t.unwrap().index).collect();
        assert_eq!(indices, [3]);
    }

    #[test]
    fn base_of_another_size_gives_a_keyframe() {
        let small = vec![0u8; 10 * 10 * 3];
        let big = vec![0u8; W * H * 3];
        let base = FrameRef::new(10, 10, PixelFormat::Rgb8, &small).unwrap();
        let mut out = Vec::new();
        let stats = fixed().encode(2, 0, frame(&big), Some((1, base)), &mut out);
        assert!(stats.keyframe);
        assert_eq!(stats.tiles_sent, 4);
        assert_eq!(parse_frame(&out).unwrap().header.base_seq, 0);
    }

    #[test]
    fn incompressible_tiles_go_raw() {
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let noise: Vec<u8> = (0..W * H * 3)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                state as u8
            })
            .collect();
        let mut out = Vec::new();
        let stats = fixed().encode_keyframe(1, 0, frame(&noise), &mut out);
        assert_eq!(stats.tiles_raw, 4);
        assert!(parse_frame(&out).unwrap().tiles().all(|t| t.is_ok()));
    }

    fn noise(len: usize, mut state: u64) -> Vec<u8> {
        (0..len)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                state as u8
            })
            .collect()
    }

    /// Encodes `frames` as a chain of deltas with one encoder, checks that
    /// each decodes to its frame, and returns how many tiles went raw.
    fn raw_tiles_of_chain(frames: &[Vec<u8>]) -> Vec<u32> {
        let mut encoder = fixed();
        let mut decoder = crate::Decoder::default();
        let mut out = Vec::new();
        (1..frames.len())
            .map(|n| {
                out.clear();
                let base = (n as u64, frame(&frames[n - 1]));
                let stats =
                    encoder.encode(n as u64 + 1, 0, frame(&frames[n]), Some(base), &mut out);
                if n == 1 {
                    let mut key = Vec::new();
                    encoder.encode_keyframe(1, 0, frame(&frames[0]), &mut key);
                    decoder.apply(&key).unwrap();
                }
                decoder.apply(&out).unwrap();
                let rgba: Vec<u8> = frames[n]
                    .chunks(3)
                    .flat_map(|p| [p[0], p[1], p[2], 255])
                    .collect();
                assert_eq!(
                    decoder.framebuffer(),
                    &rgba[..],
                    "frame {n} decodes exactly"
                );
                stats.tiles_raw
            })
            .collect()
    }

    #[test]
    fn tiles_that_went_raw_skip_lz4_until_a_retry_finds_them_compressible() {
        let len = W * H * 3;
        // Noise for a while, then a picture that barely changes.
        let mut frames: Vec<Vec<u8>> = (0..6).map(|n| noise(len, 0x9e37_79b9 + n)).collect();
        let calm = vec![7u8; len];
        for n in 0..(RAW_RETRY_EVERY as usize + 2) {
            let mut next = calm.clone();
            next[n * 3 % len] = n as u8; // tile 0 changes a little each frame
            next[len - 1] = n as u8; // and so does tile 3
            frames.push(next);
        }
        let raw = raw_tiles_of_chain(&frames);
        assert!(raw[..5].iter().all(|&r| r == 4), "noise goes raw: {raw:?}");
        // The first small change after the noise goes raw without LZ4 being
        // tried (at most one of the two changed tiles is due a retry).
        assert!(raw[7] >= 1, "{raw:?}");
        // Once calm, each tile is tried again within RAW_RETRY_EVERY frames
        // and then compressed: by the end nothing is raw.
        assert_eq!(*raw.last().unwrap(), 0, "{raw:?}");
    }

    /// Compressing tiles on several threads changes nothing in the message.
    #[cfg(feature = "parallel")]
    #[test]
    fn threads_make_the_same_messages() {
        let len = 600 * 300 * 3; // 540 KB: over PARALLEL_MIN_BYTES
        let smooth: Vec<u8> = (0..len).map(|i| (i / 7 % 256) as u8).collect();
        let mut half_noise = smooth.clone();
        half_noise[..len / 2].copy_from_slice(&noise(len / 2, 0x51));
        let frames = [
            smooth.clone(),
            noise(len, 0x77),
            half_noise,
            noise(len, 0x99),
            smooth,
        ];
        fn at(pixels: &[u8]) -> FrameRef<'_> {
            FrameRef::new(600, 300, PixelFormat::Rgb8, pixels).unwrap()
        }
        // A wider frame first: 18 tiles of 128 make 6 runs for 6 threads,
        // the 15 of the others only 5.
        let wide = noise(768 * 300 * 3, 0x33);
        let chain = |threads: usize| {
            let mut encoder = Encoder::default();
            encoder.set_threads(threads);
            let mut messages = vec![Vec::new()];
            let wide = FrameRef::new(768, 300, PixelFormat::Rgb8, &wide).unwrap();
            encoder.encode_keyframe(1, 0, wide, &mut messages[0]);
            let mut base: Option<&[u8]> = None;
            for (n, pixels) in frames.iter().enumerate() {
                let mut out = Vec::new();
                let base_ref = base.map(|base| (n as u64, at(base)));
                encoder.encode(n as u64 + 1, 0, at(pixels), base_ref, &mut out);
                messages.push(out);
                base = Some(pixels);
            }
            messages
        };
        let one = chain(1);
        for threads in [2, 3, 6, 8] {
            assert!(chain(threads) == one, "{threads} threads");
        }
    }

    #[test]
    fn a_scrolled_frame_sends_the_rows_it_uncovers() {
        let (w, h) = (300, 200);
        let stride = w * 3;
        let page = noise((h + 4) * stride, 0xabc);
        let base = &page[..h * stride];
        let scrolled = &page[4 * stride..]; // moved up 4 rows, 4 new at the bottom
        let at = |pixels| FrameRef::new(w as u32, h as u32, PixelFormat::Rgb8, pixels).unwrap();
        let mut encoder = Encoder::default();
        let mut decoder = crate::Decoder::default();
        let mut key = Vec::new();
        encoder.encode_keyframe(1, 0, at(base), &mut key);
        decoder.apply(&key).unwrap();

        let mut out = Vec::new();
        let stats = encoder.encode(2, 0, at(scrolled), Some((1, at(base))), &mut out);
        assert_eq!(
            stats.scroll,
            Some(Scroll {
                top: 0,
                bottom: 200,
                dy: 4
            })
        );
        // One row of 64-pixel tiles is sent (the bottom one, holding the new
        // rows), not all 20.
        assert_eq!((stats.tiles, stats.tiles_sent), (20, 5), "{stats:?}");
        decoder.apply(&out).unwrap();
        let rgba: Vec<u8> = scrolled
            .chunks(3)
            .flat_map(|p| [p[0], p[1], p[2], 255])
            .collect();
        assert!(decoder.framebuffer() == &rgba[..], "decodes exactly");
    }

    #[test]
    fn the_default_encoder_uses_big_tiles_for_big_changes() {
        let (w, h) = (320, 256); // 5x4 tiles of 64, 3x2 of 128
        let at = |pixels| FrameRef::new(w as u32, h as u32, PixelFormat::Rgb8, pixels).unwrap();
        let first = noise(w * h * 3, 1);
        let mut small = first.clone();
        small[..30].fill(0); // the top-left tile
        let big = noise(w * h * 3, 2);
        let mut small_again = big.clone();
        small_again[w * h * 3 - 1] ^= 1; // the bottom-right tile
        let frames = [first, small, big, small_again];

        let mut encoder = Encoder::default();
        let mut decoder = crate::Decoder::default();
        let mut grids = Vec::new();
        for (n, pixels) in frames.iter().enumerate() {
            let mut out = Vec::new();
            let base = n
                .checked_sub(1)
                .map(|previous| (n as u64, at(&frames[previous])));
            let stats = encoder.encode(n as u64 + 1, 0, at(pixels), base, &mut out);
            let header = parse_frame(&out).unwrap().header;
            grids.push((header.tile_width, stats.tiles, stats.tiles_sent));
            decoder.apply(&out).unwrap();
            let rgba: Vec<u8> = pixels
                .chunks(3)
                .flat_map(|p| [p[0], p[1], p[2], 255])
                .collect();
            assert!(
                decoder.framebuffer() == &rgba[..],
                "frame {n} decodes exactly"
            );
        }
        // Keyframe and full change: 128; one tile changed: 64.
        assert_eq!(grids, [(128, 6, 6), (64, 20, 1), (128, 6, 6), (64, 20, 1)]);
    }

    #[test]
    fn tile_size_is_checked() {
        assert!(Encoder::with_tile_size(64, 7).is_err());
        assert!(Encoder::with_tile_size(128, 32).is_ok());
    }
}
