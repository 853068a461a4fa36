use super::{code, declare_rule, Rule, RuleContext, RuleMeta};
use crate::builddefs::{BuildArg, Definition, Invocation, Kind, Origin};
use crate::finding::{Finding, Severity};
use crate::secrets::Catalog;
use crate::source::Span;

declare_rule! {
    /// ## What it finds
    /// A build definition that passes a secret to an image build as a
    /// build arg: a GitHub Actions workflow or composite action
    /// (`docker/build-push-action` `build-args:`, `docker build
    /// --build-arg` in a `run:` step), `.gitlab-ci.yml` (scripts, kaniko,
    /// options held in `variables:`), a Jenkinsfile (`sh "docker build …"`,
    /// `docker.build(…)`), a compose file (`build.args`), a bake file
    /// (`args`), a Google Cloud Build configuration (docker steps'
    /// `args`, shell steps; `secretEnv` names its secrets), a shell
    /// script, Makefile or justfile (`docker build`,
    /// `docker buildx build`, `podman build`, `buildah bud`, kaniko's
    /// `--build-arg`, `flyctl deploy --build-arg`, `buildctl --opt
    /// build-arg:`).
    ///
    /// A build arg is a secret when its value comes from the CI's secret
    /// store (`${{ secrets.X }}`, `${{ github.token }}`, `$CI_JOB_TOKEN`
    /// and GitLab's other credential variables, a Jenkins `credentials()`
    /// or `withCredentials` variable, an `env:` set from `secrets.`), from a
    /// variable with a secret-looking name (`$NPM_TOKEN`), when it is a
    /// literal token of a known format, when it is a URL with a password
    /// (`postgres://app:s3cret@db/app`, whatever the arg's name), or when
    /// the arg's own name looks like a secret and its value is neither
    /// empty nor public.
    ///
    /// Left alone: public values (`VERSION=1.2`, `BUILD_DATE=…`,
    /// `${{ github.sha }}`, `$CI_COMMIT_SHA`, `${{ vars.X }}`), names that
    /// only look alike (`*_KEY_ID`, `PUBLIC_KEY`, `*_FILE`), and secrets
    /// passed the right way (`secrets:`, `secret-envs:`, `--secret`,
    /// `build.secrets`, bake `secret`). `NEXT_PUBLIC_*` (and other
    /// `*PUBLIC*`) names are public by convention: frameworks inline them
    /// into the client bundle, so whatever value they get is published
    /// anyway; they are only reported when their value is a literal token
    /// of a known format (a `sk_live_…` key given a public name is still a
    /// leak).
    ///
    /// ## Why it leaks
    /// Build args are not secret. BuildKit records each `ARG` with the
    /// value given on the command line in the image history, and every
    /// later `RUN` of the stage as `RUN |N NAME=value …`; max-mode
    /// provenance attestations (the default of `docker/build-push-action`
    /// for public repositories) publish the build args with the image.
    /// Anyone who can pull the image can read the token.
    ///
    /// ## Example
    /// ```yaml
    /// - uses: docker/build-push-action@v6
    ///   with:
    ///     build-args: |
    ///       NPM_TOKEN=${{ secrets.NPM_TOKEN }}
    /// ```
    ///
    /// ## Fix
    /// Pass it as a build secret, and read it in the Dockerfile from a
    /// secret mount:
    /// ```yaml
    /// - uses: docker/build-push-action@v6
    ///   with:
    ///     secrets: |
    ///       NPM_TOKEN=${{ secrets.NPM_TOKEN }}
    /// ```
    /// ```dockerfile
    /// RUN --mount=type=secret,id=NPM_TOKEN,env=NPM_TOKEN npm ci
    /// ```
    /// On the command line: `docker build --secret id=NPM_TOKEN,env=NPM_TOKEN .`;
    /// compose: `build.secrets: [npm_token]` with a top-level
    /// `secrets: {npm_token: {environment: NPM_TOKEN}}`; bake:
    /// `secret = ["type=env,id=NPM_TOKEN"]`.
    pub struct SecretPassedAsBuildArg;
    code: "DLK011",
    name: "secret-passed-as-build-arg",
    severity: Error,
    summary: "A build definition (CI workflow, compose, bake, script) passes a secret as a build arg.",
}

