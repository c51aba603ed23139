//! Files and folders only the server's user may read: the data directory (0700), the
//! database with its WAL and SHM (0600), and each run's folder (0700) and files (0600).
//!
//! Modes are set explicitly after creating, not left to the umask, and what an older
//! version created with wider modes is tightened when it is opened again.

use std::fs::Permissions;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::Path;

/// A folder only its owner may list or enter.
pub const PRIVATE_DIR_MODE: u32 = 0o700;
/// A file only its owner may read or write.
pub const PRIVATE_FILE_MODE: u32 = 0o600;

/// Creates `dir` (and its missing parents) and makes `dir` itself 0700, whatever it was.
/// The parents keep the umask's modes: they may be shared (a project's `.agent/`).
pub fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    if let Some(parent) = dir.parent() {
        std::fs::create_dir_all(parent)?;
    }
    match std::fs::DirBuilder::new().mode(PRIVATE_DIR_MODE).create(dir) {
        Err(e) if e.kind() != std::io::ErrorKind::AlreadyExists => return Err(e),
        _ => {}
    }
    tighten(dir, PRIVATE_DIR_MODE)
}

/// Sets `path`'s permission bits to `mode` unless they already are; a missing file is fine.
pub fn tighten(path: &Path, mode: u32) -> std::io::Result<()> {
    match std::fs::metadata(path) {
        Ok(meta) if meta.permissions().mode() & 0o7777 == mode => Ok(()),
        Ok(_) => std::fs::set_permissions(path, Permissions::from_mode(mode)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e),
    }
}

/// Options that create a file 0600 (the umask can only take bits away, and ours has none
/// of the owner's to take).
pub fn private_file_options() -> std::fs::OpenOptions {
    let mut options = std::fs::OpenOptions::new();
    options.mode(PRIVATE_FILE_MODE);
    options
}

/// Writes `bytes` to a new file `path` (replacing one left by a crash) with mode 0600.
pub fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut file = private_file_options()
        .write(true)
        .create(true)
        .truncate(true)
        .open(path)?;
    file.set_permissions(Permissions::from_mode(PRIVATE_FILE_MODE))?;
    file.write_all(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mode(path: &Path) -> u32 {
        std::fs::metadata(path).unwrap().permissions().mode() & 0o7777
    }

    #[test]
    fn an_existing_open_folder_is_tightened_and_parents_are_left_alone() {
        let top = tempfile::tempdir().unwrap();
        let dir = top.path().join("a/b");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::set_permissions(&dir, Permissions::from_mode(0o755)).unwrap();
        create_private_dir(&dir).unwrap();
        assert_eq!(mode(&dir), 0o700);
        assert_ne!(mode(&top.path().join("a")), 0o700);
    }

    #[test]
    fn a_file_written_over_a_wider_one_is_0600() {
        let top = tempfile::tempdir().unwrap();
        let file = top.path().join("f");
        std::fs::write(&file, "old").unwrap();
        std::fs::set_permissions(&file, Permissions::from_mode(0o644)).unwrap();
        write_private(&file, b"new").unwrap();
        assert_eq!(
            (mode(&file), std::fs::read_to_string(&file).unwrap()),
            (0o600, "new".into())
        );
    }
}
