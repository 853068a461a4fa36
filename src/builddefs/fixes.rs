//! Fixes for DLK011 on the build definition's side (the Dockerfile's side,
//! `ARG` → secret mount, is DLK003's fix): the build arg becomes a build
//! secret of the same id, which the Dockerfile reads with
//! `RUN --mount=type=secret,id=NAME,env=NAME`.
//!
//! - `--build-arg NAME=$VAR` (or `${VAR}`, `"NAME=$VAR"`, `--build-arg
//!   NAME`) of a builder that takes `--secret id=…,env=…` (docker build,
//!   buildx, podman, buildah, nerdctl, depot) → `--secret id=NAME,env=VAR`,
//!   in every file read as shell (scripts, `run:` steps, GitLab scripts,
//!   Jenkins `sh` strings, justfiles). Unsafe: the build then needs the
//!   Dockerfile to mount the secret.
//! - A `docker/build-push-action` `build-args: |` line → the same line in
//!   `secrets: |` (created after `build-args` when absent; `build-args`
//!   goes when it was the only line). Unsafe, for the same reason.
//! - Everything else (a value that is more than one variable, `${{ … }}`
//!   inside `run:`, make's `$(VAR)`, kaniko, flyctl, compose, bake) gets a
//!   display-only fix that says what to write.

use super::{BuildArg, Definition, Invocation, Kind};
use crate::fix::{Applicability, Edit, Fix};
use crate::source::Span;

/// Builders whose `--secret` takes `id=…,env=…` (and whose build args
/// are `--build-arg`), as [`Invocation::tool`] names them.
const SECRET_ENV_BUILDERS: &[&str] = &[
    "docker build",
    "docker buildx build",
    "docker image build",
    "buildx build",
    "podman build",
    "podman image build",
    "buildah bud",
    "buildah build",
    "nerdctl build",
    "depot build",
    // Options held in a variable (GitLab `variables:`, a make variable)
    // for a `docker build`.
    "build options",
];

/// The fix of a DLK011 finding on `argument`.
pub fn fix_for(
    kind: Kind,
    definition: &Definition,
    invocation: &Invocation,
    argument: &BuildArg,
    text: &str,
) -> Fix {
    let name = &argument.name;
    let mount = format!("RUN --mount=type=secret,id={name},env={name} …");
    let tool = invocation.tool.as_str();
    let action = tool.contains('/') && !tool.contains(' ');
    if tool == "docker/bake-action" || tool.ends_with(" bake") {
        return Fix::display_only(format!(
            "set `{name}` as a secret instead of an arg (`*.secrets=id={name},env={name}`), and read it with `{mount}`"
        ));
    }
    if action {
        if let Some(edits) = move_to_secrets_input(invocation, argument, text) {
            return Fix::new(
                Applicability::Unsafe,
                format!(
                    "move `{name}` from `build-args:` to `secrets:` (the Dockerfile reads it with `{mount}`)"
                ),
                edits,
            );
        }
        return Fix::display_only(format!(
            "move `{name}` from `build-args:` to `secrets:` (`{name}=<the same value>`), and read it with `{mount}`"
        ));
    }
    if tool.starts_with("compose service") {
        return Fix::display_only(format!(
            "move `{name}` from `build.args` to `build.secrets: [{name}]`, declare it at the top level (`secrets: {{{name}: {{environment: {name}}}}}`), and read it with `{mount}`"
        ));
    }
    if tool.starts_with("bake target") {
        return Fix::display_only(format!(
            "move `{name}` from `args` to `secret = [\"type=env,id={name},env={name}\"]`, and read it with `{mount}`"
        ));
    }
    if SECRET_ENV_BUILDERS.contains(&tool) {
        // In a Jenkinsfile `$VAR` may be a Groovy variable, which the
        // shell's environment does not have: only credential bindings
        // (`withCredentials`, `credentials()`) are known to be exported.
        let variable = single_variable(kind, argument, text).filter(|variable| {
            kind != Kind::Jenkins || definition.secret_variables.contains_key(variable)
        });
        if let Some(variable) = variable {
            let secret = format!("--secret id={name},env={variable}");
            return Fix::new(
                Applicability::Unsafe,
                format!(
                    "pass `{name}` with `{secret}` instead of `--build-arg` (the Dockerfile reads it with `{mount}`)"
                ),
                vec![Edit::replace(argument.span, secret)],
            );
        }
        return Fix::display_only(format!(
            "pass `{name}` with `--secret id={name},env=<a variable that holds it>` instead of `--build-arg`, and read it with `{mount}`"
        ));
    }
    Fix::display_only(format!(
        "pass `{name}` as a build secret instead of a build arg (see the help), and read it with `{mount}`"
    ))
}

