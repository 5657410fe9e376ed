//! The benchmark corpus of design.md: deterministic frame sequences, one per
//! content class, RGB8, any size. Frame `n` of a class is always the same
//! bytes, so every codec in a run, and every run, sees the same frames.

/// A class of content.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    /// The same frame repeated.
    Static,
    /// A textured background with a 100x100 block moving a few pixels a frame
    /// (GUI-like; about 1% of the pixels change).
    Sprite,
    /// A text-like page scrolled by a few rows a frame.
    Scroll,
    /// A smooth full-frame animation: every pixel changes.
    Plasma,
    /// Fresh random bytes every frame: incompressible.
    Noise,
    /// A natural-looking texture panning slowly, with per-pixel sensor noise.
    Camera,
}

impl Class {
    /// Every class, in the order of the tables.
    pub const ALL: [Class; 6] = [
        Class::Static,
        Class::Sprite,
        Class::Scroll,
        Class::Plasma,
        Class::Noise,
        Class::Camera,
    ];

    /// Lowercase name.
    pub fn name(self) -> &'static str {
        match self {
            Class::Static => "static",
            Class::Sprite => "sprite",
            Class::Scroll => "scroll",
            Class::Plasma => "plasma",
            Class::Noise => "noise",
            Class::Camera => "camera",
        }
    }

    /// The class named `name`.
    pub fn from_name(name: &str) -> Option<Class> {
        Class::ALL.into_iter().find(|class| class.name() == name)
    }
}

/// The plasma class's field at pixel (`x`, `y`) of frame `n`: a sum of
/// three travelling sine waves, between -3 and 3 (the values benchmark
/// sends it as the float it is).
pub fn plasma_wave(x: usize, y: usize, n: usize) -> f32 {
    let t = n as f32 * 0.08;
    let (fx, fy) = (x as f32 / 113.0, y as f32 / 97.0);
    (fx + t).sin() + (fy * 1.3 - t).sin() + ((fx + fy) * 0.7 + t * 1.5).sin()
}

/// Generates the frames of one class at one size.
#[derive(Debug)]
pub struct Corpus {
    class: Class,
    width: usize,
    height: usize,
    /// A larger texture the class draws from (background, page, scene).
    texture: Vec<u8>,
    texture_width: usize,
}

/// Rows a scroll frame moves.
const SCROLL_ROWS: usize = 3;
/// Pixels the camera pans per frame, horizontally.
const PAN_PIXELS: usize = 1;
/// Side of the sprite.
const SPRITE: usize = 100;

impl Corpus {
    /// The corpus of `class` at `width x height`.
    pub fn new(class: Class, width: usize, height: usize) -> Corpus {
        // Room for 300 frames of scrolling or panning without wrapping.
        let texture_width = width + 300 * PAN_PIXELS;
        let texture_height = height + 300 * SCROLL_ROWS;
        let texture = match class {
            Class::Scroll => page(texture_width, texture_height),
            Class::Camera => scene(texture_width, texture_height),
            _ => background(width, height),
        };
        Corpus {
            class,
            width,
            height,
            texture,
            texture_width: if matches!(class, Class::Scroll | Class::Camera) {
                texture_width
            } else {
                width
            },
        }
    }

    /// Frame `n`, RGB8, row-major.
    pub fn frame(&self, n: usize) -> Vec<u8> {
        let (w, h) = (self.width, self.height);
        match self.class {
            Class::Static => self.texture.clone(),
            Class::Sprite => {
                let mut frame = self.texture.clone();
                let span_x = w.saturating_sub(SPRITE).max(1);
                let span_y = h.saturating_sub(SPRITE).max(1);
                let (x0, y0) = ((37 + 4 * n) % span_x, (11 + 3 * n) % span_y);
                for y in y0..(y0 + SPRITE).min(h) {
                    for x in x0..(x0 + SPRITE).min(w) {
                        let checker = ((x - x0) / 10 + (y - y0) / 10) % 2 == 0;
                        frame[(y * w + x) * 3..][..3].copy_from_slice(if checker {
                            &[230, 60, 40]
                        } else {
                            &[250, 240, 230]
                        });
                    }
                }
                frame
            }
            Class::Scroll => self.window(0, n * SCROLL_ROWS),
            Class::Camera => {
                let mut frame = self.window(n * PAN_PIXELS, 0);
                let mut state =
                    0x9e37_79b9_7f4a_7c15u64 ^ (n as u64).wrapping_mul(0xbf58_476d_1ce4_e5b9);
                for byte in &mut frame {
                    state = xorshift(state);
                    // Sensor noise: +-2 on about half the samples.
                    let noise = (state >> 60) as i16 - 8;
                    if noise.abs() <= 2 {
                        *byte = (i16::from(*byte) + noise).clamp(0, 255) as u8;
                    }
                }
                frame
            }
            Class::Plasma => {
                let mut frame = Vec::with_capacity(w * h * 3);
                for y in 0..h {
                    for x in 0..w {
                        let v = plasma_wave(x, y, n);
                        frame.push((128.0 + 40.0 * v) as u8);
                        frame.push((128.0 + 40.0 * (v + 2.1).sin() * 2.0) as u8);
                        frame.push((128.0 + 40.0 * (v * 1.7).cos() * 2.0) as u8);
                    }
                }
                frame
            }
            Class::Noise => {
                let mut state =
                    0x2545_f491_4f6c_dd1du64 ^ (n as u64 + 1).wrapping_mul(0x94d0_49bb_1331_11eb);
                let mut frame = vec![0u8; w * h * 3];
                for chunk in frame.chunks_mut(8) {
                    state = xorshift(state);
                    chunk.copy_from_slice(&state.to_le_bytes()[..chunk.len()]);
                }
                frame
            }
        }
    }

