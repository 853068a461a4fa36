//! Redaction: the one step every piece of output goes through, so that the
//! linter never prints a secret value.
//!
//! A [`Redactor`] is built per file by the linter ([`crate::lint`]) from
//! the secret spans that *detection* found: every rule that can see a
//! secret value runs on the whole file, whatever `select`/`ignore`, inline
//! suppressions or a baseline say (those decide what is *reported*, never
//! what is *masked*). It holds
//! - the byte ranges of the file's source that hold a secret (the detected
//!   spans, plus every other occurrence of a detected value), and
//! - every distinct secret value of [`MIN_VALUE_CHARS`] characters or more
//!   (placeholders such as `changeme` only where they were found), and its
//!   lower-cased form (a stage name is shown lower-cased), compiled into
//!   one leftmost-longest [`AhoCorasick`] automaton.
//!
//! Masking is linear: one pass of the automaton over a text, however many
//! findings and secrets the file has.
//!
//! ## The API (use it for anything that leaves the program)
//! - [`FileReport::mask`](crate::finding::FileReport::mask) (the same as
//!   [`Redactor::mask`]): any text derived from the file (a message, help,
//!   label, stage name, error, diff, hover) with every occurrence of every
//!   secret value masked.
//! - [`FileReport::redacted_text`](crate::finding::FileReport::redacted_text)
//!   (the same as [`Redactor::redacted_source`]): the file's source with
//!   every secret range masked, and the map from original offsets to
//!   offsets in the masked text, for reporters that show source lines.
//! - [`Redactor::fingerprint_text`]: a piece of the source with each secret
//!   replaced by `<secret>`, what fingerprints hash.
//!
//! A masked secret shows [`crate::secrets::redact`]'s form (at most its
//! first 4 characters, then `…`). A secret range that spans lines (a token
//! split by a line continuation, a PEM key) is masked line by line, so the
//! masked source keeps its lines: the first piece keeps the prefix, the
//! others become `…`.

use crate::source::Span;
use aho_corasick::{AhoCorasick, MatchKind};
use std::borrow::Cow;
use std::collections::BTreeSet;

/// Values shorter than this (in characters) are masked where they were
/// found, but not everywhere they occur: a short value (`root`, `admin`)
/// would mask ordinary words (`/root/.netrc`).
pub const MIN_VALUE_CHARS: usize = 8;

/// The secrets of one file and how to mask them; see the module docs.
#[derive(Clone, Debug, Default)]
pub struct Redactor {
    /// Ranges of the source that hold a secret: sorted, merged, not split
    /// at line ends.
    ranges: Vec<Span>,
    /// Every distinct secret value of [`MIN_VALUE_CHARS`] or more.
    values: Vec<String>,
    /// `values` in one automaton; `None` when there is none.
    automaton: Option<AhoCorasick>,
}

impl Redactor {
    /// A redactor that masks nothing (a file with no secret).
    pub fn none() -> Redactor {
        Redactor::default()
    }

    /// The redactor of `source` whose detection found `secret_spans`
    /// (in any order, possibly overlapping).
    pub fn new(source: &str, secret_spans: impl IntoIterator<Item = Span>) -> Redactor {
        let mut spans: Vec<Span> = secret_spans
            .into_iter()
            .filter(|span| !span.is_empty() && source.get(span.start..span.end).is_some())
            .collect();
        spans.sort();
        spans.dedup();
        // A set, so that a value found at many spans is folded once. A value
        // already in it was added as itself (its folds with it) or as a fold
        // of another value, and folding a fold gives the same folds: either
        // way its forms are in, and it is skipped.
        let mut distinct: BTreeSet<String> = BTreeSet::new();
        for span in &spans {
            let value = logical_value(span.slice(source));
            if masks_everywhere(&value) && !distinct.contains(&value) {
                // Stage names are folded with ASCII rules; other names
                // may be folded fully.
                distinct.insert(value.to_ascii_lowercase());
                distinct.insert(value.to_lowercase());
                distinct.insert(value);
            }
        }
        let values: Vec<String> = distinct.into_iter().collect();
        let automaton = if values.is_empty() {
            None
        } else {
            AhoCorasick::builder()
                .match_kind(MatchKind::LeftmostLongest)
                .build(&values)
                .ok()
        };
        let mut redactor = Redactor {
            ranges: Vec::new(),
            values,
            automaton,
        };
        // Every occurrence of a value in the source is a secret range too
        // (the same token echoed in a later RUN).
        spans.extend(redactor.occurrences(source));
        redactor.ranges = merge(spans);
        redactor
    }

