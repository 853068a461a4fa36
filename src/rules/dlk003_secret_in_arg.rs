use super::{code, declare_rule, Rule, RuleContext, RuleMeta};
use crate::analysis::expand::references_in_shell;
use crate::analysis::{Binding, BindingKind};
use crate::finding::{Finding, Severity};
use crate::syntax::Keyword;

declare_rule! {
    /// ## What it finds
    /// An `ARG` whose name looks like a secret (`NPM_TOKEN`, `DB_PASSWORD`,
    /// `AWS_SECRET_ACCESS_KEY`, `GITHUB_PAT`, `apiKey`…). Names that only look
    /// alike are left alone: `GPG_KEY`, `*_KEY_ID`, `PUBLIC_KEY`, `*_FILE`,
    /// `*_PATH`, `*_USER`, `*_VERSION`, `TOKENIZERS_PARALLELISM`, `AUTH_MODE`…
    ///
    /// ## Why it leaks
    /// Build arguments are not secret. BuildKit records the `ARG` line with
    /// the value given with `--build-arg`, and every later `RUN` of the stage
    /// as `RUN |N NAME=value … command` with all the stage's build args,
    /// whether the command uses them or not (a stage built `FROM` it inherits
    /// them). So an `ARG` declared in the final stage, or in a stage it is
    /// built `FROM`, is in the final image's history (`docker history`) and in
    /// max-mode provenance attestations: an error. Declared in a stage that
    /// the final image is not built on (a builder it only copies files from),
    /// it is in that stage's history, kept in the build cache: a warning.
    ///
    /// ## Example
    /// ```dockerfile
    /// FROM node:22
    /// ARG NPM_TOKEN
    /// RUN npm config set //registry.npmjs.org/:_authToken=$NPM_TOKEN && npm ci
    /// ```
    ///
    /// ## Fix
    /// Pass it as a secret and read it from a secret mount.
    /// `dockerleak --fix --unsafe-fixes` (an unsafe fix: the build command
    /// changes) rewrites the example to:
    /// ```dockerfile
    /// # syntax=docker/dockerfile:1
    /// FROM node:22
    /// RUN --mount=type=secret,id=NPM_TOKEN,env=NPM_TOKEN npm config set //registry.npmjs.org/:_authToken=$NPM_TOKEN && npm ci
    /// ```
    /// and says to build with `docker build --secret id=NPM_TOKEN,env=NPM_TOKEN .`
    /// (`env=` needs Dockerfile frontend 1.10: the `# syntax=` line asks for
    /// it). Then remove the file the token was written to in the same `RUN`
    /// (`&& rm ~/.npmrc`), or the layer keeps it: that is DLK008. An exec-form
    /// `RUN` that reads the ARG is left to you (the fix is only shown).
    pub struct SecretInArg;
    code: "DLK003",
    name: "secret-in-arg",
    severity: Error,
    summary: "An `ARG` with a secret-looking name: build args end up in the image history.",
}

impl Rule for SecretInArg {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn fix(
        &self,
        context: &RuleContext<'_>,
        finding: &Finding,
        findings: &[Finding],
    ) -> Option<crate::fix::Fix> {
        crate::fix::rewrites::arg_to_secret_mount(context, finding, findings)
    }

