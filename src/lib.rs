//! dockerleak: find secret leaks in Dockerfiles before an image is built.
//!
//! The library is the whole linter; the binary only parses arguments and
//! maps the outcome to an exit code. Data flows one way: source → syntax →
//! analysis → rules → suppression/redaction → reporters.

pub mod analysis;
pub mod baseline;
pub mod build_context;
pub mod builddefs;
pub mod cli;
pub mod config;
pub mod discover;
pub mod dockerignore;
pub mod finding;
pub mod fix;
pub mod input;
pub mod lint;
mod memory;
pub mod redact;
pub mod report;
pub mod rules;
pub mod secrets;
pub mod server;
pub mod source;
pub mod stages;
pub mod suppress;
pub mod syntax;

pub use config::Config;
pub use finding::{FileError, FileReport, Finding, Label, Severity};
pub use lint::{lint_source, lint_source_as};

/// Where the project lives (rule documentation links point here).
pub const REPOSITORY: &str = env!("CARGO_PKG_REPOSITORY");
