//! The one way through for a file: text → syntax → analysis → rules →
//! detection of secret values (every rule that finds them, whatever the
//! configuration; [`crate::redact`]) → suppression → fingerprints (of
//! masked text) → masking. Reading files and printing results belong to
//! the CLI and the reporters.

use crate::analysis::Analysis;
use crate::config::Config;
use crate::finding::{FileError, FileReport, Finding, Text, Texts};
use crate::redact::Redactor;
use crate::rules::{self, RuleContext};
use crate::source::{LineIndex, Span};
use crate::suppress::Suppressions;
use crate::syntax;
use std::borrow::Cow;
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
    lint(path, identity, text, config, ShellView::Prefiltered)
}

/// How much of RUN is read as shell.
#[doc(hidden)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ShellView {
    /// Only the RUNs the prefilter passes ([`crate::analysis::shell::prefilter`]).
    Prefiltered,
    /// Every RUN: what the prefilter is checked against
    /// (`tests/shell_prefilter.rs`). Not a user-facing option: the
    /// findings are the same.
    Full,
}

/// [`lint_source`] reading every RUN as shell, prefilter or not: the
/// equivalence test's reference.
#[doc(hidden)]
pub fn lint_source_with(path: &str, text: &str, config: &Config, view: ShellView) -> FileReport {
    lint(path, path, text, config, view)
}

fn analyse(dockerfile: &syntax::Dockerfile, config: &Config, view: ShellView) -> Analysis {
    match view {
        ShellView::Prefiltered => {
            Analysis::with_prefilter(dockerfile, config.target.as_deref(), config.catalog())
        }
        ShellView::Full => Analysis::new(dockerfile, config.target.as_deref()),
    }
}

fn lint(path: &str, identity: &str, text: &str, config: &Config, view: ShellView) -> FileReport {
    let dockerfile = syntax::parse(text);
    let analysis = analyse(&dockerfile, config, view);
    let texts = Texts::default();
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
    let context = RuleContext::new(path, text, &dockerfile, &analysis, config, &texts);
    let mut findings = Vec::new();
    let mut secret_spans = Vec::new();
    run_rules(&context, &mut findings, &mut secret_spans);
    secret_spans.extend(onbuild_secret_spans(text, &dockerfile, config, view));
    let redactor = Redactor::new(text, secret_spans);
    // `--no-inline-ignores`: no comment silences anything (DLK000 still
    // reports malformed ones).
    let suppressions = inline_suppressions(&dockerfile, config);
    findings.retain(|finding| {
        // A directive can't silence the report about itself.
        finding.code == rules::InvalidDirective::META.code
            || !silenced(&dockerfile, &suppressions, finding.code, finding.span)
    });
    for finding in &mut findings {
        if let Some(severity) = config.severity.get(finding.code) {
            finding.severity = *severity;
        }
    }
    // The same finding twice (an ONBUILD trigger run by several stages):
    // the most severe one is kept.
    // (A stable sort of indices, then the findings moved into that order:
    // a stable sort of the findings themselves borrows half their size.)
    let key = |finding: &Finding| {
        (
            finding.span.start,
            finding.code,
            finding.span.end,
            std::cmp::Reverse(finding.severity),
        )
    };
    let mut order: Vec<usize> = (0..findings.len()).collect();
    order.sort_by(|&a, &b| key(&findings[a]).cmp(&key(&findings[b])));
    crate::memory::permute(&mut findings, order);
    findings.dedup_by(|a, b| a.code == b.code && a.span == b.span);
    attach_fixes(&context, &redactor, &mut findings);
    assign_fingerprints(identity, text, &dockerfile, &redactor, &mut findings);
    mask_findings(&redactor, &texts, &mut findings, &mut errors);
    FileReport {
        path: path.to_string(),
        text: text.to_string(),
        line_index: LineIndex::new(text),
        findings,
        errors,
        redactor,
    }
}

