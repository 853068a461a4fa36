//! The command line: `dockerleak [check] [PATHS]...`, `dockerleak parse`,
//! `dockerleak rules`, `dockerleak explain CODE` and `dockerleak config`.
//!
//! This module parses arguments (clap), loads the configuration
//! ([`crate::config`]: `.dockerleak.toml` found upward, or `--config`) and
//! applies the flags over it, runs the one way through (discover → exclude
//! → read → lint, in parallel with rayon), sorts the result, records or
//! applies a baseline ([`crate::baseline`]), prints one line per file error
//! on stderr, hands the reports to [`crate::report`] and maps the outcome
//! to an exit code: 0 no finding at or above the fail level, 1 findings at
//! or above it, 2 a usage error (including an invalid configuration or
//! baseline) or any file that could not be read or parsed (errors win over
//! findings). The reporters decide what the output looks like.

use crate::baseline::Baseline;
use crate::config::{self, Config, LoadedConfig};
use crate::discover::{
    compare_paths, discover, validate_glob, DiscoverOptions, Discovery, Input, NameMatcher,
    DEFAULT_STDIN_NAME,
};
use crate::finding::{FileError, FileReport};
use crate::input::{self, SourceText};
use crate::lint::lint_source_as;
use crate::report::ast::{AstFormat, LineError, ParsedFile};
use crate::report::{self, Format, PathContext, ReportOptions};
use crate::source::Span;
use clap::{Args, Parser, Subcommand, ValueEnum};
use rayon::prelude::*;
use std::collections::HashMap;
use std::ffi::OsString;
use std::io::{self, BufWriter, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// No finding at or above `--fail-level`.
pub const EXIT_CLEAN: i32 = 0;
/// At least one finding at or above `--fail-level`.
pub const EXIT_FINDINGS: i32 = 1;
/// A usage error, or a file that could not be read or parsed.
pub const EXIT_ERROR: i32 = 2;

const EXIT_CODES_HELP: &str = "\
Exit codes:
  0  no finding at or above --fail-level
  1  findings at or above --fail-level
  2  usage error, or a file that could not be read or parsed (wins over 1)";

/// Find secret leaks in Dockerfiles before an image is built.
#[derive(Debug, Parser)]
#[command(
    name = "dockerleak",
    version,
    args_conflicts_with_subcommands = true,
    after_help = EXIT_CODES_HELP
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    /// `dockerleak PATHS...` is `dockerleak check PATHS...`.
    #[command(flatten)]
    pub check: CheckArgs,
}

// Parsed once per process: the size of the `check` variant does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Lint Dockerfiles (the default command).
    #[command(after_help = EXIT_CODES_HELP)]
    Check(CheckArgs),
    /// Print what the parser saw: instructions, flags, mounts, heredocs.
    Parse(ParseArgs),
    /// List every rule.
    Rules,
    /// Explain one rule: what it finds, why it leaks, how to fix it.
    Explain {
        /// The rule code, e.g. DLK001.
        code: String,
    },
    /// Show the effective configuration and where it came from.
    Config(ConfigArgs),
}

/// The flags of `config`.
#[derive(Clone, Debug, Args)]
pub struct ConfigArgs {
    /// Print the effective configuration as TOML (the default action).
    #[arg(long)]
    pub show: bool,

    #[command(flatten)]
    pub source: ConfigSourceArgs,
}

/// Which configuration file to use.
#[derive(Clone, Debug, Default, Args)]
pub struct ConfigSourceArgs {
    /// Read the configuration from FILE instead of the nearest
    /// .dockerleak.toml (searched from the current directory upward).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Use no configuration file at all.
    #[arg(long, conflicts_with = "config")]
    pub no_config: bool,
}

/// When to colour the output.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ColorMode {
    /// On a terminal, unless NO_COLOR is set.
    Auto,
    Always,
    Never,
}

pub use crate::config::FailLevel;

