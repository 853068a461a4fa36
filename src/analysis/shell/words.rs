//! Shell word lexing: what a word means once the shell has removed its
//! quotes, which variables it expands and which command substitutions it
//! runs. Offsets are byte offsets into the word as written, so callers can
//! map every piece back to the Dockerfile source.

use std::ops::Range;

/// How the characters of a word are to be read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum WordMode {
    /// An ordinary shell word: quotes, escapes, `$…` and backticks.
    Shell,
    /// The body of an unquoted here-document: quotes are literal, `$…`,
    /// backticks and `\` before `$`, `` ` ``, `\` and newline are special.
    HeredocExpanding,
    /// Text taken literally: a quoted here-document body, an exec-form
    /// argument.
    Literal,
}

/// The lexed word.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct LexedWord {
    /// The word with quotes and escapes removed; expansions (`$NAME`,
    /// `${…}`, `$(…)`, backticks) are kept as written.
    pub text: String,
    /// For each byte of `text`, the offset in the raw word where the
    /// character it belongs to starts (an escape starts at its `\\`)…
    pub text_map: Vec<usize>,
    /// …and where it ends (exclusive).
    pub text_map_end: Vec<usize>,
    /// `$NAME` / `${NAME…}` references.
    pub references: Vec<LexedReference>,
    /// Raw ranges of the scripts inside `$(…)`, backticks and `<(…)`.
    pub substitutions: Vec<Range<usize>>,
    /// Whether the word has any expansion at all.
    pub expands: bool,
}

impl LexedWord {
    /// Pushes `ch`, written at `raw_range` of the raw word.
    fn push(&mut self, ch: char, raw_range: Range<usize>) {
        if ch.is_ascii() {
            self.text.push(ch);
            self.text_map.push(raw_range.start);
            self.text_map_end.push(raw_range.end);
            return;
        }
        let before = self.text.len();
        self.text.push(ch);
        let added = self.text.len() - before;
        self.text_map
            .extend(std::iter::repeat_n(raw_range.start, added));
        self.text_map_end
            .extend(std::iter::repeat_n(raw_range.end, added));
    }

    fn push_raw(&mut self, raw: &str, range: Range<usize>) {
        for (offset, ch) in raw[range.clone()].char_indices() {
            let start = range.start + offset;
            self.push(ch, start..start + ch.len_utf8());
        }
    }
}

/// A variable reference in a word.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct LexedReference {
    pub name: String,
    /// Raw range of the whole reference (`${NAME:-x}`).
    pub range: Range<usize>,
    /// False for `${NAME:+alt}`, `${NAME+alt}` and `${#NAME}`: the value
    /// itself does not end up in the word.
    pub yields_value: bool,
}

/// Lexes `raw` (one word, as written) in `mode`.
pub(crate) fn lex_word(raw: &str, mode: WordMode) -> LexedWord {
    plain_word(raw, mode).unwrap_or_else(|| lex_word_chars(raw, mode))
}

/// [`lex_word`] a character at a time.
fn lex_word_chars(raw: &str, mode: WordMode) -> LexedWord {
    // The text is at most as long as the raw word: one allocation each.
    let mut word = LexedWord {
        text: String::with_capacity(raw.len()),
        text_map: Vec::with_capacity(raw.len()),
        text_map_end: Vec::with_capacity(raw.len()),
        ..LexedWord::default()
    };
    if mode == WordMode::Literal {
        word.push_raw(raw, 0..raw.len());
        return word;
    }
    let bytes = raw.as_bytes();
    let mut index = 0;
    while index < raw.len() {
        let Some(ch) = raw[index..].chars().next() else {
            break;
        };
        match ch {
            '\'' if mode == WordMode::Shell => {
                let close = raw[index + 1..]
                    .find('\'')
                    .map_or(raw.len(), |end| index + 1 + end);
                word.push_raw(raw, index + 1..close);
                index = (close + 1).min(raw.len());
            }
            '"' if mode == WordMode::Shell => {
                index = lex_double_quoted(raw, index + 1, &mut word);
            }
            '\\' => {
                let next = raw[index + 1..].chars().next();
                match next {
                    Some('\n') => index += 2,
                    Some(escaped)
                        if mode == WordMode::Shell || matches!(escaped, '$' | '`' | '\\') =>
                    {
                        word.push(escaped, index..index + 1 + escaped.len_utf8());
                        index += 1 + escaped.len_utf8();
                    }
                    _ => {
                        word.push('\\', index..index + 1);
                        index += 1;
                    }
                }
            }
            '$' if mode == WordMode::Shell && bytes.get(index + 1) == Some(&b'\'') => {
                index = lex_ansi_c(raw, index + 2, &mut word);
            }
            '$' => index = lex_dollar(raw, index, &mut word),
            '`' => index = lex_backticks(raw, index, &mut word),
            '<' | '>' if mode == WordMode::Shell && bytes.get(index + 1) == Some(&b'(') => {
                // Process substitution glued to a word: `<(cmd)`.
                let close = closing_paren(raw, index + 1);
                let end = close.map_or(raw.len(), |close| close + 1);
                word.substitutions
                    .push(index + 2..close.unwrap_or(raw.len()).max(index + 2));
                word.expands = true;
                word.push_raw(raw, index..end);
                index = end;
            }
            _ => {
                word.push(ch, index..index + ch.len_utf8());
                index += ch.len_utf8();
            }
        }
    }
    word
}

