#!/usr/bin/env bash
# The one entry point for a fresh clone: installs whatever is missing
# (scripts/setup.sh; quick when everything is there), then runs the Justfile
# recipe named on the command line.
#
#   ./dev.sh run      build and serve the demo at http://127.0.0.1:8080/
#   ./dev.sh test     run every test
#   ./dev.sh bench    measure, and write BENCHMARKS.md
#   ./dev.sh lint     rustfmt, clippy (host and wasm32), rustdoc, mypy, ruff
#   ./dev.sh wheel    build the Python wheel into target/wheels/
#   ./dev.sh fuzz 60  fuzz the codec for 60 s a target
#   ./dev.sh check    what CI runs: test, lint, a short fuzz
#   ./dev.sh          list the recipes
set -euo pipefail
cd "$(dirname "$0")"
case "${1:-}" in
    test) scripts/setup.sh --test ;;
    check) scripts/setup.sh --test && scripts/setup.sh --lint && scripts/setup.sh --fuzz ;;
    bench) scripts/setup.sh --bench ;;
    fuzz) scripts/setup.sh --fuzz ;;
    wheel) scripts/setup.sh --wheel ;;
    lint) scripts/setup.sh --lint ;;
    *) scripts/setup.sh ;;
esac
export PATH="$PWD/target/tools/bin:$HOME/.cargo/bin:$PATH"
exec just "$@"
