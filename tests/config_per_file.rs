//! Configuration where the files are (issue 16): each file uses the
//! nearest `.dockerleak.toml` above it, from any working directory;
//! `--config` overrides it for all, `--no-config` turns it off; `include`
//! in a configuration; and the directory walk and the pre-commit hook agree
//! on which names are Dockerfiles. Each runs the binary.

use serde_json::Value;
use std::collections::BTreeSet;
use std::fs;
use std::path::Path;

mod common;
use common::{dockerleak_in, write};

/// DLK001 (a credential file) and DLK003 (a secret build arg).
const LEAKY: &str = "FROM alpine:3.20\nARG NPM_TOKEN\nRUN --mount=type=secret,id=x true\nCOPY .netrc /root/.netrc\n";

/// (exit code, the set of (path, code) findings) of a JSON run.
fn findings(directory: &Path, arguments: &[&str]) -> (i32, BTreeSet<(String, String)>) {
    let output = dockerleak_in(directory)
        .args(["--format", "json"])
        .args(arguments)
        .output()
        .expect("run dockerleak");
    let document: Value = serde_json::from_slice(&output.stdout).unwrap_or_else(|error| {
        panic!(
            "not JSON ({error}): {}",
            String::from_utf8_lossy(&output.stderr)
        )
    });
    let found = document["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|finding| {
            (
                finding["path"].as_str().expect("path").to_string(),
                finding["code"].as_str().expect("code").to_string(),
            )
        })
        .collect();
    (output.status.code().expect("exit code"), found)
}

fn codes(found: &BTreeSet<(String, String)>) -> BTreeSet<&str> {
    found.iter().map(|(_, code)| code.as_str()).collect()
}

/// A monorepo: the root ignores DLK003; `services/api` has its own
/// configuration that ignores DLK001 and never fails.
fn monorepo(root: &Path) {
    write(&root.join(".git/HEAD"), "ref: refs/heads/main\n");
    write(&root.join(".dockerleak.toml"), "ignore = [\"DLK003\"]\n");
    write(&root.join("web/Dockerfile"), LEAKY);
    write(
        &root.join("services/api/.dockerleak.toml"),
        "ignore = [\"DLK001\"]\nfail-level = \"never\"\n",
    );
    write(&root.join("services/api/Dockerfile"), LEAKY);
    fs::create_dir_all(root.join("services/api/src")).expect("mkdir");
}

#[test]
fn each_file_uses_the_nearest_configuration_from_any_working_directory() {
    let directory = tempfile::tempdir().expect("tempdir");
    let root = directory.path();
    monorepo(root);
    let (code, found) = findings(root, &[]);
    assert_eq!(code, 1, "web/Dockerfile fails under the root configuration");
    assert_eq!(
        found,
        BTreeSet::from([
            ("services/api/Dockerfile".into(), "DLK003".into()),
            ("web/Dockerfile".into(), "DLK001".into()),
        ])
    );
    // The API's file gets the API's configuration wherever the run starts.
    for (working_directory, path) in [
        (root.to_path_buf(), "services/api/Dockerfile"),
        (root.join("services/api"), "Dockerfile"),
        (root.join("services/api/src"), "../Dockerfile"),
        (root.join("web"), "../services/api/Dockerfile"),
    ] {
        let (code, found) = findings(&working_directory, &[path]);
        assert_eq!(
            code,
            0,
            "fail-level never, from {}",
            working_directory.display()
        );
        assert_eq!(codes(&found), BTreeSet::from(["DLK003"]), "{path}");
    }
    // An editor's stdin is configured by the name it gives.
    let output = dockerleak_in(&root.join("web"))
        .args([
            "--format",
            "gnu",
            "--stdin-filename",
            "../services/api/Dockerfile",
            "-",
        ])
        .write_stdin(LEAKY)
        .output()
        .expect("run");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains("[DLK003]") && !stdout.contains("[DLK001]"),
        "{stdout}"
    );
}

#[test]
fn config_flag_overrides_every_file_and_no_config_turns_them_off() {
    let directory = tempfile::tempdir().expect("tempdir");
    let root = directory.path();
    monorepo(root);
    let (code, found) = findings(root, &["--config", ".dockerleak.toml", "."]);
    assert_eq!(code, 1);
    assert_eq!(
        codes(&found),
        BTreeSet::from(["DLK001"]),
        "the root's for all"
    );
    let (code, found) = findings(root, &["--no-config", "."]);
    assert_eq!(code, 1);
    assert_eq!(found.len(), 4, "every rule on both files: {found:?}");
}