/// The flags of `check`.
#[derive(Clone, Debug, Args)]
pub struct CheckArgs {
    /// Files and directories to check (default: the current directory).
    /// A directory is searched for Dockerfiles; a file is always checked,
    /// whatever its name; `-` reads standard input.
    #[arg(value_name = "PATHS")]
    pub paths: Vec<PathBuf>,

    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Pretty)]
    pub format: Format,

    /// Exit with 1 when a finding is at or above this severity [default:
    /// warning, or the configuration's `fail-level`].
    #[arg(long, value_enum, value_name = "LEVEL")]
    pub fail_level: Option<FailLevel>,

    /// Run only these rules (codes or names, comma-separated or repeated);
    /// replaces the configuration's `select`.
    #[arg(long, value_name = "CODES", value_delimiter = ',')]
    pub select: Vec<String>,

    /// Never run these rules (codes or names, comma-separated or repeated);
    /// replaces the configuration's `ignore`.
    #[arg(long, value_name = "CODES", value_delimiter = ',')]
    pub ignore: Vec<String>,

    #[command(flatten)]
    pub config_source: ConfigSourceArgs,

    /// Report only findings that are not in this baseline file (written by
    /// --write-baseline); the exit code counts only those.
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,

    /// Record the findings of this run in FILE (a baseline) and exit 0
    /// unless a file could not be read or parsed.
    #[arg(long, value_name = "FILE")]
    pub write_baseline: Option<PathBuf>,

    /// Do not honour .gitignore, .ignore and git exclude files.
    #[arg(long)]
    pub no_ignore: bool,

    /// Also check files whose name matches GLOB (repeatable; case-sensitive).
    #[arg(long = "include", value_name = "GLOB", value_parser = validate_glob)]
    pub include: Vec<String>,

    /// The name of standard input in reports (`-` as a path reads stdin;
    /// with no path at all, stdin is read).
    #[arg(long, value_name = "NAME")]
    pub stdin_filename: Option<String>,

    /// The build target stage (default: the last stage).
    #[arg(long, value_name = "STAGE")]
    pub target: Option<String>,

    /// The build context directory, for rules that look at it.
    #[arg(long, value_name = "DIR")]
    pub context: Option<PathBuf>,

    /// When to use colours.
    #[arg(long, value_enum, value_name = "WHEN", default_value_t = ColorMode::Auto)]
    pub color: ColorMode,

    /// Skip (with an error) files larger than this: bytes, or with a unit
    /// (KiB, MiB, GiB, K, M, G are powers of 1024; KB, MB, GB of 1000).
    #[arg(long, value_name = "BYTES", value_parser = input::parse_size, default_value = "10MiB")]
    pub max_file_size: u64,

    /// Write the report to FILE instead of standard output.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
}

/// The flags of `parse`.
#[derive(Clone, Debug, Args)]
pub struct ParseArgs {
    /// Dockerfiles to parse (a directory is searched as `check` does; `-`
    /// reads standard input).
    #[arg(value_name = "FILE", required = true)]
    pub files: Vec<PathBuf>,

    /// Output format.
    #[arg(long, value_enum, default_value_t = AstFormat::Text)]
    pub format: AstFormat,

    /// The name of standard input in the output.
    #[arg(long, value_name = "NAME")]
    pub stdin_filename: Option<String>,

    /// Skip (with an error) files larger than this.
    #[arg(long, value_name = "BYTES", value_parser = input::parse_size, default_value = "10MiB")]
    pub max_file_size: u64,
}

/// Runs the command line of this process and returns the exit code.
pub fn main() -> i32 {
    run(std::env::args_os())
}

