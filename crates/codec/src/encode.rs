//! The encoder: a frame and the frame the viewer already has (its base) in,
//! one frame message out.
//!
//! Tiles equal to their base are left out. Every other tile is sent in the
//! encoding a cheap look at a few of its rows says will be smallest:
//! - mostly unchanged (a GUI, text, a sprite): the XOR of the tile and its
//!   base as one LZ4 block;
//! - changed everywhere by a little (a camera's noise, smooth motion): the
//!   difference, or the difference minus the one of the pixel above,
//!   zigzagged and packed in groups of 32, each in the bits its widest value
//!   needs (see `packed.rs`); where most groups are one value (all zero: a
//!   still part of a moving tile; a constant step: a ramp), cut into bit
//!   planes before LZ4 instead (see `planes.rs`), which takes their runs to
//!   almost nothing;
//! - noise: the XOR bytes raw, when LZ4 does not shrink them.
//!
//! Without a base, or with a base of another size or format, the base is a
//! black frame and every tile is sent: a keyframe is just a delta with
//! nothing left out.
//!
//! When most of the frame is the base scrolled (a band of rows moved), a
//! scroll record goes first and the tiles are deltas against the base as
//! moved, so only the uncovered rows cost anything (see `scroll.rs`). The
//! default encoder cuts small changes into 64x64 tiles and big ones into
//! 128x128, remembers which tiles were incompressible so as not to try LZ4
//! on them every frame, and can spread a big change over several threads.

use crate::error::FrameError;
use crate::frame::{FrameRef, PixelFormat, Rect, TileGrid, TileSet};
use crate::packed;
use crate::planes::{self, zigzag};
use crate::samples;
use crate::scroll;
use crate::wire::{self, FrameHeader, Scroll, TileEncoding, TileRecord, TILE_HEADER_LEN};
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
    /// What the encoder knows of each grid's tiles: the fine grid's and the
    /// coarse one's (tiles twice the side).
    grids: [GridState; 2],
    /// The fine grid's changed tiles against the base as scrolled, while a
    /// scroll is being weighed.
    scrolled_changed: Vec<bool>,
    /// Whether tiles may be sent as bit planes; see [`Encoder::set_bit_planes`].
    bit_planes: bool,
    /// Whether differences may be packed; see [`Encoder::set_packed`].
    packed: bool,
    /// Frames encoded, for staggering the retries.
    frames: u64,
}

/// Which of [`Encoder::grids`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Grid {
    Fine = 0,
    Coarse = 1,
}

/// The encoder's state for the tiles of one grid.
#[derive(Debug, Clone, Default)]
struct GridState {
    /// Which tiles differ from the base in the frame being encoded (unused
    /// for a keyframe).
    changed: Vec<bool>,
    /// Per tile index: whether the tile went raw the last time it was tried,
    /// so that a tile of noise does not pay for a failed compression every
    /// frame. Such a tile is stored raw without trying, except on one frame
    /// in [`RAW_RETRY_EVERY`] (staggered across tiles), when it is tried
    /// again. Forgotten when the number of tiles changes.
    went_raw: Vec<bool>,
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
    /// One tile's bytes before compression (XOR or zigzagged differences),
    /// gathered from the frame's rows.
    gathered: Vec<u8>,
    /// Wide samples' zigzagged differences as byte planes (see `samples.rs`).
    byte_planes: Vec<u8>,
    /// The differences as bit planes.
    planes: Vec<u8>,
    /// The rows [`estimate`] looks at.
    estimate: EstimateRows,
    /// The differences packed.
    packer: packed::Packer,
    /// One tile's LZ4 block, before it is known to be smaller than raw.
    compressed: Vec<u8>,
    /// The slots of this lane's JPEG tiles, RGB or quantized values, one
    /// after the other.
    strip: Vec<u8>,
    /// One value tile's values quantized, row after row.
    levels: Vec<u8>,
    /// This lane's JPEG image records, once `strip` is encoded.
    images: Vec<u8>,
    /// The tiles this lane sent as JPEG, and those it sent exactly.
    jpeg: Vec<u32>,
    exact: Vec<u32>,
}

/// What a message may do besides exact deltas, and what the viewer holds
/// that the encoder cannot know exactly: see [`Encoder::encode_lossy`].
#[derive(Debug, Clone, Copy, Default)]
pub struct Lossy<'a> {
    /// Send the changed tiles that are not mostly unchanged (natural
    /// content, not a GUI) as JPEG of this quality, 1 to 100; `None`: every
    /// tile exact. Ignored for RGBA8 frames, which are always exact; a
    /// frame of values gets grayscale JPEG tiles of its values quantized to
    /// 8 bits over each tile's range, but for tiles holding a NaN or an
    /// infinity.
    pub quality: Option<u8>,
    /// Tiles (of the fine grid) whose pixels the viewer holds from a JPEG
    /// tile: a tile of these is sent whole (against black) if sent at all.
    pub held: Option<&'a TileSet>,
    /// Of `held`, the tiles to send exactly now even if unchanged: the
    /// refinement back to exact pixels.
    pub refine: Option<&'a TileSet>,
}

