//! The effective configuration of a run: which rules, at which severity,
//! what counts as a secret, which paths to skip, when to fail, and what the
//! analysis should assume (target stage, build context).
//!
//! Configuration comes from `.dockerleak.toml`, found from the current
//! directory upward (the nearest one wins; the search stops at the file
//! system root), or from the file `--config` names; `--no-config` uses the
//! defaults. Command line flags then override it (the CLI's job). The file:
//!
//! ```toml
//! select = ["DLK001", "DLK004"]     # only these rules (default: all)
//! ignore = ["DLK003"]               # never these
//! fail-level = "error"              # error | warning | note | never
//! inline-ignores = false             # `# dockerleak ignore=` silences nothing
//! include = ["*.docker"]             # more file names a walk checks
//! exclude = ["vendor/", "**/testdata/**"]
//!
//! [severity]                        # per-rule severity overrides
//! DLK003 = "error"
//!
//! # Secret knowledge, added to the builtin lists; entries have the schema
//! # of rules/*.toml (the same Rust types read both).
//! secret-names = ["*_SESAME"]
//! allowed-names = ["MY_TOKEN_COUNT"]
//!
//! [[credential-files]]
//! id = "vault-token-file"
//! description = "our vault token"
//! kind = "file"
//! patterns = ["**/.vault-token"]
//!
//! [[token-formats]]
//! id = "acme-token"
//! description = "ACME API token"
//! regex = '\bacme_[A-Za-z0-9]{32}\b'
//! keywords = ["acme_"]
//! ```
//!
//! Rule codes may be written as codes (`DLK003`, any case) or names
//! (`secret-in-arg`). Every problem (TOML syntax, an unknown key, a wrong
//! type, an unknown rule code, a bad severity, glob or regex, an entry whose
//! own examples fail) is a [`ConfigError`] that names the file, the line and
//! column, and the key (`token-formats[0].regex`), and renders with miette
//! as the file's line with a label on the exact place.

use crate::finding::Severity;
use crate::secrets::{Catalog, CatalogExtra, CredentialFilePattern, SecretsError, TokenFormat};
use globset::{GlobBuilder, GlobSet, GlobSetBuilder};
use miette::{Diagnostic, LabeledSpan, NamedSource, SourceCode};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::fmt;
use std::ops::Range;
use std::path::{Component, Path, PathBuf};

/// The file name searched for from the current directory upward.
pub const CONFIG_FILE_NAME: &str = ".dockerleak.toml";

/// Settings that change what the linter reports.
#[derive(Clone, Debug, Default)]
pub struct Config {
    /// Only these codes (empty: all rules).
    pub select: Vec<String>,
    /// Never these codes.
    pub ignore: Vec<String>,
    /// Per-code severity overrides.
    pub severity: BTreeMap<String, Severity>,
    /// The stage that is built (`--target`); default: the last one.
    pub target: Option<String>,
    /// The build context for context-aware rules (`--context`).
    pub context: Option<PathBuf>,
    /// Secret knowledge extended by configuration; `None`: the builtin one.
    pub catalog: Option<Catalog>,
    /// The lowest severity that fails the run; `None`: the default
    /// (`warning`).
    pub fail_level: Option<FailLevel>,
    /// Inline `# dockerleak ignore=` directives silence nothing
    /// (`--no-inline-ignores`, `inline-ignores = false`).
    pub no_inline_ignores: bool,
    /// More file-name globs that a walk checks (as `--include`).
    pub include: Vec<String>,
    /// Paths skipped during discovery.
    pub exclude: Exclude,
    /// What the configuration added to the secret catalogues (the
    /// compiled result is `catalog`).
    pub extra: CatalogExtra,
    /// Build-context walks shared by the files of one run (DLK010); set by
    /// `dockerleak check`. `None` (the default) for a long-lived caller,
    /// such as an editor integration built on the library, so that every
    /// lint sees the files as they are now.
    pub context_scans: Option<std::sync::Arc<crate::rules::ContextScans>>,
    /// `--kind`: read every file as this kind instead of recognising it.
    pub kind: Option<crate::builddefs::kind::FileKind>,
    /// Build-definition readers turned off (`disabled-readers`).
    pub disabled_readers: Vec<crate::builddefs::Kind>,
}

impl Config {
    /// The secret catalogues in effect.
    pub fn catalog(&self) -> &Catalog {
        self.catalog.as_ref().unwrap_or_else(|| Catalog::builtin())
    }

    /// Whether rule `code` runs under this configuration.
    pub fn is_enabled(&self, code: &str) -> bool {
        let selected = self.select.is_empty()
            || self
                .select
                .iter()
                .any(|selected| selected.eq_ignore_ascii_case(code));
        selected
            && !self
                .ignore
                .iter()
                .any(|ignored| ignored.eq_ignore_ascii_case(code))
    }

    /// The fail level in effect.
    pub fn effective_fail_level(&self) -> FailLevel {
        self.fail_level.unwrap_or(FailLevel::Warning)
    }
}

/// The lowest severity that makes the exit code 1.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum FailLevel {
    Error,
    Warning,
    Note,
    /// Findings never change the exit code (errors still give 2).
    Never,
}

