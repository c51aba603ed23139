//! The guardian: a small process that outlives the engine by a moment to stop what its steps
//! left running.
//!
//! A step's own process dies with the engine (`PR_SET_PDEATHSIG`), but that reaches only
//! the process the engine started: a script's `(sleep 3; echo late >> f) &`, `npm test`'s
//! `node`, an agent CLI's tool processes lived on after a `kill -9` of the engine, wrote
//! their side effects later, and overlapped the step's next attempt on resume.
//!
//! The engine starts `workflow-engine __guardian` once (at its first step), in a process
//! group of its own (a Ctrl-C at the terminal does not reach it), and keeps the write end
//! of a pipe to it. Each step's process group is announced (`+pgid`) when it starts and
//! withdrawn (`-pgid`) when the step is done with it; so is each step's private temp folder
//! (`tPATH`, `uPATH`). The pipe closes when the engine's process ends, however it ends; the
//! guardian then kills every group still announced, and every process whose environment
//! carries this engine's marker (`WORKFLOW_ENGINE_GUARD`, inherited by whatever a step
//! starts, also by a process that left its group with `setsid`), removes the temp folders
//! still announced (a killed engine could not), and exits.

use std::collections::HashSet;
use std::io::{BufRead, Write};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Mutex, OnceLock};

/// The variable that marks every process a step starts, with this engine's token.
pub const MARKER_ENV: &str = "WORKFLOW_ENGINE_GUARD";

/// The binary to start as the guardian; set by the engine. Without it nothing is guarded.
static EXE: OnceLock<PathBuf> = OnceLock::new();
/// This engine process's marker value.
static TOKEN: OnceLock<String> = OnceLock::new();
/// The pipe to the started guardian (None before the first step, or when it cannot start).
static PIPE: Mutex<Option<std::process::ChildStdin>> = Mutex::new(None);

/// Names the binary whose `__guardian` subcommand guards this process's steps.
pub fn init(exe: &Path) {
    let _ = EXE.set(exe.to_path_buf());
}

/// The marker variable and its value for a step's environment, when guarding is on.
pub fn marker() -> Option<(&'static str, &'static str)> {
    EXE.get()?;
    Some((MARKER_ENV, token()))
}

fn token() -> &'static str {
    TOKEN.get_or_init(crate::store::new_id)
}

/// A process group or a temp folder the guardian knows of, until this is dropped: the line
/// that withdraws it, once it was announced.
#[must_use = "it is withdrawn when this is dropped"]
pub struct Watched(Option<String>);

/// Announces a step's process group to the guardian (starting it on first use).
pub fn watch(pgid: u32) -> Watched {
    let pgid = pgid as i32;
    if pgid <= 1 {
        return Watched(None);
    }
    announce(format!("+{pgid}\n"), format!("-{pgid}\n"))
}

/// Announces a step's private temp folder (`confine::StepTmp`), which the guardian removes
/// if the engine dies while the step has it.
pub fn watch_dir(path: &Path) -> Watched {
    match path.to_str().filter(|p| p.starts_with('/') && !p.contains('\n')) {
        Some(path) => announce(format!("t{path}\n"), format!("u{path}\n")),
        None => Watched(None),
    }
}

fn announce(line: String, withdraw: String) -> Watched {
    Watched((EXE.get().is_some() && send(&line)).then_some(withdraw))
}

impl Drop for Watched {
    fn drop(&mut self) {
        if let Some(line) = self.0.take() {
            send(&line);
        }
    }
}

/// Writes one line to the guardian; false when there is none (it could not start).
fn send(line: &str) -> bool {
    let mut pipe = PIPE.lock().unwrap_or_else(|p| p.into_inner());
    if pipe.is_none() {
        *pipe = start();
    }
    match pipe.as_mut() {
        Some(stdin) => stdin.write_all(line.as_bytes()).is_ok(),
        None => false,
    }
}

fn start() -> Option<std::process::ChildStdin> {
    let exe = EXE.get()?;
    let started = Command::new(exe)
        .arg("__guardian")
        .arg(token())
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .process_group(0)
        .spawn();
    match started {
        // It exits only after this process has (its input closes then): init reaps it.
        Ok(mut child) => child.stdin.take(),
        Err(e) => {
            tracing::warn!(error = %e, "cannot start the guardian: a step's background processes may outlive a killed engine");
            None
        }
    }
}

/// `workflow-engine __guardian TOKEN`: keeps the announced groups until its input closes,
/// then kills them and every process marked with `TOKEN`.
pub fn main(token: &str) -> std::process::ExitCode {
    // The guardian must outlive a terminal's signals.
    crate::sys::process::ignore_terminal_signals();
    let mut groups: HashSet<i32> = HashSet::new();
    let mut dirs: HashSet<PathBuf> = HashSet::new();
    for line in std::io::stdin().lock().lines() {
        let Ok(line) = line else { break };
        let (op, arg) = line.split_at(line.len().min(1));
        match (op, arg.parse::<i32>()) {
            ("+", Ok(p)) if p > 1 => {
                groups.insert(p);
            }
            ("-", Ok(p)) => {
                groups.remove(&p);
            }
            ("t", _) => {
                dirs.insert(PathBuf::from(arg));
            }
            ("u", _) => {
                dirs.remove(Path::new(arg));
            }
            _ => {}
        }
    }
    for pgid in &groups {
        crate::sys::process::signal_group(*pgid as u32, libc::SIGKILL);
    }
    // A process killed while it forked may leave a child the first sweep missed.
    let needle = format!("{MARKER_ENV}={token}");
    for _ in 0..3 {
        if kill_marked(needle.as_bytes()) == 0 {
            break;
        }
    }
    // Nothing of the steps runs any more to write into them.
    for dir in dirs.iter().filter(|d| is_step_tmp(d)) {
        let _ = std::fs::remove_dir_all(dir);
    }
    std::process::ExitCode::SUCCESS
}

/// Only a step's temp folder is removed, whatever the pipe says.
fn is_step_tmp(dir: &Path) -> bool {
    dir.is_absolute()
        && dir
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.starts_with(super::confine::STEP_TMP_PREFIX))
}

/// Kills every process whose environment holds `needle`; returns how many it found.
fn kill_marked(needle: &[u8]) -> usize {
    let me = std::process::id() as i32;
    let Ok(dir) = std::fs::read_dir("/proc") else { return 0 };
    let mut found = 0;
    for entry in dir.flatten() {
        let Some(pid) = entry.file_name().to_str().and_then(|n| n.parse::<i32>().ok()) else {
            continue;
        };
        if pid == me {
            continue;
        }
        let Ok(environ) = std::fs::read(entry.path().join("environ")) else {
            continue;
        };
        if environ.split(|b| *b == 0).any(|var| var == needle) {
            crate::sys::process::kill(pid, libc::SIGKILL);
            found += 1;
        }
    }
    found
}
