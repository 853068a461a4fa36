//! DLK011's fixes on the build definition's side (issue 15, point 5):
//! `--build-arg NAME=$VAR` → `--secret id=NAME,env=VAR` wherever shell is
//! read, `docker/build-push-action` `build-args:` → `secrets:`, and
//! display-only fixes where the rewrite is not mechanical. Each case is
//! fixed with `fix_source` (unsafe allowed), re-linted clean, fixed again
//! to the same text, and left alone without `--unsafe-fixes`.

mod common;

use common::definition_fixes::{check_compose, fixed};
use common::{dockerleak_in, write};
use dockerleak::builddefs::lint::lint_definition;
use dockerleak::builddefs::Kind;
use dockerleak::fix::{fix_source, Applicability};
use dockerleak::Config;

/// The one fix of the only DLK011 finding of `text`.
fn only_fix(path: &str, kind: Kind, text: &str) -> dockerleak::fix::Fix {
    let report = lint_definition(path, path, text, kind, &Config::default());
    let found: Vec<_> = report
        .findings
        .iter()
        .filter(|f| f.code == "DLK011")
        .collect();
    assert_eq!(found.len(), 1, "{:#?}", report.findings);
    *found[0].fix.clone().expect("a fix")
}

#[test]
fn build_args_from_one_variable_become_secrets_in_scripts() {
    let text = "#!/bin/sh\nset -e\ndocker build --build-arg NPM_TOKEN=$NPM_TOKEN --build-arg VERSION=1.2 -t app .\ndocker buildx build \\\n  --build-arg \"GH_TOKEN=${GITHUB_TOKEN}\" \\\n  --build-arg=API_KEY=$API_KEY .\nsudo podman build --build-arg DEPLOY_TOKEN .\n";
    assert_eq!(
        fixed("build.sh", Kind::Shell, text),
        "#!/bin/sh\nset -e\ndocker build --secret id=NPM_TOKEN,env=NPM_TOKEN --build-arg VERSION=1.2 -t app .\ndocker buildx build \\\n  --secret id=GH_TOKEN,env=GITHUB_TOKEN \\\n  --secret id=API_KEY,env=API_KEY .\nsudo podman build --secret id=DEPLOY_TOKEN,env=DEPLOY_TOKEN .\n"
    );
}

#[test]
fn ci_scripts_get_the_same_rewrite() {
    let gitlab = "build:\n  script:\n    - docker build --build-arg CI_TOKEN=$CI_JOB_TOKEN -t $CI_REGISTRY_IMAGE .\n";
    assert_eq!(
        fixed(".gitlab-ci.yml", Kind::GitlabCi, gitlab),
        "build:\n  script:\n    - docker build --secret id=CI_TOKEN,env=CI_JOB_TOKEN -t $CI_REGISTRY_IMAGE .\n"
    );
    let workflow = "on: push\njobs:\n  b:\n    runs-on: ubuntu-latest\n    env:\n      NPM_TOKEN: ${{ secrets.NPM_TOKEN }}\n    steps:\n      - run: |\n          docker build --build-arg NPM_TOKEN=$NPM_TOKEN .\r\n";
    assert_eq!(
        fixed("ci.yml", Kind::GithubActions, workflow),
        "on: push\njobs:\n  b:\n    runs-on: ubuntu-latest\n    env:\n      NPM_TOKEN: ${{ secrets.NPM_TOKEN }}\n    steps:\n      - run: |\n          docker build --secret id=NPM_TOKEN,env=NPM_TOKEN .\r\n"
    );
    let jenkins = "pipeline {\n  agent any\n  stages {\n    stage('b') {\n      steps {\n        withCredentials([string(credentialsId: 'npm', variable: 'NPM_TOKEN')]) {\n          sh 'docker build --build-arg NPM_TOKEN=$NPM_TOKEN .'\n        }\n      }\n    }\n  }\n}\n";
    let fixed_jenkins = fixed("Jenkinsfile", Kind::Jenkins, jenkins);
    assert!(
        fixed_jenkins.contains("sh 'docker build --secret id=NPM_TOKEN,env=NPM_TOKEN .'"),
        "{fixed_jenkins}"
    );
}

