//! Google Cloud Build configurations (`cloudbuild.yaml`, `cloudbuild.json`;
//! JSON is read as YAML). Each step is a container run with `args`:
//!
//! - a docker step (`name: gcr.io/cloud-builders/docker`, any tag, or
//!   `docker`, `docker:…`) whose `args` start with `build` (or `buildx
//!   build`) is a `docker build`, its args one argv word each (no shell):
//!   `--build-arg`, `NAME=value` (or `--build-arg=NAME=value`), `-f` /
//!   `--file`, `--secret`, the context;
//! - a step with `entrypoint: bash` (or `sh`, `/bin/bash`, …) and `args:
//!   ['-c', 'script']`, or a `script:`, runs shell, read as scripts are;
//! - `secretEnv:` of a step, `availableSecrets.secretManager[].env`,
//!   `availableSecrets.inline[].envMap` and the legacy `secrets[].secretEnv`
//!   name variables that hold secrets.
//!
//! Cloud Build substitutes `$NAME` / `${NAME}` (its substitutions, `$_X`
//! user-defined ones and built-in ones such as `$PROJECT_ID`, which are
//! public) before the step runs, and `$$` is a literal `$`: in a shell
//! script `$$NAME` is the shell's variable `NAME`; in a docker step's args
//! `$$NAME` and `$NAME` are both read as the variable `NAME` (with no shell
//! the literal text reaches docker, but what is meant is that variable).

use super::script::{read_mapped, Mapped};
use super::yaml::{self, Node, Scalar};
use super::{split_assignment, BuildArg, Definition, Invocation, Located};
use super::{DollarSyntax, Origin, ReadError, Reference, SecretInput, Value};
use crate::source::Span;

/// Cloud Build's built-in substitutions: public.
const BUILT_IN: &[&str] = &[
    "PROJECT_ID",
    "PROJECT_NUMBER",
    "BUILD_ID",
    "LOCATION",
    "TRIGGER_NAME",
    "COMMIT_SHA",
    "SHORT_SHA",
    "REVISION_ID",
    "REPO_NAME",
    "REPO_FULL_NAME",
    "BRANCH_NAME",
    "TAG_NAME",
    "REF_NAME",
    "TRIGGER_BUILD_CONFIG_PATH",
    "SERVICE_ACCOUNT_EMAIL",
    "SERVICE_ACCOUNT",
];

const WHY: &str = "a Cloud Build secret (`secretEnv`)";

pub fn read(text: &str) -> Result<Definition, ReadError> {
    let documents = yaml::parse(text)?;
    let mut definition = Definition::default();
    for document in &documents {
        read_secret_names(document, &mut definition);
        for step in document.get("steps").map(Node::items).unwrap_or(&[]) {
            for name in step
                .get("secretEnv")
                .map(Node::items)
                .unwrap_or(&[])
                .iter()
                .filter_map(Node::as_str)
            {
                definition
                    .secret_variables
                    .insert(name.to_string(), WHY.to_string());
            }
            read_step(step, text, &mut definition);
        }
    }
    Ok(definition)
}

/// `availableSecrets.secretManager[].env`, `availableSecrets.inline[].
/// envMap` keys and `secrets[].secretEnv` keys.
fn read_secret_names(document: &Node, definition: &mut Definition) {
    let mut insert = |name: &str| {
        if !name.is_empty() {
            definition
                .secret_variables
                .insert(name.to_string(), WHY.to_string());
        }
    };
    if let Some(available) = document.get("availableSecrets") {
        for secret in available
            .get("secretManager")
            .map(Node::items)
            .unwrap_or(&[])
        {
            if let Some(env) = secret.get("env").and_then(Node::as_str) {
                insert(env);
            }
        }
        for secret in available.get("inline").map(Node::items).unwrap_or(&[]) {
            for (name, _) in secret.get("envMap").map(Node::entries).unwrap_or(&[]) {
                insert(&name.value);
            }
        }
    }
    for secret in document.get("secrets").map(Node::items).unwrap_or(&[]) {
        for (name, _) in secret.get("secretEnv").map(Node::entries).unwrap_or(&[]) {
            insert(&name.value);
        }
    }
}

