//! Agent steps in the step host: the request built from the step, the CLI run with retries,
//! every raw line into `events.jsonl`, what the agent does as `workflow.step.progress`, and
//! the answer (checked against `outputSchema`) as the step's result. The CLI session (resumed,
//! recorded, ended) is `agent_session`; spend against the budget is `budget_guard`.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use serde_json::Value;
use tokio::sync::mpsc;

use super::agent_controls::{denial_warning, ForkPoint, FORK_PREAMBLE};
use super::agent_log::{raw_record, EventsLog};
use super::agent_result::{progress, result_data, SessionFacts};
use super::agent_session::{transcript, with_session_file, SessionState};
use super::budget_guard::{BudgetWatch, Spent};
use super::host::StepHost;
use super::outcome::Outcome;
use crate::agent::classify::FailureKind;
use crate::agent::exec::{self, Attempt, Launch, Output};
use crate::agent::{merged_env, running_as_root, AgentEvent, AgentKind, AgentRequest, Permission};
use crate::definition::{step_rules, StepConfig};
use crate::events::{Event, LogMark};
use crate::store::steps::StepRow;

/// How often a running agent step's `last_output_at` is written at most.
const OUTPUT_NOTE_EVERY: Duration = Duration::from_secs(3);

/// What a resumed session is told, before the step's own prompt.
pub const RESUME_PREAMBLE: &str = "Your previous session on this task was interrupted before it finished \
     (the workflow engine running it stopped). Continue the task from where you left off; do not redo work \
     that is already done. The task was:\n\n";

/// What an agent step's config asks for, once checked: the CLI, its permission mode and the
/// prompt (with its secrets in).
struct AgentTask {
    kind: AgentKind,
    permission: Permission,
    prompt: String,
}

/// One run of the agent CLI (a refused resume and the fresh start after it count as one).
struct AgentRun {
    result: std::io::Result<(Attempt, u32)>,
    launch: Launch,
    session: SessionState,
    /// Whether the CLI continued an earlier session.
    resumed: bool,
}

/// The agent, permission and prompt the step names, by the step rules.
fn agent_task(config: &StepConfig) -> Result<AgentTask, String> {
    Ok(AgentTask {
        kind: step_rules::agent_kind(config)?,
        permission: step_rules::permission(config)?,
        prompt: step_rules::agent_prompt(config)?,
    })
}

impl StepHost {
    pub(super) async fn run_agent(&self, config: &StepConfig, row: &StepRow, previous: Option<StepRow>) -> Outcome {
        let config = match self.with_secrets(config).await {
            Ok(c) => c,
            Err(e) => return Outcome::failed(e, None),
        };
        let task = match agent_task(&config) {
            Ok(task) => task,
            Err(e) => return Outcome::failed(e, None),
        };
        let mut watch = match self.budget_before_agent(&config).await {
            Ok(watch) => watch,
            // The run's budget is reached: the run stops (as a pause-now) before the agent starts.
            Err(_) => {
                let mut kill = self.kill.clone();
                let _ = tokio::time::timeout(Duration::from_secs(10), kill.wait_for(|k| *k)).await;
                return Outcome::failed(crate::subprocess::script::STOPPED.to_string(), None);
            }
        };
        // The step's timeout counts from here, across a refused resume and every retry.
        let started = tokio::time::Instant::now();
        let (session, mut resume) = self.resume_point(&config, previous.as_ref(), task.kind).await;
        let (output_schema_file, controls) = match (
            self.output_schema_file(&config, task.kind),
            self.agent_controls(&config),
        ) {
            (Ok(file), Ok(controls)) => (file, controls),
            (Err(e), _) | (_, Err(e)) => return Outcome::failed(e, None),
        };
        let mut fork = false;
        if resume.is_none() {
            match self.fork_point(&config, task.kind).await {
                ForkPoint::Fork(id) => {
                    resume = Some(id);
                    fork = true;
                }
                ForkPoint::Fresh(warning) => {
                    tracing::info!(step = %row.step_id, "{warning}");
                    self.emit_progress(row, "warning", warning.clone(), None, None);
                    self.add_warning(&config.id, warning);
                }
                ForkPoint::None => {}
            }
        }
        let request = AgentRequest {
            prompt: match (&resume, fork) {
                (Some(_), true) => format!("{FORK_PREAMBLE}{}", task.prompt),
                (Some(_), false) => format!("{RESUME_PREAMBLE}{}", task.prompt),
                (None, _) => task.prompt.clone(),
            },
            permission: task.permission,
            model: config.model.clone(),
            max_turns: config.max_turns,
            output_schema: config.output_schema.clone(),
            output_schema_file,
            resume,
            fork,
            controls,
            is_root: running_as_root(),
        };
        let run = self
            .run_cli(row, &task, &config, request, session, started, &mut watch)
            .await;
        self.agent_outcome(task.kind, &config, run).await
    }

