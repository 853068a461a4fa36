//! DLK010 context-secret-not-ignored needs a build context on disk, which
//! the per-file fixture harness (tests/rule_fixtures.rs) cannot give. Each
//! case here builds one in a temporary directory: files, `.dockerignore`
//! (or `<Dockerfile>.dockerignore`) and the Dockerfile, then lints it
//! through `lint_source` as the CLI does.

use dockerleak::{lint_source, Config, FileReport, Finding, Severity};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use tempfile::TempDir;

/// A build context: `files` are `(relative path, content)`.
fn context(files: &[(&str, &str)]) -> TempDir {
    let directory = tempfile::tempdir().expect("a temporary directory");
    for (path, content) in files {
        let full = directory.path().join(path);
        std::fs::create_dir_all(full.parent().expect("a file has a parent"))
            .expect("directories can be created");
        std::fs::write(&full, content).expect("files can be written");
    }
    directory
}

/// Writes `text` as `name` under `directory` and lints it by its path.
fn lint_file(directory: &Path, name: &str, text: &str, config: &Config) -> FileReport {
    let path = directory.join(name);
    std::fs::create_dir_all(path.parent().expect("a file has a parent"))
        .expect("directories can be created");
    std::fs::write(&path, text).expect("the Dockerfile can be written");
    lint_source(path.to_str().expect("a UTF-8 temp path"), text, config)
}

/// Lints `text` as `Dockerfile` at the root of a context holding `files`.
fn lint_in_context(files: &[(&str, &str)], text: &str) -> FileReport {
    let directory = context(files);
    lint_file(directory.path(), "Dockerfile", text, &Config::default())
}

fn dlk010(report: &FileReport) -> Vec<&Finding> {
    report
        .findings
        .iter()
        .filter(|finding| finding.code == "DLK010")
        .collect()
}

/// The only DLK010 finding of `report`.
fn single(report: &FileReport) -> &Finding {
    let findings = dlk010(report);
    assert_eq!(
        findings.len(),
        1,
        "expected one DLK010 finding, got {findings:#?}"
    );
    findings[0]
}

fn source_text<'a>(report: &'a FileReport, finding: &Finding) -> &'a str {
    finding.span.slice(&report.text)
}

fn assert_silent(report: &FileReport) {
    let findings = dlk010(report);
    assert!(
        findings.is_empty(),
        "expected no DLK010 finding, got {findings:#?}"
    );
}

const COPY_ALL: &str =
    "FROM python:3.12\nWORKDIR /app\nCOPY . .\nRUN pip install -r requirements.txt\n";

// Bad: a credential file is sent.

#[test]
fn an_env_file_without_any_dockerignore_is_reported_at_the_copy_source() {
    let report = lint_in_context(&[(".env", "TOKEN=x"), ("app.py", "")], COPY_ALL);
    let finding = single(&report);
    assert_eq!(finding.severity, Severity::Warning);
    assert_eq!(source_text(&report, finding), ".");
    let start = report.position(finding.span.start);
    assert_eq!((start.line, start.column), (3, 6));
    assert!(
        finding
            .message
            .starts_with("`COPY .` sends `.env` (a `.env` file holds"),
        "{}",
        finding.message
    );
    assert!(
        finding.message.ends_with(
            ") from the build context into the image: there is no `.dockerignore` to exclude it"
        ),
        "{}",
        finding.message
    );
    assert_eq!(
        finding.help,
        "create `.dockerignore` in the build context with `.env` (or copy only what the image needs)"
    );
    assert_eq!(finding.label, "copies the whole build context");
}

#[test]
fn a_dockerignore_that_misses_a_nested_npmrc_is_reported() {
    let report = lint_in_context(
        &[
            (".dockerignore", ".env\n"),
            (".env", "TOKEN=x"),
            ("config/.npmrc", "//registry.npmjs.org/:_authToken=x"),
            ("app.py", ""),
        ],
        "FROM node:22\nCOPY . /app\n",
    );
    let finding = single(&report);
    assert!(
        finding
            .message
            .starts_with("`COPY .` sends `config/.npmrc` ("),
        "{}",
        finding.message
    );
    assert!(
        finding
            .message
            .ends_with("into the image: `.dockerignore` does not exclude it"),
        "{}",
        finding.message
    );
    assert_eq!(
        finding.help,
        "add `config/.npmrc` to `.dockerignore` (or copy only what the image needs)"
    );
}

