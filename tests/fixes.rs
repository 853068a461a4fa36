//! Fixes (`--fix`, `--unsafe-fixes`, `--diff`, `--fix-only`): each
//! rewrite's before/after on the fixtures of `tests/fixtures/fixes/`
//! (snapshotted), the fixed file re-linted, idempotence, and the CLI's
//! contracts (what is written, where, with which exit code).

use dockerleak::fix::{fix_source, Applicability};
use dockerleak::{lint_source, Config};
use std::fs;
use std::path::{Path, PathBuf};

mod common;
use common::dockerleak_in;

fn fixtures() -> Vec<PathBuf> {
    let folder = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/fixes");
    let mut files: Vec<PathBuf> = fs::read_dir(&folder)
        .expect("tests/fixtures/fixes is readable")
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .filter(|path| {
            path.extension()
                .is_some_and(|extension| extension == "Dockerfile")
        })
        .collect();
    files.sort();
    files
}

/// What a snapshot shows: the fixes applied, the build notes, the text
/// after (line ends shown, so CRLF is visible).
fn describe(name: &str, text: &str) -> (String, dockerleak::fix::FixOutcome) {
    let outcome = fix_source(name, name, text, &Config::default(), true);
    let mut shown = String::new();
    for applied in &outcome.applied {
        shown.push_str(&format!("fixed {}: {}\n", applied.code, applied.message));
        if let Some(note) = &applied.build_note {
            shown.push_str(&format!("  build with: {note}\n"));
        }
    }
    let report = lint_source(name, text, &Config::default());
    for finding in &report.findings {
        if let Some(fix) = finding.fix.as_ref().filter(|fix| !fix.applies(true)) {
            shown.push_str(&format!(
                "not applied {} ({}): {}\n",
                finding.code, fix.applicability, fix.message
            ));
        }
    }
    shown.push_str("---\n");
    shown.push_str(&outcome.text.replace('\r', "\\r"));
    (shown, outcome)
}

#[test]
fn every_rewrite_fixture_fixes_as_snapshotted_and_relints_clean() {
    let files = fixtures();
    assert!(files.len() >= 10, "the rewrite fixtures are there");
    for file in files {
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        let text = fs::read_to_string(&file).expect("fixture is readable");
        let (shown, outcome) = describe(&name, &text);
        insta::assert_snapshot!(format!("fix@{name}"), shown);
        let after = lint_source(&name, &outcome.text, &Config::default());
        assert!(after.errors.is_empty(), "{name}: the fixed file parses");
        for applied in &outcome.applied {
            let left: Vec<_> = after
                .findings
                .iter()
                .filter(|finding| finding.code == applied.code)
                .filter(|finding| finding.fix.as_ref().is_some_and(|fix| fix.applies(true)))
                .collect();
            assert!(
                left.is_empty(),
                "{name}: {} is still reported with a fix after fixing: {:?}",
                applied.code,
                left.iter()
                    .map(|finding| &finding.message)
                    .collect::<Vec<_>>()
            );
        }
        let again = fix_source(&name, &name, &outcome.text, &Config::default(), true);
        assert_eq!(
            again.text, outcome.text,
            "{name}: fixing twice changes nothing"
        );
        if name.starts_with("literal-")
            || name.contains("exec-form")
            || name.contains("run-time")
            || name.contains("by-hand")
        {
            assert_eq!(
                outcome.text, text,
                "{name}: display-only fixes change nothing"
            );
        } else {
            assert!(outcome.changed(), "{name}: the rewrite applies");
        }
    }
}

#[test]
fn safe_fixes_alone_leave_unsafe_rewrites_out() {
    let text = "FROM node:22\nARG NPM_TOKEN\nRUN npm ci --token=$NPM_TOKEN\n";
    let outcome = fix_source("Dockerfile", "Dockerfile", text, &Config::default(), false);
    assert!(!outcome.changed());
    assert_eq!(outcome.text, text);
    let report = lint_source("Dockerfile", text, &Config::default());
    let fix = report
        .findings
        .iter()
        .find(|finding| finding.code == "DLK003")
        .and_then(|finding| finding.fix.as_ref())
        .expect("DLK003 has a fix");
    assert_eq!(fix.applicability, Applicability::Unsafe);
    assert_eq!(
        fix.build_note.as_deref(),
        Some("docker build --secret id=NPM_TOKEN,env=NPM_TOKEN .")
    );
}

