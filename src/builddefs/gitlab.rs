//! `.gitlab-ci.yml` (and files it includes, read the same way): every
//! job's `script`, `before_script` and `after_script` (and `default:`'s)
//! read as shell, kaniko's `/kaniko/executor` included; a `variables:`
//! entry whose value holds `--build-arg` options (`DOCKER_BUILD_ARGS:
//! --build-arg A=$B`) is read as those options. `$CI_JOB_TOKEN`,
//! `$CI_REGISTRY_PASSWORD`, `$CI_DEPLOY_PASSWORD`, `$CI_JOB_JWT*` and
//! `$CI_REPOSITORY_URL` (it embeds the job token) are secrets; protected
//! and masked variables are set in the project's settings, not in the
//! file, so they count through their secret-looking names.

use super::script::read_scalar;
use super::yaml::{self, Node};
use super::{Definition, ReadError};

const SCRIPT_KEYS: [&str; 3] = ["before_script", "script", "after_script"];

pub fn read(text: &str) -> Result<Definition, ReadError> {
    let documents = yaml::parse(text)?;
    let mut definition = Definition::default();
    for document in &documents {
        read_variables(document.get("variables"), text, &mut definition);
        for (name, job) in document.entries() {
            if !matches!(job, Node::Mapping(..)) {
                if SCRIPT_KEYS.contains(&name.value.as_str()) {
                    read_scripts(job, text, &mut definition);
                }
                continue;
            }
            if name.value == "variables" {
                continue;
            }
            for key in SCRIPT_KEYS {
                if let Some(script) = job.get(key) {
                    read_scripts(script, text, &mut definition);
                }
            }
            read_variables(job.get("variables"), text, &mut definition);
        }
    }
    Ok(definition)
}

fn read_scripts(node: &Node, source: &str, definition: &mut Definition) {
    match node {
        Node::Scalar(scalar) => {
            if !scalar.value.trim().is_empty() {
                read_scalar(scalar, source, definition, "build options");
            }
        }
        Node::Sequence(items, _) => {
            for item in items {
                read_scripts(item, source, definition);
            }
        }
        Node::Mapping(..) => {}
    }
}

fn read_variables(node: Option<&Node>, source: &str, definition: &mut Definition) {
    for (name, value) in node.map(Node::entries).unwrap_or(&[]) {
        // `NAME: {value: …, description: …}`
        let scalar = value
            .as_scalar()
            .or_else(|| value.get("value").and_then(Node::as_scalar));
        if let Some(scalar) = scalar {
            if scalar.value.contains("--build-arg") {
                let tool = format!("variable {}", name.value);
                read_scalar(scalar, source, definition, &tool);
            }
        }
    }
}

/// The files of the project under `root` that a wildcard `include:
/// local:` path names, as GitLab matches them: the path is relative to the
/// project root (a leading `/` ignored), `**` matches anything (`/`
/// included: `ci/**.yml` is every `.yml` under `ci/`), `*` anything but
/// `/`. Relative paths with `/`, sorted; at most [`MAX_WILDCARD_MATCHES`]
/// (GitLab allows 150 includes in all), symbolic links not followed,
/// `.git` not entered.
pub fn wildcard_include(root: &std::path::Path, pattern: &str) -> Vec<String> {
    let pattern = pattern.trim().trim_start_matches('/');
    if pattern.is_empty() || pattern.split('/').any(|part| part == "..") {
        return Vec::new();
    }
    let mut expression = String::from("^");
    let mut rest = pattern;
    while let Some(at) = rest.find('*') {
        expression.push_str(&regex::escape(&rest[..at]));
        if rest[at..].starts_with("**") {
            expression.push_str(".*?");
            rest = &rest[at + 2..];
        } else {
            expression.push_str("[^/]*?");
            rest = &rest[at + 1..];
        }
    }
    expression.push_str(&regex::escape(rest));
    expression.push('$');
    let Ok(matcher) = regex::Regex::new(&expression) else {
        return Vec::new();
    };
    // Walk from the folder before the first wildcard.
    let literal = &pattern[..pattern.find('*').unwrap_or(pattern.len())];
    let base = literal.rfind('/').map_or("", |at| &literal[..at]);
    let walk = ignore::WalkBuilder::new(root.join(base))
        .standard_filters(false)
        .follow_links(false)
        .max_depth(Some(MAX_WILDCARD_DEPTH))
        .sort_by_file_name(|left, right| left.cmp(right))
        .filter_entry(|entry| {
            !(entry.file_name() == ".git" && entry.file_type().is_some_and(|kind| kind.is_dir()))
        })
        .build();
    let mut found = Vec::new();
    for entry in walk
        .flatten()
        .filter(|entry| entry.depth() > 0)
        .take(MAX_WILDCARD_VISITS)
    {
        if !entry.file_type().is_some_and(|kind| kind.is_file()) {
            continue;
        }
        // `/`-separated, as GitLab writes it; a name that is not UTF-8
        // matches nothing.
        let Some(parts) = entry.path().strip_prefix(root).ok().and_then(|relative| {
            relative
                .components()
                .map(|part| part.as_os_str().to_str())
                .collect::<Option<Vec<_>>>()
        }) else {
            continue;
        };
        let relative = parts.join("/");
        if matcher.is_match(&relative) {
            found.push(relative);
        }
    }
    found.sort();
    found.truncate(MAX_WILDCARD_MATCHES);
    found
}

