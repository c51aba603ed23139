//! The board: `GET /api/board` (each column's exact count and first page under the filters in
//! force, and the running/waiting totals) and the run list `GET /api/workflow-executions`,
//! whose `column=` pages one column on its own. The filters (search, creation range) are read
//! and checked here; the SQL is the store's (`store::run_list`, `store::board`).

use axum::extract::State;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::access;
use super::auth::CurrentUser;
use super::envelope::ErrorBody;
use super::error::{ApiError, ApiQuery};
use super::run_view::{RunListItem, RunPage};
use super::runs::RunDetails;
use super::AppState;
use crate::domain::RunStatus;
use crate::store::board::{Lanes, DONE, PENDING};
use crate::store::definitions::DefinitionRow;
use crate::store::run_list::RunFilter;
use crate::store::runs::RunRow;

/// Most runs a page returns.
pub const MAX_PAGE: i64 = 200;
/// Longest search text.
const MAX_Q: usize = 200;

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Only this project's runs.
    project_id: Option<String>,
    /// Only runs with this status.
    #[param(value_type = Option<RunStatus>)]
    status: Option<String>,
    /// Only runs of this definition.
    workflow_definition_id: Option<String>,
    /// Runs whose name, id, an argument value, error text, or a step's name, key or error
    /// text contains this (case-insensitive).
    q: Option<String>,
    /// Only runs created at or after this time (RFC 3339, or a date `YYYY-MM-DD`, UTC).
    created_after: Option<String>,
    /// Only runs created before this time (RFC 3339, or a date: before that day starts).
    created_before: Option<String>,
    /// One board column's runs (`__pending`, a phase or `__done` with
    /// `workflow_definition_id`; a status without): a column's `next_cursor` pages it.
    column: Option<String>,
    /// Runs per page.
    #[param(minimum = 1, maximum = 200, default = 50)]
    limit: Option<i64>,
    /// The `next_cursor` of the previous page.
    cursor: Option<String>,
}

/// A board column.
#[derive(Serialize, ToSchema)]
pub struct BoardColumn {
    /// `__pending`, a phase or `__done` on a workflow's board; a status on the all-workflows one.
    pub key: String,
    pub title: String,
    /// How many runs the column holds under the filters (exact).
    pub count: i64,
    /// Its first page: newest first; `__pending` (and `pending`) in the order they will start.
    pub runs: Vec<RunListItem>,
    /// Pass as `cursor` with `column` to `GET /api/workflow-executions` for more; null when all are here.
    pub next_cursor: Option<String>,
}

/// The board under the filters in force.
#[derive(Serialize, ToSchema)]
pub struct Board {
    pub columns: Vec<BoardColumn>,
    /// Runs on the board.
    pub total: i64,
    /// Of those, `running` ones.
    pub running: i64,
    /// Of those, `waiting` ones (for a person, a timer or a signal).
    pub waiting: i64,
    /// Of those, `pending` ones (queued).
    pub pending: i64,
}

/// A time filter's value as the stored form (`2026-12-05T10:00:00.000Z`), or a 400 naming it.
fn time_param(field: &str, value: Option<&str>) -> Result<Option<String>, ApiError> {
    let Some(v) = value.map(str::trim).filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    let parsed = chrono::DateTime::parse_from_rfc3339(v)
        .map(|t| t.with_timezone(&chrono::Utc))
        .or_else(|_| {
            chrono::NaiveDate::parse_from_str(v, "%Y-%m-%d")
                .map(|d| d.and_hms_opt(0, 0, 0).expect("midnight").and_utc())
        })
        .map_err(|_| {
            ApiError::bad(
                "invalid_query",
                format!("{field}: '{v}' is not a time (RFC 3339 such as 2026-12-05T10:00:00Z, or a date 2026-12-05)"),
            )
        })?;
    Ok(Some(parsed.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)))
}

/// The checked filters of a list or board query.
struct Filters {
    status: Option<RunStatus>,
    created_after: Option<String>,
    created_before: Option<String>,
    limit: i64,
}

