//! Build definitions: the files that run image builds (GitHub Actions
//! workflows and composite actions, `.gitlab-ci.yml`, Jenkinsfiles, compose
//! files, bake files, shell scripts, Makefiles and justfiles).
//!
//! Each reader (one file per kind) turns its kind into the same small
//! model, a [`Definition`]: the build invocations it holds (a `docker
//! build` command, a `docker/build-push-action` step, a compose service's
//! `build:`, a bake target), each with its build args (name, value
//! expression, spans), its secret inputs (`--secret`, `secrets:`) and the
//! Dockerfile and context when stated. DLK011 and everything else that
//! judges build args are written once over that model
//! ([`crate::rules`]'s `dlk011_secret_passed_as_build_arg`); linting a
//! definition file is [`lint::lint_definition`].
//!
//! Which files are build definitions, by name or by content, is
//! [`kind::Kind`]'s business; the walk asks it ([`crate::discover`]).

pub mod bake;
pub mod cloudbuild;
pub mod commands;
pub mod compose;
pub mod correlate;
mod fix_forms;
pub mod fixes;
pub mod github;
pub mod gitlab;
pub mod jenkins;
pub mod kind;
pub mod lint;
pub mod script;
pub mod yaml;

pub use kind::Kind;

use crate::source::Span;
use std::collections::BTreeMap;

/// What a reader found in one file.
#[derive(Clone, Debug, Default)]
pub struct Definition {
    pub invocations: Vec<Invocation>,
    /// Variables known to hold a secret in this file's builds, with why
    /// (`secrets.NPM_TOKEN`, `withCredentials`, `a GitLab job token`).
    pub secret_variables: BTreeMap<String, String>,
}

/// One image build.
#[derive(Clone, Debug)]
pub struct Invocation {
    /// What runs the build, for messages (`docker build`,
    /// `docker/build-push-action`, `compose service web`).
    pub tool: String,
    /// The command, step, service or target.
    pub span: Span,
    pub build_args: Vec<BuildArg>,
    pub secrets: Vec<SecretInput>,
    /// The Dockerfile, as written (relative to the context, or to the
    /// working directory for `-f`).
    pub dockerfile: Option<Located>,
    pub context: Option<Located>,
    /// Where the inputs of a step are written (`build-args`, `secrets` of
    /// a `docker/build-push-action` step): name → (key span, value span),
    /// for fixes that move an entry from one to the other.
    pub inputs: BTreeMap<String, (Span, Span)>,
}

/// A string with its source span.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Located {
    pub text: String,
    pub span: Span,
}

/// `NAME=value` passed as a build arg.
#[derive(Clone, Debug)]
pub struct BuildArg {
    pub name: String,
    pub name_span: Span,
    /// `None`: the value is taken from the environment of the same name
    /// (`--build-arg NAME`, compose `args: [NAME]`).
    pub value: Option<Value>,
    /// The whole entry (`--build-arg NAME=value`, `NAME: value`): where a
    /// fix will rewrite it.
    pub span: Span,
}

/// A value as written in the definition, before the CI expands it.
#[derive(Clone, Debug)]
pub struct Value {
    /// Quotes and escapes removed; references kept as written.
    pub text: String,
    pub span: Span,
    pub references: Vec<Reference>,
}

/// A reference to something the CI substitutes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reference {
    /// The variable, secret or context name (`NPM_TOKEN`, `github.sha`).
    pub name: String,
    pub origin: Origin,
    pub span: Span,
}

/// Where a referenced value comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Origin {
    /// The CI's secret store: `${{ secrets.X }}`, `${{ github.token }}`.
    SecretStore,
    /// An environment or CI variable (`$X`, `${X}`, `${{ env.X }}`).
    Variable,
    /// Known public CI context (`${{ github.sha }}`, `$CI_COMMIT_SHA`).
    Public,
    /// Something else the CI computes (`${{ steps.meta.outputs.tags }}`).
    Other,
}