/// The tiles of a message from [`Encoder::encode_lossy`], on the message's
/// grid (the fine one whenever a quality or held tiles were given).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LossyOutcome {
    /// Tiles sent as JPEG: the viewer now holds them inexactly.
    pub jpeg: TileSet,
    /// Tiles sent exactly (a delta or whole): the viewer holds them as the
    /// frame has them.
    pub exact: TileSet,
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
    /// Tiles of those sent as differences (packed, or bit planes).
    pub tiles_planes: u32,
    /// Tiles of those sent as JPEG.
    pub tiles_jpeg: u32,
    /// Bytes of the JPEG images (included in `bytes`).
    pub jpeg_bytes: usize,
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
            grids: Default::default(),
            scrolled_changed: Vec::new(),
            bit_planes: true,
            packed: true,
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

    /// Whether tiles may be sent in the bit-plane encodings (on by default).
    /// Off, every tile is sent as XOR bytes, LZ4 or raw, as protocol version
    /// 1 did: the benchmarks compare the two.
    pub fn set_bit_planes(&mut self, on: bool) {
        self.bit_planes = on;
    }

    /// Whether differences may be sent packed (on by default). Off, they
    /// always go as bit planes + LZ4, as protocol version 4 sent them: the
    /// benchmarks compare the two.
    pub fn set_packed(&mut self, on: bool) {
        self.packed = on;
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
        self.encode_lossy(seq, capture_us, frame, base, Lossy::default(), out)
            .0
    }

    /// Like [`encode`](Self::encode), for a viewer that may get JPEG tiles
    /// or holds some (`lossy`); returns also which tiles went JPEG and which
    /// were sent exactly, on the fine grid, from which the caller keeps what
    /// the viewer holds: its held tiles minus `exact` plus `jpeg`.
    ///
    /// With a quality or held tiles the message uses the fine grid and no
    /// scroll (a scroll would move held pixels the encoder does not know).
    /// JPEG tiles need the `lossy` feature; without it every tile is exact.
    pub fn encode_lossy(
        &mut self,
        seq: u64,
        capture_us: u64,
        frame: FrameRef<'_>,
        base: Option<(u64, FrameRef<'_>)>,
        lossy: Lossy<'_>,
        out: &mut Vec<u8>,
    ) -> (EncodeStats, LossyOutcome) {
        debug_assert!(seq > 0, "sequence 0 is the black frame");
        let base = base.filter(|(base_seq, base)| *base_seq != 0 && base.same_geometry(&frame));
        let lossy = Lossy {
            quality: lossy
                .quality
                .filter(|_| cfg!(feature = "lossy") && frame.format() != PixelFormat::Rgba8),
            // A keyframe replaces every tile.
            held: lossy.held.filter(|held| base.is_some() && !held.is_empty()),
            refine: lossy.refine,
        };
        let fine_only = lossy.quality.is_some() || lossy.held.is_some();
        let fine = self.grid_of(&frame, Grid::Fine);
        let (base, changed) = match base {
            Some((base_seq, base)) => {
                let (base, changed) = self.choose_base(&frame, base, &fine, !fine_only);
                (Some((base_seq, base)), changed)
            }
            None => (None, 0),
        };
        let (which, grid) = if fine_only {
            self.choose_grid(&frame, fine, true, 0)
        } else {
            self.choose_grid(&frame, fine, base.is_some(), changed)
        };
        let start = out.len();
        let (tile_width, tile_height) = grid.tile_size();
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
        let base = base.map(|(_, base)| base);
        if let Some(scroll) = base.and_then(|base| base.scroll) {
            scroll.write(out);
        }
        let (mut stats, outcome) = self.encode_tiles(frame, base, which, &grid, lossy, out);
        FrameHeader::patch_tile_count(out, start, stats.tiles_sent);
        stats.scroll = base.and_then(|base| base.scroll);
        stats.bytes = out.len() - start;
        (stats, outcome)
    }
}

/// The steps of [`Encoder::encode`], in order.
impl Encoder {
    /// The grid `which` for `frame`: the encoder's tile size, or twice it.
    fn grid_of(&self, frame: &FrameRef<'_>, which: Grid) -> TileGrid {
        let scale = match which {
            Grid::Fine => 1,
            Grid::Coarse => 2,
        };
        TileGrid::new(
            frame.width(),
            frame.height(),
            self.tile_width * scale,
            self.tile_height * scale,
        )
        .expect("FrameRef and Encoder check their sizes when made")
    }

