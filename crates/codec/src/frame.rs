//! Pixel formats, borrowed frames and the tile grid that both ends agree on.

use crate::error::FrameError;
use crate::{MAX_DIMENSION, MAX_FRAME_PIXELS, MAX_TILE_SIDE, MIN_TILE_SIDE};

/// How the producer's pixels are laid out: row-major, tightly packed, as
/// numpy's `tobytes()` gives them.
///
/// The colour formats are shown as they are; the **value** formats (one
/// sample a pixel: [`Gray8`](PixelFormat::Gray8),
/// [`Gray16`](PixelFormat::Gray16), [`F32`](PixelFormat::F32)) carry
/// values that a viewer maps to colours (see [`crate::colormap`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum PixelFormat {
    /// Three bytes a pixel: red, green, blue.
    Rgb8 = 1,
    /// Four bytes a pixel: red, green, blue, alpha (not premultiplied).
    Rgba8 = 2,
    /// One byte a pixel: an unsigned 8-bit value (a grayscale camera, a
    /// mask).
    Gray8 = 3,
    /// Two bytes a pixel: an unsigned 16-bit value, little-endian (a 12- or
    /// 16-bit camera, a depth map).
    Gray16 = 4,
    /// Four bytes a pixel: an IEEE 754 single-precision float,
    /// little-endian (a simulation's field); NaN and infinities included.
    F32 = 5,
}

impl PixelFormat {
    /// Every format, in code order.
    pub const ALL: [PixelFormat; 5] = [
        PixelFormat::Rgb8,
        PixelFormat::Rgba8,
        PixelFormat::Gray8,
        PixelFormat::Gray16,
        PixelFormat::F32,
    ];

    /// Bytes per pixel.
    pub const fn bytes_per_pixel(self) -> usize {
        match self {
            PixelFormat::Gray8 => 1,
            PixelFormat::Gray16 => 2,
            PixelFormat::Rgb8 => 3,
            PixelFormat::Rgba8 | PixelFormat::F32 => 4,
        }
    }

    /// Bytes per sample: the unit the encodings of differences subtract
    /// in (a colour channel, or a value).
    pub const fn sample_bytes(self) -> usize {
        match self {
            PixelFormat::Rgb8 | PixelFormat::Rgba8 | PixelFormat::Gray8 => 1,
            PixelFormat::Gray16 => 2,
            PixelFormat::F32 => 4,
        }
    }

    /// Whether the pixels are values that a viewer maps to colours, rather
    /// than colours.
    pub const fn is_value(self) -> bool {
        matches!(
            self,
            PixelFormat::Gray8 | PixelFormat::Gray16 | PixelFormat::F32
        )
    }

    /// The format's code on the wire.
    pub const fn code(self) -> u8 {
        self as u8
    }

    /// The format of a wire code, if it names one.
    pub const fn from_code(code: u8) -> Option<Self> {
        match code {
            1 => Some(PixelFormat::Rgb8),
            2 => Some(PixelFormat::Rgba8),
            3 => Some(PixelFormat::Gray8),
            4 => Some(PixelFormat::Gray16),
            5 => Some(PixelFormat::F32),
            _ => None,
        }
    }

    /// The format named `name`: its [`name`](PixelFormat::name), or `rgb24`
    /// (ffmpeg's name) or `rgb` for RGB8, `rgba` for RGBA8, `gray` for
    /// Gray8, `float32` for F32.
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "rgb8" | "rgb24" | "rgb" => Some(PixelFormat::Rgb8),
            "rgba8" | "rgba" => Some(PixelFormat::Rgba8),
            "gray8" | "gray" => Some(PixelFormat::Gray8),
            "gray16" => Some(PixelFormat::Gray16),
            "f32" | "float32" => Some(PixelFormat::F32),
            _ => None,
        }
    }

    /// The lowercase name used in URLs, logs and the CLI (`rgb8`, `rgba8`,
    /// `gray8`, `gray16`, `f32`).
    pub const fn name(self) -> &'static str {
        match self {
            PixelFormat::Rgb8 => "rgb8",
            PixelFormat::Rgba8 => "rgba8",
            PixelFormat::Gray8 => "gray8",
            PixelFormat::Gray16 => "gray16",
            PixelFormat::F32 => "f32",
        }
    }

    /// The names [`from_name`](PixelFormat::from_name) takes, for messages
    /// that say what is accepted.
    pub const NAMES: &'static str = "rgb8, rgba8, gray8, gray16 or f32";
}

impl std::fmt::Display for PixelFormat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Checks a frame's declared size against the limits of this crate.
pub fn check_dimensions(width: u32, height: u32) -> Result<(), FrameError> {
    if width == 0 || height == 0 {
        return Err(FrameError::ZeroDimension { width, height });
    }
    if width > MAX_DIMENSION
        || height > MAX_DIMENSION
        || u64::from(width) * u64::from(height) > MAX_FRAME_PIXELS
    {
        return Err(FrameError::TooLarge { width, height });
    }
    Ok(())
}

