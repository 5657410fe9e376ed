//! Message layouts. `PROTOCOL.md` is the prose version of this file; keep the
//! two in step.
//!
//! Every message starts with the same 8-byte preamble:
//!
//! | offset | size | field                                   |
//! |--------|------|-----------------------------------------|
//! | 0      | 4    | magic `FCST`                            |
//! | 4      | 1    | protocol version ([`VERSION`])          |
//! | 5      | 1    | kind ([`Kind`])                         |
//! | 6      | 2    | reserved, zero                          |
//!
//! All integers are little-endian. Each message type below keeps its layout,
//! its writer and its reader together; [`parse`] dispatches on the kind.

use crate::error::DecodeError;
use crate::frame::{FrameRef, PixelFormat, TileGrid};

// ---- Preamble ---------------------------------------------------------------

/// The first four bytes of every message.
pub const MAGIC: [u8; 4] = *b"FCST";

/// The protocol version this build speaks. 2 added the bit-plane tile
/// encodings; 3 added whole tiles and JPEG tiles; 4 the ack's `hold_us`; 5
/// the packed tile encodings; 6 the value formats (Gray8, Gray16, F32),
/// whose differences are taken a sample at a time.
pub const VERSION: u8 = 6;

/// Bytes in the preamble.
pub const PREAMBLE_LEN: usize = 8;

/// Where each field of the preamble and the frame header starts, counted
/// from the message's first byte (for tests and tools that edit a message).
pub mod offset {
    /// The protocol version byte.
    pub const VERSION: usize = 4;
    /// The kind byte.
    pub const KIND: usize = 5;
    /// The two reserved bytes.
    pub const RESERVED: usize = 6;
    /// A frame's `seq`.
    pub const SEQ: usize = 8;
    /// A frame's `base_seq`.
    pub const BASE_SEQ: usize = 16;
    /// A frame's `capture_us`.
    pub const CAPTURE_US: usize = 24;
    /// A frame's `width`.
    pub const WIDTH: usize = 32;
    /// A frame's `height`.
    pub const HEIGHT: usize = 36;
    /// A frame's `tile_width`.
    pub const TILE_WIDTH: usize = 40;
    /// A frame's `tile_height`.
    pub const TILE_HEIGHT: usize = 42;
    /// A frame's pixel format.
    pub const FORMAT: usize = 44;
    /// A frame's `tile_count`.
    pub const TILE_COUNT: usize = 45;
    /// A publish message's `width`.
    pub const PUBLISH_WIDTH: usize = 8;
    /// A publish message's pixel format.
    pub const PUBLISH_FORMAT: usize = 16;
    /// In a tile record: the encoding byte.
    pub const TILE_ENCODING: usize = 4;
    /// In a tile record: the payload length.
    pub const TILE_LENGTH: usize = 5;
}

/// Message kinds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Kind {
    /// Server to viewer: a frame as a delta against an earlier one.
    Frame = 1,
    /// Viewer to server: a frame was decoded.
    Ack = 2,
    /// Viewer to server: send the next frame as a keyframe.
    KeyframeRequest = 3,
    /// Producer to server: one raw frame to publish.
    Publish = 4,
}

impl Kind {
    fn from_code(code: u8) -> Result<Self, DecodeError> {
        match code {
            1 => Ok(Kind::Frame),
            2 => Ok(Kind::Ack),
            3 => Ok(Kind::KeyframeRequest),
            4 => Ok(Kind::Publish),
            other => Err(DecodeError::UnknownKind(other)),
        }
    }

    /// Name for error messages.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Frame => "frame",
            Kind::Ack => "ack",
            Kind::KeyframeRequest => "keyframe request",
            Kind::Publish => "publish",
        }
    }
}

fn write_preamble(out: &mut Vec<u8>, kind: Kind) {
    out.extend_from_slice(&MAGIC);
    out.push(VERSION);
    out.push(kind as u8);
    out.extend_from_slice(&[0, 0]);
}

fn read_preamble(reader: &mut Reader<'_>) -> Result<Kind, DecodeError> {
    let magic = reader.array::<4>()?;
    if magic != MAGIC {
        return Err(DecodeError::BadMagic { found: magic });
    }
    let version = reader.u8()?;
    if version != VERSION {
        return Err(DecodeError::UnsupportedVersion {
            found: version,
            supported: VERSION,
        });
    }
    let kind = Kind::from_code(reader.u8()?)?;
    match reader.u16()? {
        0 => Ok(kind),
        reserved => Err(DecodeError::Reserved(u32::from(reserved))),
    }
}

// ---- Frame (server to viewer) ---------------------------------------------

/// Bytes in a frame message before its first tile record.
pub const FRAME_HEADER_LEN: usize = PREAMBLE_LEN + 41;

/// The fixed fields of a frame message, after the preamble:
///
/// | offset | size | field        |
/// |--------|------|--------------|
/// | 8      | 8    | `seq`        |
/// | 16     | 8    | `base_seq`   |
/// | 24     | 8    | `capture_us` |
/// | 32     | 4    | `width`      |
/// | 36     | 4    | `height`     |
/// | 40     | 2    | `tile_width` |
/// | 42     | 2    | `tile_height`|
/// | 44     | 1    | `format`     |
/// | 45     | 4    | `tile_count` |
///
/// An optional [`Scroll`] record and `tile_count` tile records follow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameHeader {
    /// This frame's sequence number; the first frame of a stream is 1.
    pub seq: u64,
    /// The frame this one is a delta against; 0 means a black frame, which
    /// makes this a keyframe.
    pub base_seq: u64,
    /// When the producer captured the frame, in microseconds since the Unix
    /// epoch (0 if unknown).
    pub capture_us: u64,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// Tile width in pixels.
    pub tile_width: u16,
    /// Tile height in pixels.
    pub tile_height: u16,
    /// Pixel format of the source and of the tile payloads.
    pub format: PixelFormat,
    /// Number of tile records that follow.
    pub tile_count: u32,
}

