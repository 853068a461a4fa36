//! Credential file patterns: which paths name a file that holds a secret
//! (the DLK001 list, also used by DLK002 and DLK010).
//!
//! The list is data (`rules/credential-files.toml`); this module compiles
//! every glob of every entry into one [`GlobSet`] (and the exclusions into a
//! second one) and matches paths as they are written in a Dockerfile.
//! Matching is case-insensitive and works in any directory: `.netrc`,
//! `./.netrc`, `/root/.netrc`, `foo/bar/.netrc` and `/root/.ssh/` all
//! normalise before matching.
//!
//! What a path match means is left to the rules: whether the path is a COPY
//! source or an `ADD <url>` destination, whether `.dockerignore` excludes it,
//! and how severe a copy is.

use std::sync::{Arc, LazyLock};

use globset::{Candidate, GlobBuilder, GlobSet, GlobSetBuilder};
use serde::Deserialize;

use super::{check_unique_ids, parse_toml, SecretsError};

const BUILTIN_SOURCE_NAME: &str = "rules/credential-files.toml";
const BUILTIN_TOML: &str = include_str!("../../rules/credential-files.toml");

/// What kind of credential a path names; decides the fix a rule suggests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CredentialFileKind {
    /// An SSH private key, or a directory of them (`.ssh/`): fix with
    /// `RUN --mount=type=ssh`.
    SshKey,
    /// Any other credential file: fix with
    /// `RUN --mount=type=secret,id=…,target=…`.
    File,
    /// A directory that holds credential files (`.aws/`, `.docker/`); same
    /// fix as [`CredentialFileKind::File`], aimed at the file inside.
    Directory,
    /// A file that holds a credential only under a condition the path cannot
    /// show (`.gitconfig` with `credential.helper store`). Never returned by
    /// [`CredentialFiles::match_path`]; see
    /// [`CredentialFiles::match_conditional`].
    Conditional,
}

impl CredentialFileKind {
    /// Whether the fix is an SSH mount (`RUN --mount=type=ssh`) rather than a
    /// secret mount.
    pub fn is_ssh_key(self) -> bool {
        self == CredentialFileKind::SshKey
    }

    /// Whether a path match alone is not enough to call the file a
    /// credential.
    pub fn is_conditional(self) -> bool {
        self == CredentialFileKind::Conditional
    }
}

/// One entry of `rules/credential-files.toml` (or of configuration).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CredentialFilePattern {
    /// Stable kebab-case id; also a good default `id=` for the secret mount
    /// in a fix.
    pub id: String,
    /// What the file is and why it is secret.
    pub description: String,
    /// What kind of credential it is.
    pub kind: CredentialFileKind,
    /// Globs (case-insensitive, `*` stays within one path component, `**/`
    /// spans directories) that name the file.
    pub patterns: Vec<String>,
    /// Globs that take a path back out of this entry.
    #[serde(default)]
    pub exclude: Vec<String>,
    /// Paths that must match this entry (run by the tests).
    #[serde(default)]
    pub true_examples: Vec<String>,
    /// Paths that must match no entry at all (run by the tests).
    #[serde(default)]
    pub false_examples: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CredentialFileList {
    credential_file: Vec<CredentialFilePattern>,
}

/// The compiled credential file list.
#[derive(Debug, Clone)]
pub struct CredentialFiles {
    patterns: Vec<CredentialFilePattern>,
    /// All `patterns` globs of all entries.
    include_set: GlobSet,
    /// For each glob of `include_set`, the index of its entry.
    include_owner: Vec<usize>,
    /// All `exclude` globs of all entries.
    exclude_set: GlobSet,
    /// For each glob of `exclude_set`, the index of its entry.
    exclude_owner: Vec<usize>,
}

static BUILTIN: LazyLock<Arc<CredentialFiles>> = LazyLock::new(|| {
    Arc::new(
        CredentialFiles::compile(builtin_patterns())
            .expect("rules/credential-files.toml is valid (checked by the unit tests)"),
    )
});

