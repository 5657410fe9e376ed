//! Any bytes as a producer's publish message: refused, or a frame whose
//! pixels are exactly what its header declares.
#![no_main]

use framecast_codec::wire::{parse_publish, PUBLISH_HEADER_LEN};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(publish) = parse_publish(data) {
        let frame = publish.frame;
        let expected =
            frame.width() as usize * frame.height() as usize * frame.format().bytes_per_pixel();
        assert_eq!(frame.pixels().len(), expected);
        assert_eq!(data.len(), PUBLISH_HEADER_LEN + expected);
    }
});