    /// The redactor of a text that is not a Dockerfile (a configuration
    /// file, editor settings, a message quoting either): every secret of
    /// a known token format in it. Such text has no rules run on it, so
    /// this is what keeps a token pasted into `.dockerleak.toml` out of an
    /// error message.
    pub fn of_tokens(text: &str) -> Redactor {
        let spans = crate::secrets::TokenScanner::builtin()
            .scan(text)
            .into_iter()
            .map(|found| Span::new(found.range.start, found.range.end));
        Redactor::new(text, spans)
    }

    /// Whether there is nothing to mask.
    pub fn is_empty(&self) -> bool {
        self.ranges.is_empty() && self.values.is_empty()
    }

    /// The distinct secret values masked wherever they occur.
    pub fn values(&self) -> &[String] {
        &self.values
    }

    /// The secret ranges of the source (sorted, merged).
    pub fn ranges(&self) -> &[Span] {
        &self.ranges
    }

    /// Where the values occur in `text`.
    fn occurrences<'a>(&'a self, text: &'a str) -> impl Iterator<Item = Span> + 'a {
        self.automaton
            .iter()
            .flat_map(move |automaton| automaton.find_iter(text))
            .map(|found| Span::new(found.start(), found.end()))
            .filter(move |span| {
                text.is_char_boundary(span.start) && text.is_char_boundary(span.end)
            })
    }

    /// `text` with every occurrence of every secret value masked. Borrows
    /// when there is nothing to mask.
    pub fn mask<'a>(&self, text: &'a str) -> Cow<'a, str> {
        let mut occurrences = self.occurrences(text).peekable();
        if occurrences.peek().is_none() {
            return Cow::Borrowed(text);
        }
        let mut masked = String::with_capacity(text.len());
        let mut copied = 0;
        for span in occurrences {
            masked.push_str(&text[copied..span.start]);
            masked.push_str(&crate::secrets::redact(span.slice(text)));
            copied = span.end;
        }
        masked.push_str(&text[copied..]);
        Cow::Owned(masked)
    }

    /// The source with every secret range masked (line by line), with the
    /// offset map. `source` must be the text the redactor was built for.
    pub fn redacted_source(&self, source: &str) -> RedactedText {
        let mut text = String::with_capacity(source.len());
        let mut replacements = Vec::with_capacity(self.ranges.len());
        let mut copied = 0;
        for range in &self.ranges {
            let Some(secret) = source.get(range.start..range.end) else {
                continue;
            };
            let total = logical_value(secret).chars().count();
            for (index, piece) in line_pieces(secret).into_iter().enumerate() {
                let start = range.start + piece.start;
                let end = range.start + piece.end;
                text.push_str(&source[copied..start]);
                let redacted_start = text.len();
                if index == 0 {
                    let kept = (total / 3).min(4);
                    text.extend(piece.slice(secret).chars().take(kept));
                }
                text.push('…');
                replacements.push(Replacement {
                    start,
                    end,
                    redacted_start,
                    redacted_end: text.len(),
                });
                copied = end;
            }
        }
        text.push_str(source.get(copied..).unwrap_or(""));
        RedactedText { text, replacements }
    }

    /// `span` of `source` with each secret range in it replaced by
    /// `<secret>`: what a fingerprint hashes, so that a fingerprint never
    /// lets a guess list recover a secret.
    pub fn fingerprint_text(&self, source: &str, span: Span) -> String {
        let mut normalized = String::with_capacity(span.len());
        let mut position = span.start;
        let first = self.ranges.partition_point(|range| range.end <= span.start);
        for range in &self.ranges[first..] {
            if range.start >= span.end {
                break;
            }
            normalized.push_str(
                source
                    .get(position..range.start.max(position))
                    .unwrap_or(""),
            );
            normalized.push_str("<secret>");
            position = range.end.max(position);
        }
        if position < span.end {
            normalized.push_str(source.get(position..span.end).unwrap_or(""));
        }
        normalized
    }
}

