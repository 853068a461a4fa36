//! `.dockerignore` with BuildKit's semantics: which paths of a build context
//! are never sent to the builder.
//!
//! BuildKit reads the file with `moby/patternmatcher/ignorefile` and filters
//! the context with `tonistiigi/fsutil`, which matches with
//! `moby/patternmatcher`. This module follows the three of them:
//!
//! - Lines starting with `#` are comments (only in the first column: ` # x`
//!   is a pattern), blank lines are skipped, surrounding whitespace is
//!   trimmed, a UTF-8 BOM at the start is dropped.
//! - A pattern is cleaned like Go's `filepath.Clean` (`a/./b/../c/` → `a/c`,
//!   so a trailing `/` means nothing) and a leading `/` is dropped: patterns
//!   are relative to the context root. `!` makes an exception.
//! - `*` and `?` never cross `/`, `[...]` is a character class, `\` escapes
//!   the next character, `**` spans any number of directories (`**/.env`
//!   is `.env` at any depth; `dir/**` is everything under `dir`).
//! - Patterns apply in order and the last one that matches wins. A pattern
//!   that matches a directory matches everything beneath it, unless a later
//!   exception matches the path (or a directory between).
//! - An unusable pattern (an unclosed `[`, a bare `!`) makes BuildKit refuse
//!   the build; here it is skipped, so the other lines still count.
//!
//! Walking the context and deciding what a finding is belongs to the rule
//! (`DLK010`); this module only answers "is this path sent?".

use crate::input::InputErrorKind;
use regex::{Regex, RegexSet, RegexSetBuilder};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// An ignore file that exists but cannot be used (unreadable, a FIFO or a
/// device, over the size cap), with its path.
#[derive(Debug, thiserror::Error)]
#[error("{}: {kind}", path.display())]
pub struct LoadError {
    pub path: PathBuf,
    pub kind: InputErrorKind,
}

/// The file BuildKit reads at the context root when there is no
/// `<Dockerfile>.dockerignore`.
pub const DEFAULT_FILE_NAME: &str = ".dockerignore";

/// Characters that make fsutil walk into an excluded directory (an
/// exception with one of them might match anything beneath it).
const PATTERN_CHARACTERS: &[char] = &['*', '[', ']', '?', '^', '\\'];

/// The compiled patterns of one `.dockerignore` file.
#[derive(Clone, Debug, Default)]
pub struct DockerIgnore {
    patterns: Vec<Pattern>,
    /// All patterns, indexed for one pass per path.
    index: PatternIndex,
    /// fsutil's `onlyPrefixExcludeExceptions`: every exception is a plain
    /// path, so an excluded directory can be skipped unless an exception
    /// names something beneath it.
    only_plain_exceptions: bool,
    has_exceptions: bool,
}

#[derive(Clone, Debug)]
struct Pattern {
    /// The cleaned pattern, without the `!`.
    text: String,
    exception: bool,
    matcher: Matcher,
}

/// patternmatcher's match types: it avoids a regex where a string
/// comparison does, and each type has its own quirks (kept here).
#[derive(Clone, Debug)]
enum Matcher {
    /// The path is the pattern.
    Exact,
    /// `dir/**`: the path starts with `dir/`.
    Prefix(String),
    /// `**/name`: the path ends with `/name` or is `name`.
    Suffix(String),
    /// A regular expression, checked to compile. The patterns are matched
    /// through [`PatternIndex`]: a compiled `Regex` per pattern cost ten
    /// thousand patterns about 200 MiB, and a `RegexSet` of them all about
    /// 100 MiB.
    Regex(RegexPattern),
}

/// A pattern's regular expression cut in three: the literal text it must
/// start with, the literal text it must end with, and the regex between
/// them (the "middle"). A path matches the whole regex exactly when it
/// starts with the prefix, ends with the suffix (not overlapping it) and
/// what is left matches the middle, anchored at both ends: the prefix and
/// suffix are runs of literal characters outside any class or group. Most
/// patterns of a long list are a literal path with a glob at the end
/// (`build-17/**/*.tmp`), so their prefixes tell them apart by a hash
/// lookup and they share a handful of middles.
#[derive(Clone, Debug)]
struct RegexPattern {
    /// The whole regular expression (`^…$`).
    source: String,
    prefix: String,
    suffix: String,
    /// The middle regex's bounds in `source`.
    middle: std::ops::Range<usize>,
}

impl RegexPattern {
    /// The middle as a regex of its own, anchored at both ends.
    fn middle_source(&self) -> String {
        format!("^{}$", &self.source[self.middle.clone()])
    }
}

/// How the patterns decided one path, carried down a walk so that an
/// entry is decided from its parent directory's state (patternmatcher's
/// `MatchInfo`, as fsutil threads it through the context walk).
#[derive(Clone, Debug, Default)]
pub struct PathState {
    /// The patterns (indices, ascending) that matched this path or a
    /// directory above it.
    matched: Vec<usize>,
    /// How many patterns the list that decided this state has (a state
    /// from another list is not used).
    pattern_count: usize,
    /// The last pattern that matched; it decides.
    deciding: Option<usize>,
    excluded: bool,
    /// An excluded directory that fsutil skips without looking inside:
    /// everything beneath it is excluded too.
    pruned: bool,
}

