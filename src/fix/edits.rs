//! The edits rewrites are made of, each keeping every byte it does not
//! mean to change: removing an instruction (with its line end), adding a
//! `--mount` flag after a keyword, raising the `# syntax=` directive, and
//! what a mount needs under a non-root `USER`.

use super::Edit;
use crate::analysis::{Analysis, Base};
use crate::source::Span;
use crate::syntax::{Dockerfile, Instruction, Keyword};

/// Removes `instruction` and the line end after it; the lines it spans go
/// whole (its indentation too) when nothing else shares them.
pub fn remove_instruction(text: &str, instruction: &Instruction) -> Edit {
    let span = instruction.span;
    let line_start = text[..span.start]
        .rfind('\n')
        .map_or(0, |newline| newline + 1);
    let start = if text[line_start..span.start]
        .chars()
        .all(|ch| ch == ' ' || ch == '\t' || ch == '\u{feff}')
    {
        line_start
            + text[line_start..span.start]
                .find(|ch| ch != '\u{feff}')
                .unwrap_or(0)
    } else {
        span.start
    };
    let rest = &text[span.end..];
    let end = if rest.starts_with("\r\n") {
        span.end + 2
    } else if rest.starts_with('\n') || rest.starts_with('\r') {
        span.end + 1
    } else {
        span.end
    };
    Edit::delete(Span::new(start, end))
}

/// Removes one declaration (`span`) of a several-name `ARG`/`ENV` with the
/// blanks that separate it from the next one (or the previous one, last).
pub fn remove_declaration(text: &str, span: Span, last: bool) -> Edit {
    let blank = |ch: char| ch == ' ' || ch == '\t';
    if last {
        let before = text[..span.start].trim_end_matches(blank).len();
        Edit::delete(Span::new(before, span.end))
    } else {
        let after = text.len() - text[span.end..].trim_start_matches(blank).len();
        Edit::delete(Span::new(span.start, after))
    }
}

/// Adds ` --mount=<mount>` right after the keyword of `instruction` (the
/// wrapped keyword of an `ONBUILD`), before any other flag.
pub fn add_mount(instruction: &Instruction, mount: &str) -> Edit {
    let keyword = instruction.effective().keyword_word.span;
    Edit::insert(keyword.end, format!(" --mount={mount}"))
}

/// The line end the file uses (CRLF when its first line ends so).
pub fn line_end(text: &str) -> &'static str {
    match text.find('\n') {
        Some(index) if index > 0 && text.as_bytes()[index - 1] == b'\r' => "\r\n",
        _ => "\n",
    }
}

/// `env=` on a secret mount needs Dockerfile frontend 1.10 or later: an
/// edit that adds `# syntax=docker/dockerfile:1` when the file names no
/// frontend, or raises a pinned `docker/dockerfile:1.N` (N < 10) to it.
/// `None` when the file already asks for a recent one (or names a custom
/// frontend, which is the user's choice).
pub fn syntax_for_secret_env(text: &str, dockerfile: &Dockerfile) -> Option<Edit> {
    const SYNTAX: &str = "docker/dockerfile:1";
    match dockerfile.directive("syntax") {
        Some(directive) => {
            let value = directive.value.trim();
            let image = value
                .strip_prefix("docker.io/")
                .unwrap_or(value)
                .split('@')
                .next()
                .unwrap_or(value);
            let version = image.strip_prefix("docker/dockerfile:")?;
            let version = version.split('-').next().unwrap_or(version);
            let mut parts = version.split('.');
            let major: u32 = parts.next()?.parse().ok()?;
            let minor: Option<u32> = parts.next().and_then(|minor| minor.parse().ok());
            let old = major < 1 || (major == 1 && minor.is_some_and(|minor| minor < 10));
            old.then(|| Edit::replace(directive.value_span, SYNTAX))
        }
        None => {
            let at = if text.starts_with('\u{feff}') { 3 } else { 0 };
            Some(Edit::insert(
                at,
                format!("# syntax={SYNTAX}{}", line_end(text)),
            ))
        }
    }
}

/// The `USER` in effect at instruction `index`: the last one before it in
/// its stage, or in the stages it is built `FROM`. `None`: root (or the
/// base image's user, which the file does not say).
pub fn user_at(dockerfile: &Dockerfile, analysis: &Analysis, index: usize) -> Option<String> {
    let mut stage = analysis.stage_of(index)?;
    let mut end = index;
    loop {
        let found = (stage.instructions.start..end.min(stage.instructions.end))
            .rev()
            .map(|position| &dockerfile.instructions[position])
            .find(|instruction| instruction.keyword == Keyword::User);
        if let Some(instruction) = found {
            return Some(instruction.rest.text.trim().to_string());
        }
        match stage.base {
            Base::Stage(parent) => {
                stage = &analysis.stages[parent];
                end = stage.instructions.end;
            }
            Base::Image(_) => return None,
        }
    }
}

/// The mount options a file mount needs so that `user` can read it: a
/// numeric `uid=`/`gid=`, or `mode=0444` for a user known by name. Empty
/// for root.
pub fn owner_options(user: Option<&str>) -> String {
    let Some(user) = user.map(str::trim).filter(|user| !user.is_empty()) else {
        return String::new();
    };
    let (name, group) = match user.split_once(':') {
        Some((name, group)) => (name, Some(group)),
        None => (user, None),
    };
    if name == "root" || name == "0" {
        return String::new();
    }
    let numeric = |text: &str| !text.is_empty() && text.bytes().all(|byte| byte.is_ascii_digit());
    if numeric(name) {
        let mut options = format!(",uid={name}");
        if let Some(group) = group.filter(|group| numeric(group)) {
            options.push_str(&format!(",gid={group}"));
        }
        return options;
    }
    ",mode=0444".to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fix::apply_edits;
    use crate::syntax::parse;

    #[test]
    fn removing_an_instruction_takes_its_crlf_and_keeps_the_rest() {
        let text = "FROM a\r\n  ARG T \\\r\n    U\r\nRUN x\r\n";
        let dockerfile = parse(text);
        let edit = remove_instruction(text, &dockerfile.instructions[1]);
        assert_eq!(apply_edits(text, [&edit]), "FROM a\r\nRUN x\r\n");
    }

    #[test]
    fn old_pinned_syntax_is_raised_and_recent_is_kept() {
        for (text, expected) in [
            (
                "# syntax=docker/dockerfile:1.4\nFROM a\n",
                "# syntax=docker/dockerfile:1\nFROM a\n",
            ),
            ("FROM a\r\n", "# syntax=docker/dockerfile:1\r\nFROM a\r\n"),
            (
                "# syntax=docker/dockerfile:1.10\nFROM a\n",
                "# syntax=docker/dockerfile:1.10\nFROM a\n",
            ),
            (
                "# syntax=docker/dockerfile:1\nFROM a\n",
                "# syntax=docker/dockerfile:1\nFROM a\n",
            ),
        ] {
            let dockerfile = parse(text);
            let edits: Vec<Edit> = syntax_for_secret_env(text, &dockerfile)
                .into_iter()
                .collect();
            assert_eq!(apply_edits(text, &edits), expected, "{text:?}");
        }
    }

    #[test]
    fn non_root_users_get_mount_ownership() {
        assert_eq!(owner_options(None), "");
        assert_eq!(owner_options(Some("root")), "");
        assert_eq!(owner_options(Some("1000:1000")), ",uid=1000,gid=1000");
        assert_eq!(owner_options(Some("node")), ",mode=0444");
    }
}
