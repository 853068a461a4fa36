//! Build commands in shell: which commands build an image (the list is
//! data, `rules/build-commands.toml`) and how their options carry build
//! args, secrets, the Dockerfile and the context. Every reader whose file
//! holds shell (a `run:` step, a GitLab `script:`, a Jenkins `sh`, a shell
//! script, a Makefile recipe) reads it with the shell view of RUN
//! ([`crate::analysis::shell::read_script`]) and hands the commands here.

use super::{predefined_origin, split_assignment, BuildArg, Invocation, Located, Origin};
use super::{Reference, SecretInput, Value};
use crate::analysis::shell::{ShellScript, ShellWord};
use crate::source::Span;
use serde::Deserialize;
use std::sync::LazyLock;

const COMMANDS_TOML: &str = include_str!("../../rules/build-commands.toml");

/// One build command of the data file.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct BuildCommand {
    pub id: String,
    pub program: String,
    pub subcommand: Vec<String>,
    #[serde(default)]
    pub build_arg: Vec<String>,
    /// `[option, prefix]`: `buildctl --opt build-arg:NAME=value`.
    #[serde(default)]
    pub build_arg_prefix: Vec<String>,
    #[serde(default)]
    pub secret: Vec<String>,
    #[serde(default)]
    pub file: Vec<String>,
    #[serde(default)]
    pub context_flag: Vec<String>,
    /// The command has no context operand (kaniko, flyctl, compose).
    #[serde(default)]
    pub no_context: bool,
    #[serde(default)]
    pub takes_value: Vec<String>,
    /// bake's `--set TARGET.args.NAME=value` (a build arg) and
    /// `--set TARGET.secrets=id=X,…` (a secret).
    #[serde(default)]
    pub set: Vec<String>,
}

#[derive(Deserialize)]
struct CommandList {
    command: Vec<BuildCommand>,
}

/// The build commands of `rules/build-commands.toml`.
pub fn build_commands() -> &'static [BuildCommand] {
    static COMMANDS: LazyLock<Vec<BuildCommand>> = LazyLock::new(|| {
        toml::from_str::<CommandList>(COMMANDS_TOML)
            .expect("rules/build-commands.toml is valid (a unit test parses it)")
            .command
    });
    &COMMANDS
}

/// The build-arg options of any command (for strings that hold options
/// alone, such as a `DOCKER_BUILD_ARGS` variable).
const GENERIC: &str = "--build-arg";

/// How a reader turns a shell word into a value: the text as the build
/// sees it before expansion, and its references. The default keeps the
/// word's text and classifies its `$VARIABLE`s.
pub type WordReader<'a> = &'a dyn Fn(&ShellWord) -> (String, Vec<Reference>);

/// The default [`WordReader`].
pub fn plain_word(word: &ShellWord) -> (String, Vec<Reference>) {
    let references = word
        .references
        .iter()
        .filter(|reference| reference.yields_value)
        .map(|reference| Reference {
            origin: predefined_origin(&reference.name).unwrap_or(Origin::Variable),
            name: reference.name.clone(),
            span: reference.span,
        })
        .collect();
    (word.text.clone(), references)
}

