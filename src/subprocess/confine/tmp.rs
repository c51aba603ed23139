//! A step's own temporary folder: `/tmp` as a whole is shared with the server and every
//! other step, so a confined step gets a private folder instead (its `TMPDIR`), removed
//! when the step ends.

use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};

pub struct StepTmp {
    path: PathBuf,
}

impl StepTmp {
    /// A new folder under the system's temp folder, readable by the server's user only.
    pub fn create() -> std::io::Result<StepTmp> {
        let path = std::env::temp_dir().join(format!("workflow-engine-step-{}", uuid::Uuid::now_v7()));
        std::fs::DirBuilder::new().mode(0o700).create(&path)?;
        Ok(StepTmp { path })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for StepTmp {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}
