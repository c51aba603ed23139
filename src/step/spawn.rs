//! Starting a script step's `sh` without `fork`.
//!
//! A step must die with the engine (`PR_SET_PDEATHSIG`), which `posix_spawn` cannot ask for,
//! so the standard library falls back to `fork` + `exec` for such a command. A fork copies the
//! engine's page tables and leaves every page it had copy-on-write, so the engine's threads
//! then fault on their own memory and shoot down each other's TLBs: in a busy server that
//! cost more than the step itself. This does what `posix_spawn` does (`clone` with
//! `CLONE_VM | CLONE_VFORK`: the child borrows the engine's memory until it execs) and sets
//! the death signal on the way. Everything the child touches is prepared before the clone;
//! the child only makes system calls.

use std::ffi::{CString, OsStr};
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::time::Duration;

use tokio::io::unix::AsyncFd;

/// Stack of the cloned child until it execs; it only runs the syscalls below.
const CHILD_STACK_BYTES: usize = 64 * 1024;

/// What failed in the child, reported with its errno.
const STAGE_CHDIR: u32 = 1;
const STAGE_CONFINE: u32 = 2;
const STAGE_EXEC: u32 = 3;

/// A started process: its pid (also its process group), its output pipes, its exit.
pub struct Process {
    pid: libc::pid_t,
    /// The group is known to the guardian until the process is dropped.
    _watched: super::guard::Watched,
    /// The exit status, once reaped.
    status: Option<std::process::ExitStatus>,
    pidfd: Option<AsyncFd<OwnedFd>>,
}

/// Everything the child needs, as raw pointers into memory the parent keeps alive.
struct ChildArgs {
    path: *const libc::c_char,
    argv: *const *const libc::c_char,
    envp: *const *const libc::c_char,
    cwd: *const libc::c_char,
    fds: [libc::c_int; 3],
    /// The Landlock ruleset to apply before exec (`super::confine`), or -1.
    ruleset: libc::c_int,
    /// Written with the stage and errno of a failure; closed by a successful exec.
    report: libc::c_int,
}

/// Starts `sh -c command` in `cwd` with the step environment (`super::env`) plus `env`, in a new process
/// group, stdin from /dev/null, stdout and stderr to the returned pipes.
/// `ruleset`, if given, confines it (`super::confine`).
pub fn spawn_sh(
    command: &str,
    cwd: &Path,
    env: &std::collections::BTreeMap<String, String>,
    ruleset: Option<&super::confine::Ruleset>,
) -> io::Result<(Process, OwnedFd, OwnedFd)> {
    let c = |b: &[u8]| CString::new(b).map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "a NUL byte"));
    let path = c(b"/bin/sh")?;
    let argv_c = [c(b"sh")?, c(b"-c")?, c(command.as_bytes())?];
    let mut vars: Vec<(std::ffi::OsString, std::ffi::OsString)> = super::env::inherited(&[])
        .into_iter()
        .filter(|(k, _)| !env.contains_key(&*k.to_string_lossy()))
        .collect();
    vars.extend(env.iter().map(|(k, v)| (k.into(), v.into())));
    if let Some((k, v)) = super::guard::marker() {
        vars.push((k.into(), v.into()));
    }
    let envp_c = vars
        .iter()
        .map(|(k, v)| c(&[k.as_bytes(), b"=", v.as_bytes()].concat()))
        .collect::<io::Result<Vec<_>>>()?;
    let cwd_c = c(OsStr::new(cwd).as_bytes())?;
    let argv: Vec<*const libc::c_char> = argv_c.iter().map(|s| s.as_ptr()).chain([std::ptr::null()]).collect();
    let envp: Vec<*const libc::c_char> = envp_c.iter().map(|s| s.as_ptr()).chain([std::ptr::null()]).collect();

    let devnull = std::fs::File::open("/dev/null")?;
    let (out_r, out_w) = pipe()?;
    let (err_r, err_w) = pipe()?;
    let (report_r, report_w) = pipe()?;
    let args = ChildArgs {
        path: path.as_ptr(),
        argv: argv.as_ptr(),
        envp: envp.as_ptr(),
        cwd: cwd_c.as_ptr(),
        fds: [devnull.as_raw_fd(), out_w.as_raw_fd(), err_w.as_raw_fd()],
        ruleset: ruleset.map_or(-1, |r| r.fd()),
        report: report_w.as_raw_fd(),
    };
    let mut stack = vec![0u8; CHILD_STACK_BYTES];
    // SAFETY: the child runs `child_main` on `stack` while this thread is suspended
    // (CLONE_VFORK) until it execs or exits, so `args` and everything it points to outlive
    // it; it calls only async-signal-safe functions. Signals are blocked around the clone so
    // that no handler of the engine's runs on the child's stack.
    let pid = unsafe {
        let mut all: libc::sigset_t = std::mem::zeroed();
        let mut old: libc::sigset_t = std::mem::zeroed();
        libc::sigfillset(&mut all);
        libc::pthread_sigmask(libc::SIG_SETMASK, &all, &mut old);
        // The stack grows down from its 16-byte aligned top.
        let top = (stack.as_mut_ptr().add(CHILD_STACK_BYTES) as usize & !15) as *mut libc::c_void;
        let pid = libc::clone(
            child_main,
            top,
            libc::CLONE_VM | libc::CLONE_VFORK | libc::SIGCHLD,
            &args as *const ChildArgs as *mut libc::c_void,
        );
        let err = io::Error::last_os_error();
        libc::pthread_sigmask(libc::SIG_SETMASK, &old, std::ptr::null_mut());
        if pid < 0 {
            return Err(err);
        }
        pid
    };
    drop((devnull, out_w, err_w, report_w));
    let mut failed = [0u8; 8];
    let mut report = std::fs::File::from(report_r);
    if std::io::Read::read(&mut report, &mut failed).unwrap_or(0) == 8 {
        let mut status = 0;
        // SAFETY: reaping the child we just started.
        unsafe { libc::waitpid(pid, &mut status, 0) };
        let stage = u32::from_ne_bytes(failed[..4].try_into().expect("4 bytes"));
        let e = io::Error::from_raw_os_error(i32::from_ne_bytes(failed[4..].try_into().expect("4 bytes")));
        let what = match stage {
            STAGE_CONFINE => "cannot confine the step (Landlock)".to_string(),
            _ => format!("cannot start sh in {}", cwd.display()),
        };
        return Err(io::Error::new(e.kind(), format!("{what}: {e}")));
    }
    let process = Process {
        pid,
        _watched: super::guard::watch(pid as u32),
        status: None,
        // SAFETY: the pidfd is owned by the AsyncFd, which deregisters it before closing it.
        pidfd: pidfd(pid).and_then(|fd| unsafe { AsyncFd::register(fd) }.ok()),
    };
    Ok((process, out_r, err_r))
}

