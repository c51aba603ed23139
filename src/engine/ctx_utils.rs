//! The `ctx` utilities that are not steps: comments, `exec`, console output.

use serde_json::{json, Value};
use tokio::sync::mpsc;

use super::host::{Interrupt, StepHost};
use crate::definition::StepConfig;
use crate::domain::CommentType;
use crate::events::Event;
use crate::store::comments::CommentRow;
use crate::store::steps::StepRow;
use crate::subprocess::group::stop_requested;
use crate::subprocess::script::{self, ScriptSpec};

impl StepHost {
    /// `ctx.comment(text, stepId?)`: an `agent` comment (on a step) or `system` one (on the run).
    pub async fn comment(&self, text: &str, step_id: Option<&str>) -> Result<(), Interrupt> {
        if text.trim().is_empty() {
            return Err(Interrupt::Invalid("ctx.comment: the text is empty".into()));
        }
        let step_row = match step_id {
            Some(sid) => Some({
                // A function step's start held back is written now: the comment is on its row.
                self.write_held_start(sid).await?;
                StepRow::get(self.engine.store(), &self.run_id, sid)
                    .await
                    .map_err(fatal)?
                    .ok_or_else(|| Interrupt::Invalid(format!("ctx.comment: no step \"{sid}\" in this run")))?
            }),
            None => None,
        };
        let kind = if step_row.is_some() {
            CommentType::Agent
        } else {
            CommentType::System
        };
        let step_row_id = step_row.as_ref().map(|r| r.id.as_str());
        if self.comment_written_before(step_row_id, text) {
            return Ok(());
        }
        self.write_comment(text, step_row_id, kind).await
    }

    pub async fn write_comment(
        &self,
        text: &str,
        step_row_id: Option<&str>,
        kind: CommentType,
    ) -> Result<(), Interrupt> {
        let row = CommentRow::insert_held(self.engine.store(), &self.run_id, step_row_id, text, kind)
            .await
            .map_err(fatal)?;
        self.emit(Event::CommentCreated {
            execution_id: self.run_id.clone(),
            comment_id: row.id,
            step_id: row.workflow_run_step_id,
            project_id: self.project_id.clone(),
        });
        Ok(())
    }

    /// `ctx.exec(command, cwd?)`: a plain command, not a step (not memoized, not logged).
    pub async fn exec(&self, command: &str, cwd: Option<&str>) -> Result<Value, Interrupt> {
        crate::subprocess::argv::check(command, &Default::default())
            .map_err(|e| Interrupt::Invalid(format!("ctx.exec: {e}")))?;
        let plain = StepConfig {
            id: "ctx.exec".into(),
            command: Some(command.to_string()),
            ..Default::default()
        };
        let resolved = self.with_secrets(&plain).await.map_err(Interrupt::Invalid)?;
        let spec = ScriptSpec {
            command: resolved.command.unwrap_or_default(),
            cwd: self.resolve_cwd(cwd),
            env: resolved.env,
            timeout: None,
            project: self.workdir.clone(),
            git: self.workspace.as_ref().and_then(|w| w.git.clone()),
        };
        let (tx, _rx) = mpsc::unbounded_channel();
        let mut kill = self.kill.clone();
        let out = script::run(spec, tx, async move { stop_requested(&mut kill).await })
            .await
            .map_err(|e| Interrupt::Invalid(e.to_string()))?;
        let (stdout, stderr) = (self.mask.text(&out.stdout), self.mask.text(&out.stderr));
        Ok(json!({ "stdout": stdout, "stderr": stderr, "exitCode": out.exit_code.unwrap_or(-1) }))
    }

    /// The workflow's console output: `run.log` and a log event. Output printed while the
    /// run replays an earlier attempt's steps was printed then already: it goes to `run.log`
    /// marked `(replay)`, and not to the board or the terminal again.
    /// A line printed while function steps ran goes to their `events.jsonl` too.
    pub fn log(&self, level: &str, text: &str, steps: &[String]) {
        let masked = self.mask.text(text);
        let text = masked.as_str();
        let replay = if self.replaying() { " (replay)" } else { "" };
        let ts = crate::store::now();
        let _ = self.files.append_run_log(&format!("{ts} [{level}]{replay} {text}"));
        for step in steps.iter().filter(|s| crate::definition::validate_step_id(s).is_ok()) {
            let record = json!({ "ts": ts, "type": "console", "level": level, "text": text });
            let _ = self.files.append_attempt_event(step, self.current_try(step), &record);
        }
        if !replay.is_empty() {
            return;
        }
        self.emit(Event::RunLog {
            execution_id: self.run_id.clone(),
            level: level.to_string(),
            message: text.to_string(),
            project_id: self.project_id.clone(),
        });
    }
}

fn fatal(e: impl std::fmt::Display) -> Interrupt {
    Interrupt::Fatal(format!("the engine could not record the comment: {e}"))
}
