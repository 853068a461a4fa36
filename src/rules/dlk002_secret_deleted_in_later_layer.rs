use super::{code, declare_rule, Rule, RuleContext, RuleMeta};
use crate::analysis::layers::{
    is_same_or_under, AddedBy, AddedPath, PathPattern, RemovedBy, RemovedPath,
};
use crate::build_context::{BuildContext, Sent};
use crate::finding::{Finding, Severity};
use crate::secrets::CredentialFilePattern;
use crate::syntax::Keyword;

declare_rule! {
    /// ## What it finds
    /// A credential file added in one layer and deleted by a later `RUN`:
    /// `COPY .netrc /root/` (or `ADD`, or a `RUN` that writes it: `echo … >
    /// ~/.npmrc`, `tee`, `cp`, `git config --global credential.helper store`,
    /// `npm config set …:_authToken`, `aws configure set`, `docker login`)
    /// followed by `RUN rm /root/.netrc` (`rm -rf`, `shred`, `unlink`,
    /// `find … -delete`, `npm config delete`, `docker logout`). The later
    /// instruction may be in a stage built `FROM` the first one. Also a
    /// broad `COPY . /app` followed by `RUN rm /app/.env`, when the copy
    /// really added the file: the build context (the Dockerfile's
    /// directory, or `--context DIR`) holds `.env` and its `.dockerignore`
    /// (or `<Dockerfile>.dockerignore`) does not leave it out. For a
    /// Dockerfile read from stdin there is no context to look at, and the
    /// removal is taken as the sign that the file came in with the copy
    /// (also for a `*` source and when the ignore file cannot be read).
    ///
    /// Creating and removing the file in the same `RUN` is not this rule
    /// (the file never reaches a layer; see `DLK006` for how the value got
    /// there).
    ///
    /// ## Why it leaks
    /// An image is a stack of layers and each layer is kept as it was made.
    /// Deleting a file in a later layer only hides it: anyone who pulls the
    /// image can extract the earlier layer (`docker save`, `crane export`,
    /// any registry client) and read the file. In a stage that the final
    /// image does not use, the layer still sits in the build cache and in
    /// `--target` builds, so it is reported as a warning there.
    ///
    /// ## Example
    /// ```dockerfile
    /// FROM python:3.12
    /// COPY .netrc /root/.netrc
    /// RUN pip install -r requirements.txt
    /// RUN rm /root/.netrc
    /// ```
    ///
    /// ## Fix
    /// Mount the file for the `RUN`s that need it; it never reaches a layer.
    /// `dockerleak --fix --unsafe-fixes` (an unsafe fix, DLK001's) rewrites
    /// the example to:
    /// ```dockerfile
    /// FROM python:3.12
    /// RUN --mount=type=secret,id=netrc,target=/root/.netrc pip install -r requirements.txt
    /// ```
    /// and says to build with `docker build --secret id=netrc,src=.netrc .`.
    /// For SSH keys it uses `RUN --mount=type=ssh` and `docker build --ssh default`.
    pub struct SecretDeletedInLaterLayer;
    code: "DLK002",
    name: "secret-deleted-in-later-layer",
    severity: Error,
    summary: "A credential file is added in one layer and deleted in a later one, which does not remove it from the image.",
}

