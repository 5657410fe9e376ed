//! Writes the frames of the browser-side benchmark: for each content class
//! at 1000x1000, framecast's messages (a keyframe, then each frame as a delta
//! against the one before) and the same frames as JPEG q75, plus a manifest.
//! `tests/browser/bench.mjs` serves them to `www/bench.html` in headless
//! Chromium.
//!
//! ```sh
//! framecast-bench-browser-data target/bench/browser
//! ```

use std::path::PathBuf;

use framecast_bench::codecs::{Codec, Encoders};
use framecast_bench::corpus::{Class, Corpus};
use framecast_bench::FRAMES;
use framecast_codec::{Encoder, FrameRef, PixelFormat};

const WIDTH: usize = 1000;
const HEIGHT: usize = 1000;

fn main() -> std::io::Result<()> {
    let out = PathBuf::from(
        std::env::args()
            .nth(1)
            .unwrap_or_else(|| "target/bench/browser".into()),
    );
    let mut manifest = Vec::new();
    for class in Class::ALL {
        let dir = out.join(class.name());
        std::fs::create_dir_all(&dir)?;
        let corpus = Corpus::new(class, WIDTH, HEIGHT);
        let frames: Vec<Vec<u8>> = (0..=FRAMES).map(|n| corpus.frame(n)).collect();
        let frame_ref = |n: usize| {
            FrameRef::new(WIDTH as u32, HEIGHT as u32, PixelFormat::Rgb8, &frames[n])
                .expect("corpus frames fit")
        };

        let mut encoder = Encoder::default();
        let mut message = Vec::new();
        encoder.encode_keyframe(1, 0, frame_ref(0), &mut message);
        std::fs::write(dir.join("fc-0.bin"), &message)?;
        let mut encoders = Encoders::default();
        let mut jpeg = Vec::new();
        for (n, frame) in frames.iter().enumerate().skip(1) {
            message.clear();
            encoder.encode(
                n as u64 + 1,
                0,
                frame_ref(n),
                Some((n as u64, frame_ref(n - 1))),
                &mut message,
            );
            std::fs::write(dir.join(format!("fc-{n}.bin")), &message)?;
            encoders.encode(Codec::Jpeg(75), WIDTH, HEIGHT, frame, None, &mut jpeg);
            std::fs::write(dir.join(format!("jpeg-{n}.jpg")), &jpeg)?;
        }
        manifest.push(serde_json::json!({ "class": class.name(), "frames": FRAMES }));
    }
    let manifest = serde_json::json!({ "width": WIDTH, "height": HEIGHT, "classes": manifest });
    std::fs::write(
        out.join("manifest.json"),
        serde_json::to_string_pretty(&manifest)?,
    )?;
    println!("wrote {}", out.display());
    Ok(())
}
