//! Helpers shared by the integration tests (most run the binary). Each test
//! file includes this module with `mod common;` and uses what it needs.
#![allow(dead_code)]

pub mod corpus;
pub mod definition_fixes;

use assert_cmd::Command;
use std::fs;
use std::path::Path;

/// The dockerleak binary, run in `directory`, with `NO_COLOR`,
/// `FORCE_COLOR` and `COLUMNS` cleared so that colour and width depend on
/// the flags and variables under test only.
pub fn dockerleak_in(directory: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_dockerleak"));
    command
        .current_dir(directory)
        .env_remove("NO_COLOR")
        .env_remove("FORCE_COLOR")
        .env_remove("COLUMNS");
    command
}

/// The dockerleak binary, run at the root of this repository (where
/// `examples/` and `tests/fixtures/` are).
pub fn dockerleak() -> Command {
    dockerleak_in(Path::new(env!("CARGO_MANIFEST_DIR")))
}

/// Writes `text` to `path`, creating its directories.
pub fn write(path: &Path, text: &str) {
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent).expect("create the fixture's directory");
    }
    fs::write(path, text).expect("write the fixture");
}
