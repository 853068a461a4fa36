use super::dlk006_secret_in_run_without_mount::written_pairs::{written_secret_pairs, PairValue};
use super::dlk006_secret_in_run_without_mount::{
    command_values, looks_like_credential, runs, shown_path, value_source, ValueKind, ValueSource,
};
use super::{code, declare_rule, Rule, RuleContext, RuleMeta};
use crate::analysis::expand::references_in_shell;
use crate::finding::{Finding, Severity};
use crate::secrets::commands::url_userinfo;
use crate::secrets::names::is_non_secret_value;
use crate::secrets::tokens::{looks_like_secret_literal, looks_like_secret_value};
use crate::source::Span;
use crate::syntax::{Arguments, Keyword};

mod assignments;
use assignments::assignments;

declare_rule! {
    /// ## What it finds
    /// A literal secret written in the Dockerfile: a known token format
    /// anywhere in the file (AWS access keys, GitHub `ghp_…`/`github_pat_…`,
    /// GitLab `glpat-…`, Slack `xox…`, Stripe `sk_live_…`, npm `npm_…`, PyPI,
    /// Docker Hub `dckr_pat_…`, Google `AIza…`, OpenAI, Anthropic, Hugging Face,
    /// SendGrid, Twilio, Azure storage keys, PEM private keys, JWTs; the
    /// catalogue is `rules/token-formats.toml`), and a high-entropy value
    /// assigned to a secret-looking name in `ENV`, `ARG`, `LABEL` or a `RUN`
    /// command line (`export DB_PASSWORD=…`).
    ///
    /// Also any literal, whatever its format, in the secret position of a
    /// credential command (the catalogue in `rules/credential-commands.toml`:
    /// `docker login -p`, `mysql -p…`, `htpasswd -b`, `composer config
    /// http-basic.…`, `PGPASSWORD=… psql`, `echo … | docker login
    /// --password-stdin`…) and, on any command, of an option whose name says
    /// it carries a secret (`--password`, `--passwd`, `--token`, `--api-key`,
    /// `--client-secret`, `--secret`, `--auth` with `user:pass`, and their
    /// `=` forms): the "secret-named option" heuristic. Not a value:
    /// `--password-stdin`, `--token-file`, `--auth-type`, BuildKit's
    /// `--secret id=…`, `$(cat /run/secrets/…)`, placeholders, paths. The
    /// message names the catalogue entry ("a token in a git URL rewrite …
    /// (`git config … url.<URL>.insteadOf`), which stores it in
    /// `~/.gitconfig`") or the option ("the value of `--token`").
    ///
    /// And text a `RUN` writes to a file no credential catalogue names
    /// (`echo`/`printf`/`tee`/`cat > file <<EOF`) that pairs a
    /// secret-looking key with a literal: `echo "db_password = …" >
    /// /etc/app.conf`, `requirepass …` into `redis.conf`, `printf
    /// '{"api_key": "%s"}' …`. The "secret written to a file" heuristic: the
    /// key is judged by `rules/secret-names.toml` with its value
    /// (`max_tokens: 4096` is a count, `password_file=…` a role,
    /// `password_encryption`, sudoers' `NOPASSWD` are settings), and the
    /// value must be at least 6 characters and no placeholder, path, URL,
    /// number, switch or template expression (`<%= … %>`, `{{ … }}`). Text
    /// in single quotes (`'password=$DB_PASS'`, expanded at run time) and a
    /// file removed in the same `RUN` are not reported. A literal written
    /// alone into a file whose name says it holds a secret (`echo … >
    /// /run/app/api-token`, DLK001's file-name list) counts the same.
    ///
    /// ## Why it leaks
    /// The Dockerfile is committed, shared and often public; a literal value
    /// in it also lands in the image config or history. Anyone who reads the
    /// file has the credential. Rotate it: it is already exposed.
    ///
    /// ## Example
    /// ```dockerfile
    /// FROM alpine
    /// ENV AWS_ACCESS_KEY_ID=AKIAFAKEFAKEFAKE0000
    /// ```
    ///
    /// ## Fix
    /// A display-only fix: a committed secret is compromised, so a person
    /// must rotate it; `--fix` never moves it. Revoke the credential, remove
    /// it from the file (and the history), and pass a new one at build time
    /// as a secret:
    /// ```dockerfile
    /// FROM alpine
    /// RUN --mount=type=secret,id=aws,target=/root/.aws/credentials aws s3 cp s3://bucket/file .
    /// ```
    pub struct HardcodedSecret;
    code: "DLK005",
    name: "hardcoded-secret",
    severity: Error,
    summary: "A literal secret (a known token format or a high-entropy value of a secret-looking name) is written in the Dockerfile.",
}

