//! The shell view of `RUN`: each RUN's shell form, heredoc script or exec
//! form read as shell, once per lint, into a flat list of simple commands
//! with their words, assignments, redirections, pipes and where their
//! output goes. Rules ask "which commands does this RUN run, with what
//! arguments, writing where" and never re-parse text.
//!
//! Parsing is done by `brush-parser` (a POSIX/bash parser, bash mode: a
//! Dockerfile's scripts are often bash, and bash's grammar is a superset of
//! what `sh` accepts). When it rejects a script, a plain splitter
//! ([`fallback`]) cuts the text at `&&`, `||`, `;`, `|` and newlines and the
//! script is marked [`ParsedWith::Fallback`]. Words are lexed here
//! ([`words`]) so every word, variable reference and command substitution
//! carries a byte span of the Dockerfile source.
//!
//! Nested scripts are read too: `$(…)`, backticks and `<(…)` inside words,
//! `sh -c '…'` / `bash -c "…"` (also in exec form and behind `sudo`, `env`,
//! `su -c`), and `bash <<EOF` here-documents. What the commands mean for the
//! image (files added and removed) is [`super::layers`]' business.

mod fallback;
pub mod prefilter;
mod simple;
pub(crate) mod words;

use super::{Analysis, Base};
use crate::source::Span;
use crate::syntax::{Arguments, Dockerfile, Instruction, Keyword};
use brush_parser::ast;
use std::ops::Range;
use words::{lex_word, LexedWord, WordMode};

/// How a script was read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ParsedWith {
    /// The shell parser accepted it.
    Parser,
    /// The parser rejected it; the plain splitter was used.
    Fallback,
}

/// What kind of program text a RUN holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ScriptKind {
    /// Shell form: `RUN cmd …` (heredocs for other commands included).
    ShellForm,
    /// `RUN <<EOF` whose body is the script.
    Heredoc,
    /// Exec form: `RUN ["cmd", "arg"]`, one command, no shell (unless the
    /// command is itself `sh -c …`).
    ExecForm,
    /// Not a POSIX shell: a `#!/usr/bin/env python` heredoc, or a stage
    /// whose `SHELL` is PowerShell or cmd. No commands.
    NotShell(String),
}

/// A RUN read as shell.
#[derive(Clone, Debug)]
pub struct ShellScript {
    /// Every simple command, in source order; commands of substitutions and
    /// nested scripts come right after the command that holds them.
    pub commands: Vec<SimpleCommand>,
    /// How the RUN's own script was read (nested scripts may differ; see
    /// `nested_fallbacks`).
    pub parsed_with: ParsedWith,
    /// Nested scripts (`$(…)`, `sh -c`) the parser rejected.
    pub nested_fallbacks: usize,
    pub kind: ScriptKind,
    /// The shell traces commands from the start (`SHELL ["bash", "-x", "-c"]`
    /// or a `#!/bin/sh -x` heredoc).
    pub xtrace: bool,
}

impl ShellScript {
    fn empty(kind: ScriptKind) -> ShellScript {
        ShellScript {
            commands: Vec::new(),
            parsed_with: ParsedWith::Parser,
            nested_fallbacks: 0,
            kind,
            xtrace: false,
        }
    }

    /// The commands that a word's command substitutions run (transitively).
    pub fn substitution_commands(&self, word: &ShellWord) -> &[SimpleCommand] {
        self.commands.get(word.substitutions.clone()).unwrap_or(&[])
    }

    /// The commands nested directly or indirectly under `index` (its
    /// substitutions and `sh -c` scripts).
    pub fn descendants(&self, index: usize) -> impl Iterator<Item = usize> + '_ {
        (index + 1..self.commands.len())
            .filter(move |candidate| self.is_descendant(*candidate, index))
    }

    /// Whether `candidate` runs inside `ancestor` (a substitution of one of
    /// its words, or its `sh -c` script).
    pub fn is_descendant(&self, candidate: usize, ancestor: usize) -> bool {
        let mut current = self
            .commands
            .get(candidate)
            .and_then(|command| command.parent);
        while let Some(parent) = current {
            if parent == ancestor {
                return true;
            }
            current = self.commands.get(parent).and_then(|command| command.parent);
        }
        false
    }

    /// What command `index` writes to its stdout, as far as the data can be
    /// followed: the arguments of `echo`/`printf`, the files `cat` & co.
    /// read, what flows in through a pipe, a here-document or `<`.
    pub fn output_of(&self, index: usize) -> Output<'_> {
        let mut output = Output::default();
        self.collect_output(index, &mut output, 0);
        output
    }

    fn collect_output<'a>(&'a self, index: usize, output: &mut Output<'a>, depth: usize) {
        let Some(command) = self.commands.get(index) else {
            return;
        };
        if depth > 8 {
            output.opaque = true;
            return;
        }
        let Some((program, arguments)) = command.program() else {
            return;
        };
        match program {
            "echo" | "printf" => {
                output.data.extend(
                    arguments
                        .iter()
                        .filter(|word| !(program == "echo" && is_echo_option(&word.text))),
                );
            }
            _ if is_filter(program) => {
                output.files.extend(file_operands(program, arguments));
                self.collect_input(index, output, depth);
            }
            "tee" => self.collect_input(index, output, depth),
            _ => output.opaque = true,
        }
    }

    /// What flows into command `index`'s stdin: a here-document, a
    /// here-string, a `<` file, or the output of the command piped into it.
    pub fn input_of(&self, index: usize) -> Output<'_> {
        let mut output = Output::default();
        self.collect_input(index, &mut output, 0);
        output
    }

    fn collect_input<'a>(&'a self, index: usize, output: &mut Output<'a>, depth: usize) {
        let Some(command) = self.commands.get(index) else {
            return;
        };
        for redirect in &command.redirects {
            match redirect.kind {
                RedirectKind::HereDocument { .. } | RedirectKind::HereString => {
                    output.data.push(&redirect.target)
                }
                RedirectKind::Read if redirect.fd.unwrap_or(0) == 0 => {
                    output.files.push(&redirect.target)
                }
                _ => {}
            }
        }
        if let Some(previous) = command.piped_from {
            self.collect_output(previous, output, depth + 1);
        }
    }
}

/// Data that reaches a command or a file.
#[derive(Clone, Debug, Default)]
pub struct Output<'a> {
    /// Words whose value is the data (`echo` arguments, heredoc bodies).
    pub data: Vec<&'a ShellWord>,
    /// Files whose content is the data (`cat FILE`, `< FILE`).
    pub files: Vec<&'a ShellWord>,
    /// Some of the data comes from a program whose output is not followed.
    pub opaque: bool,
}

fn is_echo_option(text: &str) -> bool {
    text.len() > 1
        && text.starts_with('-')
        && text[1..].chars().all(|ch| matches!(ch, 'n' | 'e' | 'E'))
}

/// Programs whose output is their input or their file operands, transformed.
fn is_filter(program: &str) -> bool {
    matches!(
        program,
        "cat"
            | "tac"
            | "head"
            | "tail"
            | "base64"
            | "base32"
            | "tr"
            | "sed"
            | "awk"
            | "gawk"
            | "cut"
            | "grep"
            | "egrep"
            | "jq"
            | "yq"
            | "envsubst"
            | "xxd"
            | "od"
            | "hexdump"
            | "sort"
            | "uniq"
            | "rev"
            | "fold"
            | "zcat"
            | "gunzip"
            | "strings"
            | "nl"
            | "less"
            | "more"
            | "dd"
            | "openssl"
            | "gpg"
    )
}

/// The operands of a filter that name files it reads.
fn file_operands<'a>(program: &str, arguments: &'a [ShellWord]) -> Vec<&'a ShellWord> {
    let mut operands: Vec<&ShellWord> = Vec::new();
    let mut skip_next = false;
    for argument in arguments {
        if skip_next {
            skip_next = false;
            continue;
        }
        let text = argument.text.as_str();
        if text.starts_with('-') && text.len() > 1 {
            // Options that take a separate value.
            skip_next = matches!(
                (program, text),
                ("head" | "tail", "-n" | "-c")
                    | ("cut", "-d" | "-f")
                    | ("grep", "-e" | "-f")
                    | ("sed" | "awk", "-e" | "-f" | "-F")
            );
            continue;
        }
        if let Some(path) = text.strip_prefix("if=") {
            if program == "dd" && !path.is_empty() {
                operands.push(argument);
            }
            continue;
        }
        operands.push(argument);
    }
    // `sed 's/a/b/' file`, `awk '{…}' file`, `grep pattern file`: the first
    // operand is a program or pattern, not a file.
    if matches!(
        program,
        "sed" | "awk" | "gawk" | "grep" | "egrep" | "jq" | "yq" | "tr" | "openssl" | "gpg"
    ) && !operands.is_empty()
    {
        operands.remove(0);
    }
    operands
}

/// Where a command's standard output goes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Stdout {
    /// The build output (the terminal, CI logs); stderr included.
    Log,
    /// A file (the redirect target).
    File(Box<ShellWord>),
    /// `/dev/null`.
    Discarded,
    /// Into the next command of a pipeline.
    Pipe,
    /// Captured by a command substitution.
    Captured,
}

/// `&&` / `||` before a pipeline of an and-or list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Connector {
    /// First pipeline of its list.
    First,
    And,
    Or,
}

/// Why a command is nested.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Origin {
    /// Part of the RUN's own script.
    Script,
    /// Inside `$(…)`, backticks or `<(…)`.
    Substitution,
    /// The script of `sh -c '…'`.
    ShellArgument,
    /// The script a shell reads from a here-document (`bash <<EOF`).
    ShellStdin,
}

/// A simple command: optional assignments, a name, arguments, redirections.
#[derive(Clone, Debug)]
pub struct SimpleCommand {
    /// The command name as written (`None` for a bare `A=b`).
    pub name: Option<ShellWord>,
    pub arguments: Vec<ShellWord>,
    /// `A=b cmd`, a bare `A=b`, and `export A=b` / `local`/`declare`/`readonly`.
    pub assignments: Vec<Assignment>,
    pub redirects: Vec<Redirect>,
    /// The next command of the pipeline (its stdin is this command's stdout).
    pub pipes_into: Option<usize>,
    /// The previous command of the pipeline.
    pub piped_from: Option<usize>,
    /// Runs inside `$(…)`, backticks or `<(…)` (at any depth).
    pub in_substitution: bool,
    /// The command whose word or `sh -c` script holds this one.
    pub parent: Option<usize>,
    pub origin: Origin,
    /// Id of the `&&`/`||` list this command's pipeline belongs to (unique
    /// within the script), and the operator before its pipeline.
    pub list: usize,
    pub connector: Connector,
    pub stdout: Stdout,
    /// From the first to the last word (redirections included).
    pub span: Span,
}