/// Most words are plain ASCII with nothing for the shell to remove or
/// expand (`apt-get`, `-y`, `/usr/local/bin`): the word is its raw text,
/// each byte its own character. Built whole instead of a character at a
/// time (the same value [`lex_word`]'s loop builds for it).
fn plain_word(raw: &str, mode: WordMode) -> Option<LexedWord> {
    if !raw.is_ascii() {
        return None;
    }
    let bytes = raw.as_bytes();
    let plain = match mode {
        WordMode::Literal => true,
        // No quote, escape or expansion, and no `<(` / `>(` (one pass: a
        // substring search per word cost more than the lexing it saves).
        WordMode::Shell => !bytes.iter().enumerate().any(|(at, byte)| {
            let process_substitution =
                *byte == b'(' && at > 0 && matches!(bytes[at - 1], b'<' | b'>');
            matches!(byte, b'\'' | b'"' | b'\\' | b'$' | b'`') || process_substitution
        }),
        WordMode::HeredocExpanding => !bytes.iter().any(|byte| matches!(byte, b'\\' | b'$' | b'`')),
    };
    plain.then(|| LexedWord {
        text: raw.to_string(),
        text_map: (0..raw.len()).collect(),
        text_map_end: (1..=raw.len()).collect(),
        ..LexedWord::default()
    })
}

/// Inside `"…"` from `start` (after the quote); returns the index after the
/// closing quote.
fn lex_double_quoted(raw: &str, start: usize, word: &mut LexedWord) -> usize {
    let mut index = start;
    while index < raw.len() {
        let Some(ch) = raw[index..].chars().next() else {
            break;
        };
        match ch {
            '"' => return index + 1,
            '\\' => match raw[index + 1..].chars().next() {
                Some('\n') => index += 2,
                Some(escaped @ ('$' | '`' | '"' | '\\')) => {
                    word.push(escaped, index..index + 2);
                    index += 2;
                }
                _ => {
                    word.push('\\', index..index + 1);
                    index += 1;
                }
            },
            '$' => index = lex_dollar(raw, index, word),
            '`' => index = lex_backticks(raw, index, word),
            _ => {
                word.push(ch, index..index + ch.len_utf8());
                index += ch.len_utf8();
            }
        }
    }
    raw.len()
}

/// `$'…'` from `start` (after the quote): ANSI-C escapes.
fn lex_ansi_c(raw: &str, start: usize, word: &mut LexedWord) -> usize {
    let mut index = start;
    while index < raw.len() {
        let Some(ch) = raw[index..].chars().next() else {
            break;
        };
        match ch {
            '\'' => return index + 1,
            '\\' => {
                let Some(escaped) = raw[index + 1..].chars().next() else {
                    return raw.len();
                };
                let decoded = match escaped {
                    'n' => '\n',
                    't' => '\t',
                    'r' => '\r',
                    'e' | 'E' => '\u{1b}',
                    other => other,
                };
                word.push(decoded, index..index + 1 + escaped.len_utf8());
                index += 1 + escaped.len_utf8();
            }
            _ => {
                word.push(ch, index..index + ch.len_utf8());
                index += ch.len_utf8();
            }
        }
    }
    raw.len()
}

