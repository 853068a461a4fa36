//! DLK011's compose and bake JSON fixes in the forms beyond plain block
//! style: compose `build.args` in flow style, `build.secrets` in long or
//! flow form, a top-level `secrets:` in flow form or with flow entries, and
//! bake JSON `args` → `secret`. Each fixed file re-parses (saphyr for
//! YAML, serde_json for JSON), re-lints without DLK011 and is stable under
//! a second fix run; anchors, aliases and comments in the way keep the fix
//! display-only.

mod common;

use common::definition_fixes::{check_compose, fixed};
use dockerleak::builddefs::lint::lint_definition;
use dockerleak::builddefs::yaml::parse;
use dockerleak::builddefs::Kind;
use dockerleak::fix::{fix_source, Applicability};
use dockerleak::Config;

#[test]
fn compose_flow_map_args_move_to_a_flow_secrets_list() {
    let text = "services:\n  web:\n    build:\n      context: .\n      args: {NPM_TOKEN: \"${NPM_TOKEN}\", VERSION: \"1\"}\n    image: web\n";
    let after = fixed("compose.yaml", Kind::Compose, text);
    assert_eq!(
        after,
        "services:\n  web:\n    build:\n      context: .\n      args: {VERSION: \"1\"}\n      secrets: [NPM_TOKEN]\n    image: web\nsecrets:\n  NPM_TOKEN:\n    environment: NPM_TOKEN\n"
    );
    check_compose(&after, "web", "NPM_TOKEN", "NPM_TOKEN", &[]);
    // The last entry of a flow mapping written over several lines.
    let text = "services:\n  web:\n    build:\n      args: {\n        VERSION: \"1\",\n        NPM_TOKEN: \"${NPM_TOKEN}\"\n      }\n";
    let after = fixed("compose.yaml", Kind::Compose, text);
    assert_eq!(
        after,
        "services:\n  web:\n    build:\n      args: {\n        VERSION: \"1\"\n      }\n      secrets: [NPM_TOKEN]\nsecrets:\n  NPM_TOKEN:\n    environment: NPM_TOKEN\n"
    );
    check_compose(&after, "web", "NPM_TOKEN", "NPM_TOKEN", &[]);
}

#[test]
fn compose_flow_list_args_join_flow_secrets() {
    // The only arg (so `args` goes), `build.secrets` and the top-level
    // `secrets` in flow style.
    let text = "services:\n  api:\n    build:\n      context: api\n      args: [GH_TOKEN=$GITHUB_TOKEN]\n      secrets: [npm]\nsecrets: {npm: {file: ./.npmrc}}\n";
    let after = fixed("compose.yaml", Kind::Compose, text);
    assert_eq!(
        after,
        "services:\n  api:\n    build:\n      context: api\n      secrets: [npm, GH_TOKEN]\nsecrets: {npm: {file: ./.npmrc}, GH_TOKEN: {environment: GITHUB_TOKEN}}\n"
    );
    check_compose(&after, "api", "GH_TOKEN", "GITHUB_TOKEN", &["npm"]);
    // An empty flow list gets the id.
    let text = "services:\n  api:\n    build:\n      args:\n        - \"API_KEY=${API_KEY}\"\n        - MODE=prod\n      secrets: []\n";
    let after = fixed("compose.yaml", Kind::Compose, text);
    assert_eq!(
        after,
        "services:\n  api:\n    build:\n      args:\n        - MODE=prod\n      secrets: [API_KEY]\nsecrets:\n  API_KEY:\n    environment: API_KEY\n"
    );
    check_compose(&after, "api", "API_KEY", "API_KEY", &[]);
}

#[test]
fn compose_long_form_secrets_get_a_short_item_with_crlf() {
    let text = "services:\r\n  web:\r\n    build:\r\n      context: .\r\n      args:\r\n        NPM_TOKEN: ${NPM_TOKEN}\r\n        VERSION: \"2\"\r\n      secrets:\r\n        - source: npm\r\n          target: /root/.npmrc\r\nsecrets:\r\n  npm: {file: ./.npmrc}\r\n";
    let after = fixed("compose.yaml", Kind::Compose, text);
    assert_eq!(
        after,
        "services:\r\n  web:\r\n    build:\r\n      context: .\r\n      args:\r\n        VERSION: \"2\"\r\n      secrets:\r\n        - source: npm\r\n          target: /root/.npmrc\r\n        - NPM_TOKEN\r\nsecrets:\r\n  npm: {file: ./.npmrc}\r\n  NPM_TOKEN:\r\n    environment: NPM_TOKEN\r\n"
    );
    check_compose(&after, "web", "NPM_TOKEN", "NPM_TOKEN", &["npm"]);
}

