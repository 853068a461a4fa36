use super::{code, declare_rule, Rule, RuleContext, RuleMeta};
use crate::analysis::expand::Expansion;
use crate::analysis::flow::Reach;
use crate::finding::{Finding, Severity};
use crate::secrets::file_names::SecretFileNames;
use crate::secrets::files::CredentialFilePattern;
use crate::source::Span;
use crate::syntax::{Arguments, Keyword, Word};

declare_rule! {
    /// ## What it finds
    /// `COPY` or `ADD` of a credential file: `.netrc`, `.npmrc`, `.pypirc`,
    /// `pip.conf`, `.git-credentials`, SSH private keys and the `.ssh/`
    /// directory, `*.pem`/`*.key`/`*.p12`, cloud credentials (`.aws/credentials`,
    /// `.docker/config.json`, `.kube/config`, service-account JSON), `.env`
    /// files, credential homes (`~/.m2/`, `~/.gradle/`, `~/.minikube/`,
    /// `~/.kube/`, `~/.gnupg/` and exported private keys, `~/.config/gcloud/`,
    /// `~/.azure/`, `~/.oci/`), `.pgpass`, `.my.cnf`, Oracle wallets, `*.kdbx`,
    /// and the rest of the list in `rules/credential-files.toml`. Sources
    /// and destinations are both checked, through variables, in exec (JSON)
    /// form, with `COPY --from=`, heredoc destinations and `ADD <url>`:
    /// anything copied *to* a credential location (`COPY ci/kube /root/.kube/`,
    /// `COPY x /root/.aws/credentials`) counts like the credential file itself.
    /// A source glob (`.np[m]rc`, `id_*`, `*.p12`) is reported when it can
    /// match a credential file name, naming that file ("may match `.npmrc`");
    /// a glob that also matches ordinary names (`*`, `*.json`, `.*rc`) is
    /// left to DLK010, which looks at the build context.
    ///
    /// A heuristic covers files the list does not name: a source whose own
    /// file name says it holds a secret (`*secret*`, `*credential*`,
    /// `*passw*`, `*token*`: `db-password`, `secrets.json`, `vault-token`)
    /// is reported as such ("the file name says it holds a secret"). The
    /// names and the look-alikes taken back out (templates and examples,
    /// `*.pub`/`*.asc`/`*.gpg`, source code such as `secret_sauce.py`,
    /// `tokenizer.json`, `passwd`) are in `rules/secret-file-names.toml`;
    /// a glob source and a `COPY --from` source (mostly what a stage
    /// built, such as a program named `wi-secrets`) are never matched this
    /// way. The name a file lands under counts too (`COPY app.env
    /// /run/app/db-password`, `ADD https://… /etc/app/api-token`, a heredoc
    /// `COPY <<EOF /srv/app-secrets.env`), except for a destination that is
    /// mostly a directory the files go into (`/opt/app/secrets`,
    /// `credentials`: `directory_names` in the same file) and a template
    /// source copied under a secret's name (`COPY secrets.example
    /// /srv/secrets.json`).
    ///
    /// ## Why it leaks
    /// Every layer is part of the image. Whoever can pull the image can read
    /// the file, and deleting it in a later `RUN rm` does not help: the layer
    /// that added it keeps it. Severity follows the file: an error when it is
    /// in the final image (a layer of the final stage or of a stage it is
    /// built `FROM`, or carried there by a `COPY --from` whose source is the
    /// file, a directory above it, a matching glob or `/`; a label then shows
    /// the copy), a warning when it stays in a stage the final image only
    /// copies other files from or never uses (it still sits in the build
    /// cache and in `--target` builds).
    ///
    /// ## Example
    /// ```dockerfile
    /// FROM python:3.12
    /// COPY .netrc /root/.netrc
    /// RUN pip install -r requirements.txt && rm /root/.netrc
    /// ```
    ///
    /// ## Fix
    /// Mount the file for the `RUN`s that need it; it never reaches a layer.
    /// `dockerleak --fix --unsafe-fixes` (an unsafe fix: the build command
    /// changes) rewrites the example to:
    /// ```dockerfile
    /// FROM python:3.12
    /// RUN --mount=type=secret,id=netrc,target=/root/.netrc pip install -r requirements.txt
    /// ```
    /// and says to build with `docker build --secret id=netrc,src=.netrc .`
    /// (`src=` the file on the build machine, `$HOME/.netrc` for a personal
    /// one). Under a non-root `USER` the mount gets `uid=`/`gid=` (or
    /// `mode=0444`). An SSH private key used by `git`/`ssh` becomes
    /// `RUN --mount=type=ssh` and `docker build --ssh default`. The rewrite is
    /// made when a later `RUN` of the stage removes the file (otherwise the
    /// image may need it at run time, and the fix is only shown).
    pub struct SecretFileCopied;
    code: "DLK001",
    name: "secret-file-copied",
    severity: Error,
    summary: "`COPY` or `ADD` puts a credential file into the image.",
}

