//! Converts the rule data in `rules/*.toml` to JSON at build time.
//!
//! The data stays TOML in the repository (comments, readable diffs, the
//! same schema users write in `.dockerleak.toml`), but parsing 60 KB of
//! TOML took a quarter of a one-file run; the binary embeds the JSON form,
//! which serde reads several times faster into the same types. A syntax
//! error in a data file fails the build, naming the file, line and column.
//!
//! Each file is written twice: whole (`<name>.json`, which the unit tests
//! load to run every entry's examples) and without the examples that only
//! the tests read (`<name>.runtime.json`, what the linter embeds): they
//! were a third of the JSON, and parsing the lists is a seventh of a
//! one-file run. The credential files keep their `true_examples`, which
//! the linter probes broad globs with.

use std::env;
use std::fs;
use std::path::Path;

/// Each data file, with the keys (at any depth) that only the tests read.
const DATA_FILES: [(&str, &[&str]); 5] = [
    ("credential-commands.toml", &[]),
    ("credential-files.toml", &["false_examples"]),
    (
        "secret-file-names.toml",
        &["true_examples", "false_examples"],
    ),
    ("secret-names.toml", &["examples"]),
    (
        "token-formats.toml",
        &["true_examples", "false_examples", "non_token_examples"],
    ),
];

/// `value` without the keys in `test_only`, at any depth.
fn strip(value: &mut toml::Value, test_only: &[&str]) {
    match value {
        toml::Value::Table(table) => {
            table.retain(|key, _| !test_only.contains(&key));
            for (_, nested) in table.iter_mut() {
                strip(nested, test_only);
            }
        }
        toml::Value::Array(items) => {
            for item in items {
                strip(item, test_only);
            }
        }
        _ => {}
    }
}

fn write(path: &Path, value: &toml::Value) {
    let json = serde_json::to_string(value).expect("TOML values convert to JSON");
    fs::write(path, json)
        .unwrap_or_else(|error| panic!("cannot write {}: {error}", path.display()));
}

fn main() {
    let out_dir = env::var_os("OUT_DIR").expect("cargo sets OUT_DIR");
    for (name, test_only) in DATA_FILES {
        let source = Path::new("rules").join(name);
        println!("cargo::rerun-if-changed={}", source.display());
        let text = fs::read_to_string(&source)
            .unwrap_or_else(|error| panic!("cannot read {}: {error}", source.display()));
        let mut value: toml::Value = toml::from_str(&text)
            .unwrap_or_else(|error| panic!("{} is not valid TOML: {error}", source.display()));
        write(
            &Path::new(&out_dir).join(name.replace(".toml", ".json")),
            &value,
        );
        strip(&mut value, test_only);
        write(
            &Path::new(&out_dir).join(name.replace(".toml", ".runtime.json")),
            &value,
        );
    }
}
