//! The plain splitter used when the shell parser rejects a script: it cuts
//! the text into commands at `&&`, `||`, `;`, `|`, `&` and newlines outside
//! quotes, and each command into words by shell quoting, with `>`/`>>`/`<`
//! redirections. It knows no compound commands: keywords such as `if`,
//! `then`, `do` are skipped so the command after them is still seen.

use super::words::closing_paren;
use std::ops::Range;

/// A token of the fallback splitter.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Token {
    Word(Range<usize>),
    /// An operator (`&&`, `|`, `>>`, `2>`…) with an optional fd prefix.
    Operator(String, Range<usize>),
}

const OPERATORS: [&str; 20] = [
    "&>>", "<<<", "<<-", "&&", "||", ";;", "|&", "&>", ">>", ">|", ">&", "<<", "<&", "<>", ";",
    "|", "&", ">", "<", "\n",
];

/// How many tokens the splitter reads of one script: its memory budget.
/// A 9 MB RUN of `a|a|…` made 9 M tokens and 4.5 M commands (3.7 GB);
/// past the budget the rest of the script is not read as commands (the
/// token and secret rules read the instruction text itself, not this view).
pub(crate) const MAX_TOKENS: usize = 100_000;

/// Splits `text` into words and operators, at most [`MAX_TOKENS`] of them.
pub(crate) fn tokenize(text: &str) -> Vec<Token> {
    tokenize_at_most(text, MAX_TOKENS)
}

fn tokenize_at_most(text: &str, limit: usize) -> Vec<Token> {
    let bytes = text.as_bytes();
    let mut tokens = Vec::new();
    let mut word_start: Option<usize> = None;
    let mut index = 0;
    let end_word = |tokens: &mut Vec<Token>, word_start: &mut Option<usize>, end: usize| {
        if let Some(start) = word_start.take() {
            tokens.push(Token::Word(start..end));
        }
    };
    while index < bytes.len() && tokens.len() < limit {
        let byte = bytes[index];
        match byte {
            b' ' | b'\t' | b'\r' => {
                end_word(&mut tokens, &mut word_start, index);
                index += 1;
            }
            b'#' if word_start.is_none() => {
                index = text[index..]
                    .find('\n')
                    .map_or(text.len(), |end| index + end);
            }
            b'\'' => {
                word_start.get_or_insert(index);
                index = text[index + 1..]
                    .find('\'')
                    .map_or(text.len(), |end| index + 1 + end + 1);
            }
            b'"' => {
                word_start.get_or_insert(index);
                index += 1;
                while index < bytes.len() && bytes[index] != b'"' {
                    if bytes[index] == b'\\' {
                        index += 1;
                    } else if bytes[index] == b'$' && bytes.get(index + 1) == Some(&b'(') {
                        index = closing_paren(text, index + 1).unwrap_or(text.len());
                    }
                    index += 1;
                }
                index = (index + 1).min(text.len());
            }
            b'\\' => {
                word_start.get_or_insert(index);
                let escaped = text[index + 1..].chars().next().map_or(0, char::len_utf8);
                index += 1 + escaped;
            }
            b'`' => {
                word_start.get_or_insert(index);
                index += 1;
                while index < bytes.len() && bytes[index] != b'`' {
                    if bytes[index] == b'\\' {
                        index += 1;
                    }
                    index += 1;
                }
                index = (index + 1).min(text.len());
            }
            b'$' if matches!(bytes.get(index + 1), Some(b'(') | Some(b'{')) => {
                word_start.get_or_insert(index);
                let close = if bytes[index + 1] == b'(' {
                    closing_paren(text, index + 1)
                } else {
                    text[index..].find('}').map(|end| index + end)
                };
                // An unbalanced `$(` is an ordinary character here.
                index = close.map_or(index + 1, |close| close + 1);
            }
            b'(' | b')' if word_start.is_none() => {
                tokens.push(Token::Operator(
                    (byte as char).to_string(),
                    index..index + 1,
                ));
                index += 1;
            }
            b'&' | b'|' | b';' | b'<' | b'>' | b'\n' => {
                // `2>` / `2>&1`: a word of digits right before `<`/`>` is an fd.
                let fd_start = match word_start {
                    Some(start)
                        if matches!(byte, b'<' | b'>')
                            && bytes[start..index].iter().all(u8::is_ascii_digit) =>
                    {
                        word_start = None;
                        Some(start)
                    }
                    _ => {
                        end_word(&mut tokens, &mut word_start, index);
                        None
                    }
                };
                let operator = OPERATORS
                    .iter()
                    .find(|operator| text[index..].starts_with(**operator))
                    .copied()
                    .unwrap_or(";");
                let start = fd_start.unwrap_or(index);
                let length = operator.len().max(1);
                tokens.push(Token::Operator(
                    text[start..index + length].to_string(),
                    start..index + length,
                ));
                index += length;
            }
            _ => {
                word_start.get_or_insert(index);
                index += text[index..].chars().next().map_or(1, char::len_utf8);
            }
        }
    }
    if index < bytes.len() {
        // Stopped by the budget: a word in progress is cut, not read.
        return tokens;
    }
    end_word(&mut tokens, &mut word_start, text.len());
    tokens
}

