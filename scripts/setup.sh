#!/usr/bin/env bash
# Installs everything framecast needs to build, run and test, and nothing twice.
#
#   scripts/setup.sh          what `just run` needs: the host toolchain, cmake
#                             and nasm (the server builds libjpeg-turbo for its
#                             JPEG tiles), a wasm32 target, wasm-bindgen,
#                             wasm-pack and just
#   scripts/setup.sh --test   also what the tests need: Chromium, ChromeDriver,
#                             Firefox ESR, WebKitGTK's WebDriver and Xvfb,
#                             iproute2 (tc), the browser tests' npm packages,
#                             and a Python venv for the Python client's tests
#                             (with JupyterLab for the notebook view's)
#   scripts/setup.sh --bench  what the tests need (Flask and OpenCV among
#                             them, for the MJPEG loop they compare with)
#   scripts/setup.sh --fuzz   also cargo-fuzz (libFuzzer; run on stable with
#                             RUSTC_BOOTSTRAP=1, which its -Z flags need)
#   scripts/setup.sh --wheel  also maturin and zig (PyPI's ziglang), which
#                             build the Python wheel for glibc 2.17 and later,
#                             in a venv of their own (target/pytools); --test
#                             and --bench include it
#   scripts/setup.sh --lint   also mypy and ruff, for the Python package, in
#                             the same venv
#
# The wasm32 target comes from `rustup target add` where rustup can download it.
# Where it cannot (machines whose only network is the package registries), the
# fallback builds the wasm32 standard library once with Debian's Rust
# (rustc-web, which ships the library's source) and links that toolchain into
# rustup as `system`. The toolchain chosen is written to target/wasm-toolchain;
# the Justfile reads it from there.
#
# Every step checks first and returns at once when its tool is present, so a
# second run takes about a second.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
want_test=0
want_fuzz=0
want_wheel=0
want_lint=0
case "${1:-}" in
    --fuzz) want_fuzz=1 ;;
    --test) want_test=1 want_wheel=1 ;; # the Python tests install the wheel
    --bench) want_test=1 want_wheel=1 ;; # the browser side runs in the tests' Chromium
    --wheel) want_wheel=1 ;;
    --lint) want_lint=1 ;;
esac

log() { printf '\033[1msetup:\033[0m %s\n' "$*" >&2; }
have() { command -v "$1" >/dev/null 2>&1; }
as_root() { if [[ $(id -u) -eq 0 ]]; then "$@"; else sudo "$@"; fi; }

