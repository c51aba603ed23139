//! `script` steps and `ctx.exec`: `sh -c` in the project, output streamed line by line.

use std::collections::BTreeMap;
use std::os::fd::OwnedFd;
use std::path::PathBuf;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader};
use tokio::net::unix::pipe::Receiver;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

use super::confine::{self, StepTmp};
use super::group::{deadline, describe_exit, signal_group, KILL_GRACE};
use super::holders;
use super::spawn::{spawn_sh, Process};

/// How much of each stream a step's result keeps; the whole output is in `events.jsonl`.
pub const OUTPUT_TAIL_BYTES: usize = 64 * 1024;
/// The failure of a command stopped because its run was cancelled or timed out.
pub const STOPPED: &str = "stopped with the run (cancelled or timed out)";
/// How much of stderr a failure message quotes.
pub const ERROR_TAIL_BYTES: usize = 2 * 1024;
/// How long output is still read after the command's group was killed: only a process that
/// left the group can still be writing.
const OUTPUT_DRAIN: Duration = Duration::from_millis(500);

pub struct ScriptSpec {
    pub command: String,
    pub cwd: PathBuf,
    /// The project the command may write to (its confinement, `super::confine`).
    pub project: PathBuf,
    /// A run's worktree: what of its repository the command may reach.
    pub git: Option<confine::GitAccess>,
    pub env: BTreeMap<String, String>,
    pub timeout: Option<Duration>,
}

/// One line of output, as it arrives.
#[derive(Debug, Clone)]
pub struct OutputLine {
    pub stream: &'static str,
    pub text: String,
}

#[derive(Debug)]
pub struct ScriptOutcome {
    pub exit_code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
    /// Why it did not succeed, if it did not.
    pub failure: Option<String>,
}

/// Runs the command to its end, a timeout, or `stop` turning true; each output line goes to
/// `lines` as soon as it is read.
pub async fn run(
    spec: ScriptSpec,
    lines: mpsc::UnboundedSender<OutputLine>,
    stop: impl std::future::Future<Output = ()>,
) -> std::io::Result<ScriptOutcome> {
    let mut env = spec.env;
    let (_tmp, ruleset) = confinement(&spec.project, spec.git.as_ref(), &mut env)?;
    let (mut child, stdout, stderr) = spawn_sh(&spec.command, &spec.cwd, &env, ruleset.as_ref())?;
    // Kept now: once the shell is reaped the process no longer has an id, its group still does.
    let group = child.id().expect("a process just started has not been reaped");
    let pipes: Vec<u64> = [&stdout, &stderr].into_iter().filter_map(holders::pipe_inode).collect();
    let (out, err, stop_pumps) = start_pumps(stdout, stderr, lines)?;
    let deadline = deadline(spec.timeout);
    let stopped = stop;
    let mut failure = None;
    let status = tokio::select! {
        status = child.wait() => Some(status?),
        _ = deadline => {
            failure = Some(format!("timed out after {}", crate::definition::format_ms(spec.timeout.unwrap_or_default().as_millis() as u64)));
            None
        }
        _ = stopped => {
            failure = Some(STOPPED.to_string());
            None
        }
    };
    match status {
        // The step is its shell: what the shell left in its group (`sleep 4 &`) ends with it.
        Some(_) => signal_group(group, libc::SIGKILL),
        None => terminate(&mut child).await,
    }
    let (stdout, stderr) = drain(out, err, stop_pumps, pipes).await;
    let exit_code = status.and_then(|s| s.code());
    if let Some(s) = status.filter(|s| !s.success()) {
        let tail = tail(&stderr, ERROR_TAIL_BYTES);
        let mut msg = format!("command {}", describe_exit(&s));
        if !tail.trim().is_empty() {
            msg.push_str(&format!(": {}", tail.trim_end()));
        }
        failure = Some(msg);
    }
    Ok(ScriptOutcome {
        exit_code,
        stdout,
        stderr,
        failure,
    })
}