    /// Codex reads the output schema from a file, written into the step's directory.
    fn output_schema_file(&self, config: &StepConfig, kind: AgentKind) -> Result<Option<PathBuf>, String> {
        let (Some(schema), AgentKind::Codex) = (&config.output_schema, kind) else {
            return Ok(None);
        };
        let file = self.files.step_dir(&config.id).join("output-schema.json");
        std::fs::create_dir_all(self.files.step_dir(&config.id))
            .and_then(|_| std::fs::write(&file, schema.to_string()))
            .map_err(|e| format!("cannot write {}: {e}", file.display()))?;
        Ok(Some(file))
    }

    /// Runs the CLI; if it could not continue the session it was asked to resume (its
    /// transcript deleted or expired), the step starts over, as it would without
    /// `onInterrupt: "resume"`.
    #[allow(clippy::too_many_arguments)]
    async fn run_cli(
        &self,
        row: &StepRow,
        task: &AgentTask,
        config: &StepConfig,
        mut request: AgentRequest,
        session: SessionState,
        started: tokio::time::Instant,
        watch: &mut BudgetWatch,
    ) -> AgentRun {
        let kind = task.kind;
        let (result, launch, session) = self.launch(row, kind, config, &request, session, started, watch).await;
        let refused = matches!(&result, Ok((a, _))
            if a.transcript.session_id.is_none() && a.stopped.is_none() && a.failure().is_some());
        let resumed = request.resume.is_some();
        if !resumed || !refused {
            return AgentRun {
                result,
                launch,
                session,
                resumed,
            };
        }
        self.end_session(&session, None, Some(FailureKind::Error)).await;
        let warning = if request.fork {
            let warning = format!(
                "{} could not fork the parent run's conversation {}; started fresh",
                kind.as_str(),
                request.resume.as_deref().unwrap_or_default()
            );
            self.add_warning(&config.id, warning.clone());
            warning
        } else {
            "the agent could not resume its earlier session; starting the step over".to_string()
        };
        self.emit_progress(row, "warning", warning, None, None);
        request.resume = None;
        request.fork = false;
        request.prompt = task.prompt.clone();
        let fresh = SessionState::default();
        let (result, launch, session) = self.launch(row, kind, config, &request, fresh, started, watch).await;
        AgentRun {
            result,
            launch,
            session,
            resumed: false,
        }
    }

    /// The step's outcome from what the CLI did, with the session's end recorded.
    async fn agent_outcome(&self, kind: AgentKind, config: &StepConfig, run: AgentRun) -> Outcome {
        let AgentRun {
            result,
            launch,
            session,
            resumed,
        } = run;
        let (attempt, tries) = match result {
            Ok(r) => r,
            Err(e) => {
                self.end_session(&session, None, FailureKind::Crashed.into()).await;
                return Outcome::failed(e.to_string(), None);
            }
        };
        let session = with_session_file(session, kind, &launch);
        let facts = SessionFacts {
            session_id: session.session_id.as_deref(),
            file: session.file.as_deref(),
            resumed,
        };
        let (data, failure) = result_data(kind, config, &attempt, tries, &facts);
        self.end_session(&session, Some(&attempt), failure.as_ref().map(|f| f.0))
            .await;
        if let Some(warning) = data.get("permissionDenials").and_then(denial_warning) {
            self.add_warning(&config.id, warning);
        }
        let text = data["text"].as_str().unwrap_or_default().to_string();
        Outcome {
            ok: failure.is_none(),
            data: Some(data),
            error: failure.map(|(_, message)| message),
            output: Some(text),
        }
    }

