use super::{code, declare_rule, Rule, RuleContext, RuleMeta};
use crate::analysis::BindingKind;
use crate::finding::{Finding, Severity};
use crate::secrets::names::is_non_secret_value;

declare_rule! {
    /// ## What it finds
    /// An `ENV` whose name looks like a secret and whose value is not empty:
    /// a literal (`ENV DB_PASSWORD=hunter2`) or a build arg
    /// (`ARG TOKEN` + `ENV TOKEN=$TOKEN`, reported with a second label on the
    /// `ARG`). Values that cannot leak are left alone: empty values, `${X}`
    /// where `X` is never given a value, booleans, `/run/secrets/…` paths, and
    /// the `*_FILE=/run/secrets/x` pattern.
    ///
    /// ## Why it leaks
    /// `ENV` is stored in the image config: `docker inspect` shows it to
    /// anyone who can pull the image, and every container started from the
    /// image inherits it.
    ///
    /// ## Example
    /// ```dockerfile
    /// FROM alpine
    /// ARG GITHUB_TOKEN
    /// ENV GITHUB_TOKEN=$GITHUB_TOKEN
    /// RUN ./fetch-private-deps.sh
    /// ```
    ///
    /// ## Fix
    /// Give the secret to the one `RUN` that needs it:
    /// ```dockerfile
    /// FROM alpine
    /// RUN --mount=type=secret,id=GITHUB_TOKEN,env=GITHUB_TOKEN ./fetch-private-deps.sh
    /// ```
    /// For a runtime secret, let the container read it from a file
    /// (`ENV DB_PASSWORD_FILE=/run/secrets/db_password`) or pass it with
    /// `docker run -e` / your orchestrator's secrets.
    pub struct SecretInEnv;
    code: "DLK004",
    name: "secret-in-env",
    severity: Error,
    summary: "An `ENV` with a secret-looking name and a value: ENV is stored in the image config.",
}

impl Rule for SecretInEnv {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, context: &RuleContext<'_>, findings: &mut Vec<Finding>) {
        let analysis = context.analysis;
        for binding in analysis
            .bindings
            .iter()
            .filter(|binding| binding.kind == BindingKind::Env)
        {
            if !context.catalog.names.is_secret(&binding.name) {
                continue;
            }
            let Some(value) = &binding.value else {
                continue;
            };
            let (Some(value_span), Some(raw)) = (
                binding.value_span,
                binding.value_span.map(|span| span.slice(context.text)),
            ) else {
                continue;
            };
            // A value built from build args: find the ARG it comes from.
            let argument = value.references.iter().find_map(|reference| {
                analysis
                    .resolve(&reference.name, binding.instruction)
                    .filter(|resolved| {
                        resolved.origin.kind == BindingKind::Arg || resolved.is_build_time()
                    })
                    .map(|resolved| (reference.name.clone(), resolved.origin))
            });
            let literal = value.references.is_empty();
            if literal
                && (value.value.is_empty()
                    || is_non_secret_value(&value.value)
                    || is_non_secret_value(raw))
            {
                continue;
            }
            if !literal && argument.is_none() {
                // Only references to values known in the file: flag when the
                // expansion is a literal secret-looking value.
                if value.value.is_empty() || is_non_secret_value(&value.value) {
                    continue;
                }
            }
            let severity = context.stage_severity(binding.instruction, Severity::Error);
            let mut builder = context
                .finding(&Self::META, binding.instruction, value_span)
                .severity(severity)
                .help(format!(
                    "Don't bake it into the image config: for the build use `RUN --mount=type=secret,id={name},env={name} <command>`; at run time pass it with `docker run -e` or read it from a file (`{name}_FILE=/run/secrets/…`)",
                    name = binding.name
                ));
            match argument {
                Some((argument_name, origin)) => {
                    builder = builder
                        .message(format!(
                            "ENV {} copies build arg {} into the image config",
                            code(&binding.name),
                            code(&argument_name)
                        ))
                        .label("the build arg's value is stored in the image config")
                        .secondary(
                            origin.key_span,
                            format!("build arg {} declared here", code(&argument_name)),
                        );
                }
                None => {
                    builder = builder
                        .message(format!(
                            "ENV {} sets a secret in the image config",
                            code(&binding.name)
                        ))
                        .label("this value is stored in the image config");
                    if literal {
                        builder = builder.secret(value_span);
                    }
                }
            }
            findings.push(builder.build());
        }
    }
}
