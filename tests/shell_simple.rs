//! The simple view (`src/analysis/shell/simple.rs`: plain lists of simple
//! commands read without brush-parser) gives exactly what brush-parser
//! gives. Every RUN of every file of `../shared/corpus` (wild, leaky,
//! buildkit including its gotests and negative cases, ci) and of
//! `tests/fixtures` is read as shell twice, once as the linter reads it
//! and once with every script handed to brush-parser
//! (`with_brush_parser_only`), and the shell views must be the same to the
//! last field (commands, words with spans, references, assignments,
//! redirections, pipes, lists, stdout, nested scripts, how each was
//! parsed). The CI files are read as every build-definition kind, whose
//! `run:` steps and scripts go through the same reader. `golden/` holds
//! BuildKit's JSON parse results, not Dockerfiles, and is left out. Skips
//! the corpus, saying why, when it is absent (the fixtures and the cases
//! below are always checked). Prints how many RUNs the simple view reads
//! (`cargo test --release --test shell_simple -- --nocapture`).

mod common;
use common::corpus::{corpus_folder, files_under};
use dockerleak::analysis::shell::{is_simple_script, with_brush_parser_only};
use dockerleak::analysis::Analysis;
use dockerleak::builddefs::{self, Kind};
use dockerleak::syntax::Keyword;
use dockerleak::Config;
use rayon::prelude::*;
use std::path::{Path, PathBuf};

/// Every RUN's view of `text`, each as its debug text.
fn views(text: &str) -> Vec<String> {
    let dockerfile = dockerleak::syntax::parse(text);
    let analysis = Analysis::new(&dockerfile, None);
    let file = analysis.dockerfile(&dockerfile);
    (0..file.instructions.len())
        .filter_map(|index| analysis.shell(index))
        .map(|script| format!("{script:#?}"))
        .collect()
}

/// The first difference between the two readings of `text`, if any.
fn difference(shown: &str, text: &str) -> Option<String> {
    let simple = views(text);
    let brush = with_brush_parser_only(|| views(text));
    if simple.len() != brush.len() {
        return Some(format!(
            "{shown}: {} RUNs against {}",
            simple.len(),
            brush.len()
        ));
    }
    for (index, (simple, brush)) in simple.iter().zip(&brush).enumerate() {
        if simple != brush {
            return Some(format!(
                "{shown}: RUN #{index} differs\n--- simple view:\n{simple}\n--- brush-parser:\n{brush}"
            ));
        }
    }
    let definitions = |text: &str| -> Vec<String> {
        Kind::ALL
            .iter()
            .map(|kind| format!("{:#?}", builddefs::read(*kind, shown, text)))
            .collect()
    };
    let simple = definitions(text);
    let brush = with_brush_parser_only(|| definitions(text));
    if let Some(position) = (0..simple.len()).find(|position| simple[*position] != brush[*position])
    {
        return Some(format!(
            "{shown}: read as {:?}, differs\n--- simple view:\n{}\n--- brush-parser:\n{}",
            Kind::ALL[position],
            simple[position],
            brush[position]
        ));
    }
    None
}

/// RUNs of `text`, how many are plain lists the simple view reads whole,
/// and how many of those the prefilter passes.
fn counts(text: &str) -> (usize, usize, usize, usize) {
    let dockerfile = dockerleak::syntax::parse(text);
    let analysis = Analysis::with_prefilter(&dockerfile, None, Config::default().catalog());
    let file = analysis.dockerfile(&dockerfile);
    let mut counts = (0, 0, 0, 0);
    for (index, instruction) in file.instructions.iter().enumerate() {
        if instruction.keyword != Keyword::Run {
            continue;
        }
        let read = !analysis.shell_view().is_skipped(index);
        let simple = !instruction.json
            && instruction.heredocs.is_empty()
            && is_simple_script(&instruction.rest.text);
        counts.0 += 1;
        counts.1 += usize::from(simple);
        counts.2 += usize::from(read);
        counts.3 += usize::from(read && simple);
    }
    counts
}

fn check_all(files: &[PathBuf]) -> Vec<String> {
    files
        .par_iter()
        .filter_map(|path| {
            let bytes = std::fs::read(path).ok()?;
            let text = String::from_utf8_lossy(&bytes);
            difference(&path.to_string_lossy(), &text)
        })
        .collect()
}

