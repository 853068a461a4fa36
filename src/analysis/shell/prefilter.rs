//! Which RUNs need the shell view: one literal prefilter over the RUN text,
//! built from the data the rules read (see `docs/shell.md`, "The
//! prefilter").
//!
//! Almost no RUN changes a finding (19 of the wild corpus's 9,013), yet
//! reading RUN as shell was 41% of a corpus run. A RUN whose text holds
//! none of the literals below, in a file and stage where nothing else
//! calls for it, gets an empty view: no commands, its kind and mounts
//! kept. Everything a rule can take from a RUN's commands is gated by one
//! of them:
//!
//! - for every credential-file glob (the catalogue in effect,
//!   configuration included), its longest literal piece, cut at `/` and at
//!   wildcards: a file a RUN writes, copies, moves or removes is only a
//!   credential file when its path holds it (a glob with no literal piece
//!   outside `[…]`/`{…}` turns the prefilter off); all of its pieces when
//!   they lie in its last component (`private` and `.asc` of
//!   `**/*private*.asc`: `.asc` alone is every downloaded signature), with
//!   any one of them in an ARG/ENV value or a WORKDIR/USER calling for the
//!   view as below;
//! - `/run/secrets`, and a `--mount` of type `secret` or `ssh`;
//! - URL user info: `://` followed by `@` before any `/`, `?` or `#`;
//! - each entry of `rules/credential-commands.toml`: one of its programs,
//!   and its `words`, `requires`, `options` (or the literal pieces of its
//!   `keys`), all of them;
//! - the secret-named options (`--password`, `--token`…) and the credential
//!   headers of `curl`/`wget`;
//! - DLK005/DLK006's written text: a `>` that redirects to a file (not
//!   `2>&1`, not `/dev/null`) or `tee`, with a secret-looking key written
//!   as one (`api_token=`, `auth:`), a password word before a blank
//!   (`requirepass x`), or a piece of a secret-looking file name;
//! - the tools that write a credential file the RUN text does not name
//!   ([`crate::analysis::layers::TOOL_WRITES`]: `git config`, `npm login`,
//!   `docker login`, `aws configure`…);
//! - not literals: a secret-looking ARG/ENV in scope (DLK006 and DLK009
//!   follow them through any command), an ARG/ENV whose value holds a
//!   credential-file piece and whose name the RUN mentions, a WORKDIR/USER/
//!   HOME holding one (every RUN of the file), and an earlier layer of the
//!   stage (or of a stage it is built on) that may hold a credential or
//!   that is copied from one that may (every later RUN: its removals and
//!   copies decide DLK002 and where a file ends up).
//!
//! The text is searched with quotes and backslashes taken out (`.n"et"rc`
//! is `.netrc` to the shell), ASCII case-insensitively; `$'…'` (ANSI-C
//! escapes) and a JSON `\u` escape in exec form turn the prefilter off for
//! that RUN. `tests/shell_prefilter.rs` lints the corpus and the fixtures
//! with and without it and asserts identical findings.

use crate::analysis::layers::TOOL_WRITES;
use crate::analysis::{Analysis, Base};
use crate::secrets::commands::{CredentialCommands, SecretPosition};
use crate::secrets::keywords::Keywords;
use crate::secrets::Catalog;
use crate::syntax::{Arguments, Dockerfile, Instruction, Keyword, MountType};
use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex};

/// Options whose name says they carry a secret, on any command (DLK006's
/// generalisation beyond the catalogue). `--password-stdin`, `--token-file`
/// and `--auth-type` are other options and never match; `--secret id=…`
/// (BuildKit's) is skipped by DLK006's `is_secret_reference`.
pub(crate) const SECRET_OPTIONS: [&str; 10] = [
    "--password",
    "--passwd",
    "--token",
    "--api-key",
    "--apikey",
    "--client-secret",
    "--access-token",
    "--auth-token",
    "--secret",
    "--private-token",
];

/// Header names that carry a credential (`curl -H`, `wget --header`).
pub(crate) const CREDENTIAL_HEADERS: [&str; 6] = [
    "authorization",
    "private-token",
    "x-api-key",
    "x-auth-token",
    "job-token",
    "x-jfrog-art-api",
];

/// Glob pieces that ordinary RUNs often hold: another piece of the glob
/// stands for it when there is one.
const COMMON_PIECES: [&str; 6] = [
    "cache", "config", "settings", "private", "secret", "secrets",
];