impl FailLevel {
    /// The lowest failing severity; `None` for `never`.
    pub fn threshold(self) -> Option<Severity> {
        match self {
            FailLevel::Error => Some(Severity::Error),
            FailLevel::Warning => Some(Severity::Warning),
            FailLevel::Note => Some(Severity::Note),
            FailLevel::Never => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            FailLevel::Error => "error",
            FailLevel::Warning => "warning",
            FailLevel::Note => "note",
            FailLevel::Never => "never",
        }
    }

    pub fn parse(text: &str) -> Option<FailLevel> {
        match text.to_ascii_lowercase().as_str() {
            "error" => Some(FailLevel::Error),
            "warning" => Some(FailLevel::Warning),
            "note" => Some(FailLevel::Note),
            "never" => Some(FailLevel::Never),
            _ => None,
        }
    }
}

/// The canonical code of a rule written as a code (any case) or a name.
pub fn resolve_rule(code_or_name: &str) -> Option<&'static str> {
    crate::rules::find(code_or_name.trim()).map(|rule| rule.meta().code)
}

/// The rule code or name closest to `text` (an unknown one), for a "did
/// you mean" hint; `None` when nothing is close.
pub fn did_you_mean(text: &str) -> Option<&'static str> {
    let text = text.trim().to_ascii_lowercase();
    crate::rules::registry()
        .iter()
        .flat_map(|rule| [rule.meta().code, rule.meta().name])
        .map(|candidate| {
            let score = strsim::jaro_winkler(&text, &candidate.to_ascii_lowercase());
            (score, candidate)
        })
        .filter(|(score, _)| *score >= 0.8)
        .max_by(|left, right| left.0.total_cmp(&right.0))
        .map(|(_, candidate)| candidate)
}

/// The help for an unknown rule code: the nearest one, and where the list is.
pub fn unknown_rule_help(code: &str) -> String {
    match did_you_mean(code) {
        Some(suggestion) => format!("did you mean `{suggestion}`? {RULES_HELP}"),
        None => RULES_HELP.to_string(),
    }
}

/// Path globs whose files are not checked.
///
/// Each pattern is matched against the path relative to the directory of
/// the configuration file, with `/` separators; `*` stays within one path
/// component and `**` spans directories. A pattern without a `/` (other
/// than a trailing one) matches a file or directory of that name at any
/// depth (`vendor`, `*.generated.Dockerfile`); one with a `/` is anchored
/// to the configuration's directory (`build/Dockerfile`, `/Dockerfile`).
/// A pattern that matches a directory excludes everything under it.
#[derive(Clone, Debug, Default)]
pub struct Exclude {
    patterns: Vec<String>,
    base: PathBuf,
    set: Option<GlobSet>,
}

impl Exclude {
    /// Compiles `patterns`, relative to the absolute directory `base`. On a
    /// bad pattern, returns its index and the reason.
    pub fn new(patterns: &[String], base: PathBuf) -> Result<Exclude, (usize, String)> {
        let mut builder = GlobSetBuilder::new();
        for (index, pattern) in patterns.iter().enumerate() {
            let trimmed = pattern.trim();
            let trimmed = trimmed.strip_prefix("./").unwrap_or(trimmed);
            let trimmed = trimmed.trim_end_matches('/');
            if trimmed.is_empty() {
                return Err((index, "an empty pattern would exclude nothing".into()));
            }
            let (anchored, body) = match trimmed.strip_prefix('/') {
                Some(body) => (true, body),
                None => (trimmed.contains('/'), trimmed),
            };
            let globs = if anchored {
                [body.to_string(), format!("{body}/**")]
            } else {
                [format!("**/{body}"), format!("**/{body}/**")]
            };
            for glob in globs {
                let compiled = GlobBuilder::new(&glob)
                    .literal_separator(true)
                    .build()
                    .map_err(|error| (index, error.kind().to_string()))?;
                builder.add(compiled);
            }
        }
        let set = builder
            .build()
            .map_err(|error| (0, error.kind().to_string()))?;
        Ok(Exclude {
            patterns: patterns.to_vec(),
            base,
            set: (!patterns.is_empty()).then_some(set),
        })
    }

    /// The patterns as written.
    pub fn patterns(&self) -> &[String] {
        &self.patterns
    }

    /// Whether the file at `path` (absolute and lexically normalized) is
    /// excluded.
    pub fn is_excluded(&self, path: &Path) -> bool {
        let Some(set) = &self.set else {
            return false;
        };
        match path.strip_prefix(&self.base) {
            Ok(relative) => set.is_match(slash_path(relative)),
            Err(_) => set.is_match(slash_path(path)),
        }
    }
}

fn slash_path(path: &Path) -> String {
    path.components()
        .filter_map(|component| match component {
            Component::Normal(part) => Some(part.to_string_lossy()),
            _ => None,
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// Removes `.` components and folds `..` into its parent, without touching
/// the file system (symbolic links are left as written).
pub fn normalize_lexically(path: &Path) -> PathBuf {
    let mut normalized = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                let last_is_normal = matches!(
                    normalized.components().next_back(),
                    Some(Component::Normal(_))
                );
                if last_is_normal {
                    normalized.pop();
                } else if !normalized.has_root() {
                    normalized.push("..");
                }
            }
            other => normalized.push(other.as_os_str()),
        }
    }
    normalized
}

