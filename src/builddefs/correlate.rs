//! Correlation of a run's build definitions with the Dockerfiles they
//! build, once every file is linted: when an invocation's Dockerfile (its
//! `-f`/`file:`/`dockerfile:`, else `<context>/Dockerfile`, relative to
//! where the definition runs) is a file of the same run,
//!
//! - its DLK011 findings get a related location on the `ARG` they feed;
//! - the DLK003 finding on that `ARG` names the definition ("passed from
//!   .github/workflows/release.yml:42 as a secret");
//! - a secret the invocation provides (`--secret id=X`, `secrets:`) that
//!   no `RUN --mount=type=secret` of the Dockerfile reads is a note on the
//!   definition, and a secret mount that no invocation of the run
//!   provides is a note on the Dockerfile (DLK011, severity note).
//!
//! Costs nothing for a run without both kinds of files; definitions are
//! read again from their report's text, or from disk when the report
//! released it (a clean file).

use super::kind::FileKind;
use super::lint::CommentDirectives;
use super::{Invocation, Kind};
use crate::config::Config;
use crate::finding::{FileReport, Finding, Label, Severity};
use crate::fix::OtherFile;
use crate::rules::SecretPassedAsBuildArg;
use crate::source::{LineIndex, Span};
use crate::syntax::{Arguments, Keyword, MountType};
use std::cell::OnceCell;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// What one Dockerfile of the run declares and mounts.
struct DockerfileFacts {
    index: usize,
    text: String,
    lines: LineIndex,
    /// `ARG` names → the name's span.
    args: Vec<(String, Span)>,
    mounts: Vec<SecretMount>,
}

/// A `RUN --mount=type=secret` of a Dockerfile of the run.
struct SecretMount {
    id: String,
    /// The `--mount` flag.
    span: Span,
    /// `required=true`: the build fails without the secret.
    required: bool,
    /// `# dockerleak ignore=DLK011` above the RUN silences the note on it.
    silenced: bool,
}

/// A definition that builds a Dockerfile of the run, read once for all
/// its links.
struct DefinitionFacts {
    text: String,
    lines: LineIndex,
    /// Its inline directives, read when a note may be silenced.
    directives: OnceCell<CommentDirectives>,
}

/// One invocation that builds a Dockerfile of the run.
struct Link {
    definition: usize,
    kind: Kind,
    invocation: Invocation,
    dockerfile: usize,
}

