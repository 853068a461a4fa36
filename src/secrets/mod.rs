//! Secret knowledge as data: credential file patterns, secret-looking names
//! and token formats, loaded from the TOML files in `rules/`.
//!
//! The lists live in `rules/credential-files.toml`, `rules/secret-names.toml`
//! and `rules/token-formats.toml`, are embedded at build time, and are
//! compiled once (globs into one [`globset::GlobSet`], token keywords into one
//! [`aho_corasick::AhoCorasick`] automaton, regexes once each). User
//! configuration extends them through [`Catalog::with_extra`] with entries of
//! the same schema.
//!
//! This module answers "is this a credential file / a secret name / a token"
//! for one path, name or text. It does not know about Dockerfiles, stages or
//! findings: deciding which instruction leaks what, and how severe it is,
//! belongs to the rules (`src/rules/`). Every piece of output that could
//! contain a secret must go through [`redact`].
//!
//! Data entries carry `true_examples` and `false_examples`; the unit tests of
//! each submodule run all of them.

pub(crate) mod answers;
pub mod commands;
pub mod file_names;
pub mod files;
pub(crate) mod keywords;
pub mod names;
pub mod tokens;

use std::sync::{Arc, LazyLock};

use serde::Deserialize;

pub use files::{file_name_of, CredentialFileKind, CredentialFilePattern, CredentialFiles};
pub use names::{is_non_secret_value, NameVerdict, NotSecretReason, SecretNames};
pub use tokens::{looks_like_secret_value, shannon_entropy, TokenFormat, TokenMatch, TokenScanner};

/// An error in secret data: the embedded lists or entries added by
/// configuration. Each variant names the list or entry at fault.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SecretsError {
    /// A TOML document does not parse or does not match the schema.
    #[error("{source_name}: invalid TOML: {source}")]
    Toml {
        /// Where the TOML came from (a file path or a config section).
        source_name: String,
        /// The parser's error, with line and column.
        #[source]
        source: Box<toml::de::Error>,
    },
    /// An embedded list (`rules/*.toml`, as JSON) does not match the schema.
    #[error("{source_name}: does not match the schema: {source}")]
    BuiltinData {
        /// The `rules/*.toml` file the list was built from.
        source_name: String,
        #[source]
        source: Box<serde_json::Error>,
    },
    /// A credential file glob does not compile.
    #[error("credential file pattern `{id}`: invalid glob `{glob}`: {source}")]
    Glob {
        /// The entry id.
        id: String,
        /// The glob as written.
        glob: String,
        /// What globset found wrong.
        #[source]
        source: Box<globset::Error>,
    },
    /// A configured name pattern (extra secret name or allowed name) does not
    /// compile as a glob.
    #[error("secret name pattern `{pattern}`: invalid glob: {source}")]
    NameGlob {
        /// The pattern as written.
        pattern: String,
        /// What globset found wrong.
        #[source]
        source: Box<globset::Error>,
    },
    /// A token format regex does not compile.
    #[error("token format `{id}`: invalid regex: {source}")]
    Regex {
        /// The entry id.
        id: String,
        /// What the regex compiler found wrong.
        #[source]
        source: Box<regex::Error>,
    },
    /// A token format names a capture group its regex does not have.
    #[error(
        "token format `{id}`: secret_group {group} does not exist \
         (the regex has {group_count} groups, counting group 0)"
    )]
    SecretGroup {
        /// The entry id.
        id: String,
        /// The configured group index.
        group: usize,
        /// How many groups the regex has, including group 0.
        group_count: usize,
    },
    /// A literal automaton (token format keywords, credential file glob
    /// pieces) does not build (for example, too many entries).
    #[error("{list}: {source}")]
    Keywords {
        /// Which list: `token format keywords` or `credential file globs`.
        list: &'static str,
        /// What aho-corasick found wrong.
        #[source]
        source: Box<aho_corasick::BuildError>,
    },
    /// Two entries of one list share an id.
    #[error("{list}: duplicate id `{id}`; ids must be unique (choose another id to add an entry)")]
    DuplicateId {
        /// Which list ("credential file pattern", "token format").
        list: &'static str,
        /// The repeated id.
        id: String,
    },
    /// An entry breaks a rule of its schema (empty id, no patterns, no
    /// keywords, …).
    #[error("{list} `{id}`: {problem}")]
    InvalidEntry {
        /// Which list the entry belongs to.
        list: &'static str,
        /// The entry id (empty when the id itself is missing).
        id: String,
        /// What is wrong, said so that the fix is clear.
        problem: String,
    },
}