impl Rule for HardcodedSecret {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn fix(
        &self,
        _context: &RuleContext<'_>,
        finding: &Finding,
        _findings: &[Finding],
    ) -> Option<crate::fix::Fix> {
        crate::fix::rewrites::rotate_credential(finding)
    }

    fn check(&self, context: &RuleContext<'_>, findings: &mut Vec<Finding>) {
        let mut reported = SpanSet::default();
        let overlaps = |span: Span, reported: &SpanSet| reported.overlaps(span);
        // Tokens split by a line continuation are found in the logical
        // line (continuations joined), first: a piece of one on its first
        // line may look like a (shorter) token of its own.
        let mut tokens: Vec<(Span, &str)> = Vec::new();
        for (_, instruction) in context.instructions() {
            for instruction in [Some(instruction), instruction.onbuild.as_deref()]
                .into_iter()
                .flatten()
            {
                if instruction.rest_map.len() < 2 {
                    continue;
                }
                for token in context.catalog.tokens.scan(&instruction.rest.text) {
                    let span = instruction.rest_span(token.range.clone());
                    if span.slice(context.text).contains('\n') && !overlaps(span, &reported) {
                        tokens.push((span, token.description));
                        reported.insert(span);
                    }
                }
            }
        }
        for token in context.catalog.tokens.scan(context.text) {
            let span = Span::new(token.range.start, token.range.end);
            if !overlaps(span, &reported) {
                tokens.push((span, token.description));
            }
        }
        reported = SpanSet::default();
        for (span, description) in tokens {
            let index = instruction_at(context, span.start);
            findings.push(
                context
                    .finding(&Self::META, index, span)
                    .severity(Severity::Error)
                    .message(format!("{description} is written in the Dockerfile"))
                    .label("hard-coded secret")
                    .help(HELP)
                    .secret(span)
                    .build(),
            );
            reported.insert(span);
        }
        // A literal in a credential position of a command (the catalogue of
        // `rules/credential-commands.toml`, a secret-named option such as
        // `--password`): hard-coded, whatever its format.
        for run in runs(context) {
            for value in command_values(&run) {
                let span = value.word.span;
                if value.is_url()
                    || span.is_empty()
                    || overlaps(span, &reported)
                    || !matches!(
                        value_source(context, &run, value.command, value.word),
                        ValueSource::Literal
                    )
                    || !looks_like_credential(value.kind, &value.word.text)
                    || is_non_secret_value(value.word.text.trim_matches(['"', '\'']))
                {
                    continue;
                }
                // A URL rewrite with the token in it: only the user part is
                // the secret; `user:password@` is DLK007's.
                let secret = if value.kind == ValueKind::UrlUserinfo {
                    match url_userinfo(&value.word.text) {
                        Some(userinfo) if !userinfo.contains(':') => {
                            let raw = span.slice(context.text);
                            match raw.find(userinfo) {
                                Some(at) => {
                                    Span::new(span.start + at, span.start + at + userinfo.len())
                                }
                                None => span,
                            }
                        }
                        _ => continue,
                    }
                } else {
                    span
                };
                findings.push(
                    context
                        .finding(&Self::META, run.index, secret)
                        .severity(Severity::Error)
                        .message(match value.entry.filter(|entry| entry.via_for(value.program) != value.program) {
                            Some(entry) => match &entry.stores {
                                Some(stores) => format!(
                                    "RUN passes {} written in the Dockerfile to `{}` (`{}`), which stores it in `{stores}`",
                                    value.what, value.program, entry.via_for(value.program)
                                ),
                                None => format!(
                                    "RUN passes {} written in the Dockerfile to `{}` (`{}`)",
                                    value.what, value.program, entry.via_for(value.program)
                                ),
                            },
                            None => format!(
                                "RUN passes {} written in the Dockerfile to `{}`",
                                value.what, value.program
                            ),
                        })
                        .label(format!("{} written on the command line", value.what))
                        .help(HELP)
                        .secret(secret)
                        .build(),
                );
                reported.insert(span);
            }
        }
        for (index, instruction) in context.instructions() {
            let effective = instruction.effective();
            match (&effective.keyword, &effective.arguments) {
                (
                    Keyword::Env | Keyword::Label | Keyword::Arg,
                    Arguments::Pairs(pairs) | Arguments::Args(pairs),
                ) => {
                    for pair in pairs {
                        let Some(value) = &pair.value else { continue };
                        let expanded = context.analysis.expand(&value.text, index);
                        if !expanded.references.is_empty()
                            || !context
                                .catalog
                                .names
                                .is_secret(&context.analysis.expand(&pair.key.text, index).value)
                        {
                            continue;
                        }
                        // No reference is left: a `$` in the value is a
                        // literal one (written `\$`).
                        if !looks_like_secret_literal(&expanded.value)
                            || is_non_secret_value(&expanded.value)
                            || overlaps(value.span, &reported)
                        {
                            continue;
                        }
                        findings.push(self.assignment(context, index, &pair.key.text, value.span));
                        reported.insert(value.span);
                    }
                }
                (Keyword::Run, _) => {
                    let mut texts = vec![(instruction.rest.text.as_str(), None)];
                    texts.extend(effective.heredocs.iter().map(|heredoc| {
                        (heredoc.content.as_str(), Some(heredoc.content_span.start))
                    }));
                    for (text, heredoc_start) in texts {
                        for (name, value) in assignments(text) {
                            let (name, value_text) = (&text[name], &text[value.clone()]);
                            let unquoted = value_text.trim_matches(['"', '\'']);
                            if !context.catalog.names.is_secret(name)
                                || !looks_like_secret_value(unquoted)
                                || is_non_secret_value(unquoted)
                            {
                                continue;
                            }
                            if !references_in_shell(value_text).is_empty() {
                                continue;
                            }
                            let span = match heredoc_start {
                                Some(start) => Span::new(start + value.start, start + value.end),
                                None => instruction.rest_span(value),
                            };
                            if overlaps(span, &reported) {
                                continue;
                            }
                            findings.push(self.assignment(context, index, name, span));
                            reported.insert(span);
                        }
                    }
                }
                _ => {}
            }
        }
        // Text a RUN writes to a file that pairs a secret-looking key with a
        // literal (`echo "db_password = …" > /etc/app.conf`): the "secret
        // written to a file" heuristic; a build variable there is DLK006's.
        for run in runs(context) {
            for (added, pair) in written_secret_pairs(context, &run) {
                let PairValue::Literal(span) = pair.value else {
                    continue;
                };
                if overlaps(span, &reported) {
                    continue;
                }
                let shown = shown_path(run.layer, &added.path);
                findings.push(
                    context
                        .finding(&Self::META, run.index, span)
                        .severity(Severity::Error)
                        .message(if pair.file_name {
                            format!(
                                "RUN writes a hard-coded value into {}, a file whose name says it holds a secret: it is in the Dockerfile and the image layer",
                                code(&shown)
                            )
                        } else {
                            format!(
                                "RUN writes a hard-coded {} into {}: it is in the Dockerfile and the image layer",
                                code(&pair.key),
                                code(&shown)
                            )
                        })
                        .label(if pair.file_name {
                            "hard-coded secret value".to_string()
                        } else {
                            format!("hard-coded {} value", code(&pair.key))
                        })
                        .help(HELP)
                        .secret(span)
                        .build(),
                );
                reported.insert(span);
            }
        }
    }
}

