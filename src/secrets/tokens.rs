//! Token formats: finds literal secrets of known shapes (AWS keys, GitHub
//! tokens, PEM private keys, …) in any text, and judges whether a value
//! assigned to a secret-looking name is itself a secret.
//!
//! The formats live in `rules/token-formats.toml`. Every keyword of every
//! format is compiled into one case-insensitive [`aho_corasick::AhoCorasick`] automaton and
//! every regex is compiled once; a scan first runs the automaton over the
//! text and then only the regexes of formats whose keyword it saw, so a
//! text without any keyword costs one linear pass.
//!
//! Which text to scan (a RUN line, a heredoc body, an ENV value) and what a
//! match means for a finding are the rules' business. A [`TokenMatch`] only
//! carries a byte range: callers must show the secret through
//! [`super::redact`].

use std::collections::HashMap;
use std::ops::Range;
use std::sync::{Arc, LazyLock, OnceLock};

use regex::Regex;
use serde::Deserialize;

use super::keywords::Keywords;
use super::names::is_bare_variable_reference;
use super::{check_unique_ids, parse_builtin, parse_toml, SecretsError};

const BUILTIN_SOURCE_NAME: &str = "rules/token-formats.toml";
/// `rules/token-formats.toml`, converted to JSON by `build.rs`.
#[cfg(not(test))]
const BUILTIN_JSON: &str = include_str!(concat!(env!("OUT_DIR"), "/token-formats.runtime.json"));
/// With the examples the tests run (`build.rs`).
#[cfg(test)]
const BUILTIN_JSON: &str = include_str!(concat!(env!("OUT_DIR"), "/token-formats.json"));

/// One entry of `rules/token-formats.toml` (or of configuration).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenFormat {
    /// Stable kebab-case id.
    pub id: String,
    /// What the token is, in words a finding can show.
    pub description: String,
    /// The token's shape, in Rust `regex` syntax.
    pub regex: String,
    /// Literal strings (matched case-insensitively), one of which appears
    /// in every match; the regex runs only on texts that contain one.
    pub keywords: Vec<String>,
    /// Minimum Shannon entropy, in bits per character, of the secret part;
    /// matches below it are dropped.
    #[serde(default)]
    pub entropy: Option<f64>,
    /// The capture group that holds the secret; the whole match when absent.
    #[serde(default)]
    pub secret_group: Option<usize>,
    /// Texts in which this format must find a secret (run by the tests).
    #[serde(default)]
    pub true_examples: Vec<String>,
    /// Texts in which no format may find anything (run by the tests).
    #[serde(default)]
    pub false_examples: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TokenFormatList {
    #[serde(default)]
    #[cfg_attr(not(test), allow(dead_code))]
    non_token_examples: Vec<String>,
    format: Vec<TokenFormat>,
}

/// A secret found by [`TokenScanner::scan`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenMatch<'a> {
    /// The id of the format that matched.
    pub format_id: &'a str,
    /// The description of the format that matched.
    pub description: &'a str,
    /// Byte range of the secret within the scanned text (the format's
    /// `secret_group`, or the whole match).
    pub range: Range<usize>,
}

/// The compiled token formats with their keyword prefilter.
#[derive(Debug, Clone)]
pub struct TokenScanner {
    formats: Vec<TokenFormat>,
    /// `regexes[i]` is the compiled `formats[i].regex`. The builtin formats
    /// are compiled on first use (a scan only needs the formats whose
    /// keyword it saw, and compiling all of them would dominate the start-up
    /// of a one-file run); configured formats are compiled up front so a bad
    /// regex is a config error.
    regexes: Vec<OnceLock<Regex>>,
    /// All keywords of all formats.
    keywords: Arc<Keywords>,
    /// For each keyword pattern of `keywords`, the index of its format.
    keyword_owner: Vec<usize>,
}

static BUILTIN: LazyLock<Arc<TokenScanner>> = LazyLock::new(|| {
    Arc::new(
        TokenScanner::compile(builtin_list().format, false)
            .expect("rules/token-formats.toml is valid (checked by the unit tests)"),
    )
});

/// The builtin scanner, shared with [`super::Catalog::builtin`].
pub(crate) fn builtin_shared() -> Arc<TokenScanner> {
    Arc::clone(&BUILTIN)
}