fn read_step(step: &Node, source: &str, definition: &mut Definition) {
    let args: Vec<&Scalar> = step
        .get("args")
        .map(Node::items)
        .unwrap_or(&[])
        .iter()
        .filter_map(Node::as_scalar)
        .collect();
    if let Some(script) = step.get("script").and_then(Node::as_scalar) {
        read_shell(script, source, definition, false);
    }
    let entrypoint = step.get("entrypoint").and_then(Node::as_str).unwrap_or("");
    let shell = entrypoint.rsplit('/').next().unwrap_or("");
    if matches!(shell, "bash" | "sh" | "ash" | "dash" | "zsh") {
        for pair in args.windows(2) {
            if pair[0].value.starts_with('-') && pair[0].value.ends_with('c') {
                read_shell(pair[1], source, definition, true);
            }
        }
        return;
    }
    let image = step.get("name").and_then(Node::as_str).unwrap_or("");
    let image = image.split(['@', ':']).next().unwrap_or("");
    let docker = matches!(
        image,
        "gcr.io/cloud-builders/docker" | "docker" | "docker.io/library/docker"
    ) || (entrypoint == "docker");
    if !docker {
        return;
    }
    let words: Vec<&str> = args.iter().map(|scalar| scalar.value.as_str()).collect();
    let start = match words.as_slice() {
        ["build", ..] => 1,
        ["buildx", "build", ..] | ["image", "build", ..] => 2,
        _ => return,
    };
    let Some(step_name) = step
        .get("name")
        .and_then(Node::as_scalar)
        .map(|scalar| scalar.span)
    else {
        return;
    };
    let mut invocation = Invocation {
        tool: "docker build (Cloud Build step)".to_string(),
        span: step_name,
        build_args: Vec::new(),
        secrets: Vec::new(),
        dockerfile: None,
        context: None,
        inputs: Default::default(),
    };
    // Options of docker build that take the next word as their value.
    const VALUED: &[&str] = &[
        "-t",
        "--tag",
        "--target",
        "--platform",
        "--cache-from",
        "--cache-to",
        "--label",
        "--network",
        "--output",
        "-o",
        "--progress",
        "--iidfile",
        "--add-host",
        "--build-context",
        "--ssh",
        "--shm-size",
        "--ulimit",
        "--metadata-file",
    ];
    let mut index = start;
    while index < args.len() {
        let word = args[index];
        let value = word.value.as_str();
        let (flag, inline) = match value.split_once('=') {
            Some((flag, rest)) if flag.starts_with("--") => (flag, Some(rest)),
            _ => (value, None),
        };
        let next = args.get(index + 1).copied();
        match flag {
            "--build-arg" => {
                let Some((scalar, at)) = flag_value(word, inline, next, &mut index) else {
                    break;
                };
                if let Some(argument) = build_arg(word, scalar, at, source) {
                    invocation.build_args.push(argument);
                }
            }
            "--secret" => {
                let Some((scalar, at)) = flag_value(word, inline, next, &mut index) else {
                    break;
                };
                let entry = &scalar.value[at..];
                let id = entry
                    .split(',')
                    .find_map(|field| field.trim().strip_prefix("id="))
                    .or_else(|| {
                        entry
                            .split(',')
                            .find_map(|field| field.trim().strip_prefix("env="))
                    });
                if let Some(id) = id {
                    invocation.secrets.push(SecretInput {
                        id: id.to_string(),
                        span: scalar.span,
                    });
                }
            }
            "-f" | "--file" => {
                let scalar = match inline {
                    Some(_) => None,
                    None => {
                        index += 1;
                        next
                    }
                };
                let text = inline
                    .map(str::to_string)
                    .or_else(|| scalar.map(|s| s.value.clone()));
                if let Some(text) = text {
                    invocation.dockerfile = Some(Located {
                        text,
                        span: scalar.map_or(word.span, |scalar| scalar.span),
                    });
                }
            }
            _ if inline.is_none() && VALUED.contains(&flag) => index += 1,
            _ if value.starts_with('-') => {}
            _ => {
                invocation.context = Some(Located {
                    text: value.to_string(),
                    span: word.span,
                });
            }
        }
        index += 1;
    }
    definition.invocations.push(invocation);
}

/// Where the value of the flag `word` is: after its `=` (`inline`, the
/// rest of the word: `--build-arg=NAME=value`), as the scalar and the byte
/// the value starts at, else the `next` word, which `index` then moves
/// past. `None` when the flag is the last word.
fn flag_value<'a>(
    word: &'a Scalar,
    inline: Option<&str>,
    next: Option<&'a Scalar>,
    index: &mut usize,
) -> Option<(&'a Scalar, usize)> {
    match inline {
        Some(rest) => Some((word, word.value.len() - rest.len())),
        None => {
            let next = next?;
            *index += 1;
            Some((next, 0))
        }
    }
}

