//! A literal automaton that starts cheap: the token keywords and the shell
//! prefilter's literals are searched with it.
//!
//! An Aho-Corasick DFA scans faster than a contiguous NFA, but building
//! one costs far more than a one-file run scans (the prefilter's few
//! hundred literals: 11.7 M instructions, 40% of a 4 KB stdin run; the
//! token keywords: 2.7 M). [`Keywords`] scans with the NFA until a run has
//! scanned [`DFA_AFTER_BYTES`] with it, then builds the DFA once: a run
//! that lints one file never pays for it, a corpus run pays once.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;

use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};

use super::SecretsError;

/// ASCII case-insensitive literals (standard match semantics, so
/// overlapping search works) in two forms that find the same matches: a
/// contiguous NFA for the first [`DFA_AFTER_BYTES`] of scanned text, then
/// a DFA.
#[derive(Debug)]
pub(crate) struct Keywords {
    pub(crate) patterns: Vec<String>,
    pub(crate) nfa: AhoCorasick,
    pub(crate) dfa: OnceLock<AhoCorasick>,
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
        let nfa = build(&patterns, AhoCorasickKind::ContiguousNFA, list)?;
        Ok(Keywords {
            patterns,
            nfa,
            dfa: OnceLock::new(),
            list,
            scanned: AtomicUsize::new(0),
        })
    }

    /// A DFA of the same patterns (what [`Self::automaton`] switches to).
    pub(crate) fn build_dfa(&self) -> Result<AhoCorasick, SecretsError> {
        build(&self.patterns, AhoCorasickKind::DFA, self.list)
    }

    /// The automaton to scan `length` more bytes with.
    pub(crate) fn automaton(&self, length: usize) -> &AhoCorasick {
        if let Some(dfa) = self.dfa.get() {
            return dfa;
        }
        if self.scanned.fetch_add(length, Ordering::Relaxed) < DFA_AFTER_BYTES {
            return &self.nfa;
        }
        // The same patterns built as an NFA above: a DFA of them builds too
        // (if it could not, the NFA keeps scanning).
        self.dfa
            .get_or_init(|| self.build_dfa().unwrap_or_else(|_| self.nfa.clone()))
    }
}

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