/// The build invocations among the commands of `script`; `source` is the
/// definition's text (spans point into it). A command with build-arg
/// options but no known build program (`$DOCKER $BUILD_OPTS`, an options
/// string) is an invocation of `fallback_tool` when given.
pub fn invocations_in_script(
    script: &ShellScript,
    source: &str,
    read_word: WordReader<'_>,
    fallback_tool: Option<&str>,
) -> Vec<Invocation> {
    let mut invocations = Vec::new();
    for command in &script.commands {
        let Some((program, arguments)) = command.program() else {
            continue;
        };
        let matched = build_commands().iter().find(|candidate| {
            candidate.program == program
                && candidate.subcommand.len() <= arguments.len()
                && candidate
                    .subcommand
                    .iter()
                    .zip(arguments)
                    .all(|(expected, word)| *expected == word.text)
        });
        if let Some(matched) = matched {
            let options = &arguments[matched.subcommand.len()..];
            let tool = std::iter::once(matched.program.as_str())
                .chain(matched.subcommand.iter().map(String::as_str))
                .collect::<Vec<_>>()
                .join(" ");
            invocations.push(read_options(
                matched,
                &tool,
                options,
                command.span,
                source,
                read_word,
            ));
            continue;
        }
        if let Some(tool) = fallback_tool {
            let all: Vec<ShellWord> = command
                .name
                .iter()
                .chain(command.arguments.iter())
                .cloned()
                .collect();
            let has_build_arg = all
                .iter()
                .any(|word| word.text == GENERIC || word.text.starts_with("--build-arg="));
            if has_build_arg {
                invocations.push(read_options(
                    &generic_command(),
                    tool,
                    &all,
                    command.span,
                    source,
                    read_word,
                ));
            }
        }
    }
    invocations
}

fn generic_command() -> BuildCommand {
    BuildCommand {
        id: "options".into(),
        program: String::new(),
        subcommand: Vec::new(),
        build_arg: vec![GENERIC.into()],
        build_arg_prefix: Vec::new(),
        secret: vec!["--secret".into()],
        file: vec!["-f".into(), "--file".into(), "--dockerfile".into()],
        context_flag: Vec::new(),
        no_context: true,
        takes_value: vec!["-t".into(), "--tag".into(), "--target".into()],
        set: Vec::new(),
    }
}

/// The value of option `word` when it is one of `flags`: inline
/// (`--flag=value`) or the next word.
fn option_value<'w>(
    flags: &[String],
    words: &'w [ShellWord],
    index: usize,
) -> Option<(OptionValue<'w>, usize)> {
    let word = &words[index];
    for flag in flags {
        if word.text == *flag {
            let value = words.get(index + 1)?;
            return Some((OptionValue::Word(value), 2));
        }
        if let Some(rest) = word.text.strip_prefix(flag.as_str()) {
            if let Some(inline) = rest.strip_prefix('=') {
                return Some((
                    OptionValue::Inline {
                        word,
                        offset: word.text.len() - inline.len(),
                    },
                    1,
                ));
            }
        }
    }
    None
}

enum OptionValue<'w> {
    /// The whole word is the value.
    Word(&'w ShellWord),
    /// The value is `word.text[offset..]`.
    Inline { word: &'w ShellWord, offset: usize },
}

impl OptionValue<'_> {
    fn word(&self) -> &ShellWord {
        match self {
            OptionValue::Word(word) | OptionValue::Inline { word, .. } => word,
        }
    }
    fn offset(&self) -> usize {
        match self {
            OptionValue::Word(_) => 0,
            OptionValue::Inline { offset, .. } => *offset,
        }
    }
}

