//! The shell view over the real Dockerfiles of `../shared/corpus/wild/`:
//! how many RUN scripts the shell parser rejects (so the plain splitter is
//! used), and how many findings the RUN rules (DLK002, DLK006, DLK008,
//! DLK009) make. Prints the numbers (`cargo test --release --test
//! shell_corpus -- --nocapture`); skips, saying why, when the corpus is
//! absent. `docs/shell.md` and `docs/corpus-findings.md` quote them.

mod common;
use common::corpus::{corpus_folder, files_under};
use dockerleak::analysis::shell::{ParsedWith, ScriptKind};
use dockerleak::analysis::Analysis;
use dockerleak::{lint_source, Config};
use std::collections::BTreeMap;

#[test]
fn shell_parser_fallback_rate_on_the_wild_corpus_or_skips_without_shared_corpus() {
    let Some(folder) = corpus_folder("wild") else {
        eprintln!("SKIPPED shell fallback rate: ../shared/corpus/wild not found (set DOCKERLEAK_CORPUS to run it)");
        return;
    };
    let mut runs = 0usize;
    let mut fallbacks = 0usize;
    let mut nested_fallbacks = 0usize;
    let mut not_shell = 0usize;
    let mut examples = Vec::new();
    for path in files_under(&folder) {
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        let dockerfile = dockerleak::syntax::parse(&text);
        let analysis = Analysis::new(&dockerfile, None);
        for (index, script) in analysis.shell_view().scripts() {
            runs += 1;
            nested_fallbacks += script.nested_fallbacks;
            if matches!(script.kind, ScriptKind::NotShell(_)) {
                not_shell += 1;
            }
            if script.parsed_with == ParsedWith::Fallback {
                fallbacks += 1;
                if examples.len() < 15 {
                    let instruction = &analysis.dockerfile(&dockerfile).instructions[index];
                    let relative = path.strip_prefix(&folder).unwrap_or(&path);
                    examples.push(format!("{}:{}", relative.display(), instruction.start_line));
                }
            }
        }
    }
    let rate = fallbacks as f64 / runs.max(1) as f64;
    println!(
        "shell view over corpus/wild: {runs} RUN instructions, {fallbacks} read by the fallback splitter ({:.2}%), {nested_fallbacks} nested scripts (`$(…)`, `sh -c`) fell back, {not_shell} not shell",
        rate * 100.0
    );
    for example in &examples {
        println!("  fallback: {example}");
    }
    assert!(
        runs > 5_000,
        "expected the wild corpus to have many RUN instructions, found {runs}"
    );
    assert!(
        rate < 0.05,
        "the shell parser rejects {:.2}% of RUN scripts",
        rate * 100.0
    );
}

#[test]
fn run_rule_findings_on_the_corpus_or_skips_without_shared_corpus() {
    for name in ["wild", "leaky"] {
        let Some(folder) = corpus_folder(name) else {
            eprintln!("SKIPPED RUN rule counts: ../shared/corpus/{name} not found");
            continue;
        };
        let config = Config::default();
        let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
        let mut files_with: BTreeMap<&str, usize> = BTreeMap::new();
        let show = std::env::var("DOCKERLEAK_SHOW").ok();
        for path in files_under(&folder) {
            let Ok(text) = std::fs::read_to_string(&path) else {
                continue;
            };
            let report = lint_source(&path.to_string_lossy(), &text, &config);
            let mut seen: Vec<&str> = Vec::new();
            for finding in &report.findings {
                if !matches!(finding.code, "DLK002" | "DLK006" | "DLK008" | "DLK009") {
                    continue;
                }
                *counts.entry(finding.code).or_default() += 1;
                if !seen.contains(&finding.code) {
                    seen.push(finding.code);
                    *files_with.entry(finding.code).or_default() += 1;
                }
                if show
                    .as_deref()
                    .is_some_and(|code| code == finding.code || code == "all")
                {
                    let position = report.position(finding.span.start);
                    let relative = path.strip_prefix(&folder).unwrap_or(&path);
                    println!(
                        "{name}/{}:{}: {} {} [{}]",
                        relative.display(),
                        position.line,
                        finding.code,
                        finding.message,
                        finding.severity
                    );
                }
            }
        }
        for code in ["DLK002", "DLK006", "DLK008", "DLK009"] {
            println!(
                "corpus/{name}: {code}: {} findings in {} files",
                counts.get(code).copied().unwrap_or(0),
                files_with.get(code).copied().unwrap_or(0)
            );
        }
    }
}