/// Links the run's definitions to its Dockerfiles (see the module docs).
/// `absolute` turns a report's path into an absolute one; `config_of`
/// gives the configuration a report was linted with.
pub fn correlate(
    reports: &mut [FileReport],
    absolute: &dyn Fn(&str) -> PathBuf,
    config_of: &dyn Fn(&str) -> Option<std::sync::Arc<Config>>,
) {
    let mut definitions: Vec<(usize, Kind)> = Vec::new();
    let mut dockerfile_reports: Vec<usize> = Vec::new();
    for (index, report) in reports.iter().enumerate() {
        if report.path == "<stdin>" || !report.errors.is_empty() {
            continue;
        }
        let Some(config) = config_of(&report.path) else {
            continue;
        };
        match super::lint::kind_by_name(&report.path, &config) {
            Some(FileKind::Definition(kind)) => definitions.push((index, kind)),
            Some(FileKind::Dockerfile) => dockerfile_reports.push(index),
            // By content: only named definitions and Dockerfiles take
            // part (a file of unknown kind costs a read otherwise).
            None => {}
        }
    }
    if definitions.is_empty() || dockerfile_reports.is_empty() {
        return;
    }
    let dockerfiles: HashMap<PathBuf, usize> = dockerfile_reports
        .into_iter()
        .filter_map(|index| {
            let path = std::fs::canonicalize(absolute(&reports[index].path)).ok()?;
            Some((path, index))
        })
        .collect();
    let mut links: Vec<Link> = Vec::new();
    for (index, kind) in definitions {
        let path = absolute(&reports[index].path);
        let text = text_of(&reports[index], &path);
        let Ok(definition) = super::read(kind, &reports[index].path, &text) else {
            continue;
        };
        for invocation in definition.invocations {
            let Some(target) = dockerfile_of(kind, &path, &invocation) else {
                continue;
            };
            let Ok(target) = std::fs::canonicalize(&target) else {
                continue;
            };
            if let Some(&dockerfile) = dockerfiles.get(&target) {
                links.push(Link {
                    definition: index,
                    kind,
                    invocation,
                    dockerfile,
                });
            }
        }
    }
    if links.is_empty() {
        return;
    }
    let mut facts: HashMap<usize, DockerfileFacts> = HashMap::new();
    for link in &links {
        facts.entry(link.dockerfile).or_insert_with(|| {
            let report = &reports[link.dockerfile];
            let text = text_of(report, &absolute(&report.path));
            dockerfile_facts(link.dockerfile, text, config_of(&report.path).as_deref())
        });
    }
    let mut definition_facts: HashMap<usize, DefinitionFacts> = HashMap::new();
    for link in &links {
        let report = &reports[link.definition];
        definition_facts.entry(link.definition).or_insert_with(|| {
            let text = text_of(report, &absolute(&report.path));
            DefinitionFacts {
                lines: LineIndex::new(&text),
                text,
                directives: OnceCell::new(),
            }
        });
    }
    let mut additions: Vec<(usize, Finding)> = Vec::new();
    for link in &links {
        let facts = &facts[&link.dockerfile];
        let docker_path = reports[link.dockerfile].path.clone();
        let definition_path = reports[link.definition].path.clone();
        let definition = &definition_facts[&link.definition];
        // DLK011 → the ARG; the ARG's DLK003 → the definition.
        for argument in &link.invocation.build_args {
            let Some((_, arg_span)) = facts.args.iter().find(|(name, _)| *name == argument.name)
            else {
                continue;
            };
            let flagged = reports[link.definition]
                .findings
                .iter()
                .any(|finding| finding.code == "DLK011" && finding.span == argument.span);
            if !flagged {
                continue;
            }
            let place = OtherFile::new(&docker_path, &facts.text, &facts.lines, *arg_span);
            for finding in &mut reports[link.definition].findings {
                if finding.code == "DLK011" && finding.span == argument.span {
                    finding.labels.push(Label {
                        span: *arg_span,
                        message: format!("feeds `ARG {}` here", argument.name).into(),
                        file: Some(place.clone()),
                    });
                }
            }
            let from = OtherFile::new(
                &definition_path,
                &definition.text,
                &definition.lines,
                argument.span,
            );
            for finding in &mut reports[link.dockerfile].findings {
                if finding.code == "DLK003" && finding.span == *arg_span {
                    let passed = format!("{}:{}", from.path, from.line);
                    if !finding.message.contains(&passed) {
                        finding.message =
                            format!("{} (passed from {passed} as a secret)", finding.message)
                                .into();
                        finding.labels.push(Label {
                            span: argument.span,
                            message: "passed as a build arg here".into(),
                            file: Some(from.clone()),
                        });
                    }
                }
            }
        }
        // A secret provided and never mounted.
        let code = SecretPassedAsBuildArg::META.code;
        let config = config_of(&definition_path).filter(|config| config.is_enabled(code));
        for secret in &link.invocation.secrets {
            if facts.mounts.iter().any(|mount| mount.id == secret.id) {
                continue;
            }
            // `# dockerleak ignore=DLK011` above the secret or the
            // invocation silences the note, as it does a finding.
            let reported = config.as_deref().is_some_and(|config| {
                !definition
                    .directives
                    .get_or_init(|| CommentDirectives::inline(&definition.text, link.kind, config))
                    .silences(
                        code,
                        &[secret.span.start, link.invocation.span.start],
                        &definition.text,
                        &definition.lines,
                    )
            });
            if reported {
                additions.push((
                    link.definition,
                    note(
                        format!(
                            "{} provides secret `{}`, but no `RUN --mount=type=secret,id={}` of {} reads it",
                            link.invocation.tool, secret.id, secret.id, docker_path
                        ),
                        "Mount it where it is needed (`RUN --mount=type=secret,id=… …`), or stop passing it: the build silently goes without it.".into(),
                        secret.span,
                        "never mounted by the Dockerfile".into(),
                    ),
                ));
            }
        }
    }
    // A secret mounted and provided by no invocation of the run.
    for (dockerfile, facts) in &facts {
        let path = reports[*dockerfile].path.clone();
        let code = SecretPassedAsBuildArg::META.code;
        if !config_of(&path).is_some_and(|config| config.is_enabled(code)) {
            continue;
        }
        let builders: Vec<&Link> = links
            .iter()
            .filter(|link| link.dockerfile == *dockerfile)
            .collect();
        let names: Vec<String> = builders
            .iter()
            .map(|link| reports[link.definition].path.clone())
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
        for mount in &facts.mounts {
            let id = &mount.id;
            let provided = builders.iter().any(|link| {
                link.invocation
                    .secrets
                    .iter()
                    .any(|secret| secret.id == *id)
            });
            if provided || mount.silenced {
                continue;
            }
            let consequence = if mount.required {
                "the build fails (`required=true`)"
            } else {
                "the `RUN` runs without it"
            };
            additions.push((
                facts.index,
                note(
                    format!(
                        "no build of this Dockerfile in {} provides secret `{id}`: {consequence}",
                        names.join(", ")
                    ),
                    format!("Pass it where the image is built (`--secret id={id},env={id}`, `secrets:`), or drop the mount."),
                    mount.span,
                    "no known build provides this secret".into(),
                ),
            ));
        }
    }
    for (index, mut finding) in additions {
        let report = &mut reports[index];
        if let Some(config) = config_of(&report.path) {
            if let Some(severity) = config.severity.get(finding.code) {
                finding.severity = *severity;
            }
        }
        finding.fingerprint = format!(
            "{:016x}:1",
            crate::lint::stable_hash(&[finding.code, &report.path, &finding.message])
        );
        for text in [&mut finding.message, &mut finding.help] {
            if let std::borrow::Cow::Owned(masked) = report.redactor.mask(text) {
                *text = masked.into();
            }
        }
        report.findings.push(finding);
    }
}