fn read_options(
    command: &BuildCommand,
    tool: &str,
    options: &[ShellWord],
    span: Span,
    source: &str,
    read_word: WordReader<'_>,
) -> Invocation {
    let mut invocation = Invocation {
        tool: tool.to_string(),
        span,
        build_args: Vec::new(),
        secrets: Vec::new(),
        dockerfile: None,
        context: None,
        inputs: Default::default(),
    };
    let mut index = 0;
    while index < options.len() {
        let start = options[index].span.start;
        if let Some((value, used)) = option_value(&command.set, options, index) {
            let text = &value.word().text[value.offset()..];
            let end = value.word().span.end;
            if let Some((key, assigned)) = text.split_once('=') {
                if let Some(at) = key.find(".args.") {
                    if let Some(argument) = build_arg_of(
                        &value,
                        value.offset() + at + ".args.".len(),
                        Span::new(start, end),
                        source,
                        read_word,
                    ) {
                        invocation.build_args.push(argument);
                    }
                } else if key.ends_with(".secrets") || key.ends_with(".secret") {
                    invocation.secrets.push(SecretInput {
                        id: secret_id(assigned),
                        span: Span::new(start, end),
                    });
                }
            }
            index += used;
            continue;
        }
        if let Some((value, used)) = option_value(&command.build_arg, options, index) {
            let end = value.word().span.end;
            if let Some(argument) = build_arg_of(
                &value,
                value.offset(),
                Span::new(start, end),
                source,
                read_word,
            ) {
                invocation.build_args.push(argument);
            }
            index += used;
            continue;
        }
        if let [flag, prefix] = command.build_arg_prefix.as_slice() {
            if let Some((value, used)) = option_value(std::slice::from_ref(flag), options, index) {
                let text = &value.word().text[value.offset()..];
                if text.starts_with(prefix.as_str()) {
                    let end = value.word().span.end;
                    if let Some(argument) = build_arg_of(
                        &value,
                        value.offset() + prefix.len(),
                        Span::new(start, end),
                        source,
                        read_word,
                    ) {
                        invocation.build_args.push(argument);
                    }
                }
                index += used;
                continue;
            }
        }
        if let Some((value, used)) = option_value(&command.secret, options, index) {
            let text = &value.word().text[value.offset()..];
            let id = secret_id(text);
            invocation.secrets.push(SecretInput {
                id,
                span: Span::new(start, value.word().span.end),
            });
            index += used;
            continue;
        }
        if let Some((value, used)) = option_value(&command.file, options, index) {
            invocation.dockerfile = Some(located(&value));
            index += used;
            continue;
        }
        if let Some((value, used)) = option_value(&command.context_flag, options, index) {
            invocation.context = Some(located(&value));
            index += used;
            continue;
        }
        if option_value(&command.takes_value, options, index).is_some() {
            index += if options[index].text.contains('=') {
                1
            } else {
                2
            };
            continue;
        }
        let word = &options[index];
        if !word.text.starts_with('-') && !command.no_context {
            invocation.context = Some(Located {
                text: word.text.clone(),
                span: word.span,
            });
        }
        index += 1;
    }
    invocation
}

fn located(value: &OptionValue<'_>) -> Located {
    let word = value.word();
    Located {
        text: word.text[value.offset()..].to_string(),
        span: word.span,
    }
}

/// `id=NPM_TOKEN,env=NPM_TOKEN` → `NPM_TOKEN`; `NPM_TOKEN=value`
/// (`flyctl --build-secret`) → `NPM_TOKEN`.
pub(crate) fn secret_id(text: &str) -> String {
    for field in text.split(',') {
        if let Some(id) = field.strip_prefix("id=") {
            return id.to_string();
        }
    }
    let first = text.split(',').next().unwrap_or(text);
    first.split('=').next().unwrap_or(first).to_string()
}

/// The build arg in `value.word().text[offset..]`.
fn build_arg_of(
    value: &OptionValue<'_>,
    offset: usize,
    span: Span,
    source: &str,
    read_word: WordReader<'_>,
) -> Option<BuildArg> {
    let word = value.word();
    let (text, references) = read_word(word);
    // The reader may change the text (restoring `${{ … }}`); the option's
    // prefix is the same bytes at the start.
    let offset = offset.min(text.len());
    let argument_text = text.get(offset..)?;
    let (name, assigned) = split_assignment(argument_text)?;
    let name_span = find_in(source, word.span, name).unwrap_or(word.span);
    let value = assigned.map(|assigned| {
        let value_span = if assigned.is_empty() {
            Span::empty(word.span.end)
        } else {
            find_after(source, word.span, name_span.end, assigned)
                .unwrap_or_else(|| value_region(source, word.span, name_span.end))
        };
        let references = references
            .into_iter()
            .filter(|reference| reference.span.start >= name_span.end)
            .collect();
        Value {
            text: assigned.to_string(),
            span: value_span,
            references,
        }
    });
    Some(BuildArg {
        name: name.to_string(),
        name_span,
        value,
        span,
    })
}

