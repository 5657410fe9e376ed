//! Errors. Every malformed input is one of these; nothing in this crate panics
//! on bytes from the wire.

use crate::frame::PixelFormat;

/// A frame whose size, format or byte count is not acceptable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FrameError {
    /// Width or height is zero.
    #[error("frame size {width}x{height} has a zero side")]
    ZeroDimension {
        /// Declared width.
        width: u32,
        /// Declared height.
        height: u32,
    },
    /// Width, height or pixel count is over the limits.
    #[error(
        "frame size {width}x{height} is over the limits ({max_side} a side, {max_pixels} pixels)",
        max_side = crate::MAX_DIMENSION,
        max_pixels = crate::MAX_FRAME_PIXELS
    )]
    TooLarge {
        /// Declared width.
        width: u32,
        /// Declared height.
        height: u32,
    },
    /// The pixel buffer's length does not match the size and format.
    #[error("a {width}x{height} {format} frame has {expected} bytes, got {actual}")]
    PixelCount {
        /// Declared width.
        width: u32,
        /// Declared height.
        height: u32,
        /// Declared format.
        format: PixelFormat,
        /// `width * height * bytes_per_pixel`.
        expected: usize,
        /// Bytes given.
        actual: usize,
    },
    /// A tile side outside `MIN_TILE_SIDE..=MAX_TILE_SIDE`.
    #[error(
        "tile size {tile_width}x{tile_height} is outside {min}..={max} a side",
        min = crate::MIN_TILE_SIDE,
        max = crate::MAX_TILE_SIDE
    )]
    TileSize {
        /// Declared tile width.
        tile_width: u16,
        /// Declared tile height.
        tile_height: u16,
    },
}

/// Why a message could not be parsed or applied.
///
/// After any error other than [`DecodeError::BaseMismatch`] the decoder's
/// framebuffer may hold part of the failed frame, so the decoder accepts only
/// a keyframe next; the viewer asks for one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// The message ends before a field it must have.
    #[error("message truncated: {needed} bytes needed, {available} present")]
    Truncated {
        /// Bytes the message needs to hold the next field.
        needed: usize,
        /// Bytes it has.
        available: usize,
    },
    /// The message does not start with the framecast magic.
    #[error("not a framecast message (magic {found:02x?})")]
    BadMagic {
        /// The first four bytes.
        found: [u8; 4],
    },
    /// The message is of a protocol version this build does not speak.
    #[error("protocol version {found} is not supported (this build speaks version {supported}); reload the page or upgrade")]
    UnsupportedVersion {
        /// Version in the message.
        found: u8,
        /// Version this build speaks.
        supported: u8,
    },
    /// The message kind is unknown.
    #[error("unknown message kind {0}")]
    UnknownKind(u8),
    /// The message is of a known kind, but not the one expected here.
    #[error("expected a {expected} message, got a {found} message")]
    UnexpectedKind {
        /// Kind expected.
        expected: &'static str,
        /// Kind found.
        found: &'static str,
    },
    /// A reserved field is not zero.
    #[error("reserved field is {0:#x}, must be zero")]
    Reserved(u32),
    /// The pixel format code is unknown.
    #[error("unknown pixel format code {0}")]
    UnknownPixelFormat(u8),
    /// The keyframe reason code is unknown.
    #[error("unknown keyframe request reason {0}")]
    UnknownKeyframeReason(u8),
    /// The declared frame or tile size is not acceptable.
    #[error(transparent)]
    Frame(#[from] FrameError),
    /// More tiles than the grid has.
    #[error("{count} tiles declared, the grid has {max}")]
    TooManyTiles {
        /// Declared tile count.
        count: u32,
        /// Tiles in the grid.
        max: u32,
    },
    /// Tile indices must be strictly increasing and inside the grid.
    #[error(
        "tile index {index} out of order or range (previous {previous:?}, grid has {grid_len})"
    )]
    TileIndex {
        /// The offending index.
        index: u32,
        /// The index before it, if any.
        previous: Option<u32>,
        /// Tiles in the grid.
        grid_len: u32,
    },
    /// The tile encoding code is unknown.
    #[error("tile {index}: unknown encoding {encoding}")]
    UnknownTileEncoding {
        /// Tile index.
        index: u32,
        /// Encoding code found.
        encoding: u8,
    },
    /// A tile payload's length cannot be right for its tile.
    #[error("tile {index}: payload of {length} bytes, {expected}")]
    TileLength {
        /// Tile index.
        index: u32,
        /// Payload length declared.
        length: u32,
        /// What the length should have been.
        expected: String,
    },
    /// An LZ4 payload is corrupt or does not decompress to exactly the tile.
    #[error("tile {index}: LZ4 payload corrupt: {reason}")]
    Lz4 {
        /// Tile index.
        index: u32,
        /// What went wrong.
        reason: String,
    },
    /// A packed payload does not hold exactly the tile (PROTOCOL.md).
    #[error("tile {index}: packed payload malformed: {reason}")]
    Packed {
        /// Tile index.
        index: u32,
        /// What went wrong.
        reason: String,
    },
    /// A JPEG tile the frame cannot have.
    #[error("tile {index}: {reason}")]
    JpegTile {
        /// The tile's index.
        index: u32,
        /// What is wrong.
        reason: String,
    },
    /// The JPEG images after the tile records are missing, malformed, of
    /// the wrong size, or hold another number of slots than there are JPEG
    /// tiles.
    #[error("JPEG images: {0}")]
    JpegImages(String),
    /// Bytes after the last tile.
    #[error("{0} bytes after the last tile")]
    TrailingBytes(usize),
    /// A scroll record whose band is not inside the frame, or whose move is
    /// zero or not smaller than the band.
    #[error("scroll record moves rows {top}..{bottom} by {dy} in a frame of {height} rows; needs top < bottom <= height and 0 < |dy| < bottom - top")]
    BadScroll {
        /// First row of the band.
        top: u32,
        /// One past its last row.
        bottom: u32,
        /// The move.
        dy: i32,
        /// Rows in the frame.
        height: u32,
    },
    /// A delta against a frame the decoder does not hold.
    #[error("delta against frame {base_seq}, but the framebuffer holds {held}", held = match .held { Some(s) => format!("frame {s}"), None => "no frame".to_string() })]
    BaseMismatch {
        /// Base sequence in the message.
        base_seq: u64,
        /// Sequence the decoder holds, if any.
        held: Option<u64>,
    },
    /// A delta whose size or format differs from its base.
    #[error("delta of size {width}x{height} {format} against a base of another size or format")]
    GeometryMismatch {
        /// Width in the message.
        width: u32,
        /// Height in the message.
        height: u32,
        /// Format in the message.
        format: PixelFormat,
    },
}
