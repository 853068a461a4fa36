//! The layer model: for each instruction, which paths it adds to the image
//! and which it removes, with `~`, `$HOME`, WORKDIR, `cd` and known ARG/ENV
//! values resolved, and for each RUN the secrets it mounts and the shell
//! variables that carry a mounted secret.
//!
//! Added: COPY/ADD destinations (Docker's trailing-slash rules), files a RUN
//! writes (`>`/`>>`, `tee`, `cp`, `mv`, `install`, `curl -o`) and files that
//! tools write as a side effect (`git config --global credential.helper
//! store`, `npm config set …:_authToken`, `yarn config set npmAuthToken`,
//! `aws configure set`, `docker login`, `pip config set`). Removed: `rm`,
//! `shred`, `unlink`, `find … -delete` / `-exec rm`, `… | xargs rm`, the
//! source of `mv`, and tool commands that take a credential back out
//! (`npm config delete …_authToken`, `docker logout`).
//!
//! This module knows nothing about which files are credentials: that is the
//! catalogue's (`crate::secrets`) and the rules' business.

use super::expand::{expand_word, Lookup};
use super::shell::{base_name, Output, ShellScript, ShellWord, Stdout};
use super::{Analysis, Base};
use crate::source::Span;
use crate::syntax::{Arguments, Dockerfile, Instruction, Keyword, MountType, Word};
use globset::{Glob, GlobBuilder, GlobMatcher};
use std::sync::OnceLock;

/// What put a path into a layer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AddedBy {
    Copy,
    Add,
    /// `> file`, `>> file`, `&> file`.
    Redirect,
    Tee,
    Cp,
    Mv,
    Install,
    /// `curl -o`, `wget -O`.
    Download,
    /// An in-place edit: `sed -i`, `perl -pi -e`.
    Edit,
    /// A tool that writes its configuration (the name is the command:
    /// `git config`, `npm config set`, `docker login`…).
    Tool(&'static str),
}

/// What a RUN wrote into a file, as far as it can be followed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Content {
    /// Words whose value is written (`echo` arguments, a heredoc body, the
    /// value given to `npm config set`).
    pub data: Vec<ShellWord>,
    /// Files whose content is written (`cat FILE >`, the source of `cp`).
    pub files: Vec<ContentFile>,
    /// Part of it comes from a program whose output is not followed.
    pub opaque: bool,
    /// Index of the command whose stdin feeds it (`… | tee f`,
    /// `… | docker login --password-stdin`).
    pub stdin_from: Option<usize>,
}

/// A file read as content, with its resolved path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ContentFile {
    pub word: ShellWord,
    pub path: String,
}

/// A path an instruction adds to its layer.
#[derive(Clone, Debug)]
pub struct AddedPath {
    /// Absolute and normalised (`~/…` or `$VAR/…` when the home or the
    /// variable is not known).
    pub path: String,
    /// For COPY/ADD: the source as written (variables expanded).
    pub source: Option<String>,
    /// The word that names it (COPY source, redirect target, `cp`
    /// destination, tool command name).
    pub span: Span,
    pub by: AddedBy,
    /// The RUN command that writes it (index in the RUN's shell script).
    pub command: Option<usize>,
    pub content: Content,
    /// The layer model knows the write stores a credential (a tool wrote
    /// an auth token, `docker login`, a credential store helper).
    pub holds_credential: bool,
    /// A later command of the same RUN removes it (so it never reaches
    /// the layer): the removing word.
    pub removed_in_same_run: Option<Span>,
}

impl AddedPath {
    /// Whether the path stays in the layer this instruction makes.
    pub fn persists(&self) -> bool {
        self.removed_in_same_run.is_none()
    }
}

/// What a removal matches.
#[derive(Clone, Debug)]
pub enum PathPattern {
    /// A path and everything under it.
    Path(String),
    /// A glob (`/root/.ssh/*`) and everything under what it matches.
    Glob(LazyMatcher),
    /// `find DIRS -name NAMES -delete`: anything under the directories whose
    /// name (or a parent's name below the directory) matches; every path
    /// when `names` is empty.
    Find {
        directories: Vec<String>,
        names: Vec<LazyMatcher>,
    },
}

/// A parsed glob whose matcher (a regex) is compiled on first use. Most
/// removals are never compared with anything (`rm -rf /var/lib/apt/lists/*`
/// in nearly every Dockerfile): compiling each one up front was 4% of a
/// corpus run.
#[derive(Clone, Debug)]
pub struct LazyMatcher {
    glob: Glob,
    matcher: OnceLock<GlobMatcher>,
}

impl LazyMatcher {
    fn new(glob: Glob) -> LazyMatcher {
        LazyMatcher {
            glob,
            matcher: OnceLock::new(),
        }
    }

    pub fn is_match(&self, path: &str) -> bool {
        self.matcher
            .get_or_init(|| self.glob.compile_matcher())
            .is_match(path)
    }
}

/// How a path is removed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RemovedBy {
    Rm,
    Shred,
    Unlink,
    Find,
    /// The source of `mv`.
    Mv,
    /// A tool taking the credential back out (`npm config delete`,
    /// `docker logout`).
    Tool(&'static str),
}

/// A removal by a RUN.
#[derive(Clone, Debug)]
pub struct RemovedPath {
    pub pattern: PathPattern,
    /// The word that names what is removed.
    pub span: Span,
    pub by: RemovedBy,
    /// Index of the command in the RUN's shell script.
    pub command: usize,
}

impl RemovedPath {
    /// Whether this removal removes `path` (a normalised absolute path).
    pub fn removes(&self, path: &str) -> bool {
        match &self.pattern {
            PathPattern::Path(removed) => is_same_or_under(path, removed),
            PathPattern::Glob(matcher) => {
                ancestors_or_self(path).any(|candidate| matcher.is_match(candidate))
            }
            PathPattern::Find { directories, names } => directories.iter().any(|directory| {
                if !is_same_or_under(path, directory) {
                    return false;
                }
                if names.is_empty() {
                    return true;
                }
                let below = path[directory.trim_end_matches('/').len()..].trim_start_matches('/');
                below
                    .split('/')
                    .any(|component| names.iter().any(|name| name.is_match(component)))
            }),
        }
    }
}

/// `path` is `parent` or lies under it.
pub fn is_same_or_under(path: &str, parent: &str) -> bool {
    let parent = parent.trim_end_matches('/');
    parent.is_empty()
        || path == parent
        || path
            .strip_prefix(parent)
            .is_some_and(|rest| rest.starts_with('/'))
}

/// `/a/b/c`, `/a/b`, `/a`.
pub(crate) fn ancestors_or_self(path: &str) -> impl Iterator<Item = &str> {
    let mut current = Some(path);
    std::iter::from_fn(move || {
        let this = current?;
        current = this
            .rfind('/')
            .filter(|slash| *slash > 0)
            .map(|slash| &this[..slash]);
        Some(this)
    })
}

/// A `RUN --mount=type=secret`.
#[derive(Clone, Debug)]
pub struct SecretMount {
    pub id: Option<String>,
    /// Where the secret file appears (`target=`, or `/run/secrets/<id>`),
    /// resolved; `None` for an `env=`-only mount.
    pub path: Option<String>,
    /// `env=NAME`.
    pub env: Option<String>,
    /// The whole `--mount=…` flag.
    pub span: Span,
    /// The `target=` field, if written.
    pub target_span: Option<Span>,
}

/// The mounts of a RUN.
#[derive(Clone, Debug, Default)]
pub struct RunMounts {
    pub secrets: Vec<SecretMount>,
    /// `--mount=type=ssh` flags.
    pub ssh: Vec<Span>,
    /// Targets of cache, tmpfs and bind mounts: what is written there does
    /// not reach the layer.
    pub other_targets: Vec<String>,
}