impl Rule for SecretDeletedInLaterLayer {
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
        let analysis = context.analysis;
        // Only the RUNs that remove something can explain an add: looking
        // at every RUN for every add made a file of many COPYs and RUNs
        // quadratic.
        let runs: Vec<usize> = context
            .instructions()
            .filter(|(index, instruction)| {
                instruction.keyword == Keyword::Run
                    && analysis
                        .layer(*index)
                        .is_some_and(|layer| !layer.removed.is_empty())
            })
            .map(|(index, _)| index)
            .collect();
        if runs.is_empty() {
            return;
        }
        // Explicit adds first: a broad `COPY .` whose removal is already
        // explained by an explicit add is not reported again.
        let mut used_removals: Vec<crate::source::Span> = Vec::new();
        // Located on the first broad copy that needs it.
        let mut build_context: Option<Option<BuildContext>> = None;
        for broad_pass in [false, true] {
            for (index, instruction) in context.instructions() {
                if !matches!(
                    instruction.keyword,
                    Keyword::Copy | Keyword::Add | Keyword::Run
                ) {
                    continue;
                }
                let Some(layer) = analysis.layer(index) else {
                    continue;
                };
                for added in &layer.added {
                    if !added.persists() || layer.is_in_mount(&added.path) {
                        continue;
                    }
                    let credential = credential_pattern(context, added);
                    let broad_copy = matches!(added.by, AddedBy::Copy | AddedBy::Add)
                        && is_broad_source(added.source.as_deref());
                    let wanted = if broad_pass {
                        credential.is_none() && broad_copy
                    } else {
                        credential.is_some()
                    };
                    if !wanted {
                        continue;
                    }
                    let first_later = runs.partition_point(|run| *run <= index);
                    let later = runs[first_later..]
                        .iter()
                        .copied()
                        .filter(|run| analysis.builds_on_layer(*run, index));
                    let removal = later.into_iter().find_map(|run| {
                        let removed = analysis.layer(run)?.removed.iter().find(|removed| {
                            !(broad_pass && used_removals.contains(&removed.span))
                                && match credential {
                                    Some(_) => removed.removes(&added.path),
                                    None => removes_credential_under(context, removed, &added.path),
                                }
                        })?;
                        Some((run, removed))
                    });
                    let Some((run, removed)) = removal else {
                        continue;
                    };
                    let pattern = credential.or_else(|| match &removed.pattern {
                        PathPattern::Path(path) => context.catalog.files.match_path(path),
                        _ => None,
                    });
                    let Some(pattern) = pattern else { continue };
                    if broad_pass
                        && !broad_copy_sends(context, index, added, removed, &mut build_context)
                    {
                        continue;
                    }
                    used_removals.push(removed.span);
                    findings.push(self.report(context, index, run, added, removed, pattern));
                }
            }
        }
    }
}

impl SecretDeletedInLaterLayer {
    fn report(
        &self,
        context: &RuleContext<'_>,
        index: usize,
        run: usize,
        added: &AddedPath,
        removed: &RemovedPath,
        pattern: &CredentialFilePattern,
    ) -> Finding {
        let severity = context.stage_severity(index, Severity::Error);
        let layer = context.analysis.layer(index);
        let removed_path = match &removed.pattern {
            PathPattern::Path(path) if !is_same_or_under(&added.path, path) => path.clone(),
            _ => added.path.clone(),
        };
        let shown = shown_path(layer.and_then(|layer| layer.home.as_deref()), &removed_path);
        let verb = context.dockerfile.instructions[index]
            .keyword_word
            .text
            .to_ascii_uppercase();
        let where_it_stays = if severity == Severity::Error {
            "the image".to_string()
        } else if context.runs_downstream(index) {
            "every image built from this one (`ONBUILD` triggers)".to_string()
        } else {
            format!(
                "stage {} (kept in the build cache)",
                context.stage_label(index).unwrap_or_default()
            )
        };
        let label = match added.by {
            AddedBy::Copy | AddedBy::Add if removed_path != added.path => {
                format!("{} comes into this layer here", code(&shown))
            }
            _ => format!("{} added here", code(&shown)),
        };
        let help = if pattern.kind.is_ssh_key() {
            "Don't put SSH keys in a layer: use `RUN --mount=type=ssh <command>` and build with `docker build --ssh default .`; remove the COPY and the rm".to_string()
        } else {
            let id = super::secret_id(&removed_path);
            format!(
                "Deleting it later does not remove it from the earlier layer: mount it for the RUN that needs it instead, `RUN --mount=type=secret,id={id},target={removed_path} <command>`, build with `--secret id={id},src=<file>`, and drop both the {verb} and the rm"
            )
        };
        let run_line = context.dockerfile.instructions[run].start_line;
        context
            .finding(&Self::META, index, added.span)
            .severity(severity)
            .message(format!(
                "{verb} adds {} ({}) and the RUN on line {run_line} deletes it, but the file stays in {where_it_stays}",
                code(&shown),
                pattern.description
            ))
            .label(label)
            .secondary(
                removed.span,
                match removed.by {
                    RemovedBy::Mv => "moved away here, but the earlier layer keeps it",
                    _ => "deleted here, but the earlier layer keeps it",
                },
            )
            .help(help)
            .build()
    }
}

