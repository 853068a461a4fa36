//! A literal automaton that starts cheap: the token keywords and the shell
//! prefilter's literals are searched with it.
//!
//! An Aho-Corasick DFA scans faster than a contiguous NFA, but building
//! one costs far more than a one-file run scans (the prefilter's few
//! hundred literals: 11.7 M instructions, 40% of a 4 KB stdin run; the
//! token keywords: 2.7 M). [`Keywords`] scans with the NFA until a run has
//! scanned [`DFA_AFTER_BYTES`] with it, then builds the DFA once: a run
//! that lints one file never pays for it, a corpus run pays once.
//!
//! The NFA is case-sensitive over lower-cased patterns, and a text with an
//! ASCII capital is lower-cased before it scans it: the same matches as an
//! ASCII case-insensitive automaton (lower-casing ASCII keeps every byte
//! offset), for half its build cost (the prefilter's literals: 3.4 M
//! instructions case-insensitive, 1.8 M so). The DFA, built once per run,
//! is ASCII case-insensitive and scans the text as it is (copying the texts
//! of a whole corpus cost more than that).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;

use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};

use super::SecretsError;

/// ASCII case-insensitive literals (standard match semantics, so
/// overlapping search works) in two forms that find the same matches: a
/// contiguous NFA for the first [`DFA_AFTER_BYTES`] of scanned text, then
/// a DFA. Scan with [`Keywords::any_overlapping`]: the NFA matches
/// lower-cased text only.
#[derive(Debug)]
pub(crate) struct Keywords {
    pub(crate) patterns: Vec<String>,
    pub(crate) nfa: AhoCorasick,
    /// The DFA once built (`None`: it did not build; the NFA scans on).
    pub(crate) dfa: OnceLock<Option<AhoCorasick>>,
    /// Which list (for errors).
    list: &'static str,
    /// Bytes scanned so far with the NFA.
    scanned: AtomicUsize,
}

/// How much text the NFA scans before the DFA is built (about the cost of
/// building it, measured in instructions against the NFA's slower scan).
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
        let nfa = build(&patterns, AhoCorasickKind::ContiguousNFA, list)?;
        Ok(Keywords {
            patterns,
            nfa,
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
    /// (overlapping, ASCII case-insensitive), until it returns true;
    /// whether one did.
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
        self.nfa.find_overlapping_iter(haystack).any(each)
    }

    /// The DFA, once `length` more bytes scanned make it worth building.
    fn dfa(&self, length: usize) -> Option<&AhoCorasick> {
        if let Some(dfa) = self.dfa.get() {
            return dfa.as_ref();
        }
        if self.scanned.fetch_add(length, Ordering::Relaxed) < DFA_AFTER_BYTES {
            return None;
        }
        // The same patterns built as an NFA above: a DFA of them builds too
        // (if it could not, the NFA keeps scanning).
        self.dfa.get_or_init(|| self.build_dfa().ok()).as_ref()
    }
}

/// The NFA matches the patterns (lower-cased) as they are; the DFA ASCII
/// case-insensitively.
fn build(
    patterns: &[String],
    kind: AhoCorasickKind,
    list: &'static str,
) -> Result<AhoCorasick, SecretsError> {
    AhoCorasick::builder()
        .kind(Some(kind))
        .ascii_case_insensitive(kind == AhoCorasickKind::DFA)
        .match_kind(MatchKind::Standard)
        .build(patterns)
        .map_err(|source| SecretsError::Keywords {
            list,
            source: Box::new(source),
        })
}
