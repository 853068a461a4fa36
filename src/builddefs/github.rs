//! GitHub Actions workflows and composite actions: `docker/build-push-
//! action` steps (`build-args`, `secrets`, `secret-envs`, `secret-files`,
//! `file`, `context`; also any other action given `build-args:`, a fork
//! or a local wrapper) and `run:` steps read as shell. `${{ … }}`
//! expressions are classified: `secrets.X` and `github.token` come from the
//! secret store, `env.X` is a variable, `github.*`, `vars.*`, `matrix.*`,
//! `runner.*` are public, the rest (`steps.*`, `inputs.*`, `needs.*`) is
//! something else the workflow computes. An `env:` entry (workflow, job or
//! step) set from the secret store makes its variable a secret for every
//! `run:` of the file.

use super::commands::{invocations_in_script, plain_word};
use super::script::Mapped;
use super::yaml::{self, span_from_offsets, Node, Scalar};
use super::{split_assignment, BuildArg, Definition, Invocation, Located, Origin, ReadError};
use super::{Reference, SecretInput, Value};
use crate::analysis::shell::{read_script, ShellWord};
use crate::source::Span;

pub fn read(text: &str) -> Result<Definition, ReadError> {
    let documents = yaml::parse(text)?;
    let mut definition = Definition::default();
    for document in &documents {
        collect_secret_env(document, &mut definition, 0);
        let mut steps: Vec<&Node> = Vec::new();
        for (_, job) in document.get("jobs").map(Node::entries).unwrap_or(&[]) {
            steps.extend(job.get("steps").map(Node::items).unwrap_or(&[]));
        }
        if let Some(runs) = document.get("runs") {
            steps.extend(runs.get("steps").map(Node::items).unwrap_or(&[]));
        }
        for step in steps {
            read_step(step, text, &mut definition);
        }
    }
    Ok(definition)
}

/// `env:` entries set from the secret store, anywhere in the file.
fn collect_secret_env(node: &Node, definition: &mut Definition, depth: usize) {
    if depth > 32 {
        return;
    }
    match node {
        Node::Mapping(entries, _) => {
            for (key, value) in entries {
                if key.value == "env" {
                    for (name, value) in value.entries() {
                        let Some(scalar) = value.as_scalar() else {
                            continue;
                        };
                        let secret = expression_references(&scalar.value, |_| scalar.span)
                            .into_iter()
                            .find(|reference| reference.origin == Origin::SecretStore);
                        if let Some(secret) = secret {
                            definition
                                .secret_variables
                                .insert(name.value.clone(), format!("set from `{}`", secret.name));
                        }
                    }
                }
                collect_secret_env(value, definition, depth + 1);
            }
        }
        Node::Sequence(items, _) => {
            for item in items {
                collect_secret_env(item, definition, depth + 1);
            }
        }
        Node::Scalar(_) => {}
    }
}

fn read_step(step: &Node, source: &str, definition: &mut Definition) {
    if let Some(uses) = step.get("uses").and_then(Node::as_str) {
        let action = uses.split('@').next().unwrap_or(uses).to_ascii_lowercase();
        // A fork or a local wrapper (`./.github/actions/build-push`) given
        // the same inputs passes them the same way.
        let wraps = step
            .get("with")
            .is_some_and(|inputs| inputs.get("build-args").is_some());
        if action == "docker/bake-action" || action.starts_with("docker/bake-action/") {
            definition
                .invocations
                .push(read_bake_action(step, "docker/bake-action", source));
            return;
        }
        if action == "docker/build-push-action" || wraps {
            definition.invocations.push(read_build_push_action(
                step,
                uses.split('@').next().unwrap_or(uses),
                source,
            ));
        }
        return;
    }
    if let Some(run) = step.get("run").and_then(Node::as_scalar) {
        if !run.value.contains("build")
            && !run.value.contains("bake")
            && !run.value.contains("executor")
            && !run.value.contains("deploy")
        {
            return;
        }
        definition.invocations.extend(read_run(run, source));
    }
}

