//! What every DLK011 fix of a build definition must do, and what a fixed
//! compose file must hold, for the tests of those fixes
//! (`build_definition_fixes.rs`, `build_definition_fix_forms.rs`).

use dockerleak::builddefs::lint::lint_definition;
use dockerleak::builddefs::yaml::{parse, Node};
use dockerleak::builddefs::Kind;
use dockerleak::fix::{fix_source, Applicability};
use dockerleak::Config;

/// Fixes `text` (named `path`, read as `kind`) with unsafe fixes and
/// returns the fixed text, checking what every fix must do: DLK011 is
/// reported, every finding has an unsafe fix, nothing applies without
/// `--unsafe-fixes`, the fixed file reads and re-lints without DLK011, a
/// second run changes nothing, and each applied fix says what the
/// Dockerfile must do, with no other build command to note (the
/// definition is the build command).
pub fn fixed(path: &str, kind: Kind, text: &str) -> String {
    let config = Config::default();
    let before = lint_definition(path, path, text, kind, &config);
    assert!(
        before.findings.iter().any(|f| f.code == "DLK011"),
        "{path}: DLK011 expected before"
    );
    for finding in &before.findings {
        let fix = finding.fix.as_ref().expect("every DLK011 has a fix");
        assert_eq!(fix.applicability, Applicability::Unsafe, "{}", fix.message);
    }
    let safe_only = fix_source(path, path, text, &config, false);
    assert!(
        !safe_only.changed(),
        "{path}: nothing applies without --unsafe-fixes"
    );
    let outcome = fix_source(path, path, text, &config, true);
    assert!(outcome.changed(), "{path}: the fix applies");
    let after = lint_definition(path, path, &outcome.text, kind, &config);
    assert!(
        after.errors.is_empty(),
        "{path}: {:?}\n{}",
        after.errors,
        outcome.text
    );
    assert!(
        after.findings.iter().all(|f| f.code != "DLK011"),
        "{path}: still {:#?}\n{}",
        after.findings,
        outcome.text
    );
    let again = fix_source(path, path, &outcome.text, &config, true);
    assert!(!again.changed(), "{path}: a second run changes nothing");
    for applied in &outcome.applied {
        assert!(
            applied.message.contains("--mount=type=secret,id="),
            "{}",
            applied.message
        );
        assert!(applied.build_note.is_none());
    }
    outcome.text
}

/// A YAML parse of a fixed compose file: `services.SERVICE.build` has no
/// arg `name`, lists the secret, and the top level declares it from
/// `variable`; `keep` are other top-level secrets that must still be there.
pub fn check_compose(text: &str, service: &str, name: &str, variable: &str, keep: &[&str]) {
    let documents = parse(text).unwrap_or_else(|error| panic!("{error:?}\n{text}"));
    let document = &documents[0];
    let build = document
        .get("services")
        .and_then(|services| services.get(service))
        .and_then(|body| body.get("build"))
        .expect("build");
    if let Some(args) = build.get("args") {
        assert!(args.get(name).is_none(), "{text}");
        assert!(
            !args
                .items()
                .iter()
                .any(|item| item.as_str().and_then(|s| s.split('=').next()) == Some(name)),
            "{text}"
        );
    }
    let secrets = build.get("secrets").expect("build.secrets");
    assert!(
        secrets
            .items()
            .iter()
            .any(|item| item.as_str() == Some(name)),
        "{text}"
    );
    let top = document.get("secrets").expect("top-level secrets");
    assert_eq!(
        top.get(name)
            .and_then(|secret| secret.get("environment"))
            .and_then(Node::as_str),
        Some(variable),
        "{text}"
    );
    for other in keep {
        assert!(top.get(other).is_some(), "{other} lost:\n{text}");
    }
}
