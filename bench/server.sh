#!/usr/bin/env bash
# The language server's latency (didChange -> publishDiagnostics, 4 KB
# Dockerfile, median over 200 edits) and peak RSS with 100 documents open.
# Not a test: prints figures for docs/performance.md.
#
# Usage: bench/server.sh [--no-build]
# Needs: the Rust toolchain, Python 3, Linux (/proc for peak RSS).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${1:-}" != "--no-build" ]; then
  cargo build --release --quiet
fi
python3 bench/server.py target/release/dockerleak
