//! Credential commands: tools that take a credential on their command line
//! or store one from it (`docker login -p`, `npm config set …:_authToken`,
//! `mysql -p…`), the DLK005/DLK006 catalogue.
//!
//! The list is data (`rules/credential-commands.toml`); this module finds
//! the secret position of a command given as plain words, so the rules can
//! ask where a credential is without a regex: entries are looked up by
//! program name in a hash map, and the few that name the program are tried.

use std::collections::HashMap;
use std::sync::LazyLock;

use serde::Deserialize;

use super::{check_unique_ids, parse_builtin, SecretsError};

const BUILTIN_SOURCE_NAME: &str = "rules/credential-commands.toml";
/// `rules/credential-commands.toml`, converted to JSON by `build.rs`.
#[cfg(not(test))]
const BUILTIN_JSON: &str = include_str!(concat!(
    env!("OUT_DIR"),
    "/credential-commands.runtime.json"
));
/// With the examples the tests run (`build.rs`).
#[cfg(test)]
const BUILTIN_JSON: &str = include_str!(concat!(env!("OUT_DIR"), "/credential-commands.json"));

/// Where an entry's credential is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SecretPosition {
    /// The value of an option (`-p X`, `--password X`, `--password=X`, `-pX`).
    Option,
    /// Attached to a short option only (`-pX`).
    Attached,
    /// The word after a key (or the value of `key=value`), `skip` words on.
    AfterKey,
    /// The command's standard input.
    Stdin,
    /// The last argument, when a short-option cluster holds the flag.
    FlagLast,
    /// An assignment in front of the command.
    Assignment,
    /// The word that matches one of `keys` itself: the credential is inside
    /// the key (`git config url.<https://TOKEN@host/>.insteadOf …`).
    Key,
}

/// What the value in the secret position must look like.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SecretShape {
    #[default]
    Any,
    /// `user:password`: the password part is the secret.
    UserPassword,
    /// A URL with `user:password@`.
    UrlPassword,
    /// `NAME=value` with a secret-looking NAME.
    SecretName,
    /// A URL with credentials in its user part: `user:password@`, a
    /// variable, or a token as the user name (`https://TOKEN@host`).
    UrlCredentials,
}

/// One entry of `rules/credential-commands.toml`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CredentialCommand {
    pub id: String,
    pub description: String,
    /// What the secret is, for messages: "an npm auth token".
    pub what: String,
    /// The command form, for messages: "npm config set //…:_authToken".
    pub via: String,
    pub programs: Vec<String>,
    #[serde(default)]
    pub words: Vec<String>,
    #[serde(default)]
    pub requires: Vec<String>,
    pub secret: SecretPosition,
    #[serde(default)]
    pub options: Vec<String>,
    #[serde(default)]
    pub keys: Vec<String>,
    #[serde(default)]
    pub skip: usize,
    #[serde(default)]
    pub shape: SecretShape,
    #[serde(default)]
    pub stores: Option<String>,
    pub true_example: String,
    pub false_example: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CredentialCommandList {
    credential_command: Vec<CredentialCommand>,
}

impl CredentialCommand {
    /// The command form for messages, `{program}` replaced by `program`
    /// (`docker login -p`, `podman login -p`).
    pub fn via_for(&self, program: &str) -> String {
        self.via.replace("{program}", program_name(program))
    }
}

/// Where a command holds a credential.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    /// Argument `index`, from byte `offset` of its text on.
    Argument { index: usize, offset: usize },
    /// The command's standard input.
    Stdin,
    /// Assignment `index` in front of the command (its value).
    Assignment(usize),
}

/// A secret position found in a command.
#[derive(Debug, Clone, Copy)]
pub struct CommandSecret<'a> {
    pub entry: &'a CredentialCommand,
    pub place: Place,
}

/// The compiled catalogue.
#[derive(Debug)]
pub struct CredentialCommands {
    entries: Vec<CredentialCommand>,
    by_program: HashMap<String, Vec<usize>>,
}

static BUILTIN: LazyLock<CredentialCommands> = LazyLock::new(|| {
    let list = parse_builtin::<CredentialCommandList>(BUILTIN_SOURCE_NAME, BUILTIN_JSON)
        .expect("rules/credential-commands.toml parses (checked by the unit tests)");
    CredentialCommands::compile(list.credential_command)
        .expect("rules/credential-commands.toml is valid (checked by the unit tests)")
});

