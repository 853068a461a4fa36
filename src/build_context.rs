//! The build context of a Dockerfile on disk: where it is, and whether it
//! sends a given file to the build (it exists, and `.dockerignore` does not
//! leave it out). Rules that depend on what the context holds ask here.

use crate::config::Config;
use crate::dockerignore::DockerIgnore;
use std::collections::{HashMap, HashSet};
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

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
        let listings = config.context_scans.as_ref().map(|scans| scans.listings());
        // The listing may predate the file (a caller that writes the
        // Dockerfile and lints it): only a positive answer is taken.
        let is_file = |path: &Path| match listings.and_then(|listings| listings.kind_of(path)) {
            Some(Some(kind)) => kind == EntryKind::File,
            _ => path.is_file(),
        };
        let is_dir = |path: &Path| match listings.and_then(|listings| listings.is_directory(path)) {
            Some(known) => known,
            None => path.is_dir(),
        };
        let dockerfile = (path != "-" && is_file(Path::new(path))).then(|| PathBuf::from(path));
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
        is_dir(&root).then_some(BuildContext { root, dockerfile })
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

/// What a directory entry is, as its listing says (a symbolic link is
/// not resolved: callers look such an entry up on disk).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EntryKind {
    File,
    Directory,
    Other,
}

/// Directory listings read once per run, so that asking whether a
/// `.dockerignore`, a `<name>.dockerignore` or a Dockerfile exists costs
/// a set look-up instead of a failing `open` or `stat` per Dockerfile
/// (2,809 failing probes for the 3,661 files of the wild corpus). Only a
/// run sets this up ([`crate::rules::ContextScans`]): a long-lived library
/// caller sees files change between lints.
#[derive(Debug, Default)]
pub struct Listings {
    directories: Mutex<HashMap<PathBuf, Option<Arc<Listing>>>>,
}

/// One directory's entries: names with their kinds (symbolic links left
/// out, so that they are looked up on disk).
#[derive(Debug)]
struct Listing {
    kinds: HashMap<OsString, EntryKind>,
    links: HashSet<OsString>,
}

/// A directory with more entries than this is not kept (its files are
/// probed on disk as before).
const MAX_LISTED: usize = 20_000;

impl Listings {
    /// Whether `path` exists and what it is: `Some(None)` when its
    /// directory's listing does not hold it, `None` when the listing does
    /// not tell (unreadable, too large, a symbolic link, a path whose name
    /// is `..`): then ask the file system.
    pub fn kind_of(&self, path: &Path) -> Option<Option<EntryKind>> {
        let name = path.file_name()?;
        let parent = match path.parent() {
            Some(parent) if parent.as_os_str().is_empty() => Path::new("."),
            Some(parent) => parent,
            None => return None,
        };
        let listing = self.listing(parent)?;
        if listing.links.contains(name) {
            return None;
        }
        Some(listing.kinds.get(name).copied())
    }

    /// Whether `path` may exist: false only when its directory's listing
    /// says it does not.
    pub fn may_exist(&self, path: &Path) -> bool {
        !matches!(self.kind_of(path), Some(None))
    }

    /// Whether `path` is a directory, when a listing tells (it can be
    /// read: only a directory can).
    pub fn is_directory(&self, path: &Path) -> Option<bool> {
        self.listing(path).map(|_| true)
    }

    fn listing(&self, directory: &Path) -> Option<Arc<Listing>> {
        if let Some(known) = self
            .directories
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(directory)
        {
            return known.clone();
        }
        let listing = read_listing(directory).map(Arc::new);
        self.directories
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .entry(directory.to_path_buf())
            .or_insert(listing)
            .clone()
    }
}

fn read_listing(directory: &Path) -> Option<Listing> {
    let mut listing = Listing {
        kinds: HashMap::new(),
        links: HashSet::new(),
    };
    for (count, entry) in std::fs::read_dir(directory).ok()?.enumerate() {
        if count >= MAX_LISTED {
            return None;
        }
        let entry = entry.ok()?;
        // The kind comes with the entry (`d_type`) on the usual file
        // systems: no `stat`.
        let kind = entry.file_type().ok()?;
        let name = entry.file_name();
        if kind.is_symlink() {
            listing.links.insert(name);
            continue;
        }
        let kind = if kind.is_file() {
            EntryKind::File
        } else if kind.is_dir() {
            EntryKind::Directory
        } else {
            EntryKind::Other
        };
        listing.kinds.insert(name, kind);
    }
    Some(listing)
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

    #[test]
    fn listings_answer_as_the_file_system_does() {
        let directory = tempfile::tempdir().expect("temporary directory");
        let root = directory.path();
        std::fs::write(root.join("Dockerfile"), "FROM a\n").unwrap();
        std::fs::create_dir(root.join("sub")).unwrap();
        let listings = Listings::default();
        assert_eq!(
            listings.kind_of(&root.join("Dockerfile")),
            Some(Some(EntryKind::File))
        );
        assert_eq!(
            listings.kind_of(&root.join("sub")),
            Some(Some(EntryKind::Directory))
        );
        assert_eq!(listings.kind_of(&root.join(".dockerignore")), Some(None));
        assert!(!listings.may_exist(&root.join("Dockerfile.dockerignore")));
        assert!(listings.may_exist(&root.join("missing/.dockerignore")));
        assert_eq!(listings.is_directory(root), Some(true));
        assert_eq!(listings.is_directory(&root.join("Dockerfile")), None);
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink(root.join("Dockerfile"), root.join("link")).unwrap();
            let fresh = Listings::default();
            assert_eq!(fresh.kind_of(&root.join("link")), None);
        }
    }
}