impl Rule for SecretPassedAsBuildArg {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    /// Dockerfiles hold no build invocation: the rule runs over build
    /// definitions ([`check_definition`]).
    fn check(&self, _context: &RuleContext<'_>, _findings: &mut Vec<Finding>) {}

    fn finds_secret_values(&self) -> bool {
        false
    }
}

/// A DLK011 finding and the span of the invocation it is in (suppression
/// comments above the invocation count for it).
pub struct DefinitionFinding {
    pub finding: Finding,
    pub invocation: Span,
}

/// DLK011 over the invocations of a build definition. Findings carry the
/// secret spans they saw (literal tokens, URL passwords, literal values of
/// secret-looking names) whether or not the rule is enabled: the caller
/// masks them.
pub fn check_definition(
    kind: Kind,
    definition: &Definition,
    text: &str,
    catalog: &Catalog,
) -> Vec<DefinitionFinding> {
    let mut findings = Vec::new();
    for invocation in &definition.invocations {
        for argument in &invocation.build_args {
            if let Some(mut finding) = judge(definition, invocation, argument, text, catalog) {
                finding.fix = Some(Box::new(crate::builddefs::fixes::fix_for(
                    kind, definition, invocation, argument, text,
                )));
                findings.push(DefinitionFinding {
                    finding,
                    invocation: invocation.span,
                });
            }
        }
    }
    findings
}

fn judge(
    definition: &Definition,
    invocation: &Invocation,
    argument: &BuildArg,
    text: &str,
    catalog: &Catalog,
) -> Option<Finding> {
    let names = &catalog.names;
    let name = argument.name.as_str();
    let public_name = is_public_name(name) && !names.is_secret(name);
    let mut secrets: Vec<Span> = Vec::new();
    let mut reason: Option<String> = None;
    if let Some(value) = &argument.value {
        // A literal token of a known format: always a leak.
        for found in catalog.tokens.scan(&value.text) {
            let token = &value.text[found.range.clone()];
            secrets.push(locate(text, value.span, token));
            reason.get_or_insert_with(|| format!("its value is a literal {}", found.description));
        }
        if public_name && reason.is_none() {
            return None;
        }
        if reason.is_none() {
            if let Some(userinfo) = crate::analysis::layers::url_credentials(&value.text) {
                if let Some((_, password)) = userinfo.split_once(':') {
                    if !password.is_empty() && !password.contains('$') {
                        secrets.push(locate(text, value.span, password));
                    }
                }
                reason = Some("its value is a URL with credentials".into());
            }
        }
        for reference in &value.references {
            if reason.is_some() {
                break;
            }
            match reference.origin {
                Origin::SecretStore => {
                    let shell_variable = crate::builddefs::predefined_origin(&reference.name)
                        .is_some()
                        && !value.text.contains("${{");
                    reason = Some(if shell_variable {
                        format!(
                            "its value comes from {}, a CI credential",
                            code(&format!("${}", reference.name))
                        )
                    } else {
                        format!(
                            "its value comes from the CI's secret store ({})",
                            code(&if reference.name.contains('.') {
                                reference.name.clone()
                            } else {
                                format!("secrets.{}", reference.name)
                            })
                        )
                    });
                }
                Origin::Variable => {
                    if let Some(why) = definition.secret_variables.get(&reference.name) {
                        reason = Some(format!(
                            "its value comes from {}, {why}",
                            code(&format!("${}", reference.name))
                        ));
                    } else if names.is_secret(&reference.name) {
                        reason = Some(format!(
                            "its value comes from {}, a secret-looking variable",
                            code(&format!("${}", reference.name))
                        ));
                    }
                }
                Origin::Public | Origin::Other => {}
            }
        }
        if reason.is_none() && names.is_secret_setting(name, Some(&value.text)) {
            let only_public = !value.references.is_empty()
                && value
                    .references
                    .iter()
                    .all(|reference| reference.origin == Origin::Public);
            let literal = value.references.is_empty();
            let public_literal = literal
                && (crate::secrets::is_non_secret_value(&value.text)
                    || crate::secrets::names::is_placeholder_value(&value.text));
            if !only_public && !public_literal && !value.text.trim().is_empty() {
                if literal {
                    secrets.push(value.span);
                    reason =
                        Some("its name looks like a secret and it is given a literal value".into());
                } else {
                    reason = Some("its name looks like a secret".into());
                }
            }
        }
    } else {
        if public_name {
            return None;
        }
        if let Some(why) = definition.secret_variables.get(name) {
            reason = Some(format!(
                "it takes the variable {} from the environment, {why}",
                code(name)
            ));
        } else if crate::builddefs::predefined_origin(name) == Some(Origin::SecretStore) {
            reason = Some(format!(
                "it takes {} from the environment, a CI credential",
                code(name)
            ));
        } else if names.is_secret(name) {
            reason = Some(format!(
                "its name looks like a secret and it takes {} from the environment",
                code(name)
            ));
        }
    }
    let reason = reason?;
    let message = format!(
        "{} passes build arg {} a secret: {reason}",
        invocation.tool,
        code(name)
    );
    Some(Finding {
        code: SecretPassedAsBuildArg::META.code,
        name: SecretPassedAsBuildArg::META.name,
        severity: Severity::Error,
        message: message.into(),
        help: help_for(invocation, name).into(),
        span: argument.span,
        label: "secret passed as a build arg".into(),
        labels: Vec::new(),
        stage: None,
        secrets,
        fingerprint: String::new(),
        fix: None,
    })
}

/// `NEXT_PUBLIC_*`, `VITE_PUBLIC_*`, `*_PUBLISHABLE_KEY`: a part that
/// says the value is published.
fn is_public_name(name: &str) -> bool {
    name.to_ascii_lowercase()
        .split(['_', '-', '.'])
        .any(|part| matches!(part, "public" | "publishable" | "pub"))
}

fn locate(text: &str, region: Span, needle: &str) -> Span {
    crate::builddefs::commands::find_in(text, region, needle).unwrap_or(region)
}

fn help_for(invocation: &Invocation, name: &str) -> String {
    let mount = format!("`RUN --mount=type=secret,id={name},env={name} …`");
    let tool = invocation.tool.as_str();
    // An action (`docker/build-push-action`, a wrapper of it) is named by
    // its path, a command by its words.
    let action = tool.contains('/') && !tool.contains(' ');
    let bake = tool == "docker/bake-action" || tool.ends_with(" bake");
    let pass = if bake {
        format!("set it as a secret instead of an arg (`*.secrets=id={name},env={name}`, with `{name}` in the environment)")
    } else if action {
        format!("move it from `build-args:` to `secrets:` (`{name}=<the same value>`)")
    } else if tool.starts_with("compose service") {
        format!(
            "list it in the service's `build.secrets` and declare it in the top-level `secrets:` (`{}: {{environment: {name}}}`)",
            name.to_ascii_lowercase()
        )
    } else if tool.starts_with("bake target") {
        format!("move it from `args` to `secret = [\"type=env,id={name}\"]`")
    } else if tool == "executor" {
        "kaniko has no build secrets: build with BuildKit (`docker buildx build --secret …`), or hand kaniko the credential as a file outside the context and remove it in the same `RUN`".to_string()
    } else if tool.ends_with("deploy") {
        format!("pass it with `--build-secret {name}=…`")
    } else {
        format!("pass it with `--secret id={name},env={name}` instead of `--build-arg`")
    };
    format!("Rotate the secret if the image was published; {pass}, and read it in the Dockerfile from a secret mount: {mount}")
}
