//! The line-oriented Dockerfile parser, following BuildKit's
//! `frontend/dockerfile/parser`: directives, continuations, comments inside
//! continuations, heredocs and the per-instruction argument grammars.
//!
//! It differs from BuildKit only where a linter must: an error is recorded
//! on the instruction (or the file) and parsing goes on, and every piece
//! keeps its byte span. Work is linear in the input: each physical line is
//! visited once.

use super::ast::*;
use super::logical::LogicalLine;
use super::mount::parse_mount;
use super::words::{self, JsonArray, RawWord};
use crate::source::Span;
use std::ops::Range;

/// Parses a Dockerfile. Never fails: problems are in `Dockerfile::errors`
/// (and on the instruction they belong to).
pub fn parse(text: &str) -> Dockerfile {
    let mut parser = Parser {
        text,
        position: 0,
        line_number: 0,
        escape: '\\',
        directives_done: false,
        dockerfile: Dockerfile {
            escape: '\\',
            ..Dockerfile::default()
        },
    };
    parser.run();
    parser.dockerfile.escape = parser.escape;
    parser.dockerfile
}

/// One physical line: `start..content_end` is its text without the line
/// ending.
#[derive(Clone, Copy)]
struct PhysicalLine {
    start: usize,
    content_end: usize,
}

struct Parser<'a> {
    text: &'a str,
    position: usize,
    line_number: usize,
    escape: char,
    directives_done: bool,
    dockerfile: Dockerfile,
}

fn is_go_space(ch: char) -> bool {
    ch.is_whitespace()
}

impl<'a> Parser<'a> {
    fn next_line(&mut self) -> Option<PhysicalLine> {
        if self.position >= self.text.len() {
            return None;
        }
        let start = self.position;
        let bytes = self.text.as_bytes();
        let newline = bytes[start..]
            .iter()
            .position(|byte| *byte == b'\n')
            .map(|index| start + index);
        let next = newline.map_or(self.text.len(), |index| index + 1);
        let mut content_end = next;
        while content_end > start && matches!(bytes[content_end - 1], b'\n' | b'\r') {
            content_end -= 1;
        }
        self.position = next;
        self.line_number += 1;
        Some(PhysicalLine { start, content_end })
    }

    fn run(&mut self) {
        let mut first = true;
        while let Some(line) = self.next_line() {
            let mut start = line.start;
            if first && self.text[start..line.content_end].starts_with('\u{feff}') {
                start += '\u{feff}'.len_utf8();
            }
            first = false;
            let raw = &self.text[start..line.content_end];
            let trimmed = raw.trim_start_matches(is_go_space);
            let trimmed_start = line.content_end - trimmed.len();
            self.parse_directive(trimmed, trimmed_start);
            if trimmed.starts_with('#') {
                self.record_comment(trimmed, trimmed_start);
                continue;
            }
            let start_line = self.line_number;
            let (content, mut end_of_line) = self.trim_continuation(trimmed);
            if end_of_line && content.is_empty() {
                continue;
            }
            let mut logical = LogicalLine::default();
            logical.push(trimmed_start, content);
            let mut last_end = trimmed_start + content.len().max(trimmed.len());
            while !end_of_line {
                let Some(next) = self.next_line() else { break };
                let raw = &self.text[next.start..next.content_end];
                self.parse_directive(raw, next.start);
                let left_trimmed = raw.trim_start_matches(is_go_space);
                if left_trimmed.starts_with('#') {
                    self.record_comment(left_trimmed, next.content_end - left_trimmed.len());
                    continue;
                }
                if left_trimmed.is_empty() {
                    continue;
                }
                let (content, ends) = self.trim_continuation(raw);
                end_of_line = ends;
                logical.push(next.start, content);
                last_end = next.content_end;
            }
            let mut instruction = self.build_instruction(&logical, 0..logical.text.len());
            instruction.start_line = start_line;
            let heredoc_capable = {
                let effective = instruction.effective();
                effective.keyword.can_contain_heredoc() && !effective.json
            };
            if heredoc_capable && logical.text.contains("<<") {
                last_end = self
                    .read_heredocs(&logical, &mut instruction)
                    .unwrap_or(last_end);
            }
            instruction.end_line = self.line_number;
            instruction.span = Span::new(
                instruction.keyword_word.span.start,
                last_end.max(instruction.keyword_word.span.end),
            );
            if let Some(inner) = instruction.onbuild.as_deref_mut() {
                // The trigger is read as an instruction of its own where it
                // runs: its heredoc bodies belong to it too (its span ends
                // where the ONBUILD's does), and its lines are the
                // ONBUILD's (it was built once the line ended, so it had the
                // number of the logical line's last line as its first).
                inner.span.end = inner.span.end.max(instruction.span.end);
                inner.start_line = instruction.start_line;
                inner.end_line = instruction.end_line;
            }
            if let Some(error) = &instruction.error {
                self.dockerfile.errors.push(error.clone());
            }
            instruction.shrink_to_fit();
            self.dockerfile.instructions.push(instruction);
        }
        crate::memory::compact(&mut self.dockerfile.instructions);
        if self.dockerfile.instructions.is_empty() {
            self.dockerfile.errors.push(SyntaxError {
                message: "file with no instructions".into(),
                span: Span::empty(self.text.len()),
                line: self.line_number.max(1),
            });
        }
    }

