//! The Dockerfile syntax tree. Every node keeps the byte span of the source
//! text it came from, so diagnostics can point at one word of one line.

use crate::source::Span;
use serde::Serialize;

/// A parsed Dockerfile: parser directives, instructions in order, comments
/// and the errors met on the way (the parser never gives up on a file).
#[derive(Clone, Debug, Default, Serialize)]
pub struct Dockerfile {
    pub directives: Vec<Directive>,
    pub instructions: Vec<Instruction>,
    pub comments: Vec<Comment>,
    pub errors: Vec<SyntaxError>,
    /// The escape character in effect (`\` or `` ` ``).
    pub escape: char,
}

impl Dockerfile {
    /// The value of the parser directive `name` (`syntax`, `escape`, `check`).
    pub fn directive(&self, name: &str) -> Option<&Directive> {
        self.directives
            .iter()
            .find(|directive| directive.name.eq_ignore_ascii_case(name))
    }
}

/// `# name=value` at the top of the file.
#[derive(Clone, Debug, Serialize)]
pub struct Directive {
    pub name: String,
    pub value: String,
    pub span: Span,
    pub value_span: Span,
}

/// A `#` comment line (directives are comments too, and are listed here as well).
#[derive(Clone, Debug, Serialize)]
pub struct Comment {
    /// The text after `#`, trimmed.
    pub text: String,
    pub span: Span,
    /// 1-based line.
    pub line: usize,
}

/// A problem that makes one instruction (or the file) invalid for BuildKit.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SyntaxError {
    pub message: String,
    pub span: Span,
    /// 1-based line where the problem starts.
    pub line: usize,
}

/// What an instruction is. Unknown keywords are kept (BuildKit ignores them).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Keyword {
    Add,
    Arg,
    Cmd,
    Copy,
    Entrypoint,
    Env,
    Expose,
    From,
    Healthcheck,
    Label,
    Maintainer,
    Onbuild,
    Run,
    Shell,
    Stopsignal,
    User,
    Volume,
    Workdir,
    Unknown,
}

impl Keyword {
    pub fn from_name(name: &str) -> Keyword {
        match name.to_ascii_lowercase().as_str() {
            "add" => Keyword::Add,
            "arg" => Keyword::Arg,
            "cmd" => Keyword::Cmd,
            "copy" => Keyword::Copy,
            "entrypoint" => Keyword::Entrypoint,
            "env" => Keyword::Env,
            "expose" => Keyword::Expose,
            "from" => Keyword::From,
            "healthcheck" => Keyword::Healthcheck,
            "label" => Keyword::Label,
            "maintainer" => Keyword::Maintainer,
            "onbuild" => Keyword::Onbuild,
            "run" => Keyword::Run,
            "shell" => Keyword::Shell,
            "stopsignal" => Keyword::Stopsignal,
            "user" => Keyword::User,
            "volume" => Keyword::Volume,
            "workdir" => Keyword::Workdir,
            _ => Keyword::Unknown,
        }
    }

    /// Instructions whose arguments may hold `<<EOF` heredocs.
    pub fn can_contain_heredoc(self) -> bool {
        matches!(self, Keyword::Run | Keyword::Copy | Keyword::Add)
    }
}

/// A piece of text with the span it came from. `text` is the value BuildKit
/// sees (continuations joined, flag quotes removed), `span` covers the
/// original source, which may include a continuation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Word {
    pub text: String,
    pub span: Span,
}

/// One instruction, possibly spread over several lines and heredocs.
#[derive(Clone, Debug, Serialize)]
pub struct Instruction {
    pub keyword: Keyword,
    /// The keyword as written (`run`, `RUN`, `Copy`, or an unknown word).
    pub keyword_word: Word,
    pub flags: Vec<Flag>,
    pub arguments: Arguments,
    pub heredocs: Vec<Heredoc>,
    /// `ONBUILD <instruction>`: the inner instruction.
    pub onbuild: Option<Box<Instruction>>,
    /// From the keyword to the end of the last line (heredocs included).
    pub span: Span,
    /// The argument text after the flags (shell form command line, raw
    /// ENV/LABEL text...), as BuildKit sees it with continuations joined.
    pub rest: Word,
    /// Maps offsets in `rest.text` back to the source across continuations:
    /// `(offset in rest, source offset)` where each piece starts.
    pub rest_map: Vec<(usize, usize)>,
    /// Exec form: the arguments (or HEALTHCHECK's command) are a JSON array.
    pub json: bool,
    /// 1-based lines, inclusive.
    pub start_line: usize,
    pub end_line: usize,
    /// Set when this instruction is invalid; the rest of the file still parses.
    pub error: Option<SyntaxError>,
}

impl Instruction {
    /// The instruction that does the work: itself, or what ONBUILD wraps.
    pub fn effective(&self) -> &Instruction {
        self.onbuild.as_deref().unwrap_or(self)
    }

