//! The one way through for a file: text → syntax → analysis → rules →
//! suppression → fingerprints. Reading files and printing results belong to
//! the CLI and the reporters.

use crate::analysis::Analysis;
use crate::config::Config;
use crate::finding::{FileError, FileReport, Finding};
use crate::rules::{self, RuleContext};
use crate::source::{LineIndex, Span};
use crate::suppress::Suppressions;
use crate::syntax;
use std::collections::HashMap;

/// Lints one Dockerfile's text. `path` names the file in the report (and,
/// for context-aware rules, locates its build context); fingerprints hash
/// it too.
pub fn lint_source(path: &str, text: &str, config: &Config) -> FileReport {
    lint_source_as(path, path, text, config)
}

/// [`lint_source`] with fingerprints hashing `identity` instead of `path`:
/// a name for the file that does not depend on where the run started (the
/// CLI passes the path relative to the repository root).
pub fn lint_source_as(path: &str, identity: &str, text: &str, config: &Config) -> FileReport {
    let dockerfile = syntax::parse(text);
    let analysis = Analysis::new(&dockerfile, config.target.as_deref());
    let mut errors: Vec<FileError> = dockerfile
        .errors
        .iter()
        .map(|error| FileError {
            message: error.message.clone(),
            span: Some(error.span),
        })
        .collect();
    if let Some(message) = analysis.target_error() {
        errors.push(FileError {
            message,
            span: None,
        });
    }
    let context = RuleContext {
        path,
        text,
        dockerfile: &dockerfile,
        analysis: &analysis,
        catalog: config.catalog(),
        config,
    };
    let mut findings = Vec::new();
    for rule in rules::registry() {
        let meta = rule.meta();
        if config.is_enabled(meta.code) {
            rule.check(&context, &mut findings);
        }
    }
    let suppressions = Suppressions::new(&dockerfile);
    findings.retain(|finding| {
        let instruction = instruction_index(&dockerfile, finding.span);
        // A directive can't silence the report about itself.
        finding.code == rules::InvalidDirective::META.code
            || !suppressions.is_suppressed(finding.code, instruction)
    });
    for finding in &mut findings {
        if let Some(severity) = config.severity.get(finding.code) {
            finding.severity = *severity;
        }
    }
    findings.sort_by(|a, b| {
        (a.span.start, a.code, a.span.end).cmp(&(b.span.start, b.code, b.span.end))
    });
    findings.dedup_by(|a, b| a.code == b.code && a.span == b.span);
    assign_fingerprints(identity, text, &dockerfile, &mut findings);
    mask_secrets_in_text(text, &mut findings, &mut errors);
    FileReport {
        path: path.to_string(),
        text: text.to_string(),
        line_index: LineIndex::new(text),
        findings,
        errors,
    }
}

/// Secrets the findings saw, masked where the report quotes them beyond
/// what the reporters mask (a finding's own secrets): syntax errors quote
/// the source (`can't find = in "…"`), and a rule may name a word that
/// another rule found to be a secret (DLK001's help names the copied
/// file, which may be a token DLK005 found, on that line or, through a
/// variable, on another), so every message, help and label is masked with
/// every secret of the file. Only secrets of 8 characters or more, so that
/// a short value (`root`) does not mask ordinary words (`/root/.netrc`).
fn mask_secrets_in_text(text: &str, findings: &mut [Finding], errors: &mut [FileError]) {
    let mut secrets: Vec<&str> = findings
        .iter()
        .flat_map(|finding| &finding.secrets)
        .map(|span| span.slice(text))
        .filter(|secret| secret.chars().count() >= 8)
        .collect();
    if secrets.is_empty() {
        return;
    }
    // Longest first, so a secret holding another is masked whole.
    secrets.sort_by_key(|secret| (std::cmp::Reverse(secret.len()), *secret));
    secrets.dedup();
    let mask = |message: &mut String| {
        for secret in &secrets {
            if message.contains(secret) {
                *message = message.replace(secret, &crate::secrets::redact(secret));
            }
        }
    };
    for finding in findings.iter_mut() {
        mask(&mut finding.message);
        mask(&mut finding.help);
        mask(&mut finding.label);
        for label in &mut finding.labels {
            mask(&mut label.message);
        }
    }
    for error in errors.iter_mut() {
        mask(&mut error.message);
    }
}

