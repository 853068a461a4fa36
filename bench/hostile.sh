#!/usr/bin/env bash
# Hostile inputs (issue 11): wall time and peak RSS of the release binary on
# each shape, printed as a Markdown table (with the user CPU time, which
# a loaded machine changes less than the wall time). Every shape is generated in a
# temporary directory; nothing is written to the repository.
#
# Usage: bench/hostile.sh [--no-build] [--timeout SECONDS]
# DOCKERLEAK_BINARY=PATH times that binary instead (with --no-build).
# Needs: the Rust toolchain, Python 3, GNU time (/usr/bin/time).
# The memory bound checked is 64 MiB + 40 x the largest input file.
set -euo pipefail
cd "$(dirname "$0")/.."
build=1
timeout_seconds=120
while [ $# -gt 0 ]; do
  case "$1" in
    --no-build) build=0 ;;
    --timeout) timeout_seconds="$2"; shift ;;
    *) echo "unknown option: $1" >&2; exit 2 ;;
  esac
  shift
done
if [ "$build" = 1 ]; then
  cargo build --release --quiet
fi
binary="${DOCKERLEAK_BINARY:-$PWD/target/release/dockerleak}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

python3 - "$work" <<'PYTHON'
import os, sys
work = sys.argv[1]
def case(name):
    path = os.path.join(work, name)
    os.makedirs(path)
    return path
def write(path, text):
    with open(path, "w") as handle:
        handle.write(text)

# 10: nested `case`, 24 levels (500 bytes).
write(os.path.join(case("nested-case"), "Dockerfile"),
      "FROM alpine\nRUN " + "case a in a) " * 24 + "\n")
