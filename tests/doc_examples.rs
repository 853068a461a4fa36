//! The examples in README.md and docs/ cannot rot: every ```toml block must
//! be a valid `.dockerleak.toml` (`dockerleak config --show --config` reads
//! it), or TOML when its first line says it is another tool's file (`#
//! languages.toml (Helix), not a .dockerleak.toml`), and every line of a ```sh block that runs `dockerleak` must run
//! with the built binary and exit 0 or 1 (findings), never 2 (a usage
//! error, or a file it could not read). The commands run in a scratch
//! directory holding a copy of `examples/`, a clean `Dockerfile` and
//! `path/to/Dockerfile` (the names the docs use), with a clean Dockerfile
//! on standard input.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

mod common;
use common::{dockerleak_in, write};

const CLEAN: &str = "FROM alpine:3.20\nRUN echo hello\n";

/// README.md, docs/*.md and docs/rules/*.md.
fn markdown_files() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = vec![root.join("README.md")];
    for directory in [root.join("docs"), root.join("docs/rules")] {
        let mut pages: Vec<PathBuf> = fs::read_dir(&directory)
            .expect("docs/ is readable")
            .filter_map(|entry| entry.ok().map(|entry| entry.path()))
            .filter(|path| path.extension().is_some_and(|extension| extension == "md"))
            .collect();
        pages.sort();
        files.extend(pages);
    }
    files
}

/// The fenced blocks of `language` in `text`: (1-based line of the fence,
/// the block's lines).
fn blocks(text: &str, language: &str) -> Vec<(usize, Vec<String>)> {
    let mut found = Vec::new();
    let mut current: Option<(usize, Vec<String>)> = None;
    for (index, line) in text.lines().enumerate() {
        let trimmed = line.trim();
        match &mut current {
            Some(_) if trimmed == "```" => found.extend(current.take()),
            Some((_, lines)) => lines.push(line.to_string()),
            None if trimmed == format!("```{language}") => current = Some((index + 1, Vec::new())),
            None => {}
        }
    }
    found
}

/// Every block of `language` in the docs, named `file:line`.
fn doc_blocks(language: &str) -> Vec<(String, Vec<String>)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut all = Vec::new();
    for file in markdown_files() {
        let text = fs::read_to_string(&file).expect("a doc page is readable");
        let name = file
            .strip_prefix(root)
            .unwrap_or(&file)
            .display()
            .to_string();
        for (line, lines) in blocks(&text, language) {
            all.push((format!("{name}:{line}"), lines));
        }
    }
    all
}

#[test]
fn every_toml_example_is_a_valid_configuration() {
    let examples = doc_blocks("toml");
    assert!(!examples.is_empty(), "the docs have TOML examples");
    let scratch = tempfile::tempdir().expect("tempdir");
    for (place, lines) in examples {
        // Another tool's file (Helix's languages.toml) says so on its first
        // line: it must still be TOML.
        if lines
            .first()
            .is_some_and(|line| line.starts_with('#') && line.contains("not a .dockerleak.toml"))
        {
            let text = lines.join("\n");
            if let Err(error) = text.parse::<toml::Table>() {
                panic!("the TOML example at {place} is not TOML: {error}");
            }
            continue;
        }
        let file = scratch.path().join("example.toml");
        fs::write(&file, lines.join("\n") + "\n").expect("write the example");
        let output = dockerleak_in(scratch.path())
            .args(["config", "--show", "--config"])
            .arg(&file)
            .output()
            .expect("run dockerleak config");
        assert_eq!(
            output.status.code(),
            Some(0),
            "the TOML example at {place} is not a valid .dockerleak.toml:\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
}

/// The commands of a sh block: continuation lines joined, only those that
/// run `dockerleak`.
fn dockerleak_commands(lines: &[String]) -> Vec<String> {
    let mut commands = Vec::new();
    let mut pending = String::new();
    for line in lines {
        if let Some(start) = line.strip_suffix('\\') {
            pending.push_str(start);
            pending.push(' ');
            continue;
        }
        pending.push_str(line);
        let command = std::mem::take(&mut pending);
        let command = command.trim();
        if command == "dockerleak" || command.starts_with("dockerleak ") {
            commands.push(command.to_string());
        }
    }
    commands
}

/// A directory with what the examples name.
fn sandbox() -> tempfile::TempDir {
    let scratch = tempfile::tempdir().expect("tempdir");
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    for directory in ["clean", "leaky"] {
        let file = examples.join(directory).join("Dockerfile");
        let text = fs::read_to_string(&file).expect("examples/ is readable");
        write(
            &scratch
                .path()
                .join("examples")
                .join(directory)
                .join("Dockerfile"),
            &text,
        );
    }
    write(&scratch.path().join("Dockerfile"), CLEAN);
    write(&scratch.path().join("path/to/Dockerfile"), CLEAN);
    scratch
}

#[test]
fn every_sh_example_that_runs_dockerleak_works() {
    let binary = Path::new(env!("CARGO_BIN_EXE_dockerleak"));
    let directory = binary.parent().expect("the binary is in a directory");
    let path = std::env::join_paths(std::iter::once(directory.to_path_buf()).chain(
        std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()),
    ))
    .expect("PATH can be joined");
    let mut ran = 0;
    for (place, lines) in doc_blocks("sh") {
        // One scratch directory per block: a block's commands may build on
        // each other (write a baseline, then use it).
        let scratch = sandbox();
        for command in dockerleak_commands(&lines) {
            let mut child = Command::new("bash");
            child
                .args(["-c", &command])
                .current_dir(scratch.path())
                .env("PATH", &path)
                .env_remove("NO_COLOR")
                .env_remove("FORCE_COLOR")
                .env_remove("COLUMNS")
                .stdin(std::process::Stdio::piped())
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped());
            let mut process = child.spawn().expect("run bash");
            {
                use std::io::Write;
                let mut stdin = process.stdin.take().expect("stdin is piped");
                // A command that does not read stdin may have exited.
                let _ = stdin.write_all(CLEAN.as_bytes());
            }
            let output = process.wait_with_output().expect("wait for bash");
            let code = output.status.code();
            assert!(
                matches!(code, Some(0 | 1)),
                "the example at {place} failed with {code:?}: {command}\n{}",
                String::from_utf8_lossy(&output.stderr)
            );
            ran += 1;
        }
    }
    assert!(ran >= 8, "only {ran} dockerleak commands found in the docs");
}
