//! Hostile inputs of issue 11, run through the binary: shapes that used to
//! take exponential or quadratic time or hundreds of times their size in
//! memory, and `--output` targets that used to interleave or overwrite an
//! input. No test times anything: a regression fails by the generous
//! process timeout (a kill has no exit code) instead of hanging the suite.
//! `bench/hostile.sh` measures the same shapes.

use serde_json::Value;
use std::fs;
use std::path::Path;
use std::time::Duration;

mod common;
use common::{dockerleak_in, write};

/// A Dockerfile with one DLK001 finding (line 2).
const LEAKY: &str = "FROM alpine:3.20\nCOPY .netrc /root/.netrc\n";

/// Long enough for a debug build on a loaded machine; the shapes take
/// well under a second in a release build.
const TIMEOUT: Duration = Duration::from_secs(300);

/// Runs dockerleak in `directory`; returns the exit code, stdout, stderr.
fn run(directory: &Path, arguments: &[&str]) -> (i32, String, String) {
    let output = dockerleak_in(directory)
        .args(arguments)
        .timeout(TIMEOUT)
        .output()
        .expect("run dockerleak");
    let code = output
        .status
        .code()
        .expect("dockerleak exited by itself (not killed by the timeout)");
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert_ne!(code, 101, "dockerleak panicked: {stderr}");
    (
        code,
        String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr,
    )
}

// ---- 14: --output ----

#[test]
fn an_output_naming_an_input_is_refused_and_the_input_is_left_alone() {
    let directory = tempfile::tempdir().expect("tempdir");
    let root = directory.path();
    write(&root.join("app/Dockerfile"), LEAKY);
    std::os::unix::fs::symlink("app/Dockerfile", root.join("link")).expect("symlink");
    fs::write(
        root.join("baseline.json"),
        "{\"version\": 1, \"findings\": []}",
    )
    .expect("write the baseline");
    write(
        &root.join("app/.dockerleak.toml"),
        "fail-level = \"warning\"\n",
    );
    let cases: [&[&str]; 7] = [
        &["--output", "app/Dockerfile", "app/Dockerfile"],
        &["--output", "./app/../app/Dockerfile", "app"],
        &["--output", "link", "app"],
        &["--write-baseline", "app/Dockerfile", "app"],
        &[
            "--baseline",
            "baseline.json",
            "--output",
            "baseline.json",
            "app",
        ],
        // A report of several: each file is checked, configurations too.
        &["--format", "json", "--format", "sarif=link", "app"],
        &["--format", "sarif=app/.dockerleak.toml", "app"],
    ];
    for arguments in cases {
        let before = fs::read_to_string(root.join("app/Dockerfile")).expect("read");
        let (code, stdout, stderr) = run(root, arguments);
        assert_eq!(code, 2, "{arguments:?}: {stderr}");
        assert_eq!(stdout, "", "{arguments:?}");
        assert!(
            stderr.contains("a file this run reads: refusing to overwrite it"),
            "{arguments:?}: {stderr}"
        );
        assert_eq!(stderr.lines().count(), 1, "{arguments:?}: {stderr}");
        assert_eq!(
            fs::read_to_string(root.join("app/Dockerfile")).expect("read"),
            before
        );
        assert!(fs::read_to_string(root.join("app/.dockerleak.toml"))
            .expect("read")
            .starts_with("fail-level"));
        assert!(fs::read_to_string(root.join("baseline.json"))
            .expect("read")
            .contains("findings"));
    }
}

#[test]
fn concurrent_runs_writing_one_output_leave_one_whole_report() {
    let directory = tempfile::tempdir().expect("tempdir");
    let root = directory.path();
    for index in 0..200 {
        write(&root.join(format!("tree/{index}/Dockerfile")), LEAKY);
    }
    let children: Vec<std::process::Child> = (0..6)
        .map(|_| {
            std::process::Command::new(env!("CARGO_BIN_EXE_dockerleak"))
                .current_dir(root)
                .args(["--format", "json", "--output", "report.json", "tree"])
                .spawn()
                .expect("start dockerleak")
        })
        .collect();
    for mut child in children {
        assert_eq!(child.wait().expect("wait").code(), Some(1));
    }
    let text = fs::read_to_string(root.join("report.json")).expect("the report exists");
    let document: Value = serde_json::from_str(&text).expect("one whole JSON document");
    assert_eq!(document["summary"]["files"], 200);
    let leftovers: Vec<_> = fs::read_dir(root)
        .expect("list")
        .filter_map(Result::ok)
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .filter(|name| name != "tree" && name != "report.json")
        .collect();
    assert!(
        leftovers.is_empty(),
        "no temporary file left: {leftovers:?}"
    );
}

#[test]
fn an_output_through_a_symbolic_link_replaces_the_file_it_names() {
    let directory = tempfile::tempdir().expect("tempdir");
    let root = directory.path();
    write(&root.join("app/Dockerfile"), LEAKY);
    write(&root.join("reports/report.txt"), "old");
    std::os::unix::fs::symlink("reports/report.txt", root.join("latest")).expect("symlink");
    let (code, _, stderr) = run(root, &["--format", "gnu", "--output", "latest", "app"]);
    assert_eq!(code, 1, "{stderr}");
    assert!(fs::symlink_metadata(root.join("latest"))
        .expect("the link")
        .file_type()
        .is_symlink());
    let report = fs::read_to_string(root.join("reports/report.txt")).expect("read");
    assert!(report.contains("[DLK001]"), "{report}");
}