#[test]
fn tricky_scripts_read_the_same_both_ways() {
    let scripts = [
        // Quotes, escapes and operators inside them.
        r#"echo 'a && b' "c || d; e | f" g\&\&h \; && cat /run/secrets/x"#,
        r#"echo "a \" b" 'c\' d && printf '%s\n' "$TOKEN" > ~/.npmrc"#,
        r#"echo \"unbalanced\" \' x && echo "é ü" 'ß' && id"#,
        // Expansions.
        r#"echo $A ${B} "${C:-x}" ${#D} ${E:+y} $1 $? $$ $@ "$*" $ && echo a$"#,
        r#"curl -u "$USER:$PASS" https://x && echo ${A//x/y} ${B%.*} ${C,,}"#,
        // Assignments and redirections.
        r#"A=1 B+="x y" C= make > /log 2>&1 && D=$E cmd 3< in 4<>rw >| clob &> all &>> more"#,
        r#"export TOKEN=$X && declare -x Y=2 && >/f && A=b && 2>/dev/null cat a"#,
        r#"echo a2>f 22>g 2 >h 1>&2 >&- <&0"#,
        // Comments, newlines, continuations.
        "echo a#b # c && d\nls;#x\n\n  id &&\n\n curl x |\n sh",
        "echo a \\\n && cat b",
        "echo \"a \\\nb\"",
        "apt-get update \\\n    && apt-get install -y curl",
        "echo a\\",
        // Things only brush-parser reads.
        "echo $(cat /run/secrets/x) `id` \"$(date)\" $((1+2))",
        "if [ -f x ]; then rm x; fi; for a in b; do echo $a; done",
        "{ echo a; } > f; (cd x && make); f() { id; }; time make; ! true",
        "cat <<EOF > f\nx\nEOF\n",
        "diff <(a) <(b) && echo $'x\\ny' \\$'z' && ls @(a|b) && sleep 1 &",
        "sh -c 'echo $TOKEN > /tmp/t' && bash -ec \"cat /run/secrets/x\"",
        "sudo -u app sh -c 'A=1 cmd && $(id)'",
        "a[1]=x cmd && echo ${A:-$B} ${C:- d}",
        // What brush-parser rejects.
        "&& a",
        "a &&",
        "a | | b",
        "a > && b",
        "a ; ; b",
        "echo 'unclosed",
        "echo 99999999999>f",
        // Command substitutions the simple view reads (and some it leaves).
        r#"arch="$(dpkg --print-architecture | awk -F- '{ print $NF }')" && echo $(a $(b) ")")c"#,
        r#"TOKEN=$(cat /run/secrets/t) make && echo "$(printf '%s' "$TOKEN")" > /f"#,
        "x=$( a  b ) && y=$(\ta) && z=$(a \tb) && w=\"$(a\n b)\"",
        "echo $(a # c\n) && echo $(if a; then b; fi) && echo $( (a) ) && echo $()",
    ];
    let mut differences = Vec::new();
    for script in scripts {
        for text in [
            format!("FROM alpine\nRUN {script}\n"),
            format!(
                "FROM alpine\nRUN sh -c '{}'\n",
                script.replace('\'', "'\\''")
            ),
            format!("FROM alpine\nRUN <<EOF\n{script}\nEOF\n"),
        ] {
            differences.extend(difference("case", &text));
        }
    }
    assert!(differences.is_empty(), "{}", differences.join("\n"));
    // The simple view does read plain lists (this test would prove nothing
    // if it gave up on everything).
    assert!(is_simple_script(scripts[0]));
    assert!(is_simple_script(scripts[6]));
    assert!(!is_simple_script(scripts[13]));
    assert!(is_simple_script(scripts[scripts.len() - 4]));
    assert!(is_simple_script(scripts[scripts.len() - 3]));
}

fn fixtures() -> Vec<PathBuf> {
    files_under(&Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures"))
}

#[test]
fn the_fixtures_read_the_same_with_and_without_brush_parser() {
    let files = fixtures();
    assert!(files.len() > 50, "tests/fixtures is read");
    let differences = check_all(&files);
    assert!(differences.is_empty(), "{}", differences.join("\n"));
}

#[test]
fn the_corpus_reads_the_same_with_and_without_brush_parser() {
    let mut files = Vec::new();
    for folder in ["wild", "leaky", "buildkit", "ci"] {
        match corpus_folder(folder) {
            Some(path) => files.extend(files_under(&path)),
            None => println!("SKIPPED: ../shared/corpus/{folder} not found"),
        }
    }
    if files.is_empty() {
        println!("SKIPPED: no corpus (../shared/corpus) to compare on");
        return;
    }
    let differences = check_all(&files);
    let (runs, simple, read, read_simple) = files
        .par_iter()
        .filter_map(|path| std::fs::read(path).ok())
        .map(|bytes| counts(&String::from_utf8_lossy(&bytes)))
        .reduce(
            || (0, 0, 0, 0),
            |a, b| (a.0 + b.0, a.1 + b.1, a.2 + b.2, a.3 + b.3),
        );
    println!(
        "{} corpus files read both ways, {} differ; of {runs} RUNs {simple} are plain lists the \
         simple view reads whole; the prefilter reads {read}, {read_simple} of them plain lists",
        files.len(),
        differences.len()
    );
    assert!(differences.is_empty(), "{}", differences.join("\n"));
    assert!(simple > 0, "the simple view reads some RUNs of the corpus");
}