/// A `$` at `start`: a variable, `${…}`, `$(…)`, `$((…))` or a plain `$`.
fn lex_dollar(raw: &str, start: usize, word: &mut LexedWord) -> usize {
    let bytes = raw.as_bytes();
    match bytes.get(start + 1) {
        Some(b'(') => {
            let Some(close) = closing_paren(raw, start + 1) else {
                word.push_raw(raw, start..raw.len());
                word.expands = true;
                return raw.len();
            };
            if bytes.get(start + 2) == Some(&b'(')
                && close > start + 2
                && bytes.get(close - 1) == Some(&b')')
            {
                // `$((…))`: arithmetic, nothing to run.
                word.push_raw(raw, start..close + 1);
                word.expands = true;
                collect_bare_references(raw, start + 3..close - 1, word);
                return close + 1;
            }
            word.substitutions.push(start + 2..close);
            word.expands = true;
            word.push_raw(raw, start..close + 1);
            close + 1
        }
        Some(b'{') => {
            let close = closing_brace(raw, start + 2).unwrap_or(raw.len());
            let end = (close + 1).min(raw.len());
            let body = &raw[start + 2..close.min(raw.len())];
            let body_start = start + 2;
            let name_start = usize::from(body.starts_with('#') || body.starts_with('!'));
            let name_length = body[name_start..]
                .find(|ch: char| !(ch.is_ascii_alphanumeric() || ch == '_'))
                .unwrap_or(body.len() - name_start);
            let name = &body[name_start..name_start + name_length];
            let operand_start = body_start + name_start + name_length;
            if is_name(name) {
                let operator = &raw[operand_start.min(raw.len())..close.min(raw.len())];
                let alternative = operator.starts_with(":+") || operator.starts_with('+');
                word.references.push(LexedReference {
                    name: name.to_string(),
                    range: start..end,
                    yields_value: !alternative && !body.starts_with('#'),
                });
            }
            // `${A:-$B}`, `${A:-$(cmd)}`: the operand may expand too.
            if operand_start < close.min(raw.len()) {
                let operand = lex_word(&raw[operand_start..close.min(raw.len())], WordMode::Shell);
                for reference in operand.references {
                    word.references.push(LexedReference {
                        range: operand_start + reference.range.start
                            ..operand_start + reference.range.end,
                        ..reference
                    });
                }
                for range in operand.substitutions {
                    word.substitutions
                        .push(operand_start + range.start..operand_start + range.end);
                }
            }
            word.expands = true;
            word.push_raw(raw, start..end);
            end
        }
        Some(&next) if next == b'_' || next.is_ascii_alphabetic() => {
            let length = raw[start + 1..]
                .find(|ch: char| !(ch.is_ascii_alphanumeric() || ch == '_'))
                .unwrap_or(raw.len() - start - 1);
            let end = start + 1 + length;
            word.references.push(LexedReference {
                name: raw[start + 1..end].to_string(),
                range: start..end,
                yields_value: true,
            });
            word.expands = true;
            word.push_raw(raw, start..end);
            end
        }
        Some(&next) if next.is_ascii_digit() || b"@*#?$!-".contains(&next) => {
            word.expands = true;
            word.push_raw(raw, start..start + 2);
            start + 2
        }
        _ => {
            word.push('$', start..start + 1);
            start + 1
        }
    }
}

/// Names inside arithmetic (`$((COUNT + 1))` or `$((COUNT+$STEP))`).
fn collect_bare_references(raw: &str, range: Range<usize>, word: &mut LexedWord) {
    let inner = lex_word(&raw[range.clone()], WordMode::HeredocExpanding);
    for reference in inner.references {
        word.references.push(LexedReference {
            range: range.start + reference.range.start..range.start + reference.range.end,
            ..reference
        });
    }
}

/// A backtick substitution at `start`.
fn lex_backticks(raw: &str, start: usize, word: &mut LexedWord) -> usize {
    let bytes = raw.as_bytes();
    let mut index = start + 1;
    while index < bytes.len() {
        match bytes[index] {
            b'\\' => index += 2,
            b'`' => break,
            _ => index += 1,
        }
    }
    let close = index.min(raw.len());
    word.substitutions.push(start + 1..close);
    word.expands = true;
    let end = (close + 1).min(raw.len());
    word.push_raw(raw, start..end);
    end
}

