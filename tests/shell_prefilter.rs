//! The shell prefilter (`src/analysis/shell/prefilter.rs`) changes nothing
//! a user sees: every file of `../shared/corpus` (wild, leaky, buildkit
//! including its gotests and negative cases, ci) and of `tests/fixtures`
//! is linted with the prefilter and with every RUN read as shell, and the
//! reports must be identical: findings (code, severity, spans, messages,
//! labels, help, fingerprints, secrets, fixes), file errors and the masked
//! text. `golden/` holds BuildKit's JSON parse results, not Dockerfiles,
//! and is left out. Skips the corpus, saying why, when it is absent (the
//! fixtures are always checked). Prints how many RUNs the prefilter let
//! through (`cargo test --release --test shell_prefilter -- --nocapture`).

mod common;
use common::corpus::{corpus_folder, files_under};
use dockerleak::analysis::Analysis;
use dockerleak::lint::{lint_source_with, ShellView};
use dockerleak::syntax::Keyword;
use dockerleak::{Config, FileReport};
use rayon::prelude::*;
use std::path::{Path, PathBuf};

/// The differences between the two reports of `path`, if any.
fn difference(path: &Path, text: &str, config: &Config) -> Option<String> {
    let shown = path.to_string_lossy();
    let filtered = lint_source_with(&shown, text, config, ShellView::Prefiltered);
    let full = lint_source_with(&shown, text, config, ShellView::Full);
    let summary = |report: &FileReport| {
        report
            .findings
            .iter()
            .map(|finding| format!("{} {:?} {}", finding.code, finding.span, finding.message))
            .collect::<Vec<_>>()
    };
    if filtered.findings != full.findings {
        return Some(format!(
            "{shown}: findings differ\n  prefiltered: {:#?}\n  full view:   {:#?}",
            summary(&filtered),
            summary(&full)
        ));
    }
    if filtered.errors != full.errors {
        return Some(format!("{shown}: file errors differ"));
    }
    if filtered.redactor.mask(text) != full.redactor.mask(text) {
        return Some(format!("{shown}: masked text differs"));
    }
    None
}

/// RUN instructions of `text`, and how many of them the prefilter reads.
fn runs_read(text: &str) -> (usize, usize) {
    let dockerfile = dockerleak::syntax::parse(text);
    let analysis = Analysis::with_prefilter(&dockerfile, None, Config::default().catalog());
    let file = analysis.dockerfile(&dockerfile);
    let runs: Vec<usize> = (0..file.instructions.len())
        .filter(|index| file.instructions[*index].keyword == Keyword::Run)
        .collect();
    let read = runs
        .iter()
        .filter(|index| !analysis.shell_view().is_skipped(**index))
        .count();
    (runs.len(), read)
}

fn check_all(files: &[PathBuf], config: &Config) -> Vec<String> {
    files
        .par_iter()
        .filter_map(|path| {
            let bytes = std::fs::read(path).ok()?;
            let text = String::from_utf8_lossy(&bytes);
            difference(path, &text, config)
        })
        .collect()
}