impl CredentialCommands {
    /// The builtin catalogue, compiled on first use.
    pub fn builtin() -> &'static CredentialCommands {
        &BUILTIN
    }

    fn compile(entries: Vec<CredentialCommand>) -> Result<CredentialCommands, SecretsError> {
        check_unique_ids(
            "credential command",
            entries.iter().map(|entry| entry.id.as_str()),
        )?;
        let mut by_program: HashMap<String, Vec<usize>> = HashMap::new();
        for (index, entry) in entries.iter().enumerate() {
            let needs_options = matches!(
                entry.secret,
                SecretPosition::Option
                    | SecretPosition::Attached
                    | SecretPosition::FlagLast
                    | SecretPosition::Assignment
            );
            if entry.programs.is_empty()
                || needs_options && entry.options.is_empty()
                || matches!(entry.secret, SecretPosition::AfterKey | SecretPosition::Key)
                    && entry.keys.is_empty()
                || entry.what.is_empty()
                || entry.via.is_empty()
            {
                return Err(SecretsError::InvalidEntry {
                    list: "credential command",
                    id: entry.id.clone(),
                    problem:
                        "needs `programs`, `what`, `via`, and `options` or `keys` for its `secret`"
                            .to_owned(),
                });
            }
            for program in &entry.programs {
                by_program.entry(program.clone()).or_default().push(index);
            }
        }
        Ok(CredentialCommands {
            entries,
            by_program,
        })
    }

    /// All entries.
    pub fn entries(&self) -> &[CredentialCommand] {
        &self.entries
    }

    /// Whether any entry names `program` (a cheap test before collecting
    /// a command's words).
    pub fn knows(&self, program: &str) -> bool {
        self.by_program.contains_key(program_name(program))
    }

    /// The secret positions of a command: `program` (as written; its last
    /// path component is looked up), its `arguments` and the names of the
    /// assignments in front of it. Shapes that need the value
    /// (`user-password`, `url-password`, `secret-name`) are checked here on
    /// the text as written; `is_secret_name` decides `secret-name`.
    pub fn find<'a>(
        &'a self,
        program: &str,
        arguments: &[&str],
        assignments: &[&str],
        is_secret_name: &dyn Fn(&str) -> bool,
    ) -> Vec<CommandSecret<'a>> {
        let mut found = Vec::new();
        let Some(indices) = self.by_program.get(program_name(program)) else {
            return found;
        };
        for entry in indices.iter().map(|index| &self.entries[*index]) {
            if !has_words(arguments, &entry.words)
                || !entry
                    .requires
                    .iter()
                    .all(|option| arguments.iter().any(|word| word == option))
            {
                continue;
            }
            for place in places(entry, arguments, assignments) {
                let value = match place {
                    Place::Argument { index, offset } => Some(&arguments[index][offset..]),
                    Place::Assignment(_) | Place::Stdin => None,
                };
                if value.is_none_or(|value| shape_fits(entry.shape, value, is_secret_name)) {
                    found.push(CommandSecret { entry, place });
                }
            }
        }
        found
    }
}

/// `/usr/bin/docker` → `docker`; `./gradlew` → `gradlew`.
fn program_name(program: &str) -> &str {
    program.rsplit('/').next().unwrap_or(program)
}

/// Whether `words` occur among the non-option arguments, in order.
fn has_words(arguments: &[&str], words: &[String]) -> bool {
    let mut wanted = words.iter().peekable();
    for argument in arguments {
        if wanted.peek().is_some_and(|word| word.as_str() == *argument) {
            wanted.next();
        }
    }
    wanted.peek().is_none()
}

