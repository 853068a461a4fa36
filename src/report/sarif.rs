//! `--format sarif`: SARIF 2.1.0 that GitHub code scanning (and any SARIF
//! viewer) accepts, built with the typed model of the `serde-sarif` crate.
//!
//! One run. `tool.driver` lists every rule of the registry (whether or not
//! it ran, so `ruleIndex` never depends on configuration) with its summary,
//! its documentation as help text and Markdown (the same text as
//! `dockerleak explain` and `docs/rules/`, with a link to the published
//! page, since code scanning shows `help` and ignores `helpUri`), its
//! default level, and the properties code scanning reads: `tags`,
//! `precision` and `security-severity` (without which a result is not a
//! security alert).
//!
//! Each result has `ruleId`, `ruleIndex`, `level`, a message whose first
//! sentence is the title (then the fix), one location with a full region
//! (end exclusive; columns count code points, declared by
//! `run.columnKind: "unicodeCodePoints"`) and a redacted snippet,
//! `relatedLocations` for the secondary labels, and `partialFingerprints`
//! (`primaryLocationLineHash`, which is our fingerprint's `hash:occurrence`
//! form, and `dockerleak/v1`). Artifact URIs are relative to the repository
//! root, with `uriBaseId` `%SRCROOT%` declared in `run.originalUriBaseIds`;
//! a file outside the repository gets an absolute `file:` URI. File errors
//! become `toolExecutionNotifications` and make
//! `invocations[0].executionSuccessful` false.

use super::{error_message, safe_help, safe_message, safe_stage, sentence, Region, ReportOptions};
use crate::finding::{FileReport, Finding, RedactedText, Severity};
use crate::rules::{self, RuleMeta};
use serde_json::json;
use serde_sarif::sarif::{
    ArtifactContent, ArtifactLocation, Invocation, Location, Message, MultiformatMessageString,
    Notification, PhysicalLocation, PropertyBag, ReportingConfiguration, ReportingDescriptor,
    Result as SarifResult, ResultLevel, Run, RunAutomationDetails, Sarif, Tool, ToolComponent,
};
use std::collections::BTreeMap;
use std::io::{self, Write};

/// The `$schema` of the log: the JSON schema store's copy of the OASIS
/// SARIF 2.1.0 schema, the URI GitHub's documentation uses.
pub const SCHEMA_URI: &str = "https://json.schemastore.org/sarif-2.1.0.json";

/// The `uriBaseId` of every artifact inside the repository.
pub const SOURCE_ROOT: &str = "%SRCROOT%";

/// The key of our own fingerprint in `partialFingerprints`.
pub const FINGERPRINT_KEY: &str = "dockerleak/v1";

/// `automationDetails.id`: the category `dockerleak` (code scanning keeps
/// one set of alerts per tool and category), no run id, so alerts of one
/// run replace those of the previous run.
pub const AUTOMATION_ID: &str = "dockerleak/";

/// What code scanning needs to know about a rule beyond its metadata.
struct ScanningProperties {
    /// 0.1–10.0: above 9 critical, 7–8.9 high, 4–6.9 medium, below low.
    security_severity: f64,
    /// `very-high`, `high`, `medium` or `low`: how often a result is right.
    precision: &'static str,
    /// A CWE tag (`external/cwe/cwe-798`), shown and searchable in code scanning.
    cwe: Option<&'static str>,
}