/// What one instruction does to the image's files.
#[derive(Clone, Debug, Default)]
pub struct Layer {
    /// WORKDIR in effect (`/` when never set).
    pub workdir: String,
    /// USER in effect (the name or id before `:`), `None` when never set.
    pub user: Option<String>,
    /// The home directory `~` and `$HOME` stand for, when known.
    pub home: Option<String>,
    pub added: Vec<AddedPath>,
    pub removed: Vec<RemovedPath>,
    pub mounts: RunMounts,
    /// Shell variables that hold a mounted secret: the mounts' `env=` names
    /// and variables the RUN assigns from a secret (`T=$(cat /run/secrets/t)`).
    pub secret_variables: Vec<String>,
    /// Per command of the RUN: whether its output reads a mounted secret
    /// file (`cat /run/secrets/x`, `< /run/secrets/x`, through pipes).
    command_reads_secret: Vec<bool>,
    /// Per command of the RUN: the directory it runs in (after `cd`).
    command_directories: Vec<String>,
}

impl Layer {
    /// Whether `path` is where a secret of this RUN is mounted.
    pub fn is_secret_path(&self, path: &str) -> bool {
        self.mounts
            .secrets
            .iter()
            .any(|mount| mount.path.as_deref() == Some(path))
    }

    /// Whether `path` lies in a mount (secret, cache, tmpfs, bind), where
    /// writes do not reach the layer.
    pub fn is_in_mount(&self, path: &str) -> bool {
        self.mounts
            .secrets
            .iter()
            .filter_map(|mount| mount.path.as_deref())
            .chain(self.mounts.other_targets.iter().map(String::as_str))
            .any(|target| is_same_or_under(path, target))
            || is_same_or_under(path, "/run/secrets")
    }

    /// Whether the value of `word` carries a mounted secret: it expands a
    /// secret variable, or a command substitution reads a secret file.
    pub fn reads_secret(&self, script: &ShellScript, word: &ShellWord) -> bool {
        word.references.iter().any(|reference| {
            reference.yields_value && self.secret_variables.contains(&reference.name)
        }) || word.substitutions.clone().any(|index| {
            script.commands[index].stdout == Stdout::Captured
                && self.output_reads_secret(script, index)
        })
    }

    /// Whether what command `index` prints carries a mounted secret.
    pub fn output_reads_secret(&self, script: &ShellScript, index: usize) -> bool {
        if self
            .command_reads_secret
            .get(index)
            .copied()
            .unwrap_or(false)
        {
            return true;
        }
        let output = script.output_of(index);
        output
            .data
            .iter()
            .any(|word| self.reads_secret(script, word))
    }

    /// Whether `content` carries a mounted secret.
    pub fn content_reads_secret(&self, script: &ShellScript, content: &Content) -> bool {
        content
            .files
            .iter()
            .any(|file| self.is_secret_path(&file.path))
            || content
                .data
                .iter()
                .any(|word| self.reads_secret(script, word))
            || content
                .stdin_from
                .is_some_and(|index| self.output_reads_secret(script, index))
    }

    /// Gives back the growth slack of the layer's vectors: a layer is kept
    /// for every instruction until the lint ends, and most hold one or two
    /// elements in room for four.
    fn shrink_to_fit(&mut self) {
        self.added.shrink_to_fit();
        self.removed.shrink_to_fit();
        self.secret_variables.shrink_to_fit();
        self.command_reads_secret.shrink_to_fit();
        self.command_directories.shrink_to_fit();
    }

    /// The directory command `index` of the RUN runs in.
    pub fn directory_of(&self, command: usize) -> &str {
        self.command_directories
            .get(command)
            .map_or(self.workdir.as_str(), String::as_str)
    }
}

/// Builds the layer of every instruction.
pub fn build(dockerfile: &Dockerfile, analysis: &Analysis) -> Vec<Layer> {
    let mut layers: Vec<Layer> = Vec::with_capacity(dockerfile.instructions.len());
    // Per stage: WORKDIR and USER at its end (for `FROM stage`).
    let mut stage_state: Vec<(String, Option<String>)> = Vec::with_capacity(analysis.stages.len());
    let mut workdir = "/".to_string();
    let mut user: Option<String> = None;
    for (index, instruction) in dockerfile.instructions.iter().enumerate() {
        let stage = analysis.stage_of(index);
        if instruction.keyword == Keyword::From {
            (workdir, user) = match stage.map(|stage| &stage.base) {
                Some(Base::Stage(parent)) => stage_state
                    .get(*parent)
                    .cloned()
                    .unwrap_or(("/".to_string(), None)),
                _ => ("/".to_string(), None),
            };
        }
        match instruction.keyword {
            Keyword::Workdir => {
                if let Some(word) = first_word(instruction) {
                    let value = analysis.expand_word(word, index).value;
                    workdir = normalize(&join(&workdir, &value));
                }
            }
            Keyword::User => {
                if let Some(word) = first_word(instruction) {
                    let value = analysis.expand_word(word, index).value;
                    let name = value.split(':').next().unwrap_or("").to_string();
                    user = (!name.is_empty()).then_some(name);
                }
            }
            _ => {}
        }
        if let Some(stage) = stage {
            if stage_state.len() <= stage.index {
                stage_state.resize(stage.index + 1, ("/".to_string(), None));
            }
            stage_state[stage.index] = (workdir.clone(), user.clone());
        }
        let home = home_directory(analysis, index, user.as_deref());
        let mut layer = Layer {
            workdir: workdir.clone(),
            user: user.clone(),
            home,
            ..Layer::default()
        };
        match instruction.keyword {
            Keyword::Copy | Keyword::Add => copy_effects(analysis, index, instruction, &mut layer),
            Keyword::Run => {
                if let Some(script) = analysis.shell(index) {
                    RunEffects::new(analysis, index, instruction, script, &mut layer).collect();
                }
            }
            _ => {}
        }
        layer.shrink_to_fit();
        layers.push(layer);
    }
    layers
}

fn first_word(instruction: &Instruction) -> Option<&Word> {
    match &instruction.arguments {
        Arguments::Text(word) => Some(word),
        Arguments::Words(words) | Arguments::Json(words) => words.first(),
        _ => None,
    }
}

/// `$HOME` from ENV when known; else `/root` for root (or no USER) and
/// `/home/<name>` for a named user; unknown for a numeric one.
fn home_directory(analysis: &Analysis, index: usize, user: Option<&str>) -> Option<String> {
    if let Some(resolved) = analysis.resolve("HOME", index) {
        return match resolved.value() {
            Some(value) if !resolved.is_build_time() && value.starts_with('/') => {
                Some(normalize(value))
            }
            _ => None,
        };
    }
    match user {
        None | Some("root") | Some("0") => Some("/root".to_string()),
        Some(name) if name.chars().all(|ch| ch.is_ascii_digit()) => None,
        Some(name) if name.contains('$') => None,
        Some(name) => Some(format!("/home/{name}")),
    }
}

/// `base` joined with `path` (absolute paths, `~` and `$VAR` stay).
fn join(base: &str, path: &str) -> String {
    if path.starts_with('/') || path.starts_with('~') || path.starts_with('$') {
        path.to_string()
    } else {
        format!("{}/{}", base.trim_end_matches('/'), path)
    }
}

