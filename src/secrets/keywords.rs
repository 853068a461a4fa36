//! A literal automaton that starts cheap: the token keywords and the shell
//! prefilter's literals are searched with it.
//!
//! An Aho-Corasick automaton of them costs more to build than a one-file
//! run scans: the prefilter's few hundred literals and the token keywords
//! took 2.4 M instructions as contiguous NFAs (24% of a 4 KB stdin run;
//! 11.7 M as DFAs), and neither aho-corasick nor daachorse can load a
//! prebuilt one without `unsafe`. So [`Keywords`] starts with a
//! [`PrefixIndex`]: the patterns sorted by their first two bytes and a
//! bitmap of those pairs, built in a few thousand instructions, which
//! finds every occurrence by checking the patterns that start with the two
//! bytes at each position of the text. Once a run has scanned
//! [`DFA_AFTER_BYTES`] with it, the DFA is built once: a run that lints one
//! file never pays for it, a corpus run pays once.
//!
//! The index matches lower-cased patterns case-sensitively, and a text
//! with an ASCII capital is lower-cased before it is scanned: the same
//! matches as an ASCII case-insensitive automaton (lower-casing ASCII
//! keeps every byte offset). The DFA, built once per run, is ASCII
//! case-insensitive and scans the text as it is (copying the texts of a
//! whole corpus cost more than that).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;

use aho_corasick::{AhoCorasick, AhoCorasickKind, Match, MatchKind, PatternID};

use super::SecretsError;

/// ASCII case-insensitive literals in two forms that find the same
/// occurrences: a [`PrefixIndex`] for the first [`DFA_AFTER_BYTES`] of
/// scanned text, then an Aho-Corasick DFA. Scan with
/// [`Keywords::any_overlapping`]: the index matches lower-cased text only.
#[derive(Debug)]
pub(crate) struct Keywords {
    pub(crate) patterns: Vec<String>,
    pub(crate) index: PrefixIndex,
    /// The DFA once built (`None`: it did not build; the index scans on).
    pub(crate) dfa: OnceLock<Option<AhoCorasick>>,
    /// Which list (for errors).
    list: &'static str,
    /// Bytes scanned so far with the index.
    scanned: AtomicUsize,
}

/// How much text the index scans before the DFA is built (about the cost
/// of building it, measured in instructions against the slower scan).
pub(crate) const DFA_AFTER_BYTES: usize = 256 * 1024;

impl Keywords {
    pub(crate) fn new(patterns: Vec<String>, list: &'static str) -> Result<Keywords, SecretsError> {
        let patterns: Vec<String> = patterns
            .into_iter()
            .map(|mut pattern| {
                pattern.make_ascii_lowercase();
                pattern
            })
            .collect();
        // What aho-corasick would refuse, refused the same way (the DFA
        // is built from these patterns later).
        if patterns.len() > PatternID::MAX.as_usize() {
            build(&patterns, AhoCorasickKind::DFA, list)?;
        }
        let index = PrefixIndex::new(&patterns);
        Ok(Keywords {
            patterns,
            index,
            dfa: OnceLock::new(),
            list,
            scanned: AtomicUsize::new(0),
        })
    }

    /// An ASCII case-insensitive DFA of the same patterns (what
    /// [`Self::any_overlapping`] switches to).
    pub(crate) fn build_dfa(&self) -> Result<AhoCorasick, SecretsError> {
        build(&self.patterns, AhoCorasickKind::DFA, self.list)
    }

    /// Calls `each` with every occurrence of every pattern in `text`
    /// (overlapping, ASCII case-insensitive; in no promised order), until
    /// it returns true; whether one did.
    pub(crate) fn any_overlapping(
        &self,
        text: &str,
        each: impl FnMut(aho_corasick::Match) -> bool,
    ) -> bool {
        if let Some(dfa) = self.dfa(text.len()) {
            return dfa.find_overlapping_iter(text).any(each);
        }
        let lowered;
        let haystack = if text.bytes().any(|byte| byte.is_ascii_uppercase()) {
            lowered = text.to_ascii_lowercase();
            lowered.as_str()
        } else {
            text
        };
        self.index.any(haystack.as_bytes(), each)
    }

