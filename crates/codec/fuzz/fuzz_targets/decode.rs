//! Any bytes into a decoder that already holds a frame: an error or a frame,
//! never a panic, and a framebuffer of exactly width x height pixels.
#![no_main]

use framecast_codec::Decoder;
use framecast_codec_fuzz::{frame_from, keyframe};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (head, message) = data.split_at(data.len().min(8));
    let mut decoder = Decoder::new();
    decoder
        .apply(&keyframe(&frame_from(head, 0)))
        .expect("a keyframe decodes");
    if let Ok(info) = decoder.apply(message) {
        let pixels = info.width as usize * info.height as usize;
        assert_eq!(decoder.framebuffer().len(), pixels * 4);
        assert_eq!(decoder.held_seq(), Some(info.seq));
    }
});