/// Per-rule values, reasoned from what an attacker holding the image (or
/// the repository, or the build log) gets; rules without an entry fall back
/// on their default severity (error 8.0, warning 5.0, note 2.0).
///
/// - DLK005 hardcoded-secret, DLK007 credentials-in-url (9.1, critical):
///   the credential itself is in the repository *and* in every image built
///   from it; anyone with read access to either can use it.
/// - DLK001 secret-file-copied, DLK002 secret-deleted-in-later-layer,
///   DLK004 secret-in-env, DLK008 secret-mount-persisted (8.0, high): the
///   secret is in the image (a layer, the config), not in the repository;
///   anyone who can pull the image has it.
/// - DLK003 secret-in-arg, DLK006 secret-in-run-without-mount (7.0, high):
///   the value reaches the image history or a layer, depending on how the
///   image is built and what the command does with it.
/// - DLK010 context-secret-not-ignored (6.0, medium): a credential file of
///   the build context *may* be copied, depending on what is in the context
///   at build time.
/// - DLK009 secret-printed-to-log (4.0, medium): the secret reaches build
///   logs, which are often readable more widely than the secret should be.
/// - DLK000 invalid-directive (2.0, low): not a leak, but a suppression
///   that does not do what its author meant.
fn scanning_properties(meta: &RuleMeta) -> ScanningProperties {
    let (security_severity, precision, cwe) = match meta.code {
        "DLK000" => (2.0, "very-high", None),
        "DLK001" => (8.0, "high", Some("external/cwe/cwe-538")),
        "DLK002" => (8.0, "high", Some("external/cwe/cwe-538")),
        "DLK003" => (7.0, "medium", Some("external/cwe/cwe-522")),
        "DLK004" => (8.0, "high", Some("external/cwe/cwe-522")),
        "DLK005" => (9.1, "high", Some("external/cwe/cwe-798")),
        "DLK006" => (7.0, "medium", Some("external/cwe/cwe-522")),
        "DLK007" => (9.1, "high", Some("external/cwe/cwe-798")),
        "DLK008" => (8.0, "high", Some("external/cwe/cwe-538")),
        "DLK009" => (4.0, "medium", Some("external/cwe/cwe-532")),
        "DLK010" => (6.0, "medium", Some("external/cwe/cwe-538")),
        _ => match meta.severity {
            Severity::Error => (8.0, "high", None),
            Severity::Warning => (5.0, "medium", None),
            Severity::Note => (2.0, "medium", None),
        },
    };
    ScanningProperties {
        security_severity,
        precision,
        cwe,
    }
}

/// Writes the SARIF log (pretty-printed, with a final newline).
///
/// The log is not built whole: the document around the results (the
/// driver, the invocation) is serialized first, and the results are
/// serialized one by one into its `results` array, so that memory does
/// not grow with the document. The text is the same as serializing
/// [`build`]'s log with `serde_json::to_writer_pretty`.
pub fn write(
    reports: &[FileReport],
    options: &ReportOptions,
    output: &mut dyn Write,
) -> io::Result<()> {
    write_with_limit(reports, options, MAX_RESULTS, output)
}

/// [`write`] keeping at most `limit` results, like [`build_with_limit`].
pub fn write_with_limit(
    reports: &[FileReport],
    options: &ReportOptions,
    limit: usize,
    output: &mut dyn Write,
) -> io::Result<()> {
    let selection = Selection::new(reports, limit);
    let skeleton = serde_json::to_string_pretty(&skeleton(reports, options, &selection))
        .map_err(io::Error::from)?;
    // The only unescaped `"results": [` of the document is the run's own
    // key (a string value would have its quotes escaped).
    const EMPTY_RESULTS: &str = "\"results\": []";
    let Some(at) = skeleton.find(EMPTY_RESULTS).filter(|_| selection.kept > 0) else {
        output.write_all(skeleton.as_bytes())?;
        return output.write_all(b"\n");
    };
    let line_start = skeleton[..at].rfind('\n').map_or(0, |newline| newline + 1);
    let indent = &skeleton[line_start..at];
    let element_indent = format!("{indent}  ");
    output.write_all(&skeleton.as_bytes()[..at + EMPTY_RESULTS.len() - 1])?;
    let mut first = true;
    let mut element = Vec::new();
    let mut failure: Option<serde_json::Error> = None;
    for_each_result(reports, options, &selection, |result| {
        if failure.is_some() {
            return Ok(());
        }
        element.clear();
        if let Err(error) = serde_json::to_writer_pretty(&mut element, &result) {
            failure = Some(error);
            return Ok(());
        }
        output.write_all(if first { b"\n" } else { b",\n" })?;
        first = false;
        // A pretty-printed JSON value has no newline inside a string, so
        // indenting every line nests it where serde_json would have.
        for (index, line) in element.split(|byte| *byte == b'\n').enumerate() {
            if index > 0 {
                output.write_all(b"\n")?;
            }
            output.write_all(element_indent.as_bytes())?;
            output.write_all(line)?;
        }
        Ok(())
    })?;
    if let Some(error) = failure {
        return Err(io::Error::from(error));
    }
    output.write_all(b"\n")?;
    output.write_all(indent.as_bytes())?;
    output.write_all(&skeleton.as_bytes()[at + EMPTY_RESULTS.len() - 1..])?;
    output.write_all(b"\n")
}