/// Compiles a format's regex and checks its `secret_group`.
fn compile_regex(format: &TokenFormat) -> Result<Regex, SecretsError> {
    let pattern = ascii_word_boundaries(&format.regex);
    let regex = Regex::new(&pattern).map_err(|source| SecretsError::Regex {
        id: format.id.clone(),
        source: Box::new(source),
    })?;
    if let Some(group) = format.secret_group {
        if group >= regex.captures_len() {
            return Err(SecretsError::SecretGroup {
                id: format.id.clone(),
                group,
                group_count: regex.captures_len(),
            });
        }
    }
    Ok(regex)
}

/// `pattern` with every `\b` made an ASCII word boundary (`(?-u:\b)`):
/// tokens are ASCII, and a Unicode boundary would not see one written
/// right after a non-ASCII letter (`éghp_…`, where `é` is a word
/// character), which would then be printed.
fn ascii_word_boundaries(pattern: &str) -> String {
    let mut converted = String::with_capacity(pattern.len());
    let mut characters = pattern.chars();
    while let Some(character) = characters.next() {
        if character != '\\' {
            converted.push(character);
            continue;
        }
        match characters.next() {
            Some('b') => converted.push_str("(?-u:\\b)"),
            Some(next) => {
                converted.push('\\');
                converted.push(next);
            }
            None => converted.push('\\'),
        }
    }
    converted
}

fn builtin_list() -> TokenFormatList {
    parse_builtin(BUILTIN_SOURCE_NAME, BUILTIN_JSON)
        .expect("rules/token-formats.toml parses (checked by the unit tests)")
}

impl TokenScanner {
    /// The builtin formats from `rules/token-formats.toml`, compiled on first
    /// use.
    pub fn builtin() -> &'static TokenScanner {
        &BUILTIN
    }

    /// The builtin formats followed by `extra` formats (from configuration).
    /// Extra ids must not repeat a builtin id; on a tie between two matches
    /// of equal extent, the builtin format wins.
    pub fn with_extra(extra: &[TokenFormat]) -> Result<TokenScanner, SecretsError> {
        let mut formats = builtin_list().format;
        formats.extend_from_slice(extra);
        TokenScanner::compile(formats, true)
    }

    /// Parses a TOML document of the `rules/token-formats.toml` schema
    /// (`[[format]]` entries), for extra lists kept in files.
    pub fn parse_formats(source_name: &str, text: &str) -> Result<Vec<TokenFormat>, SecretsError> {
        Ok(parse_toml::<TokenFormatList>(source_name, text)?.format)
    }

    /// Checks the formats and builds the keyword automaton; with `eager`,
    /// compiles and checks every regex now, else on first use.
    fn compile(formats: Vec<TokenFormat>, eager: bool) -> Result<TokenScanner, SecretsError> {
        check_unique_ids(
            "token format",
            formats.iter().map(|format| format.id.as_str()),
        )?;
        let mut regexes = Vec::with_capacity(formats.len());
        let mut keyword_patterns = Vec::new();
        let mut keyword_owner = Vec::new();
        for (index, format) in formats.iter().enumerate() {
            validate(format)?;
            let slot = OnceLock::new();
            if eager {
                let regex = compile_regex(format)?;
                let _ = slot.set(regex);
            }
            regexes.push(slot);
            for keyword in &format.keywords {
                keyword_patterns.push(keyword.as_str());
                keyword_owner.push(index);
            }
        }
        let keywords = Keywords::new(
            keyword_patterns.into_iter().map(str::to_owned).collect(),
            "token format keywords",
        )?;
        Ok(TokenScanner {
            formats,
            regexes,
            keywords: Arc::new(keywords),
            keyword_owner,
        })
    }

    /// All formats, in priority order.
    pub fn formats(&self) -> &[TokenFormat] {
        &self.formats
    }

    /// Finds every secret of a known format in `text`: sorted by start,
    /// never overlapping (where two matches overlap, the one that starts
    /// first wins, then the longer one, then the format listed first).
    pub fn scan<'a>(&'a self, text: &str) -> Vec<TokenMatch<'a>> {
        let mut candidates: Vec<(Range<usize>, usize)> = Vec::new();
        for index in self.candidate_formats(text) {
            self.find_format(index, text, &mut candidates);
        }
        candidates.sort_by(|(left, left_format), (right, right_format)| {
            left.start
                .cmp(&right.start)
                .then(right.end.cmp(&left.end))
                .then(left_format.cmp(right_format))
        });
        let mut matches: Vec<TokenMatch<'a>> = Vec::with_capacity(candidates.len());
        for (range, index) in candidates {
            if matches
                .last()
                .is_some_and(|previous| range.start < previous.range.end)
            {
                continue;
            }
            let format = &self.formats[index];
            matches.push(TokenMatch {
                format_id: &format.id,
                description: &format.description,
                range,
            });
        }
        matches
    }

    /// Whether `text` holds a secret of any known format.
    pub fn contains_token(&self, text: &str) -> bool {
        self.candidate_formats(text).into_iter().any(|index| {
            let mut found = Vec::new();
            self.find_format(index, text, &mut found);
            !found.is_empty()
        })
    }

    /// Indices of the formats whose keyword occurs in `text`, ascending:
    /// the only formats whose regex a scan runs.
    pub(crate) fn candidate_formats(&self, text: &str) -> Vec<usize> {
        let mut seen = vec![false; self.formats.len()];
        let mut remaining = self.formats.len();
        self.keywords.any_overlapping(text, |keyword| {
            let owner = self.keyword_owner[keyword.pattern().as_usize()];
            if !seen[owner] {
                seen[owner] = true;
                remaining -= 1;
            }
            remaining == 0
        });
        seen.iter()
            .enumerate()
            .filter_map(|(index, &was_seen)| was_seen.then_some(index))
            .collect()
    }

    /// Appends the secret ranges of format `index` in `text` that pass its
    /// entropy floor.
    fn find_format(&self, index: usize, text: &str, found: &mut Vec<(Range<usize>, usize)>) {
        let format = &self.formats[index];
        let regex = self.regexes[index].get_or_init(|| {
            compile_regex(format)
                .expect("builtin token formats compile (checked by the unit tests)")
        });
        let mut push = |range: Range<usize>| {
            if range.is_empty() {
                return;
            }
            if let Some(floor) = format.entropy {
                if shannon_entropy(&text[range.clone()]) < floor {
                    return;
                }
            }
            found.push((range, index));
        };
        match format.secret_group {
            None | Some(0) => regex.find_iter(text).for_each(|found| push(found.range())),
            Some(group) => regex
                .captures_iter(text)
                .filter_map(|captures| captures.get(group))
                .for_each(|secret| push(secret.range())),
        }
    }
}