/// The redactor of `text` alone: the detection [`lint_source`] runs (every
/// rule that finds secret values, whatever `config` selects), without the
/// report. For outputs that show a file without linting it (`dockerleak
/// parse`).
pub fn detect_secrets(text: &str, config: &Config) -> Redactor {
    let dockerfile = syntax::parse(text);
    let analysis = analyse(&dockerfile, config, ShellView::Prefiltered);
    let texts = Texts::default();
    let context = RuleContext::new("", text, &dockerfile, &analysis, config, &texts);
    let mut secrets = secret_spans_of_all_rules(&context);
    secrets.extend(onbuild_secret_spans(
        text,
        &dockerfile,
        config,
        ShellView::Prefiltered,
    ));
    Redactor::new(text, secrets)
}

/// The Dockerfile side of a DLK011 fix for the Dockerfile `text` (at
/// `path`): [`crate::fix::rewrites::named_arg_to_secret_mount`] of `name`,
/// with what the rules find in the file (DLK006's implicit readers) and the
/// same checks as a rule's own fix: display-only when it would edit an
/// `ONBUILD`, when the result would not parse, or when the file has syntax
/// errors. `None` when the file declares no `ARG name`.
pub fn arg_secret_fix(
    path: &str,
    text: &str,
    name: &str,
    config: &Config,
) -> Option<crate::fix::Fix> {
    let dockerfile = syntax::parse(text);
    let analysis = analyse(&dockerfile, config, ShellView::Prefiltered);
    let texts = Texts::default();
    let context = RuleContext::new(path, text, &dockerfile, &analysis, config, &texts);
    let mut findings = Vec::new();
    let mut secrets = Vec::new();
    run_rules(&context, &mut findings, &mut secrets);
    secrets.extend(onbuild_secret_spans(
        text,
        &dockerfile,
        config,
        ShellView::Prefiltered,
    ));
    let redactor = Redactor::new(text, secrets);
    let fix = crate::fix::rewrites::named_arg_to_secret_mount(&context, name, &findings)?;
    let by_hand = |fix: &crate::fix::Fix, why: &str| {
        crate::fix::Fix::display_only(format!("{} ({why})", fix.message))
    };
    if !dockerfile.errors.is_empty() {
        return Some(by_hand(&fix, "the Dockerfile has syntax errors"));
    }
    // The test the Dockerfile's own fixes pass (`attach_fixes`): this side
    // leaves in the definition's report, whose redaction knows nothing of
    // the Dockerfile's secrets.
    if fix.would_copy_a_secret(text, &redactor) {
        return Some(by_hand(&fix, "it would copy a secret of the Dockerfile"));
    }
    let fix = keep_out_of_triggers(&dockerfile, fix);
    if fix.applicability != crate::fix::Applicability::DisplayOnly {
        let fixed = crate::fix::apply_edits(text, fix.own_edits());
        if !syntax::parse(&fixed).errors.is_empty() {
            return Some(by_hand(&fix, "the rewritten Dockerfile would not parse"));
        }
    }
    Some(fix)
}

/// Runs every enabled rule into `findings`, and collects into `secrets`
/// the secret spans of every rule that can find secret values, enabled or
/// not: what is masked never depends on what is reported
/// ([`crate::redact`]).
fn run_rules(context: &RuleContext<'_>, findings: &mut Vec<Finding>, secrets: &mut Vec<Span>) {
    for rule in rules::registry() {
        let enabled = context.config.is_enabled(rule.meta().code);
        if !enabled && !rule.finds_secret_values() {
            continue;
        }
        let first = findings.len();
        rule.check(context, findings);
        secrets.extend(
            findings[first..]
                .iter()
                .flat_map(|finding| finding.secrets.iter().copied()),
        );
        if !enabled {
            findings.truncate(first);
        }
    }
}

