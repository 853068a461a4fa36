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
//!   inside `run:`, make's `$(VAR)`, kaniko, flyctl) gets a display-only
//!   fix that says what to write.
//! - A compose service's `build.args` entry `NAME: ${VAR}` / `- NAME=${VAR}`
//!   (or no value: the variable `NAME`) → `build.secrets: [NAME]` (created
//!   or appended) and a top-level `secrets:` entry `NAME: {environment:
//!   VAR}` (created or appended), in block style, with the file's
//!   indentation and line ends. Unsafe. Flow style and long-form secrets:
//!   [`super::fix_forms`]. Anchors, comments in the blocks touched, or a
//!   `NAME` secret declared otherwise: display-only.
//! - A bake HCL target's `args = { NAME = "${VAR}" }` entry → `secret =
//!   ["id=NAME,env=VAR"]` (created or appended). Unsafe. A bake variable
//!   with a default of its own, comments in the way, one-line objects:
//!   display-only. Bake JSON: [`super::fix_forms`].

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
    if let Some(service) = tool.strip_prefix("compose service ") {
        if kind == Kind::Compose {
            if let Some(edits) = compose_to_secrets(service, argument, text)
                .or_else(|| super::fix_forms::compose_to_secrets(service, argument, text))
            {
                return Fix::new(
                    Applicability::Unsafe,
                    format!(
                        "move `{name}` from `build.args` to `build.secrets` and a top-level `secrets:` entry read from the environment (the Dockerfile reads it with `{mount}`)"
                    ),
                    edits,
                );
            }
        }
        return Fix::display_only(format!(
            "move `{name}` from `build.args` to `build.secrets: [{name}]`, declare it at the top level (`secrets: {{{name}: {{environment: {name}}}}}`), and read it with `{mount}`"
        ));
    }
    if let Some(target) = tool.strip_prefix("bake target ") {
        if kind == Kind::Bake {
            if let Some(edits) = bake_to_secret(target, argument, text)
                .or_else(|| super::fix_forms::bake_json_to_secret(target, argument, text))
            {
                return Fix::new(
                    Applicability::Unsafe,
                    format!(
                        "move `{name}` from `args` to `secret` (the Dockerfile reads it with `{mount}`)"
                    ),
                    edits,
                );
            }
        }
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

/// `fix` (of a DLK011 finding on `argument` of `invocation`, in the
/// definition at `path`) with its Dockerfile side, so that one run leaves
/// a consistent pair: when the Dockerfile the invocation builds is found
/// on disk and declares `ARG NAME`, that ARG's rewrite to
/// `--mount=type=secret,id=NAME,env=NAME`
/// ([`crate::fix::rewrites::named_arg_to_secret_mount`], whatever the ARG
/// is named: DLK003 may not report it) joins the fix as edits of that
/// file. When the Dockerfile side cannot be rewritten, the fix becomes
/// display-only and says why: the definition is not changed alone. A
/// Dockerfile that declares no such ARG (or was fixed already) leaves the
/// fix as it is, and so does a display-only fix.
pub fn pair_with_dockerfile(
    kind: Kind,
    path: &str,
    invocation: &Invocation,
    argument: &BuildArg,
    fix: Fix,
    config: &crate::config::Config,
) -> Fix {
    if !fix.applies(true) || path == "<stdin>" || path.is_empty() {
        return fix;
    }
    let Some(target) =
        super::correlate::dockerfile_of(kind, std::path::Path::new(path), invocation)
    else {
        return fix;
    };
    let target = crate::config::normalize_lexically(&target);
    if std::path::absolute(&target).is_ok_and(|absolute| {
        config
            .exclude
            .is_excluded(&crate::config::normalize_lexically(&absolute))
    }) {
        return fix;
    }
    let Ok(docker_text) = std::fs::read_to_string(&target) else {
        return fix;
    };
    let shown = target.to_string_lossy().into_owned();
    let Some(side) = crate::lint::arg_secret_fix(&shown, &docker_text, &argument.name, config)
    else {
        return fix;
    };
    if !side.applies(true) {
        let mut by_hand = Fix::display_only(format!(
            "{} (not applied: the Dockerfile side in `{shown}` must be done by hand too: {})",
            fix.message, side.message
        ));
        by_hand.build_note = fix.build_note;
        return by_hand;
    }
    let lines = crate::source::LineIndex::new(&docker_text);
    let mut edits = fix.edits;
    edits.extend(side.edits.into_iter().map(|edit| Edit {
        file: Some(crate::fix::OtherFile::new(
            shown.as_str(),
            &docker_text,
            &lines,
            edit.span,
        )),
        ..edit
    }));
    let mut paired = Fix::new(
        fix.applicability,
        format!("{}; in `{shown}`: {}", fix.message, side.message),
        edits,
    );
    paired.build_note = fix.build_note;
    paired
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
pub(super) fn line_of(text: &str, offset: usize) -> (usize, usize) {
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
pub(super) fn after_line_end(text: &str, end: usize) -> usize {
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

/// `VAR` when `written` is exactly `${VAR}` or `$VAR` (optionally in
/// matching quotes), or empty (`fallback`, the arg's own name).
pub(super) fn whole_variable(written: &str, fallback: &str) -> Option<String> {
    let valid = |word: &str| {
        !word.is_empty()
            && !word.starts_with(|ch: char| ch.is_ascii_digit())
            && word
                .chars()
                .all(|ch| ch.is_ascii_alphanumeric() || ch == '_')
    };
    if written.is_empty() {
        return valid(fallback).then(|| fallback.to_string());
    }
    let unquoted = ['"', '\'']
        .iter()
        .find_map(|quote| {
            written
                .strip_prefix(*quote)
                .and_then(|rest| rest.strip_suffix(*quote))
        })
        .unwrap_or(written);
    let variable = unquoted
        .strip_prefix("${")
        .and_then(|braced| braced.strip_suffix('}'))
        .or_else(|| unquoted.strip_prefix('$'))?;
    valid(variable).then(|| variable.to_string())
}

/// Indentation (spaces only) of the line starting at `line_start`.
pub(super) fn indent_at(text: &str, line_start: usize) -> Option<&str> {
    let line = &text[line_start..];
    let width = line.len() - line.trim_start_matches(' ').len();
    let indent = &line[..width];
    (!line[width..].starts_with('\t')).then_some(indent)
}

/// The non-blank lines after the line holding `key_start`, while they are
/// indented deeper than `key_indent` or are comments: (start, end without
/// line end).
pub(super) fn block_lines(text: &str, key_start: usize, key_indent: usize) -> Vec<(usize, usize)> {
    let mut found = Vec::new();
    let (_, key_end) = line_of(text, key_start);
    let mut at = after_line_end(text, key_end);
    while at < text.len() {
        let (start, end) = line_of(text, at);
        let line = &text[start..end];
        if !line.trim().is_empty() {
            // A comment belongs to the block whatever its indentation (and
            // then makes it one this does not rewrite).
            if line.len() - line.trim_start().len() <= key_indent
                && !line.trim_start().starts_with('#')
            {
                break;
            }
            found.push((start, end));
        }
        let next = after_line_end(text, end);
        if next == at {
            break;
        }
        at = next;
    }
    found
}

/// Whether a block's lines hold anything this does not rewrite around:
/// comments, anchors, aliases, merge keys, flow collections, tabs.
pub(super) fn plain_block(text: &str, lines: &[(usize, usize)]) -> bool {
    lines.iter().all(|&(start, end)| {
        let line = text[start..end].trim();
        !line.contains(['#', '&', '*', '{', '}', '[', ']', '|', '>', '\t'])
            && !line.starts_with("<<")
    })
}

/// The edits that move a compose service's `build.args` entry to
/// `build.secrets` and a top-level `secrets:` entry read from the
/// environment. `None` when the file's shape is not a plain block one.
fn compose_to_secrets(service: &str, argument: &BuildArg, text: &str) -> Option<Vec<Edit>> {
    use super::fix_forms::{build_args, single_document, BuildArgs};
    use super::yaml::{self, Node};
    // A document marker would put an appended top-level key elsewhere.
    let document = single_document(text)?;
    let eol = crate::fix::edits::line_end(text);
    // Not through an anchor (an edit would change every user of it).
    let BuildArgs {
        services,
        build_key,
        build_entries,
        args_key,
    } = build_args(&document, text, service)?;
    let (build_line, _) = line_of(text, build_key.span.start);
    let build_indent = indent_at(text, build_line)?;
    if build_line + build_indent.len() != build_key.span.start {
        return None;
    }
    let key_line = |key: &yaml::Scalar, name: &str| -> Option<(usize, usize)> {
        let (start, end) = line_of(text, key.span.start);
        (text[start..end].trim() == format!("{name}:")).then_some((start, end))
    };
    let (args_line, _) = key_line(args_key, "args")?;
    let args_indent = indent_at(text, args_line)?;
    let args_lines = block_lines(text, args_line, args_indent.len());
    let name = argument.name.as_str();
    // The arg's own line, written in a form this reads back exactly.
    let (entry_start, entry_end) = *args_lines
        .iter()
        .find(|&&(start, end)| start <= argument.span.start && argument.span.start <= end)?;
    let entry = text[entry_start..entry_end].trim();
    let variable = if let Some(item) = entry.strip_prefix("- ") {
        let item = ['"', '\'']
            .iter()
            .find_map(|quote| {
                item.strip_prefix(*quote)
                    .and_then(|rest| rest.strip_suffix(*quote))
            })
            .unwrap_or(item);
        match item.split_once('=') {
            Some((written, value)) if written == name => whole_variable(value, name)?,
            None if item == name => whole_variable("", name)?,
            _ => return None,
        }
    } else {
        let value = entry.strip_prefix(name)?.strip_prefix(':')?;
        if !value.is_empty() && !value.starts_with(' ') {
            return None;
        }
        whole_variable(value.trim(), name)?
    };
    let others: Vec<_> = args_lines
        .iter()
        .filter(|&&(start, _)| start != entry_start)
        .copied()
        .collect();
    if !plain_block(text, &others) {
        return None;
    }
    let entry_indent = indent_at(text, entry_start)?;
    // The new sequence's items sit where the args' entries did.
    let item_indent = entry_indent;
    let only_entry = args_lines.len() == 1;
    let args_block_end = after_line_end(text, args_lines.last()?.1);
    let mut edits = Vec::new();
    // build.secrets
    match build_entries.iter().find(|(key, _)| key.value == "secrets") {
        Some((secrets_key, secrets)) => {
            if !super::fix_forms::in_place(text, &[build_key.span, secrets_key.span]) {
                return None;
            }
            if secrets
                .items()
                .iter()
                .any(|item| item.as_str() == Some(name))
            {
                // Already there: only the arg goes.
            } else {
                let (secrets_line, _) = key_line(secrets_key, "secrets")?;
                let secrets_indent = indent_at(text, secrets_line)?;
                let lines = block_lines(text, secrets_line, secrets_indent.len());
                if !plain_block(text, &lines) || lines.is_empty() {
                    return None;
                }
                let &(last_start, last_end) = lines.last()?;
                let last = &text[last_start..last_end];
                if !last.trim_start().starts_with("- ") {
                    return None;
                }
                let indent = indent_at(text, last_start)?;
                edits.push(Edit::insert(last_end, format!("{eol}{indent}- {name}")));
            }
        }
        None => {
            let block = format!("{args_indent}secrets:{eol}{item_indent}- {name}{eol}");
            if only_entry {
                edits.push(Edit::replace(Span::new(args_line, args_block_end), block));
            } else {
                edits.push(Edit::insert(args_block_end, block));
            }
        }
    }
    if !edits.iter().any(|edit| edit.span.start == args_line) {
        if only_entry {
            edits.push(Edit::delete(Span::new(args_line, args_block_end)));
        } else {
            edits.push(Edit::delete(Span::new(
                entry_start,
                after_line_end(text, entry_end),
            )));
        }
    }
    // The top-level `secrets:` entry.
    let unit = indent_at(
        text,
        line_of(text, services.entries().first()?.0.span.start).0,
    )?;
    if unit.is_empty() {
        return None;
    }
    match document
        .entries()
        .iter()
        .find(|(key, _)| key.value == "secrets")
    {
        Some((top_key, top)) => {
            if let Some((_, declared)) = top.entries().iter().find(|(key, _)| key.value == name) {
                // Declared already: only if it reads the same variable.
                if declared.get("environment").and_then(Node::as_str) != Some(variable.as_str()) {
                    return None;
                }
            } else {
                let (top_line, _) = key_line(top_key, "secrets")?;
                if top_line != top_key.span.start {
                    return None;
                }
                let lines = block_lines(text, top_line, 0);
                if !plain_block(text, &lines) || lines.is_empty() {
                    return None;
                }
                let entry_unit = indent_at(text, lines[0].0)?;
                let inner_unit = lines
                    .get(1)
                    .and_then(|&(start, _)| indent_at(text, start))
                    .filter(|indent| indent.len() > entry_unit.len())
                    .map_or_else(|| format!("{entry_unit}{entry_unit}"), str::to_string);
                let &(_, last_end) = lines.last()?;
                edits.push(Edit::insert(
                    last_end,
                    format!("{eol}{entry_unit}{name}:{eol}{inner_unit}environment: {variable}"),
                ));
            }
        }
        None => {
            let lead = if text.is_empty() || text.ends_with('\n') {
                ""
            } else {
                eol
            };
            edits.push(Edit::insert(
                text.len(),
                format!(
                    "{lead}secrets:{eol}{unit}{name}:{eol}{unit}{unit}environment: {variable}{eol}"
                ),
            ));
        }
    }
    edits.sort_by_key(|edit| (edit.span.start, !edit.span.is_empty()));
    if edits
        .windows(2)
        .any(|pair| pair[0].span.end > pair[1].span.start)
    {
        return None;
    }
    Some(edits)
}

/// The edits that move a bake HCL target's `args` entry to its `secret`
/// list (`id=NAME,env=VAR`). `None` for any other shape.
fn bake_to_secret(target: &str, argument: &BuildArg, text: &str) -> Option<Vec<Edit>> {
    use hcl_edit::expr::Expression;
    use hcl_edit::structure::{BlockLabel, Structure};
    use hcl_edit::Span as _;
    let body = hcl_edit::parser::parse_body(text).ok()?;
    let label = |block: &hcl_edit::structure::Block| {
        block.labels.first().map(|label| match label {
            BlockLabel::Ident(ident) => ident.as_str().to_string(),
            BlockLabel::String(string) => string.as_str().to_string(),
        })
    };
    let block = body.iter().find_map(|structure| match structure {
        Structure::Block(block)
            if block.ident.as_str() == "target" && label(block).as_deref() == Some(target) =>
        {
            Some(block)
        }
        _ => None,
    })?;
    let name = argument.name.as_str();
    let args = block
        .body
        .attributes()
        .find(|attribute| attribute.key.as_str() == "args")?;
    let Expression::Object(object) = &args.value else {
        return None;
    };
    let object_span = object.span()?;
    let (args_line, args_line_end) = line_of(text, args.key.span()?.start);
    let args_indent = indent_at(text, args_line)?;
    if text[args_line..args_line_end].trim() != "args = {" {
        return None;
    }
    let (close_line, close_end) = line_of(text, object_span.end.saturating_sub(1));
    if text[close_line..close_end].trim() != "}" {
        return None;
    }
    let (entry_start, entry_end) = line_of(text, argument.name_span.start);
    let entry = text[entry_start..entry_end].trim();
    let entry = entry.strip_suffix(',').unwrap_or(entry);
    let (written_name, value) = entry.split_once('=')?;
    let written_name = written_name.trim();
    if written_name != name && written_name != format!("\"{name}\"") {
        return None;
    }
    let value = value.trim();
    let inner = value.strip_prefix('"')?.strip_suffix('"')?;
    let variable = whole_variable(inner, name).filter(|_| inner.starts_with("${"))?;
    // A bake variable with a default of its own is not the environment's.
    let defaulted = body.iter().any(|structure| match structure {
        Structure::Block(block) if block.ident.as_str() == "variable" => {
            label(block).as_deref() == Some(variable.as_str())
                && block.body.attributes().any(|attribute| {
                    attribute.key.as_str() == "default"
                        && !matches!(&attribute.value, Expression::String(s) if s.is_empty())
                })
        }
        _ => false,
    });
    if defaulted {
        return None;
    }
    let eol = crate::fix::edits::line_end(text);
    let only_entry = object.len() == 1;
    // Removing the whole `args` loses nothing else (a comment line).
    if only_entry
        && (after_line_end(text, args_line_end) != entry_start
            || after_line_end(text, entry_end) != close_line)
    {
        return None;
    }
    let args_end = after_line_end(text, close_end);
    let secret = format!("\"id={name},env={variable}\"");
    let mut edits = Vec::new();
    match block
        .body
        .attributes()
        .find(|attribute| attribute.key.as_str() == "secret")
    {
        Some(attribute) => {
            let Expression::Array(array) = &attribute.value else {
                return None;
            };
            let array_span = array.span()?;
            let close = array_span.end.checked_sub(1)?;
            if text.as_bytes().get(close) != Some(&b']') {
                return None;
            }
            match array.iter().last() {
                Some(last) => {
                    let last_end = last.span()?.end;
                    let between = &text[last_end..close];
                    if between.contains(['#', '/']) {
                        return None;
                    }
                    edits.push(Edit::insert(last_end, format!(", {secret}")));
                }
                None => {
                    if !text[array_span.start + 1..close].trim().is_empty() {
                        return None;
                    }
                    edits.push(Edit::replace(
                        Span::new(array_span.start, array_span.end),
                        format!("[{secret}]"),
                    ));
                }
            }
        }
        None => {
            let line = format!("{args_indent}secret = [{secret}]{eol}");
            if only_entry {
                edits.push(Edit::replace(Span::new(args_line, args_end), line));
            } else {
                edits.push(Edit::insert(args_end, line));
            }
        }
    }
    if !edits.iter().any(|edit| edit.span.start == args_line) {
        if only_entry {
            edits.push(Edit::delete(Span::new(args_line, args_end)));
        } else {
            edits.push(Edit::delete(Span::new(
                entry_start,
                after_line_end(text, entry_end),
            )));
        }
    }
    edits.sort_by_key(|edit| (edit.span.start, !edit.span.is_empty()));
    if edits
        .windows(2)
        .any(|pair| pair[0].span.end > pair[1].span.start)
    {
        return None;
    }
    Some(edits)
}
