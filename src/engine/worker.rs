//! The engine's side of a JS worker process: spawn it, describe the workflow, then relay
//! its calls while it runs. A worker that dies is reported with its exit status and the
//! tail of its stderr.

use std::path::Path;
use std::process::Stdio;
use std::sync::{Arc, Mutex};

use serde_json::Value;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader, Lines};
use tokio::process::{Child, ChildStdout, Command};
use tokio::sync::mpsc;

use crate::definition::{typescript, DefinitionError, WorkflowDefinition};
use crate::js::protocol::{FromWorker, ToWorker, WORKER_ENV, WORKER_MEMORY_ENV};
use crate::step::process::{describe_exit, die_with_parent, signal_group};
use crate::step::script::tail;

/// How much of a dead worker's stderr its error quotes.
const STDERR_TAIL_BYTES: usize = 4 * 1024;

/// How long zod may take over a run's arguments: microseconds when it works (an isolate
/// has no I/O to wait for), so only a schema that never finishes reaches this.
const ARGS_CHECK_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(3);

pub struct WorkerHandle {
    child: Child,
    to_worker: mpsc::UnboundedSender<ToWorker>,
    /// The worker's stdout, read where its messages are used: a reader task in between was
    /// one more wake-up per message.
    from_worker: Lines<BufReader<ChildStdout>>,
    stderr: Arc<Mutex<String>>,
}

impl WorkerHandle {
    /// Starts `exe __worker` in its own process group, in `dir`; it sets up its JavaScript
    /// runtime and then waits for `load`.
    pub fn start(exe: &Path, dir: &Path) -> std::io::Result<WorkerHandle> {
        let mut cmd = Command::new(exe);
        die_with_parent(&mut cmd);
        let mut child = cmd
            .arg("__worker")
            // It runs the workflow's code: the step environment, not the server's.
            .env_clear()
            .envs(crate::step::env::inherited(&[]))
            .env(WORKER_ENV, "1")
            // The engine's own setting for the worker (its heap limit), not a server secret.
            .envs(std::env::var_os(WORKER_MEMORY_ENV).map(|v| (WORKER_MEMORY_ENV, v)))
            .current_dir(dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .process_group(0)
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| std::io::Error::new(e.kind(), format!("cannot start the JS worker {}: {e}", exe.display())))?;
        let (to_tx, mut to_rx) = mpsc::unbounded_channel::<ToWorker>();
        let mut stdin = child.stdin.take().expect("piped");
        tokio::spawn(async move {
            while let Some(msg) = to_rx.recv().await {
                let mut line = serde_json::to_vec(&msg).expect("protocol messages serialise");
                line.push(b'\n');
                if stdin.write_all(&line).await.is_err() {
                    break;
                }
            }
        });
        let from_rx = BufReader::new(child.stdout.take().expect("piped")).lines();
        let stderr = Arc::new(Mutex::new(String::new()));
        let mut err_pipe = child.stderr.take().expect("piped");
        let sink = stderr.clone();
        tokio::spawn(async move {
            let mut buf = vec![0u8; 8192];
            while let Ok(n) = err_pipe.read(&mut buf).await {
                if n == 0 {
                    break;
                }
                let mut s = sink.lock().expect("stderr lock");
                s.push_str(&String::from_utf8_lossy(&buf[..n]));
                if s.len() > 4 * STDERR_TAIL_BYTES {
                    *s = tail(&s, STDERR_TAIL_BYTES).to_string();
                }
            }
        });
        Ok(WorkerHandle {
            child,
            to_worker: to_tx,
            from_worker: from_rx,
            stderr,
        })
    }

    /// Asks the worker to load the workflow `file` of `project` (then `describe` it).
    pub fn load(&self, file: &Path, project: &Path) {
        self.send(ToWorker::Load {
            file: file.to_string_lossy().into_owned(),
            project_path: project.to_string_lossy().into_owned(),
            confine: crate::step::confine::for_worker(project, file),
        });
    }

