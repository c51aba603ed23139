//! The step host's side of budgets (`budget`): an agent step checks the run's budget before
//! its agent starts, and watches its spend while it runs (`BudgetWatch`, fed by the agent's
//! usage as it streams); a limit reached stops the run like a pause-now, remembered here so
//! that the stopped steps say why and the run waits instead of pausing.

use std::collections::HashMap;
use std::time::Duration;

use chrono::{DateTime, Utc};

use super::budget::{self, BudgetStop, BUDGET_STOPPED};
use super::host::StepHost;
use crate::agent::exec::Output;
use crate::agent::{AgentEvent, Usage};
use crate::definition::budget::Budget;
use crate::definition::StepConfig;
use crate::domain::ControlRequest;
use crate::store::agent_sessions::AgentSessionRow;
use crate::store::runs::RunRow;

/// Usage the agent reported: this process of it so far, the dollars if it says, and whether
/// to check it against the limits.
pub(super) struct Spent {
    pub usage: Usage,
    pub cost: Option<f64>,
    pub check: bool,
}

impl Spent {
    /// The usage an output reports, if any. Usage mid-step is checked against the limits; the
    /// final one only recorded (the step is done: the next agent step's start checks the
    /// run's budget).
    pub(super) fn of(out: &Output) -> Option<Spent> {
        match out {
            Output::Event(AgentEvent::Usage(u)) => Some(Spent {
                usage: *u,
                cost: None,
                check: true,
            }),
            Output::Event(AgentEvent::Final(f)) => f.usage.map(|usage| Spent {
                usage,
                cost: f.cost_usd,
                check: false,
            }),
            _ => None,
        }
    }
}

/// This go's amount with what the session spent before it; None when neither says anything.
pub(super) fn plus<T: Default + PartialEq + std::ops::Add<Output = T>>(now: Option<T>, before: T) -> Option<T> {
    match now {
        Some(v) => Some(v + before),
        None if before != T::default() => Some(before),
        None => None,
    }
}

/// What an agent step watches while its agent runs: the run's budget and the step's own
/// limits, against what this go of the step has spent (per session: a retry starts another).
pub(super) struct BudgetWatch {
    config: StepConfig,
    run_budget: Option<Budget>,
    /// When the run's duration budget runs out.
    deadline: Option<tokio::time::Instant>,
    /// Dollars and tokens of each session of this go, by session row id.
    spent: HashMap<String, (f64, u64)>,
    fired: bool,
}

impl BudgetWatch {
    /// Whether anything is watched at all.
    fn idle(&self) -> bool {
        self.fired
            || (self.run_budget.is_none() && self.config.max_cost_usd.is_none() && self.config.max_tokens.is_none())
    }

    /// Sleeps until the run's duration budget runs out (forever without one).
    pub(super) async fn duration_out(&self) {
        match self.deadline.filter(|_| !self.fired) {
            Some(at) => tokio::time::sleep_until(at).await,
            None => std::future::pending().await,
        }
    }
}

impl StepHost {
    /// Before an agent starts: the run's budget already reached stops the run (as a
    /// pause-now) and this step is not started. Else the watch for while it runs.
    pub(super) async fn budget_before_agent(&self, config: &StepConfig) -> Result<BudgetWatch, BudgetStop> {
        let run = RunRow::get(self.engine.store(), &self.run_id).await.ok().flatten();
        let run_budget = run.as_ref().and_then(budget::budget_of).filter(|b| !b.is_empty());
        let mut deadline = None;
        if let (Some(b), Some(run)) = (&run_budget, &run) {
            let spent = budget::spend(&self.engine, run).await.unwrap_or_default();
            if let Some(stop) = budget::reached(b, &spent, Some(&config.id)) {
                self.stop_for_budget(stop.clone()).await;
                return Err(stop);
            }
            deadline = b.duration_ms.zip(run.started_at.as_deref()).and_then(|(ms, at)| {
                let at = DateTime::parse_from_rfc3339(at).ok()?.with_timezone(&Utc);
                let left = (at + chrono::Duration::milliseconds(ms as i64) - Utc::now()).num_milliseconds();
                Some(tokio::time::Instant::now() + Duration::from_millis(left.max(0) as u64))
            });
        }
        Ok(BudgetWatch {
            config: config.clone(),
            run_budget,
            deadline,
            spent: HashMap::new(),
            fired: false,
        })
    }