/// Where the configuration of a run came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ConfigSource {
    /// No file: the defaults (none found upward from `searched`, as
    /// messages name that directory; `None`: `--no-config`).
    Defaults { searched: Option<String> },
    /// A file, named by `--config` (`found_from` is `None`) or found upward
    /// from a directory (named as messages name it, "the current
    /// directory" for a run's). `display` is how messages name the file.
    File {
        path: PathBuf,
        display: String,
        found_from: Option<String>,
    },
}

impl fmt::Display for ConfigSource {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigSource::Defaults {
                searched: Some(directory),
            } => write!(
                formatter,
                "defaults (no {CONFIG_FILE_NAME} in {directory} or above)"
            ),
            ConfigSource::Defaults { searched: None } => {
                write!(formatter, "defaults (--no-config)")
            }
            ConfigSource::File {
                display,
                found_from: Some(directory),
                ..
            } => write!(formatter, "{display} (found from {directory} upward)"),
            ConfigSource::File { display, .. } => write!(formatter, "{display} (--config)"),
        }
    }
}

/// A configuration and where it came from.
#[derive(Clone, Debug)]
pub struct LoadedConfig {
    pub config: Config,
    pub source: ConfigSource,
    /// The file's text (for `config --show`).
    pub text: Option<String>,
}

/// The nearest `.dockerleak.toml` in `directory` or one of its ancestors.
pub fn find_config_file(directory: &Path) -> Option<PathBuf> {
    directory
        .ancestors()
        .map(|ancestor| ancestor.join(CONFIG_FILE_NAME))
        .find(|candidate| candidate.is_file())
}

/// Loads the configuration of a run in `working_directory` (absolute):
/// the file `explicit` names, else the nearest `.dockerleak.toml` upward,
/// else (or with `no_config`) the defaults.
pub fn load(
    explicit: Option<&Path>,
    no_config: bool,
    working_directory: &Path,
) -> Result<LoadedConfig, ConfigError> {
    load_searching(explicit, no_config, working_directory, working_directory)
}

/// [`load`], searching for the nearest `.dockerleak.toml` from `search`
/// (absolute: the directory of a file whose configuration is asked for)
/// instead of the working directory; names stay relative to the latter.
pub fn load_searching(
    explicit: Option<&Path>,
    no_config: bool,
    working_directory: &Path,
    search: &Path,
) -> Result<LoadedConfig, ConfigError> {
    let from = if search == working_directory {
        "the current directory".to_string()
    } else {
        format!("`{}`", pathdiff(search, working_directory))
    };
    let (path, display, found_from) = match explicit {
        _ if no_config => {
            return Ok(LoadedConfig {
                config: Config::default(),
                source: ConfigSource::Defaults { searched: None },
                text: None,
            })
        }
        Some(path) => (path.to_path_buf(), path.display().to_string(), None),
        None => match find_config_file(search) {
            Some(path) => {
                let display = pathdiff(&path, working_directory);
                (path, display, Some(from))
            }
            None => {
                return Ok(LoadedConfig {
                    config: Config::default(),
                    source: ConfigSource::Defaults {
                        searched: Some(from),
                    },
                    text: None,
                })
            }
        },
    };
    let text = crate::input::read_regular_text(&path, crate::input::MAX_SIDE_FILE_SIZE).map_err(
        |error| ConfigError::Read {
            path: display.clone(),
            message: error.to_string(),
        },
    )?;
    let absolute = normalize_lexically(&working_directory.join(&path));
    let base = absolute
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| working_directory.to_path_buf());
    let config = parse(&text, &display, &base)?;
    Ok(LoadedConfig {
        config,
        source: ConfigSource::File {
            path,
            display,
            found_from,
        },
        text: Some(text),
    })
}

/// `path` as seen from `directory` (`.dockerleak.toml`,
/// `../.dockerleak.toml`), or absolute when that is shorter to say.
fn pathdiff(path: &Path, directory: &Path) -> String {
    for (ups, ancestor) in directory.ancestors().enumerate().take(5) {
        if let Ok(rest) = path.strip_prefix(ancestor) {
            let mut relative = PathBuf::new();
            for _ in 0..ups {
                relative.push("..");
            }
            relative.push(rest);
            return relative.display().to_string();
        }
    }
    path.display().to_string()
}

/// The file's schema. Top-level keys are kebab-case; the secret knowledge
/// entries are the types that read `rules/*.toml`, so they have its schema
/// exactly, and together these four keys are [`CatalogExtra`].
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
struct ConfigFile {
    select: Option<Vec<String>>,
    ignore: Option<Vec<String>>,
    severity: BTreeMap<String, String>,
    fail_level: Option<String>,
    inline_ignores: Option<bool>,
    include: Vec<String>,
    exclude: Vec<String>,
    secret_names: Vec<String>,
    allowed_names: Vec<String>,
    credential_files: Vec<CredentialFilePattern>,
    token_formats: Vec<TokenFormat>,
    disabled_readers: Vec<String>,
}