    /// What the tiles are diffed against: the base as it is, or moved by a
    /// scroll when the frame scrolled and the move leaves fewer tiles changed.
    /// Leaves the fine grid's changed tiles in its state and returns how many.
    fn choose_base<'a>(
        &mut self,
        frame: &FrameRef<'_>,
        base: FrameRef<'a>,
        grid: &TileGrid,
        may_scroll: bool,
    ) -> (Base<'a>, usize) {
        let plain = Base {
            frame: base,
            scroll: None,
        };
        let fine = &mut self.grids[Grid::Fine as usize].changed;
        let changed = mark_changed_tiles(frame, plain, grid, fine);
        // A small change is not a scroll; only then is it worth looking.
        if !may_scroll || changed * 2 < grid.len() as usize {
            return (plain, changed);
        }
        let Some(scroll) = scroll::detect(frame, &base) else {
            return (plain, changed);
        };
        let scrolled = Base {
            frame: base,
            scroll: Some(scroll),
        };
        let changed_scrolled =
            mark_changed_tiles(frame, scrolled, grid, &mut self.scrolled_changed);
        if changed_scrolled < changed {
            std::mem::swap(fine, &mut self.scrolled_changed);
            (scrolled, changed_scrolled)
        } else {
            (plain, changed)
        }
    }

    /// The grid the frame's tiles are cut on: the fine one, or (for the
    /// default encoder) the coarse one for a keyframe or when half the fine
    /// tiles or more changed, its changed tiles then derived from the fine
    /// grid's. Makes the chosen grid's memory of raw tiles fit it.
    fn choose_grid(
        &mut self,
        frame: &FrameRef<'_>,
        fine: TileGrid,
        delta: bool,
        changed: usize,
    ) -> (Grid, TileGrid) {
        let big = !delta || changed * 2 >= fine.len() as usize;
        let (which, grid) = if self.coarse_for_big_changes && big {
            let coarse = self.grid_of(frame, Grid::Coarse);
            if delta {
                let [fine_state, coarse_state] = &mut self.grids;
                coarsen(
                    &fine_state.changed,
                    &fine,
                    &coarse,
                    &mut coarse_state.changed,
                );
            }
            (Grid::Coarse, coarse)
        } else {
            (Grid::Fine, fine)
        };
        let went_raw = &mut self.grids[which as usize].went_raw;
        if went_raw.len() != grid.len() as usize {
            went_raw.clear();
            went_raw.resize(grid.len() as usize, false);
        }
        (which, grid)
    }

    /// Appends the records of the tiles to send (the changed ones, or all of
    /// them for a keyframe), on several threads when there is enough work.
    fn encode_tiles(
        &mut self,
        frame: FrameRef<'_>,
        base: Option<Base<'_>>,
        which: Grid,
        grid: &TileGrid,
        lossy: Lossy<'_>,
        out: &mut Vec<u8>,
    ) -> (EncodeStats, LossyOutcome) {
        let state = &mut self.grids[which as usize];
        let bpp = frame.format().bytes_per_pixel();
        let tile_bytes = |rect: Rect| rect.width as usize * rect.height as usize * bpp;
        let most_bytes = match base {
            Some(_) => grid
                .tiles()
                .filter(|(index, _)| state.changed[*index as usize])
                .map(|(_, rect)| TILE_HEADER_LEN + tile_bytes(rect))
                .sum(),
            None => grid.len() as usize * TILE_HEADER_LEN + frame.pixels().len(),
        };
        // No payload is larger than its raw tile, so this is enough: the
        // message grows by reallocation only for JPEG images, which are
        // small.
        out.reserve(most_bytes);
        self.frames += 1;
        let tiles = Tiles {
            frame,
            base,
            grid,
            changed: &state.changed,
            bit_planes: self.bit_planes,
            packed: self.packed,
            frames: self.frames,
            lossy,
        };
        let lanes = if most_bytes >= PARALLEL_MIN_BYTES {
            self.threads.min(grid.len() as usize)
        } else {
            1
        };
        let (counts, lanes) = if lanes > 1 {
            encode_parallel(&tiles, lanes, &mut self.lanes, &mut state.went_raw, out)
        } else {
            let scratch = &mut self.lanes[0].scratch;
            let counts = tiles.encode(0, &mut state.went_raw, scratch, out);
            tiles.encode_images(scratch);
            (counts, 1)
        };
        let mut outcome = LossyOutcome::default();
        let mut jpeg_bytes = 0;
        for lane in &self.lanes[..lanes] {
            out.extend_from_slice(&lane.scratch.images);
            jpeg_bytes += lane.scratch.images.len();
            lane.scratch
                .jpeg
                .iter()
                .for_each(|&i| outcome.jpeg.insert(i));
            lane.scratch
                .exact
                .iter()
                .for_each(|&i| outcome.exact.insert(i));
        }
        let stats = EncodeStats {
            keyframe: base.is_none(),
            tiles: grid.len(),
            tiles_sent: counts.sent,
            tiles_raw: counts.raw,
            tiles_planes: counts.planes,
            tiles_jpeg: counts.jpeg,
            jpeg_bytes,
            ..EncodeStats::default()
        };
        (stats, outcome)
    }
}

/// What every tile of one frame's encode shares.
struct Tiles<'a> {
    frame: FrameRef<'a>,
    base: Option<Base<'a>>,
    grid: &'a TileGrid,
    /// Which tiles differ from the base (unused for a keyframe).
    changed: &'a [bool],
    /// Whether tiles may be sent as bit planes.
    bit_planes: bool,
    /// Whether differences may be packed.
    packed: bool,
    /// The encoder's frame count, for staggering retries of raw tiles.
    frames: u64,
    /// JPEG tiles allowed, and the tiles the viewer holds from JPEG.
    lossy: Lossy<'a>,
}

/// Tiles a run of [`Tiles::encode`] sent, by kind.
#[derive(Debug, Clone, Copy, Default)]
struct Counts {
    sent: u32,
    raw: u32,
    planes: u32,
    jpeg: u32,
}

impl std::ops::Add for Counts {
    type Output = Counts;

    fn add(self, other: Counts) -> Counts {
        Counts {
            sent: self.sent + other.sent,
            raw: self.raw + other.raw,
            planes: self.planes + other.planes,
            jpeg: self.jpeg + other.jpeg,
        }
    }
}

