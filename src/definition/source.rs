//! The exact source a TypeScript run started with: the workflow file and the local modules
//! it imported (not packages from `node_modules`), each with its SHA-256, as the JS worker
//! loaded them (`js::loader`). `store::files` keeps a copy and a manifest in the run's
//! folder; `engine::source` compares them with the files as they are now.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// One module a worker loaded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceFile {
    /// Absolute path.
    pub path: PathBuf,
    /// SHA-256 of its bytes, lowercase hex.
    pub sha256: String,
}

/// SHA-256 of `bytes`, lowercase hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    let digest = ring::digest::digest(&ring::digest::SHA256, bytes);
    digest.as_ref().iter().map(|b| format!("{b:02x}")).collect()
}

/// Whether a loaded module is the project's own code (kept with the run), not a package.
pub fn is_local_module(path: &Path) -> bool {
    !path.components().any(|c| c.as_os_str() == "node_modules")
}

/// What changed in one file since a run recorded it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SourceChange {
    pub path: PathBuf,
    /// `changed` or `deleted` (or `unreadable`).
    pub how: &'static str,
}

impl std::fmt::Display for SourceChange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({})", self.path.display(), self.how)
    }
}

/// The files of `recorded` whose bytes are not what they were.
pub fn changes_since(recorded: &[SourceFile]) -> Vec<SourceChange> {
    recorded
        .iter()
        .filter_map(|f| {
            let how = match std::fs::read(&f.path) {
                Ok(bytes) if sha256_hex(&bytes) == f.sha256 => return None,
                Ok(_) => "changed",
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => "deleted",
                Err(_) => "unreadable",
            };
            Some(SourceChange {
                path: f.path.clone(),
                how,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_changed_and_a_deleted_file_are_named_and_an_unchanged_one_is_not() {
        let dir = tempfile::tempdir().unwrap();
        let same = dir.path().join("same.ts");
        let edited = dir.path().join("edited.ts");
        std::fs::write(&same, "a").unwrap();
        std::fs::write(&edited, "b").unwrap();
        let recorded: Vec<SourceFile> = [&same, &edited, &dir.path().join("gone.ts")]
            .iter()
            .map(|p| SourceFile {
                path: p.to_path_buf(),
                sha256: sha256_hex(std::fs::read(p).as_deref().unwrap_or(b"x")),
            })
            .collect();
        std::fs::write(&edited, "b2").unwrap();
        let changes = changes_since(&recorded);
        let named: Vec<_> = changes
            .iter()
            .map(|c| (c.path.file_name().unwrap().to_str().unwrap(), c.how))
            .collect();
        assert_eq!(named, vec![("edited.ts", "changed"), ("gone.ts", "deleted")]);
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert!(!is_local_module(Path::new("/p/node_modules/zod/index.js")));
    }
}
