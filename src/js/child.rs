//! The JS worker process's own side (the engine's handle on it is `engine::js_child`): one
//! `JsRuntime` that loads one workflow module and runs its `execute(ctx)` once (ARCHITECTURE
//! §2: a runtime is never created twice in a process).
//!
//! Started by the engine as `workflow-engine __worker`; speaks `protocol` on stdin/stdout.

use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::sync::atomic::AtomicU64;
use std::sync::Arc;

use deno_core::{JsRuntime, ModuleSpecifier, RuntimeOptions};
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::sync::mpsc;

use super::loader::{runtime_url, WorkflowLoader};
use super::locate;
use super::memory::MemoryLimit;
use super::ops::{workflow_engine, EngineLink, Outgoing, PauseLatch, Pending, ReportSlot};
use super::protocol::{FromChild, ToChild};
use crate::definition::Location;

/// Runs the JS worker process until its workflow ends; the exit code is 0 unless the protocol broke.
pub fn main(memory_mb: u64) -> std::process::ExitCode {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    match rt.block_on(serve(MemoryLimit::new(memory_mb))) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("workflow worker: {e}");
            std::process::ExitCode::from(3)
        }
    }
}

async fn serve(memory: MemoryLimit) -> Result<(), String> {
    let pending: Pending = Arc::default();
    let (run_tx, mut run_rx) = mpsc::unbounded_channel::<ToChild>();
    let pause = PauseLatch::default();
    tokio::spawn(read_lines(pending.clone(), pause.clone(), run_tx));
    let link = EngineLink {
        out: Outgoing,
        pending,
        next_id: Arc::new(AtomicU64::new(1)),
        pause,
    };
    // The runtime starts before the engine says which workflow to load: a worker started
    // ahead of need (the server keeps one ready) has paid for it by the time it gets one.
    let mut js = WorkflowRuntime::new(link, memory);
    // Opened before `load_workflow` confines this thread, which then may not open it.
    let memory_map = crate::sys::memory::MemoryMap::open();
    if load_workflow(&mut js, &mut run_rx).await? {
        release_startup_memory(memory_map);
        serve_loaded(&mut js, &mut run_rx).await;
    }
    Ok(())
}

/// Waits for `Load`, confines this thread and loads the workflow; false when it could not
/// be confined (the engine is told).
async fn load_workflow(
    js: &mut WorkflowRuntime,
    messages: &mut mpsc::UnboundedReceiver<ToChild>,
) -> Result<bool, String> {
    let Some(ToChild::Load {
        file,
        project_path,
        confine,
    }) = messages.recv().await
    else {
        return Err("expected a load message first".into());
    };
    // This thread runs every line of the workflow's code; the threads started earlier only
    // read stdin.
    if let Err(message) = confine.map_or(Ok(()), |c| c.apply()) {
        Outgoing.send(FromChild::LoadError {
            message,
            location: None,
        });
        return Ok(false);
    }
    let _ = std::env::set_current_dir(&project_path);
    *js.loader.project.borrow_mut() = PathBuf::from(&project_path);
    let loaded = js.load(Path::new(&file)).await;
    Outgoing.send(loaded);
    Ok(true)
}

/// Answers argument checks until the engine runs the workflow (once) or goes away.
async fn serve_loaded(js: &mut WorkflowRuntime, messages: &mut mpsc::UnboundedReceiver<ToChild>) {
    loop {
        match messages.recv().await {
            Some(ToChild::CheckArgs { args }) => {
                Outgoing.send(js.check_args(args).await);
            }
            Some(ToChild::RunName { args }) => {
                Outgoing.send(js.run_name(args).await);
            }
            Some(ToChild::Run {
                run_id,
                project_path,
                repo_path,
                args,
                results,
                secrets_tag,
                ask,
            }) => {
                let init = serde_json::json!({
                    "runId": run_id, "projectPath": project_path, "repoPath": repo_path, "args": args, "results": results,
                    "outOfMemory": js.memory.message(),
                    "secretsTag": secrets_tag,
                    "ask": ask,
                });
                Outgoing.send(js.run(init).await);
                return;
            }
            _ => return,
        }
    }
}

/// The process's one `JsRuntime`, with what loads its modules and what its JS side reports.
struct WorkflowRuntime {
    runtime: JsRuntime,
    loader: Rc<WorkflowLoader>,
    /// What the JS side reported last (`loaded`, `done`, ...).
    reported: ReportSlot,
    memory: MemoryLimit,
}

impl WorkflowRuntime {
    fn new(link: EngineLink, memory: MemoryLimit) -> WorkflowRuntime {
        let loader = Rc::new(WorkflowLoader::default());
        let reported = ReportSlot::default();
        let mut runtime = JsRuntime::new(RuntimeOptions {
            module_loader: Some(loader.clone()),
            extensions: vec![workflow_engine::init(link, reported.clone())],
            create_params: Some(memory.create_params()),
            ..Default::default()
        });
        memory.watch(&mut runtime);
        WorkflowRuntime {
            runtime,
            loader,
            reported,
            memory,
        }
    }

