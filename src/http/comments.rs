//! `/api/workflow-executions/{id}/comments`: notes on a run or one of its steps, each shown
//! with its creator and the artifacts attached to it.

use std::collections::HashMap;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::auth::CurrentUser;
use super::envelope::{created, ok, Data, ErrorBody};
use super::error::{ApiError, ApiJson, ApiQuery};
use super::{access, AppState};
use crate::domain::CommentType;
use crate::events::Event;
use crate::store::artifacts::ArtifactRow;
use crate::store::comments::{CommentFilter, CommentRow};
use crate::store::steps::StepRow;
use crate::store::Store;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(create_comment, list_comments))
}

/// The only type a user may post: `system` and `agent` comments are the engine's, and one
/// posted through the API would pass for the engine's word on a run.
pub const POSTED_COMMENT_TYPE: CommentType = CommentType::User;

/// The type of a comment a user posts: only `user` (the engine writes `system` and `agent`).
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum PostedCommentType {
    User,
}

/// Who wrote a comment.
#[derive(Serialize, ToSchema)]
pub struct Creator {
    pub id: String,
    pub email: String,
    pub name: Option<String>,
}

/// A note on a run, or on one of its steps.
#[derive(Serialize, ToSchema)]
pub struct Comment {
    pub id: String,
    pub workflow_run_id: String,
    /// The step's row id, for a step-level comment.
    pub workflow_run_step_id: Option<String>,
    pub text: String,
    pub comment_type: CommentType,
    pub created_by: Option<String>,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub updated_at: String,
    /// Null for comments written by the engine or an agent.
    pub creator: Option<Creator>,
    /// The artifacts attached to it.
    pub artifacts: Vec<ArtifactRow>,
}