/// The SARIF log of a run.
pub fn build(reports: &[FileReport], options: &ReportOptions) -> Sarif {
    build_with_limit(reports, options, MAX_RESULTS)
}

/// GitHub code scanning rejects a run with more results than this.
pub const MAX_RESULTS: usize = 25_000;

/// [`build`] keeping at most `limit` results: the most severe ones (errors,
/// then warnings, then notes; path order within a level), in path order,
/// with a warning notification that says how many were left out.
pub fn build_with_limit(reports: &[FileReport], options: &ReportOptions, limit: usize) -> Sarif {
    let selection = Selection::new(reports, limit);
    let mut log = skeleton(reports, options, &selection);
    let mut results = Vec::new();
    for_each_result(reports, options, &selection, |result| {
        results.push(result);
        Ok(())
    })
    .expect("collecting results cannot fail");
    log.runs[0].results = Some(results);
    log
}

/// Which findings of a run become results when there are more than the
/// limit: every finding more severe than `level`, and the first
/// `at_level` findings of `level` (in path order); none less severe.
/// This is "the `limit` most severe, in path order".
struct Selection {
    total: usize,
    kept: usize,
    limit: usize,
    level: Severity,
    at_level: usize,
}

impl Selection {
    fn new(reports: &[FileReport], limit: usize) -> Selection {
        let count = |severity: Severity| {
            reports
                .iter()
                .flat_map(|report| &report.findings)
                .filter(|finding| finding.severity == severity)
                .count()
        };
        let counts = [
            (Severity::Error, count(Severity::Error)),
            (Severity::Warning, count(Severity::Warning)),
            (Severity::Note, count(Severity::Note)),
        ];
        let total = counts.iter().map(|(_, count)| count).sum();
        let mut left = limit;
        let mut selection = Selection {
            total,
            kept: total.min(limit),
            limit,
            level: Severity::Note,
            at_level: usize::MAX,
        };
        for (severity, count) in counts {
            if count >= left {
                selection.level = severity;
                selection.at_level = left;
                break;
            }
            left -= count;
        }
        selection
    }

    /// The keep/drop decision of each finding, called in path order.
    fn keeper(&self) -> impl FnMut(Severity) -> bool + '_ {
        let mut seen_at_level = 0;
        move |severity| {
            if self.total <= self.limit || severity > self.level {
                true
            } else if severity == self.level {
                seen_at_level += 1;
                seen_at_level <= self.at_level
            } else {
                false
            }
        }
    }
}

/// Calls `each` with the result of every kept finding, in path order.
fn for_each_result(
    reports: &[FileReport],
    options: &ReportOptions,
    selection: &Selection,
    mut each: impl FnMut(SarifResult) -> io::Result<()>,
) -> io::Result<()> {
    let rule_index: BTreeMap<&str, usize> = rules::registry()
        .iter()
        .enumerate()
        .map(|(index, rule)| (rule.meta().code, index))
        .collect();
    let mut keep = selection.keeper();
    for report in reports {
        if report.findings.is_empty() {
            continue;
        }
        let artifact = artifact_location(report, options);
        let redacted = report.redacted_text();
        for finding in &report.findings {
            if keep(finding.severity) {
                each(result_of(
                    report,
                    &redacted,
                    &artifact,
                    &rule_index,
                    finding,
                    options,
                ))?;
            }
        }
    }
    Ok(())
}