/// More secret-looking names in a file than this: every RUN is read.
const MAX_NAMES: usize = 32;

/// The compiled prefilter of one catalogue.
#[derive(Debug)]
pub struct Prefilter {
    /// All literals, ASCII case-insensitive: a prefix index, then a DFA
    /// once a run has scanned 256 KiB (building the DFA was 40% of a
    /// one-file run).
    automaton: Keywords,
    literal_count: usize,
    /// Literals that stand for a credential-file glob: a path the glob
    /// matches holds one of them.
    path_literal: Vec<bool>,
    /// Those, and every piece of a glob read as a conjunction (see
    /// [`conjunction_pieces`]): a value or directory that may be part of
    /// such a path holds one of them.
    part_literal: Vec<bool>,
    /// The literal `>`: it counts only where it redirects to a file (see
    /// [`writes_file`]).
    redirect: usize,
    /// Where each literal must stand.
    places: Vec<Place>,
    /// Each clause is a conjunction of groups; a group holds when any of
    /// its literals occurs. A RUN needs the view when any clause holds.
    clauses: Vec<Vec<Vec<usize>>>,
    /// Some credential-file glob has no literal piece: no filtering.
    always: bool,
}

/// Where a literal must stand to count.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Place {
    /// Anywhere (a program name after a `/`, a key piece, a header).
    Anywhere,
    /// At the start of a word: an option (`-u`, `--password=…`), an
    /// assignment name (`PGPASSWORD=`).
    WordStart,
    /// A whole word: a subcommand the catalogue compares whole (`login`).
    Word,
    /// A whole path component (`.aws` of `**/.aws/**`): no name character
    /// (`[A-Za-z0-9._-]`) on either side.
    Component,
    /// A piece of a key written with its value (`token` of `api_token =
    /// x`, `"auth": …`): past the key's other characters (`[A-Za-z0-9_.-]`)
    /// and blanks comes `=` or `:`, as the written-text heuristic's pattern
    /// requires.
    Key,
    /// A word followed by a blank or a tab (`requirepass x`).
    BeforeBlank,
}

struct Literals {
    texts: Vec<String>,
    ids: HashMap<(String, Place), usize>,
    path: Vec<bool>,
    part: Vec<bool>,
    places: Vec<Place>,
}

/// Room for the builtin catalogue's literals (about 280 distinct ones
/// from 360 calls): growing the map to that size rehashed it eight times,
/// 0.15 M instructions of a one-file run.
const LITERALS_CAPACITY: usize = 512;

impl Literals {
    fn with_capacity(capacity: usize) -> Literals {
        Literals {
            texts: Vec::with_capacity(capacity),
            ids: HashMap::with_capacity(capacity),
            path: Vec::with_capacity(capacity),
            part: Vec::with_capacity(capacity),
            places: Vec::with_capacity(capacity),
        }
    }

    fn id(&mut self, text: &str, place: Place, path: bool) -> usize {
        let id = self.part_id(text, place, path);
        self.path[id] |= path;
        id
    }

    /// [`Self::id`] of a literal that is (`part`) or is not a part of a
    /// credential path, without making it stand for one.
    fn part_id(&mut self, text: &str, place: Place, part: bool) -> usize {
        let lowered = text.to_ascii_lowercase();
        let id = *self.ids.entry((lowered.clone(), place)).or_insert_with(|| {
            self.texts.push(lowered);
            self.path.push(false);
            self.part.push(false);
            self.places.push(place);
            self.texts.len() - 1
        });
        self.part[id] |= part;
        id
    }

    fn group(&mut self, texts: &[&str], place: Place) -> Vec<usize> {
        texts
            .iter()
            .map(|text| self.id(text, place, false))
            .collect()
    }
}

/// A character of a word (for [`Place::WordStart`] and [`Place::Word`]).
fn is_word_byte(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || matches!(byte, b'_' | b'-')
}

/// A character of a path component's name.
fn is_name_byte(byte: u8) -> bool {
    is_word_byte(byte) || byte == b'.'
}

