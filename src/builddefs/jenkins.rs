//! Jenkinsfiles and Groovy shared-library code, read with a focused lexer
//! (no Groovy crate fits: the few that exist are unmaintained grammars
//! without spans): comments are skipped, every string literal (`'…'`,
//! `"…"`, `'''…'''`, `"""…"""`) is decoded with the source offset of each
//! byte, and a string that may hold a build (`sh "docker build …"`,
//! `docker.build("img", "--build-arg …")`, an options string such as
//! `DOCKER_OPTIONS: '--build-arg …'`) is read as shell. In a double-quoted
//! string Groovy interpolates `${env.NAME}` / `${NAME}` before the shell
//! runs: both name the variable `NAME`. `NAME = credentials('id')` (and
//! `NAME_USR`, `NAME_PSW`) and the variables a `withCredentials` binding
//! declares (`variable:`, `passwordVariable:`, `tokenVariable:`…) are
//! secrets.

use super::script::{read_mapped, Mapped};
use super::{Definition, ReadError};
use regex::Regex;
use std::sync::LazyLock;

pub fn read(text: &str) -> Result<Definition, ReadError> {
    let mut definition = Definition::default();
    collect_credentials(text, &mut definition);
    for literal in string_literals(text) {
        let holds_build = ["build", "executor", "bud", "deploy"]
            .iter()
            .any(|word| literal.text.contains(word));
        if holds_build {
            read_mapped(&literal, text, &mut definition);
        }
    }
    Ok(definition)
}

fn collect_credentials(text: &str, definition: &mut Definition) {
    static ENVIRONMENT: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r#"\b([A-Za-z_][A-Za-z0-9_]*)\s*=\s*credentials\s*\(\s*['"]([^'"]*)['"]"#)
            .expect("valid regex")
    });
    static BINDING: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r#"\b([a-zA-Z]*[vV]ariable)\s*:\s*['"]([A-Za-z_][A-Za-z0-9_]*)['"]"#)
            .expect("valid regex")
    });
    for captures in ENVIRONMENT.captures_iter(text) {
        let name = &captures[1];
        let why = format!("Jenkins credentials(`{}`)", &captures[2]);
        for variable in [
            name.to_string(),
            format!("{name}_USR"),
            format!("{name}_PSW"),
        ] {
            definition.secret_variables.insert(variable, why.clone());
        }
    }
    if text.contains("withCredentials") {
        for captures in BINDING.captures_iter(text) {
            if &captures[1] == "usernameVariable" || &captures[1] == "gitToolName" {
                continue;
            }
            definition.secret_variables.insert(
                captures[2].to_string(),
                format!("a withCredentials binding (`{}`)", &captures[1]),
            );
        }
    }
}

/// Every string literal of `text`, decoded, with source offsets.
pub(crate) fn string_literals(text: &str) -> Vec<Mapped> {
    let bytes = text.as_bytes();
    let mut literals = Vec::new();
    let mut index = 0;
    while index < bytes.len() {
        let rest = &text[index..];
        if rest.starts_with("//") {
            index += rest.find('\n').unwrap_or(rest.len());
            continue;
        }
        if let Some(comment) = rest.strip_prefix("/*") {
            index += comment.find("*/").map_or(rest.len(), |end| end + 4);
            continue;
        }
        let quote = match bytes[index] {
            b'\'' | b'"' => bytes[index],
            _ => {
                index += rest.chars().next().map_or(1, char::len_utf8);
                continue;
            }
        };
        let triple = rest.len() >= 3 && rest.as_bytes()[1] == quote && rest.as_bytes()[2] == quote;
        let delimiter_length = if triple { 3 } else { 1 };
        let (literal, end) = decode(text, index + delimiter_length, quote, triple);
        literals.push(literal);
        index = end;
    }
    literals
}