/// Hides a secret for output: keeps at most its first 4 characters, and at
/// most a third of it, then `…`.
///
/// Counts characters, not bytes, so a multi-byte secret never splits inside
/// a character. A secret of fewer than 3 characters keeps nothing.
///
/// ```
/// use dockerleak::secrets::redact;
/// assert_eq!(redact("ghp_FAKE0123456789"), "ghp_…");
/// assert_eq!(redact("hunter"), "hu…");
/// assert_eq!(redact("ab"), "…");
/// ```
pub fn redact(secret: &str) -> String {
    let character_count = secret.chars().count();
    let kept = (character_count / 3).min(4);
    let mut redacted: String = secret.chars().take(kept).collect();
    redacted.push('…');
    redacted
}

/// The three secret catalogues, bundled so that configuration can extend
/// them in one place and rules receive them as one value.
///
/// The fields are shared (`Arc`): cloning a catalog is cheap, and a catalog
/// built with no extras for a list reuses the compiled builtin list.
#[derive(Debug, Clone)]
pub struct Catalog {
    /// Credential file patterns (DLK001 list).
    pub files: Arc<CredentialFiles>,
    /// Secret-looking variable names.
    pub names: Arc<SecretNames>,
    /// Token formats and the keyword prefilter.
    pub tokens: Arc<TokenScanner>,
}

/// Entries that configuration adds to the builtin catalogues. Every field
/// has the schema of the matching `rules/*.toml` entries.
///
/// Deserialises from a table such as:
///
/// ```toml
/// secret_names = ["*_SESAME"]
/// allowed_names = ["MY_TOKEN_COUNT"]
///
/// [[credential_files]]
/// id = "my-vault-file"
/// description = "our vault credentials"
/// kind = "file"
/// patterns = ["**/.my-vault"]
///
/// [[token_formats]]
/// id = "acme-token"
/// description = "ACME API token"
/// regex = '\bacme_[A-Za-z0-9]{32}\b'
/// keywords = ["acme_"]
/// ```
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CatalogExtra {
    /// Credential file patterns added after the builtin ones.
    pub credential_files: Vec<CredentialFilePattern>,
    /// Names (exact or globs, case-insensitive) that are always secret.
    pub secret_names: Vec<String>,
    /// Names (exact or globs, case-insensitive) that are never secret; they
    /// win over everything else.
    pub allowed_names: Vec<String>,
    /// Token formats added after the builtin ones.
    pub token_formats: Vec<TokenFormat>,
}

impl CatalogExtra {
    /// Whether there is nothing to add.
    pub fn is_empty(&self) -> bool {
        self.credential_files.is_empty()
            && self.secret_names.is_empty()
            && self.allowed_names.is_empty()
            && self.token_formats.is_empty()
    }
}

static BUILTIN_CATALOG: LazyLock<Catalog> = LazyLock::new(|| Catalog {
    files: files::builtin_shared(),
    names: names::builtin_shared(),
    tokens: tokens::builtin_shared(),
});

impl Catalog {
    /// The builtin catalogues, compiled on first use.
    pub fn builtin() -> &'static Catalog {
        &BUILTIN_CATALOG
    }

    /// The builtin catalogues extended with configured entries. A list with
    /// nothing added is shared with the builtin catalog, not recompiled.
    pub fn with_extra(extra: &CatalogExtra) -> Result<Catalog, SecretsError> {
        let builtin = Catalog::builtin();
        let files = if extra.credential_files.is_empty() {
            Arc::clone(&builtin.files)
        } else {
            Arc::new(CredentialFiles::with_extra(&extra.credential_files)?)
        };
        let names = if extra.secret_names.is_empty() && extra.allowed_names.is_empty() {
            Arc::clone(&builtin.names)
        } else {
            Arc::new(SecretNames::with_extra(
                &extra.secret_names,
                &extra.allowed_names,
            )?)
        };
        let tokens = if extra.token_formats.is_empty() {
            Arc::clone(&builtin.tokens)
        } else {
            Arc::new(TokenScanner::with_extra(&extra.token_formats)?)
        };
        Ok(Catalog {
            files,
            names,
            tokens,
        })
    }
}

/// Parses one embedded or configured TOML document.
fn parse_toml<T: serde::de::DeserializeOwned>(
    source_name: &str,
    text: &str,
) -> Result<T, SecretsError> {
    toml::from_str(text).map_err(|source| SecretsError::Toml {
        source_name: source_name.to_owned(),
        source: Box::new(source),
    })
}