    /// Usage the agent reported (this process of it: `base` is what its session spent in
    /// earlier goes): recorded on its session, then checked against the limits.
    pub(super) async fn on_usage(
        &self,
        watch: &mut BudgetWatch,
        session_row: Option<&str>,
        base: (f64, i64, i64),
        spent: &Spent,
    ) {
        let Some(row_id) = session_row else { return };
        let (usage, cost) = (&spent.usage, spent.cost);
        let n = |v: Option<u64>| v.map(|v| v as i64);
        let input = n(usage.input).map(|i| i + base.1);
        let output = n(usage.output).map(|o| o + base.2);
        let usd = cost.map(|c| c + base.0);
        let _ = AgentSessionRow::record_usage(self.engine.store(), &self.run_id, row_id, input, output, usd).await;
        let tokens = usage.input.unwrap_or(0) + usage.output.unwrap_or(0);
        watch.spent.insert(row_id.to_string(), (cost.unwrap_or(0.0), tokens));
        if watch.idle() || !spent.check {
            return;
        }
        let (go_usd, go_tokens) = watch.spent.values().fold((0.0, 0), |(u, t), (du, dt)| (u + du, t + dt));
        let mut stop = budget::step_reached(&watch.config, go_usd, go_tokens);
        if let (None, Some(b)) = (&stop, &watch.run_budget) {
            // Dollars and tokens only: the watch's deadline stops the run at its duration
            // limit, so the run's row is not read for every message the agent streams.
            if let Ok(sessions) = RunRow::spend(self.engine.store(), &self.run_id).await {
                let spent = budget::spend_with_sessions(sessions);
                stop = budget::reached(b, &spent, Some(&watch.config.id));
            }
        }
        if let Some(stop) = stop {
            watch.fired = true;
            self.stop_for_budget(stop).await;
        }
    }

    /// The run's duration budget ran out while the agent ran.
    pub(super) async fn duration_out(&self, watch: &mut BudgetWatch) {
        watch.fired = true;
        let Some(b) = watch.run_budget else { return };
        if let Ok(Some(run)) = RunRow::get(self.engine.store(), &self.run_id).await {
            let spent = budget::spend(&self.engine, &run).await.unwrap_or_default();
            if let Some(stop) = budget::reached(&b, &spent, Some(&watch.config.id)) {
                self.stop_for_budget(stop).await;
            }
        }
    }

    /// Stops the run as a pause-now would, remembering the limit: the steps it stops say so,
    /// and the run waits for a person instead of pausing (`run::claim_and_run`).
    async fn stop_for_budget(&self, stop: BudgetStop) {
        {
            let mut state = self.state.lock().expect("host lock");
            if state.budget_stop.is_some() {
                return;
            }
            tracing::info!(run = %self.run_id, why = %stop.message, "budget reached");
            state.budget_stop = Some(stop);
        }
        match self.engine.control(&self.run_id) {
            Some(control) => control.pause_now(),
            None => {
                let _ = RunRow::request_control(self.engine.store(), &self.run_id, ControlRequest::PauseNow).await;
            }
        }
    }

    /// The limit that stopped this drive, if one did.
    pub fn budget_stop(&self) -> Option<BudgetStop> {
        self.state.lock().expect("host lock").budget_stop.clone()
    }

    /// What a step stopped by this drive's pause-now is recorded with: interrupted, or
    /// stopped by the budget (and which limit).
    pub(super) fn interrupted_text(&self) -> String {
        match self.budget_stop() {
            Some(stop) => format!("{BUDGET_STOPPED}: {}", stop.message),
            None => super::pause_now::INTERRUPTED.to_string(),
        }
    }
}
