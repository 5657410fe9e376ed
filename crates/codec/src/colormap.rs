//! How a viewer turns values into colours: a colormap (a table of 256
//! colours) over a value range, with colours of their own for NaN and the
//! infinities. `PROTOCOL.md` defines the same thing in words; the wasm
//! viewer maps its framebuffer with this module, and the server its
//! pictures of value frames.
//!
//! Each colormap but gray is given by 52 colours at even steps (matplotlib's
//! colours at `k / 51`, rounded to bytes), between which the table
//! interpolates linearly: every fifth entry is one of them, and none of the
//! 256 differs from matplotlib's own by more than 2 in any channel.

use wide::f32x4;

use crate::frame::PixelFormat;

/// A colormap: which colours values from the bottom of the range to its top
/// get.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Colormap {
    /// Black to white.
    #[default]
    Gray,
    /// Dark purple through blue and green to yellow; perceptually uniform.
    Viridis,
    /// Black through purple and orange to pale yellow.
    Magma,
    /// Black through purple and red to yellow.
    Inferno,
    /// Dark blue through cyan, green, yellow and red to dark red (Google's
    /// improved rainbow).
    Turbo,
    /// Blue through light gray to red: diverging, for values either side of
    /// a middle.
    Coolwarm,
}

/// Colour of NaN, whatever the colormap: magenta.
pub const NAN_COLOUR: [u8; 4] = [255, 0, 255, 255];
/// Colour of positive infinity: light magenta.
pub const POSITIVE_INFINITY_COLOUR: [u8; 4] = [255, 192, 255, 255];
/// Colour of negative infinity: dark magenta.
pub const NEGATIVE_INFINITY_COLOUR: [u8; 4] = [128, 0, 128, 255];

impl Colormap {
    /// Every colormap.
    pub const ALL: [Colormap; 6] = [
        Colormap::Gray,
        Colormap::Viridis,
        Colormap::Magma,
        Colormap::Inferno,
        Colormap::Turbo,
        Colormap::Coolwarm,
    ];

    /// The names [`from_name`](Colormap::from_name) takes, for messages
    /// that say what is accepted.
    pub const NAMES: &'static str = "gray, viridis, magma, inferno, turbo or coolwarm";

    /// Its lowercase name, as in matplotlib.
    pub const fn name(self) -> &'static str {
        match self {
            Colormap::Gray => "gray",
            Colormap::Viridis => "viridis",
            Colormap::Magma => "magma",
            Colormap::Inferno => "inferno",
            Colormap::Turbo => "turbo",
            Colormap::Coolwarm => "coolwarm",
        }
    }

    /// The colormap named `name` (also `grey`).
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "grey" => Some(Colormap::Gray),
            _ => Colormap::ALL.into_iter().find(|map| map.name() == name),
        }
    }

    /// Its 256 colours, RGBA (alpha 255), from the bottom of the range to
    /// the top.
    pub fn table(self) -> &'static [[u8; 4]; 256] {
        match self {
            Colormap::Gray => &GRAY_TABLE,
            Colormap::Viridis => &VIRIDIS_TABLE,
            Colormap::Magma => &MAGMA_TABLE,
            Colormap::Inferno => &INFERNO_TABLE,
            Colormap::Turbo => &TURBO_TABLE,
            Colormap::Coolwarm => &COOLWARM_TABLE,
        }
    }
}

impl std::fmt::Display for Colormap {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// A value range: `lo` gets a colormap's first colour, `hi` its last.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Range {
    /// The value of the first colour.
    pub lo: f32,
    /// The value of the last colour.
    pub hi: f32,
}

impl Range {
    /// Which of a colormap's 256 colours the finite value `value` gets:
    /// with `scale = 256 / (hi - lo)` and `x = (value - lo) * scale`, each
    /// operation in single precision (IEEE 754, rounded to nearest),
    /// `floor(x)` clamped to 0..=255. So the range is cut into 256 bins of
    /// equal width, values below it get colour 0 and values above colour
    /// 255. A range whose `hi` is not above `lo` gives colour 0 to values up
    /// to `lo` and 255 to those above.
    #[inline]
    pub fn index(self, value: f32) -> u8 {
        if self.hi.partial_cmp(&self.lo) != Some(std::cmp::Ordering::Greater) {
            return if value > self.lo { 255 } else { 0 };
        }
        let scale = 256.0 / (self.hi - self.lo);
        ((value - self.lo) * scale).clamp(0.0, 255.0) as u8
    }

