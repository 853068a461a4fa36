//! `NAME=value` assignments on a shell command line, found by a scanner
//! instead of a regex: compiling the regex was 0.57 M instructions, 7% of
//! a one-file run, and nearly every file has a candidate (`NAME=` in a
//! RUN), so compiling it lazily would not help.
//!
//! The scanner finds what this regex's `captures_iter` finds (the
//! reference the tests compare with):
//!
//! ```text
//! (?:^|[\s;&|(])(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)=("[^"$`]*"|'[^']*'|[^\s;&|"'$`]+)
//! ```
//!
//! that is: at the start of the text or after a blank (Unicode
//! `White_Space`, as the regex's `\s`) or one of `;&|(`, an optional
//! `export` and blanks, a name, `=`, and a value: a double-quoted string
//! without `"`, `$` or a backquote, a single-quoted string, or a bare word
//! of anything but blanks, `;&|`, quotes, `$` and backquotes. Matches do
//! not overlap: the next one is looked for from the end of the last.

use std::ops::Range;

/// Every assignment of `text`, in order: (name, value) byte ranges; the
/// value keeps its quotes.
///
/// Driven by the `=` signs (a RUN holds a few; trying every separator was
/// 6% of a corpus run): a name is the run of name characters before an
/// `=`, and a match must start at the text's start or after a separator
/// at or past the end of the last match. `export` and its blanks need no
/// case of their own: the blank before the name is a separator, and the
/// ranges are the same.
pub(super) fn assignments(text: &str) -> impl Iterator<Item = (Range<usize>, Range<usize>)> + '_ {
    let bytes = text.as_bytes();
    let mut from = 0;
    let mut equals = memchr::memchr_iter(b'=', bytes);
    std::iter::from_fn(move || {
        for sign in equals.by_ref() {
            if sign < from {
                continue;
            }
            let name_start = bytes[..sign]
                .iter()
                .rposition(|byte| !is_name_byte(*byte))
                .map_or(0, |before| before + 1);
            let first = bytes[name_start];
            if name_start == sign || !(first.is_ascii_alphabetic() || first == b'_') {
                continue;
            }
            let starts_a_match = match text[..name_start].chars().next_back() {
                None => from == 0,
                Some(character) => {
                    is_separator(character) && name_start - character.len_utf8() >= from
                }
            };
            if !starts_a_match {
                continue;
            }
            if let Some(value_end) = value_end(text, sign + 1) {
                from = value_end;
                return Some((name_start..sign, sign + 1..value_end));
            }
        }
        None
    })
}

/// A character of a name.
fn is_name_byte(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || byte == b'_'
}

/// A separator of the regex's first group.
fn is_separator(character: char) -> bool {
    character.is_whitespace() || matches!(character, ';' | '&' | '|' | '(')
}

/// The end of the value starting at byte `at`.
fn value_end(text: &str, at: usize) -> Option<usize> {
    let rest = &text[at..];
    match rest.as_bytes().first()? {
        b'"' => {
            let close = rest[1..].find(['"', '$', '`'])? + 1;
            (rest.as_bytes()[close] == b'"').then_some(at + close + 1)
        }
        b'\'' => rest[1..].find('\'').map(|close| at + close + 2),
        _ => {
            let length: usize = rest
                .chars()
                .take_while(|&character| {
                    !(character.is_whitespace()
                        || matches!(character, ';' | '&' | '|' | '"' | '\'' | '$' | '`'))
                })
                .map(char::len_utf8)
                .sum();
            (length > 0).then_some(at + length)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use regex::Regex;
    use std::sync::LazyLock;

    static REFERENCE: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(
            r#"(?:^|[\s;&|(])(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)=("[^"$`]*"|'[^']*'|[^\s;&|"'$`]+)"#,
        )
        .expect("the reference pattern is a valid regex")
    });

    fn by_regex(text: &str) -> Vec<(Range<usize>, Range<usize>)> {
        REFERENCE
            .captures_iter(text)
            .map(|captures| {
                (
                    captures.get(1).expect("a name").range(),
                    captures.get(2).expect("a value").range(),
                )
            })
            .collect()
    }

    fn by_scanner(text: &str) -> Vec<(Range<usize>, Range<usize>)> {
        assignments(text).collect()
    }

    #[test]
    fn finds_shell_assignments() {
        let text = "export DB_PASSWORD=\"s3cr3t\" && A=1;B='two words'|(C=x) D=\"$E\" F=g";
        let found: Vec<(&str, &str)> = assignments(text)
            .map(|(name, value)| (&text[name], &text[value]))
            .collect();
        assert_eq!(
            found,
            [
                ("DB_PASSWORD", "\"s3cr3t\""),
                ("A", "1"),
                ("B", "'two words'"),
                ("C", "x)"),
                ("F", "g"),
            ]
        );
        assert_eq!(by_scanner(text), by_regex(text));
    }

    #[test]
    fn agrees_with_the_regex_on_edge_cases() {
        for text in [
            "",
            "A=1",
            " A=1",
            "=1",
            "A=",
            "A=\"unterminated",
            "export",
            "export=1",
            "exportA=1",
            "export  A=1",
            "export\u{a0}A=1",
            "x\u{2003}A=é",
            "A=1B=2",
            "A=\"x\"B=2",
            "A=\"x $B\" C=1",
            "A='x' 'B=1' C=2",
            "a;;b=1&&c=2||d=3",
            "(((e=1",
            "1A=2 _=3",
            "A==1",
            "export export A=1",
        ] {
            assert_eq!(by_scanner(text), by_regex(text), "{text:?}");
        }
    }

    proptest! {
        /// The same assignments as the regex, over an alphabet of the
        /// characters it treats apart.
        #[test]
        fn finds_what_the_regex_finds(
            text in "(export|[Aa_9=\"'$`;&|( \t\u{a0}é-]){0,40}",
        ) {
            prop_assert_eq!(by_scanner(&text), by_regex(&text));
        }
    }
}
