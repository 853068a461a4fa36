//! Secret-looking variable names: decides whether an ARG, ENV or LABEL key
//! such as `NPM_TOKEN` names a secret, and whether a value is harmless
//! whatever the name.
//!
//! The word lists live in `rules/secret-names.toml`; this module holds the
//! logic, which the header of that file describes in full. In short, a name
//! is split into whole-word parts (`_`, `-`, `.`, camelCase, known glued
//! words such as `PGPASSWORD`), and it is secret when a part is a secret
//! word in the right position, unless the name is about public material
//! (`GPG_KEY`, `SSH_PUBLIC_KEY`) or its last part names a role rather than
//! the secret itself (`PASSWORD_FILE`, `TOKEN_URL`, `KEY_ID`).
//!
//! Compared with BuildKit's `SecretsUsedInArgOrEnv` (only `_` splits parts,
//! any `key` part is secret), this finds `DB_PASS`, `JENKINS_PSW`,
//! `GITHUB_PAT`, `myApiKey` and `API-KEY`, and stays silent on `GPG_KEY`,
//! `KMS_KEY_ALIAS`, `AUTH_MODE`, `KEY_NAME`, `CREDENTIAL_MANAGER` and
//! `PASSWORD_PROMPT_STRING`.
//!
//! The verdict is about the name only: what the value is, which stage the
//! variable reaches and how severe that is belong to the rules.

use super::answers::{self, Answers};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;
use std::sync::{Arc, LazyLock, OnceLock};

use globset::{GlobBuilder, GlobSet, GlobSetBuilder};
use serde::Deserialize;

use super::{parse_builtin, SecretsError};

const BUILTIN_SOURCE_NAME: &str = "rules/secret-names.toml";
/// `rules/secret-names.toml`, converted to JSON by `build.rs`.
#[cfg(not(test))]
const BUILTIN_JSON: &str = include_str!(concat!(env!("OUT_DIR"), "/secret-names.runtime.json"));
/// With the examples the tests run (`build.rs`).
#[cfg(test)]
const BUILTIN_JSON: &str = include_str!(concat!(env!("OUT_DIR"), "/secret-names.json"));

/// Why a name is, or is not, considered secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NameVerdict {
    /// The name looks like it holds a secret.
    Secret {
        /// The secret word or phrase that decided it (`token`, `api key`,
        /// `access key id`), or the configured pattern or exact name.
        word: String,
    },
    /// The name does not look like it holds a secret.
    NotSecret {
        /// Why not.
        reason: NotSecretReason,
    },
}

impl NameVerdict {
    /// Whether the verdict is [`NameVerdict::Secret`].
    pub fn is_secret(&self) -> bool {
        matches!(self, NameVerdict::Secret { .. })
    }
}

/// Why a name is not considered secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotSecretReason {
    /// No part of the name is a secret word (`NODE_VERSION`, `GOPRIVATE`,
    /// `KEY` without a qualifier).
    NoSecretWord,
    /// The last part names a role, not the secret (`PASSWORD_FILE` → `file`).
    Role {
        /// The role word.
        word: String,
    },
    /// A part names public material (`SSH_PUBLIC_KEY` → `public`).
    PublicMaterial {
        /// The public word.
        word: String,
    },
    /// The qualifier in front of a secret word makes it public or only an
    /// identifier (`GPG_KEY` → `gpg key`, `CACHE_KEY`).
    NonSecretQualifier {
        /// The qualifier and the word it qualifies (`gpg key`).
        phrase: String,
    },
    /// The exact name is listed as not secret (`PWD`,
    /// `GOOGLE_APPLICATION_CREDENTIALS`).
    KnownName,
    /// Configuration allows this name.
    AllowedByConfig {
        /// The configured name or glob that matched.
        pattern: String,
    },
}

impl fmt::Display for NameVerdict {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NameVerdict::Secret { word } => write!(formatter, "looks like a secret (`{word}`)"),
            NameVerdict::NotSecret { reason } => write!(formatter, "not a secret: {reason}"),
        }
    }
}

impl fmt::Display for NotSecretReason {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NotSecretReason::NoSecretWord => write!(formatter, "no secret word in the name"),
            NotSecretReason::Role { word } => {
                write!(formatter, "it names the {word} of a secret, not the secret")
            }
            NotSecretReason::PublicMaterial { word } => {
                write!(formatter, "`{word}` names public material")
            }
            NotSecretReason::NonSecretQualifier { phrase } => {
                write!(formatter, "a `{phrase}` is public or only an identifier")
            }
            NotSecretReason::KnownName => {
                write!(formatter, "a well-known name that is not a secret")
            }
            NotSecretReason::AllowedByConfig { pattern } => {
                write!(formatter, "allowed by configuration (`{pattern}`)")
            }
        }
    }
}

/// The schema of `rules/secret-names.toml`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct NameData {
    secret_names: Vec<String>,
    not_secret_names: Vec<String>,
    anywhere: Vec<String>,
    last: Vec<String>,
    public_words: Vec<String>,
    secret_endings: Vec<String>,
    role_words: Vec<String>,
    ignorable_suffixes: Vec<String>,
    glued_suffixes: Vec<String>,
    qualified: Vec<QualifiedWordData>,
    compounds: BTreeMap<String, Vec<String>>,
    #[serde(default)]
    measure_words: Vec<String>,
    #[serde(default)]
    convention_names: Vec<String>,
    /// (Only in the tests' copy of the list: `build.rs`.)
    #[cfg_attr(not(test), allow(dead_code))]
    #[serde(default)]
    examples: NameExamples,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct QualifiedWordData {
    words: Vec<String>,
    #[serde(default)]
    secret_qualifiers: Vec<String>,
    #[serde(default)]
    non_secret_qualifiers: Vec<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(not(test), allow(dead_code))]