/// Collapses `//`, `/./`, `..` and a trailing `/`: `/a//b/./c/../d/` →
/// `/a/b/d`. A leading `~` or `$VAR` component is kept.
pub fn normalize(path: &str) -> String {
    let mut components: Vec<&str> = Vec::new();
    let relative_root = path
        .split('/')
        .next()
        .filter(|first| first.starts_with('~') || first.starts_with('$'));
    for component in path.split('/').skip(usize::from(relative_root.is_some())) {
        match component {
            "" | "." => {}
            ".." => {
                components.pop();
            }
            other => components.push(other),
        }
    }
    let body = components.join("/");
    match relative_root {
        Some(root) if body.is_empty() => root.to_string(),
        Some(root) => format!("{root}/{body}"),
        None => format!("/{body}"),
    }
}

/// COPY/ADD: each source lands at the destination, or inside it when the
/// destination ends with `/` or there are several sources.
fn copy_effects(analysis: &Analysis, index: usize, instruction: &Instruction, layer: &mut Layer) {
    let words: Vec<&Word> = match &instruction.arguments {
        Arguments::Json(words) | Arguments::Words(words) => words.iter().collect(),
        _ => return,
    };
    let Some((destination, sources)) = words.split_last() else {
        return;
    };
    let destination_text = analysis.expand_word(destination, index).value;
    let into_directory =
        destination_text.ends_with('/') || destination_text == "." || sources.len() > 1;
    let destination_path = normalize(&join(&layer.workdir, &destination_text));
    let by = if instruction.keyword == Keyword::Add {
        AddedBy::Add
    } else {
        AddedBy::Copy
    };
    for source in sources {
        let heredoc = instruction.heredocs.iter().find(|heredoc| {
            source.text.starts_with("<<") && source.text.contains(heredoc.name.as_str())
        });
        let (source_text, name) = match heredoc {
            Some(heredoc) => (None, Some(heredoc.name.clone())),
            None => {
                let text = analysis.expand_word(source, index).value;
                let name = if by == AddedBy::Add && text.contains("://") {
                    url_file_name(&text).map(str::to_string)
                } else if text.ends_with('/') || text == "." || text.ends_with("/.") {
                    // A directory's contents are copied, not the directory.
                    None
                } else {
                    Some(base_name(text.trim_end_matches('/')).to_string())
                };
                (Some(text), name)
            }
        };
        let path = match (into_directory, name) {
            (true, Some(name)) => normalize(&format!("{destination_path}/{name}")),
            _ => destination_path.clone(),
        };
        layer.added.push(AddedPath {
            path,
            source: source_text,
            span: source.span,
            by,
            command: None,
            content: Content::default(),
            holds_credential: false,
            removed_in_same_run: None,
        });
    }
}

/// `https://host/dir/file?x` → `file`.
fn url_file_name(url: &str) -> Option<&str> {
    let (_, rest) = url.split_once("://")?;
    let path = rest.split(['?', '#']).next().unwrap_or(rest);
    let (_, path) = path.split_once('/')?;
    let name = base_name(path.trim_end_matches('/'));
    (!name.is_empty()).then_some(name)
}

/// The tools [`RunEffects`] reads a credential-file write (or removal)
/// from that the RUN text need not name, with the words one of which the
/// command must hold (`git config`, `npm login`, `docker logout`…): the
/// shell prefilter ([`super::shell::prefilter`]) reads any RUN that names
/// one of the programs and one of its words. Keep in step with the
/// `match program` of `RunEffects::collect`.
pub(crate) const TOOL_WRITES: [(&[&str], &[&str]); 8] = [
    (&["git"], &["config"]),
    (
        &["npm", "pnpm"],
        &["config", "login", "adduser", "add-user"],
    ),
    (&["yarn"], &["config"]),
    (&["aws"], &["configure"]),
    (&["docker", "podman", "nerdctl"], &["login", "logout"]),
    // `pip3` holds `pip`.
    (&["pip"], &["config"]),
    (&["htpasswd"], &[]),
    (&["x11vnc"], &[]),
];

/// Reads a RUN's commands into its layer.
struct RunEffects<'a> {
    analysis: &'a Analysis,
    index: usize,
    script: &'a ShellScript,
    layer: &'a mut Layer,
    /// Shell variables the RUN assigned so far: name, value (expanded where
    /// known).
    locals: Vec<(String, String)>,
}

impl<'a> RunEffects<'a> {
    fn new(
        analysis: &'a Analysis,
        index: usize,
        instruction: &'a Instruction,
        script: &'a ShellScript,
        layer: &'a mut Layer,
    ) -> Self {
        let mut effects = RunEffects {
            analysis,
            index,
            script,
            layer,
            locals: Vec::new(),
        };
        effects.read_mounts(instruction);
        effects
    }

    fn read_mounts(&mut self, instruction: &Instruction) {
        for flag in instruction.flags_named("mount") {
            let Some(mount) = &flag.mount else { continue };
            let resolve = |target: &str| {
                normalize(&join(
                    &self.layer.workdir,
                    &self.analysis.expand(target, self.index).value,
                ))
            };
            match mount.mount_type() {
                MountType::Secret => {
                    let path = mount.secret_target().map(|target| resolve(&target));
                    self.layer.mounts.secrets.push(SecretMount {
                        id: mount.secret_id().map(str::to_string),
                        path,
                        env: mount.value("env").map(str::to_string),
                        span: flag.span,
                        target_span: mount.field("target").map(|field| field.span),
                    });
                }
                MountType::Ssh => self.layer.mounts.ssh.push(flag.span),
                _ => {
                    if let Some(target) = mount.value("target") {
                        self.layer.mounts.other_targets.push(resolve(target));
                    }
                }
            }
        }
        self.layer.secret_variables = self
            .layer
            .mounts
            .secrets
            .iter()
            .filter_map(|mount| mount.env.clone())
            .collect();
    }

    fn collect(mut self) {
        let script = self.script;
        // First the directory each command runs in and whether it reads a
        // mounted secret, so assignments can look ahead into their
        // substitutions.
        let mut directory = self.layer.workdir.clone();
        for (position, command) in script.commands.iter().enumerate() {
            self.layer.command_directories.push(directory.clone());
            let output = script.output_of(position);
            let reads_secret = output
                .files
                .iter()
                .any(|word| self.layer.is_secret_path(&self.path(word, &directory)));
            self.layer.command_reads_secret.push(reads_secret);
            if let Some(("cd", arguments)) = command.program() {
                if !command.in_substitution {
                    directory = match arguments.iter().find(|word| !word.text.starts_with('-')) {
                        Some(word) => self.path(word, &directory),
                        None => self.layer.home.clone().unwrap_or_else(|| "~".to_string()),
                    };
                }
            }
        }
        for (position, command) in script.commands.iter().enumerate() {
            let directory = self.layer.directory_of(position).to_string();
            self.assignments(position);
            let Some((program, arguments)) = command.program() else {
                self.redirect_writes(position, &directory);
                continue;
            };
            match program {
                "read" => self.read_assignment(position, arguments, &directory),
                "." | "source" => self.sourced_secret(position, arguments, &directory),
                "rm" => self.removals(
                    position,
                    operands(arguments, &[]),
                    RemovedBy::Rm,
                    &directory,
                ),
                "unlink" => self.removals(
                    position,
                    operands(arguments, &[]),
                    RemovedBy::Unlink,
                    &directory,
                ),
                "shred" => self.removals(
                    position,
                    operands(arguments, &["-n", "-s", "--iterations", "--size"]),
                    RemovedBy::Shred,
                    &directory,
                ),
                "find" => self.find(position, arguments, &directory),
                "xargs" => self.xargs(position, arguments),
                "cp" | "mv" | "install" => self.copy_like(position, program, arguments, &directory),
                "tee" => {
                    for word in operands(arguments, &[]) {
                        let content = Content {
                            stdin_from: command.piped_from,
                            ..content_of(&script.input_of(position), |word| {
                                self.path(word, &directory)
                            })
                        };
                        self.add(
                            position,
                            word,
                            self.path(word, &directory),
                            AddedBy::Tee,
                            content,
                            false,
                        );
                    }
                }
                "curl" | "wget" => self.download(position, program, arguments, &directory),
                "git" => self.git(position, arguments, &directory),
                "npm" | "pnpm" => self.npm(position, arguments, &directory),
                "yarn" => self.yarn(position, arguments, &directory),
                "aws" => self.aws(position, arguments),
                "docker" | "podman" | "nerdctl" => self.docker(position, program, arguments),
                "pip" | "pip3" => self.pip(position, arguments),
                "htpasswd" => self.htpasswd(position, arguments, &directory),
                "sed" | "perl" => self.edit_in_place(position, program, arguments, &directory),
                "x11vnc" => self.x11vnc(position, arguments, &directory),
                _ => {}
            }
            self.redirect_writes(position, &directory);
        }
        self.mark_same_run_removals();
    }

