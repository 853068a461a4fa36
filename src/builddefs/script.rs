//! Shell scripts, Makefiles and justfiles: the shell they run, read with
//! the shell view of RUN. A Makefile's recipe lines (tab-indented, `@`/
//! `-`/`+` prefixes dropped) are shell once make has replaced `$(VAR)` /
//! `${VAR}` (read as the variable `VAR`) and `$$` (a `$` for the shell);
//! a variable whose value holds `--build-arg` options is read as options.
//! A justfile's recipe bodies are shell once `{{ var }}` is replaced.

use super::commands::{invocations_in_script, plain_word};
use super::Definition;
use crate::analysis::shell::read_script;

/// Text handed to the shell parser, with the source offset of each byte.
#[derive(Default)]
pub(crate) struct Mapped {
    pub text: String,
    pub offsets: Vec<usize>,
}

impl Mapped {
    pub fn push(&mut self, text: &str, source_start: usize) {
        self.text.push_str(text);
        self.offsets.extend(source_start..source_start + text.len());
    }

    /// `text` standing for the source bytes at `source_start` (a rewrite
    /// whose bytes all map to that place).
    pub fn push_at(&mut self, text: &str, source_start: usize) {
        self.text.push_str(text);
        self.offsets
            .extend(std::iter::repeat_n(source_start, text.len()));
    }

    pub fn newline(&mut self, source_offset: usize) {
        self.push_at("\n", source_offset);
    }
}

/// Reads the build invocations of `mapped` (shell) into `definition`.
pub(crate) fn read_mapped(mapped: &Mapped, source: &str, definition: &mut Definition) {
    if mapped.text.trim().is_empty() {
        return;
    }
    let script = read_script(&mapped.text, &mapped.offsets, source.len());
    definition.invocations.extend(invocations_in_script(
        &script,
        source,
        &plain_word,
        Some("build options"),
    ));
}

pub fn read_shell(text: &str) -> Definition {
    let mut definition = Definition::default();
    let mut mapped = Mapped::default();
    mapped.push(text, 0);
    read_mapped(&mapped, text, &mut definition);
    definition
}

pub fn read_make(text: &str) -> Definition {
    let mut definition = Definition::default();
    let mut mapped = Mapped::default();
    let mut offset = 0;
    let mut in_recipe_continuation = false;
    for line in text.split_inclusive('\n') {
        let start = offset;
        offset += line.len();
        let content = line.trim_end_matches(['\n', '\r']);
        let continued = content.ends_with('\\');
        if let Some(recipe) = content.strip_prefix('\t') {
            // `@`, `-`, `+` start a recipe line, not a continued one.
            let prefix = if in_recipe_continuation {
                0
            } else {
                recipe.len() - recipe.trim_start_matches(['@', '-', '+']).len()
            };
            push_make_line(&mut mapped, &recipe[prefix..], start + 1 + prefix);
            mapped.newline(start + content.len());
        } else if in_recipe_continuation {
            push_make_line(&mut mapped, content, start);
            mapped.newline(start + content.len());
        } else if let Some(at) = assignment_value(content) {
            if content[at..].contains("--build-arg") {
                push_make_line(&mut mapped, &content[at..], start + at);
                mapped.newline(start + content.len());
            }
        }
        in_recipe_continuation = continued && (content.starts_with('\t') || in_recipe_continuation);
    }
    read_mapped(&mapped, text, &mut definition);
    definition
}

/// Where the value of `NAME = value` (`:=`, `?=`, `+=`, `!=`) starts.
fn assignment_value(line: &str) -> Option<usize> {
    let equals = line.find('=')?;
    let name = line[..equals].trim_end_matches([':', '?', '+', '!', ':']);
    let name = name.trim();
    let valid = !name.is_empty()
        && name
            .chars()
            .all(|ch| ch.is_ascii_alphanumeric() || matches!(ch, '_' | '-' | '.'));
    valid.then_some(equals + 1)
}

/// One recipe line with make's own expansion syntax turned into the
/// shell's: `$(X)` / `${X}` → `${X}`, `$$` → `$`.
fn push_make_line(mapped: &mut Mapped, line: &str, start: usize) {
    let bytes = line.as_bytes();
    let mut index = 0;
    while index < bytes.len() {
        if bytes[index] == b'$' {
            match bytes.get(index + 1) {
                Some(b'$') => {
                    mapped.push("$", start + index + 1);
                    index += 2;
                    continue;
                }
                Some(b'(') => {
                    if let Some(close) = line[index..].find(')') {
                        let inner = &line[index + 2..index + close];
                        if inner
                            .chars()
                            .all(|ch| ch.is_ascii_alphanumeric() || ch == '_')
                        {
                            mapped.push_at("${", start + index);
                            mapped.push(inner, start + index + 2);
                            mapped.push_at("}", start + index + close);
                            index += close + 1;
                            continue;
                        }
                    }
                }
                _ => {}
            }
        }
        let width = line[index..].chars().next().map_or(1, char::len_utf8);
        mapped.push(&line[index..index + width], start + index);
        index += width;
    }
}