/// Whether a value is masked wherever it occurs, not only where it was
/// found: long enough not to be an ordinary word, and not a placeholder or
/// plain words that a rule flagged by its name (`ENV DB_PASSWORD=changeme`,
/// `ENV SECRET_KEY=production`: masking the value there is right, masking
/// every `password` or a stage called `production` is not).
fn masks_everywhere(value: &str) -> bool {
    value.chars().count() >= MIN_VALUE_CHARS
        && !crate::secrets::tokens::is_placeholder(value)
        && !crate::secrets::names::is_placeholder_value(value)
        && !crate::secrets::tokens::is_plain_words(value)
}

/// Sorted, merged (overlapping or touching) spans.
fn merge(mut spans: Vec<Span>) -> Vec<Span> {
    spans.sort();
    let mut merged: Vec<Span> = Vec::with_capacity(spans.len());
    for span in spans {
        match merged.last_mut() {
            Some(last) if span.start <= last.end => last.end = last.end.max(span.end),
            _ => merged.push(span),
        }
    }
    merged
}

/// The pieces of `secret` (relative ranges) that hold its characters, one
/// per line: a line continuation (the escape character and the white space
/// around the line break) is not part of any piece.
fn line_pieces(secret: &str) -> Vec<Span> {
    let mut pieces = Vec::new();
    let mut start = 0;
    let lines: Vec<&str> = secret.split('\n').collect();
    let last = lines.len() - 1;
    for (index, line) in lines.iter().enumerate() {
        let mut piece = *line;
        let mut piece_start = start;
        if index > 0 {
            let trimmed = piece.trim_start();
            piece_start += piece.len() - trimmed.len();
            piece = trimmed;
        }
        if index < last {
            piece = piece.trim_end().trim_end_matches(['\\', '`']).trim_end();
        }
        if !piece.is_empty() {
            pieces.push(Span::new(piece_start, piece_start + piece.len()));
        }
        start += line.len() + 1;
    }
    if pieces.is_empty() {
        pieces.push(Span::new(0, secret.len()));
    }
    pieces
}

/// The value a secret range holds: its line pieces joined (a token split
/// by a line continuation is one value).
fn logical_value(secret: &str) -> String {
    if !secret.contains('\n') {
        return secret.to_string();
    }
    line_pieces(secret)
        .into_iter()
        .map(|piece| piece.slice(secret))
        .collect()
}

/// One masked range of the source.
#[derive(Clone, Copy, Debug)]
struct Replacement {
    start: usize,
    end: usize,
    redacted_start: usize,
    redacted_end: usize,
}

/// Source text with secrets masked, plus offset translation.
#[derive(Clone, Debug, Default)]
pub struct RedactedText {
    pub text: String,
    /// Sorted by `start`, not overlapping.
    replacements: Vec<Replacement>,
}

impl RedactedText {
    /// Where original offset `offset` lands in the redacted text.
    pub fn map(&self, offset: usize) -> usize {
        let index = self
            .replacements
            .partition_point(|replacement| replacement.start <= offset);
        let Some(replacement) = index.checked_sub(1).map(|index| self.replacements[index]) else {
            return offset;
        };
        if offset < replacement.end {
            let width = replacement.redacted_end - replacement.redacted_start;
            return replacement.redacted_start + (offset - replacement.start).min(width);
        }
        replacement.redacted_end + (offset - replacement.end)
    }

