//! The kinds of build definition, and how a file is recognised as one:
//! by its path in a walk (conventional names), by its name and then its
//! content when named on the command line, or as `--kind` says.

use aho_corasick::AhoCorasick;
use std::path::Path;
use std::sync::LazyLock;

/// What a file is read as.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileKind {
    Dockerfile,
    Definition(Kind),
}

impl FileKind {
    /// `--kind NAME`: `dockerfile` or a build-definition kind.
    pub fn parse(name: &str) -> Option<FileKind> {
        if name.eq_ignore_ascii_case("dockerfile") {
            return Some(FileKind::Dockerfile);
        }
        if name.eq_ignore_ascii_case("script") {
            return None;
        }
        Kind::parse(name, "").map(FileKind::Definition)
    }
}

/// The `--kind` values, for messages.
pub const KIND_NAMES: &str =
    "dockerfile, github, gitlab, jenkins, compose, bake, cloudbuild, shell, make, just";

/// A kind of build definition.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    GithubActions,
    GitlabCi,
    Jenkins,
    Compose,
    Bake,
    CloudBuild,
    Shell,
    Make,
    Just,
}

impl Kind {
    pub const ALL: [Kind; 9] = [
        Kind::GithubActions,
        Kind::GitlabCi,
        Kind::Jenkins,
        Kind::Compose,
        Kind::Bake,
        Kind::CloudBuild,
        Kind::Shell,
        Kind::Make,
        Kind::Just,
    ];