    /// Resolves a word naming a path.
    fn path(&self, word: &ShellWord, directory: &str) -> String {
        let raw = word.raw.as_str();
        let home = self.layer.home.clone();
        let (raw, prefix) = match raw.strip_prefix('~') {
            Some(rest) if rest.is_empty() || rest.starts_with('/') => {
                (rest, Some(home.clone().unwrap_or_else(|| "~".to_string())))
            }
            Some(rest) => {
                let (user, after) = rest
                    .split_once('/')
                    .map_or((rest, ""), |(user, after)| (user, after));
                let user_home = if user == "root" {
                    "/root".to_string()
                } else {
                    format!("/home/{user}")
                };
                (after, Some(format!("{user_home}/")))
            }
            None => (raw, None),
        };
        let lookup = |name: &str| {
            if let Some((_, value)) = self.locals.iter().rev().find(|(local, _)| local == name) {
                return Lookup::Value(value.clone());
            }
            match self.analysis.resolve(name, self.index) {
                Some(resolved) => match resolved.value() {
                    Some(value) if !resolved.is_build_time() => Lookup::Value(value.to_string()),
                    _ => Lookup::Unknown,
                },
                None if name == "HOME" => home.clone().map_or(Lookup::Unknown, Lookup::Value),
                None if name == "PWD" => Lookup::Value(directory.to_string()),
                None => Lookup::Unknown,
            }
        };
        let expanded = expand_word(raw, '\\', &lookup).value;
        let text = match prefix {
            Some(prefix) => format!(
                "{}/{}",
                prefix.trim_end_matches('/'),
                expanded.trim_start_matches('/')
            ),
            None => expanded,
        };
        normalize(&join(directory, &text))
    }

    fn assignments(&mut self, position: usize) {
        let command = &self.script.commands[position];
        for assignment in &command.assignments {
            if self.layer.reads_secret(self.script, &assignment.value)
                && !self.layer.secret_variables.contains(&assignment.name)
            {
                self.layer.secret_variables.push(assignment.name.clone());
            }
            let lookup =
                |name: &str| match self.locals.iter().rev().find(|(local, _)| local == name) {
                    Some((_, value)) => Lookup::Value(value.clone()),
                    None => Lookup::Unknown,
                };
            let value = expand_word(&assignment.value.raw, '\\', &lookup).value;
            self.locals.push((assignment.name.clone(), value));
        }
    }

    /// `. /run/secrets/x` / `source /run/secrets/x`: every variable the
    /// file may define is a secret for the rest of the RUN. Its names are
    /// not known, so a variable used after it counts when neither the
    /// script nor an ARG/ENV gives it a value and it is not one the shell
    /// or the system sets (`HOME`, `PATH`…).
    fn sourced_secret(&mut self, position: usize, arguments: &[ShellWord], directory: &str) {
        let Some(file) = arguments.first() else {
            return;
        };
        if !self.layer.is_secret_path(&self.path(file, directory)) {
            return;
        }
        let script = self.script;
        let assigned: Vec<&str> = script
            .commands
            .iter()
            .flat_map(|command| {
                command
                    .assignments
                    .iter()
                    .map(|assignment| assignment.name.as_str())
            })
            .collect();
        for command in &script.commands[position + 1..] {
            for word in command.words() {
                for reference in &word.references {
                    let name = reference.name.as_str();
                    if assigned.contains(&name)
                        || self
                            .layer
                            .secret_variables
                            .iter()
                            .any(|known| known == name)
                        || self.analysis.resolve(name, self.index).is_some()
                        || is_shell_variable(name)
                    {
                        continue;
                    }
                    self.layer.secret_variables.push(name.to_string());
                }
            }
        }
    }

    /// `read [-r] NAME < /run/secrets/x`.
    fn read_assignment(&mut self, position: usize, arguments: &[ShellWord], directory: &str) {
        let input = self.script.input_of(position);
        let secret = input
            .files
            .iter()
            .any(|word| self.layer.is_secret_path(&self.path(word, directory)))
            || input
                .data
                .iter()
                .any(|word| self.layer.reads_secret(self.script, word))
            || self.script.commands[position]
                .piped_from
                .is_some_and(|previous| self.layer.output_reads_secret(self.script, previous));
        if secret {
            for name in operands(arguments, &["-p", "-d", "-n", "-N", "-t", "-u", "-a"]) {
                if !self.layer.secret_variables.contains(&name.text) {
                    self.layer.secret_variables.push(name.text.clone());
                }
            }
        }
    }

    fn add(
        &mut self,
        command: usize,
        word: &ShellWord,
        path: String,
        by: AddedBy,
        content: Content,
        holds_credential: bool,
    ) {
        self.layer.added.push(AddedPath {
            path,
            source: None,
            span: word.span,
            by,
            command: Some(command),
            content,
            holds_credential,
            removed_in_same_run: None,
        });
    }

    fn redirect_writes(&mut self, position: usize, directory: &str) {
        let command = &self.script.commands[position];
        let writes: Vec<&ShellWord> = command
            .written_files()
            .map(|redirect| &redirect.target)
            .collect();
        if writes.is_empty() {
            return;
        }
        let output = self.script.output_of(position);
        let mut content = content_of(&output, |word| self.path(word, directory));
        if matches!(command.program(), Some(("tee", _))) {
            content.stdin_from = command.piped_from;
        }
        for word in writes {
            let path = self.path(word, directory);
            self.add(
                position,
                word,
                path,
                AddedBy::Redirect,
                content.clone(),
                false,
            );
        }
    }

    fn removals(
        &mut self,
        position: usize,
        words: Vec<&ShellWord>,
        by: RemovedBy,
        directory: &str,
    ) {
        for word in words {
            let path = self.path(word, directory);
            let pattern = if path.contains(['*', '?', '[']) {
                match GlobBuilder::new(&path).literal_separator(true).build() {
                    Ok(glob) => PathPattern::Glob(LazyMatcher::new(glob)),
                    Err(_) => PathPattern::Path(path),
                }
            } else {
                PathPattern::Path(path)
            };
            self.layer.removed.push(RemovedPath {
                pattern,
                span: word.span,
                by,
                command: position,
            });
        }
    }

    /// `find DIR… [-name X] -delete | -exec rm …`.
    fn find(&mut self, position: usize, arguments: &[ShellWord], directory: &str) {
        if let Some(pattern) = self.find_pattern(arguments, directory, true) {
            let span = arguments
                .first()
                .map_or(self.script.commands[position].span, |word| word.span);
            self.layer.removed.push(RemovedPath {
                pattern,
                span,
                by: RemovedBy::Find,
                command: position,
            });
        }
    }

