//! Budgets for agent spend: what a run spent against its limits, the stop when a limit is
//! reached, and the raise that continues it.
//!
//! - **Spend** is summed from the run's agent sessions as the CLIs report it
//!   (`RunRow::spend`): dollars where the CLI reports a cost (Claude at the end of a session),
//!   tokens as input + output (cache reads not counted), streamed mid-step where the CLI
//!   reports them (Claude per assistant message; Codex and Gemini at the session's end).
//!   Duration is the run's wall time since it first started, waits included.
//! - **A limit reached** while an agent runs (the run's `budget`, or the step's own
//!   `maxCostUsd` / `maxTokens`, which count one go of the step) stops the run like a pause-now
//!   (`pause_now`): the agent is interrupted, its step recorded as interrupted (not memoized,
//!   its session kept), and the run goes `waiting` with `budget_stop` saying which limit, what
//!   was spent and the limit. A run budget already reached when the next agent step would
//!   start stops the run the same way, before the agent starts.
//! - **Raising** (`Engine::raise_budget`, from `POST .../budget` and `workflow-engine budget`)
//!   records the new limits and wakes the run; the interrupted step runs again and its agent
//!   continues its session. Cancel is the ordinary cancel.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::Engine;
use crate::definition::budget::Budget;
use crate::definition::StepConfig;
use crate::domain::{BudgetLimit, RunStatus};
use crate::events::Event;
use crate::store::budgets::SessionSpend;
use crate::store::runs::RunRow;
use crate::store::StoreError;

/// The error a step stopped by a limit is recorded with (followed by which limit); such a
/// step runs again, continuing its agent's session, when the budget is raised.
pub const BUDGET_STOPPED: &str = "stopped by the budget";

/// What a run spent.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Spend {
    /// US dollars, as the agent CLIs reported them.
    pub usd: f64,
    /// Input + output tokens (cache reads not counted).
    pub tokens: u64,
    /// Wall-clock time since the run first started.
    pub duration_ms: u64,
}

/// Why a limit stopped a run: the run waits for a person to raise its budget or cancel it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct BudgetStop {
    pub limit: BudgetLimit,
    /// What was spent of that limit (dollars, tokens or milliseconds).
    pub spent: f64,
    /// The limit.
    pub allowed: f64,
    /// The agent step it stopped (the id the workflow gave it), if one ran or was to start.
    pub step_key: Option<String>,
    /// In words: `tokens: 1296 spent of 1000 (the step's maxTokens)`.
    pub message: String,
    #[schema(format = DateTime)]
    pub since: String,
}

