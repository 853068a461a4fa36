//! The command line: `dockerleak [check] [PATHS]...`, `dockerleak parse`,
//! `dockerleak rules`, `dockerleak explain CODE`, `dockerleak config` and
//! `dockerleak server` (the language server, [`crate::server`]).
//!
//! This module parses arguments (clap), loads the configuration of each
//! file ([`crate::config`]: the nearest `.dockerleak.toml` above the file,
//! or `--config` for all) and applies the flags over it, runs the one way through (discover → exclude
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
use crate::report::{self, Format, FormatRequest, PathContext, ReportOptions};
use crate::source::Span;
use clap::{Args, Parser, Subcommand, ValueEnum};
use rayon::prelude::*;
use std::collections::HashMap;
use std::ffi::OsString;
use std::io::{self, BufWriter, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

mod fixes;
use fixes::FixMode;

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
    Rules(RulesArgs),
    /// Explain one rule: what it finds, why it leaks, how to fix it (with
    /// no code: list the rules).
    Explain {
        /// The rule code or name, e.g. DLK001 or secret-file-copied.
        code: Option<String>,
    },
    /// Show the effective configuration and where it came from.
    Config(ConfigArgs),
    /// Print the stage graph: stages, FROM / COPY --from edges and the
    /// paths they carry, where each finding's secret travels.
    Stages(StagesArgs),
    /// Run the language server (LSP 3.17 over standard input and output)
    /// for editors: diagnostics as you type, fixes as code actions.
    #[command(visible_alias = "lsp")]
    Server,
}

/// The flags of `stages`.
#[derive(Clone, Debug, Args)]
pub struct StagesArgs {
    /// The Dockerfile (`-` reads standard input).
    #[arg(value_name = "FILE")]
    pub file: PathBuf,

    /// Output format.
    #[arg(long, value_enum, default_value_t = StagesFormat::Text)]
    pub format: StagesFormat,

    /// The build target stage (default: the last stage).
    #[arg(long, value_name = "STAGE")]
    pub target: Option<String>,

    /// Skip (with an error) a file larger than this.
    #[arg(long, value_name = "BYTES", value_parser = input::parse_size, default_value = input::DEFAULT_MAX_FILE_SIZE_ARGUMENT)]
    pub max_file_size: u64,
}

/// How `stages` prints the graph.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum StagesFormat {
    /// One line per stage, edge and finding.
    Text,
    /// The graph as JSON.
    Json,
    /// A mermaid flowchart (GitHub renders it in Markdown).
    Mermaid,
}

/// The flags of `rules`.
#[derive(Clone, Debug, Args)]
pub struct RulesArgs {
    /// Output format.
    #[arg(long, value_enum, default_value_t = RulesFormat::Text)]
    pub format: RulesFormat,
}

/// How `rules` prints the registry.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum RulesFormat {
    /// One aligned line per rule: code, name, default severity, summary.
    Text,
    /// A JSON array: code, name, severity, summary, help_uri per rule.
    Json,
}

/// The flags of `config`.
#[derive(Clone, Debug, Args)]
pub struct ConfigArgs {
    /// Print the effective configuration as TOML (the default action).
    #[arg(long)]
    pub show: bool,

    /// Show the configuration that applies to this file or directory (the
    /// nearest .dockerleak.toml in its directory or above) instead of the
    /// current directory's.
    #[arg(value_name = "PATH")]
    pub path: Option<PathBuf>,

    #[command(flatten)]
    pub source: ConfigSourceArgs,
}

/// Which configuration file to use.
#[derive(Clone, Debug, Default, Args)]
pub struct ConfigSourceArgs {
    /// Read the configuration of every file from FILE instead of each
    /// file's nearest .dockerleak.toml (in its directory or above).
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
#[command(group(
    clap::ArgGroup::new("fix_action")
        .args(["fix", "diff", "fix_only"])
        .multiple(true)
))]
pub struct CheckArgs {
    /// Files and directories to check (default: the current directory).
    /// A directory is searched for Dockerfiles; a file is always checked,
    /// whatever its name; `-` reads standard input.
    #[arg(value_name = "PATHS")]
    pub paths: Vec<PathBuf>,

    /// Output format, optionally with a file: `FORMAT` or `FORMAT=PATH`.
    /// Repeat it for several reports from one run (`--format github
    /// --format sarif=report.sarif --format markdown=summary.md`); at most
    /// one format without a path, which goes to standard output (or to
    /// --output). Formats: pretty (the default), json, sarif, gnu, github,
    /// gitlab, checkstyle, junit, sonarqube, markdown.
    #[arg(long, value_name = "FORMAT[=PATH]", value_parser = report::parse_format_request)]
    pub format: Vec<FormatRequest>,

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

    /// Make inline `# dockerleak ignore=` directives silence nothing (for
    /// CI that does not allow them); the configuration's `inline-ignores =
    /// false` does the same.
    #[arg(long)]
    pub no_inline_ignores: bool,

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

