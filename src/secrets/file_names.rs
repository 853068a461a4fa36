//! File names that say the file holds a secret (`secret.txt`,
//! `db-password`, `gcp-credentials.json`, `vault-token`): the heuristic
//! DLK001 applies to a copied file no credential-file entry decides.
//!
//! The list is data (`rules/secret-file-names.toml`): name globs and the
//! exclusions that take look-alikes back out (templates, public keys,
//! source code about secrets, tokenizers, `passwd`). Only the last path
//! component is matched, lower-cased.

use std::sync::LazyLock;

use globset::{GlobBuilder, GlobSet, GlobSetBuilder};
use serde::Deserialize;

use super::files::{CredentialFileKind, CredentialFilePattern};

/// `rules/secret-file-names.toml`, converted to JSON by `build.rs`.
const BUILTIN_JSON: &str = include_str!(concat!(env!("OUT_DIR"), "/secret-file-names.json"));

#[derive(Deserialize)]
struct Data {
    patterns: Vec<String>,
    exclude: Vec<String>,
    directory_names: Vec<String>,
    #[allow(dead_code)]
    true_examples: Vec<String>,
    #[allow(dead_code)]
    false_examples: Vec<String>,
}

/// The compiled name list.
pub struct SecretFileNames {
    patterns: GlobSet,
    exclude: GlobSet,
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

fn data() -> Data {
    serde_json::from_str(BUILTIN_JSON)
        .expect("rules/secret-file-names.toml parses (checked by the unit tests)")
}

impl SecretFileNames {
    /// The builtin list, compiled on first use.
    pub fn builtin() -> &'static SecretFileNames {
        static BUILTIN: LazyLock<SecretFileNames> = LazyLock::new(|| {
            let data = data();
            SecretFileNames {
                patterns: compile(&data.patterns),
                exclude: compile(&data.exclude),
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
        !name.is_empty() && self.exclude.is_match(&name)
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
        self.patterns.is_match(&name) && !self.exclude.is_match(&name)
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
        for example in data().true_examples {
            assert!(names.says_secret(&example), "{example} should match");
            assert!(names.says_secret(&format!("/run/app/{example}")));
        }
    }

    #[test]
    fn false_examples_do_not_match() {
        let names = SecretFileNames::builtin();
        for example in data().false_examples {
            assert!(!names.says_secret(&example), "{example} should not match");
        }
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
