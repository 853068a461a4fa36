//! More shapes of the compose and bake fixes of DLK011 (see
//! [`super::fixes`]), tried when the plain block-style rewrite does not
//! apply:
//!
//! - compose `build.args` in flow style (`args: {A: b}`, `args: [A=b]`) or
//!   block style, with `build.secrets` absent, a block list (short form
//!   `- id` or long form `- source: x\n  target: y`) or a flow list, and the
//!   top-level `secrets:` absent, a block mapping (its entries in any form)
//!   or a flow mapping. Anchors, aliases, merge keys and comments in the
//!   parts touched keep the fix display-only, as does a `NAME` secret
//!   declared from something else.
//! - bake JSON (`docker-bake.json`): a target's `"args": {"NAME":
//!   "${VAR}"}` member → `"secret": ["id=NAME,env=VAR"]` (created or
//!   appended), with edits that keep the JSON valid. A bake variable with a
//!   default of its own keeps it display-only.

use super::fixes::{after_line_end, block_lines, indent_at, line_of, plain_block, whole_variable};
use super::yaml::{self, Node};
use super::BuildArg;
use crate::fix::Edit;
use crate::source::Span;

/// A flow collection (YAML flow or JSON) opened at `open`: the offset of
/// its closing bracket and its top-level items (trimmed, empty ones left
/// out). `None` when it is not closed, or (YAML) holds a comment, an anchor,
/// an alias or a tab.
fn flow_items(text: &str, open: usize, json: bool) -> Option<(usize, Vec<(usize, usize)>)> {
    let bytes = text.as_bytes();
    if !matches!(bytes.get(open), Some(b'{' | b'[')) {
        return None;
    }
    let mut depth = 0usize;
    let mut items = Vec::new();
    let mut item_start = open + 1;
    let push = |start: usize, end: usize, items: &mut Vec<(usize, usize)>| {
        let slice = &text[start..end];
        let trimmed = slice.trim();
        if !trimmed.is_empty() {
            let lead = slice.len() - slice.trim_start().len();
            items.push((start + lead, start + lead + trimmed.len()));
        }
    };
    let mut at = open;
    while at < bytes.len() {
        match bytes[at] {
            b'"' => {
                at += 1;
                while at < bytes.len() && bytes[at] != b'"' {
                    if bytes[at] == b'\\' {
                        at += 1;
                    }
                    at += 1;
                }
                if at >= bytes.len() {
                    return None;
                }
            }
            b'\'' if !json => {
                at += 1;
                while at < bytes.len() && bytes[at] != b'\'' {
                    at += 1;
                }
                if at >= bytes.len() {
                    return None;
                }
            }
            b'{' | b'[' => depth += 1,
            b'}' | b']' => {
                depth = depth.checked_sub(1)?;
                if depth == 0 {
                    push(item_start, at, &mut items);
                    return Some((at, items));
                }
            }
            b',' if depth == 1 => {
                push(item_start, at, &mut items);
                item_start = at + 1;
            }
            b'#' | b'&' | b'*' | b'\t' if !json => return None,
            _ => {}
        }
        at += 1;
    }
    None
}

/// Where the value of the key ending at `key_end` starts: past `:` and
/// spaces. Offset of a line end (or the text's end) for a block value.
fn value_start(text: &str, key_end: usize) -> Option<usize> {
    let rest = text.get(key_end..)?;
    let after_space = rest.trim_start_matches([' ', '\t']);
    let after_colon = after_space.strip_prefix(':')?;
    let value = after_colon.trim_start_matches([' ', '\t']);
    Some(text.len() - value.len())
}

/// The edit that removes item `index` of a flow collection with more than
/// one item, with the comma that separates it.
fn remove_item(items: &[(usize, usize)], index: usize) -> Option<Edit> {
    if items.len() < 2 {
        return None;
    }
    let span = if index + 1 < items.len() {
        Span::new(items[index].0, items[index + 1].0)
    } else {
        Span::new(items[index - 1].1, items[index].1)
    };
    Some(Edit::delete(span))
}

/// The edit that adds `item` at the end of a flow collection.
fn append_item(close: usize, open: usize, items: &[(usize, usize)], item: &str) -> Edit {
    match items.last() {
        Some(&(_, end)) => Edit::insert(end, format!(", {item}")),
        None => Edit::replace(Span::new(open + 1, close), item.to_string()),
    }
}