/// Parses one embedded list: the JSON form of a `rules/*.toml` file that
/// `build.rs` wrote (TOML syntax errors fail the build; schema errors are
/// reported under the TOML file's name, and the unit tests load every list).
fn parse_builtin<T: serde::de::DeserializeOwned>(
    source_name: &str,
    json: &str,
) -> Result<T, SecretsError> {
    serde_json::from_str(json).map_err(|source| SecretsError::BuiltinData {
        source_name: source_name.to_owned(),
        source: Box::new(source),
    })
}

/// Fails on the first id that appears twice.
fn check_unique_ids<'a>(
    list: &'static str,
    ids: impl IntoIterator<Item = &'a str>,
) -> Result<(), SecretsError> {
    let mut seen = std::collections::HashSet::new();
    for id in ids {
        if !seen.insert(id) {
            return Err(SecretsError::DuplicateId {
                list,
                id: id.to_owned(),
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redact_keeps_at_most_four_characters() {
        assert_eq!(redact("AKIAFAKE0123456789AB"), "AKIA…");
        assert_eq!(redact("ghp_FAKE0123456789abcdefFAKE0123456789ab"), "ghp_…");
    }

    #[test]
    fn redact_keeps_at_most_a_third_of_a_short_secret() {
        assert_eq!(redact(""), "…");
        assert_eq!(redact("a"), "…");
        assert_eq!(redact("ab"), "…");
        assert_eq!(redact("abc"), "a…");
        assert_eq!(redact("abcdef"), "ab…");
        assert_eq!(redact("abcdefghi"), "abc…");
        assert_eq!(redact("abcdefghijkl"), "abcd…");
    }

    #[test]
    fn redact_counts_characters_not_bytes() {
        assert_eq!(redact("ééééééééé"), "ééé…");
        assert_eq!(redact("🔑🔑🔑🔑🔑🔑🔑🔑🔑🔑🔑🔑🔑"), "🔑🔑🔑🔑…");
    }

    #[test]
    fn redact_never_returns_the_secret() {
        for secret in ["s3cr3tP4ssw0rd!", "x", "xy", "FAKEFAKE", "hunter2"] {
            let redacted = redact(secret);
            assert!(!redacted.contains(secret), "{redacted} contains {secret}");
        }
    }

    #[test]
    fn builtin_catalog_compiles_and_shares_lists() {
        let catalog = Catalog::builtin();
        assert!(std::ptr::eq(
            Arc::as_ptr(&catalog.files),
            CredentialFiles::builtin()
        ));
        let extended = Catalog::with_extra(&CatalogExtra::default()).expect("no extras");
        assert!(Arc::ptr_eq(&extended.tokens, &catalog.tokens));
    }

    #[test]
    fn catalog_extra_deserialises_and_extends_every_list() {
        let extra: CatalogExtra = toml::from_str(
            r#"
            secret_names = ["*_SESAME"]
            allowed_names = ["NPM_TOKEN"]

            [[credential_files]]
            id = "my-vault-file"
            description = "our vault credentials"
            kind = "file"
            patterns = ["**/.my-vault"]

            [[token_formats]]
            id = "acme-token"
            description = "ACME API token"
            regex = '\bacme_[A-Za-z0-9]{32}\b'
            keywords = ["acme_"]
            "#,
        )
        .expect("valid extra config");
        assert!(!extra.is_empty());
        let catalog = Catalog::with_extra(&extra).expect("extras compile");
        assert_eq!(
            catalog
                .files
                .match_path("/root/.my-vault")
                .map(|pattern| pattern.id.as_str()),
            Some("my-vault-file")
        );
        assert!(catalog.names.is_secret("OPEN_SESAME"));
        assert!(!catalog.names.is_secret("NPM_TOKEN"));
        let matches = catalog
            .tokens
            .scan("ENV ACME=acme_FAKE0123456789abcdefFAKE01234567");
        assert_eq!(matches.len(), 1);
        assert_eq!(matches[0].format_id, "acme-token");
    }

    #[test]
    fn catalog_extra_with_a_duplicate_id_is_an_error() {
        let extra = CatalogExtra {
            credential_files: vec![CredentialFilePattern {
                id: "netrc".into(),
                description: "again".into(),
                kind: CredentialFileKind::File,
                patterns: vec!["**/.netrc2".into()],
                exclude: vec![],
                true_examples: vec![],
                false_examples: vec![],
            }],
            ..CatalogExtra::default()
        };
        let error = Catalog::with_extra(&extra).expect_err("duplicate id");
        assert!(
            error.to_string().contains("duplicate id `netrc`"),
            "{error}"
        );
    }
}