/// The result of one finding.
fn result_of(
    report: &FileReport,
    redacted: &RedactedText,
    artifact: &ArtifactLocation,
    rule_index: &BTreeMap<&str, usize>,
    finding: &Finding,
    options: &ReportOptions,
) -> SarifResult {
    let region = |span: crate::source::Span| {
        let place = Region::of(report, span);
        let mut region = serde_sarif::sarif::Region::builder()
            .start_line(place.line as i64)
            .start_column(place.column as i64)
            .end_line(place.end_line as i64)
            .end_column(place.end_column as i64)
            .build();
        // From the redacted text: a snippet never shows a secret.
        let snippet = redacted.map_span(span).slice(&redacted.text).to_string();
        if !snippet.is_empty() {
            region.snippet = Some(ArtifactContent::builder().text(snippet).build());
        }
        region
    };
    let mut text = sentence(&safe_message(report, finding));
    let help = safe_help(report, finding);
    if !help.is_empty() {
        text.push(' ');
        text.push_str(&sentence(&help));
    }
    let related: Vec<Location> = finding
        .labels
        .iter()
        .enumerate()
        .map(|(index, label)| {
            let (artifact, region) = match &label.file {
                Some(file) => (
                    path_location(&file.path, options),
                    serde_sarif::sarif::Region::builder()
                        .start_line(file.line as i64)
                        .start_column(file.column as i64)
                        .end_line(file.end_line as i64)
                        .end_column(file.end_column as i64)
                        .build(),
                ),
                None => (artifact.clone(), region(label.span)),
            };
            Location::builder()
                .id(index as i64 + 1)
                .physical_location(
                    PhysicalLocation::builder()
                        .artifact_location(artifact)
                        .region(region)
                        .build(),
                )
                .message(
                    Message::builder()
                        .text(report.mask(&label.message).into_owned())
                        .build(),
                )
                .build()
        })
        .collect();
    let mut fingerprints = BTreeMap::new();
    fingerprints.insert(
        "primaryLocationLineHash".to_string(),
        finding.fingerprint.clone(),
    );
    fingerprints.insert(FINGERPRINT_KEY.to_string(), finding.fingerprint.clone());
    let mut result = SarifResult::builder()
        .rule_id(finding.code)
        .level(level(finding.severity))
        .message(Message::builder().text(text).build())
        .locations(vec![Location::builder()
            .physical_location(
                PhysicalLocation::builder()
                    .artifact_location(artifact.clone())
                    .region(region(finding.span))
                    .context_region(context_region(report, redacted, finding.span))
                    .build(),
            )
            .build()])
        .partial_fingerprints(fingerprints)
        .build();
    if let Some(index) = rule_index.get(finding.code) {
        result.rule_index = Some(*index as i64);
    }
    if !related.is_empty() {
        result.related_locations = Some(related);
    }
    if let Some(fix) = sarif_fix(report, finding, artifact, options) {
        result.fixes = Some(vec![fix]);
    }
    if let Some(stage) = safe_stage(report, finding) {
        result.properties = Some(
            PropertyBag::builder()
                .additional_properties(BTreeMap::from([(
                    "stage".to_string(),
                    json!(stage.as_ref()),
                )]))
                .build(),
        );
    }
    result
}