    /// Whether the process is still there (a started worker waiting for `load`).
    pub fn is_alive(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    pub fn send(&self, msg: ToWorker) {
        let _ = self.to_worker.send(msg);
    }

    pub fn sender(&self) -> mpsc::UnboundedSender<ToWorker> {
        self.to_worker.clone()
    }

    /// The next message; `None` once the worker has exited. Cancel-safe (a line is taken
    /// whole or not at all), so it can wait in a `select!`.
    pub async fn next(&mut self) -> Option<FromWorker> {
        let line = self.from_worker.next_line().await.ok()??;
        // A line that is not a protocol message (something the workflow printed past the
        // runtime) is kept as a log line rather than lost.
        Some(serde_json::from_str(&line).unwrap_or(FromWorker::Log {
            level: "info".into(),
            text: line,
            steps: Vec::new(),
        }))
    }

    /// Waits for the module to load and turns its description into a definition.
    pub async fn describe(&mut self, file: &Path) -> Result<WorkflowDefinition, Vec<DefinitionError>> {
        loop {
            match self.next().await {
                Some(FromWorker::Loaded { definition }) => {
                    return typescript::from_described(file, definition, |key| {
                        crate::js::locate::key_location(file, key)
                    })
                }
                Some(FromWorker::LoadError { message, location }) => {
                    let location = location.or_else(|| {
                        Some(crate::definition::Location {
                            file: file.to_path_buf(),
                            line: 1,
                            column: 1,
                        })
                    });
                    return Err(vec![DefinitionError::at(location, first_line_or_all(&message))]);
                }
                Some(FromWorker::Log { .. }) => continue,
                Some(other) => {
                    return Err(vec![DefinitionError::in_file(
                        file,
                        format!("unexpected message while loading: {other:?}"),
                    )])
                }
                None => {
                    let why = self.exit_description().await;
                    return Err(vec![DefinitionError::in_file(
                        file,
                        format!("the JS worker {why} while loading the workflow"),
                    )]);
                }
            }
        }
    }

    /// What the workflow's zod `argsSchema` finds wrong with `args` (empty: nothing); Err
    /// when the worker died meanwhile. Console lines written meanwhile belong to no run. A
    /// check that never ends (a refinement that loops) is a problem with the arguments'
    /// schema, reported as one; the caller drops the worker, which kills it.
    pub async fn check_args(&mut self, args: &Value) -> Result<Vec<String>, String> {
        self.send(ToWorker::CheckArgs { args: args.clone() });
        match tokio::time::timeout(ARGS_CHECK_TIMEOUT, self.args_checked()).await {
            Ok(checked) => checked,
            Err(_) => Ok(vec![format!(
                "args: the argsSchema's check did not finish within {} s",
                ARGS_CHECK_TIMEOUT.as_secs()
            )]),
        }
    }

    async fn args_checked(&mut self) -> Result<Vec<String>, String> {
        loop {
            match self.next().await {
                Some(FromWorker::ArgsChecked { problems }) => return Ok(problems),
                Some(FromWorker::Log { .. }) => continue,
                Some(other) => return Err(format!("the JS worker answered {other:?} to an argument check")),
                None => {
                    let why = self.exit_description().await;
                    return Err(format!("the JS worker {why} while checking the arguments"));
                }
            }
        }
    }

    /// How the worker ended, for a crash report: its exit status and stderr tail.
    pub async fn exit_description(&mut self) -> String {
        let status = match tokio::time::timeout(std::time::Duration::from_secs(2), self.child.wait()).await {
            Ok(Ok(status)) => describe_exit(&status),
            _ => "stopped answering".to_string(),
        };
        let stderr = self.stderr.lock().expect("stderr lock").clone();
        let stderr = tail(stderr.trim(), STDERR_TAIL_BYTES);
        if stderr.is_empty() {
            status
        } else {
            format!("{status} ({stderr})")
        }
    }
}

impl Drop for WorkerHandle {
    fn drop(&mut self) {
        if let Some(pid) = self.child.id() {
            signal_group(pid, libc::SIGKILL);
        }
    }
}

/// Load errors carry a stack; its first line (with the location already extracted) is the
/// message, unless the first line is all there is.
fn first_line_or_all(message: &str) -> String {
    message.lines().next().unwrap_or(message).to_string()
}