    /// The DFA, once `length` more bytes to scan would take the index past
    /// [`DFA_AFTER_BYTES`]: the index scans no more than that in a run
    /// (plus what other threads scan at the same moment), as its cost per
    /// byte grows with the patterns that share two first bytes (19 share
    /// `--` among the prefilter's literals).
    fn dfa(&self, length: usize) -> Option<&AhoCorasick> {
        if let Some(dfa) = self.dfa.get() {
            return dfa.as_ref();
        }
        let before = self.scanned.fetch_add(length, Ordering::Relaxed);
        if before.saturating_add(length) <= DFA_AFTER_BYTES {
            return None;
        }
        // If the DFA of these patterns cannot be built, the index keeps
        // scanning.
        self.dfa.get_or_init(|| self.build_dfa().ok()).as_ref()
    }
}

/// The DFA matches ASCII case-insensitively.
fn build(
    patterns: &[String],
    kind: AhoCorasickKind,
    list: &'static str,
) -> Result<AhoCorasick, SecretsError> {
    AhoCorasick::builder()
        .kind(Some(kind))
        .ascii_case_insensitive(true)
        .match_kind(MatchKind::Standard)
        .build(patterns)
        .map_err(|source| SecretsError::Keywords {
            list,
            source: Box::new(source),
        })
}

/// Every occurrence of a set of byte patterns, found without building an
/// automaton: the patterns of two bytes or more sorted by their first two
/// bytes, with a bitmap of the pairs that start one, and the shorter
/// patterns by their byte. At each position of the text the bitmap says in
/// one lookup whether any pattern can start there; only then are the
/// patterns with that pair compared. Building it is a sort; scanning costs
/// a lookup per byte plus a comparison per pattern whose first two bytes
/// are there (the text a run scans with it is bounded by
/// [`DFA_AFTER_BYTES`]).
#[derive(Debug)]
pub(crate) struct PrefixIndex {
    patterns: Vec<Box<[u8]>>,
    /// Ids of the patterns of two bytes or more, by (first byte, second
    /// byte) and then id.
    sorted: Vec<u32>,
    /// The pair (`first << 8 | second`) of each entry of `sorted`.
    pairs: Vec<u16>,
    /// Bit `pair` set when a pattern starts with `pair`.
    starts: Box<[u64; 1024]>,
    /// Ids of the one-byte patterns, by byte.
    single: Vec<(u8, u32)>,
    /// Ids of the empty patterns (they occur at every position).
    empty: Vec<u32>,
}

impl PrefixIndex {
    pub(crate) fn new(patterns: &[String]) -> PrefixIndex {
        let mut index = PrefixIndex {
            patterns: patterns
                .iter()
                .map(|pattern| pattern.as_bytes().into())
                .collect(),
            sorted: Vec::new(),
            pairs: Vec::new(),
            starts: Box::new([0; 1024]),
            single: Vec::new(),
            empty: Vec::new(),
        };
        let mut keyed: Vec<(u16, u32)> = Vec::with_capacity(patterns.len());
        for (id, pattern) in index.patterns.iter().enumerate() {
            let id = u32::try_from(id).expect("fewer patterns than PatternID::MAX");
            match **pattern {
                [] => index.empty.push(id),
                [byte] => index.single.push((byte, id)),
                [first, second, ..] => keyed.push((u16::from_be_bytes([first, second]), id)),
            }
        }
        keyed.sort_unstable();
        for &(pair, id) in &keyed {
            index.starts[usize::from(pair >> 6)] |= 1 << (pair & 63);
            index.pairs.push(pair);
            index.sorted.push(id);
        }
        index.single.sort_unstable();
        index
    }