#[test]
fn build_push_action_build_args_move_to_secrets() {
    // Another build arg stays; `secrets:` is created after `build-args:`.
    let text = "on: push\njobs:\n  b:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: docker/build-push-action@v6\n        with:\n          context: .\n          build-args: |\n            VERSION=${{ github.sha }}\n            NPM_TOKEN=${{ secrets.NPM_TOKEN }}\n          push: true\n";
    assert_eq!(
        fixed(".github/workflows/ci.yml", Kind::GithubActions, text),
        "on: push\njobs:\n  b:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: docker/build-push-action@v6\n        with:\n          context: .\n          build-args: |\n            VERSION=${{ github.sha }}\n          secrets: |\n            NPM_TOKEN=${{ secrets.NPM_TOKEN }}\n          push: true\n"
    );
    // Two secret args take two passes: the first makes `secrets:`, the
    // second joins it, and `build-args:`, empty, goes.
    let text = "jobs:\n  b:\n    steps:\n      - uses: docker/build-push-action@v6\n        with:\n          build-args: |\n            GH_TOKEN=${{ secrets.GH_TOKEN }}\n            NPM_TOKEN=${{ secrets.NPM_TOKEN }}\n          tags: app\n";
    assert_eq!(
        fixed(".github/workflows/ci.yml", Kind::GithubActions, text),
        "jobs:\n  b:\n    steps:\n      - uses: docker/build-push-action@v6\n        with:\n          secrets: |\n            GH_TOKEN=${{ secrets.GH_TOKEN }}\n            NPM_TOKEN=${{ secrets.NPM_TOKEN }}\n          tags: app\n"
    );
    // An existing `secrets: |` block gets the line; CRLF is kept.
    let text = "jobs:\r\n  b:\r\n    steps:\r\n      - uses: docker/build-push-action@v6\r\n        with:\r\n          secrets: |\r\n            A=${{ secrets.A }}\r\n          build-args: |\r\n            SENTRY_AUTH_TOKEN=${{ secrets.SENTRY }}\r\n            MODE=prod\r\n";
    assert_eq!(
        fixed(".github/workflows/ci.yml", Kind::GithubActions, text),
        "jobs:\r\n  b:\r\n    steps:\r\n      - uses: docker/build-push-action@v6\r\n        with:\r\n          secrets: |\r\n            A=${{ secrets.A }}\r\n            SENTRY_AUTH_TOKEN=${{ secrets.SENTRY }}\r\n          build-args: |\r\n            MODE=prod\r\n"
    );
}

#[test]
fn what_is_not_mechanical_is_display_only() {
    let display = |path: &str, kind: Kind, text: &str, says: &str| {
        let fix = only_fix(path, kind, text);
        assert_eq!(fix.applicability, Applicability::DisplayOnly, "{text}");
        assert!(fix.edits.is_empty());
        assert!(fix.message.contains(says), "{}", fix.message);
        assert!(!fix_source(path, path, text, &Config::default(), true).changed());
    };
    // Two things in one value, an expression in `run:`, make's `$(X)`,
    // kaniko (no build secrets), a one-line `build-args:`, compose, bake.
    display(
        "a.sh",
        Kind::Shell,
        "docker build --build-arg NPM_TOKEN=x$NPM_TOKEN .\n",
        "--secret id=NPM_TOKEN",
    );
    display(
        "ci.yml",
        Kind::GithubActions,
        "on: push\njobs:\n  b:\n    steps:\n      - run: docker build --build-arg T=${{ secrets.T }} .\n",
        "--secret id=T",
    );
    display(
        "Makefile",
        Kind::Make,
        "build:\n\tdocker build --build-arg NPM_TOKEN=$(NPM_TOKEN) .\n",
        "--secret",
    );
    display(
        "k.sh",
        Kind::Shell,
        "/kaniko/executor --build-arg NPM_TOKEN=$NPM_TOKEN --context .\n",
        "build secret",
    );
    display(
        "ci.yml",
        Kind::GithubActions,
        "jobs:\n  b:\n    steps:\n      - uses: docker/build-push-action@v6\n        with:\n          build-args: NPM_TOKEN=${{ secrets.NPM_TOKEN }}\n",
        "`secrets:`",
    );
    // Compose and bake shapes this does not rewrite: an anchor, a
    // comment on the line, a value that is more than a variable, a bake
    // variable with its own default.
    for compose in [
        "services:\n  web:\n    build:\n      context: .\n      args: &args\n        NPM_TOKEN: ${NPM_TOKEN}\n",
        "services:\n  web:\n    build:\n      context: .\n      args:\n        NPM_TOKEN: ${NPM_TOKEN} # from CI\n",
        "services:\n  web:\n    build:\n      context: .\n      args:\n        NPM_TOKEN: ${NPM_TOKEN:-x}\n",
        "services:\n  web:\n    build:\n      context: .\n      args:\n        NPM_TOKEN: ${NPM_TOKEN}\n# VERSION: 1\n        HOME_DIR: /app\n",
    ] {
        display("compose.yaml", Kind::Compose, compose, "build.secrets");
    }
    for bake in [
        "target \"app\" {\n  args = { NPM_TOKEN = \"${NPM_TOKEN}\" }\n}\n",
        "target \"app\" {\n  args = {\n    NPM_TOKEN = \"${NPM_TOKEN}\" // CI\n  }\n}\n",
        "target \"app\" {\n  args = {\n    # from CI\n    NPM_TOKEN = \"${NPM_TOKEN}\"\n  }\n}\n",
        "variable \"NPM_TOKEN\" {\n  default = \"abc\"\n}\ntarget \"app\" {\n  args = {\n    NPM_TOKEN = \"${NPM_TOKEN}\"\n  }\n}\n",
    ] {
        display(
            "docker-bake.hcl",
            Kind::Bake,
            bake,
            "type=env,id=NPM_TOKEN,env=NPM_TOKEN",
        );
    }
    // (Flow style, existing `build.secrets` in other forms and bake JSON:
    // tests/build_definition_fix_forms.rs.)
}

