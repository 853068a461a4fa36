//! The "secret written to a file" heuristic: text a `RUN` writes to a file
//! that is in no credential catalogue and that pairs a secret-looking key
//! with a build variable (DLK006) or a literal (DLK005):
//! `echo "password=$DB_PASS" > /app/config.ini`,
//! `printf 'token: %s' "$TOKEN" >> ~/.config/x.yml`,
//! `cat > settings.ini <<EOF … api_key=… EOF`.
//!
//! The key is judged by the name catalogue (`rules/secret-names.toml`,
//! with the value: `max_tokens: 4096` is a count, `password_file=…` a
//! role); the value must be a build variable whose value may be a secret,
//! or a literal that is no placeholder, path, address, switch, number or
//! template expression.

use super::{is_placeholder, reference_source, Run, ValueSource};
use crate::analysis::layers::{AddedBy, AddedPath};
use crate::analysis::shell::ShellWord;
use crate::analysis::Binding;
use crate::rules::RuleContext;
use crate::secrets::is_non_secret_value;
use crate::source::Span;
use regex::Regex;
use std::sync::LazyLock;

/// `key=value`, `key: value`, `"key": "value"`, and for a password word
/// `key value` (`requirepass …` in `redis.conf`), one line at a time.
static PAIR: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(
        r#"(?m)(?:^|[^A-Za-z0-9_.$/-])(?:([A-Za-z_][A-Za-z0-9_.-]*)["']?[ \t]*[=:][ \t]*|((?i){})[ \t]+)["']?([^\s"',;\\]+)"#,
        WRITTEN_PASSWORD_WORDS.join("|")
    ))
    .expect("the key-value pattern is a valid regex")
});

/// Keys that take their value after a blank (`requirepass …` in
/// `redis.conf`): the shell prefilter reads a RUN that writes one.
pub(crate) const WRITTEN_PASSWORD_WORDS: [&str; 4] =
    ["password", "passwd", "requirepass", "masterauth"];

/// Literal values that are words of configuration, not credentials.
const NOT_CREDENTIALS: [&str; 12] = [
    "dummy",
    "example",
    "sample",
    "placeholder",
    "changeme",
    "change_me",
    "your",
    "xxxx",
    "required",
    "optional",
    "disabled",
    "enabled",
];

/// What a pair's value is.
pub(in crate::rules) enum PairValue<'a> {
    /// A build variable (its declaration, and the reference's span).
    Variable(&'a Binding, Span),
    /// A literal (its span in the Dockerfile, for masking).
    Literal(Span),
}

/// A secret-looking key paired with a value in written text.
pub(in crate::rules) struct WrittenPair<'a> {
    pub key: String,
    pub value: PairValue<'a>,
    /// The key is the file's name (`echo "$P" > db-password`), not text.
    pub file_name: bool,
}

/// The first secret pair in `data` (the words written to one file, in
/// order), for command `command` of `run`.
fn secret_pair<'a>(
    context: &RuleContext<'a>,
    run: &Run<'_>,
    command: usize,
    data: &[&ShellWord],
) -> Option<WrittenPair<'a>> {
    for (position, word) in data.iter().enumerate() {
        let text = word.text.as_str();
        if !text.contains(['=', ':', ' ', '\t']) {
            continue;
        }
        for captures in PAIR.captures_iter(text) {
            let (Some(key), Some(value)) = (captures.get(1).or(captures.get(2)), captures.get(3))
            else {
                continue;
            };
            let key_text = key.as_str().trim_matches(['.', '-']);
            let value_text = value.as_str();
            let format = conversion(value_text);
            // `printf 'token: %s' "$TOKEN"`: the value is the argument the
            // conversion takes.
            let conversion_index = conversions_in(&text[..value.start()]);
            let (value_word, value_text, in_word) = if format {
                match data.get(position + 1 + conversion_index) {
                    Some(argument) => (*argument, argument.text.as_str(), false),
                    None => continue,
                }
            } else {
                (*word, value_text, true)
            };
            let value_text = value_text.trim_matches(['"', '\'']);
            // `requirepass …`, `password …`: the key is the password word.
            let blank_separated = captures.get(2).is_some();
            if !blank_separated
                && !context
                    .catalog
                    .names
                    .is_secret_setting(key_text, Some(value_text))
            {
                continue;
            }
            if value_text.contains('$') {
                if let Some(found) = variable_value(context, run, command, value_word, value_text)
                    .filter(|found| !counts_or_times(context, run, key_text, found))
                {
                    return Some(WrittenPair {
                        key: key_text.to_string(),
                        value: found,
                        file_name: false,
                    });
                }
                continue;
            }
            if !value_word.is_literal() && !in_word || !is_credential_literal(value_text) {
                continue;
            }
            let span = if in_word {
                literal_span(context, value_word, value_text)
            } else {
                value_word.span
            };
            if span.is_empty() {
                continue;
            }
            return Some(WrittenPair {
                key: key_text.to_string(),
                value: PairValue::Literal(span),
                file_name: false,
            });
        }
    }
    None
}