impl SimpleCommand {
    /// The program that actually runs and its arguments, looking through
    /// `sudo`, `env A=b`, `nohup`, `exec`, `time`, `command`, `nice`,
    /// `gosu user`, `su-exec user`, `timeout N`: `("rm", ["-rf", "x"])`.
    /// The program is the base name (`/bin/rm` → `rm`).
    pub fn program(&self) -> Option<(&str, &[ShellWord])> {
        let name = self.name.as_ref()?;
        let mut program = base_name(&name.text);
        let mut arguments: &[ShellWord] = &self.arguments;
        for _ in 0..4 {
            let skip = match program {
                "sudo" => option_end(
                    arguments,
                    &["-u", "-g", "-h", "-p", "-C", "-D", "-r", "-t", "-U"],
                ),
                "env" => {
                    let mut skip = option_end(arguments, &["-u", "-C", "-S"]);
                    while arguments
                        .get(skip)
                        .is_some_and(|word| word.text.contains('=') && !word.text.starts_with('='))
                    {
                        skip += 1;
                    }
                    skip
                }
                "nohup" | "exec" | "time" | "command" | "builtin" => option_end(arguments, &[]),
                "nice" => option_end(arguments, &["-n"]),
                "gosu" | "su-exec" | "chroot" => 1,
                "timeout" => option_end(arguments, &["-s", "-k"]) + 1,
                _ => break,
            };
            let Some(next) = arguments.get(skip) else {
                return Some((program, &[]));
            };
            program = base_name(&next.text);
            arguments = &arguments[skip + 1..];
        }
        Some((program, arguments))
    }

    /// Every word of the command: name, arguments, assignment values,
    /// redirect targets.
    pub fn words(&self) -> impl Iterator<Item = &ShellWord> {
        self.name
            .iter()
            .chain(self.arguments.iter())
            .chain(self.assignments.iter().map(|assignment| &assignment.value))
            .chain(self.redirects.iter().map(|redirect| &redirect.target))
    }

    /// The files this command writes by redirection (`> f`, `>> f`, `&> f`),
    /// `/dev/…` excluded.
    pub fn written_files(&self) -> impl Iterator<Item = &Redirect> {
        self.redirects
            .iter()
            .filter(|redirect| redirect.writes_file() && !redirect.target.text.starts_with("/dev/"))
    }

    /// Whether the output reaches the build log.
    pub fn prints(&self) -> bool {
        self.stdout == Stdout::Log
    }
}

/// Index past the options of a wrapper (`sudo -u app cmd`): options in
/// `with_value` take the next word.
fn option_end(arguments: &[ShellWord], with_value: &[&str]) -> usize {
    let mut index = 0;
    while let Some(word) = arguments.get(index) {
        let text = word.text.as_str();
        if text == "--" {
            return index + 1;
        }
        if !text.starts_with('-') || text.len() == 1 {
            break;
        }
        index += if with_value.contains(&text) { 2 } else { 1 };
    }
    index
}

/// `/usr/bin/env` → `env`.
pub fn base_name(path: &str) -> &str {
    // A byte scan: names are short, and `rsplit` sets up a searcher on
    // every call (a tenth of a million calls in a corpus run).
    match path.bytes().rposition(|byte| byte == b'/') {
        Some(slash) => &path[slash + 1..],
        None => path,
    }
}

/// `NAME=value`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Assignment {
    pub name: String,
    pub value: ShellWord,
    /// The whole `NAME=value`.
    pub span: Span,
}

/// What a redirection does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RedirectKind {
    /// `< f`
    Read,
    /// `> f`
    Write,
    /// `>> f`
    Append,
    /// `>| f`
    Clobber,
    /// `<> f`
    ReadWrite,
    /// `>&2`, `2>&1`
    DuplicateOutput,
    /// `<&3`
    DuplicateInput,
    /// `&> f` (append: `&>> f`)
    OutputAndError { append: bool },
    /// `<<EOF`: the target is the body; `expands` is false for `<<'EOF'`.
    HereDocument { expands: bool },
    /// `<<< word`
    HereString,
}

/// A redirection of a simple command.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Redirect {
    pub kind: RedirectKind,
    /// The file descriptor written before the operator (`2>`), if any.
    pub fd: Option<u32>,
    /// The file, the fd (`1` in `2>&1`), or the here-document body.
    pub target: ShellWord,
    /// The operator and the target.
    pub span: Span,
}

impl Redirect {
    /// Whether it writes (creates, truncates or appends to) a file.
    pub fn writes_file(&self) -> bool {
        match self.kind {
            RedirectKind::Write
            | RedirectKind::Append
            | RedirectKind::Clobber
            | RedirectKind::OutputAndError { .. } => true,
            RedirectKind::ReadWrite => self.fd.is_some_and(|fd| fd != 0),
            _ => false,
        }
    }

    /// Whether it redirects standard output.
    pub fn is_stdout(&self) -> bool {
        match self.kind {
            RedirectKind::Write
            | RedirectKind::Append
            | RedirectKind::Clobber
            | RedirectKind::DuplicateOutput => self.fd.unwrap_or(1) == 1,
            RedirectKind::OutputAndError { .. } => true,
            _ => false,
        }
    }
}

/// One shell word.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ShellWord {
    /// As written.
    pub raw: String,
    /// Quotes and escapes removed; `$VAR`, `${…}`, `$(…)` kept as written.
    pub text: String,
    /// The Dockerfile source span.
    pub span: Span,
    /// Variables it expands (not those in single quotes).
    pub references: Vec<VariableReference>,
    /// Indices (in [`ShellScript::commands`]) of the commands its `$(…)` /
    /// backtick substitutions run.
    pub substitutions: Range<usize>,
    /// Whether it has any expansion (variable, substitution, arithmetic).
    pub expands: bool,
}

impl ShellWord {
    /// No expansion: the text is the value.
    pub fn is_literal(&self) -> bool {
        !self.expands
    }
}

/// `$NAME` or `${NAME…}` in a word.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VariableReference {
    pub name: String,
    pub span: Span,
    /// False for `${NAME:+alt}`, `${NAME+alt}` and `${#NAME}`, which test
    /// or measure the variable without putting its value in the word.
    pub yields_value: bool,
}

/// Per instruction: the shell view of each RUN.
#[derive(Clone, Debug, Default)]
pub struct ShellView {
    scripts: Vec<Option<ShellScript>>,
    /// RUNs the prefilter left unread ([`prefilter`]): their stage's shell,
    /// and their full view once something asks for it (a fix).
    skipped: Vec<Option<Box<Skipped>>>,
}

#[derive(Clone, Debug)]
struct Skipped {
    shell: StageShell,
    full: std::sync::OnceLock<ShellScript>,
}

impl ShellView {
    /// Reads every RUN of `dockerfile`; `analysis` gives the stages (for
    /// `SHELL` inherited through `FROM stage`). With `filter`, a RUN it
    /// does not pass gets an empty view (its kind kept, no commands).
    pub(super) fn build(
        dockerfile: &Dockerfile,
        analysis: &Analysis,
        mut filter: Option<prefilter::FileFilter<'_>>,
    ) -> ShellView {
        let mut stage_shells: Vec<StageShell> = Vec::with_capacity(analysis.stages.len());
        let mut scripts = Vec::with_capacity(dockerfile.instructions.len());
        let mut skipped = Vec::new();
        for (index, instruction) in dockerfile.instructions.iter().enumerate() {
            let stage = analysis.stage_of(index);
            let full = filter
                .as_mut()
                .is_none_or(|filter| filter.needs_view(index, instruction));
            if instruction.keyword == Keyword::From {
                if let Some(stage) = stage {
                    let inherited = match &stage.base {
                        Base::Stage(parent) => stage_shells.get(*parent).cloned(),
                        Base::Image(image) => Some(StageShell::for_image(image)),
                    };
                    stage_shells.push(inherited.unwrap_or_else(|| StageShell::for_image("")));
                }
            }
            let current = stage.and_then(|stage| stage_shells.get_mut(stage.index));
            match instruction.keyword {
                Keyword::Shell => {
                    if let (Some(current), Arguments::Json(words)) =
                        (current, &instruction.arguments)
                    {
                        *current =
                            StageShell::from_words(words.iter().map(|word| word.text.as_str()));
                    }
                    scripts.push(None);
                }
                Keyword::Run => {
                    let shell = current
                        .map(|shell| shell.clone())
                        .unwrap_or_else(|| StageShell::for_image(""));
                    scripts.push(Some(read_run(instruction, &shell, full)));
                    if !full {
                        if skipped.len() <= index {
                            skipped.resize(index + 1, None);
                        }
                        skipped[index] = Some(Box::new(Skipped {
                            shell,
                            full: std::sync::OnceLock::new(),
                        }));
                    }
                }
                _ => scripts.push(None),
            }
        }
        ShellView { scripts, skipped }
    }

    /// The shell view of instruction `index`, if it is a RUN (empty for a
    /// RUN the prefilter left unread).
    pub fn script(&self, index: usize) -> Option<&ShellScript> {
        self.scripts.get(index).and_then(Option::as_ref)
    }

    /// The full shell view of instruction `index` of `dockerfile` (the
    /// file this view was built from), read now if the prefilter left it
    /// unread: for fixes, which look at RUNs no rule needed.
    pub fn full_script(&self, dockerfile: &Dockerfile, index: usize) -> Option<&ShellScript> {
        match (
            self.skipped.get(index).and_then(Option::as_ref),
            dockerfile.instructions.get(index),
        ) {
            (Some(skipped), Some(instruction)) => Some(
                skipped
                    .full
                    .get_or_init(|| read_run(instruction, &skipped.shell, true)),
            ),
            _ => self.script(index),
        }
    }

    /// Whether the prefilter left RUN `index` unread.
    pub fn is_skipped(&self, index: usize) -> bool {
        self.skipped.get(index).is_some_and(Option::is_some)
    }

    /// All RUN scripts with their instruction index.
    pub fn scripts(&self) -> impl Iterator<Item = (usize, &ShellScript)> {
        self.scripts
            .iter()
            .enumerate()
            .filter_map(|(index, script)| script.as_ref().map(|script| (index, script)))
    }
}

/// The shell a stage runs RUN's shell form with.
#[derive(Clone, Debug)]
struct StageShell {
    /// `None`: a POSIX shell; `Some(name)`: something else (`powershell`).
    not_posix: Option<String>,
    xtrace: bool,
}

impl StageShell {
    fn for_image(image: &str) -> StageShell {
        let lowered = image.to_ascii_lowercase();
        let windows = ["windows/", "nanoserver", "servercore", "windowsservercore"]
            .iter()
            .any(|marker| lowered.contains(marker));
        StageShell {
            not_posix: windows.then(|| "cmd".to_string()),
            xtrace: false,
        }
    }

    fn from_words<'a>(mut words: impl Iterator<Item = &'a str>) -> StageShell {
        let program = words
            .next()
            .map(base_name)
            .unwrap_or("sh")
            .to_ascii_lowercase();
        let program = program.trim_end_matches(".exe").to_string();
        let options: Vec<&str> = words.take_while(|word| *word != "-c").collect();
        StageShell {
            xtrace: is_posix_shell(&program) && options.iter().any(|option| enables_xtrace(option)),
            not_posix: (!is_posix_shell(&program)).then_some(program),
        }
    }
}

/// `sh`, `bash`, `dash`… (a base name).
pub fn is_posix_shell(program: &str) -> bool {
    matches!(
        program,
        "sh" | "bash" | "dash" | "ash" | "zsh" | "ksh" | "mksh" | "busybox"
    )
}

