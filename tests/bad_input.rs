//! Every kind of bad input, run through the binary next to a good file:
//! one clear line on stderr naming the bad file, no panic (exit code 2,
//! never 101), and the good file still checked.

use assert_cmd::Command;
use serde_json::Value;
use std::fs;
use std::path::{Path, PathBuf};

mod common;
use common::dockerleak;

const GOOD: &str = "FROM alpine:3.20\nRUN echo ok\n";

/// A temporary directory holding `good/Dockerfile`.
struct Workspace {
    directory: tempfile::TempDir,
}

impl Workspace {
    fn new() -> Workspace {
        let directory = tempfile::tempdir().expect("tempdir");
        let workspace = Workspace { directory };
        workspace.write("good/Dockerfile", GOOD.as_bytes());
        workspace
    }

    fn path(&self, relative: &str) -> PathBuf {
        self.directory.path().join(relative)
    }

    fn write(&self, relative: &str, bytes: &[u8]) -> PathBuf {
        let path = self.path(relative);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent).expect("create the fixture's directory");
        }
        fs::write(&path, bytes).expect("write the fixture");
        path
    }

    fn good(&self) -> PathBuf {
        self.path("good/Dockerfile")
    }
}

struct Outcome {
    code: i32,
    document: Value,
    stderr: String,
}

fn run(command: &mut Command) -> Outcome {
    let output = command.output().expect("run dockerleak");
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    let code = output
        .status
        .code()
        .expect("dockerleak exited normally, not by a signal");
    assert_ne!(code, 101, "dockerleak panicked: {stderr}");
    let document = serde_json::from_slice(&output.stdout).unwrap_or_else(|error| {
        panic!(
            "stdout is not JSON ({error}): {}\nstderr: {stderr}",
            String::from_utf8_lossy(&output.stdout)
        )
    });
    Outcome {
        code,
        document,
        stderr,
    }
}

/// Checks `bad` next to the good file and asserts the contract: exit 2,
/// exactly one stderr line, `dockerleak: error: BAD: MESSAGE`, the same
/// error in the JSON, and the good file checked without error.
fn assert_bad_input(command: &mut Command, bad: &str, message: &str, files: u64) {
    let outcome = run(command);
    assert_eq!(outcome.code, 2, "stderr: {}", outcome.stderr);
    assert_eq!(
        outcome.stderr,
        format!("dockerleak: error: {bad}: {message}\n"),
        "one line naming the file"
    );
    let errors = outcome.document["errors"]
        .as_array()
        .expect("errors is an array");
    assert_eq!(errors.len(), 1, "{}", outcome.document);
    assert_eq!(errors[0]["path"], bad);
    assert_eq!(errors[0]["message"], message);
    assert_eq!(
        outcome.document["summary"]["files"], files,
        "the good file was checked too"
    );
    assert_eq!(outcome.document["summary"]["errors"], 1);
}

fn check_json(paths: &[&Path]) -> Command {
    let mut command = dockerleak();
    command.args(["--format", "json"]).args(paths);
    command
}

fn display(path: &Path) -> String {
    path.display().to_string()
}

#[test]
fn a_binary_file_is_an_error_not_linted() {
    let workspace = Workspace::new();
    let mut bytes = b"FROM alpine\n".to_vec();
    bytes.extend([0u8, 1, 2, 3, 0xFF, 0xD8, 0xFF, 0xE0]);
    let bad = workspace.write("bad/Dockerfile", &bytes);
    assert_bad_input(
        &mut check_json(&[&bad, &workspace.good()]),
        &display(&bad),
        "binary file, not a Dockerfile",
        2,
    );
}

#[test]
fn a_utf16_file_says_to_save_it_as_utf8() {
    let workspace = Workspace::new();
    let mut bytes = vec![0xFF, 0xFE];
    for unit in "FROM alpine\n".encode_utf16() {
        bytes.extend(unit.to_le_bytes());
    }
    let bad = workspace.write("bad/Dockerfile", &bytes);
    assert_bad_input(
        &mut check_json(&[&bad, &workspace.good()]),
        &display(&bad),
        "UTF-16 text, not a Dockerfile dockerleak can read: save it as UTF-8",
        2,
    );
}

#[test]
fn invalid_utf8_is_linted_lossily_and_reported() {
    let workspace = Workspace::new();
    let bad = workspace.write(
        "bad/Dockerfile",
        b"FROM alpine\nLABEL maintainer=\"Jos\xe9\"\nCOPY .netrc /root/.netrc\n",
    );
    let outcome = run(&mut check_json(&[&bad, &workspace.good()]));
    assert_eq!(outcome.code, 2, "errors win over findings");
    let message = "line 2: not valid UTF-8 at byte 33; linted after replacing invalid bytes";
    assert_eq!(
        outcome.stderr,
        format!("dockerleak: error: {}: {message}\n", display(&bad))
    );
    assert_eq!(outcome.document["errors"][0]["message"], message);
    assert_eq!(outcome.document["summary"]["files"], 2);
    // The file was linted after all: the copied .netrc is found.
    let findings = outcome.document["findings"]
        .as_array()
        .expect("findings is an array");
    assert!(
        findings
            .iter()
            .any(|finding| finding["path"] == display(&bad).as_str() && finding["line"] == 3),
        "{}",
        outcome.document
    );
}