struct NameExamples {
    secret: Vec<String>,
    not_secret: Vec<String>,
}

/// A word that is secret only as the last part, right after a qualifier.
#[derive(Debug, Clone)]
struct QualifiedWord {
    /// When not empty, the qualifier must be one of these.
    secret_qualifiers: HashSet<String>,
    /// The qualifier must not be one of these.
    non_secret_qualifiers: HashSet<String>,
}

/// Globs from configuration, compiled once, with the text of each glob for
/// explanations.
#[derive(Debug, Clone)]
struct NamePatterns {
    set: GlobSet,
    patterns: Vec<String>,
}

impl NamePatterns {
    fn compile(patterns: &[String]) -> Result<Option<NamePatterns>, SecretsError> {
        if patterns.is_empty() {
            return Ok(None);
        }
        let mut builder = GlobSetBuilder::new();
        for pattern in patterns {
            let glob = GlobBuilder::new(pattern)
                .case_insensitive(true)
                .build()
                .map_err(|source| SecretsError::NameGlob {
                    pattern: pattern.clone(),
                    source: Box::new(source),
                })?;
            builder.add(glob);
        }
        let set = builder.build().map_err(|source| SecretsError::NameGlob {
            pattern: patterns.join(", "),
            source: Box::new(source),
        })?;
        Ok(Some(NamePatterns {
            set,
            patterns: patterns.to_vec(),
        }))
    }

    /// The first configured pattern that matches `name`.
    fn first_match(&self, name: &str) -> Option<&str> {
        self.set
            .matches(name)
            .into_iter()
            .min()
            .map(|index| self.patterns[index].as_str())
    }
}

/// The secret-name classifier: builtin word lists plus configured names.
#[derive(Debug, Clone)]
pub struct SecretNames {
    /// Parts that make a name count or time something (`MAX_TOKENS`,
    /// `TOKEN_EXPIRY_SECONDS`): with a number, duration or boolean value it
    /// is a setting, not a secret.
    measure_words: HashSet<String>,
    secret_names: HashSet<String>,
    not_secret_names: HashSet<String>,
    anywhere: HashSet<String>,
    last: HashSet<String>,
    qualified: HashMap<String, QualifiedWord>,
    public_words: HashSet<String>,
    secret_endings: Vec<Vec<String>>,
    role_words: HashSet<String>,
    ignorable_suffixes: HashSet<String>,
    glued_suffixes: Vec<String>,
    compounds: HashMap<String, Vec<String>>,
    extra_secret_names: Option<NamePatterns>,
    allowed_names: Option<NamePatterns>,
    /// `convention_names`, compiled the first time a name could match one
    /// (see [`might_be_convention_name`]): most runs never need the regex.
    convention_names: Vec<String>,
    convention_patterns: Arc<OnceLock<Option<NamePatterns>>>,
    /// Names this classifier's verdicts are cached under (a clone shares
    /// them: same data, same verdicts); see [`SecretNames::classify`].
    cache_id: u64,
}

thread_local! {
    /// Verdicts by classifier and name: a run asks about the same names
    /// (`PATH`, `HOME`, `NODE_VERSION`, `GPG_KEY`) in file after file, and
    /// each question split, lower-cased and looked the name up again.
    static VERDICTS: std::cell::RefCell<Answers<NameVerdict>> =
        std::cell::RefCell::new(Answers::default());
}

/// A cheap test before the `convention_names` globs: only names that
/// start like Bundler's or npm's config variables or end in `pass`/`pw`.
fn might_be_convention_name(lowercase: &str) -> bool {
    lowercase.starts_with("bundle_") && lowercase.contains("__")
        || lowercase.starts_with("npm_config_")
        || lowercase.ends_with("pass")
        || lowercase.ends_with("pw")
}

static BUILTIN: LazyLock<Arc<SecretNames>> =
    LazyLock::new(|| Arc::new(SecretNames::from_data(builtin_data(), None, None)));

/// The builtin classifier, shared with [`super::Catalog::builtin`].
pub(crate) fn builtin_shared() -> Arc<SecretNames> {
    Arc::clone(&BUILTIN)
}

fn builtin_data() -> NameData {
    parse_builtin(BUILTIN_SOURCE_NAME, BUILTIN_JSON)
        .expect("rules/secret-names.toml parses (checked by the unit tests)")
}

fn lowercase_set(words: &[String]) -> HashSet<String> {
    words.iter().map(|word| word.to_lowercase()).collect()
}

