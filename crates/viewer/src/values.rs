//! What the viewer does with frames of values (Gray8, Gray16, F32): keeps
//! them as they are in the decoder, and paints them through a colormap over
//! a value range into an RGBA buffer of its own, the changed part only.
//!
//! The range is fixed, or follows the values: the frame's least and
//! greatest finite value (`frame`), or those of the frames shown in the last
//! [`WINDOW_MS`] (`window`, which does not flicker with each frame's
//! extremes). `auto` is what suits the format: the whole of 0..=255 for
//! Gray8, the bits in use for Gray16 (a 12-bit camera gets 0..=4095) and the
//! window for floats. The frame's range comes from a grid of blocks whose
//! least and greatest values are kept and recomputed only where the frame
//! changed.

use std::collections::VecDeque;

use framecast_codec::colormap::{value_range, Colormap, Palette, Range, RangeMode};
use framecast_codec::{PixelFormat, Rect};

/// How long the `window` range remembers a frame's values, in milliseconds
/// ([`RangeMode::Window`]).
pub const WINDOW_MS: f64 = 2000.0;

/// Side of the blocks whose ranges are kept, in pixels.
const BLOCK: u32 = 64;

/// The RGBA picture of a value frame and what it was painted with.
#[derive(Debug)]
pub struct ValueView {
    pub colormap: Colormap,
    pub mode: RangeMode,
    /// The picture, `width * height` RGBA pixels.
    pub rgba: Vec<u8>,
    /// The colormap and range the picture is painted with.
    palette: Option<Palette>,
    /// Each block's least and greatest finite value (`None`: none finite).
    blocks: Vec<Option<Range>>,
    columns: u32,
    /// The format of the values the blocks and the window are of.
    format: Option<PixelFormat>,
    /// The frame ranges of the last [`WINDOW_MS`], with their times.
    window: VecDeque<(f64, Range)>,
    /// Whether the whole picture must be painted again (a new colormap or
    /// range chosen, a new frame size).
    stale: bool,
}

impl Default for ValueView {
    fn default() -> Self {
        ValueView {
            colormap: Colormap::Gray,
            mode: RangeMode::Auto,
            rgba: Vec::new(),
            palette: None,
            blocks: Vec::new(),
            columns: 0,
            format: None,
            window: VecDeque::new(),
            stale: true,
        }
    }
}

impl ValueView {
    /// Chooses the colormap; the next paint paints everything.
    pub fn set_colormap(&mut self, colormap: Colormap) {
        self.colormap = colormap;
        self.stale = true;
    }

    /// Chooses where the range comes from; the next paint paints everything.
    pub fn set_mode(&mut self, mode: RangeMode) {
        self.mode = mode;
        self.stale = true;
    }

    /// The range the picture is painted with, once painted.
    pub fn range(&self) -> Option<Range> {
        self.palette.as_ref().map(|palette| palette.key().2)
    }

    /// Paints `dirty` of the value frame `values` (`width x height` of
    /// `format`) into [`rgba`](Self::rgba), at time `now_ms`; returns what
    /// was painted: `dirty`, or the whole frame when the colormap or the
    /// range changed.
    pub fn paint(
        &mut self,
        format: PixelFormat,
        values: &[u8],
        (width, height): (u32, u32),
        dirty: Rect,
        now_ms: f64,
    ) -> Rect {
        let whole = Rect {
            x: 0,
            y: 0,
            width,
            height,
        };
        let pixels = width as usize * height as usize;
        let columns = width.div_ceil(BLOCK);
        let blocks = columns as usize * height.div_ceil(BLOCK) as usize;
        let mut dirty = dirty;
        // A new size or format: the blocks and the window are of other values.
        let other =
            self.rgba.len() != pixels * 4 || self.columns != columns || self.format != Some(format);
        if other || self.blocks.len() != blocks {
            self.rgba = vec![0; pixels * 4];
            self.blocks = vec![None; blocks];
            self.columns = columns;
            self.format = Some(format);
            self.window.clear();
            dirty = whole;
        }
        self.update_blocks(format, values, width, height, dirty);
        let range = self.range_now(format, now_ms);
        let key = (format, self.colormap, range);
        if self.stale || self.palette.as_ref().is_none_or(|p| p.key() != key) {
            self.palette = Some(Palette::new(format, self.colormap, range));
            self.stale = false;
            dirty = whole;
        }
        let palette = self.palette.as_ref().expect("just made");
        let bytes = format.bytes_per_pixel();
        for y in dirty.y..dirty.y + dirty.height {
            let at = y as usize * width as usize + dirty.x as usize;
            let len = dirty.width as usize;
            palette.map(
                &values[at * bytes..(at + len) * bytes],
                &mut self.rgba[at * 4..(at + len) * 4],
            );
        }
        dirty
    }

