//! The simple view: a hand-written reader for the scripts most RUNs are,
//! a list of simple commands joined by `&&`, `||`, `;`, `|` and newlines
//! (`apt-get update && apt-get install -y curl && rm -rf /var/lib/apt/lists/*`).
//! It gives exactly what brush-parser's syntax tree gives for such a
//! script (the same commands, word ranges, assignments, redirections,
//! lists and pipelines, see [`scan`]), at a fraction of the cost, and
//! gives up (`None`) the moment the script holds anything else, which
//! then goes to brush-parser as before.
//!
//! What it reads, as brush-parser 0.4's tokenizer and grammar read it
//! (bash mode):
//! - blanks are space and tab; `\n`, `;`, `&&`, `||`, `|` separate;
//!   newlines may follow `&&`, `||` and `|`; `#` where a word would start
//!   comments to the end of the line;
//! - words of plain characters, `'…'`, `"…"` (with `\` escapes inside),
//!   `\` escapes outside quotes, `$NAME`, `$1`, `$?`…, and `${…}` holding
//!   only name characters and the operators `#:-+=?%/.,@*^~!`, and `$(…)`
//!   whose script is itself such a list (read again on its own later, as
//!   every substitution is);
//! - assignments `NAME=value` / `NAME+=value` before the command name;
//! - redirections `<`, `>`, `>>`, `>|`, `<>`, `<&`, `>&`, `&>`, `&>>`, with
//!   an fd (`2>`) when digits touch the operator.
//!
//! It gives up on: `(`, `)` (subshells, `$((…))`, functions, extglobs,
//! process substitution), a comment inside `$(…)`, backticks, `$[`,
//! `$'…'`, `$"…"`, any other `${…}`, here-documents and here-strings, `&`,
//! `|&`, `;;`, a `\`
//! before a newline or at the end, an unclosed quote, a reserved word
//! (`if`, `for`, `{`, `!`, `[[`, `function`…) or `time` where a command
//! name stands, `NAME[…]=` assignments, and anything brush-parser would
//! reject (a missing redirection target, an empty command, a leading or
//! doubled operator). `tests/shell_simple.rs` checks it against
//! brush-parser on every RUN of the corpus.

use super::{Connector, PendingCommand, RedirectKind, WordSource};
use crate::analysis::shell::words::WordMode;
use std::ops::Range;