fn places(entry: &CredentialCommand, arguments: &[&str], assignments: &[&str]) -> Vec<Place> {
    let mut places = Vec::new();
    match entry.secret {
        SecretPosition::Option | SecretPosition::Attached => {
            for (index, word) in arguments.iter().enumerate() {
                for option in &entry.options {
                    let short = !option.starts_with("--") && option.len() == 2;
                    if *word == option && entry.secret == SecretPosition::Option {
                        if index + 1 < arguments.len() {
                            places.push(Place::Argument {
                                index: index + 1,
                                offset: 0,
                            });
                        }
                    } else if !short
                        && word
                            .strip_prefix(option.as_str())
                            .is_some_and(|rest| rest.starts_with('='))
                    {
                        places.push(Place::Argument {
                            index,
                            offset: option.len() + 1,
                        });
                    } else if short && word.len() > 2 && word.starts_with(option.as_str()) {
                        places.push(Place::Argument { index, offset: 2 });
                    }
                }
            }
        }
        SecretPosition::AfterKey => {
            for (index, word) in arguments.iter().enumerate() {
                let lowered = word.to_ascii_lowercase();
                let (key, inline) = match lowered.split_once('=') {
                    Some((key, _)) if entry.skip == 0 => (key.to_string(), true),
                    _ => (lowered.clone(), false),
                };
                if !entry.keys.iter().any(|pattern| wildcard(pattern, &key)) {
                    continue;
                }
                if inline {
                    places.push(Place::Argument {
                        index,
                        offset: key.len() + 1,
                    });
                } else if index + 1 + entry.skip < arguments.len() {
                    places.push(Place::Argument {
                        index: index + 1 + entry.skip,
                        offset: 0,
                    });
                }
                break;
            }
        }
        SecretPosition::Key => {
            for (index, word) in arguments.iter().enumerate() {
                let lowered = word.to_ascii_lowercase();
                if entry.keys.iter().any(|pattern| wildcard(pattern, &lowered)) {
                    places.push(Place::Argument { index, offset: 0 });
                }
            }
        }
        SecretPosition::Stdin => places.push(Place::Stdin),
        SecretPosition::FlagLast => {
            let flagged = arguments.iter().any(|word| {
                word.starts_with('-')
                    && !word.starts_with("--")
                    && entry
                        .options
                        .iter()
                        .any(|flag| word[1..].contains(flag.as_str()))
            });
            if let Some(index) = arguments.iter().rposition(|word| !word.starts_with('-')) {
                if flagged {
                    places.push(Place::Argument { index, offset: 0 });
                }
            }
        }
        SecretPosition::Assignment => {
            for (index, name) in assignments.iter().enumerate() {
                if entry.options.iter().any(|option| option == name) {
                    places.push(Place::Assignment(index));
                }
            }
        }
    }
    places
}

fn shape_fits(shape: SecretShape, value: &str, is_secret_name: &dyn Fn(&str) -> bool) -> bool {
    match shape {
        SecretShape::Any => true,
        SecretShape::UserPassword => value
            .split_once(':')
            .is_some_and(|(_, password)| !password.is_empty()),
        SecretShape::UrlPassword => {
            super::names::has_url_password(value)
                || value.contains('$') && value.contains('@') && value.contains("://")
        }
        SecretShape::SecretName => value
            .split_once('=')
            .is_some_and(|(name, value)| !value.is_empty() && is_secret_name(name)),
        SecretShape::UrlCredentials => url_userinfo(value).is_some(),
    }
}

/// The credential part of the first URL in `text` that has one: a
/// `user:password`, a user part with a variable, or a user name of 8 or
/// more characters in an `http(s)` URL (`https://TOKEN@github.com/`; not
/// `ssh://git@host`, whose user is an account name).
pub fn url_userinfo(text: &str) -> Option<&str> {
    let mut rest = text;
    while let Some(scheme_end) = rest.find("://") {
        let scheme = rest[..scheme_end]
            .rsplit(|ch: char| !ch.is_ascii_alphanumeric() && ch != '+' && ch != '-')
            .next()
            .unwrap_or("")
            .to_ascii_lowercase();
        let after = &rest[scheme_end + 3..];
        let authority = after
            .split(['/', '?', '#', ' ', '"', '\''])
            .next()
            .unwrap_or(after);
        if let Some((userinfo, _)) = authority.rsplit_once('@') {
            let credential = match userinfo.split_once(':') {
                Some((_, password)) => !password.is_empty(),
                None => {
                    userinfo.contains('$')
                        || matches!(scheme.as_str(), "http" | "https") && userinfo.len() >= 8
                }
            };
            if credential {
                return Some(userinfo);
            }
        }
        rest = after;
    }
    None
}

