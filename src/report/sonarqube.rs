//! `--format sonarqube`: SonarQube's generic issue import format (the one
//! of SonarQube 10.3 and later, with `rules` and `issues`), for
//! `sonar.externalIssuesReportPaths`:
//!
//! ```json
//! {"rules": [{"id": "DLK001", "name": "DLK001 secret-file-copied",
//!             "description": "…", "engineId": "dockerleak",
//!             "cleanCodeAttribute": "TRUSTWORTHY", "type": "VULNERABILITY",
//!             "severity": "CRITICAL",
//!             "impacts": [{"softwareQuality": "SECURITY", "severity": "HIGH"}]}],
//!  "issues": [{"ruleId": "DLK001", "effortMinutes": 10,
//!              "primaryLocation": {"message": "…", "filePath": "app/Dockerfile",
//!                "textRange": {"startLine": 3, "endLine": 3, "startColumn": 5, "endColumn": 11}},
//!              "secondaryLocations": […]}]}
//! ```
//!
//! `rules` lists the rules the issues use. The format has no per-issue
//! severity, so a finding whose severity differs from its rule's default
//! (a `[severity]` override, a stage the target does not use) gets a rule
//! of its own, `DLK001:warning`. Severities: error → impact `HIGH`
//! (`CRITICAL`), warning → `MEDIUM` (`MAJOR`), note → `LOW` (`MINOR`); the
//! legacy `type` and `severity` are there for servers in the standard
//! experience. Lines are 1-based and columns 0-based, as the format wants;
//! paths are relative to the repository root (SonarQube resolves them
//! against `sonar.projectBaseDir`). A file error is an issue of the rule
//! `file-error`. Messages are masked like every other format's.

use super::{error_message, safe_help, safe_message, sentence, Region, ReportOptions};
use crate::finding::{FileReport, Severity};
use serde::ser::SerializeSeq;
use serde::Serialize;
use std::collections::BTreeMap;
use std::io::{self, Write};

const ENGINE: &str = "dockerleak";
const FILE_ERROR_RULE: &str = "file-error";

#[derive(Serialize)]
struct Document<'a> {
    rules: Vec<RuleOutput>,
    issues: Issues<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RuleOutput {
    id: String,
    name: String,
    description: String,
    engine_id: &'static str,
    clean_code_attribute: &'static str,
    #[serde(rename = "type")]
    kind: &'static str,
    severity: &'static str,
    impacts: [Impact; 1],
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Impact {
    software_quality: &'static str,
    severity: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Issue<'a> {
    rule_id: String,
    effort_minutes: u32,
    primary_location: Location<'a>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    secondary_locations: Vec<Location<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Location<'a> {
    message: String,
    file_path: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    text_range: Option<TextRange>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct TextRange {
    start_line: usize,
    end_line: usize,
    start_column: usize,
    end_column: usize,
}

impl TextRange {
    fn of(region: Region) -> TextRange {
        TextRange {
            start_line: region.line,
            end_line: region.end_line,
            start_column: region.column.saturating_sub(1),
            end_column: region.end_column.saturating_sub(1),
        }
    }
}

fn impact(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "HIGH",
        Severity::Warning => "MEDIUM",
        Severity::Note => "LOW",
    }
}

fn legacy_severity(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "CRITICAL",
        Severity::Warning => "MAJOR",
        Severity::Note => "MINOR",
    }
}

fn rule_output(id: String, name: String, description: String, severity: Severity) -> RuleOutput {
    RuleOutput {
        id,
        name,
        description,
        engine_id: ENGINE,
        clean_code_attribute: "TRUSTWORTHY",
        kind: "VULNERABILITY",
        severity: legacy_severity(severity),
        impacts: [Impact {
            software_quality: "SECURITY",
            severity: impact(severity),
        }],
    }
}

/// The rule id of a finding: its code, with the severity when that is not
/// the rule's default (SonarQube gives every issue of a rule its severity).
fn rule_id(finding: &crate::finding::Finding) -> (String, Option<&'static crate::rules::RuleMeta>) {
    let meta = crate::rules::find(finding.code).map(|rule| rule.meta());
    let default = meta.map_or(finding.severity, |meta| meta.severity);
    let id = if finding.severity == default {
        finding.code.to_string()
    } else {
        format!("{}:{}", finding.code, finding.severity)
    };
    (id, meta)
}

/// Every issue of the run, serialized as it is made (memory does not grow
/// with the number of findings).
struct Issues<'a> {
    reports: &'a [FileReport],
    options: &'a ReportOptions,
}

impl Serialize for Issues<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let count = self
            .reports
            .iter()
            .map(|report| report.findings.len() + report.errors.len())
            .sum();
        let mut issues = serializer.serialize_seq(Some(count))?;
        for report in self.reports {
            let path = self.options.paths.display_path(&report.path);
            for finding in &report.findings {
                let (id, _) = rule_id(finding);
                let mut message = sentence(&safe_message(report, finding));
                let help = safe_help(report, finding);
                if !help.is_empty() {
                    message.push(' ');
                    message.push_str(&sentence(&help));
                }
                issues.serialize_element(&Issue {
                    rule_id: id,
                    effort_minutes: 10,
                    primary_location: Location {
                        message,
                        file_path: &path,
                        text_range: Some(TextRange::of(Region::of(report, finding.span))),
                    },
                    secondary_locations: finding
                        .labels
                        .iter()
                        // Sonar's secondary locations are in the issue's file.
                        .filter(|label| label.file.is_none())
                        .map(|label| Location {
                            message: report.mask(&label.message).into_owned(),
                            file_path: &path,
                            text_range: Some(TextRange::of(Region::of(report, label.span))),
                        })
                        .collect(),
                })?;
            }
            for error in &report.errors {
                issues.serialize_element(&Issue {
                    rule_id: FILE_ERROR_RULE.into(),
                    effort_minutes: 0,
                    primary_location: Location {
                        message: error_message(report, error),
                        file_path: &path,
                        text_range: error.span.map(|span| {
                            let line = report.position(span.start).line;
                            TextRange {
                                start_line: line,
                                end_line: line,
                                start_column: 0,
                                end_column: 0,
                            }
                        }),
                    },
                    secondary_locations: Vec::new(),
                })?;
            }
        }
        issues.end()
    }
}

/// Writes the JSON document (pretty-printed, with a final newline). The
/// rules come first, collected from the findings in a first pass; the
/// issues are then serialized one by one.
pub fn write(
    reports: &[FileReport],
    options: &ReportOptions,
    output: &mut dyn Write,
) -> io::Result<()> {
    let mut rules: BTreeMap<String, RuleOutput> = BTreeMap::new();
    for report in reports {
        for finding in &report.findings {
            let (id, meta) = rule_id(finding);
            if rules.contains_key(&id) {
                continue;
            }
            let rule = rule_output(
                id.clone(),
                format!("{} {}", finding.code, finding.name),
                meta.map_or_else(|| finding.name.to_string(), |meta| meta.summary.into()),
                finding.severity,
            );
            rules.insert(id, rule);
        }
        if !report.errors.is_empty() {
            rules.entry(FILE_ERROR_RULE.into()).or_insert_with(|| {
                rule_output(
                    FILE_ERROR_RULE.into(),
                    "dockerleak file error".into(),
                    "dockerleak could not read or parse this file: it was not checked.".into(),
                    Severity::Error,
                )
            });
        }
    }
    let document = Document {
        rules: rules.into_values().collect(),
        issues: Issues { reports, options },
    };
    serde_json::to_writer_pretty(&mut *output, &document).map_err(io::Error::from)?;
    output.write_all(b"\n")
}
