//! Writes consecutive frames of one corpus class as raw RGB8, back to back,
//! for the numpy loop of `tests/loop/` (the MJPEG comparison), so Python
//! producers publish exactly the frames the rest of the suite measures.
//!
//! ```sh
//! framecast-bench-frames camera 60 target/bench/loop/camera.rgb [1920x1080]
//! ```
//!
//! The frames are 1000x1000 unless the last argument gives another size.

use std::io::Write;

use anyhow::Context;
use framecast_bench::corpus::{Class, Corpus};

/// The size of the loop's frames unless another is given.
const SIZE: &str = "1000x1000";

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let usage = "usage: framecast-bench-frames CLASS FRAMES OUT.rgb [WIDTHxHEIGHT]";
    let class = Class::from_name(&args.next().context(usage)?).context("unknown class")?;
    let frames: usize = args.next().context(usage)?.parse().context(usage)?;
    let out = args.next().context(usage)?;
    let size = args.next().unwrap_or_else(|| SIZE.into());
    let (width, height) = size
        .split_once('x')
        .and_then(|(w, h)| Some((w.parse::<usize>().ok()?, h.parse::<usize>().ok()?)))
        .with_context(|| format!("{size:?} is not WIDTHxHEIGHT; {usage}"))?;

    if let Some(dir) = std::path::Path::new(&out).parent() {
        std::fs::create_dir_all(dir)?;
    }
    let corpus = Corpus::new(class, width, height);
    let mut file =
        std::io::BufWriter::new(std::fs::File::create(&out).with_context(|| out.clone())?);
    for n in 0..frames {
        file.write_all(&corpus.frame(n))?;
    }
    file.flush()?;
    println!(
        "wrote {frames} {width}x{height} {} frames to {out}",
        class.name()
    );
    Ok(())
}
