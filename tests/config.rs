//! Configuration through the binary: `.dockerleak.toml` found from the
//! current directory upward, `--config` and `--no-config`, what each key
//! does, command line flags over the file, `config --show`, and clear
//! errors (file, line, key; exit 2) for every way a file can be wrong.

use serde_json::Value;
use std::path::Path;

mod common;
use common::{dockerleak_in, write};

/// DLK003 (a secret-looking build arg, a warning) and DLK001 (a credential
/// file copied, an error), and nothing else.
const LEAKY: &str = "\
FROM alpine:3.20
ARG NPM_TOKEN
COPY .netrc /root/.netrc
";

/// A project with a leaky Dockerfile at `app/Dockerfile` and the given
/// `.dockerleak.toml` at its root.
fn project(config: &str) -> tempfile::TempDir {
    let root = tempfile::tempdir().expect("tempdir");
    write(&root.path().join("app/Dockerfile"), LEAKY);
    write(&root.path().join(".dockerleak.toml"), config);
    root
}

/// Runs `check --format json` with extra arguments in `directory`.
fn run_json(directory: &Path, arguments: &[&str]) -> (i32, Value) {
    let output = dockerleak_in(directory)
        .args(["--format", "json"])
        .args(arguments)
        .output()
        .expect("run");
    let document = serde_json::from_slice(&output.stdout).unwrap_or_else(|error| {
        panic!(
            "not JSON ({error}): {}\n{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    });
    (output.status.code().expect("exit code"), document)
}

fn codes(document: &Value) -> Vec<String> {
    document["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|finding| finding["code"].as_str().expect("code").to_string())
        .collect()
}

/// Runs `check` and returns (exit code, stderr).
fn run_error(directory: &Path, arguments: &[&str]) -> (i32, String) {
    let output = dockerleak_in(directory)
        .args(arguments)
        .output()
        .expect("run");
    (
        output.status.code().expect("exit code"),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn the_nearest_config_upward_applies() {
    let root = project("ignore = [\"DLK003\"]\n");
    let (_, from_root) = run_json(root.path(), &["app"]);
    assert_eq!(codes(&from_root), ["DLK001"]);
    // From a subdirectory, the file above still applies.
    let (_, from_below) = run_json(&root.path().join("app"), &["Dockerfile"]);
    assert_eq!(codes(&from_below), ["DLK001"]);
    // --no-config ignores it; --config names another one.
    let (_, without) = run_json(root.path(), &["--no-config", "app"]);
    assert_eq!(codes(&without), ["DLK003", "DLK001"]);
    write(
        &root.path().join("other.toml"),
        "select = [\"secret-in-arg\"]\n",
    );
    let (_, other) = run_json(root.path(), &["--config", "other.toml", "app"]);
    assert_eq!(codes(&other), ["DLK003"]);
}

#[test]
fn severity_overrides_and_fail_level_decide_the_exit_code() {
    let root = project(
        "fail-level = \"error\"\n\n[severity]\nDLK001 = \"warning\"\nsecret-in-arg = \"note\"\n",
    );
    let (code, document) = run_json(root.path(), &["app"]);
    let severities: Vec<&str> = document["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|finding| finding["severity"].as_str().expect("severity"))
        .collect();
    assert_eq!(severities, ["note", "warning"]);
    assert_eq!(code, 0, "nothing at or above the configured fail-level");
    // The flag wins over the file.
    let (code, _) = run_json(root.path(), &["--fail-level", "warning", "app"]);
    assert_eq!(code, 1);
}

#[test]
fn select_and_ignore_flags_replace_the_config() {
    let root = project("select = [\"DLK003\"]\n");
    let (_, document) = run_json(root.path(), &["--select", "DLK001", "app"]);
    assert_eq!(codes(&document), ["DLK001"]);
    let (_, document) = run_json(
        root.path(),
        &["--select", "DLK001,dlk003", "--ignore", "DLK004", "app"],
    );
    assert_eq!(codes(&document), ["DLK003", "DLK001"]);
    // Selecting and ignoring one rule says two opposite things: an error.
    let (code, stderr) = run_error(
        root.path(),
        &["--select", "DLK001,dlk003", "--ignore", "DLK001", "app"],
    );
    assert_eq!(code, 2);
    assert!(stderr.contains("DLK001 is both selected"), "{stderr}");
    let (code, stderr) = run_error(root.path(), &["--select", "DLK998", "app"]);
    assert_eq!(code, 2);
    assert_eq!(
        stderr,
        "dockerleak: error: --select: unknown rule code `DLK998` (did you mean `DLK009`? `dockerleak rules` lists the codes and names)\n"
    );
}

#[test]
fn exclude_skips_paths_relative_to_the_config_file() {
    let root = project("exclude = [\"vendor/\", \"legacy/*.Dockerfile\"]\n");
    write(&root.path().join("vendor/x/Dockerfile"), LEAKY);
    write(&root.path().join("legacy/old.Dockerfile"), LEAKY);
    write(&root.path().join("app/legacy/old.Dockerfile"), LEAKY);
    let (_, document) = run_json(&root.path().join("app"), &[".."]);
    let paths: Vec<&str> = document["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|finding| finding["path"].as_str().expect("path"))
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    assert_eq!(paths, ["../app/Dockerfile", "../app/legacy/old.Dockerfile"]);
    assert_eq!(document["summary"]["files"], 2);
}

#[test]
fn secret_knowledge_extends_the_builtin_lists() {
    let root = project(
        r#"
secret-names = ["*_SESAME"]
allowed-names = ["NPM_TOKEN"]

[[credential-files]]
id = "acme-credentials"
description = "ACME's CLI credentials"
kind = "file"
patterns = ["**/.acme-credentials"]
true_examples = ["/root/.acme-credentials"]

[[token-formats]]
id = "acme-token"
description = "ACME API token"
regex = '\bacme_[A-Za-z0-9]{32}\b'
keywords = ["acme_"]
true_examples = ["ENV X=acme_FAKE0123456789abcdefFAKE01234567"]
"#,
    );
    write(
        &root.path().join("ext/Dockerfile"),
        "FROM alpine\nARG OPEN_SESAME\nRUN echo $OPEN_SESAME\nARG NPM_TOKEN\nRUN echo $NPM_TOKEN\nCOPY .acme-credentials /root/\nLABEL key=acme_FAKE0123456789abcdefFAKE01234567\n",
    );
    let (_, document) = run_json(root.path(), &["ext"]);
    let findings = document["findings"].as_array().expect("findings");
    let found = |code: &str, text: &str| {
        findings.iter().any(|finding| {
            finding["code"] == code
                && finding["message"]
                    .as_str()
                    .is_some_and(|message| message.contains(text))
        })
    };
    assert!(found("DLK003", "OPEN_SESAME"), "{document}");
    assert!(!found("DLK003", "NPM_TOKEN"), "allowed: {document}");
    assert!(found("DLK001", ".acme-credentials"), "{document}");
    assert!(found("DLK005", "ACME"), "{document}");
}

/// Asserts a configuration error: exit 2, nothing on stdout, and stderr
/// naming the file, line and key, with the snippet.
fn assert_config_error(config: &str, line: usize, key: Option<&str>, message: &str) -> String {
    let root = project(config);
    let output = dockerleak_in(&root.path().join("app"))
        .args(["--color", "never", "Dockerfile"])
        .output()
        .expect("run");
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(output.stdout.is_empty());
    assert!(
        stderr.contains(&format!("../.dockerleak.toml:{line}:")),
        "file and line in:\n{stderr}"
    );
    if let Some(key) = key {
        assert!(
            stderr.contains(&format!("`{key}`")),
            "key `{key}` in:\n{stderr}"
        );
    }
    assert!(stderr.contains(message), "{message:?} in:\n{stderr}");
    assert!(
        stderr.contains(&format!("╭─[../.dockerleak.toml:{line}:")),
        "snippet:\n{stderr}"
    );
    stderr
}

#[test]
fn a_toml_syntax_error_is_reported_with_its_line() {
    assert_config_error(
        "select = [\"DLK001\"\nignore = []\n",
        2,
        None,
        "invalid configuration",
    );
}

#[test]
fn an_unknown_key_is_reported_with_its_name() {
    let stderr = assert_config_error(
        "# ours\nfail-level = \"error\"\nselcet = [\"DLK001\"]\n",
        3,
        Some("selcet"),
        "unknown field `selcet`",
    );
    assert!(stderr.contains("one of `select`"), "{stderr}");
}

#[test]
fn a_token_in_the_configuration_is_masked_in_its_error() {
    let token = "ghp_Zq8xR2vN5mK7pL3wT9yB4cF6hJ1dS0aE8uQ2";
    // Quoted by the message (the invalid value) and by the snippet.
    let stderr = assert_config_error(
        &format!("ignore = \"{token}\"\n"),
        1,
        Some("ignore"),
        "invalid type: string \"ghp_…\"",
    );
    assert!(!stderr.contains(&token[4..12]), "{stderr}");
    assert!(stderr.contains("ignore = \"ghp_…\""), "{stderr}");
    // An unknown rule code that is a token.
    let stderr = assert_config_error(
        &format!("select = [\"{token}\"]\n"),
        1,
        Some("select[0]"),
        "unknown rule code `ghp_…`",
    );
    assert!(!stderr.contains(&token[4..12]), "{stderr}");
}

#[test]
fn an_unknown_rule_code_is_named() {
    assert_config_error(
        "select = [\"DLK001\", \"DLK999\"]\n",
        1,
        Some("select[1]"),
        "unknown rule code `DLK999`",
    );
    assert_config_error(
        "[severity]\nDLK042 = \"error\"\n",
        2,
        Some("severity.DLK042"),
        "unknown rule code `DLK042`",
    );
    assert_config_error(
        "ignore = [\"no-such-rule\"]\n",
        1,
        Some("ignore[0]"),
        "unknown rule code `no-such-rule`",
    );
}

#[test]
fn bad_values_are_reported_with_their_key() {
    assert_config_error(
        "[severity]\nDLK001 = \"fatal\"\n",
        2,
        Some("severity.DLK001"),
        "unknown severity `fatal`",
    );
    assert_config_error(
        "fail-level = \"sometimes\"\n",
        1,
        Some("fail-level"),
        "unknown fail level",
    );
    assert_config_error(
        "exclude = [\"a[\"]\n",
        1,
        Some("exclude[0]"),
        "invalid glob",
    );
    assert_config_error("select = \"DLK001\"\n", 1, Some("select"), "invalid type");
    assert_config_error(
        "\n[[token-formats]]\nid = \"acme\"\ndescription = \"x\"\nregex = 'acme_(['\nkeywords = [\"acme_\"]\n",
        5,
        Some("token-formats[0].regex"),
        "invalid regex",
    );
    assert_config_error(
        "[[credential-files]]\nid = \"x\"\ndescription = \"x\"\nkind = \"file\"\npatterns = [\"**/a[\"]\n",
        5,
        Some("credential-files[0].patterns[0]"),
        "invalid glob",
    );
    assert_config_error(
        "[[credential-files]]\nid = \"x\"\ndescription = \"x\"\nkind = \"secretish\"\npatterns = [\"a\"]\n",
        4,
        Some("credential-files[0].kind"),
        "unknown variant",
    );
}

#[test]
fn an_unreadable_config_is_an_error() {
    let root = tempfile::tempdir().expect("tempdir");
    write(&root.path().join("Dockerfile"), LEAKY);
    let (code, stderr) = run_error(root.path(), &["--config", "missing.toml", "Dockerfile"]);
    assert_eq!(code, 2);
    assert_eq!(
        stderr,
        "dockerleak: error: missing.toml: cannot read the configuration: No such file or directory\n"
    );
}

#[test]
fn config_show_of_a_path_uses_that_files_nearest_configuration() {
    let root = project("ignore = [\"DLK004\"]\n");
    write(
        &root.path().join("app/sub/.dockerleak.toml"),
        "ignore = [\"DLK003\"]\n",
    );
    write(&root.path().join("app/sub/Dockerfile"), LEAKY);
    let show = |arguments: &[&str]| {
        let output = dockerleak_in(&root.path().join("app"))
            .args(["config"])
            .args(arguments)
            .output()
            .expect("run");
        (
            output.status.code(),
            String::from_utf8_lossy(&output.stdout).into_owned(),
            String::from_utf8_lossy(&output.stderr).into_owned(),
        )
    };
    let (code, shown, _) = show(&["sub/Dockerfile"]);
    assert_eq!(code, Some(0));
    assert!(
        shown.starts_with(
            "# dockerleak configuration from sub/.dockerleak.toml (found from `sub` upward)\n"
        ),
        "{shown}"
    );
    assert!(
        shown.lines().any(|line| line == "ignore = [\"DLK003\"]"),
        "{shown}"
    );
    // A directory is searched from itself; the current one is the default.
    assert_eq!(show(&["sub"]).1, shown);
    let (_, here, _) = show(&["--show"]);
    assert!(
        here.lines().any(|line| line == "ignore = [\"DLK004\"]"),
        "{here}"
    );
    // A path that does not exist is an error naming it.
    let (code, shown, stderr) = show(&["no-such-file"]);
    assert_eq!(code, Some(2));
    assert!(shown.is_empty());
    assert!(stderr.contains("no-such-file"), "{stderr}");
}

#[test]
fn config_show_prints_the_effective_configuration() {
    let root = project(
        "ignore = [\"secret-in-arg\"]\nexclude = [\"vendor\"]\n\n[severity]\nDLK001 = \"warning\"\n\n[[token-formats]]\nid = \"acme-token\"\ndescription = \"ACME\"\nregex = 'acme_[0-9]{8}'\nkeywords = [\"acme_\"]\n",
    );
    let output = dockerleak_in(&root.path().join("app"))
        .args(["config", "--show"])
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(0));
    let shown = String::from_utf8(output.stdout).expect("UTF-8");
    assert!(
        shown.starts_with(
            "# dockerleak configuration from ../.dockerleak.toml (found from the current directory upward)\n"
        ),
        "{shown}"
    );
    for line in [
        "ignore = [\"DLK003\"]",
        "fail-level = \"warning\"",
        "exclude = [\"vendor\"]",
        "DLK001 = \"warning\"  # overridden",
        "DLK003 = \"error\"  # not run (select/ignore)",
        "[[token-formats]]",
        "id = \"acme-token\"",
    ] {
        assert!(
            shown.lines().any(|shown_line| shown_line == line),
            "{line:?} in:\n{shown}"
        );
    }
    // What it prints is itself TOML.
    let body: String = shown
        .lines()
        .skip(1)
        .map(|line| format!("{line}\n"))
        .collect();
    body.parse::<toml::Table>()
        .expect("config --show prints TOML");

    let output = dockerleak_in(root.path())
        .args(["config", "--show", "--no-config"])
        .output()
        .expect("run");
    let shown = String::from_utf8(output.stdout).expect("UTF-8");
    assert!(
        shown.starts_with("# dockerleak configuration from defaults (--no-config)\n"),
        "{shown}"
    );

    let (code, stderr) = run_error(root.path(), &["config", "--config", "nope.toml"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("nope.toml"), "{stderr}");
}
