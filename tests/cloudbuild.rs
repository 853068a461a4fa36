//! Google Cloud Build configurations: found by name in a walk and by
//! content when named, turned off with `disabled-readers`, secrets named by
//! `secretEnv` / `availableSecrets`, shell steps, redaction of a literal
//! token, and a display-only fix (the per-case fixtures are
//! `tests/fixtures/DLK011/cloudbuild/`, run by tests/build_definitions.rs).

mod common;

use common::{dockerleak, dockerleak_in, write};
use dockerleak::builddefs::lint::lint_definition;
use dockerleak::builddefs::Kind;
use dockerleak::fix::Applicability;
use dockerleak::Config;

const LEAKING: &str = "steps:\n  - name: gcr.io/cloud-builders/docker\n    args: ['build', '--build-arg', 'NPM_TOKEN=$$NPM_TOKEN', '.']\n    secretEnv: ['NPM_TOKEN']\navailableSecrets:\n  secretManager:\n    - versionName: projects/p/secrets/npm/versions/latest\n      env: NPM_TOKEN\n";

fn output(command: &mut assert_cmd::Command) -> (Option<i32>, String, String) {
    let output = command.output().expect("run");
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn a_walk_finds_cloudbuild_files_by_name_and_readers_can_be_turned_off() {
    let directory = tempfile::tempdir().expect("tempdir");
    let root = directory.path();
    write(&root.join("cloudbuild.yaml"), LEAKING);
    write(&root.join("deploy/cloudbuild.prod.yml"), LEAKING);
    // Not by name: not walked.
    write(&root.join("deploy/build-config.yaml"), LEAKING);
    let (code, stdout, stderr) =
        output(dockerleak_in(root).args(["--no-config", "--format", "gnu", "."]));
    assert_eq!(code, Some(1), "{stdout}{stderr}");
    assert!(stdout.contains("cloudbuild.yaml:3:"), "{stdout}");
    assert!(stdout.contains("deploy/cloudbuild.prod.yml:3:"), "{stdout}");
    assert!(!stdout.contains("build-config"), "{stdout}");
    write(
        &root.join(".dockerleak.toml"),
        "disabled-readers = [\"cloudbuild\"]\n",
    );
    let (code, stdout, stderr) = output(dockerleak_in(root).args(["--format", "gnu", "."]));
    assert_eq!(code, Some(0), "{stdout}{stderr}");
    assert!(!stdout.contains("DLK011"), "{stdout}");
}

#[test]
fn a_named_file_is_recognised_by_content_or_by_kind() {
    let directory = tempfile::tempdir().expect("tempdir");
    let path = directory.path().join("build-config.yaml");
    write(&path, LEAKING);
    let (code, stdout, stderr) = output(dockerleak().args([
        "--no-config",
        "--format",
        "gnu",
        path.to_str().expect("UTF-8"),
    ]));
    assert_eq!(code, Some(1), "{stdout}{stderr}");
    assert!(stdout.contains("NPM_TOKEN"), "{stdout}");
    // A step image from elsewhere (no `gcr.io/cloud-builders/`): `--kind`.
    let other = directory.path().join("other.yaml");
    write(
        &other,
        "steps:\n  - name: docker\n    args: ['build', '--build-arg', 'GH_TOKEN=$$GH_TOKEN', '.']\n    secretEnv: [GH_TOKEN]\n",
    );
    let (code, stdout, stderr) = output(dockerleak().args([
        "--no-config",
        "--format",
        "gnu",
        "--kind",
        "cloudbuild",
        other.to_str().expect("UTF-8"),
    ]));
    assert_eq!(code, Some(1), "{stdout}{stderr}");
    assert!(stdout.contains("GH_TOKEN"), "{stdout}");
}

#[test]
fn a_literal_token_in_args_is_never_printed() {
    let token = "ghp_R8x2Lq9ZtW4vYk7Jm3Nc5Pb1Hd6Gf0Sa2Ue8";
    let directory = tempfile::tempdir().expect("tempdir");
    write(
        &directory.path().join("cloudbuild.yaml"),
        &format!("steps:\n  - name: gcr.io/cloud-builders/docker\n    args: ['build', '--build-arg', 'GITHUB_TOKEN={token}', '.']\n"),
    );
    for format in ["gnu", "json", "sarif", "pretty", "github", "markdown"] {
        let (code, stdout, stderr) =
            output(dockerleak_in(directory.path()).args(["--no-config", "--format", format, "."]));
        assert_eq!(code, Some(1), "{format}: {stdout}{stderr}");
        assert!(stdout.contains("DLK011"), "{format}: {stdout}");
        assert!(!stdout.contains(token), "{format} printed the token");
        assert!(!stderr.contains(token), "{format} printed the token");
    }
}

#[test]
fn shell_steps_read_dollar_dollar_as_the_shell_variable_and_fixes_are_display_only() {
    // `$$NPM_TOKEN` is the shell's `$NPM_TOKEN`, named by `secretEnv`;
    // `$SHORT_SHA` is a built-in substitution (public). A `script:` is
    // shell too.
    let text = "steps:\n  - name: gcr.io/cloud-builders/docker\n    entrypoint: bash\n    args: ['-c', 'docker build --build-arg AUTH=$$NPM_AUTH --build-arg V=$SHORT_SHA .']\n    secretEnv: ['NPM_AUTH']\n  - name: gcr.io/cloud-builders/docker\n    script: |\n      docker build --build-arg DATA=$DATA_BLOB .\n    secretEnv: ['DATA_BLOB']\navailableSecrets:\n  inline:\n    - kmsKeyName: projects/p/locations/global/keyRings/r/cryptoKeys/k\n      envMap:\n        NPM_AUTH: CiQAbase64\n        DATA_BLOB: CiQAbase64\n";
    let report = lint_definition(
        "cloudbuild.yaml",
        "cloudbuild.yaml",
        text,
        Kind::CloudBuild,
        &Config::default(),
    );
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    let names: Vec<&str> = report
        .findings
        .iter()
        .filter(|f| f.code == "DLK011")
        .map(|f| f.span.slice(text))
        .collect();
    assert_eq!(
        names,
        ["--build-arg AUTH=$$NPM_AUTH", "--build-arg DATA=$DATA_BLOB"],
        "{:#?}",
        report.findings
    );
    for finding in report.findings.iter().filter(|f| f.code == "DLK011") {
        assert!(finding.message.contains("secretEnv"), "{}", finding.message);
    }
    // `$$NPM_AUTH` is not rewritten (the fix would have to write
    // `env=NPM_AUTH` for Cloud Build's `$$`): display-only.
    let fix = report.findings[0].fix.as_ref().expect("a fix");
    assert_eq!(fix.applicability, Applicability::DisplayOnly);
}

#[test]
fn a_docker_step_is_linked_to_the_dockerfile_it_builds() {
    let directory = tempfile::tempdir().expect("tempdir");
    let root = directory.path();
    write(
        &root.join("web/Dockerfile.prod"),
        "FROM node:20\nARG NPM_TOKEN\nRUN npm ci\n",
    );
    write(
        &root.join("cloudbuild.yaml"),
        "steps:\n  - name: gcr.io/cloud-builders/docker\n    args: ['build', '--build-arg', 'NPM_TOKEN=$$NPM_TOKEN', '-f', 'web/Dockerfile.prod', 'web']\n    secretEnv: ['NPM_TOKEN']\n",
    );
    let (code, stdout, stderr) =
        output(dockerleak_in(root).args(["--no-config", "--format", "gnu", "."]));
    assert_eq!(code, Some(1), "{stdout}{stderr}");
    let dlk003 = stdout
        .lines()
        .find(|line| line.contains("[DLK003]"))
        .unwrap_or_else(|| panic!("DLK003 expected:\n{stdout}"));
    assert!(dlk003.contains("web/Dockerfile.prod:2:"), "{dlk003}");
    assert!(dlk003.contains("cloudbuild.yaml:3"), "{dlk003}");
}