fn check(q: &ListQuery, default_limit: i64) -> Result<Filters, ApiError> {
    let status = match q.status.as_deref().filter(|s| !s.is_empty()) {
        None => None,
        Some(s) => Some(RunStatus::parse(s).ok_or_else(|| {
            let known = RunStatus::ALL.map(RunStatus::as_str).join(", ");
            ApiError::bad("invalid_query", format!("status: '{s}' is not one of {known}"))
        })?),
    };
    let limit = q.limit.unwrap_or(default_limit);
    if !(1..=MAX_PAGE).contains(&limit) {
        return Err(ApiError::bad(
            "invalid_query",
            format!("limit: must be between 1 and {MAX_PAGE}"),
        ));
    }
    if q.q.as_deref().is_some_and(|s| s.chars().count() > MAX_Q) {
        return Err(ApiError::bad("invalid_query", format!("q: at most {MAX_Q} characters")));
    }
    let created_after = time_param("created_after", q.created_after.as_deref())?;
    let created_before = time_param("created_before", q.created_before.as_deref())?;
    if let (Some(a), Some(b)) = (&created_after, &created_before) {
        if a >= b {
            return Err(ApiError::bad(
                "invalid_query",
                "created_before: must be later than created_after",
            ));
        }
    }
    Ok(Filters {
        status,
        created_after,
        created_before,
        limit,
    })
}

fn run_filter<'a>(q: &'a ListQuery, f: &'a Filters, user: &'a CurrentUser, limit: i64) -> RunFilter<'a> {
    RunFilter {
        project_id: q.project_id.as_deref(),
        // With a project the caller's access to it was checked already.
        visible_to: (q.project_id.is_none() && !user.is_admin()).then(|| user.id()),
        status: f.status,
        workflow_definition_id: q.workflow_definition_id.as_deref(),
        q: q.q.as_deref(),
        created_after: f.created_after.as_deref(),
        created_before: f.created_before.as_deref(),
        before: q.cursor.as_deref(),
        limit,
    }
}

/// The definition's phases, when the board is a workflow's (404 for one not in the project).
async fn phases_of(state: &AppState, q: &ListQuery) -> Result<Option<Vec<String>>, ApiError> {
    let Some(id) = &q.workflow_definition_id else {
        return Ok(None);
    };
    let def = DefinitionRow::get(state.engine.store(), id).await?;
    let def = def
        .filter(|d| q.project_id.is_none() || d.project_id == q.project_id)
        .ok_or_else(|| ApiError::not_found(format!("workflow definition {id}")))?;
    Ok(Some(serde_json::from_str(&def.phases).unwrap_or_default()))
}

fn lanes(phases: &Option<Vec<String>>) -> Lanes<'_> {
    match phases {
        Some(p) => Lanes::Phases {
            first: p.first().map(String::as_str),
        },
        None => Lanes::Statuses,
    }
}

/// Pages of runs: `limit + 1` read, the extra one says whether there is a next page.
fn split_page(mut rows: Vec<RunRow>, limit: i64) -> (Vec<RunRow>, Option<String>) {
    let more = rows.len() as i64 > limit;
    rows.truncate(limit as usize);
    let next = if more { rows.last().map(|r| r.id.clone()) } else { None };
    (rows, next)
}

