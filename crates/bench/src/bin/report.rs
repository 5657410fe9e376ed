//! Writes BENCHMARKS.md from one `just bench` run: the numpy loop against
//! MJPEG (`tests/browser/loop-bench.mjs`), the criterion medians of
//! `benches/codecs.rs` and the bytes each codec makes of the same frames, the
//! many-viewers run, the browser-side and end-to-end runs. Every goal lives
//! in [`GOALS`], which both prints a goal and checks it.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use framecast_bench::chart::{self, BarChart, Group};
use framecast_bench::codecs::{cores, Codec, Encoders, TILE_SIDES, TILE_SWEEP_SIZE};
use framecast_bench::corpus::{Class, Corpus};
use framecast_bench::{FRAMES, SIZES};
use framecast_codec::encode::PARALLEL_MIN_BYTES;
use framecast_codec::DEFAULT_TILE_SIDE;

/// Median time of one criterion benchmark, in milliseconds.
fn median_ms(criterion_dir: &Path, group: &str, bench: &str) -> Option<f64> {
    let path = criterion_dir
        .join(group.replace('/', "_"))
        .join(bench)
        .join("new/estimates.json");
    let text = std::fs::read_to_string(path).ok()?;
    let estimates: serde_json::Value = serde_json::from_str(&text).ok()?;
    Some(estimates["median"]["point_estimate"].as_f64()? / 1e6)
}

/// Median bytes per frame of `codec` over the corpus frames.
fn median_bytes(codec: Codec, corpus: &Corpus, width: usize, height: usize) -> usize {
    let mut encoders = Encoders::default();
    let mut out = Vec::new();
    let mut sizes: Vec<usize> = (1..=FRAMES)
        .map(|n| {
            encoders.encode(
                codec,
                width,
                height,
                &corpus.frame(n),
                Some(&corpus.frame(n - 1)),
                &mut out,
            );
            out.len()
        })
        .collect();
    sizes.sort_unstable();
    sizes[sizes.len() / 2]
}

fn fmt_ms(ms: Option<f64>) -> String {
    ms.map_or("n/a".into(), |ms| {
        if ms < 0.1 {
            format!("{ms:.4}")
        } else {
            format!("{ms:.2}")
        }
    })
}

fn fmt_bytes(bytes: usize) -> String {
    match bytes {
        0..1_000 => format!("{bytes} B"),
        1_000..1_000_000 => format!("{:.1} KB", bytes as f64 / 1e3),
        _ => format!("{:.2} MB", bytes as f64 / 1e6),
    }
}

fn ratio(a: Option<f64>, b: Option<f64>) -> Option<f64> {
    Some(a? / b?)
}

struct Row {
    times: BTreeMap<String, Option<f64>>,
    bytes: BTreeMap<String, usize>,
}

fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find(|l| l.starts_with("model name"))
                .map(|l| l.split(':').nth(1).unwrap_or("").trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let rustc = std::process::Command::new("rustc")
        .arg("--version")
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default();
    format!("{cpu}, {cores} cores available; {rustc}; one thread per measurement")
}

/// A JSON file another part of the suite wrote, if it is there.
fn read_json(path: &Path) -> Option<serde_json::Value> {
    serde_json::from_str(&std::fs::read_to_string(path).ok()?).ok()
}

