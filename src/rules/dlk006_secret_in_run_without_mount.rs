use super::{code, declare_rule, Rule, RuleContext, RuleMeta};
use crate::analysis::layers::{url_credentials, AddedBy, Layer};
use crate::analysis::shell::prefilter::SECRET_OPTIONS;
use crate::analysis::shell::{RedirectKind, ShellScript, ShellWord, VariableReference};
use crate::analysis::{Binding, BindingKind};
use crate::finding::{Finding, Severity};
use crate::secrets::commands::{
    url_userinfo, CredentialCommand, CredentialCommands, Place, SecretPosition, SecretShape,
};
use crate::secrets::is_non_secret_value;
use crate::source::Span;
use crate::syntax::Keyword;
use regex::Regex;
use std::sync::LazyLock;

pub(crate) mod written_pairs;

declare_rule! {
    /// ## What it finds
    /// A `RUN` that handles a credential in a way that leaves traces, where a
    /// secret mount is the fix:
    /// - it expands a secret-looking `ARG` or `ENV` (`$NPM_TOKEN`,
    ///   `${GH_TOKEN}`), in its command line, a heredoc, or `sh -c '…'`, or
    ///   runs a tool that reads one from the environment by itself (`gh` with
    ///   `GH_TOKEN`, `aws` with `AWS_SECRET_ACCESS_KEY`, `npm` with
    ///   `NPM_TOKEN`, `twine` with `TWINE_PASSWORD`…);
    /// - it writes a credential file (`.npmrc`, `.netrc`, `.pypirc`,
    ///   `.git-credentials`, `~/.aws/credentials`…) with a value from an
    ///   `ARG`/`ENV` or a literal one, and does not remove it in the same
    ///   `RUN` (`npm config set …:_authToken`, `aws configure set` count too);
    /// - it passes a credential on a command line: `curl -u user:$PASS`,
    ///   `--password=…`, `-p…` of login tools, `git clone https://$TOKEN@…`,
    ///   `pip install --index-url https://user:$PASS@…`, an `ARG`/`ENV` in the
    ///   secret position of a tool of `rules/credential-commands.toml`
    ///   (`npm config set //…:_authToken`, `bundle config <host> user:$PASS`,
    ///   `aws configure set aws_secret_access_key`, `gradle -P…Password=`,
    ///   `huggingface-cli login --token`, `echo $T | gh auth login
    ///   --with-token`, `htpasswd -b`, `chpasswd`, `PGPASSWORD=$P psql`…), or
    ///   of an option of any tool whose name says it carries a secret
    ///   (`--password`, `--token`, `--api-key`, `--client-secret`, `--secret`,
    ///   `--auth`: the "secret-named option" heuristic; a literal there is
    ///   DLK005's); `git config url."https://$TOKEN@github.com/".insteadOf …`
    ///   writes the token into `~/.gitconfig`; the message names the
    ///   catalogue entry ("as a Hugging Face token (`huggingface-cli login
    ///   --token`)", "via `git config … url.<URL>.insteadOf`");
    /// - it writes a build arg or ENV into any file, with a key that says
    ///   the value is a secret: `echo "password=$DB_PASS" > /app/config.ini`,
    ///   `printf 'token: %s' "$API_TOKEN" >> ~/.config/tool.yml`, a heredoc
    ///   `{"smtp_secret": "${SMTP_SECRET}"}` (the "secret written to a file"
    ///   heuristic; the key is judged by `rules/secret-names.toml` with the
    ///   variable's known value, so `max_tokens: $MAX_TOKENS` with
    ///   `ARG MAX_TOKENS=4096` is a count; a literal there is DLK005's, a
    ///   secret mount's value DLK008's), or alone into a file whose name
    ///   says it holds a secret (`echo "$DB" > /run/app/db-password`: the
    ///   file-name list of DLK001, `rules/secret-file-names.toml`);
    /// - it logs in: `docker login -p`, `npm login`, or
    ///   `echo $PASS | docker login --password-stdin` with a value that does
    ///   not come from a secret mount.
    ///
    /// Names that hold credentials by convention count whatever their
    /// spelling: `BUNDLE_<HOST>__<TLD>`, `NPM_CONFIG__AUTH*`,
    /// `npm_config_//…:_authToken`, `*_INDEX_URL` with `user:pass@`, and
    /// names ending in a glued password word (`ROOTPASS`, `DB_PW`).
    ///
    /// A `RUN` that reads the value from `/run/secrets/<id>` or from a secret
    /// mount's `env=` is the right way and is never reported.
    ///
    /// ## Why it leaks
    /// Build args and ENV values used by a `RUN` are recorded in the image
    /// history and in provenance attestations; a file the `RUN` writes stays
    /// in its layer; a command line is visible in the process list and often
    /// in build logs. A secret mount exists only while the `RUN` runs and is
    /// recorded nowhere. It is an error in the final stage or a stage it is
    /// built `FROM` (their history and layers are the image's), and when a
    /// file the `RUN` leaves the secret in is carried into the final image by
    /// `COPY --from` (a label shows the copy); a warning in a stage the final
    /// image only copies other files from or never uses.
    ///
    /// ## Example
    /// ```dockerfile
    /// FROM node:22
    /// ARG NPM_TOKEN
    /// RUN echo "//registry.npmjs.org/:_authToken=$NPM_TOKEN" > .npmrc && npm ci
    /// ```
    ///
    /// ## Fix
    /// For a build arg, `dockerleak --fix --unsafe-fixes` (an unsafe fix, as
    /// DLK003's) rewrites the example to:
    /// ```dockerfile
    /// # syntax=docker/dockerfile:1
    /// FROM node:22
    /// RUN --mount=type=secret,id=NPM_TOKEN,env=NPM_TOKEN echo "//registry.npmjs.org/:_authToken=$NPM_TOKEN" > .npmrc && npm ci
    /// ```
    /// Better still, keep the token out of the layer's `.npmrc` too:
    /// ```dockerfile
    /// FROM node:22
    /// RUN --mount=type=secret,id=NPM_TOKEN,env=NPM_TOKEN \
    ///     npm config set //registry.npmjs.org/:_authToken "$NPM_TOKEN" --location=project \
    ///     && npm ci && rm .npmrc
    /// ```
    /// or mount a whole `.npmrc` with
    /// `RUN --mount=type=secret,id=npmrc,target=/root/.npmrc npm ci`, and build
    /// with `docker build --secret id=NPM_TOKEN,env=NPM_TOKEN .`.
    pub struct SecretInRunWithoutMount;
    code: "DLK006",
    name: "secret-in-run-without-mount",
    severity: Warning,
    summary: "A `RUN` uses a credential from a build arg, ENV, literal or file instead of a secret mount.",
}