impl FrameHeader {
    /// Whether the frame is a delta against black (a keyframe).
    pub fn is_keyframe(&self) -> bool {
        self.base_seq == 0
    }

    /// Appends the preamble and header to `out`.
    pub fn write(&self, out: &mut Vec<u8>) {
        write_preamble(out, Kind::Frame);
        out.extend_from_slice(&self.seq.to_le_bytes());
        out.extend_from_slice(&self.base_seq.to_le_bytes());
        out.extend_from_slice(&self.capture_us.to_le_bytes());
        out.extend_from_slice(&self.width.to_le_bytes());
        out.extend_from_slice(&self.height.to_le_bytes());
        out.extend_from_slice(&self.tile_width.to_le_bytes());
        out.extend_from_slice(&self.tile_height.to_le_bytes());
        out.push(self.format.code());
        out.extend_from_slice(&self.tile_count.to_le_bytes());
    }

    /// Sets the `tile_count` of the header written at `message[start..]`,
    /// once the encoder knows it.
    pub fn patch_tile_count(message: &mut [u8], start: usize, tile_count: u32) {
        let at = start + offset::TILE_COUNT;
        message[at..at + 4].copy_from_slice(&tile_count.to_le_bytes());
    }

    /// Reads the header after the preamble and checks its fields: a known
    /// format, a grid within the limits and no more tiles than it has.
    fn read(reader: &mut Reader<'_>) -> Result<(Self, TileGrid), DecodeError> {
        let seq = reader.u64()?;
        let base_seq = reader.u64()?;
        let capture_us = reader.u64()?;
        let width = reader.u32()?;
        let height = reader.u32()?;
        let tile_width = reader.u16()?;
        let tile_height = reader.u16()?;
        let format_code = reader.u8()?;
        let tile_count = reader.u32()?;
        let format = PixelFormat::from_code(format_code)
            .ok_or(DecodeError::UnknownPixelFormat(format_code))?;
        let grid = TileGrid::new(width, height, tile_width, tile_height)?;
        if tile_count > grid.len() {
            return Err(DecodeError::TooManyTiles {
                count: tile_count,
                max: grid.len(),
            });
        }
        let header = FrameHeader {
            seq,
            base_seq,
            capture_us,
            width,
            height,
            tile_width,
            tile_height,
            format,
            tile_count,
        };
        Ok((header, grid))
    }
}

/// What a scroll record has where a tile record has its index: no grid has
/// this many tiles.
pub const SCROLL_MARKER: u32 = u32::MAX;

/// Length of a scroll record: marker, `dy`, `top`, `bottom`.
pub const SCROLL_RECORD_LEN: usize = 16;

/// Rows that moved: before a frame's tiles are applied, each row `y` of the
/// band `top..bottom` becomes the base's row `y + dy` when that row is in the
/// band too; the band's other rows (those uncovered by the move) keep what
/// they had. `dy > 0` moves content up, as scrolling down a page does.
///
/// On the wire (16 bytes, right after a delta's header): [`SCROLL_MARKER`],
/// `dy` (i32), `top`, `bottom` (u32).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Scroll {
    /// First row of the band.
    pub top: u32,
    /// One past the band's last row.
    pub bottom: u32,
    /// How far the content moved: row `y` shows what row `y + dy` showed.
    pub dy: i32,
}

impl Scroll {
    /// The base row that row `y` shows once the rows have moved.
    pub fn source_row(&self, y: u32) -> u32 {
        let source = i64::from(y) + i64::from(self.dy);
        let band = i64::from(self.top)..i64::from(self.bottom);
        if band.contains(&i64::from(y)) && band.contains(&source) {
            source as u32
        } else {
            y
        }
    }

    /// Appends the scroll record to `out`.
    pub fn write(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&SCROLL_MARKER.to_le_bytes());
        out.extend_from_slice(&self.dy.to_le_bytes());
        out.extend_from_slice(&self.top.to_le_bytes());
        out.extend_from_slice(&self.bottom.to_le_bytes());
    }

    /// Reads a scroll record if one comes next (a keyframe never has one:
    /// there its marker would read as a tile index, and be refused there).
    fn read_if_present(
        reader: &mut Reader<'_>,
        header: &FrameHeader,
    ) -> Result<Option<Self>, DecodeError> {
        if header.is_keyframe() || reader.peek_u32() != Some(SCROLL_MARKER) {
            return Ok(None);
        }
        reader.u32()?;
        let dy = reader.i32()?;
        let (top, bottom) = (reader.u32()?, reader.u32()?);
        Scroll { top, bottom, dy }.check(header.height).map(Some)
    }

    /// Checks the band against a frame of `height` rows.
    fn check(self, height: u32) -> Result<Self, DecodeError> {
        let rows = self.bottom.saturating_sub(self.top);
        if self.top < self.bottom
            && self.bottom <= height
            && self.dy != 0
            && self.dy.unsigned_abs() < rows
        {
            Ok(self)
        } else {
            Err(DecodeError::BadScroll {
                top: self.top,
                bottom: self.bottom,
                dy: self.dy,
                height,
            })
        }
    }
}

/// Bytes in a tile record before its payload: index (u32), encoding (u8),
/// payload length (u32).
pub const TILE_HEADER_LEN: usize = 9;