/// `VAR` when the source of `argument` is `--build-arg NAME=$VAR` (one
/// word or two, `=` after the flag, `${VAR}`, double quotes around
/// `NAME=…`) or `--build-arg NAME`: the value is exactly one environment
/// variable, which `--secret id=NAME,env=VAR` reads the same.
fn single_variable(kind: Kind, argument: &BuildArg, text: &str) -> Option<String> {
    let written = argument.span.slice(text);
    let rest = written.strip_prefix("--build-arg")?;
    let rest = match rest.strip_prefix('=') {
        Some(rest) => rest,
        None => {
            let trimmed = rest.trim_start_matches([' ', '\t']);
            if trimmed.len() == rest.len() {
                return None;
            }
            trimmed
        }
    };
    let body = match rest.strip_prefix('"') {
        Some(quoted) => quoted.strip_suffix('"')?,
        None => rest,
    };
    let valid = |word: &str| {
        !word.is_empty()
            && !word.starts_with(|ch: char| ch.is_ascii_digit())
            && word
                .chars()
                .all(|ch| ch.is_ascii_alphanumeric() || ch == '_')
    };
    let Some((written_name, value)) = body.split_once('=') else {
        return (body == argument.name && valid(body)).then(|| body.to_string());
    };
    if written_name != argument.name {
        return None;
    }
    let variable = value
        .strip_prefix("${")
        .and_then(|braced| braced.strip_suffix('}'))
        .or_else(|| value.strip_prefix('$'))?;
    // make reads `$V` as its own variable `V` followed by text: only `$$V`
    // reaches the shell, and that is not what is written here.
    if kind == Kind::Make {
        return None;
    }
    valid(variable).then(|| variable.to_string())
}

