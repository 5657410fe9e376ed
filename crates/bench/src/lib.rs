//! framecast's benchmarks.
//!
//! - [`corpus`]: the content classes of the design (static, sprite, scroll,
//!   plasma, noise, camera), deterministic, any size.
//! - `codecs` (feature `baselines`): framecast's encoder and decoder and the
//!   baselines (JPEG through libjpeg-turbo at quality 75 and 90, PNG at its
//!   fastest, raw), behind one interface so every codec sees the same frames.
//! - [`values`]: the value corpus (a 16-bit camera, a float field, a gray
//!   camera) and each as the colour-mapped RGB producers send today.
//! - `benches/codecs.rs`: criterion timings of each codec on each class.
//! - `src/bin/report.rs`: bytes per frame, the criterion medians, and the
//!   ratios to the baselines, written to BENCHMARKS.md, with charts drawn by
//!   [`chart`].

pub mod chart;
pub mod corpus;
pub mod values;

#[cfg(feature = "baselines")]
pub mod codecs;

/// Frame sizes the suite runs at.
pub const SIZES: [(usize, usize); 2] = [(1000, 1000), (1920, 1080)];

/// Frames of each class the timings cycle through.
pub const FRAMES: usize = 12;