/// The builtin list, shared with [`super::Catalog::builtin`].
pub(crate) fn builtin_shared() -> Arc<CredentialFiles> {
    Arc::clone(&BUILTIN)
}

fn builtin_patterns() -> Vec<CredentialFilePattern> {
    parse_toml::<CredentialFileList>(BUILTIN_SOURCE_NAME, BUILTIN_TOML)
        .expect("rules/credential-files.toml parses (checked by the unit tests)")
        .credential_file
}

impl CredentialFiles {
    /// The builtin list from `rules/credential-files.toml`, compiled on first
    /// use.
    pub fn builtin() -> &'static CredentialFiles {
        &BUILTIN
    }

    /// The builtin list followed by `extra` entries (from configuration).
    /// Extra entries are tried after the builtin ones; their ids must not
    /// repeat a builtin id.
    pub fn with_extra(extra: &[CredentialFilePattern]) -> Result<CredentialFiles, SecretsError> {
        let mut patterns = builtin_patterns();
        patterns.extend_from_slice(extra);
        CredentialFiles::compile(patterns)
    }

    /// Parses a TOML document of the `rules/credential-files.toml` schema
    /// (`[[credential_file]]` entries), for extra lists kept in files.
    pub fn parse_patterns(
        source_name: &str,
        text: &str,
    ) -> Result<Vec<CredentialFilePattern>, SecretsError> {
        Ok(parse_toml::<CredentialFileList>(source_name, text)?.credential_file)
    }

    fn compile(patterns: Vec<CredentialFilePattern>) -> Result<CredentialFiles, SecretsError> {
        check_unique_ids(
            "credential file pattern",
            patterns.iter().map(|pattern| pattern.id.as_str()),
        )?;
        let mut include_builder = GlobSetBuilder::new();
        let mut include_owner = Vec::new();
        let mut exclude_builder = GlobSetBuilder::new();
        let mut exclude_owner = Vec::new();
        for (index, pattern) in patterns.iter().enumerate() {
            validate(pattern)?;
            for glob in &pattern.patterns {
                include_builder.add(compile_glob(&pattern.id, glob)?);
                include_owner.push(index);
            }
            for glob in &pattern.exclude {
                exclude_builder.add(compile_glob(&pattern.id, glob)?);
                exclude_owner.push(index);
            }
        }
        let build_error = |source: globset::Error| SecretsError::Glob {
            id: "(all patterns)".to_owned(),
            glob: String::new(),
            source: Box::new(source),
        };
        Ok(CredentialFiles {
            patterns,
            include_set: include_builder.build().map_err(build_error)?,
            include_owner,
            exclude_set: exclude_builder.build().map_err(build_error)?,
            exclude_owner,
        })
    }

    /// All entries, in matching order.
    pub fn patterns(&self) -> &[CredentialFilePattern] {
        &self.patterns
    }

    /// The first entry that names `path` as a credential file, or `None`.
    ///
    /// `path` is a path as written in a Dockerfile (COPY/ADD source or
    /// destination, a file a RUN writes): `./` and leading or trailing `/`
    /// are ignored, `~/` stands for any home directory, and a backslash is
    /// part of a name, never a separator. A path that is itself a glob
    /// (`COPY *.pem .`) is compared as a literal name: `*.pem` happens to
    /// match the `*.pem` entry, but `id_*` does not match `id_rsa`, so expand
    /// such sources against the build context first when it is known.
    /// [`CredentialFileKind::Conditional`] entries are skipped.
    pub fn match_path(&self, path: &str) -> Option<&CredentialFilePattern> {
        self.matching_indices(path)
            .into_iter()
            .map(|index| &self.patterns[index])
            .find(|pattern| !pattern.kind.is_conditional())
    }

    /// The first [`CredentialFileKind::Conditional`] entry that names `path`
    /// (`.gitconfig`), for a rule that can check the condition itself.
    pub fn match_conditional(&self, path: &str) -> Option<&CredentialFilePattern> {
        self.matching_indices(path)
            .into_iter()
            .map(|index| &self.patterns[index])
            .find(|pattern| pattern.kind.is_conditional())
    }

    /// Whether `path` names a credential file ([`Self::match_path`] finds an
    /// entry).
    pub fn is_credential_file(&self, path: &str) -> bool {
        self.match_path(path).is_some()
    }

    /// Indices of all entries that include `path` and do not exclude it, in
    /// list order.
    fn matching_indices(&self, path: &str) -> Vec<usize> {
        let normalized = normalize_path(path);
        if normalized.is_empty() {
            return Vec::new();
        }
        let candidate = Candidate::new(&normalized);
        let mut included: Vec<usize> = self
            .include_set
            .matches_candidate(&candidate)
            .into_iter()
            .map(|glob_index| self.include_owner[glob_index])
            .collect();
        if included.is_empty() {
            return included;
        }
        let excluded: Vec<usize> = self
            .exclude_set
            .matches_candidate(&candidate)
            .into_iter()
            .map(|glob_index| self.exclude_owner[glob_index])
            .collect();
        included.sort_unstable();
        included.dedup();
        included.retain(|index| !excluded.contains(index));
        included
    }
}