/// `-x`, `-ex`, `-eux`, `-exo`: a short-option cluster with `x`.
pub fn enables_xtrace(option: &str) -> bool {
    option.len() > 1
        && option.starts_with('-')
        && !option.starts_with("--")
        && option[1..].chars().all(|ch| ch.is_ascii_alphabetic())
        && option.contains('x')
}

/// Where each byte of a script text comes from in the Dockerfile source:
/// the start and end of the source character(s) it was read from (an
/// escape such as `\"` is two source bytes for one text byte).
///
/// Kept as runs, not per byte: byte `at + i` of a run comes from
/// `start + i..end + i`, so text copied from the source is one run per
/// line and an escape starts a new one. (Two offsets per byte were 16
/// bytes of table per byte of RUN text, the largest allocation of a
/// one-file run.)
#[derive(Clone, Debug, Default)]
struct Table {
    runs: Vec<TableRun>,
    /// Bytes of text mapped.
    len: usize,
    /// The source offset of the end of the text.
    end: usize,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct TableRun {
    at: usize,
    start: usize,
    end: usize,
}

impl Table {
    /// A table for text copied verbatim from the source at `start`.
    fn verbatim(start: usize, length: usize) -> Table {
        let mut table = Table::default();
        if length > 0 {
            table.runs.push(TableRun {
                at: 0,
                start,
                end: start + 1,
            });
        }
        table.len = length;
        table.end = start + length;
        table
    }

    /// Maps the next byte of text to source `start..end`.
    fn push(&mut self, start: usize, end: usize) {
        let extends = self.runs.last().is_some_and(|run| {
            let step = self.len - run.at;
            run.start + step == start && run.end + step == end
        });
        if !extends {
            self.runs.push(TableRun {
                at: self.len,
                start,
                end,
            });
        }
        self.len += 1;
        self.end = end;
    }

    /// The source range byte `index` of the text comes from.
    fn source_of(&self, index: usize) -> Option<(usize, usize)> {
        if index >= self.len {
            return None;
        }
        let run = self.runs[self.runs.partition_point(|run| run.at <= index) - 1];
        let step = index - run.at;
        Some((run.start + step, run.end + step))
    }

    /// Where byte `index` of the text starts in the source.
    fn start_of(&self, index: usize) -> Option<usize> {
        self.source_of(index).map(|(start, _)| start)
    }

    /// Where byte `index` of the text ends in the source.
    fn end_of(&self, index: usize) -> Option<usize> {
        self.source_of(index).map(|(_, end)| end)
    }

    fn span(&self, range: Range<usize>) -> Span {
        let start = self.start_of(range.start).unwrap_or(self.end);
        if range.end <= range.start {
            return Span::empty(start);
        }
        let end = self.end_of(range.end - 1).unwrap_or(self.end);
        Span::new(start, end.max(start))
    }

    fn sub(&self, range: Range<usize>) -> Table {
        let end = range.end.min(self.len);
        let start = range.start.min(end);
        let mut runs = Vec::new();
        if start < end {
            let first = self.runs.partition_point(|run| run.at <= start) - 1;
            for run in self.runs[first..].iter().take_while(|run| run.at < end) {
                let skipped = start.saturating_sub(run.at);
                runs.push(TableRun {
                    at: run.at.max(start) - start,
                    start: run.start + skipped,
                    end: run.end + skipped,
                });
            }
        }
        Table {
            runs,
            len: end - start,
            end: self.start_of(end).unwrap_or(self.end),
        }
    }
}

/// Reads a script that is not a RUN (a CI `run:` step, a shell file, a
/// Makefile recipe) the way RUN is read: `source_offsets[i]` is the source
/// byte that byte `i` of `text` comes from, `end` the source offset after
/// the text. Build-definition readers ([`crate::builddefs`]) use it, so
/// their commands carry spans of the definition file.
pub fn read_script(text: &str, source_offsets: &[usize], end: usize) -> ShellScript {
    let mut table = Table::default();
    for start in source_offsets.iter().take(text.len()) {
        table.push(*start, start + 1);
    }
    for _ in source_offsets.len()..text.len() {
        table.push(end, end);
    }
    table.end = end;
    let mut builder = Builder::default();
    let parsed_with = builder.parse(text, &table, &Context::top(), &[]);
    builder.finish(parsed_with, ScriptKind::ShellForm, false)
}

/// Reads one RUN; with `full` false, only its kind (no commands).
fn read_run(instruction: &Instruction, shell: &StageShell, full: bool) -> ShellScript {
    let mut builder = Builder::default();
    if instruction.json && !full {
        return ShellScript::empty(ScriptKind::ExecForm);
    }
    if instruction.json {
        let strings = words::json_strings(&instruction.rest.text);
        let mut script = ShellScript::empty(ScriptKind::ExecForm);
        builder.exec_form(instruction, &strings);
        script.commands = builder.commands;
        script.nested_fallbacks = builder.fallbacks;
        return script;
    }
    if let Some(name) = &shell.not_posix {
        return ShellScript::empty(ScriptKind::NotShell(name.clone()));
    }
    let context = Context::top();
    let lone_heredoc =
        instruction.heredocs.len() == 1 && is_lone_heredoc_marker(instruction.rest.text.trim());
    if let (true, Some(heredoc)) = (lone_heredoc, instruction.heredocs.first()) {
        let mut xtrace = shell.xtrace;
        if let Some(shebang) = heredoc
            .content
            .lines()
            .next()
            .and_then(|line| line.strip_prefix("#!"))
        {
            let mut parts = shebang.split_whitespace();
            let mut interpreter = parts.next().map(base_name).unwrap_or("");
            if interpreter == "env" {
                interpreter = parts
                    .find(|part| !part.starts_with('-'))
                    .map(base_name)
                    .unwrap_or("");
            }
            if !is_posix_shell(interpreter) {
                return ShellScript::empty(ScriptKind::NotShell(interpreter.to_string()));
            }
            xtrace = shebang.split_whitespace().skip(1).any(enables_xtrace);
        }
        if !full {
            return ShellScript {
                xtrace,
                ..ShellScript::empty(ScriptKind::Heredoc)
            };
        }
        let table = Table::verbatim(heredoc.content_span.start, heredoc.content.len());
        let parsed_with = builder.parse(&heredoc.content, &table, &context, &[]);
        return builder.finish(parsed_with, ScriptKind::Heredoc, xtrace);
    }
    if !full {
        return ShellScript {
            xtrace: shell.xtrace,
            ..ShellScript::empty(ScriptKind::ShellForm)
        };
    }
    let mut rest_table = Table::default();
    for start in instruction.rest_offsets() {
        rest_table.push(start, start + 1);
    }
    rest_table.end = instruction.rest.span.end;
    if instruction.heredocs.is_empty() {
        let parsed_with = builder.parse(&instruction.rest.text, &rest_table, &context, &[]);
        return builder.finish(parsed_with, ScriptKind::ShellForm, shell.xtrace);
    }
    // `RUN cat <<EOF > f`: BuildKit hands the shell the command line followed
    // by each body and its terminator.
    let prefix_length = instruction.rest.text.len();
    let mut text = instruction.rest.text.clone();
    let mut table = rest_table;
    let mut bodies = Vec::new();
    for heredoc in &instruction.heredocs {
        text.push('\n');
        table.push(heredoc.marker_span.end, heredoc.marker_span.end);
        let body_start = text.len();
        text.push_str(&heredoc.content);
        for offset in 0..heredoc.content.len() {
            table.push(
                heredoc.content_span.start + offset,
                heredoc.content_span.start + offset + 1,
            );
        }
        bodies.push(PendingHeredoc {
            range: body_start..text.len(),
            expands: !heredoc.quoted,
        });
        text.push_str(&heredoc.name);
        for _ in 0..heredoc.name.len() {
            table.push(heredoc.content_span.end, heredoc.content_span.end);
        }
    }
    let script = Script {
        text: &text,
        table: &table,
    };
    if let Some(program) = builder.try_parse(&text) {
        builder.walk_program(&program, &script, &context);
        return builder.finish(ParsedWith::Parser, ScriptKind::ShellForm, shell.xtrace);
    }
    // The splitter reads the command line alone and takes the bodies from
    // the combined text.
    builder.fallback(&script, 0..prefix_length, &context, &bodies);
    builder.finish(ParsedWith::Fallback, ScriptKind::ShellForm, shell.xtrace)
}

/// `<<EOF`, `<<-"EOF"`, `3<<'EOF'`.
fn is_lone_heredoc_marker(text: &str) -> bool {
    let rest = text.trim_start_matches(|ch: char| ch.is_ascii_digit());
    let Some(rest) = rest.strip_prefix("<<") else {
        return false;
    };
    let rest = rest.strip_prefix('-').unwrap_or(rest).trim_start();
    let name = rest.trim_matches(|ch| ch == '"' || ch == '\'');
    !name.is_empty()
        && name
            .chars()
            .all(|ch| ch.is_ascii_alphanumeric() || ch == '_')
}

/// A here-document body waiting for its `<<NAME` (fallback only).
#[derive(Clone, Debug)]
struct PendingHeredoc {
    range: Range<usize>,
    expands: bool,
}

/// A script text and its source table.
struct Script<'a> {
    text: &'a str,
    table: &'a Table,
}

impl Script<'_> {
    fn span(&self, range: Range<usize>) -> Span {
        self.table.span(range)
    }

    /// The table of a sub-range.
    fn sub_table(&self, range: Range<usize>) -> Table {
        self.table.sub(range)
    }
}

/// Where nested commands run.
#[derive(Clone, Debug)]
struct Context {
    in_substitution: bool,
    parent: Option<usize>,
    origin: Origin,
    /// Stdout of commands without their own redirect.
    stdout: Stdout,
    depth: usize,
}

impl Context {
    fn top() -> Context {
        Context {
            in_substitution: false,
            parent: None,
            origin: Origin::Script,
            stdout: Stdout::Log,
            depth: 0,
        }
    }

    /// The context of element `position` of a pipeline of `count`: all
    /// but the last write to the pipe.
    fn in_pipeline(&self, position: usize, count: usize) -> Context {
        let mut element = self.clone();
        if position + 1 < count {
            element.stdout = Stdout::Pipe;
        }
        element
    }

    fn nested(&self, parent: usize, origin: Origin, stdout: Stdout) -> Context {
        Context {
            in_substitution: self.in_substitution || origin == Origin::Substitution,
            parent: Some(parent),
            origin,
            stdout,
            depth: self.depth + 1,
        }
    }
}

/// Scripts nested deeper than this are not read.
const MAX_DEPTH: usize = 6;
/// Longer scripts go to the splitter (the parser is not linear on them).
const MAX_PARSED_LENGTH: usize = 64 * 1024;

/// brush-parser's time doubles with each level of nesting: each nested
/// `(` (30 took over a minute), and as much each nested `case`, `if`,
/// loop or `{` (24 nested `case a in a)` took 21 s). Deeper scripts go to
/// the plain splitter. Real Dockerfiles nest a few levels at most.
const MAX_NESTING_DEPTH: usize = 12;

/// The work budget of one RUN: the bytes it may hand to the parser in all,
/// counting every nested script (`sh -c`, substitutions) it is parsed
/// again for. Past it, the rest is read by the splitter.
const MAX_PARSED_BYTES_PER_RUN: usize = 256 * 1024;