fn validate(format: &TokenFormat) -> Result<(), SecretsError> {
    let invalid = |problem: &str| SecretsError::InvalidEntry {
        list: "token format",
        id: format.id.clone(),
        problem: problem.to_owned(),
    };
    if format.id.trim().is_empty() {
        return Err(invalid(
            "the id is empty; give every format a kebab-case id",
        ));
    }
    if format.keywords.is_empty() || format.keywords.iter().any(String::is_empty) {
        return Err(invalid(
            "`keywords` must list at least one non-empty literal that every match \
             contains (it drives the fast prefilter)",
        ));
    }
    if format
        .entropy
        .is_some_and(|floor| !floor.is_finite() || floor < 0.0)
    {
        return Err(invalid(
            "`entropy` must be a non-negative number of bits per character",
        ));
    }
    Ok(())
}

/// Shannon entropy of `text` in bits per character (0 for an empty text).
///
/// A random string over an alphabet of `n` symbols tends to `log2(n)`:
/// about 4 for hex, 5.2 for alphanumerics, 6 for base64, given enough
/// length; a repeated character gives 0.
pub fn shannon_entropy(text: &str) -> f64 {
    let mut counts: HashMap<char, usize> = HashMap::new();
    let mut total = 0usize;
    for character in text.chars() {
        *counts.entry(character).or_default() += 1;
        total += 1;
    }
    if total == 0 {
        return 0.0;
    }
    let total = total as f64;
    counts
        .values()
        .map(|&count| {
            let probability = count as f64 / total;
            -probability * probability.log2()
        })
        .sum()
}

/// Values that stand in for a secret rather than being one (compared after
/// lower-casing and removing `-`, `_`, `.` and spaces).
const PLACEHOLDERS: &[&str] = &[
    "changeme",
    "changeit",
    "pass",
    "pwd",
    "token",
    "mypassword",
    "secret",
    "password",
    "passwd",
    "example",
    "placeholder",
    "dummy",
    "redacted",
    "replaceme",
    "todo",
    "tbd",
    "none",
    "null",
    "nil",
    "undefined",
    "notset",
    "unset",
    "default",
    "empty",
    "xxx",
    "fixme",
];