    fn record_comment(&mut self, trimmed: &str, start: usize) {
        self.dockerfile.comments.push(Comment {
            text: trimmed[1..].trim().to_string(),
            span: Span::new(start, start + trimmed.len()),
            line: self.line_number,
        });
    }

    /// BuildKit's line continuation: the escape character, not itself
    /// escaped, followed only by spaces/tabs at the end of the line (so
    /// `C:\\dir\\` ends the line). Returns the line without it, and
    /// whether the logical line ends here.
    fn trim_continuation<'t>(&self, line: &'t str) -> (&'t str, bool) {
        let without_blanks = line.trim_end_matches([' ', '\t']);
        match without_blanks.strip_suffix(self.escape) {
            Some(content) if !content.ends_with(self.escape) => (content, false),
            _ => (line, true),
        }
    }

    /// `# name=value` while no other line has been seen.
    fn parse_directive(&mut self, line: &str, line_start: usize) {
        if self.directives_done {
            return;
        }
        let Some((name, value, value_offset)) = directive_parts(line) else {
            self.directives_done = true;
            return;
        };
        let name = name.to_ascii_lowercase();
        if !matches!(name.as_str(), "escape" | "syntax" | "check") {
            self.directives_done = true;
            return;
        }
        let span = Span::new(line_start, line_start + line.len());
        let value_span = Span::new(
            line_start + value_offset,
            line_start + value_offset + value.len(),
        );
        if self.dockerfile.directive(&name).is_some() {
            self.dockerfile.errors.push(SyntaxError {
                message: format!("only one {name} parser directive can be used"),
                span,
                line: self.line_number,
            });
            return;
        }
        if name == "escape" {
            match value {
                "\\" => self.escape = '\\',
                "`" => self.escape = '`',
                other => {
                    self.dockerfile.errors.push(SyntaxError {
                        message: format!("invalid escape token '{other}' does not match ` or \\"),
                        span: value_span,
                        line: self.line_number,
                    });
                }
            }
        }
        self.dockerfile.directives.push(Directive {
            name,
            value: value.to_string(),
            span,
            value_span,
        });
    }

    /// Reads the bodies of the heredocs named on the instruction line.
    /// Returns the source offset where the last one ends.
    fn read_heredocs(
        &mut self,
        logical: &LogicalLine,
        instruction: &mut Instruction,
    ) -> Option<usize> {
        let mut markers = Vec::new();
        for word in words::shell_words(&logical.text) {
            match words::heredoc_marker(&word.text) {
                Ok(Some(marker)) => {
                    markers.push((marker, logical.span(word.range.start, word.range.end)))
                }
                Ok(None) => {}
                Err(message) => {
                    self.fail(
                        instruction,
                        message,
                        logical.span(word.range.start, word.range.end),
                    );
                    return None;
                }
            }
        }
        let mut last_end = None;
        for (marker, marker_span) in markers {
            let content_start = self.position;
            let mut terminated = None;
            while let Some(line) = self.next_line() {
                let candidate = &self.text[line.start..line.content_end];
                let candidate = if marker.chomp {
                    candidate.trim_start_matches('\t')
                } else {
                    candidate
                };
                if candidate == marker.name {
                    terminated = Some(line);
                    break;
                }
            }
            let Some(terminator) = terminated else {
                let span = Span::new(marker_span.start, self.text.len());
                self.fail(instruction, "unterminated heredoc".into(), span);
                return Some(self.text.len());
            };
            let content_span = Span::new(content_start, terminator.start);
            let target = match instruction.onbuild.as_deref_mut() {
                Some(inner) => inner,
                None => &mut *instruction,
            };
            target.heredocs.push(Heredoc {
                name: marker.name,
                marker_span,
                content: content_span.slice(self.text).to_string(),
                content_span,
                quoted: marker.quoted,
                chomp: marker.chomp,
                file_descriptor: marker.file_descriptor,
            });
            last_end = Some(terminator.content_end);
        }
        last_end
    }

    fn fail(&self, instruction: &mut Instruction, message: String, span: Span) {
        if instruction.error.is_none() {
            instruction.error = Some(SyntaxError {
                message,
                span,
                line: instruction.start_line.max(1),
            });
        }
    }

    /// `newNodeFromLine` over `range` of the logical line.
    fn build_instruction(&self, logical: &LogicalLine, range: Range<usize>) -> Instruction {
        let text = logical.text.as_str();
        let range = words::trim_range(text, range);
        let keyword_end = text[range.clone()]
            .find([' ', '\t', '\r', '\x0b', '\x0c'])
            .map_or(range.end, |index| range.start + index);
        let keyword_text = &text[range.start..keyword_end];
        let keyword = Keyword::from_name(keyword_text);
        let after_keyword = text[keyword_end..range.end]
            .find(|ch: char| !matches!(ch, ' ' | '\t' | '\r' | '\x0b' | '\x0c'))
            .map_or(range.end, |index| keyword_end + index);
        let (raw_flags, arguments_offset) = words::extract_flags(&text[after_keyword..range.end]);
        let arguments_range = words::trim_range(text, after_keyword + arguments_offset..range.end);
        let to_word = |raw: RawWord, base: usize| Word {
            span: logical.span(base + raw.range.start, base + raw.range.end),
            text: raw.text,
        };
        let flags = raw_flags
            .into_iter()
            .map(|raw| build_flag(to_word(raw, after_keyword)))
            .collect();
        let keyword_span = logical.span(range.start, keyword_end);
        let mut instruction = Instruction {
            keyword,
            keyword_word: Word {
                text: keyword_text.to_string(),
                span: keyword_span,
            },
            flags,
            arguments: Arguments::None,
            heredocs: Vec::new(),
            onbuild: None,
            span: logical.span(range.start, range.end),
            rest: Word {
                text: text[arguments_range.clone()].to_string(),
                span: logical.span(arguments_range.start, arguments_range.end),
            },
            rest_map: logical.pieces_for(arguments_range.clone()),
            json: false,
            start_line: self.line_number,
            end_line: self.line_number,
            error: None,
        };
        let arguments = &text[arguments_range.clone()];
        let base = arguments_range.start;
        let result = match keyword {
            Keyword::Add | Keyword::Copy | Keyword::Volume => json_or_words(arguments),
            Keyword::Cmd | Keyword::Entrypoint | Keyword::Run | Keyword::Shell => {
                json_or_text(arguments)
            }
            Keyword::Arg => Ok(Parsed::Args(
                words::parse_words(arguments, self.escape)
                    .into_iter()
                    .map(|raw| split_declaration(raw, false))
                    .collect(),
            )),
            Keyword::Env | Keyword::Label => self.name_values(arguments, keyword),
            Keyword::Expose | Keyword::From => {
                Ok(Parsed::Words(words::split_whitespace(arguments)))
            }
            Keyword::Healthcheck => healthcheck(arguments),
            Keyword::Maintainer | Keyword::Stopsignal | Keyword::User | Keyword::Workdir => {
                Ok(text_argument(arguments))
            }
            Keyword::Onbuild => {
                if !arguments.is_empty() {
                    let inner = self.build_instruction(logical, arguments_range.clone());
                    if let Some(error) = &inner.error {
                        instruction.error = Some(error.clone());
                    }
                    instruction.onbuild = Some(Box::new(inner));
                }
                Ok(Parsed::None)
            }
            Keyword::Unknown => Ok(text_argument(arguments)),
        };
        let to_pair = |pair: RawPair| KeyValue {
            raw: pair.raw,
            key: to_word(pair.key, base),
            value: pair.value.map(|value| to_word(value, base)),
            span: logical.span(base + pair.range.start, base + pair.range.end),
        };
        instruction.arguments = match result {
            Ok(Parsed::None) => Arguments::None,
            Ok(Parsed::Text(raw)) => Arguments::Text(to_word(raw, base)),
            Ok(Parsed::Json(raws)) => {
                instruction.json = true;
                Arguments::Json(raws.into_iter().map(|raw| to_word(raw, base)).collect())
            }
            Ok(Parsed::Words(raws)) => {
                Arguments::Words(raws.into_iter().map(|raw| to_word(raw, base)).collect())
            }
            Ok(Parsed::Pairs(pairs)) => Arguments::Pairs(pairs.into_iter().map(to_pair).collect()),
            Ok(Parsed::Args(pairs)) => Arguments::Args(pairs.into_iter().map(to_pair).collect()),
            Ok(Parsed::Healthcheck {
                kind,
                command,
                json,
            }) => {
                instruction.json = json;
                Arguments::Healthcheck {
                    kind: to_word(kind, base),
                    command: command.into_iter().map(|raw| to_word(raw, base)).collect(),
                }
            }
            Err(message) => {
                instruction.error = Some(SyntaxError {
                    message,
                    span: instruction.span,
                    line: self.line_number,
                });
                Arguments::None
            }
        };
        instruction
    }

    /// `parseNameVal` for ENV and LABEL.
    fn name_values(&self, arguments: &str, keyword: Keyword) -> Result<Parsed, String> {
        let raw_words = words::parse_words(arguments, self.escape);
        let Some(first) = raw_words.first() else {
            return Ok(Parsed::None);
        };
        if !first.text.contains('=') {
            // Legacy `ENV key value words`: the value is the raw rest.
            let parts = words::split_whitespace(arguments);
            let Some(key) = parts.first() else {
                return Ok(Parsed::None);
            };
            let Some(second) = parts.get(1) else {
                let name = if keyword == Keyword::Env {
                    "ENV"
                } else {
                    "LABEL"
                };
                return Err(format!("{name} must have two arguments"));
            };
            let value_range = second.range.start..arguments.len();
            return Ok(Parsed::Pairs(vec![RawPair {
                raw: arguments.to_string(),
                key: key.clone(),
                value: Some(RawWord {
                    text: arguments[value_range.clone()].to_string(),
                    range: value_range,
                }),
                range: 0..arguments.len(),
            }]));
        }
        let mut pairs = Vec::with_capacity(raw_words.len());
        for raw in raw_words {
            if !raw.text.contains('=') {
                return Err(format!(
                    "Syntax error - can't find = in {:?}. Must be of the form: name=value",
                    raw.text
                ));
            }
            pairs.push(split_declaration(raw, true));
        }
        Ok(Parsed::Pairs(pairs))
    }
}