/// Quotes removed from a YAML flow scalar written plainly or in matching
/// quotes (no escapes).
fn unquoted(written: &str) -> &str {
    ['"', '\'']
        .iter()
        .find_map(|quote| {
            written
                .strip_prefix(*quote)
                .and_then(|rest| rest.strip_suffix(*quote))
                .filter(|inner| !inner.contains(['\\', *quote]))
        })
        .unwrap_or(written)
}

/// Whether the lines hold a comment, an anchor, an alias, a merge key, a
/// block scalar indicator or a tab: a block this does not append to.
fn appendable(text: &str, lines: &[(usize, usize)]) -> bool {
    !lines.is_empty()
        && lines.iter().all(|&(start, end)| {
            let line = text[start..end].trim();
            !line.contains(['#', '&', '*', '\t'])
                && !line.contains("<<")
                && !line.ends_with(['|', '>'])
                && !line.ends_with("|-")
                && !line.ends_with(">-")
        })
}

/// Whether each key of a path (`services` → the service → `build` →
/// `args`) is written after the one before, with no anchor, alias or merge
/// key between them: the nodes are the file's own, not copies of an
/// anchor's (which an edit would change for every user of the anchor).
pub(super) fn in_place(text: &str, keys: &[Span]) -> bool {
    keys.windows(2).all(|pair| {
        pair[0].end <= pair[1].start
            && text
                .get(pair[0].end..pair[1].start)
                .is_some_and(|between| !between.contains(['&', '*']) && !between.contains("<<"))
    })
}

/// The one document of a compose file, when a top-level key appended to
/// the text is one of it: no document marker (`---`, `...`).
pub(super) fn single_document(text: &str) -> Option<Node> {
    let mut documents = yaml::parse(text).ok()?;
    if documents.len() != 1
        || text
            .lines()
            .any(|line| line.starts_with("---") || line.starts_with("..."))
    {
        return None;
    }
    documents.pop()
}

/// A service's `build` mapping and its `args` key, found by
/// [`build_args`].
pub(super) struct BuildArgs<'a> {
    /// The top-level `services` mapping.
    pub services: &'a Node,
    pub build_key: &'a yaml::Scalar,
    pub build_entries: &'a [(yaml::Scalar, Node)],
    pub args_key: &'a yaml::Scalar,
}

/// `services.SERVICE.build.args` of a compose `document` (of `text`), when
/// `services` starts a line, `build` is a mapping and the path is the
/// file's own ([`in_place`]).
pub(super) fn build_args<'a>(
    document: &'a Node,
    text: &str,
    service: &str,
) -> Option<BuildArgs<'a>> {
    let (services_key, services) = document
        .entries()
        .iter()
        .find(|(key, _)| key.value == "services")?;
    if line_of(text, services_key.span.start).0 != services_key.span.start {
        return None;
    }
    let (service_key, body) = services
        .entries()
        .iter()
        .find(|(key, _)| key.value == service)?;
    let (build_key, build) = body
        .entries()
        .iter()
        .find(|(key, _)| key.value == "build")?;
    let Node::Mapping(build_entries, _) = build else {
        return None;
    };
    let (args_key, _) = build_entries.iter().find(|(key, _)| key.value == "args")?;
    let path = [
        services_key.span,
        service_key.span,
        build_key.span,
        args_key.span,
    ];
    in_place(text, &path).then_some(BuildArgs {
        services,
        build_key,
        build_entries,
        args_key,
    })
}

/// Whether only spaces follow `at` on its line.
fn rest_of_line_blank(text: &str, at: usize) -> bool {
    let (_, end) = line_of(text, at);
    text[at..end].trim().is_empty()
}

