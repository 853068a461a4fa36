//! A logical line: the text of one instruction with its continuations
//! joined, and the map from each byte of it back to the source.

use crate::source::Span;

/// Text assembled from contiguous pieces of the source.
#[derive(Debug, Default)]
pub(crate) struct LogicalLine {
    pub text: String,
    /// `(logical offset, source offset)` where each piece starts, ascending.
    pieces: Vec<(usize, usize)>,
    /// Source offset just after the last piece.
    source_end: usize,
}

impl LogicalLine {
    pub fn push(&mut self, source_start: usize, piece: &str) {
        if piece.is_empty() {
            if self.pieces.is_empty() {
                self.source_end = source_start;
            }
            return;
        }
        self.pieces.push((self.text.len(), source_start));
        self.text.push_str(piece);
        self.source_end = source_start + piece.len();
    }

    /// The source offset of logical byte `offset` (a start position).
    pub fn source_offset(&self, offset: usize) -> usize {
        if offset >= self.text.len() {
            return self.source_end;
        }
        let index = self
            .pieces
            .partition_point(|(logical, _)| *logical <= offset)
            .saturating_sub(1);
        match self.pieces.get(index) {
            Some((logical, source)) => source + (offset - logical),
            None => self.source_end,
        }
    }

    /// The source offset just after logical byte `offset - 1` (an end position).
    pub fn source_end_offset(&self, offset: usize) -> usize {
        if offset == 0 {
            return self.source_offset(0);
        }
        self.source_offset(offset - 1) + 1
    }

    /// The pieces that cover `range`, as `(offset from range.start, source
    /// offset)`: enough to map any offset inside the range back to the source.
    pub fn pieces_for(&self, range: std::ops::Range<usize>) -> Vec<(usize, usize)> {
        let mut pieces = vec![(0, self.source_offset(range.start))];
        pieces.extend(
            self.pieces
                .iter()
                .filter(|(logical, _)| *logical > range.start && *logical < range.end)
                .map(|(logical, source)| (logical - range.start, *source)),
        );
        pieces
    }

    /// The source span of the logical range `start..end`.
    pub fn span(&self, start: usize, end: usize) -> Span {
        if start >= end {
            let at = self.source_offset(start);
            return Span::new(at, at);
        }
        Span::new(self.source_offset(start), self.source_end_offset(end))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_map_across_pieces() {
        // source: "RUN a \\\n  b" -> logical "RUN a   b"
        let mut line = LogicalLine::default();
        line.push(0, "RUN a ");
        line.push(8, "  b");
        assert_eq!(line.text, "RUN a   b");
        assert_eq!(line.source_offset(0), 0);
        assert_eq!(line.source_offset(6), 8);
        assert_eq!(line.span(4, 9), Span::new(4, 11));
        assert_eq!(line.span(0, 3), Span::new(0, 3));
        assert_eq!(line.source_offset(100), 11);
    }
}
