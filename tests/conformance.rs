//! Corpus conformance: our parser against BuildKit's own Go parser.
//!
//! For every file of `../shared/corpus/<folder>/` the golden line in
//! `../shared/corpus/golden/<folder>.jsonl` holds BuildKit's verdict
//! (accepted or rejected) and its instruction list. This test parses each
//! file and compares both. A disagreement fails the test unless it is listed,
//! with a reason, in `tests/conformance-differences.toml` (also rendered in
//! `docs/parser.md`). Skips, saying why, when the corpus is absent.

use dockerleak::syntax::{self, Instruction};
use serde::Deserialize;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

#[derive(Deserialize)]
struct Golden {
    file: String,
    ok: bool,
    error: Option<String>,
    instructions: Vec<Value>,
}

#[derive(Deserialize)]
struct Differences {
    difference: Vec<Difference>,
}

#[derive(Deserialize)]
struct Difference {
    file: String,
    reason: String,
}

fn corpus_root() -> Option<PathBuf> {
    let root = std::env::var_os("DOCKERLEAK_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus"));
    root.join("golden").is_dir().then_some(root)
}

fn instruction_json(instruction: &Instruction) -> Value {
    let effective = instruction.effective();
    let sub_cmd = instruction
        .onbuild
        .as_ref()
        .map(|inner| inner.keyword_word.text.to_lowercase());
    json!({
        "cmd": instruction.keyword_word.text.to_lowercase(),
        "sub_cmd": sub_cmd,
        "json": effective.json,
        "start_line": instruction.start_line,
        "end_line": instruction.end_line,
        // BuildKit reports the flags of the ONBUILD node itself, not of the
        // instruction it wraps.
        "flags": instruction.flags.iter().map(|flag| flag.text.clone()).collect::<Vec<_>>(),
        "value": effective.values(),
        "heredocs": effective.heredocs.iter().map(|heredoc| json!({"name": heredoc.name, "content": heredoc.content})).collect::<Vec<_>>(),
    })
}

/// Compares one file; `None` when we agree, else what differs.
fn compare(text: &str, golden: &Golden) -> Option<String> {
    let parsed = syntax::parse(text);
    let ok = parsed.errors.is_empty();
    if ok != golden.ok {
        return Some(format!(
            "BuildKit ok={} ({:?}), we ok={} ({:?})",
            golden.ok,
            golden.error,
            ok,
            parsed.errors.first().map(|error| &error.message)
        ));
    }
    if !ok {
        return None;
    }
    let ours: Vec<Value> = parsed.instructions.iter().map(instruction_json).collect();
    if ours.len() != golden.instructions.len() {
        return Some(format!(
            "{} instructions, BuildKit has {}",
            ours.len(),
            golden.instructions.len()
        ));
    }
    for (index, (mine, theirs)) in ours.iter().zip(&golden.instructions).enumerate() {
        if mine != theirs {
            return Some(format!(
                "instruction {index}: ours {mine} BuildKit {theirs}"
            ));
        }
    }
    None
}

#[test]
fn parser_agrees_with_buildkit_on_the_corpus_or_skips_without_shared_corpus() {
    let Some(root) = corpus_root() else {
        eprintln!("SKIPPED corpus conformance: ../shared/corpus not found (set DOCKERLEAK_CORPUS to run it)");
        return;
    };
    let differences: Differences = toml::from_str(include_str!("conformance-differences.toml"))
        .expect("tests/conformance-differences.toml is valid");
    let documented: BTreeMap<&str, &str> = differences
        .difference
        .iter()
        .map(|difference| (difference.file.as_str(), difference.reason.as_str()))
        .collect();
    let mut failures = Vec::new();
    let mut seen_documented = 0;
    let mut golden_files: Vec<_> = std::fs::read_dir(root.join("golden"))
        .expect("golden folder is readable")
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .filter(|path| {
            path.extension()
                .is_some_and(|extension| extension == "jsonl")
        })
        .collect();
    golden_files.sort();
    for golden_path in golden_files {
        let folder = golden_path
            .file_stem()
            .unwrap()
            .to_string_lossy()
            .into_owned();
        let content = std::fs::read_to_string(&golden_path).expect("golden file is readable");
        let (mut agree, mut total) = (0, 0);
        for line in content.lines().filter(|line| !line.trim().is_empty()) {
            let golden: Golden = serde_json::from_str(line).expect("golden line is JSON");
            let key = format!("{folder}/{}", golden.file);
            let bytes = std::fs::read(root.join(&folder).join(&golden.file))
                .expect("corpus file is readable");
            let text = String::from_utf8_lossy(&bytes);
            total += 1;
            match compare(&text, &golden) {
                None => agree += 1,
                Some(_) if documented.contains_key(key.as_str()) => seen_documented += 1,
                Some(why) => failures.push(format!("{key}: {why}")),
            }
        }
        println!("{folder}: agree {agree}/{total}");
    }
    println!(
        "documented differences seen: {seen_documented}/{}",
        documented.len()
    );
    assert!(
        failures.is_empty(),
        "{} undocumented disagreements with BuildKit:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
