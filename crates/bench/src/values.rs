//! The value corpus of #26: frames that are values, not colours, as their
//! producers hold them; deterministic, any size.
//!
//! - `camera16`: a 12-bit camera in a 16-bit array: the camera class's
//!   scene (its luma, 0 to 4000) panning a pixel a frame, with sensor
//!   noise of a few counts on every pixel.
//! - `field`: a simulation's float32 field: the plasma class's sum of
//!   three waves (-3 to 3), moving.
//! - `gray8`: a grayscale 8-bit camera: the scene's luma panning, with the
//!   camera class's noise (+-2 on about half the pixels).
//!
//! Each also has "the same picture as colour-mapped RGB", what a producer
//! sends today: the values normalised over their range and put through a
//! colormap (gray for the cameras, R = G = B; viridis for the field), as
//! framecast's own palette does it.

use framecast_codec::colormap::{Colormap, Palette, Range};
use framecast_codec::PixelFormat;

use crate::corpus::{plasma_wave, Class, Corpus};

/// A class of value content.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueClass {
    Camera16,
    Field,
    Gray8,
}

impl ValueClass {
    /// Every class, in the order of the tables.
    pub const ALL: [ValueClass; 3] = [ValueClass::Camera16, ValueClass::Field, ValueClass::Gray8];

    /// Lowercase name.
    pub fn name(self) -> &'static str {
        match self {
            ValueClass::Camera16 => "camera16",
            ValueClass::Field => "field",
            ValueClass::Gray8 => "gray8",
        }
    }

    /// The format its frames are in.
    pub fn format(self) -> PixelFormat {
        match self {
            ValueClass::Camera16 => PixelFormat::Gray16,
            ValueClass::Field => PixelFormat::F32,
            ValueClass::Gray8 => PixelFormat::Gray8,
        }
    }

    /// How its producer would colour-map it today, and how a viewer shows it.
    pub fn view(self) -> (Colormap, Range) {
        match self {
            ValueClass::Camera16 => (
                Colormap::Gray,
                Range {
                    lo: 0.0,
                    hi: 4095.0,
                },
            ),
            ValueClass::Field => (Colormap::Viridis, Range { lo: -3.0, hi: 3.0 }),
            ValueClass::Gray8 => (Colormap::Gray, Range { lo: 0.0, hi: 255.0 }),
        }
    }
}

/// Frames of one value class at one size.
#[derive(Debug)]
pub struct ValueCorpus {
    class: ValueClass,
    width: usize,
    height: usize,
    /// The camera scene (RGB, wider than a frame, for panning).
    scene: Corpus,
}

impl ValueCorpus {
    /// The corpus of `class` at `width x height`.
    pub fn new(class: ValueClass, width: usize, height: usize) -> ValueCorpus {
        ValueCorpus {
            class,
            width,
            height,
            scene: Corpus::new(Class::Camera, width, height),
        }
    }

    /// Frame `n` in its format, little-endian.
    pub fn frame(&self, n: usize) -> Vec<u8> {
        let (w, h) = (self.width, self.height);
        match self.class {
            ValueClass::Field => {
                // The plasma class's waves, as the float they are.
                let mut frame = Vec::with_capacity(w * h * 4);
                for y in 0..h {
                    for x in 0..w {
                        frame.extend_from_slice(&plasma_wave(x, y, n).to_le_bytes());
                    }
                }
                frame
            }
            ValueClass::Gray8 => {
                // The camera class's frame (its noise included), as luma.
                self.scene.frame(n).chunks_exact(3).map(luma).collect()
            }
            ValueClass::Camera16 => {
                // The camera class's panning scene without its 8-bit noise,
                // at 12 bits, with noise of its own: +-6 counts.
                let clean = self.scene.frame(n);
                let mut state = 0x51_7cc1_b727_220au64 ^ (n as u64 + 1).wrapping_mul(0x9e37_79b9);
                let mut frame = Vec::with_capacity(w * h * 2);
                for pixel in clean.chunks_exact(3) {
                    state ^= state << 13;
                    state ^= state >> 7;
                    state ^= state << 17;
                    let noise = (state >> 60) as i32 - 8; // -8..7
                    let value = (i32::from(luma(pixel)) * 16 + noise * 3 / 4).clamp(0, 4095) as u16;
                    frame.extend_from_slice(&value.to_le_bytes());
                }
                frame
            }
        }
    }

    /// Frame `n` as its producer sends it today: colour-mapped RGB8.
    pub fn rgb(&self, n: usize) -> Vec<u8> {
        let (colormap, range) = self.class.view();
        let palette = Palette::new(self.class.format(), colormap, range);
        let mut rgba = vec![0; self.width * self.height * 4];
        palette.map(&self.frame(n), &mut rgba);
        rgba.chunks_exact(4)
            .flat_map(|p| [p[0], p[1], p[2]])
            .collect()
    }

    /// Frame `n` as 8-bit colormap indices over the class's range: what a
    /// colour-mapped picture carries of the values.
    pub fn levels(&self, n: usize) -> Vec<u8> {
        let (_, range) = self.class.view();
        let frame = self.frame(n);
        let value = |v: &[u8]| match self.class.format() {
            PixelFormat::Gray16 => f32::from(u16::from_le_bytes([v[0], v[1]])),
            PixelFormat::F32 => f32::from_le_bytes([v[0], v[1], v[2], v[3]]),
            _ => f32::from(v[0]),
        };
        frame
            .chunks_exact(self.class.format().bytes_per_pixel())
            .map(|v| range.index(value(v)))
            .collect()
    }
}

/// Rec. 601 luma of an RGB pixel.
fn luma(pixel: &[u8]) -> u8 {
    ((u32::from(pixel[0]) * 299 + u32::from(pixel[1]) * 587 + u32::from(pixel[2]) * 114) / 1000)
        as u8
}
