//! Frame sources inside the server process: the built-in `demo` (a textured
//! background, moving sprites and a frame counter: the GUI-like case where
//! little changes) and `noise` (fresh random RGB every frame: the
//! incompressible worst case), so framecast shows something with no other
//! program; and raw frames from standard input, as ffmpeg's
//! `-f rawvideo -pix_fmt rgb24` writes them.
//!
//! Each counts as its stream's producer while it runs.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use framecast_codec::PixelFormat;

use crate::stream::{Role, Stream};

/// Which built-in source.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SourceKind {
    /// Textured background, bouncing sprites and a frame counter.
    Demo,
    /// Fresh random RGB bytes every frame.
    Noise,
    /// None: frames come from producers (`/ingest`, `POST`, `--stdin`).
    None,
}

/// What a built-in source produces, and how fast.
#[derive(Debug, Clone)]
pub struct SourceConfig {
    /// Which source.
    pub kind: SourceKind,
    /// Frame width in pixels.
    pub width: u32,
    /// Frame height in pixels.
    pub height: u32,
    /// Frames per second to aim for.
    pub fps: f64,
    /// Stop after this many frames (the stream keeps the last one).
    pub frames: Option<u64>,
}

/// Starts a thread that renders frames into `stream` until `stop` is set or
/// the frame count is reached. Frames are paced to `fps`; a frame that takes
/// longer than its slot is followed at once by the next, without catching up.
pub fn spawn(
    stream: Arc<Stream>,
    config: SourceConfig,
    stop: Arc<AtomicBool>,
) -> std::io::Result<JoinHandle<()>> {
    std::thread::Builder::new()
        .name(format!("source-{}", stream.name()))
        .spawn(move || {
            let _presence = stream.join(Role::Producer);
            let mut render: Box<dyn FnMut(u64) -> Vec<u8>> = match config.kind {
                SourceKind::Demo => {
                    let mut demo = Demo::new(config.width, config.height);
                    Box::new(move |n| demo.render(n))
                }
                SourceKind::Noise => {
                    let mut noise = Noise::new((config.width * config.height * 3) as usize);
                    Box::new(move |_| noise.render())
                }
                SourceKind::None => return,
            };
            let period = Duration::from_secs_f64(1.0 / config.fps);
            let mut deadline = Instant::now();
            for n in 0..config.frames.unwrap_or(u64::MAX) {
                if stop.load(Ordering::Relaxed) {
                    break;
                }
                let pixels = render(n);
                if let Err(error) =
                    stream.publish(config.width, config.height, PixelFormat::Rgb8, pixels)
                {
                    tracing::error!(%error, "source frame refused");
                    break;
                }
                deadline += period;
                let now = Instant::now();
                match deadline.checked_duration_since(now) {
                    Some(wait) => std::thread::sleep(wait),
                    None => deadline = now,
                }
            }
            tracing::info!(stream = stream.name(), "source stopped");
        })
}

/// Starts a thread that publishes raw frames of `width x height` in `format`
/// read from standard input, until it ends. A frame cut short by the end of
/// input is dropped, with a warning.
pub fn spawn_stdin(
    stream: Arc<Stream>,
    width: u32,
    height: u32,
    format: PixelFormat,
) -> std::io::Result<JoinHandle<()>> {
    std::thread::Builder::new().name("source-stdin".into()).spawn(move || {
        let _presence = stream.join(Role::Producer);
        let frame_len = width as usize * height as usize * format.bytes_per_pixel();
        let mut input = std::io::stdin().lock();
        let mut frames = 0u64;
        loop {
            let mut pixels = vec![0u8; frame_len];
            match read_full(&mut input, &mut pixels) {
                Ok(read) if read == frame_len => {}
                Ok(0) => break,
                Ok(read) => {
                    tracing::warn!("standard input ended inside a frame ({read} of {frame_len} bytes); dropped it");
                    break;
                }
                Err(error) => {
                    tracing::error!(%error, "cannot read standard input");
                    break;
                }
            }
            if let Err(error) = stream.publish(width, height, format, pixels) {
                tracing::error!(%error, "frame from standard input refused");
                break;
            }
            frames += 1;
        }
        tracing::info!(frames, "standard input ended; the last frame stays on screen");
    })
}

/// Reads until `buffer` is full or the input ends; returns the bytes read.
fn read_full(input: &mut impl std::io::Read, buffer: &mut [u8]) -> std::io::Result<usize> {
    let mut filled = 0;
    while filled < buffer.len() {
        match input.read(&mut buffer[filled..]) {
            Ok(0) => break,
            Ok(read) => filled += read,
            Err(error) if error.kind() == std::io::ErrorKind::Interrupted => {}
            Err(error) => return Err(error),
        }
    }
    Ok(filled)
}

/// Fresh xorshift noise every frame.
struct Noise {
    state: u64,
    len: usize,
}

impl Noise {
    fn new(len: usize) -> Self {
        Noise {
            state: 0x9e37_79b9_7f4a_7c15,
            len,
        }
    }

    fn render(&mut self) -> Vec<u8> {
        let mut pixels = vec![0u8; self.len];
        for chunk in pixels.chunks_mut(8) {
            self.state ^= self.state << 13;
            self.state ^= self.state >> 7;
            self.state ^= self.state << 17;
            chunk.copy_from_slice(&self.state.to_le_bytes()[..chunk.len()]);
        }
        pixels
    }
}

/// A textured background with sprites bouncing over it and a frame counter.
struct Demo {
    width: u32,
    height: u32,
    background: Vec<u8>,
    sprites: Vec<Sprite>,
}