    fn check(&self, context: &RuleContext<'_>, findings: &mut Vec<Finding>) {
        let analysis = context.analysis;
        for binding in analysis
            .bindings
            .iter()
            .filter(|binding| binding.kind == BindingKind::Arg)
        {
            let known_value = binding.known_value();
            if !context
                .catalog
                .names
                .is_secret_setting(&binding.name, known_value)
            {
                continue;
            }
            if let Some(value) = &binding.value {
                // A placeholder default (`<your-token>`) still means a real
                // token is passed with --build-arg.
                let placeholder = crate::secrets::names::is_placeholder_value(&value.value);
                if !value.value.is_empty()
                    && !placeholder
                    && crate::secrets::names::is_non_secret_value(&value.value)
                {
                    continue;
                }
            }
            let uses = match binding.stage {
                Some(stage) => runs_using(context, binding, stage),
                None => {
                    // A global ARG is only visible where a stage re-declares it;
                    // those declarations are reported themselves.
                    let redeclared = analysis.bindings.iter().any(|other| {
                        other.kind == BindingKind::Arg
                            && other.stage.is_some()
                            && other.name == binding.name
                    });
                    if redeclared {
                        continue;
                    }
                    Vec::new()
                }
            };
            // BuildKit records the ARG line and every later RUN of the stage
            // with all its build args (inherited through FROM <stage>): an
            // ARG of a stage the built image is made of is in its history.
            let in_history =
                binding.stage.is_some() && analysis.in_final_image(binding.instruction);
            let severity = if in_history {
                Severity::Error
            } else {
                Severity::Warning
            };
            let name = code(&binding.name);
            let message = match (in_history, binding.stage) {
                (true, _) => format!(
                    "build arg {name} looks like a secret and is recorded in the final image's history"
                ),
                (false, Some(_)) if context.runs_downstream(binding.instruction) => format!(
                    "build arg {name} looks like a secret and is recorded in the history of every image built from this one"
                ),
                (false, Some(_)) => format!(
                    "build arg {name} looks like a secret; stage {} is not part of the final image, but its history is kept in the build cache",
                    context.stage_label(binding.instruction).unwrap_or_default()
                ),
                (false, None) => format!(
                    "build arg {name} looks like a secret (a global ARG: in the history of any stage that declares it again)"
                ),
            };
            let mut builder = context
                .finding(&Self::META, binding.instruction, binding.key_span)
                .severity(severity)
                .message(message)
                .label("declared here: build args are recorded in the image history")
                .help(format!(
                    "Pass it as a secret: `RUN --mount=type=secret,id={name},env={name} <command>` and build with `--secret id={name},env={name}`",
                    name = binding.name
                ));
            if let Some((_, span)) = uses.first() {
                builder = builder.secondary(*span, format!("{} used here", code(&binding.name)));
            }
            // A literal default of a secret-named ARG is a secret value:
            // masked in all output (and in fingerprints).
            if let (Some(value), Some(span)) = (&binding.value, binding.value_span) {
                let literal = !value.value.trim().is_empty()
                    && value.references.is_empty()
                    && !crate::secrets::names::is_placeholder_value(&value.value);
                if literal {
                    builder = builder.secret(span);
                }
            }
            findings.push(builder.build());
        }
    }
}

/// RUN instructions of `stage` after the declaration that reference the ARG,
/// with the span of the first reference.
fn runs_using(
    context: &RuleContext<'_>,
    binding: &Binding,
    stage: usize,
) -> Vec<(usize, crate::source::Span)> {
    let stage = &context.analysis.stages[stage];
    let mut uses = Vec::new();
    for index in binding.instruction + 1..stage.instructions.end {
        let instruction = &context.dockerfile.instructions[index];
        if instruction.keyword != Keyword::Run {
            continue;
        }
        let still_this_arg = context
            .analysis
            .resolve(&binding.name, index)
            .is_some_and(|resolved| std::ptr::eq(resolved.binding, binding));
        if !still_this_arg {
            continue;
        }
        let in_command = references_in_shell(&instruction.rest.text)
            .into_iter()
            .find(|reference| reference.name == binding.name)
            .map(|reference| instruction.rest_span(reference.range));
        let in_heredoc = || {
            instruction.heredocs.iter().find_map(|heredoc| {
                references_in_shell(&heredoc.content)
                    .into_iter()
                    .find(|reference| reference.name == binding.name)
                    .map(|reference| {
                        let start = heredoc.content_span.start;
                        crate::source::Span::new(
                            start + reference.range.start,
                            start + reference.range.end,
                        )
                    })
            })
        };
        if let Some(span) = in_command.or_else(in_heredoc) {
            uses.push((index, span));
        }
    }
    uses
}