    /// Recomputes the range of each block `dirty` touches.
    fn update_blocks(
        &mut self,
        format: PixelFormat,
        values: &[u8],
        width: u32,
        height: u32,
        dirty: Rect,
    ) {
        if dirty.is_empty() {
            return;
        }
        let bytes = format.bytes_per_pixel();
        let row_bytes = width as usize * bytes;
        for by in dirty.y / BLOCK..(dirty.y + dirty.height).div_ceil(BLOCK) {
            for bx in dirty.x / BLOCK..(dirty.x + dirty.width).div_ceil(BLOCK) {
                let (x0, y0) = (bx * BLOCK, by * BLOCK);
                let (x1, y1) = ((x0 + BLOCK).min(width), (y0 + BLOCK).min(height));
                let columns = x0 as usize * bytes..x1 as usize * bytes;
                let range = (y0..y1)
                    .filter_map(|y| {
                        let row = &values[y as usize * row_bytes..][..row_bytes];
                        value_range(format, &row[columns.clone()])
                    })
                    .reduce(Range::union);
                self.blocks[(by * self.columns + bx) as usize] = range;
            }
        }
    }

    /// The range to paint with now.
    fn range_now(&mut self, format: PixelFormat, now_ms: f64) -> Range {
        let frame = self.blocks.iter().flatten().copied().reduce(Range::union);
        if let Some(frame) = frame {
            self.window.push_back((now_ms, frame));
        }
        while self
            .window
            .front()
            .is_some_and(|&(at, _)| at < now_ms - WINDOW_MS)
            && self.window.len() > 1
        {
            self.window.pop_front();
        }
        let window = self
            .window
            .iter()
            .map(|&(_, range)| range)
            .reduce(Range::union);
        self.mode.resolve(format, frame, window)
    }
}