pub fn read_just(text: &str) -> Definition {
    let mut definition = Definition::default();
    let mut mapped = Mapped::default();
    let mut offset = 0;
    let mut in_recipe = false;
    for line in text.split_inclusive('\n') {
        let start = offset;
        offset += line.len();
        let content = line.trim_end_matches(['\n', '\r']);
        let indented = content.starts_with([' ', '\t']);
        if !indented {
            let trimmed = content.trim();
            if trimmed.is_empty() {
                continue;
            }
            let keyword = ["set ", "export ", "alias ", "import ", "mod "]
                .iter()
                .any(|keyword| trimmed.starts_with(keyword));
            in_recipe = !trimmed.starts_with('#')
                && trimmed.contains(':')
                && !trimmed.contains(":=")
                && !keyword;
            continue;
        }
        if !in_recipe {
            continue;
        }
        let body = content.trim_start();
        let indent = content.len() - body.len();
        let prefix = body.len() - body.trim_start_matches(['@', '-']).len();
        push_just_line(&mut mapped, &body[prefix..], start + indent + prefix);
        mapped.newline(start + content.len());
    }
    read_mapped(&mapped, text, &mut definition);
    definition
}

/// `{{ name }}` → `${name}`; `{{{{` is a literal `{{`.
fn push_just_line(mapped: &mut Mapped, line: &str, start: usize) {
    let mut index = 0;
    while index < line.len() {
        let rest = &line[index..];
        if rest.starts_with("{{{{") {
            mapped.push("{{", start + index);
            index += 4;
            continue;
        }
        if rest.starts_with("{{") {
            if let Some(close) = rest.find("}}") {
                let inner = rest[2..close].trim();
                let inner_at = index + 2 + rest[2..close].find(inner).unwrap_or(0);
                if !inner.is_empty()
                    && inner
                        .chars()
                        .all(|ch| ch.is_ascii_alphanumeric() || ch == '_')
                {
                    mapped.push_at("${", start + index);
                    mapped.push(inner, start + inner_at);
                    mapped.push_at("}", start + index + close);
                } else {
                    mapped.push_at("x", start + index);
                }
                index += close + 2;
                continue;
            }
        }
        let width = rest.chars().next().map_or(1, char::len_utf8);
        mapped.push(&line[index..index + width], start + index);
        index += width;
    }
}

/// Reads a YAML scalar that holds shell (a GitLab `script:` line, an
/// options variable) into `definition`.
pub(crate) fn read_scalar(
    scalar: &super::yaml::Scalar,
    source: &str,
    definition: &mut Definition,
    fallback_tool: &str,
) {
    let offsets = scalar.source_offsets(source);
    let mapped = Mapped {
        text: scalar.value.clone(),
        offsets,
    };
    if mapped.text.trim().is_empty() {
        return;
    }
    let script = read_script(&mapped.text, &mapped.offsets, scalar.span.end);
    definition.invocations.extend(invocations_in_script(
        &script,
        source,
        &plain_word,
        Some(fallback_tool),
    ));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn makefile_recipes_are_shell_with_make_variables() {
        let text = "IMAGE = app\nbuild:\n\t@docker build --build-arg NPM_TOKEN=$(NPM_TOKEN) \\\n\t  --build-arg V=$$VERSION -t $(IMAGE) .\n";
        let definition = read_make(text);
        assert_eq!(definition.invocations.len(), 1);
        let arguments = &definition.invocations[0].build_args;
        assert_eq!(arguments[0].name, "NPM_TOKEN");
        let value = arguments[0].value.as_ref().expect("value");
        assert_eq!(value.references[0].name, "NPM_TOKEN");
        assert_eq!(value.span.slice(text), "$(NPM_TOKEN)");
        assert_eq!(
            arguments[1].value.as_ref().expect("value").references[0].name,
            "VERSION"
        );
    }

    #[test]
    fn make_variables_holding_build_args_are_read() {
        let text = "BUILD_ARGS := --build-arg GITLAB_TOKEN=$(GITLAB_TOKEN)\nall:\n\tdocker build $(BUILD_ARGS) .\n";
        let definition = read_make(text);
        let names: Vec<&str> = definition
            .invocations
            .iter()
            .flat_map(|invocation| invocation.build_args.iter().map(|arg| arg.name.as_str()))
            .collect();
        assert_eq!(names, ["GITLAB_TOKEN"]);
    }

    #[test]
    fn justfile_interpolation_is_a_variable() {
        let text = "token := env_var('GITHUB_TOKEN')\n\nbuild:\n    docker build --build-arg GITHUB_TOKEN={{token}} .\n";
        let definition = read_just(text);
        let argument = &definition.invocations[0].build_args[0];
        assert_eq!(argument.name, "GITHUB_TOKEN");
        assert_eq!(
            argument.value.as_ref().expect("value").references[0].name,
            "token"
        );
    }
}
