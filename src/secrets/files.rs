//! Credential file patterns: which paths name a file that holds a secret
//! (the DLK001 list, also used by DLK002 and DLK010).
//!
//! The list is data (`rules/credential-files.toml`); this module matches
//! paths as they are written in a Dockerfile. Globs that are a base name or
//! an extension in any directory (`**/.netrc`, `**/*.pem`) go into one
//! `GlobSet`, which needs no regex for them. Any other glob's matcher (a
//! regex, the costly part) is compiled the first time a path holds every
//! literal piece of the glob (`.aws/credentials`; `key` and `.pem` for
//! `**/*key*.pem`), all pieces being found in one Aho-Corasick pass: a
//! one-file run compiles the few globs its paths come near instead of all
//! 141, which was half of its start-up time. Globs from configuration are
//! parsed up front, so that a bad one is reported at once.
//! Matching is case-insensitive and works in any directory: `.netrc`,
//! `./.netrc`, `/root/.netrc`, `foo/bar/.netrc` and `/root/.ssh/` all
//! normalise before matching.
//!
//! What a path match means is left to the rules: whether the path is a COPY
//! source or an `ADD <url>` destination, whether `.dockerignore` excludes it,
//! and how severe a copy is.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, OnceLock};

use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};

use globset::{Candidate, GlobBuilder, GlobMatcher, GlobSet, GlobSetBuilder};
use serde::Deserialize;

use super::answers::{self, Answers};
use super::{check_unique_ids, parse_builtin, parse_toml, SecretsError};

const BUILTIN_SOURCE_NAME: &str = "rules/credential-files.toml";
/// `rules/credential-files.toml`, converted to JSON by `build.rs`.
#[cfg(not(test))]
const BUILTIN_JSON: &str = include_str!(concat!(env!("OUT_DIR"), "/credential-files.runtime.json"));
/// With the examples the tests run (`build.rs`).
#[cfg(test)]
const BUILTIN_JSON: &str = include_str!(concat!(env!("OUT_DIR"), "/credential-files.json"));

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
    /// Ordinary names (see [`CredentialFiles::match_glob`]): a source glob
    /// that matches one of them is too broad to name a credential file.
    #[serde(default)]
    broad_glob_probes: Vec<String>,
    credential_file: Vec<CredentialFilePattern>,
}

/// The compiled credential file list.
#[derive(Debug, Clone)]
pub struct CredentialFiles {
    patterns: Vec<CredentialFilePattern>,
    /// What matches paths, built the first time a path is matched: a file
    /// that copies no file (or a run of `dockerleak rules`) never needs it,
    /// and building it was a quarter of a one-file run (2.7 M
    /// instructions). A list with entries from configuration builds it up
    /// front, so that an error in them is reported at once.
    matchers: OnceLock<Matchers>,
    /// The normalised true examples of every non-conditional entry, with
    /// their base names: the names a source glob is tried on.
    glob_probes: Arc<OnceLock<Vec<String>>>,
    /// The id this list's answers are cached under (see
    /// [`CredentialFiles::matching_indices`]).
    cache_id: u64,
}

thread_local! {
    /// Matching entries by list and path: a corpus run asks about the same
    /// paths (`/usr/local/bin`, `/tmp`, `/var/lib/apt/lists/*`) in file
    /// after file, 70,000 questions, each a normalisation, a literal search
    /// and a glob set match.
    static MATCHES: std::cell::RefCell<Answers<Vec<usize>>> =
        std::cell::RefCell::new(Answers::default());
    /// [`CredentialFiles::match_glob`]'s answers: (entry, probe) indices.
    static GLOB_MATCHES: std::cell::RefCell<Answers<Option<(usize, usize)>>> =
        std::cell::RefCell::new(Answers::default());
}

/// The compiled globs of a [`CredentialFiles`].
#[derive(Debug, Clone)]
struct Matchers {
    /// All `patterns` globs of all entries, in list order.
    include: Vec<LazyGlob>,
    /// The include globs that are a base name or an extension in any
    /// directory (`**/.netrc`, `**/*.pem`), half of them: globset matches
    /// those with hash lookups and builds them without a regex.
    simple: GlobSet,
    /// For each glob of `simple`, its index in `include`.
    simple_ids: Vec<usize>,
    /// All `exclude` globs of all entries.
    exclude: Vec<LazyGlob>,
    /// Every literal piece of every glob (see [`required_literals`]), found
    /// in a path in one pass; a glob's `literals` are indices into it.
    literals: AhoCorasick,
    literal_count: usize,
}