    /// The range `0 ..= 2^b - 1` of the fewest bits `b` (8 at least) that
    /// hold `max`: a 12-bit camera's values in a 16-bit array, for one, get
    /// `0 ..= 4095`.
    pub fn of_bits(max: f32) -> Range {
        let bits = (max.max(255.0) + 1.0).log2().ceil().min(64.0);
        Range {
            lo: 0.0,
            hi: (2f64.powf(f64::from(bits)) - 1.0) as f32,
        }
    }

    /// The least range that holds both.
    pub fn union(self, other: Range) -> Range {
        Range {
            lo: self.lo.min(other.lo),
            hi: self.hi.max(other.hi),
        }
    }
}

/// Where a value range comes from.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub enum RangeMode {
    /// What suits the format: the whole of 0..=255 for Gray8, the bits in
    /// use for Gray16 ([`Range::of_bits`] of the greatest value), and the
    /// window for F32.
    #[default]
    Auto,
    /// The frame's least and greatest finite value.
    Frame,
    /// The least and greatest finite value of the frames of the last two
    /// seconds: a range that does not flicker with each frame's extremes.
    Window,
    /// A range that does not change.
    Fixed(Range),
}

impl RangeMode {
    /// The modes with a name of their own (a fixed range is two numbers).
    pub const NAMED: [RangeMode; 3] = [RangeMode::Auto, RangeMode::Frame, RangeMode::Window];

    /// The mode named `auto`, `frame` or `window`.
    pub fn from_name(name: &str) -> Option<RangeMode> {
        RangeMode::NAMED
            .into_iter()
            .find(|mode| mode.name() == name)
    }

    /// A fixed range from `lo` to `hi`, if both are finite.
    pub fn fixed(lo: f64, hi: f64) -> Option<RangeMode> {
        let (lo, hi) = (lo as f32, hi as f32);
        (lo.is_finite() && hi.is_finite()).then_some(RangeMode::Fixed(Range { lo, hi }))
    }

    /// Its name: `auto`, `frame`, `window` or `fixed`.
    pub fn name(self) -> &'static str {
        match self {
            RangeMode::Auto => "auto",
            RangeMode::Frame => "frame",
            RangeMode::Window => "window",
            RangeMode::Fixed(_) => "fixed",
        }
    }

    /// The range for a frame of `format` whose finite values span `frame`,
    /// the newest of a window (the frames of the last two seconds) whose
    /// finite values span `window` (`None`: no finite value): the fixed
    /// range; the frame's own; the window's; or for `auto` 0..=255 (Gray8),
    /// the bits of the window's greatest value (Gray16), the window's (F32);
    /// `0..=1` when no value is finite.
    pub fn resolve(
        self,
        format: PixelFormat,
        frame: Option<Range>,
        window: Option<Range>,
    ) -> Range {
        const UNIT: Range = Range { lo: 0.0, hi: 1.0 };
        match (self, format) {
            (RangeMode::Fixed(range), _) => range,
            (RangeMode::Frame, _) => frame.unwrap_or(UNIT),
            (RangeMode::Auto, PixelFormat::Gray8) => Range { lo: 0.0, hi: 255.0 },
            (RangeMode::Auto, PixelFormat::Gray16) => {
                Range::of_bits(window.map_or(0.0, |range| range.hi))
            }
            (RangeMode::Auto | RangeMode::Window, _) => window.unwrap_or(UNIT),
        }
    }

    /// The range for one frame alone, `values` of `format`: [`resolve`]
    /// with a window of that frame.
    ///
    /// [`resolve`]: RangeMode::resolve
    pub fn range_of(self, format: PixelFormat, values: &[u8]) -> Range {
        // (A fixed range, and Gray8's auto, need no scan of the values.)
        let scan = !matches!(
            (self, format),
            (RangeMode::Fixed(_), _) | (RangeMode::Auto, PixelFormat::Gray8)
        );
        let frame = if scan {
            value_range(format, values)
        } else {
            None
        };
        self.resolve(format, frame, frame)
    }
}