/// Whether `text` may be handed to the shell parser. brush-parser 0.4's
/// tokenizer loops forever, allocating, on a here-document whose delimiter
/// is empty or an expansion when the input ends inside a nested construct
/// (`sh -c '<<$(  '`); such scripts are not real shell anyway, so they go
/// to the splitter.
pub(crate) fn safe_for_parser(text: &str) -> bool {
    // Only a here-document operator can make a text unsafe: with no `<<`
    // in it, there is none (and no need to tokenize it).
    if !text.contains("<<") {
        return true;
    }
    let tokens = tokenize(text);
    tokens.iter().enumerate().all(|(position, token)| {
        let Token::Operator(operator, _) = token else {
            return true;
        };
        let bare = operator.trim_start_matches(|ch: char| ch.is_ascii_digit());
        if !matches!(bare, "<<" | "<<-") {
            return true;
        }
        match tokens.get(position + 1) {
            Some(Token::Word(range)) => {
                let delimiter: String = text[range.clone()]
                    .chars()
                    .filter(|ch| !matches!(ch, '\'' | '"' | '\\'))
                    .collect();
                !delimiter.is_empty()
                    && !delimiter.contains(['$', '`', '(', ')', '<', '>', '|', '&', ';', '{', '}'])
            }
            _ => false,
        }
    })
}

/// A command as the splitter sees it.
#[derive(Clone, Debug, Default)]
pub(crate) struct RawCommand {
    /// Name and arguments (assignment words at the start are in `assignments`).
    pub words: Vec<Range<usize>>,
    pub assignments: Vec<Range<usize>>,
    /// Operator text (`>`, `2>>`, `<<`) and target word.
    pub redirects: Vec<(String, Range<usize>)>,
    /// This command's stdout goes into the next one.
    pub pipes_out: bool,
    /// `&&` or `||` before it (`None`: starts a new list).
    pub connector: Option<String>,
}

/// Keywords that start or continue a compound command; the command after
/// them is an ordinary command.
const KEYWORDS: [&str; 12] = [
    "if", "then", "else", "elif", "fi", "do", "done", "while", "until", "{", "}", "!",
];

