//! A step's own temporary folder: `/tmp` as a whole is shared with the server and every
//! other step, so a confined step gets a private folder instead (its `TMPDIR`), removed
//! when the step ends, or by the guardian (`subprocess::guard`) when the engine dies first.

use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};

/// The start of every step temp folder's name.
pub const STEP_TMP_PREFIX: &str = "workflow-engine-step-";

pub struct StepTmp {
    path: PathBuf,
    _watched: crate::subprocess::guard::Watched,
}

impl StepTmp {
    /// A new folder under the system's temp folder, readable by the server's user only.
    pub fn create() -> std::io::Result<StepTmp> {
        let path = std::env::temp_dir().join(format!("{STEP_TMP_PREFIX}{}", uuid::Uuid::now_v7()));
        std::fs::DirBuilder::new().mode(0o700).create(&path)?;
        let watched = crate::subprocess::guard::watch_dir(&path);
        Ok(StepTmp {
            path,
            _watched: watched,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for StepTmp {
    /// Removes the folder; the guardian forgets it afterwards (the field drops after this).
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}
