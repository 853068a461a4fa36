//! Baselines through the binary: `--write-baseline` records findings by
//! fingerprint (never a secret), `--baseline` reports only new ones, the
//! fingerprints survive unrelated edits, a changed finding is new, and a
//! missing or invalid baseline is a clear error (exit 2).

use assert_cmd::Command;
use serde_json::Value;
use std::fs;
use std::path::Path;

mod common;

/// A made-up value, never a real credential.
const FAKE_SECRET: &str = "FAKEfakeFAKEfake0123456789abcdefFAKE";

fn leaky() -> String {
    format!(
        "FROM node:22 AS build\n\
         ARG NPM_TOKEN\n\
         RUN npm config set //registry.npmjs.org/:_authToken=$NPM_TOKEN && npm ci\n\
         COPY .netrc /root/.netrc\n\
         ENV API_KEY={FAKE_SECRET}\n\
         \n\
         FROM node:22-slim\n\
         COPY --from=build /app /app\n"
    )
}

fn dockerleak(directory: &Path) -> Command {
    let mut command = common::dockerleak_in(directory);
    command.arg("--no-config");
    command
}

/// A directory with `Dockerfile` holding `text`.
fn project(text: &str) -> tempfile::TempDir {
    let root = tempfile::tempdir().expect("tempdir");
    fs::write(root.path().join("Dockerfile"), text).expect("write");
    root
}