fn validate(pattern: &CredentialFilePattern) -> Result<(), SecretsError> {
    let invalid = |problem: &str| SecretsError::InvalidEntry {
        list: "credential file pattern",
        id: pattern.id.clone(),
        problem: problem.to_owned(),
    };
    if pattern.id.trim().is_empty() {
        return Err(invalid("the id is empty; give every entry a kebab-case id"));
    }
    if pattern.patterns.is_empty() {
        return Err(invalid(
            "`patterns` is empty; add at least one glob such as \"**/.netrc\"",
        ));
    }
    Ok(())
}

fn compile_glob(id: &str, glob: &str) -> Result<globset::Glob, SecretsError> {
    GlobBuilder::new(glob)
        .case_insensitive(true)
        .literal_separator(true)
        .backslash_escape(true)
        .build()
        .map_err(|source| SecretsError::Glob {
            id: id.to_owned(),
            glob: glob.to_owned(),
            source: Box::new(source),
        })
}

/// Normalises a Dockerfile path for matching: drops empty and `.`
/// components (so leading `/`, `./`, `//` and trailing `/` disappear) and a
/// leading `~` (home directory). `..` is kept. A backslash becomes U+FFFD,
/// which no glob names, because globset would read it as a separator on
/// Windows and a Dockerfile path never does.
fn normalize_path(path: &str) -> String {
    let mut components = path
        .trim()
        .split('/')
        .filter(|component| !component.is_empty() && *component != ".")
        .peekable();
    if components.peek() == Some(&"~") {
        components.next();
    }
    components
        .collect::<Vec<_>>()
        .join("/")
        .replace('\\', "\u{FFFD}")
}

