//! `docs/rules/DLKnnn.md` are generated from each rule's doc comment (the
//! same text `dockerleak explain` and SARIF help use). This test fails when
//! a checked-in page is stale; run with `DOCKERLEAK_UPDATE_DOCS=1` to
//! regenerate them.

use dockerleak::rules::registry;
use std::path::Path;

fn index_page() -> String {
    let mut page = String::from(
        "# dockerleak rules\n\nGenerated from the rules' doc comments (`DOCKERLEAK_UPDATE_DOCS=1 cargo test --test rule_docs`).\n\n| code | name | default severity | what it finds |\n|---|---|---|---|\n",
    );
    for rule in registry() {
        let meta = rule.meta();
        page.push_str(&format!(
            "| [{code}]({code}.md) | `{name}` | {severity} | {summary} |\n",
            code = meta.code,
            name = meta.name,
            severity = meta.severity,
            summary = meta.summary.replace('|', "\\|")
        ));
    }
    page
}

#[test]
fn checked_in_rule_docs_match_the_rule_sources() {
    let folder = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/rules");
    let update = std::env::var_os("DOCKERLEAK_UPDATE_DOCS").is_some();
    let mut pages: Vec<(String, String)> = registry()
        .iter()
        .map(|rule| (format!("{}.md", rule.meta().code), rule.meta().markdown()))
        .collect();
    pages.push(("README.md".into(), index_page()));
    let mut stale = Vec::new();
    for (name, expected) in pages {
        let path = folder.join(&name);
        if update {
            std::fs::create_dir_all(&folder).expect("docs/rules can be created");
            std::fs::write(&path, &expected).expect("docs page can be written");
            continue;
        }
        let actual = std::fs::read_to_string(&path).unwrap_or_default();
        if actual != expected {
            stale.push(name);
        }
    }
    assert!(
        stale.is_empty(),
        "stale rule docs {stale:?}: run `DOCKERLEAK_UPDATE_DOCS=1 cargo test --test rule_docs`"
    );
}

#[test]
fn every_rule_documents_what_why_example_and_fix() {
    for rule in registry() {
        let docs = rule.meta().docs;
        for heading in ["## What it finds", "## Example", "## Fix"] {
            assert!(
                docs.contains(heading),
                "{} lacks `{heading}`",
                rule.meta().code
            );
        }
        assert!(
            docs.contains("## Why it leaks") || docs.contains("## Why it matters"),
            "{} lacks a why section",
            rule.meta().code
        );
    }
}
