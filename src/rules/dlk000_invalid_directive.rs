use super::{declare_rule, Rule, RuleContext, RuleMeta};
use crate::finding::Finding;
use crate::suppress::Suppressions;

declare_rule! {
    /// ## What it finds
    /// A `# dockerleak …` comment that silences nothing, or less than it
    /// seems to: one that names a code or rule name no rule has, names no
    /// code at all, or is written wrongly (`ignore DLK003`, `ignore =
    /// DLK003`, `disable=DLK003`, or `ignore=DLK003, DLK004`, where the
    /// space ends the list and `DLK004` becomes part of the reason).
    ///
    /// A directive is `# dockerleak ignore=CODES reason` on the line(s)
    /// before an instruction (it silences those rules for that
    /// instruction), or `# dockerleak global ignore=CODES reason` anywhere
    /// (for the whole file). CODES are rule codes or names (`DLK003`,
    /// `secret-in-arg`, any case) separated by commas without spaces, or
    /// `all` for every rule. DLK000 itself cannot be silenced by a
    /// directive; `--no-inline-ignores` makes every directive silence
    /// nothing.
    ///
    /// ## Why it matters
    /// A typo in a suppression silences nothing, and the finding it was meant
    /// for keeps coming back; or, worse, the comment looks like it silences a
    /// rule that is in fact still reporting.
    ///
    /// ## Example
    /// ```dockerfile
    /// # dockerleak ignore=DLK03, DLK004 the token is a build-time placeholder
    /// ARG NPM_TOKEN
    /// ```
    ///
    /// ## Fix
    /// Name existing codes or rule names (`dockerleak rules` lists them),
    /// separated by commas without spaces:
    /// ```dockerfile
    /// # dockerleak ignore=DLK003,secret-in-env the token is a build-time placeholder
    /// ARG NPM_TOKEN
    /// ```
    pub struct InvalidDirective;
    code: "DLK000",
    name: "invalid-directive",
    severity: Warning,
    summary: "An inline `# dockerleak` directive is malformed or names an unknown rule, so it silences nothing.",
}

impl Rule for InvalidDirective {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, context: &RuleContext<'_>, findings: &mut Vec<Finding>) {
        let suppressions = Suppressions::new(context.dockerfile);
        for directive in &suppressions.directives {
            let instruction = context
                .dockerfile
                .instructions
                .iter()
                .position(|instruction| instruction.end_line >= directive.line)
                .unwrap_or(0);
            if let Some(problem) = &directive.problem {
                findings.push(
                    context
                        .finding(&Self::META, instruction, directive.span)
                        .message(format!("malformed dockerleak directive: {problem}"))
                        .label("not a well-formed `# dockerleak ignore=CODES` directive")
                        .help(
                            "Write `# dockerleak ignore=DLK003,secret-in-env reason` (codes or names, commas, no spaces); this comment silences nothing it could not read.",
                        )
                        .build(),
                );
                continue;
            }
            if directive.codes.is_empty() {
                findings.push(
                    context
                        .finding(&Self::META, instruction, directive.span)
                        .message("`dockerleak ignore=` names no rule code")
                        .label("no code after `ignore=`")
                        .help(
                            "Write the codes to silence, e.g. `# dockerleak ignore=DLK003 reason`.",
                        )
                        .build(),
                );
            }
            for code in &directive.codes {
                if code.resolved().is_some() {
                    continue;
                }
                findings.push(
                    context
                        .finding(&Self::META, instruction, code.span)
                        .message(format!(
                            "unknown rule code or name `{}` in a dockerleak directive",
                            code.code
                        ))
                        .label("no rule has this code")
                        .help(match crate::config::did_you_mean(&code.code) {
                            Some(suggestion) => format!(
                                "Did you mean `{suggestion}`? This directive does not silence it."
                            ),
                            None => "Use a code or name from `dockerleak rules`; this directive does not silence it.".into(),
                        })
                        .build(),
                );
            }
        }
    }
}
