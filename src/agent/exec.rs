//! Runs an agent CLI: its own process group, its pipes (`exec_io`); a stop, a timeout or a
//! stall (`stall`) interrupts, then terminates, then kills the whole group; tries again as the
//! retry policy says.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::{ExitStatus, Stdio};
use std::time::Duration;

use tokio::process::{Child, Command};
use tokio::sync::{mpsc, watch};
use tokio::time::Instant;

use super::classify::{classify, Evidence, FailureKind};
use super::config::RetryPolicy;
use super::exec_io::{drained, read_stderr, read_stdout, write_prompt};
use super::stall::LastOutput;
use super::{AgentEvent, AgentKind, Driver, Final, Invocation, Usage};
use crate::subprocess::confine::{self, StepTmp};
use crate::subprocess::group::{
    deadline, describe_exit, die_with_parent, interrupt_group, signal_group, stop_requested,
};

/// Notices the CLIs print on every run, left out of failure messages (they stay in the log).
const STDERR_NOISE: &[&str] = &[
    "YOLO mode is enabled",
    "Loaded cached credentials",
    "Reading prompt from stdin",
    "Reading additional input from stdin",
];

/// What the CLI printed, as it arrives.
#[derive(Debug, Clone, PartialEq)]
pub enum Output {
    /// A line exactly as printed (lossily decoded), before parsing.
    Raw { stream: &'static str, text: String },
    /// What a stdout line meant.
    Event(AgentEvent),
    /// Try `attempt` (2, 3, ...) starts now, after a retry's wait.
    TryStarted { attempt: u32 },
    /// The attempt failed in a way worth another try, which starts after `delay`.
    Retry {
        /// Why the attempt before failed.
        kind: FailureKind,
        next_attempt: u32,
        delay: Duration,
        reason: String,
    },
}

/// Everything needed to start the CLI once.
#[derive(Debug, Clone)]
pub struct Launch {
    /// The configured program and its extra arguments, before the driver's.
    pub program: Vec<String>,
    pub invocation: Invocation,
    pub cwd: PathBuf,
    /// The project the CLI may write to (its confinement, `crate::subprocess::confine`).
    pub project: PathBuf,
    /// A run's worktree: what of its repository the CLI may reach.
    pub git: Option<crate::subprocess::confine::GitAccess>,
    pub env: BTreeMap<String, String>,
    /// Patterns of the server's variables this CLI gets beyond the common step environment.
    pub inherit: Vec<String>,
    /// The step's timeout: it bounds every try and the waits between them.
    pub timeout: Option<Duration>,
    /// How long the CLI may print nothing before it is stopped as `stalled` (`stallTimeout`).
    pub stall_timeout: Option<Duration>,
    /// When the step began, the start of its timeout.
    pub started: Instant,
}

/// What one attempt left: the last of each thing the stream said.
#[derive(Debug, Default)]
pub struct Transcript {
    pub session_id: Option<String>,
    pub model: Option<String>,
    pub last_text: Option<String>,
    pub usage: Usage,
    pub final_event: Option<Final>,
    pub stderr_tail: String,
}

impl Transcript {
    pub(super) fn apply(&mut self, event: &AgentEvent) {
        match event {
            AgentEvent::Session { id, model } => {
                self.session_id = Some(id.clone());
                if model.is_some() {
                    self.model = model.clone();
                }
            }
            AgentEvent::Text { text, delta: false } => self.last_text = Some(text.clone()),
            AgentEvent::Text { text, delta: true } => self.last_text.get_or_insert_default().push_str(text),
            AgentEvent::Usage(u) => self.usage = *u,
            AgentEvent::Final(f) => {
                if let Some(u) = f.usage {
                    self.usage = u;
                }
                self.final_event = Some((**f).clone());
            }
            _ => {}
        }
    }
}

/// Why the engine stopped the CLI, or did not start it again.
#[derive(Debug, Clone, PartialEq)]
pub enum Stopped {
    /// The step's timeout passed while the CLI ran.
    TimedOut(Duration),
    /// The CLI printed nothing for this long (`stallTimeout`).
    Stalled(Duration),
    /// A failure worth retrying, but the wait before the next try would pass the step's timeout.
    NoTimeToRetry {
        timeout: Duration,
        delay: Duration,
        /// How the last try failed.
        reason: String,
    },
    Cancelled,
}

#[derive(Debug)]
pub struct Attempt {
    pub kind: AgentKind,
    pub transcript: Transcript,
    pub status: Option<ExitStatus>,
    pub stopped: Option<Stopped>,
}

impl Attempt {
    /// Success is exit 0 and a terminal event that is not an error; anything else is a
    /// failure, named, with the agent's own words.
    pub fn failure(&self) -> Option<(FailureKind, String)> {
        let agent = self.kind.as_str();
        let took = |t: &Duration| crate::definition::format_ms(t.as_millis() as u64);
        match &self.stopped {
            Some(Stopped::TimedOut(t)) => {
                return Some((FailureKind::TimedOut, format!("{agent} timed out after {}", took(t))));
            }
            Some(Stopped::NoTimeToRetry { timeout, delay, reason }) => {
                let message = format!(
                    "{agent} timed out: the step's {} timeout leaves no time to wait {} and try again; \
                     the last try failed: {reason}",
                    took(timeout),
                    took(delay)
                );
                return Some((FailureKind::TimedOut, message));
            }
            Some(Stopped::Stalled(t)) => {
                let message = format!(
                    "{agent} stalled: it printed nothing for {} (the step's stallTimeout), so it was stopped",
                    took(t)
                );
                return Some((FailureKind::Stalled, message));
            }
            Some(Stopped::Cancelled) => {
                return Some((FailureKind::Cancelled, crate::subprocess::script::STOPPED.to_string()));
            }
            None => {}
        }
        let fin = self.transcript.final_event.as_ref();
        let exit_ok = self.status.is_some_and(|s| s.success());
        if exit_ok && fin.is_some_and(|f| !f.is_error) {
            return None;
        }
        let kind = classify(&Evidence {
            agent: self.kind,
            final_event: fin,
            exit_code: self.status.and_then(|s| s.code()),
        });
        Some((kind, format!("{agent} failed ({kind}): {}", self.failure_words(fin))))
    }

