//! framecast's wire format: frames sent as tile diffs against the frame the
//! viewer already has, each changed tile as XOR bytes in LZ4 (a GUI), as the
//! difference packed in the bits it needs (natural content; bit planes in
//! LZ4 where it is mostly zero), raw (noise), or, where a viewer's link
//! cannot carry that, as JPEG until it is refined.
//!
//! This crate is the single source of truth for the format described in
//! `PROTOCOL.md`. The server encodes with it, the wasm viewer decodes with it,
//! and the tests and benchmarks check one against the other natively. It does
//! no IO, spawns nothing and knows nothing of the web.
//!
//! # Layout
//! - [`frame`]: pixel formats, [`FrameRef`] (validated borrowed pixels) and the
//!   tile grid.
//! - [`wire`]: message preamble, frame header, ack, keyframe request and
//!   publish, and [`parse`](wire::parse) for any message.
//! - [`encode`]: [`Encoder`], which turns a frame and its base into a frame
//!   message, choosing each tile's encoding.
//! - [`decode`]: [`Decoder`], which applies frame messages to a framebuffer
//!   it owns: RGBA for a viewer, or in the frames' own format for a server
//!   rebuilding a producer's deltas ([`Layout`]).
//! - [`error`]: the typed errors of all of the above.
//! - `planes`, `packed` and `lz4` (private): the bit-plane transform, the
//!   packing of the packed encodings and the LZ4 block decoder of the
//!   bit-plane encodings; `samples` (private): the differences of 16- and
//!   32-bit samples, as byte planes for those.
//! - `jpeg` (private): the slots of JPEG tiles, decoded with zune-jpeg and
//!   encoded with libjpeg-turbo (the `lossy` feature).
//! - [`picture`]: a whole frame as a PNG (the `png` feature) or a JPEG (the
//!   `lossy` feature), for what reads pictures, not frame messages.
//!
//! # Example
//! ```
//! use framecast_codec::{Decoder, Encoder, FrameRef, PixelFormat};
//!
//! let pixels = vec![200u8; 64 * 48 * 3];
//! let frame = FrameRef::new(64, 48, PixelFormat::Rgb8, &pixels)?;
//! let mut message = Vec::new();
//! Encoder::default().encode_keyframe(1, 0, frame, &mut message);
//!
//! let mut decoder = Decoder::new();
//! let info = decoder.apply(&message)?;
//! assert_eq!((info.width, info.height), (64, 48));
//! assert_eq!(&decoder.framebuffer()[..4], &[200, 200, 200, 255]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod colormap;
pub mod decode;
pub mod encode;
pub mod error;
pub mod frame;
mod jpeg;
mod lz4;
mod packed;
#[cfg(any(feature = "png", feature = "lossy"))]
pub mod picture;
mod planes;
mod samples;
mod scroll;
pub mod wire;

pub use decode::{Decoder, FrameInfo, Layout};
pub use encode::{EncodeStats, Encoder, Lossy, LossyOutcome};
pub use error::{DecodeError, FrameError};
pub use frame::{frame_len, FrameRef, PixelFormat, Rect, TileGrid, TileSet};
pub use wire::{Ack, KeyframeReason, KeyframeRequest, Message, Publish};

/// Largest width or height a frame may declare, in pixels.
pub const MAX_DIMENSION: u32 = 16_384;

/// Largest number of pixels in one frame (8192 x 4096; 8K UHD fits).
///
/// A decoder allocates `4 * width * height` bytes for its framebuffer, so this
/// bounds what a message can make it allocate (128 MiB).
pub const MAX_FRAME_PIXELS: u64 = 8192 * 4096;

/// Smallest tile side a frame message may declare, in pixels.
pub const MIN_TILE_SIDE: u16 = 8;

/// Largest tile side a frame message may declare, in pixels.
pub const MAX_TILE_SIDE: u16 = 512;

/// Tile side the default encoder uses for small changes; for frames where
/// half the tiles or more changed, and for keyframes, it uses twice this.
/// Chosen by the tile-size sweep in BENCHMARKS.md: against 128, 64 sends and
/// decodes about half as much around a small change (a moving sprite); 128
/// encodes noise about a third faster and scroll about a tenth.
pub const DEFAULT_TILE_SIDE: u16 = 64;

const _: () = assert!(DEFAULT_TILE_SIDE * 2 <= MAX_TILE_SIDE);

/// The first `len` bytes of a scratch buffer, growing it if it is shorter.
/// It never shrinks, so tiles of alternating sizes (the clipped ones at the
/// frame's edges) do not zero it again and again.
fn scratch(buffer: &mut Vec<u8>, len: usize) -> &mut [u8] {
    if buffer.len() < len {
        buffer.resize(len, 0);
    }
    &mut buffer[..len]
}

/// Test data shared by the modules' unit tests.
#[cfg(test)]
mod testing {
    /// `len` bytes of xorshift noise from `seed` (not 0).
    pub(crate) fn noise(len: usize, mut seed: u64) -> Vec<u8> {
        (0..len)
            .map(|_| {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                seed as u8
            })
            .collect()
    }
}
