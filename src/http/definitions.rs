//! `/api/workflow-definitions` and the discovery behind it: every file in a project's
//! `.agent/workflows/definitions/` becomes a row, read when the project is added, at
//! start-up, and whenever the folder changes. A file that does not load keeps its row, with
//! the error and its location, so the templates page can show it.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

use axum::extract::{Path as UrlPath, State};
use axum::routing::get;
use axum::{Json, Router};
use notify::{RecursiveMode, Watcher};
use serde::Deserialize;
use serde_json::{json, Value};

use super::auth::CurrentUser;
use super::error::{ApiError, ApiQuery};
use super::openapi::{Data, Definition, DefinitionDetail, ErrorBody};
use super::{access, AppState};
use crate::definition::DefinitionKind;
use crate::engine::{Engine, EngineError};
use crate::store::definitions::DefinitionRow;
use crate::store::projects::ProjectRow;
use crate::store::{new_id, now};

pub use crate::store::definitions::DEFINITIONS_DIR;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/workflow-definitions", get(list_definitions))
        .route("/workflow-definitions/{id}", get(get_definition))
}

/// A definition as the API shows it: phases and schema as JSON, the load error if any.
pub fn definition_json(d: &DefinitionRow) -> Value {
    let mut v = serde_json::to_value(d).expect("rows serialise");
    v["phases"] = serde_json::from_str(&d.phases).unwrap_or(json!([]));
    v["args_schema"] = d
        .args_schema
        .as_deref()
        .and_then(|s| serde_json::from_str(s).ok())
        .unwrap_or(Value::Null);
    v["load_error"] = d
        .load_error
        .as_deref()
        .and_then(|s| serde_json::from_str(s).ok())
        .unwrap_or(Value::Null);
    v
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Only this project's definitions; all the caller may see when absent.
    project_id: Option<String>,
}

/// `GET /api/workflow-definitions?project_id=`
#[utoipa::path(
    get,
    path = "/api/workflow-definitions",
    tag = "workflow-definitions",
    summary = "List workflow definitions",
    description = "The templates of one project, or of every project the caller may see, by name: \
        the files in its `.agent/workflows/definitions/`. Files that do not load are listed too, \
        with `load_error`. A file run from elsewhere (CLI `run`) is its runs' definition, readable \
        by id, but not a template.",
    params(ListQuery),
    responses(
        (status = 200, description = "The definitions.", body = Data<Vec<Definition>>),
        (status = 401, description = "No valid token.", body = ErrorBody),
        (status = 404, description = "No project `project_id` the caller may see.", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn list_definitions(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Result<Json<Value>, ApiError> {
    let store = state.engine.store();
    let project_ids: Vec<String> = match q.project_id {
        Some(id) => vec![access::project(store, &user, &id).await?.id],
        None => ProjectRow::list_visible(store, user.id(), user.is_admin())
            .await?
            .into_iter()
            .map(|p| p.id)
            .collect(),
    };
    let rows: Vec<DefinitionRow> = sqlx::query_as(
        "SELECT * FROM workflow_definitions WHERE is_template AND project_id IN (SELECT value FROM json_each(?))
         ORDER BY name, path",
    )
    .bind(serde_json::to_string(&project_ids).expect("ids"))
    .fetch_all(&store.read)
    .await?;
    Ok(Json(
        json!({ "data": rows.iter().map(definition_json).collect::<Vec<_>>() }),
    ))
}

/// `GET /api/workflow-definitions/{id}`
#[utoipa::path(
    get,
    path = "/api/workflow-definitions/{id}",
    tag = "workflow-definitions",
    summary = "Read a workflow definition",
    description = "With its steps when they are known before a run (YAML that loads).",
    params(("id" = String, Path, description = "The definition's id.")),
    responses(
        (status = 200, description = "The definition.", body = Data<DefinitionDetail>),
        (status = 401, description = "No valid token.", body = ErrorBody),
        (status = 404, description = "No such definition the caller may see.", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn get_definition(
    State(state): State<AppState>,
    user: CurrentUser,
    UrlPath(id): UrlPath<String>,
) -> Result<Json<Value>, ApiError> {
    let store = state.engine.store();
    let not_found = || ApiError::not_found(format!("workflow definition {id}"));
    let row = DefinitionRow::get(store, &id).await?.ok_or_else(not_found)?;
    access::project(store, &user, row.project_id.as_deref().unwrap_or_default())
        .await
        .map_err(|_| not_found())?;
    let mut v = definition_json(&row);
    // YAML steps, for the templates page (TypeScript steps are only known as they run); a big
    // file takes a while to parse, so not on a thread that serves requests.
    if row.kind == DefinitionKind::Yaml && row.load_error.is_none() {
        let path = PathBuf::from(&row.path);
        let steps = tokio::task::spawn_blocking(move || {
            let def = crate::definition::yaml::read_yaml(&path).ok()?;
            Some(serde_json::to_value(&def.steps).expect("steps serialise"))
        });
        if let Ok(Some(steps)) = steps.await {
            v["steps"] = steps;
        }
    }
    Ok(Json(json!({ "data": v })))
}

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
            if res.is_ok() {
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
    let ts = now();
    sqlx::query(
        "INSERT INTO workflow_definitions (id, project_id, name, type, path, phases, load_error, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, '[]', ?, ?, ?)
         ON CONFLICT (path) DO UPDATE SET load_error = excluded.load_error, updated_at = excluded.updated_at",
    )
    .bind(new_id())
    .bind(&project.id)
    .bind(name)
    .bind(kind)
    .bind(path.to_string_lossy().as_ref())
    .bind(error.to_string())
    .bind(&ts)
    .bind(&ts)
    .execute(&engine.store().pool)
    .await?;
    Ok(())
}

/// Rows of files that are gone: deleted when no run uses them, else marked.
async fn forget_removed(engine: &Engine, project: &ProjectRow, seen: &[String]) -> crate::store::Result<()> {
    let dir_prefix = format!("{}/", PathBuf::from(&project.path).join(DEFINITIONS_DIR).display());
    let seen = serde_json::to_string(seen).expect("paths");
    let pool = &engine.store().pool;
    sqlx::query(
        "DELETE FROM workflow_definitions WHERE project_id = ? AND substr(path, 1, length(?)) = ?
           AND path NOT IN (SELECT value FROM json_each(?))
           AND id NOT IN (SELECT workflow_definition_id FROM workflow_runs)",
    )
    .bind(&project.id)
    .bind(&dir_prefix)
    .bind(&dir_prefix)
    .bind(&seen)
    .execute(pool)
    .await?;
    sqlx::query(
        "UPDATE workflow_definitions SET load_error = ? WHERE project_id = ? AND substr(path, 1, length(?)) = ?
           AND path NOT IN (SELECT value FROM json_each(?))",
    )
    .bind(json!({ "message": "the file was removed", "errors": [] }).to_string())
    .bind(&project.id)
    .bind(&dir_prefix)
    .bind(&dir_prefix)
    .bind(&seen)
    .execute(pool)
    .await?;
    Ok(())
}
