//! A file's text, byte spans into it, and the one place where byte offsets
//! become 1-based line/column positions.
//!
//! Reading files from disk (size limits, binary detection, UTF-8) lives in
//! [`crate::input`]; this module only knows text that is already in memory.

use serde::{Serialize, Serializer};
use std::ops::Range;

/// A byte range `start..end` into a source text. Every AST node has one.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

impl Span {
    pub const fn new(start: usize, end: usize) -> Self {
        Span { start, end }
    }

    pub const fn empty(at: usize) -> Self {
        Span { start: at, end: at }
    }

    pub const fn len(&self) -> usize {
        self.end - self.start
    }

    pub const fn is_empty(&self) -> bool {
        self.start == self.end
    }

    /// The smallest span that covers both.
    pub fn cover(self, other: Span) -> Span {
        Span::new(self.start.min(other.start), self.end.max(other.end))
    }

    pub fn range(self) -> Range<usize> {
        self.start..self.end
    }

    /// The text this span covers, or "" when it does not fit `text`.
    pub fn slice(self, text: &str) -> &str {
        text.get(self.start..self.end).unwrap_or("")
    }

    pub fn contains(self, other: Span) -> bool {
        self.start <= other.start && other.end <= self.end
    }
}

impl From<Range<usize>> for Span {
    fn from(range: Range<usize>) -> Self {
        Span::new(range.start, range.end)
    }
}

impl Serialize for Span {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        [self.start, self.end].serialize(serializer)
    }
}

/// A 1-based line and column. Columns count Unicode scalar values (code
/// points), which is what SARIF's `unicodeCodePoints` column kind means.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Position {
    pub line: usize,
    pub column: usize,
}

/// Maps byte offsets to line/column positions in O(log lines).
#[derive(Clone, Debug, Default)]
pub struct LineIndex {
    /// Byte offset of the first byte of each line.
    line_starts: Vec<usize>,
}

impl LineIndex {
    pub fn new(text: &str) -> Self {
        let mut line_starts = Vec::with_capacity(text.len() / 32 + 1);
        line_starts.push(0);
        line_starts.extend(memchr_newlines(text.as_bytes()).map(|newline| newline + 1));
        LineIndex { line_starts }
    }

    pub fn line_count(&self) -> usize {
        self.line_starts.len()
    }

    /// The 1-based line number holding byte `offset`.
    pub fn line_of(&self, offset: usize) -> usize {
        match self.line_starts.binary_search(&offset) {
            Ok(index) => index + 1,
            Err(index) => index,
        }
    }

    /// Byte offset where 1-based `line` starts.
    pub fn line_start(&self, line: usize) -> usize {
        self.line_starts
            .get(line.saturating_sub(1))
            .copied()
            .unwrap_or_else(|| self.line_starts.last().copied().unwrap_or(0))
    }

    /// The position of byte `offset` in `text` (the text this index was built
    /// from). Offsets inside a multi-byte character count as that character.
    pub fn position(&self, text: &str, offset: usize) -> Position {
        let offset = offset.min(text.len());
        let line = self.line_of(offset);
        let start = self.line_start(line);
        let column = text
            .get(start..offset)
            .map(|prefix| prefix.chars().count())
            .unwrap_or_else(|| {
                String::from_utf8_lossy(&text.as_bytes()[start..offset])
                    .chars()
                    .count()
            });
        Position {
            line,
            column: column + 1,
        }
    }

    /// The text of 1-based `line` without its line ending.
    pub fn line_text<'a>(&self, text: &'a str, line: usize) -> &'a str {
        let start = self.line_start(line).min(text.len());
        let end = self
            .line_starts
            .get(line)
            .copied()
            .unwrap_or(text.len())
            .min(text.len());
        text.get(start..end)
            .unwrap_or("")
            .trim_end_matches(['\n', '\r'])
    }
}

fn memchr_newlines(bytes: &[u8]) -> impl Iterator<Item = usize> + '_ {
    memchr::memchr_iter(b'\n', bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_are_one_based_and_count_characters() {
        let text = "FROM a\nRUN é x\n";
        let index = LineIndex::new(text);
        assert_eq!(index.position(text, 0), Position { line: 1, column: 1 });
        assert_eq!(index.position(text, 7), Position { line: 2, column: 1 });
        let x = text.find('x').unwrap();
        assert_eq!(index.position(text, x), Position { line: 2, column: 7 });
        assert_eq!(index.line_text(text, 2), "RUN é x");
        assert_eq!(index.line_of(text.len()), 3);
    }

    #[test]
    fn span_slices_and_covers() {
        let span = Span::new(2, 4).cover(Span::new(3, 8));
        assert_eq!(span, Span::new(2, 8));
        assert_eq!(Span::new(0, 4).slice("FROM x"), "FROM");
        assert_eq!(Span::new(5, 50).slice("FROM x"), "");
    }
}
