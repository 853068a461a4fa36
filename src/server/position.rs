//! Byte offsets ⇄ LSP positions (0-based line, character in UTF-16 code
//! units or UTF-8 bytes, as negotiated). Lines end at `\n`; a `\r` before
//! it belongs to the line's end, as LSP counts `\r\n`.

use crate::source::{LineIndex, Span};
use lsp_types::{Position, Range};

/// The position encoding in use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Encoding {
    Utf8,
    Utf16,
}

/// The position of byte `offset` of `text` (`index` built from `text`).
pub fn position(text: &str, index: &LineIndex, offset: usize, encoding: Encoding) -> Position {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let line = index.line_of(offset);
    let start = index.line_start(line).min(offset);
    let prefix = &text[start..offset];
    let character = match encoding {
        Encoding::Utf8 => prefix.len(),
        Encoding::Utf16 => prefix.encode_utf16().count(),
    };
    Position::new(
        u32::try_from(line - 1).unwrap_or(u32::MAX),
        u32::try_from(character).unwrap_or(u32::MAX),
    )
}

pub fn range(text: &str, index: &LineIndex, span: Span, encoding: Encoding) -> Range {
    Range::new(
        position(text, index, span.start, encoding),
        position(text, index, span.end, encoding),
    )
}

/// The byte offset of `position` in `text`: a character past the line's
/// end is its end (before the line break), a line past the last is the
/// end of the text; a position inside a character is its start.
pub fn offset(text: &str, index: &LineIndex, position: Position, encoding: Encoding) -> usize {
    let line = position.line as usize + 1;
    if line > index.line_count() {
        return text.len();
    }
    let start = index.line_start(line).min(text.len());
    let end = if line < index.line_count() {
        index.line_start(line + 1).min(text.len())
    } else {
        text.len()
    };
    let line_text = text[start..end].trim_end_matches('\n');
    let line_text = line_text.strip_suffix('\r').unwrap_or(line_text);
    let wanted = position.character as usize;
    let mut units = 0;
    for (byte, character) in line_text.char_indices() {
        if units >= wanted {
            return start + byte;
        }
        units += match encoding {
            Encoding::Utf8 => character.len_utf8(),
            Encoding::Utf16 => character.len_utf16(),
        };
        if units > wanted {
            // Inside a character.
            return start + byte;
        }
    }
    start + line_text.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf16_and_utf8_columns_round_trip() {
        let text = "FROM a\r\nRUN é😀x\nEND";
        let index = LineIndex::new(text);
        let x = text.find('x').unwrap();
        let utf16 = position(text, &index, x, Encoding::Utf16);
        assert_eq!(utf16, Position::new(1, 7));
        let utf8 = position(text, &index, x, Encoding::Utf8);
        assert_eq!(utf8, Position::new(1, 10));
        assert_eq!(offset(text, &index, utf16, Encoding::Utf16), x);
        assert_eq!(offset(text, &index, utf8, Encoding::Utf8), x);
        // Past the line's end: before its `\r\n`.
        assert_eq!(
            offset(text, &index, Position::new(0, 99), Encoding::Utf16),
            6
        );
        assert_eq!(
            offset(text, &index, Position::new(9, 0), Encoding::Utf16),
            text.len()
        );
        // Inside the surrogate pair: the character's start.
        let emoji = text.find('😀').unwrap();
        assert_eq!(
            offset(text, &index, Position::new(1, 6), Encoding::Utf16),
            emoji
        );
    }
}