impl Tiles<'_> {
    /// Appends the records of the tiles `first..first + went_raw.len()` that
    /// are to be sent (changed ones, or all for a keyframe, and the held
    /// ones to refine) to `out`; JPEG tiles go into `scratch.strip`.
    fn encode(
        &self,
        first: u32,
        went_raw: &mut [bool],
        scratch: &mut Scratch,
        out: &mut Vec<u8>,
    ) -> Counts {
        let mut counts = Counts::default();
        scratch.strip.clear();
        scratch.jpeg.clear();
        scratch.exact.clear();
        let contains = |set: Option<&TileSet>, index| set.is_some_and(|set| set.contains(index));
        for (index, went_raw) in (first..).zip(went_raw) {
            let changed = self.base.is_none() || self.changed[index as usize];
            // The viewer holds this tile from a JPEG: send it whole or not at all.
            let held = contains(self.lossy.held, index);
            let refine = held && contains(self.lossy.refine, index);
            if !(changed || refine) {
                continue;
            }
            let rect = self.grid.tile(index);
            counts.sent += 1;
            if self.lossy.quality.is_some()
                && changed
                && !mostly_unchanged(&self.frame, self.base, rect)
                && self.append_slot(index, rect, scratch, out)
            {
                scratch.jpeg.push(index);
                counts.jpeg += 1;
                continue;
            }
            scratch.exact.push(index);
            let base = self.base.filter(|_| !held);
            let retry = (self.frames + u64::from(index)) % RAW_RETRY_EVERY == 0;
            let delta = base.is_some();
            let encoding = if delta && *went_raw && !retry {
                // Known incompressible: XOR straight into the message.
                self.write_raw(index, rect, base, out);
                TileEncoding::Raw
            } else {
                // A retry only asks whether LZ4 shrinks the XOR bytes again;
                // the next frame's estimate then picks among all encodings.
                let candidate = if self.bit_planes && !(delta && *went_raw) {
                    estimate(&self.frame, base, rect, &mut scratch.estimate)
                } else {
                    TileEncoding::Lz4
                };
                let encoding = self.write_tile(index, rect, base, candidate, scratch, out);
                // Only deltas teach: a keyframe's or whole tile is the
                // picture itself, which says little about how its changes
                // will compress.
                if delta {
                    *went_raw = encoding == TileEncoding::Raw;
                }
                encoding
            };
            counts.raw += u32::from(encoding == TileEncoding::Raw);
            counts.planes += u32::from(encoding.adds());
        }
        counts
    }

    /// Appends the tile's JPEG tile record to `out` and its pixels to the
    /// strip of JPEG slots: RGB, or a value tile's values quantized over
    /// its range (which the record carries). Returns false, appending
    /// nothing, for a value tile holding a NaN or an infinity, which is sent
    /// exactly instead.
    fn append_slot(
        &self,
        index: u32,
        rect: Rect,
        scratch: &mut Scratch,
        out: &mut Vec<u8>,
    ) -> bool {
        let (tile_width, tile_height) = self.grid.tile_size();
        let slot = wire::jpeg_slot(tile_width as u16, tile_height as u16);
        let row = |y| tile_row(&self.frame, None, rect, y).0;
        let format = self.frame.format();
        if !format.is_value() {
            TileRecord::write_header(index, TileEncoding::Jpeg, true, 0, out);
            crate::jpeg::append_slot(rect, slot, 3, row, &mut scratch.strip);
            return true;
        }
        let rows = (0..rect.height as usize).map(row);
        let Some(range) = crate::jpeg::tile_range(format, rows) else {
            return false;
        };
        TileRecord::write_header(index, TileEncoding::Jpeg, true, wire::JPEG_RANGE_LEN, out);
        out.extend_from_slice(&range.lo.to_le_bytes());
        out.extend_from_slice(&range.hi.to_le_bytes());
        scratch.levels.clear();
        for y in 0..rect.height as usize {
            crate::jpeg::quantize(format, row(y), range, &mut scratch.levels);
        }
        let levels = &scratch.levels;
        let width = rect.width as usize;
        crate::jpeg::append_slot(
            rect,
            slot,
            1,
            |y| &levels[y * width..][..width],
            &mut scratch.strip,
        );
        true
    }

    /// Encodes the lane's strip of JPEG slots, if any, into image records
    /// in `scratch.images`: as few images as [`wire::MAX_JPEG_ROWS`] allows.
    fn encode_images(&self, scratch: &mut Scratch) {
        scratch.images.clear();
        let Some(_quality) = self.lossy.quality.filter(|_| !scratch.strip.is_empty()) else {
            return;
        };
        #[cfg(feature = "lossy")]
        {
            let (tile_width, tile_height) = self.grid.tile_size();
            let (slot_width, slot_height) = wire::jpeg_slot(tile_width as u16, tile_height as u16);
            let channels = crate::jpeg::slot_bytes(self.frame.format());
            let slot_len = (slot_width * slot_height) as usize * channels;
            let slots_per_image = (wire::MAX_JPEG_ROWS / slot_height) as usize;
            for slots in scratch.strip.chunks(slots_per_image * slot_len) {
                crate::jpeg::encode(slots, slot_width, channels, _quality, &mut scratch.images);
            }
        }
    }

    /// Appends the tile's record in `encoding` (LZ4 of the XOR bytes, or
    /// the packed differences, which go as bit planes + LZ4 instead where
    /// most of their groups are one value), or raw when that does not shrink
    /// it; returns the encoding used.
    fn write_tile(
        &self,
        index: u32,
        rect: Rect,
        base: Option<Base<'_>>,
        encoding: TileEncoding,
        scratch: &mut Scratch,
        out: &mut Vec<u8>,
    ) -> TileEncoding {
        // Against black when the message is a delta: a whole tile.
        let whole = self.base.is_some() && base.is_none();
        scratch.gathered.clear();
        let mut encoding = encoding;
        let payload: &[u8] = match encoding {
            TileEncoding::Packed | TileEncoding::UpPacked | TileEncoding::PlanarPacked => {
                let up = encoding != TileEncoding::Packed;
                let planar = encoding == TileEncoding::PlanarPacked;
                let sample_bytes = self.frame.format().sample_bytes();
                let mut above = None;
                for row in tile_rows(&self.frame, base, rect) {
                    let above_row = above.filter(|_| up);
                    append_differences(sample_bytes, row, above_row, planar, &mut scratch.gathered);
                    above = Some(row);
                }
                let values: &[u8] = if sample_bytes == 1 {
                    &scratch.gathered
                } else {
                    let len = scratch.gathered.len();
                    let split = crate::scratch(&mut scratch.byte_planes, len);
                    samples::split_planes(sample_bytes, &scratch.gathered, split);
                    split
                };
                let packed = self.packed.then(|| scratch.packer.pack(values));
                // Wide samples' high byte planes are mostly groups of zeros,
                // which packing takes to two bits a group: they do not make
                // the planes pay.
                let pack = |p: &packed::Packed| sample_bytes > 1 || p.uniform_groups * 2 < p.groups;
                if let Some(packed) = packed.filter(pack) {
                    if packed.len >= values.len() {
                        self.write_raw(index, rect, base, out);
                        return TileEncoding::Raw;
                    }
                    TileRecord::write_header(index, encoding, whole, packed.len, out);
                    scratch.packer.write(out);
                    return encoding;
                }
                // Mostly groups of one value once predicted (a still part of
                // a moving tile, a ramp): LZ4 takes the bit planes' runs of
                // one byte to almost nothing, where packing pays each
                // group's width.
                encoding = if up {
                    TileEncoding::UpPlanes
                } else {
                    TileEncoding::Planes
                };
                let planes = crate::scratch(&mut scratch.planes, values.len());
                planes::shuffle_into(values, planes);
                planes
            }
            TileEncoding::Lz4 | TileEncoding::Raw | TileEncoding::Jpeg => {
                for row in tile_rows(&self.frame, base, rect) {
                    append_xor(row, &mut scratch.gathered);
                }
                &scratch.gathered
            }
            TileEncoding::Planes | TileEncoding::UpPlanes => {
                unreachable!("the estimate asks for packed differences, which may become planes")
            }
        };
        if let Some(block) = compress(payload, &mut scratch.compressed) {
            TileRecord::write_header(index, encoding, whole, block.len(), out);
            out.extend_from_slice(block);
            return encoding;
        }
        if encoding == TileEncoding::Lz4 {
            // The XOR bytes are at hand.
            TileRecord::write_header(index, TileEncoding::Raw, whole, payload.len(), out);
            out.extend_from_slice(payload);
        } else {
            self.write_raw(index, rect, base, out);
        }
        TileEncoding::Raw
    }

    /// Appends the tile's record as raw XOR bytes against `base` (black
    /// when `None`), gathered straight into `out`.
    fn write_raw(&self, index: u32, rect: Rect, base: Option<Base<'_>>, out: &mut Vec<u8>) {
        let len =
            rect.width as usize * rect.height as usize * self.frame.format().bytes_per_pixel();
        let whole = self.base.is_some() && base.is_none();
        TileRecord::write_header(index, TileEncoding::Raw, whole, len, out);
        for row in tile_rows(&self.frame, base, rect) {
            append_xor(row, out);
        }
    }
}

