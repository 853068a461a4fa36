#!/usr/bin/env bash
# Runs one fuzz target for a bounded time with its seed corpus, dictionary
# and limits (docs/fuzzing.md):
#
#   fuzz/run.sh TARGET SECONDS [LIBFUZZER_ARGS...]
#   FUZZ_FORKS=2 fuzz/run.sh lint_all_formats 3600   # 2 processes, go on after a crash
#
# Seeds are copied at run time into fuzz/corpus/TARGET (gitignored): the
# repository's fixtures, the saved crash inputs under
# tests/fixtures/fuzz/TARGET, and ../shared/corpus when it exists (read
# only, never committed; FUZZ_SEED_SHARED=0 leaves it out). A crash, hang (over -timeout) or OOM (over
# -rss_limit_mb) stops the run with a non-zero exit status and leaves the
# input in fuzz/artifacts/TARGET/.
set -euo pipefail
cd "$(dirname "$0")"

target=${1:?usage: fuzz/run.sh TARGET SECONDS [LIBFUZZER_ARGS...]}
seconds=${2:?usage: fuzz/run.sh TARGET SECONDS [LIBFUZZER_ARGS...]}
shift 2
forks=${FUZZ_FORKS:-0}

corpus="corpus/$target"
mkdir -p "$corpus" "artifacts/$target"
seed() {
  # Copies files under $1 (recursively) into the corpus, named by content.
  local source=$1 pattern=$2
  [ -d "$source" ] || return 0
  find "$source" -type f -name "$pattern" -size -64k -print0 |
    while IFS= read -r -d '' file; do
      cp "$file" "$corpus/seed-$(cksum < "$file" | cut -d' ' -f1)"
    done
}

case "$target" in
  config)
    dict=toml.dict
    max_len=4096
    seed ../rules '*.toml'
    seed ../tests/fixtures '*.toml'
    # The documented example of .dockerleak.toml (src/config.rs).
    sed -n 's|^//! \{0,1\}||p' ../src/config.rs | sed -n '/^```toml$/,/^```$/p' | sed '1d;$d' \
      > "$corpus/seed-documented-example.toml"
    ;;
  *)
    dict=dockerfile.dict
    max_len=8192
    seed ../tests/fixtures '*ockerfile'
    seed ../tests/fixtures/parse '*'
    if [ "${FUZZ_SEED_SHARED:-1}" = 1 ]; then
      seed ../../shared/corpus '*ockerfile'
    fi
    ;;
esac
seed "../tests/fixtures/fuzz/$target" '*'

arguments=(
  "-max_total_time=$seconds"
  -timeout=2
  -rss_limit_mb=2048
  -malloc_limit_mb=1024
  "-max_len=$max_len"
  "-dict=$dict"
  "-artifact_prefix=artifacts/$target/"
  -print_final_stats=1
)
if [ "$forks" -gt 0 ]; then
  arguments+=("-fork=$forks" -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1)
fi

# No sanitizer: the crate has no unsafe code, and panics, stack overflows,
# hangs and OOMs are caught without one; debug assertions catch overflows.
# FUZZ_NO_BUILD=1 runs the binary already built (smoke.sh builds them all).
if [ -z "${FUZZ_NO_BUILD:-}" ]; then
  cargo +nightly fuzz build --sanitizer none --debug-assertions "$target"
fi
host=$(rustc +nightly -vV | sed -n 's/^host: //p')
exec "target/$host/release/$target" "${arguments[@]}" "$@" "$corpus"
