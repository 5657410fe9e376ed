//! Arbitrary frames and bases: encoded as a delta (or a keyframe when the
//! geometry differs), decoded on top of the base, equal to the frame.
#![no_main]

use framecast_codec::{Decoder, Encoder, PixelFormat};
use framecast_codec_fuzz::{frame_from, frame_ref as as_ref};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let split = data.first().map_or(0, |&b| usize::from(b)).min(data.len());
    let (a, b) = data.split_at(split);
    let base = frame_from(a, 0);
    // The second frame keeps the base's geometry when the input says so, so
    // that deltas (and scrolls) are exercised, not only keyframes.
    let next = if b.first().is_some_and(|&byte| byte & 1 == 0) {
        let mut same = frame_from(a, 0);
        // Small changes of every kind the encoder has an encoding for:
        // flipped bits (XOR), small steps up and down (bit planes).
        for (pixel, change) in same.3.iter_mut().zip(b.iter().cycle().skip(1)) {
            match change >> 4 {
                0 => *pixel ^= change,
                1 => *pixel = pixel.wrapping_add(change & 0x7),
                2 => *pixel = pixel.wrapping_sub(change & 0x7),
                _ => {}
            }
        }
        let rows = b.get(1).map_or(0, |&r| usize::from(r) % same.1 as usize);
        let row_bytes = same.0 as usize * same.2.bytes_per_pixel();
        same.3.rotate_left(rows * row_bytes); // a scroll
        same
    } else {
        frame_from(b, 0x5A)
    };

    let mut encoder = Encoder::default();
    let mut decoder = Decoder::new();
    let mut message = Vec::new();
    encoder.encode_keyframe(1, 0, as_ref(&base), &mut message);
    decoder
        .apply(&message)
        .expect("the base's keyframe decodes");
    message.clear();
    encoder.encode(2, 0, as_ref(&next), Some((1, as_ref(&base))), &mut message);
    decoder.apply(&message).expect("the delta decodes");
    // RGBA for the colour formats; a value format's values as they are.
    let expected: Vec<u8> = match next.2 {
        PixelFormat::Rgb8 => next
            .3
            .chunks_exact(3)
            .flat_map(|p| [p[0], p[1], p[2], 255])
            .collect(),
        _ => next.3.clone(),
    };
    assert!(
        decoder.framebuffer() == expected,
        "decoded frame differs from the encoded one"
    );
});
