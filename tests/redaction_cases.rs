//! Each way a secret used to reach the output (issue 11, cases 1–6 and 8),
//! run through the binary in every `--format` (pretty also with
//! `--color always`): no planted value, nor any 8-character window of it
//! past its first 4 characters (what the redaction keeps), may appear on
//! stdout or stderr. Every value below is made up.

use clap::ValueEnum;
use dockerleak::report::Format;
use serde_json::Value;
use std::fs;
use std::path::Path;

mod common;

/// Made-up secrets, each random-looking so that no window of one occurs
/// by chance in other output.
const AWS_SECRET: &str = "Qv7FAKEr9LmZ2xW8pT4nB6yK3hJ5sD1gF0cE+/aa";
const GITLAB_TOKEN: &str = "glpat-Zq8FAKEv3Lm9Wx2Tp7Nb";
const GITHUB_TOKEN: &str = "ghp_Rk4FAKEm8Qz2Vx7Lp9Tn3Wb6Yh1Jc5Ds0Gfu";
const HEX_TOKEN_1: &str = "3f9a1c7e5b2d4068a9e1f3b7c5d20e4f6a8b1c3d";
const HEX_TOKEN_2: &str = "7c2e9b4f1a6d3085e7c1a9f4b2d6e08c3a5f7b9e";
const HEX_TOKEN_3: &str = "b5d8e2a7c4f1906b3e8d5a2c7f4e19b6d0a3c8f2";
const ARG_PASSWORD: &str = "Zr4$WqFAKE9xKp2!";
const CURL_PASSWORD: &str = "Hq7FAKEw3Rz9Lm";

/// Every format's name, as `--format` takes it.
fn formats() -> Vec<String> {
    Format::value_variants()
        .iter()
        .map(|format| {
            format
                .to_possible_value()
                .expect("formats have names")
                .get_name()
                .to_string()
        })
        .collect()
}

/// What the output must not hold for `secret`.
fn leaked_piece(printed: &str, secret: &str) -> Option<String> {
    if printed.contains(secret) {
        return Some(secret.to_string());
    }
    let characters: Vec<char> = secret.chars().collect();
    (4..characters.len().saturating_sub(7))
        .map(|start| characters[start..start + 8].iter().collect::<String>())
        .find(|window| printed.contains(window.as_str()))
}

/// Runs `dockerleak check <arguments> --format F` in `directory` for every
/// format (and pretty with colour), asserts the exit code is `expected`
/// and that no secret is printed; returns the JSON output.
fn check_every_format(
    directory: &Path,
    arguments: &[&str],
    secrets: &[&str],
    expected: i32,
) -> Value {
    let mut json = Value::Null;
    let mut runs: Vec<Vec<String>> = formats()
        .into_iter()
        .map(|format| vec!["--format".to_string(), format])
        .collect();
    runs.push(vec![
        "--format".into(),
        "pretty".into(),
        "--color".into(),
        "always".into(),
    ]);
    for run in runs {
        let output = common::dockerleak_in(directory)
            .args(arguments)
            .args(&run)
            .output()
            .expect("run dockerleak");
        let printed = format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        assert_eq!(
            output.status.code(),
            Some(expected),
            "{run:?} {arguments:?}:\n{printed}"
        );
        assert!(!output.stdout.is_empty(), "{run:?}: no output");
        for secret in secrets {
            if let Some(piece) = leaked_piece(&printed, secret) {
                panic!("{run:?} {arguments:?} prints {piece:?} of {secret:?}:\n{printed}");
            }
        }
        if run[1] == "json" {
            json = serde_json::from_slice(&output.stdout).expect("JSON output");
        }
    }
    json
}

fn project(files: &[(&str, &str)]) -> tempfile::TempDir {
    let root = tempfile::tempdir().expect("tempdir");
    for (name, text) in files {
        common::write(&root.path().join(name), text);
    }
    root
}

