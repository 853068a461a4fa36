//! Hostile and unreadable trees, run through the binary: ten thousand
//! Dockerfiles, a symbolic link loop, a FIFO, a file that disappears
//! between discovery and reading (a dangling link), and a 1 GiB sparse
//! file. Each bad path gets one error line naming it, in the report (GNU
//! format here; stderr does not repeat it) (or, for the FIFO, is left
//! alone), every other file's findings are still printed, and the
//! exit code says what happened (2 when any file could not be read).
//!
//! `tests/bad_input.rs` covers single bad files next to a good one; these
//! tests are about whole trees with findings in them.

use serde_json::Value;
use std::fs;
use std::path::{Path, PathBuf};

mod common;
use common::{dockerleak, write};

/// A Dockerfile with one DLK001 finding (line 2).
const LEAKY: &str = "FROM alpine:3.20\nCOPY .netrc /root/.netrc\n";
/// A Dockerfile with no finding.
const CLEAN: &str = "FROM alpine:3.20\nRUN echo ok\n";

struct Outcome {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Outcome {
    fn json(&self) -> Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|error| {
            panic!(
                "stdout is not JSON ({error}): {}\nstderr: {}",
                self.stdout, self.stderr
            )
        })
    }
}

/// Runs dockerleak in `directory` with `arguments`.
fn run(directory: &Path, arguments: &[&str]) -> Outcome {
    let output = dockerleak()
        .current_dir(directory)
        .args(arguments)
        .output()
        .expect("run dockerleak");
    let outcome = Outcome {
        code: output
            .status
            .code()
            .expect("dockerleak exited normally, not by a signal"),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    };
    assert_ne!(outcome.code, 101, "dockerleak panicked: {}", outcome.stderr);
    outcome
}

/// A tree with two leaky Dockerfiles and a clean one, in `root`.
fn good_tree(root: &Path) {
    write(&root.join("api/Dockerfile"), LEAKY);
    write(&root.join("web/Dockerfile"), LEAKY);
    write(&root.join("worker/Dockerfile"), CLEAN);
}

/// Asserts the GNU output holds the two findings of [`good_tree`].
fn assert_good_tree_findings(stdout: &str) {
    for path in ["tree/api/Dockerfile", "tree/web/Dockerfile"] {
        assert!(
            stdout
                .lines()
                .any(|line| line.starts_with(&format!("{path}:2:")) && line.contains("[DLK001]")),
            "the finding in {path} is printed:\n{stdout}"
        );
    }
}

/// The file error lines of a GNU report (finding lines end with `[CODE]`).
fn gnu_errors(stdout: &str) -> Vec<&str> {
    stdout.lines().filter(|line| !line.ends_with(']')).collect()
}

/// `path: message` as the GNU format's file error line.
fn gnu_error(error: &str) -> String {
    let (path, message) = error.split_once(": ").expect("`path: message`");
    format!("{path}: error: {message}")
}

/// Asserts a run that met one bad entry: exit 2, exactly `error`
/// (`path: message`) once, in the report (stderr does not repeat it), and
/// the two findings of [`good_tree`] still printed.
fn assert_one_error_and_the_good_findings(outcome: &Outcome, error: &str) {
    assert_eq!(outcome.code, 2, "an error: {}", outcome.stderr);
    assert_eq!(outcome.stderr, "", "the report holds the file errors");
    assert_eq!(gnu_errors(&outcome.stdout), [gnu_error(error)]);
    assert_good_tree_findings(&outcome.stdout);
}

#[test]
fn ten_thousand_dockerfiles_are_all_checked() {
    let directory = tempfile::tempdir().expect("tempdir");
    let tree = directory.path().join("tree");
    for group in 0..100 {
        for file in 0..100 {
            let text = if file == 0 { LEAKY } else { CLEAN };
            write(
                &tree.join(format!("group{group:03}/{file:03}.Dockerfile")),
                text,
            );
        }
    }
    let outcome = run(directory.path(), &["--format", "json", "tree"]);
    assert_eq!(outcome.code, 1, "findings, no error: {}", outcome.stderr);
    assert_eq!(outcome.stderr, "");
    let document = outcome.json();
    assert_eq!(document["summary"]["files"], 10_000);
    assert_eq!(document["summary"]["findings"], 100);
    assert_eq!(document["summary"]["errors"], 0);
    let findings = document["findings"].as_array().expect("findings");
    assert_eq!(
        findings[0]["path"], "tree/group000/000.Dockerfile",
        "sorted by path"
    );
    assert_eq!(findings[99]["path"], "tree/group099/000.Dockerfile");

    let outcome = run(directory.path(), &["--format", "gnu", "tree"]);
    assert_eq!(outcome.code, 1);
    assert_eq!(outcome.stdout.lines().count(), 100, "{}", outcome.stdout);
}