/// How a producer asks for its value frames to be shown: what a viewer
/// shows until its user chooses otherwise, and what the server's pictures
/// of them show.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct View {
    /// The colormap.
    pub colormap: Colormap,
    /// Where the range comes from.
    pub range: RangeMode,
}

/// The least and the greatest finite value of `values`, samples of
/// `format` (a value format), or `None` when none is finite.
pub fn value_range(format: PixelFormat, values: &[u8]) -> Option<Range> {
    match format {
        PixelFormat::Gray8 => {
            let (lo, hi) = values
                .iter()
                .fold((u8::MAX, u8::MIN), |(lo, hi), &v| (lo.min(v), hi.max(v)));
            (!values.is_empty()).then(|| Range {
                lo: f32::from(lo),
                hi: f32::from(hi),
            })
        }
        PixelFormat::Gray16 => {
            let (lo, hi) = values
                .chunks_exact(2)
                .map(|v| u16::from_le_bytes([v[0], v[1]]))
                .fold((u16::MAX, u16::MIN), |(lo, hi), v| (lo.min(v), hi.max(v)));
            (values.len() >= 2).then(|| Range {
                lo: f32::from(lo),
                hi: f32::from(hi),
            })
        }
        PixelFormat::F32 => {
            // f32::min and max skip NaN; infinities are left out by hand.
            let (mut lo, mut hi) = (f32::INFINITY, f32::NEG_INFINITY);
            for v in values.chunks_exact(4) {
                let v = f32::from_le_bytes([v[0], v[1], v[2], v[3]]);
                if v.is_finite() {
                    lo = lo.min(v);
                    hi = hi.max(v);
                }
            }
            (lo <= hi).then_some(Range { lo, hi })
        }
        PixelFormat::Rgb8 | PixelFormat::Rgba8 => None,
    }
}

/// A colormap over a range for one value format: maps values to RGBA.
/// Making one for Gray8 builds a table of the colour of each of the 256
/// values, so that mapping is one lookup a pixel; for Gray16, a table of
/// each of the 65,536 values' index in the colormap (64 KiB: a table of
/// their colours, 256 KiB, missed the cache and took 1.18 ms a 1000x1000
/// frame in Chromium); floats are placed in the range four at a time.
#[derive(Debug, Clone)]
pub struct Palette {
    format: PixelFormat,
    colormap: Colormap,
    range: Range,
    /// Gray8: the colour of each value.
    colours: Vec<[u8; 4]>,
    /// Gray16: the index in the colormap of each value.
    levels: Vec<u8>,
}

impl Palette {
    /// `colormap` over `range` for values of `format` (a value format).
    pub fn new(format: PixelFormat, colormap: Colormap, range: Range) -> Palette {
        let table = colormap.table();
        let values = match format {
            PixelFormat::Gray8 => 1 << 8,
            _ => 0,
        };
        let colours = (0..values)
            .map(|value| table[usize::from(range.index(value as f32))])
            .collect();
        let levels = match format {
            PixelFormat::Gray16 => (0..=u16::MAX)
                .map(|value| range.index(f32::from(value)))
                .collect(),
            _ => Vec::new(),
        };
        Palette {
            format,
            colormap,
            range,
            colours,
            levels,
        }
    }

    /// The format, colormap and range it maps with.
    pub fn key(&self) -> (PixelFormat, Colormap, Range) {
        (self.format, self.colormap, self.range)
    }