/// An upper bound of how deeply `text` nests: parentheses (`(`, `$(`,
/// `<(`), braces, and the compound commands (`case`, `if`, `while`,
/// `until`, `for`, `select`), each counted on its own and added up.
/// Quotes and words are not considered: an over-estimate only sends a
/// script to the fallback.
fn nesting_depth(text: &str) -> usize {
    let mut parentheses: usize = 0;
    let mut braces: usize = 0;
    let mut keywords: usize = 0;
    let mut deepest = 0;
    let bytes = text.as_bytes();
    let mut position = 0;
    while position < bytes.len() {
        let byte = bytes[position];
        match byte {
            b'(' => parentheses += 1,
            b')' => parentheses = parentheses.saturating_sub(1),
            b'{' => braces += 1,
            b'}' => braces = braces.saturating_sub(1),
            byte if byte.is_ascii_lowercase() => {
                let start = position;
                while position < bytes.len() && bytes[position].is_ascii_alphanumeric() {
                    position += 1;
                }
                if at_command_start(text, start) {
                    match &text[start..position] {
                        "case" | "if" | "while" | "until" | "for" | "select" => keywords += 1,
                        "esac" | "fi" | "done" => keywords = keywords.saturating_sub(1),
                        _ => {}
                    }
                }
                deepest = deepest.max(parentheses + braces + keywords);
                continue;
            }
            _ => {}
        }
        deepest = deepest.max(parentheses + braces + keywords);
        position += 1;
    }
    deepest
}

/// Whether a word starting at `start` is where a command starts (where a
/// keyword is a keyword): after an operator, a newline, `(`, `)`, a brace,
/// `!`, or the keywords that open a body. `echo wait for it` has no `for`.
fn at_command_start(text: &str, start: usize) -> bool {
    let before = text[..start].trim_end_matches([' ', '\t']);
    match before.as_bytes().last() {
        None => true,
        Some(b';' | b'&' | b'|' | b'(' | b')' | b'{' | b'}' | b'\n' | b'!') => true,
        Some(_) => {
            let previous_word = before
                .rsplit(|character: char| !character.is_ascii_alphanumeric())
                .next()
                .unwrap_or("");
            matches!(previous_word, "then" | "do" | "else" | "elif")
        }
    }
}

/// A word found by a parser, before it is lexed: its range in the script.
#[derive(Clone, Debug)]
enum WordSource {
    Range(Range<usize>, WordMode),
    /// Text that is not a slice of the script (a parser normalised it).
    Detached(String, Range<usize>, WordMode),
}

/// A simple command found by a parser, before its words are lexed.
#[derive(Clone, Debug, Default)]
struct PendingCommand {
    name: Option<WordSource>,
    arguments: Vec<WordSource>,
    assignments: Vec<(String, WordSource, Range<usize>)>,
    redirects: Vec<(RedirectKind, Option<u32>, WordSource, Range<usize>)>,
    /// `<(…)` / `>(…)` scripts: script ranges.
    process_substitutions: Vec<Range<usize>>,
}

struct Builder {
    commands: Vec<SimpleCommand>,
    next_list: usize,
    fallbacks: usize,
    /// Bytes handed to the parser so far (see [`MAX_PARSED_BYTES_PER_RUN`]).
    parsed_bytes: usize,
    /// Plain lists of simple commands are read by [`simple`], not by
    /// brush-parser (off only in [`with_brush_parser_only`]).
    simple_view: bool,
}

impl Default for Builder {
    fn default() -> Builder {
        Builder {
            commands: Vec::new(),
            next_list: 0,
            fallbacks: 0,
            parsed_bytes: 0,
            simple_view: !BRUSH_PARSER_ONLY.with(std::cell::Cell::get),
        }
    }
}