/// The source of a value that is not written as the reader decoded it
/// (make's `$(X)`, Groovy's `${env.X}`): from after the `=` that follows
/// the name to the end of the word, without surrounding quotes.
fn value_region(source: &str, word: Span, name_end: usize) -> Span {
    let from = name_end.clamp(word.start, word.end);
    let slice = source.get(from..word.end).unwrap_or("");
    let mut start = slice.find('=').map_or(from, |at| from + at + 1);
    let mut end = word.end;
    let quotes = ['"', '\''];
    if source[start..end].starts_with(quotes) {
        start += 1;
    }
    if end > start && source[start..end].ends_with(quotes) {
        end -= 1;
    }
    Span::new(start, end.max(start))
}

/// Where `needle` is written inside `region` of `source`.
pub(crate) fn find_in(source: &str, region: Span, needle: &str) -> Option<Span> {
    find_after(source, region, region.start, needle)
}

fn find_after(source: &str, region: Span, from: usize, needle: &str) -> Option<Span> {
    if needle.is_empty() {
        return None;
    }
    let start = from.max(region.start);
    let slice = source.get(start..region.end.min(source.len()))?;
    slice
        .find(needle)
        .map(|at| Span::new(start + at, start + at + needle.len()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::shell::read_script;

    fn invocations(text: &str) -> Vec<Invocation> {
        let offsets: Vec<usize> = (0..text.len()).collect();
        let script = read_script(text, &offsets, text.len());
        invocations_in_script(&script, text, &plain_word, Some("build options"))
    }

    #[test]
    fn the_command_list_parses_and_names_unique_ids() {
        let commands = build_commands();
        assert!(commands.len() >= 10);
        let mut ids: Vec<&str> = commands.iter().map(|command| command.id.as_str()).collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), commands.len());
    }

    #[test]
    fn docker_build_gives_args_secrets_file_and_context() {
        let text = "sudo docker build -t app --build-arg NPM_TOKEN=$NPM_TOKEN --build-arg=V=1 \\\n  --secret id=gh,env=GH -f web/Dockerfile web\n";
        let found = invocations(text);
        assert_eq!(found.len(), 1);
        let invocation = &found[0];
        assert_eq!(invocation.tool, "docker build");
        let names: Vec<&str> = invocation
            .build_args
            .iter()
            .map(|arg| arg.name.as_str())
            .collect();
        assert_eq!(names, ["NPM_TOKEN", "V"]);
        let token = &invocation.build_args[0];
        assert_eq!(token.name_span.slice(text), "NPM_TOKEN");
        let value = token.value.as_ref().expect("a value");
        assert_eq!(value.span.slice(text), "$NPM_TOKEN");
        assert_eq!(value.references[0].name, "NPM_TOKEN");
        assert_eq!(invocation.secrets[0].id, "gh");
        assert_eq!(
            invocation
                .dockerfile
                .as_ref()
                .map(|file| file.text.as_str()),
            Some("web/Dockerfile")
        );
        assert_eq!(
            invocation
                .context
                .as_ref()
                .map(|context| context.text.as_str()),
            Some("web")
        );
    }

    #[test]
    fn other_builders_are_read_from_the_data() {
        for (text, tool) in [
            ("podman build --build-arg A=b .", "podman build"),
            ("buildah bud --build-arg A=b .", "buildah bud"),
            (
                "docker buildx build --build-arg A=b .",
                "docker buildx build",
            ),
            ("/kaniko/executor --context . --build-arg A=b", "executor"),
            ("flyctl deploy --build-arg A=b", "flyctl deploy"),
            ("buildctl build --opt build-arg:A=b", "buildctl build"),
        ] {
            let found = invocations(text);
            assert_eq!(found.len(), 1, "{text}");
            assert_eq!(found[0].tool, tool);
            assert_eq!(found[0].build_args[0].name, "A", "{text}");
        }
        assert!(invocations("docker push app").is_empty());
        assert!(invocations("docker run --build-arg x").len() == 1);
    }

    #[test]
    fn secret_ids_are_read_from_every_form() {
        assert_eq!(secret_id("id=a,env=B"), "a");
        assert_eq!(secret_id("src=x,id=b"), "b");
        assert_eq!(secret_id("NAME=value"), "NAME");
    }
}