    fn find_pattern(
        &self,
        arguments: &[ShellWord],
        directory: &str,
        require_delete: bool,
    ) -> Option<PathPattern> {
        let texts: Vec<&str> = arguments.iter().map(|word| word.text.as_str()).collect();
        let deletes = texts.contains(&"-delete")
            || texts.windows(2).any(|pair| {
                matches!(pair[0], "-exec" | "-execdir" | "-ok")
                    && matches!(base_name(pair[1]), "rm" | "shred" | "unlink")
            });
        if require_delete && !deletes {
            return None;
        }
        let mut directories: Vec<String> = arguments
            .iter()
            .take_while(|word| {
                !word.text.starts_with('-')
                    && word.text != "("
                    && word.text != "!"
                    && word.text != "\\("
            })
            .map(|word| self.path(word, directory))
            .collect();
        if directories.is_empty() {
            directories.push(directory.to_string());
        }
        let mut names = Vec::new();
        for pair in arguments.windows(2) {
            let case_insensitive = matches!(pair[0].text.as_str(), "-iname");
            if matches!(pair[0].text.as_str(), "-name" | "-iname") {
                if let Ok(glob) = GlobBuilder::new(&pair[1].text)
                    .case_insensitive(case_insensitive)
                    .literal_separator(true)
                    .build()
                {
                    names.push(LazyMatcher::new(glob));
                }
            }
        }
        Some(PathPattern::Find { directories, names })
    }

    /// `find … | xargs rm`.
    fn xargs(&mut self, position: usize, arguments: &[ShellWord]) {
        let runs_rm = arguments
            .iter()
            .find(|word| !word.text.starts_with('-'))
            .is_some_and(|word| matches!(base_name(&word.text), "rm" | "shred" | "unlink"));
        let Some(previous) = self.script.commands[position].piped_from else {
            return;
        };
        if !runs_rm {
            return;
        }
        let directory = self.layer.directory_of(previous).to_string();
        let previous_command = &self.script.commands[previous];
        if let Some(("find", find_arguments)) = previous_command.program() {
            if let Some(pattern) = self.find_pattern(find_arguments, &directory, false) {
                self.layer.removed.push(RemovedPath {
                    pattern,
                    span: self.script.commands[position].span,
                    by: RemovedBy::Find,
                    command: position,
                });
            }
        }
    }

    /// `cp`/`mv`/`install SRC… DEST` (or `-t DIR SRC…`).
    fn copy_like(
        &mut self,
        position: usize,
        program: &str,
        arguments: &[ShellWord],
        directory: &str,
    ) {
        if program == "install"
            && arguments
                .iter()
                .any(|word| word.text == "-d" || word.text == "--directory")
        {
            return;
        }
        let with_value: &[&str] = match program {
            "install" => &[
                "-m",
                "--mode",
                "-o",
                "--owner",
                "-g",
                "--group",
                "-S",
                "--suffix",
                "-t",
                "--target-directory",
            ],
            _ => &["-t", "--target-directory", "-S", "--suffix"],
        };
        let target_directory = arguments
            .windows(2)
            .find(|pair| matches!(pair[0].text.as_str(), "-t" | "--target-directory"))
            .map(|pair| &pair[1])
            .or_else(|| {
                arguments
                    .iter()
                    .find_map(|word| word.text.strip_prefix("--target-directory=").map(|_| word))
            });
        let mut operands = operands(arguments, with_value);
        let (destination, into_directory) = match target_directory {
            Some(word) => (word, true),
            None => {
                let Some(destination) = operands.pop() else {
                    return;
                };
                let into = destination.text.ends_with('/')
                    || operands.len() > 1
                    || matches!(destination.text.as_str(), "." | "~" | "$HOME" | "${HOME}")
                    || {
                        let path = self.path(destination, directory);
                        Some(path.as_str()) == self.layer.home.as_deref()
                            || path == directory
                            || path == "/tmp"
                    };
                (destination, into)
            }
        };
        if operands.is_empty() {
            return;
        }
        let destination_path = self.path(destination, directory);
        let by = match program {
            "mv" => AddedBy::Mv,
            "install" => AddedBy::Install,
            _ => AddedBy::Cp,
        };
        for source in operands {
            let source_path = self.path(source, directory);
            let path = if into_directory {
                normalize(&format!("{destination_path}/{}", base_name(&source_path)))
            } else {
                destination_path.clone()
            };
            let content = Content {
                files: vec![ContentFile {
                    word: source.clone(),
                    path: source_path,
                }],
                ..Content::default()
            };
            self.add(position, destination, path, by, content, false);
            if program == "mv" {
                self.removals(position, vec![source], RemovedBy::Mv, directory);
            }
        }
    }

    /// `curl -o FILE`, `wget -O FILE`.
    fn download(
        &mut self,
        position: usize,
        program: &str,
        arguments: &[ShellWord],
        directory: &str,
    ) {
        let flags: &[&str] = if program == "curl" {
            &["-o", "--output"]
        } else {
            &["-O", "--output-document"]
        };
        for pair in arguments.windows(2) {
            if flags.contains(&pair[0].text.as_str())
                && pair[1].text != "-"
                && !pair[1].text.starts_with("/dev/")
            {
                let content = Content {
                    opaque: true,
                    ..Content::default()
                };
                let path = self.path(&pair[1], directory);
                self.add(position, &pair[1], path, AddedBy::Download, content, false);
            }
        }
    }

    /// A path under the home directory (`~/.npmrc`).
    fn home_path(&self, relative: &str) -> String {
        match &self.layer.home {
            Some(home) => normalize(&format!("{home}/{relative}")),
            None => format!("~/{relative}"),
        }
    }

    fn tool_add(
        &mut self,
        position: usize,
        tool: &'static str,
        path: String,
        content: Content,
        holds_credential: bool,
    ) {
        let Some(name) = self.script.commands[position].name.clone() else {
            return;
        };
        self.add(
            position,
            &name,
            path,
            AddedBy::Tool(tool),
            content,
            holds_credential,
        );
    }

    /// `git config --global credential.helper store`, `git config --global
    /// url."https://TOKEN@host/".insteadOf …`.
    fn git(&mut self, position: usize, arguments: &[ShellWord], directory: &str) {
        let subcommand = operands(arguments, &["-C", "-c", "--git-dir", "--work-tree"])
            .first()
            .map(|word| word.text.clone());
        if subcommand.as_deref() == Some("clone") {
            self.git_clone(position, arguments, directory);
            return;
        }
        let Some(config) = arguments.iter().position(|word| word.text == "config") else {
            return;
        };
        let arguments = &arguments[config + 1..];
        let texts: Vec<&str> = arguments.iter().map(|word| word.text.as_str()).collect();
        let file = arguments
            .windows(2)
            .find(|pair| matches!(pair[0].text.as_str(), "-f" | "--file"))
            .map(|pair| self.path(&pair[1], directory));
        let scope = if texts.contains(&"--system") {
            Some("/etc/gitconfig".to_string())
        } else if texts.contains(&"--global") {
            Some(self.home_path(".gitconfig"))
        } else {
            file
        };
        let Some(config_path) = scope else { return };
        if texts.iter().any(|text| {
            matches!(
                *text,
                "--unset"
                    | "--unset-all"
                    | "--get"
                    | "--get-all"
                    | "--list"
                    | "-l"
                    | "--remove-section"
            )
        }) {
            return;
        }
        let values: Vec<&ShellWord> = operands(
            arguments,
            &["-f", "--file", "--type", "--blob", "--default"],
        );
        let Some(key) = values.first() else { return };
        let key_text = key.text.to_ascii_lowercase();
        let value = values.get(1).copied();
        let helper_store = key_text == "credential.helper"
            && value.is_some_and(|value| value.text.starts_with("store"));
        let url_credentials = key_text.starts_with("url.") && url_credentials(&key.text).is_some();
        // What the file gains: the URL with its credentials for `url.…`, the
        // value otherwise; a store helper only names where credentials go.
        let content = if url_credentials {
            Content {
                data: vec![(*key).clone()],
                ..Content::default()
            }
        } else if helper_store {
            Content {
                opaque: true,
                ..Content::default()
            }
        } else {
            Content {
                data: value.into_iter().cloned().collect(),
                ..Content::default()
            }
        };
        self.tool_add(
            position,
            "git config",
            config_path,
            content,
            helper_store || url_credentials,
        );
        if helper_store {
            let store_file = value
                .and_then(|value| {
                    value
                        .text
                        .split_once("--file")
                        .map(|(_, file)| file.trim_start_matches([' ', '=']).to_string())
                })
                .filter(|file| !file.is_empty())
                .map_or_else(
                    || self.home_path(".git-credentials"),
                    |file| normalize(&join(directory, &file)),
                );
            self.tool_add(
                position,
                "git credential store",
                store_file,
                Content {
                    opaque: true,
                    ..Content::default()
                },
                false,
            );
        }
    }