thread_local! {
    static BRUSH_PARSER_ONLY: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Runs `run` on this thread with every script that reaches the shell
/// parser read by brush-parser, none by the simple view ([`simple`]): the
/// reference `tests/shell_simple.rs` compares the simple view with. Not a
/// user-facing option: the view is the same.
#[doc(hidden)]
pub fn with_brush_parser_only<R>(run: impl FnOnce() -> R) -> R {
    struct Restore(bool);
    impl Drop for Restore {
        fn drop(&mut self) {
            BRUSH_PARSER_ONLY.with(|flag| flag.set(self.0));
        }
    }
    let _restore = Restore(BRUSH_PARSER_ONLY.with(|flag| flag.replace(true)));
    run()
}

/// Whether the simple view ([`simple`]) reads `text` whole, without
/// brush-parser (for the equivalence test's figures).
#[doc(hidden)]
pub fn is_simple_script(text: &str) -> bool {
    simple::scan(text).is_some()
}

impl Builder {
    fn finish(self, parsed_with: ParsedWith, kind: ScriptKind, xtrace: bool) -> ShellScript {
        // Exact sizes: every script is kept until the lint ends, and the
        // growth slack of these small vectors (room for 4 elements at
        // least) was a tenth of a large file's peak memory.
        let mut commands = self.commands;
        for command in &mut commands {
            command.arguments.shrink_to_fit();
            command.assignments.shrink_to_fit();
            command.redirects.shrink_to_fit();
        }
        commands.shrink_to_fit();
        ShellScript {
            commands,
            parsed_with,
            nested_fallbacks: self.fallbacks,
            kind,
            xtrace,
        }
    }

    /// Whether `text` may go to the parser (its size, the RUN's budget,
    /// brush-parser's known traps); counts it against the budget.
    fn admit(&mut self, text: &str) -> bool {
        if text.len() > MAX_PARSED_LENGTH
            || self.parsed_bytes.saturating_add(text.len()) > MAX_PARSED_BYTES_PER_RUN
            || !fallback::safe_for_parser(text)
            || nesting_depth(text) > MAX_NESTING_DEPTH
        {
            return false;
        }
        self.parsed_bytes += text.len();
        true
    }

    fn try_parse(&mut self, text: &str) -> Option<ast::Program> {
        if !self.admit(text) {
            return None;
        }
        Builder::brush_parse(text)
    }

    fn brush_parse(text: &str) -> Option<ast::Program> {
        let options = brush_parser::ParserOptions {
            sh_mode: false,
            posix_mode: false,
            enable_extended_globbing: true,
            tilde_expansion_at_word_start: false,
            ..brush_parser::ParserOptions::default()
        };
        // The parser is third-party code fed untrusted input: a panic in it
        // must cost one script, not the lint.
        let parsed = std::panic::catch_unwind(|| {
            let tokens =
                brush_parser::uncached_tokenize_str(text, &options.tokenizer_options()).ok()?;
            brush_parser::parse_tokens(&tokens, &options).ok()
        });
        parsed.ok().flatten()
    }

    /// Parses `text` (with its source `table`) and adds its commands.
    fn parse(
        &mut self,
        text: &str,
        table: &Table,
        context: &Context,
        bodies: &[PendingHeredoc],
    ) -> ParsedWith {
        let script = Script { text, table };
        if context.depth <= MAX_DEPTH && self.admit(text) {
            // A plain list of simple commands: the same view without the
            // parser (the gate above is the parser's, so the budget and
            // what falls back do not change).
            if let Some(lists) = self.simple_view.then(|| simple::scan(text)).flatten() {
                self.walk_simple(lists, &script, context);
                return ParsedWith::Parser;
            }
            if let Some(program) = Builder::brush_parse(text) {
                self.walk_program(&program, &script, context);
                return ParsedWith::Parser;
            }
        }
        self.fallback(&script, 0..text.len(), context, bodies);
        ParsedWith::Fallback
    }

    fn parse_nested(&mut self, text: &str, table: &Table, context: &Context) {
        if context.depth > MAX_DEPTH {
            return;
        }
        if self.parse(text, table, context, &[]) == ParsedWith::Fallback {
            self.fallbacks += 1;
        }
    }

    // ---- the simple view ----

    /// Adds the commands of [`simple::scan`]'s lists the way
    /// [`Builder::walk_list`] and [`Builder::walk_pipeline`] add those of
    /// the same script's syntax tree.
    fn walk_simple(
        &mut self,
        lists: Vec<simple::AndOrList>,
        script: &Script<'_>,
        context: &Context,
    ) {
        for list in lists {
            let list_id = self.next_list;
            self.next_list += 1;
            for (connector, pipeline) in list {
                let count = pipeline.len();
                let mut previous: Option<usize> = None;
                for (position, pending) in pipeline.into_iter().enumerate() {
                    let element_context = context.in_pipeline(position, count);
                    let index =
                        self.add_command(script, pending, &element_context, list_id, connector);
                    if let Some(index) = index {
                        if let Some(previous) = previous {
                            self.commands[previous].pipes_into = Some(index);
                            self.commands[index].piped_from = Some(previous);
                        }
                    }
                    previous = index;
                }
            }
        }
    }

    // ---- brush-parser's syntax tree ----

    fn walk_program(&mut self, program: &ast::Program, script: &Script<'_>, context: &Context) {
        let offsets = CharOffsets::new(script.text);
        let walker = Walker {
            script,
            offsets: &offsets,
        };
        for command in &program.complete_commands {
            self.walk_list(&walker, command, context);
        }
    }

    fn walk_list(&mut self, walker: &Walker<'_, '_>, list: &ast::CompoundList, context: &Context) {
        for ast::CompoundListItem(and_or, _) in &list.0 {
            let list_id = self.next_list;
            self.next_list += 1;
            self.walk_pipeline(walker, &and_or.first, context, list_id, Connector::First);
            for next in &and_or.additional {
                let (pipeline, connector) = match next {
                    ast::AndOr::And(pipeline) => (pipeline, Connector::And),
                    ast::AndOr::Or(pipeline) => (pipeline, Connector::Or),
                };
                self.walk_pipeline(walker, pipeline, context, list_id, connector);
            }
        }
    }

    fn walk_pipeline(
        &mut self,
        walker: &Walker<'_, '_>,
        pipeline: &ast::Pipeline,
        context: &Context,
        list: usize,
        connector: Connector,
    ) {
        let count = pipeline.seq.len();
        let mut previous: Vec<usize> = Vec::new();
        for (position, command) in pipeline.seq.iter().enumerate() {
            let element_context = context.in_pipeline(position, count);
            let start = self.commands.len();
            self.walk_command(walker, command, &element_context, list, connector);
            let direct: Vec<usize> = (start..self.commands.len())
                .filter(|index| self.commands[*index].parent == context.parent)
                .collect();
            if let Some(first) = direct.first() {
                for from in &previous {
                    self.commands[*from].pipes_into = Some(*first);
                }
                if let Some(last_previous) = previous.last() {
                    self.commands[*first].piped_from = Some(*last_previous);
                }
            }
            previous = direct;
        }
    }

    fn walk_command(
        &mut self,
        walker: &Walker<'_, '_>,
        command: &ast::Command,
        context: &Context,
        list: usize,
        connector: Connector,
    ) {
        match command {
            ast::Command::Simple(simple) => {
                let pending = walker.simple(simple);
                self.add_command(walker.script, pending, context, list, connector);
            }
            ast::Command::Compound(compound, redirects) => {
                let inner = self.compound_context(walker, redirects.as_ref(), context);
                self.walk_compound(walker, compound, &inner);
            }
            ast::Command::Function(function) => {
                let ast::FunctionBody(compound, redirects) = &function.body;
                let inner = self.compound_context(walker, redirects.as_ref(), context);
                self.walk_compound(walker, compound, &inner);
            }
            ast::Command::ExtendedTest(test, _) => {
                let mut pending = PendingCommand {
                    name: None,
                    ..PendingCommand::default()
                };
                walker.extended_test_words(&test.expr, &mut pending.arguments);
                if !pending.arguments.is_empty() {
                    pending.name = Some(WordSource::Detached(
                        "[[".to_string(),
                        0..0,
                        WordMode::Literal,
                    ));
                    self.add_command(walker.script, pending, context, list, connector);
                }
            }
        }
    }

    /// The context inside a compound command with `redirects`.
    fn compound_context(
        &mut self,
        walker: &Walker<'_, '_>,
        redirects: Option<&ast::RedirectList>,
        context: &Context,
    ) -> Context {
        let mut inner = context.clone();
        if let Some(ast::RedirectList(list)) = redirects {
            for redirect in list {
                if let Some((kind, fd, target, range)) = walker.redirect(redirect) {
                    let (word, _) = lex(
                        walker.script,
                        &target,
                        self.commands.len()..self.commands.len(),
                    );
                    let redirect = Redirect {
                        kind,
                        fd,
                        target: word,
                        span: walker.script.span(range),
                    };
                    if let Some(stdout) = stdout_of_redirect(&redirect) {
                        inner.stdout = stdout;
                    }
                }
            }
        }
        inner
    }

    fn walk_compound(
        &mut self,
        walker: &Walker<'_, '_>,
        compound: &ast::CompoundCommand,
        context: &Context,
    ) {
        let list_context = context;
        match compound {
            ast::CompoundCommand::BraceGroup(group) => {
                self.walk_list(walker, &group.list, list_context)
            }
            ast::CompoundCommand::Subshell(subshell) => {
                self.walk_list(walker, &subshell.list, list_context)
            }
            ast::CompoundCommand::ForClause(clause) => {
                if let Some(values) = &clause.values {
                    let pending = PendingCommand {
                        name: Some(WordSource::Detached(
                            "for".to_string(),
                            0..0,
                            WordMode::Literal,
                        )),
                        arguments: values
                            .iter()
                            .filter_map(|word| walker.word(word, WordMode::Shell))
                            .collect(),
                        ..PendingCommand::default()
                    };
                    let list = self.next_list;
                    self.next_list += 1;
                    self.add_command(
                        walker.script,
                        pending,
                        &Context {
                            stdout: Stdout::Discarded,
                            ..context.clone()
                        },
                        list,
                        Connector::First,
                    );
                }
                self.walk_list(walker, &clause.body.list, list_context);
            }
            ast::CompoundCommand::ArithmeticForClause(clause) => {
                self.walk_list(walker, &clause.body.list, list_context)
            }
            ast::CompoundCommand::CaseClause(clause) => {
                for case in &clause.cases {
                    if let Some(list) = &case.cmd {
                        self.walk_list(walker, list, list_context);
                    }
                }
            }
            ast::CompoundCommand::IfClause(clause) => {
                self.walk_list(walker, &clause.condition, list_context);
                self.walk_list(walker, &clause.then, list_context);
                for branch in clause.elses.iter().flatten() {
                    if let Some(condition) = &branch.condition {
                        self.walk_list(walker, condition, list_context);
                    }
                    self.walk_list(walker, &branch.body, list_context);
                }
            }
            ast::CompoundCommand::WhileClause(clause)
            | ast::CompoundCommand::UntilClause(clause) => {
                self.walk_list(walker, &clause.0, list_context);
                self.walk_list(walker, &clause.1.list, list_context);
            }
            ast::CompoundCommand::Coprocess(coprocess) => {
                let list = self.next_list;
                self.next_list += 1;
                self.walk_command(
                    walker,
                    &coprocess.body,
                    list_context,
                    list,
                    Connector::First,
                );
            }
            ast::CompoundCommand::Arithmetic(_) => {}
        }
    }

    // ---- the splitter ----

    fn fallback(
        &mut self,
        script: &Script<'_>,
        range: Range<usize>,
        context: &Context,
        bodies: &[PendingHeredoc],
    ) {
        let text = &script.text[range.clone()];
        let tokens = fallback::tokenize(text);
        let raw_commands = fallback::commands(text, &tokens);
        let offset = range.start;
        let shift = |inner: &Range<usize>| inner.start + offset..inner.end + offset;
        let mut bodies = bodies.iter();
        let mut previous_piped: Option<usize> = None;
        let mut list = self.next_list;
        for raw in raw_commands {
            let connector = match raw.connector.as_deref() {
                Some("&&") => Connector::And,
                Some("||") => Connector::Or,
                _ => Connector::First,
            };
            if raw.connector.is_none() {
                list = self.next_list;
                self.next_list += 1;
            }
            let mut pending = PendingCommand::default();
            let mut words = raw.words.iter();
            pending.name = words
                .next()
                .map(|range| WordSource::Range(shift(range), WordMode::Shell));
            pending.arguments = words
                .map(|range| WordSource::Range(shift(range), WordMode::Shell))
                .collect();
            for assignment in &raw.assignments {
                let range = shift(assignment);
                let word = &script.text[range.clone()];
                let equals = word.find('=').unwrap_or(0);
                let name = word[..equals].trim_end_matches('+').to_string();
                pending.assignments.push((
                    name,
                    WordSource::Range(range.start + equals + 1..range.end, WordMode::Shell),
                    range,
                ));
            }
            for (operator, target) in &raw.redirects {
                let target = shift(target);
                let fd: Option<u32> = operator
                    .chars()
                    .take_while(char::is_ascii_digit)
                    .collect::<String>()
                    .parse()
                    .ok();
                let bare = operator.trim_start_matches(|ch: char| ch.is_ascii_digit());
                let redirect_span = target.clone();
                let (kind, source) = match bare {
                    "<<" | "<<-" => {
                        let delimiter = &script.text[target.clone()];
                        let quoted = delimiter.contains(['\'', '"', '\\']);
                        match bodies.next() {
                            Some(body) => (
                                RedirectKind::HereDocument {
                                    expands: body.expands && !quoted,
                                },
                                WordSource::Range(
                                    body.range.clone(),
                                    if body.expands && !quoted {
                                        WordMode::HeredocExpanding
                                    } else {
                                        WordMode::Literal
                                    },
                                ),
                            ),
                            None => (
                                RedirectKind::HereDocument { expands: !quoted },
                                WordSource::Range(target, WordMode::Literal),
                            ),
                        }
                    }
                    "<<<" => (
                        RedirectKind::HereString,
                        WordSource::Range(target, WordMode::Shell),
                    ),
                    "<" => (
                        RedirectKind::Read,
                        WordSource::Range(target, WordMode::Shell),
                    ),
                    ">>" => (
                        RedirectKind::Append,
                        WordSource::Range(target, WordMode::Shell),
                    ),
                    ">|" => (
                        RedirectKind::Clobber,
                        WordSource::Range(target, WordMode::Shell),
                    ),
                    ">&" => (
                        RedirectKind::DuplicateOutput,
                        WordSource::Range(target, WordMode::Shell),
                    ),
                    "<&" => (
                        RedirectKind::DuplicateInput,
                        WordSource::Range(target, WordMode::Shell),
                    ),
                    "<>" => (
                        RedirectKind::ReadWrite,
                        WordSource::Range(target, WordMode::Shell),
                    ),
                    "&>" => (
                        RedirectKind::OutputAndError { append: false },
                        WordSource::Range(target, WordMode::Shell),
                    ),
                    "&>>" => (
                        RedirectKind::OutputAndError { append: true },
                        WordSource::Range(target, WordMode::Shell),
                    ),
                    _ => (
                        RedirectKind::Write,
                        WordSource::Range(target, WordMode::Shell),
                    ),
                };
                pending.redirects.push((kind, fd, source, redirect_span));
            }
            let command_context = if raw.pipes_out {
                Context {
                    stdout: Stdout::Pipe,
                    ..context.clone()
                }
            } else {
                context.clone()
            };
            let index = self.add_command(script, pending, &command_context, list, connector);
            if let (Some(index), Some(previous)) = (index, previous_piped) {
                self.commands[previous].pipes_into = Some(index);
                self.commands[index].piped_from = Some(previous);
            }
            previous_piped = if raw.pipes_out { index } else { None };
        }
    }

    // ---- shared: lexing words, nested scripts ----

    /// Lexes the words of `pending`, adds the command, then reads its
    /// substitutions and `sh -c` script. Returns its index.
    fn add_command(
        &mut self,
        script: &Script<'_>,
        pending: PendingCommand,
        context: &Context,
        list: usize,
        connector: Connector,
    ) -> Option<usize> {
        let index = self.commands.len();
        let empty = index..index;
        let mut lexed: Vec<(WordSlot, LexedWord, Range<usize>)> = Vec::new();
        let mut span: Option<Span> = None;
        let mut cover = |word_span: Span| {
            if word_span.end > word_span.start {
                span = Some(span.map_or(word_span, |span: Span| span.cover(word_span)));
            }
        };
        let lex_into =
            |slot: WordSlot,
             source: &WordSource,
             lexed: &mut Vec<(WordSlot, LexedWord, Range<usize>)>| {
                let (word, raw_word) = lex(script, source, empty.clone());
                let range = match source {
                    WordSource::Range(range, _) => range.clone(),
                    WordSource::Detached(_, range, _) => range.clone(),
                };
                lexed.push((slot, raw_word, range));
                word
            };
        let name = pending
            .name
            .as_ref()
            .map(|source| lex_into(WordSlot::Name, source, &mut lexed));
        let arguments: Vec<ShellWord> = pending
            .arguments
            .iter()
            .enumerate()
            .map(|(position, source)| lex_into(WordSlot::Argument(position), source, &mut lexed))
            .collect();
        let mut assignments: Vec<Assignment> = pending
            .assignments
            .iter()
            .enumerate()
            .map(|(position, (name, source, range))| Assignment {
                name: name.clone(),
                value: lex_into(WordSlot::Assignment(position), source, &mut lexed),
                span: script.span(range.clone()),
            })
            .collect();
        let redirects: Vec<Redirect> = pending
            .redirects
            .iter()
            .enumerate()
            .map(|(position, (kind, fd, source, range))| Redirect {
                kind: *kind,
                fd: *fd,
                target: lex_into(WordSlot::Redirect(position), source, &mut lexed),
                span: script.span(range.clone()),
            })
            .collect();
        for word in name.iter().chain(arguments.iter()) {
            cover(word.span);
        }
        for assignment in &assignments {
            cover(assignment.span);
        }
        for redirect in &redirects {
            cover(redirect.span);
        }
        if name.is_none() && assignments.is_empty() && redirects.is_empty() {
            return None;
        }
        // `export A=b`: an assignment as well as an argument.
        if let Some(program) = name.as_ref().map(|word| word.text.as_str()) {
            if matches!(
                program,
                "export" | "local" | "declare" | "typeset" | "readonly"
            ) {
                for argument in &arguments {
                    if let Some(equals) = argument.text.find('=') {
                        let variable = argument.text[..equals].trim_end_matches('+');
                        if words::is_name(variable) {
                            let mut value = argument.clone();
                            value.text = argument.text[equals + 1..].to_string();
                            value.references.retain(|reference| {
                                reference.span.start > argument.span.start + equals
                            });
                            assignments.push(Assignment {
                                name: variable.to_string(),
                                value,
                                span: argument.span,
                            });
                        }
                    }
                }
            }
        }
        let stdout = redirects
            .iter()
            .rev()
            .find_map(stdout_of_redirect)
            .unwrap_or_else(|| context.stdout.clone());
        self.commands.push(SimpleCommand {
            name,
            arguments,
            assignments,
            redirects,
            pipes_into: None,
            piped_from: None,
            in_substitution: context.in_substitution,
            parent: context.parent,
            origin: context.origin,
            list,
            connector,
            stdout: stdout.clone(),
            span: span.unwrap_or_else(|| script.span(0..0)),
        });
        // Substitutions inside the words.
        for (slot, raw_word, range) in &lexed {
            if raw_word.substitutions.is_empty() {
                continue;
            }
            let start = self.commands.len();
            let nested = context.nested(index, Origin::Substitution, Stdout::Captured);
            for substitution in &raw_word.substitutions {
                let inner = range.start + substitution.start..range.start + substitution.end;
                // Ranges come from the lexer; a malformed word must not
                // split a character.
                let Some(text) = script.text.get(inner.clone()) else {
                    continue;
                };
                let table = script.sub_table(inner.clone());
                self.parse_nested(text, &table, &nested);
            }
            let end = self.commands.len();
            if let Some(word) = self.commands[index].slot_mut(*slot) {
                word.substitutions = start..end;
            }
        }
        // `<(cmd)` as a separate word of the parser.
        for range in &pending.process_substitutions {
            let nested = context.nested(index, Origin::Substitution, Stdout::Captured);
            let table = script.sub_table(range.clone());
            if let Some(text) = script.text.get(range.clone()) {
                self.parse_nested(text, &table, &nested);
            }
        }
        self.nested_shell(script, index, &lexed, context, stdout);
        Some(index)
    }

    /// `sh -c 'script'` and `bash <<EOF`: reads the nested script.
    fn nested_shell(
        &mut self,
        script: &Script<'_>,
        index: usize,
        lexed: &[(WordSlot, LexedWord, Range<usize>)],
        context: &Context,
        stdout: Stdout,
    ) {
        let command = &self.commands[index];
        let Some((program, arguments)) = command.program() else {
            return;
        };
        let offset = command.arguments.len() - arguments.len();
        // The nested script writes where the shell writes.
        let nested_stdout = stdout;
        let script_argument = if is_posix_shell(program) {
            let mut found = None;
            for (position, argument) in arguments.iter().enumerate() {
                let text = argument.text.as_str();
                if text.starts_with('-') && !text.starts_with("--") && text[1..].contains('c') {
                    found = Some(position + 1);
                    break;
                }
                if !text.starts_with('-') && !text.starts_with('+') {
                    break;
                }
            }
            found
        } else if matches!(program, "su" | "runuser") {
            arguments
                .iter()
                .position(|word| word.text == "-c" || word.text == "--command")
                .map(|position| position + 1)
        } else {
            None
        };
        if let Some(position) = script_argument {
            let slot = WordSlot::Argument(offset + position);
            if let Some((_, raw_word, range)) =
                lexed.iter().find(|(candidate, _, _)| *candidate == slot)
            {
                let mut table = Table::default();
                for (start, end) in raw_word.text_map.iter().zip(&raw_word.text_map_end) {
                    let source_start = script
                        .table
                        .start_of(range.start + start)
                        .unwrap_or(script.table.end);
                    let source_end = script
                        .table
                        .end_of((range.start + end).saturating_sub(1))
                        .unwrap_or(script.table.end);
                    table.push(source_start, source_end);
                }
                if raw_word.text_map.is_empty() {
                    table.end = script
                        .table
                        .start_of(range.start)
                        .unwrap_or(script.table.end);
                }
                let nested = context.nested(index, Origin::ShellArgument, nested_stdout);
                let text = raw_word.text.clone();
                self.parse_nested(&text, &table, &nested);
            }
            return;
        }
        if is_posix_shell(program)
            && arguments
                .iter()
                .all(|word| word.text.starts_with('-') || word.text.starts_with('+'))
        {
            let heredoc = self.commands[index].redirects.iter().position(|redirect| {
                matches!(redirect.kind, RedirectKind::HereDocument { .. })
                    && redirect.fd.unwrap_or(0) == 0
            });
            if let Some(position) = heredoc {
                let slot = WordSlot::Redirect(position);
                if let Some((_, _, range)) =
                    lexed.iter().find(|(candidate, _, _)| *candidate == slot)
                {
                    if let Some(text) = script.text.get(range.clone()) {
                        let table = script.sub_table(range.clone());
                        let nested = context.nested(index, Origin::ShellStdin, nested_stdout);
                        let text = text.to_string();
                        self.parse_nested(&text, &table, &nested);
                    }
                }
            }
        }
    }

    /// `RUN ["sh", "-c", "…"]`: one command, no shell, unless it is a shell.
    fn exec_form(&mut self, instruction: &Instruction, strings: &[words::JsonString]) {
        let to_word = |string: &words::JsonString| ShellWord {
            raw: string.text.clone(),
            text: string.text.clone(),
            span: instruction.rest_span(string.range.clone()),
            references: Vec::new(),
            substitutions: 0..0,
            expands: false,
        };
        let mut words = strings.iter();
        let Some(first) = words.next() else { return };
        let name = to_word(first);
        let arguments: Vec<ShellWord> = words.map(to_word).collect();
        let span = arguments
            .last()
            .map_or(name.span, |last| name.span.cover(last.span));
        self.commands.push(SimpleCommand {
            name: Some(name),
            arguments,
            assignments: Vec::new(),
            redirects: Vec::new(),
            pipes_into: None,
            piped_from: None,
            in_substitution: false,
            parent: None,
            origin: Origin::Script,
            list: 0,
            connector: Connector::First,
            stdout: Stdout::Log,
            span,
        });
        self.next_list = 1;
        let Some((program, arguments)) = self.commands[0].program() else {
            return;
        };
        if !is_posix_shell(program) {
            return;
        }
        let offset = self.commands[0].arguments.len() - arguments.len();
        let Some(position) = arguments.iter().position(|word| {
            let text = word.text.as_str();
            text.starts_with('-') && !text.starts_with("--") && text[1..].contains('c')
        }) else {
            return;
        };
        let Some(string) = strings.get(1 + offset + position + 1) else {
            return;
        };
        let mut table = Table::default();
        for (start, end) in string.starts.iter().zip(&string.ends) {
            let span = instruction.rest_span(*start..*end);
            table.push(span.start, span.end);
        }
        table.end = instruction.rest_span(string.range.clone()).end;
        let context = Context::top().nested(0, Origin::ShellArgument, Stdout::Log);
        self.parse_nested(&string.text, &table, &context);
    }
}

/// Which word of a command.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum WordSlot {
    Name,
    Argument(usize),
    Assignment(usize),
    Redirect(usize),
}

