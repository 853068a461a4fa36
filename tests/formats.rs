//! The output formats, run through the binary: a snapshot of each on one
//! small Dockerfile, the SARIF requirements of GitHub code scanning checked
//! one by one on `examples/`, file errors in every format, `--output` for
//! every format, and repository-relative paths.

use clap::ValueEnum;
use dockerleak::report::Format;
use serde_json::Value;
use std::collections::BTreeSet;
use std::fs;
use std::path::Path;

mod common;
use common::dockerleak;

/// A small Dockerfile with a finding of each kind of shape: a secondary
/// label (DLK003's use), a credential file (DLK001) and a secret value
/// (DLK004/DLK005). The value is made up.
const DOCKERFILE: &str = "\
FROM alpine:3.20 AS build
ARG NPM_TOKEN
RUN echo \"//registry.npmjs.org/:_authToken=${NPM_TOKEN}\" > .npmrc && npm ci
COPY .netrc /root/.netrc
ENV API_KEY=FAKEfakeFAKEfake0123456789abcdefFAKE

FROM alpine:3.20
COPY --from=build /app /app
";
const FAKE_SECRET: &str = "FAKEfakeFAKEfake0123456789abcdefFAKE";

/// Only these rules run in the snapshots, so that a new rule elsewhere does
/// not change them.
const RULES: &str = "DLK001,DLK003,DLK004,DLK005";

fn format_name(format: Format) -> String {
    format
        .to_possible_value()
        .expect("every format has a name")
        .get_name()
        .to_string()
}

/// Runs the small Dockerfile through `format`; returns (exit code, stdout).
fn run_small(format: &str) -> (i32, String) {
    let output = dockerleak()
        .args(["--format", format, "--color", "never", "--select", RULES])
        .args(["--no-config", "--stdin-filename", "app/Dockerfile", "-"])
        .write_stdin(DOCKERFILE)
        .output()
        .expect("run dockerleak");
    (
        output.status.code().expect("exited normally"),
        String::from_utf8(output.stdout).expect("output is UTF-8"),
    )
}

/// The SARIF log with what depends on the machine, the version and the
/// other rules replaced: the root URI, the version, and the rule list
/// (reduced to ids; `sarif_rules_describe_every_rule` checks them).
fn normalized_sarif(text: &str) -> Value {
    let mut log: Value = serde_json::from_str(text).expect("SARIF is JSON");
    let run = &mut log["runs"][0];
    let rules = run["tool"]["driver"]["rules"]
        .as_array()
        .expect("rules")
        .clone();
    for result in run["results"].as_array_mut().expect("results") {
        let index = result["ruleIndex"].as_u64().expect("ruleIndex") as usize;
        assert_eq!(
            rules[index]["id"], result["ruleId"],
            "ruleIndex points at the rule"
        );
        result["ruleIndex"] = Value::String("[index]".into());
    }
    run["tool"]["driver"]["rules"] = "[every rule: see sarif_rules_describe_every_rule]".into();
    run["tool"]["driver"]["version"] = "[version]".into();
    run["tool"]["driver"]["semanticVersion"] = "[version]".into();
    if let Some(root) = run["originalUriBaseIds"]["%SRCROOT%"].get_mut("uri") {
        assert!(root
            .as_str()
            .is_some_and(|uri| uri.starts_with("file:///") && uri.ends_with('/')));
        *root = "file:///[repository root]/".into();
    }
    log
}

#[test]
fn every_format_has_a_snapshot() {
    for format in Format::value_variants() {
        let name = format_name(*format);
        let (code, output) = run_small(&name);
        assert_eq!(code, 1, "{name}: the small Dockerfile has errors");
        assert!(
            !output.contains(FAKE_SECRET),
            "{name} shows the secret:\n{output}"
        );
        match *format {
            Format::Sarif => {
                insta::assert_json_snapshot!("format_sarif", normalized_sarif(&output))
            }
            Format::Json | Format::Gitlab => {
                let _: Value = serde_json::from_str(&output).expect("JSON");
                insta::assert_snapshot!(format!("format_{name}"), output);
            }
            _ => insta::assert_snapshot!(format!("format_{name}"), output),
        }
    }
}