/// Runs a command line (`arguments[0]` is the program name).
pub fn run<I, T>(arguments: I) -> i32
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let cli = match Cli::try_parse_from(arguments) {
        Ok(cli) => cli,
        Err(error) => {
            // Help and version are "errors" that exit 0; usage errors exit 2.
            let _ = error.print();
            return error.exit_code();
        }
    };
    match cli.command {
        None => run_check(&cli.check),
        Some(Command::Check(arguments)) => run_check(&arguments),
        Some(Command::Parse(arguments)) => run_parse(&arguments),
        Some(Command::Rules) => run_rules(),
        Some(Command::Explain { code }) => run_explain(&code),
        Some(Command::Config(arguments)) => run_config(&arguments),
    }
}

fn print_error(path: &str, message: &str) {
    let _ = writeln!(io::stderr().lock(), "dockerleak: error: {path}: {message}");
}

fn print_warning(message: &str) {
    let _ = writeln!(io::stderr().lock(), "dockerleak: warning: {message}");
}

fn run_check(arguments: &CheckArgs) -> i32 {
    if let Some(context) = &arguments.context {
        if !context.is_dir() {
            print_error(
                &context.display().to_string(),
                "--context is not a directory",
            );
            return EXIT_ERROR;
        }
    }
    let paths = match PathContext::discover() {
        Ok(paths) => paths,
        Err(error) => {
            print_error("<current directory>", &input::describe_io_error(&error));
            return EXIT_ERROR;
        }
    };
    let Some(loaded) = load_config(&arguments.config_source, &paths) else {
        return EXIT_ERROR;
    };
    let Some(mut config) = apply_flags(loaded.config, arguments) else {
        return EXIT_ERROR;
    };
    let context_scans = std::sync::Arc::new(crate::rules::ContextScans::default());
    config.context_scans = Some(std::sync::Arc::clone(&context_scans));
    let baseline = match &arguments.baseline {
        Some(path) => match Baseline::read(path) {
            Ok(baseline) => Some(baseline),
            Err(error) => {
                let _ = writeln!(io::stderr().lock(), "dockerleak: error: {error}");
                return EXIT_ERROR;
            }
        },
        None => None,
    };
    let Some(mut discovery) = discover_paths(
        &arguments.paths,
        arguments.stdin_filename.as_deref(),
        arguments.no_ignore,
        &arguments.include,
    ) else {
        return EXIT_ERROR;
    };
    exclude_paths(&mut discovery, &config, &paths);
    if !outputs_spare_inputs(arguments, &loaded.source, &discovery) {
        return EXIT_ERROR;
    }
    let mut reports = lint_inputs(&discovery.inputs, &config, arguments.max_file_size, &paths);
    reports.extend(
        discovery
            .errors
            .into_iter()
            .map(|error| FileReport::unreadable(error.path, error.message)),
    );
    reports.extend(
        context_scans
            .ignore_file_errors()
            .into_iter()
            .map(|(path, message)| FileReport::unreadable(path.display().to_string(), message)),
    );
    sort_reports(&mut reports);
    if let Some(path) = &arguments.write_baseline {
        let recorded = Baseline::of(&reports, |path| paths.display_path(path).into_owned());
        let written =
            write_named_output(Some(path), "baseline", |output| recorded.write_to(output));
        if !written {
            return EXIT_ERROR;
        }
    }
    if let Some(baseline) = &baseline {
        baseline.filter(&mut reports);
    }
    for report in &reports {
        for error in &report.errors {
            print_error(&report.path, &report::error_message(report, error));
        }
    }
    let to_terminal = arguments.output.is_none() && io::stdout().is_terminal();
    let options = ReportOptions {
        color: use_color(arguments.color, to_terminal),
        paths,
        ..ReportOptions::default()
    };
    let written = write_output(arguments.output.as_deref(), |output| {
        report::write_report(arguments.format, &reports, &options, output)
    });
    if !written {
        return EXIT_ERROR;
    }
    let fail_level = if arguments.write_baseline.is_some() {
        // The findings were just accepted into the baseline.
        FailLevel::Never
    } else {
        config.effective_fail_level()
    };
    exit_code(&reports, fail_level)
}