/// The command's private temp folder (its `TMPDIR` unless `env` names one; removed when it
/// is dropped) and its ruleset.
fn confinement(
    project: &std::path::Path,
    git: Option<&confine::GitAccess>,
    env: &mut BTreeMap<String, String>,
) -> std::io::Result<(StepTmp, Option<confine::Ruleset>)> {
    let tmp = StepTmp::create()?;
    env.entry("TMPDIR".into())
        .or_insert_with(|| tmp.path().to_string_lossy().into_owned());
    let ruleset = confine::ruleset(confine::Kind::Script, project, tmp.path(), git).map_err(std::io::Error::other)?;
    Ok((tmp, ruleset))
}

type Pumps = (JoinHandle<String>, JoinHandle<String>, watch::Sender<bool>);

/// Readers for both pipes, and the switch that stops them (`drain`).
fn start_pumps(stdout: OwnedFd, stderr: OwnedFd, lines: mpsc::UnboundedSender<OutputLine>) -> std::io::Result<Pumps> {
    let (stop, stopped) = watch::channel(false);
    let out = Receiver::from_owned_fd(stdout)?;
    let err = Receiver::from_owned_fd(stderr)?;
    let out = tokio::spawn(pump(out, "stdout", lines.clone(), stopped.clone()));
    let err = tokio::spawn(pump(err, "stderr", lines, stopped));
    Ok((out, err, stop))
}

/// Stops the group: SIGTERM, then SIGKILL after `KILL_GRACE`, and reaps the leader.
async fn terminate(child: &mut Process) {
    let Some(pid) = child.id() else { return };
    signal_group(pid, libc::SIGTERM);
    if tokio::time::timeout(KILL_GRACE, child.wait()).await.is_err() {
        signal_group(pid, libc::SIGKILL);
        let _ = child.wait().await;
    }
    // Grandchildren that ignored SIGTERM outlive the leader; the group id still reaches them.
    signal_group(pid, libc::SIGKILL);
}

/// Waits for the output readers once the group is gone; a process that left the group
/// (`setsid`) and still holds a pipe gets `OUTPUT_DRAIN` more, then is killed, and the
/// readers stop.
async fn drain(
    mut out: JoinHandle<String>,
    mut err: JoinHandle<String>,
    stop: watch::Sender<bool>,
    pipes: Vec<u64>,
) -> (String, String) {
    let both = async { tokio::join!(&mut out, &mut err) };
    if let Ok((o, e)) = tokio::time::timeout(OUTPUT_DRAIN, both).await {
        return (o.unwrap_or_default(), e.unwrap_or_default());
    }
    let _ = tokio::task::spawn_blocking(move || holders::kill_holders(&pipes)).await;
    let _ = stop.send(true);
    (out.await.unwrap_or_default(), err.await.unwrap_or_default())
}

/// Reads a stream line by line (any length, any bytes) until its end or `stop`, and keeps
/// its tail.
async fn pump(
    stream: impl AsyncRead + Unpin,
    name: &'static str,
    lines: mpsc::UnboundedSender<OutputLine>,
    mut stop: watch::Receiver<bool>,
) -> String {
    let mut reader = BufReader::new(stream);
    let mut buf = Vec::new();
    let mut kept = String::new();
    loop {
        buf.clear();
        let read = tokio::select! {
            read = reader.read_until(b'\n', &mut buf) => read,
            _ = stop.wait_for(|s| *s) => Ok(0),
        };
        if buf.is_empty() {
            break;
        }
        keep(&buf, name, &mut kept, &lines);
        if !matches!(read, Ok(n) if n > 0) {
            break;
        }
    }
    tail(&kept, OUTPUT_TAIL_BYTES).to_string()
}

/// One line (or the unterminated rest of a stream): into the tail and out to `lines`.
fn keep(buf: &[u8], name: &'static str, kept: &mut String, lines: &mpsc::UnboundedSender<OutputLine>) {
    let text = String::from_utf8_lossy(buf);
    let line = text.trim_end_matches(['\n', '\r']).to_string();
    kept.push_str(&line);
    kept.push('\n');
    if kept.len() > 2 * OUTPUT_TAIL_BYTES {
        *kept = tail(kept, OUTPUT_TAIL_BYTES).to_string();
    }
    let _ = lines.send(OutputLine {
        stream: name,
        text: line,
    });
}

/// The last `max` bytes of `s`, cut at a character boundary.
pub fn tail(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut start = s.len() - max;
    while !s.is_char_boundary(start) {
        start += 1;
    }
    &s[start..]
}