#[test]
fn a_broken_nested_configuration_is_an_error_naming_it() {
    let directory = tempfile::tempdir().expect("tempdir");
    let root = directory.path();
    monorepo(root);
    write(&root.join("services/api/.dockerleak.toml"), "selct = []\n");
    let output = dockerleak_in(root).arg(".").output().expect("run");
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("services/api/.dockerleak.toml"), "{stderr}");
}

#[test]
fn include_in_the_configuration_adds_names_to_the_walk() {
    let directory = tempfile::tempdir().expect("tempdir");
    let root = directory.path();
    write(&root.join("build.docker"), LEAKY);
    let (_, found) = findings(root, &["."]);
    assert!(found.is_empty(), "not a Dockerfile name: {found:?}");
    write(&root.join(".dockerleak.toml"), "include = [\"*.docker\"]\n");
    let (code, found) = findings(root, &[]);
    assert_eq!(code, 1);
    assert!(
        found.iter().all(|(path, _)| path == "build.docker"),
        "{found:?}"
    );
    assert!(!found.is_empty());
    write(&root.join(".dockerleak.toml"), "include = [\"[\"]\n");
    let output = dockerleak_in(root).arg(".").output().expect("run");
    assert_eq!(output.status.code(), Some(2), "an invalid glob");
}

/// The `files:` regexes of `.pre-commit-hooks.yaml`.
fn hook_patterns() -> Vec<fancy_regex::Regex> {
    let text =
        fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(".pre-commit-hooks.yaml"))
            .expect("read .pre-commit-hooks.yaml");
    let patterns: Vec<fancy_regex::Regex> = text
        .lines()
        .filter_map(|line| line.trim().strip_prefix("files:"))
        .map(str::trim)
        // The hooks share one regex through a YAML anchor (`&name regex`)
        // and aliases (`*name`): read the anchored one.
        .filter(|pattern| !pattern.starts_with('*'))
        // The build-definition hooks have their own names
        // (tests/build_definitions.rs).
        .filter(|pattern| !pattern.starts_with("&build-definition-names"))
        .map(|pattern| match pattern.strip_prefix('&') {
            Some(anchored) => anchored.split_once(' ').map_or("", |(_, regex)| regex),
            None => pattern,
        })
        .map(|pattern| fancy_regex::Regex::new(pattern.trim()).expect("a valid regex"))
        .collect();
    assert!(!patterns.is_empty(), "the hooks have a files: pattern");
    patterns
}

#[test]
fn the_walk_and_the_pre_commit_hook_agree_on_dockerfile_names() {
    let names = [
        ("Dockerfile", true),
        ("dockerfile", true),
        ("Containerfile", true),
        ("Dockerfile.dev", true),
        ("Dockerfile-dev", true),
        ("Dockerfile_prod", true),
        ("containerfile-ci", true),
        ("api.Dockerfile", true),
        ("api.containerfile", true),
        ("Dockerfile.dockerignore", false),
        ("api.Dockerfile.dockerignore", false),
        ("Dockerfile-dev.dockerignore", false),
        ("Dockerfiles", false),
        ("MyDockerfile", false),
        ("notes.txt", false),
        ("docker-compose.yml", false),
    ];
    let directory = tempfile::tempdir().expect("tempdir");
    for (name, _) in names {
        write(&directory.path().join("sub").join(name), LEAKY);
    }
    let output = dockerleak_in(directory.path())
        .args(["--no-config", "--format", "json", "sub"])
        .output()
        .expect("run");
    let document: Value = serde_json::from_slice(&output.stdout).expect("JSON");
    let walked: BTreeSet<String> = document["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter_map(|finding| finding["path"].as_str())
        .map(|path| path.trim_start_matches("sub/").to_string())
        .collect();
    let patterns = hook_patterns();
    for (name, expected) in names {
        assert_eq!(walked.contains(name), expected, "the walk and {name}");
        for pattern in &patterns {
            let path = format!("sub/{name}");
            assert_eq!(
                pattern.is_match(&path).expect("the regex runs"),
                expected,
                "the hook's files: pattern and {path}"
            );
        }
    }
}