/// `*` matches any text (also empty); everything else is literal.
fn wildcard(pattern: &str, text: &str) -> bool {
    let pieces: Vec<&str> = pattern.split('*').collect();
    if pieces.len() == 1 {
        return pattern == text;
    }
    let (first, last) = (pieces[0], pieces[pieces.len() - 1]);
    if !text.starts_with(first) || text.len() < first.len() + last.len() || !text.ends_with(last) {
        return false;
    }
    let mut rest = &text[first.len()..text.len() - last.len()];
    for piece in &pieces[1..pieces.len() - 1] {
        match rest.find(piece) {
            Some(at) => rest = &rest[at + piece.len()..],
            None => return false,
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Splits an example into (assignments, program, arguments, stdin):
    /// `echo X | prog …` gives X as stdin. Examples are written without
    /// quotes that hold spaces around the secret.
    fn parse(example: &str) -> (Vec<String>, String, Vec<String>, Option<String>) {
        let (stdin, command) = match example.split_once(" | ") {
            Some((input, command)) => (input.strip_prefix("echo ").map(str::to_owned), command),
            None => (None, example),
        };
        let mut words = command.split_whitespace().map(str::to_owned).peekable();
        let mut assignments = Vec::new();
        while let Some(word) = words.peek() {
            match word.split_once('=') {
                Some((name, _)) if name.chars().all(|ch| ch.is_ascii_uppercase() || ch == '_') => {
                    assignments.push(word.clone());
                    words.next();
                }
                _ => break,
            }
        }
        let program = words.next().expect("an example has a program");
        (assignments, program, words.collect(), stdin)
    }

    /// The secret texts `find` points at in an example.
    fn secrets_of(entry_id: &str, example: &str) -> Vec<String> {
        let (assignments, program, arguments, stdin) = parse(example);
        let arguments: Vec<&str> = arguments.iter().map(String::as_str).collect();
        let names: Vec<&str> = assignments
            .iter()
            .map(|assignment| assignment.split_once('=').map_or("", |(name, _)| name))
            .collect();
        let is_secret_name =
            |name: &str| crate::secrets::names::SecretNames::builtin().is_secret(name);
        CredentialCommands::builtin()
            .find(&program, &arguments, &names, &is_secret_name)
            .into_iter()
            .filter(|found| found.entry.id == entry_id)
            .filter_map(|found| match found.place {
                Place::Argument { index, offset } => Some(arguments[index][offset..].to_string()),
                Place::Stdin => stdin.clone(),
                Place::Assignment(index) => assignments[index]
                    .split_once('=')
                    .map(|(_, value)| value.to_string()),
            })
            .collect()
    }

    #[test]
    fn every_true_example_puts_the_secret_in_the_secret_position() {
        let mut failures = Vec::new();
        for entry in CredentialCommands::builtin().entries() {
            let secrets = secrets_of(&entry.id, &entry.true_example);
            if !secrets.iter().any(|secret| secret.contains("FAKEsecret0")) {
                failures.push(format!("{}: true example gives {secrets:?}", entry.id));
            }
            if !entry.true_example.contains("FAKEsecret0") {
                failures.push(format!("{}: true example has no FAKEsecret0", entry.id));
            }
        }
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    }

    #[test]
    fn every_false_example_has_no_secret_position() {
        let mut failures = Vec::new();
        for entry in CredentialCommands::builtin().entries() {
            let secrets = secrets_of(&entry.id, &entry.false_example);
            if !secrets.is_empty() {
                failures.push(format!("{}: false example gives {secrets:?}", entry.id));
            }
        }
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    }

    #[test]
    fn the_catalogue_names_the_tools_of_rules_md() {
        for program in [
            "composer",
            "bundle",
            "poetry",
            "pip",
            "yarn",
            "npm",
            "git",
            "aws",
            "gradle",
            "huggingface-cli",
            "gh",
            "htpasswd",
            "chpasswd",
            "mysql",
            "sshpass",
            "psql",
            "docker",
            "curl",
        ] {
            assert!(CredentialCommands::builtin().knows(program), "{program}");
        }
        assert!(CredentialCommands::builtin().knows("/usr/bin/docker"));
        assert!(!CredentialCommands::builtin().knows("ls"));
    }

    #[test]
    fn url_userinfo_finds_tokens_and_passwords() {
        assert_eq!(
            url_userinfo("url.https://FAKEsecret0@github.com/.insteadof"),
            Some("FAKEsecret0")
        );
        assert_eq!(
            url_userinfo("url.https://${GH_TOKEN}@github.com/.insteadOf"),
            Some("${GH_TOKEN}")
        );
        assert_eq!(
            url_userinfo("https://oauth2:FAKE@gitlab.com/"),
            Some("oauth2:FAKE")
        );
        assert_eq!(url_userinfo("url.ssh://git@github.com/.insteadof"), None);
        assert_eq!(url_userinfo("url.git@github.com:.insteadof"), None);
        assert_eq!(url_userinfo("https://me@x.io"), None);
    }

    #[test]
    fn wildcards() {
        assert!(wildcard(
            "//*:_authtoken",
            "//registry.npmjs.org/:_authtoken"
        ));
        assert!(wildcard("*.*", "gems.example.com"));
        assert!(!wildcard("*.*", "path"));
        assert!(wildcard("http-basic.*", "http-basic.repo.example.com"));
        assert!(!wildcard("_auth", "_authtoken"));
        assert!(wildcard("*index-url", "global.extra-index-url"));
    }
}