#[test]
fn anchors_aliases_and_comments_in_the_way_stay_display_only() {
    for text in [
        // An anchor on the flow args, a comment after them, an alias in them.
        "services:\n  web:\n    build:\n      args: &args {NPM_TOKEN: \"${NPM_TOKEN}\"}\n",
        "services:\n  web:\n    build:\n      args: {NPM_TOKEN: \"${NPM_TOKEN}\"} # CI\n",
        "x-token: &token \"${NPM_TOKEN}\"\nservices:\n  web:\n    build:\n      args: {NPM_TOKEN: *token, V: \"1\"}\n",
        // A comment in the long-form secrets, an alias in flow secrets.
        "services:\n  web:\n    build:\n      args: {NPM_TOKEN: \"${NPM_TOKEN}\"}\n      secrets:\n        # the npmrc\n        - source: npm\n",
        "x-s: &s npm\nservices:\n  web:\n    build:\n      args: [NPM_TOKEN]\n      secrets: [*s]\n",
        // `build` or its `args` through an alias or a merge key: an edit
        // would change the anchor, for every service that uses it.
        "x-build: &build\n  context: .\n  args:\n    NPM_TOKEN: ${NPM_TOKEN}\nservices:\n  web:\n    build: *build\n",
        "x-build: &build\n  context: .\n  args: {NPM_TOKEN: \"${NPM_TOKEN}\"}\nservices:\n  web:\n    build: *build\n",
        "x-args: &args\n  NPM_TOKEN: ${NPM_TOKEN}\nservices:\n  web:\n    build:\n      context: .\n      args: *args\n",
        "x-b: &b\n  args:\n    NPM_TOKEN: ${NPM_TOKEN}\nservices:\n  web:\n    build:\n      <<: *b\n      context: .\n",
        "services:\n  web:\n    build: &web\n      args:\n        NPM_TOKEN: ${NPM_TOKEN}\n  worker:\n    build: *web\n",
        // A default, and `NPM_TOKEN` declared from a file.
        "services:\n  web:\n    build:\n      args: {NPM_TOKEN: \"${NPM_TOKEN:-x}\"}\n",
        "services:\n  web:\n    build:\n      args: [NPM_TOKEN]\nsecrets: {NPM_TOKEN: {file: ./token}}\n",
    ] {
        let report = lint_definition(
            "compose.yaml",
            "compose.yaml",
            text,
            Kind::Compose,
            &Config::default(),
        );
        let finding = report
            .findings
            .iter()
            .find(|f| f.code == "DLK011")
            .unwrap_or_else(|| panic!("DLK011 expected: {text}"));
        let fix = finding.fix.as_ref().expect("a fix");
        assert_eq!(fix.applicability, Applicability::DisplayOnly, "{text}");
        assert!(fix.message.contains("build.secrets"), "{}", fix.message);
        assert!(!fix_source("compose.yaml", "compose.yaml", text, &Config::default(), true).changed());
    }
}

/// The secret ids and arg names of target `target` of bake JSON `text`,
/// read with serde_json.
fn bake_json(text: &str, target: &str) -> (Vec<String>, Vec<String>) {
    let value: serde_json::Value =
        serde_json::from_str(text).unwrap_or_else(|error| panic!("{error}\n{text}"));
    let target = &value["target"][target];
    let secrets = target["secret"]
        .as_array()
        .map(|items| {
            items
                .iter()
                .map(|item| item.as_str().expect("a string").to_string())
                .collect()
        })
        .unwrap_or_default();
    let args = target["args"]
        .as_object()
        .map(|args| args.keys().cloned().collect())
        .unwrap_or_default();
    (secrets, args)
}

#[test]
fn bake_json_args_move_to_secret() {
    // Pretty-printed: the new member is written with the file's separator.
    let text = "{\n  \"target\": {\n    \"app\": {\n      \"context\": \".\",\n      \"args\": {\n        \"VERSION\": \"1.0\",\n        \"NPM_TOKEN\": \"${NPM_TOKEN}\"\n      },\n      \"tags\": [\"app\"]\n    }\n  }\n}\n";
    let after = fixed("docker-bake.json", Kind::Bake, text);
    assert_eq!(
        after,
        "{\n  \"target\": {\n    \"app\": {\n      \"context\": \".\",\n      \"args\": {\n        \"VERSION\": \"1.0\"\n      },\n      \"secret\": [\"id=NPM_TOKEN,env=NPM_TOKEN\"],\n      \"tags\": [\"app\"]\n    }\n  }\n}\n"
    );
    assert_eq!(
        bake_json(&after, "app"),
        (
            vec!["id=NPM_TOKEN,env=NPM_TOKEN".to_string()],
            vec!["VERSION".to_string()]
        )
    );
    // The only arg, with an existing `secret`: `args` goes.
    let text = "{\"target\": {\"app\": {\"args\": {\"GH_TOKEN\": \"${GITHUB_TOKEN}\"}, \"secret\": [\"id=npm,src=.npmrc\"]}}}";
    let after = fixed("docker-bake.json", Kind::Bake, text);
    assert_eq!(
        after,
        "{\"target\": {\"app\": {\"secret\": [\"id=npm,src=.npmrc\", \"id=GH_TOKEN,env=GITHUB_TOKEN\"]}}}"
    );
    assert_eq!(bake_json(&after, "app").0.len(), 2);
    // The only arg, no `secret`: `args` becomes it; a variable without a
    // default of its own is the environment's.
    let text = "{\"variable\": {\"NPM_TOKEN\": {\"default\": \"\"}}, \"target\": {\"app\": {\"args\": {\"NPM_TOKEN\": \"${NPM_TOKEN}\"}}}}\n";
    let after = fixed("docker-bake.json", Kind::Bake, text);
    assert_eq!(
        after,
        "{\"variable\": {\"NPM_TOKEN\": {\"default\": \"\"}}, \"target\": {\"app\": {\"secret\": [\"id=NPM_TOKEN,env=NPM_TOKEN\"]}}}\n"
    );
    assert_eq!(
        bake_json(&after, "app"),
        (vec!["id=NPM_TOKEN,env=NPM_TOKEN".to_string()], Vec::new())
    );
}