    /// The source span of `range`, a byte range of `rest.text`.
    pub fn rest_span(&self, range: std::ops::Range<usize>) -> Span {
        let map = |offset: usize| {
            let index = self
                .rest_map
                .partition_point(|(start, _)| *start <= offset)
                .saturating_sub(1);
            self.rest_map
                .get(index)
                .map_or(self.rest.span.start + offset, |(start, source)| {
                    source + (offset - start)
                })
        };
        if range.start >= range.end {
            return Span::empty(map(range.start));
        }
        Span::new(map(range.start), map(range.end - 1) + 1)
    }

    /// The source offset of every byte of `rest.text`, in order: what
    /// `rest_span(offset..offset + 1).start` gives for each offset, in one
    /// linear pass instead of a binary search per byte.
    pub fn rest_offsets(&self) -> impl Iterator<Item = usize> + '_ {
        let mut segment = 0;
        (0..self.rest.text.len()).map(move |offset| {
            while self
                .rest_map
                .get(segment + 1)
                .is_some_and(|(start, _)| *start <= offset)
            {
                segment += 1;
            }
            self.rest_map
                .get(segment)
                .map_or(self.rest.span.start + offset, |(start, source)| {
                    source + offset.saturating_sub(*start)
                })
        })
    }

    /// Gives back the growth slack of the instruction's vectors (most hold
    /// one or two elements in room for four): a file's instructions are
    /// kept until its lint ends.
    pub(crate) fn shrink_to_fit(&mut self) {
        self.flags.shrink_to_fit();
        self.heredocs.shrink_to_fit();
        self.rest_map.shrink_to_fit();
        match &mut self.arguments {
            Arguments::None | Arguments::Text(_) => {}
            Arguments::Json(words) | Arguments::Words(words) => words.shrink_to_fit(),
            Arguments::Args(pairs) | Arguments::Pairs(pairs) => pairs.shrink_to_fit(),
            Arguments::Healthcheck { command, .. } => command.shrink_to_fit(),
        }
        if let Some(inner) = &mut self.onbuild {
            inner.shrink_to_fit();
        }
    }

    pub fn flag(&self, name: &str) -> Option<&Flag> {
        self.flags.iter().find(|flag| flag.name.text == name)
    }

    pub fn flags_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Flag> + 'a {
        self.flags.iter().filter(move |flag| flag.name.text == name)
    }

    /// BuildKit's argument list for this instruction (what its Go parser
    /// puts in the node chain): JSON elements, whitespace-split words,
    /// `key, value, …` pairs for ENV/LABEL, raw `k=v` words for ARG.
    pub fn values(&self) -> Vec<&str> {
        if self.keyword == Keyword::Unknown {
            // BuildKit ignores unknown instructions with one empty node.
            return vec![""];
        }
        match &self.arguments {
            Arguments::None => Vec::new(),
            Arguments::Text(word) => vec![word.text.as_str()],
            Arguments::Json(words) | Arguments::Words(words) => {
                words.iter().map(|word| word.text.as_str()).collect()
            }
            Arguments::Pairs(pairs) => pairs
                .iter()
                .flat_map(|pair| {
                    [
                        pair.key.text.as_str(),
                        pair.value.as_ref().map_or("", |value| value.text.as_str()),
                    ]
                })
                .collect(),
            Arguments::Args(declarations) => declarations
                .iter()
                .map(|declaration| declaration.raw.as_str())
                .collect(),
            Arguments::Healthcheck { kind, command } => {
                let mut values = vec![kind.text.as_str()];
                values.extend(command.iter().map(|word| word.text.as_str()));
                values
            }
        }
    }
}

/// The arguments of an instruction, in the shape its keyword gives them.
#[derive(Clone, Debug, Serialize)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
pub enum Arguments {
    None,
    /// One string: shell form of RUN/CMD/ENTRYPOINT/SHELL, or USER/WORKDIR/… text.
    Text(Word),
    /// Exec form: `["a", "b"]`, strings decoded.
    Json(Vec<Word>),
    /// Whitespace-separated words (FROM, EXPOSE, COPY/ADD/VOLUME shell form).
    Words(Vec<Word>),
    /// ARG's `name[=value]` declarations (quotes kept, as BuildKit keeps them).
    Args(Vec<KeyValue>),
    /// ENV and LABEL `key=value` pairs (or the legacy `ENV key value`).
    Pairs(Vec<KeyValue>),
    /// HEALTHCHECK: `NONE` or `CMD` plus its command.
    Healthcheck {
        kind: Word,
        command: Vec<Word>,
    },
}