/// Whether `value`, assigned to a secret-looking name, looks like a real
/// secret rather than a reference, a setting or a placeholder (the
/// "high-entropy value" half of DLK005).
///
/// The heuristic, in order (surrounding whitespace and one pair of matching
/// quotes are ignored):
/// 1. Not a secret: shorter than 8 characters; containing whitespace (a
///    sentence or a list); containing a variable reference (`$X`, `${X}`);
///    a path (`/…`, `./…`, `../…`, `~/…`); an e-mail address; a number,
///    date or version (`1.2.3`, `v2.0.1-rc1`, `2024-01-01`).
/// 2. A URL (`scheme://…`) is a secret only when it carries a password
///    (`https://user:pass@host`); the rule for credentials in URLs is
///    DLK007, this only keeps such values from being called harmless.
/// 3. Not a secret: a placeholder (`changeme`, `password`, `example`,
///    `<your-token>`, `{{ token }}`, `your_api_key_here`, one repeated
///    character such as `xxxxxxxx`), or plain words: letters only, each
///    word in one case or capitalised, joined by `-`, `_` or `.`
///    (`postgres`, `my-app-name`, `Production`), also followed by a number
///    or version (`python3.11`, `release1`, `admin123`).
/// 4. Otherwise a secret when it mixes at least three character classes
///    (lower case, upper case, digits, symbols), or has an entropy of at
///    least 3.0 bits per character, or mixes two classes with at least 2.5.
///
/// So `s3cr3tP4ssw0rd!` is a secret; `changeme`, `secret`, `1.2.3`,
/// `/etc/foo` and `${TOKEN}` are not. Weak but real passwords made of a
/// word and a number (`admin123`) are not high-entropy and are not caught
/// here; the name rules (DLK003, DLK004) still report the variable.
pub fn looks_like_secret_value(value: &str) -> bool {
    looks_like_secret(value, true)
}

/// [`looks_like_secret_value`] for a value the caller knows is literal
/// (already expanded, with no variable reference left): a `$` in it is
/// one of its characters (`ARG API_TOKEN=Zr4\$Wq…` is `Zr4$Wq…`), not a
/// reference.
pub fn looks_like_secret_literal(value: &str) -> bool {
    looks_like_secret(value, false)
}

fn looks_like_secret(value: &str, may_hold_references: bool) -> bool {
    let trimmed = value.trim();
    let value = ['"', '\'']
        .iter()
        .find_map(|&quote| trimmed.strip_prefix(quote)?.strip_suffix(quote))
        .unwrap_or(trimmed)
        .trim();
    if value.chars().count() < 8 || value.chars().any(char::is_whitespace) {
        return false;
    }
    if may_hold_references && contains_variable_reference(value) {
        return false;
    }
    if let Some((_, rest)) = value.split_once("://") {
        return url_has_password(rest);
    }
    if is_path(value) || is_email(value) || is_number_or_version(value) {
        return false;
    }
    if is_placeholder(value) || is_plain_words(value) || is_word_with_version(value) {
        return false;
    }
    let classes = character_classes(value);
    let entropy = shannon_entropy(value);
    classes >= 3 || entropy >= 3.0 || (classes >= 2 && entropy >= 2.5)
}

fn contains_variable_reference(value: &str) -> bool {
    if is_bare_variable_reference(value) {
        return true;
    }
    value.match_indices('$').any(|(index, _)| {
        value[index + 1..]
            .chars()
            .next()
            .is_some_and(|next| next == '{' || next == '_' || next.is_ascii_alphabetic())
    })
}

/// `user:password@` in the authority of the part of a URL after `://`.
fn url_has_password(after_scheme: &str) -> bool {
    let authority = after_scheme
        .split(['/', '?', '#'])
        .next()
        .unwrap_or_default();
    let Some((credentials, _host)) = authority.rsplit_once('@') else {
        return false;
    };
    credentials
        .split_once(':')
        .is_some_and(|(_user, password)| !password.is_empty())
}

fn is_path(value: &str) -> bool {
    ["/", "./", "../", "~/"]
        .iter()
        .any(|prefix| value.starts_with(prefix))
}