/// Splits `# name = value` into its parts (BuildKit's
/// `^#\s*([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.+?)\s*$`), with the value's offset.
fn directive_parts(line: &str) -> Option<(&str, &str, usize)> {
    let is_space = |ch: char| matches!(ch, ' ' | '\t' | '\n' | '\r' | '\x0c');
    let body = line.strip_prefix('#')?;
    let name_start = line.len() - body.trim_start_matches(is_space).len();
    let after_space = &line[name_start..];
    let name_length = after_space
        .find(|ch: char| !ch.is_ascii_alphanumeric())
        .unwrap_or(after_space.len());
    let name = &after_space[..name_length];
    if !name.starts_with(|ch: char| ch.is_ascii_alphabetic()) {
        return None;
    }
    let after_name = after_space[name_length..].trim_start_matches(is_space);
    let after_equals = after_name.strip_prefix('=')?;
    let value_with_space = after_equals.trim_start_matches(is_space);
    let value = value_with_space.trim_end_matches(is_space);
    if value.is_empty() {
        return None;
    }
    let value_offset = line.len() - value_with_space.len();
    Some((name, value, value_offset))
}

/// What an argument grammar produced, with ranges relative to the arguments.
enum Parsed {
    None,
    Text(RawWord),
    Json(Vec<RawWord>),
    Words(Vec<RawWord>),
    Pairs(Vec<RawPair>),
    Args(Vec<RawPair>),
    Healthcheck {
        kind: RawWord,
        command: Vec<RawWord>,
        json: bool,
    },
}