/// How a tile's payload holds the tile given its base (the same tile of the
/// frame the viewer holds). `PROTOCOL.md` defines each byte by byte.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum TileEncoding {
    /// The tile's bytes XOR the base's, as they are (for tiles nothing
    /// shrinks: noise).
    Raw = 0,
    /// The XOR bytes as one LZ4 block (lz4_flex block format, no size
    /// prefix). For tiles that are mostly unchanged: a GUI, text, a sprite.
    Lz4 = 1,
    /// The difference (tile minus base, wrapping, byte by byte), zigzagged,
    /// as bit planes, in one LZ4 block. For sensor noise and small changes
    /// everywhere: a camera.
    Planes = 2,
    /// Like [`Planes`](Self::Planes), of the difference minus the
    /// difference of the same byte in the tile's row above (the first row's
    /// as it is). For smooth motion: a simulation, a gradient.
    UpPlanes = 3,
    /// Lossy: the tile's pixels are the next slot of the message's JPEG
    /// images (see [`Images`]); the payload is empty, or in a frame of
    /// values the tile's range ([`JPEG_RANGE_LEN`] bytes). Not in RGBA8
    /// frames.
    Jpeg = 4,
    /// The values of [`Planes`](Self::Planes) (zigzagged differences)
    /// packed in groups of 32, each in the bits its widest value needs, no
    /// LZ4. For natural content: 1.00-1.07x the bytes of planes + LZ4 in
    /// 0.6x its encode time and 0.75-0.9x its decode (BENCHMARKS.md).
    Packed = 5,
    /// The values of [`UpPlanes`](Self::UpPlanes), packed as
    /// [`Packed`](Self::Packed).
    UpPacked = 6,
    /// The up-predicted differences minus those of the sample to the left,
    /// packed as [`Packed`](Self::Packed): for smooth change in both
    /// directions (a simulation's float field). Frames of 16- and 32-bit
    /// samples only (Gray16, F32).
    PlanarPacked = 7,
}

/// Set in a tile record's encoding byte: the tile is **whole**, a delta
/// against black instead of against the framebuffer (which may hold lossy
/// pixels the server does not know exactly). Not with [`TileEncoding::Jpeg`],
/// which is whole by nature.
pub const WHOLE_FLAG: u8 = 0x80;

impl TileEncoding {
    /// The encoding of a wire code (without [`WHOLE_FLAG`]), if it names one.
    pub const fn from_code(code: u8) -> Option<Self> {
        match code {
            0 => Some(TileEncoding::Raw),
            1 => Some(TileEncoding::Lz4),
            2 => Some(TileEncoding::Planes),
            3 => Some(TileEncoding::UpPlanes),
            4 => Some(TileEncoding::Jpeg),
            5 => Some(TileEncoding::Packed),
            6 => Some(TileEncoding::UpPacked),
            7 => Some(TileEncoding::PlanarPacked),
            _ => None,
        }
    }

    /// Whether the payload is an LZ4 block (the XOR and bit-plane encodings
    /// but raw).
    pub const fn is_compressed(self) -> bool {
        matches!(
            self,
            TileEncoding::Lz4 | TileEncoding::Planes | TileEncoding::UpPlanes
        )
    }

    /// Whether the payload is packed values ([`TileEncoding::Packed`],
    /// [`TileEncoding::UpPacked`] and [`TileEncoding::PlanarPacked`]).
    pub const fn is_packed(self) -> bool {
        matches!(
            self,
            TileEncoding::Packed | TileEncoding::UpPacked | TileEncoding::PlanarPacked
        )
    }

    /// Whether the tile's bytes are added to the framebuffer's (the
    /// differences of the planes and packed encodings) rather than XORed.
    pub const fn adds(self) -> bool {
        matches!(
            self,
            TileEncoding::Planes
                | TileEncoding::UpPlanes
                | TileEncoding::Packed
                | TileEncoding::UpPacked
                | TileEncoding::PlanarPacked
        )
    }
}

/// One tile record of a frame message.
#[derive(Debug, Clone, Copy)]
pub struct TileRecord<'a> {
    /// Index in the grid, row-major.
    pub index: u32,
    /// How `payload` holds the tile.
    pub encoding: TileEncoding,
    /// Whether the tile is a delta against black rather than against the
    /// framebuffer ([`WHOLE_FLAG`]; always true for JPEG tiles).
    pub whole: bool,
    /// The payload.
    pub payload: &'a [u8],
}

impl TileRecord<'_> {
    /// Appends a tile record's header; its `length` bytes of payload follow.
    /// `whole` sets [`WHOLE_FLAG`] (never for a JPEG tile, which is whole
    /// anyway).
    pub fn write_header(
        index: u32,
        encoding: TileEncoding,
        whole: bool,
        length: usize,
        out: &mut Vec<u8>,
    ) {
        let whole = whole && encoding != TileEncoding::Jpeg;
        out.extend_from_slice(&index.to_le_bytes());
        out.push(encoding as u8 | if whole { WHOLE_FLAG } else { 0 });
        out.extend_from_slice(&(length as u32).to_le_bytes());
    }
}

/// Appends one JPEG image record (after a frame message's tile records):
/// its length, then the JPEG.
pub fn write_image(jpeg: &[u8], out: &mut Vec<u8>) {
    out.extend_from_slice(&(jpeg.len() as u32).to_le_bytes());
    out.extend_from_slice(jpeg);
}

/// Bytes of a JPEG tile record's payload in a frame of values: the tile's
/// range, `lo` and `hi`, two little-endian `f32`s, finite, `lo <= hi`. (An
/// RGB8 frame's JPEG tiles have none.)
pub const JPEG_RANGE_LEN: usize = 8;

/// Most rows in one JPEG image (libjpeg's limit on a side).
pub const MAX_JPEG_ROWS: u32 = 65_500;

/// The JPEG tiles' slot size for tiles of `tile_width x tile_height`: each
/// side rounded up to 16, the size of a 4:2:0 JPEG's blocks of pixels, so
/// that no block mixes two tiles.
pub const fn jpeg_slot(tile_width: u16, tile_height: u16) -> (u32, u32) {
    (
        (tile_width as u32).next_multiple_of(16),
        (tile_height as u32).next_multiple_of(16),
    )
}

/// A frame message whose header has been checked; its tiles are read by
/// [`tiles`](Self::tiles).
#[derive(Debug, Clone, Copy)]
pub struct FrameMessage<'a> {
    /// The fixed fields.
    pub header: FrameHeader,
    /// The tile grid the header declares.
    pub grid: TileGrid,
    /// Rows of the base that moved, applied before the tiles.
    pub scroll: Option<Scroll>,
    /// The bytes after the header: the tile records.
    tile_bytes: &'a [u8],
    /// Offset of `tile_bytes` in the message, for errors.
    tiles_at: usize,
}