#[test]
fn compose_build_args_move_to_build_secrets_in_map_form() {
    let text = "services:\n  web:\n    build:\n      context: ./web\n      args:\n        VERSION: \"1.2\"\n        NPM_TOKEN: ${NPM_TOKEN}\n      dockerfile: Dockerfile\n    ports:\n      - \"80:80\"\n";
    let after = fixed("compose.yaml", Kind::Compose, text);
    assert_eq!(
        after,
        "services:\n  web:\n    build:\n      context: ./web\n      args:\n        VERSION: \"1.2\"\n      secrets:\n        - NPM_TOKEN\n      dockerfile: Dockerfile\n    ports:\n      - \"80:80\"\nsecrets:\n  NPM_TOKEN:\n    environment: NPM_TOKEN\n"
    );
    check_compose(&after, "web", "NPM_TOKEN", "NPM_TOKEN", &[]);
}

#[test]
fn compose_build_args_move_to_build_secrets_in_list_form_with_crlf() {
    // Four-space indentation, CRLF line ends, the only arg (so `args:`
    // goes), a variable of another name.
    let text = "services:\r\n    api:\r\n        build:\r\n            context: .\r\n            args:\r\n                - GH_TOKEN=${GITHUB_TOKEN}\r\n";
    let after = fixed("compose.yaml", Kind::Compose, text);
    assert_eq!(
        after,
        "services:\r\n    api:\r\n        build:\r\n            context: .\r\n            secrets:\r\n                - GH_TOKEN\r\nsecrets:\r\n    GH_TOKEN:\r\n        environment: GITHUB_TOKEN\r\n"
    );
    check_compose(&after, "api", "GH_TOKEN", "GITHUB_TOKEN", &[]);
}

#[test]
fn compose_appends_to_existing_secrets_keys() {
    // `build.secrets` and the top-level `secrets:` exist: both get an
    // entry; two args of two services end up in one `secrets:` map.
    let text = "services:\n  web:\n    build:\n      context: .\n      args:\n        - NPM_TOKEN=$NPM_TOKEN\n        - VERSION=1\n      secrets:\n        - npm_rc\n  worker:\n    build:\n      context: worker\n      args:\n        API_KEY:\nsecrets:\n  npm_rc:\n    file: ./.npmrc\n";
    let after = fixed("compose.yaml", Kind::Compose, text);
    assert_eq!(
        after,
        "services:\n  web:\n    build:\n      context: .\n      args:\n        - VERSION=1\n      secrets:\n        - npm_rc\n        - NPM_TOKEN\n  worker:\n    build:\n      context: worker\n      secrets:\n        - API_KEY\nsecrets:\n  npm_rc:\n    file: ./.npmrc\n  NPM_TOKEN:\n    environment: NPM_TOKEN\n  API_KEY:\n    environment: API_KEY\n"
    );
    check_compose(&after, "web", "NPM_TOKEN", "NPM_TOKEN", &[]);
    check_compose(&after, "worker", "API_KEY", "API_KEY", &[]);
}