    /// Maps F32 `values` into `rgba`: four at a time where the range's
    /// scale is a finite positive number (every finite value then gets the
    /// same index as [`Range::index`] gives it: the same operations, lane by
    /// lane, and no NaN among them), one at a time otherwise.
    fn map_floats(&self, values: &[u8], rgba: &mut [u8]) {
        let float = |v: &[u8]| f32::from_le_bytes([v[0], v[1], v[2], v[3]]);
        let table = self.colormap.table();
        let Range { lo, hi } = self.range;
        let scale = 256.0 / (hi - lo);
        let colour = |value: f32, index: usize| {
            if value.is_finite() {
                table[index]
            } else {
                self.colour_of(value)
            }
        };
        let index = self.indexer();
        if !(scale.is_finite() && scale > 0.0) {
            for (out, value) in rgba
                .chunks_exact_mut(4)
                .zip(values.chunks_exact(4).map(float))
            {
                out.copy_from_slice(&colour(value, index(value)));
            }
            return;
        }
        let (lo4, scale4) = (f32x4::splat(lo), f32x4::splat(scale));
        let (zero, top) = (f32x4::splat(0.0), f32x4::splat(255.0));
        let mut fours = values.chunks_exact(16);
        for (out, four) in rgba.chunks_exact_mut(16).zip(&mut fours) {
            let four: [f32; 4] = [
                float(four),
                float(&four[4..]),
                float(&four[8..]),
                float(&four[12..]),
            ];
            // Non-finite lanes give garbage indices, replaced below.
            let scaled = ((f32x4::new(four) - lo4) * scale4).max(zero).min(top);
            let indices = scaled
                .trunc_int()
                .to_array()
                .map(|index| (index as usize).min(255));
            const EXPONENT: u32 = 0x7f80_0000;
            if four
                .iter()
                .all(|value| value.to_bits() & EXPONENT != EXPONENT)
            {
                // All finite, as nearly always: one 16-byte store.
                let colours = indices.map(|index| table[index]);
                out.copy_from_slice(bytemuck::cast_slice(&colours));
            } else {
                for ((out, &value), &index) in out.chunks_exact_mut(4).zip(&four).zip(&indices) {
                    out.copy_from_slice(&colour(value, index));
                }
            }
        }
        let rest = fours.remainder().chunks_exact(4).map(float);
        let done = values.len() / 16 * 16;
        for (out, value) in rgba[done..].chunks_exact_mut(4).zip(rest) {
            out.copy_from_slice(&colour(value, index(value)));
        }
    }

    /// [`Range::index`] of the palette's range, with its scale worked out
    /// once (the same operations, so the same indices).
    fn indexer(&self) -> impl Fn(f32) -> usize {
        let Range { lo, hi } = self.range;
        let ordered = hi.partial_cmp(&lo) == Some(std::cmp::Ordering::Greater);
        let scale = 256.0 / (hi - lo);
        move |value: f32| {
            if ordered {
                ((value - lo) * scale).clamp(0.0, 255.0) as usize
            } else if value > lo {
                255
            } else {
                0
            }
        }
    }

    /// The colour of one value, or of NaN and the infinities.
    #[inline]
    pub fn colour_of(&self, value: f32) -> [u8; 4] {
        if value.is_nan() {
            NAN_COLOUR
        } else if value == f32::INFINITY {
            POSITIVE_INFINITY_COLOUR
        } else if value == f32::NEG_INFINITY {
            NEGATIVE_INFINITY_COLOUR
        } else {
            self.colormap.table()[usize::from(self.range.index(value))]
        }
    }

    /// Maps `values` (samples of the palette's format) into `rgba`, four
    /// bytes a value.
    pub fn map(&self, values: &[u8], rgba: &mut [u8]) {
        match self.format {
            PixelFormat::Gray8 => {
                for (out, &value) in rgba.chunks_exact_mut(4).zip(values) {
                    out.copy_from_slice(&self.colours[usize::from(value)]);
                }
            }
            PixelFormat::Gray16 => {
                let table = self.colormap.table();
                for (out, value) in rgba.chunks_exact_mut(4).zip(values.chunks_exact(2)) {
                    let value = u16::from_le_bytes([value[0], value[1]]);
                    out.copy_from_slice(&table[usize::from(self.levels[usize::from(value)])]);
                }
            }
            PixelFormat::F32 => self.map_floats(values, rgba),
            PixelFormat::Rgb8 | PixelFormat::Rgba8 => {
                unreachable!("a palette is for a value format")
            }
        }
    }
}