#[test]
fn two_args_on_one_run_are_fixed_in_two_passes() {
    let text = "FROM alpine\nARG NPM_TOKEN\nARG GH_TOKEN\nRUN echo $NPM_TOKEN $GH_TOKEN\n";
    let outcome = fix_source("Dockerfile", "Dockerfile", text, &Config::default(), true);
    assert!(
        outcome.passes >= 2,
        "overlapping fixes wait for the next pass"
    );
    assert_eq!(
        outcome.text,
        "# syntax=docker/dockerfile:1\nFROM alpine\nRUN --mount=type=secret,id=GH_TOKEN,env=GH_TOKEN --mount=type=secret,id=NPM_TOKEN,env=NPM_TOKEN echo $NPM_TOKEN $GH_TOKEN\n"
    );
}

#[test]
fn a_fix_never_copies_a_secret_value() {
    // The literal default goes with the ARG; it is never written elsewhere.
    let secret = "ghp_R2bW9cK4mN7pQ1sT6vX8yZ3aB5dE0fG2hJ4k";
    let text = format!("FROM alpine\nARG GITHUB_TOKEN={secret}\nRUN git clone https://$GITHUB_TOKEN@github.com/o/r\n");
    let report = lint_source("Dockerfile", &text, &Config::default());
    for finding in &report.findings {
        if let Some(fix) = &finding.fix {
            assert!(!fix.message.contains(secret));
            assert!(fix
                .build_note
                .as_deref()
                .is_none_or(|note| !note.contains(secret)));
            for edit in &fix.edits {
                assert!(!edit.content.contains(secret), "{}", edit.content);
            }
        }
    }
    let outcome = fix_source("Dockerfile", "Dockerfile", &text, &Config::default(), true);
    assert!(outcome.text.matches(secret).count() <= 1);
}

fn scratch_with(name: &str, text: &str) -> tempfile::TempDir {
    let scratch = tempfile::tempdir().expect("tempdir");
    fs::write(scratch.path().join(name), text).expect("write");
    scratch
}

const LEAKY: &str = "FROM node:22\nARG NPM_TOKEN\nRUN npm ci --token=$NPM_TOKEN\n";

#[test]
fn diff_prints_a_unified_diff_changes_nothing_and_exits_1() {
    let scratch = scratch_with("Dockerfile", LEAKY);
    let output = dockerleak_in(scratch.path())
        .args(["--no-config", "--diff", "--unsafe-fixes", "Dockerfile"])
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains("--- a/Dockerfile\n+++ b/Dockerfile\n"),
        "{stdout}"
    );
    assert!(stdout.contains("-ARG NPM_TOKEN\n"), "{stdout}");
    assert!(stdout.contains("+RUN --mount=type=secret,id=NPM_TOKEN,env=NPM_TOKEN npm ci"));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("build with: docker build --secret id=NPM_TOKEN,env=NPM_TOKEN ."));
    assert_eq!(
        fs::read_to_string(scratch.path().join("Dockerfile")).unwrap(),
        LEAKY
    );
    // Without --unsafe-fixes nothing would apply: exit 0, no diff.
    let output = dockerleak_in(scratch.path())
        .args(["--no-config", "--diff", "Dockerfile"])
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(0));
    assert!(output.stdout.is_empty());
}