    /// The agent's own words for its failure: the terminal event's error text, else what it
    /// printed on stderr and how it exited.
    fn failure_words(&self, fin: Option<&Final>) -> String {
        let exit = self
            .status
            .as_ref()
            .map(describe_exit)
            .unwrap_or_else(|| "ended".into());
        let stderr = self
            .transcript
            .stderr_tail
            .lines()
            .filter(|l| !STDERR_NOISE.iter().any(|n| l.contains(n)))
            .collect::<Vec<_>>()
            .join("\n");
        let stderr = Some(stderr.trim().to_string()).filter(|s| !s.is_empty());
        match fin {
            Some(f) if !f.is_error => format!("reported success but {exit}: {}", stderr.unwrap_or(exit.clone())),
            Some(f) => f
                .text
                .clone()
                .filter(|t| !t.trim().is_empty())
                .or(stderr)
                .unwrap_or(exit),
            None => format!(
                "{exit} without a final result: {}",
                stderr.as_deref().unwrap_or("no output on stderr")
            ),
        }
    }
}

/// Runs the CLI until it ends, `stop` turns true, or the timeout; the CLI's lines and their
/// meaning go to `out` as they are read.
pub async fn run_once(
    driver: Box<dyn Driver>,
    launch: &Launch,
    out: &mpsc::UnboundedSender<Output>,
    mut stop: watch::Receiver<bool>,
) -> std::io::Result<Attempt> {
    let kind = driver.kind();
    let (program, leading) = launch
        .program
        .split_first()
        .ok_or_else(|| std::io::Error::other(format!("no command configured for {}", kind.as_str())))?;
    let mut cmd = command(launch, program, leading);
    // Both live until the CLI has ended: its temporary folder, and the ruleset the spawn uses.
    let tmp = StepTmp::create()?;
    let ruleset = confine::ruleset(
        confine::Kind::Agent(program.as_ref()),
        &launch.project,
        tmp.path(),
        launch.git.as_ref(),
    );
    let ruleset = ruleset.map_err(std::io::Error::other)?;
    confine::confine_command(&mut cmd, ruleset.as_ref(), tmp.path(), &launch.env);
    let mut child = cmd.spawn().map_err(|e| spawn_error(kind, program, &launch.cwd, e))?;
    let pid = child.id();
    let _watched = pid.map(crate::subprocess::guard::watch);
    write_prompt(&mut child, launch.invocation.stdin.clone());
    let last = LastOutput::new();
    let stdout = read_stdout(driver, child.stdout.take().expect("piped"), out.clone(), last.clone());
    let stderr = read_stderr(child.stderr.take().expect("piped"), out.clone(), last.clone());
    let (status, stopped) = wait_or_stop(&mut child, launch, &mut stop, &last).await?;
    // Whatever the CLI left behind in its group (MCP servers, shells) dies with it.
    if let Some(pid) = pid {
        signal_group(pid, libc::SIGKILL);
    }
    let mut transcript = drained(stdout).await.unwrap_or_default();
    transcript.stderr_tail = drained(stderr).await.unwrap_or_default();
    Ok(Attempt {
        kind,
        transcript,
        status,
        stopped,
    })
}

/// The CLI's command: the configured program and arguments, then the driver's, in `cwd`,
/// with the step environment, the server's variables it inherits and its own; in a process
/// group of its own, dying with the engine and killed if dropped.
fn command(launch: &Launch, program: &str, leading: &[String]) -> Command {
    let mut cmd = Command::new(program);
    die_with_parent(&mut cmd);
    cmd.args(leading)
        .args(&launch.invocation.args)
        .current_dir(&launch.cwd)
        .env_clear()
        .envs(crate::subprocess::env::inherited(&launch.inherit))
        .envs(&launch.env)
        .stdin(if launch.invocation.stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .kill_on_drop(true);
    for key in &launch.invocation.env_remove {
        cmd.env_remove(key);
    }
    cmd.envs(launch.invocation.env_set.iter().cloned());
    if let Some((k, v)) = crate::subprocess::guard::marker() {
        cmd.env(k, v);
    }
    cmd
}

/// Waits for the CLI to exit, or interrupts its group when the step's timeout passes or a
/// stop is asked for: how it exited, and why the engine stopped it, if it did.
async fn wait_or_stop(
    child: &mut Child,
    launch: &Launch,
    stop: &mut watch::Receiver<bool>,
    last: &LastOutput,
) -> std::io::Result<(Option<ExitStatus>, Option<Stopped>)> {
    let deadline = deadline(launch.timeout.map(|t| t.saturating_sub(launch.started.elapsed())));
    let (status, stopped) = tokio::select! {
        status = child.wait() => (Some(status?), None),
        _ = deadline => (None, Some(Stopped::TimedOut(launch.timeout.unwrap_or_default()))),
        _ = last.silent_for(launch.stall_timeout) => {
            (None, Some(Stopped::Stalled(launch.stall_timeout.unwrap_or_default())))
        }
        _ = stop_requested(stop) => (None, Some(Stopped::Cancelled)),
    };
    let status = match status {
        Some(s) => Some(s),
        None => interrupt_group(child).await,
    };
    Ok((status, stopped))
}

/// Runs attempts until one succeeds, fails in a way not worth retrying, the policy's tries are
/// used up, or the step's timeout would pass during the wait before the next; waits between
/// them (cut short by `stop`). Returns the last attempt and how many were made.
pub async fn run_with_retries(
    kind: AgentKind,
    launch: &Launch,
    policy: &RetryPolicy,
    out: &mpsc::UnboundedSender<Output>,
    stop: watch::Receiver<bool>,
) -> std::io::Result<(Attempt, u32)> {
    let mut tries = 1;
    loop {
        if tries > 1 {
            let _ = out.send(Output::TryStarted { attempt: tries });
        }
        let mut attempt = run_once(kind.driver(), launch, out, stop.clone()).await?;
        let Some((failure, message)) = attempt.failure() else {
            return Ok((attempt, tries));
        };
        if !policy.retries(failure) || tries >= policy.attempts {
            return Ok((attempt, tries));
        }
        let delay = policy.delay_before(tries + 1);
        if let Some(timeout) = launch.timeout.filter(|t| launch.started.elapsed() + delay >= *t) {
            // The step would time out while waiting: it ends now, saying why.
            attempt.stopped = Some(Stopped::NoTimeToRetry {
                timeout,
                delay,
                reason: message,
            });
            return Ok((attempt, tries));
        }
        tries += 1;
        let _ = out.send(Output::Retry {
            kind: failure,
            next_attempt: tries,
            delay,
            reason: message,
        });
        let mut stop = stop.clone();
        tokio::select! {
            _ = tokio::time::sleep(delay) => {}
            _ = stop_requested(&mut stop) => {
                let mut attempt = attempt;
                attempt.stopped = Some(Stopped::Cancelled);
                return Ok((attempt, tries - 1));
            }
        }
    }
}

fn spawn_error(kind: AgentKind, program: &str, cwd: &std::path::Path, e: std::io::Error) -> std::io::Error {
    let name = kind.as_str();
    let upper = name.to_ascii_uppercase();
    let hint = if e.kind() == std::io::ErrorKind::NotFound {
        format!(
            "`{program}` was not found; install the {name} CLI or point agents.{name}.command in the config \
             (or WORKFLOW_ENGINE_{upper}_COMMAND) at it"
        )
    } else {
        e.to_string()
    };
    std::io::Error::new(e.kind(), format!("cannot start {name} in {}: {hint}", cwd.display()))
}