/// The log without its results (an empty `results` array): the driver,
/// the invocation with its notifications (file errors, and the results
/// left out over the limit).
fn skeleton(reports: &[FileReport], options: &ReportOptions, selection: &Selection) -> Sarif {
    let registry = rules::registry();
    let mut notifications = Vec::new();
    for report in reports {
        if report.errors.is_empty() {
            continue;
        }
        let artifact = artifact_location(report, options);
        for error in &report.errors {
            let mut physical = PhysicalLocation::builder()
                .artifact_location(artifact.clone())
                .build();
            if let Some(span) = error.span {
                let place = Region::of(report, span);
                physical.region = Some(
                    serde_sarif::sarif::Region::builder()
                        .start_line(place.line as i64)
                        .start_column(place.column as i64)
                        .build(),
                );
            }
            notifications.push(
                Notification::builder()
                    .level(json!("error"))
                    .message(
                        Message::builder()
                            .text(format!(
                                "{}: {}",
                                report.path,
                                sentence(&error_message(report, error))
                            ))
                            .build(),
                    )
                    .locations(vec![Location::builder()
                        .physical_location(physical)
                        .build()])
                    .build(),
            );
        }
    }
    // Notifications so far are file errors: the run did not check all.
    let execution_successful = notifications.is_empty();
    if selection.total > selection.limit {
        let limit = selection.limit;
        let omitted = selection.total - limit;
        notifications.push(
            Notification::builder()
                .level(json!("warning"))
                .message(
                    Message::builder()
                        .text(format!(
                            "{omitted} of {} results left out: GitHub code scanning rejects a \
                             run with more than {limit}. The {limit} most severe are kept; \
                             `--format json` lists them all.",
                            omitted + limit
                        ))
                        .build(),
                )
                .build(),
        );
    }
    let mut invocation = Invocation::builder()
        .execution_successful(execution_successful)
        .build();
    if !notifications.is_empty() {
        invocation.tool_execution_notifications = Some(notifications);
    }
    let driver = ToolComponent::builder()
        .name("dockerleak")
        .semantic_version(env!("CARGO_PKG_VERSION"))
        .version(env!("CARGO_PKG_VERSION"))
        .information_uri(crate::REPOSITORY)
        .rules(
            registry
                .iter()
                .map(|rule| reporting_descriptor(rule.meta()))
                .collect::<Vec<_>>(),
        )
        .build();
    let mut run = Run::builder()
        .tool(Tool::builder().driver(driver).build())
        .automation_details(RunAutomationDetails::builder().id(AUTOMATION_ID).build())
        .column_kind(json!("unicodeCodePoints"))
        .invocations(vec![invocation])
        .results(Vec::new())
        .build();
    run.original_uri_base_ids = Some(BTreeMap::from([(
        SOURCE_ROOT.to_string(),
        source_root_location(options),
    )]));
    Sarif::builder()
        .schema(SCHEMA_URI)
        .version(json!("2.1.0"))
        .runs(vec![run])
        .build()
}

/// The whole lines of `span`, with their (redacted) text: what a viewer
/// shows around the result when it does not have the file.
fn context_region(
    report: &FileReport,
    redacted: &RedactedText,
    span: crate::source::Span,
) -> serde_sarif::sarif::Region {
    let place = Region::of(report, span);
    let start = report.line_index.line_start(place.line);
    let end = if place.end_line < report.line_index.line_count() {
        report.line_index.line_start(place.end_line + 1)
    } else {
        report.text.len()
    };
    let lines = crate::source::Span::new(redacted.map(start), redacted.map(end.max(start)));
    let text = lines
        .slice(&redacted.text)
        .trim_end_matches(['\r', '\n'])
        .to_string();
    let mut region = serde_sarif::sarif::Region::builder()
        .start_line(place.line as i64)
        .end_line(place.end_line as i64)
        .build();
    if !text.is_empty() {
        region.snippet = Some(ArtifactContent::builder().text(text).build());
    }
    region
}

fn level(severity: Severity) -> ResultLevel {
    match severity {
        Severity::Error => ResultLevel::Error,
        Severity::Warning => ResultLevel::Warning,
        Severity::Note => ResultLevel::Note,
    }
}