/// The compose fix for the forms [`super::fixes`]' block rewrite leaves
/// alone (see the module's documentation).
pub(super) fn compose_to_secrets(
    service: &str,
    argument: &BuildArg,
    text: &str,
) -> Option<Vec<Edit>> {
    let document = single_document(text)?;
    let eol = crate::fix::edits::line_end(text);
    let name = argument.name.as_str();
    let BuildArgs {
        services,
        build_key,
        build_entries,
        args_key,
    } = build_args(&document, text, service)?;
    let unit = indent_at(
        text,
        line_of(text, services.entries().first()?.0.span.start).0,
    )?;
    if unit.is_empty() {
        return None;
    }
    let (args_line, _) = line_of(text, args_key.span.start);
    let args_indent = indent_at(text, args_line)?;
    // `build:` is a block mapping: its `args` key starts a line.
    if args_line + args_indent.len() != args_key.span.start {
        return None;
    }
    let mut edits = Vec::new();
    let args_at = value_start(text, args_key.span.end)?;
    // (the variable, where a new `build.secrets` goes, the span that
    // removing `args` as a whole deletes when the entry was its only one,
    // whether the args were in flow style, the indent of new items)
    let variable;
    let secrets_at;
    let whole_args: Option<Span>;
    let flow;
    let item_indent: String;
    match text.as_bytes().get(args_at) {
        Some(b'{' | b'[') => {
            flow = true;
            let mapping = text.as_bytes()[args_at] == b'{';
            let (close, items) = flow_items(text, args_at, false)?;
            if !rest_of_line_blank(text, close + 1) {
                return None;
            }
            let index = items.iter().position(|&(start, end)| {
                start <= argument.name_span.start && argument.name_span.start < end
            })?;
            let (start, end) = items[index];
            let item = &text[start..end];
            variable = if mapping {
                match item.split_once(':') {
                    Some((key, value)) => {
                        if unquoted(key.trim()) != name
                            || !(value.is_empty() || value.starts_with([' ', '\n', '\r']))
                        {
                            return None;
                        }
                        whole_variable(value.trim(), name)?
                    }
                    None if unquoted(item) == name => whole_variable("", name)?,
                    None => return None,
                }
            } else {
                let item = unquoted(item);
                match item.split_once('=') {
                    Some((written, value)) if written == name => whole_variable(value, name)?,
                    None if item == name => whole_variable("", name)?,
                    _ => return None,
                }
            };
            let (_, close_end) = line_of(text, close);
            secrets_at = after_line_end(text, close_end);
            if items.len() == 1 {
                whole_args = Some(Span::new(args_line, secrets_at));
            } else {
                whole_args = None;
                edits.push(remove_item(&items, index)?);
            }
            item_indent = format!("{args_indent}{unit}");
        }
        Some(b'\n' | b'\r') | None => {
            flow = false;
            let args_lines = block_lines(text, args_line, args_indent.len());
            let (entry_start, entry_end) = *args_lines.iter().find(|&&(start, end)| {
                start <= argument.span.start && argument.span.start <= end
            })?;
            let entry = text[entry_start..entry_end].trim();
            variable = if let Some(item) = entry.strip_prefix("- ") {
                let item = unquoted(item);
                match item.split_once('=') {
                    Some((written, value)) if written == name => whole_variable(value, name)?,
                    None if item == name => whole_variable("", name)?,
                    _ => return None,
                }
            } else {
                let value = unquoted_key(entry, name)?;
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
            secrets_at = after_line_end(text, args_lines.last()?.1);
            if args_lines.len() == 1 {
                whole_args = Some(Span::new(args_line, secrets_at));
            } else {
                whole_args = None;
                edits.push(Edit::delete(Span::new(
                    entry_start,
                    after_line_end(text, entry_end),
                )));
            }
            item_indent = indent_at(text, entry_start)?.to_string();
        }
        _ => return None,
    }
    // build.secrets
    let mut replaces_args = false;
    match build_entries.iter().find(|(key, _)| key.value == "secrets") {
        Some((secrets_key, secrets)) => {
            if !in_place(text, &[build_key.span, secrets_key.span]) {
                return None;
            }
            let listed = secrets.items().iter().any(|item| {
                item.as_str() == Some(name)
                    || item.get("source").and_then(Node::as_str) == Some(name)
            });
            if !listed {
                let at = value_start(text, secrets_key.span.end)?;
                match text.as_bytes().get(at) {
                    Some(b'[') => {
                        let (close, items) = flow_items(text, at, false)?;
                        edits.push(append_item(close, at, &items, name));
                    }
                    Some(b'\n' | b'\r') | None => {
                        let (secrets_line, _) = line_of(text, secrets_key.span.start);
                        let secrets_indent = indent_at(text, secrets_line)?;
                        if secrets_line + secrets_indent.len() != secrets_key.span.start {
                            return None;
                        }
                        let lines = block_lines(text, secrets_line, secrets_indent.len());
                        if !appendable(text, &lines) {
                            return None;
                        }
                        let first = text[lines[0].0..lines[0].1].trim_start();
                        if !first.starts_with("- ") && first != "-" {
                            return None;
                        }
                        let dash = indent_at(text, lines[0].0)?;
                        let &(_, last_end) = lines.last()?;
                        edits.push(Edit::insert(last_end, format!("{eol}{dash}- {name}")));
                    }
                    _ => return None,
                }
            }
        }
        None => {
            let block = if flow {
                format!("{args_indent}secrets: [{name}]{eol}")
            } else {
                format!("{args_indent}secrets:{eol}{item_indent}- {name}{eol}")
            };
            match whole_args {
                Some(span) => {
                    edits.push(Edit::replace(span, block));
                    replaces_args = true;
                }
                None => edits.push(Edit::insert(secrets_at, block)),
            }
        }
    }
    if let (Some(span), false) = (whole_args, replaces_args) {
        edits.push(Edit::delete(span));
    }
    // The top-level `secrets:` entry.
    let declaration = format!("{{environment: {variable}}}");
    match document
        .entries()
        .iter()
        .find(|(key, _)| key.value == "secrets")
    {
        Some((top_key, top)) => {
            if let Some((_, declared)) = top.entries().iter().find(|(key, _)| key.value == name) {
                if declared.get("environment").and_then(Node::as_str) != Some(variable.as_str()) {
                    return None;
                }
            } else {
                if line_of(text, top_key.span.start).0 != top_key.span.start {
                    return None;
                }
                let at = value_start(text, top_key.span.end)?;
                match text.as_bytes().get(at) {
                    Some(b'{') => {
                        let (close, items) = flow_items(text, at, false)?;
                        edits.push(append_item(
                            close,
                            at,
                            &items,
                            &format!("{name}: {declaration}"),
                        ));
                    }
                    Some(b'\n' | b'\r') | None => {
                        let lines = block_lines(text, top_key.span.start, 0);
                        if !appendable(text, &lines) {
                            return None;
                        }
                        let entry_unit = indent_at(text, lines[0].0)?;
                        if entry_unit.is_empty() {
                            return None;
                        }
                        let &(_, last_end) = lines.last()?;
                        edits.push(Edit::insert(
                            last_end,
                            format!(
                                "{eol}{entry_unit}{name}:{eol}{entry_unit}{entry_unit}environment: {variable}"
                            ),
                        ));
                    }
                    _ => return None,
                }
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
    sorted_disjoint(edits)
}

/// The value after `NAME:` (the key plain or quoted) of a block mapping
/// entry written on one line.
fn unquoted_key<'a>(entry: &'a str, name: &str) -> Option<&'a str> {
    for written in [name.to_string(), format!("\"{name}\""), format!("'{name}'")] {
        if let Some(value) = entry
            .strip_prefix(written.as_str())
            .and_then(|rest| rest.trim_start_matches(' ').strip_prefix(':'))
        {
            if value.is_empty() || value.starts_with(' ') {
                return Some(value);
            }
        }
    }
    None
}

fn sorted_disjoint(mut edits: Vec<Edit>) -> Option<Vec<Edit>> {
    edits.sort_by_key(|edit| (edit.span.start, !edit.span.is_empty()));
    if edits
        .windows(2)
        .any(|pair| pair[0].span.end > pair[1].span.start)
    {
        return None;
    }
    Some(edits)
}

/// A JSON object member `"key": value` written at `start..end`: its key
/// and where its value starts.
fn json_member(text: &str, start: usize, end: usize) -> Option<(String, usize)> {
    let member = &text[start..end];
    if !member.starts_with('"') {
        return None;
    }
    let bytes = member.as_bytes();
    let mut at = 1;
    while at < bytes.len() && bytes[at] != b'"' {
        if bytes[at] == b'\\' {
            at += 1;
        }
        at += 1;
    }
    let key: String = serde_json::from_str(member.get(..=at)?).ok()?;
    let value = value_start(text, start + at + 1)?;
    let value = value + text[value..].len() - text[value..].trim_start().len();
    Some((key, value))
}

/// A JSON object member: its key, its span, where its value starts.
type Member = (String, Span, usize);

/// The members of the JSON object at `open`: (key, member span, value
/// start), and the offset of its closing brace.
fn json_members(text: &str, open: usize) -> Option<(usize, Vec<Member>)> {
    if text.as_bytes().get(open) != Some(&b'{') {
        return None;
    }
    let (close, items) = flow_items(text, open, true)?;
    let members = items
        .iter()
        .map(|&(start, end)| {
            json_member(text, start, end).map(|(key, value)| (key, Span::new(start, end), value))
        })
        .collect::<Option<Vec<_>>>()?;
    Some((close, members))
}

/// The one member named `key` (`None` when absent or repeated).
fn member<'a>(members: &'a [Member], key: &str) -> Option<(usize, &'a Member)> {
    let mut found = members
        .iter()
        .enumerate()
        .filter(|(_, (name, _, _))| name == key);
    let first = found.next()?;
    found.next().is_none().then_some(first)
}

/// The bake JSON fix: a target's `"args"` entry `"NAME": "${VAR}"` →
/// `"secret": ["id=NAME,env=VAR"]`.
pub(super) fn bake_json_to_secret(
    target: &str,
    argument: &BuildArg,
    text: &str,
) -> Option<Vec<Edit>> {
    let parsed: serde_json::Value = serde_json::from_str(text).ok()?;
    let name = argument.name.as_str();
    let written = parsed
        .get("target")?
        .get(target)?
        .get("args")?
        .get(name)?
        .as_str()?;
    let variable = whole_variable(written, name).filter(|_| written.starts_with("${"))?;
    // A bake variable with a default of its own is not the environment's.
    if let Some(declared) = parsed.get("variable").and_then(|all| all.get(&variable)) {
        match declared.get("default") {
            None | Some(serde_json::Value::Null) => {}
            Some(serde_json::Value::String(default)) if default.is_empty() => {}
            Some(_) => return None,
        }
    }
    let root = text.len() - text.trim_start().len();
    let (_, root_members) = json_members(text, root)?;
    let (_, (_, _, targets_at)) = member(&root_members, "target")?;
    let (_, targets) = json_members(text, *targets_at)?;
    let (_, (_, _, target_at)) = member(&targets, target)?;
    let (_, members) = json_members(text, *target_at)?;
    let (args_index, (_, args_span, args_at)) = member(&members, "args")?;
    let (_, args) = json_members(text, *args_at)?;
    let (arg_index, (_, _, value_at)) = member(&args, name)?;
    let value: String =
        serde_json::from_str(text.get(*value_at..args[arg_index].1.end)?.trim_end()).ok()?;
    if value != written {
        return None;
    }
    let secret = serde_json::to_string(&format!("id={name},env={variable}")).ok()?;
    let mut edits = Vec::new();
    let only_arg = args.len() == 1;
    match member(&members, "secret") {
        Some((_, (_, _, secret_at))) => {
            let (close, items) = flow_items(text, *secret_at, true)?;
            if text.as_bytes()[*secret_at] != b'[' {
                return None;
            }
            edits.push(append_item(close, *secret_at, &items, &secret));
            if only_arg {
                let spans: Vec<(usize, usize)> = members
                    .iter()
                    .map(|(_, span, _)| (span.start, span.end))
                    .collect();
                edits.push(remove_item(&spans, args_index)?);
            }
        }
        None if only_arg => {
            edits.push(Edit::replace(*args_span, format!("\"secret\": [{secret}]")));
        }
        None => {
            // The separator the file uses between members.
            let separator = if args_index + 1 < members.len() {
                &text[args_span.end..members[args_index + 1].1.start]
            } else if args_index > 0 {
                &text[members[args_index - 1].1.end..args_span.start]
            } else {
                ", "
            };
            edits.push(Edit::insert(
                args_span.end,
                format!("{separator}\"secret\": [{secret}]"),
            ));
        }
    }
    if !only_arg {
        let spans: Vec<(usize, usize)> = args
            .iter()
            .map(|(_, span, _)| (span.start, span.end))
            .collect();
        edits.push(remove_item(&spans, arg_index)?);
    }
    sorted_disjoint(edits)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flow_items_split_at_top_level_commas() {
        let text = "x: {A: \"a,b\", B: [1, 2], 'C': d}\n";
        let open = text.find('{').expect("open");
        let (close, items) = flow_items(text, open, false).expect("closed");
        assert_eq!(close, text.len() - 2);
        let written: Vec<&str> = items.iter().map(|&(s, e)| &text[s..e]).collect();
        assert_eq!(written, ["A: \"a,b\"", "B: [1, 2]", "'C': d"]);
        // Comments and aliases are refused in YAML.
        assert!(flow_items("{A: *x}", 0, false).is_none());
        assert!(flow_items("{A: b # c\n}", 0, false).is_none());
        assert!(flow_items("{A: b", 0, false).is_none());
        assert!(flow_items("{\"a*\": \"#\"}", 0, true).is_some());
    }
}
