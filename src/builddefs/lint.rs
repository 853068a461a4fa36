//! The one way through for a build definition: text → reader → DLK011 →
//! suppression (`# dockerleak ignore=DLK011 reason` on the comment lines
//! right above the finding's line or above its invocation; `# dockerleak
//! global ignore=…` anywhere; `//` comments in Groovy) → severity
//! overrides → fingerprints (of masked text) → masking. Every literal
//! token of the file is masked in all output, found or not by a rule.

use super::kind::FileKind;
use super::Kind;
use crate::config::Config;
use crate::finding::{FileError, FileReport, Finding};
use crate::redact::Redactor;
use crate::rules::{check_definition, DefinitionFinding, SecretPassedAsBuildArg};
use crate::source::{LineIndex, Span};
use crate::syntax::Comment;
use std::collections::HashMap;
use std::path::Path;
use std::sync::LazyLock;

/// What `path` is read as, by name: `--kind`, then a Dockerfile name, then
/// a build definition's conventional name. `None`: the name does not say
/// (the content decides, [`kind_of_content`]).
pub fn kind_by_name(path: &str, config: &Config) -> Option<FileKind> {
    if let Some(kind) = config.kind {
        return Some(kind);
    }
    static DOCKERFILE_NAMES: LazyLock<Option<crate::discover::NameMatcher>> =
        LazyLock::new(|| crate::discover::NameMatcher::new(&[]).ok());
    let path = Path::new(path);
    let name = path.file_name()?;
    if DOCKERFILE_NAMES
        .as_ref()
        .is_some_and(|names| names.is_dockerfile_name(name))
    {
        return Some(FileKind::Dockerfile);
    }
    Kind::by_path(path).map(FileKind::Definition)
}

/// What a file whose name says nothing is read as: a build definition
/// when its content says so, else a Dockerfile.
pub fn kind_of_content(text: &str) -> FileKind {
    Kind::by_content(text).map_or(FileKind::Dockerfile, FileKind::Definition)
}

/// Lints one build definition (`identity` names it in fingerprints).
pub fn lint_definition(
    path: &str,
    identity: &str,
    text: &str,
    kind: Kind,
    config: &Config,
) -> FileReport {
    let mut errors = Vec::new();
    let mut findings: Vec<DefinitionFinding> = Vec::new();
    if !config.disabled_readers.contains(&kind) {
        match super::read(kind, path, text) {
            Ok(definition) => {
                findings = check_definition(&definition, text, config.catalog());
            }
            Err(error) => errors.push(FileError {
                message: format!(
                    "cannot read this {} file: {}",
                    describe(kind),
                    error.message
                ),
                span: error.span,
            }),
        }
    }
    let mut secret_spans: Vec<Span> = findings
        .iter()
        .flat_map(|found| found.finding.secrets.iter().copied())
        .collect();
    // Every literal token of the file is masked, whatever reported it.
    if !findings.is_empty() || !errors.is_empty() {
        secret_spans.extend(
            config
                .catalog()
                .tokens
                .scan(text)
                .into_iter()
                .map(|found| Span::new(found.range.start, found.range.end)),
        );
    }
    let redactor = Redactor::new(text, secret_spans);
    let line_index = LineIndex::new(text);
    let enabled = config.is_enabled(SecretPassedAsBuildArg::META.code);
    let suppressions = if config.no_inline_ignores {
        CommentDirectives::default()
    } else {
        CommentDirectives::new(text, kind)
    };
    let mut kept: Vec<Finding> = findings
        .into_iter()
        .filter(|_| enabled)
        .filter(|found| {
            !suppressions.silences(
                found.finding.code,
                &[found.finding.span.start, found.invocation.start],
                text,
                &line_index,
            )
        })
        .map(|found| found.finding)
        .collect();
    for finding in &mut kept {
        if let Some(severity) = config.severity.get(finding.code) {
            finding.severity = *severity;
        }
    }
    kept.sort_by(|a, b| {
        (a.span.start, a.code, a.span.end).cmp(&(b.span.start, b.code, b.span.end))
    });
    kept.dedup_by(|a, b| a.code == b.code && a.span == b.span);
    let mut occurrences: HashMap<u64, usize> = HashMap::new();
    for finding in &mut kept {
        let line = line_span(text, finding.span.start);
        let normalized = redactor.fingerprint_text(text, line);
        let collapsed: Vec<&str> = normalized.split_whitespace().collect();
        let focus = redactor.fingerprint_text(text, finding.span);
        let key = crate::lint::stable_hash(&[finding.code, identity, &collapsed.join(" "), &focus]);
        let occurrence = occurrences.entry(key).or_default();
        *occurrence += 1;
        finding.fingerprint = format!("{key:016x}:{occurrence}");
        for text in [&mut finding.message, &mut finding.help, &mut finding.label] {
            if let std::borrow::Cow::Owned(masked) = redactor.mask(text) {
                *text = masked.into();
            }
        }
    }
    for error in &mut errors {
        if let std::borrow::Cow::Owned(masked) = redactor.mask(&error.message) {
            error.message = masked;
        }
    }
    FileReport {
        path: path.to_string(),
        text: text.to_string(),
        line_index,
        findings: kept,
        errors,
        redactor,
    }
}

