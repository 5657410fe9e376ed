# framecast: watch live frames from a program in a browser.
# On a fresh machine start with ./dev.sh RECIPE, which installs just itself.

set shell := ["bash", "-euo", "pipefail", "-c"]

# The toolchain that builds wasm32, chosen by scripts/setup.sh.
wasm := "RUSTUP_TOOLCHAIN=$(cat target/wasm-toolchain)"

# List the recipes.
default:
    @just --list --unsorted

# Install what building and running need (add --test for the tests' browser).
setup *flags:
    scripts/setup.sh {{flags}}

# Build the wasm viewer into www/pkg (committed: see scripts/viewer-sources.sh).
# Paths are remapped so that the build does not depend on where the checkout is.
wasm: setup
    {{wasm}} wasm-pack --log-level warn build crates/viewer --release --target web --out-dir ../../www/pkg --no-pack -- \
        --config "target.wasm32-unknown-unknown.rustflags=['--remap-path-prefix=${CARGO_HOME:-$HOME/.cargo}=/cargo', '--remap-path-prefix=$PWD=/framecast']"
    rm -f www/pkg/.gitignore
    scripts/viewer-sources.sh --write

# Fail if the committed viewer in www/pkg was built from other sources.
viewer-fresh:
    scripts/viewer-sources.sh --check

# Serve the built-in demo (or: just run --source noise --size 1920x1080 --fps 60).
run *args: wasm
    cargo run --release -p framecast-server -- {{args}}

# Build the Python wheel into target/wheels/: abi3 (CPython 3.9 and later), manylinux_2_17 (glibc 2.17 and later: zig links it), the page and viewer inside.
wheel: (setup "--wheel") wasm
    rm -f target/wheels/framecast-*.whl
    cd clients/python && PATH="$PWD/../../target/pytools/bin:$PATH" CARGO_TARGET_DIR="$PWD/../../target/zig" \
        maturin build --release --zig --compatibility manylinux_2_17 --out ../../target/wheels
    @echo "pip install target/wheels/$(cd target/wheels && ls framecast-*.whl)"

# Run every test: codec and server natively, the viewer in headless Chromium, the Python client (installed from the wheel), the page end to end.
test: (setup "--test") viewer-fresh wasm wheel
    cargo test --workspace
    {{wasm}} wasm-pack --log-level warn test --headless --chrome --chromedriver /usr/bin/chromedriver crates/viewer
    cargo build --release -p framecast-server --bin framecast --example peek
    target/venv/bin/pip install --quiet --disable-pip-version-check --force-reinstall --no-deps target/wheels/framecast-*.whl
    cd clients/python && ../../target/venv/bin/pytest -q
    cd tests/browser && mkdir -p test-results && node --test

