//! Criterion timings of every codec on every content class and size, on the
//! same frames: encode (framecast against the previous frame), framecast's native decode (both
//! also with each tile side of the sweep, at 1000x1000, and as protocol 4
//! sent differences, bit planes + LZ4), and the memory
//! floor (one full comparison of two equal
//! frames). `cargo run --bin framecast-bench-report` turns the medians
//! into BENCHMARKS.md.

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use framecast_bench::codecs::{Codec, DeltaDecode, Encoders, TILE_SIDES, TILE_SWEEP_SIZE};
use framecast_bench::corpus::{Class, Corpus};
use framecast_bench::{FRAMES, SIZES};

fn codecs(c: &mut Criterion) {
    for (width, height) in SIZES {
        for class in Class::ALL {
            let corpus = Corpus::new(class, width, height);
            let frames: Vec<Vec<u8>> = (0..=FRAMES).map(|n| corpus.frame(n)).collect();
            let id = |what: &str| format!("{width}x{height}/{}/{what}", class.name());

            let mut group = c.benchmark_group(id("").trim_end_matches('/').to_string());
            let sweep = (width, height) == TILE_SWEEP_SIZE;
            let tile_sizes = TILE_SIDES.into_iter().map(Codec::FramecastTiles);
            let codecs = Codec::ALL
                .into_iter()
                .chain([
                    Codec::FramecastParallel,
                    Codec::FramecastXorOnly,
                    Codec::FramecastPlanes,
                ])
                .chain(tile_sizes.filter(|_| sweep));
            for codec in codecs {
                let mut encoders = Encoders::default();
                let mut out = Vec::new();
                let mut n = 0;
                group.bench_function(format!("{}-encode", codec.name()), |b| {
                    b.iter(|| {
                        n = n % FRAMES + 1;
                        encoders.encode(
                            codec,
                            width,
                            height,
                            &frames[n],
                            Some(&frames[n - 1]),
                            &mut out,
                        );
                        black_box(out.len())
                    })
                });
            }
            let decodes = [Codec::Framecast, Codec::FramecastPlanes]
                .into_iter()
                .chain(
                    TILE_SIDES
                        .into_iter()
                        .map(Codec::FramecastTiles)
                        .filter(|_| sweep),
                );
            for codec in decodes {
                let deltas: Vec<DeltaDecode> = (1..=FRAMES)
                    .map(|n| DeltaDecode::new(codec, width, height, &frames[n - 1], &frames[n]))
                    .collect();
                let mut n = 0;
                group.bench_function(format!("{}-decode", codec.name()), |b| {
                    b.iter_batched_ref(
                        || {
                            n = (n + 1) % FRAMES;
                            (deltas[n].decoder(), n)
                        },
                        |(decoder, n)| {
                            black_box(decoder.apply(deltas[*n].message()).expect("decodes").tiles)
                        },
                        BatchSize::LargeInput,
                    )
                });
            }
            // The floor: comparing a frame with an equal one elsewhere in
            // memory reads both in full, as telling "unchanged" apart must.
            let copies = frames.clone();
            let mut n = 0;
            group.bench_function("memcmp", |b| {
                b.iter(|| {
                    n = n % FRAMES + 1;
                    black_box(black_box(&frames[n]) == black_box(&copies[n]))
                })
            });
            group.finish();
        }
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(1))
        .without_plots();
    targets = codecs
}
criterion_main!(benches);
