//! File names that say the file holds a secret (`secret.txt`,
//! `db-password`, `gcp-credentials.json`, `vault-token`): the heuristic
//! DLK001 applies to a copied file no credential-file entry decides.
//!
//! The list is data (`rules/secret-file-names.toml`): name globs and the
//! exclusions that take look-alikes back out (templates, public keys,
//! source code about secrets, tokenizers, `passwd`). Only the last path
//! component is matched, lower-cased.

use std::sync::{LazyLock, OnceLock};

use globset::{GlobBuilder, GlobSet, GlobSetBuilder};
use serde::Deserialize;

use super::files::{required_literals, CredentialFileKind, CredentialFilePattern};

/// `rules/secret-file-names.toml`, converted to JSON by `build.rs`.
#[cfg(not(test))]
const BUILTIN_JSON: &str =
    include_str!(concat!(env!("OUT_DIR"), "/secret-file-names.runtime.json"));
/// With the examples the tests run (`build.rs`).
#[cfg(test)]
const BUILTIN_JSON: &str = include_str!(concat!(env!("OUT_DIR"), "/secret-file-names.json"));

#[derive(Deserialize)]
struct Data {
    patterns: Vec<String>,
    exclude: Vec<String>,
    directory_names: Vec<String>,
    /// (Only in the tests' copy of the list: `build.rs`.)
    #[allow(dead_code)]
    #[serde(default)]
    true_examples: Vec<String>,
    #[allow(dead_code)]
    #[serde(default)]
    false_examples: Vec<String>,
}

/// The name list. Its globs are compiled on first use (both sets were a
/// fifth of a one-file run, which mostly copies no file whose name holds
/// a piece of a pattern).
pub struct SecretFileNames {
    patterns: OnceLock<GlobSet>,
    exclude: OnceLock<GlobSet>,
    /// Literals outside wildcards, classes and alternations, one of which
    /// every name a pattern matches holds (`None`: a pattern has none).
    required: Option<Vec<String>>,
    directory_names: Vec<String>,
    entry: CredentialFilePattern,
}

fn compile(globs: &[String]) -> GlobSet {
    let mut builder = GlobSetBuilder::new();
    for glob in globs {
        builder.add(
            GlobBuilder::new(&glob.to_lowercase())
                .literal_separator(true)
                .build()
                .expect("rules/secret-file-names.toml globs are valid (checked by the unit tests)"),
        );
    }
    builder
        .build()
        .expect("rules/secret-file-names.toml globs compile (checked by the unit tests)")
}

/// The literal pieces of `glob` outside wildcards, `[…]` and `{…}`
/// (lower-cased): each is in every name the glob matches. The name
/// patterns are matched lower-cased, so their pieces are too; the rest is
/// [`required_literals`], as for the credential-file globs.
fn required_pieces(glob: &str) -> Vec<String> {
    required_literals(&glob.to_lowercase())
}

fn data() -> Data {
    serde_json::from_str(BUILTIN_JSON)
        .expect("rules/secret-file-names.toml parses (checked by the unit tests)")
}

