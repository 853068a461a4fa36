use super::dlk006_secret_in_run_without_mount::{runs, secret_build_variable, Run};
use super::{code, declare_rule, Rule, RuleContext, RuleMeta};
use crate::analysis::shell::{base_name, enables_xtrace, is_posix_shell, ShellWord, Stdout};
use crate::analysis::BindingKind;
use crate::finding::{Finding, Severity};
use crate::secrets::is_non_secret_value;
use crate::source::Span;

declare_rule! {
    /// ## What it finds
    /// A `RUN` that prints a secret to the build output:
    /// - `cat /run/secrets/x` (or the mount's `target=`) whose output is
    ///   neither redirected, piped into another command, nor captured by
    ///   `$(…)`; `echo $(cat /run/secrets/x)`;
    /// - `echo $TOKEN` / `printf … $TOKEN` to stdout, where `TOKEN` is a
    ///   secret-looking `ARG`/`ENV`, a secret mount's `env=`, or a variable
    ///   read from a secret;
    /// - `env`, `printenv`, `set` or `export` without arguments (also piped
    ///   into `grep`/`sort`) while a secret-looking `ARG`/`ENV` or a secret
    ///   `env=` mount is in the environment;
    /// - `set -x` (`set -eux`, `set -o xtrace`, `bash -x`, a `SHELL` or
    ///   `#!` line with `-x`) before a command that expands a secret: the
    ///   shell prints every command with its values.
    ///
    /// ## Why it leaks
    /// Build output is kept: CI systems store job logs, `docker build
    /// --progress=plain` and BuildKit's history keep it, and people paste it
    /// into issues. A secret mount keeps the value out of the image, not out
    /// of what the `RUN` prints. It is a note: the image itself is clean.
    ///
    /// ## Example
    /// ```dockerfile
    /// FROM alpine:3.20
    /// RUN --mount=type=secret,id=api_key set -x && \
    ///     curl -H "Authorization: Bearer $(cat /run/secrets/api_key)" https://example.com/asset
    /// ```
    ///
    /// ## Fix
    /// Don't print it, and don't trace the commands that use it:
    /// ```dockerfile
    /// FROM alpine:3.20
    /// RUN --mount=type=secret,id=api_key \
    ///     curl -H "Authorization: Bearer $(cat /run/secrets/api_key)" https://example.com/asset
    /// ```
    pub struct SecretPrintedToLog;
    code: "DLK009",
    name: "secret-printed-to-log",
    severity: Note,
    summary: "A `RUN` prints a secret to the build output (`cat /run/secrets/…`, `echo $TOKEN`, `env`, `set -x`).",
}

/// One printing of a RUN.
struct Issue {
    span: Span,
    label: String,
    message: String,
    help: String,
    secondary: Option<(Span, String)>,
}

impl Rule for SecretPrintedToLog {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, context: &RuleContext<'_>, findings: &mut Vec<Finding>) {
        for run in runs(context) {
            let mut issues = Vec::new();
            printed_values(context, &run, &mut issues);
            environment_dumps(context, &run, &mut issues);
            traced_commands(context, &run, &mut issues);
            if issues.is_empty() {
                continue;
            }
            issues.sort_by_key(|issue| issue.span.start);
            let first = &issues[0];
            let mut builder = context
                .finding(&Self::META, run.index, first.span)
                .severity(Severity::Note)
                .message(first.message.clone())
                .label(first.label.clone())
                .help(first.help.clone());
            if let Some((span, message)) = &first.secondary {
                builder = builder.secondary(*span, message.clone());
            }
            for issue in issues.iter().skip(1).take(4) {
                builder = builder.secondary(issue.span, issue.label.clone());
            }
            findings.push(builder.build());
        }
    }
}

const MOUNT_HELP: &str = "Don't print it: use the secret where it is needed (`… | docker login --password-stdin`, `--header @/run/secrets/…`) and print nothing derived from it; build logs are kept by CI";

