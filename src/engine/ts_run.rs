//! A TypeScript run's body: its JS worker process runs `execute(ctx)` and the engine serves
//! the `ctx` calls it makes (`js::protocol`), each on its own task so that steps started
//! together run together. Pausing goes through `pause_handshake`.

use std::ops::ControlFlow;
use std::sync::Arc;

use serde_json::{json, Value};
use tokio::sync::{mpsc, watch};

use super::control::Signal;
use super::host::{Begin, Interrupt, StepHost};
use super::js_child::JsChild;
use super::pause_handshake::{PauseEvent, PauseHandshake};
use super::stop::Stop;
use super::ts_step_config::config_from_json;
use crate::js::protocol::{CtxCall, FromChild, StepStartAnswer, ToChild};
use crate::store::runs::RunRow;

/// Runs the workflow's `execute(ctx)` in `child` until it ends, fails or pauses.
pub(super) async fn run_typescript(host: &Arc<StepHost>, run: &RunRow, child: JsChild) -> Result<(), Stop> {
    let args: Value = serde_json::from_str(&run.args).unwrap_or(json!({}));
    let results = host.memo_results().map_err(Stop::Failed)?;
    child.send(ToChild::Run {
        run_id: run.id.clone(),
        project_path: host.workdir.to_string_lossy().into_owned(),
        repo_path: host.project.to_string_lossy().into_owned(),
        args,
        results: Value::Object(results),
        secrets_tag: host.secret_tag.clone(),
        ask: host.held_ids(),
    });
    let (interrupts_tx, interrupts) = mpsc::unbounded_channel();
    let mut ts = TsRun {
        host,
        child,
        interrupts_tx,
        interrupts,
        pause: PauseHandshake::default(),
    };
    ts.serve().await
}

/// A running TypeScript workflow, as the engine sees it.
struct TsRun<'a> {
    host: &'a Arc<StepHost>,
    child: JsChild,
    /// What a call's task could not answer: a step refused because the run is pausing, or a
    /// reason for the run to stop.
    interrupts_tx: mpsc::UnboundedSender<Interrupt>,
    interrupts: mpsc::UnboundedReceiver<Interrupt>,
    pause: PauseHandshake,
}