/// Whether a match at `start..end` of `text` stands where `place` says.
fn stands(text: &[u8], start: usize, end: usize, place: Place) -> bool {
    let before = start.checked_sub(1).map(|at| text[at]);
    let after = text.get(end).copied();
    match place {
        Place::Anywhere => true,
        Place::WordStart => !before.is_some_and(is_word_byte),
        Place::Word => !before.is_some_and(is_word_byte) && !after.is_some_and(is_word_byte),
        Place::Component => !before.is_some_and(is_name_byte) && !after.is_some_and(is_name_byte),
        Place::Key => {
            let rest = &text[end..];
            let key_end = rest
                .iter()
                .position(|&byte| !is_name_byte(byte))
                .unwrap_or(rest.len());
            let blanks = rest[key_end..]
                .iter()
                .position(|&byte| byte != b' ' && byte != b'\t')
                .unwrap_or(rest.len() - key_end);
            matches!(rest.get(key_end + blanks), Some(b'=' | b':'))
        }
        Place::BeforeBlank => matches!(after, Some(b' ' | b'\t')),
    }
}

static BUILTIN: LazyLock<Arc<Prefilter>> =
    LazyLock::new(|| Arc::new(Prefilter::new(Catalog::builtin())));

/// The prefilter of the last configured catalogue (configuration adds
/// credential files): built once per catalogue, not per file.
type Configured = Option<(Arc<crate::secrets::CredentialFiles>, Arc<Prefilter>)>;
static CONFIGURED: Mutex<Configured> = Mutex::new(None);

impl Prefilter {
    /// The prefilter for `catalog` (cached).
    pub fn for_catalog(catalog: &Catalog) -> Arc<Prefilter> {
        let builtin = Catalog::builtin();
        if Arc::ptr_eq(&catalog.files, &builtin.files) {
            return BUILTIN.clone();
        }
        let mut cached = CONFIGURED.lock().unwrap_or_else(|error| error.into_inner());
        if let Some((files, prefilter)) = cached.as_ref() {
            if Arc::ptr_eq(files, &catalog.files) {
                return prefilter.clone();
            }
        }
        let prefilter = Arc::new(Prefilter::new(catalog));
        *cached = Some((catalog.files.clone(), prefilter.clone()));
        prefilter
    }

    fn new(catalog: &Catalog) -> Prefilter {
        let mut literals = Literals::with_capacity(LITERALS_CAPACITY);
        let mut clauses: Vec<Vec<Vec<usize>>> = Vec::new();
        let mut always = false;
        for pattern in catalog.files.patterns() {
            for glob in &pattern.patterns {
                // Every piece is in every path the glob matches: one
                // stands for the glob, the longest whole component that is
                // not a common word (`.aws` rather than `cache` in
                // `**/.aws/sso/cache/*.json`), else the longest.
                let pieces = glob_pieces(glob);
                let chosen = pieces.iter().cloned().max_by_key(|(piece, component)| {
                    let common = COMMON_PIECES.contains(&piece.to_ascii_lowercase().as_str());
                    (!common, *component, piece.len())
                });
                match chosen {
                    Some((piece, component)) => {
                        let place = if component {
                            Place::Component
                        } else {
                            Place::Anywhere
                        };
                        let id = literals.id(&piece, place, true);
                        match conjunction_pieces(glob, &pieces) {
                            Some(all) => clauses.push(
                                all.iter()
                                    .map(|piece| {
                                        vec![literals.part_id(piece, Place::Anywhere, true)]
                                    })
                                    .collect(),
                            ),
                            None => clauses.push(vec![vec![id]]),
                        }
                    }
                    None => always = true,
                }
            }
        }
        // DLK001 reports a COPY of a file whose name says it is a secret
        // (`db-password`) and says whether a later RUN removes it: such a
        // COPY marks its stage like a credential file's. No RUN clause of
        // their own: a RUN that writes such a name is the written-text
        // clause's, below.
        let file_names: Vec<usize> = crate::secrets::file_names::SecretFileNames::builtin()
            .name_pieces()
            .iter()
            .map(|piece| literals.id(piece, Place::Anywhere, true))
            .collect();
        let id = literals.id("/run/secrets", Place::Anywhere, false);
        clauses.push(vec![vec![id]]);
        let redirect = literals.id(">", Place::Anywhere, false);
        for option in ["--auth"].iter().chain(SECRET_OPTIONS.iter()) {
            let id = literals.id(option, Place::WordStart, false);
            clauses.push(vec![vec![id]]);
        }
        clauses.push(vec![
            literals.group(&["curl", "wget"], Place::Anywhere),
            literals.group(&CREDENTIAL_HEADERS, Place::Anywhere),
        ]);
        for (programs, words) in TOOL_WRITES {
            let mut clause = vec![literals.group(programs, Place::Anywhere)];
            if !words.is_empty() {
                clause.push(literals.group(words, Place::Word));
            }
            clauses.push(clause);
        }
        for entry in CredentialCommands::builtin().entries() {
            let programs: Vec<&str> = entry.programs.iter().map(String::as_str).collect();
            let mut clause = vec![literals.group(&programs, Place::Anywhere)];
            for word in entry.words.iter().chain(&entry.requires) {
                clause.push(vec![literals.id(word, Place::Word, false)]);
            }
            match entry.secret {
                SecretPosition::Option | SecretPosition::Attached | SecretPosition::Assignment => {
                    let options: Vec<&str> = entry.options.iter().map(String::as_str).collect();
                    if !options.is_empty() {
                        clause.push(literals.group(&options, Place::WordStart));
                    }
                }
                SecretPosition::AfterKey | SecretPosition::Key => {
                    // A key matches when it holds the pieces between its
                    // `*`; the longest one stands for it.
                    let longest: Option<Vec<&str>> = entry
                        .keys
                        .iter()
                        .map(|key| {
                            key.split('*')
                                .max_by_key(|piece| piece.len())
                                .filter(|piece| !piece.is_empty())
                        })
                        .collect();
                    if let Some(pieces) = longest {
                        if !pieces.is_empty() {
                            clause.push(literals.group(&pieces, Place::Anywhere));
                        }
                    }
                }
                SecretPosition::Stdin | SecretPosition::FlagLast => {}
            }
            clauses.push(clause);
        }
        // DLK005/DLK006's written-text heuristic: a RUN that writes a file
        // (a redirect or `tee`) and holds a secret-looking key (written as
        // one: `key=`, `key:`), one of the blank-separated password words
        // (`requirepass …`), or a secret-looking file name.
        match catalog.names.name_literals() {
            Some(keys) => {
                let writes = vec![redirect, literals.id("tee", Place::Anywhere, false)];
                let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
                clauses.push(vec![writes.clone(), literals.group(&keys, Place::Key)]);
                clauses.push(vec![
                    writes.clone(),
                    literals.group(&crate::rules::WRITTEN_PASSWORD_WORDS, Place::BeforeBlank),
                ]);
                clauses.push(vec![writes, file_names]);
            }
            None => always = true,
        }
        // A prefix index for the first 256 KiB scanned, then a DFA (see
        // `Keywords`).
        let literal_count = literals.texts.len();
        let automaton = Keywords::new(literals.texts, "shell prefilter literals")
            .expect("the prefilter literals form a valid automaton");
        Prefilter {
            automaton,
            literal_count,
            path_literal: literals.path,
            part_literal: literals.part,
            redirect,
            places: literals.places,
            clauses,
            always,
        }
    }