fn write_baseline(directory: &Path) -> Value {
    let output = dockerleak(directory)
        .args(["--write-baseline", "baseline.json", "Dockerfile"])
        .output()
        .expect("run");
    assert_eq!(
        output.status.code(),
        Some(0),
        "writing a baseline accepts the findings: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let text = fs::read_to_string(directory.join("baseline.json")).expect("baseline written");
    assert!(
        !text.contains(FAKE_SECRET),
        "the baseline holds a secret:\n{text}"
    );
    assert!(
        !text.contains(&FAKE_SECRET[..12]),
        "the baseline holds a secret:\n{text}"
    );
    serde_json::from_str(&text).expect("the baseline is JSON")
}

/// Runs `--baseline baseline.json --format json` on `Dockerfile`; returns
/// (exit code, codes of the findings reported).
fn check_against_baseline(directory: &Path) -> (i32, Vec<String>) {
    let output = dockerleak(directory)
        .args([
            "--baseline",
            "baseline.json",
            "--format",
            "json",
            "Dockerfile",
        ])
        .output()
        .expect("run");
    let document: Value = serde_json::from_slice(&output.stdout).expect("JSON");
    let codes = document["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|finding| finding["code"].as_str().expect("code").to_string())
        .collect();
    (output.status.code().expect("exit code"), codes)
}

#[test]
fn the_baseline_records_findings_without_secrets() {
    let root = project(&leaky());
    let baseline = write_baseline(root.path());
    assert_eq!(baseline["version"], 1);
    let findings = baseline["findings"].as_array().expect("findings");
    assert!(findings.len() >= 3, "{baseline}");
    for finding in findings {
        let keys: Vec<&str> = finding
            .as_object()
            .expect("an object")
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(keys, ["code", "fingerprint", "message", "path"]);
        assert_eq!(finding["path"], "Dockerfile");
    }
    let (code, reported) = check_against_baseline(root.path());
    assert_eq!((code, reported), (0, Vec::<String>::new()));
}

#[test]
fn unrelated_edits_keep_findings_in_the_baseline() {
    let root = project(&leaky());
    write_baseline(root.path());
    let edited = format!(
        "# syntax=docker/dockerfile:1\n\
         # A comment and blank lines above everything.\n\
         \n\
         FROM node:22 AS build\n\
         LABEL org.opencontainers.image.source=https://example.com/app\n\
         WORKDIR /app\n\
         ENV API_KEY={FAKE_SECRET}\n\
         COPY   .netrc   /root/.netrc\n\
         ARG NPM_TOKEN\n\
         RUN npm config set //registry.npmjs.org/:_authToken=$NPM_TOKEN && npm ci\n\
         RUN echo unrelated\n\
         \n\
         FROM node:22-slim\n\
         COPY --from=build /app /app\n"
    );
    fs::write(root.path().join("Dockerfile"), edited).expect("write");
    let (code, reported) = check_against_baseline(root.path());
    assert_eq!(
        (code, reported),
        (0, Vec::<String>::new()),
        "lines added above, whitespace and reordered instructions keep the fingerprints"
    );
}

#[test]
fn a_new_or_changed_finding_is_reported() {
    let root = project(&leaky());
    write_baseline(root.path());
    // The credential file changes: that finding is new; others stay known.
    let changed = leaky().replace("COPY .netrc /root/.netrc", "COPY .git-credentials /root/");
    fs::write(root.path().join("Dockerfile"), changed).expect("write");
    let (code, reported) = check_against_baseline(root.path());
    assert_eq!((code, reported), (1, vec!["DLK001".to_string()]));
    // A second copy of a known finding is new too: each entry matches once.
    let doubled = leaky().replace(
        "COPY .netrc /root/.netrc\n",
        "COPY .netrc /root/.netrc\nCOPY .netrc /root/.netrc\n",
    );
    fs::write(root.path().join("Dockerfile"), doubled).expect("write");
    let (code, reported) = check_against_baseline(root.path());
    assert_eq!((code, reported), (1, vec!["DLK001".to_string()]));
}

/// The fingerprints of a run in `directory` over `paths` (none: a walk of
/// the directory).
fn fingerprints(directory: &Path, paths: &[&str]) -> Vec<String> {
    let output = dockerleak(directory)
        .args(["--format", "json"])
        .args(paths)
        .output()
        .expect("run");
    let document: Value = serde_json::from_slice(&output.stdout).expect("JSON");
    document["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|finding| {
            finding["fingerprint"]
                .as_str()
                .expect("fingerprint")
                .to_string()
        })
        .collect()
}

/// A project whose leaky Dockerfile is `app/Dockerfile`.
fn project_with_app() -> tempfile::TempDir {
    let root = project(&leaky());
    fs::create_dir_all(root.path().join("app")).expect("mkdir");
    fs::rename(
        root.path().join("Dockerfile"),
        root.path().join("app/Dockerfile"),
    )
    .expect("mv");
    root
}

#[test]
fn the_same_file_named_differently_has_the_same_fingerprints() {
    let root = project_with_app();
    let walked = fingerprints(root.path(), &[]);
    assert!(!walked.is_empty());
    for path in [".", "./app/Dockerfile", "app//Dockerfile", "app"] {
        assert_eq!(fingerprints(root.path(), &[path]), walked, "{path}");
    }
}

/// Fingerprints hash the path relative to the repository root: a baseline
/// written at the root still matches a run started in a subdirectory or
/// given an absolute path.
#[test]
fn fingerprints_do_not_depend_on_where_the_run_starts() {
    let root = project_with_app();
    fs::create_dir_all(root.path().join(".git")).expect("a repository root");
    let at_root = fingerprints(root.path(), &["app/Dockerfile"]);
    assert!(!at_root.is_empty());
    let app = root.path().join("app");
    assert_eq!(fingerprints(&app, &["Dockerfile"]), at_root);
    assert_eq!(fingerprints(&app, &["../app/Dockerfile"]), at_root);
    let absolute = app.join("Dockerfile");
    let absolute = absolute.to_str().expect("UTF-8 path");
    assert_eq!(fingerprints(Path::new("/"), &[absolute]), at_root);
}

#[test]
fn a_missing_or_invalid_baseline_is_a_clear_error() {
    let root = project(&leaky());
    dockerleak(root.path())
        .args(["--baseline", "nope.json", "Dockerfile"])
        .assert()
        .code(2)
        .stdout("")
        .stderr(
            "dockerleak: error: nope.json: cannot read the baseline: No such file or directory\n",
        );
    fs::write(
        root.path().join("bad.json"),
        "{\"version\": 1, \"findings\": [}",
    )
    .expect("write");
    dockerleak(root.path())
        .args(["--baseline", "bad.json", "Dockerfile"])
        .assert()
        .code(2)
        .stdout("")
        .stderr(predicates::str::starts_with(
            "dockerleak: error: bad.json: not a dockerleak baseline: ",
        ))
        .stderr(predicates::str::contains("line 1 column"));
    fs::write(
        root.path().join("future.json"),
        "{\"version\": 9, \"findings\": []}",
    )
    .expect("write");
    dockerleak(root.path())
        .args(["--baseline", "future.json", "Dockerfile"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("version 9 is not supported"));
}

#[test]
fn writing_a_baseline_to_a_bad_place_fails() {
    let root = project(&leaky());
    dockerleak(root.path())
        .args([
            "--write-baseline",
            "no/such/dir/baseline.json",
            "Dockerfile",
        ])
        .assert()
        .code(2)
        .stderr(predicates::str::starts_with(
            "dockerleak: error: no/such/dir/baseline.json: cannot write the baseline:",
        ));
}
