//! Steps that end without running, on the step host: a YAML step whose `if:` was false is
//! recorded `skipped` with the reason, and one whose placeholders could not be filled in (a
//! path the run does not have) is recorded `failed` with why. Either has a row, an
//! `input.json`, a `summary.md` and its `started` and `completed` events like any step; a
//! skipped step is memoized, so a replay hands back its result without asking the condition
//! again. `yaml_drive` decides which steps these are.

use serde_json::Value;

use super::host::{Begin, Interrupt, StepHost};
use super::outcome::Outcome;
use super::step_start::Memo;
use crate::definition::StepConfig;
use crate::domain::StepStatus;

impl StepHost {
    /// Whether an earlier attempt's memo answers step `id`: its condition and templates are
    /// then not looked at again.
    pub fn is_memoized(&self, id: &str) -> bool {
        let state = self.state.lock().expect("host lock");
        state.memo.get(id).is_some_and(|row| row.is_memoized())
    }

    /// Records the step as skipped, `why` its reason; the run goes on.
    pub async fn skip(&self, config: StepConfig, why: String) -> Result<Begin, Interrupt> {
        let outcome = Outcome {
            ok: true,
            data: None,
            error: Some(why),
            output: None,
        };
        self.end_unrun(config, outcome, StepStatus::Skipped).await
    }

    /// Records the step as failed before it ran, `error` saying why (`continueOnError`
    /// applies as to any failure).
    pub async fn fail_unrun(&self, config: StepConfig, error: String) -> Result<Begin, Interrupt> {
        self.end_unrun(config, Outcome::failed(error, None), StepStatus::Failed)
            .await
    }

    async fn end_unrun(&self, config: StepConfig, outcome: Outcome, status: StepStatus) -> Result<Begin, Interrupt> {
        let kind = self.check_config(&config)?;
        if let Memo::Completed(result) = self.look_up_memo(&config.id)? {
            return Ok(Begin::Result(result));
        }
        if *self.kill.borrow() {
            return Err(Interrupt::Stopping);
        }
        if let Some(halt) = self.halt_asked() {
            return Err(halt);
        }
        self.state.lock().expect("host lock").replaying = false;
        self.check_writes()?;
        self.begin(&config, kind).await?;
        let result: Value = self.finish_as(&config.id, outcome, Some(status)).await?;
        Ok(Begin::Result(result))
    }
}