#[test]
fn a_star_pattern_only_excludes_at_the_context_root() {
    let report = lint_in_context(
        &[
            (".dockerignore", "*.pem\n"),
            ("server.pem", "-----BEGIN PRIVATE KEY-----"),
            ("certs/server.pem", "-----BEGIN PRIVATE KEY-----"),
        ],
        COPY_ALL,
    );
    let finding = single(&report);
    assert!(
        finding
            .message
            .starts_with("`COPY .` sends `certs/server.pem` ("),
        "{}",
        finding.message
    );
}

#[test]
fn an_exception_that_reincludes_a_key_is_named() {
    let report = lint_in_context(
        &[
            (".dockerignore", "keys/\n!keys/id_rsa\n"),
            ("keys/id_rsa", "-----BEGIN OPENSSH PRIVATE KEY-----"),
            ("keys/id_ed25519", "-----BEGIN OPENSSH PRIVATE KEY-----"),
        ],
        COPY_ALL,
    );
    let finding = single(&report);
    assert!(
        finding
            .message
            .starts_with("`COPY .` sends `keys/id_rsa` ("),
        "{}",
        finding.message
    );
    assert!(
        finding
            .message
            .ends_with(": `.dockerignore` re-includes it with `!keys/id_rsa`"),
        "{}",
        finding.message
    );
    assert_eq!(
        finding.help,
        "remove `!keys/id_rsa` from `.dockerignore` (or copy only what the image needs)"
    );
}

#[test]
fn missing_and_reincluded_files_get_one_help_with_both_steps() {
    let report = lint_in_context(
        &[
            (".dockerignore", "keys/\n!keys/id_rsa\n"),
            (".env", "TOKEN=x"),
            ("keys/id_rsa", "-----BEGIN OPENSSH PRIVATE KEY-----"),
        ],
        COPY_ALL,
    );
    let finding = single(&report);
    assert_eq!(
        finding.message,
        "`COPY .` sends 2 credential files (`.env` and `keys/id_rsa`) from the build context into the image: `.dockerignore` does not exclude them"
    );
    assert_eq!(
        finding.help,
        "add `.env` to `.dockerignore`, and remove `!keys/id_rsa` from `.dockerignore` (or copy only what the image needs)"
    );
}

#[test]
fn the_dockerfile_specific_ignore_file_wins_over_dockerignore() {
    let directory = context(&[
        (".dockerignore", "**/.env\n"),
        ("build.Dockerfile.dockerignore", "node_modules\n"),
        (".env", "TOKEN=x"),
    ]);
    let report = lint_file(
        directory.path(),
        "build.Dockerfile",
        COPY_ALL,
        &Config::default(),
    );
    let finding = single(&report);
    assert!(
        finding
            .message
            .ends_with(": `build.Dockerfile.dockerignore` does not exclude it"),
        "{}",
        finding.message
    );
    assert_eq!(
        finding.help,
        "add `.env` to `build.Dockerfile.dockerignore` (or copy only what the image needs)"
    );
}

#[test]
fn a_directory_source_is_walked_and_only_it() {
    let report = lint_in_context(
        &[
            (".env", "TOKEN=x"),
            ("config/.npmrc", "//registry.npmjs.org/:_authToken=x"),
            ("config/app.toml", ""),
        ],
        "FROM node:22\nCOPY config/ /app/config/\n",
    );
    let finding = single(&report);
    assert_eq!(source_text(&report, finding), "config/");
    assert_eq!(finding.label, "copies `config/` from the build context");
    assert!(
        finding
            .message
            .starts_with("`COPY config/` sends `config/.npmrc` ("),
        "{}",
        finding.message
    );
}

#[test]
fn a_leading_slash_anchors_a_pattern_at_the_context_root() {
    let report = lint_in_context(
        &[
            (".dockerignore", "/secrets\n"),
            ("secrets/.env", "TOKEN=x"),
            ("app/secrets/.env", "TOKEN=x"),
        ],
        COPY_ALL,
    );
    let finding = single(&report);
    assert!(
        finding
            .message
            .starts_with("`COPY .` sends `app/secrets/.env` ("),
        "{}",
        finding.message
    );
}