#[test]
fn unknown_format_is_a_usage_error_listing_the_formats() {
    let output = dockerleak()
        .args(["--format", "xml", "examples/clean"])
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(2));
    assert!(output.stdout.is_empty());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("invalid value 'xml'"), "{stderr}");
    for format in Format::value_variants() {
        assert!(stderr.contains(&format_name(*format)), "{stderr}");
    }
}

/// The SARIF of `examples/`, parsed.
fn examples_sarif() -> Value {
    let output = dockerleak()
        .args(["--format", "sarif", "--no-config", "examples/"])
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(1));
    let text = String::from_utf8(output.stdout).expect("UTF-8");
    assert!(!text.contains("FAKEfakeFAKEfake"), "SARIF shows a secret");
    serde_json::from_str(&text).expect("SARIF is JSON")
}

#[test]
fn sarif_has_what_code_scanning_needs() {
    let log = examples_sarif();
    assert_eq!(log["version"], "2.1.0");
    assert!(log["$schema"]
        .as_str()
        .is_some_and(|schema| schema.contains("sarif-2.1.0")));
    let runs = log["runs"].as_array().expect("runs");
    assert_eq!(runs.len(), 1, "one run");
    let run = &runs[0];
    let driver = &run["tool"]["driver"];
    assert_eq!(driver["name"], "dockerleak");
    assert_eq!(driver["semanticVersion"], env!("CARGO_PKG_VERSION"));
    assert!(driver["informationUri"].as_str().is_some());
    assert_eq!(run["columnKind"], "unicodeCodePoints");
    assert_eq!(run["automationDetails"]["id"], "dockerleak/");
    assert!(run["originalUriBaseIds"]["%SRCROOT%"]["uri"]
        .as_str()
        .is_some_and(|uri| uri.starts_with("file:///") && uri.ends_with('/')));
    assert_eq!(run["invocations"][0]["executionSuccessful"], true);

    let rules = driver["rules"].as_array().expect("rules");
    let results = run["results"].as_array().expect("results");
    assert!(!results.is_empty());
    let mut previous_fingerprints = BTreeSet::new();
    for result in results {
        let index = result["ruleIndex"].as_u64().expect("ruleIndex") as usize;
        assert_eq!(rules[index]["id"], result["ruleId"]);
        assert!(["error", "warning", "note"].contains(&result["level"].as_str().expect("level")));
        let message = result["message"]["text"].as_str().expect("message");
        assert!(
            message.contains(". "),
            "a title sentence, then the fix: {message}"
        );
        let locations = result["locations"].as_array().expect("locations");
        assert_eq!(locations.len(), 1);
        let physical = &locations[0]["physicalLocation"];
        assert_eq!(
            physical["artifactLocation"]["uri"],
            "examples/leaky/Dockerfile"
        );
        assert_eq!(physical["artifactLocation"]["uriBaseId"], "%SRCROOT%");
        let region = &physical["region"];
        let number = |key: &str| region[key].as_u64().unwrap_or_else(|| panic!("{key}"));
        assert!(number("startLine") >= 1 && number("startColumn") >= 1);
        assert!(
            (number("endLine"), number("endColumn"))
                >= (number("startLine"), number("startColumn"))
        );
        let fingerprints = &result["partialFingerprints"];
        let line_hash = fingerprints["primaryLocationLineHash"]
            .as_str()
            .expect("primaryLocationLineHash");
        assert_eq!(fingerprints["dockerleak/v1"], line_hash);
        assert!(
            previous_fingerprints.insert(line_hash.to_string()),
            "unique"
        );
        for related in result["relatedLocations"].as_array().into_iter().flatten() {
            assert!(related["message"]["text"].as_str().is_some());
            assert!(related["physicalLocation"]["region"]["startLine"].as_u64() >= Some(1));
        }
    }
    assert!(
        results
            .iter()
            .any(|result| result.get("relatedLocations").is_some()),
        "secondary labels become relatedLocations"
    );
}

