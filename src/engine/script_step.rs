//! Script steps in the step host: `sh -c` run to its end, each output line into
//! `events.jsonl` and a `workflow.step.progress` event, and the outcome the host records.

use std::path::PathBuf;
use std::time::Duration;

use serde_json::json;
use tokio::sync::{mpsc, oneshot};

use super::host::StepHost;
use super::outcome::Outcome;
use crate::definition::StepConfig;
use crate::events::{Event, LogMark};
use crate::store::steps::StepRow;
use crate::subprocess::group::stop_requested;
use crate::subprocess::script::{self, OutputLine, ScriptSpec};

impl StepHost {
    /// Runs the command; its output goes to the step's files and events once `row` (the
    /// step's recorded start) arrives, and nowhere if it never does.
    pub(super) async fn run_script(
        &self,
        config: &StepConfig,
        row: oneshot::Receiver<StepRow>,
        abort: oneshot::Receiver<()>,
    ) -> Outcome {
        let config = match self.with_secrets(config).await {
            Ok(c) => c,
            Err(e) => return Outcome::failed(e, None),
        };
        let mut env = config.env.clone();
        self.add_run_vars(&mut env, &config.id);
        let command = config.command.as_deref().unwrap_or_default();
        if let Err(e) = crate::subprocess::argv::check(command, &env) {
            return Outcome::failed(e, None);
        }
        let spec = ScriptSpec {
            command: config.command.clone().unwrap_or_default(),
            cwd: self.resolve_cwd(config.cwd.as_deref()),
            project: self.workdir.clone(),
            git: self.workspace.as_ref().and_then(|w| w.git.clone()),
            env,
            timeout: config.timeout_ms.map(Duration::from_millis),
        };
        let (tx, rx) = mpsc::unbounded_channel();
        let pump = self.stream_output(row, rx);
        // Stopped with the run's steps, or alone when its start could not be recorded.
        let mut kill = self.kill.clone();
        let stop = async move {
            tokio::select! {
                () = stop_requested(&mut kill) => {}
                Ok(()) = abort => {}
            }
        };
        let (result, ()) = tokio::join!(script::run(spec, tx, stop), pump);
        match result {
            Ok(out) => {
                let data = json!({ "exitCode": out.exit_code, "stdout": out.stdout, "stderr": out.stderr });
                match out.failure {
                    None => Outcome {
                        ok: true,
                        data: Some(data),
                        error: None,
                        output: Some(out.stdout),
                    },
                    Some(f) => Outcome {
                        ok: false,
                        data: Some(data),
                        error: Some(f),
                        output: Some(out.stderr),
                    },
                }
            }
            Err(e) => Outcome::failed(e.to_string(), None),
        }
    }

    /// The variables every script and agent step sees: which run, step and project it is
    /// (`WORKFLOW_PROJECT_PATH`: where it works; `WORKFLOW_REPO_PATH`: the project checkout).
    pub(super) fn add_run_vars(&self, env: &mut std::collections::BTreeMap<String, String>, step_id: &str) {
        env.insert("WORKFLOW_RUN_ID".into(), self.run_id.clone());
        env.insert("WORKFLOW_STEP_ID".into(), step_id.to_string());
        env.insert(
            "WORKFLOW_PROJECT_PATH".into(),
            self.workdir.to_string_lossy().into_owned(),
        );
        env.insert("WORKFLOW_REPO_PATH".into(), self.project.to_string_lossy().into_owned());
    }

    /// Output lines → `events.jsonl` and progress events, in the order they arrive.
    async fn stream_output(&self, row: oneshot::Receiver<StepRow>, mut rx: mpsc::UnboundedReceiver<OutputLine>) {
        use std::io::Write;
        let Ok(row) = row.await else {
            while rx.recv().await.is_some() {}
            return;
        };
        // The try's own log (`attempt_dir`), opened at the first line: a quiet command (most
        // are) creates no file.
        let attempt = self.current_try(&row.step_id);
        let mut file: Option<std::io::BufWriter<std::fs::File>> = None;
        // Where the file ends once what was written reaches it (it is appended to: a re-run
        // step keeps its earlier lines), for each event's `LogMark`.
        let mut end = 0u64;
        while let Some(mut line) = rx.recv().await {
            line.text = self.mask.text(&line.text);
            if file.is_none() {
                file = self.files.open_attempt_events(&row.step_id, attempt).ok().map(|f| {
                    end = f.metadata().map(|m| m.len()).unwrap_or(0);
                    std::io::BufWriter::new(f)
                });
            }
            let mut log = None;
            if let Some(f) = file.as_mut() {
                let ts = crate::store::now();
                let record = format!("{}\n", json!({ "ts": ts, "type": line.stream, "text": line.text }));
                if f.write_all(record.as_bytes()).is_ok() {
                    end += record.len() as u64;
                    log = Some(LogMark {
                        attempt,
                        log_end: end,
                        ts,
                    });
                }
                if rx.is_empty() {
                    let _ = f.flush();
                }
            }
            self.emit(Event::StepProgress {
                execution_id: self.run_id.clone(),
                step_id: row.id.clone(),
                step_key: row.step_id.clone(),
                stream: line.stream.to_string(),
                output: line.text,
                detail: None,
                log,
                project_id: self.project_id.clone(),
            });
        }
        if let Some(mut f) = file {
            let _ = f.flush();
        }
    }

    pub(super) fn resolve_cwd(&self, cwd: Option<&str>) -> PathBuf {
        match cwd {
            Some(c) if !c.is_empty() => self.workdir.join(c),
            _ => self.workdir.clone(),
        }
    }
}