/// The local files that the run's `.gitlab-ci.yml` files `include:`
/// (`include: 'ci/build.yml'`, `- local: /ci/build.yml`, `local:
/// 'ci/*.yml'`, recursively), linted as GitLab CI when the run does not already check
/// them: their jobs build as the including file's do. Paths are relative
/// to the including file's folder (the project root). Each report comes
/// with the path of the file that included it (for its configuration).
pub fn gitlab_includes(
    reports: &[FileReport],
    absolute: &dyn Fn(&str) -> PathBuf,
    config_of: &dyn Fn(&str) -> Option<std::sync::Arc<Config>>,
) -> Vec<(FileReport, String)> {
    // (display path, including file, project root shown, project root on
    // disk, depth)
    let mut queue: Vec<(String, String, String, PathBuf, usize)> = Vec::new();
    for report in reports {
        let Some(config) = config_of(&report.path) else {
            continue;
        };
        if super::lint::kind_by_name(&report.path, &config)
            != Some(FileKind::Definition(Kind::GitlabCi))
        {
            continue;
        }
        let text = text_of(report, &absolute(&report.path));
        if !text.contains("include") {
            continue;
        }
        let root = Path::new(&report.path)
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default();
        let disk_root = absolute(&report.path)
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default();
        for local in included_files(&text, &disk_root) {
            let display = root.join(&local);
            queue.push((
                display.to_string_lossy().into_owned(),
                report.path.clone(),
                root.to_string_lossy().into_owned(),
                disk_root.clone(),
                0,
            ));
        }
    }
    if queue.is_empty() {
        return Vec::new();
    }
    let mut seen: std::collections::HashSet<PathBuf> = reports
        .iter()
        .filter_map(|report| std::fs::canonicalize(absolute(&report.path)).ok())
        .collect();
    let mut found = Vec::new();
    while let Some((display, parent, root, disk_root, depth)) = queue.pop() {
        let Some(config) = config_of(&parent) else {
            continue;
        };
        let path = absolute(&display);
        let Ok(canonical) = std::fs::canonicalize(&path) else {
            continue;
        };
        if !seen.insert(canonical) || config.exclude.is_excluded(&path) {
            continue;
        }
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        if depth < 8 {
            for local in included_files(&text, &disk_root) {
                let next = Path::new(&root).join(&local);
                queue.push((
                    next.to_string_lossy().into_owned(),
                    parent.clone(),
                    root.clone(),
                    disk_root.clone(),
                    depth + 1,
                ));
            }
        }
        let mut report =
            super::lint::lint_definition(&display, &display, &text, Kind::GitlabCi, &config);
        report.release_source_if_clean();
        found.push((report, parent));
    }
    found
}