impl<'a> FrameMessage<'a> {
    fn read(mut reader: Reader<'a>) -> Result<Self, DecodeError> {
        let (header, grid) = FrameHeader::read(&mut reader)?;
        let scroll = Scroll::read_if_present(&mut reader, &header)?;
        let tiles_at = reader.offset();
        Ok(FrameMessage {
            header,
            grid,
            scroll,
            tile_bytes: reader.rest(),
            tiles_at,
        })
    }

    /// Iterates over the tile records, checking each one's index, encoding and
    /// length, then, when none was a JPEG tile, that nothing follows the
    /// last. The JPEG images after them are read by [`Tiles::images`].
    pub fn tiles(&self) -> Tiles<'a> {
        Tiles {
            reader: Reader::new(self.tile_bytes, self.tiles_at),
            grid: self.grid,
            format: self.header.format,
            remaining: self.header.tile_count,
            previous: None,
            jpeg_tiles: 0,
        }
    }
}

/// Iterator over a frame message's tile records; see [`FrameMessage::tiles`].
#[derive(Debug)]
pub struct Tiles<'a> {
    reader: Reader<'a>,
    grid: TileGrid,
    format: PixelFormat,
    remaining: u32,
    previous: Option<u32>,
    /// JPEG tiles read so far: the slots the images must hold.
    jpeg_tiles: u32,
}

impl<'a> Iterator for Tiles<'a> {
    type Item = Result<TileRecord<'a>, DecodeError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.remaining == 0 {
            let trailing = self.reader.remaining();
            self.remaining = u32::MAX; // report trailing bytes once, then stop
                                       // After JPEG tiles, their images follow: `images` reads them.
            return (trailing > 0 && self.jpeg_tiles == 0)
                .then_some(Err(DecodeError::TrailingBytes(trailing)));
        }
        if self.remaining == u32::MAX {
            return None;
        }
        self.remaining -= 1;
        let record = self.read_record();
        if record.is_err() {
            self.remaining = u32::MAX;
        }
        Some(record)
    }
}

impl<'a> Tiles<'a> {
    /// Reads one tile record: an index after the previous one and inside the
    /// grid, a known encoding, and a payload length a tile of that size can
    /// have in it.
    fn read_record(&mut self) -> Result<TileRecord<'a>, DecodeError> {
        let index = self.reader.u32()?;
        let grid_len = self.grid.len();
        if index >= grid_len || self.previous.is_some_and(|previous| index <= previous) {
            return Err(DecodeError::TileIndex {
                index,
                previous: self.previous,
                grid_len,
            });
        }
        self.previous = Some(index);
        let code = self.reader.u8()?;
        let whole = code & WHOLE_FLAG != 0;
        let encoding = TileEncoding::from_code(code & !WHOLE_FLAG)
            .filter(|&encoding| !(whole && encoding == TileEncoding::Jpeg))
            .ok_or(DecodeError::UnknownTileEncoding {
                index,
                encoding: code,
            })?;
        let length = self.reader.u32()?;
        if encoding == TileEncoding::Jpeg {
            if self.format == PixelFormat::Rgba8 {
                return Err(DecodeError::JpegTile {
                    index,
                    reason: "JPEG tiles are for RGB8 frames and frames of values only".into(),
                });
            }
            let values = self.format.is_value();
            let expected = if values { JPEG_RANGE_LEN } else { 0 };
            if length as usize != expected {
                return Err(DecodeError::TileLength {
                    index,
                    length,
                    expected: if values {
                        format!(
                            "a value tile's JPEG record holds its range, {JPEG_RANGE_LEN} bytes"
                        )
                    } else {
                        "a JPEG tile's pixels are in the images: it has none".into()
                    },
                });
            }
            let payload = self.reader.bytes(expected)?;
            if values {
                let number = |at: usize| {
                    f32::from_le_bytes(payload[at..at + 4].try_into().expect("four bytes"))
                };
                let (lo, hi) = (number(0), number(4));
                if !(lo.is_finite() && hi.is_finite() && lo <= hi) {
                    return Err(DecodeError::JpegTile {
                        index,
                        reason: format!("a JPEG tile's range is two finite numbers, the first not above the second, not {lo} and {hi}"),
                    });
                }
            }
            self.jpeg_tiles += 1;
            return Ok(TileRecord {
                index,
                encoding,
                whole: true,
                payload,
            });
        }
        if encoding == TileEncoding::PlanarPacked && self.format.sample_bytes() == 1 {
            return Err(DecodeError::Packed {
                index,
                reason: format!(
                    "planar packed tiles are for 16- and 32-bit samples, not {}",
                    self.format
                ),
            });
        }
        let rect = self.grid.tile(index);
        let tile_len = rect.width as usize * rect.height as usize * self.format.bytes_per_pixel();
        let most_compressed = lz4_flex::block::get_maximum_output_size(tile_len);
        let most_packed = crate::packed::max_len(tile_len);
        if encoding.is_packed() {
            if length as usize > most_packed {
                return Err(DecodeError::TileLength {
                    index,
                    length,
                    expected: format!("packed {tile_len} bytes take at most {most_packed}"),
                });
            }
        } else if !encoding.is_compressed() && length as usize != tile_len {
            return Err(DecodeError::TileLength {
                index,
                length,
                expected: format!("a raw tile has exactly {tile_len}"),
            });
        }
        if encoding.is_compressed() && length as usize > most_compressed {
            return Err(DecodeError::TileLength {
                index,
                length,
                expected: format!("LZ4 of {tile_len} bytes takes at most {most_compressed}"),
            });
        }
        let payload = self.reader.bytes(length as usize)?;
        Ok(TileRecord {
            index,
            encoding,
            whole,
            payload,
        })
    }

    /// The JPEG images after the tile records, once every tile record has
    /// been read (an error if not): as many as there are until the message
    /// ends, at least one when a tile was a JPEG tile and none otherwise.
    /// How many slots each holds is in its JPEG header; the decoder checks
    /// that they add up to the JPEG tiles.
    pub fn images(self) -> Images<'a> {
        Images {
            reader: self.reader,
            jpeg_tiles: self.jpeg_tiles,
            unread_tiles: self.remaining != 0 && self.remaining != u32::MAX,
        }
    }
}