impl SecretFileNames {
    /// The builtin list, compiled on first use.
    pub fn builtin() -> &'static SecretFileNames {
        static BUILTIN: LazyLock<SecretFileNames> = LazyLock::new(|| {
            let data = data();
            // The longest piece of each pattern stands for it.
            let required = data
                .patterns
                .iter()
                .map(|glob| required_pieces(glob).into_iter().max_by_key(String::len))
                .collect();
            SecretFileNames {
                patterns: OnceLock::new(),
                exclude: OnceLock::new(),
                required,
                directory_names: data.directory_names.clone(),
                entry: CredentialFilePattern {
                    id: "secret-file".to_owned(),
                    description: "the file name says it holds a secret".to_owned(),
                    kind: CredentialFileKind::File,
                    patterns: data.patterns,
                    exclude: data.exclude,
                    true_examples: Vec::new(),
                    false_examples: Vec::new(),
                },
            }
        });
        &BUILTIN
    }

    /// The literal pieces of the name patterns (`secret` of `*secret*`):
    /// every name [`Self::says_secret`] accepts holds one of them, so the
    /// shell prefilter reads a RUN that writes to such a name.
    pub fn name_pieces(&self) -> Vec<String> {
        self.entry
            .patterns
            .iter()
            .flat_map(|glob| glob.split(['*', '?', '[', ']', '{', '}', ',', '/']))
            .filter(|piece| !piece.is_empty())
            .map(str::to_lowercase)
            .collect()
    }

    fn patterns(&self) -> &GlobSet {
        self.patterns.get_or_init(|| compile(&self.entry.patterns))
    }

    fn exclude(&self) -> &GlobSet {
        self.exclude.get_or_init(|| compile(&self.entry.exclude))
    }

    /// Whether the name may match a pattern (it holds a required piece).
    fn may_match(&self, name: &str) -> bool {
        self.required
            .as_ref()
            .is_none_or(|pieces| pieces.iter().any(|piece| name.contains(piece.as_str())))
    }

    /// The entry a finding of this heuristic names (id `secret-file`,
    /// described as "the file name says it holds a secret").
    pub fn entry(&self) -> &CredentialFilePattern {
        &self.entry
    }

    /// Whether a COPY/ADD destination `path` (no trailing `/`) says it
    /// holds a secret: as [`Self::says_secret`], except for names that are
    /// mostly a directory the files go into (`/opt/app/secrets`).
    pub fn destination_says_secret(&self, path: &str) -> bool {
        let name = path.rsplit('/').next().unwrap_or_default().to_lowercase();
        self.says_secret(path) && !self.directory_names.contains(&name)
    }

    /// Whether the file name of `path` is one of the look-alikes the list
    /// takes back out (a template, an example, a public key, source code):
    /// `COPY secrets.example /app/secrets.json` copies an example.
    pub fn is_look_alike(&self, path: &str) -> bool {
        let name = path
            .trim_end_matches('/')
            .rsplit('/')
            .next()
            .unwrap_or_default()
            .to_lowercase();
        !name.is_empty() && self.exclude().is_match(&name)
    }

    /// Whether the file name of `path` (its last component) says the file
    /// holds a secret. A glob (`*secret*`) never does: what it copies
    /// depends on the build context.
    pub fn says_secret(&self, path: &str) -> bool {
        let name = path
            .trim_end_matches('/')
            .rsplit('/')
            .next()
            .unwrap_or_default()
            .to_lowercase();
        if name.is_empty() || name.contains(['*', '?', '[', '$']) {
            return false;
        }
        self.may_match(&name) && self.patterns().is_match(&name) && !self.exclude().is_match(&name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn true_examples_match() {
        let names = SecretFileNames::builtin();
        assert!(names.is_look_alike("conf/secrets.example"));
        assert!(!names.is_look_alike("conf/app.env"));
        assert!(names.destination_says_secret("/run/config/db-password"));
        assert!(!names.destination_says_secret("/opt/selenium/secrets"));
        // The tests' copy of the list keeps its examples (`build.rs`).
        assert!(!data().true_examples.is_empty());
        for example in data().true_examples {
            assert!(names.says_secret(&example), "{example} should match");
            assert!(names.says_secret(&format!("/run/app/{example}")));
        }
    }

    #[test]
    fn false_examples_do_not_match() {
        let names = SecretFileNames::builtin();
        assert!(!data().false_examples.is_empty());
        for example in data().false_examples {
            assert!(!names.says_secret(&example), "{example} should not match");
        }
    }

    #[test]
    fn required_pieces_are_outside_wildcards_and_groups() {
        assert_eq!(required_pieces("*Secret*"), ["secret"]);
        assert_eq!(required_pieces("*tokeni[sz]*"), ["tokeni"]);
        assert_eq!(required_pieces("a{b,c}d?e"), ["a", "d", "e"]);
        assert!(required_pieces("*[ab]*").is_empty());
        assert!(required_pieces("a\\*").is_empty());
        // As the credential-file globs read them: a leading `**/` matches
        // no directory too, and `]` first in a class is one of its members.
        assert_eq!(required_pieces("**/Secret*"), ["secret"]);
        assert!(required_pieces("*[]x]*").is_empty());
        // A pattern without a piece turns the check off.
        assert!(SecretFileNames::builtin().required.is_some());
    }

    #[test]
    fn names_without_a_required_piece_are_not_candidates() {
        let names = SecretFileNames::builtin();
        assert!(!names.may_match("app.env"));
        assert!(names.may_match("db-password"));
    }

    #[test]
    fn only_the_file_name_counts() {
        let names = SecretFileNames::builtin();
        assert!(!names.says_secret("secrets/config.json"));
        assert!(!names.says_secret("/etc/passwd"));
        assert!(!names.says_secret("*secret*"));
        assert!(names.says_secret("config/secrets/"));
    }
}
