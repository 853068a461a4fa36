//! Silent failures made loud (issue 16): inline directives by rule name,
//! malformed directives as DLK000, `--no-inline-ignores`, paths that give
//! nothing to check, and `--select`/`--ignore` mistakes as usage errors.
//! Each runs the binary.

use std::fs;
use std::path::Path;

mod common;
use common::{dockerleak_in, write};

/// A leaky build arg (DLK003 on line 3) under the comment `directive`.
fn dockerfile_with(directive: &str) -> String {
    format!("FROM alpine\n{directive}\nARG NPM_TOKEN\nRUN --mount=type=secret,id=x true\n")
}

/// (exit code, the `[CODE]`s of the GNU lines, stdout, stderr).
fn check(directory: &Path, arguments: &[&str]) -> (i32, Vec<String>, String, String) {
    let output = dockerleak_in(directory)
        .args(["--no-config", "--format", "gnu"])
        .args(arguments)
        .output()
        .expect("run dockerleak");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let codes = stdout
        .lines()
        .filter_map(|line| {
            line.rsplit_once('[')
                .map(|(_, code)| code.trim_end_matches(']').to_string())
        })
        .collect();
    (
        output.status.code().expect("exit code"),
        codes,
        stdout,
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn rule_names_in_directives_silence_as_codes_do() {
    let root = tempfile::tempdir().expect("tempdir");
    write(
        &root.path().join("Dockerfile"),
        &dockerfile_with("# no directive"),
    );
    let (code, codes, stdout, _) = check(root.path(), &["Dockerfile"]);
    assert_eq!(
        (code, codes.contains(&"DLK003".to_string())),
        (1, true),
        "{stdout}"
    );
    for directive in [
        "# dockerleak ignore=DLK003 placeholder",
        "# dockerleak ignore=secret-in-arg placeholder",
        "# dockerleak ignore=Secret-In-Arg,DLK004",
        "# dockerleak ignore=all",
        "# dockerleak global ignore=secret-in-arg",
    ] {
        write(&root.path().join("Dockerfile"), &dockerfile_with(directive));
        let (code, codes, stdout, _) = check(root.path(), &["Dockerfile"]);
        assert_eq!(code, 0, "{directive}: {stdout}");
        assert!(codes.is_empty(), "{directive}: {stdout}");
    }
}

#[test]
fn malformed_directives_are_dlk000_and_silence_nothing() {
    let root = tempfile::tempdir().expect("tempdir");
    for (directive, problem) in [
        ("# dockerleak ignore DLK003", "`ignore` needs `=`"),
        (
            "# dockerleak ignore = DLK003",
            "no space may stand around `=`",
        ),
        (
            "# dockerleak disable=DLK003",
            "`disable` is not a dockerleak directive",
        ),
        (
            "# dockerleak ignore=DLK004, DLK003 why",
            "`DLK003` after `, `",
        ),
        ("# dockerleak ignore=", "names no rule code"),
        (
            "# dockerleak ignore=secret-in-ar",
            "unknown rule code or name `secret-in-ar`",
        ),
    ] {
        write(&root.path().join("Dockerfile"), &dockerfile_with(directive));
        let (code, codes, stdout, _) = check(root.path(), &["Dockerfile"]);
        assert_eq!(code, 1, "{directive}: {stdout}");
        assert!(
            codes.contains(&"DLK000".to_string()),
            "{directive}: {stdout}"
        );
        assert!(
            codes.contains(&"DLK003".to_string()),
            "{directive} silences nothing: {stdout}"
        );
        assert!(stdout.contains(problem), "{directive}: {stdout}");
    }
    // An ordinary comment that mentions the tool is not a directive.
    write(
        &root.path().join("Dockerfile"),
        &dockerfile_with("# dockerleak is run in CI"),
    );
    let (_, codes, stdout, _) = check(root.path(), &["Dockerfile"]);
    assert!(!codes.contains(&"DLK000".to_string()), "{stdout}");
}

#[test]
fn unknown_names_in_directives_suggest_the_nearest_rule() {
    let root = tempfile::tempdir().expect("tempdir");
    write(
        &root.path().join("Dockerfile"),
        &dockerfile_with("# dockerleak ignore=DLK03"),
    );
    let output = dockerleak_in(root.path())
        .args(["--no-config", "--format", "json", "Dockerfile"])
        .output()
        .expect("run");
    let document: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    let dlk000 = document["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .find(|finding| finding["code"] == "DLK000")
        .expect("a DLK000 finding");
    assert!(
        dlk000["help"]
            .as_str()
            .is_some_and(|help| help.contains("Did you mean `DLK003`?")),
        "{dlk000}"
    );
}

#[test]
fn no_inline_ignores_flag_and_config_key_make_directives_silence_nothing() {
    let root = tempfile::tempdir().expect("tempdir");
    write(
        &root.path().join("Dockerfile"),
        &dockerfile_with("# dockerleak ignore=DLK003 placeholder"),
    );
    let (code, codes, _, _) = check(root.path(), &["Dockerfile"]);
    assert_eq!((code, codes.len()), (0, 0));
    let (code, codes, stdout, _) = check(root.path(), &["--no-inline-ignores", "Dockerfile"]);
    assert_eq!(code, 1, "{stdout}");
    assert_eq!(codes, ["DLK003"], "{stdout}");
    write(
        &root.path().join(".dockerleak.toml"),
        "inline-ignores = false\n",
    );
    let output = dockerleak_in(root.path())
        .args(["--format", "gnu", "Dockerfile"])
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stdout).contains("[DLK003]"));
}

#[test]
fn paths_that_give_nothing_to_check_say_so_and_exit_0() {
    let root = tempfile::tempdir().expect("tempdir");
    fs::create_dir_all(root.path().join("docs")).expect("mkdir");
    write(&root.path().join("docs/README.md"), "no Dockerfile here\n");
    let (code, _, _, stderr) = check(root.path(), &["docs"]);
    assert_eq!(code, 0);
    assert!(
        stderr.contains("dockerleak: warning: docs: no Dockerfiles found"),
        "{stderr}"
    );

    write(&root.path().join("app/Dockerfile"), "FROM alpine\n");
    let (code, _, _, stderr) = check(root.path(), &["app", "docs/README.md"]);
    assert_eq!(
        (code, stderr.as_str()),
        (0, ""),
        "a directory with a Dockerfile, a named file"
    );

    write(
        &root.path().join("legacy/Dockerfile"),
        &dockerfile_with("#"),
    );
    write(
        &root.path().join(".dockerleak.toml"),
        "exclude = [\"legacy/\"]\n",
    );
    for (argument, expected) in [
        (
            "legacy/Dockerfile",
            "legacy/Dockerfile: not checked: the configuration's `exclude` names it",
        ),
        (
            "legacy",
            "legacy: nothing checked: the configuration's `exclude` names all 1",
        ),
    ] {
        let output = dockerleak_in(root.path())
            .args(["--format", "gnu", argument])
            .output()
            .expect("run");
        assert_eq!(output.status.code(), Some(0), "{argument}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(expected), "{argument}: {stderr}");
    }
}

#[test]
fn select_and_ignore_mistakes_are_usage_errors() {
    let root = tempfile::tempdir().expect("tempdir");
    write(&root.path().join("Dockerfile"), "FROM alpine\n");
    for (arguments, expected) in [
        (&["--select", ""][..], "--select: an empty rule code"),
        (&["--ignore", "DLK001,"][..], "--ignore: an empty rule code"),
        (
            &["--select", "DLK003", "--ignore", "secret-in-arg"][..],
            "DLK003 is both selected (--select) and ignored (--ignore)",
        ),
        (
            &["--select", "secret-in-ar"][..],
            "did you mean `secret-in-arg`?",
        ),
        (&["--ignore", "DLK0001"][..], "did you mean `DLK001`?"),
    ] {
        let (code, _, stdout, stderr) = check(root.path(), arguments);
        assert_eq!(code, 2, "{arguments:?}: {stderr}");
        assert!(stdout.is_empty(), "{arguments:?}");
        assert!(stderr.contains(expected), "{arguments:?}: {stderr}");
    }
    let output = dockerleak_in(root.path())
        .args(["explain", "secret-in-ar"])
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("did you mean `secret-in-arg`?"));
}
