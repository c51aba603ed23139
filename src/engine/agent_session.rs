//! An agent step's CLI session as the step host keeps it: the session a resumed step (with
//! `onInterrupt: "resume"`, or stopped by a budget) continues, the session row recorded the
//! moment the CLI names its id, marked resumable once its transcript exists, and its end
//! (status, model, cost and tokens added to what its earlier goes spent).

use super::budget_guard::plus;
use super::host::StepHost;
use crate::agent::classify::FailureKind;
use crate::agent::exec::{Attempt, Launch};
use crate::agent::AgentKind;
use crate::definition::StepConfig;
use crate::domain::{OnInterrupt, SessionStatus};
use crate::store::agent_sessions::{AgentSessionRow, SessionEnd};
use crate::store::steps::StepRow;

/// The session as the output consumer saw it.
#[derive(Default)]
pub(super) struct SessionState {
    pub(super) row_id: Option<String>,
    pub(super) session_id: Option<String>,
    pub(super) resumable: bool,
    pub(super) file: Option<String>,
    /// What a continued session spent in its earlier goes (dollars, input and output
    /// tokens): the CLI reports only this go's, and the session row keeps the sum.
    pub(super) base: (f64, i64, i64),
}

impl StepHost {
    /// With `onInterrupt: resume`, the earlier attempt's session (reopened) and its id, if the
    /// CLI can continue it; else a fresh session.
    pub(super) async fn resume_point(
        &self,
        config: &StepConfig,
        previous: Option<&StepRow>,
        kind: AgentKind,
    ) -> (SessionState, Option<String>) {
        // A step a limit of the budget stopped continues its session once the budget is raised.
        let budget_stopped = previous
            .and_then(|p| p.error_message.as_deref())
            .is_some_and(|e| e.starts_with(super::budget::BUDGET_STOPPED));
        let resume = config.on_interrupt.as_deref().and_then(OnInterrupt::parse) == Some(OnInterrupt::Resume);
        if !resume && !budget_stopped {
            return (SessionState::default(), None);
        }
        let Some(earlier) = self.resumable_session(previous, kind).await else {
            return (SessionState::default(), None);
        };
        let session = SessionState {
            row_id: Some(earlier.id.clone()),
            session_id: earlier.session_id.clone(),
            resumable: true,
            file: earlier.session_file_path.clone(),
            base: (
                earlier.cost_usd.unwrap_or(0.0),
                earlier.input_tokens.unwrap_or(0),
                earlier.output_tokens.unwrap_or(0),
            ),
        };
        let _ = AgentSessionRow::reopen(self.engine.store(), &self.run_id, &earlier.id).await;
        (session, earlier.session_id)
    }

    /// The earlier attempt's session, if `--resume` can continue it.
    pub(super) async fn resumable_session(
        &self,
        previous: Option<&StepRow>,
        kind: AgentKind,
    ) -> Option<AgentSessionRow> {
        let id = previous?.agent_session_id.as_deref()?;
        let row = AgentSessionRow::get(self.engine.store(), id).await.ok()??;
        (row.resumable && row.agent == kind && row.session_id.is_some()).then_some(row)
    }

    /// A session id seen in the output: a new one (a retry starts a new session) ends the
    /// session before it with `failure` and records the new one.
    pub(super) async fn on_session(
        &self,
        row: &StepRow,
        kind: AgentKind,
        session: &mut SessionState,
        id: &str,
        model: Option<&str>,
        failure: FailureKind,
    ) {
        if session.session_id.as_deref() == Some(id) {
            return;
        }
        if session.row_id.is_some() {
            self.end_session(session, None, Some(failure)).await;
        }
        let store = self.engine.store();
        match AgentSessionRow::start(store, &self.run_id, &row.id, kind, id, model, None).await {
            Ok(r) => session.row_id = Some(r.id),
            Err(e) => tracing::warn!(step = %row.step_id, error = %e, "cannot record the agent session"),
        }
        session.session_id = Some(id.to_string());
        session.resumable = false;
        session.file = None;
        session.base = (0.0, 0, 0);
    }

    /// Once the CLI has written the session's transcript, the session can be resumed.
    pub(super) async fn mark_transcript(&self, session: &mut SessionState, found: Option<String>) {
        let (Some(row_id), Some(path)) = (session.row_id.clone(), found) else {
            return;
        };
        if AgentSessionRow::mark_resumable(self.engine.store(), &self.run_id, &row_id, Some(&path))
            .await
            .is_ok()
        {
            session.resumable = true;
            session.file = Some(path);
        }
    }

    pub(super) async fn end_session(
        &self,
        session: &SessionState,
        attempt: Option<&Attempt>,
        failure: Option<FailureKind>,
    ) {
        let Some(row_id) = &session.row_id else { return };
        let t = attempt.map(|a| &a.transcript);
        let fin = t.and_then(|t| t.final_event.as_ref());
        let n = |v: Option<u64>| v.and_then(|v| i64::try_from(v).ok());
        let end = SessionEnd {
            status: if failure.is_some() {
                SessionStatus::Failed
            } else {
                SessionStatus::Completed
            },
            model: t.and_then(|t| t.model.as_deref()),
            session_file_path: session.file.as_deref(),
            cost_usd: plus(fin.and_then(|f| f.cost_usd), session.base.0),
            input_tokens: plus(n(t.and_then(|t| t.usage.input)), session.base.1),
            output_tokens: plus(n(t.and_then(|t| t.usage.output)), session.base.2),
            cached_tokens: n(t.and_then(|t| t.usage.cached)),
            num_turns: n(fin.and_then(|f| f.num_turns)),
            error_kind: failure.map(FailureKind::as_str),
        };
        if let Err(e) = AgentSessionRow::finish(self.engine.store(), &self.run_id, row_id, &end).await {
            tracing::warn!(session = %row_id, error = %e, "cannot record the end of the agent session");
        }
    }
}

/// The transcript of a session not yet known to be resumable, if the CLI has written it.
pub(super) fn transcript(
    session: &SessionState,
    driver: &dyn crate::agent::Driver,
    cwd: &std::path::Path,
    env: &dyn Fn(&str) -> Option<String>,
) -> Option<String> {
    if session.resumable || session.row_id.is_none() {
        return None;
    }
    let path = driver.session_file(session.session_id.as_deref()?, cwd, env)?;
    Some(path.to_string_lossy().into_owned())
}

/// The session with its transcript's path, if the CLI says where it keeps it.
pub(super) fn with_session_file(session: SessionState, kind: AgentKind, launch: &Launch) -> SessionState {
    let env_of = |k: &str| launch.env.get(k).cloned().or_else(|| std::env::var(k).ok());
    let file = session.file.clone().or_else(|| {
        let id = session.session_id.as_deref()?;
        let path = kind.driver().session_file(id, &launch.cwd, &env_of)?;
        Some(path.to_string_lossy().into_owned())
    });
    SessionState { file, ..session }
}