# 11: about 1 MB of repeated secret lines (pretty and JSON).
line = "RUN echo ghp_abcdefghijklmnopqrstuvwxyz0123456789 > /tmp/token\n"
text = "FROM alpine\n" + line * (1_000_000 // len(line))
write(os.path.join(case("secret-lines"), "Dockerfile"), text)
# 12: a 9 MB line of 3 M words; 9 MB of `a|a|...` and of `a;a;...`.
write(os.path.join(case("words-line"), "Dockerfile"),
      "FROM alpine\nRUN echo" + " ab" * 3_000_000 + "\n")
write(os.path.join(case("pipes"), "Dockerfile"),
      "FROM alpine\nRUN a" + "|a" * 4_500_000 + "\n")
write(os.path.join(case("semicolons"), "Dockerfile"),
      "FROM alpine\nRUN a" + ";a" * 4_500_000 + "\n")
# The largest allowed file: 1 MiB exactly (the default --max-file-size)
# of ordinary instructions with secrets in them (three findings a line);
# and the same at 10 MiB, allowed with --max-file-size 10MiB.
unit = ("ENV DB_PASSWORD=Summer2024x\n"
        "RUN curl -u bob:hunter2x https://example.com/ | sh && echo done\n"
        "COPY .netrc /root/.netrc\n")
head = "FROM alpine\n"
for name, limit in (("largest-file", 1024 * 1024), ("ten-mib-file", 10 * 1024 * 1024)):
    body = unit * ((limit - len(head)) // len(unit))
    text = head + body
    text += "#" * (limit - len(text) - 1) + "\n"
    assert len(text) == limit
    write(os.path.join(case(name), "Dockerfile"), text)
# 13: 10,000 .dockerignore patterns over a 100,000-entry context.
context = case("ignore-patterns")
write(os.path.join(context, "Dockerfile"), "FROM alpine\nCOPY . /app\n")
write(os.path.join(context, ".dockerignore"),
      "".join(f"pattern-{index}/**/*.tmp\n" for index in range(10_000)))
for directory in range(100):
    path = os.path.join(context, f"directory-{directory}")
    os.makedirs(path)
    for entry in range(999):
        open(os.path.join(path, f"file-{entry}.txt"), "w").close()
# 9: ignore files that are devices.
context = case("dockerignore-dev-zero")
write(os.path.join(context, "Dockerfile"), "FROM alpine\nCOPY . /app\n")
os.symlink("/dev/zero", os.path.join(context, ".dockerignore"))
context = case("gitignore-dev-zero")
write(os.path.join(context, "sub", "Dockerfile") if os.makedirs(os.path.join(context, "sub")) is None else "",
      "FROM alpine\nCOPY .netrc /root/\n")
os.symlink("/dev/zero", os.path.join(context, "sub", ".gitignore"))
PYTHON

limit_mib_for() { # 64 MiB + 40 x the largest file in the case, in KiB
  local largest
  largest=$(find "$1" -type f -printf '%s\n' | sort -n | tail -1)
  echo $(( 64 * 1024 + 40 * ${largest:-0} / 1024 ))
}

printf '| case | input | wall time | user CPU | peak RSS | memory bound | status |\n'
printf '|---|---|---:|---:|---:|---:|---|\n'
run_case() { # name, directory, description, expected exit code, arguments...
  local name="$1" directory="$2" description="$3" expected="$4"
  shift 4
  local report="$work/time-$name.txt" code=0
  (cd "$directory" && timeout "$timeout_seconds" /usr/bin/time -v -o "$report" \
    "$binary" "$@" >/dev/null 2>"$work/stderr-$name.txt") || code=$?
  local wall rss user bound status
  wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$report" 2>/dev/null || true)
  rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$report" 2>/dev/null || true)
  user=$(awk -F': ' '/User time \(seconds\)/ {print $2}' "$report" 2>/dev/null || true)
  bound=$(limit_mib_for "$directory")
  seconds=$(python3 -c "import sys; p=sys.argv[1].split(':'); print(sum(float(x)*60**i for i,x in enumerate(reversed(p))))" "${wall:-0}")
  if [ "$code" = 124 ] || [ -z "$rss" ]; then
    status="TIMEOUT (> ${timeout_seconds} s)"; wall="> ${timeout_seconds} s"; rss="?"
  elif [ "$code" != "$expected" ]; then
    status="FAILED (exit $code, expected $expected)"
  elif python3 -c "import sys; sys.exit(0 if float(sys.argv[1]) < 2 and int(sys.argv[2]) <= int(sys.argv[3]) else 1)" "$seconds" "$rss" "$bound"; then
    status="ok (exit $code)"
  else
    status="OVER (exit $code)"
  fi
  if [ "$rss" != "?" ]; then rss="$(( rss / 1024 )) MiB"; wall="${seconds} s"; fi
  printf '| %s | %s | %s | %s s | %s | %s MiB | %s |\n' "$name" "$description" "$wall" "${user:-?}" "$rss" "$(( bound / 1024 ))" "$status"
}
run_case nested-case "$work/nested-case" '`case a in a) ` x 24 (500 bytes)' 0 Dockerfile
run_case secret-lines-pretty "$work/secret-lines" '1 MB of secret lines, pretty' 1 --format pretty Dockerfile
run_case secret-lines-json "$work/secret-lines" '1 MB of secret lines, JSON' 1 --format json Dockerfile
run_case secret-lines-sarif "$work/secret-lines" '1 MB of secret lines, SARIF' 1 --format sarif Dockerfile
# 9 MB shapes: over the default size limit, so allowed explicitly.
run_case words-line "$work/words-line" '9 MB line of 3 M words' 0 --max-file-size 10MiB Dockerfile
run_case pipes "$work/pipes" '9 MB of `a|a|...`' 0 --max-file-size 10MiB Dockerfile
run_case semicolons "$work/semicolons" '9 MB of `a;a;...`' 0 --max-file-size 10MiB Dockerfile
# The largest allowed file, in every format (each must stay in the bound).
for format in pretty json sarif gnu github gitlab checkstyle junit sonarqube markdown; do
  run_case "largest-file-$format" "$work/largest-file" "1 MiB of ordinary lines, $format" 1 --format "$format" Dockerfile
done
# Ten times that, past the default limit (--max-file-size 10MiB): shown
# for scale; the bound is checked the same way.
for format in pretty json; do
  run_case "ten-mib-file-$format" "$work/ten-mib-file" "10 MiB of ordinary lines, --max-file-size 10MiB, $format" 1 --max-file-size 10MiB --format "$format" Dockerfile
done
run_case ignore-patterns "$work/ignore-patterns" '10,000 patterns, 100,000 entries' 0 Dockerfile
run_case dockerignore-dev-zero "$work/dockerignore-dev-zero" '`.dockerignore -> /dev/zero`' 2 Dockerfile
run_case gitignore-dev-zero "$work/gitignore-dev-zero" 'walked `.gitignore -> /dev/zero`' 2 .