#[test]
fn fix_writes_the_file_keeps_its_permissions_and_reports_what_is_left() {
    let scratch = scratch_with("Dockerfile", LEAKY);
    let path = scratch.path().join("Dockerfile");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(&path, fs::Permissions::from_mode(0o640)).unwrap();
    }
    let output = dockerleak_in(scratch.path())
        .args([
            "--no-config",
            "--fix",
            "--unsafe-fixes",
            "--format",
            "json",
            "Dockerfile",
        ])
        .output()
        .expect("run");
    let fixed = fs::read_to_string(&path).unwrap();
    assert_eq!(
        fixed,
        "# syntax=docker/dockerfile:1\nFROM node:22\nRUN --mount=type=secret,id=NPM_TOKEN,env=NPM_TOKEN npm ci --token=$NPM_TOKEN\n"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o640);
    }
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("fixed 1 finding in Dockerfile"), "{stderr}");
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).expect("json");
    // The ARG's findings are gone; the leftover report is of the new text.
    assert!(report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .all(|finding| finding["code"] != "DLK003"));
    // No temporary file is left behind.
    let names: Vec<String> = fs::read_dir(scratch.path())
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, vec!["Dockerfile".to_string()]);
}

#[test]
fn fix_only_applies_and_exits_0_with_findings_left() {
    let text = "FROM alpine\nENV GITHUB_TOKEN=ghp_R2bW9cK4mN7pQ1sT6vX8yZ3aB5dE0fG2hJ4k\nARG NPM_TOKEN\nRUN npm ci --token=$NPM_TOKEN\n";
    let scratch = scratch_with("Dockerfile", text);
    let output = dockerleak_in(scratch.path())
        .args(["--no-config", "--fix-only", "--unsafe-fixes", "Dockerfile"])
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(0));
    assert!(output.stdout.is_empty(), "nothing is reported");
    let fixed = fs::read_to_string(scratch.path().join("Dockerfile")).unwrap();
    assert!(!fixed.contains("ARG NPM_TOKEN"));
    // The literal secret is display-only: still there for a person to rotate.
    assert!(fixed.contains("ENV GITHUB_TOKEN="));
}

#[test]
fn stdin_with_fix_prints_the_fixed_text_on_stdout() {
    let output = dockerleak_in(Path::new(env!("CARGO_MANIFEST_DIR")))
        .args(["--no-config", "--fix", "--unsafe-fixes", "-"])
        .write_stdin(LEAKY)
        .output()
        .expect("run");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(
        stdout,
        "# syntax=docker/dockerfile:1\nFROM node:22\nRUN --mount=type=secret,id=NPM_TOKEN,env=NPM_TOKEN npm ci --token=$NPM_TOKEN\n"
    );
    // A clean text comes back as it is.
    let output = dockerleak_in(Path::new(env!("CARGO_MANIFEST_DIR")))
        .args(["--no-config", "--fix", "-"])
        .write_stdin("FROM alpine\nRUN true\n")
        .output()
        .expect("run");
    assert_eq!(
        String::from_utf8_lossy(&output.stdout),
        "FROM alpine\nRUN true\n"
    );
    assert_eq!(output.status.code(), Some(0));
}

#[test]
fn a_file_with_a_parse_error_is_never_touched() {
    let text = "FROM node:22\nARG NPM_TOKEN\nRUN npm ci --token=$NPM_TOKEN\nENV A\n";
    let scratch = scratch_with("Dockerfile", text);
    let output = dockerleak_in(scratch.path())
        .args(["--no-config", "--fix", "--unsafe-fixes", "Dockerfile"])
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(
        fs::read_to_string(scratch.path().join("Dockerfile")).unwrap(),
        text
    );
}

#[test]
fn dockerignore_fix_creates_or_extends_the_file_keeping_its_line_ends() {
    let scratch = scratch_with("Dockerfile", "FROM alpine\nCOPY . /app\n");
    fs::write(
        scratch.path().join(".netrc"),
        "machine x login y password z\n",
    )
    .unwrap();
    fs::write(
        scratch.path().join(".dockerignore"),
        "node_modules\r\n!.netrc",
    )
    .unwrap();
    let output = dockerleak_in(scratch.path())
        .args(["--no-config", "--fix", "Dockerfile"])
        .output()
        .expect("run");
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(
        fs::read_to_string(scratch.path().join(".dockerignore")).unwrap(),
        "node_modules\r\n!.netrc\r\n.netrc\r\n"
    );
    fs::remove_file(scratch.path().join(".dockerignore")).unwrap();
    let output = dockerleak_in(scratch.path())
        .args(["--no-config", "--fix", "Dockerfile"])
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(
        fs::read_to_string(scratch.path().join(".dockerignore")).unwrap(),
        ".netrc\n"
    );
    assert_eq!(
        fs::read_to_string(scratch.path().join("Dockerfile")).unwrap(),
        "FROM alpine\nCOPY . /app\n"
    );
}