/// A RUN and what the analysis knows about it.
pub(super) struct Run<'a> {
    pub index: usize,
    pub script: &'a ShellScript,
    pub layer: &'a Layer,
}

/// Every RUN of the file, `ONBUILD RUN` triggers included where they run
/// (see [`crate::analysis::triggers`]).
pub(super) fn runs<'a>(context: &RuleContext<'a>) -> Vec<Run<'a>> {
    context
        .instructions()
        .filter(|(_, instruction)| instruction.keyword == Keyword::Run)
        .filter_map(|(index, _)| {
            Some(Run {
                index,
                script: context.analysis.shell(index)?,
                layer: context.analysis.layer(index)?,
            })
        })
        .collect()
}

impl Run<'_> {
    /// Whether the script assigns `name` itself before command `command`
    /// (so `$name` is the shell's own variable, not the ARG/ENV).
    pub fn assigns_before(&self, name: &str, command: usize) -> bool {
        self.script.commands[..command.min(self.script.commands.len())]
            .iter()
            .any(|candidate| {
                candidate
                    .assignments
                    .iter()
                    .any(|assignment| assignment.name == name)
            })
    }

    /// The assignment of shell variable `name` closest before `command`.
    fn local_value(&self, name: &str, command: usize) -> Option<(usize, &ShellWord)> {
        self.script.commands[..command.min(self.script.commands.len())]
            .iter()
            .enumerate()
            .rev()
            .find_map(|(position, candidate)| {
                candidate
                    .assignments
                    .iter()
                    .rev()
                    .find(|assignment| assignment.name == name)
                    .map(|assignment| (position, &assignment.value))
            })
    }
}

/// The ARG/ENV declaration a reference in RUN `run` (command `command`)
/// expands, when its name looks like a secret and its value may be one —
/// not a secret mount's `env=`, not a variable the script sets itself.
pub(super) fn secret_build_variable<'a>(
    context: &RuleContext<'a>,
    run: &Run<'_>,
    name: &str,
    command: usize,
) -> Option<&'a Binding> {
    if run
        .layer
        .secret_variables
        .iter()
        .any(|secret| secret == name)
        || run.assigns_before(name, command)
    {
        return None;
    }
    let known_value = context
        .analysis
        .resolve(name, run.index)
        .filter(|resolved| !resolved.is_build_time())
        .and_then(|resolved| resolved.value().map(str::to_owned));
    if !context
        .catalog
        .names
        .is_secret_setting(name, known_value.as_deref())
    {
        return None;
    }
    build_variable(context, run.index, name)
}

/// The ARG/ENV `name` at instruction `index` whose value may be a secret
/// (any name).
fn build_variable<'a>(context: &RuleContext<'a>, index: usize, name: &str) -> Option<&'a Binding> {
    let resolved = context.analysis.resolve(name, index)?;
    let may_be_secret = match resolved.binding.kind {
        // An ARG's default is only a default: `--build-arg` overrides it.
        BindingKind::Arg => match resolved.value() {
            Some(value) => value.is_empty() || !is_non_secret_value(value),
            None => true,
        },
        BindingKind::Env => {
            resolved.is_build_time()
                || resolved
                    .value()
                    .is_some_and(|value| !value.is_empty() && !is_non_secret_value(value))
        }
    };
    may_be_secret.then_some(resolved.binding)
}

/// Where the value of a word comes from.
#[derive(Clone, Debug)]
pub(super) enum ValueSource<'a> {
    /// A secret mount (file or `env=`), directly or through a variable.
    SecretMount,
    /// An ARG/ENV (the reference and its declaration).
    BuildVariable(&'a Binding, Span),
    /// Written in the Dockerfile.
    Literal,
    /// Anything else (a variable of unknown origin, a command's output).
    Unknown,
}

/// Where the value of `word` (in command `command` of `run`) comes from.
pub(super) fn value_source<'a>(
    context: &RuleContext<'a>,
    run: &Run<'_>,
    command: usize,
    word: &ShellWord,
) -> ValueSource<'a> {
    if run.layer.reads_secret(run.script, word) {
        return ValueSource::SecretMount;
    }
    for reference in word
        .references
        .iter()
        .filter(|reference| reference.yields_value)
    {
        if let Some(source) = reference_source(context, run, command, reference, 0) {
            return source;
        }
    }
    if word.is_literal() {
        if word.text.trim().is_empty() || is_placeholder(&word.text) {
            return ValueSource::Unknown;
        }
        return ValueSource::Literal;
    }
    ValueSource::Unknown
}