/// The files of the project (relative to `root`, its folder on disk) that
/// the `include:` of `text` names: local paths as written, wildcard ones
/// (`ci/*.yml`, `ci/**.yml`) expanded as GitLab does.
fn included_files(text: &str, root: &Path) -> Vec<String> {
    let mut files = Vec::new();
    for local in local_includes(text) {
        if local.contains('*') {
            files.extend(super::gitlab::wildcard_include(root, &local));
        } else {
            files.push(local.trim_start_matches('/').to_string());
        }
    }
    files
}

/// The local paths an `include:` names (`include: path`, a list of
/// paths, `local: path` maps, alone or in a list; wildcards kept). What
/// cannot be read offline is left out: `remote:` and `https://…` paths,
/// `project:`, `template:`, `component:`, paths with `$VARIABLES` (and
/// `..`, which leaves the project).
fn local_includes(text: &str) -> Vec<String> {
    let Ok(documents) = super::yaml::parse(text) else {
        return Vec::new();
    };
    let mut locals = Vec::new();
    let local = |value: &str| {
        let value = value.trim();
        let remote = value.contains("://");
        let outside = value.split('/').any(|part| part == "..");
        (!value.is_empty() && !remote && !outside && !value.contains('$'))
            .then(|| value.to_string())
    };
    for document in &documents {
        let Some(include) = document.get("include") else {
            continue;
        };
        let items: Vec<&super::yaml::Node> = match include {
            super::yaml::Node::Sequence(items, _) => items.iter().collect(),
            other => vec![other],
        };
        for item in items {
            let named = match item {
                super::yaml::Node::Scalar(scalar) => Some(scalar.value.as_str()),
                super::yaml::Node::Mapping(..) => {
                    item.get("local").and_then(super::yaml::Node::as_str)
                }
                super::yaml::Node::Sequence(..) => None,
            };
            if let Some(path) = named.and_then(local) {
                locals.push(path);
            }
        }
    }
    locals
}

fn note(message: String, help: String, span: Span, label: String) -> Finding {
    Finding {
        code: SecretPassedAsBuildArg::META.code,
        name: SecretPassedAsBuildArg::META.name,
        severity: Severity::Note,
        message: message.into(),
        help: help.into(),
        span,
        label: label.into(),
        labels: Vec::new(),
        stage: None,
        secrets: Vec::new(),
        fingerprint: String::new(),
        fix: None,
    }
}

/// The report's text, or the file's when the report released it.
fn text_of(report: &FileReport, path: &Path) -> String {
    if !report.text.is_empty() {
        return report.text.clone();
    }
    std::fs::read_to_string(path).unwrap_or_default()
}

/// What the Dockerfile `text` declares and mounts; `config`, the one it
/// is linted with, says whether its inline directives silence a note.
fn dockerfile_facts(index: usize, text: String, config: Option<&Config>) -> DockerfileFacts {
    let dockerfile = crate::syntax::parse(&text);
    let suppressions = config
        .map(|config| crate::lint::inline_suppressions(&dockerfile, config))
        .unwrap_or_default();
    let code = SecretPassedAsBuildArg::META.code;
    let mut args = Vec::new();
    let mut mounts = Vec::new();
    for instruction in &dockerfile.instructions {
        let instruction = instruction.effective();
        match instruction.keyword {
            Keyword::Arg => {
                if let Arguments::Args(declarations) = &instruction.arguments {
                    for declaration in declarations {
                        args.push((declaration.key.text.clone(), declaration.key.span));
                    }
                }
            }
            Keyword::Run => {
                for flag in instruction.flags_named("mount") {
                    let Some(mount) = &flag.mount else { continue };
                    if mount.mount_type() != MountType::Secret {
                        continue;
                    }
                    let Some(id) = mount.secret_id() else {
                        continue;
                    };
                    let required = mount.field("required").is_some_and(|field| {
                        field
                            .value
                            .as_ref()
                            .is_none_or(|value| value.text.eq_ignore_ascii_case("true"))
                    });
                    mounts.push(SecretMount {
                        id: id.to_string(),
                        span: flag.span,
                        required,
                        silenced: crate::lint::silenced(
                            &dockerfile,
                            &suppressions,
                            code,
                            flag.span,
                        ),
                    });
                }
            }
            _ => {}
        }
    }
    let lines = LineIndex::new(&text);
    DockerfileFacts {
        index,
        text,
        lines,
        args,
        mounts,
    }
}

