//! The acceptance scenarios of the "RUN as shell and the layer model"
//! issue, through `dockerleak::lint_source`: code, severity, line and
//! labels of each finding.

use dockerleak::{lint_source, Config, FileReport, Finding, Severity};

fn lint(text: &str) -> FileReport {
    lint_source("Dockerfile", text, &Config::default())
}

fn findings<'a>(report: &'a FileReport, code: &str) -> Vec<&'a Finding> {
    report
        .findings
        .iter()
        .filter(|finding| finding.code == code)
        .collect()
}

/// (line, text) of a span of the report's source.
fn at(report: &FileReport, span: dockerleak::source::Span) -> (usize, &str) {
    (report.position(span.start).line, span.slice(&report.text))
}

#[test]
fn copy_netrc_then_rm_is_reported_with_both_labels() {
    let report = lint("FROM python:3.12\nCOPY .netrc /root/.netrc\nRUN pip install private-package\nRUN rm /root/.netrc\n");
    let found = findings(&report, "DLK002");
    assert_eq!(found.len(), 1, "{:#?}", report.findings);
    let finding = found[0];
    assert_eq!(finding.severity, Severity::Error);
    assert_eq!(at(&report, finding.span), (2, ".netrc"));
    assert!(finding.label.contains("added here"), "{}", finding.label);
    assert_eq!(finding.labels.len(), 1);
    assert_eq!(at(&report, finding.labels[0].span), (4, "/root/.netrc"));
    assert_eq!(
        finding.labels[0].message,
        "deleted here, but the earlier layer keeps it"
    );
    assert!(
        finding
            .help
            .contains("RUN --mount=type=secret,id=netrc,target=/root/.netrc"),
        "{}",
        finding.help
    );
}

#[test]
fn rm_in_the_same_run_is_not_a_later_layer() {
    let report = lint(
        "FROM python:3.12\nRUN --mount=type=secret,id=netrc cp /run/secrets/netrc /root/.netrc && pip install private-package && rm /root/.netrc\n",
    );
    assert!(
        findings(&report, "DLK002").is_empty(),
        "{:#?}",
        report.findings
    );
    assert!(
        findings(&report, "DLK008").is_empty(),
        "{:#?}",
        report.findings
    );
}

#[test]
fn arg_written_to_npmrc_is_reported() {
    let report = lint(
        "FROM node:22\nARG NPM_TOKEN\nRUN echo \"//registry.npmjs.org/:_authToken=$NPM_TOKEN\" > .npmrc\n",
    );
    let found = findings(&report, "DLK006");
    assert_eq!(found.len(), 1, "{:#?}", report.findings);
    let finding = found[0];
    assert_eq!(finding.severity, Severity::Error);
    assert_eq!(at(&report, finding.span), (3, ".npmrc"));
    let labels: Vec<(usize, &str)> = finding
        .labels
        .iter()
        .map(|label| at(&report, label.span))
        .collect();
    assert!(labels.contains(&(2, "NPM_TOKEN")), "{labels:?}");
    assert!(labels.contains(&(3, "$NPM_TOKEN")), "{labels:?}");
    assert!(
        finding.help.contains("RUN --mount=type=secret,id="),
        "{}",
        finding.help
    );
}

#[test]
fn arg_expanded_in_a_builder_stage_is_a_warning() {
    let report =
        lint("FROM node:22 AS build\nARG NPM_TOKEN\nRUN echo \"$NPM_TOKEN\" | wc -c\nFROM nginx\n");
    let found = findings(&report, "DLK006");
    assert_eq!(found.len(), 1, "{:#?}", report.findings);
    assert_eq!(found[0].severity, Severity::Warning);
    assert_eq!(at(&report, found[0].span), (3, "$NPM_TOKEN"));
}

#[test]
fn secret_mount_copied_into_the_image_is_reported() {
    let report =
        lint("FROM alpine\nRUN --mount=type=secret,id=k cp /run/secrets/k /app/secret.txt\n");
    let found = findings(&report, "DLK008");
    assert_eq!(found.len(), 1, "{:#?}", report.findings);
    let finding = found[0];
    assert_eq!(finding.severity, Severity::Error);
    assert_eq!(at(&report, finding.span), (2, "/app/secret.txt"));
    assert_eq!(
        at(&report, finding.labels[0].span),
        (2, "--mount=type=secret,id=k")
    );
    assert_eq!(finding.labels[0].message, "secret mounted here");
}

#[test]
fn password_read_from_a_secret_mount_is_silent() {
    let report = lint(
        "FROM postgres:16\nRUN --mount=type=secret,id=db psql --password=$(cat /run/secrets/db)\n",
    );
    for code in ["DLK006", "DLK008", "DLK009"] {
        assert!(
            findings(&report, code).is_empty(),
            "{code}: {:#?}",
            report.findings
        );
    }
}

#[test]
fn echo_of_a_secret_file_is_printed_to_the_log() {
    let report = lint("FROM alpine\nRUN --mount=type=secret,id=x echo $(cat /run/secrets/x)\n");
    let found = findings(&report, "DLK009");
    assert_eq!(found.len(), 1, "{:#?}", report.findings);
    assert_eq!(found[0].severity, Severity::Note);
    assert_eq!(at(&report, found[0].span), (2, "$(cat /run/secrets/x)"));
    assert!(findings(&report, "DLK008").is_empty());
}

#[test]
fn piping_a_secret_into_docker_login_is_silent() {
    let report = lint("FROM docker:27-cli\nRUN --mount=type=secret,id=x cat /run/secrets/x | docker login --password-stdin -u ci registry.example.com\n");
    for code in ["DLK006", "DLK008", "DLK009"] {
        assert!(
            findings(&report, code).is_empty(),
            "{code}: {:#?}",
            report.findings
        );
    }
}
