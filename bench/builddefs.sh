#!/usr/bin/env bash
# Build definitions: the cost of 1,000 workflow files in a walk (issue 15:
# under 100 ms), and of the wild corpus (Dockerfiles only: must not get
# slower). Usage: bench/builddefs.sh [BINARY] [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
binary=${1:-target/release/dockerleak}
runs=${2:-7}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# 1,000 workflows written from our fixtures (never from ../shared).
mkdir -p "$work/repo/.github/workflows"
fixtures=(tests/fixtures/DLK011/github/*.yml)
for index in $(seq 1 1000); do
  cp "${fixtures[$((index % ${#fixtures[@]}))]}" "$work/repo/.github/workflows/w$index.yml"
done
printf 'disabled-readers = ["all"]\n' > "$work/off.toml"
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
time_run() {
  for _ in $(seq 1 "$runs"); do
    start=$(date +%s%N)
    "$binary" "$@" --quiet --fail-level never --format json >/dev/null 2>&1 || true
    end=$(date +%s%N)
    echo $(((end - start) / 1000000))
  done | median
}
echo "1000 workflows, readers on:  $(time_run --no-config "$work/repo") ms"
echo "1000 workflows, readers off: $(time_run --config "$work/off.toml" "$work/repo") ms"
if [ -d ../shared/corpus/wild ]; then
  echo "wild corpus:                 $(time_run --no-config ../shared/corpus/wild) ms"
fi