/// A credential file that a source glob may match
/// ([`CredentialFiles::match_glob`]).
#[derive(Debug, Clone, Copy)]
pub struct GlobMatch<'a> {
    /// The entry it may match.
    pub pattern: &'a CredentialFilePattern,
    /// A name (an example of the entry) that the glob matches, to show.
    pub example: &'a str,
}

/// One glob of one entry, with the literal pieces every path it matches
/// holds and its matcher, compiled on first need.
#[derive(Debug, Clone)]
struct LazyGlob {
    /// The index of its entry in `patterns`.
    owner: usize,
    /// The glob, lower-cased (see [`compile_glob`]).
    source: String,
    /// Its literal pieces, as indices into [`CredentialFiles::literals`].
    literals: Vec<usize>,
    /// Matched through [`CredentialFiles::simple`] instead.
    simple: bool,
    /// `None` if the glob does not compile: never for the builtin list
    /// (the unit tests compile every glob) nor for configured entries
    /// ([`CredentialFiles::compile`] checks those up front).
    matcher: OnceLock<Option<GlobMatcher>>,
}

impl LazyGlob {
    /// `glob`, with its literal pieces numbered in `table`.
    fn new(owner: usize, glob: &str, table: &mut HashMap<String, usize>) -> LazyGlob {
        let source = glob.to_lowercase();
        let literals = required_literals(&source)
            .into_iter()
            .map(|literal| {
                let next = table.len();
                *table.entry(literal).or_insert(next)
            })
            .collect();
        LazyGlob {
            owner,
            literals,
            simple: is_simple_glob(&source),
            source,
            matcher: OnceLock::new(),
        }
    }

    /// Whether the glob matches `candidate`, a path in which the literals
    /// marked in `present` occur.
    fn is_match(&self, present: &[bool], candidate: &Candidate<'_>) -> bool {
        self.literals.iter().all(|literal| present[*literal])
            && self
                .matcher
                .get_or_init(|| {
                    compile_glob("", &self.source)
                        .ok()
                        .map(|glob| glob.compile_matcher())
                })
                .as_ref()
                .is_some_and(|matcher| matcher.is_match_candidate(candidate))
    }
}

/// `**/name` or `**/*.ext` with no other wildcard: what globset matches
/// by base name or extension, without a regex.
fn is_simple_glob(glob: &str) -> bool {
    let Some(rest) = glob.strip_prefix("**/") else {
        return false;
    };
    let rest = rest.strip_prefix("*.").unwrap_or(rest);
    !rest.is_empty() && !rest.contains(['*', '?', '[', ']', '{', '}', '\\', '/'])
}

/// Skips a glob's character class or alternation up to `closing` (`]` or
/// `}`), the opening already read; a `]` right after `[` (or `[!`) is part
/// of the class. False when the group is never closed.
pub(crate) fn skip_glob_group(chars: &mut std::str::Chars<'_>, closing: char) -> bool {
    let mut first = true;
    loop {
        match chars.next() {
            None => return false,
            Some('!' | '^') if first && closing == ']' => {}
            Some(']') if first && closing == ']' => first = false,
            Some(found) if found == closing => return true,
            Some(_) => first = false,
        }
    }
}

/// The literal pieces of a glob that every path it matches contains: the
/// text between wildcards (`*`, `?`), character classes and alternations,
/// after a leading `**/`. A glob with a backslash escape gives none (no
/// filtering: always ask the matcher).
pub(crate) fn required_literals(glob: &str) -> Vec<String> {
    if glob.contains('\\') {
        return Vec::new();
    }
    let mut rest = glob;
    while let Some(after) = rest.strip_prefix("**/") {
        rest = after;
    }
    let mut literals = Vec::new();
    let mut current = String::new();
    let mut chars = rest.chars();
    while let Some(ch) = chars.next() {
        let closing = match ch {
            '*' | '?' => None,
            '[' => Some(']'),
            '{' => Some('}'),
            _ => {
                current.push(ch);
                continue;
            }
        };
        if !current.is_empty() {
            literals.push(std::mem::take(&mut current));
        }
        if let Some(closing) = closing {
            if !skip_glob_group(&mut chars, closing) {
                return Vec::new();
            }
        }
    }
    if !current.is_empty() {
        literals.push(current);
    }
    literals
}