pub(super) fn reference_source<'a>(
    context: &RuleContext<'a>,
    run: &Run<'_>,
    command: usize,
    reference: &VariableReference,
    depth: usize,
) -> Option<ValueSource<'a>> {
    if run.layer.secret_variables.contains(&reference.name) {
        return Some(ValueSource::SecretMount);
    }
    if let Some((position, value)) = run.local_value(&reference.name, command) {
        if depth > 4 {
            return None;
        }
        if run.layer.reads_secret(run.script, value) {
            return Some(ValueSource::SecretMount);
        }
        return value
            .references
            .iter()
            .find_map(|inner| reference_source(context, run, position, inner, depth + 1))
            .map(|source| match source {
                // Point at the use in this command, not at the assignment.
                ValueSource::BuildVariable(binding, _) => {
                    ValueSource::BuildVariable(binding, reference.span)
                }
                other => other,
            });
    }
    build_variable(context, run.index, &reference.name)
        .map(|binding| ValueSource::BuildVariable(binding, reference.span))
}

/// Values that stand for "fill this in" or a well-known default. Stricter
/// than `secrets::tokens::is_placeholder` on purpose: it also sees whole
/// command texts, where that function's substring tests (`example`,
/// `…here`) would hide real credentials such as `login deploy password X`
/// for `git.example.com`.
pub(crate) fn is_placeholder(value: &str) -> bool {
    let trimmed = value.trim();
    let lowered = trimmed.to_ascii_lowercase();
    trimmed.is_empty()
        || trimmed.starts_with('<') && trimmed.ends_with('>')
        || trimmed.starts_with("{{") && trimmed.ends_with("}}")
        || trimmed
            .chars()
            .all(|ch| matches!(ch, '*' | 'x' | 'X' | '.' | '-' | '_'))
        || matches!(
            lowered.as_str(),
            "password"
                | "pass"
                | "passwd"
                | "secret"
                | "token"
                | "changeme"
                | "redacted"
                | "dummy"
                | "none"
                | "null"
        )
}

/// Text that names a credential in a config file. The keywords are ASCII:
/// `(?i-u)` keeps the regex small to compile (Unicode case folding and
/// word boundaries made these two patterns a tenth of a one-file run).
static AUTH_KEYWORD: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i-u)(_authtoken|_auth\b|_password|npmauthtoken|npmauthident|\bpassword\b|\bpasswd\b|\blogin\b|\btoken\b|secret|api[_-]?key|aws_secret_access_key|\bauth\b)")
        .expect("the auth keyword pattern is a valid regex")
});

/// A value given to a credential key in config text (`_authToken=…`,
/// `password …`, `aws_secret_access_key = …`).
static CREDENTIAL_VALUE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r#"(?i-u:_authtoken|_auth|_password|password|passwd|token|secret|api[_-]?key|aws_access_key_id|aws_secret_access_key|npmauthtoken|npmauthident)["']?\s*[=:]?\s*["']?([^\s"'\\,;]+)"#,
    )
    .expect("the credential value pattern is a valid regex")
});

/// Whether literal config text holds a real-looking credential: a value
/// for a credential key that is no placeholder, or a known token format.
fn literal_credential(context: &RuleContext<'_>, text: &str) -> bool {
    if context.catalog.tokens.contains_token(text) {
        return true;
    }
    CREDENTIAL_VALUE.captures_iter(text).any(|captures| {
        let value = captures.get(1).map_or("", |value| value.as_str());
        let lowered = value.to_ascii_lowercase();
        value.len() >= 4
            && !value.contains('$')
            && !is_placeholder(value)
            && ![
                "dummy",
                "example",
                "sample",
                "placeholder",
                "changeme",
                "change_me",
                "your",
                "xxxx",
                "<",
                "{{",
                "%",
            ]
            .iter()
            .any(|marker| lowered.contains(marker))
    })
}

/// Tools that read a credential from the environment by themselves.
const IMPLICIT_READERS: [(&[&str], &[&str]); 11] = [
    (
        &["gh", "hub"],
        &[
            "GH_TOKEN",
            "GITHUB_TOKEN",
            "GH_ENTERPRISE_TOKEN",
            "GITHUB_ENTERPRISE_TOKEN",
        ],
    ),
    (&["glab"], &["GITLAB_TOKEN", "GLAB_TOKEN"]),
    (&["aws"], &["AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"]),
    (&["twine"], &["TWINE_PASSWORD"]),
    (
        &["npm", "npx", "yarn", "pnpm"],
        &["NPM_TOKEN", "NODE_AUTH_TOKEN", "NPM_AUTH_TOKEN"],
    ),
    (&["cargo"], &["CARGO_REGISTRY_TOKEN"]),
    (
        &["huggingface-cli", "hf"],
        &["HF_TOKEN", "HUGGING_FACE_HUB_TOKEN"],
    ),
    (&["composer"], &["COMPOSER_AUTH"]),
    (&["gem"], &["GEM_HOST_API_KEY"]),
    (&["vault"], &["VAULT_TOKEN"]),
    (
        &["poetry"],
        &["POETRY_HTTP_BASIC_PASSWORD", "POETRY_PYPI_TOKEN_PYPI"],
    ),
];

/// One problem of a RUN.
struct Issue {
    span: Span,
    label: String,
    message: String,
    /// A literal secret to mask.
    secret: Option<Span>,
    /// The declaration of the build variable involved.
    declaration: Option<Span>,
    /// The help names this variable or file.
    subject: Subject,
}

enum Subject {
    Variable(String),
    File(String),
    /// A login or literal credential of `program`.
    Login(String),
}

impl Rule for SecretInRunWithoutMount {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn fix(
        &self,
        context: &RuleContext<'_>,
        finding: &Finding,
        findings: &[Finding],
    ) -> Option<crate::fix::Fix> {
        crate::fix::rewrites::arg_to_secret_mount(context, finding, findings)
    }