/// The child: death signal, own process group, stdio, directory, default signal handling,
/// then `exec`. Any failure is reported to the parent as an errno.
extern "C" fn child_main(arg: *mut libc::c_void) -> libc::c_int {
    // SAFETY: `arg` is the parent's `ChildArgs`, alive while the parent waits (CLONE_VFORK);
    // only async-signal-safe calls follow.
    unsafe {
        let a = &*(arg as *const ChildArgs);
        libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
        libc::setpgid(0, 0);
        for (target, fd) in a.fds.iter().enumerate() {
            libc::dup2(*fd, target as libc::c_int);
        }
        if libc::chdir(a.cwd) != 0 {
            fail(a.report, STAGE_CHDIR);
        }
        // Handlers are the engine's code; a new program starts with the defaults (and
        // SIGPIPE, which Rust ignores, back to terminating).
        let mut default: libc::sigaction = std::mem::zeroed();
        default.sa_sigaction = libc::SIG_DFL;
        for sig in 1..libc::SIGRTMAX() {
            let mut current: libc::sigaction = std::mem::zeroed();
            if libc::sigaction(sig, std::ptr::null(), &mut current) == 0
                && (current.sa_sigaction != libc::SIG_IGN || sig == libc::SIGPIPE)
                && current.sa_sigaction != libc::SIG_DFL
            {
                libc::sigaction(sig, &default, std::ptr::null_mut());
            }
        }
        let mut empty: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut empty);
        libc::sigprocmask(libc::SIG_SETMASK, &empty, std::ptr::null_mut());
        if a.ruleset >= 0 && super::confine::restrict_self(a.ruleset) != 0 {
            fail(a.report, STAGE_CONFINE);
        }
        libc::execve(a.path, a.argv, a.envp);
        fail(a.report, STAGE_EXEC)
    }
}

/// Reports the stage and errno to the parent and exits as a shell does when it cannot run a
/// command.
unsafe fn fail(report: libc::c_int, stage: u32) -> ! {
    // SAFETY: errno is read and written through the calling thread's own location; write
    // and _exit are async-signal-safe.
    unsafe {
        let errno = *libc::__errno_location();
        let mut bytes = [0u8; 8];
        bytes[..4].copy_from_slice(&stage.to_ne_bytes());
        bytes[4..].copy_from_slice(&errno.to_ne_bytes());
        libc::write(report, bytes.as_ptr() as *const libc::c_void, 8);
        libc::_exit(127)
    }
}

fn pipe() -> io::Result<(OwnedFd, OwnedFd)> {
    let mut fds = [0; 2];
    // SAFETY: pipe2 fills the two descriptors, which we then own.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: both descriptors were just created and are owned by nobody else.
    Ok(unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) })
}

/// A descriptor that becomes readable when the process exits (Linux 5.3 and later).
fn pidfd(pid: libc::pid_t) -> Option<OwnedFd> {
    // SAFETY: pidfd_open returns a new descriptor or -1.
    let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0) };
    // SAFETY: a descriptor just returned to us.
    (fd >= 0).then(|| unsafe { OwnedFd::from_raw_fd(fd as libc::c_int) })
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
        use std::os::unix::process::ExitStatusExt;
        if let Some(s) = self.status {
            return Ok(Some(s));
        }
        let mut status = 0;
        // SAFETY: reaping our own child without blocking.
        match unsafe { libc::waitpid(self.pid, &mut status, libc::WNOHANG) } {
            0 => Ok(None),
            -1 => Err(io::Error::last_os_error()),
            _ => {
                let s = std::process::ExitStatus::from_raw(status);
                self.status = Some(s);
                Ok(Some(s))
            }
        }
    }
}

impl Drop for Process {
    /// Kills a process nobody waited for (like tokio's `kill_on_drop`) and reaps it.
    fn drop(&mut self) {
        if self.status.is_some() {
            return;
        }
        // SAFETY: signalling and reaping our own child.
        unsafe {
            libc::kill(self.pid, libc::SIGKILL);
            let mut status = 0;
            libc::waitpid(self.pid, &mut status, 0);
        }
    }
}
