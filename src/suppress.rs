//! Inline control comments:
//! `# dockerleak ignore=DLK003,secret-in-env reason` on the line(s) before
//! an instruction (or inside its continuation) silences those rules (codes
//! or names, any case; `all` for every rule) for that instruction;
//! `# dockerleak global ignore=DLK010` silences them for the whole file.
//! A comment that starts `dockerleak` and looks like a directive but is
//! not one (`ignore DLK003`, `ignore = DLK003`, `disable=DLK003`, a code
//! lost after `, `) is kept with its problem, and codes that no rule has
//! are kept too, so that DLK000 reports them: a suppression that silences
//! nothing must not look like one that works.

use crate::source::Span;
use crate::syntax::Dockerfile;

/// One `ignore=` list from a comment.
#[derive(Clone, Debug)]
pub struct Directive {
    pub global: bool,
    /// 1-based line of the comment.
    pub line: usize,
    pub codes: Vec<DirectiveCode>,
    pub span: Span,
    /// Why the comment is not a well-formed directive (it then silences at
    /// most the codes it could read), for DLK000.
    pub problem: Option<String>,
}

/// A code named in a directive, with where it is written.
#[derive(Clone, Debug)]
pub struct DirectiveCode {
    /// As written (a code or a rule name).
    pub code: String,
    pub span: Span,
}

impl DirectiveCode {
    /// The rule code this names (`all` stays `all`); `None` for a name no
    /// rule has.
    pub fn resolved(&self) -> Option<&'static str> {
        if self.code.eq_ignore_ascii_case("all") {
            return Some("all");
        }
        crate::rules::find(&self.code).map(|rule| rule.meta().code)
    }
}

/// Words that people write for "silence" in other linters' directives;
/// after `# dockerleak` they mean a directive that is written wrongly.
const DIRECTIVE_WORDS: &[&str] = &[
    "ignore", "disable", "noqa", "skip", "suppress", "allow", "nolint", "off",
];

/// The directives of a file, resolved to instructions.
#[derive(Clone, Debug, Default)]
pub struct Suppressions {
    pub directives: Vec<Directive>,
    global: Vec<String>,
    /// Per instruction: codes silenced for it.
    per_instruction: Vec<Vec<String>>,
}

impl Suppressions {
    pub fn new(dockerfile: &Dockerfile) -> Suppressions {
        let directives: Vec<Directive> = dockerfile
            .comments
            .iter()
            .filter_map(parse_comment)
            .collect();
        let global = directives
            .iter()
            .filter(|directive| directive.global)
            .flat_map(|directive| directive.codes.iter().filter_map(DirectiveCode::resolved))
            .map(str::to_string)
            .collect();
        let mut per_instruction = vec![Vec::new(); dockerfile.instructions.len()];
        let mut previous_end = 0;
        let mut local = directives
            .iter()
            .filter(|directive| !directive.global)
            .peekable();
        for (index, instruction) in dockerfile.instructions.iter().enumerate() {
            while let Some(directive) = local.peek() {
                if directive.line > instruction.end_line {
                    break;
                }
                if directive.line > previous_end {
                    per_instruction[index].extend(
                        directive
                            .codes
                            .iter()
                            .filter_map(DirectiveCode::resolved)
                            .map(str::to_string),
                    );
                }
                local.next();
            }
            previous_end = instruction.end_line;
        }
        Suppressions {
            directives,
            global,
            per_instruction,
        }
    }

    /// Whether `code` is silenced for instruction `index` (or the file).
    pub fn is_suppressed(&self, code: &str, instruction: Option<usize>) -> bool {
        let matches = |codes: &Vec<String>| {
            codes
                .iter()
                .any(|silenced| silenced.eq_ignore_ascii_case(code) || silenced == "all")
        };
        matches(&self.global)
            || instruction
                .and_then(|index| self.per_instruction.get(index))
                .is_some_and(matches)
    }
}

/// `dockerleak [global] ignore=A,B [reason]` in a comment; a comment that
/// starts with `dockerleak` and a directive word but is written wrongly is
/// a directive with a problem.
/// A directive in a comment of any file (`text` after the comment
/// marker, trimmed; `span` the whole comment): build definitions use the
/// same `# dockerleak ignore=…` form as Dockerfiles.
pub fn parse_directive(comment: &crate::syntax::Comment) -> Option<Directive> {
    parse_comment(comment)
}

