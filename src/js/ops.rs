//! The `ctx` ops: each forwards one call (`protocol::CtxCall`) to the engine over the JS
//! worker process's stdout and awaits the engine's reply. The process owns no state of the
//! run: the engine does.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use deno_core::{op2, OpState};
use deno_error::JsErrorBox;
use serde_json::Value;

use tokio::sync::oneshot;

use super::protocol::{CtxCall, FromChild, FunctionOutcome};

/// Replies the engine has yet to send, by call id.
pub type Pending = Arc<Mutex<HashMap<u64, oneshot::Sender<Result<Value, String>>>>>;

/// The child's stdout, which carries only protocol lines to the engine. Lines are written
/// where they are made, synchronously: a hop through another task (and tokio's stdout, which
/// writes on a blocking thread) cost more than the write. The engine reads the pipe at all
/// times, so a write waits only as long as a line longer than the pipe takes to drain.
#[derive(Clone, Copy, Default)]
pub struct Outgoing;

impl Outgoing {
    /// Writes one message as a line (whole: stdout's lock is held for it); false once the
    /// engine is gone.
    pub fn send(&self, msg: FromChild) -> bool {
        use std::io::Write;
        let mut line = serde_json::to_vec(&msg).expect("protocol messages serialise");
        line.push(b'\n');
        let mut out = std::io::stdout().lock();
        out.write_all(&line).and_then(|()| out.flush()).is_ok()
    }
}

/// The child's line to the engine, kept in `OpState`.
#[derive(Clone)]
pub struct EngineLink {
    pub out: Outgoing,
    pub pending: Pending,
    pub next_id: Arc<AtomicU64>,
    /// The child's side of the pause handshake.
    pub pause: PauseLatch,
}

impl EngineLink {
    /// Sends a call and returns the receiver of its reply; no borrow of `OpState` is held
    /// across the await that follows.
    fn call(state: &Rc<RefCell<OpState>>, call: CtxCall) -> oneshot::Receiver<Result<Value, String>> {
        let link = state.borrow().borrow::<EngineLink>().clone();
        let id = link.next_id.fetch_add(1, Ordering::Relaxed);
        let (tx, rx) = oneshot::channel();
        link.pending.lock().expect("pending lock").insert(id, tx);
        let _ = link.out.send(FromChild::Call { id, call });
        rx
    }
}

/// The child's side of the pause handshake (`engine::pause_handshake`): latched when the
/// engine says the run is pausing, after which every step asks before it starts.
#[derive(Clone, Default)]
pub struct PauseLatch(Arc<AtomicBool>);

impl PauseLatch {
    /// Latches; true the first time, when the engine is to be told (`PauseSeen`).
    pub fn latch(&self) -> bool {
        !self.0.swap(true, Ordering::Relaxed)
    }