impl PathState {
    /// Whether the path is left out of the context.
    pub fn is_excluded(&self) -> bool {
        self.excluded
    }

    /// Whether nothing beneath this (directory) path can be sent, so a walk
    /// need not look inside.
    pub fn is_pruned(&self) -> bool {
        self.pruned
    }
}

impl DockerIgnore {
    /// Reads `.dockerignore` text the way BuildKit does. Never fails: a
    /// pattern BuildKit would reject is skipped.
    pub fn parse(text: &str) -> DockerIgnore {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        DockerIgnore::from_patterns(text.lines().filter_map(read_line))
    }

    /// Compiles patterns given one by one, as `patternmatcher.New` takes
    /// them (no comments, no leading-`/` removal): what `COPY --exclude=`
    /// uses, relative to the copied source.
    pub fn from_patterns<I, S>(patterns: I) -> DockerIgnore
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let patterns: Vec<Pattern> = patterns
            .into_iter()
            .filter_map(|pattern| Pattern::new(pattern.as_ref()))
            .collect();
        let has_exceptions = patterns.iter().any(|pattern| pattern.exception);
        let only_plain_exceptions = patterns
            .iter()
            .filter(|pattern| pattern.exception)
            .all(|pattern| !without_trailing_glob(&pattern.text).contains(PATTERN_CHARACTERS));
        let index = PatternIndex::new(&patterns);
        DockerIgnore {
            patterns,
            index,
            only_plain_exceptions,
            has_exceptions,
        }
    }

    /// The ignore file BuildKit uses for a build: `<Dockerfile name>.dockerignore`
    /// next to the Dockerfile if there is one, else `.dockerignore` at the
    /// root of `context_dir`. `Ok(None)` when neither exists; an error when
    /// one exists but cannot be read.
    pub fn load(
        context_dir: &Path,
        dockerfile_path: Option<&Path>,
    ) -> Result<Option<(PathBuf, DockerIgnore)>, LoadError> {
        DockerIgnore::load_with(context_dir, dockerfile_path, |_, text| {
            DockerIgnore::parse(text)
        })
    }

    /// [`DockerIgnore::load`] with the parsing left to `parse` (given the
    /// file's path and text), for a caller that keeps parsed files: the
    /// file is found and read each time, its patterns compiled once.
    pub fn load_with<T>(
        context_dir: &Path,
        dockerfile_path: Option<&Path>,
        parse: impl FnOnce(&Path, &str) -> T,
    ) -> Result<Option<(PathBuf, T)>, LoadError> {
        DockerIgnore::load_probed(context_dir, dockerfile_path, |_| true, parse)
    }

    /// [`DockerIgnore::load_with`] that skips a candidate file when
    /// `may_exist` says it is not there (a directory listing read once per
    /// run), instead of a failing `open` per Dockerfile.
    pub fn load_probed<T>(
        context_dir: &Path,
        dockerfile_path: Option<&Path>,
        may_exist: impl Fn(&Path) -> bool,
        parse: impl FnOnce(&Path, &str) -> T,
    ) -> Result<Option<(PathBuf, T)>, LoadError> {
        let specific = dockerfile_path.and_then(|dockerfile| {
            let mut ignore_name = dockerfile.file_name()?.to_os_string();
            ignore_name.push(DEFAULT_FILE_NAME);
            Some(dockerfile.with_file_name(ignore_name))
        });
        let candidates = specific
            .into_iter()
            .chain(std::iter::once(context_dir.join(DEFAULT_FILE_NAME)));
        for candidate in candidates.filter(|candidate| may_exist(candidate)) {
            match crate::input::read_regular_text(&candidate, crate::input::MAX_SIDE_FILE_SIZE) {
                Ok(text) => {
                    let parsed = parse(&candidate, &text);
                    return Ok(Some((candidate, parsed)));
                }
                Err(InputErrorKind::NotFound) => continue,
                Err(error) => {
                    return Err(LoadError {
                        path: candidate,
                        kind: error,
                    })
                }
            }
        }
        Ok(None)
    }

    /// Whether BuildKit leaves `relative_path` (relative to the context
    /// root, `/`-separated; `./` and a leading or trailing `/` are ignored)
    /// out of the context.
    ///
    /// `is_dir` says what the path names. BuildKit cleans the trailing `/`
    /// off every pattern, so a pattern matches a file and a directory of the
    /// same name alike and the answer does not depend on it; it is part of
    /// the signature so that callers state what they ask about.
    pub fn is_excluded(&self, relative_path: &str, is_dir: bool) -> bool {
        let _ = is_dir;
        self.state_of(relative_path).is_excluded()
    }

    /// The exception (`!pattern`, cleaned) that puts `relative_path` back
    /// into the context after an earlier pattern left it (or a directory
    /// above it) out, when that is why the path is sent.
    pub fn reincluding_exception(&self, relative_path: &str) -> Option<String> {
        let state = self.state_of(relative_path);
        let pattern = &self.patterns[state.deciding?];
        (pattern.exception && !state.excluded).then(|| format!("!{}", pattern.text))
    }

    /// Whether the file has no usable pattern.
    pub fn is_empty(&self) -> bool {
        self.patterns.is_empty()
    }

    /// How the patterns decide `relative_path`, from the context root down.
    pub fn state_of(&self, relative_path: &str) -> PathState {
        let mut state: Option<PathState> = None;
        let mut path = String::new();
        for component in relative_path
            .split('/')
            .filter(|part| !part.is_empty() && *part != ".")
        {
            if !path.is_empty() {
                path.push('/');
            }
            path.push_str(component);
            state = Some(self.state_below(&path, state.as_ref()));
        }
        state.unwrap_or_default()
    }

    /// How the patterns decide `path` (relative to the context root, already
    /// clean), an entry of the directory whose state is `parent` (`None` for
    /// an entry of the root).
    ///
    /// This is fsutil's walk: patternmatcher's `MatchesUsingParentResults`
    /// (a pattern that matched the parent counts as matching the entry;
    /// the others are tried on the entry itself, in order, the last match
    /// deciding), and an excluded directory that no exception can reach
    /// into is pruned with everything beneath it.
    pub fn state_below(&self, path: &str, parent: Option<&PathState>) -> PathState {
        if let Some(parent) = parent.filter(|parent| parent.pruned) {
            return parent.clone();
        }
        // A state from another pattern list (or the root's empty one)
        // carries no usable information: decide as for a root entry.
        let inherited: Option<&[usize]> = parent
            .filter(|parent| parent.pattern_count == self.patterns.len())
            .map(|parent| parent.matched.as_slice());
        // Every pattern that matches the path (or, for a root entry, a
        // directory above it), found in one pass over the index; only
        // those and the inherited ones can change the state, so the
        // in-order scan below visits them alone.
        let mut candidates = self.index.matching(path);
        if inherited.is_none() {
            for (slash, _) in path.match_indices('/') {
                candidates.extend(self.index.matching(&path[..slash]));
            }
        }
        candidates.extend(inherited.unwrap_or(&[]).iter().copied());
        candidates.sort_unstable();
        candidates.dedup();
        let mut state = PathState {
            pattern_count: self.patterns.len(),
            ..PathState::default()
        };
        for index in candidates {
            let pattern = &self.patterns[index];
            let hit = inherited.is_some_and(|inherited| inherited.binary_search(&index).is_ok())
                // An exclusion can only change an included path, an
                // exception only an excluded one.
                || pattern.exception == state.excluded;
            if hit {
                state.matched.push(index);
                state.excluded = !pattern.exception;
                state.deciding = Some(index);
            }
        }
        state.pruned = state.excluded && !self.may_reinclude_under(path);
        state
    }

    /// fsutil's test before it skips an excluded directory: false when no
    /// exception has a wildcard and none names a path beneath `directory`.
    fn may_reinclude_under(&self, directory: &str) -> bool {
        if !self.has_exceptions {
            return false;
        }
        if !self.only_plain_exceptions {
            return true;
        }
        let prefix = format!("{directory}/");
        self.patterns
            .iter()
            .filter(|pattern| pattern.exception)
            .any(|pattern| {
                format!("{}/", without_trailing_glob(&pattern.text)).starts_with(&prefix)
            })
    }
}

