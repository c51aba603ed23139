//! The system's part of every step's ruleset, found at the first spawn instead of at each:
//! which of its trees the data directory leaves out (each checked by resolving both paths,
//! some hundred `readlink`s for the whole list) and descriptors of its directories (`/usr`,
//! `/etc`, the folders of `PATH`...), so that a spawn adds their rules without a path walk.
//!
//! A directory is held open for the life of the process: a rule names an inode, and these
//! are not replaced while a server runs. A file (`~/.gitconfig`, which `git config` replaces
//! whole when it writes it), a device and whatever was not there at the first spawn are
//! looked up again at each spawn, as every rule was before.

use std::os::fd::OwnedFd;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use super::landlock::{open_path, Ruleset};
use super::paths::{self, Rule};

pub(super) struct SystemRules {
    /// Directories, open (`O_PATH`), with the rights granted beneath them.
    dirs: Vec<(OwnedFd, u64)>,
    /// Everything else, looked up at each spawn.
    looked_up: Vec<Rule>,
}

impl SystemRules {
    /// `paths::system()` without the trees that hold the data directory (each warned about
    /// once by `left_out`), its directories opened.
    pub(super) fn find(data_dir: Option<&Path>, left_out: impl Fn(&Path)) -> SystemRules {
        let mut found = SystemRules {
            dirs: Vec::new(),
            looked_up: Vec::new(),
        };
        for rule in paths::system() {
            if data_dir.is_some_and(|d| paths::contains_real(&rule.path, d)) {
                left_out(&rule.path);
                continue;
            }
            match open_dir(&rule.path) {
                Some(fd) => found.dirs.push((fd, rule.access)),
                None => found.looked_up.push(rule),
            }
        }
        found
    }

    pub(super) fn add_to(&self, set: &mut Ruleset) -> std::io::Result<()> {
        for (fd, access) in &self.dirs {
            set.allow_dir(fd, *access)?;
        }
        for rule in &self.looked_up {
            set.allow(&rule.path, rule.access)?;
        }
        Ok(())
    }

    /// How many rules it holds, and how many of them are open directories (for tests).
    #[cfg(test)]
    pub(super) fn counts(&self) -> (usize, usize) {
        (self.dirs.len() + self.looked_up.len(), self.dirs.len())
    }
}

/// `path` open when it is a directory now.
fn open_dir(path: &Path) -> Option<OwnedFd> {
    let meta = std::fs::metadata(path).ok()?;
    if !meta.is_dir() {
        return None;
    }
    open_path(path).ok().flatten()
}

/// The data directory as the kernel resolves it, once it exists (kept from then on).
pub(super) fn resolved<'a>(cache: &'a OnceLock<PathBuf>, data_dir: &Path) -> Option<&'a Path> {
    if let Some(real) = cache.get() {
        return Some(real);
    }
    let real = data_dir.canonicalize().ok()?;
    Some(cache.get_or_init(|| real))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn system_directories_are_opened_once_and_a_tree_holding_the_data_directory_is_left_out() {
        let all = SystemRules::find(None, |p| panic!("nothing is left out without a data directory: {p:?}"));
        let (rules, open) = all.counts();
        assert_eq!(rules, paths::system().len());
        assert!(open >= 3, "/usr, /etc and /proc at least are open directories: {open}");
        let left = std::sync::Mutex::new(Vec::new());
        let without = SystemRules::find(Some(Path::new("/etc/ssl")), |p| {
            left.lock().unwrap().push(p.to_path_buf())
        });
        assert_eq!(*left.lock().unwrap(), [PathBuf::from("/etc")]);
        assert_eq!(without.counts(), (rules - 1, open - 1));
    }
}