/// The bytes of a `width x height` frame in `format`, tightly packed, after
/// checking the size against the limits of this crate.
pub fn frame_len(width: u32, height: u32, format: PixelFormat) -> Result<usize, FrameError> {
    check_dimensions(width, height)?;
    Ok(width as usize * height as usize * format.bytes_per_pixel())
}

/// A frame's pixels, borrowed, with a size and format they are known to fit.
#[derive(Debug, Clone, Copy)]
pub struct FrameRef<'a> {
    width: u32,
    height: u32,
    format: PixelFormat,
    pixels: &'a [u8],
}

impl<'a> FrameRef<'a> {
    /// Wraps `pixels` after checking the size against the limits and the byte
    /// count against `width * height * bytes_per_pixel`.
    pub fn new(
        width: u32,
        height: u32,
        format: PixelFormat,
        pixels: &'a [u8],
    ) -> Result<Self, FrameError> {
        let expected = frame_len(width, height, format)?;
        if pixels.len() != expected {
            return Err(FrameError::PixelCount {
                width,
                height,
                format,
                expected,
                actual: pixels.len(),
            });
        }
        Ok(FrameRef {
            width,
            height,
            format,
            pixels,
        })
    }

    /// Width in pixels.
    pub fn width(&self) -> u32 {
        self.width
    }

    /// Height in pixels.
    pub fn height(&self) -> u32 {
        self.height
    }

    /// Pixel format.
    pub fn format(&self) -> PixelFormat {
        self.format
    }

    /// The pixel bytes, row-major and tightly packed.
    pub fn pixels(&self) -> &'a [u8] {
        self.pixels
    }

    /// Bytes in one row.
    pub fn stride(&self) -> usize {
        self.width as usize * self.format.bytes_per_pixel()
    }

    /// Whether `other` has the same size and format, so that one can be a
    /// delta base for the other.
    pub fn same_geometry(&self, other: &FrameRef<'_>) -> bool {
        (self.width, self.height, self.format) == (other.width, other.height, other.format)
    }
}

/// A rectangle of pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Rect {
    /// Left edge.
    pub x: u32,
    /// Top edge.
    pub y: u32,
    /// Width; zero for an empty rectangle.
    pub width: u32,
    /// Height; zero for an empty rectangle.
    pub height: u32,
}

impl Rect {
    /// Whether the rectangle covers no pixel.
    pub fn is_empty(&self) -> bool {
        self.width == 0 || self.height == 0
    }

    /// The smallest rectangle covering both.
    pub fn union(self, other: Rect) -> Rect {
        if self.is_empty() {
            return other;
        }
        if other.is_empty() {
            return self;
        }
        let x = self.x.min(other.x);
        let y = self.y.min(other.y);
        let right = (self.x + self.width).max(other.x + other.width);
        let bottom = (self.y + self.height).max(other.y + other.height);
        Rect {
            x,
            y,
            width: right - x,
            height: bottom - y,
        }
    }
}

/// A frame cut into tiles of `tile_width x tile_height`, row-major; tiles on
/// the right and bottom edges are clipped to the frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TileGrid {
    width: u32,
    height: u32,
    tile_width: u32,
    tile_height: u32,
    columns: u32,
    rows: u32,
}

impl TileGrid {
    /// The grid for a frame of `width x height`, after checking both against
    /// the limits.
    pub fn new(
        width: u32,
        height: u32,
        tile_width: u16,
        tile_height: u16,
    ) -> Result<Self, FrameError> {
        check_dimensions(width, height)?;
        let side_ok = |side: u16| (MIN_TILE_SIDE..=MAX_TILE_SIDE).contains(&side);
        if !side_ok(tile_width) || !side_ok(tile_height) {
            return Err(FrameError::TileSize {
                tile_width,
                tile_height,
            });
        }
        let (tile_width, tile_height) = (u32::from(tile_width), u32::from(tile_height));
        Ok(TileGrid {
            width,
            height,
            tile_width,
            tile_height,
            columns: width.div_ceil(tile_width),
            rows: height.div_ceil(tile_height),
        })
    }

    /// Number of tiles.
    pub fn len(&self) -> u32 {
        self.columns * self.rows
    }

    /// Whether the grid has no tile (never, for a valid frame).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Tiles per row of the grid.
    pub fn columns(&self) -> u32 {
        self.columns
    }

    /// Tile width and height (before clipping at the edges).
    pub fn tile_size(&self) -> (u32, u32) {
        (self.tile_width, self.tile_height)
    }

    /// The rectangle of tile `index`, clipped to the frame.
    ///
    /// `index` must be below [`len`](Self::len).
    pub fn tile(&self, index: u32) -> Rect {
        debug_assert!(index < self.len());
        let x = (index % self.columns) * self.tile_width;
        let y = (index / self.columns) * self.tile_height;
        Rect {
            x,
            y,
            width: self.tile_width.min(self.width - x),
            height: self.tile_height.min(self.height - y),
        }
    }