    fn check(&self, context: &RuleContext<'_>, findings: &mut Vec<Finding>) {
        // A tool reading a variable implicitly is reported at its first RUN
        // only: later RUNs add nothing the first finding does not say.
        // Keyed by declaration: a second stage's own `ARG NPM_TOKEN` is
        // a second leak, reported at its first RUN too.
        let mut implicit_reported: Vec<(String, Option<Span>)> = Vec::new();
        for run in runs(context) {
            let mut issues = Vec::new();
            credential_file_writes(context, &run, &mut issues);
            secret_text_writes(context, &run, &mut issues);
            command_line_credentials(context, &run, &mut issues);
            expanded_build_secrets(context, &run, &mut issues);
            implicit_build_secrets(context, &run, &mut issues, &mut implicit_reported);
            for issue in &issues {
                if let Subject::Variable(name) = &issue.subject {
                    let key = (name.clone(), issue.declaration);
                    if !implicit_reported.contains(&key) {
                        implicit_reported.push(key);
                    }
                }
            }
            if issues.is_empty() {
                continue;
            }
            findings.push(self.report(context, &run, issues));
        }
    }
}

impl SecretInRunWithoutMount {
    fn report(&self, context: &RuleContext<'_>, run: &Run<'_>, issues: Vec<Issue>) -> Finding {
        // A RUN of a stage outside the built image leaves its traces there
        // (its history, its layer), unless a `COPY --from` carries a
        // credential file it writes into the image.
        let mut severity = context.stage_severity(run.index, Severity::Error);
        let mut travel = Vec::new();
        if severity < Severity::Error {
            for path in traced_files(run, &issues) {
                let (file_severity, reach) =
                    context.path_severity(run.index, path, Severity::Error);
                if file_severity == Severity::Error {
                    severity = file_severity;
                    travel = context.travel_labels(&reach);
                    break;
                }
            }
        }
        let first = &issues[0];
        let help = match &first.subject {
            Subject::Variable(name) => format!(
                "Pass it as a secret: `RUN --mount=type=secret,id={name},env={name} <command>` and build with `--secret id={name},env={name}` (drop the ARG/ENV)"
            ),
            Subject::File(path) if context.catalog.files.match_path(path).is_some_and(|pattern| pattern.kind.is_ssh_key()) => {
                "Don't write SSH keys into the image: use `RUN --mount=type=ssh <command>` and build with `docker build --ssh default .`".to_string()
            }
            Subject::File(path) => {
                let id = path.rsplit('/').next().unwrap_or(path).trim_start_matches('.').replace(['.', '/'], "_");
                let id = if id.is_empty() { "secret".to_string() } else { id };
                format!(
                    "Mount the file for this RUN only: `RUN --mount=type=secret,id={id},target={path} <command>` and build with `--secret id={id},src=<file>`; nothing reaches the layer"
                )
            }
            Subject::Login(program) if matches!(program.as_str(), "npm" | "pnpm" | "yarn") => format!(
                "Don't log in during the build: mount an `.npmrc` that holds the token, `RUN --mount=type=secret,id=npmrc,target=/root/.npmrc {program} <command>`, and build with `--secret id=npmrc,src=$HOME/.npmrc`"
            ),
            Subject::Login(program) if matches!(program.as_str(), "docker" | "podman" | "buildah" | "nerdctl") => format!(
                "Read the password from a secret mount: `RUN --mount=type=secret,id=registry_password cat /run/secrets/registry_password | {program} login --username <user> --password-stdin <registry>`, and log out (or remove the auth file) before the RUN ends"
            ),
            Subject::Login(program) => format!(
                "Read the credential from a secret mount instead of writing it: `RUN --mount=type=secret,id=credential,env=CREDENTIAL {program} … \"$CREDENTIAL\"`, and build with `--secret id=credential,env=CREDENTIAL`"
            ),
        };
        let mut builder = context
            .finding(&Self::META, run.index, first.span)
            .severity(severity)
            .message(first.message.clone())
            .label(first.label.clone())
            .labels(travel)
            .help(help);
        let mut secondary: Vec<Span> = vec![first.span];
        if let Some(declaration) = first.declaration {
            builder = builder.secondary(declaration, "declared here");
            secondary.push(declaration);
        }
        for issue in &issues {
            if let Some(secret) = issue.secret {
                builder = builder.secret(secret);
            }
        }
        for issue in issues.iter().skip(1) {
            if secondary
                .iter()
                .any(|span| span.contains(issue.span) || issue.span.contains(*span))
                || secondary.len() >= 5
            {
                continue;
            }
            secondary.push(issue.span);
            builder = builder.secondary(issue.span, issue.label.clone());
        }
        builder.build()
    }
}

/// The files in which the RUN leaves what the issues are about: the
/// credential files it names, files the layer model knows hold a
/// credential (`git clone https://$TOKEN@…` keeps the URL in
/// `.git/config`), and files written with a value of an issue's variable.
fn traced_files<'a>(run: &'a Run<'_>, issues: &'a [Issue]) -> Vec<&'a str> {
    let mut files: Vec<&str> = issues
        .iter()
        .filter_map(|issue| match &issue.subject {
            Subject::File(path) => Some(path.as_str()),
            _ => None,
        })
        .collect();
    let variables: Vec<&str> = issues
        .iter()
        .filter_map(|issue| match &issue.subject {
            Subject::Variable(name) => Some(name.as_str()),
            _ => None,
        })
        .collect();
    for added in run.layer.added.iter().filter(|added| added.persists()) {
        let writes_variable = added.content.data.iter().any(|word| {
            word.references
                .iter()
                .any(|reference| variables.contains(&reference.name.as_str()))
        });
        if added.holds_credential || writes_variable {
            files.push(added.path.as_str());
        }
    }
    files
}