/// The build arg `NAME=value` at byte `at` of `scalar`'s value (the flag
/// in `flag`, the same scalar or the one before).
fn build_arg(flag: &Scalar, scalar: &Scalar, at: usize, source: &str) -> Option<BuildArg> {
    let written = &scalar.value[at..];
    let (name, value) = split_assignment(written)?;
    let offsets = scalar.source_offsets(source);
    let name_at = at + written.find(name).unwrap_or(0);
    let name_span = yaml::span_from_offsets(&offsets, name_at..name_at + name.len(), scalar.span);
    let value = value.map(|value| {
        let start = scalar.value.len() - value.len();
        let span = if value.is_empty() {
            Span::empty(scalar.span.end)
        } else {
            yaml::span_from_offsets(&offsets, start..scalar.value.len(), scalar.span)
        };
        Value {
            text: value.to_string(),
            span,
            references: references(value, |range| {
                yaml::span_from_offsets(
                    &offsets,
                    start + range.start..start + range.end,
                    scalar.span,
                )
            }),
        }
    });
    Some(BuildArg {
        name: name.to_string(),
        name_span,
        value,
        span: Span::new(flag.span.start, scalar.span.end.max(flag.span.start)),
    })
}

/// `$NAME`, `${NAME}` and `$$NAME` in an argv word: the variable `NAME`
/// (built-in substitutions are public).
fn references(text: &str, span_of: impl Fn(std::ops::Range<usize>) -> Span) -> Vec<Reference> {
    let mut found = super::variable_references_as(text, DollarSyntax::CloudBuildArgs, span_of);
    for reference in &mut found {
        if BUILT_IN.contains(&reference.name.as_str()) {
            reference.origin = Origin::Public;
        }
    }
    found
}

/// Reads a shell script of a step; `unescape`: Cloud Build turns `$$`
/// into `$` first (args), which a `script:` does not need.
fn read_shell(scalar: &Scalar, source: &str, definition: &mut Definition, unescape: bool) {
    let offsets = scalar.source_offsets(source);
    let mut mapped = Mapped::default();
    let value = scalar.value.as_str();
    let fallback = scalar.span.end;
    let offset = |index: usize| offsets.get(index).copied().unwrap_or(fallback);
    let mut index = 0;
    while index < value.len() {
        let Some(ch) = value[index..].chars().next() else {
            break;
        };
        let width = ch.len_utf8();
        if unescape && value[index..].starts_with("$$") {
            mapped.push_at("$", offset(index));
            index += 2;
            continue;
        }
        let at = offset(index);
        let contiguous = (0..width).all(|step| offset(index + step) == at + step);
        if contiguous {
            mapped.push(&value[index..index + width], at);
        } else {
            mapped.push_at(&value[index..index + width], at);
        }
        index += width;
    }
    read_mapped(&mapped, source, definition);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn docker_steps_shell_steps_and_secret_env_are_read() {
        let text = "steps:\n  - name: gcr.io/cloud-builders/docker\n    args: ['build', '--build-arg', 'NPM_TOKEN=$$NPM_TOKEN', '--build-arg=V=$SHORT_SHA', '-f', 'web/Dockerfile', '-t', 'app', 'web']\n    secretEnv: ['NPM_TOKEN']\n  - name: gcr.io/cloud-builders/docker\n    entrypoint: bash\n    args:\n      - -c\n      - docker build --build-arg GH=$$GH_TOKEN .\navailableSecrets:\n  secretManager:\n    - versionName: projects/p/secrets/gh/versions/latest\n      env: GH_TOKEN\n";
        let definition = read(text).expect("valid");
        assert_eq!(definition.invocations.len(), 2);
        let step = &definition.invocations[0];
        assert_eq!(step.build_args[0].name, "NPM_TOKEN");
        let value = step.build_args[0].value.as_ref().expect("value");
        assert_eq!(value.span.slice(text), "$$NPM_TOKEN");
        assert_eq!(value.references[0].name, "NPM_TOKEN");
        assert_eq!(step.build_args[1].name, "V");
        assert_eq!(
            step.build_args[1].value.as_ref().expect("value").references[0].origin,
            Origin::Public
        );
        assert_eq!(
            step.dockerfile.as_ref().map(|file| file.text.as_str()),
            Some("web/Dockerfile")
        );
        assert_eq!(
            step.context.as_ref().map(|context| context.text.as_str()),
            Some("web")
        );
        let shell = &definition.invocations[1];
        assert_eq!(shell.tool, "docker build");
        let value = shell.build_args[0].value.as_ref().expect("value");
        assert_eq!(value.references[0].name, "GH_TOKEN");
        // (The shell's `$` stands for the two of the source.)
        assert!(value.span.slice(text).ends_with("$GH_TOKEN"));
        assert!(definition.secret_variables.contains_key("NPM_TOKEN"));
        assert!(definition.secret_variables.contains_key("GH_TOKEN"));
    }
}