/// A shell variable name.
pub(crate) fn is_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(first) if first == '_' || first.is_ascii_alphabetic())
        && chars.all(|ch| ch == '_' || ch.is_ascii_alphanumeric())
}

/// Index of the `)` matching the `(` at `open`, skipping quotes, escapes,
/// nested parentheses and `case` patterns as well as a plain scan can.
pub(crate) fn closing_paren(text: &str, open: usize) -> Option<usize> {
    closing(text, open, b'(', b')')
}

/// Index of the `}` closing a `${` whose body starts at `start`.
fn closing_brace(text: &str, start: usize) -> Option<usize> {
    closing(text, start.checked_sub(1)?, b'{', b'}')
}

fn closing(text: &str, open: usize, open_byte: u8, close_byte: u8) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut depth = 0usize;
    let mut index = open;
    while index < bytes.len() {
        match bytes[index] {
            b'\\' => index += 1,
            b'\'' if open_byte == b'(' => {
                index = text[index + 1..].find('\'').map(|end| index + 1 + end)?;
            }
            b'"' => {
                index += 1;
                while index < bytes.len() && bytes[index] != b'"' {
                    if bytes[index] == b'\\' {
                        index += 1;
                    } else if bytes[index] == b'$' && bytes.get(index + 1) == Some(&b'(') {
                        index = closing_paren(text, index + 1)?;
                    }
                    index += 1;
                }
            }
            b'`' => {
                index += 1;
                while index < bytes.len() && bytes[index] != b'`' {
                    if bytes[index] == b'\\' {
                        index += 1;
                    }
                    index += 1;
                }
            }
            byte if byte == open_byte => depth += 1,
            byte if byte == close_byte => {
                depth = depth.checked_sub(1)?;
                if depth == 0 {
                    return Some(index);
                }
            }
            _ => {}
        }
        index += 1;
    }
    None
}

/// A decoded JSON string: per decoded byte, where its character starts
/// and ends in the JSON text; and the range of the string, quotes included.
pub(crate) struct JsonString {
    pub text: String,
    pub starts: Vec<usize>,
    pub ends: Vec<usize>,
    pub range: Range<usize>,
}