/// Decodes a string body starting at `start`; returns it and the offset
/// after its closing delimiter.
fn decode(text: &str, start: usize, quote: u8, triple: bool) -> (Mapped, usize) {
    let bytes = text.as_bytes();
    let interpolates = quote == b'"';
    let mut mapped = Mapped::default();
    let mut index = start;
    while index < bytes.len() {
        let byte = bytes[index];
        if byte == quote {
            if !triple {
                return (mapped, index + 1);
            }
            if bytes.get(index + 1) == Some(&quote) && bytes.get(index + 2) == Some(&quote) {
                return (mapped, index + 3);
            }
        }
        if !triple && byte == b'\n' {
            // An unterminated one-line string: stop at the line end.
            return (mapped, index + 1);
        }
        if byte == b'\\' {
            match bytes.get(index + 1) {
                Some(b'\n') => {
                    index += 2;
                    continue;
                }
                Some(b'n') => mapped.push_at("\n", index),
                Some(b't') => mapped.push_at("\t", index),
                Some(&next) if next.is_ascii() => {
                    mapped.push(&text[index + 1..index + 2], index + 1)
                }
                _ => {
                    index += 1;
                    continue;
                }
            }
            index += 2;
            continue;
        }
        if interpolates && text[index..].starts_with("${") {
            if let Some(close) = text[index..].find('}') {
                let expression = &text[index + 2..index + close];
                let path = expression.trim();
                let is_path = !path.is_empty()
                    && path
                        .chars()
                        .all(|ch| ch.is_ascii_alphanumeric() || ch == '_' || ch == '.');
                if is_path {
                    let name = path.rsplit('.').next().unwrap_or(path);
                    let name_at = index + 2 + expression.rfind(name).unwrap_or(0);
                    mapped.push_at("${", index);
                    mapped.push(name, name_at);
                    mapped.push_at("}", index + close);
                } else {
                    mapped.push_at("x", index);
                }
                index += close + 1;
                continue;
            }
        }
        let width = text[index..].chars().next().map_or(1, char::len_utf8);
        mapped.push(&text[index..index + width], index);
        index += width;
    }
    (mapped, bytes.len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::builddefs::Origin;

    #[test]
    fn sh_steps_and_credentials_are_read() {
        let text = "pipeline {\n  environment {\n    NPM_TOKEN = credentials('npm-token')\n  }\n  stages {\n    stage('b') {\n      steps {\n        // sh \"docker build --build-arg COMMENTED=$X .\"\n        sh \"docker build --build-arg NPM_TOKEN=${env.NPM_TOKEN} \\\n          --build-arg V=${VERSION} .\"\n        withCredentials([string(credentialsId: 'gh', variable: 'GH_PAT')]) {\n          sh '''docker build --build-arg GH=$GH_PAT .'''\n        }\n      }\n    }\n  }\n}\n";
        let definition = read(text).expect("valid");
        assert!(definition.secret_variables.contains_key("NPM_TOKEN_PSW"));
        assert!(definition.secret_variables.contains_key("GH_PAT"));
        let names: Vec<&str> = definition
            .invocations
            .iter()
            .flat_map(|invocation| invocation.build_args.iter().map(|arg| arg.name.as_str()))
            .collect();
        assert_eq!(names, ["NPM_TOKEN", "V", "GH"]);
        let value = definition.invocations[0].build_args[0]
            .value
            .as_ref()
            .expect("value");
        assert_eq!(value.references[0].name, "NPM_TOKEN");
        assert_eq!(value.references[0].origin, Origin::Variable);
        assert_eq!(value.span.slice(text), "${env.NPM_TOKEN}");
    }

    #[test]
    fn docker_build_options_strings_are_read() {
        let text = "node {\n  docker.build(\"app:${tag}\", \"--build-arg TOKEN=${TOKEN} -f ci/Dockerfile .\")\n}\n";
        let definition = read(text).expect("valid");
        assert_eq!(definition.invocations.len(), 1);
        assert_eq!(definition.invocations[0].build_args[0].name, "TOKEN");
    }
}