#[test]
fn every_broad_source_form_is_recognised() {
    let files = [(".env", "TOKEN=x")];
    for (instruction, source) in [
        ("COPY ./ /app/", "./"),
        ("COPY * /app/", "*"),
        ("COPY ./* /app/", "./*"),
        ("ADD . /app", "."),
        ("COPY [\".\", \"/app\"]", "\".\""),
        ("COPY --chown=app:app --link . /app", "."),
        ("copy . /app", "."),
    ] {
        let report = lint_in_context(&files, &format!("FROM alpine\n{instruction}\n"));
        let finding = single(&report);
        assert_eq!(source_text(&report, finding), source, "{instruction}");
    }
    let report = lint_in_context(&files, "FROM alpine\nARG SRC=.\nCOPY $SRC /app\n");
    assert_eq!(source_text(&report, single(&report)), "$SRC");
}

#[test]
fn a_stage_the_final_image_does_not_use_is_still_a_warning() {
    let report = lint_in_context(
        &[(".env", "TOKEN=x")],
        "FROM node:22 AS unused\nCOPY . .\nFROM alpine\nRUN true\n",
    );
    let finding = single(&report);
    assert_eq!(finding.severity, Severity::Warning);
    assert_eq!(finding.stage.as_deref(), Some("unused"));
    assert!(
        finding.message.contains(
            "into stage `unused`, which is not part of the final image (the build cache keeps it)"
        ),
        "{}",
        finding.message
    );
}

#[test]
fn the_context_flag_points_at_another_directory() {
    let directory = context(&[(".env", "TOKEN=x"), ("docker/README.md", "")]);
    let text = "FROM alpine\nCOPY . /app\n";
    // Without --context the Dockerfile's own directory (docker/) is the
    // context, and it holds nothing secret.
    assert_silent(&lint_file(
        directory.path(),
        "docker/Dockerfile",
        text,
        &Config::default(),
    ));
    let config = Config {
        context: Some(directory.path().to_path_buf()),
        ..Config::default()
    };
    let report = lint_file(directory.path(), "docker/Dockerfile", text, &config);
    assert!(single(&report)
        .message
        .starts_with("`COPY .` sends `.env` ("));
    // Stdin with --context is checked too.
    let report = lint_source("-", text, &config);
    assert!(single(&report)
        .message
        .starts_with("`COPY .` sends `.env` ("));
}

#[test]
fn several_credential_files_make_one_finding_per_copy_source() {
    let report = lint_in_context(
        &[
            (".dockerignore", "# keep the image small\nnode_modules\n"),
            (".env", "TOKEN=x"),
            (".npmrc", "//registry.npmjs.org/:_authToken=x"),
            ("id_rsa", "-----BEGIN OPENSSH PRIVATE KEY-----"),
            ("deploy/.aws/credentials", "[default]"),
            ("src/.env.production", "TOKEN=x"),
            ("src/settings.xml", "<settings/>"),
            ("node_modules/pkg/.npmrc", "x"),
            ("src/main.js", ""),
        ],
        "FROM node:22 AS build\nWORKDIR /app\nCOPY . .\nRUN npm ci\n\nFROM node:22-slim\nCOPY --from=build /app /app\nCOPY ./ /srv/\n",
    );
    let findings = dlk010(&report);
    assert_eq!(findings.len(), 2, "{findings:#?}");
    insta::assert_json_snapshot!("several_files", summary(&report));
}

/// The DLK010 findings without the (temporary) path.
fn summary(report: &FileReport) -> Value {
    let findings: Vec<Value> = dlk010(report)
        .into_iter()
        .map(|finding| {
            let start = report.position(finding.span.start);
            json!({
                "code": finding.code,
                "severity": finding.severity,
                "line": start.line,
                "column": start.column,
                "text": source_text(report, finding),
                "message": finding.message,
                "label": finding.label,
                "help": finding.help,
                "stage": finding.stage,
            })
        })
        .collect();
    json!(findings)
}

// Good: nothing secret is sent.

#[test]
fn double_star_patterns_exclude_at_any_depth() {
    assert_silent(&lint_in_context(
        &[
            (".dockerignore", "**/.env\n**/.npmrc\n"),
            (".env", "TOKEN=x"),
            ("services/api/.env", "TOKEN=x"),
            ("config/.npmrc", "x"),
        ],
        COPY_ALL,
    ));
}

#[test]
fn copying_named_files_is_not_a_broad_copy() {
    assert_silent(&lint_in_context(
        &[(".env", "TOKEN=x"), ("app.py", "")],
        "FROM python:3.12\nCOPY app.py requirements.txt /app/\nCOPY *.py /app/\n",
    ));
}