/// Parses a configuration file's text. `display` names the file in
/// errors; `base` (absolute) is the directory `exclude` is relative to.
pub fn parse(text: &str, display: &str, base: &Path) -> Result<Config, ConfigError> {
    let invalid = |path: KeyPath, message: String, help: Option<String>| {
        ConfigError::invalid(display, text, path, message, help)
    };
    let file: ConfigFile =
        toml::from_str(text).map_err(|error| ConfigError::from_toml(display, text, &error))?;
    let mut config = Config::default();
    for (key, list) in [("select", &file.select), ("ignore", &file.ignore)] {
        let mut codes = Vec::new();
        for (index, code) in list.iter().flatten().enumerate() {
            match resolve_rule(code) {
                Some(canonical) => codes.push(canonical.to_string()),
                None => {
                    return Err(invalid(
                        KeyPath::new(key).index(index),
                        format!("unknown rule code `{code}`"),
                        Some(unknown_rule_help(code)),
                    ))
                }
            }
        }
        if key == "select" {
            config.select = codes;
        } else {
            config.ignore = codes;
        }
    }
    config.no_inline_ignores = file.inline_ignores == Some(false);
    for (index, pattern) in file.include.iter().enumerate() {
        if let Err(reason) = crate::discover::validate_glob(pattern) {
            return Err(invalid(
                KeyPath::new("include").index(index),
                format!("invalid glob `{pattern}`: {reason}"),
                None,
            ));
        }
    }
    config.include = file.include.clone();
    for (index, name) in file.disabled_readers.iter().enumerate() {
        if name.eq_ignore_ascii_case("all") {
            config.disabled_readers = crate::builddefs::Kind::ALL.to_vec();
            continue;
        }
        match crate::builddefs::Kind::parse(name, "") {
            Some(kind) if name != "script" => config.disabled_readers.push(kind),
            _ => {
                return Err(invalid(
                    KeyPath::new("disabled-readers").index(index),
                    format!("unknown build-definition kind `{name}`"),
                    Some(format!(
                        "use `all` or some of: {}",
                        crate::builddefs::Kind::ALL
                            .map(|kind| kind.name())
                            .join(", ")
                    )),
                ))
            }
        }
    }
    for (code, severity) in &file.severity {
        let Some(canonical) = resolve_rule(code) else {
            return Err(invalid(
                KeyPath::new("severity").key(code).at_key(),
                format!("unknown rule code `{code}`"),
                Some(unknown_rule_help(code)),
            ));
        };
        let Some(parsed) = Severity::parse(severity) else {
            return Err(invalid(
                KeyPath::new("severity").key(code),
                format!("unknown severity `{severity}`"),
                Some("use \"error\", \"warning\" or \"note\" (`ignore` turns a rule off)".into()),
            ));
        };
        config.severity.insert(canonical.to_string(), parsed);
    }
    if let Some(level) = &file.fail_level {
        let Some(parsed) = FailLevel::parse(level) else {
            return Err(invalid(
                KeyPath::new("fail-level"),
                format!("unknown fail level `{level}`"),
                Some("use \"error\", \"warning\", \"note\" or \"never\"".into()),
            ));
        };
        config.fail_level = Some(parsed);
    }
    config.exclude =
        Exclude::new(&file.exclude, base.to_path_buf()).map_err(|(index, reason)| {
            invalid(
                KeyPath::new("exclude").index(index),
                format!("invalid glob `{}`: {reason}", file.exclude[index]),
                None,
            )
        })?;
    let extra = CatalogExtra {
        credential_files: file.credential_files,
        secret_names: file.secret_names,
        allowed_names: file.allowed_names,
        token_formats: file.token_formats,
    };
    if !extra.is_empty() {
        let catalog = Catalog::with_extra(&extra).map_err(|error| {
            let (path, message) = locate_secrets_error(&extra, &error);
            invalid(path, message, None)
        })?;
        check_examples(&extra, &catalog).map_err(|(path, message)| invalid(path, message, None))?;
        config.catalog = Some(catalog);
    }
    config.extra = extra;
    Ok(config)
}

const RULES_HELP: &str = "`dockerleak rules` lists the codes and names";

/// The key an error of the secret catalogues is about.
fn locate_secrets_error(extra: &CatalogExtra, error: &SecretsError) -> (KeyPath, String) {
    let credential_file = |id: &str| {
        extra
            .credential_files
            .iter()
            .position(|entry| entry.id == id)
            .map(|index| KeyPath::new("credential-files").index(index))
    };
    let token_format = |id: &str| {
        extra
            .token_formats
            .iter()
            .position(|entry| entry.id == id)
            .map(|index| KeyPath::new("token-formats").index(index))
    };
    let message = error.to_string();
    let path = match error {
        SecretsError::Glob { id, glob, .. } => credential_file(id).map(|entry| {
            let patterns = extra
                .credential_files
                .iter()
                .find(|pattern| &pattern.id == id);
            let in_patterns = patterns.and_then(|pattern| {
                pattern
                    .patterns
                    .iter()
                    .position(|candidate| candidate == glob)
                    .map(|index| ("patterns", index))
                    .or_else(|| {
                        pattern
                            .exclude
                            .iter()
                            .position(|candidate| candidate == glob)
                            .map(|index| ("exclude", index))
                    })
            });
            match in_patterns {
                Some((key, index)) => entry.key(key).index(index),
                None => entry,
            }
        }),
        SecretsError::NameGlob { pattern, .. } => {
            let find = |key: &str, list: &[String]| {
                list.iter()
                    .position(|candidate| candidate == pattern)
                    .map(|index| KeyPath::new(key).index(index))
            };
            find("secret-names", &extra.secret_names)
                .or_else(|| find("allowed-names", &extra.allowed_names))
        }
        SecretsError::Regex { id, .. } => token_format(id).map(|entry| entry.key("regex")),
        SecretsError::SecretGroup { id, .. } => {
            token_format(id).map(|entry| entry.key("secret_group"))
        }
        SecretsError::DuplicateId { list, id } => {
            let entry = if list.contains("token") {
                token_format(id)
            } else {
                credential_file(id)
            };
            entry.map(|entry| entry.key("id"))
        }
        SecretsError::InvalidEntry { list, id, .. } => {
            if list.contains("token") {
                token_format(id)
            } else {
                credential_file(id)
            }
        }
        _ => None,
    };
    let fallback = if extra.token_formats.is_empty() {
        KeyPath::new("credential-files")
    } else {
        KeyPath::new("token-formats")
    };
    (path.unwrap_or(fallback), message)
}

