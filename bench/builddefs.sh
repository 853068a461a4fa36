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
# For comparison: what reading 1,000 small files costs as Dockerfiles.
mkdir -p "$work/dockerfiles"
for index in $(seq 1 1000); do
  printf 'FROM alpine:3.20\nRUN echo %s\n' "$index" > "$work/dockerfiles/$index.Dockerfile"
done
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
# Median wall time and median CPU time (user + sys, of the process and its
# threads), in ms.
time_run() {
  : >"$work/times"
  for _ in $(seq 1 "$runs"); do
    /usr/bin/time -f '%e %U %S' -o "$work/time" \
      "$binary" "$@" --quiet --fail-level never --format json >/dev/null 2>&1 || true
    # (GNU time adds a line "Command exited with non-zero status N".)
    awk 'NF == 3 && $1 ~ /^[0-9.]+$/' "$work/time" >>"$work/times"
  done
  wall=$(awk '{printf "%d\n", $1 * 1000}' "$work/times" | median)
  cpu=$(awk '{printf "%d\n", ($2 + $3) * 1000}' "$work/times" | median)
  echo "wall $wall ms, CPU $cpu ms"
}
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "1000 workflows, readers on:  $(time_run --no-config "$work/repo")"
echo "1000 workflows, readers off: $(time_run --config "$work/off.toml" "$work/repo")"
echo "1000 small Dockerfiles:      $(time_run --no-config "$work/dockerfiles")"
if [ -d ../shared/corpus/wild ]; then
  echo "wild corpus:                 $(time_run --no-config ../shared/corpus/wild)"
fi
echo "load average after:  $(cut -d' ' -f1-3 /proc/loadavg)"
