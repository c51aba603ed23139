//! JS workers started ahead of need (`EngineConfig::warm_workers`), so that a TypeScript run
//! or a definition being read does not wait for one to start.

use std::path::Path;

use super::js_child::JsChild;
use super::Engine;

impl Engine {
    /// Starts workers until `EngineConfig::warm_workers` wait for a workflow. Cheap to call
    /// when they already do.
    pub fn warm_workers(&self) {
        let mut warm = self.inner.warm.lock().expect("warm lock");
        while warm.len() < self.inner.config.warm_workers {
            match JsChild::start(&self.inner.config.worker_exe, Path::new("/")) {
                Ok(worker) => warm.push(worker),
                Err(e) => {
                    tracing::warn!(error = %e, "cannot start a JS worker ahead of need");
                    break;
                }
            }
        }
    }

    /// Keeps a worker started elsewhere for the next TypeScript definition to load.
    pub fn add_warm_worker(&self, worker: JsChild) {
        self.inner.warm.lock().expect("warm lock").push(worker);
    }

    /// A started worker that is still alive, if one is waiting.
    pub(super) fn take_warm_worker(&self) -> Option<JsChild> {
        let mut warm = self.inner.warm.lock().expect("warm lock");
        while !warm.is_empty() {
            let mut worker = warm.remove(0);
            if worker.is_alive() {
                return Some(worker);
            }
        }
        None
    }
}
