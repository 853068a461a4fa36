//! The version a release publishes is written in several files: Cargo.toml
//! (the crate, and through maturin the wheel), the root pyproject.toml (the
//! package pre-commit installs, which pins the wheel), CHANGELOG.md (the
//! release notes), and the `rev:`, `@vX.Y.Z`, `==X.Y.Z` and download
//! addresses of the install and integration docs. The release workflow
//! checks the tag against Cargo.toml; these tests keep the rest in step, so
//! a bumped version cannot leave a doc, the hook's pin or the notes behind.

use std::fs;
use std::path::Path;

const VERSION: &str = env!("CARGO_PKG_VERSION");

fn read(relative: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(relative);
    fs::read_to_string(&path).unwrap_or_else(|error| panic!("{}: {error}", path.display()))
}

fn toml_file(relative: &str) -> toml::Table {
    read(relative)
        .parse()
        .unwrap_or_else(|error| panic!("{relative}: {error}"))
}

/// Every piece of `text` that follows `marker`, up to the first character
/// that cannot be part of a version or tag.
fn references<'text>(text: &'text str, marker: &str) -> Vec<&'text str> {
    text.match_indices(marker)
        .map(|(start, _)| {
            let rest = &text[start + marker.len()..];
            let end = rest
                .find(|character: char| {
                    !(character.is_ascii_alphanumeric() || character == '.' || character == '-')
                })
                .unwrap_or(rest.len());
            &rest[..end]
        })
        .collect()
}

#[test]
fn the_pre_commit_package_pins_the_wheel_of_this_version() {
    let pyproject = toml_file("pyproject.toml");
    let project = pyproject["project"].as_table().expect("[project]");
    assert_eq!(project["version"].as_str(), Some(VERSION));
    let dependencies: Vec<&str> = project["dependencies"]
        .as_array()
        .expect("dependencies")
        .iter()
        .filter_map(|dependency| dependency.as_str())
        .collect();
    assert_eq!(dependencies, [format!("dockerleak=={VERSION}")]);
    assert_ne!(
        project["name"].as_str(),
        Some("dockerleak"),
        "the root package depends on the dockerleak wheel: it cannot be named dockerleak"
    );
}

#[test]
fn the_wheel_is_the_binary_and_takes_the_crate_version() {
    let pyproject = toml_file("python/pyproject.toml");
    let project = pyproject["project"].as_table().expect("[project]");
    assert_eq!(project["name"].as_str(), Some("dockerleak"));
    let dynamic = project["dynamic"].as_array().expect("dynamic");
    assert!(dynamic
        .iter()
        .any(|field| field.as_str() == Some("version")));
    assert!(
        !project.contains_key("version"),
        "the version is Cargo.toml's"
    );
    let maturin = pyproject["tool"]["maturin"]
        .as_table()
        .expect("[tool.maturin]");
    assert_eq!(maturin["bindings"].as_str(), Some("bin"));
    assert_eq!(maturin["manifest-path"].as_str(), Some("../Cargo.toml"));
    assert_eq!(
        pyproject["build-system"]["build-backend"].as_str(),
        Some("maturin")
    );
}

#[test]
fn the_changelog_has_a_section_for_this_version() {
    let heading = format!("## [{VERSION}]");
    assert!(
        read("CHANGELOG.md")
            .lines()
            .any(|line| line.starts_with(&heading)),
        "CHANGELOG.md has no `{heading}` section: the release would have no notes"
    );
}

#[test]
fn docs_and_hooks_name_this_release_and_no_branch() {
    let tag = format!("v{VERSION}");
    for file in [
        "README.md",
        "docs/integrations.md",
        ".pre-commit-hooks.yaml",
    ] {
        let text = read(file);
        for rev in references(&text, "rev: ") {
            assert_eq!(rev, tag, "{file}: `rev: {rev}`");
        }
        for reference in references(&text, "dockerleak/dockerleak@") {
            assert_eq!(
                reference, tag,
                "{file}: `dockerleak/dockerleak@{reference}`"
            );
        }
        for download in references(&text, "releases/download/") {
            assert_eq!(download, tag, "{file}: `releases/download/{download}`");
        }
        // (`dockerleak==<version>` in prose is a placeholder, not a pin.)
        for pin in references(&text, "dockerleak==") {
            if !pin.is_empty() {
                assert_eq!(pin, VERSION, "{file}: `dockerleak=={pin}`");
            }
        }
    }
    assert!(read("docs/integrations.md").contains(&format!("rev: {tag}")));
    assert!(read("docs/integrations.md").contains(&format!("dockerleak/dockerleak@{tag}")));
}

#[test]
fn both_pre_commit_hooks_are_declared() {
    let hooks = read(".pre-commit-hooks.yaml");
    for (id, language) in [("dockerleak", "python"), ("dockerleak-cargo", "rust")] {
        let start = hooks
            .find(&format!("\n- id: {id}\n"))
            .unwrap_or_else(|| panic!("no hook `{id}`"));
        let entry = &hooks[start + 3..];
        let entry = &entry[..entry.find("\n- id: ").unwrap_or(entry.len())];
        assert!(
            entry.contains(&format!("\n  language: {language}\n")),
            "hook `{id}` is not `language: {language}`:\n{entry}"
        );
        assert!(entry.contains("\n  entry: dockerleak\n"), "hook `{id}`");
    }
}