/// The value formats (#26), where `just bench` measured them: the table
/// `framecast-bench-values` wrote beside the browser's results, the
/// browser's decode + paint and colormap times (in `browser`'s `values`),
/// and the Python producer's costs (`tests/loop/values_cost.py`), with the
/// goals: gray8 at most 0.4x the bytes of the same picture as RGB, a whole
/// 1000x1000 frame through a colormap in wasm in at most 1 ms, `send` of a
/// 1000x1000 float32 field in at most 0.5 ms.
fn values_section(browser: &Path) -> String {
    let dir = browser.parent().unwrap_or(Path::new("."));
    let Ok(mut md) = std::fs::read_to_string(dir.join("values.md")) else {
        return String::new();
    };
    let rows = read_json(browser).and_then(|report| report["values"].as_array().cloned());
    if let Some(rows) = rows.filter(|rows| !rows.is_empty()) {
        md += "
### Values in the browser

The same deltas decoded and painted in headless Chromium by the wasm viewer (`tests/browser/bench/`, as the browser-side table above: each delta's changed part mapped through viridis and put onto the canvas), and a whole frame mapped through a colormap again (a new colormap chosen; `take_dirty`, the wasm part alone), medians of the passes.

| class | decode + paint, ms | KB a delta | whole frame through a colormap, ms |
|---|---|---|---|
";
        for row in &rows {
            writeln!(
                md,
                "| {} ({}) | {:.2} | {:.0} | {:.2} |",
                row["class"].as_str().unwrap_or("?"),
                row["format"].as_str().unwrap_or("?"),
                row["decode_paint_ms"].as_f64().unwrap_or(f64::NAN),
                row["bytes"].as_f64().unwrap_or(f64::NAN) / 1e3,
                row["colormap_ms"].as_f64().unwrap_or(f64::NAN),
            )
            .unwrap();
        }
        let slowest = rows
            .iter()
            .filter_map(|row| row["colormap_ms"].as_f64())
            .fold(0.0, f64::max);
        md += "\n";
        md += GOAL_HEADER;
        md += &goal(
            "whole 1000x1000 frame through a colormap in wasm",
            "",
            Some(slowest),
            &format!("{slowest:.2} ms, the slowest format"),
        );
    }
    if let Ok(python) = std::fs::read_to_string(dir.join("values-python.md")) {
        md += "
### The producer's side in Python

`tests/loop/values_cost.py`: with the server in the process and no viewer (nothing encoded), what a 1000x1000 frame costs the producer: the loop people write today (normalise to the range, clip, to uint8, through a 256-entry colormap table, `send` the RGB) against `send` of the values (copied once, the GIL released). Medians over 200 frames; wall time (the thread's CPU time).

";
        md += &python;
    }
    md
}

/// The Python wheel's JPEG encoder against cv2's (`tests/loop/jpeg_cost.py`,
/// which `just bench` runs with the wheel installed), if that run wrote it
/// beside the browser's results.
fn wheel_jpeg_section(browser: &Path) -> String {
    let dir = browser.parent().unwrap_or(Path::new("."));
    let Ok(table) = std::fs::read_to_string(dir.join("jpeg-python.md")) else {
        return String::new();
    };
    format!(
        "
## The wheel's JPEG encoder

`tests/loop/jpeg_cost.py`, with the wheel `./dev.sh wheel` built (manylinux_2_17, linked by zig) installed: the libjpeg-turbo inside it (the encoder of the server's JPEG tiles and MJPEG route; its SIMD path is required at build time) against `cv2.imencode` on the same 60 frames of each class, 1000x1000, quality 95, 4:2:0, one thread. framecast's time includes copying the array out of numpy; cv2 gets BGR frames made beforehand. Medians of the thread's CPU time.

{table}"
    )
}

/// The many-viewers results (`framecast-bench-viewers`), if that run wrote
/// them: server CPU ms per second with 1 and with 100 viewers.
fn many_viewers(path: &Path) -> Option<(f64, f64)> {
    let report = read_json(path)?;
    let cpu = |viewers: u64| {
        report["rows"]
            .as_array()?
            .iter()
            .find(|row| row["viewers"].as_u64() == Some(viewers))?["server_cpu_ms_per_s"]
            .as_f64()
    };
    Some((cpu(1)?, cpu(100)?))
}

/// The many-viewers table.
fn viewer_table(path: &Path) -> String {
    let Some(report) = read_json(path) else {
        return String::new();
    };
    let mut md = format!(
        "## Many viewers\n\nThe real `framecast` binary serves one {}x{} sprite stream published at {} fps over the ingest WebSocket; the viewers are real WebSocket clients (`framecast-bench-viewers`) that decode every frame with the codec and ack it. Server CPU is the server process's user + system time per second of wall time, from /proc; 1000 ms a second is one core.\n\n| viewers | server CPU, ms per second | vs 1 viewer | frames per second per viewer, median | lowest |\n|---|---|---|---|---|\n",
        report["width"], report["height"], report["fps"]
    );
    let rows = report["rows"].as_array().cloned().unwrap_or_default();
    let one = rows
        .first()
        .and_then(|row| row["server_cpu_ms_per_s"].as_f64())
        .unwrap_or(f64::NAN);
    for row in rows {
        let cpu = row["server_cpu_ms_per_s"].as_f64().unwrap_or(f64::NAN);
        writeln!(
            md,
            "| {} | {cpu:.0} | {:.1}x | {:.1} | {:.1} |",
            row["viewers"],
            cpu / one,
            row["median_fps"].as_f64().unwrap_or(f64::NAN),
            row["lowest_fps"].as_f64().unwrap_or(f64::NAN)
        )
        .unwrap();
    }
    md.push('\n');
    md
}

/// The browser-side table (`tests/browser/bench.mjs`), with its goals.
fn browser_table(path: &Path) -> String {
    let Some(report) = read_json(path) else {
        return String::new();
    };
    let mut md = format!(
        "## Browser side, {}x{}\n\nHeadless Chromium {} (software rendering, `--disable-gpu`), launched directly with no DevTools client but a bare `Runtime.evaluate` to read the result (`tests/browser/chromium.mjs`), one page (`tests/browser/bench/`): framecast's wasm decode + paint (`Viewer.apply`, then a putImageData of the rectangle `Viewer.take_dirty` names from `Viewer.image`, as the element's renderer puts it onto its frame-size canvas) against the browser's own JPEG q75 path (`createImageBitmap` + `drawImage`) on the same frames. Each of {} batches runs every frame of a class and ends with a one-pixel getImageData so deferred drawing is finished; the median batch is divided by its frames.\n\n| class | framecast decode + paint, ms | bytes | JPEG decode + draw, ms | bytes | framecast / JPEG |\n|---|---|---|---|---|---|\n",
        report["width"], report["height"], report["browser"].as_str().unwrap_or("Chromium"), report["passes"]
    );
    let mut goals = String::new();
    for row in report["results"].as_array().cloned().unwrap_or_default() {
        let class = row["class"].as_str().unwrap_or("?");
        let framecast = row["framecast_ms"].as_f64().unwrap_or(f64::NAN);
        let jpeg = row["jpeg_ms"].as_f64().unwrap_or(f64::NAN);
        let ratio = framecast / jpeg;
        writeln!(
            md,
            "| {class} | {} | {} | {} | {} | {ratio:.3} |",
            fmt_ms(Some(framecast)),
            fmt_bytes(row["framecast_bytes"].as_u64().unwrap_or(0) as usize),
            fmt_ms(Some(jpeg)),
            fmt_bytes(row["jpeg_bytes"].as_u64().unwrap_or(0) as usize),
        )
        .unwrap();
        if matches!(class, "sprite" | "plasma" | "camera" | "noise") {
            goals += &goal(
                &format!("browser {class}"),
                "",
                Some(ratio),
                &format!("{ratio:.3}"),
            );
        }
    }
    md.push('\n');
    md += GOAL_HEADER;
    md += &goals;
    md.push('\n');
    md
}

/// A goal's limit on its measured figure.
#[derive(Clone, Copy)]
enum Limit {
    AtMost(f64),
    AtLeast(f64),
}

/// One performance goal of design.md: its key (how the report finds it),
/// the words of the goal, its limit, and what bounds the figure when it is
/// not met.
struct Goal {
    key: &'static str,
    text: &'static str,
    limit: Limit,
    bound: &'static str,
}

const FULL_CHANGE_ENCODE: &str = "Every pixel changes every frame, so both frames are read in full, differenced and zigzagged in one vector pass and packed in another (a move mask per bit plane of each group of 32), about half of the time each (perf), in SSE2, the x86-64 baseline the build targets; JPEG (libjpeg-turbo, AVX2 chosen at run time) transforms chroma-subsampled data and drops most of it. Measured slower and not kept: differencing inside the packing pass (no buffer between them), reading rows ahead, all eight planes of a group without a loop. Closer would take AVX2 (run-time dispatch needs unsafe code, which the codec forbids) or not reading both frames in full.";
const BROWSER_FULL_CHANGE: &str = "The lossless delta is 0.75-1.25 MB to unpack into 3 MB of differences, add into a 4 MB RGBA framebuffer and put onto the canvas, against a JPEG of 40-50 KB that the browser decodes in native SIMD code: every step is a pass over megabytes in wasm (simd128 throughout).";
const OVER_A_LINK: &str = "While the picture moves, framecast's natural tiles travel as JPEG at up to quality 90 (cv2's MJPEG is at 95), so the link carries them; the refinement to exact pixels waits until they have been still for 200 ms.";
const AT_A_DISTANCE: &str = "Each frame's bytes reach the page half a round trip after they are sent, at best: what framecast adds to that is the encode, the page's decode and its wait for an animation frame (up to 16 ms). The window of frames in flight is twice what the path carried in the last round trips, so a producer's frames are not held back by it; it starts at two frames and doubles each round trip while it holds frames back, so the first second of a long path shows fewer.";
const LINK_SERVER: &str = "framecast's server receives and unmasks the raw 3 MB frame from the producer's WebSocket (about 1 ms; issue #12's in-process server removes it), compares it with the last one and JPEG-encodes every changed natural tile, where the MJPEG process encodes the frame it made in memory.";
const AGAINST_XOR_ONLY: &str = "The per-tile estimate reads every sixteenth row of each changed tile; on content that stays XOR + LZ4 that is extra work, and at these sub-millisecond times run-to-run noise is of the same size.";
const LOOP_SERVER: &str = "Per frame, framecast's Publisher copies the 3 MB frame and compares it with the one before, in Python's process beside the server's; a GUI-like change then crosses the socket as a few KB, but natural content and noise go whole, and producer and server copy, mask, send and receive the raw 3 MB frame before any encoding (the in-process server removes all of that: its table below), where MJPEG encodes in the producer's own process; on natural content the lossless encode (see the server-side goals) then costs about what cv2's JPEG encode does.";
const LOOP_IN_PROCESS: &str = "In-process, the raw frame is copied once and never crosses a socket. What remains for natural content (perf of the process, plasma at 20/s): the Rust side, the encode on both cores and the server around it, a bit over half of the CPU (the encode costs about what a JPEG encode does, see the server-side goals; with one encode thread instead of rayon's pool the process took 3.2 ms a frame for plasma and 4.0 for camera in one run each, within this table's run-to-run spread); the kernel's part, a fifth (sending 0.76-1.2 MB a frame to the page over TCP, where MJPEG sends 100-130 KB, and switching threads); libc's copies and compares, a sixth; Python, a twelfth.";
const AGAINST_PLANES: &str = "Only natural tiles are packed: these classes run the same code in both encoders, so the difference is run-to-run noise at sub-millisecond times (the 1920x1080 rows of the table above go either way).";
const LOOP_CHROMIUM: &str = "Chromium receives the lossless delta (megabytes for natural content, where the JPEG is a hundred KB) and the wasm decoder inflates it into a 4 MB RGBA framebuffer; the transport and that memory traffic bound it.";

/// Every goal the report checks, in the order it prints them.
const GOALS: &[Goal] = &[
    Goal { key: "static encode", text: "static: encode <= 1x memcmp", limit: Limit::AtMost(1.0), bound: "The encode reads the frame and its base once (the memcmp floor), so it sits at the floor and run-to-run noise decides. Going under the floor means not reading the base: row hashes kept from the previous encode, or damage rectangles from the producer." },
    Goal { key: "static bytes", text: "static: <= 64 bytes", limit: Limit::AtMost(64.0), bound: "" },
    Goal { key: "sprite encode", text: "sprite: encode <= 1/10 of JPEG q75", limit: Limit::AtMost(0.1), bound: "The encode reads the frame and its base once (the memcmp floor, about a tenth of a JPEG encode here) plus the few changed tiles, so it sits at the floor and run-to-run noise decides. Going under the floor means not reading the base: row hashes kept from the previous encode, or damage rectangles from the producer." },
    Goal { key: "sprite bytes", text: "sprite: <= 8 KB", limit: Limit::AtMost(8_000.0), bound: "" },
    Goal { key: "noise encode", text: "noise: encode <= 1/5 of JPEG q75", limit: Limit::AtMost(0.2), bound: "Noise is stored raw: the encode is the comparison, then the XOR of both frames written into the message, all memory traffic (a few times the memcmp floor)." },
    Goal { key: "plasma bytes vs xor", text: "plasma: bytes <= 0.6x XOR-only (protocol 1)", limit: Limit::AtMost(0.6), bound: "" },
    Goal { key: "camera bytes vs xor", text: "camera: bytes <= 0.6x XOR-only (protocol 1)", limit: Limit::AtMost(0.6), bound: "" },
    Goal { key: "bytes vs xor", text: "bytes within 5% of XOR-only (protocol 1) or better", limit: Limit::AtMost(1.05), bound: AGAINST_XOR_ONLY },
    Goal { key: "encode vs xor", text: "encode within 5% of XOR-only (protocol 1) or better", limit: Limit::AtMost(1.05), bound: AGAINST_XOR_ONLY },
    Goal { key: "plasma encode", text: "plasma: lossless encode <= 0.6x JPEG q75", limit: Limit::AtMost(0.6), bound: FULL_CHANGE_ENCODE },
    Goal { key: "plasma encode, every core", text: "plasma: lossless encode on every core <= 0.35x JPEG q75", limit: Limit::AtMost(0.35), bound: FULL_CHANGE_ENCODE },
    Goal { key: "camera encode", text: "camera: lossless encode <= 0.6x JPEG q75", limit: Limit::AtMost(0.6), bound: FULL_CHANGE_ENCODE },
    Goal { key: "camera encode, every core", text: "camera: lossless encode on every core <= 0.35x JPEG q75", limit: Limit::AtMost(0.35), bound: FULL_CHANGE_ENCODE },
    Goal { key: "natural bytes vs planes", text: "bytes <= 1.1x protocol 4's (bit planes + LZ4)", limit: Limit::AtMost(1.1), bound: "" },
    Goal { key: "bytes vs planes", text: "bytes within 5% of protocol 4's (bit planes + LZ4) or better", limit: Limit::AtMost(1.05), bound: AGAINST_PLANES },
    Goal { key: "encode vs planes", text: "encode within 5% of protocol 4's (bit planes + LZ4) or better", limit: Limit::AtMost(1.05), bound: AGAINST_PLANES },
    Goal { key: "100 viewers", text: "100 viewers of one stream cost the server <= 2x one viewer", limit: Limit::AtMost(2.0), bound: "Each viewer costs a WebSocket send and an ack receive per frame (6,000 of each a second at 100 viewers), and on loopback the kernel's TCP work for both directions lands on the server; one viewer's cost is mostly reading the producer's 180 MB/s of raw frames." },
    Goal { key: "browser sprite", text: "sprite: decode + paint <= 1/20 of JPEG's", limit: Limit::AtMost(1.0 / 20.0), bound: "A small delta decodes in a fraction of a millisecond; most of the time is the putImageData of its dirty rectangle." },
    Goal { key: "browser plasma", text: "plasma: decode + paint <= 1/3 of JPEG's", limit: Limit::AtMost(1.0 / 3.0), bound: BROWSER_FULL_CHANGE },
    Goal { key: "browser camera", text: "camera: decode + paint <= 1/3 of JPEG's", limit: Limit::AtMost(1.0 / 3.0), bound: BROWSER_FULL_CHANGE },
    Goal { key: "browser noise", text: "noise: decode + paint <= 1/10 of JPEG's", limit: Limit::AtMost(0.1), bound: "3 MB of raw XOR bytes go into a 4 MB RGBA framebuffer: memory traffic in wasm." },
    Goal { key: "e2e sprite fps", text: "sprite: >= 240 frames/s delivered", limit: Limit::AtLeast(240.0), bound: "" },
    Goal { key: "e2e sprite p50", text: "sprite: latency p50 <= 10 ms", limit: Limit::AtMost(10.0), bound: "The page paints once per animation frame, so capture-to-paint latency includes the wait for it (8 ms on average)." },
    Goal { key: "e2e sprite p99", text: "sprite: latency p99 <= 30 ms", limit: Limit::AtMost(30.0), bound: "The uncapped producer (copying and masking 3 MB frames), the server's ingest of them and Chromium share two cores; the tail is scheduling, plus up to 16 ms of waiting for an animation frame." },
    Goal { key: "e2e full change", text: "delivered >= 80% of the plain sender's rate", limit: Limit::AtLeast(0.8), bound: "The plain sender runs with the machine to itself; in the framecast run the uncapped producer and the server's ingest of its raw frames take CPU from the same two cores Chromium needs to receive, decode and paint." },
    Goal { key: "loop server", text: "producer+server CPU per frame <= 1/2 of MJPEG's", limit: Limit::AtMost(0.5), bound: LOOP_SERVER },
    Goal { key: "loop chromium", text: "Chromium CPU per frame <= 1/2 of MJPEG's", limit: Limit::AtMost(0.5), bound: LOOP_CHROMIUM },
    Goal { key: "link 100 shown", text: "frames shown per second >= 0.9x MJPEG's", limit: Limit::AtLeast(0.9), bound: OVER_A_LINK },
    Goal { key: "whole 1000x1000 frame through a colormap in wasm", text: "values: a whole 1000x1000 frame through a colormap in wasm <= 1 ms", limit: Limit::AtMost(1.0), bound: "A lookup a pixel (gray8 straight into a 256-colour table, gray16 through a 64 KiB table of indices) or four floats scaled at a time with simd128, and a 4 MB RGBA picture written." },
    Goal { key: "mjpeg clients", text: "MJPEG route: 20 clients cost at most 1.2x one", limit: Limit::AtMost(1.2), bound: "Each frame is encoded once per quality whatever the number of clients; what grows with them is writing each part to each connection (a copy into actix's write buffer and a send each)." },
    Goal { key: "mjpeg latency", text: "MJPEG route: latency p50 at most the Flask loop's (ratio)", limit: Limit::AtMost(1.0), bound: "The route encodes a frame when its first client can take a part; the JPEG encode itself and the browser's decode are what remains." },
    Goal { key: "link 100 p50", text: "latency p50 <= 50 ms", limit: Limit::AtMost(50.0), bound: OVER_A_LINK },
    Goal { key: "link 100 exact", text: "exact pixels <= 500 ms after motion stops", limit: Limit::AtMost(500.0), bound: OVER_A_LINK },
    Goal { key: "link 100 server", text: "server CPU per frame <= 1x MJPEG's", limit: Limit::AtMost(1.0), bound: LINK_SERVER },
    Goal { key: "link 20 camera", text: "frames shown per second >= 15", limit: Limit::AtLeast(15.0), bound: OVER_A_LINK },
    Goal { key: "distance shown", text: "frames shown per second >= 0.95x MJPEG's", limit: Limit::AtLeast(0.95), bound: AT_A_DISTANCE },
    Goal { key: "distance p50", text: "latency p50 <= RTT/2 + 30 ms", limit: Limit::AtMost(30.0), bound: AT_A_DISTANCE },
    Goal { key: "distance exact", text: "every frame shown exact", limit: Limit::AtLeast(1.0), bound: AT_A_DISTANCE },
    Goal { key: "distance 50 shown", text: "frames shown per second >= MJPEG's", limit: Limit::AtLeast(1.0), bound: "The page paints at most once per animation frame, the newest frame it has decoded: two frames that arrive within one (the link's queue and the relay's timers bunch them now and then) show as one, about one frame in a hundred here; every frame is sent (see the sent rates of the tables above)." },
    Goal { key: "distance 50 p50", text: "latency p50 <= 100 ms", limit: Limit::AtMost(100.0), bound: OVER_A_LINK },
    Goal { key: "link sprite", text: "sprite: lossless, <= 8 KB a frame, every frame shown", limit: Limit::AtMost(8_000.0), bound: "" },
    Goal { key: "loop in-process", text: "producer+server CPU per frame, server in-process, <= 1/2 of MJPEG's", limit: Limit::AtMost(0.5), bound: LOOP_IN_PROCESS },
    Goal { key: "loop in-process natural", text: "producer+server CPU per frame, server in-process, <= 1x MJPEG's", limit: Limit::AtMost(1.0), bound: LOOP_IN_PROCESS },
    Goal { key: "send cost", text: "in-process publish of a 1000x1000 frame, before encoding, <= 0.3 ms", limit: Limit::AtMost(0.3), bound: "One copy of the 3 MB array into a fresh buffer: memory bandwidth and the page faults of the new allocation." },
    Goal { key: "loop shown", text: "frames shown per second, uncapped, >= MJPEG's", limit: Limit::AtLeast(1.0), bound: "Both pipelines and Chromium share two cores; framecast's full-change frames are megabytes to copy, send, receive and inflate where MJPEG's are a hundred KB." },
];

/// The row of the goal `key`: its words (after `prefix`), what was
/// measured, whether the limit holds, and what bounds it if not.
/// The bit-plane encodings against protocol 1's XOR-only encoder on the same
/// frames in the same run (1000x1000): a table, then the goals' rows.
fn against_xor_only(criterion_dir: &Path, rows: &[(Class, Option<f64>, usize)]) -> String {
    let mut table = String::from(
        "\n### Against protocol 1 (XOR only), same frames, same run\n\n\
         | class | XOR-only encode, ms | bytes | framecast encode, ms | bytes | bytes / XOR-only | encode / XOR-only |\n\
         |---|---|---|---|---|---|---|\n",
    );
    let mut goals = String::from("\n");
    goals += GOAL_HEADER;
    for &(class, xor_ms, xor_bytes) in rows {
        let corpus = Corpus::new(class, 1000, 1000);
        let group = format!("1000x1000/{}", class.name());
        let ms = median_ms(criterion_dir, &group, "framecast-encode");
        let bytes = median_bytes(Codec::Framecast, &corpus, 1000, 1000);
        let bytes_ratio = bytes as f64 / xor_bytes.max(1) as f64;
        let encode_ratio = ratio(ms, xor_ms);
        writeln!(
            table,
            "| {} | {} | {} | {} | {} | {bytes_ratio:.3} | {} |",
            class.name(),
            fmt_ms(xor_ms),
            fmt_bytes(xor_bytes),
            fmt_ms(ms),
            fmt_bytes(bytes),
            encode_ratio.map_or("n/a".into(), |r| format!("{r:.3}")),
        )
        .unwrap();
        let name = class.name();
        match class {
            Class::Plasma | Class::Camera => {
                goals += &goal(
                    &format!("{name} bytes vs xor"),
                    "",
                    Some(bytes_ratio),
                    &format!("{bytes_ratio:.2}x"),
                );
            }
            _ => {
                goals += &within_goals("xor", &format!("{name}: "), bytes_ratio, encode_ratio);
            }
        }
    }
    table + &goals
}

/// One class at one size, encoded as protocol 4 did (bit planes + LZ4 for
/// differences) and as framecast does now (packed), in the same run.
struct PlanesRow {
    size: (usize, usize),
    class: Class,
    encode_ms: Option<f64>,
    decode_ms: Option<f64>,
    bytes: usize,
    packed_encode_ms: Option<f64>,
    packed_decode_ms: Option<f64>,
    packed_bytes: usize,
}

/// The packed encodings against protocol 4's encoder on the same frames in
/// the same run: a table, then the goals' rows (bytes for natural content at
/// 1000x1000; bytes and encode within 5% for the other classes).
fn against_planes(rows: &[PlanesRow]) -> String {
    let mut table = String::from(
        "\n### Against protocol 4 (differences as bit planes + LZ4), same frames, same run\n\n\
         Protocol 5 packs the differences of natural content (`crates/codec/src/packed.rs`): in groups of 32, each in the bits its widest value needs, no LZ4. The other classes' tiles are encoded as before.\n\n\
         | size | class | protocol 4 encode, ms | bytes | native decode, ms | packed encode, ms | bytes | native decode, ms | bytes / protocol 4 | encode / protocol 4 | decode / protocol 4 |\n\
         |---|---|---|---|---|---|---|---|---|---|---|\n",
    );
    let mut goals = String::from("\n");
    goals += GOAL_HEADER;
    let shown = |r: Option<f64>| r.map_or("n/a".into(), |r| format!("{r:.3}"));
    for row in rows {
        let bytes_ratio = row.packed_bytes as f64 / row.bytes.max(1) as f64;
        let encode_ratio = ratio(row.packed_encode_ms, row.encode_ms);
        let decode_ratio = ratio(row.packed_decode_ms, row.decode_ms);
        let (width, height) = row.size;
        writeln!(
            table,
            "| {width}x{height} | {} | {} | {} | {} | {} | {} | {} | {bytes_ratio:.3} | {} | {} |",
            row.class.name(),
            fmt_ms(row.encode_ms),
            fmt_bytes(row.bytes),
            fmt_ms(row.decode_ms),
            fmt_ms(row.packed_encode_ms),
            fmt_bytes(row.packed_bytes),
            fmt_ms(row.packed_decode_ms),
            shown(encode_ratio),
            shown(decode_ratio),
        )
        .unwrap();
        if row.size != (1000, 1000) {
            continue;
        }
        let prefix = format!("{}: ", row.class.name());
        match row.class {
            Class::Plasma | Class::Camera => {
                goals += &goal(
                    "natural bytes vs planes",
                    &prefix,
                    Some(bytes_ratio),
                    &format!("{bytes_ratio:.3}x"),
                );
            }
            _ => {
                goals += &within_goals("planes", &prefix, bytes_ratio, encode_ratio);
            }
        }
    }
    table + &goals
}

/// The rows of the goals "bytes vs BASELINE" and "encode vs BASELINE"
/// (within 5% of a same-run baseline encoder) for one class.
fn within_goals(
    baseline: &str,
    prefix: &str,
    bytes_ratio: f64,
    encode_ratio: Option<f64>,
) -> String {
    let bytes = goal(
        &format!("bytes vs {baseline}"),
        prefix,
        Some(bytes_ratio),
        &format!("{bytes_ratio:.3}x"),
    );
    let shown = encode_ratio.map_or("n/a".into(), |r| format!("{r:.3}x"));
    bytes
        + &goal(
            &format!("encode vs {baseline}"),
            prefix,
            encode_ratio,
            &shown,
        )
}

fn goal(key: &str, prefix: &str, measured: Option<f64>, shown: &str) -> String {
    let goal = GOALS
        .iter()
        .find(|goal| goal.key == key)
        .unwrap_or_else(|| panic!("no goal {key:?} in GOALS"));
    let met = measured.is_some_and(|value| match goal.limit {
        Limit::AtMost(limit) => value <= limit,
        Limit::AtLeast(limit) => value >= limit,
    });
    let (verdict, bound) = if met {
        ("met", "")
    } else {
        ("not met", goal.bound)
    };
    format!(
        "| {prefix}{} | {shown} | {verdict} | {bound} |\n",
        goal.text
    )
}

const GOAL_HEADER: &str = "| goal | measured | | what bounds it |\n|---|---|---|---|\n";

/// Writes `chart` to `docs/NAME` beside `markdown` and returns the Markdown
/// that shows it.
fn chart(markdown: &Path, name: &str, chart: &BarChart<'_>) -> std::io::Result<String> {
    let docs = markdown.parent().unwrap_or(Path::new(".")).join("docs");
    std::fs::create_dir_all(&docs)?;
    std::fs::write(docs.join(name), chart.svg())?;
    Ok(format!("![{}](docs/{name})\n\n", chart.title))
}

/// The tile-size sweep: framecast's encode time and bytes per frame for each
/// tile side, per class, at 1000x1000.
fn tile_table(criterion_dir: &Path) -> String {
    let (width, height) = TILE_SWEEP_SIZE;
    let mut md = format!("## Tile size, {width}x{height}\n\nframecast's encoder and native decoder with square tiles of each side on the same frames, in the same run (`framecast-tilesN` in criterion). Smaller tiles send less around a small change but pay a 9-byte record and a separate LZ4 block each; larger tiles compress better and loop less but resend more of what did not change. The default encoder uses {DEFAULT_TILE_SIDE} for frames where less than half the tiles changed and twice that for the others and for keyframes; the main tables measure it.\n\n| class |");
    for side in TILE_SIDES {
        write!(md, " {side}: encode ms | decode ms | bytes |").unwrap();
    }
    md.push_str("\n|---|");
    md.push_str(&"---|---|---|".repeat(TILE_SIDES.len()));
    md.push('\n');
    for class in Class::ALL {
        let corpus = Corpus::new(class, width, height);
        let group = format!("{width}x{height}/{}", class.name());
        write!(md, "| {} |", class.name()).unwrap();
        for side in TILE_SIDES {
            let codec = Codec::FramecastTiles(side);
            let time = |what: &str| {
                fmt_ms(median_ms(
                    criterion_dir,
                    &group,
                    &format!("{}-{what}", codec.name()),
                ))
            };
            let bytes = fmt_bytes(median_bytes(codec, &corpus, width, height));
            write!(md, " {} | {} | {bytes} |", time("encode"), time("decode")).unwrap();
        }
        md.push('\n');
    }
    md.push('\n');
    md
}

/// The end-to-end table (`tests/browser/e2e-bench.mjs`) and its goals.
fn e2e_table(path: &Path) -> String {
    let Some(report) = read_json(path) else {
        return String::new();
    };
    let mut md = format!(
        "## End to end, {}x{}\n\nThe real server on loopback, a producer (`framecast-bench-publish`, Rust) publishing one class as fast as the ingest WebSocket takes it with capture timestamps, and the real page in headless Chromium {}, launched directly with no DevTools client but a bare `Runtime.evaluate` to read the page's counters (`tests/browser/chromium.mjs`), all on this machine's 2 cores. Over {} s after a warm-up: frames published, decoded and painted by the page, capture-to-paint latency, and the server's and Chromium's (every process) CPU per frame delivered. Then, in the same run, the WebSocket ceiling for that class's mean message size: a plain sender (Node's `ws`, one ready-made message sent over and over, 2 in flight as framecast keeps them) to a page that only acks, with no producer running.\n\n| class | published /s | delivered /s | painted /s | latency p50 | p99 | server CPU per delivered frame | server CPU, ms per second | Chromium CPU per delivered frame | mean message | plain sender /s | delivered / plain sender |\n|---|---|---|---|---|---|---|---|---|---|---|---|\n",
        report["width"], report["height"], report["browser"].as_str().unwrap_or(""), report["measure_s"]
    );
    let mut goals = String::new();
    for row in report["results"].as_array().cloned().unwrap_or_default() {
        let number = |key: &str| row[key].as_f64().unwrap_or(f64::NAN);
        let class = row["class"].as_str().unwrap_or("?");
        let of_ceiling = number("delivered_fps") / number("ceiling_fps");
        writeln!(
            md,
            "| {class} | {:.0} | {:.1} | {:.1} | {:.0} ms | {:.0} ms | {:.1} ms | {:.0} | {:.1} ms | {} | {:.1} | {:.0}% |",
            number("published_fps"),
            number("delivered_fps"),
            number("painted_fps"),
            number("latency_p50_ms"),
            number("latency_p99_ms"),
            number("server_cpu_ms_per_delivered_frame"),
            number("server_cpu_ms_per_s"),
            number("chromium_cpu_ms_per_delivered_frame"),
            fmt_bytes(number("message_bytes") as usize),
            number("ceiling_fps"),
            of_ceiling * 100.0,
        )
        .unwrap();
        if class == "sprite" {
            let (fps, p50, p99) = (
                number("delivered_fps"),
                number("latency_p50_ms"),
                number("latency_p99_ms"),
            );
            goals += &goal(
                "e2e sprite fps",
                "",
                Some(fps),
                &format!("{fps:.0} frames/s"),
            );
            goals += &goal("e2e sprite p50", "", Some(p50), &format!("{p50:.0} ms"));
            goals += &goal("e2e sprite p99", "", Some(p99), &format!("{p99:.0} ms"));
        } else if matches!(class, "plasma" | "noise" | "camera") {
            goals += &goal(
                "e2e full change",
                &format!("{class}: "),
                Some(of_ceiling),
                &format!("{:.0}%", of_ceiling * 100.0),
            );
        }
    }
    md.push('\n');
    md += GOAL_HEADER;
    md += &goals;
    md.push_str("\nThe page acks each frame as soon as it is decoded and paints the newest framebuffer once per animation frame (60 a second in headless Chromium), so latency includes the wait for the next animation frame, 8 ms on average. The producer here is uncapped: it sends raw 3 MB frames as fast as the server takes them, and it, the server's ingest of them (most of the server CPU column) and Chromium share two cores, which the plain sender's run has to itself. The plain sender is a goal only where every tile changes: small deltas are bounded by the producer's rate, far below the thousands of small messages a second the transport carries.\n\n");
    md
}

/// One pipeline's row of the numpy loop (`tests/browser/loop-bench.mjs`).
struct LoopRow {
    shown_fps: f64,
    sent_fps: f64,
    latency_p50_ms: Option<f64>,
    latency_p99_ms: Option<f64>,
    bytes_per_frame: f64,
    producer_server_ms: f64,
    /// The server process alone (for MJPEG, the Flask process that also
    /// produces); absent from runs before it was measured.
    server_ms: Option<f64>,
    chromium_ms: f64,
    /// From the producer's stop to the page showing its last frame exactly.
    exact_after_ms: Option<f64>,
    /// Of the frames shown, the share the server said were exact.
    exact_share: Option<f64>,
    /// CPU per frame shown of the renderer's main thread, and of its
    /// workers' threads; absent from runs before they were measured.
    main_thread_ms: Option<f64>,
    worker_ms: Option<f64>,
}

impl LoopRow {
    fn find(
        results: &[serde_json::Value],
        system: &str,
        class: &str,
        rate: u64,
    ) -> Option<LoopRow> {
        let row = results.iter().find(|row| {
            row["system"] == system && row["class"] == class && row["rate"].as_u64() == Some(rate)
        })?;
        let number = |key: &str| row[key].as_f64().unwrap_or(f64::NAN);
        Some(LoopRow {
            shown_fps: number("shown_fps"),
            sent_fps: number("sent_fps"),
            latency_p50_ms: row["latency_p50_ms"].as_f64(),
            latency_p99_ms: row["latency_p99_ms"].as_f64(),
            bytes_per_frame: number("bytes_per_frame"),
            producer_server_ms: number("producer_server_cpu_ms_per_frame"),
            server_ms: row["server_cpu_ms_per_frame"].as_f64(),
            chromium_ms: number("chromium_cpu_ms_per_frame"),
            exact_after_ms: row["exact_after_ms"].as_f64(),
            exact_share: row["exact_share"].as_f64(),
            main_thread_ms: row["main_thread_cpu_ms_per_frame"].as_f64(),
            worker_ms: row["worker_cpu_ms_per_frame"].as_f64(),
        })
    }

    fn latency(&self) -> String {
        match (self.latency_p50_ms, self.latency_p99_ms) {
            (Some(p50), Some(p99)) => format!("{p50:.0} / {p99:.0} ms"),
            _ => "n/a".into(),
        }
    }
}

/// The table users look for first: the numpy loop through framecast and
/// through MJPEG (`tests/browser/loop-bench.mjs`), and its goals.
/// The head of every table of the numpy loop.
const LOOP_HEADER: &str = "| class | frames shown /s: MJPEG | framecast | frames sent /s: MJPEG | framecast | latency p50 / p99: MJPEG | framecast | bytes per frame: MJPEG | framecast | producer+server CPU per frame: MJPEG | framecast | Chromium CPU per frame: MJPEG | framecast |\n|---|---|---|---|---|---|---|---|---|---|---|---|---|\n";

/// One class's row of a table of the numpy loop.
fn loop_row(class: &str, mjpeg: &LoopRow, framecast: &LoopRow) -> String {
    format!(
        "| {class} | {:.1} | {:.1} | {:.1} | {:.1} | {} | {} | {} | {} | {:.1} ms | {:.1} ms | {:.1} ms | {:.1} ms |\n",
        mjpeg.shown_fps,
        framecast.shown_fps,
        mjpeg.sent_fps,
        framecast.sent_fps,
        mjpeg.latency(),
        framecast.latency(),
        fmt_bytes(mjpeg.bytes_per_frame as usize),
        fmt_bytes(framecast.bytes_per_frame as usize),
        mjpeg.producer_server_ms,
        framecast.producer_server_ms,
        mjpeg.chromium_ms,
        framecast.chromium_ms,
    )
}

/// Per class, MJPEG's and framecast's rows at `rate`, where both ran.
fn side_by_side<'a>(
    results: &[serde_json::Value],
    classes: &'a [String],
    rate: u64,
) -> Vec<(&'a str, LoopRow, LoopRow)> {
    classes
        .iter()
        .filter_map(|class| {
            let mjpeg = LoopRow::find(results, "mjpeg", class, rate)?;
            let framecast = LoopRow::find(results, "framecast", class, rate)?;
            Some((class.as_str(), mjpeg, framecast))
        })
        .collect()
}

/// A loop run's results and its classes, in the order they ran.
fn loop_results(report: &serde_json::Value) -> (Vec<serde_json::Value>, Vec<String>) {
    let results = report["results"].as_array().cloned().unwrap_or_default();
    let mut classes: Vec<String> = Vec::new();
    for row in &results {
        let class = row["class"].as_str().unwrap_or("?").to_string();
        if !classes.contains(&class) {
            classes.push(class);
        }
    }
    (results, classes)
}

fn loop_table(path: &Path) -> String {
    let Some(report) = read_json(path) else {
        return String::new();
    };
    let (results, classes) = loop_results(&report);
    let mut md = format!(
        "## framecast against the MJPEG loop, {w}x{h}\n\nThe loop of the people framecast is for: numpy frames in a Python process, published with framecast's Python client to the `framecast` server, against the same frames sent the classic way, Flask + `cv2.imencode` (quality 95, its default) + `multipart/x-mixed-replace` in one process (`tests/loop/`). Both play the same {frames} frames of each corpus class forwards and backwards, loaded once (the figures measure publishing, not generating them), each stamped with its number and capture time in its top-left 64x48 pixels. The page is headless Chromium {browser}, launched directly with no DevTools client but a bare `Runtime.evaluate` that reads counters (`tests/browser/chromium.mjs`): framecast's page counts its paints and their capture-to-paint latency; on the MJPEG page (one `<img>`) a script reads the stamp once per animation frame and counts the frames whose stamp changed. CPU is user + system time from /proc over {secs} s after a warm-up, per frame shown: producer+server is the Python producer and the `framecast` server together, or the one Flask process; Chromium is all of its processes. Everything shares this machine's 2 cores.\n\n",
        w = report["width"],
        h = report["height"],
        frames = report["frames"],
        browser = report["browser"].as_str().unwrap_or(""),
        secs = report["measure_s"],
    );
    let mut goals = String::new();
    for (rate, title) in [
        (20, "At 20 frames per second"),
        (0, "Uncapped (each as fast as it goes)"),
    ] {
        writeln!(md, "### {title}\n").unwrap();
        md.push_str(LOOP_HEADER);
        for (class, mjpeg, framecast) in side_by_side(&results, &classes, rate) {
            md += &loop_row(class, &mjpeg, &framecast);
            if rate == 20 {
                let server = framecast.producer_server_ms / mjpeg.producer_server_ms;
                let chromium = framecast.chromium_ms / mjpeg.chromium_ms;
                goals += &goal(
                    "loop server",
                    &format!("{class}, 20/s: "),
                    Some(server),
                    &format!("{server:.2}x"),
                );
                goals += &goal(
                    "loop chromium",
                    &format!("{class}, 20/s: "),
                    Some(chromium),
                    &format!("{chromium:.2}x"),
                );
            } else {
                let shown = framecast.shown_fps / mjpeg.shown_fps;
                goals += &goal(
                    "loop shown",
                    &format!("{class}: "),
                    Some(shown),
                    &format!("{shown:.2}x"),
                );
            }
        }
        md.push('\n');
    }
    md.push_str("Frames sent is what left the producer: MJPEG's generator encodes and writes every frame, Chromium shows those it gets to before an animation frame; framecast's client hands the server the newest frame and the server sends each viewer the newest frame its window allows. Uncapped, MJPEG's generator is held back by its socket and framecast's producer waits for each frame to be on the network (`Publisher.flush`), so CPU per frame shown includes the frames nobody saw. Chromium shows a multipart part only once the next part's boundary arrives, which puts MJPEG's latency at 20 frames/s a frame interval (50 ms) above its processing.\n\n");
    md += GOAL_HEADER;
    md += &goals;
    md.push('\n');
    md += &in_process_table(&report, &results, &classes);
    md
}

/// The numpy loop at 20 frames/s and uncapped with the server inside the
/// Python process (`framecast.serve`, `tests/loop/serve.py`) beside the
/// Publisher's (where it ran) and MJPEG's, what `stream.send` costs
/// (`tests/loop/send_cost.py`), and their goals (at 20 frames/s).
fn in_process_table(
    report: &serde_json::Value,
    results: &[serde_json::Value],
    classes: &[String],
) -> String {
    let size = format!("{}x{}", report["width"], report["height"]);
    let title = if size == "1000x1000" {
        String::new()
    } else {
        format!(", {size}")
    };
    let mut md = format!("### The server inside the Python process{title}

The same loop with `framecast.serve()` in the producer's process (`tests/loop/serve.py`): `stream.send` copies the array into the stream, with no socket, and producer+server CPU is that one process. Uncapped, each frame waits until every viewer has been sent the one before (`stream.flush`), as the Publisher's waits for the network and MJPEG's generator for its socket.

| class | rate | producer+server CPU per frame: MJPEG | Publisher + server | in-process | in-process vs MJPEG | frames shown /s: MJPEG | Publisher | in-process | latency p50 / p99, in-process |\n|---|---|---|---|---|---|---|---|---|---|\n");
    let mut goals = String::new();
    let mut rows = 0;
    for (rate, rate_name) in [(20, "20/s"), (0, "uncapped")] {
        for class in classes {
            let (Some(mjpeg), Some(in_process)) = (
                LoopRow::find(results, "mjpeg", class, rate),
                LoopRow::find(results, "in-process", class, rate),
            ) else {
                continue;
            };
            // The Publisher's loop may not have run (the 1920x1080 run).
            let publisher = LoopRow::find(results, "framecast", class, rate);
            let publisher_ms = publisher.as_ref().map_or("-".into(), |row| {
                format!("{:.1} ms", row.producer_server_ms)
            });
            let publisher_fps = publisher
                .as_ref()
                .map_or("-".into(), |row| format!("{:.1}", row.shown_fps));
            rows += 1;
            let ratio = in_process.producer_server_ms / mjpeg.producer_server_ms;
            writeln!(
                md,
                "| {class} | {rate_name} | {:.1} ms | {publisher_ms} | {:.1} ms | {ratio:.2}x | {:.1} | {publisher_fps} | {:.1} | {} |",
                mjpeg.producer_server_ms,
                in_process.producer_server_ms,
                mjpeg.shown_fps,
                in_process.shown_fps,
                in_process.latency(),
            )
            .unwrap();
            if rate == 20 {
                // Natural content is lossless against JPEG; the rest is
                // held to half of MJPEG's, as before protocol 5.
                let key = if matches!(class.as_str(), "plasma" | "camera") {
                    "loop in-process natural"
                } else {
                    "loop in-process"
                };
                goals += &goal(
                    key,
                    &format!("{class}, {size}, 20/s: "),
                    Some(ratio),
                    &format!("{ratio:.2}x"),
                );
            }
        }
    }
    if rows == 0 {
        return String::new();
    }
    md.push('\n');
    let cost = &report["send_cost"];
    if let Some(p50) = cost["send_ms_p50"].as_f64() {
        writeln!(
            md,
            "`stream.send` of a {}x{} RGB frame with no viewer (so nothing is encoded): {p50:.3} ms at the median ({:.3} ms of CPU), {:.3} ms at p90, over {} sends (`tests/loop/send_cost.py`).\n",
            cost["width"],
            cost["height"],
            cost["send_cpu_ms_p50"].as_f64().unwrap_or(f64::NAN),
            cost["send_ms_p90"].as_f64().unwrap_or(f64::NAN),
            cost["sends"],
        )
        .unwrap();
        goals += &goal("send cost", "", Some(p50), &format!("{p50:.3} ms"));
    }
    md += GOAL_HEADER;
    md += &goals;
    md.push('\n');
    md
}

/// The numpy loop over links of limited rate (server to browser), one table
/// a link, with issue #11's goals.
fn link_tables(paths: &[PathBuf]) -> String {
    let mut md = String::from("### Over a limited link, 30 frames per second\n\nThe same loop at 30 frames/s, on unlimited loopback and with what the servers send to Chromium limited to a link's rate (an htb class on the loopback of a network namespace the run makes, shaping the packets from each server's port; the producer's direction is unlimited). framecast measures each viewer's link from its acks and sends moving natural tiles as JPEG where the exact deltas would not fit (quality `auto`); \"exact after\" is the time from the producer's last frame to the page showing it exactly (every JPEG tile refined). MJPEG is never exact (cv2's JPEG at quality 95). Server CPU is the server process alone (for MJPEG the Flask process, which also makes the frames).\n\n");
    let mut goals = String::new();
    for path in paths {
        let Some(report) = read_json(path) else {
            continue;
        };
        // No link rate: the same run on unlimited loopback.
        let mbit = report["link_mbit"].as_f64();
        let link = mbit.map_or("Unlimited loopback".into(), |mbit| format!("{mbit} Mbit/s"));
        if let Some(skipped) = report["skipped"].as_str() {
            writeln!(md, "{link}: not measured ({skipped}).\n").unwrap();
            continue;
        }
        let (results, classes) = loop_results(&report);
        writeln!(md, "#### {link}\n").unwrap();
        md.push_str(LINK_HEADER);
        for (class, mjpeg, framecast) in side_by_side(&results, &classes, 30) {
            md += &link_row(class, &mjpeg, &framecast);
            goals += &link_goals(mbit, class, &mjpeg, &framecast);
        }
        md.push('\n');
    }
    if !goals.is_empty() {
        md += GOAL_HEADER;
        md += &goals;
        md.push('\n');
    }
    md
}

/// What decoding in a worker takes off the page's main thread: the loop's
/// runs where framecast's page also ran with the view on its main thread
/// (`FRAMECAST_LOOP_DECODE=both`), with the CPU per frame shown of the
/// renderer's main thread and of its workers' threads (from /proc).
fn main_thread_table(paths: &[PathBuf]) -> String {
    let mut md = String::new();
    for path in paths {
        let Some(report) = read_json(path) else {
            continue;
        };
        let (results, classes) = loop_results(&report);
        let link = report["link_mbit"]
            .as_f64()
            .map_or("unlimited loopback".into(), |mbit| format!("{mbit} Mbit/s"));
        let mut rows = String::new();
        for class in &classes {
            let rate = 30;
            let (Some(mjpeg), Some(worker), Some(main)) = (
                LoopRow::find(&results, "mjpeg", class, rate),
                LoopRow::find(&results, "framecast", class, rate),
                LoopRow::find(&results, "framecast-main-thread", class, rate),
            ) else {
                continue;
            };
            let ms = |value: Option<f64>| value.map_or("n/a".into(), |ms| format!("{ms:.2} ms"));
            let ratio = match (worker.main_thread_ms, main.main_thread_ms) {
                (Some(worker), Some(main)) if main > 0.0 => format!("{:.2}x", worker / main),
                _ => "n/a".into(),
            };
            writeln!(
                rows,
                "| {class} | {} | {} | {} | {ratio} | {} | {:.1} ms | {:.1} ms | {:.1} | {:.1} | {:.1} |",
                ms(mjpeg.main_thread_ms),
                ms(main.main_thread_ms),
                ms(worker.main_thread_ms),
                ms(worker.worker_ms),
                main.chromium_ms,
                worker.chromium_ms,
                mjpeg.shown_fps,
                main.shown_fps,
                worker.shown_fps,
            )
            .unwrap();
        }
        if rows.is_empty() {
            continue;
        }
        writeln!(
            md,
            "### Decoding off the page's main thread, {link}, 30 frames per second
"
        )
        .unwrap();
        md.push_str("framecast's page with the view decoding and painting in its worker (the default), and on the page's main thread (`?decode=main`, the element's `main-thread` attribute), in the same run of the loop. CPU per frame shown of the renderer process's main thread (where a host page's own scripts, layout and input run) and of its dedicated workers' threads, read from /proc (a thread's CPU, sampled in 10 ms ticks, over the measured 10 s); Chromium is every process. MJPEG's page has no script: its main thread only lays out and paints the `<img>`.

");
        md.push_str("| class | main thread CPU per frame: MJPEG | framecast, on the main thread | framecast, in a worker | worker vs main thread | the worker's thread | Chromium CPU per frame: on the main thread | in a worker | frames shown /s: MJPEG | on the main thread | in a worker |
|---|---|---|---|---|---|---|---|---|---|---|
");
        md += &rows;
        md.push('\n');
    }
    md
}

/// The numpy loop at 30 frames/s with a round trip between Chromium and the
/// servers (`FRAMECAST_LOOP_RTT_MS`: the delay relay), one file a path.
fn distance_table(paths: &[PathBuf]) -> String {
    if paths.is_empty() {
        return String::new();
    }
    let mut md = String::from("### At a distance, 30 frames per second\n\nThe same loop at 30 frames/s with Chromium's connections to each server through a relay that delays each direction by half the round-trip time and limits nothing else (`tests/browser/relay.mjs`; this kernel has no netem), and for the last rows also a link limit (htb, as above). The producers are local to their servers, as a remote Jupyter server's or a cloud GPU box's are. framecast sizes each viewer's window of frames in flight from its acks (twice the bandwidth-delay product, `crates/server/src/link.rs`); before, it was two frames, which gave 2/RTT frames a second (17 at 100 ms, 9 at 200 ms). \"exact\" is the share of frames shown while the server said the picture was exact (MJPEG's never are: cv2's JPEG at quality 95).\n\n| path | class | frames shown /s: MJPEG | framecast | latency p50 / p99: MJPEG | framecast | bytes per frame: MJPEG | framecast | framecast frames exact | exact after |\n|---|---|---|---|---|---|---|---|---|---|\n");
    let mut goals = String::new();
    for path in paths {
        let Some(report) = read_json(path) else {
            continue;
        };
        let rtt = report["rtt_ms"].as_f64().unwrap_or(0.0);
        let mbit = report["link_mbit"].as_f64();
        let name = match mbit {
            Some(mbit) => format!("{rtt:.0} ms, {mbit} Mbit/s"),
            None => format!("{rtt:.0} ms"),
        };
        if let Some(skipped) = report["skipped"].as_str() {
            writeln!(md, "| {name} | not measured ({skipped}) | | | | | | | | |").unwrap();
            continue;
        }
        let (results, classes) = loop_results(&report);
        for (class, mjpeg, framecast) in side_by_side(&results, &classes, 30) {
            let share = framecast.exact_share;
            writeln!(
                md,
                "| {name} | {class} | {:.1} | {:.1} | {} | {} | {} | {} | {} | {} |",
                mjpeg.shown_fps,
                framecast.shown_fps,
                mjpeg.latency(),
                framecast.latency(),
                fmt_bytes(mjpeg.bytes_per_frame as usize),
                fmt_bytes(framecast.bytes_per_frame as usize),
                share.map_or("n/a".into(), |share| format!("{:.0}%", 100.0 * share)),
                framecast
                    .exact_after_ms
                    .map_or("never".into(), |ms| format!("{ms:.0} ms")),
            )
            .unwrap();
            let prefix = format!("{class}, {name}: ");
            let shown = framecast.shown_fps / mjpeg.shown_fps;
            let p50 = framecast.latency_p50_ms;
            let p50_shown = p50.map_or("n/a".into(), |ms| format!("{ms:.0} ms"));
            match mbit {
                None => {
                    goals += &goal(
                        "distance shown",
                        &prefix,
                        Some(shown),
                        &format!("{shown:.2}x"),
                    );
                    let over = p50.map(|ms| ms - rtt / 2.0);
                    goals += &goal("distance p50", &prefix, over, &p50_shown);
                    if class == "plasma" || class == "camera" {
                        let shown_share =
                            share.map_or("n/a".into(), |s| format!("{:.1}%", 100.0 * s));
                        goals += &goal("distance exact", &prefix, share, &shown_share);
                    }
                }
                Some(50.0) => {
                    goals += &goal(
                        "distance 50 shown",
                        &prefix,
                        Some(shown),
                        &format!("{shown:.2}x"),
                    );
                    goals += &goal("distance 50 p50", &prefix, p50, &p50_shown);
                }
                Some(_) => {}
            }
        }
    }
    md.push('\n');
    if !goals.is_empty() {
        md += GOAL_HEADER;
        md += &goals;
        md.push('\n');
    }
    md
}

/// The remote Publisher over limited uplinks, sending deltas where they pay
/// and every frame whole.
fn uplink_table(paths: &[PathBuf]) -> String {
    let mut md = String::new();
    for path in paths {
        let Some(report) = read_json(path) else {
            continue;
        };
        md += "### The remote Publisher over a limited uplink\n\nThe numpy loop uncapped (`tests/loop/publish.py --fps 0`: each frame waits until the one before is on the network) publishing to the server through a link that carries what the producer uploads at the given rate, as from another machine (`tests/browser/uplink-bench.mjs`: the same htb class, on the packets to the server's port), once as the `Publisher` does by default (the tiles that changed where that pays: at most a quarter of the frame, or made in less time than the link takes for the bytes saved) and once with `deltas=False` (every frame whole). Frames a second are the frames the server published; bytes are what crossed the link. Over 10 s at 20 Mbit/s a whole frame takes over a second, so those rows rest on about nine frames; and the Publisher times the link from its sends, which the kernel's send buffer makes look fast for the first few whole frames, so on a slow link it takes a while to find that a simulation's deltas pay.\n\n";
        if let Some(skipped) = report["skipped"].as_str() {
            writeln!(md, "Not measured ({skipped}).\n").unwrap();
            continue;
        }
        md += "| class | link | frames /s: deltas | whole | bytes per frame: deltas | whole | producer CPU per frame: deltas | whole | server CPU per frame: deltas | whole |\n|---|---|---|---|---|---|---|---|---|---|\n";
        let results = report["results"].as_array().cloned().unwrap_or_default();
        let find = |class: &serde_json::Value, mbit: &serde_json::Value, mode: &str| {
            results.iter().find(|row| {
                (&row["class"], &row["link_mbit"], row["mode"].as_str())
                    == (class, mbit, Some(mode))
            })
        };
        for deltas in results.iter().filter(|row| row["mode"] == "deltas") {
            let Some(whole) = find(&deltas["class"], &deltas["link_mbit"], "whole") else {
                continue;
            };
            let number = |row: &serde_json::Value, key: &str| row[key].as_f64().unwrap_or(f64::NAN);
            writeln!(
                md,
                "| {} | {} Mbit/s | {:.1} | {:.1} | {} | {} | {:.2} ms | {:.2} ms | {:.2} ms | {:.2} ms |",
                deltas["class"].as_str().unwrap_or("?"),
                deltas["link_mbit"],
                number(deltas, "fps"),
                number(whole, "fps"),
                fmt_bytes(number(deltas, "bytes_per_frame") as usize),
                fmt_bytes(number(whole, "bytes_per_frame") as usize),
                number(deltas, "producer_cpu_ms_per_frame"),
                number(whole, "producer_cpu_ms_per_frame"),
                number(deltas, "server_cpu_ms_per_frame"),
                number(whole, "server_cpu_ms_per_frame"),
            )
            .unwrap();
        }
        md.push('\n');
    }
    md
}

/// framecast's MJPEG route against the Flask + cv2 loop
/// (`tests/browser/mjpeg-bench.mjs`), from the file that says
/// `"mjpeg_route": true`.
fn mjpeg_route_table(paths: &[PathBuf]) -> String {
    let mut md = String::new();
    let mut goals = String::new();
    for path in paths {
        let Some(report) = read_json(path) else {
            continue;
        };
        let quality = report["quality"].as_u64().unwrap_or(0);
        let rate = report["rate"].as_u64().unwrap_or(0);
        writeln!(md, "### The MJPEG route against the MJPEG loop\n\nframecast's `/api/streams/NAME/mjpeg?quality={quality}` against the seed's Flask + `cv2.imencode` loop (`tests/loop/mjpeg.py`), on the same frames at {rate} frames/s, JPEG quality {quality} both (cv2's default), each server inside the loop's own Python process (framecast's through `framecast.serve`, `tests/loop/serve.py`, as a Flask app would have it): that process's CPU per frame of the loop with 1 and with 20 MJPEG clients that read as fast as loopback goes (framecast encodes each frame once per quality for all its clients; the Flask loop once per client), and an `<img>` of each in Chromium: frames shown a second and capture-to-shown latency (read from the frames' stamps, `tests/browser/stamps.mjs`).\n").unwrap();
        md += "| class | server CPU per frame, 1 client: Flask | route | 20 clients: Flask | route | 20 / 1: Flask | route | `<img>` frames /s: Flask | route | latency p50 / p99: Flask | route |\n|---|---|---|---|---|---|---|---|---|---|---|\n";
        let results = report["results"].as_array().cloned().unwrap_or_default();
        let of = |system: &str, class: &serde_json::Value| {
            results
                .iter()
                .find(|row| row["system"] == system && &row["class"] == class)
        };
        for flask in results.iter().filter(|row| row["system"] == "flask-mjpeg") {
            let Some(route) = of("framecast-mjpeg", &flask["class"]) else {
                continue;
            };
            let cpu =
                |row: &serde_json::Value, clients: &str| row[clients]["cpu_ms_per_frame"].as_f64();
            let ratio =
                |row: &serde_json::Value| Some(cpu(row, "clients_20")? / cpu(row, "clients_1")?);
            let ms = |value: Option<f64>| value.map_or("n/a".into(), |ms| format!("{ms:.2} ms"));
            let x = |value: Option<f64>| value.map_or("n/a".into(), |r| format!("{r:.2}x"));
            let latency = |row: &serde_json::Value| {
                format!(
                    "{} / {} ms",
                    row["latency_p50_ms"]
                        .as_f64()
                        .map_or("-".into(), |v| format!("{v:.0}")),
                    row["latency_p99_ms"]
                        .as_f64()
                        .map_or("-".into(), |v| format!("{v:.0}"))
                )
            };
            let class = flask["class"].as_str().unwrap_or("?");
            writeln!(
                md,
                "| {class} | {} | {} | {} | {} | {} | {} | {:.1} | {:.1} | {} | {} |",
                ms(cpu(flask, "clients_1")),
                ms(cpu(route, "clients_1")),
                ms(cpu(flask, "clients_20")),
                ms(cpu(route, "clients_20")),
                x(ratio(flask)),
                x(ratio(route)),
                flask["shown_fps"].as_f64().unwrap_or(f64::NAN),
                route["shown_fps"].as_f64().unwrap_or(f64::NAN),
                latency(flask),
                latency(route),
            )
            .unwrap();
            let prefix = format!("{class}: ");
            goals += &goal("mjpeg clients", &prefix, ratio(route), &x(ratio(route)));
            let p50 = |row: &serde_json::Value| row["latency_p50_ms"].as_f64();
            let versus = p50(route)
                .zip(p50(flask))
                .map(|(route, flask)| route / flask);
            let shown = format!(
                "{} vs {} ms",
                p50(route).map_or("-".into(), |v| format!("{v:.0}")),
                p50(flask).map_or("-".into(), |v| format!("{v:.0}"))
            );
            goals += &goal("mjpeg latency", &prefix, versus, &shown);
        }
        md.push('\n');
    }
    if !goals.is_empty() {
        md += "Goals of the MJPEG route:\n\n";
        md += GOAL_HEADER;
        md += &goals;
        md.push('\n');
    }
    md
}

const LINK_HEADER: &str = "| class | frames shown /s: MJPEG | framecast | latency p50 / p99: MJPEG | framecast | bytes per frame: MJPEG | framecast | server CPU per frame: MJPEG | framecast | Chromium CPU per frame: MJPEG | framecast | exact after motion stops: framecast |\n|---|---|---|---|---|---|---|---|---|---|---|---|\n";

/// One class's row of a table of the loop over a limited link.
fn link_row(class: &str, mjpeg: &LoopRow, framecast: &LoopRow) -> String {
    let ms = |value: Option<f64>| value.map_or("n/a".into(), |ms| format!("{ms:.1} ms"));
    format!(
        "| {class} | {:.1} | {:.1} | {} | {} | {} | {} | {} | {} | {:.1} ms | {:.1} ms | {} |\n",
        mjpeg.shown_fps,
        framecast.shown_fps,
        mjpeg.latency(),
        framecast.latency(),
        fmt_bytes(mjpeg.bytes_per_frame as usize),
        fmt_bytes(framecast.bytes_per_frame as usize),
        ms(mjpeg.server_ms),
        ms(framecast.server_ms),
        mjpeg.chromium_ms,
        framecast.chromium_ms,
        framecast
            .exact_after_ms
            .map_or("never".into(), |ms| format!("{ms:.0} ms")),
    )
}

/// The goals of one class over a link of `mbit` (`None`: unlimited).
fn link_goals(mbit: Option<f64>, class: &str, mjpeg: &LoopRow, framecast: &LoopRow) -> String {
    let prefix = match mbit {
        Some(mbit) => format!("{class}, {mbit} Mbit/s: "),
        None => format!("{class}, unlimited, 30/s: "),
    };
    let mut goals = String::new();
    if mbit == Some(100.0) && (class == "plasma" || class == "camera") {
        let shown = framecast.shown_fps / mjpeg.shown_fps;
        goals += &goal(
            "link 100 shown",
            &prefix,
            Some(shown),
            &format!("{shown:.2}x"),
        );
        let p50 = framecast.latency_p50_ms;
        let shown_p50 = p50.map_or("n/a".into(), |ms| format!("{ms:.0} ms"));
        goals += &goal("link 100 p50", &prefix, p50, &shown_p50);
        let exact = framecast.exact_after_ms;
        let shown_exact = exact.map_or("never".into(), |ms| format!("{ms:.0} ms"));
        goals += &goal("link 100 exact", &prefix, exact, &shown_exact);
        let server = framecast.server_ms.zip(mjpeg.server_ms).map(|(f, m)| f / m);
        let shown_server = server.map_or("n/a".into(), |ratio| format!("{ratio:.2}x"));
        goals += &goal("link 100 server", &prefix, server, &shown_server);
    }
    if mbit == Some(20.0) && class == "camera" {
        let fps = framecast.shown_fps;
        goals += &goal("link 20 camera", &prefix, Some(fps), &format!("{fps:.1}/s"));
    }
    if class == "sprite" {
        // Every frame shown counts as meeting it only with the bytes.
        let bytes =
            (framecast.shown_fps >= 0.95 * framecast.sent_fps).then_some(framecast.bytes_per_frame);
        let shown = format!(
            "{} a frame, {:.1} of {:.1} frames shown a second",
            fmt_bytes(framecast.bytes_per_frame as usize),
            framecast.shown_fps,
            framecast.sent_fps
        );
        goals += &goal("link sprite", &prefix, bytes, &shown);
    }
    goals
}

fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let criterion_dir = PathBuf::from(args.next().unwrap_or_else(|| "target/criterion".into()));
    let out_path = PathBuf::from(args.next().unwrap_or_else(|| "BENCHMARKS.md".into()));
    let viewers_path = PathBuf::from(
        args.next()
            .unwrap_or_else(|| "target/bench/viewers.json".into()),
    );
    let browser_path = PathBuf::from(
        args.next()
            .unwrap_or_else(|| "target/bench/browser.json".into()),
    );
    let e2e_path = PathBuf::from(
        args.next()
            .unwrap_or_else(|| "target/bench/e2e.json".into()),
    );
    let loop_path = PathBuf::from(
        args.next()
            .unwrap_or_else(|| "target/bench/loop.json".into()),
    );
    // The loop over limited links, one file a link, the in-process loop at
    // 1920x1080 (`"width": 1920`), the remote Publisher
    // over limited uplinks (`tests/browser/uplink-bench.mjs`, whose file says
    // `"uplink": true`) and the MJPEG route (`tests/browser/mjpeg-bench.mjs`,
    // `"mjpeg_route": true`).
    let says =
        |path: &PathBuf, key: &str| read_json(path).is_some_and(|report| report[key] == true);
    // The in-process loop at another size (`FRAMECAST_LOOP_SIZE`).
    let (other_size_paths, rest): (Vec<PathBuf>, Vec<PathBuf>) =
        args.map(PathBuf::from).partition(|path| {
            read_json(path).is_some_and(|report| report["width"].as_u64() != Some(1000))
        });
    let (mjpeg_paths, rest): (Vec<PathBuf>, Vec<PathBuf>) =
        rest.into_iter().partition(|path| says(path, "mjpeg_route"));
    let (uplink_paths, rest): (Vec<PathBuf>, Vec<PathBuf>) =
        rest.into_iter().partition(|path| says(path, "uplink"));
    // Runs through the delay relay say their round trip.
    let (distance_paths, link_paths): (Vec<PathBuf>, Vec<PathBuf>) = rest
        .into_iter()
        .partition(|path| read_json(path).is_some_and(|report| report["rtt_ms"].is_number()));

    let mut md = String::new();
    writeln!(md, "# framecast benchmarks\n").unwrap();
    writeln!(md, "Written by `just bench` (the numpy loop of `tests/loop/` against MJPEG, criterion medians of `crates/bench/benches/codecs.rs`, the many-viewers, browser-side and end-to-end runs, then `framecast-bench-report`). Every figure below comes from that one run, on the same frames for every codec. Every browser figure is measured with Chromium launched directly, as a user runs it: no DevTools client that enables the Network domain (Playwright and Puppeteer do, and Chromium then copies every WebSocket message for them, up to 8x slower), only a bare DevTools connection that evaluates JavaScript to read the page's counters (`tests/browser/chromium.mjs`).\n").unwrap();
    writeln!(md, "- Machine: {}", machine()).unwrap();
    writeln!(md, "- Corpus: the content classes of the design, RGB8, {FRAMES} consecutive frames each (`crates/bench/src/corpus.rs`); framecast encodes each frame as a delta against the one before, the others encode each frame whole.").unwrap();
    writeln!(md, "- JPEG: libjpeg-turbo (the encoder cv2 and Pillow use), 4:2:0. PNG: the `png` crate at `Compression::Fastest`. memcmp: one comparison of two equal frames, the least work that reads a frame and its base.").unwrap();
    writeln!(md, "- Times are medians per frame in milliseconds, one core (the goals are for one core), except the last column: the same encoder spreading frames whose changes exceed {} KiB over every core, as the server does (the message is the same byte for byte). Bytes are medians per frame. The machine is shared: compare ratios within this file, not with other runs.\n", PARALLEL_MIN_BYTES / 1024).unwrap();
    md += &loop_table(&loop_path);
    for report in other_size_paths.iter().filter_map(|path| read_json(path)) {
        let (results, classes) = loop_results(&report);
        md += &in_process_table(&report, &results, &classes);
    }
    md += &link_tables(&link_paths);
    md += &distance_table(&distance_paths);
    md += &main_thread_table(&link_paths);
    md += &uplink_table(&uplink_paths);
    md += &mjpeg_route_table(&mjpeg_paths);

    let mut goals = String::new();
    let (mut encode_chart, mut bytes_chart) = (Vec::new(), Vec::new());
    // Per class at 1000x1000: protocol 1's XOR-only encoder, encode ms and
    // bytes, for the bit-plane table.
    let mut xor_rows = Vec::new();
    // Per class and size: protocol 4's encoder (bit planes + LZ4), for the
    // packed table.
    let mut planes_rows = Vec::new();
    for (width, height) in SIZES {
        writeln!(md, "## {width}x{height}, server side\n").unwrap();
        writeln!(md, "| class | framecast encode | bytes | native decode | JPEG q75 | bytes | JPEG q90 | bytes | PNG fastest | bytes | raw | memcmp | encode / JPEG q75 | encode / memcmp | framecast encode, {} threads |", cores()).unwrap();
        writeln!(
            md,
            "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
        )
        .unwrap();
        for class in Class::ALL {
            let corpus = Corpus::new(class, width, height);
            let group = format!("{width}x{height}/{}", class.name());
            let mut row = Row {
                times: BTreeMap::new(),
                bytes: BTreeMap::new(),
            };
            for codec in Codec::ALL {
                row.times.insert(
                    codec.name(),
                    median_ms(&criterion_dir, &group, &format!("{}-encode", codec.name())),
                );
                row.bytes
                    .insert(codec.name(), median_bytes(codec, &corpus, width, height));
            }
            let decode = median_ms(&criterion_dir, &group, "framecast-decode");
            let parallel = median_ms(
                &criterion_dir,
                &group,
                &format!("{}-encode", Codec::FramecastParallel.name()),
            );
            let memcmp = median_ms(&criterion_dir, &group, "memcmp");
            if (width, height) == (1000, 1000) {
                let xor_only = Codec::FramecastXorOnly;
                let xor_ms = median_ms(
                    &criterion_dir,
                    &group,
                    &format!("{}-encode", xor_only.name()),
                );
                let xor_bytes = median_bytes(xor_only, &corpus, width, height);
                xor_rows.push((class, xor_ms, xor_bytes));
            }
            let t = |name: &str| row.times[name];
            let b = |name: &str| row.bytes[name];
            let vs_jpeg = ratio(t("framecast"), t("jpeg-q75"));
            let vs_floor = ratio(t("framecast"), memcmp);
            writeln!(
                md,
                "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
                class.name(),
                fmt_ms(t("framecast")),
                fmt_bytes(b("framecast")),
                fmt_ms(decode),
                fmt_ms(t("jpeg-q75")),
                fmt_bytes(b("jpeg-q75")),
                fmt_ms(t("jpeg-q90")),
                fmt_bytes(b("jpeg-q90")),
                fmt_ms(t("png-fast")),
                fmt_bytes(b("png-fast")),
                fmt_bytes(b("raw")),
                fmt_ms(memcmp),
                vs_jpeg.map_or("n/a".into(), |r| format!("{r:.3}")),
                vs_floor.map_or("n/a".into(), |r| format!("{r:.2}")),
                fmt_ms(parallel),
            )
            .unwrap();

            if (width, height) == (1000, 1000) {
                encode_chart.push(Group {
                    label: class.name().into(),
                    values: vec![t("framecast"), parallel, t("jpeg-q75"), t("png-fast")],
                });
                bytes_chart.push(Group {
                    label: class.name().into(),
                    values: ["framecast", "jpeg-q75", "png-fast", "raw"]
                        .map(|codec| Some(b(codec) as f64))
                        .to_vec(),
                });
                let fraction_of_jpeg =
                    format!("1/{:.1} of JPEG q75", vs_jpeg.map_or(f64::NAN, |r| 1.0 / r));
                let bytes = b("framecast") as f64;
                match class {
                    Class::Static => {
                        goals += &goal(
                            "static encode",
                            "",
                            vs_floor,
                            &vs_floor.map_or("n/a".into(), |r| format!("{r:.2}x memcmp")),
                        );
                        goals += &goal("static bytes", "", Some(bytes), &fmt_bytes(b("framecast")));
                    }
                    Class::Sprite => {
                        goals += &goal("sprite encode", "", vs_jpeg, &fraction_of_jpeg);
                        goals += &goal("sprite bytes", "", Some(bytes), &fmt_bytes(b("framecast")));
                    }
                    Class::Noise => {
                        goals += &goal("noise encode", "", vs_jpeg, &fraction_of_jpeg);
                    }
                    Class::Plasma | Class::Camera | Class::Scroll => {}
                }
            }
            // Natural content at every size.
            if matches!(class, Class::Plasma | Class::Camera) {
                let every_core = ratio(parallel, t("jpeg-q75"));
                let name = class.name();
                let size = if (width, height) == (1000, 1000) {
                    String::new()
                } else {
                    format!("{width}x{height}, ")
                };
                let jpeg_ratio =
                    |r: Option<f64>| r.map_or("n/a".into(), |r| format!("{r:.2}x JPEG q75"));
                let lossless = format!(
                    "; bytes {:.0}x JPEG q75's",
                    b("framecast") as f64 / b("jpeg-q75") as f64
                );
                goals += &goal(
                    &format!("{name} encode"),
                    &size,
                    vs_jpeg,
                    &(jpeg_ratio(vs_jpeg) + &lossless),
                );
                goals += &goal(
                    &format!("{name} encode, every core"),
                    &size,
                    every_core,
                    &jpeg_ratio(every_core),
                );
            }
            let planes = Codec::FramecastPlanes;
            planes_rows.push(PlanesRow {
                size: (width, height),
                class,
                encode_ms: median_ms(&criterion_dir, &group, &format!("{}-encode", planes.name())),
                decode_ms: median_ms(&criterion_dir, &group, &format!("{}-decode", planes.name())),
                bytes: median_bytes(planes, &corpus, width, height),
                packed_encode_ms: t("framecast"),
                packed_decode_ms: decode,
                packed_bytes: b("framecast"),
            });
        }
        md.push('\n');
        if (width, height) == (1000, 1000) {
            let threads = format!("framecast, {} threads", cores());
            md += &chart(
                &out_path,
                "bench-encode.svg",
                &BarChart {
                    title: "Encode time per 1000x1000 frame, ms (shorter is better)",
                    series: &[
                        ("framecast, 1 thread", chart::FRAMECAST),
                        (&threads, chart::FRAMECAST_LIGHT),
                        ("JPEG q75", chart::JPEG),
                        ("PNG fastest", chart::PNG),
                    ],
                    groups: std::mem::take(&mut encode_chart),
                    log: false,
                    format: |ms| fmt_ms(Some(ms)),
                },
            )?;
            md += &chart(
                &out_path,
                "bench-bytes.svg",
                &BarChart {
                    title: "Bytes per 1000x1000 frame, logarithmic (shorter is better)",
                    series: &[
                        ("framecast", chart::FRAMECAST),
                        ("JPEG q75", chart::JPEG),
                        ("PNG fastest", chart::PNG),
                        ("raw", chart::RAW),
                    ],
                    groups: std::mem::take(&mut bytes_chart),
                    log: true,
                    format: |bytes| fmt_bytes(bytes as usize),
                },
            )?;
        }
    }
    writeln!(
        md,
        "## Server-side goals (1000x1000 unless a row says 1920x1080; many viewers below)\n"
    )
    .unwrap();
    md += GOAL_HEADER;
    md += &goals;
    md += &against_xor_only(&criterion_dir, &xor_rows);
    md += &against_planes(&planes_rows);
    if let Some((one, hundred)) = many_viewers(&viewers_path) {
        let ratio = hundred / one;
        md += &goal(
            "100 viewers",
            "",
            Some(ratio),
            &format!("{ratio:.1}x ({hundred:.0} vs {one:.0} ms of CPU a second)"),
        );
    }
    writeln!(md, "\nLossless bytes on plasma and camera cannot reach JPEG's: JPEG throws away what the eye misses, and a smooth animation or a noisy sensor changes every pixel every frame, so a lossless delta carries real information for all of them.\n").unwrap();
    md += &tile_table(&criterion_dir);
    md += &viewer_table(&viewers_path);
    md += &browser_table(&browser_path);
    md += &e2e_table(&e2e_path);
    md += &values_section(&browser_path);
    md += &wheel_jpeg_section(&browser_path);
    std::fs::write(&out_path, md)?;
    println!("wrote {}", out_path.display());
    Ok(())
}