/// Secret spans inside `ONBUILD` instructions: the file is linted again
/// with each `ONBUILD` keyword blanked out (same offsets), so that
/// detection sees the wrapped instruction as one of the stage (a RUN's
/// shell, an ENV's pairs) and its secrets are masked. Only detection uses
/// this; what ONBUILD reports is the rules' business.
fn onbuild_secret_spans(
    text: &str,
    dockerfile: &syntax::Dockerfile,
    config: &Config,
    view: ShellView,
) -> Vec<Span> {
    let keywords: Vec<Span> = dockerfile
        .instructions
        .iter()
        .filter(|instruction| instruction.keyword == syntax::Keyword::Onbuild)
        .map(|instruction| instruction.keyword_word.span)
        .filter(|span| span.slice(text).is_ascii())
        .collect();
    if keywords.is_empty() {
        return Vec::new();
    }
    let mut unwrapped = text.to_string();
    for span in &keywords {
        unwrapped.replace_range(span.start..span.end, &" ".repeat(span.len()));
    }
    let dockerfile = syntax::parse(&unwrapped);
    let analysis = analyse(&dockerfile, config, view);
    let texts = Texts::default();
    let context = RuleContext::new("", &unwrapped, &dockerfile, &analysis, config, &texts);
    secret_spans_of_all_rules(&context)
}

/// The secret spans that every rule that finds secret values finds.
fn secret_spans_of_all_rules(context: &RuleContext<'_>) -> Vec<Span> {
    let mut findings = Vec::new();
    for rule in rules::registry() {
        if rule.finds_secret_values() {
            rule.check(context, &mut findings);
        }
    }
    findings
        .into_iter()
        .flat_map(|finding| finding.secrets)
        .collect()
}

/// Asks each finding's rule for its fix ([`rules::Rule::fix`]), unless the
/// rule attached one itself. A fix whose edits would put a secret value in
/// a new place is dropped: a fix never moves a secret.
fn attach_fixes(context: &RuleContext<'_>, redactor: &Redactor, findings: &mut [Finding]) {
    let fixes: Vec<Option<crate::fix::Fix>> = findings
        .iter()
        .map(|finding| {
            let mut fix = match &finding.fix {
                Some(fix) => (**fix).clone(),
                None => rules::find(finding.code)?.fix(context, finding, findings)?,
            };
            // Most fixes of a rule say the same: one copy of each text.
            context.texts.share(&mut fix.message);
            if let Some(note) = &mut fix.build_note {
                context.texts.share(note);
            }
            Some(fix)
        })
        .collect();
    for (finding, fix) in findings.iter_mut().zip(fixes) {
        finding.fix = fix
            .filter(|fix| !fix.would_copy_a_secret(context.text, redactor))
            .map(|fix| Box::new(keep_out_of_triggers(context.dockerfile, fix)));
    }
}

/// A fix that would edit inside an `ONBUILD` instruction becomes
/// display-only: the rules' edits are made for the instruction a trigger
/// becomes (`ARG`, `RUN`), and applied to the written `ONBUILD ARG …` they
/// leave `ONBUILD ONBUILD …` or a mount in the wrong place, which BuildKit
/// rejects. Edits that only end where an `ONBUILD` starts are fine.
fn keep_out_of_triggers(dockerfile: &syntax::Dockerfile, fix: crate::fix::Fix) -> crate::fix::Fix {
    let inside_a_trigger = fix.own_edits().any(|edit| {
        dockerfile
            .instructions
            .iter()
            .filter(|instruction| instruction.keyword == syntax::Keyword::Onbuild)
            .any(|instruction| {
                let (span, trigger) = (edit.span, instruction.span);
                if span.is_empty() {
                    trigger.start < span.start && span.start < trigger.end
                } else {
                    span.start < trigger.end && trigger.start < span.end
                }
            })
    });
    if !inside_a_trigger || fix.applicability == crate::fix::Applicability::DisplayOnly {
        return fix;
    }
    let mut display = crate::fix::Fix::display_only(format!(
        "{} (not applied: it would edit an ONBUILD instruction; change the ONBUILD by hand)",
        fix.message
    ));
    display.build_note = fix.build_note;
    display
}