/// `cat /run/secrets/x`, `echo $(cat /run/secrets/x)`, `echo $TOKEN`.
fn printed_values(context: &RuleContext<'_>, run: &Run<'_>, issues: &mut Vec<Issue>) {
    for (position, command) in run.script.commands.iter().enumerate() {
        if command.stdout != Stdout::Log {
            continue;
        }
        let Some((program, arguments)) = command.program() else {
            continue;
        };
        if run.layer.output_reads_secret(run.script, position) {
            let output = run.script.output_of(position);
            let word = output
                .files
                .iter()
                .find(|word| run.layer.is_secret_path(&resolve(run, position, word)))
                .or_else(|| {
                    output
                        .data
                        .iter()
                        .find(|word| run.layer.reads_secret(run.script, word))
                })
                .copied();
            let span = word.map_or(command.span, |word| word.span);
            issues.push(Issue {
                span,
                label: format!("`{program}` prints the secret to the build log"),
                message: format!(
                    "RUN prints a mounted secret to the build output with `{program}`"
                ),
                help: MOUNT_HELP.to_string(),
                secondary: None,
            });
            continue;
        }
        if !matches!(program, "echo" | "printf") {
            continue;
        }
        for word in arguments {
            let secret = word
                .references
                .iter()
                .filter(|reference| reference.yields_value)
                .find_map(|reference| {
                    secret_build_variable(context, run, &reference.name, position)
                        .map(|binding| (reference, binding))
                });
            if let Some((reference, binding)) = secret {
                let kind = binding.kind.noun();
                issues.push(Issue {
                    span: reference.span,
                    label: format!("`{program}` prints {kind} {}", code(&binding.name)),
                    message: format!("RUN prints {kind} {} to the build output", code(&binding.name)),
                    help: format!(
                        "Don't print it, and pass it as a secret: `RUN --mount=type=secret,id={name},env={name} <command>` with `--secret id={name},env={name}`",
                        name = binding.name
                    ),
                    secondary: Some((binding.key_span, "declared here".to_string())),
                });
                break;
            }
        }
    }
}

/// The resolved path a file word of command `position` names.
fn resolve(run: &Run<'_>, position: usize, word: &ShellWord) -> String {
    let directory = run.layer.directory_of(position);
    let text = word.text.as_str();
    let joined = if text.starts_with('/') {
        text.to_string()
    } else {
        format!("{}/{}", directory.trim_end_matches('/'), text)
    };
    crate::analysis::layers::normalize(&joined)
}

/// Secret-looking variables in the environment of RUN `run`: ARG/ENV in
/// scope and secret mounts' `env=`.
fn secrets_in_environment(context: &RuleContext<'_>, run: &Run<'_>) -> Vec<(String, Option<Span>)> {
    let analysis = context.analysis;
    let mut names: Vec<(String, Option<Span>)> = Vec::new();
    for binding in &analysis.bindings {
        if names.iter().any(|(name, _)| *name == binding.name)
            || !context.catalog.names.is_secret(&binding.name)
        {
            continue;
        }
        let Some(resolved) = analysis.resolve(&binding.name, run.index) else {
            continue;
        };
        let known_value = resolved.value().filter(|_| !resolved.is_build_time());
        if !context
            .catalog
            .names
            .is_secret_setting(&binding.name, known_value)
        {
            continue;
        }
        if !std::ptr::eq(resolved.binding, binding) {
            continue;
        }
        let harmless = match (binding.kind, resolved.value()) {
            (BindingKind::Arg, Some(value)) => !value.is_empty() && is_non_secret_value(value),
            (BindingKind::Env, Some(value)) => {
                !resolved.is_build_time() && (value.is_empty() || is_non_secret_value(value))
            }
            (_, None) => false,
        };
        if !harmless {
            names.push((binding.name.clone(), Some(binding.key_span)));
        }
    }
    for mount in &run.layer.mounts.secrets {
        if let Some(env) = &mount.env {
            names.push((env.clone(), Some(mount.span)));
        }
    }
    names
}

/// `env`, `printenv`, `set`, `export` with no arguments, printing.
fn environment_dumps(context: &RuleContext<'_>, run: &Run<'_>, issues: &mut Vec<Issue>) {
    for (position, command) in run.script.commands.iter().enumerate() {
        let Some((program, arguments)) = command.program() else {
            continue;
        };
        let operands: Vec<&ShellWord> = arguments
            .iter()
            .filter(|word| !word.text.starts_with('-'))
            .collect();
        let dumps_all = match program {
            "env" | "printenv" => operands.is_empty(),
            "set" | "export" | "declare" => {
                arguments.is_empty() || arguments.iter().all(|word| word.text == "-p")
            }
            _ => false,
        };
        let named: Vec<&str> = if program == "printenv" {
            operands.iter().map(|word| word.text.as_str()).collect()
        } else {
            Vec::new()
        };
        if !dumps_all && named.is_empty() {
            continue;
        }
        if !pipeline_prints(run, position) {
            continue;
        }
        let secrets = secrets_in_environment(context, run);
        let shown = secrets
            .iter()
            .find(|(name, _)| dumps_all || named.contains(&name.as_str()));
        let Some((name, declaration)) = shown else {
            continue;
        };
        let span = command.name.as_ref().map_or(command.span, |word| word.span);
        issues.push(Issue {
            span,
            label: format!("`{program}` prints the environment, {} included", code(name)),
            message: format!("RUN prints the environment with `{program}` while secret {} is in it", code(name)),
            help: format!("Don't dump the environment during the build; print the variables you need by name, never {}", code(name)),
            secondary: declaration.map(|span| (span, format!("{} comes from here", code(name)))),
        });
    }
}

