//! The build context of a Dockerfile on disk: where it is, and whether it
//! sends a given file to the build (it exists, and `.dockerignore` does not
//! leave it out). Rules that depend on what the context holds ask here.

use crate::config::Config;
use crate::dockerignore::DockerIgnore;
use std::path::{Path, PathBuf};

/// A build context on disk.
#[derive(Clone, Debug)]
pub struct BuildContext {
    /// The context directory.
    pub root: PathBuf,
    /// The Dockerfile, when it is a file on disk (for
    /// `<Dockerfile>.dockerignore`).
    pub dockerfile: Option<PathBuf>,
}

/// Whether the context sends a file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sent {
    /// It is in the context and not ignored.
    Yes,
    /// It is not in the context, or the ignore file leaves it out.
    No,
    /// Unknown: the ignore file exists but cannot be read.
    Unknown,
}

impl BuildContext {
    /// `--context DIR` if given, else the directory of the Dockerfile when
    /// `path` names a file on disk (not stdin, not a `--stdin-filename` that
    /// does not exist).
    pub fn locate(path: &str, config: &Config) -> Option<BuildContext> {
        let dockerfile = (path != "-" && Path::new(path).is_file()).then(|| PathBuf::from(path));
        let root = match &config.context {
            Some(directory) => directory.clone(),
            None => {
                let parent = dockerfile.as_deref()?.parent()?;
                if parent.as_os_str().is_empty() {
                    PathBuf::from(".")
                } else {
                    parent.to_path_buf()
                }
            }
        };
        root.is_dir().then_some(BuildContext { root, dockerfile })
    }

    /// Whether the context sends `relative` (`/`-separated, relative to
    /// the root; `.` components and a leading `/` are ignored): it exists
    /// (a symbolic link is sent as the link) and the ignore file BuildKit
    /// uses for this Dockerfile does not exclude it.
    pub fn sends(&self, relative: &str) -> Sent {
        let components: Vec<&str> = relative
            .split('/')
            .filter(|component| !component.is_empty() && *component != ".")
            .collect();
        if components.is_empty() || components.contains(&"..") {
            return Sent::Unknown;
        }
        let path = components
            .iter()
            .fold(self.root.clone(), |path, component| path.join(component));
        if std::fs::symlink_metadata(&path).is_err() {
            return Sent::No;
        }
        match DockerIgnore::load(&self.root, self.dockerfile.as_deref()) {
            Ok(None) => Sent::Yes,
            Ok(Some((_, ignore))) => {
                if ignore.is_excluded(&components.join("/"), false) {
                    Sent::No
                } else {
                    Sent::Yes
                }
            }
            Err(_) => Sent::Unknown,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_is_sent_when_present_and_not_ignored() {
        let directory = tempfile::tempdir().expect("temporary directory");
        let root = directory.path();
        std::fs::write(root.join("Dockerfile"), "FROM a\n").unwrap();
        std::fs::write(root.join(".env"), "A=1\n").unwrap();
        std::fs::create_dir(root.join("config")).unwrap();
        std::fs::write(root.join("config/.npmrc"), "x\n").unwrap();
        let dockerfile = root.join("Dockerfile");
        let context =
            BuildContext::locate(dockerfile.to_str().unwrap(), &Config::default()).unwrap();
        assert_eq!(context.sends(".env"), Sent::Yes);
        assert_eq!(context.sends("./config/.npmrc"), Sent::Yes);
        assert_eq!(context.sends("id_rsa"), Sent::No);
        std::fs::write(root.join(".dockerignore"), "**/.npmrc\n").unwrap();
        assert_eq!(context.sends("config/.npmrc"), Sent::No);
        assert_eq!(context.sends(".env"), Sent::Yes);
    }

    #[test]
    fn no_context_for_stdin_or_a_missing_file() {
        assert!(BuildContext::locate("-", &Config::default()).is_none());
        assert!(BuildContext::locate("no/such/Dockerfile", &Config::default()).is_none());
    }
}