    pub fn map_span(&self, span: Span) -> Span {
        let start = self.map(span.start);
        Span::new(start, self.map(span.end).max(start))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn span_of(text: &str, needle: &str) -> Span {
        let start = text.find(needle).expect("the fixture holds the needle");
        Span::new(start, start + needle.len())
    }

    #[test]
    fn every_occurrence_of_a_value_is_masked_in_any_text() {
        let source = "ENV TOKEN=ghp_FAKEfakeFAKEfake\nRUN echo ghp_FAKEfakeFAKEfake\n";
        let redactor = Redactor::new(source, [span_of(source, "ghp_FAKEfakeFAKEfake")]);
        let masked = redactor.redacted_source(source);
        assert_eq!(masked.text, "ENV TOKEN=ghp_…\nRUN echo ghp_…\n");
        assert_eq!(
            redactor.mask("stage ghp_fakefakefakefake, again ghp_FAKEfakeFAKEfake"),
            "stage ghp_…, again ghp_…"
        );
        assert!(matches!(redactor.mask("nothing here"), Cow::Borrowed(_)));
    }

    #[test]
    fn placeholders_are_masked_only_where_found() {
        let source = "ENV DB_PASSWORD=password\n";
        let redactor = Redactor::new(source, [Span::new(16, 24)]);
        assert_eq!(
            redactor.redacted_source(source).text,
            "ENV DB_PASSWORD=pa…\n"
        );
        assert_eq!(
            redactor.mask("`DB_PASSWORD` and password"),
            "`DB_PASSWORD` and password"
        );
    }

    #[test]
    fn short_values_are_masked_only_where_found() {
        let source = "ENV PASSWORD=root\nCOPY x /root/\n";
        let redactor = Redactor::new(source, [span_of(source, "root")]);
        assert_eq!(
            redactor.redacted_source(source).text,
            "ENV PASSWORD=r…\nCOPY x /root/\n"
        );
        assert_eq!(redactor.mask("/root/.netrc"), "/root/.netrc");
    }

    #[test]
    fn a_secret_split_by_a_continuation_keeps_the_lines_and_its_value() {
        let source = "ENV A=ghp_FAKEfake\\\n    FAKEfake0123 B=1\n";
        let start = source.find("ghp_").expect("fixture");
        let end = source.find(" B=1").expect("fixture");
        let redactor = Redactor::new(source, [Span::new(start, end)]);
        assert_eq!(
            redactor.values(),
            ["ghp_FAKEfakeFAKEfake0123", "ghp_fakefakefakefake0123"]
        );
        let masked = redactor.redacted_source(source);
        assert_eq!(masked.text, "ENV A=ghp_…\\\n    … B=1\n");
        let b = source.find("B=1").expect("fixture");
        assert_eq!(&masked.text[masked.map(b)..], "B=1\n");
        assert_eq!(redactor.mask("ghp_FAKEfakeFAKEfake0123"), "ghp_…");
    }

    #[test]
    fn offsets_map_into_the_masked_text() {
        let source = "ENV TOKEN=ghp_abcdefghijklmnop X=1";
        let redactor = Redactor::new(source, [span_of(source, "ghp_abcdefghijklmnop")]);
        let masked = redactor.redacted_source(source);
        assert!(!masked.text.contains("abcdefghijklmnop"));
        let x = source.find("X=1").expect("fixture");
        assert_eq!(&masked.text[masked.map(x)..], "X=1");
        assert_eq!(masked.map(4), 4);
    }

    #[test]
    fn fingerprint_text_replaces_secrets() {
        let source = "FROM a\nARG DB_PASSWORD=Summer2024!\n";
        let redactor = Redactor::new(source, [span_of(source, "Summer2024!")]);
        let line = span_of(source, "ARG DB_PASSWORD=Summer2024!");
        assert_eq!(
            redactor.fingerprint_text(source, line),
            "ARG DB_PASSWORD=<secret>"
        );
        assert_eq!(
            Redactor::none().fingerprint_text(source, line),
            "ARG DB_PASSWORD=Summer2024!"
        );
    }
}