impl SimpleCommand {
    fn slot_mut(&mut self, slot: WordSlot) -> Option<&mut ShellWord> {
        match slot {
            WordSlot::Name => self.name.as_mut(),
            WordSlot::Argument(position) => self.arguments.get_mut(position),
            WordSlot::Assignment(position) => self
                .assignments
                .get_mut(position)
                .map(|assignment| &mut assignment.value),
            WordSlot::Redirect(position) => self
                .redirects
                .get_mut(position)
                .map(|redirect| &mut redirect.target),
        }
    }
}

/// The stdout a redirect sets, if it redirects stdout.
fn stdout_of_redirect(redirect: &Redirect) -> Option<Stdout> {
    if !redirect.is_stdout() {
        return None;
    }
    let target = redirect.target.text.as_str();
    Some(match redirect.kind {
        RedirectKind::DuplicateOutput => Stdout::Log,
        _ if target == "/dev/null" => Stdout::Discarded,
        _ if matches!(
            target,
            "/dev/stdout" | "/dev/stderr" | "/dev/tty" | "/proc/self/fd/1" | "/proc/self/fd/2"
        ) =>
        {
            Stdout::Log
        }
        _ => Stdout::File(Box::new(redirect.target.clone())),
    })
}

/// Lexes a word source into a [`ShellWord`] (spans mapped through the
/// script's table) and returns the lexed form too.
fn lex(
    script: &Script<'_>,
    source: &WordSource,
    substitutions: Range<usize>,
) -> (ShellWord, LexedWord) {
    match source {
        WordSource::Range(range, mode) => {
            let raw = script.text.get(range.clone()).unwrap_or_default();
            let lexed = lex_word(raw, *mode);
            let references = lexed
                .references
                .iter()
                .map(|reference| VariableReference {
                    name: reference.name.clone(),
                    span: script.span(
                        range.start + reference.range.start..range.start + reference.range.end,
                    ),
                    yields_value: reference.yields_value,
                })
                .collect();
            let word = ShellWord {
                raw: raw.to_string(),
                text: lexed.text.clone(),
                span: script.span(range.clone()),
                references,
                substitutions,
                expands: lexed.expands,
            };
            (word, lexed)
        }
        WordSource::Detached(text, range, mode) => {
            let mut lexed = lex_word(text, *mode);
            // The text is not a slice of the script: references can only
            // point at the whole word, and substitutions are not read.
            let span = script.span(range.clone());
            let references = lexed
                .references
                .iter()
                .map(|reference| VariableReference {
                    name: reference.name.clone(),
                    span,
                    yields_value: reference.yields_value,
                })
                .collect();
            lexed.substitutions.clear();
            let word = ShellWord {
                raw: text.clone(),
                text: lexed.text.clone(),
                span,
                references,
                substitutions,
                expands: lexed.expands,
            };
            (word, lexed)
        }
    }
}

/// Character index → byte offset (brush-parser counts characters).
struct CharOffsets {
    offsets: Option<Vec<usize>>,
    length: usize,
}

impl CharOffsets {
    fn new(text: &str) -> CharOffsets {
        let offsets = (!text.is_ascii()).then(|| {
            text.char_indices()
                .map(|(offset, _)| offset)
                .chain(std::iter::once(text.len()))
                .collect()
        });
        CharOffsets {
            offsets,
            length: text.len(),
        }
    }

    fn byte(&self, char_index: usize) -> usize {
        match &self.offsets {
            None => char_index.min(self.length),
            Some(offsets) => offsets.get(char_index).copied().unwrap_or(self.length),
        }
    }
}

/// Whether `left` and `right` are the same text but for which blank
/// (space or tab) stands where, with as many blanks in each.
fn same_but_blanks(left: &str, right: &str) -> bool {
    let is_blank = |byte: &u8| matches!(byte, b' ' | b'\t');
    left.len() == right.len()
        && left
            .bytes()
            .zip(right.bytes())
            .all(|(a, b)| a == b || (is_blank(&a) && is_blank(&b)))
}

/// Turns brush-parser nodes into pending commands.
struct Walker<'a, 'b> {
    script: &'a Script<'b>,
    offsets: &'a CharOffsets,
}