/// The credential pattern an added path (or its COPY source) matches.
fn credential_pattern<'a>(
    context: &RuleContext<'a>,
    added: &AddedPath,
) -> Option<&'a CredentialFilePattern> {
    let files = &context.catalog.files;
    files
        .match_path(&added.path)
        .or_else(|| {
            added
                .source
                .as_deref()
                .and_then(|source| files.match_path(source))
        })
        // `.gitconfig` is a credential when a tool put one there.
        .or_else(|| {
            added
                .holds_credential
                .then(|| files.match_conditional(&added.path))
                .flatten()
        })
}

/// `COPY . /app`, `COPY ./ /app`, `COPY * /app`, `COPY src/ /app`.
fn is_broad_source(source: Option<&str>) -> bool {
    source.is_some_and(|source| {
        matches!(source, "." | "./" | "*" | "./*")
            || source.ends_with('/') && !source.contains("://")
    })
}

/// Whether the broad copy `added` (`COPY . /app`) really put the file that
/// `removed` deletes into its layer: the build context on disk holds it
/// and its ignore file does not leave it out. Without a context on disk
/// (stdin), or when that cannot be told (a `*` source, a `--from` copy, an
/// unreadable ignore file), the removal is taken as the sign that the file
/// came in with the copy.
fn broad_copy_sends(
    context: &RuleContext<'_>,
    index: usize,
    added: &AddedPath,
    removed: &RemovedPath,
    build_context: &mut Option<Option<BuildContext>>,
) -> bool {
    let PathPattern::Path(path) = &removed.pattern else {
        return true;
    };
    if context.dockerfile.instructions[index]
        .flag("from")
        .is_some()
    {
        return true;
    }
    let Some(source) = added.source.as_deref() else {
        return true;
    };
    let scope = match source.trim_start_matches("./") {
        "" | "." => "",
        directory if directory.ends_with('/') => directory.trim_end_matches('/'),
        _ => return true,
    };
    let Some(below) = path
        .strip_prefix(added.path.trim_end_matches('/'))
        .and_then(|below| below.strip_prefix('/'))
    else {
        return true;
    };
    let located =
        build_context.get_or_insert_with(|| BuildContext::locate(context.path, context.config));
    let Some(located) = located else {
        return true;
    };
    let relative = if scope.is_empty() {
        below.to_string()
    } else {
        format!("{scope}/{below}")
    };
    located.sends(&relative) != Sent::No
}

/// A removal of a credential file that lies under `directory`.
fn removes_credential_under(
    context: &RuleContext<'_>,
    removed: &RemovedPath,
    directory: &str,
) -> bool {
    match &removed.pattern {
        PathPattern::Path(path) => {
            path != directory
                && is_same_or_under(path, directory)
                && context.catalog.files.match_path(path).is_some()
        }
        _ => false,
    }
}

/// `~/.npmrc` for a path under the home directory.
fn shown_path(home: Option<&str>, path: &str) -> String {
    match home {
        Some(home) if home != "/" && path.starts_with(&format!("{home}/")) => {
            format!("~{}", &path[home.len()..])
        }
        _ => path.to_string(),
    }
}
