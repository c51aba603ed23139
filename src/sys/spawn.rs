//! Starting a program without `fork`, and the process's end: its exit descriptor, reaping.
//!
//! A child that must die with the engine (`PR_SET_PDEATHSIG`) is one `posix_spawn` cannot
//! start, so the standard library falls back to `fork` + `exec` for it. A fork copies the
//! engine's page tables and leaves every page it had copy-on-write, so the engine's threads
//! then fault on their own memory and shoot down each other's TLBs: in a busy server that
//! cost more than the step itself. `spawn` does what `posix_spawn` does (`clone` with
//! `CLONE_VM | CLONE_VFORK`: the child borrows the engine's memory until it execs) and sets
//! the death signal on the way. Everything the child touches is prepared before the clone;
//! the child only makes system calls.

use std::ffi::{CStr, CString};
use std::io;
use std::os::fd::{AsRawFd, BorrowedFd, FromRawFd, OwnedFd};

/// Stack of the cloned child until it execs; it only runs the system calls below.
const CHILD_STACK_BYTES: usize = 64 * 1024;

/// A program to start: every string already a C string, so the child allocates nothing.
pub struct Exec<'a> {
    pub path: &'a CStr,
    pub argv: &'a [CString],
    /// `NAME=value` entries, the child's whole environment.
    pub envp: &'a [CString],
    pub cwd: &'a CStr,
    /// The child's stdin, stdout and stderr.
    pub stdio: [BorrowedFd<'a>; 3],
    pub before_exec: Option<BeforeExec>,
}

/// A call the child makes after its setup, just before `exec` (a Landlock restriction).
#[derive(Clone, Copy)]
pub struct BeforeExec {
    call: unsafe fn(libc::c_int) -> libc::c_int,
    arg: libc::c_int,
}

impl BeforeExec {
    /// `call(arg)`, returning 0 on success or -1 with errno set.
    ///
    /// # Safety
    /// `call` must make only async-signal-safe calls and allocate nothing: it runs in a
    /// vfork child, on the parent's memory.
    pub unsafe fn new(call: unsafe fn(libc::c_int) -> libc::c_int, arg: libc::c_int) -> BeforeExec {
        BeforeExec { call, arg }
    }
}

/// Where the child failed, before its program could run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// Entering the working directory.
    Chdir,
    /// The caller's `BeforeExec`.
    BeforeExec,
    /// `execve` itself (no such program, not executable).
    Exec,
}

/// Why `spawn` has no process to give back.
#[derive(Debug)]
pub enum SpawnError {
    /// The clone itself failed (no process was made).
    Clone(io::Error),
    /// The child failed at `Stage` and was reaped.
    Child(Stage, io::Error),
}

/// Everything the child needs, as raw pointers into memory the parent keeps alive.
struct ChildArgs {
    path: *const libc::c_char,
    argv: *const *const libc::c_char,
    envp: *const *const libc::c_char,
    cwd: *const libc::c_char,
    fds: [libc::c_int; 3],
    before_exec: Option<BeforeExec>,
    /// Written with the stage and errno of a failure; closed by a successful exec.
    report: libc::c_int,
}

/// Starts `exec` in a new process group, dying with this process (`PR_SET_PDEATHSIG`), with
/// default signal handling, through `clone(CLONE_VM | CLONE_VFORK)` instead of a fork (see
/// the module's doc for why). Returns once the program runs, or with where it failed.
pub fn spawn(exec: &Exec) -> Result<libc::pid_t, SpawnError> {
    let argv: Vec<*const libc::c_char> = exec.argv.iter().map(|s| s.as_ptr()).chain([std::ptr::null()]).collect();
    let envp: Vec<*const libc::c_char> = exec.envp.iter().map(|s| s.as_ptr()).chain([std::ptr::null()]).collect();
    let (report_r, report_w) = pipe().map_err(SpawnError::Clone)?;
    let args = ChildArgs {
        path: exec.path.as_ptr(),
        argv: argv.as_ptr(),
        envp: envp.as_ptr(),
        cwd: exec.cwd.as_ptr(),
        fds: exec.stdio.map(|fd| fd.as_raw_fd()),
        before_exec: exec.before_exec,
        report: report_w.as_raw_fd(),
    };
    let pid = clone_vfork(&args).map_err(SpawnError::Clone)?;
    drop(report_w);
    match read_report(report_r) {
        None => Ok(pid),
        Some((stage, error)) => {
            wait_blocking(pid);
            Err(SpawnError::Child(stage, error))
        }
    }
}

