//! The `parse` command's output: what the parser saw, as JSON or text.
//!
//! JSON: an array with one object per file:
//! `{"path", "directives": [{"name", "value"}], "instructions": [{"cmd",
//! "sub_cmd", "json", "start_line", "end_line", "span": [start, end],
//! "flags": [...], "mounts": [{"type", "fields": [{"key", "value",
//! "span"}]}], "args": [...], "heredocs": [{"name", "content"}]}],
//! "errors": [{"line", "message"}]}`.
//!
//! `cmd` is the keyword lower-cased; `sub_cmd` the keyword ONBUILD wraps.
//! `flags` are the flags' original text, of the instruction itself (for
//! ONBUILD, BuildKit's way: the ONBUILD node's own flags). `mounts`, `args`
//! and `heredocs` are those of the instruction that does the work (ONBUILD's
//! inner one); `args` is BuildKit's argument list (`Instruction::values`).
//! A mount's `type` is as written (lower-cased), or `bind` when absent, as
//! BuildKit defaults it. Lines are 1-based, spans are byte offsets. An error
//! that has no line (a file that could not be read) has `"line": null`.
//!
//! Secret values are masked, as in every other output: each file's
//! [`ParsedFile::redactor`] (built by the linter's detection, see
//! [`crate::redact`]) masks every directive value, flag, mount field,
//! argument, heredoc body and error. `dockerleak parse --show-secrets`
//! leaves it empty, to debug the parser on the text as it is.

use crate::redact::Redactor;
use crate::source::Span;
use crate::syntax::{Dockerfile, Instruction};
use serde::Serialize;
use std::borrow::Cow;
use std::io::{self, Write};

/// The output formats of `dockerleak parse`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, clap::ValueEnum)]
pub enum AstFormat {
    /// One line per instruction.
    Text,
    /// A JSON array with one object per file.
    Json,
}

/// A problem with a file, with the 1-based line where it is (if any).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LineError {
    pub line: Option<usize>,
    pub message: String,
}

/// One file as the parser saw it.
#[derive(Clone, Debug)]
pub struct ParsedFile {
    pub path: String,
    /// Empty (no instructions, no errors) when the file could not be read.
    pub dockerfile: Dockerfile,
    /// Problems met before parsing (reading, decoding), listed before the
    /// parser's own errors.
    pub input_errors: Vec<LineError>,
    /// Masks the file's secrets in everything printed about it.
    pub redactor: Redactor,
}

impl ParsedFile {
    /// Every error: input problems first, then the parser's.
    pub fn errors(&self) -> Vec<LineError> {
        let mut errors = self.input_errors.clone();
        errors.extend(self.dockerfile.errors.iter().map(|error| LineError {
            line: Some(error.line),
            message: error.message.clone(),
        }));
        for error in &mut errors {
            error.message = self.redactor.mask(&error.message).into_owned();
        }
        errors
    }
}

#[derive(Serialize)]
struct FileOutput<'a> {
    path: &'a str,
    directives: Vec<DirectiveOutput<'a>>,
    instructions: Vec<InstructionOutput<'a>>,
    errors: Vec<LineError>,
}

#[derive(Serialize)]
struct DirectiveOutput<'a> {
    name: &'a str,
    value: Cow<'a, str>,
}

#[derive(Serialize)]
struct InstructionOutput<'a> {
    cmd: String,
    sub_cmd: Option<String>,
    json: bool,
    start_line: usize,
    end_line: usize,
    span: Span,
    flags: Vec<Cow<'a, str>>,
    mounts: Vec<MountOutput<'a>>,
    args: Vec<Cow<'a, str>>,
    heredocs: Vec<HeredocOutput<'a>>,
}

#[derive(Serialize)]
struct MountOutput<'a> {
    #[serde(rename = "type")]
    mount_type: String,
    fields: Vec<MountFieldOutput<'a>>,
}

#[derive(Serialize)]
struct MountFieldOutput<'a> {
    key: &'a str,
    value: Option<Cow<'a, str>>,
    span: Span,
}

#[derive(Serialize)]
struct HeredocOutput<'a> {
    name: &'a str,
    content: Cow<'a, str>,
}

fn instruction_output<'a>(
    instruction: &'a Instruction,
    redactor: &Redactor,
) -> InstructionOutput<'a> {
    let mask = |text: &'a str| redactor.mask(text);
    let effective = instruction.effective();
    InstructionOutput {
        cmd: instruction.keyword_word.text.to_lowercase(),
        sub_cmd: instruction
            .onbuild
            .as_ref()
            .map(|inner| inner.keyword_word.text.to_lowercase()),
        json: effective.json,
        start_line: instruction.start_line,
        end_line: instruction.end_line,
        span: instruction.span,
        flags: instruction
            .flags
            .iter()
            .map(|flag| mask(&flag.text))
            .collect(),
        mounts: effective
            .flags
            .iter()
            .filter_map(|flag| flag.mount.as_ref())
            .map(|mount| MountOutput {
                mount_type: mount.value("type").unwrap_or("bind").to_lowercase(),
                fields: mount
                    .fields
                    .iter()
                    .map(|field| MountFieldOutput {
                        key: &field.key.text,
                        value: field.value.as_ref().map(|value| mask(&value.text)),
                        span: field.span,
                    })
                    .collect(),
            })
            .collect(),
        args: effective.values().into_iter().map(mask).collect(),
        heredocs: effective
            .heredocs
            .iter()
            .map(|heredoc| HeredocOutput {
                name: &heredoc.name,
                content: mask(&heredoc.content),
            })
            .collect(),
    }
}

