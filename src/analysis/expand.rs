//! Word processing the way BuildKit's shell lexer does it for COPY/ADD,
//! ENV, ARG, LABEL, WORKDIR, USER…: quotes removed, escapes applied, and
//! `$V`, `${V}`, `${V:-d}`, `${V-d}`, `${V:+a}`, `${V+a}` expanded where a
//! value is known. Each variable reference is reported with its range, so a
//! rule can say where a value came from.

use std::ops::Range;

/// The longest value a substitution may produce. A reference whose value
/// would make the expansion longer is kept as written and counts as
/// unknown: `ENV A=$A$A` repeated doubles the value on every line, and a
/// small file must not make the linter build gigabytes of text.
pub const MAX_EXPANSION_LENGTH: usize = 8 * 1024;

/// What a variable lookup knows about a name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Lookup {
    /// Not declared anywhere in scope: expands to nothing.
    Undefined,
    /// Declared (ARG without default): its value comes from the build.
    Unknown,
    /// Declared with a known value.
    Value(String),
}

/// One `$NAME` / `${NAME…}` reference inside a word.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reference {
    pub name: String,
    /// Byte range of the whole reference (`${NAME:-x}`) in the input.
    pub range: Range<usize>,
}

/// The processed word.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Expansion {
    /// The value with quotes removed and known variables substituted.
    /// References whose value is unknown are kept as written (`$TOKEN`).
    pub value: String,
    pub references: Vec<Reference>,
    /// True when some part depends on a value only known at build time.
    pub has_unknown: bool,
}

/// Processes `word` (quotes, escapes, variables) with `lookup`.
pub fn expand_word(word: &str, escape: char, lookup: &dyn Fn(&str) -> Lookup) -> Expansion {
    let mut expander = Expander {
        input: word,
        escape,
        lookup,
        output: String::with_capacity(word.len()),
        references: Vec::new(),
        has_unknown: false,
    };
    expander.run();
    Expansion {
        value: expander.output,
        references: expander.references,
        has_unknown: expander.has_unknown,
    }
}

/// Only the `$NAME` references of a text (no quote processing): for shell
/// text such as a RUN command line, where single quotes still hide them.
pub fn references_in_shell(text: &str) -> Vec<Reference> {
    let mut references = Vec::new();
    let bytes = text.as_bytes();
    let mut index = 0;
    let mut in_single_quotes = false;
    while index < bytes.len() {
        match bytes[index] {
            b'\'' => in_single_quotes = !in_single_quotes,
            b'\\' if !in_single_quotes => index += 1,
            b'$' if !in_single_quotes => {
                if let Some((name, end)) = parse_reference_name(text, index) {
                    references.push(Reference {
                        name,
                        range: index..end,
                    });
                    index = end;
                    continue;
                }
            }
            _ => {}
        }
        index += 1;
    }
    references
}

/// The name of the reference starting at the `$` at `start`, and where the
/// reference ends (after `}` for the braced form).
fn parse_reference_name(text: &str, start: usize) -> Option<(String, usize)> {
    let rest = &text[start + 1..];
    if let Some(inner) = rest.strip_prefix('{') {
        let name_length = inner
            .find(|ch: char| !(ch.is_ascii_alphanumeric() || ch == '_'))
            .unwrap_or(inner.len());
        if name_length == 0 {
            return None;
        }
        let close = matching_brace(inner)?;
        return Some((inner[..name_length].to_string(), start + 2 + close + 1));
    }
    let name_length = rest
        .find(|ch: char| !(ch.is_ascii_alphanumeric() || ch == '_'))
        .unwrap_or(rest.len());
    if name_length == 0 || rest.as_bytes()[0].is_ascii_digit() {
        return None;
    }
    Some((rest[..name_length].to_string(), start + 1 + name_length))
}

/// Index of the `}` closing a `${` whose body is `inner`.
fn matching_brace(inner: &str) -> Option<usize> {
    let mut depth = 1;
    for (index, ch) in inner.char_indices() {
        match ch {
            '{' => depth += 1,
            '}' => {
                depth -= 1;
                if depth == 0 {
                    return Some(index);
                }
            }
            _ => {}
        }
    }
    None
}

struct Expander<'a> {
    input: &'a str,
    escape: char,
    lookup: &'a dyn Fn(&str) -> Lookup,
    output: String,
    references: Vec<Reference>,
    has_unknown: bool,
}

