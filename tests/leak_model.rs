//! The leak model seen from the command line: `--target` checks and the
//! `stages` subcommand.

mod common;
use common::{dockerleak_in, write};

const TWO_STAGES: &str =
    "FROM alpine AS build\nCOPY .npmrc /root/.npmrc\nFROM alpine AS runtime\nRUN true\n";

#[test]
fn a_target_naming_no_stage_is_a_usage_error_listing_the_stages() {
    let directory = tempfile::tempdir().expect("temporary directory");
    write(&directory.path().join("Dockerfile"), TWO_STAGES);
    let output = dockerleak_in(directory.path())
        .args(["--target", "biuld", "Dockerfile"])
        .output()
        .expect("run dockerleak");
    assert_eq!(output.status.code(), Some(2));
    // A file error is printed once: in the report (here pretty, on stdout),
    // or on stderr when no report for people goes to stdout.
    let shown = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        shown.contains("--target `biuld` names no stage of this file (stages: build, runtime)"),
        "{shown}"
    );
}

#[test]
fn a_target_naming_a_stage_is_used() {
    let directory = tempfile::tempdir().expect("temporary directory");
    write(&directory.path().join("Dockerfile"), TWO_STAGES);
    let run = |target: &str| {
        dockerleak_in(directory.path())
            .args(["--fail-level", "error", "--target", target, "Dockerfile"])
            .output()
            .expect("run dockerleak")
    };
    // Built as `build`, the .npmrc is in the image: an error.
    assert_eq!(run("build").status.code(), Some(1));
    // Built as `runtime`, it is only in the cache: a warning.
    let runtime = run("runtime");
    assert_eq!(runtime.status.code(), Some(0));
}

#[test]
fn stages_prints_the_graph_in_each_format() {
    let directory = tempfile::tempdir().expect("temporary directory");
    write(
        &directory.path().join("Dockerfile"),
        "FROM node AS build\nWORKDIR /app\nCOPY .npmrc ./\nFROM nginx\nCOPY --from=build /app /srv\n",
    );
    let run = |format: &str| {
        let output = dockerleak_in(directory.path())
            .args(["stages", "--format", format, "Dockerfile"])
            .output()
            .expect("run dockerleak");
        assert_eq!(output.status.code(), Some(0), "{format}");
        String::from_utf8_lossy(&output.stdout).into_owned()
    };
    let text = run("text");
    assert!(
        text.contains("stage build (FROM node): read by the build, not in the final image"),
        "{text}"
    );
    assert!(
        text.contains("line 5: copied into the final image here"),
        "{text}"
    );
    let json: serde_json::Value = serde_json::from_str(&run("json")).expect("JSON");
    assert_eq!(json["edges"][0]["kind"], "copy");
    assert_eq!(json["findings"][0]["severity"], "error");
    assert!(run("mermaid").starts_with("flowchart LR\n"));
    let unknown = dockerleak_in(directory.path())
        .args(["stages", "--target", "nope", "Dockerfile"])
        .output()
        .expect("run dockerleak");
    assert_eq!(unknown.status.code(), Some(2));
}

#[test]
fn stages_reads_standard_input_for_a_dash() {
    let directory = tempfile::tempdir().expect("temporary directory");
    let output = dockerleak_in(directory.path())
        .args(["stages", "--format", "json", "-"])
        .write_stdin(TWO_STAGES)
        .output()
        .expect("run dockerleak");
    assert_eq!(output.status.code(), Some(0));
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    assert_eq!(json["path"], "<stdin>");
    assert_eq!(json["target"], "runtime");
    let names: Vec<&str> = json["stages"]
        .as_array()
        .expect("stages")
        .iter()
        .map(|stage| stage["name"].as_str().expect("name"))
        .collect();
    assert_eq!(names, ["build", "runtime"]);
    assert_eq!(json["findings"][0]["code"], "DLK001");
    assert_eq!(json["findings"][0]["severity"], "warning");
}

#[test]
fn stages_leaves_out_the_images_built_from_a_base() {
    let directory = tempfile::tempdir().expect("temporary directory");
    write(
        &directory.path().join("Dockerfile"),
        "FROM node AS base\nONBUILD COPY .npmrc /root/\nFROM alpine AS other\nRUN true\n",
    );
    let output = dockerleak_in(directory.path())
        .args(["stages", "Dockerfile"])
        .output()
        .expect("run dockerleak");
    let text = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{text}");
    assert_eq!(text.matches("\nstage ").count(), 2, "{text}");
    assert!(
        text.contains("line 2: warning DLK001 in stage base"),
        "{text}"
    );
}
