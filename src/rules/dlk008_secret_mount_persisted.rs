use super::dlk006_secret_in_run_without_mount::{runs, Run};
use super::{code, declare_rule, Rule, RuleContext, RuleMeta};
use crate::analysis::layers::{AddedBy, AddedPath, Content, SecretMount};
use crate::finding::{Finding, Severity};
use crate::syntax::Keyword;

declare_rule! {
    /// ## What it finds
    /// A `RUN --mount=type=secret` that copies what the mount holds into the
    /// image:
    /// - `cp`, `mv`, `install`, `cat … >`, `tee` from `/run/secrets/<id>` (or
    ///   from the mount's `target=`) to a path outside the mount;
    /// - `echo "$(cat /run/secrets/x)" > file`, or a variable read from the
    ///   secret written to a file;
    /// - the mount's `env=` variable written to a file (`echo "$TOKEN" >
    ///   /app/token`);
    /// - a variable defined by a sourced secret file written to a file
    ///   (`. /run/secrets/env && echo "$API_TOKEN" > /etc/app.conf`): a
    ///   sourced secret makes every variable that neither the script, an
    ///   `ARG`/`ENV` nor the shell sets a secret for the rest of the `RUN`;
    /// - a tool that stores the value in its configuration
    ///   (`npm config set …:_authToken $(cat /run/secrets/npm)`,
    ///   `aws configure set`, `yarn config set`, `pip config set`,
    ///   `git clone https://$TOKEN@…` which keeps the URL in `.git/config`,
    ///   `htpasswd -b`, `x11vnc -storepasswd`);
    /// - `cp -r`/`mv` of a directory the secret is mounted inside;
    /// - a `target=` inside a directory that a later broad `COPY . …`/`ADD`
    ///   of the same stage fills from the build context: the context's own
    ///   copy of the file (the one usually passed with `--secret src=…`) lands
    ///   where the secret was mounted, unless `.dockerignore` excludes it.
    ///   This case is a warning, as it depends on what the context holds.
    ///
    /// Reading the secret is fine and is not reported: `psql
    /// --password=$(cat /run/secrets/db)`, `cat /run/secrets/x | docker login
    /// --password-stdin` (which may store the login in
    /// `~/.docker/config.json`, unless a credential helper is configured:
    /// log out before the `RUN` ends), a file written from the secret and
    /// removed in the same `RUN`, a file written into a cache or tmpfs mount.
    /// A mount target by itself leaves nothing in the image: BuildKit
    /// unmounts it when the `RUN` ends, so a later instruction cannot read
    /// the secret from it.
    ///
    /// ## Why it leaks
    /// A secret mount exists only while its `RUN` runs; that is the whole
    /// point of it. A copy of its content made by that `RUN` is an ordinary
    /// file of the layer and ships with the image to everyone who can pull
    /// it. In a stage the final image is not built on, it is an error only
    /// when a `COPY --from` carries the file into the final image (a label
    /// shows the copy), a warning otherwise (the build cache keeps it).
    ///
    /// ## Example
    /// ```dockerfile
    /// FROM alpine:3.20
    /// RUN --mount=type=secret,id=api_key cp /run/secrets/api_key /app/api_key
    /// ```
    ///
    /// ## Fix
    /// A display-only fix (where the file is needed decides the rewrite).
    /// Use the secret where it is mounted, in every `RUN` that needs it, and
    /// keep it out of the image; give the running container its secrets at
    /// run time (`docker run --env-file`, orchestrator secrets):
    /// ```dockerfile
    /// FROM alpine:3.20
    /// RUN --mount=type=secret,id=api_key,env=API_KEY ./fetch-assets.sh
    /// ```
    pub struct SecretMountPersisted;
    code: "DLK008",
    name: "secret-mount-persisted",
    severity: Error,
    summary: "A `RUN` copies the content of a secret mount into the image.",
}

impl Rule for SecretMountPersisted {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn fix(
        &self,
        _context: &RuleContext<'_>,
        finding: &Finding,
        _findings: &[Finding],
    ) -> Option<crate::fix::Fix> {
        crate::fix::rewrites::use_secret_in_place(finding)
    }

    fn check(&self, context: &RuleContext<'_>, findings: &mut Vec<Finding>) {
        for run in runs(context) {
            if run.layer.mounts.secrets.is_empty() {
                continue;
            }
            self.copies(context, &run, findings);
            self.target_filled_by_later_copy(context, &run, findings);
        }
    }
}