fn read_build_push_action(step: &Node, action: &str, source: &str) -> Invocation {
    let inputs = step.get("with");
    let input = |name: &str| inputs.and_then(|inputs| inputs.get(name));
    let located = |name: &str| {
        input(name).and_then(Node::as_scalar).map(|scalar| Located {
            text: scalar.value.clone(),
            span: scalar.span,
        })
    };
    let mut invocation = Invocation {
        tool: action.to_string(),
        span: step
            .get("uses")
            .map(Node::span)
            .unwrap_or_else(|| step.span()),
        build_args: Vec::new(),
        secrets: Vec::new(),
        dockerfile: located("file"),
        context: located("context"),
        inputs: inputs
            .map(Node::entries)
            .unwrap_or(&[])
            .iter()
            .map(|(key, value)| (key.value.clone(), (key.span, value.span())))
            .collect(),
    };
    for (line, span, offsets_of) in list_lines(input("build-args"), source) {
        let Some((name, value)) = split_assignment(&line) else {
            continue;
        };
        let name_at = line.find(name).unwrap_or(0);
        let name_span = offsets_of(name_at..name_at + name.len());
        let value = value.map(|value| {
            let value_at = line.len() - value.len();
            let value_span = if value.is_empty() {
                Span::empty(span.end)
            } else {
                offsets_of(value_at..line.len())
            };
            Value {
                text: value.to_string(),
                span: value_span,
                references: expression_references(value, |range| {
                    offsets_of(value_at + range.start..value_at + range.end)
                }),
            }
        });
        invocation.build_args.push(BuildArg {
            name: name.to_string(),
            name_span,
            value,
            span,
        });
    }
    for key in ["secrets", "secret-envs", "secret-files"] {
        for (line, span, _) in list_lines(input(key), source) {
            let id = line.split('=').next().unwrap_or(&line).trim();
            if !id.is_empty() {
                invocation.secrets.push(SecretInput {
                    id: id.trim_matches('"').to_string(),
                    span,
                });
            }
        }
    }
    invocation
}

/// A `docker/bake-action` step: its `set:` lines `TARGET.args.NAME=value`
/// are build args, `TARGET.secrets=id=X,…` secrets (the bake file's own
/// args are the bake reader's).
fn read_bake_action(step: &Node, action: &str, source: &str) -> Invocation {
    let inputs = step.get("with");
    let mut invocation = Invocation {
        tool: action.to_string(),
        span: step
            .get("uses")
            .map(Node::span)
            .unwrap_or_else(|| step.span()),
        build_args: Vec::new(),
        secrets: Vec::new(),
        dockerfile: None,
        context: None,
        inputs: Default::default(),
    };
    for (line, span, offsets_of) in list_lines(inputs.and_then(|inputs| inputs.get("set")), source)
    {
        let Some((key, assigned)) = line.split_once('=') else {
            continue;
        };
        if key.trim_end().ends_with(".secrets") || key.trim_end().ends_with(".secret") {
            invocation.secrets.push(SecretInput {
                id: super::commands::secret_id(assigned.trim()),
                span,
            });
            continue;
        }
        let Some(at) = key.find(".args.") else {
            continue;
        };
        let name_at = at + ".args.".len();
        let name = key[name_at..].trim();
        if name.is_empty() {
            continue;
        }
        let value_at = key.len() + 1;
        let value_span = if assigned.is_empty() {
            Span::empty(span.end)
        } else {
            offsets_of(value_at..line.len())
        };
        invocation.build_args.push(BuildArg {
            name: name.to_string(),
            name_span: offsets_of(name_at..name_at + name.len()),
            value: Some(Value {
                text: assigned.to_string(),
                span: value_span,
                references: expression_references(assigned, |range| {
                    offsets_of(value_at + range.start..value_at + range.end)
                }),
            }),
            span,
        });
    }
    invocation
}

type OffsetsOf = Box<dyn Fn(std::ops::Range<usize>) -> Span>;