impl SecretNames {
    /// The builtin classifier from `rules/secret-names.toml`, built on first
    /// use.
    pub fn builtin() -> &'static SecretNames {
        &BUILTIN
    }

    /// The builtin classifier with names from configuration.
    ///
    /// Both lists hold exact names or globs (`*_SESAME`), matched
    /// case-insensitively against the whole name. `allowed_names` win over
    /// everything (a name listed there is never secret); `extra_secret_names`
    /// win over the builtin lists.
    pub fn with_extra(
        extra_secret_names: &[String],
        allowed_names: &[String],
    ) -> Result<SecretNames, SecretsError> {
        Ok(SecretNames::from_data(
            builtin_data(),
            NamePatterns::compile(extra_secret_names)?,
            NamePatterns::compile(allowed_names)?,
        ))
    }

    fn from_data(
        data: NameData,
        extra_secret_names: Option<NamePatterns>,
        allowed_names: Option<NamePatterns>,
    ) -> SecretNames {
        let mut qualified = HashMap::new();
        for entry in &data.qualified {
            let word = QualifiedWord {
                secret_qualifiers: lowercase_set(&entry.secret_qualifiers),
                non_secret_qualifiers: lowercase_set(&entry.non_secret_qualifiers),
            };
            for name in &entry.words {
                qualified.insert(name.to_lowercase(), word.clone());
            }
        }
        SecretNames {
            measure_words: lowercase_set(&data.measure_words),
            secret_names: lowercase_set(&data.secret_names),
            not_secret_names: lowercase_set(&data.not_secret_names),
            anywhere: lowercase_set(&data.anywhere),
            last: lowercase_set(&data.last),
            qualified,
            public_words: lowercase_set(&data.public_words),
            secret_endings: data
                .secret_endings
                .iter()
                .map(|ending| split_parts(ending))
                .collect(),
            role_words: lowercase_set(&data.role_words),
            ignorable_suffixes: lowercase_set(&data.ignorable_suffixes),
            glued_suffixes: data
                .glued_suffixes
                .iter()
                .map(|suffix| suffix.to_lowercase())
                .collect(),
            compounds: data
                .compounds
                .into_iter()
                .map(|(word, parts)| {
                    let parts = parts.iter().map(|part| part.to_lowercase()).collect();
                    (word.to_lowercase(), parts)
                })
                .collect(),
            extra_secret_names,
            allowed_names,
            convention_names: data.convention_names,
            convention_patterns: Arc::new(OnceLock::new()),
            cache_id: answers::next_id(),
        }
    }

    /// The `convention_names` glob that matches `name` (lower-cased).
    fn convention_match(&self, lowercase: &str) -> Option<&str> {
        if !might_be_convention_name(lowercase) {
            return None;
        }
        self.convention_patterns
            .get_or_init(|| {
                NamePatterns::compile(&self.convention_names)
                    .expect("rules/secret-names.toml convention_names are valid globs (checked by the unit tests)")
            })
            .as_ref()?
            .first_match(lowercase)
    }

    /// Whether `name` looks like it holds a secret.
    pub fn is_secret(&self, name: &str) -> bool {
        self.with_verdict(name, NameVerdict::is_secret)
    }

    /// Whether `name` set to `value` (as known; `None` when it is not) is
    /// a secret: a secret-looking name, unless the name counts or times
    /// something (a part in `measure_words`: `MAX_TOKENS`, `NUM_TOKENS`,
    /// `PASSWORD_HASH_ROUNDS`, `SECRET_ROTATION_DAYS`) and the value is a
    /// number, a duration or a boolean (`4096`, `30s`, `1h30m`, `true`).
    /// An index URL setting (`PIP_INDEX_URL`, `PIP_EXTRA_INDEX_URL`,
    /// `UV_INDEX_URL`, `*_INDEX_URL`) is a secret when its value carries
    /// `user:password@`.
    pub fn is_secret_setting(&self, name: &str, value: Option<&str>) -> bool {
        if value.is_some_and(has_url_password) && name.to_ascii_lowercase().ends_with("index_url") {
            return true;
        }
        self.is_secret(name) && !value.is_some_and(|value| self.is_measure_setting(name, value))
    }

    /// `name` counts or times something and `value` is a number, a
    /// duration or a boolean.
    pub fn is_measure_setting(&self, name: &str, value: &str) -> bool {
        is_measure_value(value)
            && self
                .parts(name)
                .iter()
                .any(|part| self.measure_words.contains(part))
    }

    /// The verdict on `name`, with the word or reason that decided it.
    /// Verdicts are cached per thread: each distinct name is classified
    /// once per run and thread.
    pub fn classify(&self, name: &str) -> NameVerdict {
        self.with_verdict(name, NameVerdict::clone)
    }

    /// `read` applied to the (cached) verdict on `name`: a question about
    /// it clones nothing.
    fn with_verdict<T>(&self, name: &str, read: impl Fn(&NameVerdict) -> T) -> T {
        answers::with_answer(
            &VERDICTS,
            self.cache_id,
            name,
            || self.classify_uncached(name),
            read,
        )
    }

    /// Whether the configuration adds secret names (then
    /// [`Self::name_literals`] is `None`).
    pub(crate) fn has_extra_secret_names(&self) -> bool {
        self.extra_secret_names.is_some()
    }

    /// Literals one of which every secret-looking name holds (ASCII case
    /// aside): the secret words, the names always secret, the literal
    /// pieces of the convention globs and of the secret endings. `None`
    /// when the configuration adds secret names (any text may be one).
    /// The shell prefilter reads a RUN that writes a file and holds one.
    pub(crate) fn name_literals(&self) -> Option<Vec<String>> {
        if self.extra_secret_names.is_some() {
            return None;
        }
        let mut literals: Vec<String> = Vec::new();
        literals.extend(self.anywhere.iter().cloned());
        literals.extend(self.last.iter().cloned());
        literals.extend(self.glued_suffixes.iter().cloned());
        literals.extend(self.qualified.keys().cloned());
        literals.extend(self.secret_names.iter().cloned());
        literals.extend(self.compounds.keys().cloned());
        for ending in &self.secret_endings {
            literals.extend(ending.last().cloned());
        }
        for glob in &self.convention_names {
            if let Some(piece) = glob
                .split(['*', '?', '[', ']'])
                .max_by_key(|piece| piece.len())
                .filter(|piece| !piece.is_empty())
            {
                literals.push(piece.to_owned());
            } else {
                return None;
            }
        }
        Some(
            literals
                .into_iter()
                .map(|word| word.to_ascii_lowercase())
                .collect(),
        )
    }

    fn classify_uncached(&self, name: &str) -> NameVerdict {
        if let Some(pattern) = self
            .allowed_names
            .as_ref()
            .and_then(|patterns| patterns.first_match(name))
        {
            return NameVerdict::NotSecret {
                reason: NotSecretReason::AllowedByConfig {
                    pattern: pattern.to_owned(),
                },
            };
        }
        if let Some(pattern) = self
            .extra_secret_names
            .as_ref()
            .and_then(|patterns| patterns.first_match(name))
        {
            return NameVerdict::Secret {
                word: pattern.to_owned(),
            };
        }
        let lowercase = name.to_lowercase();
        if self.not_secret_names.contains(&lowercase) {
            return NameVerdict::NotSecret {
                reason: NotSecretReason::KnownName,
            };
        }
        if self.secret_names.contains(&lowercase) {
            return NameVerdict::Secret { word: lowercase };
        }
        if let Some(pattern) = self.convention_match(&lowercase) {
            return NameVerdict::Secret {
                word: pattern.to_owned(),
            };
        }

        let parts = self.parts(name);
        if let Some(public) = parts.iter().find(|part| self.public_words.contains(*part)) {
            return NameVerdict::NotSecret {
                reason: NotSecretReason::PublicMaterial {
                    word: public.clone(),
                },
            };
        }
        let effective = self.without_ignorable_suffixes(&parts);
        let Some(last_part) = effective.last() else {
            return NameVerdict::NotSecret {
                reason: NotSecretReason::NoSecretWord,
            };
        };
        if let Some(ending) = self
            .secret_endings
            .iter()
            .find(|ending| !ending.is_empty() && effective.ends_with(ending))
        {
            return NameVerdict::Secret {
                word: ending.join(" "),
            };
        }
        match self.secret_word(effective) {
            SecretWord::Found(_) if self.role_words.contains(last_part) => NameVerdict::NotSecret {
                reason: NotSecretReason::Role {
                    word: last_part.clone(),
                },
            },
            SecretWord::Found(word) => NameVerdict::Secret { word },
            SecretWord::NonSecretQualifier(phrase) => NameVerdict::NotSecret {
                reason: NotSecretReason::NonSecretQualifier { phrase },
            },
            SecretWord::None => NameVerdict::NotSecret {
                reason: NotSecretReason::NoSecretWord,
            },
        }
    }

    /// The lower-case parts of `name`, with compounds and glued words cut.
    fn parts(&self, name: &str) -> Vec<String> {
        let mut parts = Vec::new();
        for part in split_parts(name) {
            if let Some(pieces) = self.compounds.get(&part) {
                parts.extend(pieces.iter().cloned());
                continue;
            }
            let glued = self
                .glued_suffixes
                .iter()
                .find(|suffix| part.len() >= suffix.len() + 2 && part.ends_with(suffix.as_str()));
            match glued {
                Some(suffix) => {
                    parts.push(part[..part.len() - suffix.len()].to_owned());
                    match self.compounds.get(suffix) {
                        Some(pieces) => parts.extend(pieces.iter().cloned()),
                        None => parts.push(suffix.clone()),
                    }
                }
                None => parts.push(part),
            }
        }
        parts
    }

    /// `parts` without trailing parts that do not change what the name
    /// names (`_PROD`, `_V2`, `_2`).
    fn without_ignorable_suffixes<'a>(&self, parts: &'a [String]) -> &'a [String] {
        let mut end = parts.len();
        while end > 0 {
            let part = &parts[end - 1];
            let ignorable = self.ignorable_suffixes.contains(part)
                || part.chars().all(|character| character.is_ascii_digit());
            if !ignorable {
                break;
            }
            end -= 1;
        }
        &parts[..end]
    }

    /// The first secret word of `parts`, honouring position and qualifier
    /// rules.
    fn secret_word(&self, parts: &[String]) -> SecretWord {
        let mut non_secret_qualifier = None;
        for (index, part) in parts.iter().enumerate() {
            let is_last = index + 1 == parts.len();
            if self.anywhere.contains(part) || (is_last && self.last.contains(part)) {
                return SecretWord::Found(part.clone());
            }
            let Some(rule) = self.qualified.get(part).filter(|_| is_last) else {
                continue;
            };
            let Some(qualifier) = index.checked_sub(1).map(|previous| &parts[previous]) else {
                continue;
            };
            let phrase = format!("{qualifier} {part}");
            // A numeric qualifier is an array index in hierarchical config
            // names (`Filters__0__Key`): the key of an entry, not a secret.
            let is_index = qualifier
                .chars()
                .all(|character| character.is_ascii_digit());
            if is_index || rule.non_secret_qualifiers.contains(qualifier) {
                non_secret_qualifier = Some(phrase);
            } else if rule.secret_qualifiers.is_empty()
                || rule.secret_qualifiers.contains(qualifier)
            {
                return SecretWord::Found(phrase);
            }
        }
        match non_secret_qualifier {
            Some(phrase) => SecretWord::NonSecretQualifier(phrase),
            None => SecretWord::None,
        }
    }
}