struct Sprite {
    x: f64,
    y: f64,
    dx: f64,
    dy: f64,
    size: u32,
    color: [u8; 3],
}

impl Demo {
    fn new(width: u32, height: u32) -> Self {
        let mut background = Vec::with_capacity((width * height * 3) as usize);
        for y in 0..height {
            for x in 0..width {
                // A soft diagonal gradient under a fine checker weave.
                let weave = if (x / 8 + y / 8) % 2 == 0 { 18 } else { 0 };
                let r = (40 + x * 120 / width) as u8 + weave;
                let g = (50 + y * 110 / height) as u8 + weave;
                let b = (150 - (x + y) * 60 / (width + height)) as u8 + weave;
                background.extend_from_slice(&[r, g, b]);
            }
        }
        let size = (width.min(height) / 10).max(4);
        let colors = [
            [240, 80, 60],
            [250, 200, 40],
            [60, 200, 120],
            [80, 140, 250],
            [230, 90, 220],
        ];
        let sprites = colors
            .iter()
            .enumerate()
            .map(|(i, &color)| Sprite {
                x: f64::from(width) * (0.1 + 0.17 * i as f64),
                y: f64::from(height) * (0.2 + 0.13 * i as f64),
                dx: 2.0 + i as f64,
                dy: 3.0 - i as f64 * 0.7,
                size,
                color,
            })
            .collect();
        Demo {
            width,
            height,
            background,
            sprites,
        }
    }

    fn render(&mut self, n: u64) -> Vec<u8> {
        let mut pixels = self.background.clone();
        for sprite in &mut self.sprites {
            sprite.step(self.width, self.height);
            let (x, y) = (sprite.x as u32, sprite.y as u32);
            fill_rect(
                &mut pixels,
                self.width,
                self.height,
                x,
                y,
                sprite.size,
                sprite.size,
                sprite.color,
            );
            let inset = sprite.size / 4;
            fill_rect(
                &mut pixels,
                self.width,
                self.height,
                x + inset,
                y + inset,
                sprite.size - 2 * inset,
                sprite.size - 2 * inset,
                [255, 255, 255],
            );
        }
        let scale = (self.width.min(self.height) / 100).max(1);
        draw_number(&mut pixels, self.width, self.height, n, scale);
        pixels
    }
}

impl Sprite {
    fn step(&mut self, width: u32, height: u32) {
        let max_x = f64::from(width.saturating_sub(self.size));
        let max_y = f64::from(height.saturating_sub(self.size));
        self.x += self.dx;
        self.y += self.dy;
        if self.x < 0.0 || self.x > max_x {
            self.dx = -self.dx;
            self.x = self.x.clamp(0.0, max_x);
        }
        if self.y < 0.0 || self.y > max_y {
            self.dy = -self.dy;
            self.y = self.y.clamp(0.0, max_y);
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn fill_rect(
    pixels: &mut [u8],
    width: u32,
    height: u32,
    x: u32,
    y: u32,
    w: u32,
    h: u32,
    color: [u8; 3],
) {
    let (x1, y1) = ((x + w).min(width), (y + h).min(height));
    for row in y.min(height)..y1 {
        let start = (row * width + x.min(width)) as usize * 3;
        let end = (row * width + x1) as usize * 3;
        for pixel in pixels[start..end].chunks_exact_mut(3) {
            pixel.copy_from_slice(&color);
        }
    }
}

/// Draws `n` in the top-left corner with a 3x5 pixel font scaled by `scale`.
fn draw_number(pixels: &mut [u8], width: u32, height: u32, n: u64, scale: u32) {
    // Each digit is five rows of three bits, most significant bit on the left.
    const DIGITS: [[u8; 5]; 10] = [
        [7, 5, 5, 5, 7],
        [2, 6, 2, 2, 7],
        [7, 1, 7, 4, 7],
        [7, 1, 3, 1, 7],
        [5, 5, 7, 1, 1],
        [7, 4, 7, 1, 7],
        [7, 4, 7, 5, 7],
        [7, 1, 1, 2, 2],
        [7, 5, 7, 5, 7],
        [7, 5, 7, 1, 7],
    ];
    let text = format!("{n:06}");
    let cell = 4 * scale;
    fill_rect(
        pixels,
        width,
        height,
        0,
        0,
        cell * text.len() as u32 + 2 * scale,
        7 * scale,
        [16, 16, 24],
    );
    for (i, digit) in text.bytes().enumerate() {
        let glyph = DIGITS[usize::from(digit - b'0')];
        for (row, bits) in glyph.iter().enumerate() {
            for col in 0..3 {
                if bits & (4 >> col) != 0 {
                    let x = scale + i as u32 * cell + col * scale;
                    let y = scale + row as u32 * scale;
                    fill_rect(pixels, width, height, x, y, scale, scale, [255, 255, 255]);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_changes_a_little_each_frame() {
        let mut demo = Demo::new(400, 300);
        let a = demo.render(0);
        let b = demo.render(1);
        assert_eq!(a.len(), 400 * 300 * 3);
        let changed = a.chunks(3).zip(b.chunks(3)).filter(|(p, q)| p != q).count();
        assert!(
            changed > 0 && changed < 400 * 300 / 5,
            "{changed} pixels changed"
        );
    }

    #[test]
    fn demo_handles_tiny_frames() {
        let mut demo = Demo::new(3, 2);
        assert_eq!(demo.render(123_456).len(), 3 * 2 * 3);
    }

    #[test]
    fn noise_differs_each_frame() {
        let mut noise = Noise::new(1001);
        assert_ne!(noise.render(), noise.render());
    }
}