/// One line as `ignorefile.ReadAll` turns it into a pattern: `None` for a
/// comment or a blank line; otherwise trimmed, cleaned, without a leading
/// `/`, with its `!` kept in front.
fn read_line(line: &str) -> Option<String> {
    // Only a `#` in the first column starts a comment.
    if line.starts_with('#') {
        return None;
    }
    let mut pattern = line.trim();
    if pattern.is_empty() {
        return None;
    }
    let exception = pattern.starts_with('!');
    if exception {
        pattern = pattern[1..].trim();
    }
    let mut cleaned = String::new();
    if !pattern.is_empty() {
        cleaned = clean(pattern);
        if cleaned.len() > 1 && cleaned.starts_with('/') {
            cleaned.remove(0);
        }
    }
    Some(if exception {
        format!("!{cleaned}")
    } else {
        cleaned
    })
}

impl Pattern {
    /// `patternmatcher.New` for one pattern; `None` for what it rejects
    /// (a bare `!`, a pattern that is not a valid glob).
    fn new(line: &str) -> Option<Pattern> {
        let line = line.trim();
        if line.is_empty() {
            return None;
        }
        let cleaned = clean(line);
        let (exception, text) = match cleaned.strip_prefix('!') {
            Some("") => return None,
            Some(rest) => (true, rest.to_string()),
            None => (false, cleaned),
        };
        let matcher = Matcher::compile(&text)?;
        Some(Pattern {
            text,
            exception,
            matcher,
        })
    }

    /// One pattern on its own (what [`PatternIndex`] must agree with).
    #[cfg(test)]
    fn matches(&self, path: &str) -> bool {
        match &self.matcher {
            Matcher::Exact => path == self.text,
            Matcher::Prefix(prefix) => path.starts_with(prefix.as_str()),
            Matcher::Suffix(suffix) => {
                path.ends_with(suffix.as_str())
                    || suffix.strip_prefix('/').is_some_and(|name| path == name)
            }
            Matcher::Regex(regex) => {
                Regex::new(&regex.source).is_ok_and(|regex| regex.is_match(path))
            }
        }
    }
}