static BUILTIN: LazyLock<Arc<CredentialFiles>> = LazyLock::new(|| {
    let patterns = builtin_patterns();
    let count = patterns.len();
    Arc::new(
        CredentialFiles::compile(patterns, count)
            .expect("rules/credential-files.toml is valid (checked by the unit tests)"),
    )
});

static BUILTIN_BROAD_PROBES: LazyLock<Arc<Vec<String>>> = LazyLock::new(|| {
    Arc::new(
        builtin_list()
            .broad_glob_probes
            .iter()
            .map(|probe| probe.to_lowercase())
            .collect(),
    )
});

/// The builtin list, shared with [`super::Catalog::builtin`].
pub(crate) fn builtin_shared() -> Arc<CredentialFiles> {
    Arc::clone(&BUILTIN)
}

fn builtin_list() -> CredentialFileList {
    parse_builtin::<CredentialFileList>(BUILTIN_SOURCE_NAME, BUILTIN_JSON)
        .expect("rules/credential-files.toml parses (checked by the unit tests)")
}

fn builtin_patterns() -> Vec<CredentialFilePattern> {
    builtin_list().credential_file
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
        let builtin_count = patterns.len();
        patterns.extend_from_slice(extra);
        CredentialFiles::compile(patterns, builtin_count)
    }

    /// Parses a TOML document of the `rules/credential-files.toml` schema
    /// (`[[credential_file]]` entries), for extra lists kept in files.
    pub fn parse_patterns(
        source_name: &str,
        text: &str,
    ) -> Result<Vec<CredentialFilePattern>, SecretsError> {
        Ok(parse_toml::<CredentialFileList>(source_name, text)?.credential_file)
    }

    /// Compiles the list; globs of entries from `checked_from` on (those
    /// from configuration) are parsed now, so that a bad one is reported.
    fn compile(
        patterns: Vec<CredentialFilePattern>,
        checked_from: usize,
    ) -> Result<CredentialFiles, SecretsError> {
        check_unique_ids(
            "credential file pattern",
            patterns.iter().map(|pattern| pattern.id.as_str()),
        )?;
        for (index, pattern) in patterns.iter().enumerate() {
            validate(pattern)?;
            for glob in pattern.patterns.iter().chain(&pattern.exclude) {
                // The builtin globs are checked by the unit tests; parsing
                // them here too would cost a one-file run 1 M instructions.
                if index >= checked_from {
                    compile_glob(&pattern.id, glob)?;
                }
            }
        }
        let matchers = OnceLock::new();
        if checked_from < patterns.len() {
            let _ = matchers.set(Matchers::build(&patterns)?);
        }
        Ok(CredentialFiles {
            patterns,
            matchers,
            glob_probes: Arc::new(OnceLock::new()),
            cache_id: answers::next_id(),
        })
    }

    /// The matchers, built on first use.
    fn matchers(&self) -> &Matchers {
        self.matchers.get_or_init(|| {
            Matchers::build(&self.patterns)
                .expect("rules/credential-files.toml globs compile (checked by the unit tests)")
        })
    }

    /// Which literal pieces occur in `normalized`.
    fn present_literals(&self, normalized: &str) -> Vec<bool> {
        let matchers = self.matchers();
        let mut present = vec![false; matchers.literal_count];
        for found in matchers.literals.find_overlapping_iter(normalized) {
            present[found.pattern().as_usize()] = true;
        }
        present
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
        self.first_entry(path, false)
            .map(|index| &self.patterns[index])
    }

    /// The first [`CredentialFileKind::Conditional`] entry that names `path`
    /// (`.gitconfig`), for a rule that can check the condition itself.
    pub fn match_conditional(&self, path: &str) -> Option<&CredentialFilePattern> {
        self.first_entry(path, true)
            .map(|index| &self.patterns[index])
    }

    /// The index of the first entry naming `path` that is (`conditional`)
    /// or is not a [`CredentialFileKind::Conditional`] one.
    fn first_entry(&self, path: &str, conditional: bool) -> Option<usize> {
        self.matching_indices(path)
            .into_iter()
            .find(|index| self.patterns[*index].kind.is_conditional() == conditional)
    }

    /// For a COPY/ADD source that is a glob (`.np[m]rc`, `id_*`, `*.pem`),
    /// the first credential file it may match, matched the way BuildKit
    /// matches sources (Go's `filepath.Match`: `*`, `?`, `[…]` within one
    /// path component; `{` is a literal). `None` for a path with no
    /// wildcard, and for a glob broad enough to match one of the ordinary
    /// names of `broad_glob_probes` in the same directory (`*`, `*.json`,
    /// `.*rc`, `package*`): whether such a copy takes a credential along
    /// depends on the build context, which DLK010 checks.
    pub fn match_glob(&self, glob: &str) -> Option<GlobMatch<'_>> {
        if !glob.contains(['*', '?', '[']) {
            return None;
        }
        // Cached per thread: each answer compiled a glob matcher (80,000
        // instructions) and the same sources (`*.json`, `package*.json`)
        // come back in file after file.
        let (pattern, probe) = answers::with_answer(
            &GLOB_MATCHES,
            self.cache_id,
            glob,
            || self.match_glob_uncached(glob),
            |found| *found,
        )?;
        Some(GlobMatch {
            pattern: &self.patterns[pattern],
            example: &self.glob_probes()[probe],
        })
    }

    /// [`Self::match_glob`]'s answer as (entry, probe) indices.
    fn match_glob_uncached(&self, glob: &str) -> Option<(usize, usize)> {
        let normalized = normalize_path(glob);
        let (directory, name) = match normalized.rsplit_once('/') {
            Some((directory, name)) => (directory, name),
            None => ("", normalized.as_str()),
        };
        // A directory (`/k*/`) or a name with too little fixed text to say
        // what it is (`k*`, `?*`).
        let fixed = required_literals(name).concat();
        if name.is_empty()
            || glob.trim_end().ends_with('/')
            || fixed.chars().count() < 3
            || !name.contains(['*', '?', '[']) && directory.is_empty()
        {
            return None;
        }
        let escaped = normalized.replace('{', "\\{").replace('}', "\\}");
        let matcher = GlobBuilder::new(&escaped)
            .literal_separator(true)
            .backslash_escape(true)
            .build()
            .ok()?
            .compile_matcher();
        let literal_directory = !directory.contains(['*', '?', '[']);
        let in_directory = |probe: &str| {
            if directory.is_empty() {
                probe.to_string()
            } else {
                format!("{directory}/{probe}")
            }
        };
        // `broad_glob_probes` of the builtin list, read on first use
        // (parsing the list again cost every run 0.4 M instructions).
        if literal_directory
            && BUILTIN_BROAD_PROBES
                .iter()
                .any(|probe| matcher.is_match(in_directory(probe)))
        {
            return None;
        }
        for (position, probe) in self.glob_probes().iter().enumerate() {
            let candidate = if literal_directory && !probe.contains('/') {
                in_directory(probe)
            } else {
                probe.clone()
            };
            if !matcher.is_match(&candidate) {
                continue;
            }
            if let Some(entry) = self.first_entry(&candidate, false) {
                return Some((entry, position));
            }
        }
        None
    }

    /// The names [`Self::match_glob`] tries: every true example of every
    /// non-conditional entry, normalised, and its base name.
    fn glob_probes(&self) -> &[String] {
        self.glob_probes.get_or_init(|| {
            let mut probes: Vec<String> = Vec::new();
            for pattern in self
                .patterns
                .iter()
                .filter(|pattern| !pattern.kind.is_conditional())
            {
                for example in &pattern.true_examples {
                    let normalized = normalize_path(example);
                    let base = file_name_of(&normalized).to_string();
                    for probe in [base, normalized] {
                        if !probe.is_empty() && !probes.contains(&probe) {
                            probes.push(probe);
                        }
                    }
                }
            }
            probes
        })
    }

    /// Whether `path` names a credential file ([`Self::match_path`] finds an
    /// entry).
    pub fn is_credential_file(&self, path: &str) -> bool {
        self.match_path(path).is_some()
    }

    /// Indices of all entries that include `path` and do not exclude it, in
    /// list order (cached per thread).
    fn matching_indices(&self, path: &str) -> Vec<usize> {
        answers::with_answer(
            &MATCHES,
            self.cache_id,
            path,
            || self.matching_indices_uncached(path),
            Vec::clone,
        )
    }

    fn matching_indices_uncached(&self, path: &str) -> Vec<usize> {
        let normalized = normalize_path(path);
        if normalized.is_empty() {
            return Vec::new();
        }
        let candidate = Candidate::new(&normalized);
        let present = self.present_literals(&normalized);
        let matchers = self.matchers();
        let mut included: Vec<usize> = Vec::new();
        for matched in matchers.simple.matches_candidate(&candidate) {
            included.push(matchers.include[matchers.simple_ids[matched]].owner);
        }
        for glob in &matchers.include {
            if !glob.simple && glob.is_match(&present, &candidate) {
                included.push(glob.owner);
            }
        }
        if included.is_empty() {
            return included;
        }
        included.sort_unstable();
        included.dedup();
        included.retain(|index| {
            !matchers
                .exclude
                .iter()
                .any(|glob| glob.owner == *index && glob.is_match(&present, &candidate))
        });
        included
    }
}

