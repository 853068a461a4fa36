//! Property: for random Dockerfiles with planted secrets (token formats and
//! values of secret-looking names, in ENV, ARG, LABEL, RUN, URLs, stage
//! names, split by line continuations, repeated later), under any
//! combination of `select`/`ignore`, inline suppressions and a baseline,
//! no output in any format holds a planted value, nor any 8-character
//! window of it past its first 4 characters (what the redaction keeps).
//!
//! Runs through the library and the report writer, for speed; the CLI
//! paths are covered by `tests/redaction_cases.rs`. 64 cases by default;
//! `PROPTEST_CASES=10000 cargo test --release --test redaction_properties`
//! for a long run.

use clap::ValueEnum;
use dockerleak::baseline::Baseline;
use dockerleak::report::{write_report, Format, ReportOptions};
use dockerleak::rules::registry;
use dockerleak::{lint_source, Config};
use proptest::prelude::*;
use proptest::test_runner::Config as ProptestConfig;

/// A planted secret: its value, and whether it may be a stage name.
#[derive(Clone, Debug)]
struct Planted {
    value: String,
    is_token: bool,
}

fn characters(alphabet: &'static str, length: usize) -> impl Strategy<Value = String> {
    let alphabet: Vec<char> = alphabet.chars().collect();
    prop::collection::vec(prop::sample::select(alphabet), length)
        .prop_map(|characters| characters.into_iter().collect())
}

const ALNUM: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const UPPER_DIGITS: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

fn secret() -> impl Strategy<Value = Planted> {
    let token = |value: String| Planted {
        value,
        is_token: true,
    };
    prop_oneof![
        characters(ALNUM, 36).prop_map(move |body| token(format!("ghp_{body}"))),
        characters(ALNUM, 22).prop_map(move |body| token(format!("glpat-{body}"))),
        characters(UPPER_DIGITS, 16).prop_map(move |body| token(format!("AKIA{body}"))),
        // A password: three character classes, so it looks like one.
        (characters(ALNUM, 10), 0..10u8).prop_map(|(body, digit)| Planted {
            value: format!("Pw{digit}!{body}"),
            is_token: false,
        }),
    ]
}

const NAMES: &[&str] = &["API_TOKEN", "DB_PASSWORD", "SECRET_KEY", "GITHUB_TOKEN"];

/// Where a secret is written: a template for one instruction.
#[derive(Clone, Copy, Debug)]
enum Place {
    Env,
    Arg,
    Label,
    RunAssignment,
    RunHeader,
    UrlPassword,
    UrlUser,
    StageName,
    Continuation,
}

fn place() -> impl Strategy<Value = Place> {
    prop::sample::select(vec![
        Place::Env,
        Place::Arg,
        Place::Label,
        Place::RunAssignment,
        Place::RunHeader,
        Place::UrlPassword,
        Place::UrlUser,
        Place::StageName,
        Place::Continuation,
    ])
}

/// The instruction(s) that write `secret` at `place`.
fn written(secret: &Planted, place: Place, name: &str) -> String {
    let value = &secret.value;
    // Places that only token formats are found in fall back to an ENV.
    let place = match place {
        Place::RunHeader | Place::UrlUser | Place::StageName | Place::Label if !secret.is_token => {
            Place::Env
        }
        other => other,
    };
    match place {
        Place::Env => format!("ENV {name}={value}\n"),
        Place::Arg => format!("ARG {name}={value}\n"),
        Place::Label => format!("LABEL note={value}\n"),
        Place::RunAssignment => format!("RUN export {name}={value} && make\n"),
        Place::RunHeader => {
            format!("RUN curl -H \"Authorization: Bearer {value}\" https://example.com/x\n")
        }
        Place::UrlPassword => {
            format!("RUN git clone https://bob:{value}@git.example.com/r.git\n")
        }
        Place::UrlUser => {
            format!("RUN git clone https://{value}:x-oauth-basic@github.com/o/r.git\n")
        }
        Place::StageName => format!("FROM alpine AS {value}\n"),
        Place::Continuation => {
            let middle = value.len() / 2;
            format!(
                "ENV OTHER=1 \\\n    {name}={}\\\n{} \\\n    MORE=2\n",
                &value[..middle],
                &value[middle..]
            )
        }
    }
}

/// One generated case: the Dockerfile, the planted values, and how the run
/// is configured.
#[derive(Clone, Debug)]
struct Case {
    text: String,
    secrets: Vec<String>,
    select: Vec<String>,
    ignore: Vec<String>,
    /// Which findings (by index) a baseline holds.
    baselined: Vec<bool>,
}