/// The entries of an action input that is a list: the lines of a string
/// (empty and `#` lines skipped), or the items of a sequence; each trimmed,
/// with its span and a map from ranges of it to source spans.
fn list_lines(node: Option<&Node>, source: &str) -> Vec<(String, Span, OffsetsOf)> {
    let mut lines = Vec::new();
    let scalars: Vec<&Scalar> = match node {
        Some(Node::Scalar(scalar)) => vec![scalar],
        Some(Node::Sequence(items, _)) => items.iter().filter_map(Node::as_scalar).collect(),
        _ => Vec::new(),
    };
    for scalar in scalars {
        let offsets = std::rc::Rc::new(scalar.source_offsets(source));
        let fallback = scalar.span;
        let mut at = 0;
        for line in scalar.value.split_inclusive('\n') {
            let start = at;
            at += line.len();
            let content = line.trim_end_matches(['\n', '\r']);
            let trimmed = content.trim();
            if trimmed.is_empty() || trimmed.starts_with('#') {
                continue;
            }
            let first = start + (content.len() - content.trim_start().len());
            let span = span_from_offsets(&offsets, first..first + trimmed.len(), fallback);
            let table = offsets.clone();
            let map: OffsetsOf = Box::new(move |range: std::ops::Range<usize>| {
                span_from_offsets(&table, first + range.start..first + range.end, fallback)
            });
            lines.push((trimmed.to_string(), span, map));
        }
    }
    lines
}

/// A `run:` script: `${{ … }}` expressions are replaced by placeholders of
/// the same length for the shell parser, and restored in the words.
fn read_run(run: &Scalar, source: &str) -> Vec<Invocation> {
    let offsets = run.source_offsets(source);
    let mut mapped = Mapped::default();
    let mut placeholders: Vec<(String, String)> = Vec::new();
    let text = &run.value;
    let mut index = 0;
    while index < text.len() {
        let rest = &text[index..];
        if rest.starts_with("${{") {
            if let Some(close) = rest.find("}}") {
                let expression = &rest[..close + 2];
                let placeholder = format!("_e{}_", placeholders.len());
                if placeholder.len() <= expression.len() {
                    let padded = format!("{placeholder:_<width$}", width = expression.len());
                    for (offset, byte) in padded.bytes().enumerate() {
                        mapped.text.push(byte as char);
                        mapped.offsets.push(
                            offsets
                                .get(index + offset)
                                .copied()
                                .unwrap_or(run.span.start),
                        );
                    }
                    placeholders.push((padded, expression.to_string()));
                    index += close + 2;
                    continue;
                }
            }
        }
        let width = rest.chars().next().map_or(1, char::len_utf8);
        mapped.text.push_str(&rest[..width]);
        for offset in 0..width {
            mapped.offsets.push(
                offsets
                    .get(index + offset)
                    .copied()
                    .unwrap_or(run.span.start),
            );
        }
        index += width;
    }
    let script = read_script(&mapped.text, &mapped.offsets, run.span.end);
    let read_word = |word: &ShellWord| -> (String, Vec<Reference>) {
        let (mut text, mut references) = plain_word(word);
        if text.contains("_e") {
            for (placeholder, expression) in &placeholders {
                if text.contains(placeholder.as_str()) {
                    text = text.replace(placeholder.as_str(), expression);
                }
            }
        }
        let written = word.span.slice(source);
        references.extend(expression_references(written, |range| {
            Span::new(word.span.start + range.start, word.span.start + range.end)
        }));
        (text, references)
    };
    invocations_in_script(&script, source, &read_word, None)
}

