//! `RUN --mount=…` values: comma-separated `key=value` fields, CSV-quoted
//! the way BuildKit reads them, each with its span.

use super::ast::{Mount, MountField, Word};
use crate::source::Span;

/// Splits a mount flag's value into fields. The value's span is assumed
/// to cover its text byte for byte; when quoting or a continuation makes
/// the source longer, spans are clamped to the value's span.
pub(crate) fn parse_mount(value: &Word) -> Mount {
    let text = value.text.as_str();
    let base = value.span.start;
    let clamp = |offset: usize| (base + offset).min(value.span.end);
    let mut fields = Vec::new();
    let mut field_start = 0;
    let mut in_quotes = false;
    for (index, ch) in text
        .char_indices()
        .chain(std::iter::once((text.len(), ',')))
    {
        match ch {
            '"' => in_quotes = !in_quotes,
            ',' if !in_quotes => {
                let field = &text[field_start..index];
                if !field.trim().is_empty() {
                    fields.push(parse_field(field, field_start, &clamp));
                }
                field_start = index + 1;
            }
            _ => {}
        }
    }
    Mount {
        fields,
        span: value.span,
    }
}

fn parse_field(field: &str, offset: usize, clamp: &dyn Fn(usize) -> usize) -> MountField {
    let unquote = |text: &str| text.trim().trim_matches('"').to_string();
    let span = Span::new(clamp(offset), clamp(offset + field.len()));
    match field.split_once('=') {
        Some((key, value)) => {
            let value_start = offset + key.len() + 1;
            MountField {
                key: Word {
                    text: unquote(key).to_ascii_lowercase(),
                    span: Span::new(clamp(offset), clamp(offset + key.len())),
                },
                value: Some(Word {
                    text: unquote(value),
                    span: Span::new(clamp(value_start), clamp(value_start + value.len())),
                }),
                span,
            }
        }
        None => MountField {
            key: Word {
                text: unquote(field).to_ascii_lowercase(),
                span,
            },
            value: None,
            span,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::syntax::ast::MountType;

    #[test]
    fn secret_mount_fields_have_spans() {
        let text = "type=secret,id=npm,target=/root/.npmrc,required";
        let mount = parse_mount(&Word {
            text: text.into(),
            span: Span::new(100, 100 + text.len()),
        });
        assert_eq!(mount.mount_type(), MountType::Secret);
        assert_eq!(mount.value("id"), Some("npm"));
        assert_eq!(mount.value("dst"), Some("/root/.npmrc"));
        let target = mount.field("target").unwrap().value.as_ref().unwrap();
        assert_eq!(target.span, Span::new(126, 138));
        assert!(mount.field("required").unwrap().value.is_none());
        assert_eq!(mount.secret_target().as_deref(), Some("/root/.npmrc"));
    }

    #[test]
    fn secret_id_defaults_target() {
        let mount = parse_mount(&Word {
            text: "type=secret,id=aws".into(),
            span: Span::new(0, 18),
        });
        assert_eq!(mount.secret_target().as_deref(), Some("/run/secrets/aws"));
        let env_only = parse_mount(&Word {
            text: "type=secret,id=tok,env=TOKEN".into(),
            span: Span::new(0, 28),
        });
        assert_eq!(env_only.secret_target(), None);
    }
}