/// How many printf conversions `text` holds (`%%` is none).
fn conversions_in(text: &str) -> usize {
    text.replace("%%", "").matches('%').count()
}

/// Every file the RUN leaves in its layer, with no credential catalogue
/// naming it, whose written text holds a secret pair (the first one).
pub(in crate::rules) fn written_secret_pairs<'a, 'r>(
    context: &RuleContext<'a>,
    run: &'r Run<'_>,
) -> Vec<(&'r AddedPath, WrittenPair<'a>)> {
    let mut found = Vec::new();
    for added in &run.layer.added {
        let Some(command) = added.command else {
            continue;
        };
        if !matches!(added.by, AddedBy::Redirect | AddedBy::Tee)
            || !added.persists()
            || run.layer.is_in_mount(&added.path)
            || added.holds_credential
            || context.catalog.files.match_path(&added.path).is_some()
            || is_device(&added.path)
            || run.layer.content_reads_secret(run.script, &added.content)
        {
            continue;
        }
        let mut data: Vec<&ShellWord> = added.content.data.iter().collect();
        if let Some(stdin) = added.content.stdin_from {
            data.extend(run.script.output_of(stdin).data);
        }
        if let Some(pair) = secret_pair(context, run, command, &data)
            .or_else(|| named_file_value(context, run, command, &added.path, &data))
        {
            found.push((added, pair));
        }
    }
    found
}

/// `echo "$DB_PASS" > /run/app/db-password`: the whole text written is one
/// value and the file's name says it holds a secret (DLK001's file-name
/// list, `rules/secret-file-names.toml`); the file name is the key.
fn named_file_value<'a>(
    context: &RuleContext<'a>,
    run: &Run<'_>,
    command: usize,
    path: &str,
    data: &[&ShellWord],
) -> Option<WrittenPair<'a>> {
    // `echo "$P"`, `printf '%s' "$P"`.
    let word = match data {
        [word] => *word,
        [format, word] if conversion(&format.text) => *word,
        _ => return None,
    };
    let names = crate::secrets::file_names::SecretFileNames::builtin();
    if !names.destination_says_secret(path) {
        return None;
    }
    let key = path.rsplit('/').next().unwrap_or(path).to_string();
    let stem = key.split('.').next().unwrap_or(&key);
    let text = word.text.trim();
    // `token-version`, `secret-count`: the name is about a secret.
    if !context
        .catalog
        .names
        .is_secret_setting(stem, (!text.contains('$')).then_some(text))
    {
        return None;
    }
    if text.contains('$') {
        if text.contains(char::is_whitespace) {
            return None;
        }
        return variable_value(context, run, command, word, text)
            .filter(|found| !counts_or_times(context, run, stem, found))
            .map(|value| WrittenPair {
                key,
                value,
                file_name: true,
            });
    }
    if !word.is_literal() || text.contains(char::is_whitespace) || !is_credential_literal(text) {
        return None;
    }
    let span = literal_span(context, word, text);
    (!span.is_empty()).then_some(WrittenPair {
        key,
        value: PairValue::Literal(span),
        file_name: true,
    })
}

/// `/dev/null`, `/dev/stderr`, `/proc/…`: not a file of the layer (the
/// shell prefilter skips a redirect to such a target too).
pub(crate) fn is_device(path: &str) -> bool {
    path.starts_with("/dev/") || path.starts_with("/proc/") || path.starts_with("/sys/")
}

/// `%s`, `%b`, `%-10s`: a printf conversion.
fn conversion(text: &str) -> bool {
    text.strip_prefix('%').is_some_and(|rest| {
        rest.ends_with(['s', 'b', 'q'])
            && rest[..rest.len() - 1]
                .chars()
                .all(|ch| ch.is_ascii_digit() || matches!(ch, '-' | '.' | ' ' | '+'))
    })
}