#[test]
fn an_empty_file_has_no_instructions() {
    let workspace = Workspace::new();
    let bad = workspace.write("bad/Dockerfile", b"");
    assert_bad_input(
        &mut check_json(&[&bad, &workspace.good()]),
        &display(&bad),
        "line 1: file with no instructions",
        2,
    );
    // Comments and blank lines only: the same.
    let comments = workspace.write("comments/Dockerfile", b"# nothing here\n\n");
    let outcome = run(&mut check_json(&[&comments]));
    assert_eq!(outcome.code, 2);
    assert!(
        outcome.stderr.contains("file with no instructions"),
        "{}",
        outcome.stderr
    );
}

/// 20 MiB of valid Dockerfile.
fn twenty_megabytes() -> Vec<u8> {
    let line =
        b"RUN echo 0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz\n";
    let mut bytes = b"FROM alpine:3.20\n".to_vec();
    while bytes.len() < 20 << 20 {
        bytes.extend_from_slice(line);
    }
    bytes.truncate(20 << 20);
    bytes.push(b'\n');
    bytes
}

#[test]
fn a_file_over_the_size_limit_is_an_error_unless_the_limit_is_raised() {
    let workspace = Workspace::new();
    let bad = workspace.write("big/Dockerfile", &twenty_megabytes());
    assert_bad_input(
        &mut check_json(&[&bad, &workspace.good()]),
        &display(&bad),
        "file is 20.0 MiB, over the 1 MiB limit (--max-file-size)",
        2,
    );
    let outcome = run(check_json(&[&bad, &workspace.good()]).args(["--max-file-size", "64MiB"]));
    assert_eq!(outcome.code, 0, "stderr: {}", outcome.stderr);
    assert_eq!(outcome.document["summary"]["files"], 2);
    assert_eq!(outcome.document["summary"]["errors"], 0);
}

/// A Dockerfile of exactly `size` bytes: `FROM`, then comment lines.
fn dockerfile_of_size(size: usize) -> Vec<u8> {
    let mut bytes = b"FROM alpine:3.20\n".to_vec();
    while bytes.len() < size {
        let line = (size - bytes.len()).min(80);
        bytes.extend(std::iter::repeat_n(b'#', line - 1));
        bytes.push(b'\n');
    }
    assert_eq!(bytes.len(), size);
    bytes
}

#[test]
fn the_default_size_limit_is_one_mebibyte_inclusive() {
    let workspace = Workspace::new();
    let at_limit = workspace.write("at/Dockerfile", &dockerfile_of_size(1 << 20));
    let outcome = run(&mut check_json(&[&at_limit]));
    assert_eq!(outcome.code, 0, "stderr: {}", outcome.stderr);
    assert_eq!(outcome.document["summary"]["errors"], 0);
    let over = workspace.write("over/Dockerfile", &dockerfile_of_size((1 << 20) + 1));
    assert_bad_input(
        &mut check_json(&[&over, &workspace.good()]),
        &display(&over),
        "file is 1.0 MiB, over the 1 MiB limit (--max-file-size)",
        2,
    );
}

#[test]
fn stdin_over_the_size_limit_is_an_error() {
    let outcome = run(dockerleak()
        .args([
            "--format",
            "json",
            "--max-file-size",
            "1KiB",
            "--stdin-filename",
            "big/Dockerfile",
            "-",
        ])
        .write_stdin(format!("FROM alpine\n{}", "RUN true\n".repeat(200))));
    assert_eq!(outcome.code, 2);
    assert_eq!(
        outcome.stderr,
        "dockerleak: error: big/Dockerfile: input is over the 1 KiB limit (--max-file-size)\n"
    );
}

#[test]
fn ten_thousand_continuation_lines_are_linted() {
    let workspace = Workspace::new();
    let mut text = String::from("FROM alpine:3.20\nRUN echo start \\\n");
    for index in 0..9_999 {
        text.push_str(&format!("    && echo line{index} \\\n"));
    }
    text.push_str("    && echo done\n");
    let long = workspace.write("long/Dockerfile", text.as_bytes());
    let outcome = run(&mut check_json(&[&long, &workspace.good()]));
    assert_eq!(outcome.code, 0, "stderr: {}", outcome.stderr);
    assert_eq!(outcome.document["summary"]["files"], 2);

    let output = dockerleak()
        .args(["parse", "--format", "json"])
        .arg(&long)
        .output()
        .expect("run dockerleak parse");
    assert_eq!(output.status.code(), Some(0));
    let parsed: Value = serde_json::from_slice(&output.stdout).expect("parse output is JSON");
    let run_instruction = &parsed[0]["instructions"][1];
    assert_eq!(run_instruction["cmd"], "run");
    assert_eq!(run_instruction["start_line"], 2);
    assert_eq!(run_instruction["end_line"], 10_002);
}