    /// The build context directory, for rules that look at it (DLK010)
    /// [default: each Dockerfile's directory; on stdin, that of
    /// --stdin-filename when it names an existing file, else DLK010 is off].
    #[arg(long, value_name = "DIR")]
    pub context: Option<PathBuf>,

    /// When to use colours.
    #[arg(long, value_enum, value_name = "WHEN", default_value_t = ColorMode::Auto)]
    pub color: ColorMode,

    /// Skip (with an error) files larger than this: bytes, or with a unit
    /// (KiB, MiB, GiB, K, M, G are powers of 1024; KB, MB, GB of 1000).
    #[arg(long, value_name = "BYTES", value_parser = input::parse_size, default_value = input::DEFAULT_MAX_FILE_SIZE_ARGUMENT)]
    pub max_file_size: u64,

    /// Print the findings and errors only: no summary line, no warnings.
    #[arg(long, short = 'q')]
    pub quiet: bool,

    /// Print how many findings each rule has, instead of the report that
    /// would go to standard output (reports with a path are still
    /// written).
    #[arg(long)]
    pub statistics: bool,

    /// Write the report that would go to standard output (the --format
    /// without a path) to FILE instead.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Read every file as KIND instead of recognising it by name and
    /// content: dockerfile, or a build definition (github, gitlab,
    /// jenkins, compose, bake, shell, make, just).
    #[arg(long, value_name = "KIND", value_parser = parse_kind)]
    pub kind: Option<crate::builddefs::kind::FileKind>,

    /// Apply the safe fixes in place (with `-`, print the fixed text to
    /// standard output), then report what is left.
    #[arg(long)]
    pub fix: bool,

    /// Also apply (with --fix, --fix-only or --diff; an error alone) the
    /// unsafe fixes: those that change the build command too (`docker
    /// build --secret …`).
    #[arg(long, requires = "fix_action")]
    pub unsafe_fixes: bool,

    /// Print the fixes as a unified diff instead of applying them; change
    /// nothing. Exits 1 when a fix would apply. Not with --fix or
    /// --fix-only.
    #[arg(long, conflicts_with_all = ["fix", "fix_only"])]
    pub diff: bool,

    /// Apply the fixes like --fix, but report nothing that is left and
    /// exit 0 unless a file could not be read, parsed or written (with
    /// --fix too, --fix-only wins).
    #[arg(long)]
    pub fix_only: bool,
}

impl CheckArgs {
    /// What the run does with fixes: `None` when it only reports.
    fn fix_mode(&self) -> Option<FixMode> {
        if self.diff {
            Some(FixMode::Diff)
        } else if self.fix_only {
            Some(FixMode::FixOnly)
        } else if self.fix {
            Some(FixMode::Fix)
        } else {
            None
        }
    }
}

fn parse_kind(name: &str) -> Result<crate::builddefs::kind::FileKind, String> {
    crate::builddefs::kind::FileKind::parse(name).ok_or_else(|| {
        format!(
            "unknown kind `{name}`; use one of: {}",
            crate::builddefs::kind::KIND_NAMES
        )
    })
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
    #[arg(long, value_name = "BYTES", value_parser = input::parse_size, default_value = input::DEFAULT_MAX_FILE_SIZE_ARGUMENT)]
    pub max_file_size: u64,

    /// Print secret values as they are (they are masked by default, as
    /// in every output of `check`). Never paste such output anywhere.
    #[arg(long)]
    pub show_secrets: bool,
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
        Some(Command::Rules(arguments)) => run_rules(arguments.format),
        Some(Command::Explain { code: Some(code) }) => run_explain(&code),
        Some(Command::Explain { code: None }) => {
            let _ = writeln!(
                io::stderr().lock(),
                "dockerleak explain CODE explains one rule (a code or a name); the rules are:"
            );
            run_rules(RulesFormat::Text)
        }
        Some(Command::Config(arguments)) => run_config(&arguments),
        Some(Command::Stages(arguments)) => run_stages(&arguments),
        Some(Command::Server) => crate::server::run_stdio(),
    }
}

fn print_error(path: &str, message: &str) {
    let _ = writeln!(io::stderr().lock(), "dockerleak: error: {path}: {message}");
}

fn print_warning(message: &str) {
    let _ = writeln!(io::stderr().lock(), "dockerleak: warning: {message}");
}