/// Shown path of a file: `~/.npmrc` when under the home directory.
pub(super) fn shown_path(layer: &Layer, path: &str) -> String {
    match &layer.home {
        Some(home) if path.starts_with(&format!("{home}/")) => format!("~{}", &path[home.len()..]),
        _ => path.to_string(),
    }
}

/// Credential files written with a value from ARG/ENV or a literal, left
/// in the layer.
fn credential_file_writes(context: &RuleContext<'_>, run: &Run<'_>, issues: &mut Vec<Issue>) {
    for added in &run.layer.added {
        let Some(command) = added.command else {
            continue;
        };
        if !added.persists() || run.layer.is_in_mount(&added.path) {
            continue;
        }
        if matches!(
            added.by,
            AddedBy::Tool("git credential store") | AddedBy::Download | AddedBy::Tool("npm login")
        ) {
            continue;
        }
        let is_credential_file =
            added.holds_credential || context.catalog.files.match_path(&added.path).is_some();
        if !is_credential_file {
            continue;
        }
        if run.layer.content_reads_secret(run.script, &added.content) {
            // Copying a mounted secret into the image is DLK008's.
            continue;
        }
        let mut variable: Option<(&Binding, Span)> = None;
        let mut literal: Option<&ShellWord> = None;
        let mut mentions_credential = added.holds_credential;
        let mut data: Vec<&ShellWord> = added.content.data.iter().collect();
        if let Some(stdin) = added.content.stdin_from {
            data.extend(run.script.output_of(stdin).data);
        }
        for word in data {
            let in_url = url_credentials(&word.text).is_some();
            mentions_credential |= AUTH_KEYWORD.is_match(&word.text)
                || in_url
                || context.catalog.tokens.contains_token(&word.text);
            match value_source(context, run, command, word) {
                ValueSource::BuildVariable(binding, span) if variable.is_none() => {
                    variable = Some((binding, span))
                }
                // A literal URL with credentials is DLK007's.
                ValueSource::Literal
                    if literal.is_none()
                        && !in_url
                        && (matches!(added.by, AddedBy::Tool(_)) && added.holds_credential
                            || literal_credential(context, &word.text)) =>
                {
                    literal = Some(word)
                }
                _ => {}
            }
        }
        let shown = shown_path(run.layer, &added.path);
        let listed = context.catalog.files.match_path(&added.path).is_some();
        let file = if listed {
            format!("credential file {}", code(&shown))
        } else {
            code(&shown)
        };
        // The catalogue entry of the tool that wrote it names the write:
        // "via `git config … url.<URL>.insteadOf` (a token in a git URL
        // rewrite)".
        let file = match added.by {
            AddedBy::Tool(_) => match catalogue_entry(run, command) {
                Some(entry) => match run.script.commands[command].program() {
                    Some((program, _)) => {
                        format!("{file} via `{}` ({})", entry.via_for(program), entry.what)
                    }
                    None => file,
                },
                None => file,
            },
            _ => file,
        };
        let subject = |variable: Option<&str>| match added.by {
            AddedBy::Tool(tool) if tool.ends_with("login") => {
                Subject::Login(tool.split(' ').next().unwrap_or(tool).to_string())
            }
            _ if listed => Subject::File(added.path.clone()),
            _ => match variable {
                Some(name) => Subject::Variable(name.to_string()),
                None => Subject::File(added.path.clone()),
            },
        };
        match (variable, literal) {
            (Some((binding, span)), _)
                if mentions_credential || context.catalog.names.is_secret(&binding.name) =>
            {
                let kind = binding.kind.noun();
                issues.push(Issue {
                    span: added.span,
                    label: format!(
                        "{kind} {} written into {} here, left in the layer",
                        code(&binding.name),
                        code(&shown)
                    ),
                    message: format!(
                        "RUN writes {} {} into {file} and leaves it in the image layer",
                        kind,
                        code(&binding.name)
                    ),
                    secret: None,
                    declaration: Some(binding.key_span),
                    subject: subject(Some(&binding.name)),
                });
                issues.push(Issue {
                    span,
                    label: format!("{} expanded here", code(&binding.name)),
                    message: String::new(),
                    secret: None,
                    declaration: None,
                    subject: Subject::Variable(binding.name.clone()),
                });
            }
            (None, Some(word)) if mentions_credential => {
                issues.push(Issue {
                    span: added.span,
                    label: format!("hard-coded credential written into {} here", code(&shown)),
                    message: format!("RUN writes a hard-coded credential into {file} and leaves it in the image layer"),
                    secret: (!word.span.is_empty()).then_some(word.span),
                    declaration: None,
                    subject: subject(None),
                });
            }
            _ => {}
        }
    }
}