/// Where `invocation` (of a definition at `path`, of `kind`) finds its
/// Dockerfile, when it says so in plain words (no `$VAR`, no `${{ }}`).
pub(crate) fn dockerfile_of(kind: Kind, path: &Path, invocation: &Invocation) -> Option<PathBuf> {
    let directory = path.parent()?;
    // Where the build runs: a workflow's steps at the repository root (the
    // folder that holds `.github`), everything else next to the file.
    let base = match kind {
        Kind::GithubActions => path
            .ancestors()
            .find(|ancestor| ancestor.file_name().is_some_and(|name| name == ".github"))
            .and_then(Path::parent)
            .unwrap_or(directory),
        _ => directory,
    };
    let plain =
        |text: &str| !text.is_empty() && !text.contains('$') && !text.contains("{{") && text != "-";
    let context = match &invocation.context {
        Some(context) if plain(&context.text) => context.text.as_str(),
        Some(_) => return None,
        None => ".",
    };
    // A remote context (`https://…`, `git@…`) builds no file of the run.
    if context.contains("://") || context.starts_with("git@") {
        return None;
    }
    let context = base.join(context);
    let file = match &invocation.dockerfile {
        Some(file) if plain(&file.text) => Some(file.text.as_str()),
        Some(_) => return None,
        None => None,
    };
    let tool = invocation.tool.as_str();
    // compose's and bake's `dockerfile` is relative to the context; a
    // command's `-f` and build-push-action's `file:` to the working
    // directory.
    let relative_to_context =
        tool.starts_with("compose service") || tool.starts_with("bake target");
    Some(match file {
        Some(file) if relative_to_context => context.join(file),
        Some(file) => base.join(file),
        None => context.join("Dockerfile"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn invocation(tool: &str, context: Option<&str>, file: Option<&str>) -> Invocation {
        let located = |text: &str| super::super::Located {
            text: text.to_string(),
            span: Span::empty(0),
        };
        Invocation {
            tool: tool.to_string(),
            span: Span::empty(0),
            build_args: Vec::new(),
            secrets: Vec::new(),
            dockerfile: file.map(located),
            context: context.map(located),
            inputs: Default::default(),
        }
    }

    #[test]
    fn dockerfiles_are_found_where_each_tool_looks() {
        let workflow = Path::new("/r/.github/workflows/ci.yml");
        assert_eq!(
            dockerfile_of(
                Kind::GithubActions,
                workflow,
                &invocation("docker/build-push-action", Some("web"), None)
            ),
            Some(PathBuf::from("/r/web/Dockerfile"))
        );
        assert_eq!(
            dockerfile_of(
                Kind::GithubActions,
                workflow,
                &invocation(
                    "docker/build-push-action",
                    Some("web"),
                    Some("docker/App.Dockerfile")
                )
            ),
            Some(PathBuf::from("/r/docker/App.Dockerfile"))
        );
        let compose = Path::new("/r/deploy/compose.yaml");
        assert_eq!(
            dockerfile_of(
                Kind::Compose,
                compose,
                &invocation(
                    "compose service web",
                    Some("../web"),
                    Some("Dockerfile.prod")
                )
            ),
            Some(PathBuf::from("/r/deploy/../web/Dockerfile.prod"))
        );
        assert_eq!(
            dockerfile_of(
                Kind::Shell,
                Path::new("/r/build.sh"),
                &invocation("docker build", Some("$DIR"), None)
            ),
            None
        );
        assert_eq!(
            dockerfile_of(
                Kind::Shell,
                Path::new("/r/build.sh"),
                &invocation("docker build", Some("https://github.com/a/b.git"), None)
            ),
            None
        );
    }
}
