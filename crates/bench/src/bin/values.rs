//! The value formats of #26 on the value corpus (`framecast_bench::values`)
//! at 1000x1000: bytes a delta and encode and decode time of framecast's
//! exact values, against the same picture colour-mapped to RGB (what a
//! producer sends today, through framecast), PNG at its fastest (16-bit
//! gray for the 16-bit camera, 8-bit gray for the gray one, RGB of the
//! colours for all), and for the float field what bounds its exact delta.
//! Writes the Markdown table to the file given (and prints it), and the
//! frame messages the browser benchmark maps through colormaps to the
//! directory given.
//!
//!   cargo run --release -p framecast-bench --features baselines \
//!       --bin framecast-bench-values -- target/bench/values.md target/bench/browser-values

use std::fmt::Write as _;
use std::path::PathBuf;
use std::time::Instant;

use framecast_bench::values::{ValueClass, ValueCorpus};
use framecast_bench::FRAMES;
use framecast_codec::{Decoder, Encoder, FrameRef, PixelFormat};

const SIZE: (usize, usize) = (1000, 1000);
/// Timed passes over the deltas; the median delta of all is reported.
const PASSES: usize = 5;

fn median(mut times: Vec<f64>) -> f64 {
    times.sort_by(f64::total_cmp);
    times[times.len() / 2]
}

/// Bytes a delta (median) and encode and decode ms a delta (medians), of
/// `frames` in `format`, by framecast's default encoder on one thread.
fn framecast(format: PixelFormat, frames: &[Vec<u8>]) -> (f64, f64, f64) {
    let (w, h) = (SIZE.0 as u32, SIZE.1 as u32);
    let at = |pixels| FrameRef::new(w, h, format, pixels).expect("corpus frames fit");
    let mut encoder = Encoder::default();
    let (mut bytes, mut encode, mut decode) = (Vec::new(), Vec::new(), Vec::new());
    let mut message = Vec::new();
    for pass in 0..PASSES {
        for n in 1..frames.len() {
            message.clear();
            let start = Instant::now();
            encoder.encode(
                2,
                0,
                at(&frames[n]),
                Some((1, at(&frames[n - 1]))),
                &mut message,
            );
            encode.push(start.elapsed().as_secs_f64() * 1e3);
            let mut decoder = Decoder::source();
            decoder.hold(1, at(&frames[n - 1]));
            let start = Instant::now();
            decoder.apply(&message).expect("decodes");
            decode.push(start.elapsed().as_secs_f64() * 1e3);
            assert!(decoder.framebuffer() == &frames[n][..], "exact");
            if pass == 0 {
                bytes.push(message.len() as f64);
            }
        }
    }
    (median(bytes), median(encode), median(decode))
}

/// Bytes (median) and encode ms (median) of each frame as a PNG at its
/// fastest: `colour` gray or RGB, `depth` 8 or 16 (samples big-endian).
fn png(frames: &[Vec<u8>], colour: png::ColorType, depth: png::BitDepth) -> (f64, f64) {
    let (mut bytes, mut times) = (Vec::new(), Vec::new());
    for _ in 0..PASSES {
        for frame in frames {
            let mut out = Vec::new();
            let start = Instant::now();
            let swapped: Vec<u8>;
            let data = if depth == png::BitDepth::Sixteen {
                swapped = frame.chunks_exact(2).flat_map(|v| [v[1], v[0]]).collect();
                &swapped
            } else {
                frame
            };
            let mut encoder = png::Encoder::new(&mut out, SIZE.0 as u32, SIZE.1 as u32);
            encoder.set_color(colour);
            encoder.set_depth(depth);
            encoder.set_compression(png::Compression::Fastest);
            let mut writer = encoder.write_header().expect("png header");
            writer.write_image_data(data).expect("png data");
            drop(writer);
            times.push(start.elapsed().as_secs_f64() * 1e3);
            bytes.push(out.len() as f64);
        }
    }
    (median(bytes), median(times))
}

/// Mean bits a value of the float field's differences between frames,
/// zigzagged (the bits each would take on its own; packing pays that, and
/// a group's widest, and the widths): plain, up-predicted and planar
/// (also minus the left neighbour's up-predicted difference).
fn difference_bits(frames: &[Vec<u8>]) -> (f64, f64, f64) {
    let value =
        |frame: &[u8], i: usize| u32::from_le_bytes(frame[4 * i..4 * i + 4].try_into().unwrap());
    let bits = |d: u32| f64::from(32 - ((d << 1) ^ ((d as i32 >> 31) as u32)).leading_zeros());
    let (w, n) = (SIZE.0, SIZE.0 * SIZE.1);
    let (mut plain, mut up, mut count) = (0.0, 0.0, 0.0);
    let mut planar = 0.0;
    for pair in frames.windows(2) {
        let d = |i: usize| value(&pair[1], i).wrapping_sub(value(&pair[0], i));
        for i in w + 1..n {
            plain += bits(d(i));
            up += bits(d(i).wrapping_sub(d(i - w)));
            planar += bits(
                d(i).wrapping_sub(d(i - 1))
                    .wrapping_sub(d(i - w))
                    .wrapping_add(d(i - w - 1)),
            );
            count += 1.0;
        }
    }
    (plain / count, up / count, planar / count)
}

fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let out = PathBuf::from(
        args.next()
            .unwrap_or_else(|| "target/bench/values.md".into()),
    );
    let browser = PathBuf::from(
        args.next()
            .unwrap_or_else(|| "target/bench/browser-values".into()),
    );
    let (w, h) = SIZE;
    let mut md = format!(
        "## Values, {w}x{h}\n\nThe value corpus (`crates/bench/src/values.rs`): a 12-bit camera in 16 bits with sensor noise, a simulation's float32 field, a grayscale 8-bit camera; {deltas} deltas each. framecast sends the values exactly (`format=gray16|f32|gray8`); \"as RGB\" is the same picture colour-mapped to RGB8 and sent through framecast, what a producer does today (the cameras through gray, R = G = B; the field through viridis over -3..3). Encode and decode on one core, medians of {PASSES} passes over the deltas (`framecast-bench-values`, wall-clock time, one run). PNG is the `png` crate at its fastest: 16-bit gray of the 16-bit camera's values, 8-bit gray of the gray camera's, and RGB of the colours for every class.\n\n| class | framecast exact: KB a delta | encode ms | decode ms | as RGB: KB a delta | encode ms | bytes / RGB's | PNG of the values: KB, ms | PNG of the colours: KB, ms |\n|---|---|---|---|---|---|---|---|---|\n",
        deltas = FRAMES - 1,
    );
    std::fs::create_dir_all(&browser)?;
    let mut manifest = Vec::new();
    let mut field_rows = String::new();
    let mut gray8_ratio = None;
    for class in ValueClass::ALL {
        let corpus = ValueCorpus::new(class, w, h);
        let frames: Vec<Vec<u8>> = (0..FRAMES).map(|n| corpus.frame(n)).collect();
        let rgb: Vec<Vec<u8>> = (0..FRAMES).map(|n| corpus.rgb(n)).collect();
        let format = class.format();
        let (bytes, encode, decode) = framecast(format, &frames);
        let (rgb_bytes, rgb_encode, _) = framecast(PixelFormat::Rgb8, &rgb);
        let values_png = match format {
            PixelFormat::Gray16 => Some(png(
                &frames,
                png::ColorType::Grayscale,
                png::BitDepth::Sixteen,
            )),
            PixelFormat::Gray8 => Some(png(
                &frames,
                png::ColorType::Grayscale,
                png::BitDepth::Eight,
            )),
            _ => None,
        };
        let colours_png = png(&rgb, png::ColorType::Rgb, png::BitDepth::Eight);
        let values_png = values_png.map_or("(no floats in PNG)".to_string(), |(b, t)| {
            format!("{:.0}, {t:.2}", b / 1e3)
        });
        writeln!(
            md,
            "| {} ({format}) | {:.0} | {encode:.2} | {decode:.2} | {:.0} | {rgb_encode:.2} | {:.3} | {values_png} | {:.0}, {:.2} |",
            class.name(),
            bytes / 1e3,
            rgb_bytes / 1e3,
            bytes / rgb_bytes,
            colours_png.0 / 1e3,
            colours_png.1,
        )
        .unwrap();
        println!("{}: {:.0} KB exact vs {:.0} KB as RGB ({:.3}x), encode {encode:.2} vs {rgb_encode:.2} ms", class.name(), bytes / 1e3, rgb_bytes / 1e3, bytes / rgb_bytes);
        if class == ValueClass::Gray8 {
            gray8_ratio = Some(bytes / rgb_bytes);
        }
        if class == ValueClass::Field {
            let levels: Vec<Vec<u8>> = (0..FRAMES).map(|n| corpus.levels(n)).collect();
            let (level_bytes, _, _) = framecast(PixelFormat::Gray8, &levels);
            let (plain, up, planar) = difference_bits(&frames);
            let actual = bytes * 8.0 / (w * h) as f64;
            field_rows = format!(
                "\nThe float field's exact delta is {:.0} KB, {actual:.1} bits a value (planar packed tiles: each difference of the bit patterns as integers, less the one above and the one to the left's). What bounds it: those differences, zigzagged, take {plain:.1} bits a value on their own, {up:.1} less the one above, {planar:.1} planar-predicted, each on its own; packing pays the widest of each group of 32 in each byte plane, and a contour where the field crosses zero or a power of two makes a run of wide residuals, so {actual:.1} against {planar:.1} is what the packing costs over the residuals themselves. A float's low mantissa bits change with every step of a simulation and no lossless coder removes them: the same field as 8-bit colormap indices over -3..3, the most a colour-mapped picture carries of it, is a {:.0} KB delta through framecast ({:.1}x smaller), and as viridis RGB {:.0} KB.\n",
                bytes / 1e3,
                level_bytes / 1e3,
                bytes / level_bytes,
                rgb_bytes / 1e3,
            );
        }
        // The browser's colormap timings: the class's keyframe and deltas.
        let dir = browser.join(class.name());
        std::fs::create_dir_all(&dir)?;
        let at = |pixels| FrameRef::new(w as u32, h as u32, format, pixels).expect("fits");
        let mut encoder = Encoder::default();
        for n in 0..FRAMES {
            let mut message = Vec::new();
            let base = n.checked_sub(1).map(|b| (b as u64 + 1, at(&frames[b])));
            encoder.encode(n as u64 + 1, 0, at(&frames[n]), base, &mut message);
            std::fs::write(dir.join(format!("fc-{n}.bin")), &message)?;
        }
        manifest.push(serde_json::json!({"class": class.name(), "format": format.name(), "frames": FRAMES - 1}));
    }
    md += &field_rows;
    if let Some(ratio) = gray8_ratio {
        let verdict = if ratio <= 0.4 { "met" } else { "not met" };
        writeln!(md, "\nGoal: gray8 at most 0.4x the bytes of the same picture as RGB: {ratio:.3}x, {verdict}.").unwrap();
    }
    std::fs::write(
        browser.join("manifest.json"),
        serde_json::to_string_pretty(
            &serde_json::json!({"width": w, "height": h, "values": manifest}),
        )?,
    )?;
    if let Some(parent) = out.parent() {
        std::fs::create_dir_all(parent)?;
    }
    std::fs::write(&out, &md)?;
    print!("{md}");
    Ok(())
}