fn is_email(value: &str) -> bool {
    let Some((local, domain)) = value.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && !domain.contains('@')
        && domain.contains('.')
        && !local.contains(':')
        && domain.chars().all(|character| {
            character.is_ascii_alphanumeric() || character == '.' || character == '-'
        })
}

/// Digits with `.`, `-`, `+`, `:` or `_` between them, optionally a leading
/// `v` and a trailing pre-release word: `1.2.3`, `v2.0.1-rc1`, `2024-01-01`.
fn is_number_or_version(value: &str) -> bool {
    let version = value
        .strip_prefix('v')
        .or_else(|| value.strip_prefix('V'))
        .unwrap_or(value);
    let (core, pre_release) = match version.split_once(['-', '+']) {
        Some((core, rest)) if core.contains('.') => (core, rest),
        _ => (version, ""),
    };
    let core_is_numeric = core.starts_with(|character: char| character.is_ascii_digit())
        && core
            .chars()
            .all(|character| character.is_ascii_digit() || ".-+:_".contains(character));
    let pre_release_is_short = pre_release.len() <= 12
        && pre_release
            .chars()
            .all(|character| character.is_ascii_alphanumeric() || character == '.');
    core_is_numeric && pre_release_is_short
}

/// Whether `value` stands in for a secret rather than being one: empty,
/// wrapped (`<token>`, `{{ .Token }}`, `[key]`, `%PASS%`, `__X__`), one
/// repeated character (`xxxx`, `****`), or a placeholder word (`changeme`,
/// `password`, `your-token-here`, …). The one list every rule uses.
pub fn is_placeholder(value: &str) -> bool {
    let wrapped = [
        ("<", ">"),
        ("{{", "}}"),
        ("[", "]"),
        ("%", "%"),
        ("__", "__"),
    ]
    .iter()
    .any(|(open, close)| value.starts_with(open) && value.ends_with(close));
    if wrapped {
        return true;
    }
    let mut characters = value.chars();
    if let Some(first) = characters.next() {
        if characters.all(|character| character == first) {
            return true;
        }
    }
    let normalized: String = value
        .chars()
        .filter(|character| !matches!(character, '-' | '_' | '.' | ' '))
        .flat_map(char::to_lowercase)
        .collect();
    PLACEHOLDERS.contains(&normalized.as_str())
        || normalized.starts_with("your")
        || normalized.ends_with("here")
        || normalized.contains("changeme")
        || normalized.contains("replaceme")
        || normalized.contains("example")
        || normalized
            .chars()
            .all(|character| character == 'x' || character == '*')
}

/// Letters only, each word lower-case, upper-case or capitalised, joined by
/// `-`, `_` or `.`.
pub(crate) fn is_plain_words(value: &str) -> bool {
    value.split(['-', '_', '.']).all(|word| {
        let mut characters = word.chars();
        let Some(first) = characters.next() else {
            return true;
        };
        let rest: Vec<char> = characters.collect();
        first.is_alphabetic()
            && rest.iter().all(|character| character.is_alphabetic())
            && (rest.iter().all(|character| character.is_lowercase())
                || (first.is_uppercase() && rest.iter().all(|character| character.is_uppercase())))
    })
}

/// A plain word followed by a short number or version (at most 8
/// characters): `python3.11`, `node-18`, `release1`, `admin123`.
fn is_word_with_version(value: &str) -> bool {
    let Some(digit_start) = value.find(|character: char| character.is_ascii_digit()) else {
        return false;
    };
    let word = value[..digit_start].trim_end_matches(['-', '_', 'v']);
    let version = &value[digit_start..];
    !word.is_empty()
        && is_plain_words(word)
        && version.len() <= 8
        && version
            .chars()
            .all(|character| character.is_ascii_digit() || character == '.')
}

/// How many of lower case, upper case, digits and other characters occur.
fn character_classes(value: &str) -> usize {
    let has_lowercase = value.chars().any(char::is_lowercase);
    let has_uppercase = value.chars().any(char::is_uppercase);
    let has_digit = value.chars().any(|character| character.is_ascii_digit());
    let has_symbol = value.chars().any(|character| !character.is_alphanumeric());
    [has_lowercase, has_uppercase, has_digit, has_symbol]
        .iter()
        .filter(|&&present| present)
        .count()
}

#[cfg(test)]
mod tests {

