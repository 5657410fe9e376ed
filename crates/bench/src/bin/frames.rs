//! Writes consecutive frames of one corpus class as raw RGB8, back to back,
//! for the numpy loop of `tests/loop/` (the MJPEG comparison), so Python
//! producers publish exactly the frames the rest of the suite measures.
//!
//! ```sh
//! framecast-bench-frames camera 60 target/bench/loop/camera.rgb
//! ```

use std::io::Write;

use anyhow::Context;
use framecast_bench::corpus::{Class, Corpus};

/// The size of the loop's frames.
const WIDTH: usize = 1000;
const HEIGHT: usize = 1000;

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let usage = "usage: framecast-bench-frames CLASS FRAMES OUT.rgb";
    let class = Class::from_name(&args.next().context(usage)?).context("unknown class")?;
    let frames: usize = args.next().context(usage)?.parse().context(usage)?;
    let out = args.next().context(usage)?;

    if let Some(dir) = std::path::Path::new(&out).parent() {
        std::fs::create_dir_all(dir)?;
    }
    let corpus = Corpus::new(class, WIDTH, HEIGHT);
    let mut file =
        std::io::BufWriter::new(std::fs::File::create(&out).with_context(|| out.clone())?);
    for n in 0..frames {
        file.write_all(&corpus.frame(n))?;
    }
    file.flush()?;
    println!(
        "wrote {frames} {WIDTH}x{HEIGHT} {} frames to {out}",
        class.name()
    );
    Ok(())
}
