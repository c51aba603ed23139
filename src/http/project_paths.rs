//! Which directories a user may register as a project.
//!
//! A project's steps run in its directory, so registering one is a claim on a piece of the
//! server's filesystem. Refused: `/`, the system directories and everything in them, the
//! server's data directory (and anything holding it or inside it), and, when the server has
//! project roots (`serve --project-root`), anything outside every root. Symlinks are
//! followed before the checks, so a link inside a root that points elsewhere is refused.
//!
//! What the caller typed is judged first, without touching the filesystem; those refusals say
//! why. Whatever is only found out on disk (the directory is missing, is a file, is a link
//! out of bounds, or is another user's project) gets one and the same message, so the API
//! does not tell a user what exists on the server or who owns it.

use std::path::{Component, Path, PathBuf};

/// Top-level directories that belong to the system; `lib*` covers `lib32`, `lib64`, ...
const SYSTEM_DIRS: &[&str] = &[
    "etc", "usr", "bin", "sbin", "boot", "dev", "proc", "sys", "run", "var", "root",
];

/// Why a path cannot become a project; each message starts with the field's name.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PathRefused {
    #[error("path: must be an absolute path")]
    Relative,
    #[error("path: {0} is the root directory or a system directory (or inside one), which cannot be a project")]
    System(String),
    #[error("path: {path} is outside the server's project roots ({roots})")]
    OutsideRoots { path: String, roots: String },
    /// Everything learnt from the disk, in one message (see the module's comment).
    #[error("path: {path} cannot be a project: it must be an existing directory{roots}, outside the server's own files, that no other user has registered")]
    NotAllowed { path: String, roots: String },
}

/// The server's rules for project directories, fixed at start-up.
#[derive(Debug, Clone)]
pub struct ProjectPaths {
    /// Canonical roots; empty: any directory the other rules allow.
    roots: Vec<PathBuf>,
    /// The roots as configured (`..` resolved), for judging a typed path: a root that is
    /// a symlink is typed by its own name.
    typed_roots: Vec<PathBuf>,
    /// The canonical data directory (database, token secret).
    data_dir: PathBuf,
}

impl ProjectPaths {
    /// `roots` must exist (they are canonicalised here, so a symlinked root works).
    pub fn new(roots: &[PathBuf], data_dir: &Path) -> std::io::Result<ProjectPaths> {
        let canonical = roots
            .iter()
            .map(|r| {
                std::fs::canonicalize(r)
                    .map_err(|e| std::io::Error::new(e.kind(), format!("project root {}: {e}", r.display())))
            })
            .collect::<Result<_, _>>()?;
        let typed_roots = roots
            .iter()
            .map(|r| normalize(&std::path::absolute(r).unwrap_or_else(|_| r.clone())))
            .collect();
        let data_dir = std::fs::canonicalize(data_dir).unwrap_or_else(|_| data_dir.to_path_buf());
        Ok(ProjectPaths {
            roots: canonical,
            typed_roots,
            data_dir,
        })
    }

    /// The canonical directory `given` names, if it may be registered.
    pub fn check(&self, given: &str) -> Result<PathBuf, PathRefused> {
        let path = Path::new(given);
        if !path.is_absolute() {
            return Err(PathRefused::Relative);
        }
        let typed = normalize(path);
        if is_system(&typed) {
            return Err(PathRefused::System(given.to_string()));
        }
        if !self.in_roots(&typed) && !self.typed_roots.iter().any(|r| typed.starts_with(r)) {
            return Err(PathRefused::OutsideRoots {
                path: given.to_string(),
                roots: self.roots_list(),
            });
        }
        let real = std::fs::canonicalize(path).map_err(|_| self.not_allowed(given))?;
        let allowed = real.is_dir() && !is_system(&real) && self.in_roots(&real) && !self.touches_data_dir(&real);
        if allowed {
            Ok(real)
        } else {
            Err(self.not_allowed(given))
        }
    }

    /// The refusal for what only the disk could tell (also: another user's project).
    pub fn not_allowed(&self, given: &str) -> PathRefused {
        let roots = if self.roots.is_empty() {
            String::new()
        } else {
            format!(" under a project root ({})", self.roots_list())
        };
        PathRefused::NotAllowed {
            path: given.to_string(),
            roots,
        }
    }

    fn in_roots(&self, path: &Path) -> bool {
        self.roots.is_empty() || self.roots.iter().any(|r| path.starts_with(r))
    }

    /// The data directory, anything inside it, or anything holding it.
    fn touches_data_dir(&self, path: &Path) -> bool {
        path.starts_with(&self.data_dir) || self.data_dir.starts_with(path)
    }

    fn roots_list(&self) -> String {
        let roots: Vec<_> = self.roots.iter().map(|r| r.display().to_string()).collect();
        roots.join(", ")
    }
}

/// `path` with `.` and `..` resolved as written (the disk is not asked).
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::from("/");
    for part in path.components() {
        match part {
            Component::Normal(p) => out.push(p),
            Component::ParentDir => {
                out.pop();
            }
            Component::RootDir | Component::CurDir | Component::Prefix(_) => {}
        }
    }
    out
}

/// `/`, a system directory or something inside one.
fn is_system(path: &Path) -> bool {
    let Some(Component::Normal(top)) = path.components().nth(1) else {
        return true;
    };
    let top = top.to_string_lossy();
    SYSTEM_DIRS.contains(&top.as_ref()) || top.starts_with("lib")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_root_system_directories_and_their_insides_are_system() {
        for p in [
            "/",
            "/etc",
            "/etc/ssh",
            "/lib64",
            "/usr/local/src",
            "/proc/1",
            "/var/www",
        ] {
            assert!(is_system(Path::new(p)), "{p}");
        }
        for p in ["/home/ann", "/srv/x", "/tmp/p", "/opt/etcetera", "/library"] {
            assert_eq!(is_system(Path::new(p)), p == "/library", "{p}");
        }
    }

    #[test]
    fn dot_dot_is_resolved_before_judging() {
        assert_eq!(normalize(Path::new("/srv/../etc/./x")), PathBuf::from("/etc/x"));
        assert_eq!(normalize(Path::new("/../..")), PathBuf::from("/"));
    }
}