/// The JPEG image records after a frame message's tile records; see
/// [`Tiles::images`]. Each record is a `u32` length and that many bytes of
/// baseline JPEG whose width is the [`jpeg_slot`] width and whose height is
/// a whole number of slots, stacked top to bottom: the JPEG tiles take the
/// slots in the order of their records.
#[derive(Debug)]
pub struct Images<'a> {
    reader: Reader<'a>,
    /// JPEG tiles in the message (none: no images may follow).
    jpeg_tiles: u32,
    /// Whether the tile records were not all read first.
    unread_tiles: bool,
}

impl<'a> Iterator for Images<'a> {
    type Item = Result<&'a [u8], DecodeError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.unread_tiles {
            self.unread_tiles = false;
            self.jpeg_tiles = 0;
            return Some(Err(DecodeError::JpegImages(
                "read every tile record before the images".into(),
            )));
        }
        if self.reader.remaining() == 0 || self.jpeg_tiles == 0 {
            return None;
        }
        let image = self
            .reader
            .u32()
            .and_then(|length| self.reader.bytes(length as usize));
        if image.is_err() {
            self.jpeg_tiles = 0;
        }
        Some(image)
    }
}

/// Parses a frame message; any other kind is an error.
pub fn parse_frame(bytes: &[u8]) -> Result<FrameMessage<'_>, DecodeError> {
    let mut reader = Reader::new(bytes, 0);
    match read_preamble(&mut reader)? {
        Kind::Frame => FrameMessage::read(reader),
        other => Err(DecodeError::UnexpectedKind {
            expected: Kind::Frame.name(),
            found: other.name(),
        }),
    }
}

// ---- Ack (viewer to server) -------------------------------------------------

/// Bytes in an ack message: the preamble, `seq` (u64), `decode_us` (u32),
/// `paint_us` (u32), `hold_us` (u32).
pub const ACK_LEN: usize = PREAMBLE_LEN + 20;

/// Viewer to server: the frame `seq` (and every frame before it) has been
/// decoded into the viewer's framebuffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ack {
    /// The newest frame applied.
    pub seq: u64,
    /// Microseconds spent decoding the frames this ack covers.
    pub decode_us: u32,
    /// Microseconds spent painting the frames painted since the last ack.
    pub paint_us: u32,
    /// Microseconds from the arrival of the message of `seq` to this ack:
    /// what the viewer itself added to the round trip (waiting for its
    /// thread, decoding). The server takes it off the time from sending to
    /// ack, so that what is left is the path's.
    pub hold_us: u32,
}

impl Ack {
    /// Appends the message to `out`.
    pub fn write(&self, out: &mut Vec<u8>) {
        write_preamble(out, Kind::Ack);
        out.extend_from_slice(&self.seq.to_le_bytes());
        out.extend_from_slice(&self.decode_us.to_le_bytes());
        out.extend_from_slice(&self.paint_us.to_le_bytes());
        out.extend_from_slice(&self.hold_us.to_le_bytes());
    }

    fn read(reader: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(Ack {
            seq: reader.u64()?,
            decode_us: reader.u32()?,
            paint_us: reader.u32()?,
            hold_us: reader.u32()?,
        })
    }
}

// ---- Keyframe request (viewer to server) ------------------------------------

/// Bytes in a keyframe request: the preamble and a [`KeyframeReason`].
pub const KEYFRAME_REQUEST_LEN: usize = PREAMBLE_LEN + 1;

/// Why a viewer asks for a keyframe.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum KeyframeReason {
    /// The viewer has just (re)connected or (re)started.
    Start = 0,
    /// A message failed to decode; the framebuffer is not to be trusted.
    DecodeError = 1,
}

/// Viewer to server: send the next frame as a keyframe.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyframeRequest {
    /// Why.
    pub reason: KeyframeReason,
}

impl KeyframeRequest {
    /// Appends the message to `out`.
    pub fn write(&self, out: &mut Vec<u8>) {
        write_preamble(out, Kind::KeyframeRequest);
        out.push(self.reason as u8);
    }

    fn read(reader: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let reason = match reader.u8()? {
            0 => KeyframeReason::Start,
            1 => KeyframeReason::DecodeError,
            other => return Err(DecodeError::UnknownKeyframeReason(other)),
        };
        Ok(KeyframeRequest { reason })
    }
}

// ---- Publish (producer to server) -------------------------------------------

/// Bytes in a publish message before its pixels: the preamble, `width`,
/// `height` (u32), `format` (u8), `capture_us` (u64).
pub const PUBLISH_HEADER_LEN: usize = PREAMBLE_LEN + 17;

/// Producer to server: a raw frame to publish, as the header's size and
/// format say, row-major and tightly packed (numpy's `tobytes()`).
#[derive(Debug, Clone, Copy)]
pub struct Publish<'a> {
    /// The pixels, checked against the declared size and format.
    pub frame: FrameRef<'a>,
    /// When the producer captured the frame, microseconds since the Unix
    /// epoch; 0 lets the server stamp it on arrival.
    pub capture_us: u64,
}

impl<'a> Publish<'a> {
    /// Appends the message to `out`.
    pub fn write(&self, out: &mut Vec<u8>) {
        write_publish_header(
            out,
            self.frame.width(),
            self.frame.height(),
            self.frame.format(),
            self.capture_us,
        );
        out.extend_from_slice(self.frame.pixels());
    }

    fn read(mut reader: Reader<'a>) -> Result<Self, DecodeError> {
        let width = reader.u32()?;
        let height = reader.u32()?;
        let format_code = reader.u8()?;
        let capture_us = reader.u64()?;
        let format = PixelFormat::from_code(format_code)
            .ok_or(DecodeError::UnknownPixelFormat(format_code))?;
        let frame = FrameRef::new(width, height, format, reader.rest())?;
        Ok(Publish { frame, capture_us })
    }
}