fn run_check(arguments: &CheckArgs) -> i32 {
    let outputs = match plan_outputs(&arguments.format, arguments.output.as_deref()) {
        Ok(outputs) => outputs,
        Err(message) => {
            print_error("--format", &message);
            return EXIT_ERROR;
        }
    };
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
    let Some(mut configurations) = Configurations::new(arguments, &paths) else {
        return EXIT_ERROR;
    };
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
    // A walk checks the names of `--include` and of the `include` of the
    // configuration that governs each directory given.
    let mut include = arguments.include.clone();
    let walked: Vec<PathBuf> = if arguments.paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        arguments.paths.clone()
    };
    for directory in walked.iter().filter(|path| path.is_dir()) {
        let Some(config) = configurations.for_directory(&paths.absolute_path(directory)) else {
            return EXIT_ERROR;
        };
        include.extend(config.include.iter().cloned());
    }
    let Some(mut discovery) = discover_paths(
        &arguments.paths,
        arguments.stdin_filename.as_deref(),
        arguments.no_ignore,
        &include,
        arguments.quiet,
    ) else {
        return EXIT_ERROR;
    };
    let Some(groups) = configurations.assign(&mut discovery) else {
        return EXIT_ERROR;
    };
    let checked: Vec<&Input> = groups
        .groups
        .iter()
        .flat_map(|(_, inputs)| inputs)
        .collect();
    if !arguments.quiet {
        warn_about_unchecked_arguments(
            &arguments.paths,
            &checked,
            &discovery.errors,
            &groups.excluded,
            &paths,
        );
    }
    if !outputs_spare_inputs(arguments, &outputs, &checked, &configurations) {
        return EXIT_ERROR;
    }
    let mut reports = Vec::new();
    let mut fail_levels: HashMap<String, FailLevel> = HashMap::new();
    let mut report_configs: HashMap<String, std::sync::Arc<Config>> = HashMap::new();
    let fix_mode = arguments.fix_mode();
    let mut fixing = fixes::Fixing::new(arguments.unsafe_fixes);
    for (config, inputs) in &groups.groups {
        let group = match fix_mode {
            None => lint_inputs(inputs, config, arguments.max_file_size, &paths),
            Some(mode) => fixing.run(mode, inputs, config, arguments.max_file_size, &paths),
        };
        for report in &group {
            fail_levels.insert(report.path.clone(), config.effective_fail_level());
            report_configs.insert(report.path.clone(), config.clone());
        }
        reports.extend(group);
    }
    // A Dockerfile that a definition's fix rewrote is reported as it is now.
    fixing.refresh(
        &mut reports,
        &|path| report_configs.get(path).cloned(),
        &paths,
    );
    // Local files that a `.gitlab-ci.yml` includes build as it does.
    for (report, parent) in crate::builddefs::correlate::gitlab_includes(
        &reports,
        &|path| paths.absolute(path),
        &|path| report_configs.get(path).cloned(),
    ) {
        if let Some(level) = fail_levels.get(&parent).copied() {
            fail_levels.insert(report.path.clone(), level);
        }
        if let Some(config) = report_configs.get(&parent).cloned() {
            report_configs.insert(report.path.clone(), config);
        }
        reports.push(report);
    }
    // Build definitions and the Dockerfiles they build, across files.
    crate::builddefs::correlate::correlate(&mut reports, &|path| paths.absolute(path), &|path| {
        report_configs.get(path).cloned()
    });
    reports.extend(
        discovery
            .errors
            .into_iter()
            .map(|error| FileReport::unreadable(error.path, error.message)),
    );
    reports.extend(
        configurations
            .scans
            .ignore_file_errors()
            .into_iter()
            .map(|(path, message)| FileReport::unreadable(path.display().to_string(), message)),
    );
    sort_reports(&mut reports);
    if let Some(mode) = fix_mode {
        if !fixing.finish(mode, arguments.quiet) {
            return EXIT_ERROR;
        }
        if mode == FixMode::Diff {
            return fixing.diff_exit_code(&reports);
        }
        if mode == FixMode::FixOnly {
            for report in &reports {
                for error in &report.errors {
                    print_error(&report.path, &report::error_message(report, error));
                }
            }
            return exit_code(&reports, FailLevel::Never);
        }
    }
    let reports_to_stderr = fixing.printed_stdin();
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
    // File errors are in every report; stderr repeats them only when no
    // report meant for the log (pretty, gnu, github) goes to stdout, so
    // that they are printed once and never lost in a file.
    let stdout_shows_errors = outputs
        .iter()
        .any(|output| output.path.is_none() && output.format.is_for_the_log());
    if !stdout_shows_errors {
        for report in &reports {
            for error in &report.errors {
                print_error(&report.path, &report::error_message(report, error));
            }
        }
    }
    let mut written = true;
    for output in &outputs {
        let to_terminal = output.path.is_none() && io::stdout().is_terminal();
        let options = ReportOptions {
            color: use_color(arguments.color, to_terminal),
            width: output_width(to_terminal),
            paths: paths.clone(),
            quiet: arguments.quiet,
        };
        if reports_to_stderr && output.path.is_none() {
            // Standard output holds the fixed text.
            let stderr = io::stderr();
            let mut writer = stderr.lock();
            let _ = report::write_report(output.format, &reports, &options, &mut writer);
            continue;
        }
        written &= write_output(output.path.as_deref(), |writer| {
            if arguments.statistics && output.path.is_none() {
                report::write_statistics(&reports, &options, writer)
            } else {
                report::write_report(output.format, &reports, &options, writer)
            }
        });
    }
    if !written {
        return EXIT_ERROR;
    }
    if arguments.write_baseline.is_some() {
        // The findings were just accepted into the baseline.
        return exit_code(&reports, FailLevel::Never);
    }
    exit_code_with(&reports, |report| {
        fail_levels
            .get(&report.path)
            .copied()
            .unwrap_or(FailLevel::Warning)
    })
}

