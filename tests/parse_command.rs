//! `dockerleak parse`: what the parser saw, checked on parsed JSON values
//! for a heredoc file, a backtick-escape file and a secret-mount file
//! (fixtures in `tests/fixtures/parse/`).

use serde_json::{json, Value};

mod common;
use common::dockerleak;

fn fixture(name: &str) -> String {
    format!("tests/fixtures/parse/{name}")
}

/// Runs `parse --format json` on one fixture; returns its file object.
fn parse_json(name: &str) -> Value {
    let output = dockerleak()
        .args(["parse", "--format", "json"])
        .arg(fixture(name))
        .output()
        .expect("run dockerleak parse");
    assert_eq!(
        output.status.code(),
        Some(0),
        "stderr: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let document: Value = serde_json::from_slice(&output.stdout).expect("parse output is JSON");
    let files = document.as_array().expect("an array of files");
    assert_eq!(files.len(), 1);
    files[0].clone()
}

/// The instructions of a parsed file as (cmd, start_line, end_line).
fn outline(file: &Value) -> Vec<(String, u64, u64)> {
    file["instructions"]
        .as_array()
        .expect("instructions is an array")
        .iter()
        .map(|instruction| {
            (
                instruction["cmd"].as_str().expect("cmd").to_string(),
                instruction["start_line"].as_u64().expect("start_line"),
                instruction["end_line"].as_u64().expect("end_line"),
            )
        })
        .collect()
}

#[test]
fn heredocs_are_shown_with_names_and_content() {
    let file = parse_json("heredoc.Dockerfile");
    assert_eq!(file["path"], fixture("heredoc.Dockerfile"));
    assert_eq!(
        file["directives"],
        json!([{"name": "syntax", "value": "docker/dockerfile:1"}])
    );
    assert_eq!(file["errors"], json!([]));
    assert_eq!(
        outline(&file),
        [
            ("from".to_string(), 2, 2),
            ("run".to_string(), 3, 6),
            ("copy".to_string(), 7, 9),
            ("run".to_string(), 10, 14)
        ]
    );
    let instructions = &file["instructions"];
    assert_eq!(
        instructions[1]["heredocs"],
        json!([{"name": "EOF", "content": "apk add --no-cache git\ngit --version\n"}])
    );
    assert_eq!(instructions[1]["args"], json!(["<<EOF"]));
    assert_eq!(instructions[2]["heredocs"][0]["name"], "CONF");
    assert_eq!(instructions[2]["args"][1], "/etc/app.conf");
    assert_eq!(
        instructions[3]["heredocs"],
        json!([
            {"name": "ONE", "content": "first\n"},
            {"name": "TWO", "content": "second\n"}
        ])
    );
}

#[test]
fn heredoc_parse_json_snapshot() {
    let output = dockerleak()
        .args(["parse", "--format", "json"])
        .arg(fixture("heredoc.Dockerfile"))
        .output()
        .expect("run dockerleak parse");
    assert_eq!(output.status.code(), Some(0));
    insta::assert_snapshot!(
        "parse_heredoc_json",
        String::from_utf8_lossy(&output.stdout)
    );
}

#[test]
fn the_backtick_escape_directive_joins_lines_and_keeps_backslashes() {
    let file = parse_json("backtick-escape.Dockerfile");
    assert_eq!(
        file["directives"],
        json!([{"name": "escape", "value": "`"}])
    );
    assert_eq!(
        outline(&file),
        [
            ("from".to_string(), 2, 2),
            ("shell".to_string(), 3, 3),
            ("run".to_string(), 4, 5),
            ("copy".to_string(), 6, 6)
        ]
    );
    let instructions = &file["instructions"];
    assert_eq!(instructions[1]["json"], true);
    assert_eq!(instructions[1]["args"], json!(["powershell", "-Command"]));
    let run = instructions[2]["args"][0]
        .as_str()
        .expect("RUN has one argument");
    assert!(
        run.starts_with("New-Item -ItemType Directory C:\\app ;"),
        "{run}"
    );
    assert!(run.ends_with("Set-Location C:\\app"), "{run}");
    assert!(!run.contains('`'), "the escape character is removed: {run}");
    assert_eq!(instructions[3]["args"], json!(["app\\", "C:\\app\\"]));
}

#[test]
fn a_secret_mount_shows_its_fields() {
    let file = parse_json("secret-mount.Dockerfile");
    let run = &file["instructions"][1];
    assert_eq!(run["cmd"], "run");
    assert_eq!(run["json"], false);
    assert_eq!(
        run["flags"],
        json!(["--mount=type=secret,id=x,target=/root/.netrc"])
    );
    assert_eq!(run["args"], json!(["cat /root/.netrc"]));
    let mounts = run["mounts"].as_array().expect("mounts is an array");
    assert_eq!(mounts.len(), 1);
    assert_eq!(mounts[0]["type"], "secret");
    let fields: Vec<(String, String)> = mounts[0]["fields"]
        .as_array()
        .expect("fields is an array")
        .iter()
        .map(|field| {
            (
                field["key"].as_str().expect("key").to_string(),
                field["value"].as_str().expect("value").to_string(),
            )
        })
        .collect();
    assert_eq!(
        fields,
        [
            ("type".to_string(), "secret".to_string()),
            ("id".to_string(), "x".to_string()),
            ("target".to_string(), "/root/.netrc".to_string())
        ]
    );
    // Each field's span covers its `key=value` text in the file.
    let text = std::fs::read_to_string(fixture("secret-mount.Dockerfile")).expect("fixture");
    for field in mounts[0]["fields"].as_array().expect("fields") {
        let start = field["span"][0].as_u64().expect("span start") as usize;
        let end = field["span"][1].as_u64().expect("span end") as usize;
        assert_eq!(
            &text[start..end],
            format!(
                "{}={}",
                field["key"].as_str().expect("key"),
                field["value"].as_str().expect("value")
            )
        );
    }
    let span_start = run["span"][0].as_u64().expect("span") as usize;
    assert!(text[span_start..].starts_with("RUN --mount"));

    // ONBUILD: the wrapped instruction's mount, BuildKit's cmd/sub_cmd.
    let onbuild = &file["instructions"][2];
    assert_eq!(onbuild["cmd"], "onbuild");
    assert_eq!(onbuild["sub_cmd"], "run");
    assert_eq!(onbuild["mounts"][0]["type"], "cache");
    assert_eq!(onbuild["args"], json!(["apk add git"]));
}

#[test]
fn text_format_is_one_line_per_instruction() {
    let output = dockerleak()
        .arg("parse")
        .arg(fixture("secret-mount.Dockerfile"))
        .output()
        .expect("run dockerleak parse");
    assert_eq!(output.status.code(), Some(0));
    let text = String::from_utf8_lossy(&output.stdout);
    assert_eq!(
        text,
        format!(
            "{}\n  1 from [\"alpine:3.20\"]\n  2 run [--mount=type=secret,id=x,target=/root/.netrc] [\"cat /root/.netrc\"]\n      mount secret: type=secret id=x target=/root/.netrc\n  3 onbuild run [\"apk add git\"]\n      mount cache: type=cache target=/var/cache/apk\n",
            fixture("secret-mount.Dockerfile")
        )
    );
}

#[test]
fn parse_errors_and_unreadable_files_exit_2() {
    let output = dockerleak()
        .args([
            "parse",
            "--format",
            "json",
            "--stdin-filename",
            "broken/Dockerfile",
            "-",
        ])
        .write_stdin("FROM alpine\nRUN <<EOF\nnever closed\n")
        .output()
        .expect("run dockerleak parse");
    assert_eq!(output.status.code(), Some(2));
    let document: Value = serde_json::from_slice(&output.stdout).expect("JSON");
    assert_eq!(document[0]["path"], "broken/Dockerfile");
    assert_eq!(
        document[0]["errors"],
        json!([{"line": 2, "message": "unterminated heredoc"}])
    );
    assert_eq!(
        String::from_utf8_lossy(&output.stderr),
        "dockerleak: error: broken/Dockerfile: line 2: unterminated heredoc\n"
    );

    let output = dockerleak()
        .args(["parse", "--format", "json", "no/such/Dockerfile"])
        .arg(fixture("secret-mount.Dockerfile"))
        .output()
        .expect("run dockerleak parse");
    assert_eq!(output.status.code(), Some(2));
    let document: Value = serde_json::from_slice(&output.stdout).expect("JSON");
    assert_eq!(
        document.as_array().map(Vec::len),
        Some(2),
        "the good file is still printed"
    );
    let missing = document
        .as_array()
        .and_then(|files| {
            files
                .iter()
                .find(|file| file["path"] == "no/such/Dockerfile")
        })
        .expect("the missing file has an entry");
    assert_eq!(
        missing["errors"],
        json!([{"line": null, "message": "No such file or directory"}])
    );

    dockerleak().arg("parse").assert().code(2);
}
