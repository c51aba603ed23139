//! `JsChild`: the engine's handle on the JS worker process of a TypeScript run (the
//! `__worker` child, whose own side is `js::child`): spawn it, have it describe the workflow,
//! then exchange `js::protocol` messages with it while it runs. A child that dies is reported
//! with its exit status and the tail of its stderr.

use std::path::Path;
use std::process::Stdio;
use std::sync::{Arc, Mutex};

use serde_json::Value;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader, Lines};
use tokio::process::{Child, ChildStderr, ChildStdin, ChildStdout, Command};
use tokio::sync::mpsc;

use crate::definition::{typescript, DefinitionError, WorkflowDefinition};
use crate::js::protocol::{FromChild, ToChild, WORKER_ENV, WORKER_MEMORY_ENV};
use crate::subprocess::group::{describe_exit, die_with_parent, signal_group};
use crate::subprocess::script::tail;

/// How much of a dead child's stderr its error quotes.
const STDERR_TAIL_BYTES: usize = 4 * 1024;

/// How long zod may take over a run's arguments: microseconds when it works (an isolate
/// has no I/O to wait for), so only a schema that never finishes reaches this.
const ARGS_CHECK_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(3);

/// A started JS worker process; dropping it kills the process and its group.
pub struct JsChild {
    child: Child,
    to_child: mpsc::UnboundedSender<ToChild>,
    /// The child's stdout, read where its messages are used: a reader task in between was
    /// one more wake-up per message.
    from_child: Lines<BufReader<ChildStdout>>,
    stderr: Arc<Mutex<String>>,
}

impl JsChild {
    /// Starts `exe __worker` in its own process group, in `dir`; it sets up its JavaScript
    /// runtime and then waits for `load`.
    pub fn start(exe: &Path, dir: &Path) -> std::io::Result<JsChild> {
        let mut cmd = Command::new(exe);
        die_with_parent(&mut cmd);
        let mut child = cmd
            .arg("__worker")
            // It runs the workflow's code: the step environment, not the server's.
            .env_clear()
            .envs(crate::subprocess::env::inherited(&[]))
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
        let (to_tx, to_rx) = mpsc::unbounded_channel::<ToChild>();
        tokio::spawn(write_lines(child.stdin.take().expect("piped"), to_rx));
        let from_rx = BufReader::new(child.stdout.take().expect("piped")).lines();
        let stderr = Arc::new(Mutex::new(String::new()));
        tokio::spawn(keep_stderr_tail(child.stderr.take().expect("piped"), stderr.clone()));
        Ok(JsChild {
            child,
            to_child: to_tx,
            from_child: from_rx,
            stderr,
        })
    }

    /// Asks the child to load the workflow `file` of `project` (then `describe` it).
    pub fn load(&self, file: &Path, project: &Path) {
        self.send(ToChild::Load {
            file: file.to_string_lossy().into_owned(),
            project_path: project.to_string_lossy().into_owned(),
            confine: crate::subprocess::confine::for_worker(project, file),
        });
    }

