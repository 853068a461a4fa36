//! Build definitions (issue 15): per-reader fixtures for DLK011
//! (`tests/fixtures/DLK011/<kind>/bad-*` must be reported, `good-*` must
//! not), discovery, `--kind`, `disabled-readers`, suppression comments,
//! baseline, redaction in every format, SARIF locations, and the real
//! build definitions of `../shared/corpus/ci/` (skipped with a printed
//! reason when absent).

mod common;

use common::{dockerleak, dockerleak_in, write};
use dockerleak::builddefs::lint::lint_definition;
use dockerleak::builddefs::Kind;
use dockerleak::Config;
use std::path::{Path, PathBuf};

fn fixtures() -> Vec<(Kind, PathBuf)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/DLK011");
    let mut files = Vec::new();
    for folder in std::fs::read_dir(&root).expect("DLK011 fixtures").flatten() {
        let name = folder.file_name().to_string_lossy().into_owned();
        let kind = Kind::parse(&name, "").unwrap_or_else(|| panic!("unknown kind folder {name}"));
        for file in std::fs::read_dir(folder.path())
            .expect("kind folder")
            .flatten()
        {
            files.push((kind, file.path()));
        }
    }
    files.sort();
    files
}

#[test]
fn bad_definitions_are_reported_and_good_ones_are_not() {
    let mut problems = Vec::new();
    let mut counts: std::collections::BTreeMap<(Kind, bool), usize> = Default::default();
    for (kind, path) in fixtures() {
        let text = std::fs::read_to_string(&path).expect("fixture is UTF-8");
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let report = lint_definition(&name, &name, &text, kind, &Config::default());
        let hits = report
            .findings
            .iter()
            .filter(|f| f.code == "DLK011")
            .count();
        let bad = name.starts_with("bad-");
        *counts.entry((kind, bad)).or_default() += 1;
        if bad && hits == 0 {
            problems.push(format!("{}: expected DLK011, got none", path.display()));
        }
        if !bad && hits > 0 {
            problems.push(format!(
                "{}: expected no DLK011, got {:?}",
                path.display(),
                report
                    .findings
                    .iter()
                    .map(|f| &f.message)
                    .collect::<Vec<_>>()
            ));
        }
        if !report.errors.is_empty() {
            problems.push(format!("{}: errors {:?}", path.display(), report.errors));
        }
        for finding in &report.findings {
            assert!(finding.fingerprint.contains(':'), "fingerprint set");
            assert!(
                finding.help.contains("--mount=type=secret"),
                "{}",
                finding.help
            );
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    for kind in Kind::ALL {
        for bad in [true, false] {
            assert!(
                counts.get(&(kind, bad)).copied().unwrap_or(0) >= 1,
                "{kind:?} has no {} fixture",
                if bad { "bad" } else { "good" }
            );
        }
    }
    let total = |bad: bool| {
        counts
            .iter()
            .filter(|((_, b), _)| *b == bad)
            .map(|(_, n)| n)
            .sum::<usize>()
    };
    assert!(total(true) >= 6 && total(false) >= 6);
}

#[test]
fn messages_say_where_the_secret_comes_from_and_point_at_the_arg() {
    let text = "on: push\njobs:\n  a:\n    runs-on: x\n    steps:\n      - uses: docker/build-push-action@v6\n        with:\n          build-args: |\n            NPM_TOKEN=${{ secrets.NPM_TOKEN }}\n";
    let report = lint_definition(
        "w.yml",
        "w.yml",
        text,
        Kind::GithubActions,
        &Config::default(),
    );
    assert_eq!(report.findings.len(), 1);
    let finding = &report.findings[0];
    assert_eq!(
        finding.span.slice(text),
        "NPM_TOKEN=${{ secrets.NPM_TOKEN }}"
    );
    assert_eq!(report.position(finding.span.start).line, 9);
    assert!(
        finding.message.contains("secrets.NPM_TOKEN"),
        "{}",
        finding.message
    );
    assert!(finding.help.contains("`secrets:`"), "{}", finding.help);
}

#[test]
fn public_and_placeholder_values_stay_silent() {
    for line in [
        "VERSION=1.2.3",
        "BUILD_DATE=${{ steps.date.outputs.date }}",
        "GIT_SHA=${{ github.sha }}",
        "GPG_KEY=B42F6819007F00F88E364FD4036A9C25BF357DD4",
        "DB_PASSWORD_FILE=/run/secrets/db",
        "NEXT_PUBLIC_STRIPE_KEY=${{ secrets.STRIPE_PUBLISHABLE }}",
        "API_TOKEN=",
        "SECRET_ROTATION_DAYS=30",
    ] {
        let text = format!("on: push\njobs:\n  a:\n    steps:\n      - uses: docker/build-push-action@v6\n        with:\n          build-args: |\n            {line}\n");
        let report = lint_definition(
            "w.yml",
            "w.yml",
            &text,
            Kind::GithubActions,
            &Config::default(),
        );
        assert!(report.findings.is_empty(), "{line}: {:?}", report.findings);
    }
}

const LEAKING_WORKFLOW: &str = "on: push\njobs:\n  a:\n    runs-on: x\n    steps:\n      - run: docker build --build-arg GH=ghp_R2d2C3po0123456789abcdefABCDEF012345 .\n";

#[test]
fn a_literal_token_in_a_workflow_is_never_printed() {
    let directory = tempfile::tempdir().expect("tempdir");
    write(
        &directory.path().join(".github/workflows/ci.yml"),
        LEAKING_WORKFLOW,
    );
    for format in [
        "pretty",
        "json",
        "sarif",
        "gnu",
        "github",
        "gitlab",
        "checkstyle",
        "junit",
        "sonarqube",
        "markdown",
    ] {
        let output = dockerleak_in(directory.path())
            .args(["--no-config", "--format", format, "."])
            .output()
            .expect("runs");
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert_eq!(output.status.code(), Some(1), "{format}: {stdout}");
        assert!(
            stdout.contains("DLK011") || format == "junit" || format == "sonarqube",
            "{format}: {stdout}"
        );
        assert!(
            !stdout.contains("R2d2C3po0123456789"),
            "{format} printed the token:\n{stdout}"
        );
        assert!(!String::from_utf8_lossy(&output.stderr).contains("R2d2C3po0123456789"));
    }
}

#[test]
fn sarif_locations_point_at_the_definition_file() {
    let directory = tempfile::tempdir().expect("tempdir");
    write(
        &directory.path().join(".github/workflows/ci.yml"),
        LEAKING_WORKFLOW,
    );
    let output = dockerleak_in(directory.path())
        .args(["--no-config", "--format", "sarif", "."])
        .output()
        .expect("runs");
    let sarif: serde_json::Value = serde_json::from_slice(&output.stdout).expect("SARIF is JSON");
    let result = &sarif["runs"][0]["results"][0];
    assert_eq!(result["ruleId"], "DLK011");
    let location = &result["locations"][0]["physicalLocation"];
    assert!(location["artifactLocation"]["uri"]
        .as_str()
        .is_some_and(|uri| uri.ends_with(".github/workflows/ci.yml")));
    assert_eq!(location["region"]["startLine"], 6);
    let rules = sarif["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .expect("rules");
    assert!(rules.iter().any(|rule| rule["id"] == "DLK011"));
}

#[test]
fn the_walk_finds_definitions_by_their_conventional_names() {
    let directory = tempfile::tempdir().expect("tempdir");
    let root = directory.path();
    let leak = "docker build --build-arg NPM_TOKEN=$NPM_TOKEN .\n";
    write(&root.join("Dockerfile"), "FROM alpine\n");
    write(
        &root.join(".github/workflows/ci.yml"),
        &format!("on: push\njobs:\n  a:\n    steps:\n      - run: {leak}"),
    );
    write(
        &root.join("compose.yaml"),
        "services:\n  web:\n    build:\n      args:\n        - API_KEY=${API_KEY}\n",
    );
    write(&root.join("scripts/build.sh"), leak);
    write(&root.join("Makefile"), &format!("all:\n\t{leak}"));
    write(&root.join("notes.txt"), leak);
    write(
        &root.join("workflows/not-github.yml"),
        "on: push\njobs: {}\n",
    );
    let output = dockerleak_in(root)
        .args(["--no-config", "--format", "json"])
        .output()
        .expect("runs");
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).expect("json");
    let mut paths: Vec<String> = json["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|finding| finding["path"].as_str().unwrap_or("").to_string())
        .collect();
    paths.sort();
    assert_eq!(
        paths,
        [
            ".github/workflows/ci.yml",
            "Makefile",
            "compose.yaml",
            "scripts/build.sh"
        ]
    );
    assert_eq!(json["summary"]["files"], 5, "{json}");

    // Readers turned off in the configuration are not walked.
    write(
        &root.join(".dockerleak.toml"),
        "disabled-readers = [\"shell\", \"make\"]\n",
    );
    let output = dockerleak_in(root)
        .args(["--format", "json"])
        .output()
        .expect("runs");
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).expect("json");
    assert_eq!(json["summary"]["files"], 3, "{json}");
    assert_eq!(json["summary"]["findings"], 2, "{json}");
}

#[test]
fn a_named_file_is_recognised_by_content_or_by_kind() {
    let directory = tempfile::tempdir().expect("tempdir");
    let root = directory.path();
    write(&root.join("pipeline.txt"), "on: push\njobs:\n  a:\n    steps:\n      - run: docker build --build-arg NPM_TOKEN=$NPM_TOKEN .\n");
    write(
        &root.join("build-steps"),
        "docker build --build-arg NPM_TOKEN=$NPM_TOKEN .\n",
    );
    dockerleak_in(root)
        .args(["--no-config", "--format", "gnu", "pipeline.txt"])
        .assert()
        .code(1)
        .stdout(
            predicates::str::contains("pipeline.txt:5:").and(predicates::str::contains("DLK011")),
        );
    // Without a shebang the script is not recognised, so it is a Dockerfile
    // (and invalid as one); --kind says what it is.
    dockerleak_in(root)
        .args([
            "--no-config",
            "--format",
            "gnu",
            "--kind",
            "shell",
            "build-steps",
        ])
        .assert()
        .code(1)
        .stdout(predicates::str::contains(
            "build-steps:1:14: error: docker build passes build arg `NPM_TOKEN`",
        ));
    dockerleak_in(root)
        .args(["--no-config", "--kind", "cobol", "build-steps"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("unknown kind `cobol`"));
}

use predicates::prelude::PredicateBooleanExt;

#[test]
fn suppression_comments_and_configuration_work_for_definitions() {
    let directory = tempfile::tempdir().expect("tempdir");
    let root = directory.path();
    write(
        &root.join("build.sh"),
        "#!/bin/sh\n# dockerleak ignore=DLK011 read-only token, scoped to this build\ndocker build --build-arg NPM_TOKEN=$NPM_TOKEN .\ndocker build --build-arg GH_TOKEN=$GH_TOKEN .\n",
    );
    dockerleak_in(root)
        .args(["--no-config", "--format", "gnu", "build.sh"])
        .assert()
        .code(1)
        .stdout(
            predicates::str::contains("build.sh:4:")
                .and(predicates::str::contains("build.sh:3:").not()),
        );
    dockerleak_in(root)
        .args([
            "--no-config",
            "--format",
            "gnu",
            "--no-inline-ignores",
            "build.sh",
        ])
        .assert()
        .code(1)
        .stdout(predicates::str::contains("build.sh:3:"));
    dockerleak_in(root)
        .args(["--no-config", "--ignore", "DLK011", "build.sh"])
        .assert()
        .code(0);
    write(&root.join("global.sh"), "#!/bin/sh\n# dockerleak global ignore=secret-passed-as-build-arg\ndocker build --build-arg GH_TOKEN=$GH_TOKEN .\n");
    dockerleak_in(root)
        .args(["--no-config", "global.sh"])
        .assert()
        .code(0);
    write(&root.join("Jenkinsfile"), "node {\n  // dockerleak ignore=DLK011 test credentials only\n  sh \"docker build --build-arg GH_TOKEN=$GH_TOKEN .\"\n}\n");
    dockerleak_in(root)
        .args(["--no-config", "Jenkinsfile"])
        .assert()
        .code(0);
}

#[test]
fn the_baseline_accepts_definition_findings() {
    let directory = tempfile::tempdir().expect("tempdir");
    let root = directory.path();
    write(
        &root.join("build.sh"),
        "#!/bin/sh\ndocker build --build-arg NPM_TOKEN=$NPM_TOKEN .\n",
    );
    dockerleak_in(root)
        .args([
            "--no-config",
            "--write-baseline",
            "baseline.json",
            "build.sh",
        ])
        .assert()
        .code(0);
    dockerleak_in(root)
        .args(["--no-config", "--baseline", "baseline.json", "build.sh"])
        .assert()
        .code(0);
    // A line above does not change the fingerprint.
    write(
        &root.join("build.sh"),
        "#!/bin/sh\necho building\ndocker build --build-arg NPM_TOKEN=$NPM_TOKEN .\n",
    );
    dockerleak_in(root)
        .args(["--no-config", "--baseline", "baseline.json", "build.sh"])
        .assert()
        .code(0);
}

#[test]
fn an_unreadable_definition_is_one_error_naming_the_file() {
    let directory = tempfile::tempdir().expect("tempdir");
    let root = directory.path();
    write(&root.join("compose.yaml"), "services:\n  web: [build:\n");
    dockerleak_in(root)
        .args(["--no-config", "--format", "gnu", "compose.yaml"])
        .assert()
        .code(2)
        .stdout(
            predicates::str::contains("compose.yaml:")
                .and(predicates::str::contains("cannot read this compose file")),
        );
}

#[test]
fn dockerfiles_are_still_linted_as_dockerfiles() {
    dockerleak()
        .args(["--no-config", "--format", "gnu", "tests/fixtures/DLK003"])
        .assert()
        .code(1)
        .stdout(predicates::str::contains("DLK003").and(predicates::str::contains("DLK011").not()));
}

fn corpus_ci() -> Option<PathBuf> {
    let root = std::env::var_os("DOCKERLEAK_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus"));
    let folder = root.join("ci");
    folder.join("MANIFEST.tsv").is_file().then_some(folder)
}

/// The verdicts of docs/corpus-findings.md ("Build definitions"): every
/// file of the corpus with the build args DLK011 reports in it.
const EXPECTED: &[(&str, &[&str])] = &[
    (
        "bake/id44352085320.hcl",
        &["GITHUB_TOKEN", "HUGGINGFACE_ACCESS_TOKEN"],
    ),
    ("bake/id57994433390.hcl", &[]),
    ("bake/id62593029874.hcl", &[]),
    ("bake/id63050475259.hcl", &[]),
    ("bake/id7746937633.hcl", &["GITHUB_TOKEN"]),
    ("compose/id10c70069e83e.yaml", &[]),
    ("compose/id5f32c782ddc1.yaml", &["GH_TOKEN"]),
    (
        "compose/iddf16c04bb759.yaml",
        &[
            "DATABASE_URL",
            "BETTER_AUTH_SECRET",
            "GOOGLE_CLIENT_SECRET",
            "REDIS_TOKEN",
            "RESEND_API_KEY",
            "OPENAI_API_KEY",
            "GROQ_API_KEY",
            "GOOGLE_GENERATIVE_AI_API_KEY",
            "DATABASE_URL",
        ],
    ),
    ("compose/idef4431715c8e.yml", &[]),
    ("github/id1085f8f0cb40.yaml", &[]),
    ("github/id2f922cd00a4c.yaml", &["ACCESS_TOKEN_PWD"]),
    ("github/id7c59aa2eb68b.yaml", &["ACCESS_TOKEN_PWD"]),
    ("github/id7fc36e8b2781.yaml", &[]),
    (
        "github/id86de4d7833a7.yml",
        &["NEXTAUTH_SECRET", "CALENDSO_ENCRYPTION_KEY"],
    ),
    ("github/id9a89b6a755d0.yml", &[]),
    ("github/idac8f126931cf.yml", &[]),
    (
        "github/ide2bd8a539499.yml",
        &["SENTRY_AUTH_TOKEN", "SENTRY_ORG", "SENTRY_PROJECT"],
    ),
    (
        "github/ide4f0c1769207.yml",
        &[
            "DATABASE_URL",
            "DATABASE_DIRECT_URL",
            "DATABASE_URL",
            "DATABASE_DIRECT_URL",
        ],
    ),
    ("gitlab/id0e498df5aa83.gitlab-ci.yml", &[]),
    ("gitlab/id49594927131.yml", &[]),
    ("gitlab/id95acdfeb7d30.yml", &["ES_LOGS_TOKEN"]),
    ("gitlab/idb6417d044380.yml", &["ES_LOGS_TOKEN"]),
    ("gitlab/idcceadf959c60.yml", &[]),
    ("jenkins/id20096127473.Jenkinsfile", &[]),
    (
        "jenkins/id34234681533.Jenkinsfile",
        &["NPM_TOKEN", "GITHUB_NPM_TOKEN"],
    ),
    (
        "jenkins/id36154564538.Jenkinsfile",
        &["MYSQL_USER_NAME", "MYSQL_USER_PASSWORD"],
    ),
    (
        "jenkins/id37233449083.Jenkinsfile",
        &["NPM_TOKEN", "NPM_TOKEN"],
    ),
    ("jenkins/id66664331400.Jenkinsfile", &["NPM_TOKEN"]),
    (
        "script/id19082063042.sh",
        &["CI_JOB_TOKEN", "CI_REPOSITORY_URL"],
    ),
    ("script/id20694868907.Makefile", &["NPM_TOKEN"]),
    (
        "script/id24205886908.sh",
        &["CI_JOB_TOKEN", "ACCESS_REP_TOKEN"],
    ),
    ("script/id24888072258.sh", &["GITLAB_SSH_KEY"]),
    ("script/id2698891998.sh", &["NPM_TOKEN"]),
    ("script/id2716167665.Makefile", &[]),
    ("script/id31196904508.Makefile", &["GITHUB_API_TOKEN"]),
    (
        "script/id3199551596.justfile",
        &["GITHUB_TOKEN", "GITHUB_TOKEN"],
    ),
    ("script/id3835266421.Makefile", &["CI_JOB_TOKEN"]),
    ("script/id41538881873.sh", &["CI_JOB_TOKEN"]),
    ("script/id48008813411.sh", &[]),
    ("script/id68500667088.sh", &["CI_JOB_TOKEN", "CI_JOB_TOKEN"]),
    ("script/id69879097004.sh", &["GITLAB_TOKEN"]),
    ("script/id6ccfd8718dc0.Makefile", &[]),
    ("script/id8865918548.sh", &["SSH_PRIVATE_KEY"]),
    ("script/idca41912b3e23.Makefile", &["GITHUB_API_TOKEN"]),
];

#[test]
fn the_ci_corpus_reads_without_errors_and_gives_the_reviewed_findings_or_skips() {
    let Some(folder) = corpus_ci() else {
        eprintln!(
            "SKIPPED ci corpus: ../shared/corpus/ci not found (set DOCKERLEAK_CORPUS to run it)"
        );
        return;
    };
    let manifest = std::fs::read_to_string(folder.join("MANIFEST.tsv")).expect("manifest");
    let mut seen = 0;
    let mut problems = Vec::new();
    for line in manifest.lines().skip(1) {
        let mut fields = line.split('\t');
        let (Some(file), Some(kind)) = (fields.next(), fields.next()) else {
            continue;
        };
        let kind = Kind::parse(kind, file).unwrap_or_else(|| panic!("kind of {file}"));
        let text = std::fs::read_to_string(folder.join(file)).expect("corpus file");
        let report = lint_definition(file, file, &text, kind, &Config::default());
        seen += 1;
        if !report.errors.is_empty() {
            problems.push(format!("{file}: errors {:?}", report.errors));
        }
        let names: Vec<String> = report
            .findings
            .iter()
            .map(|finding| {
                let start = finding.span.start;
                let written = &text[start..finding.span.end];
                let name = written
                    .trim_start_matches("--build-arg")
                    .trim_start_matches(['=', ' ', '"'])
                    .split(['=', ' ', ':'])
                    .next()
                    .unwrap_or("")
                    .trim_matches('"');
                name.to_string()
            })
            .collect();
        let expected = EXPECTED
            .iter()
            .find(|(path, _)| *path == file)
            .map(|(_, names)| *names)
            .unwrap_or_else(|| panic!("{file} has no verdict in EXPECTED"));
        if names != expected {
            problems.push(format!("{file}: got {names:?}, reviewed {expected:?}"));
        }
        for finding in &report.findings {
            // The redacted literals of the corpus are never shown.
            for shown in [&finding.message, &finding.help] {
                assert!(!shown.contains("base64:"), "{shown}");
            }
        }
    }
    assert_eq!(seen, 44, "the manifest lists 44 files");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// Hostile and odd input: every reader returns a report (findings or one
/// error), never panics, and every span it gives is on character
/// boundaries of the text.
#[test]
fn odd_input_never_panics_in_any_reader() {
    let pieces = [
        "on: push\njobs:\n  é:\n    steps:\n      - run: \"docker build --build-arg A=é${{ secrets.ü }} .\"\n",
        "services:\n  web:\n    build:\n      args: {TOKEN: \"ü${TOKEN:-ß}\", 'é': x}\n",
        "target \"é\" {\n  args = { TOKEN = \"${TOKEN}é\" }\n  secret = [1, \"id=\"]\n}\n",
        "pipeline { sh \"docker build --build-arg T=${env.T\u{e9} \\\n é\" } 'unterminated\n\"\"\"docker build\n",
        "a:\n\tdocker build --build-arg T=$(T) $(\n\t\té\\\n",
        "b:\n    docker build --build-arg T={{ é }} {{\n",
        "docker build --build-arg 'T=$(echo é' \"--build-arg=\" --build-arg\n",
        "stages: [a]\njob:\n  script: [[[\"docker build --build-arg X=$CI_JOB_TOKEN\"]]]\n  variables: {V: {value: \"--build-arg A=$B\"}}\n",
        "{\"target\": {\"a\": {\"args\": {\"T\": 1, \"U\": null}, \"secret\": [\"id=x\", 2]}}}",
        "",
        "\u{feff}on: [push]\njobs: *a\n",
        "x: &a [*a]\n",
    ];
    for text in pieces {
        for kind in Kind::ALL {
            let report = lint_definition("f", "f", text, kind, &Config::default());
            for finding in &report.findings {
                for span in std::iter::once(finding.span).chain(finding.secrets.iter().copied()) {
                    assert!(
                        text.is_char_boundary(span.start)
                            && text.is_char_boundary(span.end)
                            && span.start <= span.end,
                        "{kind:?} {span:?} in {text:?}"
                    );
                }
            }
            assert!(report.errors.len() <= 1, "{kind:?}: {:?}", report.errors);
        }
    }
}

#[test]
fn disabled_readers_must_name_known_kinds() {
    let directory = tempfile::tempdir().expect("tempdir");
    write(
        &directory.path().join(".dockerleak.toml"),
        "disabled-readers = [\"gitlab\", \"cobol\"]\n",
    );
    dockerleak_in(directory.path())
        .arg(".")
        .assert()
        .code(2)
        .stderr(predicates::str::contains(
            "`disabled-readers[1]`: unknown build-definition",
        ));
}

#[test]
fn the_build_definition_pre_commit_hook_matches_the_names_the_walk_reads() {
    let hooks = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join(".pre-commit-hooks.yaml"),
    )
    .expect("read .pre-commit-hooks.yaml");
    let pattern = hooks
        .lines()
        .find_map(|line| line.trim().strip_prefix("files: &build-definition-names "))
        .expect("the build-definition hook has an anchored files: regex");
    let regex = fancy_regex::Regex::new(pattern.trim()).expect("a valid regex");
    for hook in [
        "dockerleak-build-definitions",
        "dockerleak-build-definitions-cargo",
    ] {
        assert!(hooks.contains(&format!("\n- id: {hook}\n")), "{hook}");
    }
    assert!(hooks.contains("files: *build-definition-names"));
    for path in [
        ".github/workflows/release.yml",
        "sub/.github/workflows/ci.yaml",
        "action.yml",
        "tools/action.yaml",
        ".gitlab-ci.yml",
        "ci/build.gitlab-ci.yml",
        "Jenkinsfile",
        "ci/Jenkinsfile.release",
        "release.jenkinsfile",
        "vars/buildImage.groovy",
        "compose.yaml",
        "docker-compose.prod.yml",
        "docker-bake.hcl",
        "docker-bake.override.json",
        "cloudbuild.yaml",
        "ci/cloudbuild-prod.yml",
        "cloudbuild.json",
        "scripts/build.sh",
        "build.bash",
        "Makefile",
        "GNUmakefile",
        "rules.mk",
        "justfile",
        ".justfile",
        "build.just",
        // Not build definitions.
        "Dockerfile",
        "README.md",
        "Jenkinsfile.md",
        "workflows/ci.yml",
        "src/Util.groovy",
        "config.yml",
        "compose.txt",
        "docker-bake.txt",
        "cloudbuild.md",
        "build.shx",
    ] {
        let walked = Kind::by_path(Path::new(path)).is_some();
        assert_eq!(
            regex.is_match(path).expect("the regex runs"),
            walked,
            "the hook's files: and the walk disagree on {path}"
        );
    }
}

#[test]
fn an_unknown_code_in_a_definition_directive_is_dlk000() {
    let text = "#!/bin/sh\n  # dockerleak ignore=DLK01 read-only token\ndocker build --build-arg NPM_TOKEN=$NPM_TOKEN .\n# dockerleak ignore DLK011\ndocker build .\n";
    let report = lint_definition("b.sh", "b.sh", text, Kind::Shell, &Config::default());
    let codes: Vec<(&str, usize, &str)> = report
        .findings
        .iter()
        .map(|f| {
            (
                f.code,
                report.position(f.span.start).line,
                f.span.slice(text),
            )
        })
        .collect();
    assert_eq!(
        codes,
        [
            ("DLK000", 2, "DLK01"),
            ("DLK011", 3, "--build-arg NPM_TOKEN=$NPM_TOKEN"),
            ("DLK000", 4, "# dockerleak ignore DLK011"),
        ],
        "{:#?}",
        report.findings
    );
    assert!(report.findings[0].help.contains("DLK011"), "did you mean");
    // `--no-inline-ignores` silences nothing, and still reports the typo.
    let config = Config {
        no_inline_ignores: true,
        ..Config::default()
    };
    let report = lint_definition("b.sh", "b.sh", text, Kind::Shell, &config);
    assert_eq!(
        report
            .findings
            .iter()
            .filter(|f| f.code == "DLK000")
            .count(),
        2
    );
    // Groovy's `//` comments too.
    let text = "node {\n  // dockerleak global ignore=DLK999\n  sh 'docker build .'\n}\n";
    let report = lint_definition(
        "Jenkinsfile",
        "Jenkinsfile",
        text,
        Kind::Jenkins,
        &Config::default(),
    );
    assert_eq!(report.findings.len(), 1, "{:#?}", report.findings);
    assert_eq!(report.findings[0].code, "DLK000");
    assert_eq!(report.findings[0].span.slice(text), "DLK999");
}

#[test]
fn definitions_and_the_dockerfiles_they_build_point_at_each_other() {
    let directory = tempfile::tempdir().expect("tempdir");
    let root = directory.path();
    std::fs::create_dir(root.join(".git")).expect("a repository root");
    write(
        &root.join(".github/workflows/ci.yml"),
        "on: push\njobs:\n  b:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: docker/build-push-action@v6\n        with:\n          context: web\n          build-args: |\n            NPM_TOKEN=${{ secrets.NPM_TOKEN }}\n          secrets: |\n            SENTRY=${{ secrets.SENTRY }}\n",
    );
    write(
        &root.join("web/Dockerfile"),
        "FROM node:22\nARG NPM_TOKEN\nRUN npm config set //registry.npmjs.org/:_authToken=$NPM_TOKEN && npm ci\nRUN --mount=type=secret,id=db,required=true ./migrate\n",
    );
    // Not built by the workflow: left alone.
    write(
        &root.join("other/Dockerfile"),
        "FROM alpine\nRUN --mount=type=secret,id=x cat /run/secrets/x\n",
    );
    let output = dockerleak_in(root)
        .args(["--no-config", "--format", "json", "."])
        .output()
        .expect("run");
    let document: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    let findings = document["findings"].as_array().expect("findings");
    let find = |code: &str, path: &str, says: &str| {
        findings
            .iter()
            .find(|f| {
                f["code"] == code
                    && f["path"].as_str().is_some_and(|p| p.ends_with(path))
                    && f["message"].as_str().is_some_and(|m| m.contains(says))
            })
            .unwrap_or_else(|| panic!("no {code} in {path} saying {says}: {findings:#?}"))
    };
    let dlk011 = find("DLK011", "ci.yml", "NPM_TOKEN");
    let label = &dlk011["labels"][0];
    assert!(
        label["path"].as_str().unwrap().ends_with("web/Dockerfile"),
        "{label}"
    );
    assert_eq!(label["line"], 2);
    assert!(label["message"].as_str().unwrap().contains("ARG NPM_TOKEN"));
    let dlk003 = find("DLK003", "web/Dockerfile", "passed from");
    assert!(
        dlk003["message"]
            .as_str()
            .unwrap()
            .contains(".github/workflows/ci.yml:10 as a secret"),
        "{dlk003}"
    );
    let unused = find("DLK011", "ci.yml", "provides secret `SENTRY`");
    assert_eq!(unused["severity"], "note");
    assert_eq!(unused["line"], 12);
    let missing = find("DLK011", "web/Dockerfile", "provides secret `db`");
    assert_eq!(missing["severity"], "note");
    assert!(missing["message"]
        .as_str()
        .unwrap()
        .contains("the build fails"));
    assert!(
        !findings
            .iter()
            .any(|f| f["code"] == "DLK011" && f["path"].as_str().unwrap().contains("other")),
        "a Dockerfile no definition builds gets no note"
    );
    // SARIF: the related location is in the Dockerfile.
    let output = dockerleak_in(root)
        .args(["--no-config", "--format", "sarif", "."])
        .output()
        .expect("run");
    let sarif: serde_json::Value = serde_json::from_slice(&output.stdout).expect("SARIF");
    let results = sarif["runs"][0]["results"].as_array().expect("results");
    let related = results
        .iter()
        .filter(|r| r["ruleId"] == "DLK011")
        .flat_map(|r| {
            r["relatedLocations"]
                .as_array()
                .cloned()
                .unwrap_or_default()
        })
        .map(|l| {
            l["physicalLocation"]["artifactLocation"]["uri"]
                .as_str()
                .unwrap_or("")
                .to_string()
        })
        .collect::<Vec<_>>();
    assert!(
        related.iter().any(|uri| uri == "web/Dockerfile"),
        "{related:?}"
    );
    // The pretty report names the other file.
    dockerleak_in(root)
        .args([
            "--no-config",
            "--color",
            "never",
            ".github/workflows/ci.yml",
            "web/Dockerfile",
        ])
        .assert()
        .code(1)
        .stdout(predicates::str::contains("related: web/Dockerfile:2:"));
}

#[test]
fn bake_set_args_are_build_args_and_set_secrets_are_secrets() {
    let text = "jobs:\n  b:\n    steps:\n      - uses: docker/bake-action@v6\n        with:\n          set: |\n            *.args.NPM_TOKEN=${{ secrets.NPM_TOKEN }}\n            app.secrets=id=GH,env=GH\n";
    let report = lint_definition(
        "w.yml",
        "w.yml",
        text,
        Kind::GithubActions,
        &Config::default(),
    );
    assert_eq!(report.findings.len(), 1, "{:#?}", report.findings);
    let finding = &report.findings[0];
    assert_eq!(
        finding.span.slice(text),
        "*.args.NPM_TOKEN=${{ secrets.NPM_TOKEN }}"
    );
    assert!(
        finding.message.contains("docker/bake-action"),
        "{}",
        finding.message
    );
    assert!(
        finding.help.contains("*.secrets=id=NPM_TOKEN"),
        "{}",
        finding.help
    );
    let definition =
        dockerleak::builddefs::read(Kind::GithubActions, "w.yml", text).expect("reads");
    assert_eq!(definition.invocations[0].secrets[0].id, "GH");
    let script = "docker buildx bake --set app.args.API_KEY=$API_KEY --set=*.args.V=1 --set '*.secrets=id=X,env=X' app\n";
    let definition = dockerleak::builddefs::read(Kind::Shell, "b.sh", script).expect("reads");
    let invocation = &definition.invocations[0];
    assert_eq!(invocation.tool, "docker buildx bake");
    let names: Vec<&str> = invocation
        .build_args
        .iter()
        .map(|a| a.name.as_str())
        .collect();
    assert_eq!(names, ["API_KEY", "V"]);
    assert_eq!(invocation.secrets[0].id, "X");
    let report = lint_definition("b.sh", "b.sh", script, Kind::Shell, &Config::default());
    assert_eq!(report.findings.len(), 1, "{:#?}", report.findings);
    assert_eq!(
        report.findings[0].span.slice(script),
        "--set app.args.API_KEY=$API_KEY"
    );
}

#[test]
fn local_files_a_gitlab_ci_includes_are_read_as_gitlab_ci() {
    let directory = tempfile::tempdir().expect("tempdir");
    let root = directory.path();
    write(
        &root.join(".gitlab-ci.yml"),
        "include:\n  - local: /ci/build.yml\n  - remote: https://example.com/ci.yml\n  - template: Auto-DevOps.gitlab-ci.yml\n  - 'ci/other.yml'\n  - local: 'ci/*.yaml'\nstages: [build]\n",
    );
    let job = |name: &str| {
        format!("{name}:\n  stage: build\n  script:\n    - docker build --build-arg CI_TOKEN=$CI_JOB_TOKEN .\n")
    };
    write(&root.join("ci/build.yml"), &job("build"));
    write(
        &root.join("ci/other.yml"),
        &format!("include: ci/deep.yml\n{}", job("other")),
    );
    write(&root.join("ci/deep.yml"), &job("deep"));
    // Named by nothing: not read.
    write(&root.join("ci/unused.yml"), &job("unused"));
    let output = dockerleak_in(root)
        .args(["--no-config", "--format", "gnu", "."])
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&output.stdout);
    for included in ["ci/build.yml:4:", "ci/other.yml:5:", "ci/deep.yml:4:"] {
        assert!(stdout.contains(included), "{included} in:\n{stdout}");
    }
    assert!(!stdout.contains("unused.yml"), "{stdout}");
    assert_eq!(
        stdout.matches("DLK011").count(),
        3,
        "each file once:\n{stdout}"
    );
}

/// The notes of the correlation ("provides secret … never mounted", "no
/// build … provides secret …") for a run over `root`, as (path, message).
fn correlation_notes(root: &std::path::Path, extra: &[&str]) -> Vec<(String, String)> {
    let output = dockerleak_in(root)
        .args(["--format", "json", "."])
        .args(extra)
        .output()
        .expect("run");
    let document: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    document["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["code"] == "DLK011" && f["severity"] == "note")
        .map(|f| {
            (
                f["path"]
                    .as_str()
                    .unwrap()
                    .trim_start_matches("./")
                    .to_string(),
                f["message"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn correlation_notes_are_silenced_by_inline_directives_and_config() {
    let directory = tempfile::tempdir().expect("tempdir");
    let root = directory.path();
    std::fs::create_dir(root.join(".git")).expect("a repository root");
    // Two secrets provided and never mounted, two mounts never provided:
    // one of each pair is silenced inline, the other is the control.
    write(
        &root.join("build.sh"),
        "#!/bin/sh\n# dockerleak ignore=DLK011 read by a later build of the same context\ndocker build --secret id=SENTRY,env=SENTRY -f web/Dockerfile web\ndocker build --secret id=STRIPE,env=STRIPE -f web/Dockerfile web\n",
    );
    write(
        &root.join(".github/workflows/ci.yml"),
        "on: push\njobs:\n  b:\n    runs-on: ubuntu-latest\n    steps:\n      # dockerleak ignore=DLK011 the Dockerfile of the next release reads it\n      - uses: docker/build-push-action@v6\n        with:\n          context: web\n          secrets: |\n            UNUSED=${{ secrets.UNUSED }}\n      - uses: docker/build-push-action@v6\n        with:\n          context: web\n          secrets: |\n            ALSO_UNUSED=${{ secrets.ALSO_UNUSED }}\n",
    );
    write(
        &root.join("web/Dockerfile"),
        "FROM alpine\n# dockerleak ignore=DLK011 provided by the deploy job, not in this repo\nRUN --mount=type=secret,id=db,required=true ./migrate\nRUN --mount=type=secret,id=cache ./warm\n",
    );
    let notes = correlation_notes(root, &["--no-config"]);
    let has = |path: &str, says: &str| notes.iter().any(|(p, m)| p == path && m.contains(says));
    assert!(has("build.sh", "provides secret `STRIPE`"), "{notes:#?}");
    assert!(!has("build.sh", "`SENTRY`"), "{notes:#?}");
    assert!(
        has(".github/workflows/ci.yml", "provides secret `ALSO_UNUSED`"),
        "{notes:#?}"
    );
    assert!(!has(".github/workflows/ci.yml", "`UNUSED`"), "{notes:#?}");
    assert!(
        has("web/Dockerfile", "provides secret `cache`"),
        "{notes:#?}"
    );
    assert!(!has("web/Dockerfile", "provides secret `db`"), "{notes:#?}");
    assert_eq!(notes.len(), 3, "{notes:#?}");
    // `--no-inline-ignores`: every note is back.
    assert_eq!(
        correlation_notes(root, &["--no-config", "--no-inline-ignores"]).len(),
        6
    );
    // Config: `ignore` in the Dockerfile's folder silences its notes only.
    write(
        &root.join("web/.dockerleak.toml"),
        "ignore = [\"DLK011\"]\n",
    );
    let notes = correlation_notes(root, &["--no-inline-ignores"]);
    assert!(
        notes.iter().all(|(path, _)| path != "web/Dockerfile"),
        "{notes:#?}"
    );
    assert_eq!(notes.len(), 4, "{notes:#?}");
    // …and at the root, all of them.
    write(&root.join(".dockerleak.toml"), "ignore = [\"DLK011\"]\n");
    assert_eq!(
        correlation_notes(root, &["--no-inline-ignores"]),
        Vec::new()
    );
}