impl Rule for SecretFileCopied {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn fix(
        &self,
        context: &RuleContext<'_>,
        finding: &Finding,
        _findings: &[Finding],
    ) -> Option<crate::fix::Fix> {
        crate::fix::rewrites::credential_file_to_secret_mount(context, finding)
    }

    fn check(&self, context: &RuleContext<'_>, findings: &mut Vec<Finding>) {
        for (index, instruction) in context.instructions() {
            let effective = instruction.effective();
            if !matches!(effective.keyword, Keyword::Copy | Keyword::Add) {
                continue;
            }
            let words: Vec<&Word> = match &effective.arguments {
                Arguments::Json(words) | Arguments::Words(words) => words.iter().collect(),
                _ => continue,
            };
            let Some((destination, sources)) = words.split_last() else {
                continue;
            };
            let destination_expansion = context.analysis.expand_word(destination, index);
            let destination_hidden = from_secret_variable(context, index, &destination_expansion);
            let destination_path = destination_expansion.value;
            let is_add = effective.keyword == Keyword::Add;
            let heredoc_names: Vec<&str> = effective
                .heredocs
                .iter()
                .map(|heredoc| heredoc.name.as_str())
                .collect();
            let directory_destination = destination_path.ends_with('/') || sources.len() > 1;
            let mut reported = false;
            for source in sources {
                if source.text.starts_with("<<")
                    && heredoc_names.iter().any(|name| source.text.contains(name))
                {
                    continue;
                }
                let source_expansion = context.analysis.expand_word(source, index);
                let source_hidden = from_secret_variable(context, index, &source_expansion);
                let source_path = source_expansion.value;
                let url_file = is_add.then(|| url_file_name(&source_path)).flatten();
                let copied_name = url_file.unwrap_or_else(|| base_name(&source_path));
                let landing = if directory_destination {
                    format!("{}/{}", destination_path.trim_end_matches('/'), copied_name)
                } else {
                    destination_path.clone()
                };
                let matched_source = if url_file.is_some() {
                    context.catalog.files.match_path(copied_name)
                } else {
                    context.catalog.files.match_path(&source_path)
                };
                // A URL may carry credentials: name only the file it fetches.
                // A value drawn from a secret-looking variable is shown as
                // written (`${CREDS}`): its value may be the secret itself.
                let shown = if source_hidden {
                    source.text.as_str()
                } else if url_file.is_some() {
                    copied_name
                } else {
                    source_path.as_str()
                };
                // `COPY signing.key /etc/app/signing-key.pub`: the name it lands
                // under says it is the public half.
                if base_name(&landing).to_ascii_lowercase().ends_with(".pub") {
                    continue;
                }
                // A glob source (`.np[m]rc`, `id_*`): the credential file
                // it may match, named in the finding.
                // A `COPY --from` glob names files of a stage, which the path
                // flow follows instead.
                let glob_match = if matched_source.is_none()
                    && url_file.is_none()
                    && effective.flag("from").is_none()
                {
                    context.catalog.files.match_glob(&source_path)
                } else {
                    None
                };
                let (matched_source, may_match) = match (matched_source, glob_match) {
                    (Some(pattern), _) => (Some(pattern), None),
                    (None, Some(found)) => (Some(found.pattern), Some(found.example)),
                    (None, None) => (None, None),
                };
                if let Some(pattern) = matched_source {
                    let landing_shown = match (source_hidden, directory_destination) {
                        (true, true) => format!(
                            "{}/{}",
                            destination_path.trim_end_matches('/'),
                            base_name(&source.text)
                        ),
                        _ => landing.clone(),
                    };
                    findings.push(self.report(
                        context,
                        index,
                        source.span,
                        shown,
                        &landing_shown,
                        (pattern, may_match),
                    ));
                    reported = true;
                } else if let Some(pattern) = context.catalog.files.match_path(&landing) {
                    // `COPY kube /root/.kube/`: the directory is the
                    // credential location, whatever lands in it.
                    let into_location = directory_destination
                        && context
                            .catalog
                            .files
                            .match_path(&destination_path)
                            .is_some();
                    let shown = if destination_hidden || source_hidden {
                        destination.text.as_str()
                    } else if into_location {
                        destination_path.as_str()
                    } else {
                        landing.as_str()
                    };
                    findings.push(self.report(
                        context,
                        index,
                        destination.span,
                        shown,
                        shown,
                        (pattern, None),
                    ));
                    reported = true;
                } else if url_file.is_none()
                    && !source_hidden
                    && effective.flag("from").is_none()
                    && SecretFileNames::builtin().says_secret(&source_path)
                {
                    // No catalogue entry decides, but the file's own name
                    // says it is a secret (`db-password`, `secrets.json`).
                    // Not for `COPY --from`: a stage's files are mostly
                    // what it built (`/wi-secrets`, a program's binary).
                    findings.push(self.report(
                        context,
                        index,
                        source.span,
                        shown,
                        &landing,
                        (SecretFileNames::builtin().entry(), None),
                    ));
                    reported = true;
                } else if !directory_destination
                    && !destination_hidden
                    && !source_hidden
                    && effective.flag("from").is_none()
                    && SecretFileNames::builtin().destination_says_secret(&destination_path)
                    && !SecretFileNames::builtin().is_look_alike(&source_path)
                {
                    // The name it lands under says it is a secret
                    // (`COPY app.env /run/config/db-password`, `ADD
                    // https://…/x /etc/app/api-token`).
                    findings.push(self.report(
                        context,
                        index,
                        destination.span,
                        &destination_path,
                        &destination_path,
                        (SecretFileNames::builtin().entry(), None),
                    ));
                    reported = true;
                }
            }
            let has_heredoc_source = sources.iter().any(|source| source.text.starts_with("<<"));
            if !reported && has_heredoc_source {
                let pattern = context
                    .catalog
                    .files
                    .match_path(&destination_path)
                    .or_else(|| {
                        SecretFileNames::builtin()
                            .destination_says_secret(&destination_path)
                            .then(|| SecretFileNames::builtin().entry())
                    });
                if let Some(pattern) = pattern {
                    let shown = if destination_hidden {
                        destination.text.as_str()
                    } else {
                        destination_path.as_str()
                    };
                    findings.push(self.report(
                        context,
                        index,
                        destination.span,
                        shown,
                        shown,
                        (pattern, None),
                    ));
                }
            }
        }
    }
}