    /// Starts the CLI for `request` (retrying as configured) while its output is consumed.
    #[allow(clippy::too_many_arguments)]
    async fn launch(
        &self,
        row: &StepRow,
        kind: AgentKind,
        config: &StepConfig,
        request: &AgentRequest,
        session: SessionState,
        started: tokio::time::Instant,
        watch: &mut BudgetWatch,
    ) -> (std::io::Result<(Attempt, u32)>, Launch, SessionState) {
        let command = self.engine.agents().command(kind);
        let invocation = kind.driver().invocation(request);
        let mut env = merged_env(&command.env, &config.env);
        self.add_run_vars(&mut env, &config.id);
        let launch = Launch {
            program: command.command.iter().chain(&command.args).cloned().collect(),
            invocation,
            cwd: self.resolve_cwd(config.cwd.as_deref()),
            project: self.workdir.clone(),
            git: self.workspace.as_ref().and_then(|w| w.git.clone()),
            env,
            inherit: kind
                .credential_env()
                .iter()
                .map(|p| p.to_string())
                .chain(command.pass_env.iter().cloned())
                .collect(),
            timeout: config.timeout_ms.map(Duration::from_millis),
            stall_timeout: Some(
                config
                    .stall_timeout_ms
                    .map(Duration::from_millis)
                    .unwrap_or(self.engine.agents().stall_timeout),
            ),
            started,
        };
        if let Some(id) = &request.resume {
            let env_of = |k: &str| launch.env.get(k).cloned().or_else(|| std::env::var(k).ok());
            if let Err(e) = kind.driver().prepare_resume(id, &launch.cwd, &env_of) {
                tracing::warn!(step = %row.step_id, error = %e, "cannot prepare the session to resume");
            }
        }
        let lookup = (launch.cwd.clone(), launch.env.clone());
        let (tx, rx) = mpsc::unbounded_channel();
        for warning in &launch.invocation.warnings {
            let _ = tx.send(Output::Event(AgentEvent::Warning(warning.clone())));
        }
        let retry = match &config.retry {
            Some(spec) => crate::agent::config::RetryPolicy::from_spec(spec),
            None => self.engine.agents().retry.clone(),
        };
        let kill = self.kill.clone();
        let run = async move {
            let result = exec::run_with_retries(kind, &launch, &retry, &tx, kill).await;
            drop(tx);
            (result, launch)
        };
        let ((result, launch), session) = tokio::join!(run, self.consume(row, kind, rx, session, lookup, watch));
        (result, launch, session)
    }

    fn emit_progress(&self, row: &StepRow, stream: &str, output: String, detail: Option<Value>, log: Option<LogMark>) {
        self.emit(Event::StepProgress {
            execution_id: self.run_id.clone(),
            step_id: row.id.clone(),
            step_key: row.step_id.clone(),
            stream: stream.to_string(),
            output,
            detail,
            log,
            project_id: self.project_id.clone(),
        });
    }