fn parse_comment(comment: &crate::syntax::Comment) -> Option<Directive> {
    let text = comment.text.as_str();
    let rest = text.strip_prefix("dockerleak")?;
    if !rest.starts_with(char::is_whitespace) && !rest.starts_with(':') {
        return None;
    }
    let rest = rest.trim_start_matches(':').trim_start();
    let (global, rest) = match rest.strip_prefix("global") {
        Some(after) if after.starts_with(char::is_whitespace) => (true, after.trim_start()),
        _ => (false, rest),
    };
    // Where `rest` starts in the comment's source text, for spans.
    let source_offset = comment.span.start + comment.span.len().saturating_sub(text.len());
    let rest_offset = source_offset + (text.len() - rest.len());
    let directive = |codes, problem| Directive {
        global,
        line: comment.line,
        codes,
        span: comment.span,
        problem,
    };
    let Some(list) = rest.strip_prefix("ignore=") else {
        let word: String = rest
            .chars()
            .take_while(|character| character.is_ascii_alphabetic() || *character == '-')
            .collect();
        let after = &rest[word.len()..];
        let looks_like_a_directive = DIRECTIVE_WORDS.contains(&word.to_ascii_lowercase().as_str())
            || (!word.is_empty() && after.trim_start().starts_with('='));
        if !looks_like_a_directive {
            return None;
        }
        let problem = if word == "ignore" {
            if after.trim_start().starts_with('=') {
                "no space may stand around `=`: write `ignore=CODE`".to_string()
            } else {
                "`ignore` needs `=` before its codes: write `ignore=CODE`".to_string()
            }
        } else {
            format!("`{word}` is not a dockerleak directive: write `ignore=CODE`")
        };
        return Some(directive(Vec::new(), Some(problem)));
    };
    let list_offset = rest_offset + "ignore=".len();
    let list_end = list.find(char::is_whitespace).unwrap_or(list.len());
    let (list, after) = list.split_at(list_end);
    let mut codes = Vec::new();
    let mut offset = list_offset;
    let mut problem = None;
    for code in list.split(',') {
        if code.is_empty() {
            if list.is_empty() {
                break;
            }
            problem.get_or_insert_with(|| {
                "an empty code between commas: write `ignore=CODE,CODE`".to_string()
            });
        } else {
            codes.push(DirectiveCode {
                code: code.to_string(),
                span: Span::new(offset, offset + code.len()),
            });
        }
        offset += code.len() + 1;
    }
    if list.ends_with(',') {
        // `ignore=DLK003, DLK004`: the list ends at the space, so the
        // reason text starts with the code the author meant to silence.
        let lost = after.split_whitespace().next().unwrap_or("");
        problem = Some(if lost.is_empty() {
            "the list ends with `,`: a code is missing".to_string()
        } else {
            format!(
                "`{lost}` after `, ` is read as the reason, not silenced: write codes without spaces, `ignore={}{lost}`",
                list
            )
        });
    }
    Some(directive(codes, problem))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::syntax::parse;

    #[test]
    fn directives_apply_to_the_next_instruction_only() {
        let text =
            "FROM a\n# dockerleak ignore=DLK003,DLK004 build arg only\nARG TOKEN\nARG OTHER\n";
        let suppressions = Suppressions::new(&parse(text));
        assert!(suppressions.is_suppressed("DLK003", Some(1)));
        assert!(suppressions.is_suppressed("dlk004", Some(1)));
        assert!(!suppressions.is_suppressed("DLK003", Some(2)));
        let code = &suppressions.directives[0].codes[1];
        assert_eq!(code.span.slice(text), "DLK004");
    }

    #[test]
    fn global_directives_apply_everywhere() {
        let suppressions = Suppressions::new(&parse("# dockerleak global ignore=DLK010\nFROM a\n"));
        assert!(suppressions.is_suppressed("DLK010", Some(0)));
        assert!(suppressions.is_suppressed("DLK010", None));
        assert!(!suppressions.is_suppressed("DLK001", None));
    }

    #[test]
    fn rule_names_silence_as_codes_do() {
        let text = "FROM a\n# dockerleak ignore=secret-in-arg,Secret-In-Env\nARG TOKEN\n";
        let suppressions = Suppressions::new(&parse(text));
        assert!(suppressions.is_suppressed("DLK003", Some(1)));
        assert!(suppressions.is_suppressed("DLK004", Some(1)));
        assert!(!suppressions.is_suppressed("DLK001", Some(1)));
    }

    #[test]
    fn malformed_directives_carry_their_problem() {
        let problem = |comment: &str| {
            let suppressions = Suppressions::new(&parse(&format!("{comment}\nFROM a\n")));
            suppressions
                .directives
                .first()
                .and_then(|directive| directive.problem.clone())
        };
        assert!(problem("# dockerleak ignore DLK003").is_some_and(|p| p.contains("needs `=`")));
        assert!(problem("# dockerleak ignore = DLK003").is_some_and(|p| p.contains("no space")));
        assert!(problem("# dockerleak disable=DLK003").is_some_and(|p| p.contains("`disable`")));
        assert!(problem("# dockerleak ignore=DLK003, DLK004 why")
            .is_some_and(|p| p.contains("`DLK004` after `, `")));
        assert_eq!(problem("# dockerleak ignore=DLK003 a reason"), None);
        assert_eq!(problem("# dockerleak is great"), None);
    }

    #[test]
    fn other_comments_are_not_directives() {
        let suppressions = Suppressions::new(&parse(
            "# dockerleaks ignore=DLK001\n# ignore=DLK001\nFROM a\n",
        ));
        assert!(suppressions.directives.is_empty());
    }
}