/// Loads the configuration file (found upward, or `--config`), printing
/// why it cannot be used; `None` after printing.
fn load_config(source: &ConfigSourceArgs, paths: &PathContext) -> Option<LoadedConfig> {
    match config::load(
        source.config.as_deref(),
        source.no_config,
        &paths.working_directory,
    ) {
        Ok(loaded) => Some(loaded),
        Err(error) => {
            print_config_error(&error);
            None
        }
    }
}

/// Renders a configuration error: the file's line with a label on the
/// place (miette), or one line when there is no place to show.
fn print_config_error(error: &config::ConfigError) {
    let mut stderr = io::stderr().lock();
    match error.diagnostic() {
        Some(diagnostic) => {
            let color = io::stderr().is_terminal()
                && std::env::var_os("NO_COLOR").is_none_or(|value| value.is_empty());
            let theme = if color {
                miette::GraphicalTheme::unicode()
            } else {
                miette::GraphicalTheme::unicode_nocolor()
            };
            let handler = miette::GraphicalReportHandler::new_themed(theme)
                .with_width(100)
                .with_links(false)
                .without_syntax_highlighting();
            let mut rendered = String::new();
            // The heading (`× path:line:column: invalid configuration: `key`:
            // message`) says it all in one line; the snippet shows where.
            if handler.render_report(&mut rendered, diagnostic).is_ok() {
                let _ = write!(stderr, "{rendered}");
            } else {
                let _ = writeln!(stderr, "dockerleak: error: {diagnostic}");
            }
        }
        None => {
            let _ = writeln!(stderr, "dockerleak: error: {error}");
        }
    }
}

/// The configuration with the command line's flags applied over it; `None`
/// after printing a usage error (an unknown rule code).
fn apply_flags(mut config: Config, arguments: &CheckArgs) -> Option<Config> {
    let resolve = |flag: &str, codes: &[String]| -> Option<Vec<String>> {
        let mut resolved = Vec::new();
        for code in codes.iter().filter(|code| !code.trim().is_empty()) {
            match config::resolve_rule(code) {
                Some(canonical) => resolved.push(canonical.to_string()),
                None => {
                    print_error(
                        flag,
                        &format!("unknown rule code `{code}` (`dockerleak rules` lists them)"),
                    );
                    return None;
                }
            }
        }
        Some(resolved)
    };
    if !arguments.select.is_empty() {
        config.select = resolve("--select", &arguments.select)?;
    }
    if !arguments.ignore.is_empty() {
        config.ignore = resolve("--ignore", &arguments.ignore)?;
    }
    if arguments.fail_level.is_some() {
        config.fail_level = arguments.fail_level;
    }
    if arguments.target.is_some() {
        config.target = arguments.target.clone();
    }
    if arguments.context.is_some() {
        config.context = arguments.context.clone();
    }
    Some(config)
}

/// Drops the discovered files (and walk errors) that the configuration's
/// `exclude` names. Standard input is never excluded.
fn exclude_paths(discovery: &mut Discovery, config: &Config, paths: &PathContext) {
    if config.exclude.patterns().is_empty() {
        return;
    }
    let excluded = |path: &Path| config.exclude.is_excluded(&paths.absolute_path(path));
    discovery.inputs.retain(|input| match input {
        Input::File { path, .. } => !excluded(path),
        Input::Stdin { .. } => true,
    });
    discovery
        .errors
        .retain(|error| !excluded(Path::new(&error.path)));
}

/// `dockerleak config --show`: the effective configuration as TOML.
fn run_config(arguments: &ConfigArgs) -> i32 {
    let paths = match PathContext::discover() {
        Ok(paths) => paths,
        Err(error) => {
            print_error("<current directory>", &input::describe_io_error(&error));
            return EXIT_ERROR;
        }
    };
    let Some(loaded) = load_config(&arguments.source, &paths) else {
        return EXIT_ERROR;
    };
    let shown = config::show(&loaded);
    if write_output(None, |output| output.write_all(shown.as_bytes())) {
        EXIT_CLEAN
    } else {
        EXIT_ERROR
    }
}