/// The last component of a Dockerfile path, ignoring trailing `/`:
/// `/root/.ssh/` → `.ssh`, `./.netrc` → `.netrc`, `/` → `` (empty).
pub fn file_name_of(path: &str) -> &str {
    let trimmed = path.trim_end_matches('/');
    match trimmed.rfind('/') {
        Some(slash) => &trimmed[slash + 1..],
        None => trimmed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files() -> &'static CredentialFiles {
        CredentialFiles::builtin()
    }

    fn matched_id(path: &str) -> Option<&'static str> {
        files().match_path(path).map(|pattern| pattern.id.as_str())
    }

    #[test]
    fn every_entry_has_examples_and_a_description() {
        for pattern in files().patterns() {
            assert!(
                !pattern.description.is_empty(),
                "{} has no description",
                pattern.id
            );
            assert!(
                !pattern.true_examples.is_empty(),
                "{} has no true example",
                pattern.id
            );
            assert!(
                !pattern.false_examples.is_empty(),
                "{} has no false example",
                pattern.id
            );
        }
    }

    #[test]
    fn every_true_example_matches_its_entry_and_every_false_example_matches_nothing() {
        let files = files();
        let mut failures = Vec::new();
        for (index, pattern) in files.patterns().iter().enumerate() {
            for example in &pattern.true_examples {
                if !files.matching_indices(example).contains(&index) {
                    failures.push(format!(
                        "{}: true example {example:?} does not match",
                        pattern.id
                    ));
                }
            }
            for example in &pattern.false_examples {
                let matches = files.matching_indices(example);
                if !matches.is_empty() {
                    let ids: Vec<&str> = matches
                        .iter()
                        .map(|&other| files.patterns()[other].id.as_str())
                        .collect();
                    failures.push(format!(
                        "{}: false example {example:?} matches {ids:?}",
                        pattern.id
                    ));
                }
            }
        }
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    }

    #[test]
    fn every_file_named_in_rules_md_is_recognised() {
        let paths = [
            ".netrc",
            "_netrc",
            ".npmrc",
            ".yarnrc.yml",
            ".pypirc",
            "pip.conf",
            ".git-credentials",
            ".ssh/",
            "id_rsa",
            "id_dsa",
            "id_ecdsa",
            "id_ed25519",
            "server.pem",
            "server.key",
            "cert.p12",
            "cert.pfx",
            "app.jks",
            "app.keystore",
            ".aws/credentials",
            ".aws/config",
            ".docker/config.json",
            ".kube/config",
            "kubeconfig",
            ".env",
            ".env.production",
            "credentials.json",
            "my-service-account-key.json",
            ".config/gcloud",
            ".htpasswd",
            ".vault-token",
            "secrets.yml",
            "secrets.yaml",
            "prod.tfvars",
            ".terraformrc",
            "terraform.rc",
            "settings.xml",
            ".gradle/gradle.properties",
            ".composer/auth.json",
            "auth.json",
            ".cargo/credentials",
            ".cargo/credentials.toml",
            ".gem/credentials",
            ".config/gh/hosts.yml",
        ];
        for path in paths {
            assert!(files().is_credential_file(path), "{path} is not recognised");
        }
    }

    #[test]
    fn files_rules_md_says_not_to_flag_are_not_matched() {
        for path in [
            "id_rsa.pub",
            "/root/.ssh/id_ed25519.pub",
            "ca.crt",
            "certs/server.crt",
            "/usr/local/share/ca-certificates/corp-root.crt",
            "ca.pem",
            "known_hosts",
            ".ssh/known_hosts",
            ".env.example",
            ".env.sample",
            ".env.template",
            ".env.dist",
        ] {
            assert_eq!(
                matched_id(path),
                None,
                "{path} must not be a credential file"
            );
        }
    }

    #[test]
    fn paths_match_in_any_directory_and_spelling() {
        for path in [
            ".netrc",
            "./.netrc",
            "/root/.netrc",
            "foo/bar/.netrc",
            "~/.netrc",
            "//root//./.netrc/",
        ] {
            assert_eq!(matched_id(path), Some("netrc"), "{path}");
        }
        assert_eq!(matched_id("/ROOT/.NETRC"), Some("netrc"));
        assert_eq!(matched_id("../secrets/.netrc"), Some("netrc"));
    }

    #[test]
    fn backslash_is_not_a_separator() {
        assert_eq!(matched_id(r"foo\.netrc"), None);
        assert_eq!(matched_id(r"tls\server.pem"), Some("pem-file"));
    }

    #[test]
    fn empty_and_root_paths_match_nothing() {
        for path in ["", "/", ".", "./", "  "] {
            assert_eq!(matched_id(path), None, "{path:?}");
        }
    }

    #[test]
    fn ssh_keys_and_directory_choose_the_ssh_fix() {
        for path in [
            "id_rsa",
            "/root/.ssh/",
            ".ssh",
            "keys/id_ed25519",
            "deploy.ppk",
        ] {
            let pattern = files().match_path(path).expect("an ssh credential");
            assert!(pattern.kind.is_ssh_key(), "{path} → {}", pattern.id);
        }
        for path in [".netrc", "server.pem", ".aws/"] {
            let pattern = files().match_path(path).expect("a credential");
            assert!(!pattern.kind.is_ssh_key(), "{path} → {}", pattern.id);
        }
    }

    #[test]
    fn gitconfig_is_only_a_conditional_match() {
        assert_eq!(matched_id("/root/.gitconfig"), None);
        let conditional = files()
            .match_conditional("/root/.gitconfig")
            .expect("gitconfig is conditional");
        assert_eq!(conditional.id, "gitconfig");
        assert!(conditional.kind.is_conditional());
        assert!(files().match_conditional(".netrc").is_none());
    }

    #[test]
    fn glob_sources_are_compared_literally() {
        assert_eq!(matched_id("*.pem"), Some("pem-file"));
        assert_eq!(matched_id("id_rsa_*"), Some("ssh-private-key"));
        assert_eq!(matched_id("id_*"), None);
        assert_eq!(matched_id("*.crt"), None);
    }

    #[test]
    fn a_specific_entry_wins_over_a_general_one() {
        assert_eq!(matched_id("/root/.ssh/id_rsa"), Some("ssh-directory"));
        assert_eq!(matched_id("tls/cert-key.pem"), Some("private-key-pem"));
        assert_eq!(
            matched_id("/root/.aws/credentials"),
            Some("aws-credentials")
        );
        assert_eq!(matched_id("/root/.aws"), Some("aws-directory"));
    }

    #[test]
    fn extra_patterns_extend_the_list_and_bad_globs_are_reported() {
        let extra = CredentialFiles::parse_patterns(
            "config",
            r#"
            [[credential_file]]
            id = "corp-token"
            description = "corp token file"
            kind = "file"
            patterns = ["**/.corp-token"]
            "#,
        )
        .expect("valid extra");
        let files = CredentialFiles::with_extra(&extra).expect("compiles");
        assert_eq!(
            files
                .match_path("/root/.corp-token")
                .map(|pattern| pattern.id.as_str()),
            Some("corp-token")
        );
        assert_eq!(
            files
                .match_path(".netrc")
                .map(|pattern| pattern.id.as_str()),
            Some("netrc")
        );

        let mut broken = extra[0].clone();
        broken.id = "broken".into();
        broken.patterns = vec!["**/[.corp".into()];
        let error = CredentialFiles::with_extra(&[broken]).expect_err("bad glob");
        assert!(error.to_string().contains("`broken`"), "{error}");

        let mut empty = extra[0].clone();
        empty.patterns.clear();
        assert!(CredentialFiles::with_extra(&[empty]).is_err());
    }

    #[test]
    fn unknown_fields_and_kinds_are_rejected() {
        let unknown_kind = r#"
            [[credential_file]]
            id = "x"
            description = "x"
            kind = "secret"
            patterns = ["x"]
        "#;
        assert!(CredentialFiles::parse_patterns("config", unknown_kind).is_err());
        let unknown_field = r#"
            [[credential_file]]
            id = "x"
            description = "x"
            kind = "file"
            pattern = ["x"]
        "#;
        assert!(CredentialFiles::parse_patterns("config", unknown_field).is_err());
    }

    #[test]
    fn file_name_of_takes_the_last_component() {
        assert_eq!(file_name_of("/root/.ssh/"), ".ssh");
        assert_eq!(file_name_of("./.netrc"), ".netrc");
        assert_eq!(file_name_of("id_rsa"), "id_rsa");
        assert_eq!(file_name_of("/"), "");
        assert_eq!(file_name_of(""), "");
    }
}