impl Matchers {
    /// Compiles the globs of `patterns` (already validated).
    fn build(patterns: &[CredentialFilePattern]) -> Result<Matchers, SecretsError> {
        let mut include = Vec::new();
        let mut exclude = Vec::new();
        let mut table = HashMap::new();
        let mut simple = GlobSetBuilder::new();
        let mut simple_ids = Vec::new();
        for (index, pattern) in patterns.iter().enumerate() {
            for glob in &pattern.patterns {
                let lazy = LazyGlob::new(index, glob, &mut table);
                if lazy.simple {
                    simple.add(compile_glob(&pattern.id, glob)?);
                    simple_ids.push(include.len());
                }
                include.push(lazy);
            }
            for glob in &pattern.exclude {
                exclude.push(LazyGlob::new(index, glob, &mut table));
            }
        }
        let mut by_index: Vec<(usize, String)> = table
            .into_iter()
            .map(|(literal, index)| (index, literal))
            .collect();
        by_index.sort_unstable();
        let literal_count = by_index.len();
        // Overlapping search (`MatchKind::Standard`) reports every literal
        // present, also one inside another (`.env` in `.envrc`).
        let literals = AhoCorasick::builder()
            .kind(Some(AhoCorasickKind::ContiguousNFA))
            .match_kind(MatchKind::Standard)
            .build(by_index.iter().map(|(_, literal)| literal))
            .map_err(|source| SecretsError::Keywords {
                list: "credential file globs",
                source: Box::new(source),
            })?;
        let simple = simple.build().map_err(|source| SecretsError::Glob {
            id: "(all patterns)".to_owned(),
            glob: String::new(),
            source: Box::new(source),
        })?;
        Ok(Matchers {
            include,
            simple,
            simple_ids,
            exclude,
            literals,
            literal_count,
        })
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

/// Globs match case-insensitively by lower-casing both sides: globset's
/// own `case_insensitive` option sends every glob to its regex strategy,
/// and compiling that regex set was half the start-up time of a one-file
/// run; lower-cased, most globs use its literal, base-name and extension
/// strategies, which need no regex.
fn compile_glob(id: &str, glob: &str) -> Result<globset::Glob, SecretsError> {
    GlobBuilder::new(&glob.to_lowercase())
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
/// Windows and a Dockerfile path never does. Lower-cased: the globs are
/// (see [`compile_glob`]).
fn normalize_path(path: &str) -> String {
    let mut components = path
        .trim()
        .split('/')
        .filter(|component| !component.is_empty() && *component != ".")
        .peekable();
    if components.peek() == Some(&"~") {
        components.next();
    }
    // One allocation in the common (ASCII) case: this runs for every entry
    // of a build context that DLK010 walks.
    let mut normalized = String::with_capacity(path.len());
    for component in components {
        if !normalized.is_empty() {
            normalized.push('/');
        }
        normalized.push_str(component);
    }
    if normalized.contains('\\') {
        normalized = normalized.replace('\\', "\u{FFFD}");
    }
    if normalized.is_ascii() {
        normalized.make_ascii_lowercase();
        normalized
    } else {
        normalized.to_lowercase()
    }
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

    /// The linter's copy of the list (`build.rs`) is the tests' copy
    /// without the false examples (the true ones are probes).
    #[test]
    fn the_runtime_list_is_the_list_without_its_false_examples() {
        let runtime: CredentialFileList = parse_builtin(
            BUILTIN_SOURCE_NAME,
            include_str!(concat!(env!("OUT_DIR"), "/credential-files.runtime.json")),
        )
        .expect("the runtime list parses");
        let mut full = builtin_list();
        assert!(full
            .credential_file
            .iter()
            .any(|pattern| !pattern.false_examples.is_empty()));
        for pattern in &mut full.credential_file {
            pattern.false_examples.clear();
        }
        assert_eq!(runtime.credential_file, full.credential_file);
        assert_eq!(runtime.broad_glob_probes, full.broad_glob_probes);
    }

    fn files() -> &'static CredentialFiles {
        CredentialFiles::builtin()
    }

    fn matched_id(path: &str) -> Option<&'static str> {
        files().match_path(path).map(|pattern| pattern.id.as_str())
    }

    #[test]
    fn required_literals_are_the_text_between_wildcards() {
        assert_eq!(required_literals("**/.netrc"), [".netrc"]);
        assert_eq!(required_literals("**/*key*.pem"), ["key", ".pem"]);
        assert_eq!(required_literals("**/.ssh/**"), [".ssh/"]);
        assert_eq!(required_literals("**/id_rsa[_-]*"), ["id_rsa"]);
        assert_eq!(required_literals("**/*[-_.]ca.pem"), ["ca.pem"]);
        assert_eq!(
            required_literals("**/kubeconfig.{yml,yaml,json}"),
            ["kubeconfig."]
        );
        assert_eq!(required_literals("a/**/b"), ["a/", "/b"]);
        assert_eq!(required_literals("**/[]x]y"), ["y"]);
        assert_eq!(required_literals("**/[!x]y"), ["y"]);
        // Unclosed class, escapes: no filtering at all.
        assert!(required_literals("**/[x").is_empty());
        assert!(required_literals("**/\\*x").is_empty());
    }

    /// The literal filter only skips globs that could not match: over every
    /// example path of the list (and each with a directory in front), the
    /// lazy answer is the glob matcher's own answer.
    #[test]
    fn the_literal_filter_never_hides_a_match() {
        let files = files();
        let mut paths: Vec<String> = Vec::new();
        for pattern in files.patterns() {
            for example in pattern.true_examples.iter().chain(&pattern.false_examples) {
                paths.push(example.clone());
                paths.push(format!("/home/user/{example}"));
                paths.push(example.to_uppercase());
            }
        }
        let globs: Vec<(&LazyGlob, GlobMatcher)> = files
            .matchers()
            .include
            .iter()
            .chain(&files.matchers().exclude)
            .map(|glob| {
                let compiled = compile_glob("builtin", &glob.source)
                    .unwrap_or_else(|error| panic!("{}: {error}", glob.source));
                (glob, compiled.compile_matcher())
            })
            .collect();
        for path in &paths {
            let normalized = normalize_path(path);
            let candidate = Candidate::new(&normalized);
            let present = files.present_literals(&normalized);
            for (glob, matcher) in &globs {
                assert_eq!(
                    glob.is_match(&present, &candidate),
                    matcher.is_match_candidate(&candidate),
                    "{} on {path:?}",
                    glob.source
                );
            }
        }
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
    fn a_glob_source_names_the_credential_file_it_may_match() {
        let glob = |glob: &str| {
            files()
                .match_glob(glob)
                .map(|found| (found.pattern.id.as_str(), found.example))
        };
        assert_eq!(glob(".np[m]rc"), Some(("npmrc", ".npmrc")));
        assert_eq!(glob("./.np?rc"), Some(("npmrc", ".npmrc")));
        assert_eq!(glob("id_*"), Some(("ssh-private-key", "id_rsa")));
        assert_eq!(glob("keys/id_*"), Some(("ssh-private-key", "id_rsa")));
        assert_eq!(
            glob("certs/*.pem").map(|found| found.0),
            Some("private-key-pem")
        );
        assert_eq!(glob("*.p12").map(|found| found.0), Some("pkcs12"));
        assert_eq!(glob(".env*").map(|found| found.0), Some("dotenv"));
        assert_eq!(
            glob("settings*.xml").map(|found| found.0),
            Some("maven-settings")
        );
        // Too broad (an ordinary name matches too), or no credential name.
        for broad in [
            "*",
            "*.json",
            "*.env",
            ".*rc",
            "package*",
            "package*.json",
            "*.xml",
            "scripts/*",
            "*.crt",
            "*.csproj",
            "docker-php-ext-*",
            "environment.yml*",
            "id_rsa.pub*",
            ".netrc",
            "ca[-_]*.pem",
            "k*",
            "/k*/",
            "keys/id_*/",
        ] {
            assert_eq!(glob(broad), None, "{broad}");
        }
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
