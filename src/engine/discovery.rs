//! Discovery of a project's templates: every file in its `.agent/workflows/definitions/`
//! becomes a row, read when the project is added, at start-up, and whenever the folder
//! changes. A file that does not load keeps its row, with the error and its location, so the
//! templates page can show it. The server watches; `scan` is the one reading of a folder.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

use notify::{RecursiveMode, Watcher};
use serde_json::json;

use super::{Engine, EngineError};
use crate::definition::DefinitionKind;
use crate::store::definitions::{DefinitionRow, LoadFailure, DEFINITIONS_DIR};
use crate::store::projects::ProjectRow;

/// Reads and watches projects' definition folders.
pub struct Discovery {
    engine: Engine,
    /// One watcher per project path; dropping one stops it.
    watchers: Mutex<HashMap<PathBuf, notify::RecommendedWatcher>>,
}

impl Discovery {
    pub fn new(engine: Engine) -> Discovery {
        Discovery {
            engine,
            watchers: Mutex::default(),
        }
    }

    /// Reads every project's definitions and watches their folders (server start-up). The
    /// projects are read side by side, so one slow project does not hold up the others.
    pub async fn scan_all(self: &std::sync::Arc<Self>) {
        let projects = ProjectRow::list_all(self.engine.store()).await.unwrap_or_default();
        let mut scans = tokio::task::JoinSet::new();
        for p in projects {
            let discovery = self.clone();
            scans.spawn(async move { discovery.scan_and_watch(&p).await });
        }
        while scans.join_next().await.is_some() {}
    }

    /// Watches first, so a change made while a slow scan is under way is read after it.
    pub async fn scan_and_watch(self: &std::sync::Arc<Self>, project: &ProjectRow) {
        if !Path::new(&project.path).is_dir() {
            // Not on this node (several nodes, each with its own checkouts): the nodes that
            // have it keep its rows; this one must not take them for removed.
            return;
        }
        self.watch(project);
        scan(&self.engine, project).await;
    }

    fn watch(self: &std::sync::Arc<Self>, project: &ProjectRow) {
        let root = PathBuf::from(&project.path);
        if self.watchers.lock().expect("watchers lock").contains_key(&root) {
            return;
        }
        let dir = root.join(DEFINITIONS_DIR);
        if std::fs::create_dir_all(&dir).is_err() {
            return;
        }
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let watcher = notify::recommended_watcher(move |res: notify::Result<notify::Event>| {
            // Opening and reading a file is no change to it: inotify reports the scan's own
            // reads, which would start a scan again, and again.
            if res.is_ok_and(|e| !matches!(e.kind, notify::EventKind::Access(_))) {
                let _ = tx.send(());
            }
        });
        let Ok(mut watcher) = watcher else { return };
        if watcher.watch(&dir, RecursiveMode::NonRecursive).is_err() {
            return;
        }
        self.watchers.lock().expect("watchers lock").insert(root, watcher);
        let (engine, project) = (self.engine.clone(), project.clone());
        tokio::spawn(async move {
            while rx.recv().await.is_some() {
                // Editors write in bursts: settle, then read once.
                tokio::time::sleep(Duration::from_millis(150)).await;
                while rx.try_recv().is_ok() {}
                scan(&engine, &project).await;
            }
        });
    }
}

/// Brings the rows of one project in line with its definitions folder.
pub async fn scan(engine: &Engine, project: &ProjectRow) {
    let root = PathBuf::from(&project.path);
    if !root.is_dir() {
        return;
    }
    let dir = root.join(DEFINITIONS_DIR);
    let mut seen = Vec::new();
    let mut entries: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map(|d| {
            d.flatten()
                .map(|e| e.path())
                .filter(|p| p.is_file() && DefinitionKind::from_path(p).is_some())
                .collect()
        })
        .unwrap_or_default();
    entries.sort();
    for path in entries {
        seen.push(path.to_string_lossy().into_owned());
        let result = match engine.prepare(&path, &root).await {
            Ok(p) => DefinitionRow::upsert(engine.store(), &p.definition, &project.id, true)
                .await
                .map(|_| ()),
            Err(EngineError::Definition(errors)) => record_error(engine, project, &path, &errors).await,
            Err(e) => {
                tracing::warn!(file = %path.display(), error = %e, "cannot read workflow definition");
                Ok(())
            }
        };
        if let Err(e) = result {
            tracing::warn!(file = %path.display(), error = %e, "cannot record workflow definition");
        }
    }
    let _ = forget_removed(engine, project, &seen).await;
}

async fn record_error(
    engine: &Engine,
    project: &ProjectRow,
    path: &Path,
    errors: &[crate::definition::DefinitionError],
) -> crate::store::Result<()> {
    let kind = DefinitionKind::from_path(path).unwrap_or(DefinitionKind::Code);
    let name = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let error = json!({
        "message": errors.iter().map(|e| e.message.clone()).collect::<Vec<_>>().join("\n"),
        "errors": errors,
    });
    let failure = LoadFailure {
        project_id: &project.id,
        name: &name,
        kind,
        path: &path.to_string_lossy(),
        error: &error.to_string(),
    };
    DefinitionRow::record_load_error(engine.store(), &failure).await
}

/// Rows of files that are gone: deleted when no run uses them, else marked.
async fn forget_removed(engine: &Engine, project: &ProjectRow, seen: &[String]) -> crate::store::Result<()> {
    let dir_prefix = format!("{}/", PathBuf::from(&project.path).join(DEFINITIONS_DIR).display());
    let removed = json!({ "message": "the file was removed", "errors": [] }).to_string();
    DefinitionRow::forget_missing(engine.store(), &project.id, &dir_prefix, seen, &removed).await
}
