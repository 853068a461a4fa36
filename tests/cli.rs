//! The command line's contracts, tested by running the binary: exit codes
//! and `--fail-level`, the JSON shape, stdin, discovery (names, ignore
//! files, `--include`, explicit files, order, duplicates), usage errors,
//! `--output` and colours.

use assert_cmd::Command;
use serde_json::Value;
use std::collections::BTreeSet;
use std::fs;
use std::path::Path;

mod common;
use common::{dockerleak, write};

const CLEAN: &str = "FROM alpine:3.20\nRUN echo ok\n";
/// A made-up value, never a real credential.
const FAKE_SECRET: &str = "FAKEfakeFAKEfakeFAKEfakeFAKEfake01234567";

/// Runs with `--format json` and returns (exit code, document, stderr).
fn run_json(command: &mut Command) -> (i32, Value, String) {
    let output = command
        .arg("--format")
        .arg("json")
        .output()
        .expect("run dockerleak");
    let document: Value = serde_json::from_slice(&output.stdout).unwrap_or_else(|error| {
        panic!(
            "stdout is not JSON ({error}): {}\nstderr: {}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    });
    let code = output.status.code().expect("dockerleak exited normally");
    (
        code,
        document,
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// Paths named in the JSON errors list, relative to `root` when under it.
fn error_paths(document: &Value, root: &Path) -> Vec<String> {
    let prefix = format!("{}/", root.display());
    document["errors"]
        .as_array()
        .expect("errors is an array")
        .iter()
        .map(|error| {
            let path = error["path"].as_str().expect("error path is a string");
            path.strip_prefix(&prefix).unwrap_or(path).to_string()
        })
        .collect()
}

#[test]
fn a_clean_file_exits_0_with_a_summary() {
    dockerleak()
        .arg("examples/clean/Dockerfile")
        .assert()
        .code(0)
        .stdout("1 file checked, 0 findings, 0 file errors\n")
        .stderr("");
}

#[test]
fn check_is_the_default_subcommand() {
    let with = dockerleak()
        .args(["check", "examples/clean"])
        .output()
        .expect("run");
    let without = dockerleak().arg("examples/clean").output().expect("run");
    assert_eq!(with.stdout, without.stdout);
    assert_eq!(with.status.code(), Some(0));
    assert_eq!(without.status.code(), Some(0));
}

#[test]
fn the_leaky_example_fails_and_fail_level_decides_the_exit_code() {
    let (code, document, _) =
        run_json(dockerleak().args(["--fail-level", "never", "examples/leaky"]));
    assert_eq!(code, 0, "--fail-level never exits 0 whatever the findings");
    let severities: BTreeSet<String> = document["findings"]
        .as_array()
        .expect("findings is an array")
        .iter()
        .map(|finding| finding["severity"].as_str().expect("severity").to_string())
        .collect();
    assert!(!severities.is_empty(), "the leaky example has findings");
    let rank = |severity: &str| {
        ["note", "warning", "error"]
            .iter()
            .position(|name| *name == severity)
    };
    let worst = severities
        .iter()
        .filter_map(|severity| rank(severity))
        .max()
        .expect("known severities");
    for (level, level_rank) in [("note", 0), ("warning", 1), ("error", 2)] {
        let expected = if worst >= level_rank { 1 } else { 0 };
        dockerleak()
            .args(["--fail-level", level, "examples/leaky"])
            .assert()
            .code(expected);
    }
    // The default level is warning.
    dockerleak()
        .arg("examples/leaky")
        .assert()
        .code(if worst >= 1 { 1 } else { 0 });
}

#[test]
fn json_output_follows_the_contract() {
    let (code, document, _) = run_json(dockerleak().args(["examples/leaky", "examples/clean"]));
    assert_eq!(code, 1);
    let keys = |value: &Value| -> BTreeSet<String> {
        value
            .as_object()
            .expect("an object")
            .keys()
            .cloned()
            .collect()
    };
    assert_eq!(
        keys(&document),
        ["errors", "findings", "summary", "version"]
            .map(String::from)
            .into()
    );
    assert_eq!(document["version"], 1);
    assert_eq!(
        keys(&document["summary"]),
        ["errors", "files", "findings"].map(String::from).into()
    );
    assert_eq!(document["summary"]["files"], 2);
    let findings = document["findings"]
        .as_array()
        .expect("findings is an array");
    assert_eq!(
        document["summary"]["findings"].as_u64(),
        Some(findings.len() as u64)
    );
    let contract = [
        "code",
        "name",
        "severity",
        "path",
        "line",
        "column",
        "end_line",
        "end_column",
        "message",
        "help",
        "stage",
        "fingerprint",
    ];
    let mut previous: Option<(u64, u64)> = None;
    for finding in findings {
        let finding_keys = keys(finding);
        for key in contract {
            assert!(finding_keys.contains(key), "{key} missing from {finding}");
        }
        assert_eq!(finding["path"], "examples/leaky/Dockerfile");
        assert!(finding["code"]
            .as_str()
            .is_some_and(|code| code.starts_with("DLK")));
        let line = finding["line"].as_u64().expect("line is a number");
        let column = finding["column"].as_u64().expect("column is a number");
        assert!(line >= 1 && column >= 1, "1-based: {finding}");
        let end = (
            finding["end_line"].as_u64().expect("end_line"),
            finding["end_column"].as_u64().expect("end_column"),
        );
        assert!(end >= (line, column), "end after start: {finding}");
        if let Some(previous) = previous {
            assert!(
                previous <= (line, column),
                "findings are sorted by line and column"
            );
        }
        previous = Some((line, column));
    }
}

#[test]
fn no_output_format_shows_the_fake_secret() {
    use clap::ValueEnum;
    // Every format clap accepts, so a new format is covered the day it
    // is added; and a baseline, which is an output too.
    let root = tempfile::tempdir().expect("tempdir");
    let baseline = root.path().join("baseline.json");
    for format in dockerleak::report::Format::value_variants() {
        let name = format
            .to_possible_value()
            .expect("every format has a name")
            .get_name()
            .to_string();
        let report = root.path().join(format!("report.{name}"));
        let output = dockerleak()
            .args(["--format", &name, "--color", "always", "examples/leaky"])
            .output()
            .expect("run");
        dockerleak()
            .args(["--format", &name, "--output"])
            .arg(&report)
            .arg("--write-baseline")
            .arg(&baseline)
            .arg("examples/leaky")
            .assert()
            .code(0);
        let written = fs::read_to_string(&report).expect("report written");
        let recorded = fs::read_to_string(&baseline).expect("baseline written");
        for (what, text) in [
            (
                "stdout",
                String::from_utf8_lossy(&output.stdout).into_owned(),
            ),
            (
                "stderr",
                String::from_utf8_lossy(&output.stderr).into_owned(),
            ),
            ("--output file", written),
            ("baseline", recorded),
        ] {
            assert!(
                !text.contains(FAKE_SECRET) && !text.contains(&FAKE_SECRET[..12]),
                "{name} {what} shows the secret:\n{text}"
            );
        }
    }
}

#[test]
fn pretty_output_of_a_small_file() {
    let output = dockerleak()
        .args([
            "--color",
            "never",
            "--stdin-filename",
            "app/Dockerfile",
            "-",
        ])
        .write_stdin("FROM alpine:3.20\nWORKDIR /app\nCOPY .netrc /root/.netrc\nRUN make\n")
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(1));
    insta::assert_snapshot!("pretty_small_file", String::from_utf8_lossy(&output.stdout));
}

#[test]
fn pretty_output_of_a_parse_error() {
    let output = dockerleak()
        .args([
            "--color",
            "never",
            "--stdin-filename",
            "app/Dockerfile",
            "-",
        ])
        .write_stdin("FROM alpine:3.20\nRUN <<EOF\necho never closed\n")
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(2));
    insta::assert_snapshot!(
        "pretty_parse_error",
        String::from_utf8_lossy(&output.stdout)
    );
    // Printed once: the report shows it, stderr does not repeat it.
    assert_eq!(String::from_utf8_lossy(&output.stderr), "");
}

#[test]
fn file_errors_go_to_stderr_only_when_no_log_report_goes_to_stdout() {
    let stdin = "FROM alpine:3.20\nRUN <<EOF\necho never closed\n";
    let expected = "dockerleak: error: app/Dockerfile: line 2: unterminated heredoc\n";
    let root = tempfile::tempdir().expect("tempdir");
    let sarif = root.path().join("report.sarif");
    for arguments in [
        vec!["--format".to_string(), "json".to_string()],
        vec!["--format".into(), format!("sarif={}", sarif.display())],
        vec!["--output".into(), sarif.display().to_string()],
    ] {
        let output = dockerleak()
            .args(&arguments)
            .args(["--no-config", "--stdin-filename", "app/Dockerfile", "-"])
            .write_stdin(stdin)
            .output()
            .expect("run");
        assert_eq!(output.status.code(), Some(2), "{arguments:?}");
        assert_eq!(
            String::from_utf8_lossy(&output.stderr),
            expected,
            "{arguments:?}"
        );
    }
    for format in ["pretty", "gnu", "github"] {
        let output = dockerleak()
            .args(["--format", format, "--format"])
            .arg(format!("sarif={}", sarif.display()))
            .args(["--no-config", "--stdin-filename", "app/Dockerfile", "-"])
            .write_stdin(stdin)
            .output()
            .expect("run");
        assert_eq!(output.status.code(), Some(2), "{format}");
        assert_eq!(String::from_utf8_lossy(&output.stderr), "", "{format}");
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert_eq!(
            stdout.matches("unterminated heredoc").count(),
            1,
            "{format}: {stdout}"
        );
    }
}

#[test]
fn stdin_is_read_with_its_name() {
    let (code, document, _) = run_json(
        dockerleak()
            .args(["--stdin-filename", "services/api/Dockerfile", "-"])
            .write_stdin("FROM alpine\nCOPY .netrc /root/.netrc\n"),
    );
    assert_eq!(code, 1);
    assert_eq!(document["findings"][0]["path"], "services/api/Dockerfile");
    assert_eq!(document["summary"]["files"], 1);

    // With --stdin-filename and no path at all, stdin is read too.
    dockerleak()
        .args(["--stdin-filename", "Dockerfile"])
        .write_stdin(CLEAN)
        .assert()
        .code(0)
        .stdout("1 file checked, 0 findings, 0 file errors\n");

    // Without a name, stdin is `<stdin>`.
    let (code, document, _) = run_json(dockerleak().arg("-").write_stdin(""));
    assert_eq!(code, 2);
    assert_eq!(document["errors"][0]["path"], "<stdin>");
}

#[test]
fn discovery_matches_dockerfile_names_only() {
    let root = tempfile::tempdir().expect("tempdir");
    let matched = [
        "Dockerfile",
        "lower/dockerfile",
        "upper/DOCKERFILE",
        "api.Dockerfile",
        "web.dockerfile",
        "Dockerfile.dev",
        "Containerfile",
        "Containerfile.prod",
        "db.containerfile",
        ".hidden/Dockerfile",
    ];
    let not_matched = [
        "README.md",
        "Dockerfile.dockerignore",
        ".dockerignore",
        "Dockerfiles",
        "MyDockerfile",
        // (`docker-compose.yml` is a build definition: tests/build_definitions.rs.)
        "docker-compose.txt",
        ".git/Dockerfile",
    ];
    // Empty files are errors, so every checked file names itself in the
    // error list.
    for name in matched.iter().chain(&not_matched) {
        write(&root.path().join(name), "");
    }
    let (code, document, _) = run_json(dockerleak().arg(root.path()));
    assert_eq!(code, 2);
    let mut expected: Vec<String> = matched.iter().map(|name| name.to_string()).collect();
    expected.sort_by(|left, right| Path::new(left).cmp(Path::new(right)));
    assert_eq!(error_paths(&document, root.path()), expected);
    assert_eq!(
        document["summary"]["files"].as_u64(),
        Some(matched.len() as u64)
    );
}

#[test]
fn gitignore_is_honoured_and_no_ignore_turns_it_off() {
    let root = tempfile::tempdir().expect("tempdir");
    write(
        &root.path().join(".gitignore"),
        "vendor/\n*.generated.Dockerfile\n",
    );
    write(&root.path().join(".ignore"), "third_party/\n");
    write(&root.path().join("Dockerfile"), "");
    write(&root.path().join("vendor/Dockerfile"), "");
    write(&root.path().join("third_party/Dockerfile"), "");
    write(&root.path().join("app.generated.Dockerfile"), "");

    let (_, document, _) = run_json(dockerleak().arg(root.path()));
    assert_eq!(error_paths(&document, root.path()), ["Dockerfile"]);

    let (_, document, _) = run_json(dockerleak().arg("--no-ignore").arg(root.path()));
    assert_eq!(
        error_paths(&document, root.path()),
        [
            "Dockerfile",
            "app.generated.Dockerfile",
            "third_party/Dockerfile",
            "vendor/Dockerfile",
        ]
    );
}

#[test]
fn include_adds_file_name_patterns() {
    let root = tempfile::tempdir().expect("tempdir");
    write(&root.path().join("Dockerfile"), "");
    write(&root.path().join("build/web.docker"), "");
    write(&root.path().join("build/Buildfile"), "");
    write(&root.path().join("build/notes.txt"), "");
    let (_, document, _) = run_json(
        dockerleak()
            .args(["--include", "*.docker", "--include", "Buildfile"])
            .arg(root.path()),
    );
    assert_eq!(
        error_paths(&document, root.path()),
        ["Dockerfile", "build/Buildfile", "build/web.docker"]
    );
    dockerleak()
        .args(["--include", "[unclosed", "examples/clean"])
        .assert()
        .code(2);
}

#[test]
fn a_file_named_explicitly_is_always_checked() {
    let root = tempfile::tempdir().expect("tempdir");
    write(&root.path().join(".gitignore"), "ignored.txt\n");
    write(&root.path().join("build.txt"), CLEAN);
    write(&root.path().join("ignored.txt"), "");
    let (code, document, _) = run_json(
        dockerleak()
            .current_dir(root.path())
            .args(["build.txt", "ignored.txt"]),
    );
    assert_eq!(code, 2);
    assert_eq!(document["summary"]["files"], 2);
    assert_eq!(error_paths(&document, root.path()), ["ignored.txt"]);
}

#[test]
fn output_is_sorted_by_path_and_deterministic() {
    let root = tempfile::tempdir().expect("tempdir");
    for name in [
        "z/Dockerfile",
        "a/b/Dockerfile",
        "a/Dockerfile",
        "a.Dockerfile",
        "m/Dockerfile",
    ] {
        write(&root.path().join(name), "");
    }
    let first = dockerleak()
        .args(["--format", "json"])
        .arg(root.path())
        .output()
        .expect("run");
    for _ in 0..3 {
        let again = dockerleak()
            .args(["--format", "json"])
            .arg(root.path())
            .output()
            .expect("run");
        assert_eq!(first.stdout, again.stdout);
        assert_eq!(first.stderr, again.stderr);
    }
    let document: Value = serde_json::from_slice(&first.stdout).expect("JSON");
    assert_eq!(
        error_paths(&document, root.path()),
        [
            "a/Dockerfile",
            "a/b/Dockerfile",
            "a.Dockerfile",
            "m/Dockerfile",
            "z/Dockerfile"
        ]
    );
}

#[test]
fn a_file_reached_twice_is_checked_once() {
    let root = tempfile::tempdir().expect("tempdir");
    write(&root.path().join("app/Dockerfile"), "");
    let (_, document, _) = run_json(dockerleak().current_dir(root.path()).args([
        "app/Dockerfile",
        "app",
        "./app/Dockerfile",
        "app/Dockerfile",
    ]));
    assert_eq!(document["summary"]["files"], 1);
    assert_eq!(error_paths(&document, root.path()), ["app/Dockerfile"]);
}

#[test]
fn usage_errors_exit_2() {
    dockerleak()
        .args(["--format", "xml", "examples/clean"])
        .assert()
        .code(2)
        .stdout("")
        .stderr(predicates::str::contains("invalid value 'xml'"));
    dockerleak()
        .args(["--fail-level", "fatal", "examples/clean"])
        .assert()
        .code(2);
    dockerleak()
        .args(["--color", "sometimes", "examples/clean"])
        .assert()
        .code(2);
    dockerleak()
        .args(["--max-file-size", "12 parsecs", "examples/clean"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("unknown unit"));
    dockerleak()
        .args(["--no-such-flag", "examples/clean"])
        .assert()
        .code(2);
    dockerleak()
        .args(["--context", "does/not/exist", "examples/clean"])
        .assert()
        .code(2)
        .stderr("dockerleak: error: does/not/exist: --context is not a directory\n");
}

#[test]
fn help_and_version_exit_0() {
    dockerleak()
        .arg("--help")
        .assert()
        .code(0)
        .stdout(predicates::str::contains("Exit codes"));
    dockerleak()
        .arg("--version")
        .assert()
        .code(0)
        .stdout(predicates::str::starts_with("dockerleak "));
}

#[test]
fn output_writes_the_report_to_a_file() {
    let root = tempfile::tempdir().expect("tempdir");
    let report = root.path().join("report.json");
    dockerleak()
        .args(["--format", "json", "--output"])
        .arg(&report)
        .arg("examples/clean")
        .assert()
        .code(0)
        .stdout("");
    let document: Value =
        serde_json::from_str(&fs::read_to_string(&report).expect("report written")).expect("JSON");
    assert_eq!(document["summary"]["files"], 1);

    dockerleak()
        .args(["--output", "no/such/dir/report.txt", "examples/clean"])
        .assert()
        .code(2)
        .stderr(predicates::str::starts_with(
            "dockerleak: error: no/such/dir/report.txt: cannot write the report:",
        ));
}

#[test]
fn colour_only_when_asked_or_on_a_terminal() {
    let escape = |arguments: &[&str], no_color: Option<&str>| {
        let mut command = dockerleak();
        command
            .args(arguments)
            .args(["--stdin-filename", "Dockerfile", "-"])
            .write_stdin("FROM alpine\nCOPY .netrc /root/.netrc\n");
        if let Some(value) = no_color {
            command.env("NO_COLOR", value);
        }
        let output = command.output().expect("run");
        output.stdout.contains(&0x1b)
    };
    assert!(escape(&["--color", "always"], None));
    assert!(
        escape(&["--color", "always"], Some("1")),
        "--color always beats NO_COLOR"
    );
    assert!(!escape(&["--color", "never"], None));
    assert!(!escape(&[], None), "auto: stdout is not a terminal here");
}

#[test]
fn rules_and_explain_print_the_registry() {
    dockerleak()
        .arg("rules")
        .assert()
        .code(0)
        .stdout(predicates::str::contains("DLK001"));
    dockerleak()
        .args(["explain", "DLK001"])
        .assert()
        .code(0)
        .stdout(predicates::str::starts_with("# DLK001"));
    dockerleak()
        .args(["explain", "DLK999"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("DLK999"));
}

#[test]
fn no_path_checks_the_current_directory() {
    let root = tempfile::tempdir().expect("tempdir");
    write(&root.path().join("Dockerfile"), "");
    write(&root.path().join("web/Dockerfile"), CLEAN);
    let (code, document, stderr) = run_json(dockerleak().current_dir(root.path()));
    assert_eq!(code, 2);
    assert_eq!(document["summary"]["files"], 2);
    assert_eq!(error_paths(&document, root.path()), ["Dockerfile"]);
    assert_eq!(
        stderr,
        "dockerleak: error: Dockerfile: line 1: file with no instructions\n"
    );
}