const HELP: &str = "Revoke this credential (it is exposed), delete it from the file and its history, and pass a new one at build time with `RUN --mount=type=secret,id=…`";

impl HardcodedSecret {
    fn assignment(
        &self,
        context: &RuleContext<'_>,
        index: usize,
        name: &str,
        span: Span,
    ) -> Finding {
        context
            .finding(&Self::META, index, span)
            .severity(Severity::Error)
            .message(format!("{} is assigned a literal secret value", code(name)))
            .label("hard-coded secret value")
            .help(HELP)
            .secret(span)
            .build()
    }
}

/// The instruction whose span holds `offset` (or the nearest one before it,
/// for comments).
pub(crate) fn instruction_at(context: &RuleContext<'_>, offset: usize) -> usize {
    let instructions = &context.dockerfile.instructions;
    instructions
        .partition_point(|instruction| instruction.span.start <= offset)
        .saturating_sub(1)
}

/// Spans already reported, kept as disjoint ranges in order: whether a new
/// span overlaps one of them is one lookup (a list searched for each span
/// made a file of many secrets quadratic).
#[derive(Default)]
struct SpanSet {
    /// start → end; no two overlap (they may touch).
    ranges: std::collections::BTreeMap<usize, usize>,
}

impl SpanSet {
    /// Whether `span` overlaps a span of the set (shares a byte with it,
    /// or for an empty span, lies strictly inside one).
    fn overlaps(&self, span: Span) -> bool {
        // The ranges are disjoint and sorted, so the last one starting
        // before `span` ends has the greatest end of those that could
        // overlap it.
        self.ranges
            .range(..span.end)
            .next_back()
            .is_some_and(|(_, end)| span.start < *end)
    }

    fn insert(&mut self, span: Span) {
        let (mut start, mut end) = (span.start, span.end);
        // Merge every range that overlaps (not only touches) the new one.
        while let Some((&other_start, &other_end)) = self
            .ranges
            .range(..end)
            .next_back()
            .filter(|(other_start, other_end)| **other_end > start && **other_start < end)
        {
            self.ranges.remove(&other_start);
            start = start.min(other_start);
            end = end.max(other_end);
        }
        if end > start || !self.ranges.contains_key(&start) {
            self.ranges.insert(start, end);
        }
    }
}
