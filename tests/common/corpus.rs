//! The third-party corpus under `../shared/corpus` (or `DOCKERLEAK_CORPUS`),
//! for the tests that run over it and skip, saying why, without it.

use std::path::{Path, PathBuf};

/// `../shared/corpus/<name>`, when it is there.
pub fn corpus_folder(name: &str) -> Option<PathBuf> {
    let root = std::env::var_os("DOCKERLEAK_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus"));
    let folder = root.join(name);
    folder.is_dir().then_some(folder)
}

/// Every file under `folder` but the `.tsv` manifests, sorted.
pub fn files_under(folder: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut pending = vec![folder.to_path_buf()];
    while let Some(directory) = pending.pop() {
        let Ok(entries) = std::fs::read_dir(&directory) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_none_or(|extension| extension != "tsv") {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}
