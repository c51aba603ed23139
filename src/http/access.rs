//! Who may see what: a user sees the projects they own or are members of (admins: all),
//! and everything inside them. Anything else is reported as not found.

use super::auth::CurrentUser;
use super::error::ApiError;
use crate::store::projects::ProjectRow;
use crate::store::runs::RunRow;
use crate::store::steps::StepRow;
use crate::store::Store;

pub async fn project(store: &Store, user: &CurrentUser, id: &str) -> Result<ProjectRow, ApiError> {
    ProjectRow::get_visible(store, id, user.id(), user.is_admin())
        .await?
        .ok_or_else(|| ApiError::not_found(format!("project {id}")))
}

/// The run and its project, if the user may see them.
pub async fn run(store: &Store, user: &CurrentUser, id: &str) -> Result<(RunRow, ProjectRow), ApiError> {
    let not_found = || ApiError::not_found(format!("workflow execution {id}"));
    let run = RunRow::get(store, id).await?.ok_or_else(not_found)?;
    let project = ProjectRow::get_visible(store, &run.project_id, user.id(), user.is_admin())
        .await?
        .ok_or_else(not_found)?;
    Ok((run, project))
}

/// A step (by row id), its run and project, if the user may see them.
pub async fn step(store: &Store, user: &CurrentUser, id: &str) -> Result<(StepRow, RunRow, ProjectRow), ApiError> {
    let not_found = || ApiError::not_found(format!("workflow step {id}"));
    let step = StepRow::by_row_id(store, id).await?.ok_or_else(not_found)?;
    let (run, project) = run(store, user, &step.workflow_run_id).await.map_err(|_| not_found())?;
    Ok((step, run, project))
}

/// A step (by row id), its run and project, whoever asks: for what carries its own permission
/// (a signed artifact link, `artifact_links`), checked before this is called.
pub async fn step_unchecked(store: &Store, id: &str) -> Result<Option<(StepRow, RunRow, ProjectRow)>, ApiError> {
    let Some(step) = StepRow::by_row_id(store, id).await? else {
        return Ok(None);
    };
    let Some(run) = RunRow::get(store, &step.workflow_run_id).await? else {
        return Ok(None);
    };
    let project = ProjectRow::get(store, &run.project_id).await?;
    Ok(project.map(|p| (step, run, p)))
}