#[test]
fn sarif_rules_describe_every_rule() {
    let log = examples_sarif();
    let rules = log["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .expect("rules")
        .clone();
    let listed = dockerleak().arg("rules").output().expect("run");
    let codes: Vec<String> = String::from_utf8_lossy(&listed.stdout)
        .lines()
        .filter_map(|line| line.split_whitespace().next().map(String::from))
        .collect();
    let ids: Vec<String> = rules
        .iter()
        .map(|rule| rule["id"].as_str().expect("id").to_string())
        .collect();
    assert_eq!(ids, codes, "every rule of the registry, in order");
    for rule in &rules {
        let id = rule["id"].as_str().expect("id");
        for key in ["name", "helpUri"] {
            assert!(rule[key].as_str().is_some(), "{id}: {key}");
        }
        for key in ["shortDescription", "fullDescription"] {
            assert!(
                rule[key]["text"]
                    .as_str()
                    .is_some_and(|text| !text.is_empty()),
                "{id}: {key}"
            );
        }
        let help_uri = rule["helpUri"].as_str().expect("helpUri");
        assert!(help_uri.ends_with(&format!("docs/rules/{id}.md")));
        let markdown = rule["help"]["markdown"].as_str().expect("help.markdown");
        assert!(
            markdown.starts_with(&format!("# {id} ")),
            "{id}: the rule's docs"
        );
        assert!(markdown.contains(help_uri), "{id}: the docs link");
        assert!(rule["help"]["text"]
            .as_str()
            .is_some_and(|text| text.contains(help_uri)));
        assert!(["error", "warning", "note"].contains(
            &rule["defaultConfiguration"]["level"]
                .as_str()
                .expect("level")
        ));
        let properties = &rule["properties"];
        let tags: Vec<&str> = properties["tags"]
            .as_array()
            .expect("tags")
            .iter()
            .filter_map(Value::as_str)
            .collect();
        assert!(
            tags.contains(&"security") && tags.contains(&"secrets"),
            "{id}: {tags:?}"
        );
        assert!(["very-high", "high", "medium", "low"]
            .contains(&properties["precision"].as_str().expect("precision")));
        let severity: f64 = properties["security-severity"]
            .as_str()
            .expect("security-severity is a string")
            .parse()
            .expect("a number");
        assert!((0.1..=10.0).contains(&severity), "{id}: {severity}");
    }
}

#[test]
fn file_errors_appear_in_every_format() {
    let root = tempfile::tempdir().expect("tempdir");
    fs::write(root.path().join("Dockerfile"), "").expect("write");
    fs::write(
        root.path().join("web.Dockerfile"),
        "FROM alpine\nRUN <<EOF\nnever closed\n",
    )
    .expect("write");
    for format in Format::value_variants() {
        let name = format_name(*format);
        let output = dockerleak()
            .current_dir(root.path())
            .args(["--format", &name, "--no-config", "--color", "never"])
            .output()
            .expect("run");
        assert_eq!(output.status.code(), Some(2), "{name}");
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(
            stdout.contains("file with no instructions"),
            "{name}:\n{stdout}"
        );
        assert!(stdout.contains("unterminated heredoc"), "{name}:\n{stdout}");
        if *format == Format::Sarif {
            let log: Value = serde_json::from_str(&stdout).expect("JSON");
            let invocation = &log["runs"][0]["invocations"][0];
            assert_eq!(invocation["executionSuccessful"], false);
            let notifications = invocation["toolExecutionNotifications"]
                .as_array()
                .expect("notifications");
            assert_eq!(notifications.len(), 2);
            assert_eq!(notifications[0]["level"], "error");
            assert_eq!(
                notifications[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
                "Dockerfile"
            );
            assert!(notifications[1]["message"]["text"]
                .as_str()
                .is_some_and(|text| text.starts_with("web.Dockerfile: line 2: ")));
        }
    }
}

#[test]
fn gnu_and_github_lines_locate_errors() {
    let run = |format: &str| {
        let output = dockerleak()
            .args([
                "--format",
                format,
                "--no-config",
                "--stdin-filename",
                "app/Dockerfile",
                "-",
            ])
            .write_stdin("FROM alpine:3.20\nRUN <<EOF\necho never closed\n")
            .output()
            .expect("run");
        assert_eq!(output.status.code(), Some(2));
        String::from_utf8(output.stdout).expect("UTF-8")
    };
    assert_eq!(
        run("gnu"),
        "app/Dockerfile:2:5: error: unterminated heredoc\n"
    );
    assert_eq!(
        run("github"),
        "::error file=app/Dockerfile,line=2,col=5,title=dockerleak::line 2: unterminated heredoc\n"
    );
}

#[test]
fn output_writes_every_format_to_a_file() {
    let root = tempfile::tempdir().expect("tempdir");
    for format in Format::value_variants() {
        let name = format_name(*format);
        let stdout = dockerleak()
            .args([
                "--format",
                &name,
                "--no-config",
                "--color",
                "never",
                "examples/",
            ])
            .output()
            .expect("run");
        let file = root.path().join(format!("report.{name}"));
        let to_file = dockerleak()
            .args([
                "--format",
                &name,
                "--no-config",
                "--color",
                "never",
                "--output",
            ])
            .arg(&file)
            .arg("examples/")
            .output()
            .expect("run");
        assert_eq!(to_file.status.code(), Some(1), "{name}");
        assert!(to_file.stdout.is_empty(), "{name}: nothing on stdout");
        assert_eq!(
            fs::read(&file).expect("report written"),
            stdout.stdout,
            "{name}: the file holds what stdout would"
        );
    }
}

/// Makes a repository (a `.git` directory is all it takes) with a leaky
/// Dockerfile under `services/api/`.
fn repository() -> tempfile::TempDir {
    let root = tempfile::tempdir().expect("tempdir");
    fs::create_dir_all(root.path().join(".git")).expect("mkdir .git");
    fs::create_dir_all(root.path().join("services/api")).expect("mkdir");
    fs::write(
        root.path().join("services/api/Dockerfile"),
        "FROM alpine\nCOPY .netrc /root/.netrc\n",
    )
    .expect("write");
    root
}

fn sarif_in(directory: &Path, path: &str) -> Value {
    let output = dockerleak()
        .current_dir(directory)
        .args(["--format", "sarif", "--no-config", path])
        .output()
        .expect("run");
    serde_json::from_slice(&output.stdout).expect("SARIF is JSON")
}

fn first_artifact(log: &Value) -> &Value {
    &log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
}

#[test]
fn sarif_uris_are_relative_to_the_repository_root() {
    let root = repository();
    let from_subdirectory = sarif_in(&root.path().join("services"), "./api/Dockerfile");
    assert_eq!(
        first_artifact(&from_subdirectory)["uri"],
        "services/api/Dockerfile"
    );
    assert_eq!(first_artifact(&from_subdirectory)["uriBaseId"], "%SRCROOT%");
    let root_uri = from_subdirectory["runs"][0]["originalUriBaseIds"]["%SRCROOT%"]["uri"]
        .as_str()
        .expect("the root URI")
        .to_string();
    // The working directory a process sees is the resolved path.
    let canonical = fs::canonicalize(root.path())
        .expect("canonical path")
        .display()
        .to_string();
    assert!(
        root_uri.ends_with(&format!("{}/", canonical.trim_start_matches('/'))),
        "{root_uri}"
    );

    let from_root = sarif_in(root.path(), "services");
    assert_eq!(first_artifact(&from_root)["uri"], "services/api/Dockerfile");

    // A file outside the repository gets an absolute URI and no base.
    let elsewhere = tempfile::tempdir().expect("tempdir");
    fs::write(
        elsewhere.path().join("Dockerfile"),
        "FROM alpine\nCOPY .netrc /root/.netrc\n",
    )
    .expect("write");
    let outside = sarif_in(
        root.path(),
        &elsewhere.path().join("Dockerfile").display().to_string(),
    );
    assert!(first_artifact(&outside)["uri"]
        .as_str()
        .is_some_and(|uri| uri.starts_with("file:///")));
    assert!(first_artifact(&outside).get("uriBaseId").is_none());
}

#[test]
fn github_and_gitlab_paths_are_relative_to_the_repository_root() {
    let root = repository();
    let run = |format: &str| {
        let output = dockerleak()
            .current_dir(root.path().join("services"))
            .args(["--format", format, "--no-config", "api"])
            .output()
            .expect("run");
        String::from_utf8(output.stdout).expect("UTF-8")
    };
    assert!(run("github").starts_with("::error file=services/api/Dockerfile,line=2,"));
    let gitlab: Value = serde_json::from_str(&run("gitlab")).expect("JSON");
    assert_eq!(gitlab[0]["location"]["path"], "services/api/Dockerfile");
    // gnu and checkstyle keep the path as given, for the editor that ran it.
    assert!(run("gnu").starts_with("api/Dockerfile:2:6: error: "));
    assert!(run("checkstyle").contains(r#"<file name="api/Dockerfile">"#));
}

/// `--format FMT=PATH` writes that report to PATH; one run writes several,
/// each exactly as a run with that format alone prints it.
#[test]
fn one_run_writes_several_reports_each_as_its_own_run_would() {
    let root = tempfile::tempdir().expect("tempdir");
    let files = ["sarif", "markdown", "junit", "sonarqube", "json"];
    let mut command = dockerleak();
    command.args(["--no-config", "--color", "never", "--format", "github"]);
    for name in files {
        let path = root.path().join(format!("report.{name}"));
        command
            .arg("--format")
            .arg(format!("{name}={}", path.display()));
    }
    let output = command.arg("examples/").output().expect("run");
    assert_eq!(output.status.code(), Some(1));
    let alone = |name: &str| {
        let output = dockerleak()
            .args([
                "--no-config",
                "--color",
                "never",
                "--format",
                name,
                "examples/",
            ])
            .output()
            .expect("run");
        assert_eq!(output.status.code(), Some(1), "{name}");
        String::from_utf8(output.stdout).expect("UTF-8")
    };
    let stdout = String::from_utf8(output.stdout).expect("UTF-8");
    assert!(
        stdout.contains("::error file=examples/leaky/Dockerfile,"),
        "{stdout}"
    );
    assert_eq!(stdout, alone("github"));
    for name in files {
        let written = fs::read_to_string(root.path().join(format!("report.{name}")))
            .expect("the report file was written");
        assert_eq!(written, alone(name), "{name}");
    }
}

#[test]
fn output_combinations_that_cannot_work_are_usage_errors() {
    let root = tempfile::tempdir().expect("tempdir");
    let sarif = root.path().join("a.sarif");
    let sarif_argument = format!("sarif={}", sarif.display());
    let cases: [(&[&str], &str); 5] = [
        (
            &["--format", "json", "--format", "gnu"],
            "json, gnu would all go to standard output",
        ),
        (
            &["--format", &sarif_argument, "--output", "x.txt"],
            "--output has no report to write",
        ),
        (
            &[
                "--format",
                &sarif_argument,
                "--format",
                &format!("json={}", sarif.display()),
            ],
            "two reports would be written to",
        ),
        (&["--format", "sarif="], "`sarif=` names no file"),
        (&["--format", "nope=x"], "unknown format `nope`"),
    ];
    for (arguments, expected) in cases {
        let output = dockerleak()
            .args(["--no-config"])
            .args(arguments)
            .arg("examples/")
            .output()
            .expect("run");
        assert_eq!(output.status.code(), Some(2), "{arguments:?}");
        assert!(output.stdout.is_empty(), "{arguments:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(expected), "{arguments:?}: {stderr}");
    }
    assert!(!sarif.exists(), "nothing is written after a usage error");
}

#[test]
fn output_goes_to_the_format_without_a_path() {
    let root = tempfile::tempdir().expect("tempdir");
    let summary = root.path().join("summary.md");
    let json = root.path().join("report.json");
    let output = dockerleak()
        .args(["--no-config", "--format", "json", "--output"])
        .arg(&json)
        .arg("--format")
        .arg(format!("markdown={}", summary.display()))
        .arg("examples/")
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(1));
    assert!(output.stdout.is_empty());
    let document: Value =
        serde_json::from_str(&fs::read_to_string(&json).expect("json written")).expect("JSON");
    assert_eq!(document["summary"]["files"], 2);
    let markdown = fs::read_to_string(&summary).expect("summary written");
    assert!(
        markdown.starts_with("### dockerleak: 6 findings\n"),
        "{markdown}"
    );
}

#[test]
fn junit_is_well_formed_with_a_failing_case_per_finding() {
    let output = dockerleak()
        .args(["--no-config", "--format", "junit", "examples/"])
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(1));
    let text = String::from_utf8(output.stdout).expect("UTF-8");
    let document = roxmltree::Document::parse(&text).expect("JUnit XML is well-formed");
    let suites = document.root_element();
    assert_eq!(suites.tag_name().name(), "testsuites");
    let suite_names: Vec<&str> = suites
        .children()
        .filter(|node| node.has_tag_name("testsuite"))
        .filter_map(|node| node.attribute("name"))
        .collect();
    assert_eq!(
        suite_names,
        ["examples/clean/Dockerfile", "examples/leaky/Dockerfile"]
    );
    let failures = document
        .descendants()
        .filter(|node| node.has_tag_name("failure"))
        .count();
    assert_eq!(failures, 6);
    assert_eq!(suites.attribute("failures"), Some("6"));
    assert_eq!(
        suites.attribute("tests"),
        Some("7"),
        "6 failures and a passing file"
    );
    let case = document
        .descendants()
        .find(|node| node.has_tag_name("testcase") && node.attribute("line") == Some("11"))
        .expect("a case for line 11");
    assert_eq!(case.attribute("file"), Some("examples/leaky/Dockerfile"));
}

#[test]
fn sonarqube_issues_name_their_rules_with_zero_based_columns() {
    let output = dockerleak()
        .args(["--no-config", "--format", "sonarqube", "examples/"])
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(1));
    let document: Value = serde_json::from_slice(&output.stdout).expect("JSON");
    let rules = document["rules"].as_array().expect("rules");
    let rule_ids: BTreeSet<&str> = rules
        .iter()
        .filter_map(|rule| rule["id"].as_str())
        .collect();
    for rule in rules {
        for key in [
            "id",
            "name",
            "description",
            "engineId",
            "cleanCodeAttribute",
        ] {
            assert!(rule[key].is_string(), "{key} in {rule}");
        }
        assert_eq!(rule["impacts"][0]["softwareQuality"], "SECURITY");
    }
    let issues = document["issues"].as_array().expect("issues");
    assert_eq!(issues.len(), 6);
    for issue in issues {
        let rule = issue["ruleId"].as_str().expect("ruleId");
        assert!(rule_ids.contains(rule), "{rule} is not in rules");
    }
    // `COPY .netrc`: `.netrc` starts at column 6, which is 5 counted from 0.
    let copy = issues
        .iter()
        .find(|issue| {
            issue["ruleId"]
                .as_str()
                .is_some_and(|rule| rule.starts_with("DLK001"))
        })
        .expect("a DLK001 issue");
    assert_eq!(
        copy["primaryLocation"]["filePath"],
        "examples/leaky/Dockerfile"
    );
    assert_eq!(copy["primaryLocation"]["textRange"]["startLine"], 11);
    assert_eq!(copy["primaryLocation"]["textRange"]["startColumn"], 5);
}