impl Comment {
    fn new(row: CommentRow, creator: Option<Creator>, artifacts: Vec<ArtifactRow>) -> Comment {
        Comment {
            id: row.id,
            workflow_run_id: row.workflow_run_id,
            workflow_run_step_id: row.workflow_run_step_id,
            text: row.text,
            comment_type: row.comment_type,
            created_by: row.created_by,
            created_at: row.created_at,
            updated_at: row.updated_at,
            creator,
            artifacts,
        }
    }
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateComment {
    /// Must not be empty.
    text: String,
    /// The step's row id, for a step-level comment.
    step_id: Option<String>,
    /// `user`, the default and the only type a user may post.
    #[schema(value_type = Option<PostedCommentType>)]
    comment_type: Option<String>,
}

/// `POST /api/workflow-executions/{id}/comments`
#[utoipa::path(
    post,
    path = "/workflow-executions/{id}/comments",
    tag = "comments",
    summary = "Comment on a run or one of its steps",
    params(("id" = String, Path, description = "The run's id.")),
    request_body = CreateComment,
    responses(
        (status = 201, description = "The comment.", body = Data<Comment>),
        (status = 400, description = "An empty text, a `comment_type` other than `user` (`system` and \
            `agent` comments are the engine's), a `step_id` that is not a step of this run, or another \
            body problem (`invalid_body`).", body = ErrorBody),
        (status = 401, description = "No valid token.", body = ErrorBody),
        (status = 404, description = "No such run the caller may see.", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn create_comment(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<CreateComment>,
) -> Result<(StatusCode, Json<Data<Comment>>), ApiError> {
    let store = state.engine.store();
    let (run, project) = access::run(store, &user, &id).await?;
    let kind = posted_type(&body)?;
    if let Some(step) = &body.step_id {
        step_of_run(store, &run.id, step, "invalid_body").await?;
    }
    let row = CommentRow::insert(
        store,
        &run.id,
        body.step_id.as_deref(),
        &body.text,
        kind,
        Some(user.id()),
    )
    .await?;
    state.engine.events().emit(Event::CommentCreated {
        execution_id: run.id.clone(),
        comment_id: row.id.clone(),
        step_id: row.workflow_run_step_id.clone(),
        project_id: project.id.clone(),
    });
    let creator = Creator {
        id: user.0.id.clone(),
        email: user.0.email.clone(),
        name: user.0.name.clone(),
    };
    Ok(created(Comment::new(row, Some(creator), Vec::new())))
}

/// The type a posted comment gets, if the body may post it (with a text that is not blank).
fn posted_type(body: &CreateComment) -> Result<CommentType, ApiError> {
    if body.text.trim().is_empty() {
        return Err(ApiError::bad("invalid_body", "text: must not be empty"));
    }
    let kind = body.comment_type.as_deref().unwrap_or(POSTED_COMMENT_TYPE.as_str());
    if CommentType::parse(kind) != Some(POSTED_COMMENT_TYPE) {
        return Err(ApiError::bad(
            "invalid_body",
            format!(
                "comment_type: '{kind}' cannot be posted: only 'user' comments can \
                 ('system' and 'agent' comments are written by the engine)"
            ),
        ));
    }
    Ok(POSTED_COMMENT_TYPE)
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Only this step's comments (its row id); empty is no filter.
    step_id: Option<String>,
}

/// `GET /api/workflow-executions/{id}/comments?step_id=`: oldest first.
#[utoipa::path(
    get,
    path = "/workflow-executions/{id}/comments",
    tag = "comments",
    summary = "List a run's comments",
    description = "Oldest first, each with its creator and attached artifacts.",
    params(("id" = String, Path, description = "The run's id."), ListQuery),
    responses(
        (status = 200, description = "The comments.", body = Data<Vec<Comment>>),
        (status = 400, description = "A `step_id` that is not a step of this run (`invalid_query`).", body = ErrorBody),
        (status = 401, description = "No valid token.", body = ErrorBody),
        (status = 404, description = "No such run the caller may see.", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn list_comments(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Result<Json<Data<Vec<Comment>>>, ApiError> {
    let store = state.engine.store();
    let (run, _) = access::run(store, &user, &id).await?;
    // `?step_id=` (empty) is no filter, as a form would send it.
    let step = q.step_id.as_deref().filter(|s| !s.is_empty());
    if let Some(step) = step {
        step_of_run(store, &run.id, step, "invalid_query").await?;
    }
    Ok(ok(list(store, Some(&run.id), step).await?))
}

/// The comments on one step (by row id), as the comment list shows them; for
/// `GET /api/workflow-steps/{id}`.
pub async fn for_step(store: &Store, step_row_id: &str) -> Result<Vec<Comment>, ApiError> {
    list(store, None, Some(step_row_id)).await
}

/// The step with this row id if it belongs to the run; otherwise a 400 naming `step_id`,
/// the same whether the step does not exist or is another run's (which says nothing about
/// runs the caller may not see).
pub async fn step_of_run(
    store: &Store,
    run_id: &str,
    step_row_id: &str,
    code: &'static str,
) -> Result<StepRow, ApiError> {
    StepRow::by_row_id(store, step_row_id)
        .await?
        .filter(|s| s.workflow_run_id == run_id)
        .ok_or_else(|| {
            ApiError::bad(
                code,
                format!("step_id: no step {step_row_id} in workflow execution {run_id}"),
            )
        })
}

/// Comments of a run and/or a step, oldest first, with creator and attachments: two
/// queries, however many comments.
pub async fn list(store: &Store, run_id: Option<&str>, step_row_id: Option<&str>) -> Result<Vec<Comment>, ApiError> {
    let items = CommentRow::list(store, &CommentFilter { run_id, step_row_id }).await?;
    let ids: Vec<String> = items.iter().map(|i| i.comment.id.clone()).collect();
    let mut attached: HashMap<String, Vec<ArtifactRow>> = HashMap::new();
    for a in ArtifactRow::list_for_comments(store, &ids).await? {
        let comment = a.workflow_comment_id.clone().unwrap_or_default();
        attached.entry(comment).or_default().push(a);
    }
    Ok(items
        .into_iter()
        .map(|i| {
            let creator = match (&i.comment.created_by, i.creator_email) {
                (Some(id), Some(email)) => Some(Creator {
                    id: id.clone(),
                    email,
                    name: i.creator_name,
                }),
                _ => None,
            };
            let artifacts = attached.remove(&i.comment.id).unwrap_or_default();
            Comment::new(i.comment, creator, artifacts)
        })
        .collect())
}