#[test]
fn a_symbolic_link_loop_in_a_tree_is_one_error_and_the_other_findings_are_printed() {
    let directory = tempfile::tempdir().expect("tempdir");
    let tree = directory.path().join("tree");
    good_tree(&tree);
    std::os::unix::fs::symlink("..", tree.join("api/up")).expect("create the loop");
    let outcome = run(directory.path(), &["--format", "gnu", "tree"]);
    assert_one_error_and_the_good_findings(
        &outcome,
        "tree/api/up: symbolic link loop: it leads back to tree; not followed",
    );

    let document = run(directory.path(), &["--format", "json", "tree"]).json();
    assert_eq!(
        document["summary"]["files"], 4,
        "3 Dockerfiles and the loop"
    );
    assert_eq!(document["summary"]["findings"], 2);
    assert_eq!(document["errors"][0]["path"], "tree/api/up");
}

#[test]
fn a_fifo_named_dockerfile_in_a_tree_is_skipped_without_blocking() {
    let directory = tempfile::tempdir().expect("tempdir");
    let tree = directory.path().join("tree");
    good_tree(&tree);
    let fifo = tree.join("queue/Dockerfile");
    fs::create_dir_all(fifo.parent().expect("parent")).expect("create the directory");
    let status = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("run mkfifo");
    assert!(status.success(), "mkfifo {}", fifo.display());
    // Nothing ever writes to the FIFO: opening it for reading would block
    // forever. A walk only checks regular files, so it is never opened.
    let output = dockerleak()
        .current_dir(directory.path())
        .args(["--format", "gnu", "tree"])
        .timeout(std::time::Duration::from_secs(60))
        .output()
        .expect("run dockerleak");
    assert_eq!(
        output.status.code(),
        Some(1),
        "findings only (a kill by the timeout has no code): {}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&output.stderr), "");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(!stdout.contains("queue"), "{stdout}");
    assert_good_tree_findings(&stdout);
}

#[test]
fn a_file_that_disappears_before_it_is_read_is_an_error_naming_it() {
    let directory = tempfile::tempdir().expect("tempdir");
    let tree = directory.path().join("tree");
    good_tree(&tree);
    // A dangling link: discovery sees the name, reading finds nothing,
    // as when the file is deleted between the two.
    let gone = tree.join("gone/Dockerfile");
    fs::create_dir_all(gone.parent().expect("parent")).expect("create the directory");
    std::os::unix::fs::symlink("deleted.Dockerfile", &gone).expect("create the link");
    let outcome = run(directory.path(), &["--format", "gnu", "tree"]);
    assert_one_error_and_the_good_findings(
        &outcome,
        "tree/gone/Dockerfile: No such file or directory",
    );

    // Named on the command line, next to the others.
    let outcome = run(
        directory.path(),
        &[
            "--format",
            "gnu",
            "tree/gone/Dockerfile",
            "tree/api/Dockerfile",
            "tree/web/Dockerfile",
        ],
    );
    assert_one_error_and_the_good_findings(
        &outcome,
        "tree/gone/Dockerfile: No such file or directory",
    );
}

#[test]
fn a_one_gibibyte_sparse_file_is_refused_by_its_size_without_being_read() {
    let directory = tempfile::tempdir().expect("tempdir");
    let tree = directory.path().join("tree");
    good_tree(&tree);
    let huge: PathBuf = tree.join("huge/Dockerfile");
    fs::create_dir_all(huge.parent().expect("parent")).expect("create the directory");
    fs::File::create(&huge)
        .and_then(|file| file.set_len(1 << 30))
        .expect("create a sparse 1 GiB file");
    let outcome = run(directory.path(), &["--format", "gnu", "tree"]);
    // "file is 1.0 GiB": the size comes from the metadata. Reading would
    // have stopped at the limit and said "input is over the limit", or
    // found NUL bytes and said "binary file".
    assert_one_error_and_the_good_findings(
        &outcome,
        "tree/huge/Dockerfile: file is 1.0 GiB, over the 1 MiB limit (--max-file-size)",
    );

    let document = run(directory.path(), &["--format", "json", "tree"]).json();
    assert_eq!(document["summary"]["files"], 4);
    assert_eq!(document["summary"]["findings"], 2);
    assert_eq!(
        document["errors"][0]["message"],
        "file is 1.0 GiB, over the 1 MiB limit (--max-file-size)"
    );
}

#[test]
fn every_hostile_entry_at_once_leaves_the_good_files_checked() {
    let directory = tempfile::tempdir().expect("tempdir");
    let tree = directory.path().join("tree");
    good_tree(&tree);
    std::os::unix::fs::symlink("..", tree.join("web/up")).expect("create the loop");
    let gone = tree.join("gone/Dockerfile");
    fs::create_dir_all(gone.parent().expect("parent")).expect("create the directory");
    std::os::unix::fs::symlink("nowhere", &gone).expect("create the link");
    let huge = tree.join("huge/Dockerfile");
    fs::create_dir_all(huge.parent().expect("parent")).expect("create the directory");
    fs::File::create(&huge)
        .and_then(|file| file.set_len(1 << 30))
        .expect("create a sparse file");
    let outcome = run(directory.path(), &["--format", "gnu", "tree"]);
    assert_eq!(outcome.code, 2);
    assert_eq!(outcome.stderr, "", "the report holds the file errors");
    assert_eq!(
        gnu_errors(&outcome.stdout),
        [
            "tree/gone/Dockerfile: error: No such file or directory",
            "tree/huge/Dockerfile: error: file is 1.0 GiB, over the 1 MiB limit (--max-file-size)",
            "tree/web/up: error: symbolic link loop: it leads back to tree; not followed",
        ]
    );
    assert_good_tree_findings(&outcome.stdout);
}

#[test]
fn a_fifo_named_on_the_command_line_is_an_error_not_a_hang() {
    let directory = tempfile::tempdir().expect("tempdir");
    let tree = directory.path().join("tree");
    good_tree(&tree);
    let fifo = directory.path().join("pipe.Dockerfile");
    let status = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("run mkfifo");
    assert!(status.success(), "mkfifo {}", fifo.display());
    let output = dockerleak()
        .current_dir(directory.path())
        .args(["--format", "gnu", "pipe.Dockerfile", "tree"])
        .timeout(std::time::Duration::from_secs(60))
        .output()
        .expect("run dockerleak");
    assert_eq!(
        output.status.code(),
        Some(2),
        "a file error (a kill by the timeout has no code)"
    );
    assert_eq!(String::from_utf8_lossy(&output.stderr), "");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let errors = gnu_errors(&stdout);
    assert_eq!(errors.len(), 1, "{stdout}");
    assert!(
        errors[0].starts_with("pipe.Dockerfile: error: not a regular file"),
        "{stdout}"
    );
    assert_good_tree_findings(&stdout);
}

#[test]
fn deeply_nested_parentheses_in_run_do_not_hang_the_shell_parser() {
    let directory = tempfile::tempdir().expect("tempdir");
    let text = format!("FROM alpine\nRUN {} fi\n", "(".repeat(40));
    write(&directory.path().join("Dockerfile"), &text);
    let output = dockerleak()
        .current_dir(directory.path())
        .args(["--format", "json", "Dockerfile"])
        .timeout(std::time::Duration::from_secs(60))
        .output()
        .expect("run dockerleak");
    assert_eq!(output.status.code(), Some(0), "finishes, with no finding");
}

/// A Dockerfile whose broad `COPY` makes DLK010 read the context's ignore
/// file.
const COPIES_CONTEXT: &str = "FROM alpine:3.20\nCOPY . /app\n";

/// How a hostile ignore, configuration or baseline file is made.
#[derive(Clone, Copy, Debug)]
enum Hostile {
    Fifo,
    DevZero,
}

impl Hostile {
    fn create(self, path: &Path) {
        fs::create_dir_all(path.parent().expect("parent")).expect("create the directory");
        match self {
            Hostile::Fifo => {
                let status = std::process::Command::new("mkfifo")
                    .arg(path)
                    .status()
                    .expect("run mkfifo");
                assert!(status.success(), "mkfifo {}", path.display());
            }
            Hostile::DevZero => {
                std::os::unix::fs::symlink("/dev/zero", path).expect("link to /dev/zero")
            }
        }
    }
}

/// Runs dockerleak with a generous timeout: a hang fails the test (a kill
/// has no exit code) instead of blocking the suite.
fn run_bounded(directory: &Path, arguments: &[&str]) -> Outcome {
    let output = dockerleak()
        .current_dir(directory)
        .args(arguments)
        .timeout(std::time::Duration::from_secs(120))
        .output()
        .expect("run dockerleak");
    let outcome = Outcome {
        code: output
            .status
            .code()
            .expect("dockerleak exited by itself (not killed by the timeout)"),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    };
    assert_ne!(outcome.code, 101, "dockerleak panicked: {}", outcome.stderr);
    outcome
}

const NOT_REGULAR: &str = "not a regular file (a FIFO, socket or device): not read";

#[test]
fn a_fifo_or_device_as_dockerignore_is_one_error_and_the_run_goes_on() {
    for hostile in [Hostile::Fifo, Hostile::DevZero] {
        for ignore_name in [".dockerignore", "Dockerfile.dockerignore"] {
            let directory = tempfile::tempdir().expect("tempdir");
            let tree = directory.path().join("tree");
            good_tree(&tree);
            write(&tree.join("context/Dockerfile"), COPIES_CONTEXT);
            hostile.create(&tree.join("context").join(ignore_name));
            let outcome = run_bounded(directory.path(), &["--format", "gnu", "tree"]);
            assert_one_error_and_the_good_findings(
                &outcome,
                &format!("tree/context/{ignore_name}: {NOT_REGULAR}; the ignore file is not used"),
            );
        }
    }
}

#[test]
fn a_fifo_or_device_as_a_walked_ignore_file_is_one_error_and_the_walk_goes_on() {
    for hostile in [Hostile::Fifo, Hostile::DevZero] {
        for ignore_name in [".gitignore", ".ignore"] {
            let directory = tempfile::tempdir().expect("tempdir");
            let tree = directory.path().join("tree");
            good_tree(&tree);
            hostile.create(&tree.join("web").join(ignore_name));
            let outcome = run_bounded(directory.path(), &["--format", "gnu", "tree"]);
            assert_one_error_and_the_good_findings(
                &outcome,
                &format!("tree/web/{ignore_name}: {NOT_REGULAR}; the ignore file is not used"),
            );
        }
    }
}

#[test]
fn walked_ignore_files_are_still_honoured_next_to_a_hostile_one() {
    let directory = tempfile::tempdir().expect("tempdir");
    let tree = directory.path().join("tree");
    good_tree(&tree);
    write(&tree.join("vendor/Dockerfile"), LEAKY);
    write(&tree.join(".gitignore"), "vendor/\n");
    Hostile::DevZero.create(&tree.join("worker/.gitignore"));
    let outcome = run_bounded(directory.path(), &["--format", "gnu", "tree"]);
    assert!(!outcome.stdout.contains("vendor"), "{}", outcome.stdout);
    assert_one_error_and_the_good_findings(
        &outcome,
        &format!("tree/worker/.gitignore: {NOT_REGULAR}; the ignore file is not used"),
    );
}

#[test]
fn a_fifo_or_device_as_config_or_baseline_is_a_usage_error_not_a_hang() {
    for hostile in [Hostile::Fifo, Hostile::DevZero] {
        for (flag, what) in [("--config", "configuration"), ("--baseline", "baseline")] {
            let directory = tempfile::tempdir().expect("tempdir");
            good_tree(&directory.path().join("tree"));
            hostile.create(&directory.path().join("hostile"));
            let outcome = run_bounded(directory.path(), &[flag, "hostile", "tree"]);
            assert_eq!(outcome.code, 2, "{flag} {hostile:?}: {}", outcome.stderr);
            assert_eq!(
                outcome.stderr,
                format!("dockerleak: error: hostile: cannot read the {what}: {NOT_REGULAR}\n")
            );
        }
    }
}