/// Runs the `true_examples` and `false_examples` of configured entries, as
/// the tests do for the builtin ones: an entry that misses its own
/// example would silently never fire.
fn check_examples(extra: &CatalogExtra, catalog: &Catalog) -> Result<(), (KeyPath, String)> {
    for (index, entry) in extra.token_formats.iter().enumerate() {
        let path = KeyPath::new("token-formats").index(index);
        for (example_index, example) in entry.true_examples.iter().enumerate() {
            let found = catalog
                .tokens
                .scan(example)
                .iter()
                .any(|found| found.format_id == entry.id);
            if !found {
                return Err((
                    path.clone().key("true_examples").index(example_index),
                    format!(
                        "token format `{}` does not find its own true example",
                        entry.id
                    ),
                ));
            }
        }
        for (example_index, example) in entry.false_examples.iter().enumerate() {
            if let Some(found) = catalog.tokens.scan(example).first() {
                return Err((
                    path.clone().key("false_examples").index(example_index),
                    format!(
                        "the false example of token format `{}` is found by `{}`",
                        entry.id, found.format_id
                    ),
                ));
            }
        }
    }
    for (index, entry) in extra.credential_files.iter().enumerate() {
        if entry.kind.is_conditional() {
            continue;
        }
        let path = KeyPath::new("credential-files").index(index);
        for (example_index, example) in entry.true_examples.iter().enumerate() {
            let matched = catalog
                .files
                .match_path(example)
                .map(|found| found.id.as_str());
            if matched != Some(entry.id.as_str()) {
                return Err((
                    path.clone().key("true_examples").index(example_index),
                    format!(
                        "credential file `{}` does not match its own true example",
                        entry.id
                    ),
                ));
            }
        }
        for (example_index, example) in entry.false_examples.iter().enumerate() {
            if let Some(found) = catalog.files.match_path(example) {
                return Err((
                    path.clone().key("false_examples").index(example_index),
                    format!(
                        "the false example of credential file `{}` matches `{}`",
                        entry.id, found.id
                    ),
                ));
            }
        }
    }
    Ok(())
}

/// A key in the configuration file: `token-formats[0].regex`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyPath {
    parts: Vec<KeyPart>,
    /// Point at the last key itself rather than its value.
    at_key: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum KeyPart {
    Key(String),
    Index(usize),
}

impl KeyPath {
    fn new(key: &str) -> KeyPath {
        KeyPath {
            parts: vec![KeyPart::Key(key.to_string())],
            at_key: false,
        }
    }

    fn key(mut self, key: &str) -> KeyPath {
        self.parts.push(KeyPart::Key(key.to_string()));
        self
    }

    fn index(mut self, index: usize) -> KeyPath {
        self.parts.push(KeyPart::Index(index));
        self
    }

    fn at_key(mut self) -> KeyPath {
        self.at_key = true;
        self
    }
}

impl fmt::Display for KeyPath {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (position, part) in self.parts.iter().enumerate() {
            match part {
                KeyPart::Key(key) if position == 0 => formatter.write_str(key)?,
                KeyPart::Key(key) => write!(formatter, ".{key}")?,
                KeyPart::Index(index) => write!(formatter, "[{index}]")?,
            }
        }
        Ok(())
    }
}

/// Spans of keys and values, from a span-keeping parse of the file.
mod spans {
    use super::{KeyPart, KeyPath};
    use std::ops::Range;
    use toml_edit::{ImDocument, Item, Table, Value};

    fn contains(span: &Option<Range<usize>>, offset: usize) -> bool {
        span.as_ref()
            .is_some_and(|span| span.start <= offset && offset < span.end.max(span.start + 1))
    }