struct RawPair {
    raw: String,
    key: RawWord,
    value: Option<RawWord>,
    range: Range<usize>,
}

const NOT_STRINGS: &str = "when using JSON array syntax, arrays must be comprised of strings only";

fn text_argument(arguments: &str) -> Parsed {
    if arguments.is_empty() {
        return Parsed::None;
    }
    Parsed::Text(RawWord {
        text: arguments.to_string(),
        range: 0..arguments.len(),
    })
}

/// `parseMaybeJSON`.
fn json_or_text(arguments: &str) -> Result<Parsed, String> {
    if arguments.is_empty() {
        return Ok(Parsed::None);
    }
    match words::parse_json_array(arguments) {
        JsonArray::Strings(elements) => Ok(Parsed::Json(elements)),
        JsonArray::NotStrings => Err(NOT_STRINGS.into()),
        JsonArray::NotJson => Ok(text_argument(arguments)),
    }
}

/// `parseMaybeJSONToList`.
fn json_or_words(arguments: &str) -> Result<Parsed, String> {
    match words::parse_json_array(arguments) {
        JsonArray::Strings(elements) => Ok(Parsed::Json(elements)),
        JsonArray::NotStrings => Err(NOT_STRINGS.into()),
        JsonArray::NotJson if arguments.is_empty() => Ok(Parsed::None),
        JsonArray::NotJson => Ok(Parsed::Words(words::split_whitespace(arguments))),
    }
}