    /// `git clone https://TOKEN@host/repo [DIR]` keeps the URL, credentials
    /// included, in `DIR/.git/config`.
    fn git_clone(&mut self, position: usize, arguments: &[ShellWord], directory: &str) {
        let values = operands(
            arguments,
            &[
                "-C",
                "-c",
                "--config",
                "-b",
                "--branch",
                "--depth",
                "-o",
                "--origin",
                "--reference",
                "--separate-git-dir",
                "-j",
                "--jobs",
                "--filter",
                "-u",
                "--upload-pack",
                "--template",
                "--shallow-since",
                "--shallow-exclude",
            ],
        );
        let Some(position_of_url) = values
            .iter()
            .position(|word| word.text.contains("://") || word.text.contains('@'))
        else {
            return;
        };
        let url = values[position_of_url];
        if url_credentials(&url.text).is_none() {
            return;
        }
        let target = match values.get(position_of_url + 1) {
            Some(word) => self.path(word, directory),
            None => {
                let name = url
                    .text
                    .trim_end_matches('/')
                    .rsplit('/')
                    .next()
                    .unwrap_or("repo")
                    .trim_end_matches(".git")
                    .to_string();
                normalize(&join(directory, &name))
            }
        };
        let content = Content {
            data: vec![url.clone()],
            ..Content::default()
        };
        self.add(
            position,
            url,
            normalize(&format!("{target}/.git/config")),
            AddedBy::Tool("git clone"),
            content,
            true,
        );
    }

    /// `npm config set KEY VALUE`, `npm config set KEY=VALUE`, `npm login`,
    /// `npm config delete KEY`.
    fn npm(&mut self, position: usize, arguments: &[ShellWord], directory: &str) {
        let texts: Vec<&str> = arguments.iter().map(|word| word.text.as_str()).collect();
        let user_config = arguments
            .iter()
            .find_map(|word| {
                word.text
                    .strip_prefix("--userconfig=")
                    .map(|path| (word, path.to_string()))
            })
            .map(|(_, path)| normalize(&join(directory, &path)));
        let config_path = if texts
            .iter()
            .any(|text| matches!(*text, "-g" | "--global" | "--location=global"))
        {
            "/usr/local/etc/npmrc".to_string()
        } else if texts.contains(&"--location=project") {
            normalize(&format!("{directory}/.npmrc"))
        } else {
            user_config.unwrap_or_else(|| self.home_path(".npmrc"))
        };
        let subcommand_operands = operands(arguments, &[]);
        let Some(subcommand) = subcommand_operands.first() else {
            return;
        };
        match subcommand.text.as_str() {
            "login" | "adduser" | "add-user" => {
                self.tool_add(
                    position,
                    "npm login",
                    config_path,
                    Content {
                        opaque: true,
                        ..Content::default()
                    },
                    true,
                );
            }
            "config" | "set" | "c" => {
                let (action, rest) = if subcommand.text == "set" {
                    ("set", &subcommand_operands[1..])
                } else {
                    let Some(action) = subcommand_operands.get(1) else {
                        return;
                    };
                    (action.text.as_str(), &subcommand_operands[2..])
                };
                match action {
                    "set" => {
                        let mut index = 0;
                        while let Some(key) = rest.get(index) {
                            let (key_text, value) = match key.text.split_once('=') {
                                Some((key_text, _)) => (key_text.to_string(), *key),
                                None => match rest.get(index + 1) {
                                    Some(value) => {
                                        index += 1;
                                        (key.text.clone(), *value)
                                    }
                                    None => (key.text.clone(), *key),
                                },
                            };
                            index += 1;
                            let content = Content {
                                data: vec![value.clone()],
                                ..Content::default()
                            };
                            self.tool_add(
                                position,
                                "npm config set",
                                config_path.clone(),
                                content,
                                is_auth_key(&key_text),
                            );
                        }
                    }
                    "delete" | "rm" | "del" if rest.iter().any(|key| is_auth_key(&key.text)) => {
                        self.tool_remove(position, config_path, "npm config delete");
                    }
                    _ => {}
                }
            }
            _ => {}
        }
    }

    fn tool_remove(&mut self, position: usize, path: String, tool: &'static str) {
        let span = self.script.commands[position].span;
        self.layer.removed.push(RemovedPath {
            pattern: PathPattern::Path(path),
            span,
            by: RemovedBy::Tool(tool),
            command: position,
        });
    }

    /// `yarn config set npmAuthToken VALUE` (`-H`: the home `.yarnrc.yml`).
    fn yarn(&mut self, position: usize, arguments: &[ShellWord], directory: &str) {
        let values = operands(arguments, &[]);
        if values.first().map(|word| word.text.as_str()) != Some("config") {
            return;
        }
        let home = arguments
            .iter()
            .any(|word| word.text == "-H" || word.text == "--home");
        match values.get(1).map(|word| word.text.as_str()) {
            Some("set") => {
                let Some(key) = values.get(2) else { return };
                let berry = key.text.starts_with("npm")
                    || key.text.contains('.') && !key.text.starts_with("//");
                let path = match (berry, home) {
                    (true, true) => self.home_path(".yarnrc.yml"),
                    (true, false) => normalize(&format!("{directory}/.yarnrc.yml")),
                    (false, _) => self.home_path(".yarnrc"),
                };
                let value = values.get(3).copied().unwrap_or(*key);
                let content = Content {
                    data: vec![value.clone()],
                    ..Content::default()
                };
                self.tool_add(
                    position,
                    "yarn config set",
                    path,
                    content,
                    is_auth_key(&key.text),
                );
            }
            Some("unset" | "delete") if values.get(2).is_some_and(|key| is_auth_key(&key.text)) => {
                let path = if home {
                    self.home_path(".yarnrc.yml")
                } else {
                    normalize(&format!("{directory}/.yarnrc.yml"))
                };
                self.tool_remove(position, path, "yarn config unset");
            }
            _ => {}
        }
    }

    /// `aws configure set aws_secret_access_key VALUE`.
    fn aws(&mut self, position: usize, arguments: &[ShellWord]) {
        let values = operands(arguments, &["--profile", "--region", "--output"]);
        let texts: Vec<&str> = values.iter().map(|word| word.text.as_str()).collect();
        if texts.get(..2) != Some(&["configure", "set"][..]) {
            return;
        }
        let Some(key) = values.get(2) else { return };
        let key_text = key
            .text
            .rsplit('.')
            .next()
            .unwrap_or(&key.text)
            .to_ascii_lowercase();
        let secret = matches!(
            key_text.as_str(),
            "aws_secret_access_key" | "aws_access_key_id" | "aws_session_token"
        );
        let path = self.home_path(if secret {
            ".aws/credentials"
        } else {
            ".aws/config"
        });
        let value = values.get(3).copied().unwrap_or(*key);
        let content = Content {
            data: vec![value.clone()],
            ..Content::default()
        };
        self.tool_add(position, "aws configure set", path, content, secret);
    }