/// The instruction whose source holds `span` (its first byte).
fn instruction_index(dockerfile: &syntax::Dockerfile, span: Span) -> Option<usize> {
    let index = dockerfile
        .instructions
        .partition_point(|instruction| instruction.span.start <= span.start)
        .checked_sub(1)?;
    let instruction = &dockerfile.instructions[index];
    (span.start <= instruction.span.end).then_some(index)
}

/// Fingerprint = hash of code + path + the finding's instruction text with
/// whitespace collapsed and secrets masked + an occurrence counter. Edits
/// elsewhere in the file (lines above, other instructions) keep it stable.
fn assign_fingerprints(
    path: &str,
    text: &str,
    dockerfile: &syntax::Dockerfile,
    findings: &mut [Finding],
) {
    let mut occurrences: HashMap<u64, usize> = HashMap::new();
    for finding in findings.iter_mut() {
        let scope = instruction_index(dockerfile, finding.span)
            .map(|index| dockerfile.instructions[index].span)
            .unwrap_or(finding.span);
        let mut normalized = String::with_capacity(scope.len());
        let mut position = scope.start;
        let mut secrets: Vec<Span> = finding.secrets.clone();
        secrets.sort();
        for secret in secrets.iter().filter(|secret| scope.contains(**secret)) {
            normalized.push_str(Span::new(position, secret.start.max(position)).slice(text));
            normalized.push_str("<secret>");
            position = secret.end.max(position);
        }
        normalized.push_str(Span::new(position, scope.end.max(position)).slice(text));
        let collapsed: Vec<&str> = normalized.split_whitespace().collect();
        let focus = Span::new(finding.span.start, finding.span.end);
        let focus_text = if finding.secrets.contains(&focus) {
            "<secret>"
        } else {
            focus.slice(text)
        };
        let key = stable_hash(&[finding.code, path, &collapsed.join(" "), focus_text]);
        let occurrence = occurrences.entry(key).or_default();
        *occurrence += 1;
        finding.fingerprint = format!("{key:016x}:{occurrence}");
    }
}

/// FNV-1a over the parts (with a separator): stable across runs and
/// platforms, which `std`'s hasher is not.
pub(crate) fn stable_hash(parts: &[&str]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for byte in part.bytes().chain(std::iter::once(0xff)) {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
    }
    hash
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn syntax_errors_do_not_quote_a_secret() {
        let text = "FROM alpine\nENV A=  glpat-aAaaAAAaAaAAAaaaaa0h\n";
        let report = lint_source("Dockerfile", text, &Config::default());
        assert_eq!(report.errors.len(), 1);
        assert!(report.errors[0].message.contains("can't find ="));
        assert!(
            !report.errors[0]
                .message
                .contains("glpat-aAaaAAAaAaAAAaaaaa0h"),
            "{}",
            report.errors[0].message
        );
    }

    #[test]
    fn a_secret_found_by_one_rule_is_masked_in_the_help_of_another() {
        let text = "FROM alpine\nCOPY .netrc glpat-Aa0aA0aAAAAaAa0aA0AA\n";
        let report = lint_source("Dockerfile", text, &Config::default());
        assert!(report
            .findings
            .iter()
            .any(|finding| finding.code == "DLK001"));
        for finding in &report.findings {
            for shown in [&finding.message, &finding.help, &finding.label] {
                assert!(!shown.contains("glpat-Aa0aA0aAAAAaAa0aA0AA"), "{shown}");
            }
        }
    }

    #[test]
    fn fingerprints_survive_edits_above_the_finding() {
        let config = Config::default();
        let before = lint_source("Dockerfile", "FROM alpine\nCOPY .netrc /root/\n", &config);
        let after = lint_source(
            "Dockerfile",
            "# a comment\nFROM alpine:3\nRUN true\n\nCOPY .netrc /root/\n",
            &config,
        );
        assert_eq!(before.findings.len(), 1);
        assert_eq!(
            before.findings[0].fingerprint,
            after.findings[0].fingerprint
        );
    }
}
