//! Splitting an instruction's argument text the ways BuildKit does: builder
//! flags, quoted words (ARG/ENV/LABEL), whitespace lists, JSON arrays, and
//! the shell-like words it scans for heredoc markers.
//!
//! Every function works on a `&str` and returns byte ranges into it, so the
//! parser can map them back to the source.

use std::ops::Range;

/// A word: the value BuildKit sees and the range of text it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RawWord {
    pub text: String,
    pub range: Range<usize>,
}

/// Go's `unicode.IsSpace` on one byte of ASCII.
fn is_ascii_space(byte: u8) -> bool {
    matches!(byte, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c)
}

/// BuildKit's `reWhitespace` class: `[\t\v\f\r ]`.
fn is_line_space(byte: u8) -> bool {
    matches!(byte, b' ' | b'\t' | b'\r' | 0x0b | 0x0c)
}

/// The range of `text` without leading/trailing Unicode whitespace
/// (Go's `strings.TrimSpace`).
pub(crate) fn trim_range(text: &str, range: Range<usize>) -> Range<usize> {
    let slice = &text[range.clone()];
    let start = range.start + (slice.len() - slice.trim_start().len());
    let end = range.start + slice.trim_end().len();
    if start > end {
        return end..end;
    }
    start..end
}

/// `extractBuilderFlags`: the `--flag` words at the start of `text`, and the
/// offset where the arguments begin.
pub(crate) fn extract_flags(text: &str) -> (Vec<RawWord>, usize) {
    let bytes = text.as_bytes();
    let mut flags = Vec::new();
    let mut position = 0;
    loop {
        while position < bytes.len() && is_ascii_space(bytes[position]) {
            position += 1;
        }
        if position >= bytes.len() {
            return (flags, bytes.len());
        }
        if !(bytes[position] == b'-' && bytes.get(position + 1) == Some(&b'-')) {
            return (flags, position);
        }
        let start = position;
        let mut word: Vec<u8> = Vec::new();
        let mut quote: Option<u8> = None;
        let mut blank_ok = false;
        while position < bytes.len() {
            let byte = bytes[position];
            match quote {
                None if is_ascii_space(byte) => break,
                None if byte == b'\'' || byte == b'"' => {
                    quote = Some(byte);
                    blank_ok = true;
                }
                Some(open) if byte == open => quote = None,
                _ if byte == b'\\' => {
                    if position + 1 == bytes.len() {
                        position += 1;
                        break;
                    }
                    position += 1;
                    word.push(bytes[position]);
                }
                _ => word.push(byte),
            }
            position += 1;
        }
        let end = position;
        if word == b"--" {
            // `--` alone ends the flags; BuildKit returns the rest after it.
            return (flags, end);
        }
        if blank_ok || !word.is_empty() {
            flags.push(RawWord {
                text: String::from_utf8_lossy(&word).into_owned(),
                range: start..end,
            });
        }
    }
}

/// `parseWords`: words separated by whitespace, quotes kept, escapes kept
/// (they are removed later by BuildKit's shell lexer).
pub(crate) fn parse_words(text: &str, escape: char) -> Vec<RawWord> {
    #[derive(PartialEq)]
    enum Phase {
        Spaces,
        Word,
        Quote(char),
    }
    let mut words = Vec::new();
    let mut phase = Phase::Spaces;
    let mut word = String::new();
    let mut word_start = 0;
    let mut blank_ok = false;
    let mut chars = text.char_indices().peekable();
    while let Some((index, ch)) = chars.next() {
        match phase {
            Phase::Spaces => {
                if ch.is_whitespace() {
                    continue;
                }
                phase = Phase::Word;
                word_start = index;
            }
            Phase::Word | Phase::Quote(_) => {}
        }
        match phase {
            Phase::Word => {
                if ch.is_whitespace() {
                    if blank_ok || !word.is_empty() {
                        words.push(RawWord {
                            text: std::mem::take(&mut word),
                            range: word_start..index,
                        });
                    }
                    blank_ok = false;
                    phase = Phase::Spaces;
                    continue;
                }
                if ch == '\'' || ch == '"' {
                    phase = Phase::Quote(ch);
                    blank_ok = true;
                }
                if ch == escape {
                    match chars.next() {
                        None => continue,
                        Some((_, next)) => {
                            word.push(ch);
                            word.push(next);
                            continue;
                        }
                    }
                }
                word.push(ch);
            }
            Phase::Quote(quote) => {
                if ch == quote {
                    phase = Phase::Word;
                }
                if ch == escape && quote != '\'' {
                    match chars.next() {
                        None => {
                            phase = Phase::Word;
                            continue;
                        }
                        Some((_, next)) => {
                            word.push(ch);
                            word.push(next);
                            continue;
                        }
                    }
                }
                word.push(ch);
            }
            Phase::Spaces => unreachable!("phase was set to Word above"),
        }
    }
    if phase != Phase::Spaces && (blank_ok || !word.is_empty()) {
        words.push(RawWord {
            text: word,
            range: word_start..text.len(),
        });
    }
    words
}