// ---- 13: many .dockerignore patterns over a large context ----

#[test]
fn ten_thousand_dockerignore_patterns_over_a_large_context_finish_and_still_decide() {
    let directory = tempfile::tempdir().expect("tempdir");
    let root = directory.path();
    write(&root.join("Dockerfile"), "FROM alpine\nCOPY . /app\n");
    let mut patterns: String = (0..10_000)
        .map(|index| format!("pattern-{index}/**/*.tmp\n"))
        .collect();
    // The last matching pattern decides: `.env` files are excluded except
    // the one the exception lets back in.
    patterns.push_str("**/.env\n!directory-7/.env\n");
    write(&root.join(".dockerignore"), &patterns);
    for directory_index in 0..20 {
        let path = root.join(format!("directory-{directory_index}"));
        fs::create_dir_all(&path).expect("create");
        for entry in 0..500 {
            fs::write(path.join(format!("file-{entry}.txt")), "").expect("write");
        }
        fs::write(path.join(".env"), "").expect("write");
    }
    let (code, stdout, stderr) = run(root, &["--format", "json", "Dockerfile"]);
    assert_eq!(code, 1, "{stderr}");
    let document: Value = serde_json::from_str(&stdout).expect("JSON");
    let findings = document["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|finding| finding["code"] == "DLK010")
        .map(|finding| finding["message"].as_str().unwrap_or("").to_string())
        .collect::<Vec<_>>();
    assert_eq!(findings.len(), 1, "{findings:?}");
    assert!(findings[0].contains("directory-7/.env"), "{findings:?}");
}

// ---- 10: nesting the shell parser is exponential in ----

#[test]
fn nested_case_if_and_braces_in_run_do_not_hang_the_shell_parser() {
    let directory = tempfile::tempdir().expect("tempdir");
    let root = directory.path();
    let scripts = [
        "case a in a) ".repeat(24),
        "if a; then ".repeat(30),
        "{ ".repeat(40),
        "while a; do ".repeat(30),
    ];
    for script in scripts {
        let text = format!("FROM alpine\nRUN {script} echo done\n");
        write(&root.join("Dockerfile"), &text);
        let (code, stdout, stderr) = run(root, &["--format", "json", "Dockerfile"]);
        assert_eq!(code, 0, "{script}: {stderr}");
        let document: Value = serde_json::from_str(&stdout).expect("JSON");
        assert_eq!(document["summary"]["files"], 1, "{script}");
    }
}

// ---- 11: pretty output of many findings ----

#[test]
fn pretty_output_of_many_findings_keeps_line_numbers_and_masks() {
    let directory = tempfile::tempdir().expect("tempdir");
    let root = directory.path();
    let line = "RUN echo ghp_abcdefghijklmnopqrstuvwxyz0123456789 > /tmp/token\n";
    let mut text = String::from("FROM alpine\n");
    // 16,000 lines (1 MB): just under the default size limit (1 MiB).
    for _ in 0..16_000 {
        text.push_str(line);
    }
    write(&root.join("Dockerfile"), &text);
    for color in ["never", "always"] {
        let (code, stdout, stderr) = run(
            root,
            &["--format", "pretty", "--color", color, "Dockerfile"],
        );
        assert_eq!(code, 1, "{stderr}");
        assert!(!stdout.contains("abcdefghijklmnop"), "the token is masked");
        assert!(stdout.contains("16000 findings"), "{color}");
        if color == "never" {
            // The last finding is shown at its own line, with the line above.
            assert!(stdout.contains("Dockerfile:16001:10"), "{stdout:.2000}");
            assert!(stdout.contains("16000 │"));
            assert!(stdout.contains("16001 │"));
        }
    }
}

// ---- 12: shapes that used to take hundreds of times their size ----

#[test]
fn huge_runs_of_words_pipes_and_semicolons_are_checked_within_budget() {
    let directory = tempfile::tempdir().expect("tempdir");
    let root = directory.path();
    // bench/hostile.sh runs the 9 MB versions and reports peak memory.
    let shapes = [
        format!("RUN echo{}", " ab".repeat(1_000_000)),
        format!("RUN a{}", "|a".repeat(1_500_000)),
        format!("RUN a{}", ";a".repeat(1_500_000)),
    ];
    for shape in &shapes {
        // A secret past the splitter's budget is still found: token rules
        // read the instruction text, not the shell view.
        let text = format!("FROM alpine\n{shape} ghp_abcdefghijklmnopqrstuvwxyz0123456789\n");
        write(&root.join("Dockerfile"), &text);
        // Each shape is 3 to 4.5 MB: over the default size limit (1 MiB).
        let (code, stdout, stderr) = run(
            root,
            &["--format", "json", "--max-file-size", "10MiB", "Dockerfile"],
        );
        assert_eq!(code, 1, "{stderr}");
        let document: Value = serde_json::from_str(&stdout).expect("JSON");
        assert!(
            document["findings"]
                .as_array()
                .expect("findings")
                .iter()
                .any(|finding| finding["code"] == "DLK005"),
            "{}",
            &stdout[..stdout.len().min(2000)]
        );
    }
}
