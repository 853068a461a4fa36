//! DLK011 fixes leave a consistent pair (issue 15, point 5): when the
//! Dockerfile a build definition builds is found, one `--fix
//! --unsafe-fixes` run turns the build arg into a secret on both sides
//! (the definition's `--secret`/`secrets:`, the Dockerfile's `ARG` →
//! `RUN --mount=type=secret,id=X,env=X`), even for an ARG name DLK003 does
//! not report; and when the Dockerfile side must be done by hand, neither
//! side changes. Fixtures: `tests/fixtures/pairs/<case>/`, fixed in a copy.

mod common;

use common::dockerleak_in;
use std::path::{Path, PathBuf};

/// A copy of fixture `case` in a new temporary directory.
fn copy_of(case: &str) -> tempfile::TempDir {
    fn copy(from: &Path, to: &Path) {
        std::fs::create_dir_all(to).expect("create");
        for entry in std::fs::read_dir(from).expect("read fixture").flatten() {
            let target = to.join(entry.file_name());
            if entry.file_type().expect("type").is_dir() {
                copy(&entry.path(), &target);
            } else {
                std::fs::copy(entry.path(), &target).expect("copy");
            }
        }
    }
    let directory = tempfile::tempdir().expect("tempdir");
    let fixture = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/pairs")
        .join(case);
    copy(&fixture, directory.path());
    directory
}

fn read(root: &Path, path: &str) -> String {
    std::fs::read_to_string(root.join(path)).expect("read")
}

/// Asserts that `text` parses as a Dockerfile and returns it.
fn parses(text: &str) -> &str {
    let parsed = dockerleak::syntax::parse(text);
    assert!(parsed.errors.is_empty(), "{:?}\n{text}", parsed.errors);
    text
}

fn fix(root: &Path) -> std::process::Output {
    dockerleak_in(root)
        .args(["--no-config", "--fix", "--unsafe-fixes", "."])
        .output()
        .expect("run")
}

#[test]
fn a_run_step_and_its_dockerfile_are_fixed_together() {
    let directory = copy_of("run-step");
    let root = directory.path();
    let workflow_before = read(root, ".github/workflows/release.yml");
    // DLK003 does not report `ARG NPM` (the name does not look like a
    // secret): only the definition's fix can rewrite it.
    let dockerfile_before = read(root, "Dockerfile");
    let alone = dockerleak::lint_source("Dockerfile", &dockerfile_before, &Default::default());
    assert!(
        alone
            .findings
            .iter()
            .all(|finding| finding.code != "DLK003"),
        "{:#?}",
        alone.findings
    );
    let output = fix(root);
    let stderr = String::from_utf8_lossy(&output.stderr);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{stdout}\n{stderr}");
    let workflow = read(root, ".github/workflows/release.yml");
    assert_eq!(
        workflow,
        workflow_before.replace(
            "--build-arg NPM=$REGISTRY_AUTH",
            "--secret id=NPM,env=REGISTRY_AUTH"
        )
    );
    let dockerfile = read(root, "Dockerfile");
    assert_eq!(
        parses(&dockerfile),
        "# syntax=docker/dockerfile:1\n".to_string()
            + &dockerfile_before.replace("ARG NPM\n", "").replace(
                "RUN echo \"//registry",
                "RUN --mount=type=secret,id=NPM,env=NPM echo \"//registry"
            )
    );
    // The untouched ARG and its RUN stay.
    assert!(dockerfile.contains("ARG VERSION\nWORKDIR"), "{dockerfile}");
    assert!(
        dockerfile.contains("\nRUN echo \"$VERSION\""),
        "{dockerfile}"
    );
    // The run's reports are of the files as they are now: nothing left,
    // no "provided but never mounted" note from the old Dockerfile.
    assert!(stdout.contains("0 findings"), "{stdout}");
    assert!(
        stderr.contains("in `Dockerfile`: pass `NPM` as a secret"),
        "{stderr}"
    );
    // A second run changes nothing.
    let again = fix(root);
    assert!(
        again.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
    assert_eq!(read(root, "Dockerfile"), dockerfile);
}

#[test]
fn build_push_action_secrets_and_the_context_dockerfile_are_fixed_together() {
    let directory = copy_of("build-push-action");
    let root = directory.path();
    let output = fix(root);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stdout)
    );
    let workflow = read(root, ".github/workflows/publish.yml");
    assert!(
        workflow.ends_with(
            "          secrets: |\n            PIP_INDEX=${{ secrets.PRIVATE_INDEX_URL }}\n"
        ),
        "{workflow}"
    );
    assert!(!workflow.contains("build-args: |"), "{workflow}");
    let dockerfile = read(root, "web/Dockerfile");
    // The pinned 1.4 frontend is raised for `env=`.
    assert_eq!(
        parses(&dockerfile),
        "# syntax=docker/dockerfile:1\nFROM python:3.12-slim\nCOPY requirements.txt .\n\
         RUN --mount=type=secret,id=PIP_INDEX,env=PIP_INDEX pip install --index-url \"$PIP_INDEX\" -r requirements.txt\n\
         COPY . .\n"
    );
}