/// The value of the pixel at `at` (its index) of a value frame, as a
/// number: an integer for the gray formats, the float itself (NaN and the
/// infinities included) for F32.
pub fn value_at(format: PixelFormat, values: &[u8], at: usize) -> f64 {
    match format {
        PixelFormat::Gray8 => f64::from(values[at]),
        PixelFormat::Gray16 => f64::from(u16::from_le_bytes([values[2 * at], values[2 * at + 1]])),
        PixelFormat::F32 => {
            let bytes = &values[4 * at..4 * at + 4];
            f64::from(f32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]))
        }
        PixelFormat::Rgb8 | PixelFormat::Rgba8 => unreachable!("not a value format"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn floats(values: &[f32]) -> Vec<u8> {
        values.iter().flat_map(|v| v.to_le_bytes()).collect()
    }

    #[test]
    fn paints_the_changed_part_until_the_range_moves() {
        let (width, height) = (100u32, 70u32);
        let mut field: Vec<f32> = (0..width * height)
            .map(|i| (i % 100) as f32 / 99.0)
            .collect();
        let mut view = ValueView::default();
        view.set_colormap(Colormap::Viridis);
        let whole = Rect {
            x: 0,
            y: 0,
            width,
            height,
        };
        let painted = view.paint(
            PixelFormat::F32,
            &floats(&field),
            (width, height),
            whole,
            0.0,
        );
        assert_eq!(painted, whole);
        assert_eq!(view.range(), Some(Range { lo: 0.0, hi: 1.0 }));
        let viridis = Colormap::Viridis.table();
        assert_eq!(&view.rgba[..4], &viridis[0]);
        assert_eq!(&view.rgba[99 * 4..100 * 4], &viridis[255]);

        // A change inside the range: only it is painted.
        field[5 * 100 + 7] = 0.5;
        let small = Rect {
            x: 7,
            y: 5,
            width: 1,
            height: 1,
        };
        let painted = view.paint(
            PixelFormat::F32,
            &floats(&field),
            (width, height),
            small,
            10.0,
        );
        assert_eq!(painted, small);
        assert_eq!(&view.rgba[(507) * 4..508 * 4], &viridis[128]);

        // A NaN is its own colour and leaves the range alone; a value past
        // the range widens the window and everything is painted again.
        field[0] = f32::NAN;
        field[1] = 3.0;
        let corner = Rect {
            x: 0,
            y: 0,
            width: 2,
            height: 1,
        };
        let painted = view.paint(
            PixelFormat::F32,
            &floats(&field),
            (width, height),
            corner,
            20.0,
        );
        assert_eq!(painted, whole);
        assert_eq!(view.range(), Some(Range { lo: 0.0, hi: 3.0 }));
        assert_eq!(&view.rgba[..4], &framecast_codec::colormap::NAN_COLOUR);

        // Once the 3.0 is gone and the window has passed, the range shrinks.
        field[1] = 0.0;
        view.paint(
            PixelFormat::F32,
            &floats(&field),
            (width, height),
            corner,
            30.0,
        );
        assert_eq!(
            view.range(),
            Some(Range { lo: 0.0, hi: 3.0 }),
            "within the window"
        );
        view.paint(
            PixelFormat::F32,
            &floats(&field),
            (width, height),
            Rect::default(),
            30.0 + WINDOW_MS,
        );
        assert_eq!(
            view.range(),
            Some(Range { lo: 0.0, hi: 1.0 }),
            "past the window"
        );

        view.set_mode(RangeMode::Fixed(Range { lo: -1.0, hi: 1.0 }));
        let painted = view.paint(
            PixelFormat::F32,
            &floats(&field),
            (width, height),
            Rect::default(),
            40.0 + WINDOW_MS,
        );
        assert_eq!(painted, whole);
        assert_eq!(&view.rgba[4..8], &viridis[128], "0 is the middle of -1..1");
    }

    #[test]
    fn auto_suits_the_format() {
        let (width, height) = (10u32, 1u32);
        let whole = Rect {
            x: 0,
            y: 0,
            width,
            height,
        };
        let camera: Vec<u8> = (0..10u16).flat_map(|i| (i * 400).to_le_bytes()).collect();
        let mut view = ValueView::default();
        view.paint(PixelFormat::Gray16, &camera, (width, height), whole, 0.0);
        assert_eq!(
            view.range(),
            Some(Range {
                lo: 0.0,
                hi: 4095.0
            }),
            "a 12-bit camera"
        );
        let mut view = ValueView::default();
        view.paint(PixelFormat::Gray8, &[3; 10], (width, height), whole, 0.0);
        assert_eq!(view.range(), Some(Range { lo: 0.0, hi: 255.0 }));
        assert_eq!(&view.rgba[..4], &[3, 3, 3, 255]);
        assert_eq!(value_at(PixelFormat::Gray16, &camera, 3), 1200.0);

        // The same size in another format: the window starts again.
        let mut view = ValueView::default();
        let floats: Vec<u8> = (0..20)
            .flat_map(|i| (i as f32 * 1000.0).to_le_bytes())
            .collect();
        view.paint(PixelFormat::F32, &floats[..40], (width, height), whole, 0.0);
        assert_eq!(
            view.range(),
            Some(Range {
                lo: 0.0,
                hi: 9000.0
            })
        );
        view.paint(PixelFormat::Gray16, &camera, (width, height), whole, 10.0);
        assert_eq!(
            view.range(),
            Some(Range {
                lo: 0.0,
                hi: 4095.0
            }),
            "not the bits of the floats' 9000"
        );
    }
}