/// Every pattern of a list, indexed so that one pass over a path finds all
/// that match it: exact paths, prefixes and suffixes by hash lookups of the
/// path's prefixes and suffixes, and the regular expressions by their
/// literal prefix or suffix ([`RegexPattern`]) with their middles in one
/// `RegexSet`. Ten thousand patterns cost a few lookups per path, not ten
/// thousand tests.
#[derive(Clone, Debug, Default)]
struct PatternIndex {
    exact: HashMap<String, Vec<usize>>,
    prefixes: HashMap<String, Vec<usize>>,
    suffixes: HashMap<String, Vec<usize>>,
    /// `Suffix` patterns whose suffix starts with `/` also match the bare
    /// name (`**/name` matches `name`): those, by name.
    names: HashMap<String, Vec<usize>>,
    regexes: RegexIndex,
}

/// The regex patterns of a list: each under its literal prefix, or its
/// literal suffix when it has no prefix, or by its middle alone when it
/// has neither (`*.md`); the distinct middles, compiled once.
#[derive(Clone, Debug, Default)]
struct RegexIndex {
    by_prefix: LiteralMap,
    by_suffix: LiteralMap,
    /// For each middle, the patterns with neither prefix nor suffix.
    bare: HashMap<usize, Vec<usize>>,
    middles: Middles,
}

/// Regex patterns by a literal text (a prefix or a suffix).
#[derive(Clone, Debug, Default)]
struct LiteralMap {
    entries: HashMap<String, Vec<Cut>>,
    /// The lengths of the keys, ascending, each once: the only prefix or
    /// suffix lengths of a path worth looking up.
    lengths: Vec<usize>,
}

impl LiteralMap {
    fn add(&mut self, key: &str, cut: Cut) {
        self.entries.entry(key.to_string()).or_default().push(cut);
        if let Err(at) = self.lengths.binary_search(&key.len()) {
            self.lengths.insert(at, key.len());
        }
    }
}

/// A regex pattern under a [`LiteralMap`] key.
#[derive(Clone, Debug)]
struct Cut {
    position: usize,
    /// The literal text the path must end with (under a prefix key;
    /// empty under a suffix key, whose key is the suffix).
    suffix: String,
    /// The prefix's length (under a suffix key, whose prefix is empty: 0).
    prefix_len: usize,
    middle: usize,
}

#[derive(Clone, Debug, Default)]
enum Middles {
    #[default]
    None,
    Set(RegexSet),
    /// A set too large to build: one by one.
    Each(Vec<Regex>),
}

impl Middles {
    /// The middles (ids, ascending) that match all of `text`.
    fn matching(&self, text: &str) -> Vec<usize> {
        match self {
            Middles::None => Vec::new(),
            Middles::Set(set) => set.matches(text).into_iter().collect(),
            Middles::Each(regexes) => regexes
                .iter()
                .enumerate()
                .filter(|(_, regex)| regex.is_match(text))
                .map(|(middle, _)| middle)
                .collect(),
        }
    }
}

/// How large the compiled set may grow; a list past it is matched pattern
/// by pattern (still correct, only slower).
const REGEX_SET_SIZE_LIMIT: usize = 32 * 1024 * 1024;

impl PatternIndex {
    fn new(patterns: &[Pattern]) -> PatternIndex {
        let mut index = PatternIndex::default();
        let mut middles: Vec<String> = Vec::new();
        let mut middle_ids: HashMap<String, usize> = HashMap::new();
        for (position, pattern) in patterns.iter().enumerate() {
            let add = |map: &mut HashMap<String, Vec<usize>>, key: &str| {
                map.entry(key.to_string()).or_default().push(position);
            };
            match &pattern.matcher {
                Matcher::Exact => add(&mut index.exact, &pattern.text),
                Matcher::Prefix(prefix) => add(&mut index.prefixes, prefix),
                Matcher::Suffix(suffix) => {
                    add(&mut index.suffixes, suffix);
                    if let Some(name) = suffix.strip_prefix('/') {
                        add(&mut index.names, name);
                    }
                }
                Matcher::Regex(regex) => {
                    let source = regex.middle_source();
                    let middle = *middle_ids.entry(source).or_insert_with_key(|source| {
                        middles.push(source.clone());
                        middles.len() - 1
                    });
                    let regexes = &mut index.regexes;
                    if !regex.prefix.is_empty() {
                        let cut = Cut {
                            position,
                            suffix: regex.suffix.clone(),
                            prefix_len: regex.prefix.len(),
                            middle,
                        };
                        regexes.by_prefix.add(&regex.prefix, cut);
                    } else if !regex.suffix.is_empty() {
                        let cut = Cut {
                            position,
                            suffix: String::new(),
                            prefix_len: 0,
                            middle,
                        };
                        regexes.by_suffix.add(&regex.suffix, cut);
                    } else {
                        regexes.bare.entry(middle).or_default().push(position);
                    }
                }
            }
        }
        if !middles.is_empty() {
            let set = RegexSetBuilder::new(&middles)
                .size_limit(REGEX_SET_SIZE_LIMIT)
                .dfa_size_limit(REGEX_SET_SIZE_LIMIT)
                .build();
            index.regexes.middles = match set {
                Ok(set) => Middles::Set(set),
                // Every middle compiles (its pattern's regex did); the
                // filter only keeps the ids in step if one ever did not.
                Err(_) => Middles::Each(
                    middles
                        .iter()
                        .map(|source| Regex::new(source).unwrap_or_else(|_| never_matches()))
                        .collect(),
                ),
            };
        }
        index
    }