    /// Whether the process is still there (a started child waiting for `load`).
    pub fn is_alive(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    pub fn send(&self, msg: ToChild) {
        let _ = self.to_child.send(msg);
    }

    pub fn sender(&self) -> mpsc::UnboundedSender<ToChild> {
        self.to_child.clone()
    }

    /// The next message; `None` once the child has exited. Cancel-safe (a line is taken
    /// whole or not at all), so it can wait in a `select!`.
    pub async fn next(&mut self) -> Option<FromChild> {
        let line = self.from_child.next_line().await.ok()??;
        // A line that is not a protocol message (something the workflow printed past the
        // runtime) is kept as a log line rather than lost.
        Some(serde_json::from_str(&line).unwrap_or(FromChild::Log {
            level: "info".into(),
            text: line,
            steps: Vec::new(),
        }))
    }

    /// Waits for the module to load and turns its description into a definition.
    pub async fn describe(&mut self, file: &Path) -> Result<WorkflowDefinition, Vec<DefinitionError>> {
        loop {
            match self.next().await {
                Some(FromChild::Loaded { definition, sources }) => {
                    let mut described =
                        typescript::from_described(file, definition, |key| crate::js::locate::key_location(file, key))?;
                    described.sources = sources;
                    return Ok(described);
                }
                Some(FromChild::LoadError { message, location }) => {
                    let location = location.or_else(|| {
                        Some(crate::definition::Location {
                            file: file.to_path_buf(),
                            line: 1,
                            column: 1,
                        })
                    });
                    return Err(vec![DefinitionError::at(location, first_line_or_all(&message))]);
                }
                Some(FromChild::Log { .. }) => continue,
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
    /// when the child died meanwhile. Console lines written meanwhile belong to no run. A
    /// check that never ends (a refinement that loops) is a problem with the arguments'
    /// schema, reported as one; the caller drops the child, which kills it.
    pub async fn check_args(&mut self, args: &Value) -> Result<Vec<String>, String> {
        self.send(ToChild::CheckArgs { args: args.clone() });
        match tokio::time::timeout(ARGS_CHECK_TIMEOUT, self.args_checked()).await {
            Ok(checked) => checked,
            Err(_) => Ok(vec![format!(
                "args: the argsSchema's check did not finish within {} s",
                ARGS_CHECK_TIMEOUT.as_secs()
            )]),
        }
    }

    /// The name the workflow's `runName` function gives a run of `args`: `Ok(Ok(name))`,
    /// `Ok(Err(why))` when the function threw or gave no name, `Err` when the child died. A
    /// function that never returns is given the arguments' check's time.
    pub async fn run_name(&mut self, args: &Value) -> Result<Result<String, String>, String> {
        self.send(ToChild::RunName { args: args.clone() });
        let answer = async {
            loop {
                match self.next().await {
                    Some(FromChild::RunNamed { name: Some(name), .. }) => return Ok(Ok(name)),
                    Some(FromChild::RunNamed { error, .. }) => {
                        return Ok(Err(error.unwrap_or_else(|| "runName gave no name".into())))
                    }
                    Some(FromChild::Log { .. }) => continue,
                    Some(other) => return Err(format!("the JS worker answered {other:?} to runName")),
                    None => {
                        let why = self.exit_description().await;
                        return Err(format!("the JS worker {why} while naming the run"));
                    }
                }
            }
        };
        match tokio::time::timeout(ARGS_CHECK_TIMEOUT, answer).await {
            Ok(answer) => answer,
            Err(_) => Ok(Err(format!(
                "runName did not return within {} s",
                ARGS_CHECK_TIMEOUT.as_secs()
            ))),
        }
    }

    async fn args_checked(&mut self) -> Result<Vec<String>, String> {
        loop {
            match self.next().await {
                Some(FromChild::ArgsChecked { problems }) => return Ok(problems),
                Some(FromChild::Log { .. }) => continue,
                Some(other) => return Err(format!("the JS worker answered {other:?} to an argument check")),
                None => {
                    let why = self.exit_description().await;
                    return Err(format!("the JS worker {why} while checking the arguments"));
                }
            }
        }
    }

    /// How the child ended, for a crash report: its exit status and stderr tail.
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

impl Drop for JsChild {
    fn drop(&mut self) {
        if let Some(pid) = self.child.id() {
            signal_group(pid, libc::SIGKILL);
        }
    }
}

/// Writes each message to the child's stdin as a line, until the child or the sender is gone.
async fn write_lines(mut stdin: ChildStdin, mut messages: mpsc::UnboundedReceiver<ToChild>) {
    while let Some(msg) = messages.recv().await {
        let mut line = serde_json::to_vec(&msg).expect("protocol messages serialise");
        line.push(b'\n');
        if stdin.write_all(&line).await.is_err() {
            break;
        }
    }
}

/// Keeps the tail of the child's stderr, for the report if it dies.
async fn keep_stderr_tail(mut pipe: ChildStderr, sink: Arc<Mutex<String>>) {
    let mut buf = vec![0u8; 8192];
    while let Ok(n) = pipe.read(&mut buf).await {
        if n == 0 {
            break;
        }
        let mut s = sink.lock().expect("stderr lock");
        s.push_str(&String::from_utf8_lossy(&buf[..n]));
        if s.len() > 4 * STDERR_TAIL_BYTES {
            *s = tail(&s, STDERR_TAIL_BYTES).to_string();
        }
    }
}

/// Load errors carry a stack; its first line (with the location already extracted) is the
/// message, unless the first line is all there is.
fn first_line_or_all(message: &str) -> String {
    message.lines().next().unwrap_or(message).to_string()
}
