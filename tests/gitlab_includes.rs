//! GitLab `include:` in all its forms: local files (a path, a list of
//! paths, `local:` maps, wildcards as GitLab matches them) are linted as
//! GitLab CI; `remote:`, `project:`, `template:` and `component:` cannot be
//! read offline and are left out without an error, whatever their shape.

mod common;

use common::{dockerleak_in, write};

fn job(name: &str) -> String {
    format!("{name}:\n  stage: build\n  script:\n    - docker build --build-arg CI_TOKEN=$CI_JOB_TOKEN .\n")
}

/// Runs over `root` in GNU format: (exit code, stdout, stderr).
fn run(root: &std::path::Path) -> (Option<i32>, String, String) {
    let output = dockerleak_in(root)
        .args(["--no-config", "--format", "gnu", "."])
        .output()
        .expect("run");
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn wildcard_local_includes_are_expanded() {
    let directory = tempfile::tempdir().expect("tempdir");
    let root = directory.path();
    write(
        &root.join(".gitlab-ci.yml"),
        "include:\n  - local: '/ci/jobs/*.yml'\n  - 'templates/**.yaml'\n  - local: ci/one.yml\n    rules:\n      - if: $CI_COMMIT_BRANCH == \"main\"\nstages: [build]\n",
    );
    write(&root.join("ci/jobs/a.yml"), &job("a"));
    write(&root.join("ci/jobs/b.yml"), &job("b"));
    // `*` does not cross a folder; `.yaml` is not `.yml`.
    write(&root.join("ci/jobs/nested/c.yml"), &job("c"));
    write(&root.join("ci/jobs/d.yaml"), &job("d"));
    // `**` does.
    write(&root.join("templates/e.yaml"), &job("e"));
    write(&root.join("templates/deep/f.yaml"), &job("f"));
    write(&root.join("ci/one.yml"), &job("one"));
    let (code, stdout, stderr) = run(root);
    assert_eq!(code, Some(1), "{stdout}{stderr}");
    for included in [
        "ci/jobs/a.yml:4:",
        "ci/jobs/b.yml:4:",
        "templates/e.yaml:4:",
        "templates/deep/f.yaml:4:",
        "ci/one.yml:4:",
    ] {
        assert!(stdout.contains(included), "{included} in:\n{stdout}");
    }
    assert!(!stdout.contains("nested/c.yml"), "{stdout}");
    assert!(!stdout.contains("d.yaml"), "{stdout}");
    assert_eq!(stdout.matches("DLK011").count(), 5, "{stdout}");
}

#[test]
fn a_single_map_and_a_single_string_are_followed() {
    for include in [
        "include:\n  local: ci/build.yml\n",
        "include: /ci/build.yml\n",
    ] {
        let directory = tempfile::tempdir().expect("tempdir");
        let root = directory.path();
        write(&root.join(".gitlab-ci.yml"), include);
        write(&root.join("ci/build.yml"), &job("build"));
        let (code, stdout, stderr) = run(root);
        assert_eq!(code, Some(1), "{include}: {stdout}{stderr}");
        assert!(stdout.contains("ci/build.yml:4:"), "{include}: {stdout}");
    }
}

#[test]
fn includes_that_cannot_be_read_offline_never_cause_errors() {
    let directory = tempfile::tempdir().expect("tempdir");
    let root = &directory.path().join("project");
    write(
        &root.join(".gitlab-ci.yml"),
        concat!(
            "include:\n",
            "  - project: my-group/my-project\n    ref: main\n    file:\n      - /templates/build.yml\n      - /templates/test.yml\n",
            "  - project: my-group/other\n    file: /ci/build.yml\n",
            "  - remote: https://example.com/ci.yml\n",
            "  - https://example.com/other.yml\n",
            "  - template: Auto-DevOps.gitlab-ci.yml\n",
            "  - component: $CI_SERVER_FQDN/my-org/components/build@1.0\n    inputs:\n      stage: build\n",
            "  - local: ci/$CI_COMMIT_REF_NAME.yml\n",
            "  - local: ../outside.yml\n",
            "  - local: missing.yml\n",
            "  - local: ci\n",
            "  - local: ['not', 'a', 'path']\n",
            "  - [nested]\n",
            "  - 42\n",
            "  - ~\n",
            "stages: [build]\n",
        ),
    );
    // Named only by the project include (same path, other repository):
    // not followed.
    write(&root.join("ci/build.yml"), &job("build"));
    write(&root.join("templates/build.yml"), &job("templated"));
    // Outside the project: not followed.
    write(&directory.path().join("outside.yml"), &job("outside"));
    let (code, stdout, stderr) = run(root);
    assert_eq!(code, Some(0), "{stdout}{stderr}");
    assert!(stdout.trim().is_empty(), "{stdout}");
    assert!(!stderr.contains("error"), "{stderr}");
    // A component or project include alone, as a map.
    for include in [
        "include:\n  component: gitlab.com/org/c/build@1\n",
        "include:\n  project: a/b\n  file: x.yml\n",
        "include: []\n",
        "include:\n",
    ] {
        write(
            &root.join(".gitlab-ci.yml"),
            &format!("{include}{}", job("own")),
        );
        let (code, stdout, stderr) = run(root);
        assert_eq!(code, Some(1), "{include}: {stdout}{stderr}");
        assert_eq!(stdout.matches("DLK011").count(), 1, "{include}: {stdout}");
        assert!(stdout.contains(".gitlab-ci.yml:"), "{stdout}");
    }
}
