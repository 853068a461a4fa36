//! Baselines: adopting dockerleak in a repository that already has
//! findings. `--write-baseline FILE` records the findings of a run by their
//! fingerprints; `--baseline FILE` then reports only findings that are not
//! in it, so a check fails on new leaks while old ones are fixed over time.
//!
//! The file is JSON, meant to be committed and reviewed:
//!
//! ```json
//! {
//!   "version": 1,
//!   "findings": [
//!     {"code": "DLK001", "path": "app/Dockerfile",
//!      "fingerprint": "bd2a0d97e3b4e51f:1",
//!      "message": "COPY puts `.netrc` (…) into the image"}
//!   ]
//! }
//! ```
//!
//! A finding is in the baseline when an entry has its code and its
//! fingerprint (which hashes the code, the path relative to the file's
//! repository root, and the finding's
//! instruction with whitespace collapsed and secrets masked, plus an
//! occurrence counter): lines added above it, comments, reordered other
//! instructions leave it in the baseline; a change to its own instruction
//! makes it new. Each entry matches one finding. `path` and `message` are
//! there for the reader; the message is the finding's, which never holds a
//! secret (and is masked again on the way in, to be sure). Entries are
//! sorted, so a rewritten baseline diffs cleanly.

use crate::finding::FileReport;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;
use std::io::{self, Write};
use std::path::Path;

/// The version of the baseline format.
pub const BASELINE_VERSION: u32 = 1;

/// A baseline file's contents.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Baseline {
    pub version: u32,
    pub findings: Vec<BaselineEntry>,
}

/// One recorded finding.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BaselineEntry {
    pub code: String,
    pub path: String,
    pub fingerprint: String,
    pub message: String,
}

/// A baseline that cannot be used.
#[derive(Debug)]
pub enum BaselineError {
    /// The file could not be read (or written).
    Io { path: String, message: String },
    /// The file is not a baseline this version understands.
    Invalid { path: String, message: String },
}

impl fmt::Display for BaselineError {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BaselineError::Io { path, message } => write!(formatter, "{path}: {message}"),
            BaselineError::Invalid { path, message } => {
                write!(formatter, "{path}: not a dockerleak baseline: {message}")
            }
        }
    }
}

impl std::error::Error for BaselineError {}

impl Baseline {
    /// The baseline of `reports`: every finding, with `path` as
    /// `display_path` shows it.
    pub fn of(reports: &[FileReport], display_path: impl Fn(&str) -> String) -> Baseline {
        let mut findings: Vec<BaselineEntry> = reports
            .iter()
            .flat_map(|report| {
                let path = display_path(&report.path);
                report.findings.iter().map(move |finding| BaselineEntry {
                    code: finding.code.to_string(),
                    path: path.clone(),
                    fingerprint: finding.fingerprint.clone(),
                    message: crate::report::safe_message(report, finding).into_owned(),
                })
            })
            .collect();
        findings.sort();
        Baseline {
            version: BASELINE_VERSION,
            findings,
        }
    }

    /// Reads a baseline file.
    pub fn read(path: &Path) -> Result<Baseline, BaselineError> {
        let display = path.display().to_string();
        let text = crate::input::read_regular_text(path, crate::input::MAX_BASELINE_SIZE).map_err(
            |error| BaselineError::Io {
                path: display.clone(),
                message: format!("cannot read the baseline: {error}"),
            },
        )?;
        Baseline::parse(&text).map_err(|message| BaselineError::Invalid {
            path: display,
            message,
        })
    }

    /// Parses a baseline document.
    pub fn parse(text: &str) -> Result<Baseline, String> {
        #[derive(Deserialize)]
        struct Versioned {
            version: Option<u32>,
        }
        let versioned: Versioned = serde_json::from_str(text).map_err(|error| error.to_string())?;
        match versioned.version {
            Some(BASELINE_VERSION) => {}
            Some(other) => {
                return Err(format!(
                    "version {other} is not supported (this dockerleak writes version {BASELINE_VERSION})"
                ))
            }
            None => return Err("no `version` field".into()),
        }
        serde_json::from_str(text).map_err(|error| error.to_string())
    }

    /// Writes the baseline as pretty JSON with a final newline.
    pub fn write_to(&self, output: &mut dyn Write) -> io::Result<()> {
        serde_json::to_writer_pretty(&mut *output, self).map_err(io::Error::from)?;
        output.write_all(b"\n")
    }

    /// Removes from `reports` every finding the baseline holds (each entry
    /// matches at most one finding) and returns how many were removed.
    pub fn filter(&self, reports: &mut [FileReport]) -> usize {
        let mut remaining: BTreeMap<(&str, &str), usize> = BTreeMap::new();
        for entry in &self.findings {
            *remaining
                .entry((entry.code.as_str(), entry.fingerprint.as_str()))
                .or_default() += 1;
        }
        let mut remaining: BTreeMap<(String, String), usize> = remaining
            .into_iter()
            .map(|((code, fingerprint), count)| {
                ((code.to_string(), fingerprint.to_string()), count)
            })
            .collect();
        let mut removed = 0;
        for report in reports.iter_mut() {
            report.findings.retain(|finding| {
                let key = (finding.code.to_string(), finding.fingerprint.clone());
                match remaining.get_mut(&key) {
                    Some(count) if *count > 0 => {
                        *count -= 1;
                        removed += 1;
                        false
                    }
                    _ => true,
                }
            });
        }
        removed
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::lint::lint_source;

    fn lint(text: &str) -> FileReport {
        lint_source("Dockerfile", text, &Config::default())
    }

    #[test]
    fn a_baseline_round_trips_and_filters_its_own_findings() {
        let mut reports = vec![lint("FROM alpine\nCOPY .netrc /root/\n")];
        let baseline = Baseline::of(&reports, str::to_string);
        assert_eq!(baseline.findings.len(), 1);
        let mut written = Vec::new();
        baseline.write_to(&mut written).expect("write to a Vec");
        let read = Baseline::parse(std::str::from_utf8(&written).expect("UTF-8")).expect("parses");
        assert_eq!(read, baseline);
        assert_eq!(read.filter(&mut reports), 1);
        assert!(reports[0].findings.is_empty());
    }

    #[test]
    fn other_versions_and_shapes_are_rejected() {
        assert!(Baseline::parse(r#"{"version": 2, "findings": []}"#)
            .unwrap_err()
            .contains("version 2"));
        assert!(Baseline::parse(r#"{"findings": []}"#)
            .unwrap_err()
            .contains("version"));
        assert!(Baseline::parse("[]").is_err());
        assert!(Baseline::parse(r#"{"version": 1, "findings": [{"code": "DLK001"}]}"#).is_err());
    }
}
