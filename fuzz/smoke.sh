#!/usr/bin/env bash
# A short fuzz of every target (about 60 s of fuzzing in total, after the
# build), for CI. Skips, saying why, when the nightly toolchain is
# missing; installs cargo-fuzz when it is not there yet. Fails when a
# target crashes, hangs or runs out of memory; the input is then in fuzz/artifacts/TARGET/ (docs/fuzzing.md says
# how to reproduce it and save it as a regression fixture).
set -euo pipefail
cd "$(dirname "$0")"

total=${FUZZ_SMOKE_SECONDS:-60}
# Seeds from the repository only: loading the 4,000 files of
# ../shared/corpus would take longer than the fuzzing itself.
export FUZZ_SEED_SHARED=${FUZZ_SEED_SHARED:-0}

if ! cargo +nightly --version >/dev/null 2>&1; then
  echo "fuzz smoke SKIPPED: no nightly toolchain (rustup toolchain install nightly)"
  exit 0
fi
if ! cargo +nightly fuzz --version >/dev/null 2>&1; then
  # Nightly is here: the smoke runs, so get cargo-fuzz (a few minutes, once).
  echo "== installing cargo-fuzz ${CARGO_FUZZ_VERSION:=0.13.2}"
  cargo install --locked cargo-fuzz --version "$CARGO_FUZZ_VERSION"
fi

targets=()
while IFS= read -r target; do
  targets+=("$target")
done < <(cargo +nightly fuzz list)
per_target=$(( total / ${#targets[@]} ))
[ "$per_target" -ge 1 ] || per_target=1

echo "== building ${#targets[@]} fuzz targets"
cargo +nightly fuzz build --sanitizer none --debug-assertions

for target in "${targets[@]}"; do
  echo "== fuzz $target for ${per_target}s"
  log=$(mktemp)
  if ! FUZZ_NO_BUILD=1 ./run.sh "$target" "$per_target" >"$log" 2>&1; then
    tail -n 60 "$log"
    rm -f "$log"
    echo "fuzz smoke FAILED: $target; the input is in fuzz/artifacts/$target/"
    exit 1
  fi
  grep -E '^stat::number_of_executed_units|^Done [0-9]+ runs' "$log" || true
  rm -f "$log"
done
echo "fuzz smoke passed: ${#targets[@]} targets"