enum SecretWord {
    Found(String),
    NonSecretQualifier(String),
    None,
}

/// Splits a name into lower-case parts on every character that is neither a
/// letter nor a digit, and on camelCase boundaries (`myAPIKey` → my, api,
/// key; `oauth2Token` → oauth2, token).
/// Whether a URL value carries a password (`https://user:pass@host/`).
pub fn has_url_password(value: &str) -> bool {
    // No `@`, no user info (a byte search, cheaper than `://`'s).
    if !value.contains('@') {
        return false;
    }
    let Some((_, rest)) = value.split_once("://") else {
        return false;
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or(rest);
    authority.rsplit_once('@').is_some_and(|(userinfo, _)| {
        userinfo
            .split_once(':')
            .is_some_and(|(_, pass)| !pass.is_empty())
    })
}

fn split_parts(name: &str) -> Vec<String> {
    let mut parts = Vec::new();
    for run in name.split(|character: char| !character.is_alphanumeric()) {
        let characters: Vec<char> = run.chars().collect();
        let mut start = 0;
        for index in 1..characters.len() {
            let previous = characters[index - 1];
            let current = characters[index];
            let next_is_lowercase = characters
                .get(index + 1)
                .is_some_and(|next| next.is_lowercase());
            let lower_to_upper =
                (previous.is_lowercase() || previous.is_ascii_digit()) && current.is_uppercase();
            let acronym_end =
                previous.is_uppercase() && current.is_uppercase() && next_is_lowercase;
            if lower_to_upper || acronym_end {
                parts.push(
                    characters[start..index]
                        .iter()
                        .collect::<String>()
                        .to_lowercase(),
                );
                start = index;
            }
        }
        if start < characters.len() {
            parts.push(
                characters[start..]
                    .iter()
                    .collect::<String>()
                    .to_lowercase(),
            );
        }
    }
    parts
}

/// Whether `value` can never be a leak, whatever name it is assigned to.
///
/// Expects the value as the Dockerfile gives it after unquoting; surrounding
/// whitespace and one pair of matching quotes are ignored anyway. Harmless
/// values are:
/// - empty;
/// - a boolean or switch: `true`, `false`, `yes`, `no`, `on`, `off`, `0`,
///   `1` (any case);
/// - a path under `/run/secrets/` (where secret mounts live);
/// - a bare variable reference with no default (`$X`, `${X}`, or `${X:-}`
///   with an empty default): it expands to whatever the build passes, and
///   to nothing when it passes nothing;
/// - one or more GPG fingerprints (40 hex digits, also as ten groups of
///   four) or long key ids (16 hex digits), separated by spaces.
///
/// A 40-hex value is also the shape of a SHA-1 and of legacy GitHub tokens
/// (before 2021); a rule that wants to be strict can check the name first
/// (fingerprints go with `GPG_KEY`-like names, which are never secret).
pub fn is_non_secret_value(value: &str) -> bool {
    let value = unquote(value.trim()).trim();
    if value.is_empty() {
        return true;
    }
    const SWITCHES: [&str; 8] = ["true", "false", "yes", "no", "on", "off", "0", "1"];
    if SWITCHES
        .iter()
        .any(|switch| value.eq_ignore_ascii_case(switch))
    {
        return true;
    }
    if value == "/run/secrets" || value.starts_with("/run/secrets/") {
        return true;
    }
    if is_bare_variable_reference(value) {
        return true;
    }
    is_fingerprint_list(value)
        || is_placeholder_value(value)
        || is_path_value(value)
        || is_plain_address(value)
}

/// A number (`4096`, `0.5`, `-1`, `1_000`), a duration (`30s`, `1h30m`,
/// `500ms`, `7d`) or a boolean.
pub fn is_measure_value(value: &str) -> bool {
    let value = unquote(value.trim()).trim();
    if value.is_empty() {
        return false;
    }
    const BOOLEANS: [&str; 6] = ["true", "false", "yes", "no", "on", "off"];
    if BOOLEANS.iter().any(|word| value.eq_ignore_ascii_case(word)) {
        return true;
    }
    let number = value.strip_prefix(['-', '+']).unwrap_or(value);
    let is_number = |text: &str| {
        !text.is_empty()
            && text.chars().next().is_some_and(|ch| ch.is_ascii_digit())
            && text
                .chars()
                .all(|ch| ch.is_ascii_digit() || ch == '.' || ch == '_')
            && text.matches('.').count() <= 1
    };
    if is_number(number) {
        return true;
    }
    // Durations: one or more <number><unit> groups.
    let mut rest = number.to_ascii_lowercase();
    let mut groups = 0;
    while !rest.is_empty() {
        let digits = rest
            .find(|ch: char| !(ch.is_ascii_digit() || ch == '.'))
            .unwrap_or(rest.len());
        if digits == 0 || !is_number(&rest[..digits]) {
            return false;
        }
        let after = &rest[digits..];
        let unit = ["ns", "us", "ms", "s", "m", "h", "d", "w"]
            .iter()
            .find(|unit| after.starts_with(**unit))
            .filter(|unit| {
                // `ms` before `m`: the longest unit that fits.
                !(***unit == *"m" && after.starts_with("ms"))
            });
        let Some(unit) = unit else {
            return false;
        };
        rest = after[unit.len()..].to_string();
        groups += 1;
    }
    groups > 0
}

/// `_`, `-`, `*`, `...`, `<your token>`, `[access key]`, `{{ token }}`: a
/// value that stands for "fill this in".
pub fn is_placeholder_value(value: &str) -> bool {
    let bracketed = [("<", ">"), ("[", "]"), ("{{", "}}")]
        .iter()
        .any(|(open, close)| {
            value.len() > open.len() + close.len()
                && value.starts_with(open)
                && value.ends_with(close)
        });
    bracketed
        || value
            .chars()
            .all(|character| matches!(character, '_' | '-' | '*' | '.'))
}

/// A file path or a file name: `/opt/app/secrets/server.pass`,
/// `./certs/tls.key`, `C:\secrets\db.txt`, `resetOSPassword.sh`. Such a
/// value names where a secret is, not the secret (the `*_FILE` pattern
/// without the suffix).
fn is_path_value(value: &str) -> bool {
    if value.contains(char::is_whitespace) || value.contains("://") {
        return false;
    }
    let windows_drive = value.len() > 2
        && value.as_bytes()[0].is_ascii_alphabetic()
        && value[1..].starts_with(":\\");
    let rooted = value.starts_with('/')
        && value[1..].contains(|character: char| character.is_ascii_alphabetic());
    // `.aws/credentials`, `.ssh/id_rsa`: a path under a dot-directory.
    let dot_directory = value.starts_with('.') && value.contains('/');
    if rooted
        || dot_directory
        || value.starts_with("./")
        || value.starts_with("~/")
        || value.starts_with("../")
        || windows_drive
    {
        return true;
    }
    const FILE_EXTENSIONS: [&str; 22] = [
        "sh",
        "py",
        "rb",
        "js",
        "txt",
        "json",
        "yaml",
        "yml",
        "xml",
        "conf",
        "cfg",
        "ini",
        "properties",
        "pass",
        "key",
        "pem",
        "crt",
        "jks",
        "p12",
        "env",
        "toml",
        "secret",
    ];
    match value.rsplit_once('.') {
        Some((stem, extension)) => {
            !stem.is_empty()
                && stem.chars().all(|character| {
                    character.is_ascii_alphanumeric() || matches!(character, '_' | '-' | '/' | '.')
                })
                && FILE_EXTENSIONS
                    .iter()
                    .any(|known| extension.eq_ignore_ascii_case(known))
        }
        None => false,
    }
}

/// `host:port` or `host:port/service` with no credentials: a connection
/// target, not a secret (`OamDB:1521/orclpdb1.localdomain`).
fn is_plain_address(value: &str) -> bool {
    let (host, rest) = match value.split_once(':') {
        Some(parts) => parts,
        None => return false,
    };
    let (port, path) = rest.split_once('/').unwrap_or((rest, ""));
    !host.is_empty()
        && host.chars().all(|character| {
            character.is_ascii_alphanumeric() || matches!(character, '.' | '-' | '_')
        })
        && !port.is_empty()
        && port.chars().all(|character| character.is_ascii_digit())
        && path.chars().all(|character| {
            character.is_ascii_alphanumeric() || matches!(character, '.' | '-' | '_' | '/')
        })
}

/// Strips one pair of matching surrounding quotes.
fn unquote(value: &str) -> &str {
    for quote in ['"', '\''] {
        if let Some(inner) = value
            .strip_prefix(quote)
            .and_then(|rest| rest.strip_suffix(quote))
        {
            return inner;
        }
    }
    value
}

fn is_variable_name(name: &str) -> bool {
    let mut characters = name.chars();
    characters
        .next()
        .is_some_and(|first| first.is_ascii_alphabetic() || first == '_')
        && characters.all(|character| character.is_ascii_alphanumeric() || character == '_')
}

/// `$X`, `${X}`, `${X:-}` or `${X-}`.
pub(crate) fn is_bare_variable_reference(value: &str) -> bool {
    let Some(reference) = value.strip_prefix('$') else {
        return false;
    };
    if let Some(braced) = reference
        .strip_prefix('{')
        .and_then(|rest| rest.strip_suffix('}'))
    {
        let name = braced
            .strip_suffix(":-")
            .or_else(|| braced.strip_suffix('-'))
            .unwrap_or(braced);
        return is_variable_name(name);
    }
    is_variable_name(reference)
}

fn is_hex(text: &str, length: usize) -> bool {
    let digits = text
        .strip_prefix("0x")
        .or_else(|| text.strip_prefix("0X"))
        .unwrap_or(text);
    digits.len() == length
        && digits
            .chars()
            .all(|character| character.is_ascii_hexdigit())
}

fn is_fingerprint_list(value: &str) -> bool {
    let words: Vec<&str> = value.split_whitespace().collect();
    if words
        .iter()
        .all(|word| is_hex(word, 40) || is_hex(word, 16))
    {
        return true;
    }
    // `gpg --fingerprint` prints ten groups of four hex digits.
    words.len().is_multiple_of(10) && words.iter().all(|word| is_hex(word, 4))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names() -> &'static SecretNames {
        SecretNames::builtin()
    }

    #[test]
    fn cached_verdicts_belong_to_their_classifier() {
        let builtin = names();
        let allowing = SecretNames::with_extra(&[], &["GITHUB_TOKEN".to_owned()]).expect("valid");
        for _ in 0..2 {
            assert_eq!(
                builtin.classify("GITHUB_TOKEN"),
                builtin.classify_uncached("GITHUB_TOKEN")
            );
            assert!(builtin.is_secret("GITHUB_TOKEN"));
            assert!(!allowing.is_secret("GITHUB_TOKEN"));
            assert!(allowing.clone().classify("GITHUB_TOKEN") == allowing.classify("GITHUB_TOKEN"));
        }
    }

    fn failures(expected_secret: bool, list: &[&str]) -> Vec<String> {
        list.iter()
            .filter_map(|name| {
                let verdict = names().classify(name);
                (verdict.is_secret() != expected_secret).then(|| format!("{name}: {verdict}"))
            })
            .collect()
    }

    #[test]
    fn every_toml_example_gets_its_verdict() {
        let data = builtin_data();
        let secret: Vec<&str> = data.examples.secret.iter().map(String::as_str).collect();
        let not_secret: Vec<&str> = data
            .examples
            .not_secret
            .iter()
            .map(String::as_str)
            .collect();
        // The tests' copy of the list keeps its examples (`build.rs`).
        assert!(secret.len() >= 10 && not_secret.len() >= 10);
        let mut wrong = failures(true, &secret);
        wrong.extend(failures(false, &not_secret));
        assert!(wrong.is_empty(), "wrong verdicts:\n{}", wrong.join("\n"));
    }

    /// The verdict table of PRIOR-ART.md, "Names: what a careful rule
    /// decides", with every `*_X` row instantiated with secret words in
    /// front (the hard case) and plain words.
    #[test]
    fn prior_art_name_table_verdicts() {
        let secret = [
            "NPM_TOKEN",
            "GH_TOKEN",
            "DB_PASSWORD",
            "MYSQL_ROOT_PASSWORD",
            "AWS_SECRET_ACCESS_KEY",
            "SSH_PRIVATE_KEY",
            "API_KEY",
            "apiKey",
            "myApiKey",
            "api-key",
            "DB_PASS",
            "JENKINS_PSW",
            "GITHUB_PAT",
            "CLIENT_SECRET",
            "JWT_SECRET",
            "LICENSE_KEY",
            "PGPASSWORD",
            "npm_auth_token",
            "AWS_ACCESS_KEY_ID",
        ];
        let mut not_secret: Vec<String> = [
            "GPG_KEY",
            "GPG_KEYS",
            "PYTHON_PGP_KEY_ID",
            "PYTHON_PGP_KEY_IDS",
            "NODE_PGP_KEY_ID",
            "KEY_ID",
            "PUBLIC_KEY",
            "SSH_PUBLIC_KEY",
            "DEPLOY_PUBKEY",
            "SSH_PUBKEY",
            "GOPRIVATE",
            "TOKENIZERS_PARALLELISM",
            "KEYCLOAK_REALM",
            "KEYRING",
            "KEYSERVER",
            "PGP_KEYSERVER",
            "AUTH_MODE",
            "PASSWORD_PROMPT_STRING",
            "CREDENTIAL_MANAGER",
        ]
        .iter()
        .map(|name| name.to_string())
        .collect();
        let roles = [
            "FILE", "PATH", "DIR", "VERSION", "URL", "HOST", "PORT", "USER", "USERNAME", "NAME",
            "MODE", "TYPE", "ENABLED", "LENGTH", "ALIAS", "REGION",
        ];
        for role in roles {
            for prefix in [
                "DB_PASSWORD",
                "NPM_TOKEN",
                "API_KEY",
                "CLIENT_SECRET",
                "APP",
            ] {
                not_secret.push(format!("{prefix}_{role}"));
            }
        }
        let not_secret: Vec<&str> = not_secret.iter().map(String::as_str).collect();
        // The tests' copy of the list keeps its examples (`build.rs`).
        assert!(secret.len() >= 10 && not_secret.len() >= 10);
        let mut wrong = failures(true, &secret);
        wrong.extend(failures(false, &not_secret));
        assert!(wrong.is_empty(), "wrong verdicts:\n{}", wrong.join("\n"));
    }

    /// BuildKit's false positives and misses from PRIOR-ART.md's tool table,
    /// and the names RULES.md says must not be flagged.
    #[test]
    fn prior_art_tool_failures_and_rules_md_precision_names() {
        let secret = [
            "DB_PASS",
            "JENKINS_PSW",
            "GITHUB_PAT",
            "myApiKey",
            "API-KEY",
        ];
        let not_secret = [
            // BuildKit, hadolint and trivy false positives.
            "GPG_KEY",
            "KMS_KEY_ALIAS",
            "AUTH_MODE",
            "KEY_NAME",
            "CREDENTIAL_MANAGER",
            "PASSWORD_PROMPT_STRING",
            "GOPRIVATE",
            "USERNAME",
            "TRAVIS_OS_NAME",
            "GITHUB_TOKEN_FILE",
            "MYSQL_PASSWORD_FILE",
            "KEY_VERSION",
            // RULES.md "What the linter must NOT flag".
            "GPG_KEYS",
            "PUBLIC_KEY",
            "SSH_PUBKEY",
            "KEY_ID",
            "GPG_KEY_ID",
            "TOKENIZERS_PARALLELISM",
            "PASSWORD_FILE",
            "POSTGRES_PASSWORD_FILE",
            "TOKEN_PATH",
            "SECRETS_DIR",
            "TOKEN_URL",
            "PASSWORD_HOST",
            "DB_PASSWORD_PORT",
            "API_KEY_USER",
            "SECRET_NAME",
            "API_KEY_ENABLED",
            "PASSWORD_LENGTH",
            "KEYCLOAK_VERSION",
            "AUTH_TYPE",
            "KEYRING",
            "KEYSERVER",
        ];
        let mut wrong = failures(true, &secret);
        wrong.extend(failures(false, &not_secret));
        assert!(wrong.is_empty(), "wrong verdicts:\n{}", wrong.join("\n"));
    }

    #[test]
    fn verdicts_explain_the_deciding_word() {
        let classify = |name| names().classify(name);
        assert_eq!(
            classify("NPM_TOKEN"),
            NameVerdict::Secret {
                word: "token".into()
            }
        );
        assert_eq!(
            classify("myApiKey"),
            NameVerdict::Secret {
                word: "api key".into()
            }
        );
        assert_eq!(
            classify("AWS_ACCESS_KEY_ID"),
            NameVerdict::Secret {
                word: "access key id".into()
            }
        );
        assert_eq!(
            classify("PASSWORD_FILE"),
            NameVerdict::NotSecret {
                reason: NotSecretReason::Role {
                    word: "file".into()
                }
            }
        );
        assert_eq!(
            classify("SSH_PUBLIC_KEY"),
            NameVerdict::NotSecret {
                reason: NotSecretReason::PublicMaterial {
                    word: "public".into()
                }
            }
        );
        assert_eq!(
            classify("GPG_KEY"),
            NameVerdict::NotSecret {
                reason: NotSecretReason::NonSecretQualifier {
                    phrase: "gpg key".into()
                }
            }
        );
        assert_eq!(
            classify("GOPRIVATE"),
            NameVerdict::NotSecret {
                reason: NotSecretReason::NoSecretWord
            }
        );
        assert_eq!(
            classify("PWD"),
            NameVerdict::NotSecret {
                reason: NotSecretReason::KnownName
            }
        );
        assert!(classify("GPG_KEY").to_string().contains("gpg key"));
    }

    #[test]
    fn split_parts_handles_separators_and_camel_case() {
        assert_eq!(split_parts("myApiKey"), ["my", "api", "key"]);
        assert_eq!(split_parts("myAPIKey"), ["my", "api", "key"]);
        assert_eq!(split_parts("oauth2Token"), ["oauth2", "token"]);
        assert_eq!(split_parts("API-KEY.v2"), ["api", "key", "v2"]);
        assert_eq!(split_parts("_authToken"), ["auth", "token"]);
        assert_eq!(split_parts("PGPASSWORD"), ["pgpassword"]);
        assert_eq!(split_parts(""), Vec::<String>::new());
        assert_eq!(names().parts("PGPASSWORD"), ["pg", "password"]);
    }

    #[test]
    fn configured_names_extend_and_allow() {
        let names = SecretNames::with_extra(
            &["*_SESAME".to_owned(), "MAGIC".to_owned()],
            &["NPM_TOKEN".to_owned(), "legacy_*".to_owned()],
        )
        .expect("valid globs");
        assert!(names.is_secret("OPEN_SESAME"));
        assert!(names.is_secret("magic"));
        assert!(!names.is_secret("npm_token"));
        assert!(!names.is_secret("LEGACY_PASSWORD"));
        assert!(names.is_secret("DB_PASSWORD"));
        assert_eq!(
            names.classify("LEGACY_PASSWORD"),
            NameVerdict::NotSecret {
                reason: NotSecretReason::AllowedByConfig {
                    pattern: "legacy_*".into()
                }
            }
        );
        let error = SecretNames::with_extra(&["[oops".to_owned()], &[]).expect_err("bad glob");
        assert!(error.to_string().contains("[oops"), "{error}");
    }

    #[test]
    fn counting_and_timing_names_with_measure_values_are_settings() {
        let names = names();
        for (name, value) in [
            ("MAX_TOKENS", "4096"),
            ("MAX_NEW_TOKENS", "512"),
            ("NUM_TOKENS", "1_000"),
            ("TOKEN_EXPIRY_SECONDS", "3600"),
            ("PASSWORD_HASH_ROUNDS", "12"),
            ("SECRET_ROTATION_DAYS", "30"),
            ("SESSION_TOKEN_TTL", "15m"),
            ("AUTH_TOKEN_TIMEOUT", "1h30m"),
            ("TOKEN_LIMIT", "0.5"),
            ("SECRET_CACHE_SIZE", "\"64\""),
            ("TOKEN_COUNT", "true"),
        ] {
            assert!(
                !names.is_secret_setting(name, Some(value)),
                "{name}={value} is a setting"
            );
        }
        for (name, value) in [
            ("MAX_TOKENS", Some("sk-abcdefgh12345678")),
            ("MAX_TOKENS", None),
            ("DB_PASSWORD", Some("123456")),
            ("API_TOKEN", Some("30s")),
            ("NUM_TOKENS", Some("12abc")),
        ] {
            assert!(
                names.is_secret_setting(name, value),
                "{name}={value:?} is still a secret"
            );
        }
        for value in ["10", "-1", "1.5", "30s", "500ms", "1h30m", "7d", "off"] {
            assert!(is_measure_value(value), "{value}");
        }
        for value in ["", "1.2.3", "s", "30x", "m30", "abc", "1h30"] {
            assert!(!is_measure_value(value), "{value}");
        }
    }

    #[test]
    fn non_secret_values_are_recognised() {
        for value in [
            "",
            "  ",
            "\"\"",
            "''",
            "true",
            "FALSE",
            "yes",
            "No",
            "on",
            "off",
            "0",
            "1",
            "/run/secrets/npm_token",
            "/run/secrets",
            "${NPM_TOKEN}",
            "$NPM_TOKEN",
            "${NPM_TOKEN:-}",
            "\"${NPM_TOKEN}\"",
            "0123456789ABCDEF0123456789ABCDEF01234567",
            "0123456789abcdef0123456789abcdef01234567 DEADBEEF0123456789ABCDEF0123456789ABCDEF",
            "0x0123456789ABCDEF",
            "0123 4567 89AB CDEF 0123 4567 89AB CDEF 0123 4567",
            "/etc/secret",
            "/opt/selenium/secrets/server.pass",
            "./certs/tls.key",
            "C:\\secrets\\db.txt",
            "resetOSPassword.sh",
            "_",
            "OamDB:1521/orclpdb1.localdomain",
            "db.internal:5432",
            ".aws/credentials",
            "[access key]",
            "<your-token>",
            "{{ .Token }}",
        ] {
            assert!(is_non_secret_value(value), "{value:?} should be harmless");
        }
    }

    #[test]
    fn literal_values_and_defaults_are_not_harmless() {
        for value in [
            "s3cr3tP4ssw0rd!",
            "changeme",
            "${NPM_TOKEN:-fake-default}",
            "${NPM_TOKEN:+x}",
            "prefix-$TOKEN",
            "/",
            "a/b+c==",
            "user:pass@db:5432",
            "hunter2.secretive",
            "2",
            "0123456789ABCDEF012345",
            "0123 4567 89AB",
        ] {
            assert!(!is_non_secret_value(value), "{value:?} may be a secret");
        }
    }

    #[test]
    fn convention_globs_compile_and_index_urls_need_a_password() {
        let names = SecretNames::builtin();
        assert!(NamePatterns::compile(&names.convention_names).is_ok());
        assert!(names.is_secret_setting(
            "PIP_EXTRA_INDEX_URL",
            Some("https://deploy:FAKEpass@pypi.example.com/simple")
        ));
        assert!(names.is_secret_setting("UV_INDEX_URL", Some("https://__token__:FAKE@x.example/")));
        assert!(!names.is_secret_setting("PIP_INDEX_URL", Some("https://pypi.example.com/simple")));
        assert!(!names.is_secret_setting("PIP_INDEX_URL", Some("https://user@pypi.example.com/")));
        assert!(!names.is_secret_setting("PIP_INDEX_URL", None));
        assert!(!names.is_secret_setting("HOME_URL", Some("https://a:b@x.example/")));
    }
}