#[test]
fn json_and_sarif_carry_the_fix() {
    let scratch = scratch_with("Dockerfile", LEAKY);
    let output = dockerleak_in(scratch.path())
        .args(["--no-config", "--format", "json", "Dockerfile"])
        .output()
        .expect("run");
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).expect("json");
    let finding = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|finding| finding["code"] == "DLK003")
        .expect("DLK003");
    let fix = &finding["fix"];
    assert_eq!(fix["applicability"], "unsafe");
    assert_eq!(
        fix["build_note"],
        "docker build --secret id=NPM_TOKEN,env=NPM_TOKEN ."
    );
    let edits = fix["edits"].as_array().unwrap();
    assert!(edits
        .iter()
        .any(|edit| edit["line"] == 2 && edit["end_line"] == 3 && edit["content"] == ""));
    assert!(edits.iter().any(|edit| edit["content"]
        == " --mount=type=secret,id=NPM_TOKEN,env=NPM_TOKEN"
        && edit["line"] == 3
        && edit["column"] == 4
        && edit["start"] == edit["end"]));
    let output = dockerleak_in(scratch.path())
        .args(["--no-config", "--format", "sarif", "Dockerfile"])
        .output()
        .expect("run");
    let sarif: serde_json::Value = serde_json::from_slice(&output.stdout).expect("sarif");
    let result = sarif["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|result| result["ruleId"] == "DLK003")
        .expect("DLK003 result");
    let change = &result["fixes"][0]["artifactChanges"][0];
    assert_eq!(
        change["artifactLocation"]["uri"],
        result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    );
    let replacements = change["replacements"].as_array().unwrap();
    assert!(replacements
        .iter()
        .any(|replacement| replacement["insertedContent"]["text"]
            == " --mount=type=secret,id=NPM_TOKEN,env=NPM_TOKEN"));
}

#[test]
fn pretty_output_says_fix_available_and_shows_the_rewritten_lines() {
    let scratch = scratch_with("Dockerfile", LEAKY);
    let output = dockerleak_in(scratch.path())
        .args(["--no-config", "--color", "never", "Dockerfile"])
        .output()
        .expect("run");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains("fix available (unsafe): pass `NPM_TOKEN` as a secret"),
        "{stdout}"
    );
    assert!(stdout.contains("    - ARG NPM_TOKEN\n"), "{stdout}");
    assert!(stdout.contains("    + RUN --mount=type=secret,id=NPM_TOKEN,env=NPM_TOKEN npm ci"));
}

#[test]
fn diffs_never_show_a_secret() {
    let secret = "ghp_R2bW9cK4mN7pQ1sT6vX8yZ3aB5dE0fG2hJ4k";
    let short = "Xy7pQ2";
    let text = format!(
        "FROM alpine\nENV GITHUB_TOKEN={secret}\nARG NPM_TOKEN\nRUN npm ci --token=$NPM_TOKEN && curl https://u:{short}@example.com/x\n"
    );
    let scratch = scratch_with("Dockerfile", &text);
    let output = dockerleak_in(scratch.path())
        .args(["--no-config", "--diff", "--unsafe-fixes", "Dockerfile"])
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains("+RUN --mount=type=secret,id=NPM_TOKEN,env=NPM_TOKEN"),
        "{stdout}"
    );
    assert!(!stdout.contains(secret), "{stdout}");
    assert!(!stdout.contains(short), "{stdout}");
    assert!(!String::from_utf8_lossy(&output.stderr).contains(secret));
}