/// The catalogue entry (of `rules/credential-commands.toml`) that finds a
/// credential in command `command` of the RUN.
fn catalogue_entry(run: &Run<'_>, command: usize) -> Option<&'static CredentialCommand> {
    let (program, arguments) = run.script.commands.get(command)?.program()?;
    let catalogue = CredentialCommands::builtin();
    if !catalogue.knows(program) {
        return None;
    }
    let texts: Vec<&str> = arguments.iter().map(|word| word.text.as_str()).collect();
    let assigned: Vec<&str> = run.script.commands[command]
        .assignments
        .iter()
        .map(|assignment| assignment.name.as_str())
        .collect();
    let names = crate::secrets::names::SecretNames::builtin();
    catalogue
        .find(program, &texts, &assigned, &|name| names.is_secret(name))
        .into_iter()
        .map(|found| found.entry)
        .next()
}

/// Text written to a file that no catalogue names, pairing a secret-looking
/// key with a build variable, left in the layer (the "secret written to a
/// file" heuristic: `echo "password=$DB_PASS" > app.ini`; a literal there
/// is DLK005's).
fn secret_text_writes(context: &RuleContext<'_>, run: &Run<'_>, issues: &mut Vec<Issue>) {
    for (added, pair) in written_pairs::written_secret_pairs(context, run) {
        let written_pairs::PairValue::Variable(binding, span) = pair.value else {
            continue;
        };
        let shown = shown_path(run.layer, &added.path);
        let key = if pair.file_name {
            "a file whose name says it holds a secret".to_string()
        } else {
            code(&pair.key)
        };
        let kind = binding.kind.noun();
        issues.push(Issue {
            span: added.span,
            label: format!(
                "{kind} {} written into {} here, left in the layer",
                code(&binding.name),
                code(&shown)
            ),
            message: if pair.file_name {
                format!(
                    "RUN writes {kind} {} into {}, {key}, and leaves it in the image layer",
                    code(&binding.name),
                    code(&shown)
                )
            } else {
                format!(
                    "RUN writes {kind} {} into {} as {key} and leaves it in the image layer",
                    code(&binding.name),
                    code(&shown)
                )
            },
            secret: None,
            declaration: Some(binding.key_span),
            subject: Subject::Variable(binding.name.clone()),
        });
        issues.push(Issue {
            span,
            label: format!("{} expanded here", code(&binding.name)),
            message: String::new(),
            secret: None,
            declaration: None,
            subject: Subject::Variable(binding.name.clone()),
        });
    }
}

/// A value in a credential position of a command (a catalogue entry of
/// `rules/credential-commands.toml`, a secret-named option, a URL with
/// credentials, a credential header).
pub(super) struct CommandValue<'a> {
    /// The command's index in the script.
    pub command: usize,
    pub word: &'a ShellWord,
    /// The shape of the value.
    pub kind: ValueKind,
    /// What it is, for messages: `an npm auth token`, `the value of
    /// `--token``, `credentials in a URL`.
    pub what: String,
    /// The catalogue entry that found it (its command form names it in
    /// messages).
    pub entry: Option<&'static CredentialCommand>,
    /// The program, as the shell view names it.
    pub program: &'a str,
}

/// The shape of a [`CommandValue`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum ValueKind {
    /// The whole value (after `--option=`) is the credential.
    Credential,
    /// `user:password`: the password part decides.
    UserPassword,
    /// `Name: value` header.
    Header,
    /// A URL with credentials (literal ones are DLK007's).
    Url,
    /// A word holding a URL whose user part is the credential
    /// (`url.<https://TOKEN@host/>.insteadOf`).
    UrlUserinfo,
}

impl CommandValue<'_> {
    pub fn is_url(&self) -> bool {
        self.kind == ValueKind::Url
    }

    /// `to `npm` as an npm auth token (`npm config set //…:_authToken`)`.
    pub fn described(&self) -> String {
        match self.entry {
            Some(entry) if entry.via_for(self.program) != self.program => format!(
                "to `{}` as {} (`{}`)",
                self.program,
                self.what,
                entry.via_for(self.program)
            ),
            _ => format!("to `{}` as {}", self.program, self.what),
        }
    }
}

/// `--secret id=npm,src=…` (BuildKit), `--token @file`: a reference to a
/// secret, not the secret.
fn is_secret_reference(text: &str) -> bool {
    let value = text.split_once('=').map_or(
        text,
        |(key, value)| {
            if key.starts_with("--") {
                value
            } else {
                text
            }
        },
    );
    ["id=", "src=", "env=", "type=", "source="]
        .iter()
        .any(|prefix| value.contains(prefix))
        || value.starts_with('@')
}

/// Every value in a credential position of the RUN's commands.
pub(super) fn command_values<'a>(run: &Run<'a>) -> Vec<CommandValue<'a>> {
    let catalogue = CredentialCommands::builtin();
    let names = crate::secrets::names::SecretNames::builtin();
    let is_secret_name = |name: &str| names.is_secret(name);
    let mut values: Vec<CommandValue<'a>> = Vec::new();
    for (position, command) in run.script.commands.iter().enumerate() {
        let Some((program, arguments)) = command.program() else {
            continue;
        };
        let mut push = |word: &'a ShellWord,
                        kind: ValueKind,
                        what: String,
                        entry: Option<&'static CredentialCommand>| {
            if !values.iter().any(|value| value.word.span == word.span) {
                values.push(CommandValue {
                    command: position,
                    word,
                    kind,
                    what,
                    entry,
                    program,
                });
            }
        };
        if catalogue.knows(program) {
            let texts: Vec<&str> = arguments.iter().map(|word| word.text.as_str()).collect();
            let assigned: Vec<&str> = command
                .assignments
                .iter()
                .map(|assignment| assignment.name.as_str())
                .collect();
            for found in catalogue.find(program, &texts, &assigned, &is_secret_name) {
                let kind = match (found.entry.secret, found.entry.shape) {
                    (_, SecretShape::UserPassword) => ValueKind::UserPassword,
                    (SecretPosition::Key, SecretShape::UrlCredentials) => ValueKind::UrlUserinfo,
                    _ => ValueKind::Credential,
                };
                let what = found.entry.what.clone();
                let entry = Some(found.entry);
                match found.place {
                    Place::Argument { index, .. } => push(&arguments[index], kind, what, entry),
                    Place::Assignment(index) => {
                        push(&command.assignments[index].value, kind, what, entry)
                    }
                    Place::Stdin => {
                        for word in run.script.input_of(position).data {
                            push(word, kind, what.clone(), entry);
                        }
                    }
                }
            }
        }
        if matches!(program, "curl" | "wget") {
            for (word, _) in header_values(arguments, &["-H", "--header"]) {
                push(
                    word,
                    ValueKind::Header,
                    "an Authorization header".to_string(),
                    None,
                );
            }
        } else {
            for (word, option) in option_values(arguments, &SECRET_OPTIONS) {
                if !is_secret_reference(&word.text) {
                    push(
                        word,
                        ValueKind::Credential,
                        format!("the value of `{option}`"),
                        None,
                    );
                }
            }
            for (word, _) in option_values(arguments, &["--auth"]) {
                push(
                    word,
                    ValueKind::UserPassword,
                    "a user:password (`--auth`)".to_string(),
                    None,
                );
            }
        }
        // `git clone https://$TOKEN@…`, `pip install --index-url https://u:$P@…`.
        for word in arguments.iter().chain(
            command
                .assignments
                .iter()
                .map(|assignment| &assignment.value),
        ) {
            if url_credentials(&word.text).is_some_and(|userinfo| userinfo.contains('$')) {
                push(
                    word,
                    ValueKind::Url,
                    "credentials in a URL".to_string(),
                    None,
                );
            }
        }
    }
    values
}