#[test]
fn stdin_without_a_context_is_not_checked() {
    let text = "FROM alpine\nCOPY . /app\n";
    assert_silent(&lint_source("-", text, &Config::default()));
    // A --stdin-filename that names no file on disk gives no context either.
    let missing: PathBuf = std::env::temp_dir().join("dockerleak-no-such-dir/Dockerfile");
    assert_silent(&lint_source(
        missing.to_str().expect("UTF-8"),
        text,
        &Config::default(),
    ));
}

#[test]
fn ignoring_everything_but_the_app_sends_nothing_secret() {
    assert_silent(&lint_in_context(
        &[
            (".dockerignore", "*\n!app.py\n!requirements.txt\n"),
            (".env", "TOKEN=x"),
            ("keys/id_rsa", "x"),
            ("app.py", ""),
        ],
        COPY_ALL,
    ));
}

#[test]
fn a_context_without_credential_files_is_fine() {
    assert_silent(&lint_in_context(
        &[
            ("app.py", ""),
            ("requirements.txt", ""),
            ("src/config.yaml", ""),
            (".env.example", "TOKEN="),
        ],
        COPY_ALL,
    ));
}

#[test]
fn credential_files_under_git_are_not_looked_at() {
    assert_silent(&lint_in_context(
        &[
            (".git/.env", "TOKEN=x"),
            (".git/modules/id_rsa", "x"),
            ("app.py", ""),
        ],
        COPY_ALL,
    ));
}

#[test]
fn public_keys_are_not_credentials() {
    assert_silent(&lint_in_context(
        &[
            ("id_rsa.pub", "ssh-rsa AAAA"),
            (".ssh/known_hosts", "github.com ssh-ed25519 AAAA"),
            ("certs/ca.crt", ""),
        ],
        COPY_ALL,
    ));
}

#[test]
fn copies_from_a_stage_and_onbuild_copies_are_not_the_context() {
    assert_silent(&lint_in_context(
        &[(".env", "TOKEN=x")],
        "FROM alpine AS build\nRUN make\nFROM alpine\nCOPY --from=build . /app\nONBUILD COPY . /app\n",
    ));
}

#[test]
fn copy_exclude_keeps_the_files_out_of_the_image() {
    assert_silent(&lint_in_context(
        &[
            (".env", "TOKEN=x"),
            ("certs/server.pem", "x"),
            ("app.py", ""),
        ],
        "# syntax=docker/dockerfile:1.7-labs\nFROM alpine\nCOPY --exclude=.env --exclude=**/*.pem . /app\n",
    ));
}

#[test]
fn the_dockerfile_specific_ignore_file_can_exclude_what_dockerignore_does_not() {
    let directory = context(&[
        (".dockerignore", "node_modules\n"),
        ("Dockerfile.dockerignore", ".env\n"),
        (".env", "TOKEN=x"),
    ]);
    assert_silent(&lint_file(
        directory.path(),
        "Dockerfile",
        COPY_ALL,
        &Config::default(),
    ));
}

#[test]
fn an_excluded_directory_excludes_its_content() {
    assert_silent(&lint_in_context(
        &[
            (".dockerignore", "secrets/\n.aws\n"),
            ("secrets/id_rsa", "x"),
            ("secrets/deep/.env", "TOKEN=x"),
            (".aws/credentials", "[default]"),
        ],
        COPY_ALL,
    ));
}

#[test]
fn a_directory_source_without_credentials_is_fine() {
    assert_silent(&lint_in_context(
        &[(".env", "TOKEN=x"), ("src/main.py", "")],
        "FROM python:3.12\nCOPY src/ /app/src/\nCOPY ./src/* /app/\n",
    ));
}

#[test]
fn a_credential_directory_copied_by_name_is_left_to_dlk001() {
    let report = lint_in_context(
        &[(".ssh/id_ed25519", "x")],
        "FROM alpine\nCOPY .ssh/ /root/.ssh/\n",
    );
    assert_silent(&report);
    assert!(report
        .findings
        .iter()
        .any(|finding| finding.code == "DLK001"));
}