impl SecretMountPersisted {
    /// Files the RUN writes from a secret, and copies of directories a
    /// secret is mounted in.
    fn copies(&self, context: &RuleContext<'_>, run: &Run<'_>, findings: &mut Vec<Finding>) {
        for added in &run.layer.added {
            if added.command.is_none()
                || !added.persists()
                || run.layer.is_in_mount(&added.path)
                || added.path.starts_with("/dev/")
            {
                continue;
            }
            if matches!(
                added.by,
                AddedBy::Copy
                    | AddedBy::Add
                    | AddedBy::Download
                    | AddedBy::Tool("docker login" | "npm login" | "git credential store")
            ) {
                continue;
            }
            if run.layer.content_reads_secret(run.script, &added.content) {
                let mount = mount_for(run, &added.content);
                findings.push(self.report(context, run, added, mount, None));
                continue;
            }
            if matches!(added.by, AddedBy::Cp | AddedBy::Mv | AddedBy::Install) {
                let inside = added.content.files.iter().find_map(|file| {
                    run.layer
                        .mounts
                        .secrets
                        .iter()
                        .find(|mount| {
                            mount
                                .path
                                .as_deref()
                                .is_some_and(|path| is_strictly_under(path, &file.path))
                        })
                        .map(|mount| (mount, file.path.clone()))
                });
                if let Some((mount, directory)) = inside {
                    findings.push(self.report(context, run, added, Some(mount), Some(directory)));
                }
            }
        }
    }

    fn report(
        &self,
        context: &RuleContext<'_>,
        run: &Run<'_>,
        added: &AddedPath,
        mount: Option<&SecretMount>,
        directory: Option<String>,
    ) -> Finding {
        let (severity, reach) = context.path_severity(run.index, &added.path, Severity::Error);
        let secret = mount.map_or_else(|| "a mounted secret".to_string(), describe);
        let how = match added.by {
            AddedBy::Cp => "copies",
            AddedBy::Mv => "moves",
            AddedBy::Install => "installs",
            AddedBy::Tool(_) => "stores",
            _ => "writes",
        };
        let message = match &directory {
            Some(directory) => format!(
                "RUN {how} {}, the directory {secret} is mounted in, to {}: the secret is copied into the image layer",
                code(directory),
                code(&added.path)
            ),
            None => match added.by {
                AddedBy::Tool(tool) => format!("RUN {how} {secret} in {} (`{tool}`): the secret stays in the image layer", code(&added.path)),
                _ => format!("RUN {how} {secret} to {}: the secret stays in the image layer", code(&added.path)),
            },
        };
        let id = mount
            .and_then(|mount| mount.id.clone())
            .unwrap_or_else(|| "secret".to_string());
        let location = mount
            .and_then(|mount| {
                mount
                    .path
                    .clone()
                    .or_else(|| mount.env.as_ref().map(|env| format!("${env}")))
            })
            .unwrap_or_else(|| format!("/run/secrets/{id}"));
        let mut builder = context
            .finding(&Self::META, run.index, added.span)
            .severity(severity)
            .message(message)
            .label(format!("the secret's content lands in {} here", code(&added.path)))
            .labels(context.travel_labels(&reach))
            .help(format!(
                "Don't copy the secret: use it where it is mounted (`{location}`) in each RUN that needs it, e.g. `RUN --mount=type=secret,id={id},env=SECRET <command>`; give the running container its secrets at run time; a file needed during the RUN must be removed before the RUN ends"
            ));
        if let Some(mount) = mount {
            builder = builder.secondary(
                mount.target_span.unwrap_or(mount.span),
                "secret mounted here",
            );
        }
        builder.build()
    }

