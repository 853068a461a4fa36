use super::{declare_rule, Rule, RuleContext, RuleMeta};
use crate::finding::Finding;
use crate::suppress::Suppressions;

declare_rule! {
    /// ## What it finds
    /// A `# dockerleak ignore=…` comment that names a code no rule has, or
    /// that names no code at all.
    ///
    /// ## Why it matters
    /// A typo in a suppression silences nothing, and the finding it was meant
    /// for keeps coming back; or, worse, the comment looks like it silences a
    /// rule that is in fact still reporting.
    ///
    /// ## Example
    /// ```dockerfile
    /// # dockerleak ignore=DLK03 the token is a build-time placeholder
    /// ARG NPM_TOKEN
    /// ```
    ///
    /// ## Fix
    /// Name existing codes (`dockerleak rules` lists them), separated by commas:
    /// ```dockerfile
    /// # dockerleak ignore=DLK003 the token is a build-time placeholder
    /// ARG NPM_TOKEN
    /// ```
    pub struct InvalidDirective;
    code: "DLK000",
    name: "invalid-directive",
    severity: Warning,
    summary: "An inline `dockerleak ignore=` comment names an unknown rule code.",
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
                if code.code == "all" || super::find(&code.code).is_some() {
                    continue;
                }
                findings.push(
                    context
                        .finding(&Self::META, instruction, code.span)
                        .message(format!("unknown rule code `{}` in a dockerleak directive", code.code))
                        .label("no rule has this code")
                        .help("Use a code from `dockerleak rules` (DLK000–DLK010); this directive silences nothing.")
                        .build(),
                );
            }
        }
    }
}