/// Groups `tokens` of `text` into commands.
pub(crate) fn commands(text: &str, tokens: &[Token]) -> Vec<RawCommand> {
    let mut commands = Vec::new();
    let mut current = RawCommand::default();
    let mut skipping = false;
    let mut pending_redirect: Option<String> = None;
    let mut connector: Option<String> = None;
    let finish = |current: &mut RawCommand,
                  commands: &mut Vec<RawCommand>,
                  connector: &mut Option<String>| {
        if !current.words.is_empty()
            || !current.assignments.is_empty()
            || !current.redirects.is_empty()
        {
            current.connector = connector.take();
            commands.push(std::mem::take(current));
        } else {
            *current = RawCommand::default();
        }
    };
    for token in tokens {
        match token {
            Token::Word(range) => {
                let word = &text[range.clone()];
                if let Some(operator) = pending_redirect.take() {
                    current.redirects.push((operator, range.clone()));
                    continue;
                }
                if skipping {
                    continue;
                }
                if current.words.is_empty() && current.assignments.is_empty() {
                    if KEYWORDS.contains(&word) {
                        continue;
                    }
                    if matches!(word, "for" | "case" | "select" | "function" | "in" | "esac") {
                        skipping = true;
                        continue;
                    }
                }
                let is_assignment = current.words.is_empty()
                    && word.find('=').is_some_and(|equals| {
                        super::words::is_name(word[..equals].trim_end_matches('+'))
                    });
                if is_assignment {
                    current.assignments.push(range.clone());
                } else {
                    current.words.push(range.clone());
                }
            }
            Token::Operator(operator, _) => {
                let bare = operator.trim_start_matches(|ch: char| ch.is_ascii_digit());
                if matches!(
                    bare,
                    ">" | ">>"
                        | ">|"
                        | ">&"
                        | "<"
                        | "<<"
                        | "<<-"
                        | "<<<"
                        | "<&"
                        | "<>"
                        | "&>"
                        | "&>>"
                ) {
                    pending_redirect = Some(operator.clone());
                    continue;
                }
                pending_redirect = None;
                let pipes = matches!(bare, "|" | "|&");
                current.pipes_out = pipes;
                finish(&mut current, &mut commands, &mut connector);
                skipping = false;
                match bare {
                    "&&" | "||" => connector = Some(bare.to_string()),
                    "|" | "|&" => connector = Some("|".to_string()),
                    _ => connector = None,
                }
            }
        }
    }
    finish(&mut current, &mut commands, &mut connector);
    commands
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_splitter_reads_at_most_its_token_budget() {
        let text = "a|".repeat(10);
        let tokens = tokenize_at_most(&text, 5);
        // A word is pushed with the operator that ends it: one over at most.
        assert!((5..=6).contains(&tokens.len()), "{tokens:?}");
        assert_eq!(tokens[4], Token::Word(4..5));
        assert_eq!(tokenize(&text).len(), 20);
        assert_eq!(tokenize_at_most("a b", 10).len(), 2);
    }

    fn texts(text: &str) -> Vec<Vec<String>> {
        let tokens = tokenize(text);
        commands(text, &tokens)
            .into_iter()
            .map(|command| {
                command
                    .words
                    .into_iter()
                    .map(|range| text[range].to_string())
                    .collect()
            })
            .collect()
    }

    #[test]
    fn splits_lists_and_pipelines_outside_quotes() {
        assert_eq!(
            texts(r#"a "x && y" && b 'c;d' | e; f $(g; h) `i | j`"#),
            [
                vec!["a", "\"x && y\""],
                vec!["b", "'c;d'"],
                vec!["e"],
                vec!["f", "$(g; h)", "`i | j`"]
            ]
        );
    }

    #[test]
    fn redirects_and_fds() {
        let text = "echo x > /a 2>&1 >>b";
        let tokens = tokenize(text);
        let parsed = commands(text, &tokens);
        let redirects: Vec<(String, &str)> = parsed[0]
            .redirects
            .iter()
            .map(|(operator, range)| (operator.clone(), &text[range.clone()]))
            .collect();
        assert_eq!(
            redirects,
            [
                (">".to_string(), "/a"),
                ("2>&".to_string(), "1"),
                (">>".to_string(), "b")
            ]
        );
    }

    #[test]
    fn escapes_before_multibyte_characters_do_not_split_them() {
        assert_eq!(
            texts("echo \\é 'à' \"\\ü\" `ö`"),
            [vec!["echo", "\\é", "'à'", "\"\\ü\"", "`ö`"]]
        );
    }

    #[test]
    fn odd_heredoc_delimiters_are_kept_from_the_parser() {
        assert!(safe_for_parser("cat <<'EOF' > /x"));
        assert!(safe_for_parser("cat <<-\"END_OF_FILE\" 2<<EOF"));
        assert!(!safe_for_parser("<<$(  "));
        assert!(!safe_for_parser("cat <<"));
    }

    #[test]
    fn keywords_are_skipped() {
        assert_eq!(
            texts("if true; then rm x; fi"),
            [vec!["true"], vec!["rm", "x"]]
        );
        assert_eq!(
            texts("for a in 1 2; do echo $a; done"),
            [vec!["echo", "$a"]]
        );
    }
}