/// Credentials on command lines (a build variable there; a literal one is
/// DLK005's) and logins.
fn command_line_credentials(context: &RuleContext<'_>, run: &Run<'_>, issues: &mut Vec<Issue>) {
    for command in &run.script.commands {
        let Some((program, arguments)) = command.program() else {
            continue;
        };
        let subcommand = arguments
            .iter()
            .find(|word| !word.text.starts_with('-'))
            .map(|word| word.text.as_str());
        if matches!(program, "npm" | "pnpm" | "yarn")
            && matches!(subcommand, Some("login" | "adduser" | "add-user"))
        {
            let name = command.name.as_ref().map_or(command.span, |name| name.span);
            issues.push(Issue {
                span: name,
                label: format!("`{program} login` stores a token in ~/.npmrc"),
                message: format!("RUN logs in with `{program} login`: the token it stores stays in the image layer"),
                secret: None,
                declaration: None,
                subject: Subject::Login(program.to_string()),
            });
        }
    }
    for value in command_values(run) {
        if let ValueSource::BuildVariable(binding, span) =
            value_source(context, run, value.command, value.word)
        {
            let kind = binding.kind.noun();
            let what = &value.what;
            issues.push(Issue {
                span,
                label: format!(
                    "{kind} {} passed as {what} on the command line",
                    code(&binding.name)
                ),
                message: format!(
                    "RUN passes {kind} {} {}: it is kept in the image history",
                    code(&binding.name),
                    value.described()
                ),
                secret: None,
                declaration: Some(binding.key_span),
                subject: Subject::Variable(binding.name.clone()),
            });
        }
    }
}

/// A literal value that is a credential (not `user` alone for `-u`).
pub(super) fn looks_like_credential(kind: ValueKind, text: &str) -> bool {
    let value = text.split_once('=').map_or(
        text,
        |(key, value)| if key.starts_with('-') { value } else { text },
    );
    match kind {
        ValueKind::UserPassword => value
            .split_once(':')
            .is_some_and(|(_, password)| !password.is_empty() && !is_placeholder(password)),
        ValueKind::Header => value.split_once(':').is_some_and(|(_, rest)| {
            let token = rest.split_whitespace().last().unwrap_or("");
            token.len() >= 8 && !is_placeholder(token)
        }),
        ValueKind::UrlUserinfo => url_userinfo(text).is_some_and(|userinfo| {
            let secret = userinfo
                .split_once(':')
                .map_or(userinfo, |(_, password)| password);
            !is_placeholder(secret) && !is_placeholder(userinfo)
        }),
        ValueKind::Credential | ValueKind::Url => !is_placeholder(value),
    }
}

