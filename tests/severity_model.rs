//! The severity model of RULES.md, one table: for each rule, where the
//! secret is (the leaking instruction, in a stage) × how that stage relates
//! to the built image, and the severity that must come out.
//!
//! Relations: `final` (the stage is the built one), `base` (the built stage
//! is `FROM` it), `copied` (the built stage copies the leaking file out of
//! it with `COPY --from`), `copied-other` (it copies other paths only),
//! `unused` (nothing of it reaches the built image).

use dockerleak::{lint_source, Config, Severity};

/// Puts `leak` (instructions writing under `/work`) into stage `leaky` and
/// adds a final stage that relates to it as `relation` says (`copied`
/// copies `/work`).
fn dockerfile(leak: &str, relation: &str) -> String {
    let leaky = format!("FROM alpine:3.20 AS leaky\nWORKDIR /work\n{leak}\n");
    let last = match relation {
        "final" => return leaky,
        "base" => "FROM leaky\nRUN true\n",
        "copied" => "FROM alpine:3.20\nCOPY --from=leaky /work /work\n",
        "copied-other" => "FROM alpine:3.20\nCOPY --from=leaky /usr/bin/env /env\n",
        "unused" => "FROM alpine:3.20\nRUN true\n",
        other => panic!("unknown relation {other}"),
    };
    format!("{leaky}{last}")
}

const RELATIONS: [&str; 5] = ["final", "base", "copied", "copied-other", "unused"];

/// (rule, leak, severity per relation in RELATIONS order; None = no finding).
type Row = (&'static str, &'static str, [Option<Severity>; 5]);

const E: Option<Severity> = Some(Severity::Error);
const W: Option<Severity> = Some(Severity::Warning);
const N: Option<Severity> = Some(Severity::Note);

const TABLE: &[Row] = &[
    // A credential file in a layer: the file travels with COPY --from.
    ("DLK001", "COPY .npmrc /work/.npmrc", [E, E, E, W, W]),
    // The file-name heuristic on a destination: the same.
    ("DLK001", "COPY app.env /work/db-password", [E, E, E, W, W]),
    // Added then deleted: the earlier layer is only in the leaky stage.
    (
        "DLK002",
        "COPY .npmrc /work/.npmrc\nRUN rm /work/.npmrc",
        [E, E, W, W, W],
    ),
    // A build arg is in the history of its stage (and of stages FROM it).
    ("DLK003", "ARG NPM_TOKEN\nRUN npm ci", [E, E, W, W, W]),
    // ENV is in the config of its stage (and of stages FROM it).
    (
        "DLK004",
        "ARG NPM_TOKEN\nENV API_TOKEN=$NPM_TOKEN",
        [E, E, W, W, W],
    ),
    // Written in plain text in the Dockerfile: always an error.
    (
        "DLK005",
        "ENV GITHUB_TOKEN=ghp_aaaaBBBBccccDDDDeeeeFFFFgggg0000hhhh",
        [E, E, E, E, E],
    ),
    // Expanding a secret ARG: history; writing it into a file that is
    // copied: the file travels.
    (
        "DLK006",
        "ARG NPM_TOKEN\nRUN echo \"//r/:_authToken=$NPM_TOKEN\" > /work/.npmrc",
        [E, E, E, W, W],
    ),
    (
        "DLK006",
        "ARG NPM_TOKEN\nRUN curl -u \"ci:$NPM_TOKEN\" https://x.example/a",
        [E, E, W, W, W],
    ),
    // The "secret written to a file" heuristic: the file travels.
    (
        "DLK006",
        "ARG DB_PASS\nRUN echo \"password=$DB_PASS\" > /work/app.ini",
        [E, E, E, W, W],
    ),
    // A git URL rewrite with the token: the config file travels.
    (
        "DLK006",
        "ARG GH_TOKEN\nRUN git config --file /work/gitconfig url.\"https://${GH_TOKEN}@github.com/\".insteadOf https://github.com/",
        [E, E, E, W, W],
    ),
    // A literal written to a file: plain text in the Dockerfile.
    (
        "DLK005",
        "RUN echo \"db_password = FAKEdbPass42\" > /work/app.conf",
        [E, E, E, E, E],
    ),
    // Credentials written in a URL: plain text in the Dockerfile.
    (
        "DLK007",
        "RUN git clone https://ci:hunter2hunter2@git.example.com/r.git",
        [E, E, E, E, E],
    ),
    // A mounted secret copied into a file: the file travels.
    (
        "DLK008",
        "RUN --mount=type=secret,id=key cp /run/secrets/key /work/key",
        [E, E, E, W, W],
    ),
    // Printed to the log: a note wherever it is.
    (
        "DLK009",
        "RUN --mount=type=secret,id=key cat /run/secrets/key",
        [N, N, N, N, N],
    ),
];