/// Masks every secret value of the file in every text of its findings and
/// errors (syntax errors quote the source, `can't find = in "…"`; a rule
/// may name a word that another rule found to be a secret, DLK001's help
/// names the copied file; a stage may be named by a token). Reporters mask
/// again through [`FileReport::mask`]; masking here keeps the library's
/// own results (the language server's, a fix's) safe too.
fn mask_findings(
    redactor: &Redactor,
    texts: &Texts,
    findings: &mut [Finding],
    errors: &mut [FileError],
) {
    if redactor.is_empty() {
        return;
    }
    let mask = |text: &mut String| {
        if let Cow::Owned(masked) = redactor.mask(text) {
            *text = masked;
        }
    };
    // A shared text is masked once, and its masked form is shared too.
    // Keyed by the allocation (each original is kept, so no address is
    // reused while the map lives).
    let mut masked: HashMap<usize, (Text, Text)> = HashMap::new();
    let mut mask_text = |text: &mut Text| {
        let (_, result) = masked.entry(text.address()).or_insert_with(|| {
            let result = match redactor.mask(text) {
                Cow::Owned(masked) => texts.text(masked),
                Cow::Borrowed(_) => text.clone(),
            };
            (text.clone(), result)
        });
        *text = result.clone();
    };
    for finding in findings.iter_mut() {
        mask_text(&mut finding.message);
        mask_text(&mut finding.help);
        mask_text(&mut finding.label);
        for label in &mut finding.labels {
            mask_text(&mut label.message);
        }
        if let Some(stage) = &mut finding.stage {
            mask_text(stage);
        }
        if let Some(fix) = &mut finding.fix {
            mask_text(&mut fix.message);
            if let Some(note) = &mut fix.build_note {
                mask_text(note);
            }
        }
    }
    for error in errors.iter_mut() {
        mask(&mut error.message);
    }
}

/// The inline directives of `dockerfile` that silence findings, as
/// [`lint_source`] reads them: none under `--no-inline-ignores` (DLK000
/// still reports malformed ones). Read once for the findings made after
/// the file is linted too (the correlation notes of
/// [`crate::builddefs::correlate`]).
pub(crate) fn inline_suppressions(
    dockerfile: &syntax::Dockerfile,
    config: &Config,
) -> Suppressions {
    if config.no_inline_ignores {
        Suppressions::default()
    } else {
        Suppressions::new(dockerfile)
    }
}

/// Whether `suppressions` (of `dockerfile`) silence `code` for a finding
/// at `span`.
pub(crate) fn silenced(
    dockerfile: &syntax::Dockerfile,
    suppressions: &Suppressions,
    code: &str,
    span: Span,
) -> bool {
    suppressions.is_suppressed(code, instruction_index(dockerfile, span))
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
/// whitespace collapsed and every secret range masked (as `<secret>`) + the
/// finding's own text, masked the same way + an occurrence counter. Edits
/// elsewhere in the file (lines above, other instructions) keep it stable;
/// only masked text is hashed, so a fingerprint (in a committed baseline,
/// a SARIF upload) never lets a guess list recover a secret.
fn assign_fingerprints(
    path: &str,
    text: &str,
    dockerfile: &syntax::Dockerfile,
    redactor: &Redactor,
    findings: &mut [Finding],
) {
    let mut occurrences: HashMap<u64, usize> = HashMap::new();
    for finding in findings.iter_mut() {
        let scope = instruction_index(dockerfile, finding.span)
            .map(|index| dockerfile.instructions[index].span)
            .unwrap_or(finding.span);
        let normalized = redactor.fingerprint_text(text, scope);
        let collapsed: Vec<&str> = normalized.split_whitespace().collect();
        let focus_text = redactor.fingerprint_text(text, finding.span);
        let key = stable_hash(&[finding.code, path, &collapsed.join(" "), &focus_text]);
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
    fn fingerprints_do_not_depend_on_a_secret_value() {
        let fingerprint = |password: &str| {
            let text = format!("FROM alpine\nARG DB_PASSWORD={password}\nRUN make\n");
            let report = lint_source("Dockerfile", &text, &Config::default());
            report
                .findings
                .iter()
                .find(|finding| finding.code == "DLK003")
                .map(|finding| finding.fingerprint.clone())
                .expect("DLK003 reports the ARG")
        };
        // A guess list cannot be checked against a committed fingerprint.
        assert_eq!(fingerprint("Summer2024!"), fingerprint("Winter2025?"));
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