/// A secret handed to the build the right way (`--secret id=X`,
/// build-push-action `secrets:`, compose `build.secrets`, bake `secret`).
#[derive(Clone, Debug)]
pub struct SecretInput {
    pub id: String,
    pub span: Span,
}

/// A file that could not be read as its kind.
#[derive(Clone, Debug)]
pub struct ReadError {
    pub message: String,
    pub span: Option<Span>,
}

impl From<yaml::YamlError> for ReadError {
    fn from(error: yaml::YamlError) -> ReadError {
        ReadError {
            message: error.message,
            span: error.span,
        }
    }
}

/// Reads `text` as a build definition of `kind`.
pub fn read(kind: Kind, path: &str, text: &str) -> Result<Definition, ReadError> {
    if !kind.may_hold_a_build(text) {
        return Ok(Definition::default());
    }
    match kind {
        Kind::GithubActions => github::read(text),
        Kind::GitlabCi => gitlab::read(text),
        Kind::Jenkins => jenkins::read(text),
        Kind::Compose => compose::read(text),
        Kind::Bake => {
            if path.to_ascii_lowercase().ends_with(".json") || text.trim_start().starts_with('{') {
                bake::read_json(text)
            } else {
                bake::read_hcl(text)
            }
        }
        Kind::CloudBuild => cloudbuild::read(text),
        Kind::Shell => Ok(script::read_shell(text)),
        Kind::Make => Ok(script::read_make(text)),
        Kind::Just => Ok(script::read_just(text)),
    }
}

/// Splits `NAME=value` (a build-arg line); `None` without a name.
pub(crate) fn split_assignment(text: &str) -> Option<(&str, Option<&str>)> {
    let (name, value) = match text.split_once('=') {
        Some((name, value)) => (name, Some(value)),
        None => (text, None),
    };
    let name = name.trim();
    let valid = !name.is_empty()
        && name
            .chars()
            .all(|ch| ch.is_ascii_alphanumeric() || matches!(ch, '_' | '-' | '.'));
    valid.then_some((name, value))
}

/// How a definition writes `$` references (see [`dollar_references`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum DollarSyntax {
    /// A shell-like string (compose, bake, GitLab, Jenkins): `$$` is an
    /// escaped `$`, and `${env.NAME}` (Groovy) names `NAME`.
    Shell,
    /// A Cloud Build argv word (no shell reads it): `$$NAME` names the
    /// variable `NAME` as `$NAME` does (the literal text reaches docker,
    /// but that variable is what is meant); a name has no `.`.
    CloudBuildArgs,
}

/// `$NAME`, `${NAME}`, `${NAME:-default}` references of `text`, read as
/// `syntax` says: byte ranges in `text` and the names.
pub(crate) fn dollar_references(
    text: &str,
    syntax: DollarSyntax,
) -> Vec<(std::ops::Range<usize>, String)> {
    let bytes = text.as_bytes();
    let mut found = Vec::new();
    let mut index = 0;
    while index < bytes.len() {
        if bytes[index] != b'$' {
            index += 1;
            continue;
        }
        let start = index;
        let mut at = index + 1;
        if bytes.get(at) == Some(&b'$') {
            if syntax == DollarSyntax::Shell {
                index += 2;
                continue;
            }
            at += 1;
        }
        let braced = bytes.get(at) == Some(&b'{');
        let dotted = braced && syntax == DollarSyntax::Shell;
        let name_start = if braced { at + 1 } else { at };
        let mut name_end = name_start;
        while name_end < bytes.len()
            && (bytes[name_end].is_ascii_alphanumeric()
                || bytes[name_end] == b'_'
                || (dotted && bytes[name_end] == b'.'))
        {
            name_end += 1;
        }
        if name_end == name_start {
            index = at.max(index + 1);
            continue;
        }
        let mut end = name_end;
        if braced {
            match text[name_end..].find('}') {
                Some(close) => end = name_end + close + 1,
                None => end = text.len(),
            }
        }
        let name = &text[name_start..name_end];
        // `${env.NPM_TOKEN}` (Groovy) names NPM_TOKEN.
        let name = name.rsplit('.').next().unwrap_or(name);
        if !name.is_empty() {
            found.push((start..end, name.to_string()));
        }
        index = end.max(index + 1);
    }
    found
}