impl TsRun<'_> {
    /// Serves the child until its code ends, the run must stop, or the pause completes
    /// (the child saw it, a step was refused, and no step is in flight).
    async fn serve(&mut self) -> Result<(), Stop> {
        let mut signal = self.host.signal();
        loop {
            if self.pause.watches_signal() {
                let now = *signal.borrow_and_update();
                self.on_pause(PauseEvent::Signalled(now));
            }
            tokio::select! {
                changed = signal.changed(), if self.pause.watches_signal() => {
                    if changed.is_err() {
                        self.on_pause(PauseEvent::ControlGone);
                    }
                }
                msg = self.child.next() => {
                    if let ControlFlow::Break(end) = self.on_message(msg).await {
                        return end;
                    }
                }
                Some(interrupt) = self.interrupts.recv() => match interrupt {
                    Interrupt::Pausing => self.on_pause(PauseEvent::StepRefused),
                    other => return Err(Stop::from(other)),
                },
                _ = self.host.drained(false), if self.pause.pauses_when_drained() => return Err(Stop::Paused),
            }
        }
    }

    fn on_pause(&mut self, event: PauseEvent) {
        if self.pause.on(event) {
            self.child.send(ToChild::Pause);
        }
    }

    /// Handles one message from the child; `Break` with how the run's code ended.
    async fn on_message(&mut self, msg: Option<FromChild>) -> ControlFlow<Result<(), Stop>> {
        use ControlFlow::Break;
        match msg {
            // Recorded here, before the child's next message is read: its `StepFinish` finds
            // the step started.
            Some(FromChild::StepBegin { step_id, config }) => {
                if let Err(stop) = self.record_begin(&step_id, &config).await {
                    return Break(Err(stop));
                }
            }
            Some(FromChild::Call { id, call }) => self.serve_on_task(id, call),
            Some(FromChild::PauseSeen) => self.on_pause(PauseEvent::ChildSawPause),
            Some(FromChild::Log { level, text, steps }) => self.host.log(&level, &text, &steps),
            Some(FromChild::Done) => return Break(Ok(())),
            Some(FromChild::Suspended) => return Break(Err(Stop::Waiting)),
            Some(FromChild::Failed { message }) => return Break(Err(Stop::Failed(clean_stack(&message)))),
            Some(other) => {
                let message = format!("the JS worker sent an unexpected message: {other:?}");
                return Break(Err(Stop::Failed(message)));
            }
            None => {
                let why = self.child.exit_description().await;
                return Break(Err(Stop::Failed(format!("the workflow's JS worker crashed: it {why}"))));
            }
        }
        ControlFlow::Continue(())
    }

    /// Records the start of a function step the child already runs; a refused start is the
    /// answer to its `StepFinish`.
    async fn record_begin(&self, step_id: &str, config: &Value) -> Result<(), Stop> {
        let begun = match config_from_json(step_id, config, self.host) {
            Ok(config) => self.host.begin_function(config).await,
            Err(refused) => Err(refused),
        };
        match begun {
            Ok(()) => Ok(()),
            Err(Interrupt::Invalid(e)) => {
                self.host.refuse(step_id, e);
                Ok(())
            }
            Err(other) => Err(Stop::from(other)),
        }
    }

    /// Serves a call on a task of its own and replies; what it cannot answer (a refused
    /// step, a reason to stop) goes to `interrupts`.
    fn serve_on_task(&self, id: u64, call: CtxCall) {
        let (host, reply, interrupts) = (self.host.clone(), self.child.sender(), self.interrupts_tx.clone());
        tokio::spawn(async move {
            let result = match serve_call(&host, call).await {
                Ok(value) => Ok(value),
                Err(Interrupt::Invalid(e)) => Err(e),
                Err(other) => {
                    let _ = interrupts.send(other);
                    return;
                }
            };
            send_reply(&host.signal(), &reply, ToChild::Reply { id, result });
        });
    }
}

/// A pause asked for meanwhile reaches the child before this answer, so the step after it
/// asks first.
fn send_reply(signal: &watch::Receiver<Signal>, reply: &mpsc::UnboundedSender<ToChild>, answer: ToChild) {
    if *signal.borrow() != Signal::Run {
        let _ = reply.send(ToChild::Pause);
    }
    let _ = reply.send(answer);
}

async fn serve_call(host: &StepHost, call: CtxCall) -> Result<Value, Interrupt> {
    match call {
        CtxCall::StepStart { step_id, config } => {
            let config = config_from_json(&step_id, &config, host)?;
            let answer = match host.step(config).await? {
                Begin::Result(result) => StepStartAnswer::Return { result },
                Begin::RunFunction => StepStartAnswer::Run,
                Begin::Wait => StepStartAnswer::Wait,
            };
            Ok(serde_json::to_value(answer).expect("an answer is JSON"))
        }
        CtxCall::StepFinish { step_id, outcome } => {
            if let Some(refused) = host.take_refusal(&step_id) {
                return Err(Interrupt::Invalid(refused));
            }
            host.finish_function(&step_id, outcome).await
        }
        // A step whose start was refused is not retried: its `StepFinish` says why.
        CtxCall::StepRetry { step_id, .. } if host.is_refused(&step_id) => Ok(json!({ "retry": false })),
        CtxCall::StepRetry { step_id, outcome } => host.retry_function(&step_id, &outcome).await,
        CtxCall::Checkpoint => host.checkpoint().map(|()| Value::Null),
        CtxCall::Comment { text, step_id } => host.comment(&text, step_id.as_deref()).await.map(|()| Value::Null),
        CtxCall::Exec { command, cwd } => host.exec(&command, cwd.as_deref()).await,
    }
}

/// Drops the runtime's own frames from a stack: the user's frames are what matter.
fn clean_stack(text: &str) -> String {
    text.lines()
        .filter(|l| !(l.trim_start().starts_with("at ") && l.contains("workflow-engine:")))
        .collect::<Vec<_>>()
        .join("\n")
}