/// A colormap's 52 colours at even steps, RGB.
type Points = [[u8; 3]; POINTS];

/// Colours a colormap is given by: every fifth entry of its table.
const POINTS: usize = 52;

/// The colours of `hex`, six hexadecimal digits each.
const fn points(hex: &str) -> Points {
    const fn digit(c: u8) -> u8 {
        match c {
            b'0'..=b'9' => c - b'0',
            b'a'..=b'f' => c - b'a' + 10,
            _ => panic!("not a hexadecimal digit"),
        }
    }
    let hex = hex.as_bytes();
    assert!(hex.len() == POINTS * 6);
    let mut points = [[0u8; 3]; POINTS];
    let mut i = 0;
    while i < POINTS * 3 {
        points[i / 3][i % 3] = digit(hex[2 * i]) << 4 | digit(hex[2 * i + 1]);
        i += 1;
    }
    points
}

/// The 256 colours between the points: entry `i` lies `f = (51 i) mod 255`
/// 255ths of the way from point `s = floor(51 i / 255)` to the next, each
/// channel `(a (255 - f) + b f + 127) / 255` in integers.
const fn table(points: &Points) -> [[u8; 4]; 256] {
    let mut table = [[0u8; 4]; 256];
    let mut i = 0;
    while i < 256 {
        let at = i * (POINTS - 1);
        let (step, f) = (at / 255, (at % 255) as u32);
        let next = if step + 1 < POINTS { step + 1 } else { step };
        let mut c = 0;
        while c < 3 {
            let (a, b) = (points[step][c] as u32, points[next][c] as u32);
            table[i][c] = ((a * (255 - f) + b * f + 127) / 255) as u8;
            c += 1;
        }
        table[i][3] = 255;
        i += 1;
    }
    table
}

const fn gray_table() -> [[u8; 4]; 256] {
    let mut table = [[0u8; 4]; 256];
    let mut i = 0;
    while i < 256 {
        table[i] = [i as u8, i as u8, i as u8, 255];
        i += 1;
    }
    table
}

static GRAY_TABLE: [[u8; 4]; 256] = gray_table();
static VIRIDIS_TABLE: [[u8; 4]; 256] = table(&VIRIDIS);
static MAGMA_TABLE: [[u8; 4]; 256] = table(&MAGMA);
static INFERNO_TABLE: [[u8; 4]; 256] = table(&INFERNO);
static TURBO_TABLE: [[u8; 4]; 256] = table(&TURBO);
static COOLWARM_TABLE: [[u8; 4]; 256] = table(&COOLWARM);