    /// Calls `each` with every occurrence of every pattern in `text`
    /// (overlapping, by start), until it returns true; whether one did.
    pub(crate) fn any(&self, text: &[u8], mut each: impl FnMut(Match) -> bool) -> bool {
        let mut report = |id: u32, start: usize, length: usize| {
            each(Match::must(id as usize, start..start + length))
        };
        for start in 0..=text.len() {
            for &id in &self.empty {
                if report(id, start, 0) {
                    return true;
                }
            }
            let Some(&first) = text.get(start) else {
                break;
            };
            if !self.single.is_empty() {
                let from = self.single.partition_point(|&(byte, _)| byte < first);
                for &(byte, id) in &self.single[from..] {
                    if byte != first {
                        break;
                    }
                    if report(id, start, 1) {
                        return true;
                    }
                }
            }
            let Some(&second) = text.get(start + 1) else {
                continue;
            };
            let pair = u16::from_be_bytes([first, second]);
            if self.starts[usize::from(pair >> 6)] & (1 << (pair & 63)) == 0 {
                continue;
            }
            let from = self.pairs.partition_point(|&other| other < pair);
            let rest = &text[start..];
            for (&other, &id) in self.pairs[from..].iter().zip(&self.sorted[from..]) {
                if other != pair {
                    break;
                }
                let pattern = &self.patterns[id as usize];
                if rest.starts_with(pattern) && report(id, start, pattern.len()) {
                    return true;
                }
            }
        }
        false
    }
}

#[cfg(test)]
impl PrefixIndex {
    /// Every occurrence in `text`, sorted, as (start, end, pattern) (for
    /// the tests that compare the index with an automaton).
    pub(crate) fn occurrences(&self, text: &[u8]) -> Vec<(usize, usize, usize)> {
        let mut found = Vec::new();
        self.any(text, |found_one| {
            found.push((
                found_one.start(),
                found_one.end(),
                found_one.pattern().as_usize(),
            ));
            false
        });
        found.sort_unstable();
        found
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn by_index(patterns: &[String], text: &str) -> Vec<(usize, usize, usize)> {
        PrefixIndex::new(patterns).occurrences(text.as_bytes())
    }

    /// (aho-corasick's overlapping search reports some occurrences of an
    /// empty pattern twice: compared as sets.)
    fn by_automaton(patterns: &[String], text: &str) -> Vec<(usize, usize, usize)> {
        let automaton = AhoCorasick::builder()
            .match_kind(MatchKind::Standard)
            .build(patterns)
            .expect("an automaton builds");
        let mut found: Vec<_> = automaton
            .find_overlapping_iter(text)
            .map(|found| (found.start(), found.end(), found.pattern().as_usize()))
            .collect();
        found.sort_unstable();
        found.dedup();
        found
    }

    #[test]
    fn finds_overlapping_occurrences_of_every_length() {
        let patterns: Vec<String> = ["tee", "e", "ee", "", "token", "to", "ok"]
            .map(String::from)
            .to_vec();
        let text = "tee token";
        assert_eq!(by_index(&patterns, text), by_automaton(&patterns, text));
        assert!(by_index(&patterns, text).contains(&(1, 3, 2)));
        assert!(by_index(&patterns, text).contains(&(9, 9, 3)));
    }

    #[test]
    fn stops_when_told() {
        let patterns = vec!["a".to_string()];
        let mut seen = 0;
        let stopped = PrefixIndex::new(&patterns).any(b"aaaa", |_| {
            seen += 1;
            seen == 2
        });
        assert!(stopped);
        assert_eq!(seen, 2);
        assert!(!PrefixIndex::new(&patterns).any(b"bbb", |_| true));
    }

    #[test]
    fn the_builtin_lists_scan_like_an_automaton() {
        let patterns: Vec<String> = crate::secrets::tokens::TokenScanner::builtin()
            .formats()
            .iter()
            .flat_map(|format| &format.keywords)
            .map(|keyword| keyword.to_ascii_lowercase())
            .collect();
        let text = "export GITHUB_TOKEN=ghp_x glpat-abc xoxb- AKIA sk_live_ npm_ \
                    -----BEGIN OPENSSH PRIVATE KEY-----"
            .to_ascii_lowercase();
        let expected = by_automaton(&patterns, &text);
        assert!(expected.len() >= 5);
        assert_eq!(by_index(&patterns, &text), expected);
    }

    proptest! {
        /// The same occurrences as an Aho-Corasick automaton with
        /// standard (overlapping) semantics, over a small alphabet where
        /// patterns overlap, nest and repeat.
        #[test]
        fn finds_what_an_automaton_finds(
            patterns in prop::collection::vec("[abc\u{e9}]{0,5}", 1..24),
            text in "[abc\u{e9} ]{0,80}",
        ) {
            prop_assert_eq!(by_index(&patterns, &text), by_automaton(&patterns, &text));
        }
    }
}