    async fn load(&mut self, file: &Path) -> FromChild {
        let url = match ModuleSpecifier::from_file_path(file) {
            Ok(u) => u,
            Err(()) => return load_error(format!("{} is not an absolute path", file.display()), None),
        };
        let main = runtime_url("main.js");
        let code = format!(
            "import {harness:?};\nimport * as workflowModule from {url:?};\nglobalThis.__wfUserModule = workflowModule;\n",
            harness = runtime_url("harness.js").as_str(),
            url = url.as_str(),
        );
        let evaluated = async {
            let id = self.runtime.load_main_es_module_from_code(&main, code).await?;
            let result = self.runtime.mod_evaluate(id);
            self.runtime.run_event_loop(Default::default()).await?;
            result.await
        }
        .await;
        if let Some(message) = self.memory.exceeded_message() {
            return load_error(message, None);
        }
        if let Err(e) = evaluated {
            if let Some((message, location)) = self.loader.load_error.borrow_mut().take() {
                return load_error(message, Some(location));
            }
            return self.error_with_location(e.to_string(), file);
        }
        let script = "try { __wfReport({ type: 'loaded', definition: __wfDescribe(__wfUserModule.default) }); } \
                      catch (e) { __wfReport({ type: 'load_error', message: __wfFailureText(e), location: null }); }";
        if let Err(e) = self.runtime.execute_script("workflow-engine:describe", script) {
            return load_error(e.to_string(), None);
        }
        match self.take_report() {
            Some(FromChild::LoadError { message, .. }) => self.error_with_location(message, file),
            Some(FromChild::Loaded { definition, .. }) => FromChild::Loaded {
                definition,
                sources: self.loader.sources.borrow().clone(),
            },
            _ => load_error("the workflow module did not describe itself".into(), None),
        }
    }

    async fn check_args(&mut self, args: Value) -> FromChild {
        let script = format!(
            "__wfCheckArgs(__wfUserModule.default, {args}).then(\
               (problems) => __wfReport({{ type: 'args_checked', problems }}),\
               (e) => __wfReport({{ type: 'args_checked', problems: ['args: ' + __wfThrownText(e)] }}));"
        );
        let settled = self.settle("workflow-engine:check-args", script).await;
        if let Some(message) = self.memory.exceeded_message() {
            return FromChild::ArgsChecked {
                problems: vec![format!("args: {message}")],
            };
        }
        match settled {
            Ok(Some(checked @ FromChild::ArgsChecked { .. })) => checked,
            Ok(_) => FromChild::ArgsChecked {
                problems: vec!["args: the argsSchema's check never finished".into()],
            },
            Err(e) => FromChild::ArgsChecked {
                problems: vec![format!("args: {e}")],
            },
        }
    }

    async fn run_name(&mut self, args: Value) -> FromChild {
        let script = format!(
            "__wfRunName(__wfUserModule.default, {args}).then(\
               (named) => __wfReport({{ type: 'run_named', ...named }}),\
               (e) => __wfReport({{ type: 'run_named', error: 'runName: ' + __wfThrownText(e) }}));"
        );
        let settled = self.settle("workflow-engine:run-name", script).await;
        let error = |e: String| FromChild::RunNamed {
            name: None,
            error: Some(e),
        };
        if let Some(message) = self.memory.exceeded_message() {
            return error(format!("runName: {message}"));
        }
        match settled {
            Ok(Some(named @ FromChild::RunNamed { .. })) => named,
            Ok(_) => error("runName never returned (it awaited something that never settled)".into()),
            Err(e) => error(format!("runName: {e}")),
        }
    }

    async fn run(&mut self, init: Value) -> FromChild {
        let script = format!(
            "__wfRun(__wfUserModule.default, {init}).then(\
               () => __wfReport({{ type: 'done' }}),\
               (e) => __wfReport({{ type: 'failed', message: __wfFailureText(e) }}));"
        );
        let settled = self.settle("workflow-engine:run", script).await;
        if let Some(message) = self.memory.exceeded_message() {
            return FromChild::Failed { message };
        }
        match settled {
            Ok(Some(failed @ FromChild::Failed { .. })) => failed,
            Ok(Some(done @ FromChild::Done)) => done,
            // Nothing left to happen but the waits' answers: the run waits without this worker.
            Ok(None) if self.awaits_only_waits() => FromChild::Suspended,
            Ok(_) => FromChild::Failed {
                message: "execute() never finished: it awaited a promise that nothing can resolve".into(),
            },
            Err(message) => FromChild::Failed { message },
        }
    }

    /// Runs `script`, then the event loop until the JS side reports, not until every timer
    /// is gone: a forgotten `setInterval` must not keep a finished run alive.
    async fn settle(&mut self, name: &'static str, script: String) -> Result<Option<FromChild>, String> {
        self.runtime.execute_script(name, script).map_err(|e| e.to_string())?;
        let reported = self.reported.clone();
        let runtime = &mut self.runtime;
        std::future::poll_fn(|cx| match runtime.poll_event_loop(cx, Default::default()) {
            std::task::Poll::Pending if reported.borrow().is_some() => std::task::Poll::Ready(Ok(())),
            other => other,
        })
        .await
        .map_err(|e| e.to_string())?;
        Ok(self.take_report())
    }