    /// Raw lines → `events.jsonl`; events → progress, and the session row as soon as its id
    /// shows; the session marked resumable once the CLI has written its transcript; usage as
    /// it streams onto the session and against the budget (`budget_guard`).
    async fn consume(
        &self,
        row: &StepRow,
        kind: AgentKind,
        mut rx: mpsc::UnboundedReceiver<Output>,
        mut session: SessionState,
        (cwd, env): (PathBuf, BTreeMap<String, String>),
        watch: &mut BudgetWatch,
    ) -> SessionState {
        let mut log = EventsLog::open_try(self, &row.step_id, self.current_try(&row.step_id));
        let driver = kind.driver();
        let env_of = |k: &str| env.get(k).cloned().or_else(|| std::env::var(k).ok());
        let mut last_failure = None;
        let mut next_try = None;
        let mut output_noted = None;
        // The transcript may appear after the session's first event: look again now and then.
        let mut tick = tokio::time::interval(Duration::from_millis(250));
        loop {
            let looking = session.row_id.is_some() && !session.resumable;
            let out = tokio::select! {
                out = rx.recv() => match out {
                    Some(out) => out,
                    None => break,
                },
                _ = tick.tick(), if looking => {
                    let found = transcript(&session, driver.as_ref(), &cwd, &env_of);
                    self.mark_transcript(&mut session, found).await;
                    continue;
                }
                _ = watch.duration_out() => {
                    self.duration_out(watch).await;
                    continue;
                }
            };
            if let Output::Retry { kind, .. } = &out {
                last_failure = Some(*kind);
            }
            if matches!(out, Output::Raw { .. }) {
                self.note_output(row, &mut output_noted).await;
            }
            let mut record = raw_record(&out);
            self.mask.value(&mut record);
            log.write(&record, rx.is_empty());
            self.record_try(row, &out, &mut next_try, &mut log).await;
            if let Output::Event(AgentEvent::Session { id, model }) = &out {
                let failure = last_failure.unwrap_or(FailureKind::Error);
                self.on_session(row, kind, &mut session, id, model.as_deref(), failure)
                    .await;
            }
            let found = transcript(&session, driver.as_ref(), &cwd, &env_of);
            self.mark_transcript(&mut session, found).await;
            if let Some(spent) = Spent::of(&out) {
                let row_id = session.row_id.clone();
                self.on_usage(watch, row_id.as_deref(), session.base, &spent).await;
            }
            if let Some((stream, output, detail)) = progress(&out) {
                // Its record is the last one written (an event's raw line comes before it).
                self.emit_progress(row, stream, output, detail, log.mark());
            }
        }
        log.finish();
        session
    }

    /// Records that the CLI printed something (`last_output_at`), at most every
    /// `OUTPUT_NOTE_EVERY`.
    async fn note_output(&self, row: &StepRow, noted: &mut Option<tokio::time::Instant>) {
        if noted.is_some_and(|t| t.elapsed() < OUTPUT_NOTE_EVERY) {
            return;
        }
        *noted = Some(tokio::time::Instant::now());
        let store = self.engine.store();
        if let Err(e) = StepRow::set_last_output(store, &self.run_id, &row.id, &crate::store::now()).await {
            tracing::warn!(step = %row.step_id, error = %e, "cannot record the agent's last output");
        }
    }

    /// Notes a failure the step's policy does not retry (its class is not in `retryOn`, or not
    /// rate limit or overload by default): such a step fails even with `onExhausted: "wait"`.
    pub(super) fn note_agent_failure(&self, config: &StepConfig, outcome: &Outcome) {
        let (Some(spec), false) = (&config.retry, outcome.ok) else {
            return;
        };
        let class = outcome
            .data
            .as_ref()
            .and_then(|d| d["errorKind"].as_str())
            .unwrap_or("error");
        let policy = crate::agent::config::RetryPolicy::from_spec(spec);
        let retried = crate::agent::classify::FailureKind::parse(class).is_some_and(|k| policy.retries(k));
        // Out of time is out of tries.
        if !retried && class != "timed_out" {
            self.mark_not_retryable(&config.id);
        }
    }

    /// Records the tries of a retried agent step: the one that failed when a retry is
    /// announced, the next when it starts (its lines then go to its own `events.jsonl`).
    async fn record_try(&self, row: &StepRow, out: &Output, next_try: &mut Option<i64>, log: &mut EventsLog) {
        let recorded = match out {
            Output::Retry { reason, .. } => self.end_try(row, reason).await.map(|n| *next_try = Some(n + 1)),
            Output::TryStarted { .. } => match next_try.take() {
                Some(n) => self.start_try(row, n).await.map(|()| {
                    let old = std::mem::replace(log, EventsLog::open_try(self, &row.step_id, n));
                    old.finish();
                }),
                None => Ok(()),
            },
            _ => Ok(()),
        };
        if let Err(e) = recorded {
            tracing::warn!(step = %row.step_id, error = ?e, "cannot record the agent step's try");
        }
    }
}