/// `text` (a JSON array of strings, as written) decoded.
pub(crate) fn json_strings(text: &str) -> Vec<JsonString> {
    let mut strings = Vec::new();
    let bytes = text.as_bytes();
    let mut index = match text.find('[') {
        Some(open) => open + 1,
        None => return strings,
    };
    while index < bytes.len() {
        match bytes[index] {
            b'"' => {
                let start = index;
                let mut decoded = String::new();
                let mut starts = Vec::new();
                let mut ends = Vec::new();
                index += 1;
                while index < bytes.len() && bytes[index] != b'"' {
                    let Some(ch) = text[index..].chars().next() else {
                        break;
                    };
                    if ch == '\\' {
                        let escape_start = index;
                        let Some(escaped) = text[index + 1..].chars().next() else {
                            break;
                        };
                        let (value, length) = match escaped {
                            'n' => (Some('\n'), 2),
                            't' => (Some('\t'), 2),
                            'r' => (Some('\r'), 2),
                            'b' => (Some('\u{8}'), 2),
                            'f' => (Some('\u{c}'), 2),
                            'u' => {
                                let hex = text.get(index + 2..index + 6).unwrap_or("");
                                (
                                    u32::from_str_radix(hex, 16).ok().and_then(char::from_u32),
                                    6,
                                )
                            }
                            other => (Some(other), 1 + other.len_utf8()),
                        };
                        if let Some(value) = value {
                            let before = decoded.len();
                            decoded.push(value);
                            starts
                                .extend(std::iter::repeat_n(escape_start, decoded.len() - before));
                            ends.extend(std::iter::repeat_n(
                                escape_start + length,
                                decoded.len() - before,
                            ));
                        }
                        index += length;
                        continue;
                    }
                    let before = decoded.len();
                    decoded.push(ch);
                    starts.extend(std::iter::repeat_n(index, decoded.len() - before));
                    ends.extend(std::iter::repeat_n(
                        index + ch.len_utf8(),
                        decoded.len() - before,
                    ));
                    index += ch.len_utf8();
                }
                strings.push(JsonString {
                    text: decoded,
                    starts,
                    ends,
                    range: start..(index + 1).min(text.len()),
                });
            }
            b']' => break,
            _ => {}
        }
        index += 1;
    }
    strings
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(word: &LexedWord) -> Vec<&str> {
        word.references
            .iter()
            .map(|reference| reference.name.as_str())
            .collect()
    }

    proptest::proptest! {
        #[test]
        fn a_plain_word_is_lexed_as_the_loop_lexes_it(
            raw in "[a-z/<>(.'\"\\\\$`é -]{0,10}",
            mode in proptest::sample::select(vec![
                WordMode::Shell,
                WordMode::HeredocExpanding,
                WordMode::Literal,
            ]),
        ) {
            if let Some(word) = plain_word(&raw, mode) {
                proptest::prop_assert_eq!(word, lex_word_chars(&raw, mode));
            }
        }
    }

    #[test]
    fn plain_words_take_the_short_way() {
        assert!(plain_word("apt-get", WordMode::Shell).is_some());
        assert!(plain_word("a$b", WordMode::Shell).is_none());
        assert!(plain_word("'a'", WordMode::Shell).is_none());
        assert!(plain_word("'a'", WordMode::HeredocExpanding).is_some());
        assert!(plain_word("<(a)", WordMode::Shell).is_none());
        assert!(plain_word("a$b\\", WordMode::Literal).is_some());
        assert!(plain_word("é", WordMode::Literal).is_none());
    }

    #[test]
    fn quotes_are_removed_and_expansions_kept() {
        let word = lex_word(r#""tok=$NPM_TOKEN"'$NOT'\ x"#, WordMode::Shell);
        assert_eq!(word.text, "tok=$NPM_TOKEN$NOT x");
        assert_eq!(names(&word), ["NPM_TOKEN"]);
        assert_eq!(word.references[0].range, 5..15);
        assert_eq!(word.text_map[4], 5);
    }

    #[test]
    fn braces_and_operands_are_references() {
        let word = lex_word("${A:-$B}${#C}${D:+yes}", WordMode::Shell);
        assert_eq!(names(&word), ["A", "B", "C", "D"]);
        let values: Vec<bool> = word
            .references
            .iter()
            .map(|reference| reference.yields_value)
            .collect();
        assert_eq!(values, [true, true, false, false]);
    }

    #[test]
    fn substitutions_are_found_inside_quotes() {
        let raw = r#"--x="$(cat /run/secrets/a | tr -d ")")""#;
        let word = lex_word(raw, WordMode::Shell);
        assert_eq!(word.substitutions.len(), 1);
        assert_eq!(
            &raw[word.substitutions[0].clone()],
            r#"cat /run/secrets/a | tr -d ")""#
        );
        let word = lex_word("a`cat /x`b", WordMode::Shell);
        assert_eq!(&"a`cat /x`b"[word.substitutions[0].clone()], "cat /x");
    }

    #[test]
    fn arithmetic_is_not_a_substitution() {
        let word = lex_word("$((COUNT + $STEP))", WordMode::Shell);
        assert!(word.substitutions.is_empty());
        assert_eq!(names(&word), ["STEP"]);
    }

    #[test]
    fn heredoc_bodies_keep_quotes() {
        let word = lex_word("a='$TOKEN' \\$X\n", WordMode::HeredocExpanding);
        assert_eq!(word.text, "a='$TOKEN' $X\n");
        assert_eq!(names(&word), ["TOKEN"]);
        let literal = lex_word("$TOKEN", WordMode::Literal);
        assert!(literal.references.is_empty());
    }

    #[test]
    fn json_strings_map_escapes_back() {
        let text = r#"["sh", "-c", "echo \"$A\" é"]"#;
        let strings = json_strings(text);
        assert_eq!(strings.len(), 3);
        let string = &strings[2];
        assert_eq!(string.text, "echo \"$A\" é");
        assert_eq!(&text[string.range.clone()], r#""echo \"$A\" é""#);
        let quote = string.text.find('"').unwrap();
        assert_eq!(&text[string.starts[quote]..string.ends[quote]], "\\\"");
        assert_eq!(string.starts.len(), string.text.len());
    }
}