/// Discovers the inputs and prints walk warnings; `None` after printing a
/// usage error.
fn discover_paths(
    paths: &[PathBuf],
    stdin_filename: Option<&str>,
    no_ignore: bool,
    include: &[String],
) -> Option<Discovery> {
    let names = match NameMatcher::new(include) {
        Ok(names) => names,
        Err(error) => {
            print_error("--include", &error.to_string());
            return None;
        }
    };
    // No path: stdin when it has a name, else the current directory.
    let paths = if paths.is_empty() && stdin_filename.is_some() {
        vec![PathBuf::from("-")]
    } else {
        paths.to_vec()
    };
    let options = DiscoverOptions {
        no_ignore,
        stdin_name: stdin_filename.unwrap_or(DEFAULT_STDIN_NAME).to_string(),
        names,
    };
    let discovery = discover(&paths, &options);
    for warning in &discovery.warnings {
        print_warning(warning);
    }
    Some(discovery)
}

/// Reads and lints every input: in parallel, except for a single input
/// (the editor case), which is linted on this thread. `paths` says where
/// the repository is, for fingerprints (see [`lint_input`]).
pub fn lint_inputs(
    inputs: &[Input],
    config: &Config,
    max_file_size: u64,
    paths: &PathContext,
) -> Vec<FileReport> {
    let identities = FileIdentities::new(paths);
    let lint_one = |input: &Input| lint_input(input, config, max_file_size, &identities);
    if inputs.len() <= 1 {
        inputs.iter().map(lint_one).collect()
    } else {
        inputs.par_iter().map(lint_one).collect()
    }
}

/// Names files for fingerprints: the path relative to the root of the
/// repository that holds the file (its nearest ancestor with `.git`), so
/// that the name does not depend on where the run started. Roots are
/// looked up once per directory.
pub struct FileIdentities<'a> {
    paths: &'a PathContext,
    roots: Mutex<HashMap<PathBuf, Option<PathBuf>>>,
}