    /// The name used by `--kind` and the configuration's
    /// `disabled-readers`.
    pub fn name(self) -> &'static str {
        match self {
            Kind::GithubActions => "github",
            Kind::GitlabCi => "gitlab",
            Kind::Jenkins => "jenkins",
            Kind::Compose => "compose",
            Kind::Bake => "bake",
            Kind::CloudBuild => "cloudbuild",
            Kind::Shell => "shell",
            Kind::Make => "make",
            Kind::Just => "just",
        }
    }

    /// Reads a kind name (`script` is shell, make or just by file name).
    pub fn parse(name: &str, path: &str) -> Option<Kind> {
        let lowered = name.to_ascii_lowercase();
        if lowered == "script" {
            return Some(Kind::by_path(Path::new(path)).unwrap_or(Kind::Shell));
        }
        let alias = match lowered.as_str() {
            "github-actions" | "actions" | "workflow" => "github",
            "gitlab-ci" => "gitlab",
            "jenkinsfile" | "groovy" => "jenkins",
            "docker-compose" => "compose",
            "cloud-build" | "gcb" => "cloudbuild",
            "sh" | "bash" => "shell",
            "makefile" => "make",
            "justfile" => "just",
            other => other,
        };
        Kind::ALL.into_iter().find(|kind| kind.name() == alias)
    }

    /// The kind a walk gives a file by its path, from the conventional
    /// names: `.github/workflows/*.y*ml`, `action.y*ml`, `.gitlab-ci.yml`,
    /// `Jenkinsfile*`, `vars/*.groovy`, `compose*.y*ml`,
    /// `docker-compose*.y*ml`, `docker-bake*.hcl`/`.json`,
    /// `cloudbuild*.y*ml`/`.json`, `*.sh`,
    /// `Makefile`, `*.mk`, `justfile`.
    pub fn by_path(path: &Path) -> Option<Kind> {
        let name = path.file_name()?.to_str()?;
        let lowered = name.to_ascii_lowercase();
        let yaml = lowered.ends_with(".yml") || lowered.ends_with(".yaml");
        let parent = path
            .parent()
            .and_then(Path::file_name)
            .and_then(|name| name.to_str());
        let grandparent = path
            .parent()
            .and_then(Path::parent)
            .and_then(Path::file_name)
            .and_then(|name| name.to_str());
        if yaml && parent == Some("workflows") && grandparent == Some(".github") {
            return Some(Kind::GithubActions);
        }
        if lowered == "action.yml" || lowered == "action.yaml" {
            return Some(Kind::GithubActions);
        }
        if lowered.ends_with(".gitlab-ci.yml") || lowered.ends_with(".gitlab-ci.yaml") {
            return Some(Kind::GitlabCi);
        }
        if (lowered.starts_with("jenkinsfile") && !lowered.ends_with(".md"))
            || lowered.ends_with(".jenkinsfile")
        {
            return Some(Kind::Jenkins);
        }
        if lowered.ends_with(".groovy") && parent == Some("vars") {
            return Some(Kind::Jenkins);
        }
        if yaml && (lowered.starts_with("compose") || lowered.starts_with("docker-compose")) {
            return Some(Kind::Compose);
        }
        if lowered.starts_with("docker-bake")
            && (lowered.ends_with(".hcl") || lowered.ends_with(".json"))
        {
            return Some(Kind::Bake);
        }
        if lowered.starts_with("cloudbuild") && (yaml || lowered.ends_with(".json")) {
            return Some(Kind::CloudBuild);
        }
        if lowered.ends_with(".sh") || lowered.ends_with(".bash") {
            return Some(Kind::Shell);
        }
        if lowered == "makefile" || lowered == "gnumakefile" || lowered.ends_with(".mk") {
            return Some(Kind::Make);
        }
        if lowered.ends_with(".makefile") {
            return Some(Kind::Make);
        }
        if lowered == "justfile"
            || lowered == ".justfile"
            || lowered.ends_with(".just")
            || lowered.ends_with(".justfile")
        {
            return Some(Kind::Just);
        }
        None
    }

    /// The kind of a file named on the command line whose name says
    /// nothing, from its content: a workflow's `on:` and `jobs:`, compose
    /// `services:`, bake `target "…" {`, Cloud Build `steps:` with a
    /// `gcr.io/cloud-builders/` image, a Jenkins `pipeline {` or
    /// `node {`, a shell shebang. A file that looks like a Dockerfile (a
    /// `FROM` line) is none of these.
    pub fn by_content(text: &str) -> Option<Kind> {
        let mut on = false;
        let mut jobs = false;
        let mut services = false;
        let mut stages = false;
        let mut script = false;
        let mut steps = false;
        let mut builders = false;
        let first = text.lines().next().unwrap_or("");
        let looks_like_dockerfile = text.lines().take(2000).any(|line| {
            line.get(..5)
                .is_some_and(|start| start.eq_ignore_ascii_case("FROM "))
        });
        if looks_like_dockerfile {
            return None;
        }
        for line in text.lines().take(2000) {
            let trimmed = line.trim_end();
            on |= trimmed.starts_with("on:") || trimmed.starts_with("\"on\":");
            jobs |= trimmed.starts_with("jobs:");
            services |= trimmed.starts_with("services:");
            stages |= trimmed.starts_with("stages:");
            script |= trimmed.trim_start().starts_with("script:");
            steps |= trimmed.starts_with("steps:") || trimmed.starts_with("\"steps\":");
            builders |= trimmed.contains("gcr.io/cloud-builders/");
            let code = trimmed.trim_start();
            if code.starts_with("target \"") && code.ends_with('{') {
                return Some(Kind::Bake);
            }
            if code.starts_with("pipeline {")
                || code.starts_with("node {")
                || code.starts_with("node(")
            {
                return Some(Kind::Jenkins);
            }
        }
        if on && jobs {
            return Some(Kind::GithubActions);
        }
        if services {
            return Some(Kind::Compose);
        }
        if steps && builders {
            return Some(Kind::CloudBuild);
        }
        if stages && script {
            return Some(Kind::GitlabCi);
        }
        if first.starts_with("#!") {
            let interpreter = first.trim_start_matches("#!");
            if ["sh", "bash", "dash", "ash", "zsh", "ksh"]
                .iter()
                .any(|shell| interpreter.split(['/', ' ']).any(|part| part == *shell))
            {
                return Some(Kind::Shell);
            }
        }
        None
    }

    /// The cheap prefilter: whether `text` may hold a build invocation at
    /// all (a literal search for the words every reader needs). A file
    /// without one is not parsed.
    pub fn may_hold_a_build(self, text: &str) -> bool {
        static WORDS: LazyLock<AhoCorasick> = LazyLock::new(|| {
            AhoCorasick::builder()
                .ascii_case_insensitive(true)
                .build([
                    "build", "bud", "executor", "deploy", "args", "secret", "target",
                ])
                .expect("literal patterns compile")
        });
        WORDS.is_match(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conventional_names_are_recognised() {
        let cases = [
            (".github/workflows/release.yml", Some(Kind::GithubActions)),
            ("a/.github/workflows/ci.yaml", Some(Kind::GithubActions)),
            ("workflows/ci.yaml", None),
            ("actions/setup/action.yml", Some(Kind::GithubActions)),
            (".gitlab-ci.yml", Some(Kind::GitlabCi)),
            ("Jenkinsfile", Some(Kind::Jenkins)),
            ("Jenkinsfile.release", Some(Kind::Jenkins)),
            ("vars/buildImage.groovy", Some(Kind::Jenkins)),
            ("src/Main.groovy", None),
            ("compose.yaml", Some(Kind::Compose)),
            ("docker-compose.prod.yml", Some(Kind::Compose)),
            ("docker-bake.hcl", Some(Kind::Bake)),
            ("docker-bake.override.json", Some(Kind::Bake)),
            ("cloudbuild.yaml", Some(Kind::CloudBuild)),
            ("deploy/cloudbuild.prod.yml", Some(Kind::CloudBuild)),
            ("cloudbuild.json", Some(Kind::CloudBuild)),
            ("cloudbuild.md", None),
            ("scripts/build.sh", Some(Kind::Shell)),
            ("Makefile", Some(Kind::Make)),
            ("build/docker.mk", Some(Kind::Make)),
            ("justfile", Some(Kind::Just)),
            ("Dockerfile", None),
            ("README.md", None),
        ];
        for (path, kind) in cases {
            assert_eq!(Kind::by_path(Path::new(path)), kind, "{path}");
        }
    }

    #[test]
    fn content_decides_for_files_with_other_names() {
        assert_eq!(
            Kind::by_content("on: push\njobs:\n  a: {}\n"),
            Some(Kind::GithubActions)
        );
        assert_eq!(
            Kind::by_content("services:\n  web: {}\n"),
            Some(Kind::Compose)
        );
        assert_eq!(Kind::by_content("target \"app\" {\n}\n"), Some(Kind::Bake));
        assert_eq!(
            Kind::by_content("steps:\n- name: gcr.io/cloud-builders/docker\n"),
            Some(Kind::CloudBuild)
        );
        assert_eq!(Kind::by_content("pipeline {\n}\n"), Some(Kind::Jenkins));
        assert_eq!(
            Kind::by_content("#!/bin/bash\ndocker build .\n"),
            Some(Kind::Shell)
        );
        assert_eq!(Kind::by_content("FROM alpine\nRUN echo jobs:\n"), None);
        assert_eq!(Kind::by_content("FROM alpine\n"), None);
    }

    #[test]
    fn kind_names_round_trip() {
        for kind in Kind::ALL {
            assert_eq!(Kind::parse(kind.name(), "x"), Some(kind));
        }
        assert_eq!(Kind::parse("script", "a/Makefile"), Some(Kind::Make));
        assert_eq!(Kind::parse("script", "a/x.sh"), Some(Kind::Shell));
        assert_eq!(Kind::parse("nope", "x"), None);
    }
}