#[test]
fn fixes_that_would_edit_an_onbuild_trigger_are_display_only() {
    // The rules' rewrites are made for the instruction a trigger becomes;
    // applied to the written `ONBUILD ARG` they used to leave
    // `ONBUILD ONBUILD RUN npm ci`, which BuildKit rejects.
    let downstream = "FROM x AS base\nONBUILD ARG NPM_TOKEN\nONBUILD RUN npm ci\n\nFROM base\n";
    let base_only = "FROM alpine\nONBUILD ARG NPM_TOKEN\nONBUILD RUN npm ci\n";
    for text in [downstream, base_only] {
        let report = lint_source("Dockerfile", text, &Config::default());
        let fixes: Vec<_> = report
            .findings
            .iter()
            .filter_map(|finding| finding.fix.as_ref())
            .collect();
        assert!(
            !fixes.is_empty(),
            "the leak still has a fix to show: {text}"
        );
        for fix in fixes {
            assert_eq!(fix.applicability, Applicability::DisplayOnly, "{text}");
            assert!(fix.message.contains("ONBUILD"), "{}", fix.message);
        }
        let outcome = fix_source("Dockerfile", "Dockerfile", text, &Config::default(), true);
        assert_eq!(outcome.text, text);
    }
    let scratch = scratch_with("Dockerfile", downstream);
    let output = dockerleak_in(scratch.path())
        .args(["--no-config", "--diff", "--unsafe-fixes", "Dockerfile"])
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(0));
    assert!(output.stdout.is_empty(), "no diff");
    // An edit that ends where an ONBUILD starts is still applied: the ARG
    // of the base stage goes, the trigger stays as written.
    let next_to = "FROM x AS base\nARG NPM_TOKEN\nONBUILD RUN echo hi\nRUN npm ci\n";
    let outcome = fix_source(
        "Dockerfile",
        "Dockerfile",
        next_to,
        &Config::default(),
        true,
    );
    assert!(
        outcome.text.contains("\nONBUILD RUN echo hi\n"),
        "{}",
        outcome.text
    );
    assert!(!outcome.text.contains("ARG NPM_TOKEN"), "{}", outcome.text);
    assert!(syntax_ok(&outcome.text), "{}", outcome.text);
}

fn syntax_ok(text: &str) -> bool {
    dockerleak::syntax::parse(text).errors.is_empty()
}

#[test]
fn fix_flags_that_do_nothing_or_contradict_are_usage_errors() {
    let scratch = scratch_with("Dockerfile", LEAKY);
    for (arguments, names) in [
        (
            &["--unsafe-fixes"][..],
            &["--fix", "--diff", "--fix-only"][..],
        ),
        (
            &["check", "--unsafe-fixes"][..],
            &["--fix", "--diff", "--fix-only"][..],
        ),
        (&["--fix", "--diff"][..], &["--fix", "--diff"][..]),
        (
            &["--fix-only", "--diff", "--unsafe-fixes"][..],
            &["--fix-only", "--diff"][..],
        ),
    ] {
        let output = dockerleak_in(scratch.path())
            .arg("--no-config")
            .args(arguments)
            .arg("Dockerfile")
            .output()
            .expect("run");
        assert_eq!(output.status.code(), Some(2), "{arguments:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        for name in names {
            assert!(stderr.contains(name), "{arguments:?}: {stderr}");
        }
        assert!(output.stdout.is_empty(), "{arguments:?}");
        assert_eq!(
            fs::read_to_string(scratch.path().join("Dockerfile")).unwrap(),
            LEAKY,
            "{arguments:?} changed the file"
        );
    }
    // --fix with --fix-only is --fix-only: applied, nothing reported, exit 0.
    let output = dockerleak_in(scratch.path())
        .args([
            "--no-config",
            "--fix",
            "--fix-only",
            "--unsafe-fixes",
            "Dockerfile",
        ])
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(0));
    assert!(output.stdout.is_empty(), "nothing is reported");
    let fixed = fs::read_to_string(scratch.path().join("Dockerfile")).unwrap();
    assert!(!fixed.contains("ARG NPM_TOKEN"), "{fixed}");
}