/// `parseHealthConfig`: `NONE`, or `CMD` followed by a command.
fn healthcheck(arguments: &str) -> Result<Parsed, String> {
    let separator = arguments
        .find(|ch: char| ch.is_ascii_whitespace())
        .unwrap_or(arguments.len());
    if separator == 0 {
        return Ok(Parsed::None);
    }
    let command_start = arguments[separator..]
        .find(|ch: char| !ch.is_ascii_whitespace())
        .map_or(arguments.len(), |index| separator + index);
    let kind = RawWord {
        text: arguments[..separator].to_string(),
        range: 0..separator,
    };
    let shift = |mut raw: RawWord| {
        raw.range = raw.range.start + command_start..raw.range.end + command_start;
        raw
    };
    let (command, json) = match json_or_text(&arguments[command_start..])? {
        Parsed::Json(elements) => (elements.into_iter().map(shift).collect(), true),
        Parsed::Text(raw) => (vec![shift(raw)], false),
        _ => (Vec::new(), false),
    };
    Ok(Parsed::Healthcheck {
        kind,
        command,
        json,
    })
}

/// `NAME=value` into key and value (`NAME` alone has no value).
fn split_declaration(raw: RawWord, _require_equals: bool) -> RawPair {
    let range = raw.range.clone();
    match raw.text.find('=') {
        Some(equals) => {
            let key_text = raw.text[..equals].to_string();
            let value_text = raw.text[equals + 1..].to_string();
            // Offsets within the source word: the key is a prefix of it
            // unless it held escapes, which only widen spans harmlessly.
            let key_end = (range.start + equals).min(range.end);
            RawPair {
                key: RawWord {
                    text: key_text,
                    range: range.start..key_end,
                },
                value: Some(RawWord {
                    text: value_text,
                    range: (key_end + 1).min(range.end)..range.end,
                }),
                raw: raw.text,
                range,
            }
        }
        None => RawPair {
            key: RawWord {
                text: raw.text.clone(),
                range: range.clone(),
            },
            value: None,
            raw: raw.text,
            range,
        },
    }
}

/// Splits `--name=value` and parses `--mount` values.
fn build_flag(word: Word) -> Flag {
    let body = word.text.strip_prefix("--").unwrap_or(&word.text);
    // The flag's source text may contain quotes; locate name and value by
    // the `=` in the source when there is one.
    let (name_text, value_text) = match body.split_once('=') {
        Some((name, value)) => (name.to_string(), Some(value.to_string())),
        None => (body.to_string(), None),
    };
    let name_start = word.span.start + 2;
    let name_span = Span::new(
        name_start.min(word.span.end),
        (name_start + name_text.len()).min(word.span.end),
    );
    let value = value_text.map(|text| Word {
        span: Span::new((name_span.end + 1).min(word.span.end), word.span.end),
        text,
    });
    let mount = match (&*name_text, &value) {
        ("mount", Some(value)) => Some(parse_mount(value)),
        _ => None,
    };
    Flag {
        text: word.text,
        name: Word {
            text: name_text,
            span: name_span,
        },
        value,
        span: word.span,
        mount,
    }
}
