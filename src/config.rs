//! The effective configuration of a run: which rules, at which severity,
//! what counts as a secret, and what the analysis should assume (target
//! stage, build context). `.dockerleak.toml` loading extends this later.

use crate::finding::Severity;
use crate::secrets::Catalog;
use std::collections::BTreeMap;
use std::path::PathBuf;

/// Settings that change what the linter reports.
#[derive(Clone, Debug, Default)]
pub struct Config {
    /// Only these codes (empty: all rules).
    pub select: Vec<String>,
    /// Never these codes.
    pub ignore: Vec<String>,
    /// Per-code severity overrides.
    pub severity: BTreeMap<String, Severity>,
    /// The stage that is built (`--target`); default: the last one.
    pub target: Option<String>,
    /// The build context for context-aware rules (`--context`).
    pub context: Option<PathBuf>,
    /// Secret knowledge extended by configuration; `None`: the builtin one.
    pub catalog: Option<Catalog>,
}

impl Config {
    /// The secret catalogues in effect.
    pub fn catalog(&self) -> &Catalog {
        self.catalog.as_ref().unwrap_or_else(|| Catalog::builtin())
    }

    /// Whether rule `code` runs under this configuration.
    pub fn is_enabled(&self, code: &str) -> bool {
        let selected = self.select.is_empty()
            || self
                .select
                .iter()
                .any(|selected| selected.eq_ignore_ascii_case(code));
        selected
            && !self
                .ignore
                .iter()
                .any(|ignored| ignored.eq_ignore_ascii_case(code))
    }
}
