//! Per-rule fixtures: every `tests/fixtures/DLKnnn/bad-*.Dockerfile` must
//! produce at least one finding of DLKnnn, every `good-*.Dockerfile` none.
//! The findings of each fixture are pinned with an insta snapshot.

use dockerleak::{lint_source, Config, FileReport};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};

fn fixture_files() -> Vec<(String, PathBuf)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut files = Vec::new();
    for entry in std::fs::read_dir(&root)
        .expect("tests/fixtures exists")
        .flatten()
    {
        let code = entry.file_name().to_string_lossy().into_owned();
        if !code.starts_with("DLK") {
            continue;
        }
        for file in std::fs::read_dir(entry.path())
            .expect("fixture folder is readable")
            .flatten()
        {
            let path = file.path();
            if path
                .extension()
                .is_some_and(|extension| extension == "Dockerfile")
            {
                files.push((code.clone(), path));
            }
        }
    }
    files.sort();
    files
}

/// Fixtures may set `# dockerleak-test target=STAGE` to lint with `--target`.
fn config_for(text: &str) -> Config {
    let mut config = Config::default();
    for line in text.lines() {
        if let Some(target) = line.strip_prefix("# dockerleak-test target=") {
            config.target = Some(target.trim().to_string());
        }
    }
    config
}

fn summary(report: &FileReport) -> Value {
    let redacted = report.redacted_text();
    let findings: Vec<Value> = report
        .findings
        .iter()
        .map(|finding| {
            let start = report.position(finding.span.start);
            let labels: Vec<Value> = finding
                .labels
                .iter()
                .map(|label| {
                    let position = report.position(label.span.start);
                    json!({"line": position.line, "column": position.column, "message": label.message})
                })
                .collect();
            json!({
                "code": finding.code,
                "severity": finding.severity,
                "line": start.line,
                "column": start.column,
                "text": redacted.map_span(finding.span).slice(&redacted.text),
                "message": finding.message,
                "label": finding.label,
                "labels": labels,
                "help": finding.help,
                "stage": finding.stage,
            })
        })
        .collect();
    json!({"findings": findings, "errors": report.errors.iter().map(|error| &error.message).collect::<Vec<_>>()})
}

#[test]
fn bad_fixtures_are_reported_and_good_fixtures_are_not() {
    let mut problems = Vec::new();
    let files = fixture_files();
    assert!(!files.is_empty(), "no fixtures found");
    for (code, path) in &files {
        let text = std::fs::read_to_string(path).expect("fixture is UTF-8");
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let report = lint_source(&name, &text, &config_for(&text));
        let hits = report
            .findings
            .iter()
            .filter(|finding| finding.code == code)
            .count();
        if name.starts_with("bad-") && hits == 0 {
            problems.push(format!(
                "{code}/{name}: expected a {code} finding, got none"
            ));
        }
        if name.starts_with("good-") && hits > 0 {
            problems.push(format!(
                "{code}/{name}: expected no {code} finding, got {hits}"
            ));
        }
        if !report.errors.is_empty() {
            problems.push(format!("{code}/{name}: parse errors {:?}", report.errors));
        }
        insta::with_settings!({snapshot_suffix => format!("{code}__{}", name.trim_end_matches(".Dockerfile")), prepend_module_to_snapshot => false}, {
            insta::assert_json_snapshot!("fixture", summary(&report));
        });
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn every_rule_has_six_bad_and_six_good_fixtures() {
    let files = fixture_files();
    for rule in dockerleak::rules::registry() {
        let code = rule.meta().code;
        // DLK010 looks at the build context on disk, which a lone fixture
        // file cannot give: its cases are in tests/context_rule.rs. DLK011
        // reads build definitions, not Dockerfiles: its fixtures are
        // tests/fixtures/DLK011/<kind>/, checked by tests/build_definitions.rs.
        if code == "DLK000" || code == "DLK010" || code == "DLK011" {
            continue;
        }
        let count = |prefix: &str| {
            files
                .iter()
                .filter(|(folder, path)| {
                    folder == code
                        && path
                            .file_name()
                            .unwrap()
                            .to_string_lossy()
                            .starts_with(prefix)
                })
                .count()
        };
        assert!(
            count("bad-") >= 6,
            "{code} has {} bad fixtures",
            count("bad-")
        );
        assert!(
            count("good-") >= 6,
            "{code} has {} good fixtures",
            count("good-")
        );
    }
}