    /// A step of a walk: an item of a table, a value of an array or
    /// inline table, or one table of an array of tables.
    #[derive(Clone, Copy)]
    enum Node<'a> {
        Item(&'a Item),
        Value(&'a Value),
        Table(&'a Table),
    }

    impl<'a> Node<'a> {
        fn span(self) -> Option<Range<usize>> {
            match self {
                Node::Item(item) => item.span(),
                Node::Value(value) => value.span(),
                Node::Table(table) => table
                    .span()
                    .or_else(|| table.iter().find_map(|(key, _)| table.key(key)?.span())),
            }
        }

        fn table_like(self) -> Option<&'a dyn toml_edit::TableLike> {
            match self {
                Node::Item(item) => item.as_table_like(),
                Node::Value(value) => value.as_inline_table().map(|table| table as _),
                Node::Table(table) => Some(table as _),
            }
        }

        fn index(self, index: usize) -> Option<Node<'a>> {
            match self {
                Node::Item(Item::ArrayOfTables(tables)) => tables.get(index).map(Node::Table),
                Node::Item(Item::Value(Value::Array(array))) | Node::Value(Value::Array(array)) => {
                    array.get(index).map(Node::Value)
                }
                _ => None,
            }
        }
    }

    /// The byte range of `path`'s value (or, with `at_key`, of its last
    /// key) in `text`.
    pub fn of_path(text: &str, path: &KeyPath) -> Option<Range<usize>> {
        let document = ImDocument::parse(text).ok()?;
        let mut node = Node::Table(document.as_table());
        let mut key_span = None;
        for part in &path.parts {
            match part {
                KeyPart::Key(key) => {
                    let (found_key, item) = node.table_like()?.get_key_value(key)?;
                    key_span = found_key.span();
                    node = Node::Item(item);
                }
                KeyPart::Index(index) => {
                    key_span = None;
                    node = node.index(*index)?;
                }
            }
        }
        if path.at_key {
            key_span.or_else(|| node.span())
        } else {
            node.span().or(key_span)
        }
    }

    /// The key path (`token-formats[1].regex`) at byte `offset`.
    pub fn path_at(text: &str, offset: usize) -> Option<String> {
        let document = ImDocument::parse(text).ok()?;
        let mut path = String::new();
        if in_table(document.as_table(), offset, &mut path) {
            Some(path)
        } else {
            None
        }
    }

    fn push_key(path: &mut String, key: &str) {
        if !path.is_empty() {
            path.push('.');
        }
        path.push_str(key);
    }

    fn in_table(table: &Table, offset: usize, path: &mut String) -> bool {
        for (key, item) in table.iter() {
            let key_span = table.key(key).and_then(|key| key.span());
            let before = path.len();
            push_key(path, key);
            if contains(&key_span, offset) {
                return true;
            }
            if in_item(item, offset, path) {
                return true;
            }
            path.truncate(before);
        }
        false
    }

    fn in_item(item: &Item, offset: usize, path: &mut String) -> bool {
        match item {
            Item::Value(value) => in_value(value, offset, path),
            Item::Table(table) => in_table(table, offset, path) || contains(&table.span(), offset),
            Item::ArrayOfTables(tables) => {
                for (index, table) in tables.iter().enumerate() {
                    let before = path.len();
                    path.push_str(&format!("[{index}]"));
                    if in_table(table, offset, path) || contains(&table.span(), offset) {
                        return true;
                    }
                    path.truncate(before);
                }
                false
            }
            Item::None => false,
        }
    }

    fn in_value(value: &Value, offset: usize, path: &mut String) -> bool {
        if !contains(&value.span(), offset) {
            return false;
        }
        match value {
            Value::Array(array) => {
                for (index, element) in array.iter().enumerate() {
                    let before = path.len();
                    path.push_str(&format!("[{index}]"));
                    if in_value(element, offset, path) {
                        return true;
                    }
                    path.truncate(before);
                }
            }
            Value::InlineTable(table) => {
                for (key, element) in table.iter() {
                    let before = path.len();
                    push_key(path, key);
                    let key_span = table.key(key).and_then(|key| key.span());
                    if contains(&key_span, offset) || in_value(element, offset, path) {
                        return true;
                    }
                    path.truncate(before);
                }
            }
            _ => {}
        }
        true
    }
}

/// A configuration that could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("{path}: cannot read the configuration: {message}")]
    Read { path: String, message: String },
    /// The file is not valid TOML, or not a valid configuration.
    #[error("{0}")]
    Invalid(Box<InvalidConfig>),
}

/// Where and why a configuration file is wrong.
#[derive(Debug)]
pub struct InvalidConfig {
    /// The file, as messages name it.
    pub path: String,
    /// 1-based line and column of the problem, when it has a place.
    pub line: Option<usize>,
    pub column: Option<usize>,
    /// The key the problem is about (`select[1]`), when known.
    pub key: Option<String>,
    pub message: String,
    pub help: Option<String>,
    source: NamedSource<String>,
    span: Option<Range<usize>>,
}

impl fmt::Display for InvalidConfig {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(formatter, "{}", self.path)?;
        if let (Some(line), Some(column)) = (self.line, self.column) {
            write!(formatter, ":{line}:{column}")?;
        }
        write!(formatter, ": invalid configuration: ")?;
        if let Some(key) = &self.key {
            write!(formatter, "`{key}`: ")?;
        }
        write!(formatter, "{}", self.message)
    }
}

impl std::error::Error for InvalidConfig {}

