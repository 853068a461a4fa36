//! `--unsafe-fixes` over every real Dockerfile of `../shared/corpus/wild`
//! and `../shared/corpus/leaky`: it never panics, never changes a file
//! that has no applicable fix, is idempotent (fixing the fixed text changes
//! nothing), and keeps the user's bytes where it does not mean to edit:
//! every comment line and heredoc body, and CRLF line ends; and the edits
//! each pass reports, applied to that pass's input, explain the output
//! byte for byte (no byte outside an edit range changes). Skips, saying
//! why, without the corpus. Prints how many files and fixes it covered
//! (`cargo test --test fix_corpus -- --nocapture`).

mod common;
use common::corpus::{corpus_folder, files_under};
use dockerleak::fix::fix_source;
use dockerleak::{lint_source, Config};
use rayon::prelude::*;
use std::path::PathBuf;

#[derive(Default)]
struct Tally {
    files: usize,
    fixable_files: usize,
    changed_files: usize,
    fixes: usize,
    problems: Vec<String>,
}

/// The lines of `text` that hold a comment (not a `# syntax=` directive,
/// which a fix may raise).
fn comment_lines(text: &str) -> Vec<&str> {
    text.lines()
        .map(str::trim)
        .filter(|line| line.starts_with('#'))
        .filter(|line| {
            !line
                .trim_start_matches('#')
                .trim_start()
                .to_ascii_lowercase()
                .starts_with("syntax")
        })
        .collect()
}

/// Whether the reported edits of each pass, and nothing else, turn the
/// input into the output: each pass's edits are sorted, disjoint, inside its
/// input and on character boundaries; rebuilding the pass's output from its
/// input by copying every byte outside the edits and putting each edit's
/// content in its range gives, pass after pass, exactly the fixed text.
/// Bytes outside the edit ranges are copied, so any other change to them
/// makes the rebuilt text differ from the fixed one.
fn edits_explain_the_output(
    text: &str,
    outcome: &dockerleak::fix::FixOutcome,
) -> Result<(), String> {
    if outcome.pass_edits.len() != outcome.passes {
        return Err(format!(
            "{} passes but edits for {}",
            outcome.passes,
            outcome.pass_edits.len()
        ));
    }
    let mut current = text.to_string();
    for (pass, edits) in outcome.pass_edits.iter().enumerate() {
        let mut rebuilt = String::with_capacity(current.len());
        let mut position = 0;
        for edit in edits {
            let (start, end) = (edit.span.start, edit.span.end);
            if edit.file.is_some() {
                return Err(format!(
                    "pass {pass}: an edit of another file among this file's"
                ));
            }
            if start < position || end < start || end > current.len() {
                return Err(format!(
                    "pass {pass}: edit {start}..{end} overlaps, is unsorted or out of the text"
                ));
            }
            if !current.is_char_boundary(start) || !current.is_char_boundary(end) {
                return Err(format!(
                    "pass {pass}: edit {start}..{end} splits a character"
                ));
            }
            rebuilt.push_str(&current[position..start]);
            rebuilt.push_str(&edit.content);
            position = end;
        }
        rebuilt.push_str(&current[position..]);
        current = rebuilt;
    }
    if current.as_bytes() != outcome.text.as_bytes() {
        let first = current
            .bytes()
            .zip(outcome.text.bytes())
            .position(|(left, right)| left != right)
            .unwrap_or(current.len().min(outcome.text.len()));
        return Err(format!(
            "the reported edits do not explain the output (first difference at byte {first})"
        ));
    }
    Ok(())
}

fn check(name: &str, text: &str) -> Tally {
    let config = Config::default();
    // A name that is not on disk: DLK010 looks at no build context.
    let shown = format!("corpus/{name}");
    let mut tally = Tally {
        files: 1,
        ..Tally::default()
    };
    let report = lint_source(&shown, text, &config);
    let fixable = report.errors.is_empty()
        && report
            .findings
            .iter()
            .any(|finding| finding.fix.as_ref().is_some_and(|fix| fix.applies(true)));
    let outcome = fix_source(&shown, &shown, text, &config, true);
    if !fixable {
        if outcome.text != text {
            tally
                .problems
                .push(format!("{name}: changed without a fixable finding"));
        }
        return tally;
    }
    tally.fixable_files = 1;
    tally.fixes = outcome.applied.len();
    if outcome.text == text {
        return tally;
    }
    tally.changed_files = 1;
    if let Err(problem) = edits_explain_the_output(text, &outcome) {
        tally.problems.push(format!("{name}: {problem}"));
    }
    let again = fix_source(&shown, &shown, &outcome.text, &config, true);
    if again.text != outcome.text {
        tally
            .problems
            .push(format!("{name}: fixing the fixed text changes it again"));
    }
    let after = lint_source(&shown, &outcome.text, &config);
    if !after.errors.is_empty() {
        tally
            .problems
            .push(format!("{name}: the fixed text does not parse"));
    }
    let mut remaining = comment_lines(&outcome.text);
    for comment in comment_lines(text) {
        match remaining.iter().position(|line| *line == comment) {
            Some(index) => {
                remaining.remove(index);
            }
            None => tally
                .problems
                .push(format!("{name}: comment {comment:?} lost")),
        }
    }
    let before = dockerleak::syntax::parse(text);
    for heredoc in before
        .instructions
        .iter()
        .flat_map(|instruction| &instruction.heredocs)
    {
        if !outcome.text.contains(&heredoc.content) {
            tally
                .problems
                .push(format!("{name}: heredoc {} changed", heredoc.name));
        }
    }
    let all_crlf =
        text.contains("\r\n") && text.matches('\n').count() == text.matches("\r\n").count();
    if all_crlf && outcome.text.matches('\n').count() != outcome.text.matches("\r\n").count() {
        tally
            .problems
            .push(format!("{name}: a bare LF in a CRLF file"));
    }
    tally
}

#[test]
fn unsafe_fixes_on_the_corpus_are_idempotent_and_keep_other_bytes_or_skips_without_shared_corpus() {
    let mut folders = Vec::new();
    for name in ["wild", "leaky"] {
        match corpus_folder(name) {
            Some(folder) => folders.push(folder),
            None => eprintln!("SKIPPED fixes over ../shared/corpus/{name}: not found (set DOCKERLEAK_CORPUS to run it)"),
        }
    }
    if folders.is_empty() {
        return;
    }
    let files: Vec<PathBuf> = folders
        .iter()
        .flat_map(|folder| files_under(folder))
        .collect();
    let tallies: Vec<Tally> = files
        .par_iter()
        .filter_map(|path| {
            let text = std::fs::read_to_string(path).ok()?;
            let name = path.to_string_lossy().into_owned();
            Some(check(&name, &text))
        })
        .collect();
    let mut total = Tally::default();
    for tally in tallies {
        total.files += tally.files;
        total.fixable_files += tally.fixable_files;
        total.changed_files += tally.changed_files;
        total.fixes += tally.fixes;
        total.problems.extend(tally.problems);
    }
    eprintln!(
        "fixes over the corpus: {} files, {} with an applicable fix, {} changed, {} fixes applied",
        total.files, total.fixable_files, total.changed_files, total.fixes
    );
    assert!(total.files > 0, "the corpus has files");
    assert!(total.problems.is_empty(), "{:#?}", total.problems);
}