    /// `docker login` (writes `~/.docker/config.json`), `docker logout`.
    fn docker(&mut self, position: usize, program: &str, arguments: &[ShellWord]) {
        let values = operands(arguments, &["-u", "--username", "-p", "--password"]);
        let path = if program == "docker" {
            self.home_path(".docker/config.json")
        } else {
            "/run/containers/0/auth.json".to_string()
        };
        match values.first().map(|word| word.text.as_str()) {
            Some("login") => {
                let password = password_argument(arguments, &["-p", "--password"]);
                let command = &self.script.commands[position];
                let content = match password {
                    Some(word) => Content {
                        data: vec![word.clone()],
                        ..Content::default()
                    },
                    None if arguments.iter().any(|word| word.text == "--password-stdin") => {
                        Content {
                            stdin_from: command.piped_from,
                            ..content_of(&self.script.input_of(position), |word| {
                                self.path(word, self.layer.directory_of(position))
                            })
                        }
                    }
                    None => Content {
                        opaque: true,
                        ..Content::default()
                    },
                };
                self.tool_add(position, "docker login", path, content, true);
            }
            Some("logout") => self.tool_remove(position, path, "docker logout"),
            _ => {}
        }
    }

    /// `pip config set global.index-url https://user:pass@…`.
    fn pip(&mut self, position: usize, arguments: &[ShellWord]) {
        let values = operands(arguments, &[]);
        let texts: Vec<&str> = values.iter().map(|word| word.text.as_str()).collect();
        if texts.get(..2) != Some(&["config", "set"][..]) {
            return;
        }
        let path = if arguments.iter().any(|word| word.text == "--global") {
            "/etc/pip.conf".to_string()
        } else if arguments.iter().any(|word| word.text == "--site") {
            "/usr/pip.conf".to_string()
        } else {
            self.home_path(".config/pip/pip.conf")
        };
        let Some(value) = values.get(3) else { return };
        let holds_credential = url_credentials(&value.text).is_some();
        let content = Content {
            data: vec![(*value).clone()],
            ..Content::default()
        };
        self.tool_add(position, "pip config set", path, content, holds_credential);
    }

    /// `sed -i 's/x/y/' FILE…`, `perl -pi -e '…' FILE…`: the files are
    /// rewritten with what the script puts in.
    fn edit_in_place(
        &mut self,
        position: usize,
        program: &str,
        arguments: &[ShellWord],
        directory: &str,
    ) {
        let in_place = arguments.iter().any(|word| {
            let text = word.text.as_str();
            text == "--in-place"
                || text.starts_with("--in-place=")
                || text.starts_with('-')
                    && !text.starts_with("--")
                    && text[1..].starts_with(['i', 'p'])
                    && text.contains('i')
        });
        if !in_place {
            return;
        }
        let mut scripts: Vec<&ShellWord> = arguments
            .windows(2)
            .filter(|pair| {
                matches!(pair[0].text.as_str(), "-e" | "--expression")
                    || program == "perl"
                        && pair[0].text.ends_with('e')
                        && pair[0].text.starts_with('-')
            })
            .map(|pair| &pair[1])
            .collect();
        let mut files: Vec<&ShellWord> =
            operands(arguments, &["-e", "--expression", "-f", "--file"]);
        files.retain(|word| !scripts.iter().any(|script| script.span == word.span));
        if scripts.is_empty() && !files.is_empty() {
            scripts.push(files.remove(0));
        }
        let content = Content {
            data: scripts.into_iter().cloned().collect(),
            ..Content::default()
        };
        for file in files {
            let path = self.path(file, directory);
            self.add(position, file, path, AddedBy::Edit, content.clone(), false);
        }
    }

    /// `htpasswd -b [-c] FILE USER PASSWORD`.
    fn htpasswd(&mut self, position: usize, arguments: &[ShellWord], directory: &str) {
        if !arguments.iter().any(|word| {
            word.text.starts_with('-') && !word.text.starts_with("--") && word.text.contains('b')
        }) {
            return;
        }
        let values = operands(arguments, &[]);
        let (Some(file), Some(password)) = (values.first(), values.get(2)) else {
            return;
        };
        if arguments
            .iter()
            .any(|word| word.text.starts_with('-') && word.text.contains('n'))
        {
            return;
        }
        let content = Content {
            data: vec![(*password).clone()],
            ..Content::default()
        };
        let path = self.path(file, directory);
        self.add(
            position,
            file,
            path,
            AddedBy::Tool("htpasswd"),
            content,
            true,
        );
    }

    /// `x11vnc -storepasswd PASSWORD [FILE]` (default `~/.vnc/passwd`).
    fn x11vnc(&mut self, position: usize, arguments: &[ShellWord], directory: &str) {
        let Some(option) = arguments
            .iter()
            .position(|word| word.text == "-storepasswd")
        else {
            return;
        };
        let values: Vec<&ShellWord> = arguments[option + 1..]
            .iter()
            .take_while(|word| !word.text.starts_with('-'))
            .collect();
        let Some(password) = values.first() else {
            return;
        };
        let path = match values.get(1) {
            Some(file) => self.path(file, directory),
            None => self.home_path(".vnc/passwd"),
        };
        let content = Content {
            data: vec![(*password).clone()],
            ..Content::default()
        };
        self.tool_add(position, "x11vnc -storepasswd", path, content, true);
    }

    /// Links each add to a later removal in the same RUN.
    fn mark_same_run_removals(&mut self) {
        for added in &mut self.layer.added {
            let Some(command) = added.command else {
                continue;
            };
            added.removed_in_same_run = self
                .layer
                .removed
                .iter()
                .find(|removed| removed.command > command && removed.removes(&added.path))
                .map(|removed| removed.span);
        }
    }
}

/// The `user:password` (or `token`) part of the first URL in `text` that
/// carries a credential: a password, a variable, or a long token as the
/// user. `ssh://git@host` (a user name alone) carries none.
pub fn url_credentials(text: &str) -> Option<&str> {
    // No `@`, no user info: most words, found by a byte search (setting
    // up the search for `://` cost more than the rest).
    if !text.contains('@') {
        return None;
    }
    let mut rest = text;
    while let Some(scheme_end) = rest.find("://") {
        let after = &rest[scheme_end + 3..];
        let authority = after
            .split(['/', '?', '#', ' ', '"', '\''])
            .next()
            .unwrap_or(after);
        if let Some((userinfo, _)) = authority.rsplit_once('@') {
            let credential = match userinfo.split_once(':') {
                Some((_, password)) => !password.is_empty(),
                None => userinfo.contains('$') || userinfo.len() >= 16,
            };
            if credential {
                return Some(userinfo);
            }
        }
        rest = after;
    }
    None
}

/// npm/yarn configuration keys that hold a credential.
fn is_auth_key(key: &str) -> bool {
    let lowered = key.to_ascii_lowercase();
    [
        "_auth",
        "_password",
        "authtoken",
        "authident",
        "token",
        "password",
    ]
    .iter()
    .any(|marker| lowered.contains(marker))
}

