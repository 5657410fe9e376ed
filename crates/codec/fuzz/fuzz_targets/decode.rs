//! Any bytes into a decoder that already holds a frame, in both layouts (a
//! viewer's RGBA (values for a value format), and the frames' own format, as the server rebuilds a
//! producer's deltas): an error or a frame, never a panic, and a
//! framebuffer of exactly width x height pixels.
#![no_main]

use framecast_codec::Decoder;
use framecast_codec_fuzz::{frame_from, keyframe};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (head, message) = data.split_at(data.len().min(8));
    let base = keyframe(&frame_from(head, 0));
    for (mut decoder, rgba) in [(Decoder::new(), true), (Decoder::source(), false)] {
        decoder.apply(&base).expect("a keyframe decodes");
        if let Ok(info) = decoder.apply(message) {
            // A viewer holds a value format's values as they are.
            let bpp = if rgba && !info.format.is_value() {
                4
            } else {
                info.format.bytes_per_pixel()
            };
            let pixels = info.width as usize * info.height as usize;
            assert_eq!(decoder.framebuffer().len(), pixels * bpp);
            assert_eq!(decoder.held_seq(), Some(info.seq));
        }
    }
});