/// Why raising a budget did not happen.
#[derive(Debug, thiserror::Error)]
pub enum BudgetError {
    #[error("run {0} not found")]
    NotFound(String),
    #[error("the run is {0}: its budget cannot change any more")]
    Ended(RunStatus),
    /// The new budget is still below what was spent.
    #[error("{0}")]
    StillExceeded(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The run's budget, if it has one.
pub fn budget_of(run: &RunRow) -> Option<Budget> {
    run.budget.as_deref().and_then(|b| serde_json::from_str(b).ok())
}

/// Why a limit stopped the run, while it does.
pub fn stop_of(run: &RunRow) -> Option<BudgetStop> {
    run.budget_stop.as_deref().and_then(|b| serde_json::from_str(b).ok())
}

/// Wall time since the run first started.
fn duration_ms(run: &RunRow) -> u64 {
    let started = run
        .started_at
        .as_deref()
        .and_then(|t| DateTime::parse_from_rfc3339(t).ok());
    let end = match run.status {
        RunStatus::Completed | RunStatus::Failed | RunStatus::Cancelled => run
            .completed_at
            .as_deref()
            .or(run.cancelled_at.as_deref())
            .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
            .map(|t| t.with_timezone(&Utc)),
        _ => None,
    }
    .unwrap_or_else(Utc::now);
    started.map_or(0, |s| (end - s.with_timezone(&Utc)).num_milliseconds().max(0) as u64)
}

/// What the run spent, from its sessions (dollars, tokens) and its row (duration).
pub async fn spend(engine: &Engine, run: &RunRow) -> Result<Spend, StoreError> {
    let sessions = RunRow::spend(engine.store(), &run.id).await?;
    Ok(of_sessions(sessions, duration_ms(run)))
}

/// The spend of a run given its sessions' sums (for a page of runs).
pub fn spend_with(run: &RunRow, sessions: Option<SessionSpend>) -> Spend {
    of_sessions(sessions.unwrap_or_default(), duration_ms(run))
}

/// What the run's agents spent, without its duration (counted as 0).
pub fn spend_with_sessions(sessions: SessionSpend) -> Spend {
    of_sessions(sessions, 0)
}

fn of_sessions(sessions: SessionSpend, duration_ms: u64) -> Spend {
    Spend {
        usd: sessions.usd,
        tokens: sessions.tokens.max(0) as u64,
        duration_ms,
    }
}

/// The first of the run's limits `spend` reached, if any.
pub fn reached(budget: &Budget, spend: &Spend, step_key: Option<&str>) -> Option<BudgetStop> {
    let checks = [
        (BudgetLimit::Usd, spend.usd, budget.usd),
        (
            BudgetLimit::Tokens,
            spend.tokens as f64,
            budget.tokens.map(|t| t as f64),
        ),
        (
            BudgetLimit::Duration,
            spend.duration_ms as f64,
            budget.duration_ms.map(|d| d as f64),
        ),
    ];
    checks
        .into_iter()
        .find_map(|(limit, spent, allowed)| stop_if(limit, spent, allowed?, step_key))
}

/// The step's own limit its one go reached, if any (`usd`, `tokens`: what it spent so far).
pub fn step_reached(config: &StepConfig, usd: f64, tokens: u64) -> Option<BudgetStop> {
    let key = Some(config.id.as_str());
    config
        .max_cost_usd
        .and_then(|max| stop_if(BudgetLimit::StepUsd, usd, max, key))
        .or_else(|| {
            let max = config.max_tokens? as f64;
            stop_if(BudgetLimit::StepTokens, tokens as f64, max, key)
        })
}

fn stop_if(limit: BudgetLimit, spent: f64, allowed: f64, step_key: Option<&str>) -> Option<BudgetStop> {
    if spent < allowed {
        return None;
    }
    let amount = |v: f64| match limit {
        BudgetLimit::Usd | BudgetLimit::StepUsd => format!("${v:.4}"),
        BudgetLimit::Duration => crate::definition::format_ms(v as u64),
        _ => format!("{v:.0}"),
    };
    let whose = match limit {
        BudgetLimit::StepUsd => format!(" (step \"{}\"'s maxCostUsd)", step_key.unwrap_or("?")),
        BudgetLimit::StepTokens => format!(" (step \"{}\"'s maxTokens)", step_key.unwrap_or("?")),
        _ => " (the run's budget)".to_string(),
    };
    let what = match limit {
        BudgetLimit::Usd | BudgetLimit::StepUsd => "usd",
        BudgetLimit::Tokens | BudgetLimit::StepTokens => "tokens",
        BudgetLimit::Duration => "duration",
    };
    Some(BudgetStop {
        limit,
        spent,
        allowed,
        step_key: step_key.map(str::to_string),
        message: format!("{what}: {} spent of {}{whose}", amount(spent), amount(allowed)),
        since: crate::store::now(),
    })
}

impl Engine {
    /// Sets limits of a run (those in `raise`; the others kept). A run a limit stopped is
    /// woken when its new budget is above what was spent (a step's own limit gives the step
    /// a new allowance as it continues); refused, with what was spent, when it is not.
    pub async fn raise_budget(&self, id: &str, raise: Budget) -> Result<RunRow, BudgetError> {
        let store = self.store();
        let run = RunRow::get(store, id)
            .await?
            .ok_or_else(|| BudgetError::NotFound(id.to_string()))?;
        if matches!(run.status, RunStatus::Completed | RunStatus::Cancelled) {
            return Err(BudgetError::Ended(run.status));
        }
        let budget = budget_of(&run).unwrap_or_default().raised(raise);
        let text = (!budget.is_empty()).then(|| serde_json::to_string(&budget).unwrap_or_default());
        let spent = spend(self, &run).await?;
        let stop = stop_of(&run);
        if let Some(still) = stop
            .as_ref()
            .and_then(|s| reached(&budget, &spent, s.step_key.as_deref()))
        {
            return Err(BudgetError::StillExceeded(format!(
                "the new budget is still reached: {}; raise {}",
                still.message,
                match still.limit {
                    BudgetLimit::Usd => "usd",
                    BudgetLimit::Tokens => "tokens",
                    _ => "duration",
                }
            )));
        }
        if stop.is_some() {
            if let Some(woken) = RunRow::continue_budget(store, id, text.as_deref()).await? {
                tracing::info!(run = %id, budget = %budget.describe(), "budget raised; the run continues");
                self.wake_soon();
                return Ok(woken);
            }
        }
        let updated = RunRow::set_budget(store, id, text.as_deref()).await?;
        updated.ok_or_else(|| BudgetError::Ended(run.status))
    }

    /// A limit stopped the run (its steps in flight stopped as by a pause-now): it waits for
    /// a person, saying why.
    pub(super) async fn stop_for_budget(&self, run_id: &str, stop: &BudgetStop) -> Result<RunRow, StoreError> {
        let text = serde_json::to_string(stop).unwrap_or_default();
        super::run::events_out(self).await;
        let row = RunRow::stop_for_budget(self.store(), run_id, &text).await?;
        // Its lease given up: what the drive says from now on is not fenced.
        self.store().release(run_id);
        tracing::info!(run = %run_id, why = %stop.message, "run stopped by its budget; waiting for a person");
        self.outbox().emit(
            self.events(),
            Event::StatusChanged {
                execution_id: row.id.clone(),
                status: row.status,
                project_id: row.project_id.clone(),
                error_message: None,
            },
        );
        self.outbox().flush().await;
        Ok(row)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_limit_reached_is_named() {
        let budget = Budget {
            usd: Some(0.1),
            tokens: Some(1000),
            duration_ms: None,
        };
        let spend = |usd, tokens| Spend {
            usd,
            tokens,
            duration_ms: 5,
        };
        assert!(reached(&budget, &spend(0.05, 10), None).is_none());
        let stop = reached(&budget, &spend(0.1263, 10), Some("turn-3")).unwrap();
        assert_eq!(stop.limit, BudgetLimit::Usd);
        assert_eq!(stop.message, "usd: $0.1263 spent of $0.1000 (the run's budget)");
        let stop = reached(&budget, &spend(0.0, 1296), None).unwrap();
        assert_eq!((stop.limit, stop.spent), (BudgetLimit::Tokens, 1296.0));
    }

    #[test]
    fn a_steps_own_limit() {
        let config = StepConfig {
            id: "fix".into(),
            max_tokens: Some(300),
            ..Default::default()
        };
        assert!(step_reached(&config, 9.0, 299).is_none());
        let stop = step_reached(&config, 0.0, 432).unwrap();
        assert_eq!(stop.message, "tokens: 432 spent of 300 (step \"fix\"'s maxTokens)");
    }
}
