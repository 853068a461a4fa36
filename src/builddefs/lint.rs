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

/// What `path` (with `text`) is linted as: [`kind_by_name`], else
/// [`kind_of_content`].
pub fn file_kind(path: &str, text: &str, config: &Config) -> FileKind {
    kind_by_name(path, config).unwrap_or_else(|| kind_of_content(text))
}

/// Lints `text` as `kind`: a Dockerfile or a build definition.
pub fn lint_as_kind(
    path: &str,
    identity: &str,
    text: &str,
    kind: FileKind,
    config: &Config,
) -> FileReport {
    match kind {
        FileKind::Dockerfile => crate::lint::lint_source_as(path, identity, text, config),
        FileKind::Definition(kind) => lint_definition(path, identity, text, kind, config),
    }
}

/// How many syntax errors `text` has as `kind` (a definition that does not
/// read has one).
pub fn syntax_errors(text: &str, kind: FileKind) -> usize {
    match kind {
        FileKind::Dockerfile => crate::syntax::parse(text).errors.len(),
        FileKind::Definition(kind) => usize::from(super::read(kind, "", text).is_err()),
    }
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
                findings = check_definition(kind, &definition, text, config.catalog());
                pair_fixes(kind, path, &definition, &mut findings, config);
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
    let suppressions = CommentDirectives::inline(text, kind, config);
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
    // A directive that silences nothing is reported (DLK000), whatever
    // `--no-inline-ignores` says, as in Dockerfiles.
    if config.is_enabled(crate::rules::InvalidDirective::META.code) {
        let directives = if config.no_inline_ignores {
            CommentDirectives::new(text, kind)
        } else {
            suppressions.clone()
        };
        kept.extend(directives.problems());
    }
    for finding in &mut kept {
        if let Some(severity) = config.severity.get(finding.code) {
            finding.severity = *severity;
        }
    }
    kept.sort_by(|a, b| {
        (a.span.start, a.code, a.span.end).cmp(&(b.span.start, b.code, b.span.end))
    });
    kept.dedup_by(|a, b| a.code == b.code && a.span == b.span);
    // A fix never moves a secret (a literal value into `secrets:`): a
    // literal must be rotated by a person.
    for finding in &mut kept {
        if finding
            .fix
            .as_ref()
            .is_some_and(|fix| fix.would_copy_a_secret(text, &redactor))
        {
            finding.fix = Some(Box::new(crate::fix::Fix::display_only(
                "rotate the secret (it is written in this file), then pass the new one as a build secret from the CI's secret store",
            )));
        }
    }
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
        let fix_texts = finding
            .fix
            .iter_mut()
            .flat_map(|fix| std::iter::once(&mut fix.message).chain(fix.build_note.as_mut()));
        for text in [&mut finding.message, &mut finding.help, &mut finding.label]
            .into_iter()
            .chain(fix_texts)
        {
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

/// Gives each DLK011 fix its Dockerfile side
/// ([`super::fixes::pair_with_dockerfile`]).
fn pair_fixes(
    kind: Kind,
    path: &str,
    definition: &super::Definition,
    findings: &mut [DefinitionFinding],
    config: &Config,
) {
    for found in findings {
        let Some(fix) = found.finding.fix.take() else {
            continue;
        };
        let located = definition
            .invocations
            .iter()
            .filter(|invocation| invocation.span == found.invocation)
            .find_map(|invocation| {
                let argument = invocation
                    .build_args
                    .iter()
                    .find(|argument| argument.span == found.finding.span)?;
                Some((invocation, argument))
            });
        found.finding.fix = Some(match located {
            Some((invocation, argument)) => Box::new(super::fixes::pair_with_dockerfile(
                kind, path, invocation, argument, *fix, config,
            )),
            None => fix,
        });
    }
}

fn describe(kind: Kind) -> &'static str {
    match kind {
        Kind::GithubActions => "GitHub Actions",
        Kind::GitlabCi => "GitLab CI",
        Kind::Jenkins => "Jenkinsfile",
        Kind::Compose => "compose",
        Kind::Bake => "bake",
        Kind::CloudBuild => "Cloud Build",
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
#[derive(Clone, Default)]
pub(crate) struct CommentDirectives {
    /// Every directive read, for DLK000.
    directives: Vec<crate::suppress::Directive>,
    global: Vec<String>,
    /// 1-based line → codes silenced by a directive on that line.
    by_line: HashMap<usize, Vec<String>>,
    /// 1-based lines that are comments only.
    comment_lines: std::collections::HashSet<usize>,
}

impl CommentDirectives {
    /// The directives that silence findings of the definition `text` (of
    /// `kind`), as [`lint_definition`] reads them: none under
    /// `--no-inline-ignores`. Read once for the findings made after the
    /// file is linted too (the correlation notes).
    pub(crate) fn inline(text: &str, kind: Kind, config: &Config) -> CommentDirectives {
        if config.no_inline_ignores {
            CommentDirectives::default()
        } else {
            CommentDirectives::new(text, kind)
        }
    }

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
            let indent = line.len() - line.trim_start().len();
            let directive = crate::suppress::Directive {
                span: Span::new(start + indent, directive.span.end),
                ..directive
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
            directives.directives.push(directive);
        }
        directives
    }

    /// DLK000 for each directive that is malformed or names no rule, as
    /// the Dockerfile rule words it.
    fn problems(&self) -> Vec<Finding> {
        let meta = &crate::rules::InvalidDirective::META;
        let finding = |span: Span, message: String, label: &str, help: String| Finding {
            code: meta.code,
            name: meta.name,
            severity: meta.severity,
            message: message.into(),
            help: help.into(),
            span,
            label: label.into(),
            labels: Vec::new(),
            stage: None,
            secrets: Vec::new(),
            fingerprint: String::new(),
            fix: None,
        };
        let mut found = Vec::new();
        for directive in &self.directives {
            if let Some(problem) = &directive.problem {
                found.push(finding(
                    directive.span,
                    format!("malformed dockerleak directive: {problem}"),
                    "not a well-formed `# dockerleak ignore=CODES` directive",
                    "Write `# dockerleak ignore=DLK011,secret-passed-as-build-arg reason` (codes or names, commas, no spaces); this comment silences nothing it could not read.".into(),
                ));
                continue;
            }
            if directive.codes.is_empty() {
                found.push(finding(
                    directive.span,
                    "`dockerleak ignore=` names no rule code".into(),
                    "no code after `ignore=`",
                    "Write the codes to silence, e.g. `# dockerleak ignore=DLK011 reason`.".into(),
                ));
            }
            for code in &directive.codes {
                if code.resolved().is_some() {
                    continue;
                }
                found.push(finding(
                    code.span,
                    format!(
                        "unknown rule code or name `{}` in a dockerleak directive",
                        code.code
                    ),
                    "no rule has this code",
                    match crate::config::did_you_mean(&code.code) {
                        Some(suggestion) => format!(
                            "Did you mean `{suggestion}`? This directive does not silence it."
                        ),
                        None => "Use a code or name from `dockerleak rules`; this directive does not silence it.".into(),
                    },
                ));
            }
        }
        found
    }

    /// Whether `code` is silenced for a finding at one of `offsets` (the
    /// comment block right above the line of any of them, or the file).
    pub(crate) fn silences(
        &self,
        code: &str,
        offsets: &[usize],
        text: &str,
        lines: &LineIndex,
    ) -> bool {
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