# Measure framecast against the MJPEG loop (Flask + cv2), JPEG, PNG and raw (server and browser side), with 1 to 100 viewers, and end to end; writes BENCHMARKS.md.
bench: (setup "--bench") wasm wheel
    cargo build --release -p framecast-server --bin framecast
    cargo build --release -p framecast-bench --bin framecast-bench-frames --bin framecast-bench-publish
    target/venv/bin/pip install --quiet --disable-pip-version-check --force-reinstall --no-deps target/wheels/framecast-*.whl
    cd tests/browser && node loop-bench.mjs ../../target/release/framecast-bench-frames ../../target/bench/loop.json
    cd tests/browser && FRAMECAST_LOOP_RATES=30 FRAMECAST_LOOP_DECODE=both node loop-bench.mjs ../../target/release/framecast-bench-frames ../../target/bench/loop-30fps.json
    cd tests/browser && FRAMECAST_LOOP_SIZE=1920x1080 FRAMECAST_LOOP_SYSTEMS=mjpeg,in-process FRAMECAST_LOOP_RATES=20 FRAMECAST_LOOP_CLASSES=sprite,plasma,camera node loop-bench.mjs ../../target/release/framecast-bench-frames ../../target/bench/loop-1080.json
    for mbit in 100 20; do (cd tests/browser && FRAMECAST_LOOP_LINK_MBIT=$mbit FRAMECAST_LOOP_RATES=30 FRAMECAST_LOOP_CLASSES=sprite,plasma,camera node loop-bench.mjs ../../target/release/framecast-bench-frames ../../target/bench/loop-${mbit}mbit.json); done
    for rtt in 0 50 100 200; do (cd tests/browser && FRAMECAST_LOOP_RTT_MS=$rtt FRAMECAST_LOOP_RATES=30 FRAMECAST_LOOP_CLASSES=sprite,plasma,camera node loop-bench.mjs ../../target/release/framecast-bench-frames ../../target/bench/loop-rtt-${rtt}.json); done
    for mbit in 50 20; do (cd tests/browser && FRAMECAST_LOOP_RTT_MS=100 FRAMECAST_LOOP_LINK_MBIT=$mbit FRAMECAST_LOOP_RATES=30 FRAMECAST_LOOP_CLASSES=sprite,plasma,camera node loop-bench.mjs ../../target/release/framecast-bench-frames ../../target/bench/loop-rtt-100-${mbit}mbit.json); done
    cd tests/browser && node uplink-bench.mjs ../../target/release/framecast-bench-frames ../../target/bench/uplink.json
    cd tests/browser && node mjpeg-bench.mjs ../../target/release/framecast-bench-frames ../../target/bench/mjpeg.json
    cargo bench -p framecast-bench --features baselines --bench codecs
    cargo run --release -p framecast-bench --bin framecast-bench-viewers -- target/release/framecast target/bench/viewers.json
    cargo run --release -p framecast-bench --features baselines --bin framecast-bench-browser-data -- target/bench/browser
    cargo run --release -p framecast-bench --features baselines --bin framecast-bench-values -- target/bench/values.md target/bench/browser-values
    cd tests/browser && node bench.mjs ../../target/bench/browser ../../target/bench/browser.json ../../target/bench/browser-values
    cd tests/loop && ../../target/venv/bin/python values_cost.py > ../../target/bench/values-python.md
    cd tests/loop && ../../target/venv/bin/python jpeg_cost.py ../../target/release/framecast-bench-frames > ../../target/bench/jpeg-python.md
    cd tests/browser && node e2e-bench.mjs ../../target/release/framecast-bench-publish ../../target/bench/e2e.json
    cargo run --release -p framecast-bench --features baselines --bin framecast-bench-report -- target/criterion BENCHMARKS.md target/bench/viewers.json target/bench/browser.json target/bench/e2e.json target/bench/loop.json target/bench/loop-30fps.json target/bench/loop-1080.json target/bench/loop-100mbit.json target/bench/loop-20mbit.json target/bench/loop-rtt-0.json target/bench/loop-rtt-50.json target/bench/loop-rtt-100.json target/bench/loop-rtt-200.json target/bench/loop-rtt-100-50mbit.json target/bench/loop-rtt-100-20mbit.json target/bench/uplink.json target/bench/mjpeg.json

# Formatting, clippy (host and wasm32) with warnings as errors, docs, and the Python package's types (mypy) and style (ruff).
lint: (setup "--lint")
    cargo fmt --all --check
    cargo fmt --all --check --manifest-path crates/codec/fuzz/Cargo.toml
    cargo clippy --workspace --all-targets -- -D warnings
    {{wasm}} cargo clippy -p framecast-codec --lib --target wasm32-unknown-unknown -- -D warnings
    {{wasm}} cargo clippy -p framecast-viewer --all-targets --target wasm32-unknown-unknown -- -D warnings
    RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps --quiet
    cd clients/python && ../../target/pytools/bin/ruff check && ../../target/pytools/bin/ruff format --check
    cd clients/python && ../../target/pytools/bin/mypy

# Fuzz the decoder, the ingest parser and the encode/decode round trip with libFuzzer, SECONDS each.
fuzz seconds="60": (setup "--fuzz")
    scripts/fuzz.sh {{seconds}}

# What CI runs: every test, the lints, and a short fuzzing pass.
check: test lint (fuzz "15")