/// The build variable a value (`$DB_PASS`, `${DB_PASS}`, `"$DB_PASS"`)
/// expands, when its value may be a secret.
fn variable_value<'a>(
    context: &RuleContext<'a>,
    run: &Run<'_>,
    command: usize,
    word: &ShellWord,
    value: &str,
) -> Option<PairValue<'a>> {
    let name: String = value
        .trim_start_matches('$')
        .trim_start_matches('{')
        .chars()
        .take_while(|ch| ch.is_ascii_alphanumeric() || *ch == '_')
        .collect();
    if name.is_empty() {
        return None;
    }
    let reference = word
        .references
        .iter()
        .find(|reference| reference.yields_value && reference.name == name)?;
    match reference_source(context, run, command, reference, 0)? {
        ValueSource::BuildVariable(binding, span) => Some(PairValue::Variable(binding, span)),
        _ => None,
    }
}

/// `max_tokens: $MAX_TOKENS` with `ARG MAX_TOKENS=4096`: the key counts or
/// times something and the variable's known value is a number, a duration
/// or a boolean.
fn counts_or_times(
    context: &RuleContext<'_>,
    run: &Run<'_>,
    key: &str,
    value: &PairValue<'_>,
) -> bool {
    let PairValue::Variable(binding, _) = value else {
        return false;
    };
    context
        .analysis
        .resolve(&binding.name, run.index)
        .and_then(|resolved| resolved.value().map(str::to_owned))
        .is_some_and(|known| context.catalog.names.is_measure_setting(key, &known))
}

/// A literal that may be a credential: long enough, no placeholder, path,
/// address, switch, template expression or configuration word.
fn is_credential_literal(value: &str) -> bool {
    let lowered = value.to_ascii_lowercase();
    value.chars().count() >= 6
        && !is_placeholder(value)
        && !is_non_secret_value(value)
        && !value.contains(['%', '<', '>', '{', '}', '(', ')', '`', '[', ']', '@', '*'])
        && !value.starts_with(['/', '.', '~', '-'])
        && !value.contains("://")
        && !value.chars().all(|ch| ch.is_ascii_digit() || ch == '.')
        && !NOT_CREDENTIALS
            .iter()
            .any(|marker| lowered.contains(marker))
}

/// The Dockerfile span of `value` inside `word`, or the whole word when the
/// text as written differs (an escape): masking more is safe, less is not.
fn literal_span(context: &RuleContext<'_>, word: &ShellWord, value: &str) -> Span {
    let written = word.span.slice(context.text);
    match written.find(value) {
        Some(at) if written[at + value.len()..].find(value).is_none() => {
            Span::new(word.span.start + at, word.span.start + at + value.len())
        }
        _ => word.span,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn printf_conversions() {
        assert!(conversion("%s"));
        assert!(conversion("%-10s"));
        assert!(!conversion("%d5"));
        assert!(!conversion("secret"));
    }

    #[test]
    fn credential_literals() {
        assert!(is_credential_literal("hunter2xyz"));
        assert!(is_credential_literal("Zx81kQp02LmNvBr7"));
        for value in [
            "changeme",
            "<your-token>",
            "/run/secrets/db",
            "true",
            "4096",
            "${DB_PASS}",
            "required",
            "https://auth.example.com",
            "pass",
            "1.2.3",
            "~/.token",
        ] {
            assert!(!is_credential_literal(value), "{value}");
        }
    }

    #[test]
    fn pairs() {
        let find = |text: &str| -> Vec<(String, String)> {
            PAIR.captures_iter(text)
                .map(|captures| {
                    let key = captures
                        .get(1)
                        .or(captures.get(2))
                        .map_or("", |key| key.as_str());
                    (key.to_string(), captures[3].to_string())
                })
                .collect()
        };
        assert_eq!(
            find("password=$DB_PASS"),
            [("password".to_string(), "$DB_PASS".to_string())]
        );
        assert_eq!(
            find("{\"api_key\": \"abc123def\"}"),
            [("api_key".to_string(), "abc123def".to_string())]
        );
        assert_eq!(find("token: %s"), [("token".to_string(), "%s".to_string())]);
        assert!(find("[client]\n").is_empty());
        assert_eq!(
            find("export password=FAKEpass1"),
            [("password".to_string(), "FAKEpass1".to_string())]
        );
        assert_eq!(
            find("requirepass FAKEpass1"),
            [("requirepass".to_string(), "FAKEpass1".to_string())]
        );
    }
}