impl Walker<'_, '_> {
    /// The script range of a parser word (checked against its text).
    fn word(&self, word: &ast::Word, mode: WordMode) -> Option<WordSource> {
        let Some(location) = &word.loc else {
            return Some(WordSource::Detached(word.value.clone(), 0..0, mode));
        };
        let start = self.offsets.byte(location.start.index);
        let end = self.offsets.byte(location.end.index).max(start);
        let text = self.script.text;
        if text.get(start..end) == Some(word.value.as_str()) {
            return Some(WordSource::Range(start..end, mode));
        }
        // brush-parser rewrites the blanks around a tab inside `$(…)`
        // (`$( \ta)` comes back as `$(  a)`): the script's own text is
        // the word when only its blanks differ.
        if text
            .get(start..end)
            .is_some_and(|slice| same_but_blanks(slice, &word.value))
        {
            return Some(WordSource::Range(start..end, mode));
        }
        // Locations may include leading blanks or a line continuation; the
        // word itself is close by.
        if let Some(found) = text
            .get(start..)
            .and_then(|rest| rest.find(word.value.as_str()))
        {
            if found <= 8 + (end - start) {
                return Some(WordSource::Range(
                    start + found..start + found + word.value.len(),
                    mode,
                ));
            }
        }
        Some(WordSource::Detached(word.value.clone(), start..end, mode))
    }

    fn simple(&self, simple: &ast::SimpleCommand) -> PendingCommand {
        let mut pending = PendingCommand::default();
        let mut items: Vec<&ast::CommandPrefixOrSuffixItem> = Vec::new();
        if let Some(ast::CommandPrefix(prefix)) = &simple.prefix {
            items.extend(prefix.iter());
        }
        let prefix_length = items.len();
        if let Some(ast::CommandSuffix(suffix)) = &simple.suffix {
            items.extend(suffix.iter());
        }
        pending.name = simple
            .word_or_name
            .as_ref()
            .and_then(|word| self.word(word, WordMode::Shell));
        for (position, item) in items.into_iter().enumerate() {
            match item {
                ast::CommandPrefixOrSuffixItem::Word(word) => {
                    if let Some(source) = self.word(word, WordMode::Shell) {
                        pending.arguments.push(source);
                    }
                }
                ast::CommandPrefixOrSuffixItem::AssignmentWord(assignment, word) => {
                    let Some(source) = self.word(word, WordMode::Shell) else {
                        continue;
                    };
                    let name = match &assignment.name {
                        ast::AssignmentName::VariableName(name) => name.clone(),
                        ast::AssignmentName::ArrayElementName(name, _) => name.clone(),
                    };
                    if position >= prefix_length {
                        // `declare A=b` after the name: an argument (made an
                        // assignment by `add_command` for known builtins).
                        pending.arguments.push(source);
                        continue;
                    }
                    match source {
                        WordSource::Range(range, mode) => {
                            let text = &self.script.text[range.clone()];
                            let equals = text
                                .find('=')
                                .map_or(range.end, |equals| range.start + equals + 1);
                            pending.assignments.push((
                                name,
                                WordSource::Range(equals..range.end, mode),
                                range,
                            ));
                        }
                        WordSource::Detached(text, range, mode) => {
                            let value = text
                                .split_once('=')
                                .map_or(String::new(), |(_, value)| value.to_string());
                            pending.assignments.push((
                                name,
                                WordSource::Detached(value, range.clone(), mode),
                                range,
                            ));
                        }
                    }
                }
                ast::CommandPrefixOrSuffixItem::IoRedirect(redirect) => {
                    if let Some(redirect) = self.redirect(redirect) {
                        pending.redirects.push(redirect);
                    }
                }
                ast::CommandPrefixOrSuffixItem::ProcessSubstitution(_, subshell) => {
                    let start = self.offsets.byte(subshell.loc.start.index);
                    let end = self.offsets.byte(subshell.loc.end.index).max(start);
                    let text = &self.script.text[start..end];
                    // The location covers `(…)`; read what is inside.
                    let inner_start = text.find('(').map_or(start, |open| start + open + 1);
                    let inner_end = text
                        .rfind(')')
                        .map_or(end, |close| start + close)
                        .max(inner_start);
                    pending.process_substitutions.push(inner_start..inner_end);
                }
            }
        }
        pending
    }

    fn redirect(
        &self,
        redirect: &ast::IoRedirect,
    ) -> Option<(RedirectKind, Option<u32>, WordSource, Range<usize>)> {
        let fd_of = |fd: &Option<ast::IoFd>| fd.as_ref().and_then(|fd| u32::try_from(*fd).ok());
        let with_range = |kind, fd, source: WordSource| {
            let range = match &source {
                WordSource::Range(range, _) => range.clone(),
                WordSource::Detached(_, range, _) => range.clone(),
            };
            Some((kind, fd, source, range))
        };
        match redirect {
            ast::IoRedirect::File(fd, kind, target) => {
                let kind = match kind {
                    ast::IoFileRedirectKind::Read => RedirectKind::Read,
                    ast::IoFileRedirectKind::Write => RedirectKind::Write,
                    ast::IoFileRedirectKind::Append => RedirectKind::Append,
                    ast::IoFileRedirectKind::ReadAndWrite => RedirectKind::ReadWrite,
                    ast::IoFileRedirectKind::Clobber => RedirectKind::Clobber,
                    ast::IoFileRedirectKind::DuplicateInput => RedirectKind::DuplicateInput,
                    ast::IoFileRedirectKind::DuplicateOutput => RedirectKind::DuplicateOutput,
                };
                let source = match target {
                    ast::IoFileRedirectTarget::Filename(word)
                    | ast::IoFileRedirectTarget::Duplicate(word) => {
                        self.word(word, WordMode::Shell)?
                    }
                    ast::IoFileRedirectTarget::Fd(fd) => {
                        WordSource::Detached(fd.to_string(), 0..0, WordMode::Literal)
                    }
                    ast::IoFileRedirectTarget::ProcessSubstitution(_, _) => return None,
                };
                with_range(kind, fd_of(fd), source)
            }
            ast::IoRedirect::HereDocument(fd, heredoc) => {
                let expands = heredoc.requires_expansion;
                let mode = if expands {
                    WordMode::HeredocExpanding
                } else {
                    WordMode::Literal
                };
                let source = match self.word(&heredoc.doc, mode)? {
                    WordSource::Detached(text, range, mode) => {
                        // The body's location runs to the terminator; the
                        // body is its first `value.len()` bytes.
                        let start = range.start;
                        match self.script.text.get(start..start + text.len()) {
                            Some(slice) if slice == text => {
                                WordSource::Range(start..start + text.len(), mode)
                            }
                            _ => WordSource::Detached(text, range, mode),
                        }
                    }
                    source => source,
                };
                with_range(RedirectKind::HereDocument { expands }, fd_of(fd), source)
            }
            ast::IoRedirect::HereString(fd, word) => with_range(
                RedirectKind::HereString,
                fd_of(fd),
                self.word(word, WordMode::Shell)?,
            ),
            ast::IoRedirect::OutputAndError(word, append) => with_range(
                RedirectKind::OutputAndError { append: *append },
                None,
                self.word(word, WordMode::Shell)?,
            ),
        }
    }