impl<'a> FileIdentities<'a> {
    pub fn new(paths: &'a PathContext) -> FileIdentities<'a> {
        FileIdentities {
            paths,
            roots: Mutex::new(HashMap::new()),
        }
    }

    /// `display` (a path as the user gave it) relative to its repository's
    /// root, with `/` separators; `None` outside any repository.
    pub fn of(&self, display: &str) -> Option<String> {
        let absolute = self.paths.absolute(display);
        let directory = absolute.parent()?;
        let root = self
            .roots
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .entry(directory.to_path_buf())
            .or_insert_with(|| report::repository_root_of(directory))
            .clone()?;
        report::relative_to(&absolute, &root)
    }
}

/// Reads one input and lints it; a read problem becomes the report's error.
pub fn lint_input(
    input: &Input,
    config: &Config,
    max_file_size: u64,
    identities: &FileIdentities<'_>,
) -> FileReport {
    match read_input(input, max_file_size) {
        Ok(source) => {
            // Fingerprints hash the path relative to the file's repository
            // root (outside a repository, its lexical normal form,
            // `./a/./Dockerfile` being `a/Dockerfile`), so that `dockerleak .`
            // at the root, `dockerleak Dockerfile` in `a/`, an absolute path
            // and pre-commit's file list give the same fingerprints, on any
            // machine. Rules see the path as given, normalised (DLK010
            // finds the build context through it); the report keeps it as
            // given.
            let normal = normal_path(input.display());
            let identity = identities
                .of(input.display())
                .unwrap_or_else(|| normal.clone());
            let mut report = lint_source_as(&normal, &identity, &source.text, config);
            report.path = input.display().to_string();
            if let Some(error) = invalid_utf8_error(&source) {
                report.errors.insert(0, error);
            }
            report.release_source_if_clean();
            report
        }
        Err(error) => FileReport::unreadable(error.path, error.kind.to_string()),
    }
}

/// A relative path without `.` components (`./a/./b` → `a/b`); other
/// paths (absolute, `<stdin>`, with `..`) only lose their `.` components.
fn normal_path(path: &str) -> String {
    if !path.contains("./") && !path.contains("//") {
        return path.to_string();
    }
    let normal = config::normalize_lexically(Path::new(path));
    if normal.as_os_str().is_empty() {
        path.to_string()
    } else {
        normal.to_string_lossy().into_owned()
    }
}

fn read_input(input: &Input, max_file_size: u64) -> Result<SourceText, input::InputError> {
    match input {
        Input::File { path, display } => input::read_path(path, display, max_file_size),
        Input::Stdin { display } => input::read_stdin(display, max_file_size),
    }
}

/// The error for lossily decoded text, placed on the first replacement
/// character (the decoded text is unchanged up to it).
fn invalid_utf8_error(source: &SourceText) -> Option<FileError> {
    let offset = source.invalid_utf8_at?;
    Some(FileError {
        message: source.invalid_utf8_message()?,
        span: Some(Span::new(
            offset,
            offset + char::REPLACEMENT_CHARACTER.len_utf8(),
        )),
    })
}

/// Sorts reports by path and each report's findings by (line, column, code).
pub fn sort_reports(reports: &mut [FileReport]) {
    reports.sort_by(|left, right| compare_paths(&left.path, &right.path));
    for report in reports.iter_mut() {
        // Byte order within one file is line, then column order.
        report.findings.sort_by(|left, right| {
            (left.span.start, left.span.end, left.code).cmp(&(
                right.span.start,
                right.span.end,
                right.code,
            ))
        });
    }
}

/// The exit code of a check: errors win over findings.
pub fn exit_code(reports: &[FileReport], fail_level: FailLevel) -> i32 {
    if reports.iter().any(|report| !report.errors.is_empty()) {
        return EXIT_ERROR;
    }
    let Some(threshold) = fail_level.threshold() else {
        return EXIT_CLEAN;
    };
    let failing = reports
        .iter()
        .flat_map(|report| &report.findings)
        .any(|finding| finding.severity >= threshold);
    if failing {
        EXIT_FINDINGS
    } else {
        EXIT_CLEAN
    }
}

/// `auto`: colour only on a terminal and when `NO_COLOR` is unset or empty.
fn use_color(mode: ColorMode, to_terminal: bool) -> bool {
    match mode {
        ColorMode::Always => true,
        ColorMode::Never => false,
        ColorMode::Auto => {
            to_terminal && std::env::var_os("NO_COLOR").is_none_or(|value| value.is_empty())
        }
    }
}

/// Refuses (after printing why) an `--output` or `--write-baseline` that is
/// one of the files the run reads: a Dockerfile, the configuration or the
/// baseline. Compared by file identity, so a link or another spelling of
/// the same path is caught too.
fn outputs_spare_inputs(
    arguments: &CheckArgs,
    config_source: &config::ConfigSource,
    discovery: &Discovery,
) -> bool {
    let mut read: Vec<(&Path, &str)> = discovery
        .inputs
        .iter()
        .filter_map(|input| match input {
            Input::File { path, display } => Some((path.as_path(), display.as_str())),
            Input::Stdin { .. } => None,
        })
        .collect();
    if let config::ConfigSource::File { path, display, .. } = config_source {
        read.push((path.as_path(), display.as_str()));
    }
    let baseline_display = arguments
        .baseline
        .as_ref()
        .map(|path| path.display().to_string());
    if let (Some(path), Some(display)) = (&arguments.baseline, &baseline_display) {
        read.push((path.as_path(), display.as_str()));
    }
    let outputs = [
        ("--output", arguments.output.as_deref()),
        ("--write-baseline", arguments.write_baseline.as_deref()),
    ];
    for (flag, output) in outputs {
        let Some(output) = output else { continue };
        if let Some((_, display)) = read
            .iter()
            .find(|(input, _)| crate::discover::is_same_file(output, input))
        {
            print_error(
                &output.display().to_string(),
                &format!("{flag} names {display}, a file this run reads: refusing to overwrite it"),
            );
            return false;
        }
    }
    true
}

/// Runs `write` on the output file (or stdout). A closed stdout (`| head`)
/// is not an error. Returns false after printing why the output failed.
fn write_output(path: Option<&Path>, write: impl FnOnce(&mut dyn Write) -> io::Result<()>) -> bool {
    write_named_output(path, "report", write)
}

/// [`write_output`] for `what` (`report`, `baseline`), named in errors.
fn write_named_output(
    path: Option<&Path>,
    what: &str,
    write: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> bool {
    match path {
        Some(path) => {
            // Written beside the target and renamed over it: a reader (or a
            // second run writing the same file) sees the old file or the
            // whole new one, never a mix.
            // `--output /dev/stdout` or a FIFO is written in place (renaming
            // over a device would replace it); a symbolic link is followed
            // so that the file it names is replaced, not the link.
            let target = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
            if std::fs::metadata(&target).is_ok_and(|metadata| !metadata.is_file()) {
                let result = std::fs::OpenOptions::new()
                    .write(true)
                    .open(&target)
                    .and_then(|file| {
                        let mut output = BufWriter::new(file);
                        write(&mut output)?;
                        output.flush()
                    });
                return report_output_result(path, what, result);
            }
            let directory = match target.parent() {
                Some(parent) if !parent.as_os_str().is_empty() => parent,
                _ => Path::new("."),
            };
            let mut builder = tempfile::Builder::new();
            builder.prefix(".dockerleak-output-");
            // What `File::create` gives (0o666 less the umask), not the
            // temporary file's private 0o600.
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                builder.permissions(std::fs::Permissions::from_mode(0o666));
            }
            let result = builder.tempfile_in(directory).and_then(|temporary| {
                let mut output = BufWriter::new(temporary);
                write(&mut output)?;
                output.flush()?;
                let temporary = output.into_inner().map_err(|error| error.into_error())?;
                temporary.persist(&target).map_err(|error| error.error)?;
                Ok(())
            });
            report_output_result(path, what, result)
        }
        None => {
            let stdout = io::stdout();
            let mut output = BufWriter::new(stdout.lock());
            let result = write(&mut output).and_then(|()| output.flush());
            match result {
                Ok(()) => true,
                Err(error) if error.kind() == io::ErrorKind::BrokenPipe => true,
                Err(error) => {
                    print_error(
                        "<stdout>",
                        &format!(
                            "cannot write the {what}: {}",
                            input::describe_io_error(&error)
                        ),
                    );
                    false
                }
            }
        }
    }
}

/// True when the output was written; else prints why, naming `path`.
fn report_output_result(path: &Path, what: &str, result: io::Result<()>) -> bool {
    match result {
        Ok(()) => true,
        Err(error) => {
            print_error(
                &path.display().to_string(),
                &format!(
                    "cannot write the {what}: {}",
                    input::describe_io_error(&error)
                ),
            );
            false
        }
    }
}

fn run_parse(arguments: &ParseArgs) -> i32 {
    let Some(discovery) = discover_paths(
        &arguments.files,
        arguments.stdin_filename.as_deref(),
        false,
        &[],
    ) else {
        return EXIT_ERROR;
    };
    let mut files: Vec<ParsedFile> = discovery
        .inputs
        .iter()
        .map(|input| parse_input(input, arguments.max_file_size))
        .collect();
    files.extend(discovery.errors.into_iter().map(|error| ParsedFile {
        path: error.path,
        dockerfile: crate::syntax::Dockerfile::default(),
        input_errors: vec![LineError {
            line: None,
            message: error.message,
        }],
    }));
    files.sort_by(|left, right| compare_paths(&left.path, &right.path));
    let mut failed = false;
    for file in &files {
        for error in file.errors() {
            failed = true;
            match error.line {
                Some(line) => print_error(&file.path, &format!("line {line}: {}", error.message)),
                None => print_error(&file.path, &error.message),
            }
        }
    }
    let written = write_output(None, |output| {
        report::ast::write_parsed(arguments.format, &files, output)
    });
    if failed || !written {
        EXIT_ERROR
    } else {
        EXIT_CLEAN
    }
}

fn parse_input(input: &Input, max_file_size: u64) -> ParsedFile {
    let path = input.display().to_string();
    match read_input(input, max_file_size) {
        Ok(source) => {
            let dockerfile = crate::syntax::parse(&source.text);
            let input_errors = source
                .invalid_utf8_message()
                .zip(source.invalid_utf8_at)
                .map(|(message, offset)| LineError {
                    line: Some(crate::source::LineIndex::new(&source.text).line_of(offset)),
                    message,
                })
                .into_iter()
                .collect();
            ParsedFile {
                path,
                dockerfile,
                input_errors,
            }
        }
        Err(error) => ParsedFile {
            path,
            dockerfile: crate::syntax::Dockerfile::default(),
            input_errors: vec![LineError {
                line: None,
                message: error.kind.to_string(),
            }],
        },
    }
}

/// `dockerleak rules`: one line per rule of the registry.
fn run_rules() -> i32 {
    let rules = crate::rules::registry();
    let code_width = rules
        .iter()
        .map(|rule| rule.meta().code.len())
        .max()
        .unwrap_or(0);
    let name_width = rules
        .iter()
        .map(|rule| rule.meta().name.len())
        .max()
        .unwrap_or(0);
    let mut listing = String::new();
    for rule in rules {
        let meta = rule.meta();
        listing.push_str(&format!(
            "{:code_width$}  {:name_width$}  {:7}  {}\n",
            meta.code,
            meta.name,
            meta.severity.as_str(),
            meta.summary
        ));
    }
    if write_output(None, |output| output.write_all(listing.as_bytes())) {
        EXIT_CLEAN
    } else {
        EXIT_ERROR
    }
}

/// `dockerleak explain CODE`: the rule's documentation (by code or name).
fn run_explain(code: &str) -> i32 {
    let Some(rule) = crate::rules::find(code) else {
        print_error(code, "unknown rule (`dockerleak rules` lists them)");
        return EXIT_ERROR;
    };
    let markdown = rule.meta().markdown();
    if write_output(None, |output| output.write_all(markdown.as_bytes())) {
        EXIT_CLEAN
    } else {
        EXIT_ERROR
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::Severity;
    use clap::CommandFactory;

    #[test]
    fn command_line_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn fail_levels_compare_with_severities() {
        let report = |severity| FileReport {
            findings: vec![crate::finding::Finding {
                code: "DLK000",
                name: "test",
                severity,
                message: String::new(),
                help: String::new(),
                span: Span::default(),
                label: String::new(),
                labels: Vec::new(),
                stage: None,
                secrets: Vec::new(),
                fingerprint: String::new(),
            }],
            ..FileReport::default()
        };
        assert_eq!(
            exit_code(&[report(Severity::Warning)], FailLevel::Warning),
            EXIT_FINDINGS
        );
        assert_eq!(
            exit_code(&[report(Severity::Warning)], FailLevel::Error),
            EXIT_CLEAN
        );
        assert_eq!(
            exit_code(&[report(Severity::Note)], FailLevel::Note),
            EXIT_FINDINGS
        );
        assert_eq!(
            exit_code(&[report(Severity::Error)], FailLevel::Never),
            EXIT_CLEAN
        );
        let mut with_error = report(Severity::Error);
        with_error.errors.push(FileError {
            message: "bad".into(),
            span: None,
        });
        assert_eq!(exit_code(&[with_error], FailLevel::Never), EXIT_ERROR);
    }
}