/// GitLab's predefined variables that hold a credential, and public ones
/// that look alike; other CI systems' public variables.
pub(crate) fn predefined_origin(name: &str) -> Option<Origin> {
    const SECRET: &[&str] = &[
        "CI_JOB_TOKEN",
        "CI_JOB_JWT",
        "CI_JOB_JWT_V1",
        "CI_JOB_JWT_V2",
        "CI_REGISTRY_PASSWORD",
        "CI_DEPLOY_PASSWORD",
        "CI_DEPENDENCY_PROXY_PASSWORD",
        "CI_REPOSITORY_URL",
        "GITHUB_TOKEN",
        "ACTIONS_RUNTIME_TOKEN",
        "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
    ];
    if SECRET.contains(&name) {
        return Some(Origin::SecretStore);
    }
    // GitLab's `CI_*` are all predefined (the credentials are above);
    // GitHub's and Jenkins' are listed, as their prefixes are also used
    // for users' own secrets (`GITHUB_API_TOKEN`).
    const PUBLIC: &[&str] = &[
        "GITHUB_SHA",
        "GITHUB_REF",
        "GITHUB_REF_NAME",
        "GITHUB_HEAD_REF",
        "GITHUB_BASE_REF",
        "GITHUB_RUN_ID",
        "GITHUB_RUN_NUMBER",
        "GITHUB_REPOSITORY",
        "GITHUB_REPOSITORY_OWNER",
        "GITHUB_ACTOR",
        "GITHUB_WORKSPACE",
        "GITHUB_SERVER_URL",
        "GITHUB_EVENT_NAME",
        "BUILD_ID",
        "BUILD_NUMBER",
        "BUILD_TAG",
        "BUILD_URL",
        "GIT_COMMIT",
        "GIT_BRANCH",
        "BRANCH_NAME",
        "JOB_NAME",
    ];
    (name.starts_with("CI_") || PUBLIC.contains(&name)).then_some(Origin::Public)
}

/// The references of a shell-like value: variables, with the predefined
/// ones classified.
pub(crate) fn variable_references(
    text: &str,
    span_of: impl Fn(std::ops::Range<usize>) -> Span,
) -> Vec<Reference> {
    variable_references_as(text, DollarSyntax::Shell, span_of)
}

/// [`variable_references`] of `text` read as `syntax` says.
pub(crate) fn variable_references_as(
    text: &str,
    syntax: DollarSyntax,
    span_of: impl Fn(std::ops::Range<usize>) -> Span,
) -> Vec<Reference> {
    dollar_references(text, syntax)
        .into_iter()
        .map(|(range, name)| Reference {
            origin: predefined_origin(&name).unwrap_or(Origin::Variable),
            span: span_of(range),
            name,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dollar_references_read_the_forms_definitions_use() {
        let names = |syntax| -> Vec<String> {
            dollar_references("a $A ${B} ${C:-x} $$D ${env.E} $", syntax)
                .into_iter()
                .map(|(_, name)| name)
                .collect()
        };
        assert_eq!(names(DollarSyntax::Shell), ["A", "B", "C", "E"]);
        // An argv word of Cloud Build: `$$D` is `D` too, and no `.` in a name.
        assert_eq!(
            names(DollarSyntax::CloudBuildArgs),
            ["A", "B", "C", "D", "env"]
        );
        let ranges: Vec<_> = dollar_references("$$$A x$${B}y", DollarSyntax::CloudBuildArgs)
            .into_iter()
            .map(|(range, _)| range)
            .collect();
        assert_eq!(ranges, [2..4, 6..11]);
    }

    #[test]
    fn assignments_need_a_name() {
        assert_eq!(split_assignment("A=b=c"), Some(("A", Some("b=c"))));
        assert_eq!(split_assignment("A"), Some(("A", None)));
        assert_eq!(split_assignment("=x"), None);
        assert_eq!(split_assignment("a b=c"), None);
    }
}