/// One `&&`/`||` list: its pipelines with the operator before each.
pub(super) type AndOrList = Vec<(Connector, Vec<PendingCommand>)>;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Operator {
    And,
    Or,
    Pipe,
    Semicolon,
    Redirect(RedirectOperator),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum RedirectOperator {
    /// `<`, `>`, `>>`, `>|`, `<>`, `<&`, `>&`: may take an fd.
    File(RedirectKind),
    /// `&>`, `&>>`: no fd.
    OutputAndError { append: bool },
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Token {
    Word(Range<usize>),
    Operator(Operator, Range<usize>),
    Newline,
}

/// The and-or lists of `text`, if it is a plain list of simple commands
/// (see the module documentation); `None` hands it to brush-parser.
pub(super) fn scan(text: &str) -> Option<Vec<AndOrList>> {
    let tokens = tokenize(text)?;
    Parser {
        text,
        tokens: &tokens,
        position: 0,
    }
    .program()
}

fn is_blank(byte: u8) -> bool {
    byte == b' ' || byte == b'\t'
}

/// Characters that start an operator in brush-parser's tokenizer.
fn starts_operator(byte: u8) -> bool {
    matches!(byte, b'&' | b'(' | b')' | b';' | b'\n' | b'|' | b'<' | b'>')
}

/// brush-parser's operators (bash mode): an operator grows while the
/// longer text is still one.
fn is_operator(text: &[u8]) -> bool {
    matches!(
        text,
        b"&" | b"&&"
            | b"("
            | b")"
            | b";"
            | b";;"
            | b"\n"
            | b"|"
            | b"||"
            | b"<"
            | b">"
            | b">|"
            | b"<<"
            | b">>"
            | b"<&"
            | b">&"
            | b"<<-"
            | b"<>"
            | b"<<<"
            | b"&>"
            | b"&>>"
            | b";;&"
            | b";&"
            | b"|&"
    )
}

fn tokenize(text: &str) -> Option<Vec<Token>> {
    let (tokens, end) = tokenize_from(text, 0, 0)?;
    (end == text.len()).then_some(tokens)
}

/// Substitutions nested deeper than this give up (the parser gate's
/// nesting limit is lower; this one bounds the recursion on its own).
const MAX_SUBSTITUTION_DEPTH: usize = 16;

/// The tokens from `start`: to the end of the text at depth 0, or up to
/// the `)` that closes a `$(` at a greater depth (then the position after
/// it is returned with the tokens).
fn tokenize_from(text: &str, start: usize, depth: usize) -> Option<(Vec<Token>, usize)> {
    let bytes = text.as_bytes();
    let mut tokens = Vec::new();
    let mut position = start;
    while position < bytes.len() {
        let byte = bytes[position];
        if is_blank(byte) {
            position += 1;
            continue;
        }
        if byte == b'#' {
            if depth > 0 {
                // A comment inside `$(…)` may hide the `)`.
                return None;
            }
            // A comment, up to (not including) the newline.
            position = bytes[position..]
                .iter()
                .position(|byte| *byte == b'\n')
                .map_or(bytes.len(), |end| position + end);
            continue;
        }
        if byte == b')' && depth > 0 {
            return Some((tokens, position + 1));
        }
        if starts_operator(byte) {
            let start = position;
            position += 1;
            while position < bytes.len() && is_operator(&bytes[start..=position]) {
                position += 1;
            }
            let operator = match &bytes[start..position] {
                b"\n" => {
                    tokens.push(Token::Newline);
                    continue;
                }
                b"&&" => Operator::And,
                b"||" => Operator::Or,
                b"|" => Operator::Pipe,
                b";" => Operator::Semicolon,
                b"<" => Operator::Redirect(RedirectOperator::File(RedirectKind::Read)),
                b">" => Operator::Redirect(RedirectOperator::File(RedirectKind::Write)),
                b">>" => Operator::Redirect(RedirectOperator::File(RedirectKind::Append)),
                b">|" => Operator::Redirect(RedirectOperator::File(RedirectKind::Clobber)),
                b"<>" => Operator::Redirect(RedirectOperator::File(RedirectKind::ReadWrite)),
                b"<&" => Operator::Redirect(RedirectOperator::File(RedirectKind::DuplicateInput)),
                b">&" => Operator::Redirect(RedirectOperator::File(RedirectKind::DuplicateOutput)),
                b"&>" => Operator::Redirect(RedirectOperator::OutputAndError { append: false }),
                b"&>>" => Operator::Redirect(RedirectOperator::OutputAndError { append: true }),
                // `&`, `(`, `)`, `;;`, here-documents, `|&`…
                _ => return None,
            };
            tokens.push(Token::Operator(operator, start..position));
            continue;
        }
        let start = position;
        position = word_end(text, position, depth)?;
        tokens.push(Token::Word(start..position));
    }
    // Text ended inside `$(…)`: unclosed.
    (depth == 0).then_some((tokens, position))
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Quote {
    None,
    Single,
    Double,
}

/// The end of the word starting at `start` (inside `depth` substitutions),
/// or `None` when it holds something only brush-parser reads.
fn word_end(text: &str, start: usize, depth: usize) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut position = start;
    let mut quote = Quote::None;
    while position < bytes.len() {
        let byte = bytes[position];
        match quote {
            Quote::Single => {
                if byte == b'\'' {
                    quote = Quote::None;
                }
                position += 1;
            }
            Quote::None if is_blank(byte) || starts_operator(byte) => break,
            Quote::None | Quote::Double => match byte {
                b'\\' => position = escaped(bytes, position)?,
                b'`' => return None,
                b'$' => position = dollar(text, position, depth)?,
                b'"' => {
                    quote = if quote == Quote::Double {
                        Quote::None
                    } else {
                        Quote::Double
                    };
                    position += 1;
                }
                b'\'' if quote == Quote::None => {
                    // brush-parser reads `'` after any `$` as `$'…'`, even
                    // an escaped one (`\$'x'`).
                    if position > start && bytes[position - 1] == b'$' {
                        return None;
                    }
                    quote = Quote::Single;
                    position += 1;
                }
                _ => position += 1,
            },
        }
    }
    (quote == Quote::None).then_some(position)
}

/// Past the `\` at `position` and the character it escapes.
fn escaped(bytes: &[u8], position: usize) -> Option<usize> {
    match bytes.get(position + 1) {
        // A line continuation: brush-parser drops it from the word, whose
        // text is then no slice of the script.
        None | Some(b'\n') => None,
        Some(byte) => Some(position + 1 + utf8_length(*byte)),
    }
}

fn utf8_length(first: u8) -> usize {
    match first {
        0xF0..=0xFF => 4,
        0xE0..=0xEF => 3,
        0xC0..=0xDF => 2,
        _ => 1,
    }
}

/// Past the `$` at `position`: a `${…}` of the plain kind is read whole,
/// and a `$(…)` whose script is itself a plain list ([`substitution_end`]);
/// `$((`, `$[`, `$'`, `$"` and any other `${` give up.
fn dollar(text: &str, position: usize, depth: usize) -> Option<usize> {
    let bytes = text.as_bytes();
    match bytes.get(position + 1) {
        Some(b'(') => substitution_end(text, position + 2, depth),
        Some(b'[' | b'\'' | b'"') => None,
        Some(b'{') => {
            let inner = position + 2;
            let length = bytes[inner..].iter().position(|byte| {
                !(byte.is_ascii_alphanumeric()
                    || matches!(
                        byte,
                        b'_' | b'#'
                            | b':'
                            | b'-'
                            | b'+'
                            | b'='
                            | b'?'
                            | b'%'
                            | b'/'
                            | b'.'
                            | b','
                            | b'@'
                            | b'*'
                            | b'^'
                            | b'~'
                            | b'!'
                    ))
            })?;
            (length > 0 && bytes[inner + length] == b'}').then_some(inner + length + 1)
        }
        _ => Some(position + 1),
    }
}

/// Past the `)` closing the `$(` whose script starts at `start`, when that
/// script is a plain list of simple commands as well (brush-parser reads
/// a substitution by parsing it: its word ends where that script does).
/// `$((` (arithmetic, or a subshell) and an empty script give up.
fn substitution_end(text: &str, start: usize, depth: usize) -> Option<usize> {
    if depth >= MAX_SUBSTITUTION_DEPTH || text.as_bytes().get(start) == Some(&b'(') {
        return None;
    }
    let (tokens, end) = tokenize_from(text, start, depth + 1)?;
    let lists = Parser {
        text,
        tokens: &tokens,
        position: 0,
    }
    .program()?;
    (!lists.is_empty()).then_some(end)
}

/// Words that are not a command name for brush-parser (its reserved
/// words, bash's included), and `time`, which times a pipeline.
fn is_reserved(word: &str) -> bool {
    matches!(
        word,
        "!" | "{"
            | "}"
            | "case"
            | "do"
            | "done"
            | "elif"
            | "else"
            | "esac"
            | "fi"
            | "for"
            | "if"
            | "in"
            | "then"
            | "until"
            | "while"
            | "[["
            | "]]"
            | "function"
            | "select"
            | "coproc"
            | "time"
    )
}

/// What a word before the command name is to brush-parser.
enum Prefix {
    /// `NAME=value` or `NAME+=value`: the name and the offset of the `=`.
    Assignment(usize, usize),
    NotAssignment,
    /// `NAME[…]=…` (an array element), not read here.
    Unsure,
}

fn prefix_word(word: &str) -> Prefix {
    let bytes = word.as_bytes();
    let name_length = bytes
        .iter()
        .position(|byte| !(byte.is_ascii_alphanumeric() || *byte == b'_'))
        .unwrap_or(bytes.len());
    if name_length == 0 || bytes[0].is_ascii_digit() {
        return Prefix::NotAssignment;
    }
    match &bytes[name_length..] {
        [b'=', ..] => Prefix::Assignment(name_length, name_length),
        [b'+', b'=', ..] => Prefix::Assignment(name_length, name_length + 1),
        [b'[', ..] => Prefix::Unsure,
        _ => Prefix::NotAssignment,
    }
}

struct Parser<'a> {
    text: &'a str,
    tokens: &'a [Token],
    position: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.position)
    }

    fn skip_newlines(&mut self) {
        while self.peek() == Some(&Token::Newline) {
            self.position += 1;
        }
    }

    /// `linebreak complete_command (newline_list complete_command)* linebreak`,
    /// where `complete_command` is `and_or (';' and_or)* ';'?`.
    fn program(mut self) -> Option<Vec<AndOrList>> {
        let mut lists = Vec::new();
        self.skip_newlines();
        while self.peek().is_some() {
            loop {
                lists.push(self.and_or()?);
                if !matches!(self.peek(), Some(Token::Operator(Operator::Semicolon, _))) {
                    break;
                }
                self.position += 1;
                if !matches!(
                    self.peek(),
                    Some(Token::Word(_) | Token::Operator(Operator::Redirect(_), _))
                ) {
                    break;
                }
            }
            match self.peek() {
                None => break,
                Some(Token::Newline) => self.skip_newlines(),
                Some(_) => return None,
            }
        }
        Some(lists)
    }

    fn and_or(&mut self) -> Option<AndOrList> {
        let mut list = vec![(Connector::First, self.pipeline()?)];
        loop {
            let connector = match self.peek() {
                Some(Token::Operator(Operator::And, _)) => Connector::And,
                Some(Token::Operator(Operator::Or, _)) => Connector::Or,
                _ => return Some(list),
            };
            self.position += 1;
            self.skip_newlines();
            list.push((connector, self.pipeline()?));
        }
    }

    fn pipeline(&mut self) -> Option<Vec<PendingCommand>> {
        let mut commands = vec![self.command()?];
        while matches!(self.peek(), Some(Token::Operator(Operator::Pipe, _))) {
            self.position += 1;
            self.skip_newlines();
            commands.push(self.command()?);
        }
        Some(commands)
    }

    /// A simple command: assignments and redirections, then a name,
    /// arguments and redirections.
    fn command(&mut self) -> Option<PendingCommand> {
        let mut pending = PendingCommand::default();
        let mut items = 0;
        loop {
            match self.peek() {
                Some(Token::Word(range)) => {
                    let range = range.clone();
                    // `2>`: digits touching a `<`/`>` operator are its fd.
                    if let Some(Token::Operator(
                        Operator::Redirect(RedirectOperator::File(_)),
                        op,
                    )) = self.tokens.get(self.position + 1)
                    {
                        let word = &self.text[range.clone()];
                        if op.start == range.end && word.bytes().all(|byte| byte.is_ascii_digit()) {
                            if word.len() > 9 {
                                return None;
                            }
                            let fd = word.parse().ok()?;
                            self.position += 1;
                            self.redirect(&mut pending, Some(fd))?;
                            items += 1;
                            continue;
                        }
                    }
                    self.position += 1;
                    items += 1;
                    let word = &self.text[range.clone()];
                    if pending.name.is_some() {
                        pending
                            .arguments
                            .push(WordSource::Range(range, WordMode::Shell));
                        continue;
                    }
                    match prefix_word(word) {
                        Prefix::Assignment(name_end, equals) => pending.assignments.push((
                            word[..name_end].to_string(),
                            WordSource::Range(range.start + equals + 1..range.end, WordMode::Shell),
                            range,
                        )),
                        Prefix::Unsure => return None,
                        Prefix::NotAssignment if is_reserved(word) => return None,
                        Prefix::NotAssignment => {
                            pending.name = Some(WordSource::Range(range, WordMode::Shell))
                        }
                    }
                }
                Some(Token::Operator(Operator::Redirect(_), _)) => {
                    self.redirect(&mut pending, None)?;
                    items += 1;
                }
                _ => break,
            }
        }
        (items > 0).then_some(pending)
    }

    /// The redirection operator at the current token and its target word.
    fn redirect(&mut self, pending: &mut PendingCommand, fd: Option<u32>) -> Option<()> {
        let Some(Token::Operator(Operator::Redirect(operator), _)) = self.peek() else {
            return None;
        };
        let operator = *operator;
        let Some(Token::Word(target)) = self.tokens.get(self.position + 1) else {
            return None;
        };
        let target = target.clone();
        self.position += 2;
        let kind = match operator {
            RedirectOperator::File(kind) => kind,
            RedirectOperator::OutputAndError { append } => RedirectKind::OutputAndError { append },
        };
        pending.redirects.push((
            kind,
            fd,
            WordSource::Range(target.clone(), WordMode::Shell),
            target,
        ));
        Some(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(text: &str) -> Option<Vec<String>> {
        tokenize(text).map(|tokens| {
            tokens
                .iter()
                .map(|token| match token {
                    Token::Word(range) => text[range.clone()].to_string(),
                    Token::Operator(_, range) => format!("<{}>", &text[range.clone()]),
                    Token::Newline => "<nl>".to_string(),
                })
                .collect()
        })
    }

    #[test]
    fn operators_inside_quotes_are_word_text() {
        assert_eq!(
            words("echo 'a && b' \"c; d | e\" f&&g").unwrap(),
            ["echo", "'a && b'", "\"c; d | e\"", "f", "<&&>", "g"]
        );
        assert_eq!(words("a\\&\\&b \\;").unwrap(), ["a\\&\\&b", "\\;"]);
        assert_eq!(
            words("echo \"a \\\" b\" 'c\\' d").unwrap(),
            ["echo", "\"a \\\" b\"", "'c\\'", "d"]
        );
    }

    #[test]
    fn comments_start_only_where_a_word_would() {
        assert_eq!(
            words("echo a#b # c && d\nls;#x\nid").unwrap(),
            ["echo", "a#b", "<nl>", "ls", "<;>", "<nl>", "id"]
        );
    }

    #[test]
    fn what_only_brush_parser_reads_gives_up() {
        for text in [
            "echo `id`",
            "(cd x && make)",
            "echo $((1+2))",
            "echo $[1+2]",
            "echo $'a\\nb'",
            "echo \\$'a'",
            "echo $\"a\"",
            "echo ${A:-$B}",
            "echo ${A:-a b}",
            "echo \"${A//x/ }\"",
            "cat <<EOF",
            "cat <<< x",
            "sleep 1 &",
            "a |& b",
            "echo a \\\nb",
            "echo a\\",
            "echo 'unclosed",
            "echo \"unclosed",
            "diff <(a) <(b)",
            "ls @(a|b)",
        ] {
            assert_eq!(scan(text).map(|_| ()), None, "{text}");
        }
    }

    #[test]
    fn plain_lists_are_read() {
        let lists =
            scan("A=1 B+=2 make -j2 > /log 2>&1 && ./x ${A} | tee f\n\nrm -rf /a; ls").unwrap();
        assert_eq!(lists.len(), 3);
        assert_eq!(lists[0].len(), 2);
        assert_eq!(lists[0][1].0, Connector::And);
        let make = &lists[0][0].1[0];
        assert_eq!(make.assignments.len(), 2);
        assert_eq!(make.assignments[1].0, "B");
        assert_eq!(make.redirects.len(), 2);
        assert_eq!(make.redirects[1].0, RedirectKind::DuplicateOutput);
        assert_eq!(make.redirects[1].1, Some(2));
        assert_eq!(lists[0][1].1.len(), 2);
    }

    #[test]
    fn substitutions_of_plain_lists_are_one_word() {
        assert_eq!(
            words(
                "a=\"$(dpkg --print-architecture | awk '{print $1}')\" && echo $(a $(b) \")\")c d"
            )
            .unwrap(),
            [
                "a=\"$(dpkg --print-architecture | awk '{print $1}')\"",
                "<&&>",
                "echo",
                "$(a $(b) \")\")c",
                "d"
            ]
        );
        let lists = scan("x=$(id -u) make \"$(nproc)\"").unwrap();
        let make = &lists[0][0].1[0];
        assert_eq!(make.assignments.len(), 1);
        assert_eq!(make.arguments.len(), 1);
    }

    #[test]
    fn substitutions_only_brush_parser_reads_give_up() {
        for text in [
            "echo $(if a; then b; fi)",
            "echo $( (a) )",
            "echo $(a # c\n)",
            "echo $(a",
            "echo $()",
            "echo $(a &&)",
            "echo $(a &)",
            "echo $(cat <<EOF\nx\nEOF\n)",
            "echo $(a $(b)",
        ] {
            assert_eq!(scan(text).map(|_| ()), None, "{text:?}");
        }
        let deep = format!("{}a{}", "$(b ".repeat(40), ")".repeat(40));
        assert!(scan(&deep).is_none());
    }

    #[test]
    fn reserved_words_give_up_only_where_a_name_stands() {
        assert!(scan("echo if then done {} }").is_some());
        for text in [
            "if true; then x; fi",
            "! true",
            "{ a; }",
            "time make",
            "A=1 for",
        ] {
            assert!(scan(text).is_none(), "{text}");
        }
    }

    #[test]
    fn what_brush_parser_rejects_gives_up() {
        for text in [
            "&& a", "a &&", "a |", "; a", "a ; ; b", "a >", "a > && b", "a\n;b", "a[1]=x b",
        ] {
            assert!(scan(text).is_none(), "{text}");
        }
        assert!(scan("a;\nb;").is_some());
        assert!(scan("a &&\n\n b |\n c").is_some());
    }

    #[test]
    fn digits_are_an_fd_only_when_they_touch_the_operator() {
        let command = &scan("echo 2 >f 3>g a4>h 5&>i").unwrap()[0][0].1[0];
        assert_eq!(command.arguments.len(), 3);
        let fds: Vec<Option<u32>> = command
            .redirects
            .iter()
            .map(|redirect| redirect.1)
            .collect();
        assert_eq!(fds, [None, Some(3), None, None]);
    }
}