fn fixtures() -> Vec<PathBuf> {
    files_under(&Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures"))
}

#[test]
fn the_fixtures_lint_the_same_with_and_without_the_prefilter() {
    let files = fixtures();
    assert!(files.len() > 50, "tests/fixtures is read");
    let differences = check_all(&files, &Config::default());
    assert!(differences.is_empty(), "{}", differences.join("\n"));
}

#[test]
fn the_corpus_lints_the_same_with_and_without_the_prefilter() {
    let mut files = Vec::new();
    for folder in ["wild", "leaky", "buildkit", "ci"] {
        match corpus_folder(folder) {
            Some(path) => files.extend(files_under(&path)),
            None => {
                println!("SKIPPED: ../shared/corpus/{folder} not found");
            }
        }
    }
    if files.is_empty() {
        println!("SKIPPED: no corpus (../shared/corpus) to compare on");
        return;
    }
    let differences = check_all(&files, &Config::default());
    let (runs, read) = files
        .par_iter()
        .filter_map(|path| std::fs::read(path).ok())
        .map(|bytes| runs_read(&String::from_utf8_lossy(&bytes)))
        .reduce(|| (0, 0), |a, b| (a.0 + b.0, a.1 + b.1));
    println!(
        "{} corpus files linted both ways, {} differ; the prefilter reads {read} of {runs} RUNs as shell",
        files.len(),
        differences.len()
    );
    assert!(differences.is_empty(), "{}", differences.join("\n"));
}

/// A credential file that configuration adds widens the prefilter: a RUN
/// writing it is read as shell, with the same findings as without the
/// prefilter.
#[test]
fn a_configured_credential_file_widens_the_prefilter() {
    let config = dockerleak::config::parse(
        r#"
[[credential-files]]
id = "sesame"
description = "our sesame file"
kind = "file"
patterns = ["**/.sesame"]
"#,
        ".dockerleak.toml",
        Path::new("/"),
    )
    .expect("the configuration is valid");
    let text = "FROM alpine\nCOPY .sesame /root/.sesame\nRUN apk add curl && rm /root/.sesame\n";
    let report = lint_source_with("Dockerfile", text, &config, ShellView::Prefiltered);
    assert!(
        report
            .findings
            .iter()
            .any(|finding| finding.code == "DLK002"),
        "{:?}",
        report.findings
    );
    assert_eq!(difference(Path::new("Dockerfile"), text, &config), None);
    let written = "FROM alpine\nARG VALUE\nRUN echo \"password=$VALUE\" > /root/.se\"sa\"me\n";
    let report = lint_source_with("Dockerfile", written, &config, ShellView::Prefiltered);
    assert!(
        report
            .findings
            .iter()
            .any(|finding| finding.code == "DLK006"),
        "{:?}",
        report.findings
    );
    assert_eq!(difference(Path::new("Dockerfile"), written, &config), None);
}

/// Secret names added by the configuration are not in the prefilter's
/// literals: a RUN writing one (`sesame=…` into a file) is still read.
#[test]
fn configured_secret_names_widen_the_prefilter() {
    let config = dockerleak::config::parse(
        "secret-names = [\"SESAME\"]\n",
        ".dockerleak.toml",
        Path::new("/"),
    )
    .expect("the configuration is valid");
    let text = "FROM alpine\nRUN echo \"sesame=Zq8vLw3xPk2m\" > /app/settings.ini\n";
    let full = lint_source_with("Dockerfile", text, &config, ShellView::Full);
    assert!(
        full.findings.iter().any(|finding| finding.code == "DLK005"),
        "{:?}",
        full.findings
    );
    assert_eq!(difference(Path::new("Dockerfile"), text, &config), None);
}

/// Cases built to get past a careless prefilter: the credential is only
/// visible through a WORKDIR, an ENV value, quotes, a removal of a whole
/// directory, or a stage built on the one that added the file.
#[test]
fn indirect_cases_lint_the_same() {
    let cases = [
        "FROM alpine\nWORKDIR /root/.ssh\nARG KEY\nRUN echo \"$KEY\" > id\n",
        "FROM alpine\nENV CONF=/root/.npmrc\nARG T\nRUN echo \"//r/:_authToken=$T\" > $CONF\n",
        "FROM alpine\nARG T\nRUN echo \"//r/:_authToken=$T\" > ~/.n'pm'rc\n",
        "FROM alpine AS base\nCOPY .netrc /root/.netrc\nFROM base\nRUN make && rm -rf /root\n",
        "FROM alpine AS build\nCOPY id_rsa /keys/\nRUN rm -rf /keys\nFROM alpine\nCOPY --from=build /keys /keys\n",
        "FROM alpine\nCOPY .npmrc /app/\nRUN npm ci\nRUN rm -f /app/.npmrc\n",
        "FROM alpine\nRUN --mount=type=secret,id=t cat /run/secrets/t > /app/t\n",
        "FROM alpine\nARG GH_TOKEN\nRUN gh release list\n",
        "FROM alpine\nRUN printf '%s' x | docker login -u me --password-stdin\n",
        "FROM alpine\nARG P\nRUN curl -u \"me:$P\" https://example.com/x\n",
        "FROM alpine\nRUN git clone https://me:FAKEpass0000@example.com/r.git\n",
        "FROM alpine\nRUN [\"sh\", \"-c\", \"echo x > /root/\\u002enetrc\"]\n",
    ];
    let lints_the_same = |text: &str| {
        assert_eq!(
            difference(Path::new("Dockerfile"), text, &Config::default()),
            None,
            "{text}"
        );
    };
    cases.into_iter().for_each(lints_the_same);
    // Cases the narrower conditions must still read (each has a finding).
    let read = [
        // A glob read as a conjunction (`**/*private*.asc`): the text holds
        // every piece, or a value it names holds one.
        "FROM alpine\nRUN echo x > /k/private.asc\nRUN rm -rf /k\n",
        "FROM alpine\nARG NAME=private\nRUN echo x > /k/$NAME.asc\nRUN rm -rf /k\n",
        // Written text: a key with its value, a password word, `tee` with
        // its output sent to /dev/null.
        "FROM alpine\nRUN echo \"api_token = FAKEabcdefgh12345678\" > /app/config.ini\n",
        "FROM alpine\nRUN echo 'requirepass FAKEs3cretvalue99' >> /etc/redis.conf\n",
        "FROM alpine\nARG DB_PASS\nRUN echo \"password: $DB_PASS\" | tee /app/db.yml > /dev/null\n",
        // A COPY of a file whose name says it is a secret marks its stage:
        // DLK001 says whether a later RUN removes it.
        "FROM alpine\nCOPY db-password /k/\nRUN rm -rf /k\n",
    ];
    for text in read {
        lints_the_same(text);
        let report = lint_source_with(
            "Dockerfile",
            text,
            &Config::default(),
            ShellView::Prefiltered,
        );
        assert!(!report.findings.is_empty(), "no finding for {text}");
    }
}

#[test]
fn plain_runs_are_left_unread_and_credential_runs_are_read() {
    assert_eq!(
        runs_read("FROM debian\nRUN apt-get update && apt-get install -y curl && rm -rf /var/lib/apt/lists/*\n"),
        (1, 0)
    );
    assert_eq!(
        runs_read("FROM alpine\nARG V\nRUN echo \"$V\" > ~/.netrc\n"),
        (1, 1)
    );
    assert_eq!(runs_read("FROM alpine\nARG NPM_TOKEN\nRUN make\n"), (1, 1));
    assert_eq!(
        runs_read("FROM alpine\nRUN --mount=type=ssh make\n"),
        (1, 1)
    );
    // A signature download holds `.asc` but not `private` or `secret`; a
    // RUN that writes only to /dev/null or a descriptor, and holds no key
    // written with a value, writes no text the heuristic reads.
    assert_eq!(
        runs_read("FROM alpine\nRUN curl -fsSLo /p.tar.xz.asc https://example.com/p.tar.xz.asc\nRUN rm -rf /p.tar.xz.asc\n"),
        (2, 0)
    );
    assert_eq!(
        runs_read("FROM alpine\nRUN gpg --batch --recv-keys ABCDEF > /dev/null 2>&1\nRUN echo $tmpManifestPath >&2\n"),
        (2, 0)
    );
    assert_eq!(
        runs_read("FROM alpine\nRUN echo 'auth: x' > /etc/app.yml\n"),
        (1, 1)
    );
    // Once a credential file may be in a layer, every later RUN of the
    // stage (and of stages built on it) is read: its removals count.
    assert_eq!(
        runs_read("FROM alpine AS a\nRUN make\nCOPY id_rsa /k/\nRUN make\nFROM a\nRUN make\nFROM alpine\nRUN make\n"),
        (4, 2)
    );
}

/// Pieces of the paths the prefilter's narrower conditions judge: those of
/// one-component globs (`**/*private*.asc`), and others.
const PIECES: [&str; 9] = [
    "private", "secret", ".asc", ".gpg", "my-", "x", "$NAME", "${NAME}", "key",
];

/// Redirects to files, to devices and to descriptors, and `tee`.
const WRITES: [&str; 6] = [
    " > ",
    " >> ",
    " 2>&1 > ",
    " | tee ",
    " > /dev/null; echo y > ",
    " >&2 ",
];

/// Text written: keys with a value, a password word, look-alikes.
const WRITTEN: [&str; 6] = [
    "api_token=FAKEvalue0123456789abcdef",
    "password FAKEvalue0123456789",
    "'auth: FAKEvalue0123456789abcdef'",
    "--recv-keys FAKEvalue0123",
    "client_id=FAKE0123456789abcdef",
    "x",
];

/// URL user info, and none.
const USERINFO: [&str; 4] = ["", "u:FAKEpw0123@", "FAKEtoken0123456789@", "$U:$P@"];

/// One line of a generated file, from a kind and three picks.
fn fragment_line(kind: usize, a: usize, b: usize, c: usize) -> String {
    let piece = |pick: usize| PIECES[pick % PIECES.len()];
    match kind {
        0 => format!("ARG NAME={}{}", piece(a), piece(b)),
        1 => format!("WORKDIR /k/{}", piece(a)),
        2 => format!(
            "RUN echo {}{}/k/{}{}",
            WRITTEN[c % WRITTEN.len()],
            WRITES[a % WRITES.len()],
            piece(b),
            piece(c)
        ),
        3 => "RUN rm -rf /k".to_string(),
        4 => format!(
            "RUN echo {}{}/app/conf{}",
            WRITTEN[a % WRITTEN.len()],
            WRITES[b % WRITES.len()],
            piece(c)
        ),
        5 => format!(
            "RUN git clone https://{}host/r && echo a@b{}/k/{}",
            USERINFO[a % USERINFO.len()],
            WRITES[b % WRITES.len()],
            piece(c)
        ),
        _ => format!("COPY {}{} /k/", piece(a), piece(b)),
    }
}

proptest::proptest! {
    #![proptest_config(proptest::test_runner::Config {
        cases: 512,
        failure_persistence: None,
        ..proptest::test_runner::Config::default()
    })]

    /// Files made of such lines lint the same both ways.
    #[test]
    fn generated_files_lint_the_same(
        lines in proptest::collection::vec((0..7usize, 0..9usize, 0..9usize, 0..9usize), 1..7),
    ) {
        let mut text = String::from("FROM alpine\n");
        for (kind, a, b, c) in lines {
            text.push_str(&fragment_line(kind, a, b, c));
            text.push('\n');
        }
        let found = difference(Path::new("Dockerfile"), &text, &Config::default());
        proptest::prop_assert!(found.is_none(), "{}\n{}", text, found.unwrap_or_default());
    }
}