/// The edits that move a `build-args: |` line of a build-push-action step
/// to its `secrets: |` input. `None` when either input is written in a
/// form this does not rewrite (a sequence, a one-line string, folded).
fn move_to_secrets_input(
    invocation: &Invocation,
    argument: &BuildArg,
    text: &str,
) -> Option<Vec<Edit>> {
    let (args_key, args_value) = *invocation.inputs.get("build-args")?;
    if !block_literal(text, args_key, args_value) {
        return None;
    }
    let entry = argument.span.slice(text);
    let (line_start, line_end) = line_of(text, argument.span.start);
    // The entry is the whole line.
    if text[line_start..line_end].trim() != entry {
        return None;
    }
    let eol = crate::fix::edits::line_end(text);
    let full_line_end = after_line_end(text, line_end);
    let entry_indent = &text[line_start..argument.span.start];
    let (key_line_start, _) = line_of(text, args_key.start);
    let key_indent = &text[key_line_start..args_key.start];
    if !key_indent.chars().all(|ch| ch == ' ') {
        return None;
    }
    let lines = content_lines(text, args_key, args_value, key_indent.len());
    let (block_end, _) = lines.last().copied()?;
    let block_end = after_line_end(text, block_end);
    let mut edits = Vec::new();
    let only_line = lines.len() == 1;
    match invocation.inputs.get("secrets") {
        Some(&(secrets_key, secrets_value)) => {
            if !block_literal(text, secrets_key, secrets_value) {
                return None;
            }
            let (secrets_line, _) = line_of(text, secrets_key.start);
            let secrets_indent = secrets_key.start - secrets_line;
            let (last_end, last_start) =
                *content_lines(text, secrets_key, secrets_value, secrets_indent).last()?;
            let indent_end = last_start + text[last_start..last_end].len()
                - text[last_start..last_end].trim_start().len();
            let indent = &text[last_start..indent_end];
            edits.push(Edit::insert(last_end, format!("{eol}{indent}{entry}")));
        }
        None => {
            let secrets = format!("{key_indent}secrets: |{eol}{entry_indent}{entry}{eol}");
            if only_line {
                // `build-args` held nothing else: it becomes `secrets`.
                return Some(vec![Edit::replace(
                    Span::new(key_line_start, block_end),
                    secrets,
                )]);
            }
            edits.push(Edit::insert(block_end, secrets));
        }
    }
    if only_line {
        // `build-args` holds nothing else: it goes.
        edits.push(Edit::delete(Span::new(key_line_start, block_end)));
    } else {
        edits.push(Edit::delete(Span::new(line_start, full_line_end)));
    }
    // Two edits at one place: the insertion of a new `secrets:` where the
    // removed `build-args:` started goes first.
    edits.sort_by_key(|edit| (edit.span.start, !edit.span.is_empty()));
    if edits.windows(2).any(|pair| {
        pair[0].span.end > pair[1].span.start
            && !(pair[0].span.is_empty() && pair[0].span.start == pair[1].span.start)
    }) {
        return None;
    }
    Some(edits)
}

/// Whether the value of `key` is a literal block (`key: |`, `|-`, `|+`,
/// nothing else on the key's line): the scalar's span starts at its first
/// content line.
fn block_literal(text: &str, key: Span, value: Span) -> bool {
    let Some(between) = text.get(key.end..value.start) else {
        return false;
    };
    let Some(after_colon) = between.trim_start().strip_prefix(':') else {
        return false;
    };
    let Some((indicator, _)) = after_colon.split_once('\n') else {
        return false;
    };
    matches!(indicator.trim(), "|" | "|-" | "|+")
}

/// The byte range of the line holding `offset`, without its line end.
fn line_of(text: &str, offset: usize) -> (usize, usize) {
    let start = text[..offset].rfind('\n').map_or(0, |at| at + 1);
    let end = text[offset..]
        .find('\n')
        .map_or(text.len(), |at| offset + at);
    let end = if end > start && text.as_bytes()[end - 1] == b'\r' {
        end - 1
    } else {
        end
    };
    (start, end)
}

/// Past the line end at `end` (CRLF or LF), if any.
fn after_line_end(text: &str, end: usize) -> usize {
    let rest = &text[end..];
    if rest.starts_with("\r\n") {
        end + 2
    } else if rest.starts_with('\n') {
        end + 1
    } else {
        end
    }
}

/// The non-empty, non-comment lines of a block scalar after its indicator
/// line: (end of content, start of line), in order.
/// A line indented no deeper than `key_indent` (the key's) ends it,
/// whatever the scalar's span says.
fn content_lines(text: &str, key: Span, span: Span, key_indent: usize) -> Vec<(usize, usize)> {
    let mut found = Vec::new();
    let (_, indicator_end) = line_of(text, key.start);
    let mut at = after_line_end(text, indicator_end);
    while at < span.end.min(text.len()) {
        let (start, end) = line_of(text, at);
        let line = &text[start..end];
        let content = line.trim();
        if !content.is_empty() && line.len() - line.trim_start().len() <= key_indent {
            break;
        }
        if !content.is_empty() && !content.starts_with('#') {
            found.push((end, start));
        }
        let next = after_line_end(text, end);
        if next == at || next <= end && end == text.len() {
            break;
        }
        at = next;
    }
    found
}
