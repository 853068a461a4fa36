//! Compose files: each service's `build:` (a context string, or a mapping
//! with `context`, `dockerfile`, `args` in map or list form, and
//! `secrets`). Values are interpolated by compose from the environment
//! (`${VAR}`, `$VAR`, `${VAR:-default}`; `$$` is a `$`): those are
//! variable references; an arg with no value (`- NPM_TOKEN`, `NPM_TOKEN:`)
//! takes the variable of the same name.

use super::yaml::{self, Node, Scalar};
use super::{split_assignment, variable_references, BuildArg, Definition, Invocation, Located};
use super::{ReadError, SecretInput, Value};
use crate::source::Span;

pub fn read(text: &str) -> Result<Definition, ReadError> {
    let documents = yaml::parse(text)?;
    let mut definition = Definition::default();
    for document in &documents {
        for (service, body) in document.get("services").map(Node::entries).unwrap_or(&[]) {
            let Some((build_key, build)) =
                body.entries().iter().find(|(key, _)| key.value == "build")
            else {
                continue;
            };
            definition
                .invocations
                .push(read_build(&service.value, build_key, build, text));
        }
    }
    Ok(definition)
}

fn read_build(service: &str, key: &Scalar, build: &Node, source: &str) -> Invocation {
    let located = |node: Option<&Node>| {
        node.and_then(Node::as_scalar).map(|scalar| Located {
            text: scalar.value.clone(),
            span: scalar.span,
        })
    };
    let mut invocation = Invocation {
        tool: format!("compose service {service}"),
        span: key.span,
        build_args: Vec::new(),
        secrets: Vec::new(),
        dockerfile: located(build.get("dockerfile")),
        context: match build {
            Node::Scalar(scalar) => located(Some(&Node::Scalar(scalar.clone()))),
            _ => located(build.get("context")),
        },
        inputs: Default::default(),
    };
    match build.get("args") {
        Some(Node::Mapping(entries, _)) => {
            for (name, value) in entries {
                let value = value
                    .as_scalar()
                    .filter(|scalar| {
                        scalar.quoted || !matches!(scalar.value.as_str(), "" | "~" | "null")
                    })
                    .map(|scalar| scalar_value(scalar, 0..scalar.value.len(), source));
                let end = value.as_ref().map_or(name.span.end, |value| value.span.end);
                invocation.build_args.push(BuildArg {
                    name: name.value.clone(),
                    name_span: name.span,
                    value,
                    span: Span::new(name.span.start, end.max(name.span.end)),
                });
            }
        }
        Some(Node::Sequence(items, _)) => {
            for scalar in items.iter().filter_map(Node::as_scalar) {
                let Some((name, value)) = split_assignment(&scalar.value) else {
                    continue;
                };
                let name_at = scalar.value.find(name).unwrap_or(0);
                let name_span = scalar.span_of(source, name_at..name_at + name.len());
                let value = value.map(|value| {
                    let at = scalar.value.len() - value.len();
                    scalar_value(scalar, at..scalar.value.len(), source)
                });
                invocation.build_args.push(BuildArg {
                    name: name.to_string(),
                    name_span,
                    value,
                    span: scalar.span,
                });
            }
        }
        _ => {}
    }
    for item in build.get("secrets").map(Node::items).unwrap_or(&[]) {
        let id = match item {
            Node::Scalar(scalar) => Some((scalar.value.clone(), scalar.span)),
            Node::Mapping(..) => item
                .get("source")
                .and_then(Node::as_scalar)
                .map(|scalar| (scalar.value.clone(), item.span())),
            Node::Sequence(..) => None,
        };
        if let Some((id, span)) = id {
            invocation.secrets.push(SecretInput { id, span });
        }
    }
    invocation
}

/// Bytes `range` of a scalar as a value with its interpolations.
fn scalar_value(scalar: &Scalar, range: std::ops::Range<usize>, source: &str) -> Value {
    let offsets = scalar.source_offsets(source);
    let text = &scalar.value[range.clone()];
    let span = if text.is_empty() {
        Span::empty(scalar.span.end)
    } else {
        yaml::span_from_offsets(&offsets, range.clone(), scalar.span)
    };
    let start = range.start;
    Value {
        text: text.to_string(),
        span,
        references: variable_references(text, |inner| {
            yaml::span_from_offsets(
                &offsets,
                start + inner.start..start + inner.end,
                scalar.span,
            )
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn args_in_both_forms_and_secrets_are_read() {
        let text = "services:\n  web:\n    build:\n      context: ./web\n      args:\n        NPM_TOKEN: ${NPM_TOKEN}\n        EMPTY:\n      secrets: [npm]\n  api:\n    build:\n      context: api\n      args:\n        - VERSION=1.2\n        - GH_TOKEN\n";
        let definition = read(text).expect("valid");
        let web = &definition.invocations[0];
        assert_eq!(web.tool, "compose service web");
        assert_eq!(
            web.build_args[0].value.as_ref().expect("value").references[0].name,
            "NPM_TOKEN"
        );
        assert!(web.build_args[1].value.is_none());
        assert_eq!(web.secrets[0].id, "npm");
        let api = &definition.invocations[1];
        assert_eq!(api.build_args[0].name, "VERSION");
        assert_eq!(
            api.build_args[0]
                .value
                .as_ref()
                .expect("value")
                .span
                .slice(text),
            "1.2"
        );
        assert!(api.build_args[1].value.is_none());
    }
}