impl Arguments {
    /// All words, in order, whatever the shape.
    pub fn words(&self) -> Vec<&Word> {
        match self {
            Arguments::None => Vec::new(),
            Arguments::Text(word) => vec![word],
            Arguments::Json(words) | Arguments::Words(words) => words.iter().collect(),
            Arguments::Pairs(pairs) | Arguments::Args(pairs) => pairs
                .iter()
                .flat_map(|pair| std::iter::once(&pair.key).chain(pair.value.as_ref()))
                .collect(),
            Arguments::Healthcheck { kind, command } => {
                std::iter::once(kind).chain(command.iter()).collect()
            }
        }
    }
}

/// `key=value` (ENV, LABEL, ARG) with spans for each side.
#[derive(Clone, Debug, Serialize)]
pub struct KeyValue {
    /// The whole word as BuildKit keeps it (`A="b c"`, or `A` alone for ARG).
    pub raw: String,
    pub key: Word,
    /// `None` for `ARG NAME` without a default.
    pub value: Option<Word>,
    pub span: Span,
}

/// A `--name[=value]` flag before the arguments.
#[derive(Clone, Debug, Serialize)]
pub struct Flag {
    /// The flag text as BuildKit keeps it (`mount=type=secret,id=x`,
    /// quotes and the leading `--` removed is `name`+`value`; this is the
    /// whole word with `--`).
    pub text: String,
    /// Name without the dashes (`mount`, `from`, `chown`).
    pub name: Word,
    pub value: Option<Word>,
    pub span: Span,
    /// For `--mount`: the parsed fields.
    pub mount: Option<Mount>,
}

/// A `RUN --mount=…` value split into its comma-separated fields.
#[derive(Clone, Debug, Serialize)]
pub struct Mount {
    pub fields: Vec<MountField>,
    pub span: Span,
}

/// The kinds of `RUN --mount`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum MountType {
    Bind,
    Cache,
    Tmpfs,
    Secret,
    Ssh,
    Other,
}

impl Mount {
    /// The field `key` (aliases such as `dst`/`destination` for `target`,
    /// `src` for `source`, `ro` for `readonly` are resolved).
    pub fn field(&self, key: &str) -> Option<&MountField> {
        let canonical = canonical_mount_key(key);
        self.fields
            .iter()
            .rev()
            .find(|field| canonical_mount_key(&field.key.text) == canonical)
    }

    pub fn value(&self, key: &str) -> Option<&str> {
        self.field(key)
            .and_then(|field| field.value.as_ref())
            .map(|value| value.text.as_str())
    }

    /// `type=`, defaulting to `bind` as BuildKit does.
    pub fn mount_type(&self) -> MountType {
        match self.value("type").map(str::to_ascii_lowercase).as_deref() {
            None | Some("bind") => MountType::Bind,
            Some("cache") => MountType::Cache,
            Some("tmpfs") => MountType::Tmpfs,
            Some("secret") => MountType::Secret,
            Some("ssh") => MountType::Ssh,
            Some(_) => MountType::Other,
        }
    }

    /// Where a secret mount appears in the container: `target=`, or
    /// `/run/secrets/<id>` (the id defaults to the target's base name).
    pub fn secret_target(&self) -> Option<String> {
        if self.mount_type() != MountType::Secret {
            return None;
        }
        if let Some(target) = self.value("target") {
            return Some(target.to_string());
        }
        if self.value("env").is_some() {
            return None;
        }
        self.value("id").map(|id| format!("/run/secrets/{id}"))
    }

    /// The secret id: `id=`, or the base name of `target=`.
    pub fn secret_id(&self) -> Option<&str> {
        self.value("id").or_else(|| {
            self.value("target")
                .map(|target| target.rsplit('/').next().unwrap_or(target))
        })
    }
}

fn canonical_mount_key(key: &str) -> &str {
    match key {
        "dst" | "destination" => "target",
        "src" => "source",
        "ro" => "readonly",
        "rw" => "readwrite",
        other => other,
    }
}

/// One `key=value` (or bare `key`) field of a mount.
#[derive(Clone, Debug, Serialize)]
pub struct MountField {
    pub key: Word,
    pub value: Option<Word>,
    pub span: Span,
}

/// A `<<EOF` … `EOF` here-document.
#[derive(Clone, Debug, Serialize)]
pub struct Heredoc {
    /// The delimiter with quotes removed (`EOF`).
    pub name: String,
    /// The `<<EOF` word in the instruction line.
    pub marker_span: Span,
    /// Lines between the instruction and the terminator, line ends kept.
    pub content: String,
    pub content_span: Span,
    /// `<<"EOF"` / `<<'EOF'`: no variable expansion in the body.
    pub quoted: bool,
    /// `<<-EOF`: leading tabs are stripped.
    pub chomp: bool,
    /// `3<<EOF`: the file descriptor, if given.
    pub file_descriptor: Option<u32>,
}
