//! Property tests: whatever the size, format, tile size and change pattern,
//! the decoder's framebuffer equals the encoded frame exactly (in RGBA, and
//! in the frames' own format), and no byte string makes the decoder panic.

use framecast_codec::{Decoder, Encoder, FrameRef, PixelFormat};
use proptest::prelude::*;

/// The framebuffer a viewer's decoder should hold for `pixels`: RGBA for
/// the colour formats, the values themselves for the others.
fn expected_rgba(format: PixelFormat, pixels: &[u8]) -> Vec<u8> {
    match format {
        PixelFormat::Rgba8 | PixelFormat::Gray8 | PixelFormat::Gray16 | PixelFormat::F32 => {
            pixels.to_vec()
        }
        PixelFormat::Rgb8 => pixels
            .chunks_exact(3)
            .flat_map(|p| [p[0], p[1], p[2], 255])
            .collect(),
    }
}

#[derive(Debug, Clone)]
enum Change {
    /// Nothing changes.
    Same,
    /// A rectangle (in fractions of the frame) is filled with one byte value.
    Fill {
        x: f64,
        y: f64,
        w: f64,
        h: f64,
        value: u8,
    },
    /// Scattered single bytes change.
    Scatter(Vec<(usize, u8)>),
    /// Every byte is replaced (noise).
    Noise(u64),
    /// A band of rows (fractions of the height) moves by `dy` (a fraction of
    /// the band); the rows it uncovers get noise.
    Scroll {
        top: f64,
        bottom: f64,
        dy: f64,
        seed: u64,
    },
    /// Every sample (a byte, or a 16-bit value, or a float's bit pattern)
    /// moves by a small amount, as a camera's sensor noise does.
    Drift { seed: u64, amplitude: u8 },
    /// The frame becomes a smooth ramp that moves between frames, as a
    /// simulation's fields do (floats: a ramp of fractions, with a NaN and
    /// infinities where `phase` says).
    Ramp { x_step: u8, y_step: u8, phase: u8 },
    /// The frame takes a new size and format.
    Resize {
        width: u32,
        height: u32,
        format: PixelFormat,
    },
}

fn format() -> impl Strategy<Value = PixelFormat> {
    prop::sample::select(PixelFormat::ALL.to_vec())
}

fn change() -> impl Strategy<Value = Change> {
    prop_oneof![
        Just(Change::Same),
        (0.0..1.0, 0.0..1.0, 0.0..1.0, 0.0..1.0, any::<u8>())
            .prop_map(|(x, y, w, h, value)| Change::Fill { x, y, w, h, value }),
        prop::collection::vec((any::<usize>(), any::<u8>()), 1..20).prop_map(Change::Scatter),
        any::<u64>().prop_map(Change::Noise),
        (0.0..0.5, 0.5..1.0, -0.9..0.9, any::<u64>()).prop_map(|(top, bottom, dy, seed)| {
            Change::Scroll {
                top,
                bottom,
                dy,
                seed,
            }
        }),
        (any::<u64>(), 1u8..8).prop_map(|(seed, amplitude)| Change::Drift { seed, amplitude }),
        (0u8..4, 0u8..4, any::<u8>()).prop_map(|(x_step, y_step, phase)| Change::Ramp {
            x_step,
            y_step,
            phase
        }),
        (1u32..150, 1u32..150, format()).prop_map(|(width, height, format)| Change::Resize {
            width,
            height,
            format
        }),
    ]
}

fn noise(seed: u64, len: usize) -> Vec<u8> {
    let mut state = seed | 1;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 24) as u8
        })
        .collect()
}

struct Source {
    width: u32,
    height: u32,
    format: PixelFormat,
    pixels: Vec<u8>,
}