/// `parseStringsWhitespaceDelimited`: split on `[\t\v\f\r ]+` (the
/// input is already trimmed, so there are no empty fields).
pub(crate) fn split_whitespace(text: &str) -> Vec<RawWord> {
    let bytes = text.as_bytes();
    let mut words = Vec::new();
    let mut index = 0;
    while index < bytes.len() {
        while index < bytes.len() && is_line_space(bytes[index]) {
            index += 1;
        }
        let start = index;
        while index < bytes.len() && !is_line_space(bytes[index]) {
            index += 1;
        }
        if index > start {
            words.push(RawWord {
                text: text[start..index].to_string(),
                range: start..index,
            });
        }
    }
    words
}

/// The outcome of trying to read an argument text as a JSON array.
pub(crate) enum JsonArray {
    /// Not JSON: fall back to shell form.
    NotJson,
    /// Valid JSON, but an element is not a string (BuildKit rejects the file).
    NotStrings,
    Strings(Vec<RawWord>),
}

/// `parseJSON`: `text` (left-trimmed) starting with `[` and decoding as a
/// JSON array; trailing text after the array is ignored, as Go's decoder does.
pub(crate) fn parse_json_array(text: &str) -> JsonArray {
    let offset = text.len() - text.trim_start().len();
    let body = &text[offset..];
    if !body.starts_with('[') {
        return JsonArray::NotJson;
    }
    let mut stream = serde_json::Deserializer::from_str(body).into_iter::<serde_json::Value>();
    let elements = match stream.next() {
        Some(Ok(serde_json::Value::Array(elements))) => elements,
        _ => return JsonArray::NotJson,
    };
    if elements.iter().any(|element| !element.is_string()) {
        return JsonArray::NotStrings;
    }
    let ranges = json_string_ranges(body);
    JsonArray::Strings(
        elements
            .into_iter()
            .zip(ranges)
            .map(|(element, range)| RawWord {
                text: element.as_str().unwrap_or_default().to_string(),
                range: offset + range.start..offset + range.end,
            })
            .collect(),
    )
}

/// Ranges (quotes included) of the top-level strings of a JSON array that
/// is already known to be valid.
fn json_string_ranges(body: &str) -> Vec<Range<usize>> {
    let bytes = body.as_bytes();
    let mut ranges = Vec::new();
    let mut index = 1;
    while index < bytes.len() {
        match bytes[index] {
            b'"' => {
                let start = index;
                index += 1;
                while index < bytes.len() && bytes[index] != b'"' {
                    if bytes[index] == b'\\' {
                        index += 1;
                    }
                    index += 1;
                }
                ranges.push(start..(index + 1).min(bytes.len()));
            }
            b']' => break,
            _ => {}
        }
        index += 1;
    }
    ranges
}

