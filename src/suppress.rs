//! Inline control comments:
//! `# dockerleak ignore=DLK003,DLK004 reason` on the line(s) before an
//! instruction (or inside its continuation) silences those codes for that
//! instruction; `# dockerleak global ignore=DLK010` silences them for the
//! whole file. Codes that no rule has are collected so they can be reported.

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
}

/// A code named in a directive, with where it is written.
#[derive(Clone, Debug)]
pub struct DirectiveCode {
    pub code: String,
    pub span: Span,
}

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
            .flat_map(|directive| directive.codes.iter().map(|code| code.code.clone()))
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
                    per_instruction[index]
                        .extend(directive.codes.iter().map(|code| code.code.clone()));
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

/// `dockerleak [global] ignore=A,B [reason]` in a comment.
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
    let list = rest.strip_prefix("ignore=")?;
    let list = list.split_whitespace().next().unwrap_or("");
    // Locate the list in the comment's source text for spans.
    let source_offset = comment.span.start + comment.span.len().saturating_sub(text.len());
    let list_offset = text.find("ignore=").map_or(0, |at| at + "ignore=".len());
    let mut codes = Vec::new();
    let mut offset = list_offset;
    for code in list.split(',') {
        if !code.is_empty() {
            let start = source_offset + offset;
            codes.push(DirectiveCode {
                code: code.to_string(),
                span: Span::new(start, start + code.len()),
            });
        }
        offset += code.len() + 1;
    }
    Some(Directive {
        global,
        line: comment.line,
        codes,
        span: comment.span,
    })
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
    fn other_comments_are_not_directives() {
        let suppressions = Suppressions::new(&parse(
            "# dockerleaks ignore=DLK001\n# ignore=DLK001\nFROM a\n",
        ));
        assert!(suppressions.directives.is_empty());
    }
}