    /// `--mount=type=secret,target=/app/.npmrc` and a later `COPY . /app`.
    fn target_filled_by_later_copy(
        &self,
        context: &RuleContext<'_>,
        run: &Run<'_>,
        findings: &mut Vec<Finding>,
    ) {
        let Some(stage) = context.analysis.stage_of(run.index) else {
            return;
        };
        for mount in &run.layer.mounts.secrets {
            let (Some(path), Some(target_span)) = (mount.path.as_deref(), mount.target_span) else {
                continue;
            };
            if path.starts_with("/run/secrets/") {
                continue;
            }
            let later = (run.index + 1..stage.instructions.end).find_map(|index| {
                let instruction = &context.dockerfile.instructions[index];
                if !matches!(instruction.keyword, Keyword::Copy | Keyword::Add)
                    || instruction.flag("from").is_some()
                {
                    return None;
                }
                let layer = context.analysis.layer(index)?;
                layer
                    .added
                    .iter()
                    .find(|added| {
                        let broad = added
                            .source
                            .as_deref()
                            .is_some_and(|source| matches!(source, "." | "./" | "*" | "./*"));
                        broad && is_strictly_under(path, &added.path)
                    })
                    .map(|added| (index, added.span, added.path.clone()))
            });
            let Some((index, copy_span, directory)) = later else {
                continue;
            };
            let relative = path[directory.trim_end_matches('/').len()..].trim_start_matches('/');
            let line = context.dockerfile.instructions[index].start_line;
            findings.push(
                context
                    .finding(&Self::META, run.index, target_span)
                    .severity(Severity::Warning)
                    .message(format!(
                        "secret {} is mounted at {}, and the COPY on line {line} fills {} from the build context: the context's own {} lands in the image unless `.dockerignore` excludes it",
                        code(mount.id.as_deref().unwrap_or("?")),
                        code(path),
                        code(&directory),
                        code(relative)
                    ))
                    .label("secret mounted inside a directory that a later COPY fills")
                    .secondary(copy_span, format!("copies the build context's {} to {}", code(relative), code(path)))
                    .help(format!(
                        "Keep the secret file out of the build context (or add `{relative}` to `.dockerignore`), and mount it from elsewhere: `docker build --secret id={},src=$HOME/{relative} .`",
                        mount.id.as_deref().unwrap_or("secret")
                    ))
                    .build(),
            );
        }
    }
}

/// The mount whose file or variable `content` reads.
fn mount_for<'a>(run: &'a Run<'_>, content: &Content) -> Option<&'a SecretMount> {
    let mounts = &run.layer.mounts.secrets;
    content
        .files
        .iter()
        .find_map(|file| {
            mounts
                .iter()
                .find(|mount| mount.path.as_deref() == Some(file.path.as_str()))
        })
        .or_else(|| {
            let names: Vec<&str> = content
                .data
                .iter()
                .flat_map(|word| {
                    word.references
                        .iter()
                        .map(|reference| reference.name.as_str())
                })
                .collect();
            mounts
                .iter()
                .find(|mount| mount.env.as_deref().is_some_and(|env| names.contains(&env)))
        })
        .or_else(|| {
            // Through a substitution or a variable: the mount whose path the
            // RUN reads somewhere.
            let read: Vec<&str> = run
                .script
                .commands
                .iter()
                .flat_map(|command| {
                    command
                        .arguments
                        .iter()
                        .chain(command.redirects.iter().map(|redirect| &redirect.target))
                })
                .map(|word| word.text.as_str())
                .collect();
            mounts.iter().find(|mount| {
                mount
                    .path
                    .as_deref()
                    .is_some_and(|path| read.contains(&path))
            })
        })
        .or_else(|| mounts.first())
}

/// `secret `k` (mounted at /run/secrets/k)`.
fn describe(mount: &SecretMount) -> String {
    let id = mount.id.as_deref().unwrap_or("?");
    match (&mount.path, &mount.env) {
        (Some(path), _) => format!("secret {} (mounted at {})", code(id), code(path)),
        (None, Some(env)) => format!("secret {} (in {})", code(id), code(&format!("${env}"))),
        (None, None) => format!("secret {}", code(id)),
    }
}

/// `path` lies under `parent` (not equal).
fn is_strictly_under(path: &str, parent: &str) -> bool {
    let parent = parent.trim_end_matches('/');
    path.strip_prefix(parent)
        .is_some_and(|rest| rest.starts_with('/') && rest.len() > 1)
        || parent.is_empty() && path.len() > 1
}

#[cfg(test)]
mod tests {
    use super::is_strictly_under;

    #[test]
    fn strictly_under() {
        assert!(is_strictly_under("/app/.npmrc", "/app"));
        assert!(!is_strictly_under("/app", "/app"));
        assert!(!is_strictly_under("/application/x", "/app"));
    }
}