/// The configuration of each file: the nearest `.dockerleak.toml` in its
/// directory or above (as ruff does), so that a monorepo's projects and an
/// editor get the right settings from any working directory; `--config
/// FILE` for every file; none with `--no-config`. A file with no
/// configuration above it uses the working directory's (the nearest above
/// it), else the defaults. The flags apply over each configuration.
struct Configurations<'a> {
    arguments: &'a CheckArgs,
    paths: &'a PathContext,
    /// DLK010's context walks, shared by every configuration of the run.
    scans: std::sync::Arc<crate::rules::ContextScans>,
    /// `--config FILE` or `--no-config`: one configuration for all.
    fixed: Option<std::sync::Arc<Config>>,
    /// The working directory's configuration.
    fallback: std::sync::Arc<Config>,
    /// Loaded configuration files, by absolute path.
    by_file: HashMap<PathBuf, std::sync::Arc<Config>>,
    /// The configuration file of each directory looked up (`None`: none).
    by_directory: HashMap<PathBuf, Option<PathBuf>>,
}

/// The inputs of a run grouped by their configuration.
struct ConfiguredInputs {
    groups: Vec<(std::sync::Arc<Config>, Vec<Input>)>,
    /// The files that their configuration's `exclude` dropped (absolute).
    excluded: Vec<PathBuf>,
}

impl<'a> Configurations<'a> {
    /// Loads the working directory's configuration (or `--config`); `None`
    /// after printing why it cannot be used.
    fn new(arguments: &'a CheckArgs, paths: &'a PathContext) -> Option<Configurations<'a>> {
        let loaded = load_config(&arguments.config_source, paths)?;
        let scans = std::sync::Arc::new(crate::rules::ContextScans::default());
        let mut config = apply_flags(loaded.config, arguments)?;
        config.context_scans = Some(scans.clone());
        let config = std::sync::Arc::new(config);
        let explicit =
            arguments.config_source.config.is_some() || arguments.config_source.no_config;
        let mut by_file = HashMap::new();
        if let config::ConfigSource::File { path, .. } = &loaded.source {
            by_file.insert(paths.absolute_path(path), config.clone());
        }
        Some(Configurations {
            arguments,
            paths,
            scans,
            fixed: explicit.then(|| config.clone()),
            fallback: config,
            by_file,
            by_directory: HashMap::new(),
        })
    }

    /// The configuration for files in `directory` (absolute); `None` after
    /// printing why the configuration file found cannot be used.
    fn for_directory(&mut self, directory: &Path) -> Option<std::sync::Arc<Config>> {
        if let Some(fixed) = &self.fixed {
            return Some(fixed.clone());
        }
        let Some(file) = self.config_file_of(directory) else {
            return Some(self.fallback.clone());
        };
        if let Some(config) = self.by_file.get(&file) {
            return Some(config.clone());
        }
        let display = file
            .strip_prefix(&self.paths.working_directory)
            .map_or_else(|_| file.clone(), Path::to_path_buf);
        let loaded = match config::load(Some(&display), false, &self.paths.working_directory) {
            Ok(loaded) => loaded,
            Err(error) => {
                print_config_error(&error);
                return None;
            }
        };
        let mut config = apply_flags(loaded.config, self.arguments)?;
        config.context_scans = Some(self.scans.clone());
        let config = std::sync::Arc::new(config);
        self.by_file.insert(file, config.clone());
        Some(config)
    }

    /// The nearest configuration file in `directory` or above; each
    /// directory is looked at once per run (a parent's answer is reused by
    /// all its subdirectories).
    fn config_file_of(&mut self, directory: &Path) -> Option<PathBuf> {
        if let Some(known) = self.by_directory.get(directory) {
            return known.clone();
        }
        let candidate = directory.join(config::CONFIG_FILE_NAME);
        let found = if candidate.is_file() {
            Some(candidate)
        } else {
            directory
                .parent()
                .and_then(|parent| self.config_file_of(parent))
        };
        self.by_directory
            .insert(directory.to_path_buf(), found.clone());
        found
    }

    /// Groups the discovered inputs by configuration, dropping those (and
    /// the walk errors) that their configuration's `exclude` names.
    /// Standard input is never excluded; its configuration is that of the
    /// directory of `--stdin-filename`. `None` after printing a
    /// configuration error.
    fn assign(&mut self, discovery: &mut Discovery) -> Option<ConfiguredInputs> {
        let mut groups: Vec<(std::sync::Arc<Config>, Vec<Input>)> = Vec::new();
        let mut excluded = Vec::new();
        for input in std::mem::take(&mut discovery.inputs) {
            let (absolute, is_file) = match &input {
                Input::File { path, .. } => (self.paths.absolute_path(path), true),
                Input::Stdin { display } => (self.paths.absolute(display), false),
            };
            let directory = absolute
                .parent()
                .map_or_else(|| self.paths.working_directory.clone(), Path::to_path_buf);
            let config = self.for_directory(&directory)?;
            if is_file && config.exclude.is_excluded(&absolute) {
                excluded.push(absolute);
                continue;
            }
            // A build definition whose reader the configuration turns off.
            if let Some(crate::builddefs::kind::FileKind::Definition(kind)) =
                crate::builddefs::lint::kind_by_name(input.display(), &config)
            {
                if config.disabled_readers.contains(&kind) {
                    continue;
                }
            }
            match groups
                .iter_mut()
                .find(|(group, _)| std::sync::Arc::ptr_eq(group, &config))
            {
                Some((_, inputs)) => inputs.push(input),
                None => groups.push((config, vec![input])),
            }
        }
        let mut errors = Vec::new();
        for error in std::mem::take(&mut discovery.errors) {
            let absolute = self.paths.absolute(&error.path);
            let directory = absolute
                .parent()
                .map_or_else(|| self.paths.working_directory.clone(), Path::to_path_buf);
            if !self
                .for_directory(&directory)?
                .exclude
                .is_excluded(&absolute)
            {
                errors.push(error);
            }
        }
        discovery.errors = errors;
        Some(ConfiguredInputs { groups, excluded })
    }
}