    /// The indices of the patterns that match `path` (unsorted).
    fn matching(&self, path: &str) -> Vec<usize> {
        let mut found = Vec::new();
        let mut take = |map: &HashMap<String, Vec<usize>>, key: &str| {
            if let Some(positions) = map.get(key) {
                found.extend_from_slice(positions);
            }
        };
        take(&self.exact, path);
        take(&self.names, path);
        if !self.prefixes.is_empty() || !self.suffixes.is_empty() {
            for (boundary, _) in path.char_indices().skip(1).chain([(path.len(), ' ')]) {
                take(&self.prefixes, &path[..boundary]);
            }
            // `starts_with("")` and `ends_with("")` hold for every path.
            take(&self.prefixes, "");
            for (boundary, _) in path.char_indices() {
                take(&self.suffixes, &path[boundary..]);
            }
            take(&self.suffixes, "");
        }
        self.regexes.matching(path, &mut found);
        found
    }
}

impl RegexIndex {
    /// Adds to `found` the regex patterns that match `path`.
    fn matching(&self, path: &str, found: &mut Vec<usize>) {
        if matches!(self.middles, Middles::None) {
            return;
        }
        // The (start, end) of the middle each candidate needs, with the
        // candidate: the middles are run once per distinct cut.
        let mut candidates: Vec<(usize, usize, usize, usize)> = Vec::new();
        for &length in &self.by_prefix.lengths {
            let Some(prefix) = path.get(..length) else {
                continue;
            };
            for cut in self.by_prefix.entries.get(prefix).into_iter().flatten() {
                if path.len() - length >= cut.suffix.len() && path.ends_with(cut.suffix.as_str()) {
                    let end = path.len() - cut.suffix.len();
                    candidates.push((cut.prefix_len, end, cut.middle, cut.position));
                }
            }
        }
        for &length in &self.by_suffix.lengths {
            let Some(suffix) = path
                .len()
                .checked_sub(length)
                .and_then(|start| path.get(start..))
            else {
                continue;
            };
            for cut in self.by_suffix.entries.get(suffix).into_iter().flatten() {
                candidates.push((0, path.len() - length, cut.middle, cut.position));
            }
        }
        candidates.sort_unstable();
        let mut cut: Option<((usize, usize), Vec<usize>)> = None;
        for (start, end, middle, position) in candidates {
            if cut
                .as_ref()
                .is_none_or(|(bounds, _)| *bounds != (start, end))
            {
                cut = Some(((start, end), self.middles.matching(&path[start..end])));
            }
            if cut
                .as_ref()
                .is_some_and(|(_, matched)| matched.binary_search(&middle).is_ok())
            {
                found.push(position);
            }
        }
        if !self.bare.is_empty() {
            for middle in self.middles.matching(path) {
                if let Some(positions) = self.bare.get(&middle) {
                    found.extend_from_slice(positions);
                }
            }
        }
    }
}

/// A regex that matches nothing (a middle that failed to compile alone,
/// which cannot happen when its pattern's regex compiled).
fn never_matches() -> Regex {
    Regex::new("[^\\s\\S]").expect("a valid regex")
}