    /// The words of `[[ … ]]`, so their expansions are seen.
    fn extended_test_words(&self, expression: &ast::ExtendedTestExpr, words: &mut Vec<WordSource>) {
        match expression {
            ast::ExtendedTestExpr::And(left, right) | ast::ExtendedTestExpr::Or(left, right) => {
                self.extended_test_words(left, words);
                self.extended_test_words(right, words);
            }
            ast::ExtendedTestExpr::Not(inner) | ast::ExtendedTestExpr::Parenthesized(inner) => {
                self.extended_test_words(inner, words)
            }
            ast::ExtendedTestExpr::UnaryTest(_, word) => {
                words.extend(self.word(word, WordMode::Shell))
            }
            ast::ExtendedTestExpr::BinaryTest(_, left, right) => {
                words.extend(self.word(left, WordMode::Shell));
                words.extend(self.word(right, WordMode::Shell));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::syntax::parse;

    /// The table as it was kept before runs: two offsets per byte.
    #[derive(Default)]
    struct PerByte {
        starts: Vec<usize>,
        ends: Vec<usize>,
        end: usize,
    }

    impl PerByte {
        fn push(&mut self, start: usize, end: usize) {
            self.starts.push(start);
            self.ends.push(end);
            self.end = end;
        }

        fn span(&self, range: Range<usize>) -> Span {
            let start = self.starts.get(range.start).copied().unwrap_or(self.end);
            if range.end <= range.start {
                return Span::empty(start);
            }
            let end = self.ends.get(range.end - 1).copied().unwrap_or(self.end);
            Span::new(start, end.max(start))
        }

        fn sub(&self, range: Range<usize>) -> PerByte {
            let end = range.end.min(self.starts.len());
            let start = range.start.min(end);
            PerByte {
                starts: self.starts[start..end].to_vec(),
                ends: self.ends[start..end].to_vec(),
                end: self.starts.get(end).copied().unwrap_or(self.end),
            }
        }
    }

    /// Every span, sub-table and byte lookup of `table` is `reference`'s.
    fn assert_same_table(table: &Table, reference: &PerByte) {
        let length = reference.starts.len();
        assert_eq!(table.len, length);
        assert_eq!(table.end, reference.end);
        for index in 0..=length + 1 {
            assert_eq!(table.start_of(index), reference.starts.get(index).copied());
            assert_eq!(table.end_of(index), reference.ends.get(index).copied());
        }
        for start in 0..=length + 1 {
            for end in 0..=length + 1 {
                assert_eq!(table.span(start..end), reference.span(start..end));
            }
        }
    }

    proptest::proptest! {
        /// A table kept as runs answers as the per-byte table did, for
        /// text copied from the source (unit steps), escapes (two source
        /// bytes), empty entries (heredoc joins) and jumps, and so do its
        /// sub-tables.
        #[test]
        fn a_table_of_runs_answers_as_a_table_per_byte(
            steps in proptest::collection::vec((0usize..4, 0usize..3), 0..40),
            first in 0usize..50,
            cut in (0usize..45, 0usize..45),
        ) {
            let mut table = Table::default();
            let mut reference = PerByte::default();
            let mut at = first;
            for (jump, width) in steps {
                // Mostly contiguous: a jump of 0 continues the last byte.
                at += if jump == 3 { 7 } else { jump.min(1) };
                table.push(at, at + width);
                reference.push(at, at + width);
                at += width.saturating_sub(1);
            }
            assert_same_table(&table, &reference);
            let range = cut.0.min(cut.1)..cut.0.max(cut.1);
            assert_same_table(&table.sub(range.clone()), &reference.sub(range.clone()));
            let inner = table.sub(range.clone());
            let inner_reference = reference.sub(range);
            assert_same_table(&inner.sub(1..5), &inner_reference.sub(1..5));
        }
    }

    #[test]
    fn a_verbatim_table_is_one_run() {
        let table = Table::verbatim(10, 5);
        assert_eq!(table.runs.len(), 1);
        assert_eq!(table.span(1..3), Span::new(11, 13));
        assert_eq!(table.span(5..5), Span::empty(15));
        let mut reference = PerByte::default();
        for start in 10..15 {
            reference.push(start, start + 1);
        }
        reference.end = 15;
        assert_same_table(&table, &reference);
        assert_same_table(
            &Table::verbatim(3, 0),
            &PerByte {
                end: 3,
                ..PerByte::default()
            },
        );
    }

    /// The RUN at instruction `index` of `text`, with `text` for slicing spans.
    fn script(text: &str, index: usize) -> ShellScript {
        let dockerfile = parse(text);
        let analysis = Analysis::new(&dockerfile, None);
        analysis.shell(index).cloned().expect("a RUN")
    }

    fn names(script: &ShellScript) -> Vec<String> {
        script
            .commands
            .iter()
            .map(|command| {
                command
                    .name
                    .as_ref()
                    .map_or(String::new(), |name| name.text.clone())
            })
            .collect()
    }

    #[test]
    fn substitutions_with_tabs_are_read() {
        // brush-parser hands back `$(  cat …)` for `$( \tcat …)`: the word
        // is still the script's text, and the substitution is read.
        for (text, expected) in [
            (
                "FROM a\nRUN T=\"$( \tcat /run/secrets/t\t)\" make\n",
                &["make", "cat"][..],
            ),
            (
                "FROM a\nRUN T=\"$( \tcat /run/secrets/t\t)\" make; if x; then y; fi\n",
                &["make", "cat", "x", "y"][..],
            ),
        ] {
            for script in [script(text, 1), with_brush_parser_only(|| script(text, 1))] {
                assert_eq!(names(&script), expected);
                let value = &script.commands[0].assignments[0].value;
                assert_eq!(value.span.slice(text), "\"$( \tcat /run/secrets/t\t)\"");
                assert!(script.commands[1].in_substitution);
            }
        }
        assert!(same_but_blanks("a \tb", "a\t b"));
        assert!(!same_but_blanks("a b", "a  b"));
        assert!(!same_but_blanks("a b", "a_b"));
    }

    #[test]
    fn words_carry_source_spans() {
        let text = "FROM a\nRUN apt-get update && \\\n    echo \"tok=$NPM_TOKEN é\" > ~/.npmrc\n";
        let script = script(text, 1);
        assert_eq!(script.parsed_with, ParsedWith::Parser);
        assert_eq!(names(&script), ["apt-get", "echo"]);
        let echo = &script.commands[1];
        assert_eq!(echo.arguments[0].span.slice(text), "\"tok=$NPM_TOKEN é\"");
        assert_eq!(echo.arguments[0].text, "tok=$NPM_TOKEN é");
        assert_eq!(
            echo.arguments[0].references[0].span.slice(text),
            "$NPM_TOKEN"
        );
        let redirect = &echo.redirects[0];
        assert_eq!(redirect.kind, RedirectKind::Write);
        assert_eq!(redirect.target.span.slice(text), "~/.npmrc");
        assert_eq!(echo.connector, Connector::And);
        assert!(matches!(echo.stdout, Stdout::File(_)));
    }

    #[test]
    fn non_ascii_text_before_a_word_keeps_byte_spans() {
        let text = "FROM a\nRUN echo \"héllo wörld\" && cat /run/secrets/x\n";
        let script = script(text, 1);
        assert_eq!(
            script.commands[1].arguments[0].span.slice(text),
            "/run/secrets/x"
        );
    }

    #[test]
    fn pipelines_and_substitutions() {
        let text = "FROM a\nRUN cat /run/secrets/x | docker login --password-stdin && psql --password=$(cat /run/secrets/db) `id -u`\n";
        let script = script(text, 1);
        assert_eq!(names(&script), ["cat", "docker", "psql", "cat", "id"]);
        assert_eq!(script.commands[0].pipes_into, Some(1));
        assert_eq!(script.commands[1].piped_from, Some(0));
        assert_eq!(script.commands[0].stdout, Stdout::Pipe);
        assert!(script.commands[3].in_substitution);
        assert_eq!(script.commands[3].parent, Some(2));
        assert_eq!(script.commands[3].stdout, Stdout::Captured);
        assert_eq!(
            script.commands[3].arguments[0].span.slice(text),
            "/run/secrets/db"
        );
        assert_eq!(script.commands[2].arguments[0].substitutions, 3..4);
        assert_eq!(script.commands[2].arguments[1].substitutions, 4..5);
    }

    #[test]
    fn sh_c_scripts_are_read_with_spans_inside_the_quotes() {
        let text = "FROM a\nRUN sudo -u app sh -c 'echo $TOKEN > /tmp/t' && bash -ec \"cat \\\"/run/secrets/x\\\"\"\n";
        let script = script(text, 1);
        assert_eq!(names(&script), ["sudo", "echo", "bash", "cat"]);
        assert_eq!(script.commands[1].origin, Origin::ShellArgument);
        assert_eq!(script.commands[1].arguments[0].span.slice(text), "$TOKEN");
        assert_eq!(
            script.commands[1].redirects[0].target.span.slice(text),
            "/tmp/t"
        );
        assert_eq!(script.commands[3].arguments[0].text, "/run/secrets/x");
        assert_eq!(
            script.commands[3].arguments[0].span.slice(text),
            "\\\"/run/secrets/x\\\""
        );
    }

    #[test]
    fn compound_commands_are_walked() {
        let text = "FROM a\nRUN if [ -n \"$A\" ]; then rm -f x; fi; for f in a b; do cat $f; done; { echo a; } > /out; f() { id; }\n";
        let script = script(text, 1);
        assert_eq!(names(&script), ["[", "rm", "for", "cat", "echo", "id"]);
        assert!(matches!(&script.commands[4].stdout, Stdout::File(word) if word.text == "/out"));
    }

    #[test]
    fn heredoc_scripts() {
        let text = "FROM a\nRUN <<EOF\nset -x\necho $TOKEN\nEOF\nRUN cat <<'EOF' > /etc/x.conf\nkey=$NOT\nEOF\nRUN <<EOF\n#!/usr/bin/env python3\nprint('x')\nEOF\nRUN bash -e <<EOF\ncat /run/secrets/k\nEOF\n";
        let first = script(text, 1);
        assert_eq!(first.kind, ScriptKind::Heredoc);
        assert_eq!(names(&first), ["set", "echo"]);
        assert_eq!(first.commands[1].arguments[0].span.slice(text), "$TOKEN");
        let second = script(text, 2);
        assert_eq!(names(&second), ["cat"]);
        let redirect = &second.commands[0].redirects[0];
        assert_eq!(redirect.kind, RedirectKind::HereDocument { expands: false });
        assert_eq!(redirect.target.text, "key=$NOT\n");
        assert!(redirect.target.references.is_empty());
        assert_eq!(second.commands[0].redirects[1].target.text, "/etc/x.conf");
        assert_eq!(script(text, 3).kind, ScriptKind::NotShell("python3".into()));
        let fourth = script(text, 4);
        assert_eq!(names(&fourth), ["bash", "cat"]);
        assert_eq!(fourth.commands[1].origin, Origin::ShellStdin);
        assert_eq!(
            fourth.commands[1].arguments[0].span.slice(text),
            "/run/secrets/k"
        );
    }

    #[test]
    fn exec_form_runs_one_command_or_a_shell() {
        let text =
            "FROM a\nRUN [\"sh\", \"-c\", \"echo \\\"$A\\\" > /x\"]\nRUN [\"echo\", \"$A\"]\n";
        let first = script(text, 1);
        assert_eq!(first.kind, ScriptKind::ExecForm);
        assert_eq!(names(&first), ["sh", "echo"]);
        assert_eq!(
            first.commands[1].arguments[0].span.slice(text),
            "\\\"$A\\\""
        );
        let second = script(text, 2);
        assert!(second.commands[0].arguments[0].references.is_empty());
    }

    #[test]
    fn rejected_scripts_fall_back_to_the_splitter() {
        let text = "FROM a\nRUN echo $(( && cat /run/secrets/x > /y\n";
        let script = script(text, 1);
        assert_eq!(script.parsed_with, ParsedWith::Fallback);
        let cat = script
            .commands
            .iter()
            .find(|command| command.name.as_ref().is_some_and(|name| name.text == "cat"))
            .expect("cat");
        assert_eq!(cat.arguments[0].span.slice(text), "/run/secrets/x");
        assert_eq!(cat.redirects[0].target.text, "/y");
    }

    #[test]
    fn nesting_counts_compound_commands_as_well_as_parentheses() {
        assert_eq!(nesting_depth(&"case a in a) ".repeat(24)), 24);
        assert_eq!(nesting_depth("if a; then if b; then c; fi; fi"), 2);
        assert_eq!(nesting_depth("if a; then b; fi; if c; then d; fi"), 1);
        assert_eq!(nesting_depth("echo wait for it; echo case closed"), 0);
        assert_eq!(nesting_depth("(((a)))"), 3);
        let nested = script(
            &format!("FROM alpine\nRUN {}\n", "case a in a) ".repeat(24)),
            1,
        );
        assert_eq!(nested.parsed_with, ParsedWith::Fallback);
    }

    #[test]
    fn a_run_past_its_parse_budget_falls_back_to_the_splitter() {
        // Nested scripts (`sh -c`, substitutions) are parsed again by the
        // same builder: four 60 KiB scripts use the budget, the fifth is split.
        let text = format!("echo {}", "a".repeat(60 * 1024));
        let table = Table::verbatim(0, text.len());
        let mut builder = Builder::default();
        let results: Vec<ParsedWith> = (0..5)
            .map(|_| builder.parse(&text, &table, &Context::top(), &[]))
            .collect();
        assert_eq!(results[..4], [ParsedWith::Parser; 4]);
        assert_eq!(results[4], ParsedWith::Fallback);
    }

    #[test]
    fn hostile_scripts_finish() {
        // brush-parser loops forever on this one; it must go to the splitter.
        let looping = script("FROM a\nRUN sh -c '<<$(  '\n", 1);
        assert_eq!(looping.nested_fallbacks, 1);
        // An unclosed `<(` before a multi-byte character.
        script("FROM a\nRUN $>esac--password=$[[<<EOF<(do''\\]]cpcpé\n", 1);
    }

    #[test]
    fn powershell_stages_are_not_shell() {
        let text = "FROM mcr.microsoft.com/windows/servercore:ltsc2022\nRUN echo %TOKEN%\nFROM alpine\nSHELL [\"pwsh\", \"-Command\"]\nRUN Write-Host x\nFROM alpine\nSHELL [\"/bin/bash\", \"-exo\", \"pipefail\", \"-c\"]\nRUN true\n";
        assert_eq!(script(text, 1).kind, ScriptKind::NotShell("cmd".into()));
        assert_eq!(script(text, 4).kind, ScriptKind::NotShell("pwsh".into()));
        assert!(script(text, 7).xtrace);
    }

    #[test]
    fn wrappers_are_looked_through() {
        let text = "FROM a\nRUN sudo -E env A=1 nohup /bin/rm -rf /x\n";
        let script = script(text, 1);
        let (program, arguments) = script.commands[0].program().expect("a program");
        assert_eq!(program, "rm");
        assert_eq!(arguments.len(), 2);
    }
}