#[test]
fn a_path_that_does_not_exist_is_an_error() {
    let workspace = Workspace::new();
    let missing = workspace.path("missing/Dockerfile");
    assert_bad_input(
        &mut check_json(&[&missing, &workspace.good()]),
        &display(&missing),
        "No such file or directory",
        2,
    );
}

/// Whether this process can read a file its owner cannot (root can).
fn reads_despite_permissions(path: &Path) -> bool {
    fs::read(path).is_ok()
}

/// A command that runs dockerleak as `nobody` when this test runs as
/// root, or `None` (with the reason printed) when that is not possible.
fn unprivileged(workspace: &Workspace, probe: &Path) -> Option<Command> {
    if !reads_despite_permissions(probe) {
        return Some(dockerleak());
    }
    let setpriv_works = std::process::Command::new("setpriv")
        .args(["--reuid=65534", "--regid=65534", "--clear-groups", "true"])
        .status()
        .is_ok_and(|status| status.success());
    if !setpriv_works {
        eprintln!(
            "SKIPPED: running as root, where chmod 000 does not deny reading, and `setpriv` cannot drop privileges"
        );
        return None;
    }
    // `nobody` must be able to reach the good file.
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(
        workspace.directory.path(),
        fs::Permissions::from_mode(0o755),
    )
    .expect("open the workspace to others");
    let mut command = Command::new("setpriv");
    command
        .args(["--reuid=65534", "--regid=65534", "--clear-groups"])
        .arg(env!("CARGO_BIN_EXE_dockerleak"))
        .current_dir(env!("CARGO_MANIFEST_DIR"));
    Some(command)
}

#[test]
fn a_permission_denied_file_is_an_error() {
    use std::os::unix::fs::PermissionsExt;
    let workspace = Workspace::new();
    let bad = workspace.write("locked/Dockerfile", GOOD.as_bytes());
    fs::set_permissions(&bad, fs::Permissions::from_mode(0o000)).expect("chmod 000");
    let Some(mut command) = unprivileged(&workspace, &bad) else {
        return;
    };
    command
        .args(["--format", "json"])
        .arg(&bad)
        .arg(workspace.good());
    assert_bad_input(&mut command, &display(&bad), "permission denied", 2);
}

#[test]
fn a_permission_denied_directory_in_a_walk_is_an_error() {
    use std::os::unix::fs::PermissionsExt;
    let workspace = Workspace::new();
    let inside = workspace.write("tree/locked/Dockerfile", GOOD.as_bytes());
    let locked = workspace.path("tree/locked");
    fs::set_permissions(&locked, fs::Permissions::from_mode(0o000)).expect("chmod 000");
    let probe_denied = fs::read(&inside).is_err();
    let command = if probe_denied {
        Some(dockerleak())
    } else {
        unprivileged(&workspace, &inside)
    };
    let Some(mut command) = command else {
        return;
    };
    command
        .args(["--format", "json"])
        .arg(workspace.path("tree"))
        .arg(workspace.good());
    // The walk counts the good file only: the locked directory is an error.
    assert_bad_input(&mut command, &display(&locked), "permission denied", 2);
    fs::set_permissions(&locked, fs::Permissions::from_mode(0o755))
        .expect("let the tempdir be removed");
}

#[test]
fn a_symbolic_link_loop_is_an_error_and_the_walk_goes_on() {
    let workspace = Workspace::new();
    let tree = workspace.path("tree");
    workspace.write("tree/Dockerfile", GOOD.as_bytes());
    std::os::unix::fs::symlink(&tree, tree.join("loop")).expect("create the loop");
    let looped = tree.join("loop");
    assert_bad_input(
        &mut check_json(&[&tree, &workspace.good()]),
        &display(&looped),
        &format!(
            "symbolic link loop: it leads back to {}; not followed",
            display(&tree)
        ),
        3,
    );
    // A loop named on the command line.
    let self_link = workspace.path("self");
    std::os::unix::fs::symlink(&self_link, &self_link).expect("create a self link");
    let outcome = run(&mut check_json(&[&self_link, &workspace.good()]));
    assert_eq!(outcome.code, 2);
    assert_eq!(
        outcome.stderr,
        format!(
            "dockerleak: error: {}: Too many levels of symbolic links\n",
            display(&self_link)
        )
    );
    assert_eq!(outcome.document["summary"]["files"], 2);
}