/// Whether what command `position` writes ends in the build log, through
/// filters such as `grep` or `sort`.
fn pipeline_prints(run: &Run<'_>, position: usize) -> bool {
    let mut current = position;
    for _ in 0..8 {
        let command = &run.script.commands[current];
        match &command.stdout {
            Stdout::Log => return true,
            Stdout::Pipe => {
                let Some(next) = command.pipes_into else {
                    return false;
                };
                let filter = run.script.commands[next]
                    .program()
                    .is_some_and(|(program, _)| {
                        matches!(
                            program,
                            "grep"
                                | "egrep"
                                | "sort"
                                | "head"
                                | "tail"
                                | "cat"
                                | "tee"
                                | "less"
                                | "more"
                                | "uniq"
                                | "awk"
                                | "sed"
                                | "cut"
                                | "column"
                        )
                    });
                if !filter {
                    return false;
                }
                current = next;
            }
            _ => return false,
        }
    }
    false
}

/// `set -x` followed by a command that expands a secret.
fn traced_commands(context: &RuleContext<'_>, run: &Run<'_>, issues: &mut Vec<Issue>) {
    let script = run.script;
    let mut tracing: Option<Option<Span>> = script.xtrace.then_some(None);
    for (position, command) in script.commands.iter().enumerate() {
        let (program, arguments) = command.program().unwrap_or(("", &[]));
        if program == "set" {
            let texts: Vec<&str> = arguments.iter().map(|word| word.text.as_str()).collect();
            if texts.iter().any(|text| enables_xtrace(text))
                || texts.windows(2).any(|pair| pair == ["-o", "xtrace"])
            {
                let span = command.span;
                tracing = Some(Some(span));
            } else if texts
                .iter()
                .any(|text| text.starts_with('+') && text.contains('x'))
                || texts.windows(2).any(|pair| pair == ["+o", "xtrace"])
            {
                tracing = None;
            }
            continue;
        }
        let traced_by_shell = traced_by_parent_shell(run, position);
        let Some(set_x) = tracing.or(traced_by_shell) else {
            continue;
        };
        let secret = command.words().find_map(|word| {
            if let Some(reference) = word.references.iter().find(|reference| {
                reference.yields_value
                    && (run.layer.secret_variables.contains(&reference.name)
                        || secret_build_variable(context, run, &reference.name, position).is_some())
            }) {
                return Some((reference.span, format!("secret {}", code(&reference.name))));
            }
            run.layer
                .reads_secret(script, word)
                .then(|| (substitution_span(word), "a mounted secret".to_string()))
        });
        let Some((span, what)) = secret else { continue };
        let set_x = set_x.or_else(|| shell_instruction(context, run.index));
        issues.push(Issue {
            span,
            label: "expanded while the shell traces commands (`set -x`)".to_string(),
            message: format!("RUN traces commands (`set -x`) and then expands {what}: the trace prints its value"),
            help: "Don't trace commands that use secrets: drop `-x`, or wrap them in `set +x` … `set -x`; and read the secret from a mount (`RUN --mount=type=secret,id=<id>,env=<NAME>`)".to_string(),
            secondary: set_x.map(|span| (span, "tracing turned on here".to_string())),
        });
        return;
    }
}

/// The span of the first `$(…)` or backtick substitution of a word written
/// verbatim in the source, else the whole word.
fn substitution_span(word: &ShellWord) -> Span {
    if word.span.len() != word.raw.len() {
        return word.span;
    }
    let substitution = word.raw.find("$(").and_then(|start| {
        crate::analysis::shell::words::closing_paren(&word.raw, start + 1)
            .map(|close| start..close + 1)
    });
    match substitution {
        Some(range) => Span::new(word.span.start + range.start, word.span.start + range.end),
        None => word.span,
    }
}

/// The `SHELL` instruction in effect for `index` in its stage, if any.
fn shell_instruction(context: &RuleContext<'_>, index: usize) -> Option<Span> {
    let stage = context.analysis.stage_of(index)?;
    (stage.instructions.start..index)
        .rev()
        .find(|candidate| {
            context.dockerfile.instructions[*candidate].keyword == crate::syntax::Keyword::Shell
        })
        .map(|candidate| context.dockerfile.instructions[candidate].span)
}

/// `bash -x -c '…'` / `sh -ex <<EOF`: the nested script is traced.
fn traced_by_parent_shell(run: &Run<'_>, position: usize) -> Option<Option<Span>> {
    let mut current = run.script.commands[position].parent;
    while let Some(parent) = current {
        let command = &run.script.commands[parent];
        if let Some(name) = &command.name {
            if is_posix_shell(base_name(&name.text))
                && command
                    .arguments
                    .iter()
                    .take_while(|word| word.text != "-c")
                    .any(|word| enables_xtrace(&word.text))
            {
                return Some(Some(name.span));
            }
        }
        current = command.parent;
    }
    None
}