/// Appends a publish message's preamble and header (everything but the
/// pixels) to `out`.
pub fn write_publish_header(
    out: &mut Vec<u8>,
    width: u32,
    height: u32,
    format: PixelFormat,
    capture_us: u64,
) {
    write_preamble(out, Kind::Publish);
    out.extend_from_slice(&width.to_le_bytes());
    out.extend_from_slice(&height.to_le_bytes());
    out.push(format.code());
    out.extend_from_slice(&capture_us.to_le_bytes());
}

/// Parses a publish message; any other kind is an error.
pub fn parse_publish(bytes: &[u8]) -> Result<Publish<'_>, DecodeError> {
    let mut reader = Reader::new(bytes, 0);
    match read_preamble(&mut reader)? {
        Kind::Publish => Publish::read(reader),
        other => Err(DecodeError::UnexpectedKind {
            expected: Kind::Publish.name(),
            found: other.name(),
        }),
    }
}

// ---- Any message -------------------------------------------------------------

/// Any framecast message.
#[derive(Debug, Clone, Copy)]
pub enum Message<'a> {
    /// Server to viewer.
    Frame(FrameMessage<'a>),
    /// Viewer to server.
    Ack(Ack),
    /// Viewer to server.
    KeyframeRequest(KeyframeRequest),
    /// Producer to server.
    Publish(Publish<'a>),
}

impl Message<'_> {
    /// Which kind of message it is.
    pub fn kind(&self) -> Kind {
        match self {
            Message::Frame(_) => Kind::Frame,
            Message::Ack(_) => Kind::Ack,
            Message::KeyframeRequest(_) => Kind::KeyframeRequest,
            Message::Publish(_) => Kind::Publish,
        }
    }
}

/// Parses any message: checks the preamble and the fixed fields. A frame's
/// tile records are checked as [`FrameMessage::tiles`] reads them.
pub fn parse(bytes: &[u8]) -> Result<Message<'_>, DecodeError> {
    let mut reader = Reader::new(bytes, 0);
    let message = match read_preamble(&mut reader)? {
        Kind::Frame => return FrameMessage::read(reader).map(Message::Frame),
        Kind::Publish => return Publish::read(reader).map(Message::Publish),
        Kind::Ack => Message::Ack(Ack::read(&mut reader)?),
        Kind::KeyframeRequest => Message::KeyframeRequest(KeyframeRequest::read(&mut reader)?),
    };
    match reader.remaining() {
        0 => Ok(message),
        trailing => Err(DecodeError::TrailingBytes(trailing)),
    }
}

// ---- Reading -------------------------------------------------------------------

/// A cursor over a message that turns running out of bytes into
/// [`DecodeError::Truncated`]. `base` is the offset of `bytes` in the whole
/// message, so that errors count from the message's start.
#[derive(Debug)]
struct Reader<'a> {
    bytes: &'a [u8],
    position: usize,
    base: usize,
}

impl<'a> Reader<'a> {
    fn new(bytes: &'a [u8], base: usize) -> Self {
        Reader {
            bytes,
            position: 0,
            base,
        }
    }

    fn remaining(&self) -> usize {
        self.bytes.len() - self.position
    }

    /// Offset of the next byte in the whole message.
    fn offset(&self) -> usize {
        self.base + self.position
    }