impl Matcher {
    /// patternmatcher's `compile`, with `/` as the separator.
    fn compile(pattern: &str) -> Option<Matcher> {
        #[derive(PartialEq)]
        enum Kind {
            Exact,
            Prefix,
            Suffix,
            Regex,
        }
        let mut kind = Kind::Exact;
        let mut regex = String::from("^");
        let mut characters = pattern.chars().peekable();
        let mut token = 0;
        // The runs of literal characters at the start and at the end of
        // the regex ([`RegexPattern`]), and where they end and start in it.
        let (mut prefix, mut prefix_end, mut in_prefix) = (String::new(), 1, true);
        let (mut suffix, mut suffix_start) = (String::new(), 1);
        let mut anchored = false;
        while let Some(character) = characters.next() {
            let start = regex.len();
            // The character this token matches literally, if it does.
            let mut literal = None;
            match character {
                '*' if characters.peek() == Some(&'*') => {
                    characters.next();
                    // `**/` is `**`.
                    if characters.peek() == Some(&'/') {
                        characters.next();
                    }
                    if characters.peek().is_none() {
                        // A trailing `**` takes everything, as in .gitignore.
                        if kind == Kind::Exact {
                            kind = Kind::Prefix;
                        } else {
                            regex.push_str(".*");
                            kind = Kind::Regex;
                        }
                    } else {
                        // Any number of directories, none included.
                        regex.push_str("(.*/)?");
                        kind = Kind::Regex;
                    }
                    if token == 0 {
                        kind = Kind::Suffix;
                    }
                }
                '*' => {
                    regex.push_str("[^/]*");
                    kind = Kind::Regex;
                }
                '?' => {
                    regex.push_str("[^/]");
                    kind = Kind::Regex;
                }
                '.' | '+' | '(' | ')' | '|' | '{' | '}' | '$' => {
                    regex.push('\\');
                    regex.push(character);
                    literal = Some(character);
                }
                '\\' => match characters.next() {
                    Some(escaped) => {
                        regex.push('\\');
                        regex.push(escaped);
                        kind = Kind::Regex;
                        // `\b`, `\A`…: assertions about the text around.
                        anchored |= escaped.is_alphanumeric();
                    }
                    // A trailing `\` is kept as it is (patternmatcher does).
                    None => regex.push('\\'),
                },
                '[' | ']' => {
                    regex.push(character);
                    kind = Kind::Regex;
                }
                _ => {
                    regex.push(character);
                    // `^` is the regex's anchor: not literal, and where it
                    // is decides what it matches, so the regex is not cut.
                    literal = (character != '^').then_some(character);
                    anchored |= character == '^';
                }
            }
            match literal {
                Some(character) => {
                    if in_prefix {
                        prefix.push(character);
                        prefix_end = regex.len();
                    }
                    if suffix.is_empty() {
                        suffix_start = start;
                    }
                    suffix.push(character);
                }
                None => {
                    in_prefix = false;
                    suffix.clear();
                    suffix_start = regex.len();
                }
            }
            token += 1;
        }
        Some(match kind {
            Kind::Exact => Matcher::Exact,
            Kind::Prefix => Matcher::Prefix(pattern[..pattern.len() - 2].to_string()),
            Kind::Suffix => Matcher::Suffix(pattern[2..].to_string()),
            Kind::Regex => {
                // A regex pattern has a token that is not literal, so the
                // prefix ends before the suffix starts.
                if anchored || in_prefix || prefix_end > suffix_start {
                    (prefix, suffix) = (String::new(), String::new());
                    (prefix_end, suffix_start) = (1, regex.len());
                }
                regex.push('$');
                // patternmatcher rejects a pattern that does not compile.
                Regex::new(&regex).ok()?;
                Matcher::Regex(RegexPattern {
                    source: regex,
                    prefix,
                    suffix,
                    middle: prefix_end..suffix_start,
                })
            }
        })
    }
}

/// Go's `filepath.Clean` on a `/`-separated path: no empty or `.`
/// components, `..` folded into its parent (and dropped at the root), no
/// trailing `/`; `.` for an empty result.
fn clean(path: &str) -> String {
    let rooted = path.starts_with('/');
    let mut components: Vec<&str> = Vec::new();
    for component in path.split('/') {
        match component {
            "" | "." => {}
            ".." => {
                if components.last().is_some_and(|last| *last != "..") {
                    components.pop();
                } else if !rooted {
                    components.push("..");
                }
            }
            other => components.push(other),
        }
    }
    let joined = components.join("/");
    if rooted {
        format!("/{joined}")
    } else if joined.is_empty() {
        ".".to_string()
    } else {
        joined
    }
}