#[test]
fn bake_json_with_a_defaulted_variable_stays_display_only() {
    for text in [
        "{\"variable\": {\"NPM_TOKEN\": {\"default\": \"abc\"}}, \"target\": {\"app\": {\"args\": {\"NPM_TOKEN\": \"${NPM_TOKEN}\"}}}}\n",
        // More than one variable in the value.
        "{\"target\": {\"app\": {\"args\": {\"NPM_TOKEN\": \"${A}${NPM_TOKEN}\"}}}}\n",
    ] {
        let report = lint_definition(
            "docker-bake.json",
            "docker-bake.json",
            text,
            Kind::Bake,
            &Config::default(),
        );
        let finding = report
            .findings
            .iter()
            .find(|f| f.code == "DLK011")
            .unwrap_or_else(|| panic!("DLK011 expected: {text}"));
        let fix = finding.fix.as_ref().expect("a fix");
        assert_eq!(fix.applicability, Applicability::DisplayOnly, "{text}");
        assert!(!fix_source("docker-bake.json", "docker-bake.json", text, &Config::default(), true).changed());
    }
}

#[test]
fn cut_and_spliced_inputs_never_panic_and_applied_fixes_keep_the_file_valid() {
    // Every prefix of each shape, and each with one byte replaced by a
    // character that matters to the scanners: whatever is applied leaves
    // a file that still parses.
    let shapes: [(&str, Kind, &str); 4] = [
        ("compose.yaml", Kind::Compose, "services:\n  web:\n    build:\n      args: {NPM_TOKEN: \"${NPM_TOKEN}\", V: \"1\"}\n      secrets: [npm, {source: b, target: c}]\nsecrets: {npm: {file: ./n}}\n"),
        ("compose.yaml", Kind::Compose, "services:\n  api:\n    build:\n      args: [GH_TOKEN=$GH_TOKEN, 'A=b']\n      secrets:\n        - source: npm\n          target: /r\nsecrets:\n  npm: {file: x}\n"),
        ("docker-bake.json", Kind::Bake, "{\"target\": {\"app\": {\"args\": {\"V\": \"1\", \"NPM_TOKEN\": \"${NPM_TOKEN}\"}, \"secret\": [\"id=a\"]}}}\n"),
        ("docker-bake.json", Kind::Bake, "{\n  \"target\": {\n    \"app\": {\n      \"args\": {\"NPM_TOKEN\": \"${NPM_TOKEN}\"}\n    }\n  }\n}\n"),
    ];
    let config = Config::default();
    for (path, kind, text) in shapes {
        let mut variants: Vec<String> = (0..=text.len())
            .map(|end| text[..end].to_string())
            .collect();
        for at in 0..text.len() {
            for replacement in ["{", "}", ",", "\"", "#", "*", "\n", "é"] {
                variants.push(format!("{}{replacement}{}", &text[..at], &text[at + 1..]));
            }
        }
        let mut applied = 0;
        for variant in variants {
            let outcome = fix_source(path, path, &variant, &config, true);
            if !outcome.changed() {
                continue;
            }
            applied += 1;
            if kind == Kind::Bake {
                assert!(
                    serde_json::from_str::<serde_json::Value>(&outcome.text).is_ok(),
                    "invalid JSON from:\n{variant}\n->\n{}",
                    outcome.text
                );
            } else {
                assert!(
                    parse(&outcome.text).is_ok(),
                    "invalid YAML from:\n{variant}\n->\n{}",
                    outcome.text
                );
            }
        }
        // (Not vacuous: the shape itself and many variants are fixed.)
        assert!(applied > text.len(), "{path}: only {applied} fixed");
    }
}