const VIRIDIS: Points = points(concat!(
    "44015446085c471063481769481d6f482475472a7a46307e453781433d844142873f48893d4e8a",
    "3a538b38598c355e8d33638d31688e2e6d8e2c718e2a768e297b8e27808e25848e23898e218e8d",
    "20928c1f978b1e9c891fa18821a58524aa8328ae802eb37c35b7793dbc7446c06f50c46a5ac864",
    "65cb5e70cf577cd25089d54895d840a2da37b0dd2fbddf26cae11fd8e219e5e419f1e51dfde725",
));
const MAGMA: Points = points(concat!(
    "00000402020b0504160907200e0b2b140e361a104221114e29115a311165390f6e420f754a1079",
    "52137c5a167e6219806a1c81721f81792282812581892881912b81992d80a1307eaa337db2357b",
    "ba3878c23b75ca3e72d2426fd9466be04c67e75263ec5860f1605df4695cf7725cf97b5dfb8560",
    "fc8e64fd9869fea16efeaa74feb47bfebd82fec68afecf92fed89afde2a3fdebacfcf4b6fcfdbf",
));
const INFERNO: Points = points(concat!(
    "00000402020c0504170a072210092d160b391e0c45260c512f0a5b380962400a67490b6a510e6c",
    "59106e61136e69166e71196e781c6d801f6c88226a902568982766a02a63a82e5fb0315bb73557",
    "bf3952c63d4dcc4248d34743d94d3ddf5337e45a31e9612bed6925f1711ff47918f78212f98b0b",
    "fa9407fb9d07fca60cfcb014fbba1ffac42af8cd37f6d746f4e156f2ea69f2f27df5f992fcffa4",
));
const TURBO: Points = points(concat!(
    "30123b36215f3b2f803f3e9c424bb54559cb4666dd4773eb4680f6458cfd4099ff38a5fb2fb2f4",
    "27bee91fc9dd1ad4d018ddc21ae4b622ebaa2ff19b3ff68a52fa7a65fd6979fe598bff4b9cfe40",
    "a9fb39b7f735c3f134d0ea34dbe236e5d938eecf3af5c53afaba39fdae35fea130fe932afc8423",
    "f9751df46617ef5811e84b0ce14109d83706ce2d04c32503b71d02a916019b0f018b09027a0403",
));
const COOLWARM: Points = points(concat!(
    "3b4cc04055c8465ecf4c66d6536edd5977e35f7fe86687ed6c8ff17396f57a9df881a4fb88abfd",
    "8fb1fe96b7ff9dbdffa3c2feaac7fdb1cbfcb7cff9bed2f6c4d5f3cad8efcfdaead5dbe5dadce0",
    "dfdbd9e4d9d2e9d5cbedd2c3f0cdbbf2c9b4f5c4acf6bea4f7b89cf7b194f7aa8cf6a385f59c7d",
    "f39475f08b6eed8366e97a5fe57058e16751dc5d4ad65244d0473dca3b37c32e31bb1b2cb40426",
));

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_pass_through_their_points() {
        for map in Colormap::ALL {
            let table = map.table();
            assert_eq!(table[0][3], 255);
            assert_eq!(Colormap::from_name(map.name()), Some(map));
        }
        // Viridis's first and last points, and its 26th at entry 125.
        assert_eq!(VIRIDIS_TABLE[0], [0x44, 0x01, 0x54, 255]);
        assert_eq!(VIRIDIS_TABLE[255], [0xfd, 0xe7, 0x25, 255]);
        let p = VIRIDIS[25];
        assert_eq!(VIRIDIS_TABLE[125], [p[0], p[1], p[2], 255]);
        // Between two points: two fifths of the way.
        let (a, b) = (VIRIDIS[0], VIRIDIS[1]);
        let mix = |c: usize| ((u32::from(a[c]) * 153 + u32::from(b[c]) * 102 + 127) / 255) as u8;
        assert_eq!(VIRIDIS_TABLE[2], [mix(0), mix(1), mix(2), 255]);
        assert_eq!(GRAY_TABLE[77], [77, 77, 77, 255]);
    }

    #[test]
    fn a_range_is_cut_into_256_even_bins() {
        let range = Range { lo: 0.0, hi: 1.0 };
        assert_eq!(range.index(0.0), 0);
        assert_eq!(range.index(1.0 / 256.0), 1);
        assert_eq!(range.index(0.5), 128);
        assert_eq!(range.index(1.0), 255);
        assert_eq!(range.index(-5.0), 0);
        assert_eq!(range.index(7.0), 255);
        assert_eq!(range.index(f32::MAX), 255);
        let flat = Range { lo: 3.0, hi: 3.0 };
        assert_eq!((flat.index(3.0), flat.index(3.5)), (0, 255));
        assert_eq!(
            Range::of_bits(4000.0),
            Range {
                lo: 0.0,
                hi: 4095.0
            }
        );
        assert_eq!(
            Range::of_bits(4096.0),
            Range {
                lo: 0.0,
                hi: 8191.0
            }
        );
        assert_eq!(Range::of_bits(3.0), Range { lo: 0.0, hi: 255.0 });
        assert_eq!(
            Range::of_bits(65535.0),
            Range {
                lo: 0.0,
                hi: 65535.0
            }
        );
    }

    #[test]
    fn palettes_map_each_format_and_name_the_non_finite() {
        let range = Range { lo: 10.0, hi: 20.0 };
        let floats: Vec<u8> = [
            10.0f32,
            15.0,
            20.0,
            f32::NAN,
            f32::INFINITY,
            f32::NEG_INFINITY,
        ]
        .iter()
        .flat_map(|v| v.to_le_bytes())
        .collect();
        let palette = Palette::new(PixelFormat::F32, Colormap::Magma, range);
        let mut rgba = vec![0; 6 * 4];
        palette.map(&floats, &mut rgba);
        let magma = Colormap::Magma.table();
        let expected = [
            magma[0],
            magma[128],
            magma[255],
            NAN_COLOUR,
            POSITIVE_INFINITY_COLOUR,
            NEGATIVE_INFINITY_COLOUR,
        ];
        assert_eq!(rgba, expected.concat());

        let gray16: Vec<u8> = [10u16, 15, 20, 65535]
            .iter()
            .flat_map(|v| v.to_le_bytes())
            .collect();
        let palette = Palette::new(PixelFormat::Gray16, Colormap::Turbo, range);
        let mut rgba = vec![0; 4 * 4];
        palette.map(&gray16, &mut rgba);
        let turbo = Colormap::Turbo.table();
        assert_eq!(
            rgba,
            [turbo[0], turbo[128], turbo[255], turbo[255]].concat()
        );

        let palette = Palette::new(
            PixelFormat::Gray8,
            Colormap::Gray,
            Range { lo: 0.0, hi: 255.0 },
        );
        let mut rgba = vec![0; 3 * 4];
        palette.map(&[0, 100, 255], &mut rgba);
        assert_eq!(
            rgba,
            [[0, 0, 0, 255], [100, 100, 100, 255], [255, 255, 255, 255]].concat()
        );
    }

    #[test]
    fn four_at_a_time_is_the_ranges_index_of_every_value() {
        let mut state = 0x1234_5678_9abc_def0u64;
        let mut values: Vec<f32> = (0..4099)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                f32::from_bits(state as u32) // any bit pattern: NaNs, infinities, huge, tiny
            })
            .collect();
        values.extend([
            0.0,
            1.0,
            -1.0,
            0.999_999_9,
            1.0 / 256.0,
            255.0 / 256.0,
            f32::MAX,
            f32::MIN,
        ]);
        let bytes: Vec<u8> = values.iter().flat_map(|v| v.to_le_bytes()).collect();
        for range in [
            Range { lo: 0.0, hi: 1.0 },
            Range { lo: -3.0, hi: 3.0 },
            Range {
                lo: -1e30,
                hi: 1e30,
            },
            Range { lo: 2.0, hi: 2.0 },
            Range {
                lo: f32::MIN,
                hi: f32::MAX,
            },
        ] {
            let palette = Palette::new(PixelFormat::F32, Colormap::Turbo, range);
            let mut rgba = vec![0; values.len() * 4];
            palette.map(&bytes, &mut rgba);
            for (i, &value) in values.iter().enumerate() {
                let expected = palette.colour_of(value);
                assert_eq!(&rgba[4 * i..4 * i + 4], &expected, "{value} over {range:?}");
            }
        }
    }

    #[test]
    fn value_range_skips_what_is_not_finite() {
        let floats: Vec<u8> = [f32::NAN, 2.5, -1.0, f32::INFINITY]
            .iter()
            .flat_map(|v| v.to_le_bytes())
            .collect();
        assert_eq!(
            value_range(PixelFormat::F32, &floats),
            Some(Range { lo: -1.0, hi: 2.5 })
        );
        assert_eq!(value_range(PixelFormat::F32, &f32::NAN.to_le_bytes()), None);
        let gray16: Vec<u8> = [300u16, 7, 4095]
            .iter()
            .flat_map(|v| v.to_le_bytes())
            .collect();
        assert_eq!(
            value_range(PixelFormat::Gray16, &gray16),
            Some(Range {
                lo: 7.0,
                hi: 4095.0
            })
        );
        assert_eq!(
            value_range(PixelFormat::Gray8, &[9, 3, 200]),
            Some(Range { lo: 3.0, hi: 200.0 })
        );
    }
}
