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

/// The first fenced block of `language` after `heading` in `docs`.
fn block_after(docs: &str, heading: &str, language: &str) -> Option<String> {
    let body: Vec<&str> = docs
        .lines()
        .map(|line| line.strip_prefix(' ').unwrap_or(line))
        .collect();
    let start = body.iter().position(|line| line.trim() == heading)?;
    let fence = format!("```{language}");
    let open = start
        + 1
        + body[start + 1..]
            .iter()
            .position(|line| line.trim() == fence)?;
    let close = open
        + 1
        + body[open + 1..]
            .iter()
            .position(|line| line.trim() == "```")?;
    Some(body[open + 1..close].join("\n") + "\n")
}

#[test]
fn every_documented_rewrite_is_what_the_fix_does_to_the_example() {
    use dockerleak::fix::{fix_source, Applicability};
    use dockerleak::{lint_source, Config};
    let mut rewrites = 0;
    let mut display_only = 0;
    for rule in registry() {
        let meta = rule.meta();
        let docs = meta.docs;
        let fix_section = &docs[docs.find("## Fix").unwrap_or(docs.len())..];
        // The doc comment's lines are joined with "\n " (one space each).
        let rewritten = fix_section
            .replace("\n ", " ")
            .contains("rewrites the example to:");
        let shown = fix_section.contains("A display-only fix");
        if !rewritten && !shown {
            continue;
        }
        let example = block_after(docs, "## Example", "dockerfile")
            .unwrap_or_else(|| panic!("{} has a dockerfile example", meta.code));
        let report = lint_source("Dockerfile", &example, &Config::default());
        let fix = report
            .findings
            .iter()
            .filter(|finding| finding.code == meta.code)
            .find_map(|finding| finding.fix.clone())
            .unwrap_or_else(|| panic!("{}: the example's finding has a fix", meta.code));
        let outcome = fix_source(
            "Dockerfile",
            "Dockerfile",
            &example,
            &Config::default(),
            true,
        );
        if rewritten {
            rewrites += 1;
            let expected = block_after(docs, "## Fix", "dockerfile")
                .unwrap_or_else(|| panic!("{} shows the rewrite", meta.code));
            assert_ne!(
                fix.applicability,
                Applicability::DisplayOnly,
                "{}",
                meta.code
            );
            assert_eq!(
                outcome.text, expected,
                "{}: the Fix section shows what --fix --unsafe-fixes writes",
                meta.code
            );
        } else {
            display_only += 1;
            assert_eq!(
                fix.applicability,
                Applicability::DisplayOnly,
                "{}",
                meta.code
            );
            assert_eq!(
                outcome.text, example,
                "{}: a display-only fix changes nothing",
                meta.code
            );
        }
    }
    assert!(
        rewrites >= 5 && display_only >= 3,
        "{rewrites} rewrites, {display_only} display-only"
    );
}