impl Diagnostic for InvalidConfig {
    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.help
            .as_ref()
            .map(|help| Box::new(help) as Box<dyn fmt::Display + 'a>)
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        self.span.as_ref().map(|_| &self.source as &dyn SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        let span = self.span.clone()?;
        let label = self.key.clone().map(|key| format!("in `{key}`"));
        Some(Box::new(std::iter::once(
            LabeledSpan::new_primary_with_span(label, (span.start, span.len())),
        )))
    }
}

impl ConfigError {
    fn invalid(
        display: &str,
        text: &str,
        path: KeyPath,
        message: String,
        help: Option<String>,
    ) -> ConfigError {
        let span = spans::of_path(text, &path);
        ConfigError::with_span(display, text, span, Some(path.to_string()), message, help)
    }

    fn from_toml(display: &str, text: &str, error: &toml::de::Error) -> ConfigError {
        let span = error.span();
        let key = span
            .as_ref()
            .and_then(|span| spans::path_at(text, span.start));
        let message = error.message().trim().replace('\n', " ");
        let help = message
            .starts_with("unknown field")
            .then(|| "docs/usage.md#configuration lists the keys".to_string());
        ConfigError::with_span(display, text, span, key, message, help)
    }

    fn with_span(
        display: &str,
        text: &str,
        span: Option<Range<usize>>,
        key: Option<String>,
        message: String,
        help: Option<String>,
    ) -> ConfigError {
        let span = span.map(|span| {
            let start = floor_char_boundary(text, span.start.min(text.len()));
            let end = floor_char_boundary(text, span.end.clamp(start, text.len()));
            start..end
        });
        let (line, column) = match &span {
            Some(span) => {
                let before = &text[..span.start];
                let line = before.matches('\n').count() + 1;
                let line_start = before.rfind('\n').map_or(0, |newline| newline + 1);
                let column = text[line_start..span.start].chars().count() + 1;
                (Some(line), Some(column))
            }
            None => (None, None),
        };
        // The file's text and what quotes it are shown: a token pasted
        // into the configuration is masked like a secret in a Dockerfile.
        let redactor = crate::redact::Redactor::of_tokens(text);
        let shown = redactor.redacted_source(text);
        let span = span.map(|span| {
            let span = shown.map_span(crate::source::Span::new(span.start, span.end));
            span.start..span.end
        });
        let mask = |text: &str| redactor.mask(text).into_owned();
        ConfigError::Invalid(Box::new(InvalidConfig {
            path: display.to_string(),
            line,
            column,
            key: key.as_deref().map(mask),
            message: mask(&message),
            help: help.as_deref().map(mask),
            source: NamedSource::new(display, shown.text),
            span,
        }))
    }