/// Runs `child_main(args)` in a child sharing our memory; returns when it has exec'd or
/// exited (CLONE_VFORK).
fn clone_vfork(args: &ChildArgs) -> io::Result<libc::pid_t> {
    let mut stack = vec![0u8; CHILD_STACK_BYTES];
    // SAFETY: the child runs `child_main` on `stack` while this thread is suspended
    // (CLONE_VFORK) until it execs or exits, so `args` and everything it points to outlive
    // it; it calls only async-signal-safe functions. Signals are blocked around the clone so
    // that no handler of the engine's runs on the child's stack.
    unsafe {
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
            args as *const ChildArgs as *mut libc::c_void,
        );
        let err = io::Error::last_os_error();
        libc::pthread_sigmask(libc::SIG_SETMASK, &old, std::ptr::null_mut());
        if pid < 0 {
            return Err(err);
        }
        Ok(pid)
    }
}

/// The child's failure, if it wrote one before its `exec` closed the pipe.
fn read_report(report: OwnedFd) -> Option<(Stage, io::Error)> {
    let mut failed = [0u8; 8];
    let mut report = std::fs::File::from(report);
    if std::io::Read::read(&mut report, &mut failed).unwrap_or(0) != 8 {
        return None;
    }
    let stage = match u32::from_ne_bytes(failed[..4].try_into().expect("4 bytes")) {
        STAGE_CHDIR => Stage::Chdir,
        STAGE_BEFORE_EXEC => Stage::BeforeExec,
        _ => Stage::Exec,
    };
    let errno = i32::from_ne_bytes(failed[4..].try_into().expect("4 bytes"));
    Some((stage, io::Error::from_raw_os_error(errno)))
}

/// The stages as the child reports them.
const STAGE_CHDIR: u32 = 1;
const STAGE_BEFORE_EXEC: u32 = 2;
const STAGE_EXEC: u32 = 3;

/// The child: death signal, own process group, stdio, directory, default signal handling,
/// the caller's last call, then `exec`. Any failure is reported to the parent as an errno.
extern "C" fn child_main(arg: *mut libc::c_void) -> libc::c_int {
    // SAFETY: `arg` is the parent's `ChildArgs`, alive while the parent waits (CLONE_VFORK);
    // only async-signal-safe calls follow (`before_exec` promised as much).
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
        reset_signals();
        if let Some(before) = a.before_exec {
            if (before.call)(before.arg) != 0 {
                fail(a.report, STAGE_BEFORE_EXEC);
            }
        }
        libc::execve(a.path, a.argv, a.envp);
        fail(a.report, STAGE_EXEC)
    }
}

/// Handlers are the engine's code; a new program starts with the defaults (and SIGPIPE,
/// which Rust ignores, back to terminating) and no signal blocked.
///
/// # Safety
/// Only for the vfork child: it changes the dispositions of the calling process.
unsafe fn reset_signals() {
    // SAFETY: sigaction and sigprocmask are async-signal-safe; the structs are ours.
    unsafe {
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

/// A pipe (read end, write end), both closed on exec, so only the descriptors a child is
/// given as its stdio cross into it.
pub fn pipe() -> io::Result<(OwnedFd, OwnedFd)> {
    let mut fds = [0; 2];
    // SAFETY: pipe2 fills the two descriptors, which we then own.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: both descriptors were just created and are owned by nobody else.
    Ok(unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) })
}

/// A descriptor that becomes readable when the process exits (`pidfd_open`, Linux 5.3 and
/// later), so waiting for a child needs no thread and no polling; None on older kernels.
pub fn pidfd(pid: libc::pid_t) -> Option<OwnedFd> {
    // SAFETY: pidfd_open returns a new descriptor or -1.
    let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0) };
    // SAFETY: a descriptor just returned to us.
    (fd >= 0).then(|| unsafe { OwnedFd::from_raw_fd(fd as libc::c_int) })
}

/// Reaps our child `pid` if it has exited (`waitpid` with `WNOHANG`), without blocking.
pub fn try_wait(pid: libc::pid_t) -> io::Result<Option<std::process::ExitStatus>> {
    use std::os::unix::process::ExitStatusExt;
    let mut status = 0;
    // SAFETY: reaping our own child without blocking.
    match unsafe { libc::waitpid(pid, &mut status, libc::WNOHANG) } {
        0 => Ok(None),
        -1 => Err(io::Error::last_os_error()),
        _ => Ok(Some(std::process::ExitStatus::from_raw(status))),
    }
}

/// Waits for our child `pid` to exit and reaps it, so no zombie is left.
pub fn wait_blocking(pid: libc::pid_t) {
    let mut status = 0;
    // SAFETY: reaping our own child.
    unsafe { libc::waitpid(pid, &mut status, 0) };
}