    /// Which literals occur in `text`.
    fn present(&self, text: &str) -> Vec<bool> {
        let mut present = vec![false; self.literal_count];
        let bytes = text.as_bytes();
        self.automaton.any_overlapping(text, |found| {
            let literal = found.pattern().as_usize();
            if stands(bytes, found.start(), found.end(), self.places[literal]) {
                present[literal] = true;
            }
            false
        });
        if present[self.redirect] {
            present[self.redirect] = writes_file(bytes);
        }
        present
    }

    /// Whether a RUN text (quotes taken out) calls for the view.
    fn run_text_hits(&self, text: &str) -> bool {
        if self.always || text.contains("$'") {
            return true;
        }
        let present = self.present(text);
        self.clauses.iter().any(|clause| {
            clause
                .iter()
                .all(|group| group.iter().any(|literal| present[*literal]))
        }) || has_url_userinfo(text)
    }

    /// Whether `text` holds a literal that stands for a credential-file
    /// glob (a COPY that may land such a file names it).
    fn path_hits(&self, text: &str) -> bool {
        self.hits_any(text, &self.path_literal)
    }

    /// Whether `text` holds a piece of a credential-file glob's path (a
    /// value or directory that a RUN's path may be built from).
    fn part_hits(&self, text: &str) -> bool {
        self.hits_any(text, &self.part_literal)
    }

    fn hits_any(&self, text: &str, wanted: &[bool]) -> bool {
        if self.always {
            return true;
        }
        let bytes = text.as_bytes();
        self.automaton.any_overlapping(text, |found| {
            let literal = found.pattern().as_usize();
            wanted[literal] && stands(bytes, found.start(), found.end(), self.places[literal])
        })
    }
}