    /// Whether `execute` is held by waits (approval, sleep, signal) the engine answered with
    /// `wait`: the harness counts them (`__wfWaiting`).
    fn awaits_only_waits(&mut self) -> bool {
        let script = "if (globalThis.__wfWaiting?.() > 0) __wfReport({ type: 'suspended' });".to_string();
        if self.runtime.execute_script("workflow-engine:waiting", script).is_err() {
            return false;
        }
        matches!(self.take_report(), Some(FromChild::Suspended))
    }

    /// The last report the JS side made through `op_wf_report`.
    fn take_report(&mut self) -> Option<FromChild> {
        self.reported.borrow_mut().take()
    }

    fn error_with_location(&self, message: String, file: &Path) -> FromChild {
        // A refused field points at its key; otherwise the stack, already source-mapped by
        // the runtime (the loader keeps the maps), points at the call.
        let location = refused_field(&message)
            .and_then(|field| locate::key_location(file, field))
            .or_else(|| find_location(&message, file));
        load_error(message, location)
    }
}

fn load_error(message: String, location: Option<Location>) -> FromChild {
    FromChild::LoadError { message, location }
}

/// The definition field a `checkWorkflowDefinition` error names: `workflow "X": \`timeout\` ...`.
fn refused_field(message: &str) -> Option<&str> {
    let (head, rest) = message.lines().next()?.split_once('`')?;
    if !head.contains("workflow") || !head.ends_with(": ") {
        return None;
    }
    let field = rest.split('`').next()?;
    // `phases[1]` is written under `phases`.
    Some(field.split('[').next().unwrap_or(field))
}

/// The first `path:line:col` of `file` in a (mapped) stack.
fn find_location(text: &str, file: &Path) -> Option<Location> {
    let needle = format!("{}:", ModuleSpecifier::from_file_path(file).ok()?.as_str());
    let start = text.find(&needle)? + needle.len();
    let mut nums = text[start..]
        .split(|c: char| !c.is_ascii_digit())
        .filter(|s| !s.is_empty());
    let line = nums.next()?.parse().ok()?;
    let column = nums.next().and_then(|c| c.parse().ok()).unwrap_or(1);
    Some(Location {
        file: file.to_path_buf(),
        line,
        column,
    })
}

/// Gives back what starting the runtime and loading the module used and the run will not:
/// freed heap (the parser's and the transpiler's) goes back to the system, and this process's
/// mappings of the program's code are dropped. Code pages are shared, clean file pages (the
/// server and every other worker map the same ones); a page the run needs again is mapped
/// back from the page cache on first touch. Without this, each worker kept about 12 MB of the
/// binary's code counted in its resident set, most of it the transpiler and the parser.
fn release_startup_memory(memory_map: Option<crate::sys::memory::MemoryMap>) {
    crate::sys::memory::trim_heap();
    if let Some(map) = memory_map {
        crate::sys::memory::drop_binary_code_pages(map);
    }
}

/// The engine's end of the protocol: a pipe, read through the event loop. tokio's own
/// `stdin()` reads on a blocking thread, a thread hop for every reply; that is kept for a
/// stdin that is not a pipe (someone starting the worker by hand).
fn stdin() -> Box<dyn tokio::io::AsyncRead + Unpin + Send> {
    use std::os::fd::{AsRawFd, BorrowedFd};
    // SAFETY: fd 0 stays open for the life of the process; the clone is owned by the pipe.
    let fd = unsafe { BorrowedFd::borrow_raw(std::io::stdin().as_raw_fd()) };
    match fd
        .try_clone_to_owned()
        .and_then(tokio::net::unix::pipe::Receiver::from_owned_fd)
    {
        Ok(pipe) => Box::new(pipe),
        Err(_) => Box::new(tokio::io::stdin()),
    }
}

/// Routes replies to the ops awaiting them and everything else to the main flow; stdin
/// closing means the engine is gone, and with it every pending call.
async fn read_lines(pending: Pending, pause: PauseLatch, run_tx: mpsc::UnboundedSender<ToChild>) {
    let mut lines = BufReader::new(stdin()).lines();
    while let Ok(Some(line)) = lines.next_line().await {
        match serde_json::from_str::<ToChild>(&line) {
            Ok(ToChild::Reply { id, result }) => {
                let waiter = pending.lock().expect("pending lock").remove(&id);
                if let Some(tx) = waiter {
                    let _ = tx.send(result);
                }
            }
            // Before any reply that follows it is handed out: the step after that reply asks.
            Ok(ToChild::Pause) => {
                if pause.latch() {
                    Outgoing.send(FromChild::PauseSeen);
                }
            }
            Ok(other) => {
                let _ = run_tx.send(other);
            }
            Err(e) => eprintln!("workflow worker: bad message from the engine: {e}"),
        }
    }
    pending.lock().expect("pending lock").clear();
}