/// The context names in the `${{ … }}` expressions of `text`, classified.
pub fn expression_references(
    text: &str,
    span_of: impl Fn(std::ops::Range<usize>) -> Span,
) -> Vec<Reference> {
    let mut references = Vec::new();
    let mut search = 0;
    while let Some(open) = text[search..].find("${{") {
        let start = search + open + 3;
        let Some(close) = text[start..].find("}}") else {
            break;
        };
        let end = start + close;
        let inner = &text[start..end];
        let bytes = inner.as_bytes();
        let mut index = 0;
        while index < bytes.len() {
            let byte = bytes[index];
            if byte == b'\'' {
                // A string literal.
                index += 1;
                while index < bytes.len() && bytes[index] != b'\'' {
                    index += 1;
                }
                index += 1;
                continue;
            }
            if !(byte.is_ascii_alphabetic() || byte == b'_') {
                index += 1;
                continue;
            }
            let path_start = index;
            while index < bytes.len()
                && (bytes[index].is_ascii_alphanumeric()
                    || matches!(bytes[index], b'_' | b'-' | b'.' | b'*'))
            {
                index += 1;
            }
            let mut path = inner[path_start..index].to_string();
            // `secrets['NAME']`
            if inner[index..].starts_with("['") {
                if let Some(close) = inner[index + 2..].find("']") {
                    path.push('.');
                    path.push_str(&inner[index + 2..index + 2 + close]);
                    index += close + 4;
                }
            }
            let is_call = inner[index..].trim_start().starts_with('(');
            if is_call || matches!(path.as_str(), "true" | "false" | "null") {
                continue;
            }
            let range = start + path_start..start + index;
            let (origin, name) = classify(&path);
            references.push(Reference {
                name,
                origin,
                span: span_of(range),
            });
        }
        search = end + 2;
    }
    references
}

fn classify(path: &str) -> (Origin, String) {
    let (root, rest) = path.split_once('.').unwrap_or((path, ""));
    match root {
        "secrets" => (Origin::SecretStore, rest.to_string()),
        "env" => (Origin::Variable, rest.to_string()),
        "github" if rest == "token" => (Origin::SecretStore, path.to_string()),
        "github" | "vars" | "matrix" | "runner" | "strategy" | "job" => {
            (Origin::Public, path.to_string())
        }
        _ => (Origin::Other, path.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const WORKFLOW: &str = r#"on: push
env:
  NPM_TOKEN: ${{ secrets.NPM_TOKEN }}
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - uses: docker/build-push-action@v6
        with:
          context: web
          file: web/Dockerfile
          build-args: |
            VERSION=${{ github.sha }}
            TOKEN=${{ secrets.TOKEN }}
          secrets: |
            "gh=${{ secrets.GH }}"
      - run: |
          docker build --build-arg NPM_TOKEN=$NPM_TOKEN \
            --build-arg KEY="${{ secrets['KEY'] }}" .
"#;

    #[test]
    fn build_push_action_inputs_are_read_with_spans() {
        let definition = read(WORKFLOW).expect("valid");
        let action = &definition.invocations[0];
        assert_eq!(action.tool, "docker/build-push-action");
        assert_eq!(
            action.context.as_ref().map(|c| c.text.as_str()),
            Some("web")
        );
        let token = &action.build_args[1];
        assert_eq!(token.name, "TOKEN");
        assert_eq!(token.span.slice(WORKFLOW), "TOKEN=${{ secrets.TOKEN }}");
        let value = token.value.as_ref().expect("value");
        assert_eq!(value.references[0].origin, Origin::SecretStore);
        assert_eq!(value.references[0].name, "TOKEN");
        assert_eq!(
            action.build_args[0]
                .value
                .as_ref()
                .expect("value")
                .references[0]
                .origin,
            Origin::Public
        );
        assert_eq!(action.secrets[0].id, "gh");
    }

    #[test]
    fn run_steps_are_shell_and_env_secrets_are_known() {
        let definition = read(WORKFLOW).expect("valid");
        assert!(definition.secret_variables.contains_key("NPM_TOKEN"));
        let run = &definition.invocations[1];
        assert_eq!(run.tool, "docker build");
        let key = &run.build_args[1];
        let value = key.value.as_ref().expect("value");
        assert_eq!(value.text, "${{ secrets['KEY'] }}");
        assert!(value
            .references
            .iter()
            .any(|reference| reference.origin == Origin::SecretStore && reference.name == "KEY"));
        assert_eq!(key.name_span.slice(WORKFLOW), "KEY");
    }
}