/// A `://` followed by an `@` before any `/`, `?` or `#`: a superset of
/// what the readers of URL user info accept
/// ([`crate::analysis::layers::url_credentials`],
/// [`crate::secrets::commands::url_userinfo`],
/// [`crate::secrets::names::has_url_password`], DLK007's pattern), which
/// all take the user info from the authority, before the path, query or
/// fragment. Every `://` is tried: a URL with none can come first.
pub(crate) fn has_url_userinfo(text: &str) -> bool {
    let bytes = text.as_bytes();
    memchr::memmem::find_iter(bytes, b"://").any(|start| {
        let authority = &bytes[start + 3..];
        memchr::memchr3(b'/', b'?', b'#', authority)
            .map_or(authority, |end| &authority[..end])
            .contains(&b'@')
    })
}

/// The literal pieces of a credential-file glob, cut at `/` as well as at
/// wildcards, classes and alternations, each with whether it is a whole
/// path component of the glob (`.aws` in `**/.aws/**`): each stands in one
/// path component of every path the glob matches. None (no filtering) for
/// a glob with a backslash or an unclosed class.
fn glob_pieces(glob: &str) -> Vec<(String, bool)> {
    if glob.contains('\\') {
        return Vec::new();
    }
    let mut pieces = Vec::new();
    let mut current = String::new();
    // The current piece started a component and nothing but it is in it.
    let mut whole = true;
    let mut chars = glob.chars();
    while let Some(ch) = chars.next() {
        let closing = match ch {
            '/' => {
                if !current.is_empty() {
                    pieces.push((std::mem::take(&mut current), whole));
                }
                whole = true;
                continue;
            }
            '*' | '?' => None,
            '[' => Some(']'),
            '{' => Some('}'),
            _ => {
                current.push(ch);
                continue;
            }
        };
        if !current.is_empty() {
            pieces.push((std::mem::take(&mut current), false));
        }
        whole = false;
        if let Some(closing) = closing {
            if !crate::secrets::files::skip_glob_group(&mut chars, closing) {
                return Vec::new();
            }
        }
    }
    if !current.is_empty() {
        pieces.push((current, whole));
    }
    pieces
}

/// Pieces shorter than this are not worth a conjunction: a value holding
/// one would call for the view (`sa` of `id_[rd]sa*`).
const MIN_CONJUNCTION_PIECE: usize = 4;

/// The pieces of `glob` (as [`glob_pieces`] cuts them) when they all lie in
/// its last component and there are several (`private` and `.asc` of
/// `**/*private*.asc`): a path the glob matches holds every one of them in
/// one component, so a RUN needs the view only when its text holds them
/// all, or a value or directory its paths may be built from holds one
/// (`part_literal`). One piece alone (`.asc`) is in every signature a
/// Dockerfile downloads.
fn conjunction_pieces(glob: &str, pieces: &[(String, bool)]) -> Option<Vec<String>> {
    let (directory, _) = glob.rsplit_once('/')?;
    if pieces.len() < 2
        || !glob_pieces(directory).is_empty()
        || pieces
            .iter()
            .any(|(piece, whole)| *whole || piece.len() < MIN_CONJUNCTION_PIECE)
    {
        return None;
    }
    Some(pieces.iter().map(|(piece, _)| piece.clone()).collect())
}

/// Whether some `>` of `text` (quotes taken out) may redirect output to a
/// file that the written-text heuristic reads: not a duplication of a file
/// descriptor (`2>&1`, `>&-`) and not a device (`> /dev/null`: the
/// heuristic's [`crate::rules::is_device`], for a target that no
/// expansion, glob or `..` can turn into another path). Anything else
/// with a `>` counts (`->`, `[[ a > b ]]`).
fn writes_file(text: &[u8]) -> bool {
    // The word from `start`: up to a blank or an operator character.
    let word_at = |start: usize| {
        let rest = &text[start.min(text.len())..];
        let length = rest
            .iter()
            .position(|byte| byte.is_ascii_whitespace() || b";&|()<>".contains(byte))
            .unwrap_or(rest.len());
        &rest[..length]
    };
    memchr::memchr_iter(b'>', text).any(|at| {
        let mut next = at + 1;
        if text.get(next) == Some(&b'&') {
            let word = word_at(next + 1);
            let duplicates =
                !word.is_empty() && (word == b"-" || word.iter().all(u8::is_ascii_digit));
            return !duplicates;
        }
        if matches!(text.get(next), Some(b'>' | b'|')) {
            next += 1;
        }
        while matches!(text.get(next), Some(b' ' | b'\t')) {
            next += 1;
        }
        let word = word_at(next);
        let fixed = !word.windows(2).any(|pair| pair == b"..")
            && !word.iter().any(|byte| b"$`*?[{~".contains(byte));
        // Cut at ASCII bytes, the word is UTF-8.
        !(fixed && std::str::from_utf8(word).is_ok_and(crate::rules::is_device))
    })
}