    fn rest(self) -> &'a [u8] {
        &self.bytes[self.position..]
    }

    fn bytes(&mut self, count: usize) -> Result<&'a [u8], DecodeError> {
        if count > self.remaining() {
            return Err(DecodeError::Truncated {
                needed: self.offset() + count,
                available: self.base + self.bytes.len(),
            });
        }
        let slice = &self.bytes[self.position..self.position + count];
        self.position += count;
        Ok(slice)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], DecodeError> {
        let mut array = [0; N];
        array.copy_from_slice(self.bytes(N)?);
        Ok(array)
    }

    fn u8(&mut self) -> Result<u8, DecodeError> {
        Ok(self.array::<1>()?[0])
    }

    fn u16(&mut self) -> Result<u16, DecodeError> {
        self.array().map(u16::from_le_bytes)
    }

    fn u32(&mut self) -> Result<u32, DecodeError> {
        self.array().map(u32::from_le_bytes)
    }

    fn u64(&mut self) -> Result<u64, DecodeError> {
        self.array().map(u64::from_le_bytes)
    }

    fn i32(&mut self) -> Result<i32, DecodeError> {
        self.array().map(i32::from_le_bytes)
    }

    /// The next four bytes as a `u32`, without reading them.
    fn peek_u32(&self) -> Option<u32> {
        let bytes = self.bytes.get(self.position..self.position + 4)?;
        Some(u32::from_le_bytes(bytes.try_into().expect("four bytes")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::FrameError;

    fn header() -> FrameHeader {
        FrameHeader {
            seq: 7,
            base_seq: 6,
            capture_us: 123,
            width: 100,
            height: 50,
            tile_width: 64,
            tile_height: 64,
            format: PixelFormat::Rgb8,
            tile_count: 0,
        }
    }

    fn frame_bytes(header: FrameHeader) -> Vec<u8> {
        let mut out = Vec::new();
        header.write(&mut out);
        out
    }

    /// The named offsets are where the writers put each field.
    #[test]
    fn offsets_name_the_written_fields() {
        let header = FrameHeader {
            seq: 0x1111,
            base_seq: 0x2222,
            capture_us: 0x3333,
            width: 0x44,
            height: 0x55,
            tile_width: 0x66,
            tile_height: 0x77,
            format: PixelFormat::Rgba8,
            tile_count: 0x99,
        };
        let bytes = frame_bytes(header);
        let u64_at = |at: usize| u64::from_le_bytes(bytes[at..at + 8].try_into().unwrap());
        let u32_at = |at: usize| u32::from_le_bytes(bytes[at..at + 4].try_into().unwrap());
        let u16_at = |at: usize| u16::from_le_bytes(bytes[at..at + 2].try_into().unwrap());
        assert_eq!(
            (
                bytes[offset::VERSION],
                bytes[offset::KIND],
                u16_at(offset::RESERVED)
            ),
            (VERSION, Kind::Frame as u8, 0)
        );
        assert_eq!(
            (
                u64_at(offset::SEQ),
                u64_at(offset::BASE_SEQ),
                u64_at(offset::CAPTURE_US)
            ),
            (0x1111, 0x2222, 0x3333)
        );
        assert_eq!(
            (u32_at(offset::WIDTH), u32_at(offset::HEIGHT)),
            (0x44, 0x55)
        );
        assert_eq!(
            (u16_at(offset::TILE_WIDTH), u16_at(offset::TILE_HEIGHT)),
            (0x66, 0x77)
        );
        assert_eq!(bytes[offset::FORMAT], PixelFormat::Rgba8.code());
        assert_eq!(u32_at(offset::TILE_COUNT), 0x99);

        let mut record = Vec::new();
        TileRecord::write_header(5, TileEncoding::UpPlanes, false, 0x1234, &mut record);
        assert_eq!(record.len(), TILE_HEADER_LEN);
        assert_eq!(record[offset::TILE_ENCODING], TileEncoding::UpPlanes as u8);
        assert_eq!(
            u32::from_le_bytes(record[offset::TILE_LENGTH..][..4].try_into().unwrap()),
            0x1234
        );

        let mut publish = Vec::new();
        write_publish_header(&mut publish, 0xab, 0xcd, PixelFormat::Rgb8, 7);
        assert_eq!(
            u32::from_le_bytes(publish[offset::PUBLISH_WIDTH..][..4].try_into().unwrap()),
            0xab
        );
        assert_eq!(publish[offset::PUBLISH_FORMAT], PixelFormat::Rgb8.code());
    }

    #[test]
    fn frame_header_round_trips() {
        let bytes = frame_bytes(header());
        assert_eq!(bytes.len(), FRAME_HEADER_LEN);
        let Message::Frame(frame) = parse(&bytes).unwrap() else {
            panic!("not a frame")
        };
        assert_eq!(frame.header, header());
        assert_eq!(frame.tiles().count(), 0);
    }

    #[test]
    fn ack_and_keyframe_request_round_trip() {
        let ack = Ack {
            seq: u64::MAX - 1,
            decode_us: 1500,
            paint_us: 70,
            hold_us: 2100,
        };
        let mut bytes = Vec::new();
        ack.write(&mut bytes);
        assert_eq!(bytes.len(), ACK_LEN);
        assert!(matches!(parse(&bytes), Ok(Message::Ack(a)) if a == ack));

        let request = KeyframeRequest {
            reason: KeyframeReason::DecodeError,
        };
        let mut bytes = Vec::new();
        request.write(&mut bytes);
        assert_eq!(bytes.len(), KEYFRAME_REQUEST_LEN);
        assert!(matches!(parse(&bytes), Ok(Message::KeyframeRequest(r)) if r == request));
    }

    #[test]
    fn every_truncation_is_an_error() {
        let mut ack = Vec::new();
        Ack {
            seq: 1,
            decode_us: 2,
            paint_us: 3,
            hold_us: 4,
        }
        .write(&mut ack);
        for bytes in [frame_bytes(header()), ack] {
            for len in 0..bytes.len() {
                assert!(
                    matches!(parse(&bytes[..len]), Err(DecodeError::Truncated { available, .. }) if available == len),
                    "length {len}"
                );
            }
        }
    }

    #[test]
    fn bad_preamble() {
        let mut bytes = frame_bytes(header());
        bytes[0] = b'X';
        assert!(matches!(parse(&bytes), Err(DecodeError::BadMagic { .. })));

        let mut bytes = frame_bytes(header());
        bytes[offset::VERSION] = 9;
        assert_eq!(
            parse(&bytes).unwrap_err(),
            DecodeError::UnsupportedVersion {
                found: 9,
                supported: VERSION
            }
        );

        let mut bytes = frame_bytes(header());
        bytes[offset::KIND] = 42;
        assert_eq!(parse(&bytes).unwrap_err(), DecodeError::UnknownKind(42));

        let mut bytes = frame_bytes(header());
        bytes[offset::RESERVED + 1] = 1;
        assert_eq!(parse(&bytes).unwrap_err(), DecodeError::Reserved(0x100));
    }

    #[test]
    fn bad_header_fields() {
        let mut bytes = frame_bytes(header());
        bytes[offset::FORMAT] = 9;
        assert_eq!(
            parse(&bytes).unwrap_err(),
            DecodeError::UnknownPixelFormat(9)
        );

        let bytes = frame_bytes(FrameHeader {
            width: 0,
            ..header()
        });
        assert!(matches!(
            parse(&bytes),
            Err(DecodeError::Frame(FrameError::ZeroDimension { .. }))
        ));

        let bytes = frame_bytes(FrameHeader {
            width: 1 << 20,
            height: 1 << 20,
            ..header()
        });
        assert!(matches!(
            parse(&bytes),
            Err(DecodeError::Frame(FrameError::TooLarge { .. }))
        ));

        let bytes = frame_bytes(FrameHeader {
            tile_width: 3,
            ..header()
        });
        assert!(matches!(
            parse(&bytes),
            Err(DecodeError::Frame(FrameError::TileSize { .. }))
        ));

        // 100x50 in 64x64 tiles is a 2x1 grid.
        let bytes = frame_bytes(FrameHeader {
            tile_count: 3,
            ..header()
        });
        assert_eq!(
            parse(&bytes).unwrap_err(),
            DecodeError::TooManyTiles { count: 3, max: 2 }
        );
    }

    fn with_tiles(records: &[(u32, u8, &[u8])]) -> Vec<u8> {
        let mut bytes = frame_bytes(FrameHeader {
            tile_count: records.len() as u32,
            ..header()
        });
        for (index, encoding, payload) in records {
            bytes.extend_from_slice(&index.to_le_bytes());
            bytes.push(*encoding);
            bytes.extend_from_slice(&(payload.len() as u32).to_le_bytes());
            bytes.extend_from_slice(payload);
        }
        bytes
    }

    #[test]
    fn scroll_records() {
        let with_scroll = |header: FrameHeader, scroll: Scroll| {
            let mut bytes = frame_bytes(header);
            scroll.write(&mut bytes);
            bytes
        };
        // 50 rows: a band of rows 10..50 moved up 3.
        let good = Scroll {
            top: 10,
            bottom: 50,
            dy: 3,
        };
        let bytes = with_scroll(header(), good);
        assert_eq!(bytes.len(), FRAME_HEADER_LEN + SCROLL_RECORD_LEN);
        let frame = parse_frame(&bytes).unwrap();
        assert_eq!(frame.scroll, Some(good));
        assert_eq!(frame.tiles().count(), 0);
        assert_eq!(
            (
                good.source_row(5),
                good.source_row(10),
                good.source_row(46),
                good.source_row(47)
            ),
            (5, 13, 49, 47)
        );

        for bad in [
            Scroll { dy: 0, ..good },
            Scroll { dy: 40, ..good },
            Scroll { dy: -40, ..good },
            Scroll { top: 50, ..good },
            Scroll { bottom: 51, ..good },
        ] {
            assert_eq!(
                parse_frame(&with_scroll(header(), bad)).unwrap_err(),
                DecodeError::BadScroll {
                    top: bad.top,
                    bottom: bad.bottom,
                    dy: bad.dy,
                    height: 50
                }
            );
        }
        // A keyframe has nothing to move: the marker reads as a tile index.
        let keyframe = with_scroll(
            FrameHeader {
                base_seq: 0,
                tile_count: 1,
                ..header()
            },
            good,
        );
        assert!(matches!(
            first_tile_error(&keyframe),
            DecodeError::TileIndex {
                index: SCROLL_MARKER,
                ..
            }
        ));
    }

    fn first_tile_error(bytes: &[u8]) -> DecodeError {
        let frame = parse_frame(bytes).unwrap();
        let error = frame.tiles().find_map(Result::err).expect("an error");
        error
    }

    #[test]
    fn bad_tile_records() {
        // Tile 0 of the 2x1 grid is 64x50 RGB: 9600 raw bytes.
        let raw = vec![0u8; 64 * 50 * 3];
        assert!(parse_frame(&with_tiles(&[(0, 0, &raw)]))
            .unwrap()
            .tiles()
            .all(|t| t.is_ok()));

        assert!(matches!(
            first_tile_error(&with_tiles(&[(0, 0, &raw[1..])])),
            DecodeError::TileLength {
                index: 0,
                length: 9599,
                ..
            }
        ));
        assert!(matches!(
            first_tile_error(&with_tiles(&[(2, 1, b"x")])),
            DecodeError::TileIndex { index: 2, .. }
        ));
        assert!(matches!(
            first_tile_error(&with_tiles(&[(1, 1, b"x"), (1, 1, b"x")])),
            DecodeError::TileIndex {
                index: 1,
                previous: Some(1),
                ..
            }
        ));
        assert_eq!(
            first_tile_error(&with_tiles(&[(0, 8, b"x")])),
            DecodeError::UnknownTileEncoding {
                index: 0,
                encoding: 8
            }
        );
        // Planar packed tiles are for wide samples; these frames are RGB8.
        assert!(matches!(
            first_tile_error(&with_tiles(&[(0, 7, b"x")])),
            DecodeError::Packed { index: 0, .. }
        ));
        assert!(matches!(
            first_tile_error(&with_tiles(&[(0, 1, &vec![0u8; 20_000])])),
            DecodeError::TileLength { index: 0, .. }
        ));

        let mut bytes = with_tiles(&[(0, 1, b"abc")]);
        bytes.push(0);
        assert_eq!(first_tile_error(&bytes), DecodeError::TrailingBytes(1));

        let bytes = with_tiles(&[(0, 1, b"abc")]);
        assert!(matches!(
            first_tile_error(&bytes[..bytes.len() - 1]),
            DecodeError::Truncated { .. }
        ));
    }

    #[test]
    fn publish_round_trips_and_checks_its_pixels() {
        let pixels = vec![7u8; 4 * 3 * 4];
        let frame = FrameRef::new(4, 3, PixelFormat::Rgba8, &pixels).unwrap();
        let mut bytes = Vec::new();
        Publish {
            frame,
            capture_us: 99,
        }
        .write(&mut bytes);
        assert_eq!(bytes.len(), PUBLISH_HEADER_LEN + pixels.len());
        let publish = parse_publish(&bytes).unwrap();
        assert_eq!(
            (
                publish.frame.width(),
                publish.frame.height(),
                publish.capture_us
            ),
            (4, 3, 99)
        );
        assert_eq!(publish.frame.pixels(), &pixels[..]);

        assert!(matches!(
            parse_publish(&bytes[..bytes.len() - 1]),
            Err(DecodeError::Frame(FrameError::PixelCount {
                expected: 48,
                actual: 47,
                ..
            }))
        ));
        for len in 0..PUBLISH_HEADER_LEN {
            assert!(matches!(
                parse_publish(&bytes[..len]),
                Err(DecodeError::Truncated { .. })
            ));
        }
        let mut bad_format = bytes.clone();
        bad_format[offset::PUBLISH_FORMAT] = 6;
        assert_eq!(
            parse_publish(&bad_format).unwrap_err(),
            DecodeError::UnknownPixelFormat(6)
        );
        let mut zero = bytes.clone();
        zero[offset::PUBLISH_WIDTH..][..4].copy_from_slice(&0u32.to_le_bytes());
        assert!(matches!(
            parse_publish(&zero),
            Err(DecodeError::Frame(FrameError::ZeroDimension { .. }))
        ));
    }

    #[test]
    fn parse_frame_rejects_other_kinds() {
        let mut bytes = Vec::new();
        KeyframeRequest {
            reason: KeyframeReason::Start,
        }
        .write(&mut bytes);
        assert!(matches!(
            parse_frame(&bytes),
            Err(DecodeError::UnexpectedKind { .. })
        ));
    }
}