apt_updated=0
apt_install() {
    local missing=()
    for pkg in "$@"; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
    done
    [[ ${#missing[@]} -eq 0 ]] && return 0
    if ! have apt-get; then
        log "need these packages, and this is not a Debian-like system: ${missing[*]}"
        return 1
    fi
    if [[ $apt_updated -eq 0 ]]; then
        log "apt-get update"
        as_root apt-get update -qq >&2
        apt_updated=1
    fi
    log "apt-get install ${missing[*]}"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >&2
}

export PATH="$HOME/.cargo/bin:$PATH"
if ! have cargo || ! have rustup; then
    log "framecast needs Rust through rustup (https://rustup.rs); cargo or rustup is not on PATH"
    exit 1
fi
mkdir -p target
# The server's JPEG tiles come from libjpeg-turbo, built from source by the
# turbojpeg crate: cmake drives the build, nasm assembles its SIMD code.
have cc || apt_install gcc
have cmake || apt_install cmake
have nasm || apt_install nasm

# --- wasm32 target ---------------------------------------------------------
wasm_toolchain_file=target/wasm-toolchain
has_wasm_std() { # toolchain
    local libdir
    libdir=$(rustup run "$1" rustc --print target-libdir --target wasm32-unknown-unknown 2>/dev/null) || return 1
    compgen -G "$libdir/libstd-*.rlib" >/dev/null
}

choose_wasm_toolchain() {
    local default
    default=$(rustup show active-toolchain | cut -d' ' -f1)
    # FRAMECAST_OFFLINE_WASM=1 leaves rustup's targets alone and takes the
    # Debian route below (how a machine without rustup downloads gets it).
    local offline=${FRAMECAST_OFFLINE_WASM:-}
    if [[ -z $offline ]] && has_wasm_std "$default"; then echo "$default"; return; fi
    if has_wasm_std system; then echo system; return; fi

    if [[ -z $offline ]]; then
        log "rustup target add wasm32-unknown-unknown (60 s at most)"
        if timeout 60 rustup target add wasm32-unknown-unknown >&2 && has_wasm_std "$default"; then
            echo "$default"; return
        fi
    fi

    log "no wasm32 target from rustup; building one with Debian's Rust instead (about 2 minutes, once)"
    apt_install rustc-web cargo-web rust-web-src rust-web-clippy
    local sysroot=/usr
    local std_dir=$sysroot/lib/rustlib/wasm32-unknown-unknown/lib
    if ! compgen -G "$std_dir/libstd-*.rlib" >/dev/null; then
        local scratch
        scratch=$(mktemp -d)
        mkdir -p "$scratch/src"
        printf '[package]\nname = "wasm-std-scratch"\nversion = "0.0.0"\nedition = "2021"\n\n[lib]\npath = "src/lib.rs"\n' >"$scratch/Cargo.toml"
        : >"$scratch/src/lib.rs"
        (cd "$scratch" && PATH=/usr/bin:$PATH RUSTC_BOOTSTRAP=1 RUSTUP_TOOLCHAIN= \
            /usr/bin/cargo build --quiet --release --target wasm32-unknown-unknown \
            -Z build-std=std,panic_abort,test >&2)
        as_root mkdir -p "$std_dir"
        find "$scratch/target/wasm32-unknown-unknown/release/deps" -name 'lib*.rlib' \
            ! -name 'libwasm_std_scratch*' -exec cp {} "$std_dir/" \;
        rm -rf "$scratch"
    fi
    # rustc links wasm32 with rust-lld; Debian's rustc-web does not ship one.
    local lld=$sysroot/lib/rustlib/x86_64-unknown-linux-gnu/bin/rust-lld
    if [[ ! -x $lld ]]; then
        local rustup_lld
        rustup_lld=$(rustc --print sysroot)/lib/rustlib/x86_64-unknown-linux-gnu/bin/rust-lld
        if [[ ! -x $rustup_lld ]]; then
            apt_install lld
            rustup_lld=$(command -v ld.lld || command -v lld)
        fi
        as_root mkdir -p "$(dirname "$lld")"
        as_root ln -sf "$rustup_lld" "$lld"
    fi
    rustup toolchain list | grep -q '^system' || rustup toolchain link system "$sysroot" >&2
    has_wasm_std system || { log "the wasm32 standard library build did not work"; exit 1; }
    echo system
}

toolchain=$(choose_wasm_toolchain)
echo "$toolchain" >"$wasm_toolchain_file"
log "wasm32 builds use the '$toolchain' toolchain"

# --- wasm-bindgen CLI (exactly the library's version), wasm-pack, just -----
cargo_install() { # crate version-regex binary [extra args]
    local crate=$1 version=$2 bin=$3
    shift 3
    if have "$bin" && "$bin" --version 2>/dev/null | grep -q -- "$version"; then return 0; fi
    log "cargo install $crate $* (a few minutes, once)"
    # --locked can name a dependency version that the registry no longer
    # serves (yanked); then resolve afresh.
    cargo install --quiet --locked "$crate" "$@" >&2 ||
        cargo install --quiet "$crate" "$@" >&2
}

[[ -f Cargo.lock ]] || cargo generate-lockfile --quiet
bindgen_version=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/[^0-9.]/, ""); print; exit }' Cargo.lock)
cargo_install wasm-bindgen-cli " $bindgen_version" wasm-bindgen --version "=$bindgen_version"
cargo_install wasm-pack "wasm-pack" wasm-pack
# just: PyPI's rust-just ships a prebuilt binary; it goes into target/tools,
# which ./dev.sh puts on PATH. cargo install is the slow fallback.
export PATH="$here/target/tools/bin:$PATH"
if ! have just; then
    log "installing just"
    python3 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore --prefix target/tools rust-just >&2 ||
        cargo_install just "just" just
fi

# --- Python build and lint tools, in a venv of their own --------------------
python_tools=()
# maturin builds the wheel; zig links it against glibc 2.17's symbols.
[[ $want_wheel -eq 1 ]] && python_tools+=("maturin>=1.9,<2" "ziglang==0.17.*")
# mypy checks the package's types against numpy's and websockets'; both it
# and ruff at the versions the package was last checked with (a new one may
# bring new rules).
[[ $want_lint -eq 1 ]] && python_tools+=("mypy==1.20.*" "ruff==0.17.*" numpy websockets)
if [[ ${#python_tools[@]} -gt 0 ]]; then
    pytools=target/pytools
    if [[ ! -x $pytools/bin/python ]]; then
        log "python3 -m venv $pytools"
        python3 -m venv "$pytools" 2>/dev/null || { apt_install python3-venv && python3 -m venv "$pytools"; }
    fi
    missing=()
    for requirement in "${python_tools[@]}"; do
        name=${requirement%%[=<>]*}
        "$pytools/bin/python" -c "import importlib.metadata as m; m.version('$name')" 2>/dev/null || missing+=("$requirement")
    done
    if [[ ${#missing[@]} -gt 0 ]]; then
        log "pip install ${missing[*]} into $pytools"
        "$pytools/bin/pip" install --quiet --disable-pip-version-check "${missing[@]}" >&2
    fi
fi

# --- test-only tools --------------------------------------------------------
if [[ $want_test -eq 1 ]]; then
    apt_install chromium chromium-driver
    # The element in Firefox (driven over WebDriver BiDi, no driver needed)
    # and in WebKit, Safari's engine (its WebDriver and MiniBrowser, under
    # a virtual X server).
    apt_install firefox-esr webkit2gtk-driver xvfb
    # tc and ip, for the page and the MJPEG loop over a limited link (a network
    # namespace whose loopback is shaped; tests/browser/netns.mjs).
    have tc || apt_install iproute2
    have curl || apt_install curl # the token tests publish with curl
    if ! have node || ! have npm; then apt_install nodejs npm; fi
    # The Python client's tests and examples run in target/venv.
    venv=target/venv
    # The notebook tests run nbclient, and a real JupyterLab and Notebook 7
    # with anywidget; the embedding tests run the Flask example, and OpenCV
    # reads the MJPEG route.
    python_packages=(pytest numpy websockets matplotlib anywidget nbclient ipykernel jupyterlab notebook flask opencv-python-headless)
    if ! "$venv/bin/python" -c "import pytest, numpy, websockets, matplotlib, anywidget, nbclient, ipykernel, jupyterlab, notebook, flask, cv2" 2>/dev/null; then
        log "python3 -m venv $venv, with ${python_packages[*]}"
        python3 -m venv "$venv" 2>/dev/null || { apt_install python3-venv && python3 -m venv "$venv"; }
        "$venv/bin/pip" install --quiet --disable-pip-version-check "${python_packages[@]}" >&2
    fi
    # npm ci writes node_modules/.package-lock.json; redo it when the lock is newer.
    if [[ ! tests/browser/node_modules/.package-lock.json -nt tests/browser/package-lock.json ]]; then
        log "npm ci in tests/browser"
        (cd tests/browser && npm ci --silent --no-audit --no-fund >&2)
    fi
fi
if [[ $want_fuzz -eq 1 ]]; then
    have c++ || apt_install g++ # libFuzzer is C++, built by libfuzzer-sys
    cargo_install cargo-fuzz "cargo-fuzz" cargo-fuzz
fi
log "ready"