/// A rule's `reportingDescriptor`.
fn reporting_descriptor(meta: &RuleMeta) -> ReportingDescriptor {
    let properties = scanning_properties(meta);
    let mut tags = vec!["security".to_string(), "secrets".to_string()];
    tags.push("dockerfile".to_string());
    if let Some(cwe) = properties.cwe {
        tags.push(cwe.to_string());
    }
    let help_uri = meta.help_uri();
    let markdown = meta.markdown();
    let help_markdown = format!(
        "{}\n\n[Documentation of {} {}]({help_uri})\n",
        markdown.trim_end(),
        meta.code,
        meta.name
    );
    let help_text = format!("{}\n\nDocumentation: {help_uri}\n", markdown.trim_end());
    ReportingDescriptor::builder()
        .id(meta.code)
        .name(meta.name)
        .short_description(
            MultiformatMessageString::builder()
                .text(meta.summary)
                .build(),
        )
        .full_description(
            MultiformatMessageString::builder()
                .text(full_description(meta))
                .build(),
        )
        .help(
            MultiformatMessageString::builder()
                .text(help_text)
                .markdown(help_markdown)
                .build(),
        )
        .help_uri(help_uri)
        .default_configuration(
            ReportingConfiguration::builder()
                .level(json!(meta.severity.as_str()))
                .build(),
        )
        .properties(
            PropertyBag::builder()
                .tags(tags)
                .additional_properties(BTreeMap::from([
                    ("precision".to_string(), json!(properties.precision)),
                    (
                        "security-severity".to_string(),
                        json!(format!("{:.1}", properties.security_severity)),
                    ),
                ]))
                .build(),
        )
        .build()
}

/// The "What it finds" section of the rule's documentation as one
/// paragraph; the summary when the documentation has no such section.
fn full_description(meta: &RuleMeta) -> String {
    let mut in_section = false;
    let mut words: Vec<&str> = Vec::new();
    for line in meta.docs.lines().map(str::trim) {
        if let Some(heading) = line.strip_prefix("## ") {
            if in_section {
                break;
            }
            in_section = heading.eq_ignore_ascii_case("What it finds");
            continue;
        }
        if in_section {
            words.extend(line.split_whitespace());
        }
    }
    if words.is_empty() {
        meta.summary.to_string()
    } else {
        words.join(" ")
    }
}

/// A result's `fixes` entry: one artifact change per file the fix edits,
/// each with its replacements (a deleted region, possibly empty, and the
/// inserted text). Display-only fixes, and fixes without edits, have none:
/// SARIF wants at least one change.
fn sarif_fix(
    report: &FileReport,
    finding: &crate::finding::Finding,
    artifact: &ArtifactLocation,
    options: &ReportOptions,
) -> Option<serde_sarif::sarif::Fix> {
    let view = super::safe_fix(report, finding)?;
    if view.edits.is_empty() || view.applicability == "display-only" {
        return None;
    }
    let mut changes: Vec<(Option<&str>, Vec<serde_sarif::sarif::Replacement>)> = Vec::new();
    for edit in &view.edits {
        let region = serde_sarif::sarif::Region::builder()
            .start_line(edit.line as i64)
            .start_column(edit.column as i64)
            .end_line(edit.end_line as i64)
            .end_column(edit.end_column as i64)
            .build();
        let mut replacement = serde_sarif::sarif::Replacement::builder()
            .deleted_region(region)
            .build();
        if !edit.content.is_empty() {
            replacement.inserted_content = Some(
                ArtifactContent::builder()
                    .text(edit.content.to_string())
                    .build(),
            );
        }
        match changes.iter_mut().find(|(path, _)| *path == edit.path) {
            Some((_, replacements)) => replacements.push(replacement),
            None => changes.push((edit.path, vec![replacement])),
        }
    }
    let mut description = sentence(&view.message);
    if let Some(note) = &view.build_note {
        description.push_str(&format!(" Build with `{note}`."));
    }
    let artifact_changes = changes
        .into_iter()
        .map(|(path, replacements)| {
            let location = match path {
                Some(path) => path_location(path, options),
                None => artifact.clone(),
            };
            serde_sarif::sarif::ArtifactChange::builder()
                .artifact_location(location)
                .replacements(replacements)
                .build()
        })
        .collect::<Vec<_>>();
    Some(
        serde_sarif::sarif::Fix::builder()
            .description(Message::builder().text(description).build())
            .artifact_changes(artifact_changes)
            .build(),
    )
}

/// Where a report's file is: relative to `%SRCROOT%` when inside the
/// repository, else an absolute `file:` URI.
fn artifact_location(report: &FileReport, options: &ReportOptions) -> ArtifactLocation {
    path_location(&report.path, options)
}