impl Source {
    fn apply(&mut self, change: &Change) {
        let bpp = self.format.bytes_per_pixel();
        match *change {
            Change::Same => {}
            Change::Fill { x, y, w, h, value } => {
                let x0 = (x * f64::from(self.width)) as usize;
                let y0 = (y * f64::from(self.height)) as usize;
                let x1 = (x0 + (w * f64::from(self.width)) as usize + 1).min(self.width as usize);
                let y1 = (y0 + (h * f64::from(self.height)) as usize + 1).min(self.height as usize);
                for row in y0..y1 {
                    let start = (row * self.width as usize + x0) * bpp;
                    let end = (row * self.width as usize + x1) * bpp;
                    self.pixels[start..end].fill(value);
                }
            }
            Change::Scatter(ref bytes) => {
                let len = self.pixels.len();
                for &(at, value) in bytes {
                    self.pixels[at % len] = value;
                }
            }
            Change::Noise(seed) => self.pixels = noise(seed, self.pixels.len()),
            Change::Drift { seed, amplitude } => {
                let sample_bytes = self.format.sample_bytes();
                let steps = noise(seed, self.pixels.len());
                for (sample, step) in self.pixels.chunks_exact_mut(sample_bytes).zip(steps) {
                    let step = i64::from(step % (2 * amplitude + 1)) - i64::from(amplitude);
                    let mut value = [0u8; 8];
                    value[..sample_bytes].copy_from_slice(sample);
                    let value = i64::from_le_bytes(value).wrapping_add(step).to_le_bytes();
                    sample.copy_from_slice(&value[..sample_bytes]);
                }
            }
            Change::Ramp {
                x_step,
                y_step,
                phase,
            } => {
                let width = self.width as usize;
                let sample_bytes = self.format.sample_bytes();
                let samples = self.pixels.chunks_exact_mut(sample_bytes);
                for (at, sample) in samples.enumerate() {
                    let (pixel, channel) = (at * sample_bytes / bpp, at * sample_bytes % bpp);
                    let (x, y) = (pixel % width, pixel / width);
                    let value = x * usize::from(x_step)
                        + y * usize::from(y_step)
                        + usize::from(phase)
                        + channel * 50;
                    match self.format {
                        PixelFormat::Gray16 => {
                            sample.copy_from_slice(&(value as u16 * 3).to_le_bytes())
                        }
                        PixelFormat::F32 => {
                            let value = match (pixel + usize::from(phase)) % 97 {
                                0 => f32::NAN,
                                1 => f32::INFINITY,
                                2 => f32::NEG_INFINITY,
                                _ => value as f32 / 7.0 - 20.0,
                            };
                            sample.copy_from_slice(&value.to_le_bytes());
                        }
                        _ => sample[0] = value as u8,
                    }
                }
            }
            Change::Scroll {
                top,
                bottom,
                dy,
                seed,
            } => {
                let stride = self.width as usize * bpp;
                let height = f64::from(self.height);
                let (top, bottom) = ((top * height) as usize, (bottom * height) as usize);
                let moved = (dy * (bottom - top) as f64) as isize;
                let band = self.pixels[top * stride..bottom * stride].to_vec();
                let fresh = noise(seed, band.len());
                for y in top..bottom {
                    let source = y as isize + moved;
                    let row = if (top as isize..bottom as isize).contains(&source) {
                        let at = (source as usize - top) * stride;
                        &band[at..at + stride]
                    } else {
                        &fresh[(y - top) * stride..(y - top + 1) * stride]
                    };
                    self.pixels[y * stride..(y + 1) * stride].copy_from_slice(row);
                }
            }
            Change::Resize {
                width,
                height,
                format,
            } => {
                *self = Source {
                    width,
                    height,
                    format,
                    pixels: noise(
                        u64::from(width * height),
                        (width * height) as usize * format.bytes_per_pixel(),
                    ),
                }
            }
        }
    }