impl Expander<'_> {
    fn run(&mut self) {
        let mut index = 0;
        let input = self.input;
        while index < input.len() {
            let Some(ch) = input[index..].chars().next() else {
                break;
            };
            match ch {
                '\'' => {
                    let body_end = input[index + 1..]
                        .find('\'')
                        .map_or(input.len(), |end| index + 1 + end);
                    self.output.push_str(&input[index + 1..body_end]);
                    index = (body_end + 1).min(input.len());
                }
                '"' => {
                    index += 1;
                    while index < input.len() {
                        let Some(inner) = input[index..].chars().next() else {
                            break;
                        };
                        if inner == '"' {
                            index += 1;
                            break;
                        }
                        if inner == self.escape {
                            let next = input[index + inner.len_utf8()..].chars().next();
                            match next {
                                Some(escaped @ ('"' | '$')) => {
                                    self.output.push(escaped);
                                    index += inner.len_utf8() + 1;
                                }
                                Some(escaped) if escaped == self.escape => {
                                    self.output.push(escaped);
                                    index += inner.len_utf8() * 2;
                                }
                                _ => {
                                    self.output.push(inner);
                                    index += inner.len_utf8();
                                }
                            }
                            continue;
                        }
                        if inner == '$' {
                            index = self.variable(index);
                            continue;
                        }
                        self.output.push(inner);
                        index += inner.len_utf8();
                    }
                }
                '$' => index = self.variable(index),
                _ if ch == self.escape => {
                    let next = input[index + ch.len_utf8()..].chars().next();
                    match next {
                        Some(escaped) => {
                            self.output.push(escaped);
                            index += ch.len_utf8() + escaped.len_utf8();
                        }
                        None => index += ch.len_utf8(),
                    }
                }
                _ => {
                    self.output.push(ch);
                    index += ch.len_utf8();
                }
            }
        }
    }

    /// Expands the reference at `start` (a `$`); returns the index after it.
    fn variable(&mut self, start: usize) -> usize {
        let Some((name, end)) = parse_reference_name(self.input, start) else {
            self.output.push('$');
            return start + 1;
        };
        let written = &self.input[start..end];
        self.references.push(Reference {
            name: name.clone(),
            range: start..end,
        });
        let lookup = (self.lookup)(&name);
        let operator = written
            .strip_prefix("${")
            .and_then(|body| body.strip_suffix('}'))
            .map(|body| &body[name.len()..]);
        let (modifier, word) = match operator {
            Some(rest)
                if rest.starts_with(":-") || rest.starts_with(":+") || rest.starts_with(":?") =>
            {
                (&rest[..2], &rest[2..])
            }
            Some(rest)
                if rest.starts_with('-') || rest.starts_with('+') || rest.starts_with('?') =>
            {
                (&rest[..1], &rest[1..])
            }
            _ => ("", ""),
        };
        let set = !matches!(lookup, Lookup::Undefined);
        let non_empty = match &lookup {
            Lookup::Value(value) => !value.is_empty(),
            Lookup::Unknown => true,
            Lookup::Undefined => false,
        };
        let fits = |expander: &Self, value: &str| {
            expander.output.len() + value.len() <= MAX_EXPANSION_LENGTH
        };
        let keep_as_written = |expander: &mut Self| {
            expander.has_unknown = true;
            expander.output.push_str(written);
        };
        let use_word = |expander: &mut Self| {
            let inner = expand_word(word, expander.escape, expander.lookup);
            if !fits(expander, &inner.value) {
                return keep_as_written(expander);
            }
            expander.has_unknown |= inner.has_unknown;
            expander.output.push_str(&inner.value);
        };
        let use_value = |expander: &mut Self| match &lookup {
            Lookup::Value(value) if fits(expander, value) => expander.output.push_str(value),
            Lookup::Value(_) | Lookup::Unknown => keep_as_written(expander),
            Lookup::Undefined => {}
        };
        match modifier {
            ":-" if !non_empty => use_word(self),
            "-" if !set => use_word(self),
            ":+" => {
                if non_empty {
                    use_word(self)
                }
            }
            "+" => {
                if set {
                    use_word(self)
                }
            }
            _ => use_value(self),
        }
        end
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lookup(name: &str) -> Lookup {
        match name {
            "HOME" => Lookup::Value("/root".into()),
            "EMPTY" => Lookup::Value(String::new()),
            "TOKEN" => Lookup::Unknown,
            _ => Lookup::Undefined,
        }
    }

    fn expand(word: &str) -> String {
        expand_word(word, '\\', &lookup).value
    }

    #[test]
    fn quotes_and_escapes_are_removed() {
        assert_eq!(expand(r#""a b"'c d'e\ f"#), "a bc de f");
        assert_eq!(expand(r#"'$HOME'"#), "$HOME");
    }

    #[test]
    fn variables_expand_with_modifiers() {
        assert_eq!(expand("$HOME/.netrc"), "/root/.netrc");
        assert_eq!(expand("${HOME}/x"), "/root/x");
        assert_eq!(expand("${MISSING:-/d}"), "/d");
        assert_eq!(expand("${EMPTY:-d}"), "d");
        assert_eq!(expand("${EMPTY-d}"), "");
        assert_eq!(expand("${HOME:+alt}"), "alt");
        assert_eq!(expand("${MISSING+alt}"), "");
        assert_eq!(expand("${MISSING}"), "");
    }

    #[test]
    fn unknown_values_stay_as_written() {
        let expansion = expand_word("a$TOKEN", '\\', &lookup);
        assert_eq!(expansion.value, "a$TOKEN");
        assert!(expansion.has_unknown);
        assert_eq!(expansion.references[0].range, 1..7);
    }

    #[test]
    fn substitutions_stop_at_the_length_limit() {
        let long = "x".repeat(MAX_EXPANSION_LENGTH / 2 + 1);
        let lookup = |name: &str| match name {
            "LONG" => Lookup::Value(long.clone()),
            _ => Lookup::Undefined,
        };
        let expansion = expand_word("$LONG/${LONG}", '\\', &lookup);
        assert_eq!(expansion.value, format!("{long}/${{LONG}}"));
        assert!(expansion.has_unknown);
        let expansion = expand_word("$LONG${MISSING:-$LONG}", '\\', &lookup);
        assert_eq!(expansion.value, format!("{long}${{MISSING:-$LONG}}"));
    }

    #[test]
    fn shell_references_skip_single_quotes() {
        let references = references_in_shell(r#"echo $A "${B:-x}" '$C' \$D"#);
        let names: Vec<_> = references
            .iter()
            .map(|reference| reference.name.as_str())
            .collect();
        assert_eq!(names, ["A", "B"]);
    }
}