/// [`artifact_location`] of any file the run names (a fix's `.dockerignore`).
fn path_location(path: &str, options: &ReportOptions) -> ArtifactLocation {
    match options.paths.repository_relative(path) {
        Some(relative) => ArtifactLocation::builder()
            .uri(percent_encode_path(&relative))
            .uri_base_id(SOURCE_ROOT)
            .build(),
        None => {
            let absolute = options.paths.absolute(path);
            let uri = if absolute.is_absolute() {
                file_uri(&absolute.to_string_lossy(), false)
            } else {
                percent_encode_path(&absolute.to_string_lossy())
            };
            ArtifactLocation::builder().uri(uri).build()
        }
    }
}

/// `%SRCROOT%`: the repository root as an absolute `file:` URI ending in
/// `/` (a base URI must), or only a description when the root is unknown.
fn source_root_location(options: &ReportOptions) -> ArtifactLocation {
    let root = super::normalize_lexically(&options.paths.repository_root);
    let description = Message::builder()
        .text("The root of the repository that was checked.")
        .build();
    if root.is_absolute() {
        ArtifactLocation::builder()
            .uri(file_uri(&root.to_string_lossy(), true))
            .description(description)
            .build()
    } else {
        ArtifactLocation::builder().description(description).build()
    }
}

/// `file:///…` for an absolute path (Windows drive paths get a leading `/`).
fn file_uri(path: &str, directory: bool) -> String {
    let path = path.replace('\\', "/");
    let mut uri = String::from("file://");
    if !path.starts_with('/') {
        uri.push('/');
    }
    uri.push_str(&percent_encode_path(&path));
    if directory && !uri.ends_with('/') {
        uri.push('/');
    }
    uri
}

