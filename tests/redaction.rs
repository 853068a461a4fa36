//! No output format ever prints a secret: every format of `--format` runs
//! over a fixture full of fake secrets (each of which a rule detects), and
//! none of the secrets, nor their tail past the redaction prefix, may
//! appear in the output.

use assert_cmd::Command;
use clap::ValueEnum;
use dockerleak::report::Format;

const FIXTURE: &str = "tests/fixtures/redaction/Dockerfile";

/// The fake secrets written in the fixture.
const SECRETS: &[&str] = &[
    "AKIAFAKEFAKEFAKE7777",
    "FAKEfakeFAKEfakeFAKEfakeFAKEfakeFAKE7777",
    "Qz8!fakeR4nd0mV@lue77",
    "glpat-FAKEfakeFAKEfake7777",
    "Fak3DeployPassw0rd77",
    "Xq7fakeP4ssw0rdZ77",
    "ghp_FAKEfakeFAKEfakeFAKEfakeFAKEfake7777",
    "xoxb-777777777777-777777777777-FAKEfakeFAKEfakeFAKEfake",
    "sk_live_FAKEfakeFAKEfakeFAKE7777",
];

#[test]
fn every_fake_secret_is_found() {
    let text = std::fs::read_to_string(FIXTURE).expect("fixture");
    let report = dockerleak::lint_source("Dockerfile", &text, &dockerleak::Config::default());
    for secret in SECRETS {
        let start = text.find(secret).expect("the secret is in the fixture");
        let masked = report
            .findings
            .iter()
            .flat_map(|finding| finding.secrets.iter())
            .any(|span| span.start <= start && start + secret.len() <= span.end);
        assert!(
            masked,
            "{secret} is not detected as a secret: reporters would print it"
        );
    }
}

#[test]
fn no_output_format_prints_a_secret() {
    for format in Format::value_variants() {
        let name = format
            .to_possible_value()
            .expect("formats have names")
            .get_name()
            .to_string();
        let output = Command::cargo_bin("dockerleak")
            .expect("binary")
            .args(["--format", &name, "--color", "always", FIXTURE])
            .output()
            .expect("run");
        assert_eq!(output.status.code(), Some(1), "{name}: findings expected");
        let printed = format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        assert!(printed.len() > 100, "{name}: output is missing");
        for secret in SECRETS {
            // The redaction keeps at most 4 characters: the 5th onward must
            // never appear.
            let tail = &secret[4..];
            assert!(
                !printed.contains(tail),
                "{name} output shows {secret}:\n{printed}"
            );
        }
    }
}