impl SecretFileCopied {
    fn report(
        &self,
        context: &RuleContext<'_>,
        index: usize,
        span: Span,
        shown: &str,
        landing: &str,
        // The entry, and the name a glob source may match.
        (pattern, may_match): (&CredentialFilePattern, Option<&str>),
    ) -> Finding {
        // The path in the layer: the source's landing, or (a finding on the
        // destination) the first source's, which lands in the same place.
        let landed = context.analysis.layer(index).and_then(|layer| {
            layer
                .added
                .iter()
                .find(|added| added.span == span)
                .or(layer.added.first())
                .map(|added| added.path.clone())
        });
        let (severity, reach) = match landed {
            Some(path) => context.path_severity(index, &path, Severity::Error),
            None => {
                let severity = context.stage_severity(index, Severity::Error);
                let reach = if severity == Severity::Error {
                    Reach::Final
                } else {
                    Reach::Elsewhere
                };
                (severity, reach)
            }
        };
        let instruction = &context.dockerfile.instructions[index];
        let verb = instruction
            .effective()
            .keyword_word
            .text
            .to_ascii_uppercase();
        let where_it_lands = context.where_it_lands(index, &reach);
        let help = if pattern.kind.is_ssh_key() {
            "Don't copy SSH keys: use `RUN --mount=type=ssh <command>` and build with `docker build --ssh default .`".to_string()
        } else {
            let id = super::secret_id(landing);
            let target = if landing.starts_with('/') {
                landing.to_string()
            } else {
                format!("/{landing}")
            };
            format!(
                "Mount it only where it is needed: `RUN --mount=type=secret,id={id},target={target} <command>` and build with `--secret id={id},src=<path>`"
            )
        };
        context
            .finding(&SecretFileCopied::META, index, span)
            .severity(severity)
            .message(match may_match {
                Some(example) => format!(
                    "{verb} puts {}, which may match {} ({}), {where_it_lands}",
                    code(shown),
                    code(example),
                    pattern.description
                ),
                None => format!(
                    "{verb} puts {} ({}) {where_it_lands}",
                    code(shown),
                    pattern.description
                ),
            })
            .label(match may_match {
                Some(example) => format!(
                    "{} may match the credential file {}",
                    code(base_name(shown)),
                    code(example)
                ),
                None => format!("{} is a credential file", code(base_name(shown))),
            })
            .labels(context.travel_labels(&reach))
            .help(help)
            .build()
    }
}