    /// The linter's copy of the list (`build.rs`) is the tests' copy
    /// without the examples.
    #[test]
    fn the_runtime_list_is_the_list_without_its_examples() {
        let runtime: super::TokenFormatList = crate::secrets::parse_builtin(
            super::BUILTIN_SOURCE_NAME,
            include_str!(concat!(env!("OUT_DIR"), "/token-formats.runtime.json")),
        )
        .expect("the runtime list parses");
        let mut full = super::builtin_list();
        assert!(!full.non_token_examples.is_empty());
        assert!(runtime.non_token_examples.is_empty());
        for format in &mut full.format {
            assert!(!format.true_examples.is_empty());
            format.true_examples.clear();
            format.false_examples.clear();
        }
        assert_eq!(runtime.format, full.format);
    }

    #[test]
    fn tokens_next_to_non_ascii_letters_are_found() {
        let scanner = super::TokenScanner::builtin();
        let text = "LABEL note=éghp_FAKE0123456789abcdefFAKE0123456789abé";
        let found = scanner.scan(text);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(
            &text[found[0].range.clone()],
            "ghp_FAKE0123456789abcdefFAKE0123456789ab"
        );
        assert!(scanner
            .scan("xghp_FAKE0123456789abcdefFAKE0123456789ab")
            .is_empty());
    }

    #[test]
    fn a_literal_dollar_does_not_make_a_value_a_reference() {
        assert!(!super::looks_like_secret_value("Zr4$WqFAKE9x!"));
        assert!(super::looks_like_secret_literal("Zr4$WqFAKE9x!"));
    }

    #[test]
    fn every_builtin_regex_compiles() {
        for format in builtin_list().format {
            assert!(
                compile_regex(&format).is_ok(),
                "{} does not compile",
                format.id
            );
        }
    }

    use super::*;
    use crate::secrets::keywords::DFA_AFTER_BYTES;
    use aho_corasick::AhoCorasick;