fn file_output(file: &ParsedFile) -> FileOutput<'_> {
    FileOutput {
        path: &file.path,
        directives: file
            .dockerfile
            .directives
            .iter()
            .map(|directive| DirectiveOutput {
                name: &directive.name,
                value: file.redactor.mask(&directive.value),
            })
            .collect(),
        instructions: file
            .dockerfile
            .instructions
            .iter()
            .map(|instruction| instruction_output(instruction, &file.redactor))
            .collect(),
        errors: file.errors(),
    }
}

/// Writes the parsed files in `format`.
pub fn write_parsed(
    format: AstFormat,
    files: &[ParsedFile],
    output: &mut dyn Write,
) -> io::Result<()> {
    match format {
        AstFormat::Json => write_json(files, output),
        AstFormat::Text => write_text(files, output),
    }
}

fn write_json(files: &[ParsedFile], output: &mut dyn Write) -> io::Result<()> {
    let document: Vec<FileOutput<'_>> = files.iter().map(file_output).collect();
    serde_json::to_writer_pretty(&mut *output, &document).map_err(io::Error::from)?;
    output.write_all(b"\n")
}

/// JSON string syntax for one value: quotes, escapes, one line.
fn quoted(text: &str) -> String {
    serde_json::to_string(text).unwrap_or_else(|_| format!("{text:?}"))
}

fn write_text(files: &[ParsedFile], output: &mut dyn Write) -> io::Result<()> {
    for (index, file) in files.iter().enumerate() {
        if index > 0 {
            writeln!(output)?;
        }
        let data = file_output(file);
        writeln!(output, "{}", data.path)?;
        for directive in &data.directives {
            writeln!(output, "  # {}={}", directive.name, directive.value)?;
        }
        for instruction in &data.instructions {
            let lines = if instruction.start_line == instruction.end_line {
                instruction.start_line.to_string()
            } else {
                format!("{}-{}", instruction.start_line, instruction.end_line)
            };
            let mut line = format!("  {lines} {}", instruction.cmd);
            if let Some(sub_cmd) = &instruction.sub_cmd {
                line.push(' ');
                line.push_str(sub_cmd);
            }
            if !instruction.flags.is_empty() {
                line.push_str(&format!(" [{}]", instruction.flags.join(" ")));
            }
            let args: Vec<String> = instruction.args.iter().map(|arg| quoted(arg)).collect();
            line.push_str(&format!(" [{}]", args.join(", ")));
            if instruction.json {
                line.push_str(" (exec form)");
            }
            writeln!(output, "{line}")?;
            for mount in &instruction.mounts {
                let fields: Vec<String> = mount
                    .fields
                    .iter()
                    .map(|field| match &field.value {
                        Some(value) => format!("{}={}", field.key, value),
                        None => field.key.to_string(),
                    })
                    .collect();
                writeln!(
                    output,
                    "      mount {}: {}",
                    mount.mount_type,
                    fields.join(" ")
                )?;
            }
            for heredoc in &instruction.heredocs {
                writeln!(
                    output,
                    "      heredoc {}: {}",
                    heredoc.name,
                    quoted(&heredoc.content)
                )?;
            }
        }
        for error in &data.errors {
            match error.line {
                Some(line) => writeln!(output, "  error: line {line}: {}", error.message)?,
                None => writeln!(output, "  error: {}", error.message)?,
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(text: &str) -> ParsedFile {
        ParsedFile {
            path: "Dockerfile".into(),
            dockerfile: crate::syntax::parse(text),
            input_errors: Vec::new(),
            redactor: Redactor::none(),
        }
    }

    #[test]
    fn text_shows_lines_flags_mounts_and_arguments() {
        let file = parsed(
            "FROM alpine\nRUN --mount=type=secret,id=x,target=/root/.netrc \\\n    cat /root/.netrc\n",
        );
        let mut output = Vec::new();
        write_parsed(AstFormat::Text, &[file], &mut output).expect("writing to a Vec cannot fail");
        let text = String::from_utf8(output).expect("text output is UTF-8");
        assert!(text.contains("  1 from [\"alpine\"]\n"), "{text}");
        assert!(
            text.contains("  2-3 run [--mount=type=secret,id=x,target=/root/.netrc] ["),
            "{text}"
        );
        assert!(
            text.contains("mount secret: type=secret id=x target=/root/.netrc"),
            "{text}"
        );
    }
}