/// Whether a value was drawn from a secret-looking variable whose value
/// may be the secret itself (`ARG NPM_TOKEN=…` then `COPY ${NPM_TOKEN} …`):
/// the finding then names the word as written, never the value. A value
/// that is plainly not a secret (`ARG CREDS=.aws/credentials`, a path) is
/// shown expanded.
fn from_secret_variable(context: &RuleContext<'_>, index: usize, expansion: &Expansion) -> bool {
    expansion.references.iter().any(|reference| {
        context.catalog.names.is_secret(&reference.name)
            && context
                .analysis
                .resolve(&reference.name, index)
                .and_then(|resolved| resolved.value().map(str::to_owned))
                .is_some_and(|value| !crate::secrets::is_non_secret_value(&value))
    })
}

/// The last path component (`/root/.netrc` → `.netrc`; a trailing `/` kept off).
fn base_name(path: &str) -> &str {
    let trimmed = path.trim_end_matches('/');
    trimmed.rsplit('/').next().unwrap_or(trimmed)
}

/// For `ADD https://host/path/file?x`: `file`.
fn url_file_name(source: &str) -> Option<&str> {
    let (scheme, rest) = source.split_once("://")?;
    if !scheme
        .chars()
        .all(|ch| ch.is_ascii_alphanumeric() || ch == '+')
    {
        return None;
    }
    let path = rest.split(['?', '#']).next().unwrap_or(rest);
    let (_, path) = path.split_once('/')?;
    let name = base_name(path);
    (!name.is_empty()).then_some(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_file_names() {
        assert_eq!(
            url_file_name("https://example.com/keys/id_rsa?raw=1"),
            Some("id_rsa")
        );
        assert_eq!(url_file_name("https://example.com"), None);
        assert_eq!(url_file_name("./local"), None);
    }

    #[test]
    fn secret_ids_are_derived_from_the_file_name() {
        assert_eq!(super::super::secret_id("/root/.netrc"), "netrc");
        assert_eq!(
            super::super::secret_id("/root/.docker/config.json"),
            "config_json"
        );
    }
}
