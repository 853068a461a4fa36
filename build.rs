//! Converts the rule data in `rules/*.toml` to JSON at build time.
//!
//! The data stays TOML in the repository (comments, readable diffs, the
//! same schema users write in `.dockerleak.toml`), but parsing 60 KB of
//! TOML took a quarter of a one-file run; the binary embeds the JSON form,
//! which serde reads several times faster into the same types. A syntax
//! error in a data file fails the build, naming the file, line and column.

use std::env;
use std::fs;
use std::path::Path;

const DATA_FILES: [&str; 5] = [
    "credential-commands.toml",
    "credential-files.toml",
    "secret-file-names.toml",
    "secret-names.toml",
    "token-formats.toml",
];

fn main() {
    let out_dir = env::var_os("OUT_DIR").expect("cargo sets OUT_DIR");
    for name in DATA_FILES {
        let source = Path::new("rules").join(name);
        println!("cargo::rerun-if-changed={}", source.display());
        let text = fs::read_to_string(&source)
            .unwrap_or_else(|error| panic!("cannot read {}: {error}", source.display()));
        let value: toml::Value = toml::from_str(&text)
            .unwrap_or_else(|error| panic!("{} is not valid TOML: {error}", source.display()));
        let json = serde_json::to_string(&value).expect("TOML values convert to JSON");
        let target = Path::new(&out_dir).join(name.replace(".toml", ".json"));
        fs::write(&target, json)
            .unwrap_or_else(|error| panic!("cannot write {}: {error}", target.display()));
    }
}