/// `text` with quotes and backslashes taken out, as one haystack.
fn unquoted(parts: &[&str]) -> String {
    let mut haystack: Vec<u8> = Vec::with_capacity(parts.iter().map(|part| part.len() + 1).sum());
    for part in parts {
        // Taking ASCII bytes out of UTF-8 leaves UTF-8. The text between
        // quotes is copied whole (a byte-by-byte filter was 1.5% of a
        // corpus run).
        let bytes = part.as_bytes();
        let mut start = 0;
        for quote in memchr::memchr3_iter(b'\'', b'"', b'\\', bytes) {
            haystack.extend_from_slice(&bytes[start..quote]);
            start = quote + 1;
        }
        haystack.extend_from_slice(&bytes[start..]);
        haystack.push(b'\n');
    }
    String::from_utf8(haystack)
        .unwrap_or_else(|error| String::from_utf8_lossy(error.as_bytes()).into_owned())
}

/// The prefilter applied to one file: per instruction, whether a RUN needs
/// its shell view.
pub(crate) struct FileFilter<'a> {
    prefilter: &'a Prefilter,
    catalog: &'a Catalog,
    analysis: &'a Analysis,
    /// Secret-looking ARG/ENV names of the file (`None`: too many, read
    /// every RUN).
    secret_names: Option<Vec<&'a str>>,
    /// ARG/ENV names whose value holds a credential-file piece.
    path_names: Option<Vec<&'a str>>,
    /// Every RUN needs the view (a WORKDIR, USER or HOME holds a piece).
    every_run: bool,
    /// Per stage: an earlier layer of it (or of a stage it builds on) may
    /// hold a credential.
    stage_marked: Vec<bool>,
}