    /// The `width x height` window of the texture at (`left`, `top`).
    fn window(&self, left: usize, top: usize) -> Vec<u8> {
        let mut frame = Vec::with_capacity(self.width * self.height * 3);
        for y in top..top + self.height {
            let start = (y * self.texture_width + left) * 3;
            frame.extend_from_slice(&self.texture[start..start + self.width * 3]);
        }
        frame
    }
}

fn xorshift(mut state: u64) -> u64 {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    state
}

/// A GUI-like background: flat panels, a gradient, a fine weave.
fn background(width: usize, height: usize) -> Vec<u8> {
    let mut pixels = Vec::with_capacity(width * height * 3);
    for y in 0..height {
        for x in 0..width {
            let weave = if (x / 4 + y / 4) % 2 == 0 { 12 } else { 0 };
            let panel = if (x / 250 + y / 200) % 2 == 0 { 30 } else { 0 };
            pixels.push((60 + x * 100 / width + weave) as u8);
            pixels.push((70 + y * 90 / height + panel) as u8);
            pixels.push((120 + weave + panel) as u8);
        }
    }
    pixels
}

/// A page of "text": dark glyph-like blocks in lines on white.
fn page(width: usize, height: usize) -> Vec<u8> {
    let mut pixels = vec![255u8; width * height * 3];
    let mut state = 0x1234_5678_9abc_def1u64;
    let (line_height, glyph_width) = (18, 9);
    for line in 0..height / line_height {
        state = xorshift(state);
        let line_len = width * (40 + (state % 60) as usize) / 100;
        for glyph in 0..line_len / glyph_width {
            state = xorshift(state);
            if state % 7 == 0 {
                continue; // a space
            }
            let shape = state;
            for gy in 0..12 {
                for gx in 0..glyph_width - 2 {
                    if (shape >> ((gy * 5 + gx) % 64)) & 1 == 1 {
                        let (x, y) = (glyph * glyph_width + gx, line * line_height + 3 + gy);
                        pixels[(y * width + x) * 3..][..3].copy_from_slice(&[25, 25, 35]);
                    }
                }
            }
        }
    }
    pixels
}

/// A natural-looking scene: smooth value noise at a few scales.
fn scene(width: usize, height: usize) -> Vec<u8> {
    let lattice = |scale: usize, seed: u64| {
        let (cols, rows) = (width / scale + 2, height / scale + 2);
        let mut state = seed;
        let values: Vec<f32> = (0..cols * rows)
            .map(|_| {
                state = xorshift(state);
                (state % 1000) as f32 / 1000.0
            })
            .collect();
        (scale, cols, values)
    };
    let octaves = [lattice(160, 7), lattice(40, 11), lattice(10, 13)];
    let sample = |(scale, cols, values): &(usize, usize, Vec<f32>), x: usize, y: usize| {
        let (gx, gy) = (x / scale, y / scale);
        let (fx, fy) = (
            (x % scale) as f32 / *scale as f32,
            (y % scale) as f32 / *scale as f32,
        );
        let at = |i: usize, j: usize| values[j * cols + i];
        let top = at(gx, gy) * (1.0 - fx) + at(gx + 1, gy) * fx;
        let bottom = at(gx, gy + 1) * (1.0 - fx) + at(gx + 1, gy + 1) * fx;
        top * (1.0 - fy) + bottom * fy
    };
    let mut pixels = Vec::with_capacity(width * height * 3);
    for y in 0..height {
        for x in 0..width {
            let v = 0.6 * sample(&octaves[0], x, y)
                + 0.3 * sample(&octaves[1], x, y)
                + 0.1 * sample(&octaves[2], x, y);
            pixels.push((40.0 + 180.0 * v) as u8);
            pixels.push((60.0 + 150.0 * v * v) as u8);
            pixels.push((30.0 + 120.0 * (1.0 - v)) as u8);
        }
    }
    pixels
}

#[cfg(test)]
mod tests {
    use super::*;

    fn changed_fraction(a: &[u8], b: &[u8]) -> f64 {
        let changed = a.chunks(3).zip(b.chunks(3)).filter(|(p, q)| p != q).count();
        changed as f64 / (a.len() / 3) as f64
    }

    #[test]
    fn classes_change_as_described() {
        let (w, h) = (1000, 1000);
        let fraction = |class| {
            let corpus = Corpus::new(class, w, h);
            let (a, b) = (corpus.frame(5), corpus.frame(6));
            assert_eq!(a.len(), w * h * 3);
            assert_eq!(a, corpus.frame(5), "deterministic");
            changed_fraction(&a, &b)
        };
        assert_eq!(fraction(Class::Static), 0.0);
        let sprite = fraction(Class::Sprite);
        assert!(sprite > 0.001 && sprite < 0.03, "sprite {sprite}");
        assert!(fraction(Class::Scroll) > 0.01);
        assert!(fraction(Class::Plasma) > 0.9);
        assert!(fraction(Class::Noise) > 0.99);
        assert!(fraction(Class::Camera) > 0.5);
    }
}