fn codes(json: &Value) -> Vec<String> {
    json["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|finding| finding["code"].as_str().unwrap_or_default().to_string())
        .collect()
}

#[test]
fn case_1_a_baselined_secret_on_a_context_line_of_a_new_finding_is_masked() {
    let before = format!("FROM alpine\nENV GITLAB_TOKEN={GITLAB_TOKEN}\nRUN true\n");
    let root = project(&[("Dockerfile", &before)]);
    let status = common::dockerleak_in(root.path())
        .args([
            "--no-config",
            "--write-baseline",
            "baseline.json",
            "Dockerfile",
        ])
        .output()
        .expect("run");
    assert_eq!(status.status.code(), Some(0));
    let baseline = fs::read_to_string(root.path().join("baseline.json")).expect("baseline");
    assert!(
        leaked_piece(&baseline, GITLAB_TOKEN).is_none(),
        "{baseline}"
    );
    // A new finding right below the baselined one: its snippet shows the
    // secret's line as context.
    let after = format!(
        "FROM alpine\nENV GITLAB_TOKEN={GITLAB_TOKEN}\nCOPY .netrc /root/.netrc\nRUN true\n"
    );
    fs::write(root.path().join("Dockerfile"), after).expect("write");
    let json = check_every_format(
        root.path(),
        &["--no-config", "--baseline", "baseline.json", "Dockerfile"],
        &[GITLAB_TOKEN],
        1,
    );
    assert_eq!(codes(&json), ["DLK001"], "only the new finding is reported");
}

#[test]
fn case_2_suppressions_and_rule_selection_do_not_stop_the_masking() {
    let text = format!(
        "FROM alpine\n\
         # dockerleak ignore=DLK004,DLK005 accepted\n\
         ENV GITLAB_TOKEN={GITLAB_TOKEN}\n\
         COPY .netrc /root/{GITHUB_TOKEN}/.netrc\n"
    );
    let config = "ignore = [\"DLK004\", \"DLK005\"]\n";
    let root = project(&[("Dockerfile", &text), ("strict.toml", config)]);
    let secrets = [GITLAB_TOKEN, GITHUB_TOKEN];
    for arguments in [
        vec!["--no-config", "Dockerfile"],
        vec!["--no-config", "--select", "DLK001", "Dockerfile"],
        vec!["--no-config", "--ignore", "DLK005", "Dockerfile"],
        vec!["--config", "strict.toml", "Dockerfile"],
    ] {
        let json = check_every_format(root.path(), &arguments, &secrets, 1);
        assert!(
            codes(&json).contains(&"DLK001".to_string()),
            "{arguments:?}: {json}"
        );
    }
}

#[test]
fn case_3_a_secret_repeated_in_a_later_run_is_masked_there_too() {
    let text = format!(
        "FROM alpine\n\
         ENV AWS_SECRET_ACCESS_KEY={AWS_SECRET}\n\
         RUN echo {AWS_SECRET} > /root/key && curl -u bob:$PASS https://example.com\n"
    );
    let root = project(&[("Dockerfile", &text)]);
    check_every_format(
        root.path(),
        &["--no-config", "Dockerfile"],
        &[AWS_SECRET],
        1,
    );
}

#[test]
fn case_4_a_token_as_the_user_of_a_url_is_found_and_masked() {
    let text = format!(
        "FROM alpine\n\
         RUN git clone https://{HEX_TOKEN_1}:x-oauth-basic@github.com/org/one.git\n\
         RUN git clone https://{HEX_TOKEN_2}:@github.com/org/two.git\n\
         RUN git clone https://{HEX_TOKEN_3}:x@github.com/org/three.git\n"
    );
    let root = project(&[("Dockerfile", &text)]);
    let json = check_every_format(
        root.path(),
        &["--no-config", "--select", "DLK007", "Dockerfile"],
        &[HEX_TOKEN_1, HEX_TOKEN_2, HEX_TOKEN_3],
        1,
    );
    let findings = json["findings"].as_array().expect("findings");
    let lines: Vec<u64> = findings
        .iter()
        .map(|finding| finding["line"].as_u64().unwrap_or_default())
        .collect();
    assert_eq!(lines, [2, 3, 4], "{json}");
    for finding in findings {
        assert_eq!(finding["message"], "a URL holds a token as its user name");
    }
}

#[test]
fn case_5_a_token_used_as_a_stage_name_is_masked_in_stage_fields() {
    let text = format!(
        "FROM alpine AS {GITHUB_TOKEN}\nCOPY .netrc /root/.netrc\nFROM {GITHUB_TOKEN}\nRUN true\n"
    );
    let root = project(&[("Dockerfile", &text)]);
    let lower = GITHUB_TOKEN.to_ascii_lowercase();
    let json = check_every_format(
        root.path(),
        &["--no-config", "--ignore", "DLK005", "Dockerfile"],
        &[GITHUB_TOKEN, &lower],
        1,
    );
    let stage = json["findings"][0]["stage"].as_str().expect("a stage");
    assert_eq!(stage, "ghp_…");
}

#[test]
fn case_6_tokens_split_escaped_next_to_non_ascii_or_under_onbuild_are_found_and_masked() {
    let (head, tail) = GITHUB_TOKEN.split_at(17);
    let text = format!(
        "FROM alpine\n\
         ENV NOTE=one \\\n    TOKEN={head}\\\n{tail} \\\n    OTHER=1\n\
         LABEL note=é{GITLAB_TOKEN}é\n\
         ARG API_TOKEN={}\n\
         ONBUILD RUN curl -u bob:{CURL_PASSWORD} https://example.com/x\n",
        ARG_PASSWORD.replace('$', "\\$")
    );
    let root = project(&[("Dockerfile", &text)]);
    let secrets = [
        GITHUB_TOKEN,
        head,
        tail,
        GITLAB_TOKEN,
        ARG_PASSWORD,
        CURL_PASSWORD,
    ];
    let json = check_every_format(root.path(), &["--no-config", "Dockerfile"], &secrets, 1);
    let dlk005_lines: Vec<u64> = json["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|finding| finding["code"] == "DLK005")
        .map(|finding| finding["line"].as_u64().unwrap_or_default())
        .collect();
    // The split token (line 3), the one after `é` (line 6), the escaped `$`
    // (line 7).
    for line in [3, 6, 7] {
        assert!(dlk005_lines.contains(&line), "line {line}: {json}");
    }
    // Nor with only DLK003 on: its snippet (the ARG) shows the LABEL and
    // the ONBUILD lines around it as context.
    let json = check_every_format(
        root.path(),
        &["--no-config", "--select", "DLK003", "Dockerfile"],
        &secrets,
        1,
    );
    assert_eq!(codes(&json), ["DLK003"]);
}

#[test]
fn case_8_parse_masks_secrets_unless_asked_not_to() {
    let text = format!("FROM alpine\nENV GITLAB_TOKEN={GITLAB_TOKEN}\nRUN echo {GITHUB_TOKEN}\n");
    let root = project(&[("Dockerfile", &text)]);
    for format in ["text", "json"] {
        let output = common::dockerleak_in(root.path())
            .args(["parse", "--format", format, "Dockerfile"])
            .output()
            .expect("run");
        assert_eq!(output.status.code(), Some(0));
        let printed = format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        for secret in [GITLAB_TOKEN, GITHUB_TOKEN] {
            assert!(
                leaked_piece(&printed, secret).is_none(),
                "{format}: {printed}"
            );
        }
        assert!(printed.contains("glpa…"), "{printed}");
        let shown = common::dockerleak_in(root.path())
            .args(["parse", "--show-secrets", "--format", format, "Dockerfile"])
            .output()
            .expect("run");
        assert_eq!(shown.status.code(), Some(0));
        assert!(String::from_utf8_lossy(&shown.stdout).contains(GITLAB_TOKEN));
        let warning = String::from_utf8_lossy(&shown.stderr);
        assert!(
            warning.contains("warning") && warning.contains("--show-secrets"),
            "{warning}"
        );
    }
}