/// The tile's rows in `frame` and in `base`, top to bottom.
fn tile_rows<'a>(
    frame: &'a FrameRef<'a>,
    base: Option<Base<'a>>,
    rect: Rect,
) -> impl Iterator<Item = RowPair<'a>> + 'a {
    (0..rect.height as usize).map(move |y| tile_row(frame, base, rect, y))
}

/// Row `y` of the tile (counted from its top) in `frame` and in `base`.
fn tile_row<'a>(
    frame: &'a FrameRef<'a>,
    base: Option<Base<'a>>,
    rect: Rect,
    y: usize,
) -> RowPair<'a> {
    let bpp = frame.format().bytes_per_pixel();
    let columns = rect.x as usize * bpp..(rect.x + rect.width) as usize * bpp;
    let y = rect.y as usize + y;
    let new = &frame.pixels()[y * frame.stride()..][columns.clone()];
    let old = base.map(|base| &base.row(y)[columns]);
    (new, old)
}

/// The tile's LZ4 block, made in `compressed`, if it is smaller than the
/// bytes themselves.
///
/// (Gathering straight into the message and compressing from there saves a
/// copy of raw tiles but measured slower on noise: compressing from a small
/// buffer that stays in cache wins.)
fn compress<'a>(bytes: &[u8], compressed: &'a mut Vec<u8>) -> Option<&'a [u8]> {
    // The block goes into a buffer kept at the worst-case size, so no tile
    // pays for zeroing one.
    let max_len = lz4_flex::block::get_maximum_output_size(bytes.len());
    if compressed.len() < max_len {
        compressed.resize(max_len, 0);
    }
    let len = lz4_flex::block::compress_into(bytes, compressed).ok()?;
    (len < bytes.len()).then(|| &compressed[..len])
}

/// Rows of a tile the estimate reads: one in this many.
const ESTIMATE_ROW_STEP: usize = 16;

/// Bytes a group of the estimate covers: the bit width of its largest value
/// is what each of its bytes is taken to cost as bit planes.
const ESTIMATE_GROUP: usize = 16;

/// Which encoding will likely make the tile smallest, from every
/// [`ESTIMATE_ROW_STEP`]th row of it (and the row above each):
/// [`TileEncoding::Lz4`] (of the XOR bytes) when half the bytes or more are
/// unchanged or when no bit plane would be all zeros (noise, where LZ4 then
/// decides between itself and raw), else whichever of the plain and the
/// up-predicted differences has the narrower values, packed
/// ([`Tiles::write_tile`] then sends them as bit planes instead where most
/// groups are one value).
///
/// Against the smallest of the three tried on every tile (measured
/// 2026-11-24 by encoding the benchmark corpus's 12 deltas at 1000x1000
/// both ways), this costs 0.7% more bytes on plasma (0.713 against 0.708 MB
/// a frame) and nothing measurable on the other classes, at a fraction of
/// the time.
fn estimate(
    frame: &FrameRef<'_>,
    base: Option<Base<'_>>,
    rect: Rect,
    rows: &mut EstimateRows,
) -> TileEncoding {
    // Mostly unchanged (GUI content) is settled by comparing bytes alone.
    if mostly_unchanged(frame, base, rect) {
        return TileEncoding::Lz4;
    }
    let sample_bytes = frame.format().sample_bytes();
    // Planar prediction for wide samples only: a byte's left neighbour is
    // another channel, and the prefix sum it needs undoes a byte at a time.
    let mut planar_bits = (sample_bytes > 1).then_some(0);
    let (mut plain_bits, mut up_bits, mut bytes) = (0, 0, 0);
    for (row, row_above) in sampled_rows(frame, base, rect) {
        bytes += row.0.len();
        rows.values.clear();
        append_differences(sample_bytes, row, None, false, &mut rows.values);
        plain_bits += rows.bit_cost(sample_bytes);
        rows.values.clear();
        append_differences(sample_bytes, row, row_above, false, &mut rows.values);
        up_bits += rows.bit_cost(sample_bytes);
        if let Some(bits) = &mut planar_bits {
            rows.values.clear();
            append_differences(sample_bytes, row, row_above, true, &mut rows.values);
            *bits += rows.bit_cost(sample_bytes);
        }
    }
    let least = plain_bits
        .min(up_bits)
        .min(planar_bits.unwrap_or(usize::MAX));
    if least >= 8 * bytes - bytes / 16 {
        TileEncoding::Lz4
    } else if Some(least) == planar_bits {
        TileEncoding::PlanarPacked
    } else if least == up_bits && up_bits < plain_bits {
        TileEncoding::UpPacked
    } else {
        TileEncoding::Packed
    }
}