impl<'a> FileFilter<'a> {
    pub(crate) fn new(
        prefilter: &'a Prefilter,
        catalog: &'a Catalog,
        dockerfile: &Dockerfile,
        analysis: &'a Analysis,
    ) -> FileFilter<'a> {
        let mut secret_names: Vec<&str> = Vec::new();
        let mut path_names: Vec<&str> = Vec::new();
        // The prefilter is cached per credential-file catalogue, so its
        // written-text literals are the built-in names': with names added
        // by the configuration, any text may be a secret-looking key.
        let mut every_run = prefilter.always || catalog.names.has_extra_secret_names();
        for binding in &analysis.bindings {
            let name = binding.name.as_str();
            if !secret_names.contains(&name)
                && (catalog.names.is_secret(name)
                    || name.to_ascii_lowercase().ends_with("index_url"))
            {
                secret_names.push(name);
            }
            let value_hits = binding
                .value
                .as_ref()
                .is_some_and(|value| prefilter.part_hits(&unquoted(&[&value.value])));
            if value_hits {
                if name == "HOME" {
                    every_run = true;
                }
                if !path_names.contains(&name) {
                    path_names.push(name);
                }
            }
        }
        let path_names = (path_names.len() <= MAX_NAMES).then_some(path_names);
        for instruction in &dockerfile.instructions {
            let effective = instruction.effective();
            if matches!(effective.keyword, Keyword::Workdir | Keyword::User) {
                let text = unquoted(&[&effective.rest.text]);
                if prefilter.part_hits(&text)
                    || path_names
                        .as_ref()
                        .is_none_or(|names| mentions(&text, names))
                {
                    every_run = true;
                }
            }
        }
        FileFilter {
            prefilter,
            catalog,
            analysis,
            secret_names: (secret_names.len() <= MAX_NAMES).then_some(secret_names),
            path_names,
            every_run,
            stage_marked: Vec::with_capacity(analysis.stages.len()),
        }
    }

    /// Called for every instruction in order; for a RUN, whether it needs
    /// the shell view.
    pub(crate) fn needs_view(&mut self, index: usize, instruction: &Instruction) -> bool {
        let stage = self.analysis.stage_of(index);
        if instruction.keyword == Keyword::From {
            if let Some(stage) = stage {
                let inherited = match stage.base {
                    Base::Stage(parent) => self.stage_marked.get(parent).copied().unwrap_or(true),
                    Base::Image(_) => false,
                };
                if self.stage_marked.len() <= stage.index {
                    self.stage_marked.resize(stage.index + 1, false);
                }
                self.stage_marked[stage.index] = inherited;
            }
            return false;
        }
        let marked = stage.is_some_and(|stage| self.stage_marked.get(stage.index) == Some(&true));
        match instruction.keyword {
            Keyword::Copy | Keyword::Add => {
                if !marked && self.copy_may_hold_credential(index, instruction) {
                    self.mark(index);
                }
                false
            }
            Keyword::Run => {
                let needs = self.every_run || marked || self.run_needs_view(index, instruction);
                if needs {
                    self.mark(index);
                }
                needs
            }
            _ => false,
        }
    }

    fn mark(&mut self, index: usize) {
        if let Some(stage) = self.analysis.stage_of(index) {
            if self.stage_marked.len() <= stage.index {
                self.stage_marked.resize(stage.index + 1, false);
            }
            self.stage_marked[stage.index] = true;
        }
    }

    fn run_needs_view(&self, index: usize, instruction: &Instruction) -> bool {
        for flag in instruction.flags_named("mount") {
            if let Some(mount) = &flag.mount {
                if matches!(mount.mount_type(), MountType::Secret | MountType::Ssh) {
                    return true;
                }
            }
        }
        if instruction.json && instruction.rest.text.contains("\\u") {
            return true;
        }
        let mut parts = vec![instruction.rest.text.as_str()];
        parts.extend(
            instruction
                .heredocs
                .iter()
                .map(|heredoc| heredoc.content.as_str()),
        );
        let text = unquoted(&parts);
        if self.prefilter.run_text_hits(&text) {
            return true;
        }
        match &self.path_names {
            Some(names) if mentions(&text, names) => return true,
            None => return true,
            _ => {}
        }
        match &self.secret_names {
            None => true,
            Some(names) => names
                .iter()
                .any(|name| self.analysis.resolve(name, index).is_some()),
        }
    }

    /// A COPY/ADD whose text holds a credential-file piece or a piece of a
    /// secret-file-name pattern (or names an ARG/ENV holding one), whose
    /// glob source may match a credential file
    /// (DLK001's test), or that copies from a marked stage.
    fn copy_may_hold_credential(&self, index: usize, instruction: &Instruction) -> bool {
        let mut parts = vec![instruction.rest.text.as_str()];
        parts.extend(
            instruction
                .heredocs
                .iter()
                .map(|heredoc| heredoc.content.as_str()),
        );
        let text = unquoted(&parts);
        if self.prefilter.path_hits(&text)
            || self
                .path_names
                .as_ref()
                .is_none_or(|names| mentions(&text, names))
        {
            return true;
        }
        if instruction.flag("from").is_some() {
            let stage = self.analysis.stage_of(index);
            return stage.is_none_or(|stage| {
                stage
                    .depends_on
                    .iter()
                    .any(|dependency| self.stage_marked.get(*dependency) != Some(&false))
            });
        }
        if let Arguments::Json(words) | Arguments::Words(words) = &instruction.arguments {
            let sources = &words[..words.len().saturating_sub(1)];
            for source in sources {
                if source.text.contains(['*', '?', '[']) {
                    let expanded = self.analysis.expand_word(source, index).value;
                    if self.catalog.files.match_glob(&expanded).is_some() {
                        return true;
                    }
                }
            }
        }
        false
    }
}

