//! Every input the fuzzers (or the property tests) ever broke something
//! with, kept under `tests/fixtures/fuzz/<target>/` and checked the way its
//! fuzz target checks it, on every `cargo test`, with or without a nightly
//! toolchain. Also the inputs whose cost grew faster than their size.
//!
//! Adding one: copy the artifact from `fuzz/artifacts/<target>/` to
//! `tests/fixtures/fuzz/<target>/<what-it-breaks>` (docs/fuzzing.md).

#[path = "../fuzz/src/invariants.rs"]
#[allow(dead_code)]
mod invariants;

use dockerleak::analysis::Analysis;
use dockerleak::Config;
use std::fs;
use std::path::{Path, PathBuf};

fn fixtures(target: &str) -> Vec<PathBuf> {
    let directory = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/fuzz")
        .join(target);
    let Ok(entries) = fs::read_dir(&directory) else {
        return Vec::new();
    };
    let mut paths: Vec<PathBuf> = entries
        .map(|entry| entry.expect("read the fixture directory").path())
        .filter(|path| path.is_file())
        .collect();
    paths.sort();
    paths
}

/// The fixture's bytes decoded as the fuzz targets decode them.
fn text(path: &Path) -> String {
    let bytes = fs::read(path).expect("read the fixture");
    String::from_utf8_lossy(&bytes).into_owned()
}

#[test]
fn parse_fixtures_keep_the_parser_invariants() {
    for path in fixtures("parse") {
        let text = text(&path);
        let parsed = dockerleak::syntax::parse(&text);
        if let Err(problem) = invariants::check_parse(&text, &parsed) {
            panic!("{}: {problem}", path.display());
        }
    }
}

#[test]
fn shell_fixtures_give_a_shell_view_inside_each_run() {
    for path in fixtures("shell") {
        let text = text(&path);
        let parsed = dockerleak::syntax::parse(&text);
        let analysis = Analysis::new(&parsed, None);
        for (index, script) in analysis.shell_view().scripts() {
            let outer = analysis.dockerfile(&parsed).instructions[index].span;
            for (position, command) in script.commands.iter().enumerate() {
                let mut spans = vec![command.span];
                spans.extend(command.words().map(|word| word.span));
                spans.extend(
                    command
                        .words()
                        .flat_map(|word| word.references.iter().map(|reference| reference.span)),
                );
                spans.extend(command.assignments.iter().map(|assignment| assignment.span));
                spans.extend(command.redirects.iter().map(|redirect| redirect.span));
                for span in spans {
                    if let Err(problem) = invariants::check_span(&text, span) {
                        panic!("{}: RUN {index}: {problem}", path.display());
                    }
                    assert!(
                        outer.contains(span),
                        "{}: RUN {index}: {span:?} outside {outer:?}",
                        path.display()
                    );
                }
                let _ = command.program();
                let _ = script.output_of(position);
                let _ = script.input_of(position);
                let _ = script.descendants(position).count();
            }
        }
    }
}

#[test]
fn config_fixtures_load_or_fail_with_an_error_that_renders() {
    for path in fixtures("config") {
        let text = text(&path);
        match dockerleak::config::parse(&text, ".dockerleak.toml", Path::new("/fuzz")) {
            Err(error) => {
                assert!(error.to_string().starts_with(".dockerleak.toml"));
                if let Some(diagnostic) = error.diagnostic() {
                    let mut rendered = String::new();
                    miette::GraphicalReportHandler::new_themed(
                        miette::GraphicalTheme::unicode_nocolor(),
                    )
                    .render_report(&mut rendered, diagnostic)
                    .expect("render the diagnostic");
                }
            }
            Ok(config) => {
                let dockerfile = "FROM alpine\nENV API_KEY=hunter2hunter2\n";
                let report = dockerleak::lint_source("Dockerfile", dockerfile, &config);
                if let Err(problem) = invariants::check_report(dockerfile, &report) {
                    panic!("{}: {problem}", path.display());
                }
            }
        }
    }
}

#[test]
fn lint_fixtures_go_through_every_format() {
    for path in fixtures("lint_all_formats") {
        let text = text(&path);
        if let Err(problem) = invariants::check_pipeline(&text, &Config::default()) {
            panic!("{}: {problem}", path.display());
        }
    }
}

/// Every fixture of every target also keeps the parser invariants and goes
/// through the whole pipeline: an input that broke one stage is a good
/// input for the others.
#[test]
fn every_fixture_passes_every_dockerfile_check() {
    for target in ["parse", "shell", "lint_all_formats"] {
        for path in fixtures(target) {
            let text = text(&path);
            let parsed = dockerleak::syntax::parse(&text);
            if let Err(problem) = invariants::check_parse(&text, &parsed) {
                panic!("{}: {problem}", path.display());
            }
            if let Err(problem) = invariants::check_pipeline(&text, &Config::default()) {
                panic!("{}: {problem}", path.display());
            }
        }
    }
}

/// `ENV A=$A$A` doubles the value on every line: 64 lines would be 2^64
/// bytes. Substitution stops at `MAX_EXPANSION_LENGTH`.
#[test]
fn doubling_a_variable_on_every_line_does_not_exhaust_memory() {
    let mut text = String::from("FROM alpine\nENV A=0123456789abcdef\n");
    for _ in 0..64 {
        text.push_str("ENV A=$A$A\n");
    }
    text.push_str("COPY $A/.netrc /root/\n");
    let report = dockerleak::lint_source("Dockerfile", &text, &Config::default());
    invariants::check_report(&text, &report).expect("spans in bounds");
}

/// A variable declared 20,000 times, each declaration reading the one
/// before, once took time quadratic in the declarations (each lookup
/// scanned all of them). Not a timing assertion: a regression makes this
/// test take minutes instead of well under a second.
#[test]
fn many_declarations_of_one_variable_are_looked_up_in_logarithmic_time() {
    let mut text = String::from("ARG A=1\nFROM alpine\n");
    for _ in 0..20_000 {
        text.push_str("ENV A=$A\nFROM $A\n");
    }
    let report = dockerleak::lint_source("Dockerfile", &text, &Config::default());
    invariants::check_report(&text, &report).expect("spans in bounds");
}
