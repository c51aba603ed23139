//! A script step's `sh`: its command line and environment as C strings, started through
//! `crate::sys::spawn` (a `clone(CLONE_VM | CLONE_VFORK)` that dies with the engine, where
//! the standard library would fork), announced to the guardian, waited for through its
//! pidfd, killed if dropped.

use std::collections::BTreeMap;
use std::ffi::{CString, OsStr, OsString};
use std::io;
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::time::Duration;

use tokio::io::unix::AsyncFd;

use crate::sys::spawn::{self as sys, BeforeExec, Exec, SpawnError, Stage};

/// A started process: its pid (also its process group), its output pipes, its exit.
pub struct Process {
    pid: libc::pid_t,
    /// The group is known to the guardian until the process is dropped.
    _watched: super::guard::Watched,
    /// The exit status, once reaped.
    status: Option<std::process::ExitStatus>,
    pidfd: Option<AsyncFd<OwnedFd>>,
}

/// Starts `sh -c command` in `cwd` with the step environment (`super::env`) plus `env`, in a new process
/// group, stdin from /dev/null, stdout and stderr to the returned pipes.
/// `ruleset`, if given, confines it (`super::confine`).
pub fn spawn_sh(
    command: &str,
    cwd: &Path,
    env: &BTreeMap<String, String>,
    ruleset: Option<&super::confine::Ruleset>,
) -> io::Result<(Process, OwnedFd, OwnedFd)> {
    let argv = [c_string(b"sh")?, c_string(b"-c")?, c_string(command.as_bytes())?];
    let envp = environment(env)?;
    let cwd_c = c_string(OsStr::new(cwd).as_bytes())?;
    let devnull = std::fs::File::open("/dev/null")?;
    let (out_r, out_w) = sys::pipe()?;
    let (err_r, err_w) = sys::pipe()?;
    let exec = Exec {
        path: c"/bin/sh",
        argv: &argv,
        envp: &envp,
        cwd: &cwd_c,
        stdio: [devnull.as_fd(), out_w.as_fd(), err_w.as_fd()],
        // SAFETY: restricting is two system calls on the ruleset's descriptor, which the
        // ruleset keeps open until after the spawn.
        before_exec: ruleset.map(|r| unsafe { BeforeExec::new(super::confine::restrict_self, r.fd()) }),
    };
    let pid = sys::spawn(&exec).map_err(|e| spawn_error(e, cwd))?;
    let process = Process {
        pid,
        _watched: super::guard::watch(pid as u32),
        status: None,
        // SAFETY: the pidfd is owned by the AsyncFd, which deregisters it before closing it.
        pidfd: sys::pidfd(pid).and_then(|fd| unsafe { AsyncFd::register(fd) }.ok()),
    };
    Ok((process, out_r, err_r))
}

fn c_string(bytes: &[u8]) -> io::Result<CString> {
    CString::new(bytes).map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "a NUL byte"))
}

/// The step's whole environment as `NAME=value`: what steps inherit, the step's own `env`
/// over it, and the guardian's marker.
fn environment(env: &BTreeMap<String, String>) -> io::Result<Vec<CString>> {
    let mut vars: Vec<(OsString, OsString)> = super::env::inherited(&[])
        .into_iter()
        .filter(|(k, _)| !env.contains_key(&*k.to_string_lossy()))
        .collect();
    vars.extend(env.iter().map(|(k, v)| (k.into(), v.into())));
    if let Some((k, v)) = super::guard::marker() {
        vars.push((k.into(), v.into()));
    }
    vars.iter()
        .map(|(k, v)| c_string(&[k.as_bytes(), b"=", v.as_bytes()].concat()))
        .collect()
}

/// Says what could not be done: confine the step, or start `sh` where it was asked to run.
fn spawn_error(e: SpawnError, cwd: &Path) -> io::Error {
    match e {
        SpawnError::Clone(e) => e,
        SpawnError::Child(Stage::BeforeExec, e) => {
            io::Error::new(e.kind(), format!("cannot confine the step (Landlock): {e}"))
        }
        SpawnError::Child(Stage::Chdir | Stage::Exec, e) => {
            io::Error::new(e.kind(), format!("cannot start sh in {}: {e}", cwd.display()))
        }
    }
}

impl Process {
    /// The process id, which is also its process group id.
    pub fn id(&self) -> Option<u32> {
        self.status.is_none().then_some(self.pid as u32)
    }

    /// Waits for the process to exit and reaps it.
    pub async fn wait(&mut self) -> io::Result<std::process::ExitStatus> {
        loop {
            if let Some(status) = self.try_wait()? {
                return Ok(status);
            }
            match &self.pidfd {
                Some(fd) => fd.readable().await?.clear_ready(),
                // Without pidfd (old kernels): look again shortly.
                None => tokio::time::sleep(Duration::from_millis(5)).await,
            }
        }
    }

    fn try_wait(&mut self) -> io::Result<Option<std::process::ExitStatus>> {
        if self.status.is_none() {
            self.status = sys::try_wait(self.pid)?;
        }
        Ok(self.status)
    }
}

impl Drop for Process {
    /// Kills a process nobody waited for (like tokio's `kill_on_drop`) and reaps it.
    fn drop(&mut self) {
        if self.status.is_some() {
            return;
        }
        crate::sys::process::kill(self.pid, libc::SIGKILL);
        sys::wait_blocking(self.pid);
    }
}
