//! Bake files: HCL (`docker-bake.hcl`, read with `hcl-edit`, which keeps
//! the byte span of every expression) and JSON (read with the YAML reader,
//! JSON being YAML). Each `target` is an invocation: its `args`, `secret`
//! entries (`id=…,src=…` / `type=env,id=…`), `dockerfile` and `context`.
//! `${NAME}` in a value refers to a bake variable, set from the
//! environment of the same name at bake time; a bare `NAME` expression too.

use super::yaml::{self, Node};
use super::{variable_references, BuildArg, Definition, Invocation, Located, Origin};
use super::{ReadError, Reference, SecretInput, Value};
use crate::source::Span;
use hcl_edit::expr::{Expression, ObjectKey};
use hcl_edit::structure::{BlockLabel, Structure};
use hcl_edit::Span as _;

fn span_of(range: Option<std::ops::Range<usize>>) -> Span {
    range.map_or(Span::empty(0), |range| Span::new(range.start, range.end))
}

pub fn read_hcl(text: &str) -> Result<Definition, ReadError> {
    let body = hcl_edit::parser::parse_body(text).map_err(|error| ReadError {
        message: format!("invalid HCL: {}", error.message()),
        span: Some(Span::empty(error.location().offset().min(text.len()))),
    })?;
    let mut definition = Definition::default();
    for structure in body.iter() {
        let Structure::Block(block) = structure else {
            continue;
        };
        if block.ident.as_str() != "target" {
            continue;
        }
        let name = block
            .labels
            .first()
            .map(|label| match label {
                BlockLabel::Ident(ident) => ident.as_str().to_string(),
                BlockLabel::String(string) => string.as_str().to_string(),
            })
            .unwrap_or_default();
        let mut invocation = Invocation {
            tool: format!("bake target {name}"),
            span: span_of(block.ident.span()),
            build_args: Vec::new(),
            secrets: Vec::new(),
            dockerfile: None,
            context: None,
            inputs: Default::default(),
        };
        for attribute in block.body.attributes() {
            let key = attribute.key.as_str();
            match (key, &attribute.value) {
                ("args", Expression::Object(object)) => {
                    for (object_key, object_value) in object.iter() {
                        let (arg_name, name_span) = match object_key {
                            ObjectKey::Ident(ident) => {
                                (ident.as_str().to_string(), span_of(ident.span()))
                            }
                            ObjectKey::Expression(Expression::String(string)) => {
                                (string.as_str().to_string(), span_of(string.span()))
                            }
                            ObjectKey::Expression(other) => {
                                let span = span_of(other.span());
                                (span.slice(text).trim_matches('"').to_string(), span)
                            }
                        };
                        let value = hcl_value(object_value.expr(), text);
                        let end = value.as_ref().map_or(name_span.end, |value| value.span.end);
                        invocation.build_args.push(BuildArg {
                            name: arg_name,
                            name_span,
                            value,
                            span: Span::new(name_span.start, end.max(name_span.end)),
                        });
                    }
                }
                ("secret", Expression::Array(array)) => {
                    for item in array.iter() {
                        let span = span_of(item.span());
                        let raw = span.slice(text).trim_matches('"');
                        if let Some(id) = bake_secret_id(raw) {
                            invocation.secrets.push(SecretInput { id, span });
                        }
                    }
                }
                ("dockerfile" | "context", value) => {
                    let span = span_of(value.span());
                    let located = Located {
                        text: span.slice(text).trim_matches('"').to_string(),
                        span,
                    };
                    if key == "dockerfile" {
                        invocation.dockerfile = Some(located);
                    } else {
                        invocation.context = Some(located);
                    }
                }
                _ => {}
            }
        }
        definition.invocations.push(invocation);
    }
    Ok(definition)
}

/// A value expression: a string (template or not), a variable, or
/// anything else (its source text, with the variables named in it).
fn hcl_value(expression: &Expression, source: &str) -> Option<Value> {
    let span = span_of(expression.span());
    let written = span.slice(source);
    match expression {
        Expression::Null(_) => None,
        Expression::Variable(ident) => Some(Value {
            text: format!("${{{}}}", ident.as_str()),
            span,
            references: vec![Reference {
                name: ident.as_str().to_string(),
                origin: Origin::Variable,
                span,
            }],
        }),
        Expression::String(string) => Some(Value {
            text: string.as_str().to_string(),
            span: inner_span(span, written),
            references: Vec::new(),
        }),
        _ => {
            let inner = inner_span(span, written);
            let text = inner.slice(source);
            Some(Value {
                text: text.to_string(),
                span: inner,
                references: variable_references(text, |range| {
                    Span::new(inner.start + range.start, inner.start + range.end)
                }),
            })
        }
    }
}

/// The span inside the quotes of a quoted string.
fn inner_span(span: Span, written: &str) -> Span {
    if written.len() >= 2 && written.starts_with('"') && written.ends_with('"') {
        Span::new(span.start + 1, span.end - 1)
    } else {
        span
    }
}