/// Percent-encodes a `/`-separated path for a URI: unreserved characters,
/// `/` and the sub-delimiters RFC 3986 allows in a path stay; every other
/// byte (spaces, `%`, `#`, `?`, `<`, non-ASCII UTF-8) becomes `%XX`.
pub fn percent_encode_path(path: &str) -> String {
    let mut encoded = String::with_capacity(path.len());
    for byte in path.bytes() {
        let keep = byte.is_ascii_alphanumeric()
            || matches!(
                byte,
                b'-' | b'.'
                    | b'_'
                    | b'~'
                    | b'/'
                    | b'!'
                    | b'$'
                    | b'&'
                    | b'\''
                    | b'('
                    | b')'
                    | b'*'
                    | b'+'
                    | b','
                    | b';'
                    | b'='
                    | b':'
                    | b'@'
            );
        if keep {
            encoded.push(byte as char);
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    encoded
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::PathContext;
    use std::path::PathBuf;

    #[test]
    fn paths_are_percent_encoded() {
        assert_eq!(
            percent_encode_path("a b/<stdin>/é#1?%"),
            "a%20b/%3Cstdin%3E/%C3%A9%231%3F%25"
        );
        assert_eq!(file_uri("/work/my repo", true), "file:///work/my%20repo/");
        assert_eq!(file_uri("C:\\src", true), "file:///C:/src/");
    }

    #[test]
    fn artifact_uris_are_relative_to_the_repository_root() {
        let options = ReportOptions {
            paths: PathContext {
                working_directory: PathBuf::from("/repo/services"),
                repository_root: PathBuf::from("/repo"),
            },
            ..ReportOptions::default()
        };
        let location = |path: &str| {
            let report = FileReport {
                path: path.into(),
                ..FileReport::default()
            };
            let location = artifact_location(&report, &options);
            (location.uri.unwrap_or_default(), location.uri_base_id)
        };
        assert_eq!(
            location("./api/Dockerfile"),
            ("services/api/Dockerfile".into(), Some(SOURCE_ROOT.into()))
        );
        assert_eq!(
            location("../Dockerfile"),
            ("Dockerfile".into(), Some(SOURCE_ROOT.into()))
        );
        assert_eq!(
            location("/elsewhere/Dockerfile"),
            ("file:///elsewhere/Dockerfile".into(), None)
        );
        assert_eq!(
            source_root_location(&options).uri.as_deref(),
            Some("file:///repo/")
        );
    }

    /// Over the limit, the most severe results are kept in path order and a
    /// warning says how many were left out; the run still succeeded.
    #[test]
    fn a_run_over_the_result_limit_keeps_the_most_severe() {
        let notes = "FROM alpine\nARG GITHUB_TOKEN\nARG NPM_TOKEN\n";
        let errors = "FROM alpine\nCOPY .netrc /root/\nCOPY id_rsa /root/.ssh/\n";
        let reports = vec![
            crate::lint::lint_source("a/Dockerfile", notes, &crate::Config::default()),
            crate::lint::lint_source("b/Dockerfile", errors, &crate::Config::default()),
        ];
        let all = build(&reports, &ReportOptions::default());
        let all_results = all.runs[0].results.clone().unwrap_or_default();
        assert!(all_results.len() >= 4, "{all_results:#?}");
        assert!(all.runs[0].invocations.as_ref().unwrap()[0]
            .tool_execution_notifications
            .is_none());

        let capped = build_with_limit(&reports, &ReportOptions::default(), 2);
        let run = &capped.runs[0];
        let results = run.results.clone().unwrap_or_default();
        assert_eq!(results.len(), 2);
        assert!(results
            .iter()
            .all(|result| matches!(result.level, Some(ResultLevel::Error))));
        let invocation = &run.invocations.as_ref().unwrap()[0];
        assert!(invocation.execution_successful);
        let notifications = invocation.tool_execution_notifications.as_ref().unwrap();
        assert_eq!(notifications.len(), 1);
        let text = notifications[0].message.text.clone().unwrap_or_default();
        let omitted = all_results.len() - 2;
        assert!(
            text.starts_with(&format!(
                "{omitted} of {} results left out",
                all_results.len()
            )),
            "{text}"
        );
    }

    /// The streamed log is the text of the built one, with and without
    /// results, over the limit and with file errors.
    #[test]
    fn the_streamed_log_is_the_built_log_serialized() {
        let config = crate::Config::default();
        let reports = [
            crate::lint::lint_source(
                "a/Dockerfile",
                "FROM alpine\nARG GITHUB_TOKEN\nENV DB_PASSWORD=Summer2024x\n",
                &config,
            ),
            crate::lint::lint_source("b/Dockerfile", "FROM alpine\nRUN true\n", &config),
            crate::lint::lint_source(
                "c/Dockerfile",
                "FROM alpine AS build\nCOPY .netrc /root/\nRUN rm /root/.netrc\nENV A=  x\n",
                &config,
            ),
        ];
        let options = ReportOptions::default();
        for reports in [&reports[..], &reports[1..2], &[][..]] {
            for limit in [0, 1, 2, 3, MAX_RESULTS] {
                let mut streamed = Vec::new();
                write_with_limit(reports, &options, limit, &mut streamed).expect("a Vec");
                let built =
                    serde_json::to_string_pretty(&build_with_limit(reports, &options, limit))
                        .expect("serializable")
                        + "\n";
                assert_eq!(
                    String::from_utf8(streamed).expect("UTF-8"),
                    built,
                    "limit {limit}"
                );
            }
        }
        assert!(reports[2].errors.len() == 1 && reports[0].findings.len() >= 3);
    }

    #[test]
    fn every_rule_has_the_properties_code_scanning_needs() {
        for rule in rules::registry() {
            let descriptor = reporting_descriptor(rule.meta());
            let properties = descriptor.properties.expect("properties");
            let tags = properties.tags.expect("tags");
            assert!(tags.contains(&"security".to_string()));
            let severity: f64 = properties.additional_properties["security-severity"]
                .as_str()
                .expect("a string")
                .parse()
                .expect("a number");
            assert!((0.1..=10.0).contains(&severity));
            assert!(descriptor
                .help
                .and_then(|help| help.markdown)
                .is_some_and(|markdown| markdown.contains(&rule.meta().help_uri())));
        }
    }
}