/// The value of `-p VALUE`, `-pVALUE`, `--password VALUE`, `--password=VALUE`.
pub fn password_argument<'a>(arguments: &'a [ShellWord], flags: &[&str]) -> Option<&'a ShellWord> {
    for (position, word) in arguments.iter().enumerate() {
        let text = word.text.as_str();
        if flags.contains(&text) {
            return arguments.get(position + 1);
        }
        if flags
            .iter()
            .any(|flag| flag.starts_with("--") && text.starts_with(&format!("{flag}=")))
        {
            return Some(word);
        }
    }
    None
}

/// Non-option operands (`--` ends options; options in `with_value` take
/// the next word).
fn operands<'a>(arguments: &'a [ShellWord], with_value: &[&str]) -> Vec<&'a ShellWord> {
    let mut result = Vec::new();
    let mut options_done = false;
    let mut skip_next = false;
    for word in arguments {
        if skip_next {
            skip_next = false;
            continue;
        }
        let text = word.text.as_str();
        if !options_done && text == "--" {
            options_done = true;
            continue;
        }
        if !options_done && text.starts_with('-') && text.len() > 1 {
            skip_next = with_value.contains(&text);
            continue;
        }
        result.push(word);
    }
    result
}

/// [`Content`] from an [`Output`], file paths resolved by `resolve`.
fn content_of(output: &Output<'_>, resolve: impl Fn(&ShellWord) -> String) -> Content {
    Content {
        data: output.data.iter().map(|word| (*word).clone()).collect(),
        files: output
            .files
            .iter()
            .map(|word| ContentFile {
                word: (*word).clone(),
                path: resolve(word),
            })
            .collect(),
        opaque: output.opaque,
        stdin_from: None,
    }
}

/// Variables the shell or the system sets: never from a sourced file.
fn is_shell_variable(name: &str) -> bool {
    name.chars().all(|ch| ch.is_ascii_digit())
        || matches!(
            name,
            "HOME"
                | "PATH"
                | "PWD"
                | "OLDPWD"
                | "USER"
                | "SHELL"
                | "HOSTNAME"
                | "UID"
                | "EUID"
                | "IFS"
                | "TERM"
                | "LANG"
                | "TMPDIR"
                | "RANDOM"
                | "LINENO"
                | "?"
                | "$"
                | "!"
                | "#"
                | "@"
                | "*"
                | "-"
                | "_"
                | "0"
        )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::syntax::parse;

    fn layers(text: &str) -> (Analysis, Vec<Layer>) {
        let dockerfile = parse(text);
        let analysis = Analysis::new(&dockerfile, None);
        let layers = (0..dockerfile.instructions.len())
            .map(|index| analysis.layer(index).cloned().unwrap_or_default())
            .collect();
        (analysis, layers)
    }

    fn added(layer: &Layer) -> Vec<&str> {
        layer
            .added
            .iter()
            .map(|added| added.path.as_str())
            .collect()
    }

    #[test]
    fn paths_are_normalised() {
        assert_eq!(normalize("/a//b/./c/../d/"), "/a/b/d");
        assert_eq!(normalize("~/x/../.npmrc"), "~/.npmrc");
        assert_eq!(normalize("/"), "/");
    }

    #[test]
    fn copy_follows_docker_trailing_slash_rules() {
        let (_, layers) = layers("FROM a\nWORKDIR /app\nCOPY a b/\nCOPY a b\nCOPY a c d\nCOPY .netrc /root/\nCOPY conf/ /etc/x/\n");
        assert_eq!(added(&layers[2]), ["/app/b/a"]);
        assert_eq!(added(&layers[3]), ["/app/b"]);
        assert_eq!(added(&layers[4]), ["/app/d/a", "/app/d/c"]);
        assert_eq!(added(&layers[5]), ["/root/.netrc"]);
        assert_eq!(added(&layers[6]), ["/etc/x"]);
    }

    #[test]
    fn home_follows_user_and_env() {
        let (_, layers) = layers("FROM a\nRUN echo x > ~/.npmrc\nUSER node\nRUN echo x >> $HOME/.netrc\nENV HOME=/srv\nRUN cp a ~/\n");
        assert_eq!(added(&layers[1]), ["/root/.npmrc"]);
        assert_eq!(added(&layers[3]), ["/home/node/.netrc"]);
        assert_eq!(added(&layers[5]), ["/srv/a"]);
    }

    #[test]
    fn run_writes_and_removals() {
        let (_, layers) = layers(
            "FROM a\nWORKDIR /w\nRUN printf x | tee -a .npmrc && git config --global credential.helper store && rm -rf /root/.ssh && cd /tmp && rm -f token\n",
        );
        let layer = &layers[2];
        assert_eq!(
            added(layer),
            ["/w/.npmrc", "/root/.gitconfig", "/root/.git-credentials"]
        );
        assert!(layer.added[1].holds_credential);
        assert!(layer.removed[0].removes("/root/.ssh/id_rsa"));
        assert!(!layer.removed[0].removes("/root/.sshx"));
        assert!(layer.removed[1].removes("/tmp/token"));
    }

    #[test]
    fn find_and_globs_remove() {
        let (_, layers) = layers("FROM a\nRUN find /root -name '*.pem' -delete; rm /keys/id_*; find . -name .netrc | xargs rm\n");
        let layer = &layers[1];
        assert!(layer.removed[0].removes("/root/certs/server.pem"));
        assert!(!layer.removed[0].removes("/etc/server.pem"));
        assert!(layer.removed[1].removes("/keys/id_rsa"));
        assert!(layer.removed[2].removes("/app/.netrc"));
    }

    #[test]
    fn same_run_removal_is_linked() {
        let (_, layers) =
            layers("FROM a\nRUN echo \"$T\" > /root/.npmrc && npm ci && rm /root/.npmrc\n");
        assert!(!layers[1].added[0].persists());
    }

    #[test]
    fn secret_mount_flows_are_followed() {
        let (analysis, layers) = layers(
            "FROM a\nRUN --mount=type=secret,id=k --mount=type=secret,id=e,env=E T=$(cat /run/secrets/k) && echo \"$T\" > /a && cp /run/secrets/k /b && echo $E > /c && echo hi > /d\n",
        );
        let layer = &layers[1];
        let script = analysis.shell(1).unwrap();
        let secret: Vec<bool> = layer
            .added
            .iter()
            .map(|added| layer.content_reads_secret(script, &added.content))
            .collect();
        assert_eq!(added(layer), ["/a", "/b", "/c", "/d"]);
        assert_eq!(secret, [true, true, true, false]);
        assert!(layer.secret_variables.contains(&"T".to_string()));
    }

    #[test]
    fn url_credentials_need_a_password_variable_or_token() {
        assert_eq!(url_credentials("https://u:p@x/y"), Some("u:p"));
        assert_eq!(
            url_credentials("git clone https://${GH_TOKEN}@github.com/a"),
            Some("${GH_TOKEN}")
        );
        assert_eq!(url_credentials("ssh://git@github.com/a"), None);
        assert_eq!(url_credentials("https://github.com/a@b"), None);
    }

    #[test]
    fn tools_write_credentials() {
        let (_, layers) = layers(
            "FROM a\nUSER app\nRUN npm config set //r/:_authToken $T && aws configure set aws_secret_access_key $K && echo $P | docker login -u u --password-stdin && pip config set global.index-url https://u:$P@x/simple && yarn config set npmAuthToken $T -H\n",
        );
        let layer = &layers[2];
        assert_eq!(
            added(layer),
            [
                "/home/app/.npmrc",
                "/home/app/.aws/credentials",
                "/home/app/.docker/config.json",
                "/home/app/.config/pip/pip.conf",
                "/home/app/.yarnrc.yml"
            ]
        );
        assert!(layer.added.iter().all(|added| added.holds_credential));
    }
}