    pub fn is_latched(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

async fn forward(state: Rc<RefCell<OpState>>, call: CtxCall) -> Result<serde_json::Value, JsErrorBox> {
    match EngineLink::call(&state, call).await {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(message)) => Err(JsErrorBox::generic(message)),
        Err(_) => Err(JsErrorBox::generic("the engine closed the connection to this workflow")),
    }
}

#[op2]
#[serde]
pub async fn op_wf_step_start(
    state: Rc<RefCell<OpState>>,
    #[string] id: String,
    #[serde] config: serde_json::Value,
) -> Result<serde_json::Value, JsErrorBox> {
    forward(state, CtxCall::StepStart { step_id: id, config }).await
}

/// Tells the engine a new function step has started; nothing waits for an answer.
#[op2]
pub fn op_wf_step_begin(state: &mut OpState, #[string] id: String, #[serde] config: serde_json::Value) {
    let _ = state
        .borrow::<EngineLink>()
        .out
        .send(FromChild::StepBegin { step_id: id, config });
}

#[op2(fast)]
pub fn op_wf_pausing(state: &mut OpState) -> bool {
    state.borrow::<EngineLink>().pause.is_latched()
}

#[op2]
#[serde]
pub async fn op_wf_step_finish(
    state: Rc<RefCell<OpState>>,
    #[string] id: String,
    #[serde] outcome: FunctionOutcome,
) -> Result<serde_json::Value, JsErrorBox> {
    forward(state, CtxCall::StepFinish { step_id: id, outcome }).await
}

/// A function step's try failed: the engine records it and answers `{retry}` after the
/// wait before the next try (or at once, when there is none).
#[op2]
#[serde]
pub async fn op_wf_step_retry(
    state: Rc<RefCell<OpState>>,
    #[string] id: String,
    #[serde] outcome: FunctionOutcome,
) -> Result<serde_json::Value, JsErrorBox> {
    forward(state, CtxCall::StepRetry { step_id: id, outcome }).await
}

#[op2]
#[serde]
pub async fn op_wf_checkpoint(state: Rc<RefCell<OpState>>) -> Result<serde_json::Value, JsErrorBox> {
    forward(state, CtxCall::Checkpoint).await
}

#[op2]
#[serde]
pub async fn op_wf_comment(
    state: Rc<RefCell<OpState>>,
    #[string] text: String,
    #[string] step_id: Option<String>,
) -> Result<serde_json::Value, JsErrorBox> {
    forward(state, CtxCall::Comment { text, step_id }).await
}

#[op2]
#[serde]
pub async fn op_wf_exec(
    state: Rc<RefCell<OpState>>,
    #[string] command: String,
    #[string] cwd: Option<String>,
) -> Result<serde_json::Value, JsErrorBox> {
    forward(state, CtxCall::Exec { command, cwd }).await
}

/// Timers for `setTimeout`: the child's own clock, nothing the engine needs to know.
#[op2]
pub async fn op_wf_sleep(#[number] ms: u64) {
    tokio::time::sleep(std::time::Duration::from_millis(ms)).await;
}

#[op2(fast)]
pub fn op_wf_log(state: &mut OpState, #[string] level: String, #[string] text: String, #[string] steps: String) {
    let steps = steps.split(',').filter(|s| !s.is_empty()).map(str::to_string).collect();
    let _ = state
        .borrow::<EngineLink>()
        .out
        .send(FromChild::Log { level, text, steps });
}

/// Where the JS side's reports (`loaded`, `load_error`, `done`, `failed`) wait for the child's
/// main loop, which decides what to send.
pub type ReportSlot = Rc<RefCell<Option<FromChild>>>;

#[op2]
pub fn op_wf_report(state: &mut OpState, #[serde] message: FromChild) {
    *state.borrow::<ReportSlot>().borrow_mut() = Some(message);
}

deno_core::extension!(
    workflow_engine,
    ops = [op_wf_step_start, op_wf_step_begin, op_wf_pausing, op_wf_step_finish, op_wf_step_retry, op_wf_checkpoint, op_wf_comment, op_wf_exec, op_wf_log, op_wf_report, op_wf_sleep],
    esm_entry_point = "ext:workflow_engine/bootstrap.js",
    options = { link: EngineLink, report: ReportSlot },
    state = |state, options| {
        state.put(options.link);
        state.put(options.report);
    },
    customizer = |ext: &mut deno_core::Extension| {
        ext.esm_files = std::borrow::Cow::Owned(vec![bootstrap_module()]);
    },
);

/// The bootstrap module, compiled into the binary. deno_core's `esm = [...]` reads the file
/// from the source tree each time a runtime starts: a binary copied or installed elsewhere
/// (or a checkout moved) could not start a single TypeScript workflow.
fn bootstrap_module() -> deno_core::ExtensionFileSource {
    deno_core::ExtensionFileSource::new(
        "ext:workflow_engine/bootstrap.js",
        deno_core::ascii_str_include!("bootstrap.js"),
    )
}
