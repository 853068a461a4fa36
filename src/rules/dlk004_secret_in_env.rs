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
    /// where `X` is never given a value, booleans, `/run/secrets/…` paths, the
    /// `*_FILE=/run/secrets/x` pattern, and names that count or time something
    /// set to a number, a duration or a boolean (`MAX_TOKENS=4096`,
    /// `TOKEN_EXPIRY_SECONDS=3600`, `SESSION_TOKEN_TTL=15m`). A placeholder
    /// (`<your-key>`, `[secret key]`, `changeme`) is still reported: the
    /// pattern stores the real value once someone fills it in.
    ///
    /// ## Why it leaks
    /// `ENV` is stored in the image config: `docker inspect` shows it to
    /// anyone who can pull the image, and every container started from the
    /// image inherits it. That holds for the final stage and for the stages
    /// it is built `FROM` (ENV is inherited); an `ENV` of a stage the final
    /// image only copies files from is not in its config, and is a warning.
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
    /// Give the secret to the `RUN`s that need it. For an `ENV` set from a
    /// build arg, `dockerleak --fix --unsafe-fixes` (an unsafe fix: the build
    /// command changes) rewrites the example to:
    /// ```dockerfile
    /// # syntax=docker/dockerfile:1
    /// FROM alpine
    /// RUN --mount=type=secret,id=GITHUB_TOKEN,env=GITHUB_TOKEN ./fetch-private-deps.sh
    /// ```
    /// and says to build with `docker build --secret id=GITHUB_TOKEN,env=GITHUB_TOKEN .`.
    /// When the container may need the value at run time (a `CMD` or
    /// `ENTRYPOINT` that reads it or runs a script), the fix is only shown.
    /// For a runtime secret, let the container read it from a file
    /// (`ENV DB_PASSWORD_FILE=/run/secrets/db_password`) or pass it with
    /// `docker run -e` / your orchestrator's secrets.
    pub struct SecretInEnv;
    code: "DLK004",
    name: "secret-in-env",
    severity: Error,
    summary: "An `ENV` with a secret-looking name and a value: ENV is stored in the image config.",
}

/// A value that stands for a secret to fill in: `<your-key>`, `[secret
/// key]`, `{{ token }}`, `changeme`, `replace-me`, `your_api_key_here`.
fn is_placeholder_secret(value: &str) -> bool {
    let trimmed = value.trim();
    if trimmed.len() > 2 && crate::secrets::names::is_placeholder_value(trimmed) {
        return trimmed.chars().any(|ch| ch.is_alphanumeric());
    }
    let words: String = trimmed
        .to_ascii_lowercase()
        .chars()
        .filter(|ch| ch.is_ascii_alphanumeric())
        .collect();
    matches!(
        words.as_str(),
        "changeme" | "changethis" | "replaceme" | "fillme" | "fillmein" | "todo"
    ) || (words.starts_with("your") && words.ends_with("here"))
}

impl Rule for SecretInEnv {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn fix(
        &self,
        context: &RuleContext<'_>,
        finding: &Finding,
        findings: &[Finding],
    ) -> Option<crate::fix::Fix> {
        crate::fix::rewrites::env_from_arg_to_secret_mount(context, finding, findings)
    }

    fn check(&self, context: &RuleContext<'_>, findings: &mut Vec<Finding>) {
        let analysis = context.analysis;
        for binding in analysis
            .bindings
            .iter()
            .filter(|binding| binding.kind == BindingKind::Env)
        {
            let known_value = binding.known_value();
            if !context
                .catalog
                .names
                .is_secret_setting(&binding.name, known_value)
            {
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
            // `ENV API_KEY=<your-key>`: not a secret yet, but the pattern
            // leaks the real one as soon as it is filled in.
            let placeholder = literal && is_placeholder_secret(&value.value);
            if literal
                && !placeholder
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
            // Say whose config it is when it is not the final image's.
            let config = if severity < Severity::Error {
                if context.runs_downstream(binding.instruction) {
                    "the config of every image built from this one".to_string()
                } else {
                    format!(
                        "the config of stage {} (not the final image's, but kept in the build cache)",
                        context.stage_label(binding.instruction).unwrap_or_default()
                    )
                }
            } else {
                "the image config".to_string()
            };
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
                            "ENV {} copies build arg {} into {config}",
                            code(&binding.name),
                            code(&argument_name)
                        ))
                        .label(format!("the build arg's value is stored in {config}"))
                        .secondary(
                            origin.key_span,
                            format!("build arg {} declared here", code(&argument_name)),
                        );
                }
                None => {
                    builder = builder
                        .message(format!(
                            "ENV {} sets a secret in {config}",
                            code(&binding.name)
                        ))
                        .label(format!("this value is stored in {config}"));
                    if literal {
                        builder = builder.secret(value_span);
                    }
                }
            }
            if placeholder {
                builder = builder
                    .message(format!(
                        "ENV {} holds a placeholder for a secret: the real value will be stored in {config}",
                        code(&binding.name)
                    ))
                    .label(format!(
                        "a placeholder now; once filled in, the secret is stored in {config}"
                    ))
                    .help(format!(
                        "The value is a placeholder, but filling it in puts the secret in the image config: drop the ENV and, for the build, use `RUN --mount=type=secret,id={name},env={name} <command>`; at run time pass it with `docker run -e` or read it from a file (`{name}_FILE=/run/secrets/…`)",
                        name = binding.name
                    ));
            }
            findings.push(builder.build());
        }
    }
}