/// The words BuildKit's shell lexer (raw quotes, raw escapes, unset
/// variables expanding to nothing) makes of a line: used to find heredoc
/// markers such as `<<EOF`, `<<-"EOF"`, `3<<EOF`.
pub(crate) fn shell_words(text: &str) -> Vec<RawWord> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut start: Option<usize> = None;
    let mut chars = text.char_indices().peekable();
    while let Some((index, ch)) = chars.next() {
        if ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r' {
            if let Some(word_start) = start.take() {
                words.push(RawWord {
                    text: std::mem::take(&mut word),
                    range: word_start..index,
                });
            }
            continue;
        }
        start.get_or_insert(index);
        match ch {
            '\'' => {
                word.push(ch);
                for (_, inner) in chars.by_ref() {
                    word.push(inner);
                    if inner == '\'' {
                        break;
                    }
                }
            }
            '"' => {
                word.push(ch);
                while let Some((_, inner)) = chars.next() {
                    if inner == '\\' {
                        word.push(inner);
                        if let Some((_, escaped)) = chars.next() {
                            word.push(escaped);
                        }
                        continue;
                    }
                    if inner == '$' {
                        skip_variable(&mut chars);
                        continue;
                    }
                    word.push(inner);
                    if inner == '"' {
                        break;
                    }
                }
            }
            '\\' => {
                word.push(ch);
                if let Some((_, escaped)) = chars.next() {
                    word.push(escaped);
                }
            }
            '$' => {
                if !skip_variable(&mut chars) {
                    word.push('$');
                }
            }
            _ => word.push(ch),
        }
    }
    if let Some(word_start) = start {
        words.push(RawWord {
            text: word,
            range: word_start..text.len(),
        });
    }
    words
}

/// Consumes a `$name` / `${…}` reference after the `$`; false when the `$`
/// is literal.
fn skip_variable(chars: &mut std::iter::Peekable<std::str::CharIndices<'_>>) -> bool {
    match chars.peek().map(|(_, ch)| *ch) {
        Some('{') => {
            let mut depth = 0;
            for (_, ch) in chars.by_ref() {
                match ch {
                    '{' => depth += 1,
                    '}' => {
                        depth -= 1;
                        if depth == 0 {
                            break;
                        }
                    }
                    _ => {}
                }
            }
            true
        }
        Some(ch) if ch.is_ascii_alphanumeric() || ch == '_' => {
            let special = ch.is_ascii_digit();
            chars.next();
            if !special {
                while let Some((_, next)) = chars.peek() {
                    if next.is_ascii_alphanumeric() || *next == '_' {
                        chars.next();
                    } else {
                        break;
                    }
                }
            }
            true
        }
        Some('@' | '*' | '#' | '?' | '$' | '!' | '-') => {
            chars.next();
            true
        }
        _ => false,
    }
}

/// A heredoc marker found in a word: `[fd]<<[-]name`.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct HeredocMarker {
    pub name: String,
    pub quoted: bool,
    pub chomp: bool,
    pub file_descriptor: Option<u32>,
}

/// `heredocFromMatch`: `^(\d*)<<(-?)([^<]*)$` on a raw word, then the name
/// with quotes removed. `Err` for a marker BuildKit cannot lex.
pub(crate) fn heredoc_marker(word: &str) -> Result<Option<HeredocMarker>, String> {
    let digits = word.bytes().take_while(u8::is_ascii_digit).count();
    let Some(after) = word[digits..].strip_prefix("<<") else {
        return Ok(None);
    };
    let (chomp, rest) = match after.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, after),
    };
    if rest.is_empty() || rest.contains('<') {
        return Ok(None);
    }
    let (name, had_quotes) = unquote_heredoc_name(rest)?;
    let Some(name) = name else {
        return Ok(None);
    };
    let file_descriptor = if digits > 0 {
        word[..digits].parse().ok()
    } else {
        None
    };
    Ok(Some(HeredocMarker {
        name,
        quoted: had_quotes,
        chomp,
        file_descriptor,
    }))
}

