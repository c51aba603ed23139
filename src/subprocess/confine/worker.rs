//! The JS worker's confinement. A worker is started before it knows its project (the server
//! keeps one ready), so the engine sends the rules with `load` and the worker applies them to
//! its JavaScript thread before the workflow's module runs: from then on an `import` reaches
//! the project, the workflow's folder and the `node_modules` above it, read-only.

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::{paths, ConfineError, Mode, Rule, STATE};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct WorkerConfinement {
    abi: u32,
    required: bool,
    rules: Vec<Rule>,
    /// Why the engine refuses to load the workflow at all (required confinement impossible).
    refused: Option<String>,
}

/// The rules for a worker loading `file` of `project`; `None` when workers are not confined.
pub fn for_worker(project: &Path, file: &Path) -> Option<WorkerConfinement> {
    let state = STATE.get().filter(|s| s.abi > 0)?;
    let rules = paths::worker(project, file);
    let mut refused = None;
    for rule in &rules {
        if paths::contains(&rule.path, &state.settings.data_dir) {
            let e = ConfineError::DataDirReachable {
                data_dir: state.settings.data_dir.clone(),
                tree: rule.path.clone(),
            };
            if let Err(e) = state.refuse_or_warn(e, &rule.path) {
                refused = Some(e.to_string());
            }
        }
    }
    Some(WorkerConfinement {
        abi: state.abi,
        required: state.settings.mode == Mode::Required,
        rules,
        refused,
    })
}

impl WorkerConfinement {
    /// Confines the calling thread; an error only when confinement is required.
    pub fn apply(&self) -> Result<(), String> {
        if let Some(why) = &self.refused {
            return Err(why.clone());
        }
        let applied = super::apply_rules(self.abi, None, &self.rules).and_then(|set| set.restrict_current_thread());
        match applied {
            Err(e) if self.required => Err(format!("cannot confine the JS worker: {e}")),
            _ => Ok(()),
        }
    }
}