/// `id=npm,src=…`, `type=env,id=GH`, or `id=X` alone.
fn bake_secret_id(entry: &str) -> Option<String> {
    entry
        .split(',')
        .find_map(|field| field.trim().strip_prefix("id="))
        .map(str::to_string)
        .or_else(|| {
            entry
                .split(',')
                .find_map(|field| field.trim().strip_prefix("env="))
                .map(str::to_string)
        })
}

pub fn read_json(text: &str) -> Result<Definition, ReadError> {
    let documents = yaml::parse(text)?;
    let mut definition = Definition::default();
    for document in &documents {
        for (name, target) in document.get("target").map(Node::entries).unwrap_or(&[]) {
            let located = |key: &str| {
                target
                    .get(key)
                    .and_then(Node::as_scalar)
                    .map(|scalar| Located {
                        text: scalar.value.clone(),
                        span: scalar.span,
                    })
            };
            let mut invocation = Invocation {
                tool: format!("bake target {}", name.value),
                span: name.span,
                build_args: Vec::new(),
                secrets: Vec::new(),
                dockerfile: located("dockerfile"),
                context: located("context"),
                inputs: Default::default(),
            };
            for (arg, value) in target.get("args").map(Node::entries).unwrap_or(&[]) {
                let value = value
                    .as_scalar()
                    .filter(|scalar| scalar.quoted)
                    .map(|scalar| {
                        let offsets = scalar.source_offsets(text);
                        let fallback = scalar.span;
                        Value {
                            text: scalar.value.clone(),
                            span: yaml::span_from_offsets(
                                &offsets,
                                0..scalar.value.len(),
                                fallback,
                            ),
                            references: variable_references(&scalar.value, |range| {
                                yaml::span_from_offsets(&offsets, range, fallback)
                            }),
                        }
                    });
                let end = value.as_ref().map_or(arg.span.end, |value| value.span.end);
                invocation.build_args.push(BuildArg {
                    name: arg.value.clone(),
                    name_span: arg.span,
                    value,
                    span: Span::new(arg.span.start, end.max(arg.span.end)),
                });
            }
            for item in target.get("secret").map(Node::items).unwrap_or(&[]) {
                if let Some(scalar) = item.as_scalar() {
                    if let Some(id) = bake_secret_id(&scalar.value) {
                        invocation.secrets.push(SecretInput {
                            id,
                            span: scalar.span,
                        });
                    }
                }
            }
            definition.invocations.push(invocation);
        }
    }
    Ok(definition)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hcl_targets_give_args_secrets_and_files() {
        let text = "variable \"NPM_TOKEN\" {\n  default = \"\"\n}\ntarget \"app\" {\n  context = \"web\"\n  dockerfile = \"Dockerfile.prod\"\n  args = {\n    NPM_TOKEN = \"${NPM_TOKEN}\"\n    VERSION = \"1.0\"\n    GH = GITHUB_TOKEN\n  }\n  secret = [\"id=npm,env=NPM\"]\n}\n";
        let definition = read_hcl(text).expect("valid");
        let target = &definition.invocations[0];
        assert_eq!(target.tool, "bake target app");
        assert_eq!(target.build_args[0].name, "NPM_TOKEN");
        assert_eq!(target.build_args[0].name_span.slice(text), "NPM_TOKEN");
        let value = target.build_args[0].value.as_ref().expect("value");
        assert_eq!(value.span.slice(text), "${NPM_TOKEN}");
        assert_eq!(value.references[0].name, "NPM_TOKEN");
        assert_eq!(
            target.build_args[1].value.as_ref().expect("value").text,
            "1.0"
        );
        assert_eq!(
            target.build_args[2]
                .value
                .as_ref()
                .expect("value")
                .references[0]
                .name,
            "GITHUB_TOKEN"
        );
        assert_eq!(target.secrets[0].id, "npm");
        assert_eq!(
            target.dockerfile.as_ref().map(|file| file.text.as_str()),
            Some("Dockerfile.prod")
        );
    }

    #[test]
    fn json_targets_are_read() {
        let text = "{\"target\": {\"app\": {\"args\": {\"TOKEN\": \"${TOKEN}\"}, \"secret\": [\"id=a\"]}}}";
        let definition = read_json(text).expect("valid");
        let target = &definition.invocations[0];
        assert_eq!(target.build_args[0].name, "TOKEN");
        assert_eq!(
            target.build_args[0]
                .value
                .as_ref()
                .expect("value")
                .span
                .slice(text),
            "${TOKEN}"
        );
        assert_eq!(target.secrets[0].id, "a");
    }

    #[test]
    fn invalid_hcl_is_an_error() {
        assert!(read_hcl("target \"a\" {\n  args = {\n").is_err());
    }
}