    /// The diagnostic to render (with the file's line) when there is one.
    pub fn diagnostic(&self) -> Option<&InvalidConfig> {
        match self {
            ConfigError::Invalid(invalid) => Some(invalid),
            ConfigError::Read { .. } => None,
        }
    }
}

fn floor_char_boundary(text: &str, mut index: usize) -> usize {
    while index > 0 && !text.is_char_boundary(index) {
        index -= 1;
    }
    index
}

/// The effective configuration as TOML, for `dockerleak config --show`:
/// every setting with its value (defaults included), then the secret
/// knowledge the file adds, as written.
pub fn show(loaded: &LoadedConfig) -> String {
    let config = &loaded.config;
    let quoted = |items: &[String]| -> String {
        let items: Vec<String> = items.iter().map(|item| toml_string(item)).collect();
        format!("[{}]", items.join(", "))
    };
    let mut out = String::new();
    out.push_str(&format!(
        "# dockerleak configuration from {}\n",
        loaded.source
    ));
    out.push_str(&format!(
        "select = {}{}\n",
        quoted(&config.select),
        if config.select.is_empty() {
            "  # every rule"
        } else {
            ""
        }
    ));
    out.push_str(&format!("ignore = {}\n", quoted(&config.ignore)));
    out.push_str(&format!(
        "fail-level = {}\n",
        toml_string(config.effective_fail_level().as_str())
    ));
    out.push_str(&format!("inline-ignores = {}\n", !config.no_inline_ignores));
    out.push_str(&format!("include = {}\n", quoted(&config.include)));
    let disabled: Vec<String> = config
        .disabled_readers
        .iter()
        .map(|kind| kind.name().to_string())
        .collect();
    out.push_str(&format!("disabled-readers = {}\n", quoted(&disabled)));
    out.push_str(&format!(
        "exclude = {}\n",
        quoted(config.exclude.patterns())
    ));
    out.push_str(&format!(
        "secret-names = {}\n",
        quoted(&config.extra.secret_names)
    ));
    out.push_str(&format!(
        "allowed-names = {}\n",
        quoted(&config.extra.allowed_names)
    ));
    out.push_str("\n[severity]\n");
    for rule in crate::rules::registry() {
        let meta = rule.meta();
        let severity = config.severity.get(meta.code).copied();
        let effective = severity.unwrap_or(meta.severity);
        let marker = if !config.is_enabled(meta.code) {
            "  # not run (select/ignore)"
        } else if severity.is_some() {
            "  # overridden"
        } else {
            ""
        };
        out.push_str(&format!(
            "{} = {}{marker}\n",
            meta.code,
            toml_string(effective.as_str())
        ));
    }
    // Entries are printed from the file as written: the parsed types are
    // read-only data.
    if let Some(text) = &loaded.text {
        if let Ok(table) = text.parse::<toml::Table>() {
            for key in ["credential-files", "token-formats"] {
                if let Some(value) = table.get(key) {
                    let mut wrapper = toml::Table::new();
                    wrapper.insert(key.to_string(), value.clone());
                    if let Ok(rendered) = toml::to_string(&wrapper) {
                        out.push('\n');
                        out.push_str(&rendered);
                    }
                }
            }
        }
    }
    out
}

fn toml_string(text: &str) -> String {
    toml::Value::String(text.to_string()).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_text(text: &str) -> Result<Config, ConfigError> {
        parse(text, ".dockerleak.toml", Path::new("/repo"))
    }

    fn invalid(text: &str) -> InvalidConfig {
        match parse_text(text) {
            Err(ConfigError::Invalid(invalid)) => *invalid,
            other => panic!("expected an invalid configuration, got {other:?}"),
        }
    }

    #[test]
    fn a_full_configuration_parses() {
        let config = parse_text(
            r#"
select = ["dlk001", "secret-in-env", "DLK003"]
ignore = ["DLK003"]
fail-level = "error"
exclude = ["vendor/"]
secret-names = ["*_SESAME"]

[severity]
secret-in-arg = "note"

[[token-formats]]
id = "acme-token"
description = "ACME API token"
regex = '\bacme_[A-Za-z0-9]{32}\b'
keywords = ["acme_"]
true_examples = ["ENV X=acme_FAKE0123456789abcdefFAKE01234567"]
"#,
        )
        .expect("valid");
        assert_eq!(config.select, ["DLK001", "DLK004", "DLK003"]);
        assert!(!config.is_enabled("DLK003"));
        assert_eq!(config.severity.get("DLK003"), Some(&Severity::Note));
        assert_eq!(config.fail_level, Some(FailLevel::Error));
        assert!(config.catalog().names.is_secret("OPEN_SESAME"));
        assert!(config
            .exclude
            .is_excluded(Path::new("/repo/a/vendor/Dockerfile")));
        assert!(!config
            .exclude
            .is_excluded(Path::new("/repo/a/vendors/Dockerfile")));
    }

    #[test]
    fn exclude_patterns_anchor_when_they_have_a_slash() {
        let exclude = Exclude::new(
            &[
                "build/Dockerfile".into(),
                "*.gen.Dockerfile".into(),
                "/top".into(),
            ],
            PathBuf::from("/repo"),
        )
        .expect("valid globs");
        assert!(exclude.is_excluded(Path::new("/repo/build/Dockerfile")));
        assert!(!exclude.is_excluded(Path::new("/repo/x/build/Dockerfile")));
        assert!(exclude.is_excluded(Path::new("/repo/x/y/app.gen.Dockerfile")));
        assert!(exclude.is_excluded(Path::new("/repo/top/Dockerfile")));
        assert!(!exclude.is_excluded(Path::new("/repo/x/top/Dockerfile")));
    }

    #[test]
    fn errors_name_the_line_and_key() {
        let error = invalid("# rules\nselect = [\"DLK001\", \"DLK999\"]\n");
        assert_eq!((error.line, error.column), (Some(2), Some(21)));
        assert_eq!(error.key.as_deref(), Some("select[1]"));
        assert!(error.message.contains("DLK999"), "{}", error.message);

        let error = invalid("[severity]\nDLK003 = \"loud\"\n");
        assert_eq!(error.key.as_deref(), Some("severity.DLK003"));
        assert_eq!(error.line, Some(2));

        let error = invalid("[severity]\nDLK999 = \"error\"\n");
        assert_eq!((error.line, error.column), (Some(2), Some(1)));

        let error = invalid("selcet = []\n");
        assert_eq!(error.key.as_deref(), Some("selcet"));
        assert!(error.message.contains("unknown field"), "{}", error.message);

        let error = invalid("select = [\n");
        assert!(error.line.is_some());

        let error = invalid(
            "[[token-formats]]\nid = \"x\"\ndescription = \"x\"\nregex = '(unclosed'\nkeywords = [\"x\"]\n",
        );
        assert_eq!(error.key.as_deref(), Some("token-formats[0].regex"));
        assert_eq!(error.line, Some(4));

        let error = invalid("exclude = [\"ok\", \"a[\"]\n");
        assert_eq!(error.key.as_deref(), Some("exclude[1]"));

        let error = invalid("fail-level = 3\n");
        assert_eq!(error.key.as_deref(), Some("fail-level"));
    }

    #[test]
    fn entries_must_pass_their_own_examples() {
        let error = invalid(
            "[[token-formats]]\nid = \"acme\"\ndescription = \"x\"\nregex = '\\bacme_[0-9]{4}\\b'\nkeywords = [\"acme_\"]\ntrue_examples = [\"acme_12\"]\n",
        );
        assert_eq!(
            error.key.as_deref(),
            Some("token-formats[0].true_examples[0]")
        );
    }

    #[test]
    fn paths_are_shown_relative_to_the_working_directory() {
        assert_eq!(
            pathdiff(Path::new("/a/b/.dockerleak.toml"), Path::new("/a/b/c")),
            "../.dockerleak.toml"
        );
        assert_eq!(
            pathdiff(Path::new("/a/.dockerleak.toml"), Path::new("/a")),
            ".dockerleak.toml"
        );
    }
}