#[test]
fn a_dockerfile_side_done_by_hand_leaves_both_files_alone() {
    let directory = copy_of("by-hand");
    let root = directory.path();
    let workflow = read(root, ".github/workflows/release.yml");
    let dockerfile = read(root, "Dockerfile");
    let output = fix(root);
    // Findings are left: exit 1, and neither file changed.
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(read(root, ".github/workflows/release.yml"), workflow);
    assert_eq!(read(root, "Dockerfile"), dockerfile);
    let json = dockerleak_in(root)
        .args(["--no-config", "--format", "json", "."])
        .output()
        .expect("run");
    let value: serde_json::Value = serde_json::from_slice(&json.stdout).expect("json");
    let fix = value["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|finding| finding["code"] == "DLK011")
        .map(|finding| finding["fix"].clone())
        .expect("a DLK011 fix");
    assert_eq!(fix["applicability"], "display-only", "{fix}");
    assert_eq!(fix["edits"].as_array().map(Vec::len), Some(0), "{fix}");
    let message = fix["message"].as_str().unwrap();
    assert!(
        message.contains("the Dockerfile side in `Dockerfile` must be done by hand")
            && message.contains("exec-form `RUN` on line 3"),
        "{message}"
    );
}

#[test]
fn json_and_sarif_show_both_files_of_the_pair() {
    let directory = copy_of("run-step");
    let root = directory.path();
    let json = dockerleak_in(root)
        .args(["--no-config", "--format", "json", "."])
        .output()
        .expect("run");
    let value: serde_json::Value = serde_json::from_slice(&json.stdout).expect("json");
    let finding = value["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|finding| finding["code"] == "DLK011")
        .expect("DLK011")
        .clone();
    assert_eq!(finding["fix"]["applicability"], "unsafe");
    let edits = finding["fix"]["edits"].as_array().unwrap();
    let own: Vec<_> = edits
        .iter()
        .filter(|edit| edit.get("path").is_none())
        .collect();
    let other: Vec<_> = edits
        .iter()
        .filter(|edit| edit["path"] == "Dockerfile")
        .collect();
    assert_eq!(own.len(), 1, "{edits:#?}");
    assert_eq!(own[0]["content"], "--secret id=NPM,env=REGISTRY_AUTH");
    let contents: Vec<&str> = other
        .iter()
        .map(|edit| edit["content"].as_str().unwrap())
        .collect();
    assert_eq!(
        contents,
        [
            "# syntax=docker/dockerfile:1\n",
            "",
            " --mount=type=secret,id=NPM,env=NPM"
        ],
        "{edits:#?}"
    );
    // The removal of `ARG NPM` is line 3 of the Dockerfile.
    assert_eq!(other[1]["line"], 3);
    let sarif = dockerleak_in(root)
        .args(["--no-config", "--format", "sarif", "."])
        .output()
        .expect("run");
    let value: serde_json::Value = serde_json::from_slice(&sarif.stdout).expect("sarif");
    let result = value["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|result| result["ruleId"] == "DLK011")
        .expect("DLK011 result")
        .clone();
    let changes = result["fixes"][0]["artifactChanges"]
        .as_array()
        .expect("changes");
    let uris: Vec<&str> = changes
        .iter()
        .map(|change| change["artifactLocation"]["uri"].as_str().unwrap())
        .collect();
    assert_eq!(changes.len(), 2, "{uris:?}");
    assert!(
        uris.iter().any(|uri| uri.ends_with("release.yml")),
        "{uris:?}"
    );
    assert!(
        uris.iter().any(|uri| uri.ends_with("Dockerfile")),
        "{uris:?}"
    );
}

#[test]
fn the_dockerfile_side_of_a_diff_is_masked_with_the_dockerfiles_secrets() {
    // A secret of the Dockerfile on a context line of the pair's diff: the
    // definition knows nothing of it, the Dockerfile's detection does.
    let secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzq9Q3RkT7x";
    let directory = copy_of("run-step");
    let root = directory.path();
    let dockerfile = read(root, "Dockerfile").replacen(
        "ARG NPM\n",
        &format!("ARG NPM\nENV AWS_SECRET_ACCESS_KEY={secret}\n"),
        1,
    );
    std::fs::write(root.join("Dockerfile"), &dockerfile).expect("write");
    for target in [".github/workflows/release.yml", "."] {
        let output = dockerleak_in(root)
            .args(["--no-config", "--diff", "--unsafe-fixes", target])
            .output()
            .expect("run");
        let stdout = String::from_utf8_lossy(&output.stdout);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(1), "{stdout}{stderr}");
        assert!(
            stdout.contains("-ARG NPM\n"),
            "{target}: the pair's diff:\n{stdout}"
        );
        assert!(
            stdout.contains(" ENV AWS_SECRET_ACCESS_KEY=wJal…"),
            "{target}: the context line, masked:\n{stdout}"
        );
        assert!(!stdout.contains(&secret[8..16]), "{target}:\n{stdout}");
        assert!(!stderr.contains(&secret[8..16]), "{target}:\n{stderr}");
    }
    // Nothing was written.
    assert_eq!(read(root, "Dockerfile"), dockerfile);
}