    /// Iterates over the tiles in index order.
    pub fn tiles(&self) -> impl Iterator<Item = (u32, Rect)> + '_ {
        (0..self.len()).map(|index| (index, self.tile(index)))
    }
}

/// A set of tile indices of one grid (a bit set). Equal sets compare and
/// hash equal however they were built.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct TileSet {
    /// Bit `i % 64` of word `i / 64` is tile `i`; no zero words at the end.
    words: Vec<u64>,
}

impl TileSet {
    /// The empty set.
    pub fn new() -> Self {
        TileSet::default()
    }

    /// Whether tile `index` is in the set.
    pub fn contains(&self, index: u32) -> bool {
        let (word, bit) = (index as usize / 64, index % 64);
        self.words.get(word).is_some_and(|w| w & (1 << bit) != 0)
    }

    /// Adds tile `index`.
    pub fn insert(&mut self, index: u32) {
        let (word, bit) = (index as usize / 64, index % 64);
        if self.words.len() <= word {
            self.words.resize(word + 1, 0);
        }
        self.words[word] |= 1 << bit;
    }

    /// Removes tile `index`.
    pub fn remove(&mut self, index: u32) {
        let (word, bit) = (index as usize / 64, index % 64);
        if let Some(w) = self.words.get_mut(word) {
            *w &= !(1 << bit);
        }
        self.trim();
    }

    /// Whether the set is empty.
    pub fn is_empty(&self) -> bool {
        self.words.is_empty()
    }

    /// How many tiles are in the set.
    pub fn len(&self) -> usize {
        self.words.iter().map(|w| w.count_ones() as usize).sum()
    }

    /// Empties the set.
    pub fn clear(&mut self) {
        self.words.clear();
    }

    /// The tiles, in increasing order.
    pub fn iter(&self) -> impl Iterator<Item = u32> + '_ {
        self.words.iter().enumerate().flat_map(|(n, &word)| {
            (0..64u32)
                .filter(move |bit| word & (1 << bit) != 0)
                .map(move |bit| n as u32 * 64 + bit)
        })
    }

    /// Removes the tiles of `other`.
    pub fn subtract(&mut self, other: &TileSet) {
        for (w, o) in self.words.iter_mut().zip(&other.words) {
            *w &= !o;
        }
        self.trim();
    }

    /// Adds the tiles of `other`.
    pub fn union_with(&mut self, other: &TileSet) {
        if self.words.len() < other.words.len() {
            self.words.resize(other.words.len(), 0);
        }
        for (w, o) in self.words.iter_mut().zip(&other.words) {
            *w |= o;
        }
    }

    fn trim(&mut self) {
        while self.words.last() == Some(&0) {
            self.words.pop();
        }
    }
}

impl FromIterator<u32> for TileSet {
    fn from_iter<I: IntoIterator<Item = u32>>(iter: I) -> Self {
        let mut set = TileSet::new();
        iter.into_iter().for_each(|index| set.insert(index));
        set
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frame_ref_checks_pixel_count() {
        let pixels = vec![0u8; 10 * 10 * 3];
        assert!(FrameRef::new(10, 10, PixelFormat::Rgb8, &pixels).is_ok());
        let err = FrameRef::new(10, 10, PixelFormat::Rgba8, &pixels).unwrap_err();
        assert!(matches!(
            err,
            FrameError::PixelCount {
                expected: 400,
                actual: 300,
                ..
            }
        ));
    }

    #[test]
    fn dimensions_are_bounded() {
        assert!(matches!(
            check_dimensions(0, 5),
            Err(FrameError::ZeroDimension { .. })
        ));
        assert!(matches!(
            check_dimensions(MAX_DIMENSION + 1, 1),
            Err(FrameError::TooLarge { .. })
        ));
        assert!(matches!(
            check_dimensions(MAX_DIMENSION, MAX_DIMENSION),
            Err(FrameError::TooLarge { .. })
        ));
        assert!(check_dimensions(1920, 1080).is_ok());
    }

    #[test]
    fn edge_tiles_are_clipped() {
        let grid = TileGrid::new(100, 70, 64, 64).unwrap();
        assert_eq!(grid.len(), 4);
        assert_eq!(
            grid.tile(1),
            Rect {
                x: 64,
                y: 0,
                width: 36,
                height: 64
            }
        );
        assert_eq!(
            grid.tile(3),
            Rect {
                x: 64,
                y: 64,
                width: 36,
                height: 6
            }
        );
    }

    #[test]
    fn tile_sides_are_bounded() {
        assert!(TileGrid::new(100, 100, 4, 64).is_err());
        assert!(TileGrid::new(100, 100, 64, 1024).is_err());
    }

    #[test]
    fn rect_union() {
        let a = Rect {
            x: 10,
            y: 10,
            width: 5,
            height: 5,
        };
        let b = Rect {
            x: 0,
            y: 12,
            width: 3,
            height: 10,
        };
        assert_eq!(
            a.union(b),
            Rect {
                x: 0,
                y: 10,
                width: 15,
                height: 12
            }
        );
        assert_eq!(Rect::default().union(a), a);
    }
}