    fn frame(&self) -> FrameRef<'_> {
        FrameRef::new(self.width, self.height, self.format, &self.pixels).unwrap()
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn decoded_frames_equal_the_source(
        width in 1u32..150,
        height in 1u32..150,
        format in format(),
        tile_width in 8u16..80,
        tile_height in 8u16..80,
        default_tiles in any::<bool>(),
        hold_first in any::<bool>(),
        seed in any::<u64>(),
        changes in prop::collection::vec(change(), 1..8),
    ) {
        // The default encoder switches tile size between frames; the others
        // keep theirs.
        let mut encoder = if default_tiles {
            Encoder::default()
        } else {
            Encoder::with_tile_size(tile_width, tile_height).unwrap()
        };
        let mut decoder = Decoder::new();
        // The server's: the frames as the producer had them, the first one
        // held as a plain publish or applied as a keyframe.
        let mut source_decoder = Decoder::source();
        let mut source = Source { width, height, format, pixels: noise(seed, (width * height) as usize * format.bytes_per_pixel()) };
        let mut message = Vec::new();
        encoder.encode_keyframe(1, 10, source.frame(), &mut message);
        decoder.apply(&message).unwrap();
        prop_assert_eq!(decoder.framebuffer(), &expected_rgba(format, &source.pixels)[..]);
        if hold_first {
            source_decoder.hold(1, source.frame());
        } else {
            source_decoder.apply(&message).unwrap();
        }
        prop_assert_eq!(source_decoder.framebuffer(), &source.pixels[..]);

        for (i, change) in changes.iter().enumerate() {
            let seq = i as u64 + 2;
            let base_pixels = source.pixels.clone();
            let (base_width, base_height, base_format) = (source.width, source.height, source.format);
            source.apply(change);
            let base = FrameRef::new(base_width, base_height, base_format, &base_pixels).unwrap();
            message.clear();
            let stats = encoder.encode(seq, seq * 10, source.frame(), Some((seq - 1, base)), &mut message);
            let info = decoder.apply(&message).unwrap();
            prop_assert_eq!(info.seq, seq);
            prop_assert_eq!(info.capture_us, seq * 10);
            prop_assert_eq!(stats.keyframe, !source.frame().same_geometry(&base));
            prop_assert_eq!((info.width, info.height), (source.width, source.height));
            prop_assert_eq!(decoder.framebuffer(), &expected_rgba(source.format, &source.pixels)[..]);
            source_decoder.apply(&message).unwrap();
            prop_assert_eq!(source_decoder.framebuffer(), &source.pixels[..]);
            if matches!(change, Change::Same) {
                prop_assert!(info.dirty.is_empty());
            }
        }
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..300)) {
        let mut decoder = Decoder::new();
        let _ = decoder.apply(&bytes);
        let _ = framecast_codec::wire::parse(&bytes);
    }

    #[test]
    fn corrupted_messages_are_errors_or_frames_never_panics(
        seed in any::<u64>(),
        flips in prop::collection::vec((any::<usize>(), any::<u8>()), 1..6),
        cut in any::<usize>(),
    ) {
        let pixels = noise(seed, 40 * 30 * 3);
        let mut smooth = pixels.clone();
        smooth[..1800].fill(5);
        let mut keyframe = Vec::new();
        let mut encoder = Encoder::with_tile_size(16, 16).unwrap();
        encoder.encode_keyframe(1, 0, FrameRef::new(40, 30, PixelFormat::Rgb8, &pixels).unwrap(), &mut keyframe);
        let mut delta = Vec::new();
        encoder.encode(
            2, 0,
            FrameRef::new(40, 30, PixelFormat::Rgb8, &smooth).unwrap(),
            Some((1, FrameRef::new(40, 30, PixelFormat::Rgb8, &pixels).unwrap())),
            &mut delta,
        );
        for (at, value) in flips {
            let len = delta.len();
            delta[at % len] ^= value | 1;
        }
        delta.truncate(cut % (delta.len() + 1));
        let mut decoder = Decoder::new();
        decoder.apply(&keyframe).unwrap();
        if let Ok(info) = decoder.apply(&delta) {
            prop_assert_eq!(decoder.framebuffer().len(), info.width as usize * info.height as usize * 4);
        }
    }
}