#[test]
fn inline_directives_silence_the_rule() {
    assert_silent(&lint_in_context(
        &[(".env", "TOKEN=x")],
        "FROM alpine\n# dockerleak ignore=DLK010 the CI context never has a .env\nCOPY . /app\n",
    ));
    assert_silent(&lint_in_context(
        &[(".env", "TOKEN=x")],
        "# dockerleak global ignore=DLK010\nFROM alpine\nCOPY . /app\n",
    ));
}

#[cfg(unix)]
#[test]
fn symbolic_links_are_not_followed() {
    let outside = context(&[(".env", "TOKEN=x"), ("keys/id_rsa", "x")]);
    let directory = context(&[("app.py", "")]);
    std::os::unix::fs::symlink(outside.path().join(".env"), directory.path().join(".env"))
        .expect("a symlink can be made");
    std::os::unix::fs::symlink(outside.path().join("keys"), directory.path().join("keys"))
        .expect("a symlink can be made");
    assert_silent(&lint_file(
        directory.path(),
        "Dockerfile",
        "FROM alpine\nCOPY . /app\nCOPY keys/ /keys/\n",
        &Config::default(),
    ));
}

/// One run shares the walks of a context between its Dockerfiles
/// (`Config::context_scans`): each file must still get what a walk of its
/// own would give, with its own ignore file and `--exclude` patterns.
#[test]
fn dockerfiles_sharing_a_context_in_one_run_keep_their_own_ignore_rules() {
    let directory = context(&[
        (".npmrc", "//registry.npmjs.org/:_authToken=${NPM_TOKEN}\n"),
        ("app/main.js", "console.log(1)\n"),
        ("web.Dockerfile.dockerignore", ".npmrc\n"),
    ]);
    let shared = Config {
        context_scans: Some(Default::default()),
        ..Config::default()
    };
    let cases = [
        ("Dockerfile", "FROM node:20\nCOPY . /app\n", 1),
        ("Dockerfile.dev", "FROM node:20\nCOPY . /app\n", 1),
        ("web.Dockerfile", "FROM node:20\nCOPY . /app\n", 0),
        (
            "exclude.Dockerfile",
            "# syntax=docker/dockerfile:1.10\nFROM node:20\nCOPY --exclude=.npmrc . /app\n",
            0,
        ),
        ("again.Dockerfile", "FROM node:20\nCOPY . /app\n", 1),
    ];
    for (name, text, expected) in cases {
        let alone = lint_file(directory.path(), name, text, &Config::default());
        let in_run = lint_file(directory.path(), name, text, &shared);
        assert_eq!(dlk010(&alone).len(), expected, "{name} alone");
        assert_eq!(
            summary(&in_run),
            summary(&alone),
            "{name}: the shared walk gives another answer"
        );
    }
}

/// The files of one run share a parsed `.dockerignore` too: each of them
/// still gets the ignore file that applies to it.
#[test]
fn a_shared_dockerignore_is_applied_to_every_dockerfile_of_the_run() {
    let directory = context(&[
        (".npmrc", "//registry.npmjs.org/:_authToken=${NPM_TOKEN}\n"),
        (".env", "API_KEY=x\n"),
        (".dockerignore", ".npmrc\n"),
        ("web.Dockerfile.dockerignore", ".env\n"),
    ]);
    let shared = Config {
        context_scans: Some(Default::default()),
        ..Config::default()
    };
    let text = "FROM node:20\nCOPY . /app\n";
    for name in [
        "Dockerfile",
        "api.Dockerfile",
        "web.Dockerfile",
        "Dockerfile",
    ] {
        let alone = lint_file(directory.path(), name, text, &Config::default());
        let in_run = lint_file(directory.path(), name, text, &shared);
        assert_eq!(dlk010(&alone).len(), 1, "{name}: one of the two is sent");
        assert_eq!(summary(&in_run), summary(&alone), "{name}");
    }
}

#[test]
fn an_onbuild_copy_counts_where_a_stage_of_this_file_runs_it() {
    let files = [(".env", "TOKEN=x\n")];
    // Run by the final stage: it copies this build's context.
    let report = lint_in_context(
        &files,
        "FROM node:22 AS base\nONBUILD COPY . /app\nFROM base\nRUN npm ci\n",
    );
    assert_eq!(source_text(&report, single(&report)), ".");
    // A base image: the trigger copies the context of another build.
    assert_silent(&lint_in_context(
        &files,
        "FROM node:22\nONBUILD COPY . /app\nRUN true\n",
    ));
}