#[test]
fn severity_follows_where_the_secret_ends_up() {
    let mut problems = Vec::new();
    for (code, leak, expected) in TABLE {
        for (relation, expected) in RELATIONS.iter().zip(expected) {
            let text = dockerfile(leak, relation);
            let report = lint_source("Dockerfile", &text, &Config::default());
            let got = report
                .findings
                .iter()
                .filter(|finding| finding.code == *code)
                .map(|finding| finding.severity)
                .max();
            if got != *expected {
                problems.push(format!(
                    "{code} {relation}: expected {expected:?}, got {got:?}\n{text}"
                ));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn a_carried_file_names_the_copy_that_carries_it() {
    let text = dockerfile("COPY .npmrc /work/.npmrc", "copied");
    let report = lint_source("Dockerfile", &text, &Config::default());
    let finding = report
        .findings
        .iter()
        .find(|finding| finding.code == "DLK001")
        .expect("DLK001");
    assert!(finding
        .message
        .contains("`COPY --from` carries it into the final image"));
    let label = &finding.labels[0];
    assert_eq!(label.message, "copied into the final image here");
    assert_eq!(label.span.slice(&text), "/work");
}

/// The leak of `TABLE` written as `ONBUILD` triggers of stage `leaky`, and
/// the stage that runs them related to the built image as `relation` says
/// (`base-image`: no stage of the file is built on `leaky`).
fn onbuild_dockerfile(leak: &str, relation: &str) -> String {
    let triggers: String = leak
        .lines()
        .map(|line| format!("ONBUILD {line}\n"))
        .collect();
    let leaky = format!("FROM alpine:3.20 AS leaky\nWORKDIR /work\n{triggers}");
    let rest = match relation {
        "base-image" => return leaky,
        "final" => "FROM leaky\nRUN true\n",
        "base" => "FROM leaky AS runs\nRUN true\nFROM runs\nRUN true\n",
        "copied" => "FROM leaky AS runs\nFROM alpine:3.20\nCOPY --from=runs /work /work\n",
        "copied-other" => {
            "FROM leaky AS runs\nFROM alpine:3.20\nCOPY --from=runs /usr/bin/env /env\n"
        }
        "unused" => "FROM leaky AS runs\nFROM alpine:3.20\nRUN true\n",
        other => panic!("unknown relation {other}"),
    };
    format!("{leaky}{rest}")
}

/// RULES.md: a trigger is judged as part of the stage that runs it; with
/// none in the file, it leaks into every image built from this one: a
/// warning (a note stays a note; what is written in plain text in the
/// Dockerfile stays an error).
#[test]
fn onbuild_triggers_are_judged_where_they_run() {
    let mut problems = Vec::new();
    for (code, leak, expected) in TABLE {
        let plain_text = matches!(*code, "DLK005" | "DLK007");
        let base_image = match expected[0] {
            Some(Severity::Error) if !plain_text => W,
            other => other,
        };
        let cases = RELATIONS
            .iter()
            .zip(expected.iter().copied())
            .chain(std::iter::once((&"base-image", base_image)));
        for (relation, expected) in cases {
            let text = onbuild_dockerfile(leak, relation);
            let report = lint_source("Dockerfile", &text, &Config::default());
            let got = report
                .findings
                .iter()
                .filter(|finding| finding.code == *code)
                .map(|finding| finding.severity)
                .max();
            if got != expected {
                problems.push(format!(
                    "{code} ONBUILD {relation}: expected {expected:?}, got {got:?}\n{text}"
                ));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn a_trigger_of_a_base_image_says_where_it_leaks() {
    let text = onbuild_dockerfile("ARG NPM_TOKEN\nRUN npm ci", "base-image");
    let report = lint_source("Dockerfile", &text, &Config::default());
    let finding = report
        .findings
        .iter()
        .find(|finding| finding.code == "DLK003")
        .expect("DLK003 on the trigger");
    assert_eq!(finding.severity, Severity::Warning);
    assert!(
        finding
            .message
            .contains("recorded in the history of every image built from this one"),
        "{}",
        finding.message
    );
    let label = &finding.labels[0];
    assert_eq!(
        label.message,
        "ONBUILD: leaks into every image built from this one"
    );
    assert_eq!(label.span.slice(&text), "ONBUILD");
    assert_eq!(finding.stage.as_deref(), Some("leaky"));
}
