//! DLK002 on a broad copy (`COPY . .` then `RUN rm .env`): the copy adds a
//! credential file only if the build context sends one. Each case builds a
//! context in a temporary directory and lints the Dockerfile by its path,
//! as the CLI does.

use dockerleak::{lint_source, Config, FileReport};
use std::path::Path;
use tempfile::TempDir;

const BROAD_COPY: &str = "FROM node:22\nWORKDIR /app\nCOPY . .\nRUN npm ci\nRUN rm -f .env\n";

/// A context holding `files` (`(relative path, content)`).
fn context(files: &[(&str, &str)]) -> TempDir {
    let directory = tempfile::tempdir().expect("a temporary directory");
    for (path, content) in files {
        let full = directory.path().join(path);
        std::fs::create_dir_all(full.parent().expect("a parent")).expect("mkdir");
        std::fs::write(&full, content).expect("write");
    }
    directory
}

fn lint_in(directory: &Path, text: &str, config: &Config) -> FileReport {
    let path = directory.join("Dockerfile");
    std::fs::write(&path, text).expect("write the Dockerfile");
    lint_source(path.to_str().expect("UTF-8 path"), text, config)
}

fn dlk002_lines(report: &FileReport) -> Vec<usize> {
    report
        .findings
        .iter()
        .filter(|finding| finding.code == "DLK002")
        .map(|finding| report.position(finding.span.start).line)
        .collect()
}

#[test]
fn a_broad_copy_of_a_context_that_holds_the_file_is_reported() {
    let directory = context(&[(".env", "A=1\n"), ("package.json", "{}\n")]);
    let report = lint_in(directory.path(), BROAD_COPY, &Config::default());
    assert_eq!(dlk002_lines(&report), [3]);
}

#[test]
fn a_broad_copy_of_a_context_without_the_file_is_silent() {
    let directory = context(&[("package.json", "{}\n")]);
    let report = lint_in(directory.path(), BROAD_COPY, &Config::default());
    assert_eq!(dlk002_lines(&report), Vec::<usize>::new());
}

#[test]
fn a_file_the_dockerignore_leaves_out_is_not_added() {
    let directory = context(&[(".env", "A=1\n"), (".dockerignore", ".env\n")]);
    let report = lint_in(directory.path(), BROAD_COPY, &Config::default());
    assert_eq!(dlk002_lines(&report), Vec::<usize>::new());
    // `<Dockerfile>.dockerignore` wins over `.dockerignore`.
    std::fs::write(
        directory.path().join("Dockerfile.dockerignore"),
        "node_modules\n",
    )
    .unwrap();
    let report = lint_in(directory.path(), BROAD_COPY, &Config::default());
    assert_eq!(dlk002_lines(&report), [3]);
}

#[test]
fn a_directory_source_is_looked_up_under_that_directory() {
    let text = "FROM node:22\nCOPY config/ /app/\nRUN rm /app/.npmrc\n";
    let nested = context(&[("config/.npmrc", "x\n")]);
    assert_eq!(
        dlk002_lines(&lint_in(nested.path(), text, &Config::default())),
        [2]
    );
    let elsewhere = context(&[(".npmrc", "x\n"), ("config/app.yml", "a: 1\n")]);
    assert_eq!(
        dlk002_lines(&lint_in(elsewhere.path(), text, &Config::default())),
        Vec::<usize>::new()
    );
}

#[test]
fn the_context_flag_names_the_context() {
    let dockerfile_dir = context(&[]);
    let build_context = context(&[(".env", "A=1\n")]);
    let config = Config {
        context: Some(build_context.path().to_path_buf()),
        ..Config::default()
    };
    let report = lint_in(dockerfile_dir.path(), BROAD_COPY, &config);
    assert_eq!(dlk002_lines(&report), [3]);
}

#[test]
fn without_a_context_on_disk_the_removal_is_taken_as_the_sign() {
    // Standard input: no context to look at, so the finding stays (the
    // removal says the file came in with the copy).
    let report = lint_source("-", BROAD_COPY, &Config::default());
    assert_eq!(dlk002_lines(&report), [3]);
}

#[test]
fn an_explicit_copy_does_not_depend_on_the_context() {
    // `COPY .npmrc` fails the build if the file is missing: it is added.
    let directory = context(&[]);
    let text = "FROM node:22\nCOPY .npmrc /root/.npmrc\nRUN npm ci\nRUN rm /root/.npmrc\n";
    let report = lint_in(directory.path(), text, &Config::default());
    assert_eq!(dlk002_lines(&report), [2]);
}
