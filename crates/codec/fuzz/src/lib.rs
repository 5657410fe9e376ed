//! What the fuzz targets share: frames made from fuzzer bytes. The targets
//! are in `fuzz_targets/`. An input that crashes one (cargo-fuzz writes it to
//! `artifacts/`) becomes a unit test in the codec next to the code it broke.

use framecast_codec::{Encoder, FrameRef, PixelFormat};

/// A frame made by [`frame_from`]: width, height, format, pixels.
pub type OwnedFrame = (u32, u32, PixelFormat, Vec<u8>);

/// `frame` as the codec takes it.
pub fn frame_ref(frame: &OwnedFrame) -> FrameRef<'_> {
    FrameRef::new(frame.0, frame.1, frame.2, &frame.3).expect("a valid frame")
}

/// A small frame whose size, format and pixels come from `bytes`, cycled
/// (so any input makes one). Sides are 1 to 64 pixels.
pub fn frame_from(bytes: &[u8], salt: u8) -> OwnedFrame {
    let at = |i: usize| bytes.get(i).copied().unwrap_or(0);
    let width = u32::from(at(0) % 64) + 1;
    let height = u32::from(at(1) % 64) + 1;
    let format = PixelFormat::ALL[usize::from(at(2)) % PixelFormat::ALL.len()];
    let len = width as usize * height as usize * format.bytes_per_pixel();
    let source = if bytes.len() > 3 {
        &bytes[3..]
    } else {
        &[0u8][..]
    };
    let pixels = source.iter().cycle().take(len).map(|b| b ^ salt).collect();
    (width, height, format, pixels)
}

/// The keyframe message (sequence 1) for a frame made by [`frame_from`].
pub fn keyframe(frame: &OwnedFrame) -> Vec<u8> {
    let mut out = Vec::new();
    Encoder::default().encode_keyframe(1, 0, frame_ref(frame), &mut out);
    out
}
