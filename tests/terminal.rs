//! The terminal (issue 16): pretty output fits `COLUMNS`, fix commands are
//! never broken across lines, a shared snippet is shown once, colour
//! follows `FORCE_COLOR` and `NO_COLOR`, `--quiet`, `--statistics`,
//! `rules --format json`, and `explain` without a code. Each runs the
//! binary.

use serde_json::Value;
use std::fs;

mod common;
use common::{dockerleak, dockerleak_in};

/// The pretty output of `examples/` at `columns`.
fn pretty(columns: &str) -> String {
    let output = dockerleak()
        .env("COLUMNS", columns)
        .args(["--no-config", "--color", "never", "examples/"])
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(1));
    String::from_utf8(output.stdout).expect("UTF-8")
}

/// The code spans with a space in them (commands) of every help text.
fn help_commands() -> Vec<String> {
    let output = dockerleak()
        .args(["--no-config", "--format", "json", "examples/"])
        .output()
        .expect("run");
    let document: Value = serde_json::from_slice(&output.stdout).expect("JSON");
    let mut commands = Vec::new();
    for finding in document["findings"].as_array().expect("findings") {
        let help = finding["help"].as_str().expect("help");
        for (index, piece) in help.split('`').enumerate() {
            if index % 2 == 1 && piece.contains(' ') {
                commands.push(piece.to_string());
            }
        }
    }
    assert!(commands.len() >= 6, "{commands:?}");
    commands
}

#[test]
fn pretty_text_fits_columns_and_commands_stay_whole_on_their_own_lines() {
    let commands = help_commands();
    for columns in ["50", "80", "120"] {
        let width: usize = columns.parse().expect("a number");
        let text = pretty(columns);
        for line in text.lines() {
            let trimmed = line.trim();
            let is_command = commands.iter().any(|command| trimmed == command);
            // Source lines are shown as they are; headers and help wrap.
            let wraps = line.starts_with("  ×")
                || line.starts_with("  ⚠")
                || line.starts_with("  │")
                || line.starts_with("  help:");
            if wraps && !is_command {
                assert!(line.chars().count() <= width, "{columns}: {line:?}");
            }
        }
        for command in &commands {
            assert!(
                text.lines().any(|line| line.trim() == command),
                "{columns}: `{command}` is not whole on a line of its own:\n{text}"
            );
        }
    }
    let wide = pretty("300");
    assert!(
        wide.lines().any(|line| line
            .starts_with("  ⚠ warning[DLK001 secret-file-copied]: COPY puts `.netrc`")
            && line.ends_with("kept in the build cache)")),
        "one line at 300 columns:\n{wide}"
    );
}

#[test]
fn two_findings_on_one_span_show_the_snippet_once() {
    let text = pretty("100");
    let snippet_lines = text
        .lines()
        .filter(|line| line.contains("│ ENV AWS_SECRET_ACCESS_KEY="))
        .count();
    assert_eq!(snippet_lines, 1, "{text}");
    assert!(text.contains("warning[DLK004 secret-in-env]"), "{text}");
    assert!(text.contains("error[DLK005 hardcoded-secret]"), "{text}");
    assert!(
        text.contains("at examples/leaky/Dockerfile:15:27, the place shown above"),
        "{text}"
    );
}

#[test]
fn colour_follows_force_color_and_no_color() {
    let run = |variables: &[(&str, &str)], arguments: &[&str]| {
        let mut command = dockerleak();
        for (name, value) in variables {
            command.env(name, value);
        }
        let output = command
            .args(["--no-config"])
            .args(arguments)
            .arg("examples/leaky")
            .output()
            .expect("run");
        String::from_utf8_lossy(&output.stdout).contains('\u{1b}')
    };
    assert!(!run(&[], &[]), "no colour into a pipe");
    assert!(run(&[("FORCE_COLOR", "1")], &[]), "FORCE_COLOR forces it");
    assert!(!run(&[("FORCE_COLOR", "0")], &[]));
    assert!(!run(&[("FORCE_COLOR", "")], &[]));
    assert!(
        !run(&[("FORCE_COLOR", "1"), ("NO_COLOR", "1")], &[]),
        "NO_COLOR wins"
    );
    assert!(!run(&[("FORCE_COLOR", "1")], &["--color", "never"]));
    assert!(run(&[("NO_COLOR", "1")], &["--color", "always"]));
}

#[test]
fn quiet_prints_the_findings_only() {
    let output = dockerleak()
        .args([
            "--no-config",
            "--quiet",
            "--color",
            "never",
            "examples/",
            "docs/rules",
        ])
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("[DLK001 secret-file-copied]"), "{stdout}");
    assert!(!stdout.contains("files checked"), "{stdout}");
    assert_eq!(
        String::from_utf8_lossy(&output.stderr),
        "",
        "no warning either"
    );
}

#[test]
fn statistics_count_findings_per_rule() {
    let root = tempfile::tempdir().expect("tempdir");
    let sarif = root.path().join("report.sarif");
    let output = dockerleak()
        .args(["--no-config", "--statistics", "--format"])
        .arg(format!("sarif={}", sarif.display()))
        .args(["--format", "pretty", "examples/"])
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&output.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 7, "six rules and the summary:\n{stdout}");
    assert_eq!(lines[0], "    1  DLK001  secret-file-copied");
    assert!(
        lines[6].starts_with("2 files checked, 6 findings"),
        "{stdout}"
    );
    assert!(
        fs::metadata(&sarif).is_ok_and(|metadata| metadata.len() > 0),
        "SARIF still written"
    );
}

#[test]
fn rules_print_as_json_and_explain_without_a_code_lists_them() {
    let output = dockerleak()
        .args(["rules", "--format", "json"])
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(0));
    let rules: Value = serde_json::from_slice(&output.stdout).expect("JSON");
    let rules = rules.as_array().expect("an array");
    assert_eq!(rules.len(), dockerleak::rules::registry().len());
    assert_eq!(rules[1]["code"], "DLK001");
    assert_eq!(rules[1]["name"], "secret-file-copied");
    assert_eq!(rules[1]["severity"], "error");
    assert!(rules[1]["help_uri"]
        .as_str()
        .is_some_and(|uri| uri.ends_with("docs/rules/DLK001.md")));
    assert!(rules[1]["summary"].is_string());

    let directory = tempfile::tempdir().expect("tempdir");
    let output = dockerleak_in(directory.path())
        .arg("explain")
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(0));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout
            .lines()
            .any(|line| line.starts_with("DLK001  secret-file-copied")),
        "{stdout}"
    );
    assert!(String::from_utf8_lossy(&output.stderr).contains("dockerleak explain CODE"));
}