/// At most this many files for one wildcard `include:`.
pub const MAX_WILDCARD_MATCHES: usize = 150;
/// At most this many folder entries looked at for one wildcard `include:`.
const MAX_WILDCARD_VISITS: usize = 20_000;
/// At most this many folders down from the one before the first wildcard.
const MAX_WILDCARD_DEPTH: usize = 33;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::builddefs::Origin;

    #[test]
    fn wildcard_includes_match_as_gitlab_does() {
        let directory = tempfile::tempdir().expect("tempdir");
        let root = directory.path();
        for file in [
            "ci/a.yml",
            "ci/b.yaml",
            "ci/sub/c.yml",
            "ci/sub/deep/d.yml",
            "other/e.yml",
            "top.yml",
        ] {
            let path = root.join(file);
            std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
            std::fs::write(path, "x: 1\n").expect("write");
        }
        let names = |pattern: &str| wildcard_include(root, pattern);
        assert_eq!(names("ci/*.yml"), ["ci/a.yml"]);
        assert_eq!(names("/ci/*.y*ml"), ["ci/a.yml", "ci/b.yaml"]);
        assert_eq!(
            names("ci/**.yml"),
            ["ci/a.yml", "ci/sub/c.yml", "ci/sub/deep/d.yml"]
        );
        assert_eq!(names("ci/**/*.yml"), ["ci/sub/c.yml", "ci/sub/deep/d.yml"]);
        assert_eq!(names("*.yml"), ["top.yml"]);
        assert!(names("../*.yml").is_empty());
        assert!(names("missing/*.yml").is_empty());
    }

    #[test]
    fn wildcard_includes_skip_git_and_symbolic_links() {
        let directory = tempfile::tempdir().expect("tempdir");
        let root = directory.path();
        for file in ["ci/a.yml", ".git/b.yml", "ci/.git/c.yml", "ci/.hidden.yml"] {
            let path = root.join(file);
            std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
            std::fs::write(path, "x: 1\n").expect("write");
        }
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink(root.join("ci/a.yml"), root.join("ci/link.yml"))
                .expect("symlink");
            std::os::unix::fs::symlink(root.join("ci"), root.join("linked")).expect("symlink");
        }
        // Hidden files count (no ignore rules apply); `.git` is never
        // entered and links are not followed.
        assert_eq!(
            wildcard_include(root, "**.yml"),
            ["ci/.hidden.yml", "ci/a.yml"]
        );
        // The folder the walk starts from is read through a link, as a
        // path names it.
        #[cfg(unix)]
        assert_eq!(
            wildcard_include(root, "linked/*.yml"),
            ["linked/.hidden.yml", "linked/a.yml"]
        );
    }

    #[test]
    fn scripts_and_option_variables_are_read() {
        let text = "variables:\n  DOCKER_BUILD_ARGS: >-\n    --build-arg TOKEN=$ES_TOKEN\n    --build-arg TAG=$CI_COMMIT_SHA\nbuild:\n  script:\n    - docker build --build-arg CI_JOB_TOKEN=$CI_JOB_TOKEN $DOCKER_BUILD_ARGS .\n    - |\n      /kaniko/executor --context $CI_PROJECT_DIR --build-arg NPM_TOKEN=${NPM_TOKEN}\n";
        let definition = read(text).expect("valid");
        let names: Vec<&str> = definition
            .invocations
            .iter()
            .flat_map(|invocation| invocation.build_args.iter().map(|arg| arg.name.as_str()))
            .collect();
        assert_eq!(names, ["TOKEN", "TAG", "CI_JOB_TOKEN", "NPM_TOKEN"]);
        let job_token = &definition.invocations[1].build_args[0];
        let value = job_token.value.as_ref().expect("value");
        assert_eq!(value.references[0].origin, Origin::SecretStore);
        assert_eq!(value.span.slice(text), "$CI_JOB_TOKEN");
        assert_eq!(definition.invocations[0].tool, "variable DOCKER_BUILD_ARGS");
        let tag = &definition.invocations[0].build_args[1];
        assert_eq!(
            tag.value.as_ref().expect("value").references[0].origin,
            Origin::Public
        );
    }
}