/// Removes shell quoting from a heredoc name; `None` if it is not one word.
fn unquote_heredoc_name(rest: &str) -> Result<(Option<String>, bool), String> {
    let mut name = String::new();
    let mut quoted = false;
    let mut chars = rest.chars().peekable();
    while let Some(ch) = chars.next() {
        match ch {
            ' ' | '\t' => return Ok((None, quoted)),
            '\'' => {
                quoted = true;
                let mut closed = false;
                for inner in chars.by_ref() {
                    if inner == '\'' {
                        closed = true;
                        break;
                    }
                    name.push(inner);
                }
                if !closed {
                    return Err(
                        "unexpected end of statement while looking for matching single-quote"
                            .into(),
                    );
                }
            }
            '"' => {
                quoted = true;
                let mut closed = false;
                while let Some(inner) = chars.next() {
                    if inner == '"' {
                        closed = true;
                        break;
                    }
                    if inner == '\\' {
                        if let Some(escaped) = chars.next() {
                            name.push(escaped);
                        }
                        continue;
                    }
                    name.push(inner);
                }
                if !closed {
                    return Err(
                        "unexpected end of statement while looking for matching double-quote"
                            .into(),
                    );
                }
            }
            '\\' => {
                if let Some(escaped) = chars.next() {
                    name.push(escaped);
                }
            }
            _ => name.push(ch),
        }
    }
    if name.is_empty() {
        return Ok((None, quoted));
    }
    Ok((Some(name), quoted))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(words: &[RawWord]) -> Vec<&str> {
        words.iter().map(|word| word.text.as_str()).collect()
    }

    #[test]
    fn flags_stop_at_first_non_flag_word() {
        let line = "--mount=type=secret,id=x --network=\"none\" echo --not-a-flag";
        let (flags, rest) = extract_flags(line);
        assert_eq!(
            texts(&flags),
            ["--mount=type=secret,id=x", "--network=none"]
        );
        assert_eq!(&line[rest..], "echo --not-a-flag");
        assert_eq!(&line[flags[1].range.clone()], "--network=\"none\"");
    }

    #[test]
    fn double_dash_ends_flags() {
        let (flags, rest) = extract_flags("--link -- --x y");
        assert_eq!(texts(&flags), ["--link"]);
        assert_eq!(rest, 9);
    }

    #[test]
    fn words_keep_quotes_and_escapes() {
        let words = parse_words(r#"a="b c" d=e\ f 'g h'"#, '\\');
        assert_eq!(texts(&words), [r#"a="b c""#, r"d=e\ f", "'g h'"]);
        assert_eq!(words[1].range, 8..14);
    }

    #[test]
    fn whitespace_split_keeps_every_word() {
        assert_eq!(texts(&split_whitespace("a  b\tc")), ["a", "b", "c"]);
    }

    #[test]
    fn json_arrays_decode_and_locate_strings() {
        let JsonArray::Strings(words) = parse_json_array(r#" ["a\"b", "c"] trailing"#) else {
            panic!("expected a JSON array");
        };
        assert_eq!(texts(&words), ["a\"b", "c"]);
        assert_eq!(words[1].range, 10..13);
        assert!(matches!(parse_json_array("[1]"), JsonArray::NotStrings));
        assert!(matches!(parse_json_array("[\"a\""), JsonArray::NotJson));
        assert!(matches!(parse_json_array("echo"), JsonArray::NotJson));
    }

    #[test]
    fn heredoc_markers() {
        let marker = heredoc_marker("<<-\"EOF\"").unwrap().unwrap();
        assert_eq!(marker.name, "EOF");
        assert!(marker.quoted && marker.chomp);
        assert_eq!(
            heredoc_marker("3<<X").unwrap().unwrap().file_descriptor,
            Some(3)
        );
        assert_eq!(heredoc_marker("<<<x").unwrap(), None);
        assert_eq!(heredoc_marker("<<").unwrap(), None);
        assert_eq!(heredoc_marker("cat").unwrap(), None);
        assert!(heredoc_marker("<<\"EOF").is_err());
    }

    #[test]
    fn shell_words_split_outside_quotes() {
        let words = shell_words("cat <<'A B' > \"x y\" $HOME/z");
        assert_eq!(texts(&words), ["cat", "<<'A B'", ">", "\"x y\"", "/z"]);
    }
}