/// fsutil's `patternWithoutTrailingGlob`: `dir/**` and `dir/*` → `dir`.
fn without_trailing_glob(pattern: &str) -> &str {
    let pattern = pattern.strip_suffix("/**").unwrap_or(pattern);
    pattern.strip_suffix("/*").unwrap_or(pattern)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A pattern whose regex does not compile is left out (BuildKit
    /// refuses it); the lines around it still count, and the regex
    /// patterns that do compile match through the set.
    #[test]
    fn a_pattern_that_does_not_compile_is_skipped() {
        let ignore = DockerIgnore::parse("*.log\n[unclosed\nsecret?.txt\n");
        assert_eq!(ignore.patterns.len(), 2);
        assert!(ignore.is_excluded("debug.log", false));
        assert!(ignore.is_excluded("secret1.txt", false));
        assert!(!ignore.is_excluded("[unclosed", false));
        assert!(matches!(ignore.index.regexes.middles, Middles::Set(..)));
    }

    #[test]
    fn the_index_finds_exactly_the_patterns_that_match_one_by_one() {
        let patterns = [
            "a",
            "a/b",
            "dir/**",
            "dir**",
            "**/name",
            "**name",
            "**",
            "*.md",
            "a/*/c",
            "**/x/**",
            "[ab]?",
            "é/**",
            "!a/b",
            "x\\*y",
            "pattern-1/**/*.tmp",
            "pattern-12/**/*.tmp",
            "*.log",
            "x*",
            "a*a",
            "ab*ab",
            "a.b*",
            "ab\\",
            "a^b*",
            "[ab]c",
            "c[ab]",
            "é*ü",
            "a/*/c/d",
            "?/**",
            "**/*.tmp",
            "a\\.b*c",
            "é^*",
            "\\bé",
        ];
        let ignore = DockerIgnore::from_patterns(patterns);
        let paths = [
            "a",
            "a/b",
            "a/b/c",
            "dir",
            "dir/x",
            "directory",
            "name",
            "x/name",
            "xname",
            "README.md",
            "a/z/c",
            "q/x/r",
            "ab",
            "é/f",
            "x*y",
            "",
            "pattern-1/x.tmp",
            "pattern-1/a/b/x.tmp",
            "pattern-12/x.tmp",
            "pattern-1/x.tmpl",
            "debug.log",
            "a/debug.log",
            "xa",
            "aa",
            "aba",
            "abab",
            "a.bc",
            "a\\.bxc",
            "ab$",
            "ab$x",
            "a^bc",
            "bc",
            "ca",
            "éü",
            "éaü",
            "a/b/c/d",
            "x/y",
            "q.tmp",
        ];
        for path in paths {
            let mut found = ignore.index.matching(path);
            found.sort_unstable();
            found.dedup();
            let expected: Vec<usize> = ignore
                .patterns
                .iter()
                .enumerate()
                .filter(|(_, pattern)| pattern.matches(path))
                .map(|(index, _)| index)
                .collect();
            assert_eq!(found, expected, "{path}");
        }
    }

    proptest::proptest! {
        /// Random patterns and paths: the index finds exactly the patterns
        /// whose regex (or string comparison) matches, one by one.
        #[test]
        fn the_index_agrees_with_each_pattern(
            patterns in proptest::collection::vec("[ab/*?.\\\\^\\[\\]é-]{1,7}", 1..8),
            paths in proptest::collection::vec("[ab/.é$-]{0,7}", 1..8),
        ) {
            let ignore = DockerIgnore::from_patterns(&patterns);
            for path in &paths {
                let mut found = ignore.index.matching(path);
                found.sort_unstable();
                found.dedup();
                let expected: Vec<usize> = ignore
                    .patterns
                    .iter()
                    .enumerate()
                    .filter(|(_, pattern)| pattern.matches(path))
                    .map(|(index, _)| index)
                    .collect();
                proptest::prop_assert_eq!(found, expected, "{:?} on {:?}", patterns, path);
            }
        }
    }

    /// (patterns, path, excluded)
    const CASES: &[(&str, &str, bool)] = &[
        // Plain names match at the root only, and everything beneath.
        (".env", ".env", true),
        (".env", "app/.env", false),
        (".git", ".git", true),
        (".git", ".git/config", true),
        (".git", "sub/.git/config", false),
        // `**` spans directories (none included).
        ("**/.env", ".env", true),
        ("**/.env", "a/b/.env", true),
        ("**/.env", "prod.env", false),
        ("**/.env", ".env/inside", true),
        ("**", "anything/at/all", true),
        ("**", ".env", true),
        ("secrets/**", "secrets/id_rsa", true),
        ("secrets/**", "secrets/deep/id_rsa", true),
        ("secrets/**", "secrets", false),
        ("a/**/b", "a/b", true),
        ("a/**/b", "a/x/y/b", true),
        ("a/**/b", "a/x/y/c", false),
        ("**/*.pem", "certs/server.pem", true),
        ("**/*.pem", "server.pem", true),
        ("**.env", "prod.env", true),
        // `*` and `?` do not cross `/`.
        ("*.pem", "server.pem", true),
        ("*.pem", "certs/server.pem", false),
        ("*/.npmrc", "config/.npmrc", true),
        ("*/.npmrc", "a/config/.npmrc", false),
        ("id_?sa", "id_rsa", true),
        ("id_?sa", "id_/sa", false),
        ("*", ".env", true),
        ("*", "deep/in/tree/.env", true),
        // Character classes.
        ("id_[dr]sa", "id_rsa", true),
        ("id_[dr]sa", "id_ecdsa", false),
        ("[^.]*", ".env", false),
        ("[^.]*", "app.py", true),
        // Escapes and regex characters that are literal in a glob.
        ("\\*.pem", "*.pem", true),
        ("\\*.pem", "x.pem", false),
        ("a+b(1).txt", "a+b(1).txt", true),
        ("a.b", "axb", false),
        // Leading `/`, trailing `/` and `./` are cleaned away.
        ("/secrets", "secrets/id_rsa", true),
        ("/secrets", "app/secrets/id_rsa", false),
        ("secrets/", "secrets", true),
        ("secrets/", "secrets/id_rsa", true),
        ("./secrets/../.env", ".env", true),
        ("//.npmrc", ".npmrc", true),
        ("/", "anything", false),
        (".", "anything", false),
        // Comments, blank lines, whitespace.
        ("# .env\n\n   \n", ".env", false),
        (" # .env", "# .env", true),
        ("   .env   \r\n", ".env", true),
        ("\u{feff}.env", ".env", true),
        // Exceptions: the last match wins.
        ("*.pem\n!keep.pem", "keep.pem", false),
        ("*.pem\n!keep.pem", "other.pem", true),
        ("!keep.pem\n*.pem", "keep.pem", true),
        ("*\n!app.py", "app.py", false),
        ("*\n!app.py", ".env", true),
        ("*\n!src", "src/.env", false),
        ("secrets\n!secrets/id_rsa", "secrets/id_rsa", false),
        ("secrets\n!secrets/id_rsa", "secrets/id_dsa", true),
        ("secrets/\n! secrets/id_rsa ", "secrets/id_rsa", false),
        (
            "secrets\n!secrets/keys\nsecrets/keys/id_rsa",
            "secrets/keys/id_rsa",
            true,
        ),
        (
            "secrets\n!secrets/keys\nsecrets/keys/id_rsa",
            "secrets/keys/id_dsa",
            false,
        ),
        ("secrets\n!**/id_rsa", "secrets/deep/id_rsa", false),
        ("**/.env\n!config/**/.env", "config/prod/.env", false),
        ("**/.env\n!config/**/.env", "app/.env", true),
        // An exception before the pattern it would undo does nothing.
        ("!secrets/id_rsa\nsecrets", "secrets/id_rsa", true),
        // `dir/*` then `!dir`: fsutil decides `dir/x` from `dir`'s state,
        // where `dir/*` had not matched (unlike `MatchesOrParentMatches`).
        ("dir/*\n!dir", "dir/x", true),
        // An exception naming a parent cannot reach into a pruned directory.
        ("a/b\n!a", "a/b/c", true),
        // Unusable patterns are skipped, the rest still counts.
        ("!\n.env", ".env", true),
        ("[\n.env", ".env", true),
        ("[", "[", false),
    ];

    #[test]
    fn patterns_follow_buildkit() {
        let mut failures = Vec::new();
        for (patterns, path, expected) in CASES {
            let ignore = DockerIgnore::parse(patterns);
            if ignore.is_excluded(path, false) != *expected {
                failures.push(format!(
                    "{patterns:?} on {path:?}: expected excluded={expected}"
                ));
            }
        }
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    }

    #[test]
    fn paths_are_read_like_context_paths() {
        let ignore = DockerIgnore::parse("secrets\n");
        for path in [
            "secrets",
            "./secrets",
            "/secrets/",
            "secrets/id_rsa",
            "./secrets//id_rsa",
        ] {
            assert!(ignore.is_excluded(path, false), "{path}");
        }
        assert!(ignore.is_excluded("secrets", true));
        assert!(!ignore.is_excluded("", true));
    }

    #[test]
    fn lines_are_cleaned_like_ignorefile_read_all() {
        assert_eq!(read_line("# comment"), None);
        assert_eq!(read_line("   "), None);
        assert_eq!(read_line(" /a/b/ "), Some("a/b".into()));
        assert_eq!(read_line("! /a/../b"), Some("!b".into()));
        assert_eq!(read_line("/"), Some("/".into()));
        assert_eq!(read_line("../x"), Some("../x".into()));
        assert_eq!(read_line("!"), Some("!".into()));
    }

    #[test]
    fn clean_matches_go() {
        for (input, expected) in [
            ("", "."),
            (".", "."),
            ("a/", "a"),
            ("a//b", "a/b"),
            ("a/./b/..", "a"),
            ("../a", "../a"),
            ("a/../..", ".."),
            ("/..", "/"),
            ("/a/../../b", "/b"),
            ("**/", "**"),
        ] {
            assert_eq!(clean(input), expected, "{input:?}");
        }
    }

    #[test]
    fn a_reincluding_exception_is_named() {
        let ignore = DockerIgnore::parse("keys/\n!keys/id_rsa\n");
        assert_eq!(
            ignore.reincluding_exception("keys/id_rsa"),
            Some("!keys/id_rsa".into())
        );
        assert_eq!(ignore.reincluding_exception("keys/id_dsa"), None);
        assert_eq!(ignore.reincluding_exception("app.py"), None);
    }

    #[test]
    fn excluded_directories_are_pruned_unless_an_exception_reaches_inside() {
        let plain = DockerIgnore::parse("node_modules\n");
        assert!(plain.state_of("node_modules").is_pruned());
        let reaching = DockerIgnore::parse("secrets\n!secrets/public\n");
        assert!(!reaching.state_of("secrets").is_pruned());
        assert!(reaching.state_of("secrets").is_excluded());
        let wildcard = DockerIgnore::parse("node_modules\n!**/*.md\n");
        assert!(!wildcard.state_of("node_modules").is_pruned());
    }

    #[test]
    fn the_dockerfile_specific_file_wins() {
        let context = tempfile::tempdir().expect("a temp dir");
        let root = context.path();
        let dockerfile = root.join("build.Dockerfile");
        assert!(DockerIgnore::load(root, Some(&dockerfile))
            .unwrap()
            .is_none());

        std::fs::write(root.join(".dockerignore"), ".env\n").unwrap();
        let (path, ignore) = DockerIgnore::load(root, Some(&dockerfile))
            .unwrap()
            .unwrap();
        assert_eq!(path, root.join(".dockerignore"));
        assert!(ignore.is_excluded(".env", false));

        std::fs::write(root.join("build.Dockerfile.dockerignore"), "node_modules\n").unwrap();
        let (path, ignore) = DockerIgnore::load(root, Some(&dockerfile))
            .unwrap()
            .unwrap();
        assert_eq!(path, root.join("build.Dockerfile.dockerignore"));
        assert!(!ignore.is_excluded(".env", false));

        let (path, _) = DockerIgnore::load(root, None).unwrap().unwrap();
        assert_eq!(path, root.join(".dockerignore"));
    }
}
