#!/usr/bin/env bash
# The built wasm viewer in www/pkg is committed, so that `pip install
# ./clients/python` and `cargo build` embed a working page without a wasm
# toolchain. www/pkg/.sources records which sources it was built from: a hash
# of the viewer's and the codec's manifests and code and of the versions of
# every crate they build with for wasm32.
#
#   scripts/viewer-sources.sh          print that hash
#   scripts/viewer-sources.sh --write  record it in www/pkg/.sources (`just wasm`)
#   scripts/viewer-sources.sh --check  fail if www/pkg was built from other sources
#
# Different compilers may build different bytes from the same sources, so the
# check compares sources, not bytes.
set -euo pipefail
cd "$(dirname "$0")/.."
stamp=www/pkg/.sources

sources_hash() {
    {
        find Cargo.toml .cargo crates/viewer/Cargo.toml crates/viewer/src \
            crates/codec/Cargo.toml crates/codec/src -type f -print0 |
            sort -z | xargs -0 sha256sum
        # Versions, not paths: the same tree hashes the same in any checkout.
        cargo tree --quiet --locked --offline -p framecast-viewer \
            --target wasm32-unknown-unknown -e normal,build --format '{p}' --prefix none |
            sed 's/ (.*//' | sort -u
    } | sha256sum | cut -d' ' -f1
}

case "${1:-}" in
    "") sources_hash ;;
    --write) sources_hash >"$stamp" ;;
    --check)
        want=$(sources_hash)
        have=$(cat "$stamp" 2>/dev/null || echo none)
        if [[ $want != "$have" ]]; then
            echo "www/pkg was built from other sources than these (its .sources: $have," >&2
            echo "the sources now: $want). Run \`just wasm\` and commit www/pkg with them." >&2
            exit 1
        fi
        ;;
    *) echo "usage: $0 [--write|--check]" >&2; exit 2 ;;
esac