    fn scanner() -> &'static TokenScanner {
        TokenScanner::builtin()
    }

    fn ids(text: &str) -> Vec<&'static str> {
        scanner()
            .scan(text)
            .iter()
            .map(|found| found.format_id)
            .collect()
    }

    /// Marks that make an example obviously made up.
    const FAKE_MARKS: [&str; 4] = ["fake", "example", "0123456789", "deadbeef"];

    #[test]
    fn the_keyword_dfa_finds_what_the_prefix_index_finds() {
        let keywords = &scanner().keywords;
        let dfa = keywords.build_dfa().expect("a DFA builds");
        let matches = |automaton: &AhoCorasick, text: &str| -> Vec<(usize, usize, usize)> {
            let mut found: Vec<_> = automaton
                .find_overlapping_iter(text)
                .map(|found| (found.start(), found.end(), found.pattern().as_usize()))
                .collect();
            found.sort_unstable();
            found
        };
        let keywords_matches = |keywords: &Keywords, text: &str| -> Vec<(usize, usize, usize)> {
            keywords.index.occurrences(text.as_bytes())
        };
        let mut texts: Vec<String> = scanner()
            .formats()
            .iter()
            .flat_map(|format| format.true_examples.iter().chain(&format.false_examples))
            .cloned()
            .collect();
        texts.push(texts.concat().to_uppercase());
        for text in &texts {
            // The index scans the text lower-cased, the DFA as it is.
            let lowered = text.to_ascii_lowercase();
            assert_eq!(
                keywords_matches(keywords, &lowered),
                matches(&dfa, text),
                "{text}"
            );
        }
        // Past the threshold a scan switches to the DFA, with the same result.
        let long = texts
            .concat()
            .repeat(DFA_AFTER_BYTES / texts.concat().len() + 2);
        let ranges = |text: &str| -> Vec<Range<usize>> {
            scanner()
                .scan(text)
                .into_iter()
                .map(|found| found.range)
                .collect()
        };
        let first = ranges(&long);
        let second = ranges(&long);
        assert!(keywords.dfa.get().is_some_and(Option::is_some));
        assert_eq!(first, second);
    }

    #[test]
    fn every_format_has_keywords_and_examples() {
        for format in scanner().formats() {
            assert!(!format.keywords.is_empty(), "{} has no keyword", format.id);
            assert!(
                !format.true_examples.is_empty(),
                "{} has no true example",
                format.id
            );
            assert!(
                !format.false_examples.is_empty(),
                "{} has no false example",
                format.id
            );
        }
    }

    #[test]
    fn every_true_example_is_found_by_its_format() {
        let mut failures = Vec::new();
        for format in scanner().formats() {
            for example in &format.true_examples {
                let found = ids(example);
                if !found.contains(&format.id.as_str()) {
                    failures.push(format!(
                        "{}: not found in {example:?} (found {found:?})",
                        format.id
                    ));
                }
            }
        }
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    }

    #[test]
    fn every_false_example_matches_no_format() {
        let list = builtin_list();
        let mut failures = Vec::new();
        let examples = list
            .format
            .iter()
            .flat_map(|format| {
                format
                    .false_examples
                    .iter()
                    .map(move |example| (format.id.as_str(), example))
            })
            .chain(
                list.non_token_examples
                    .iter()
                    .map(|example| ("non_token_examples", example)),
            );
        for (id, example) in examples {
            let found = ids(example);
            if !found.is_empty() {
                failures.push(format!("{id}: false example {example:?} matched {found:?}"));
            }
        }
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    }

    #[test]
    fn no_example_is_a_real_credential() {
        let mut failures = Vec::new();
        for format in scanner().formats() {
            for example in &format.true_examples {
                for found in scanner().scan(example) {
                    let secret = example[found.range.clone()].to_lowercase();
                    if !FAKE_MARKS.iter().any(|mark| secret.contains(mark)) {
                        failures.push(format!(
                            "{}: {:?} has none of the marks {FAKE_MARKS:?}",
                            format.id,
                            super::super::redact(&secret)
                        ));
                    }
                }
            }
        }
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    }

    #[test]
    fn every_format_required_by_the_spec_exists() {
        let required = [
            "aws-access-key-id",
            "aws-secret-access-key",
            "github-token",
            "github-fine-grained-token",
            "gitlab-token",
            "slack-token",
            "slack-webhook",
            "stripe-secret-key",
            "npm-token",
            "pypi-token",
            "dockerhub-token",
            "google-api-key",
            "gcp-service-account-key",
            "azure-storage-account-key",
            "twilio-api-key",
            "sendgrid-api-key",
            "openai-api-key",
            "anthropic-api-key",
            "huggingface-token",
            "private-key-block",
            "jwt",
        ];
        let present: Vec<&str> = scanner()
            .formats()
            .iter()
            .map(|format| format.id.as_str())
            .collect();
        for id in required {
            assert!(present.contains(&id), "missing format {id}");
        }
    }

    #[test]
    fn secret_group_is_the_reported_range() {
        let text = "ENV AWS_SECRET_ACCESS_KEY=FAKEfake0123456789/+FAKEfake0123456789/+ \\";
        let found = scanner().scan(text);
        assert_eq!(found.len(), 1);
        assert_eq!(
            &text[found[0].range.clone()],
            "FAKEfake0123456789/+FAKEfake0123456789/+"
        );
    }

    #[test]
    fn matches_are_sorted_and_do_not_overlap() {
        let text = "A=ghp_FAKE0123456789abcdefFAKE0123456789ab B=AKIAFAKE0123456789AB \
                    C=sk-ant-api03-FAKE0123456789abcdef-_FAKE0123456789abcdef";
        let found = scanner().scan(text);
        let ids: Vec<&str> = found.iter().map(|found| found.format_id).collect();
        assert_eq!(
            ids,
            ["github-token", "aws-access-key-id", "anthropic-api-key"]
        );
        assert!(found
            .windows(2)
            .all(|pair| pair[0].range.end <= pair[1].range.start));
    }

    #[test]
    fn a_service_account_key_is_reported_once() {
        let format = scanner()
            .formats()
            .iter()
            .find(|format| format.id == "gcp-service-account-key")
            .expect("format exists");
        let found = scanner().scan(&format.true_examples[0]);
        let ids: Vec<&str> = found.iter().map(|found| found.format_id).collect();
        assert_eq!(ids, ["gcp-service-account-key"]);
    }

    #[test]
    fn prefilter_skips_every_regex_on_text_without_keywords() {
        let text = "RUN apt-get update && apt-get install -y curl ca-certificates\n".repeat(20_000);
        assert!(scanner().candidate_formats(&text).is_empty());
        assert!(scanner().scan(&text).is_empty());
        let with_keyword = format!("{text}ENV T=ghp_FAKE0123456789abcdefFAKE0123456789ab\n");
        let candidates = scanner().candidate_formats(&with_keyword);
        assert!(candidates
            .iter()
            .any(|&index| scanner().formats()[index].id == "github-token"));
        assert_eq!(ids(&with_keyword), ["github-token"]);
    }

    #[test]
    fn keywords_are_case_insensitive() {
        let candidates = scanner().candidate_formats("GHP_ glpat- pRiVaTe KeY");
        let ids: Vec<&str> = candidates
            .iter()
            .map(|&index| scanner().formats()[index].id.as_str())
            .collect();
        assert!(ids.contains(&"github-token"));
        assert!(ids.contains(&"gitlab-token"));
        assert!(ids.contains(&"private-key-block"));
    }

    #[test]
    fn contains_token_agrees_with_scan() {
        assert!(scanner().contains_token("x=npm_FAKE0123456789abcdefFAKE0123456789ab"));
        assert!(!scanner().contains_token("npm ci && npm run build"));
    }

    #[test]
    fn extra_formats_are_validated() {
        let format = |regex: &str, keywords: &[&str], group: Option<usize>| TokenFormat {
            id: "acme".into(),
            description: "ACME token".into(),
            regex: regex.into(),
            keywords: keywords.iter().map(|keyword| keyword.to_string()).collect(),
            entropy: None,
            secret_group: group,
            true_examples: vec![],
            false_examples: vec![],
        };
        let bad_regex =
            TokenScanner::with_extra(&[format("acme_(", &["acme_"], None)]).expect_err("bad regex");
        assert!(bad_regex.to_string().contains("`acme`"), "{bad_regex}");
        assert!(TokenScanner::with_extra(&[format("acme_x", &[], None)]).is_err());
        let bad_group = TokenScanner::with_extra(&[format("acme_(x)", &["acme_"], Some(2))])
            .expect_err("bad group");
        assert!(
            bad_group.to_string().contains("secret_group 2"),
            "{bad_group}"
        );
        let mut duplicate = format("acme_x", &["acme_"], None);
        duplicate.id = "jwt".into();
        assert!(TokenScanner::with_extra(&[duplicate]).is_err());
        let parsed = TokenScanner::parse_formats(
            "config",
            r#"
            [[format]]
            id = "acme"
            description = "ACME token"
            regex = '\bacme_[0-9a-f]{8}\b'
            keywords = ["acme_"]
            "#,
        )
        .expect("valid");
        let scanner = TokenScanner::with_extra(&parsed).expect("compiles");
        let found = scanner.scan("token acme_deadbeef");
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].format_id, "acme");
        assert_eq!(found[0].range, 6..19);
    }

    #[test]
    fn entropy_of_known_strings() {
        assert_eq!(shannon_entropy(""), 0.0);
        assert_eq!(shannon_entropy("aaaa"), 0.0);
        assert!((shannon_entropy("ab") - 1.0).abs() < 1e-9);
        assert!((shannon_entropy("0123456789abcdef") - 4.0).abs() < 1e-9);
    }

    #[test]
    fn secret_looking_values() {
        for value in [
            "s3cr3tP4ssw0rd!",
            "FAKE0123456789abcdef",
            "\"F4ke-S3cret!\"",
            "0123deadbeef",
            "https://fake:FAKEpass@registry.example.com/simple",
            "xKqTzWbRvNmP",
            "fake_0123456789",
            "Passw0rd",
            "MyFake123",
            "FAKE0123456789",
        ] {
            assert!(
                looks_like_secret_value(value),
                "{value:?} should look secret"
            );
        }
    }

    #[test]
    fn values_that_are_not_secrets() {
        for value in [
            "changeme",
            "CHANGE_ME",
            "secret",
            "password",
            "example",
            "<your-token>",
            "{{ api_token }}",
            "your_api_key_here",
            "xxxxxxxxxx",
            "********",
            "1.2.3",
            "v2.0.1-rc1",
            "2024-01-01",
            "12345678",
            "/etc/foo",
            "./config/app.yml",
            "${TOKEN}",
            "$TOKEN",
            "prefix-${TOKEN}",
            "postgres",
            "my-app-name",
            "Production",
            "https://registry.example.com/simple",
            "fake.user@example.com",
            "short",
            "two words here",
            "",
            "python3.11",
            "node-18",
            "release1",
            "admin123",
        ] {
            assert!(
                !looks_like_secret_value(value),
                "{value:?} should not look secret"
            );
        }
    }
}