/// `GET /api/workflow-executions?project_id=&status=&workflow_definition_id=&q=&created_after=&created_before=&column=&limit=&cursor=`
#[utoipa::path(
    get,
    path = "/workflow-executions",
    tag = "workflow-executions",
    summary = "List runs",
    description = "The runs of the projects the caller may see, newest first, a page at a time; with \
        `column`, one board column's (the queue in the order it starts).",
    params(ListQuery),
    responses(
        (status = 200, description = "A page of runs.", body = RunPage),
        (status = 400, description = "A status, limit, time or column out of range (`invalid_query`, naming the parameter).", body = ErrorBody),
        (status = 401, description = "No valid token.", body = ErrorBody),
        (status = 404, description = "No project `project_id` or definition `workflow_definition_id` the caller may see.", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn list_runs(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Result<Json<RunPage>, ApiError> {
    let store = state.engine.store();
    if let Some(p) = &q.project_id {
        access::project(store, &user, p).await?;
    }
    let f = check(&q, 50)?;
    let filter = run_filter(&q, &f, &user, f.limit + 1);
    let rows = match q.column.as_deref() {
        None => RunRow::list(store, &filter).await?,
        Some(key) => {
            let phases = phases_of(&state, &q).await?;
            check_column(&phases, key)?;
            RunRow::column_page(store, &filter, lanes(&phases), key).await?
        }
    };
    let (rows, next_cursor) = split_page(rows, f.limit);
    let data = RunDetails::load(&state, &rows, Some(&user.0.email))
        .await?
        .list_items(&rows);
    Ok(Json(RunPage { data, next_cursor }))
}

/// A column key the board has (any phase: runs may know phases the definition no longer has).
fn check_column(phases: &Option<Vec<String>>, key: &str) -> Result<(), ApiError> {
    let ok = match phases {
        Some(_) => !key.is_empty(),
        None => RunStatus::parse(key).is_some(),
    };
    if ok {
        return Ok(());
    }
    let known = match phases {
        Some(_) => format!("{PENDING}, a phase or {DONE}"),
        None => format!("a status ({})", RunStatus::ALL.map(RunStatus::as_str).join(", ")),
    };
    Err(ApiError::bad(
        "invalid_query",
        format!("column: '{key}' is not {known}"),
    ))
}

/// `GET /api/board?project_id=&workflow_definition_id=&status=&q=&created_after=&created_before=&limit=`
#[utoipa::path(
    get,
    path = "/board",
    tag = "workflow-executions",
    summary = "The board",
    description = "A project's board under the filters: with `workflow_definition_id` the columns \
        `__pending` (never started, in the order they will start), each phase (a failed, paused or \
        waiting run stays in its phase) and `__done` (completed and cancelled); without, one column per \
        status. Each column has its exact count and its first `limit` runs.",
    params(ListQuery),
    responses(
        (status = 200, description = "The board.", body = Board),
        (status = 400, description = "A filter out of range, or `project_id` missing (`invalid_query`).", body = ErrorBody),
        (status = 401, description = "No valid token.", body = ErrorBody),
        (status = 404, description = "No such project or definition the caller may see.", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn get_board(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Result<Json<Board>, ApiError> {
    let store = state.engine.store();
    let Some(project_id) = &q.project_id else {
        return Err(ApiError::bad("invalid_query", "project_id: required"));
    };
    access::project(store, &user, project_id).await?;
    if q.column.is_some() || q.cursor.is_some() {
        return Err(ApiError::bad(
            "invalid_query",
            "column, cursor: page a column with GET /api/workflow-executions",
        ));
    }
    let f = check(&q, 25)?;
    let phases = phases_of(&state, &q).await?;
    let lanes = lanes(&phases);
    let filter = run_filter(&q, &f, &user, f.limit + 1);
    let counts = RunRow::board_counts(store, &filter, lanes).await?;
    let mut keys: Vec<(String, String)> = match &phases {
        Some(phases) => {
            let mut keys = vec![(PENDING.to_string(), "Not started".to_string())];
            keys.extend(phases.iter().map(|p| (p.clone(), p.clone())));
            // Phases only runs know of (a definition edited since), after the declared ones.
            let mut extra: Vec<&String> = counts
                .columns
                .keys()
                .filter(|k| *k != PENDING && *k != DONE && !phases.contains(k))
                .collect();
            extra.sort();
            keys.extend(extra.into_iter().map(|p| (p.clone(), p.clone())));
            keys.push((DONE.to_string(), "Finished".to_string()));
            keys
        }
        None => RunStatus::ALL
            .iter()
            .map(|s| (s.as_str().to_string(), title_of(*s).to_string()))
            .collect(),
    };
    let mut pages = Vec::new();
    for (key, _) in &keys {
        let count = counts.columns.get(key).copied().unwrap_or(0);
        let rows = if count == 0 {
            Vec::new()
        } else {
            RunRow::column_page(store, &filter, lanes, key).await?
        };
        pages.push((count, split_page(rows, f.limit)));
    }
    let all: Vec<RunRow> = pages.iter().flat_map(|(_, (rows, _))| rows.iter().cloned()).collect();
    let mut details = RunDetails::load(&state, &all, Some(&user.0.email)).await?;
    let columns = keys
        .drain(..)
        .zip(pages)
        .map(|((key, title), (count, (rows, next_cursor)))| {
            let mut runs = details.list_items(&rows);
            if lanes.oldest_first(&key) {
                // The queue's page in the order the Runner starts them: a run queued to resume
                // (an old id) goes where it waits, not where it was created.
                runs.sort_by_key(|r| r.run.queue.as_ref().map_or(i64::MAX, |q| q.position));
            }
            BoardColumn {
                key,
                title,
                count,
                runs,
                next_cursor,
            }
        })
        .collect();
    Ok(Json(Board {
        columns,
        total: counts.total(),
        running: counts.status(RunStatus::Running),
        waiting: counts.status(RunStatus::Waiting),
        pending: counts.status(RunStatus::Pending),
    }))
}

fn title_of(s: RunStatus) -> &'static str {
    match s {
        RunStatus::Pending => "Pending",
        RunStatus::Running => "Running",
        RunStatus::Waiting => "Waiting",
        RunStatus::Paused => "Paused",
        RunStatus::Completed => "Completed",
        RunStatus::Failed => "Failed",
        RunStatus::Cancelled => "Cancelled",
    }
}