fn describe(kind: Kind) -> &'static str {
    match kind {
        Kind::GithubActions => "GitHub Actions",
        Kind::GitlabCi => "GitLab CI",
        Kind::Jenkins => "Jenkinsfile",
        Kind::Compose => "compose",
        Kind::Bake => "bake",
        Kind::Shell => "shell",
        Kind::Make => "Makefile",
        Kind::Just => "justfile",
    }
}

/// The line that holds `offset`, without its line end.
fn line_span(text: &str, offset: usize) -> Span {
    let offset = offset.min(text.len());
    let start = text[..offset].rfind('\n').map_or(0, |at| at + 1);
    let end = text[offset..]
        .find('\n')
        .map_or(text.len(), |at| offset + at);
    Span::new(start, end)
}

/// The `dockerleak` directives in a definition's comment lines.
#[derive(Default)]
struct CommentDirectives {
    global: Vec<String>,
    /// 1-based line → codes silenced by a directive on that line.
    by_line: HashMap<usize, Vec<String>>,
    /// 1-based lines that are comments only.
    comment_lines: std::collections::HashSet<usize>,
}

impl CommentDirectives {
    fn new(text: &str, kind: Kind) -> CommentDirectives {
        let mut directives = CommentDirectives::default();
        if !text.contains("dockerleak") && kind != Kind::Jenkins {
            // Comment lines only matter next to a directive.
            return directives;
        }
        let markers: &[&str] = if kind == Kind::Jenkins {
            &["//"]
        } else {
            &["#"]
        };
        let mut offset = 0;
        for (index, line) in text.split_inclusive('\n').enumerate() {
            let start = offset;
            offset += line.len();
            let trimmed = line.trim();
            let Some(body) = markers
                .iter()
                .find_map(|marker| trimmed.strip_prefix(marker))
            else {
                continue;
            };
            let number = index + 1;
            directives.comment_lines.insert(number);
            let body = body.trim();
            let comment = Comment {
                text: body.to_string(),
                span: Span::new(start, start + line.trim_end().len()),
                line: number,
            };
            let Some(directive) = crate::suppress::parse_directive(&comment) else {
                continue;
            };
            let codes: Vec<String> = directive
                .codes
                .iter()
                .filter_map(|code| code.resolved())
                .map(str::to_string)
                .collect();
            if directive.global {
                directives.global.extend(codes);
            } else {
                directives.by_line.entry(number).or_default().extend(codes);
            }
        }
        directives
    }

    /// Whether `code` is silenced for a finding at one of `offsets` (the
    /// comment block right above the line of any of them, or the file).
    fn silences(&self, code: &str, offsets: &[usize], text: &str, lines: &LineIndex) -> bool {
        let matches = |codes: &[String]| {
            codes
                .iter()
                .any(|silenced| silenced == "all" || silenced.eq_ignore_ascii_case(code))
        };
        if matches(&self.global) {
            return true;
        }
        offsets.iter().any(|offset| {
            let mut line = lines.position(text, *offset).line;
            while line > 1 {
                line -= 1;
                if !self.comment_lines.contains(&line) {
                    return false;
                }
                if self.by_line.get(&line).is_some_and(|codes| matches(codes)) {
                    return true;
                }
            }
            false
        })
    }
}