/// Values of `-x VALUE`, `-xVALUE` (short), `--long VALUE`, `--long=VALUE`,
/// each with the option that gave it.
fn option_values<'a, 'o>(
    arguments: &'a [ShellWord],
    options: &[&'o str],
) -> Vec<(&'a ShellWord, &'o str)> {
    let mut values = Vec::new();
    // Options are written `-x` / `--name` (nearly always): a word that
    // does not start with `-` is then none of them (most arguments).
    let dashed = options.iter().all(|option| option.starts_with('-'));
    for (position, word) in arguments.iter().enumerate() {
        let text = word.text.as_str();
        if dashed && !text.starts_with('-') {
            continue;
        }
        for option in options {
            if text == *option {
                if let Some(value) = arguments.get(position + 1) {
                    values.push((value, *option));
                }
            } else if option.starts_with("--")
                && text
                    .strip_prefix(option)
                    .is_some_and(|rest| rest.starts_with('='))
                || !option.starts_with("--")
                    && option.len() == 2
                    && text.len() > 2
                    && text.starts_with(option)
            {
                values.push((word, *option));
            }
        }
    }
    values
}

/// `-H "Authorization: Bearer …"` and other credential headers.
fn header_values<'a, 'o>(
    arguments: &'a [ShellWord],
    options: &[&'o str],
) -> Vec<(&'a ShellWord, &'o str)> {
    option_values(arguments, options)
        .into_iter()
        .filter(|(word, _)| {
            let header = word
                .text
                .split_once('=')
                .map_or(word.text.as_str(), |(key, value)| {
                    if key.starts_with("--") {
                        value
                    } else {
                        &word.text
                    }
                });
            let name = header
                .split(':')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase();
            crate::analysis::shell::prefilter::CREDENTIAL_HEADERS.contains(&name.as_str())
        })
        .collect()
}

/// Every secret-looking ARG/ENV the RUN expands.
fn expanded_build_secrets(context: &RuleContext<'_>, run: &Run<'_>, issues: &mut Vec<Issue>) {
    let mut reported: Vec<String> = Vec::new();
    for (position, command) in run.script.commands.iter().enumerate() {
        let words = command.words().filter(|word| {
            // A quoted here-document body is not expanded.
            !command.redirects.iter().any(|redirect| {
                redirect.kind == RedirectKind::HereDocument { expands: false }
                    && redirect.target.span == word.span
            })
        });
        for word in words {
            for reference in word
                .references
                .iter()
                .filter(|reference| reference.yields_value)
            {
                if reported.contains(&reference.name) {
                    continue;
                }
                let Some(binding) = secret_build_variable(context, run, &reference.name, position)
                else {
                    continue;
                };
                reported.push(reference.name.clone());
                let kind = binding.kind.noun();
                let where_kept = if binding.kind == BindingKind::Arg {
                    "the image history"
                } else {
                    "the image config and history"
                };
                issues.push(Issue {
                    span: reference.span,
                    label: format!("{kind} {} expanded here", code(&binding.name)),
                    message: format!("RUN expands {kind} {} instead of reading a secret mount: its value is kept in {where_kept}", code(&binding.name)),
                    secret: None,
                    declaration: Some(binding.key_span),
                    subject: Subject::Variable(binding.name.clone()),
                });
            }
        }
    }
}

/// A tool that reads a secret-looking ARG/ENV from the environment
/// (`gh` with `GH_TOKEN`, `aws` with `AWS_SECRET_ACCESS_KEY`).
fn implicit_build_secrets(
    context: &RuleContext<'_>,
    run: &Run<'_>,
    issues: &mut Vec<Issue>,
    reported: &mut Vec<(String, Option<Span>)>,
) {
    for (position, command) in run.script.commands.iter().enumerate() {
        let Some((program, _)) = command.program() else {
            continue;
        };
        let Some((_, names)) = IMPLICIT_READERS
            .iter()
            .find(|(programs, _)| programs.contains(&program))
        else {
            continue;
        };
        for name in names.iter() {
            if command
                .assignments
                .iter()
                .any(|assignment| assignment.name == *name)
            {
                continue;
            }
            let Some(binding) = secret_build_variable(context, run, name, position) else {
                continue;
            };
            let declaration = Some(binding.key_span);
            let already = reported
                .iter()
                .any(|(reported, at)| reported == name && *at == declaration)
                || issues.iter().any(|issue| {
                    issue.declaration == declaration
                        && matches!(&issue.subject, Subject::Variable(reported) if reported == name)
                });
            if already {
                continue;
            }
            reported.push(((*name).to_string(), declaration));
            let kind = binding.kind.noun();
            let span = command.name.as_ref().map_or(command.span, |word| word.span);
            issues.push(Issue {
                span,
                label: format!("`{program}` reads {kind} {} from the environment", code(name)),
                message: format!("RUN runs `{program}`, which reads {kind} {} from the environment: use a secret mount instead", code(name)),
                secret: None,
                declaration: Some(binding.key_span),
                subject: Subject::Variable((*name).to_string()),
            });
            return;
        }
    }
}

/// Every RUN in which a tool of [`IMPLICIT_READERS`] reads `binding` from
/// the environment (the rule reports the first one only; a fix that removes
/// the declaration must mount the secret on all of them).
pub(crate) fn implicit_reader_runs(context: &RuleContext<'_>, binding: &Binding) -> Vec<usize> {
    let mut found = Vec::new();
    // Most secret names are read by no tool on its own: then no RUN needs
    // looking at (this ran over every RUN for every binding, quadratic in
    // a large file).
    if !IMPLICIT_READERS
        .iter()
        .any(|(_, names)| names.contains(&binding.name.as_str()))
    {
        return found;
    }
    // A RUN before the declaration cannot see it.
    for run in runs(context)
        .into_iter()
        .filter(|run| run.index > binding.instruction)
    {
        let reads = run
            .script
            .commands
            .iter()
            .enumerate()
            .any(|(position, command)| {
                let Some((program, _)) = command.program() else {
                    return false;
                };
                IMPLICIT_READERS.iter().any(|(programs, names)| {
                    programs.contains(&program)
                        && names.contains(&binding.name.as_str())
                        && !command
                            .assignments
                            .iter()
                            .any(|assignment| assignment.name == binding.name)
                        && secret_build_variable(context, &run, &binding.name, position)
                            .is_some_and(|seen| seen.key_span == binding.key_span)
                })
            });
        if reads {
            found.push(run.index);
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders() {
        assert!(is_placeholder("<password>"));
        assert!(is_placeholder("changeme"));
        assert!(!is_placeholder("FAKEfake0123"));
    }

    #[test]
    fn literal_credentials() {
        assert!(looks_like_credential(
            ValueKind::UserPassword,
            "deploy:FAKEpass"
        ));
        assert!(!looks_like_credential(ValueKind::UserPassword, "deploy"));
        assert!(looks_like_credential(
            ValueKind::Header,
            "Authorization: Bearer FAKEtoken0123"
        ));
        assert!(!looks_like_credential(
            ValueKind::Header,
            "Authorization: Bearer $X"
        ));
        assert!(looks_like_credential(
            ValueKind::UrlUserinfo,
            "url.https://FAKEtoken0123@github.com/.insteadOf"
        ));
        assert!(!looks_like_credential(
            ValueKind::UrlUserinfo,
            "url.https://<token>@github.com/.insteadOf"
        ));
    }
}