/// The reports to write: each `--format` with its file (`--output` for the
/// one without a path; `pretty` to stdout when none is given), or why the
/// combination cannot work.
fn plan_outputs(
    requests: &[FormatRequest],
    output: Option<&Path>,
) -> Result<Vec<FormatRequest>, String> {
    let mut outputs = if requests.is_empty() {
        vec![FormatRequest {
            format: Format::Pretty,
            path: None,
        }]
    } else {
        requests.to_vec()
    };
    let unnamed: Vec<String> = outputs
        .iter()
        .filter(|request| request.path.is_none())
        .map(|request| request.format.name())
        .collect();
    if unnamed.len() > 1 {
        return Err(format!(
            "{} would all go to standard output: give all but one a file, as `--format {}=PATH`",
            unnamed.join(", "),
            unnamed[1]
        ));
    }
    if let Some(output) = output {
        match outputs.iter_mut().find(|request| request.path.is_none()) {
            Some(request) => request.path = Some(output.to_path_buf()),
            None => {
                return Err(
                    "--output has no report to write: every --format names its own file".into(),
                )
            }
        }
    }
    let mut seen: Vec<PathBuf> = Vec::new();
    for path in outputs.iter().filter_map(|request| request.path.as_ref()) {
        let normal = config::normalize_lexically(path);
        if seen.contains(&normal) {
            return Err(format!(
                "two reports would be written to {}",
                path.display()
            ));
        }
        seen.push(normal);
    }
    Ok(outputs)
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
/// after printing a usage error (an unknown or empty rule code, a rule both
/// selected and ignored).
fn apply_flags(mut config: Config, arguments: &CheckArgs) -> Option<Config> {
    let resolve = |flag: &str, codes: &[String]| -> Option<Vec<String>> {
        let mut resolved = Vec::new();
        for code in codes {
            if code.trim().is_empty() {
                print_error(
                    flag,
                    &format!("an empty rule code: {flag} takes codes or names, as `{flag} DLK001,secret-in-env`"),
                );
                return None;
            }
            match config::resolve_rule(code) {
                Some(canonical) => resolved.push(canonical.to_string()),
                None => {
                    print_error(
                        flag,
                        &format!(
                            "unknown rule code `{code}` ({})",
                            config::unknown_rule_help(code)
                        ),
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
    if let Some(code) = config
        .select
        .iter()
        .find(|code| config.ignore.contains(code))
    {
        let source = |from_flag: bool, key: &str| {
            if from_flag {
                format!("--{key}")
            } else {
                format!("the configuration's `{key}`")
            }
        };
        print_error(
            "--select",
            &format!(
                "{code} is both selected ({}) and ignored ({}): say which",
                source(!arguments.select.is_empty(), "select"),
                source(!arguments.ignore.is_empty(), "ignore")
            ),
        );
        return None;
    }
    if arguments.no_inline_ignores {
        config.no_inline_ignores = true;
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
    if arguments.kind.is_some() {
        config.kind = arguments.kind;
    }
    Some(config)
}

/// Says on stderr when a path on the command line gave nothing to check:
/// a directory without Dockerfiles (or whose Dockerfiles are all
/// excluded), a named file that the configuration excludes. Not an error:
/// the exit code stays what the findings make it.
fn warn_about_unchecked_arguments(
    arguments: &[PathBuf],
    checked: &[&Input],
    errors: &[crate::discover::PathError],
    excluded: &[PathBuf],
    paths: &PathContext,
) {
    let current = [PathBuf::from(".")];
    let arguments = if arguments.is_empty() {
        &current[..]
    } else {
        arguments
    };
    for argument in arguments {
        if argument.as_os_str() == "-" {
            continue;
        }
        let absolute = paths.absolute_path(argument);
        let shown = argument.display();
        if !argument.is_dir() {
            if excluded.contains(&absolute) {
                print_warning(&format!(
                    "{shown}: not checked: the configuration's `exclude` names it"
                ));
            }
            continue;
        }
        let under = |path: &Path| paths.absolute_path(path).starts_with(&absolute);
        let found = checked.iter().any(|input| match input {
            Input::File { path, .. } => under(path),
            Input::Stdin { .. } => false,
        }) || errors.iter().any(|error| under(Path::new(&error.path)));
        if found {
            continue;
        }
        let excluded_under = excluded
            .iter()
            .filter(|path| path.starts_with(&absolute))
            .count();
        if excluded_under > 0 {
            print_warning(&format!(
                "{shown}: nothing checked: the configuration's `exclude` names all {excluded_under} Dockerfile(s) in it"
            ));
        } else {
            print_warning(&format!(
                "{shown}: no Dockerfiles found (names checked: {}; `--include GLOB` adds names, a file named on the command line is always checked)",
                crate::discover::DOCKERFILE_NAMES_HELP
            ));
        }
    }
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
    let search = match &arguments.path {
        None => paths.working_directory.clone(),
        Some(path) => {
            let absolute = paths.working_directory.join(path);
            match std::fs::metadata(&absolute) {
                Ok(metadata) if metadata.is_dir() => absolute,
                Ok(_) => absolute
                    .parent()
                    .map_or_else(|| paths.working_directory.clone(), Path::to_path_buf),
                Err(error) => {
                    print_error(
                        &path.display().to_string(),
                        &input::describe_io_error(&error),
                    );
                    return EXIT_ERROR;
                }
            }
        }
    };
    let loaded = match config::load_searching(
        arguments.source.config.as_deref(),
        arguments.source.no_config,
        &paths.working_directory,
        &search,
    ) {
        Ok(loaded) => loaded,
        Err(error) => {
            print_config_error(&error);
            return EXIT_ERROR;
        }
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
    quiet: bool,
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
    if !quiet {
        for warning in &discovery.warnings {
            print_warning(warning);
        }
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
        let mut roots = self
            .roots
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let root = root_through_ancestors(&mut roots, directory)?;
        drop(roots);
        report::relative_to(&absolute, &root)
    }
}

/// [`report::repository_root_of`] with every directory looked at
/// remembered in `roots`: a directory's answer is its parent's unless it
/// holds `.git`, so each directory of a run is probed once (the 55
/// directories of the wild corpus cost 330 `stat`s of `.git` before, one
/// per directory and ancestor).
fn root_through_ancestors(
    roots: &mut HashMap<PathBuf, Option<PathBuf>>,
    directory: &Path,
) -> Option<PathBuf> {
    let mut unknown = Vec::new();
    let mut root = None;
    for ancestor in directory.ancestors() {
        if let Some(known) = roots.get(ancestor) {
            root = known.clone();
            break;
        }
        unknown.push(ancestor);
        if ancestor.join(".git").exists() {
            root = Some(ancestor.to_path_buf());
            break;
        }
    }
    for directory in unknown {
        roots.insert(directory.to_path_buf(), root.clone());
    }
    root
}

/// Reads one input and lints it; a read problem becomes the report's error.
pub fn lint_input(
    input: &Input,
    config: &Config,
    max_file_size: u64,
    identities: &FileIdentities<'_>,
) -> FileReport {
    match read_input(input, max_file_size) {
        Ok(source) => lint_text(input, &source, config, identities),
        Err(error) => FileReport::unreadable(error.path, error.kind.to_string()),
    }
}

/// [`lint_input`] of a text already read.
fn lint_text(
    input: &Input,
    source: &SourceText,
    config: &Config,
    identities: &FileIdentities<'_>,
) -> FileReport {
    {
        {
            // Fingerprints hash the path relative to the file's repository
            // root (outside a repository, its lexical normal form,
            // `./a/./Dockerfile` being `a/Dockerfile`), so that `dockerleak .`
            // at the root, `dockerleak Dockerfile` in `a/`, an absolute path
            // and pre-commit's file list give the same fingerprints, on any
            // machine. Rules see the path as given, normalised (DLK010
            // finds the build context through it); the report keeps it as
            // given.
            let (normal, identity) = lint_names(input, identities);
            let named_kind = crate::builddefs::lint::kind_by_name(input.display(), config);
            let kind =
                named_kind.unwrap_or_else(|| crate::builddefs::lint::kind_of_content(&source.text));
            let mut report = match kind {
                crate::builddefs::kind::FileKind::Dockerfile => {
                    lint_source_as(&normal, &identity, &source.text, config)
                }
                crate::builddefs::kind::FileKind::Definition(kind) => {
                    crate::builddefs::lint::lint_definition(
                        &normal,
                        &identity,
                        &source.text,
                        kind,
                        config,
                    )
                }
            };
            report.path = input.display().to_string();
            if let Some(error) = invalid_utf8_error(source) {
                report.errors.insert(0, error);
            }
            report.release_source_if_clean();
            report
        }
    }
}

/// The path and fingerprint identity [`lint_text`] lints `input` as.
fn lint_names(input: &Input, identities: &FileIdentities<'_>) -> (String, String) {
    let normal = normal_path(input.display());
    let identity = identities
        .of(input.display())
        .unwrap_or_else(|| normal.clone());
    (normal, identity)
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
    exit_code_with(reports, |_| fail_level)
}

/// [`exit_code`] with a fail level per file (its configuration's).
pub fn exit_code_with(
    reports: &[FileReport],
    fail_level_of: impl Fn(&FileReport) -> FailLevel,
) -> i32 {
    if reports.iter().any(|report| !report.errors.is_empty()) {
        return EXIT_ERROR;
    }
    let failing = reports.iter().any(|report| {
        fail_level_of(report).threshold().is_some_and(|threshold| {
            report
                .findings
                .iter()
                .any(|finding| finding.severity >= threshold)
        })
    });
    if failing {
        EXIT_FINDINGS
    } else {
        EXIT_CLEAN
    }
}

/// `auto`: no colour when `NO_COLOR` is set (not empty); else colour when
/// `FORCE_COLOR` is set (not empty, not `0`); else only on a terminal.
fn use_color(mode: ColorMode, to_terminal: bool) -> bool {
    let set = |name: &str| std::env::var_os(name).filter(|value| !value.is_empty());
    match mode {
        ColorMode::Always => true,
        ColorMode::Never => false,
        ColorMode::Auto => {
            if set("NO_COLOR").is_some() {
                false
            } else if let Some(force) = set("FORCE_COLOR") {
                force != "0"
            } else {
                to_terminal
            }
        }
    }
}

/// The width pretty output wraps at: `COLUMNS` when it is a number (at
/// least 40), else the terminal's width when the report goes to one, else
/// 100.
fn output_width(to_terminal: bool) -> usize {
    const DEFAULT: usize = 100;
    if let Some(columns) = std::env::var("COLUMNS")
        .ok()
        .and_then(|value| value.trim().parse::<usize>().ok())
    {
        return columns.max(40);
    }
    if to_terminal {
        if let Some((terminal_size::Width(width), _)) = terminal_size::terminal_size() {
            return usize::from(width).max(40);
        }
    }
    DEFAULT
}

/// Refuses (after printing why) an `--output` or `--write-baseline` that is
/// one of the files the run reads: a Dockerfile, the configuration or the
/// baseline. Compared by file identity, so a link or another spelling of
/// the same path is caught too.
fn outputs_spare_inputs(
    arguments: &CheckArgs,
    reports: &[FormatRequest],
    checked: &[&Input],
    configurations: &Configurations,
) -> bool {
    let mut read: Vec<(&Path, String)> = checked
        .iter()
        .filter_map(|input| match input {
            Input::File { path, display } => Some((path.as_path(), display.clone())),
            Input::Stdin { .. } => None,
        })
        .collect();
    // Every configuration file the run loaded (`--config` or the nearest
    // above each file).
    for path in configurations.by_file.keys() {
        read.push((path.as_path(), path.display().to_string()));
    }
    let baseline_display = arguments
        .baseline
        .as_ref()
        .map(|path| path.display().to_string());
    if let (Some(path), Some(display)) = (&arguments.baseline, baseline_display) {
        read.push((path.as_path(), display));
    }
    // Each report's file (`--output` is the one without `=PATH`), then the
    // baseline to write.
    let outputs = reports
        .iter()
        .filter_map(|request| {
            let path = request.path.as_deref()?;
            let flag = if request.path.as_deref() == arguments.output.as_deref() {
                "--output".to_string()
            } else {
                format!("--format {}=PATH", request.format.name())
            };
            Some((flag, path))
        })
        .chain(
            arguments
                .write_baseline
                .as_deref()
                .map(|path| ("--write-baseline".to_string(), path)),
        );
    for (flag, output) in outputs {
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
            // What `File::create` gives (0o666 less the umask), not the
            // temporary file's private 0o600.
            #[cfg(unix)]
            let permissions = {
                use std::os::unix::fs::PermissionsExt;
                Some(std::fs::Permissions::from_mode(0o666))
            };
            #[cfg(not(unix))]
            let permissions = None;
            let result = replace_atomically(&target, permissions, write);
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

/// Writes `target` through a temporary file beside it, renamed over it: a
/// reader sees the old file or the whole new one, never a mix. The new
/// file gets `permissions` (else the temporary file's own).
fn replace_atomically(
    target: &Path,
    permissions: Option<std::fs::Permissions>,
    write: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> io::Result<()> {
    let directory = match target.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    let mut builder = tempfile::Builder::new();
    builder.prefix(".dockerleak-output-");
    if let Some(permissions) = permissions {
        builder.permissions(permissions);
    }
    let temporary = builder.tempfile_in(directory)?;
    let mut output = BufWriter::new(temporary);
    write(&mut output)?;
    output.flush()?;
    let temporary = output.into_inner().map_err(|error| error.into_error())?;
    temporary.persist(target).map_err(|error| error.error)?;
    Ok(())
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
    if arguments.show_secrets {
        print_warning(
            "--show-secrets: secret values are printed as they are; \
             do not paste this output into a bug report or a log",
        );
    }
    let Some(discovery) = discover_paths(
        &arguments.files,
        arguments.stdin_filename.as_deref(),
        false,
        &[],
        false,
    ) else {
        return EXIT_ERROR;
    };
    let mut files: Vec<ParsedFile> = discovery
        .inputs
        .iter()
        .map(|input| parse_input(input, arguments.max_file_size, arguments.show_secrets))
        .collect();
    files.extend(discovery.errors.into_iter().map(|error| ParsedFile {
        path: error.path,
        dockerfile: crate::syntax::Dockerfile::default(),
        input_errors: vec![LineError {
            line: None,
            message: error.message,
        }],
        redactor: Default::default(),
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

/// Reads and parses one input; unless `show_secrets`, with the redactor
/// of the linter's detection (the builtin catalogues, every rule).
fn parse_input(input: &Input, max_file_size: u64, show_secrets: bool) -> ParsedFile {
    let path = input.display().to_string();
    match read_input(input, max_file_size) {
        Ok(source) => {
            let dockerfile = crate::syntax::parse(&source.text);
            let redactor = if show_secrets {
                Default::default()
            } else {
                crate::lint::detect_secrets(&source.text, &Config::default())
            };
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
                redactor,
            }
        }
        Err(error) => ParsedFile {
            path,
            dockerfile: crate::syntax::Dockerfile::default(),
            input_errors: vec![LineError {
                line: None,
                message: error.kind.to_string(),
            }],
            redactor: Default::default(),
        },
    }
}

/// `dockerleak stages`: the stage graph of one file, as text, JSON or mermaid.
fn run_stages(arguments: &StagesArgs) -> i32 {
    // `-` reads standard input, as the lint command does.
    let stdin = arguments.file.as_os_str() == "-";
    let display = if stdin {
        DEFAULT_STDIN_NAME.to_string()
    } else {
        arguments.file.display().to_string()
    };
    let read = if stdin {
        input::read_stdin(&display, arguments.max_file_size)
    } else {
        input::read_path(&arguments.file, &display, arguments.max_file_size)
    };
    let source = match read {
        Ok(source) => source,
        Err(error) => {
            print_error(&error.path, &error.kind.to_string());
            return EXIT_ERROR;
        }
    };
    let config = Config {
        target: arguments.target.clone(),
        ..Config::default()
    };
    let graph = crate::stages::StageGraph::of(&display, &source.text, &config);
    for error in &graph.errors {
        print_error(&display, error);
    }
    let written = write_output(None, |output| match arguments.format {
        StagesFormat::Text => output.write_all(graph.text().as_bytes()),
        StagesFormat::Mermaid => output.write_all(graph.mermaid().as_bytes()),
        StagesFormat::Json => {
            serde_json::to_writer_pretty(&mut *output, &graph).map_err(io::Error::other)?;
            writeln!(output)
        }
    });
    if !written || !graph.errors.is_empty() {
        EXIT_ERROR
    } else {
        EXIT_CLEAN
    }
}

/// `dockerleak rules`: one line per rule of the registry, or JSON.
fn run_rules(format: RulesFormat) -> i32 {
    let rules = crate::rules::registry();
    if format == RulesFormat::Json {
        let listing: Vec<serde_json::Value> = rules
            .iter()
            .map(|rule| {
                let meta = rule.meta();
                serde_json::json!({
                    "code": meta.code,
                    "name": meta.name,
                    "severity": meta.severity.as_str(),
                    "summary": meta.summary,
                    "help_uri": meta.help_uri(),
                })
            })
            .collect();
        let written = write_output(None, |output| {
            serde_json::to_writer_pretty(&mut *output, &listing).map_err(io::Error::from)?;
            output.write_all(b"\n")
        });
        return if written { EXIT_CLEAN } else { EXIT_ERROR };
    }
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
        print_error(
            code,
            &format!("unknown rule ({})", config::unknown_rule_help(code)),
        );
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
    fn repository_roots_are_shared_by_a_directory_and_its_ancestors() {
        let directory = tempfile::tempdir().expect("temporary directory");
        let repository = directory.path().join("repo");
        std::fs::create_dir_all(repository.join(".git")).unwrap();
        std::fs::create_dir_all(repository.join("a/b")).unwrap();
        std::fs::create_dir_all(directory.path().join("outside/c")).unwrap();
        let mut roots = HashMap::new();
        let deep = repository.join("a/b");
        assert_eq!(
            root_through_ancestors(&mut roots, &deep),
            report::repository_root_of(&deep)
        );
        assert_eq!(
            roots.get(&repository.join("a")),
            Some(&Some(repository.clone()))
        );
        assert_eq!(
            root_through_ancestors(&mut roots, &repository.join("a")),
            Some(repository.clone())
        );
        let outside = directory.path().join("outside/c");
        assert_eq!(
            root_through_ancestors(&mut roots, &outside),
            report::repository_root_of(&outside)
        );
    }

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
                message: Default::default(),
                help: Default::default(),
                span: Span::default(),
                label: Default::default(),
                labels: Vec::new(),
                stage: None,
                secrets: Vec::new(),
                fingerprint: String::new(),
                fix: None,
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