/// The zigzagged differences of one row that [`estimate`] weighs, and wide
/// samples' as byte planes.
#[derive(Debug, Clone, Default)]
struct EstimateRows {
    values: Vec<u8>,
    split: Vec<u8>,
}

impl EstimateRows {
    /// Bits the row's differences would take as bit planes (laid out in
    /// byte planes first for wide samples), estimated: each group of
    /// [`ESTIMATE_GROUP`] bytes costs its size times the bit width of its
    /// largest value.
    fn bit_cost(&mut self, sample_bytes: usize) -> usize {
        let values = &self.values;
        let values: &[u8] = if sample_bytes == 1 {
            values
        } else {
            let split = crate::scratch(&mut self.split, values.len());
            samples::split_planes(sample_bytes, values, split);
            split
        };
        let width = |group: &[u8]| {
            let any = group.iter().fold(0u8, |any, &z| any | z);
            group.len() * (8 - any.leading_zeros() as usize)
        };
        let groups = values.chunks_exact(ESTIMATE_GROUP);
        let rest = width(groups.remainder());
        groups.map(width).sum::<usize>() + rest
    }
}

/// The rows [`estimate`] reads, each with the row above it: row 1 of every
/// [`ESTIMATE_ROW_STEP`] (row 0 of a one-row tile, which has none above).
fn sampled_rows<'a>(
    frame: &'a FrameRef<'a>,
    base: Option<Base<'a>>,
    rect: Rect,
) -> impl Iterator<Item = (RowPair<'a>, Option<RowPair<'a>>)> + 'a {
    let first = usize::from(rect.height > 1);
    (first..rect.height as usize)
        .step_by(ESTIMATE_ROW_STEP)
        .map(move |y| {
            let row = |y| tile_row(frame, base, rect, y);
            (row(y), y.checked_sub(1).map(row))
        })
}

/// Whether half the samples or more of the tile's sampled rows (see
/// [`estimate`]) are equal to the base's (black's, without one): a GUI, text
/// or a sprite, whose changes XOR and LZ4 keep small, as opposed to natural
/// content, which changes everywhere. (Samples, not bytes: a 16-bit camera's
/// noise leaves most high bytes as they were.)
fn mostly_unchanged(frame: &FrameRef<'_>, base: Option<Base<'_>>, rect: Rect) -> bool {
    let sample_bytes = frame.format().sample_bytes();
    let (mut samples, mut unchanged) = (0, 0);
    for ((new, old), _) in sampled_rows(frame, base, rect) {
        samples += new.len() / sample_bytes;
        unchanged += match (old, sample_bytes) {
            (Some(old), 1) => new.iter().zip(old).filter(|(new, old)| new == old).count(),
            (None, 1) => new.iter().filter(|&&new| new == 0).count(),
            (old, _) => {
                let old = old.map(|old| old.chunks_exact(sample_bytes));
                let zeros = std::iter::repeat(&[0u8; 4][..sample_bytes]);
                let new = new.chunks_exact(sample_bytes);
                match old {
                    Some(old) => new.zip(old).filter(|(new, old)| new == old).count(),
                    None => new.zip(zeros).filter(|(new, zero)| new == zero).count(),
                }
            }
        };
    }
    unchanged * 2 >= samples
}

/// A tile row in the frame and in the base (`None` for a keyframe, whose
/// base is black).
type RowPair<'a> = (&'a [u8], Option<&'a [u8]>);