const SUPPRESSIONS: &[&str] = &[
    "# dockerleak ignore=DLK004,DLK005 accepted\n",
    "# dockerleak ignore=DLK003,DLK005,DLK007\n",
    "# dockerleak ignore=all\n",
    "# dockerleak global ignore=DLK005\n",
];

const FILLERS: &[&str] = &[
    "COPY .netrc /root/.netrc\n",
    "RUN make\n",
    "RUN --mount=type=secret,id=x cat /run/secrets/x\n",
    "ENV PATH=/usr/local/bin:$PATH\n",
];

fn case() -> impl Strategy<Value = Case> {
    let codes: Vec<String> = registry()
        .iter()
        .map(|rule| rule.meta().code.to_string())
        .collect();
    let entries = prop::collection::vec(
        (
            secret(),
            place(),
            prop::sample::select(NAMES),
            prop::option::of(prop::sample::select(SUPPRESSIONS)),
            prop::option::of(prop::sample::select(FILLERS)),
            any::<bool>(),
        ),
        1..5,
    );
    (
        entries,
        prop::sample::subsequence(codes.clone(), 0..=3),
        prop::sample::subsequence(codes, 0..=4),
        prop::collection::vec(any::<bool>(), 0..12),
    )
        .prop_map(|(entries, select, ignore, baselined)| {
            let mut text = String::from("FROM alpine AS build\n");
            let mut secrets = Vec::new();
            for (secret, place, name, suppression, filler, repeated) in entries {
                if let Some(suppression) = suppression {
                    text.push_str(suppression);
                }
                text.push_str(&written(&secret, place, name));
                if let Some(filler) = filler {
                    text.push_str(filler);
                }
                if repeated {
                    text.push_str(&format!("RUN echo {} > /tmp/value\n", secret.value));
                }
                secrets.push(secret.value);
            }
            text.push_str("COPY .npmrc /root/.npmrc\n");
            Case {
                text,
                secrets,
                select,
                ignore,
                baselined,
            }
        })
}

/// The planted value, or the first window of it, that `output` holds.
fn leaked(output: &str, secret: &str) -> Option<String> {
    if output.contains(secret) {
        return Some(secret.to_string());
    }
    let characters: Vec<char> = secret.chars().collect();
    (4..characters.len().saturating_sub(7))
        .map(|start| characters[start..start + 8].iter().collect::<String>())
        .find(|window| output.contains(window.as_str()))
}

fn check(case: &Case) -> Result<(), String> {
    let config = Config {
        select: case.select.clone(),
        ignore: case.ignore.clone(),
        ..Config::default()
    };
    let mut reports = vec![lint_source("Dockerfile", &case.text, &config)];
    let mut baseline = Baseline::of(&reports, str::to_string);
    let mut index = 0;
    baseline.findings.retain(|_| {
        index += 1;
        case.baselined.get(index - 1).copied().unwrap_or(false)
    });
    baseline.filter(&mut reports);
    let mut recorded = Vec::new();
    Baseline::of(&reports, str::to_string)
        .write_to(&mut recorded)
        .map_err(|error| error.to_string())?;
    let mut outputs = vec![(
        "baseline".to_string(),
        String::from_utf8_lossy(&recorded).into_owned(),
    )];
    for format in Format::value_variants() {
        for color in [false, true] {
            if color && *format != Format::Pretty {
                continue;
            }
            let options = ReportOptions {
                color,
                ..ReportOptions::default()
            };
            let mut output = Vec::new();
            write_report(*format, &reports, &options, &mut output)
                .map_err(|error| format!("{format:?}: {error}"))?;
            outputs.push((
                format!("{format:?} (colour {color})"),
                String::from_utf8_lossy(&output).into_owned(),
            ));
        }
    }
    for (format, output) in &outputs {
        for secret in &case.secrets {
            if let Some(piece) = leaked(output, secret) {
                return Err(format!(
                    "{format} prints {piece:?} of {secret:?}:\n{output}"
                ));
            }
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: if std::env::var_os("PROPTEST_CASES").is_some() {
            ProptestConfig::default().cases
        } else {
            64
        },
        ..ProptestConfig::default()
    })]

    #[test]
    fn no_output_prints_a_planted_secret(case in case()) {
        if let Err(problem) = check(&case) {
            prop_assert!(false, "{}\n--- Dockerfile ---\n{}", problem, case.text);
        }
    }
}