#[test]
fn bake_args_move_to_secret() {
    use dockerleak::builddefs::bake::read_hcl;
    // A new `secret` list after `args`, and an existing one appended to.
    let text = "variable \"NPM_TOKEN\" {\n  default = \"\"\n}\ntarget \"app\" {\n  context = \".\"\n  args = {\n    VERSION = \"1.0\"\n    NPM_TOKEN = \"${NPM_TOKEN}\"\n  }\n}\ntarget \"worker\" {\n  args = {\n    GH_TOKEN = \"${GITHUB_TOKEN}\"\n  }\n  secret = [\"id=npm,src=.npmrc\"]\n}\n";
    let after = fixed("docker-bake.hcl", Kind::Bake, text);
    assert_eq!(
        after,
        "variable \"NPM_TOKEN\" {\n  default = \"\"\n}\ntarget \"app\" {\n  context = \".\"\n  args = {\n    VERSION = \"1.0\"\n  }\n  secret = [\"id=NPM_TOKEN,env=NPM_TOKEN\"]\n}\ntarget \"worker\" {\n  secret = [\"id=npm,src=.npmrc\", \"id=GH_TOKEN,env=GITHUB_TOKEN\"]\n}\n"
    );
    let definition = read_hcl(&after).expect("the fixed file reads");
    let ids: Vec<Vec<&str>> = definition
        .invocations
        .iter()
        .map(|target| target.secrets.iter().map(|s| s.id.as_str()).collect())
        .collect();
    assert_eq!(ids, vec![vec!["NPM_TOKEN"], vec!["npm", "GH_TOKEN"]]);
    assert_eq!(definition.invocations[0].build_args.len(), 1);
    assert!(definition.invocations[1].build_args.is_empty());
}

#[test]
fn a_literal_secret_is_never_moved() {
    let token = "ghp_R8x2Lq9ZtW4vYk7Jm3Nc5Pb1Hd6Gf0Sa2Ue8";
    let text = format!("jobs:\n  b:\n    steps:\n      - uses: docker/build-push-action@v6\n        with:\n          build-args: |\n            GH_TOKEN={token}\n");
    let report = lint_definition(
        "ci.yml",
        "ci.yml",
        &text,
        Kind::GithubActions,
        &Config::default(),
    );
    let finding = report
        .findings
        .iter()
        .find(|f| f.code == "DLK011")
        .expect("DLK011");
    // Only shown: nothing to apply, and the token is not in its message.
    let fix = finding.fix.as_ref().expect("a display-only fix");
    assert_eq!(fix.applicability, Applicability::DisplayOnly);
    assert!(fix.edits.is_empty());
    assert!(!fix.message.contains(token), "{}", fix.message);
    assert!(!fix_source("ci.yml", "ci.yml", &text, &Config::default(), true).changed());
}

#[test]
fn the_cli_fixes_and_diffs_a_script() {
    let directory = tempfile::tempdir().expect("tempdir");
    let root = directory.path();
    let script = "#!/bin/sh\ndocker build --build-arg NPM_TOKEN=$NPM_TOKEN .\n";
    write(&root.join("build.sh"), script);
    let output = dockerleak_in(root)
        .args(["--no-config", "--diff", "--unsafe-fixes", "build.sh"])
        .output()
        .expect("run");
    let diff = String::from_utf8_lossy(&output.stdout);
    assert!(
        diff.contains("+docker build --secret id=NPM_TOKEN,env=NPM_TOKEN ."),
        "{diff}"
    );
    assert_eq!(
        std::fs::read_to_string(root.join("build.sh")).unwrap(),
        script
    );
    dockerleak_in(root)
        .args(["--no-config", "--fix", "--unsafe-fixes", "build.sh"])
        .assert()
        .code(0);
    assert_eq!(
        std::fs::read_to_string(root.join("build.sh")).unwrap(),
        "#!/bin/sh\ndocker build --secret id=NPM_TOKEN,env=NPM_TOKEN .\n"
    );
}