/// Appends the zigzagged differences of one tile row of samples of
/// `sample_bytes` (new minus old, sample by sample, wrapping) to `out`;
/// with a row `above`, each minus the difference of the same sample in that
/// row; with `planar` (wide samples only), also minus the sample to its
/// left's so predicted. For bytes, one pass over the row, which vectorizes;
/// wide samples are `samples.rs`'s.
fn append_differences(
    sample_bytes: usize,
    (new, old): RowPair<'_>,
    above: Option<RowPair<'_>>,
    planar: bool,
    out: &mut Vec<u8>,
) {
    if sample_bytes > 1 {
        return samples::append_differences(sample_bytes, (new, old), above, planar, out);
    }
    debug_assert!(!planar, "planar prediction is for wide samples");
    let difference = |new: &u8, old: &u8| new.wrapping_sub(*old);
    match (old, above) {
        (Some(old), None) => out.extend(new.iter().zip(old).map(|(n, o)| zigzag(difference(n, o)))),
        (None, None) => out.extend(new.iter().map(|&n| zigzag(n))),
        (Some(old), Some((new_above, Some(old_above)))) => {
            let here = new.iter().zip(old);
            let above = new_above.iter().zip(old_above);
            out.extend(here.zip(above).map(|((n, o), (na, oa))| {
                zigzag(difference(n, o).wrapping_sub(difference(na, oa)))
            }));
        }
        (None, Some((new_above, _))) => {
            out.extend(
                new.iter()
                    .zip(new_above)
                    .map(|(n, na)| zigzag(difference(n, na))),
            );
        }
        (Some(_), Some((_, None))) => unreachable!("a frame's rows all have a base or none do"),
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
) -> (Counts, usize) {
    let per_lane = went_raw.len().div_ceil(lanes);
    // Rounding up can leave fewer runs than lanes asked for (15 tiles in 6
    // lanes are 5 runs of 3); only those runs' records are appended below.
    let lanes = went_raw.len().div_ceil(per_lane);
    buffers.resize_with(buffers.len().max(lanes), Lane::default);
    let mut runs = went_raw.chunks_mut(per_lane).zip(buffers.iter_mut());
    let (first_raw, first_lane) = runs.next().expect("at least one tile");
    let mut counts = vec![Counts::default(); lanes];
    let (first_count, other_counts) = counts.split_first_mut().expect("two lanes or more");
    rayon::scope(|scope| {
        for (n, ((went_raw, lane), count)) in runs.zip(other_counts).enumerate() {
            scope.spawn(move |_| {
                lane.records.clear();
                let first = ((n + 1) * per_lane) as u32;
                *count = tiles.encode(first, went_raw, &mut lane.scratch, &mut lane.records);
                tiles.encode_images(&mut lane.scratch);
            });
        }
        *first_count = tiles.encode(0, first_raw, &mut first_lane.scratch, out);
        tiles.encode_images(&mut first_lane.scratch);
    });
    for lane in &buffers[1..lanes] {
        out.extend_from_slice(&lane.records);
    }
    let counts = counts
        .into_iter()
        .fold(Counts::default(), |sum, count| sum + count);
    (counts, lanes)
}

/// Without the `parallel` feature there is one lane.
#[cfg(not(feature = "parallel"))]
fn encode_parallel(
    tiles: &Tiles<'_>,
    _lanes: usize,
    buffers: &mut [Lane],
    went_raw: &mut [bool],
    out: &mut Vec<u8>,
) -> (Counts, usize) {
    let scratch = &mut buffers[0].scratch;
    let counts = tiles.encode(0, went_raw, scratch, out);
    tiles.encode_images(scratch);
    (counts, 1)
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

/// Appends one tile row's bytes XOR the base's (or the row alone, for a
/// keyframe) to `out`.
fn append_xor((new, old): RowPair<'_>, out: &mut Vec<u8>) {
    match old {
        // One pass: a zip of two slices has an exact length, so this
        // extend reserves once and vectorizes.
        Some(old) => out.extend(new.iter().zip(old).map(|(new, old)| new ^ old)),
        None => out.extend_from_slice(new),
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
    use crate::testing::noise;
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
        let noise = noise(W * H * 3, 0x2545_f491_4f6c_dd1d);
        let mut out = Vec::new();
        let stats = fixed().encode_keyframe(1, 0, frame(&noise), &mut out);
        assert_eq!(stats.tiles_raw, 4);
        assert!(parse_frame(&out).unwrap().tiles().all(|t| t.is_ok()));
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

    /// The encodings of a frame message's tile records, in order.
    fn encodings(message: &[u8]) -> Vec<TileEncoding> {
        let message = parse_frame(message).unwrap();
        message.tiles().map(|tile| tile.unwrap().encoding).collect()
    }

    #[test]
    fn each_kind_of_content_gets_its_encoding_and_decodes_exactly() {
        let (w, h) = (128, 128); // one tile of 128 for big changes
        fn at(pixels: &[u8]) -> FrameRef<'_> {
            FrameRef::new(128, 128, PixelFormat::Rgb8, pixels).unwrap()
        }
        // Brighter by `phase`; curved down the frame, so that no row of one
        // is a row of another moved (which would be a scroll).
        let ramp = |phase: usize| -> Vec<u8> {
            (0..w * h * 3)
                .map(|i| {
                    let (x, y, channel) = (i / 3 % w, i / 3 / w, i % 3);
                    (x / 2 + y * y / 64 + phase + channel * 40) as u8
                })
                .collect()
        };
        let base = ramp(0);
        // Sensor noise: every byte a little up or down.
        let camera: Vec<u8> = base
            .iter()
            .zip(noise(base.len(), 5))
            .map(|(&byte, step)| byte.wrapping_add(step % 9).wrapping_sub(4))
            .collect();
        // A sprite: a block of the frame replaced, the rest as it was.
        let mut sprite = base.clone();
        for row in 10..60 {
            sprite[(row * w + 10) * 3..(row * w + 100) * 3].fill(200);
        }
        let cases = [
            ("smooth motion", ramp(3), TileEncoding::UpPlanes),
            ("sensor noise", camera, TileEncoding::Packed),
            ("a sprite", sprite, TileEncoding::Lz4),
            ("noise", noise(base.len(), 9), TileEncoding::Raw),
        ];
        // Without packing (protocol 4's choices), differences go as planes.
        let unpacked = |encoding| match encoding {
            TileEncoding::Packed => TileEncoding::Planes,
            TileEncoding::UpPacked => TileEncoding::UpPlanes,
            other => other,
        };
        let cases = cases.into_iter().flat_map(|(name, pixels, expected)| {
            [
                (name, true, pixels.clone(), expected),
                (name, false, pixels, unpacked(expected)),
            ]
        });
        for (name, packed, pixels, expected) in cases {
            let mut encoder = Encoder::default();
            encoder.set_packed(packed);
            let mut decoder = crate::Decoder::default();
            let mut key = Vec::new();
            encoder.encode_keyframe(1, 0, at(&base), &mut key);
            decoder.apply(&key).unwrap();
            let mut out = Vec::new();
            encoder.encode(2, 0, at(&pixels), Some((1, at(&base))), &mut out);
            assert_eq!(encodings(&out), [expected], "{name}, packed: {packed}");
            decoder.apply(&out).unwrap();
            let rgba: Vec<u8> = pixels
                .chunks(3)
                .flat_map(|p| [p[0], p[1], p[2], 255])
                .collect();
            assert!(decoder.framebuffer() == &rgba[..], "{name} decodes exactly");
        }
    }

    #[test]
    fn a_smooth_keyframe_is_sent_as_differences_from_the_row_above() {
        let (w, h) = (100, 40);
        // Each row the one above plus one: nothing is left once the row
        // above is subtracted.
        let pixels: Vec<u8> = (0..w * h * 4).map(|i| (i / 4 / w + i % 4) as u8).collect();
        let frame = FrameRef::new(w as u32, h as u32, PixelFormat::Rgba8, &pixels).unwrap();
        let mut out = Vec::new();
        let stats = Encoder::default().encode_keyframe(1, 0, frame, &mut out);
        assert_eq!(encodings(&out), [TileEncoding::UpPlanes]);
        assert_eq!(stats.tiles_planes, 1);
        assert!(out.len() < 400, "a ramp costs little: {} bytes", out.len());
        let mut decoder = crate::Decoder::default();
        decoder.apply(&out).unwrap();
        assert!(decoder.framebuffer() == &pixels[..], "decodes exactly");
    }

    #[test]
    fn wide_samples_send_their_differences_packed_and_decode_exactly() {
        let (w, h) = (64usize, 64usize);
        let noise = crate::testing::noise(w * h, 9);
        // A 12-bit camera: a gradient, and sensor noise of a few counts
        // between frames, which carries into the high byte now and then.
        let camera = |frame: usize| -> Vec<u8> {
            (0..w * h)
                .flat_map(|i| {
                    let grain = u16::from(noise[(i + frame * 7) % (w * h)] % 9);
                    (1000 + (i % w) as u16 * 40 + grain).to_le_bytes()
                })
                .collect()
        };
        // A float field that moves a little, with a NaN of its own payload
        // and the infinities.
        let field = |frame: usize| -> Vec<u8> {
            (0..w * h)
                .flat_map(|i| {
                    let (x, y) = ((i % w) as f32, (i / w) as f32);
                    let value = match i {
                        5 => f32::from_bits(0x7fc0_1234),
                        6 => f32::INFINITY,
                        7 => f32::NEG_INFINITY,
                        _ => (x * 0.1 + y * 0.07 + frame as f32 * 0.01).sin() * 3.5,
                    };
                    value.to_le_bytes()
                })
                .collect()
        };
        for (format, frames) in [
            (PixelFormat::Gray16, [camera(0), camera(1)]),
            (PixelFormat::F32, [field(0), field(1)]),
        ] {
            let at = |pixels| FrameRef::new(w as u32, h as u32, format, pixels).unwrap();
            let mut encoder = Encoder::with_tile_size(64, 64).unwrap();
            let mut key = Vec::new();
            encoder.encode_keyframe(1, 0, at(&frames[0]), &mut key);
            let mut delta = Vec::new();
            encoder.encode(2, 0, at(&frames[1]), Some((1, at(&frames[0]))), &mut delta);
            let sent = encodings(&delta);
            assert!(
                matches!(
                    sent[..],
                    [TileEncoding::Packed | TileEncoding::UpPacked | TileEncoding::PlanarPacked]
                ),
                "{format}: {sent:?}"
            );
            // The camera's differences need 4 or 5 bits of 16; the field's
            // about 18 of 32 (a change of a hundredth in a value of about
            // one is 2^16 steps of its last bit), and more where it
            // crosses zero.
            let most = match format {
                PixelFormat::Gray16 => frames[1].len() * 4 / 10,
                _ => frames[1].len() * 8 / 10,
            };
            assert!(delta.len() < most, "{format}: {} bytes", delta.len());
            let mut decoder = crate::Decoder::default();
            decoder.apply(&key).unwrap();
            assert!(
                decoder.framebuffer() == &frames[0][..],
                "{format}: the keyframe"
            );
            decoder.apply(&delta).unwrap();
            assert!(
                decoder.framebuffer() == &frames[1][..],
                "{format}: the delta"
            );
        }
    }

    #[test]
    fn a_smoothly_changing_float_field_goes_planar_and_decodes_exactly() {
        let (w, h) = (128usize, 128usize);
        let field = |t: f32| -> Vec<u8> {
            (0..w * h)
                .flat_map(|i| {
                    let (x, y) = ((i % w) as f32 / 113.0, (i / w) as f32 / 97.0);
                    let v = (x + t).sin() + (y * 1.3 - t).sin() + 5.0;
                    v.to_le_bytes()
                })
                .collect()
        };
        let (a, b) = (field(0.0), field(0.08));
        let at = |pixels| FrameRef::new(w as u32, h as u32, PixelFormat::F32, pixels).unwrap();
        let mut encoder = Encoder::with_tile_size(64, 64).unwrap();
        let mut delta = Vec::new();
        encoder.encode(2, 0, at(&b), Some((1, at(&a))), &mut delta);
        let sent = encodings(&delta);
        assert!(
            sent.iter().all(|&e| e == TileEncoding::PlanarPacked),
            "{sent:?}"
        );
        let mut decoder = crate::Decoder::source();
        decoder.hold(1, at(&a));
        decoder.apply(&delta).unwrap();
        assert!(decoder.framebuffer() == &b[..], "exact");
    }

    #[test]
    fn tile_size_is_checked() {
        assert!(Encoder::with_tile_size(64, 7).is_err());
        assert!(Encoder::with_tile_size(128, 32).is_ok());
    }
}