/// Whether `text` mentions any of `names` (as a substring).
fn mentions(text: &str, names: &[&str]) -> bool {
    names.iter().any(|name| text.contains(name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn glob_pieces_are_cut_at_slashes_and_wildcards() {
        let pieces = |glob: &str| -> Vec<(String, bool)> { glob_pieces(glob) };
        let owned = |list: &[(&str, bool)]| -> Vec<(String, bool)> {
            list.iter()
                .map(|(piece, whole)| (piece.to_string(), *whole))
                .collect()
        };
        assert_eq!(
            pieces("**/.aws/credentials"),
            owned(&[(".aws", true), ("credentials", true)])
        );
        assert_eq!(
            pieces("**/id_[rd]sa*"),
            owned(&[("id_", false), ("sa", false)])
        );
        assert_eq!(pieces("**/*.{pem,key}"), owned(&[(".", false)]));
        assert_eq!(
            pieces("home/*/.gradle"),
            owned(&[("home", true), (".gradle", true)])
        );
        assert!(glob_pieces("a\\*b").is_empty());
    }

    #[test]
    fn places_are_checked() {
        assert!(stands(b"ls ~/.aws/x", 5, 9, Place::Component));
        assert!(!stands(b"x.azureedge.net", 1, 7, Place::Component));
        assert!(stands(b"useradd -u 1", 8, 10, Place::WordStart));
        assert!(!stands(b"--user", 1, 3, Place::WordStart));
        assert!(!stands(b"./configure", 2, 8, Place::Word));
        assert!(stands(b"git config x", 4, 10, Place::Word));
    }

    #[test]
    fn keys_are_pieces_of_a_name_written_with_its_value() {
        // On the text as the prefilter reads it: quotes taken out.
        let key = |text: &str, piece: &str| {
            let text = unquoted(&[text]);
            let start = text
                .to_ascii_lowercase()
                .find(piece)
                .expect("the piece is in the text");
            stands(text.as_bytes(), start, start + piece.len(), Place::Key)
        };
        assert!(key("echo api_token=x > f", "token"));
        assert!(key("echo \"auth\": 1 > f", "auth"));
        assert!(key("printf token:\t%s > f", "token"));
        assert!(key("echo GITHUB_PAT_X = 1", "pat"));
        assert!(!key("gpg --recv-keys ABC > f", "keys"));
        assert!(!key("echo $tmpManifestPath > f", "pat"));
        assert!(!key("echo token", "token"));
        assert!(stands(b"requirepass x", 0, 11, Place::BeforeBlank));
        assert!(!stands(b"requirepass=x", 0, 11, Place::BeforeBlank));
    }

    #[test]
    fn only_redirects_to_files_write() {
        assert!(writes_file(b"echo x > /etc/app.conf"));
        assert!(writes_file(b"echo x >>f"));
        assert!(writes_file(b"echo x >| f"));
        assert!(writes_file(b"cmd &> log"));
        assert!(writes_file(b"cmd >& log"));
        assert!(writes_file(b"echo x > /dev/../etc/x"));
        assert!(writes_file(b"echo x > /dev/$X"));
        assert!(writes_file(b"echo a -> b"));
        assert!(!writes_file(b"cmd 2>&1 | grep x"));
        assert!(!writes_file(b"echo x >&2; exec 3>&-"));
        assert!(!writes_file(b"cmd > /dev/null 2>&1"));
        assert!(!writes_file(b"cmd >>/dev/stderr;x"));
        assert!(!writes_file(b"no redirect at all"));
    }

    #[test]
    fn one_component_globs_are_conjunctions() {
        let conjunction = |glob: &str| conjunction_pieces(glob, &glob_pieces(glob));
        assert_eq!(
            conjunction("**/*private*.asc"),
            Some(vec!["private".to_string(), ".asc".to_string()])
        );
        // One piece, a short piece, a piece in a directory: no conjunction.
        assert_eq!(conjunction("**/*.pem"), None);
        assert_eq!(conjunction("**/id_[rd]sa*"), None);
        assert_eq!(conjunction("**/.aws/credentials"), None);
        assert_eq!(conjunction("home/*/*private*.asc"), None);
        assert_eq!(conjunction("*private*.asc"), None);
    }

    #[test]
    fn quotes_are_taken_out() {
        assert_eq!(
            unquoted(&["echo x > ~/.n\"et\"r'c'"]),
            "echo x > ~/.netrc\n"
        );
    }

    proptest::proptest! {
        #[test]
        fn unquoted_drops_exactly_quotes_and_backslashes(
            parts in proptest::collection::vec("[a-z'\"\\\\ é$]{0,12}", 0..4)
        ) {
            let parts: Vec<&str> = parts.iter().map(String::as_str).collect();
            let expected: String = parts
                .iter()
                .flat_map(|part| {
                    part.chars()
                        .filter(|ch| !matches!(ch, '\'' | '"' | '\\'))
                        .chain(std::iter::once('\n'))
                })
                .collect();
            proptest::prop_assert_eq!(unquoted(&parts), expected);
        }
    }

    #[test]
    fn url_userinfo() {
        assert!(has_url_userinfo("git clone https://x:y@host/r"));
        assert!(!has_url_userinfo("npm i @scope/pkg https://host"));
        assert!(!has_url_userinfo(
            "curl https://host/a && git config user.email a@b"
        ));
        assert!(has_url_userinfo("curl https://host/a https://$U:$P@host/b"));
        assert!(has_url_userinfo("x=https://a b:c@host"));
        assert!(!has_url_userinfo(
            "see https://host?to=me@x and https://h#a@b"
        ));
    }
}
