//! Signals and facts about processes: signalling one or a group, whether a pid lives, who
//! we run as, what the C library allows an exec.

use std::os::fd::{AsRawFd, OwnedFd};

/// Sends `signal` to process `pid`; a process already gone is fine (ESRCH is ignored).
pub fn kill(pid: libc::pid_t, signal: libc::c_int) {
    // SAFETY: kill has no memory-safety preconditions.
    unsafe { libc::kill(pid, signal) };
}

/// Sends `signal` to the whole process group led by `pgid`; a group already gone is fine.
pub fn signal_group(pgid: u32, signal: libc::c_int) {
    // SAFETY: killpg has no memory-safety preconditions; errors (ESRCH) are ignored.
    unsafe { libc::killpg(pgid as libc::pid_t, signal) };
}

/// Whether a process `pid` exists on this machine (signal 0 checks without sending; EPERM
/// means it exists but is another user's).
pub fn exists(pid: libc::pid_t) -> bool {
    // SAFETY: kill with signal 0 only checks for existence.
    let checked = unsafe { libc::kill(pid, 0) };
    checked == 0 || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
}

/// Whether this process runs as root (effective uid 0).
pub fn running_as_root() -> bool {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() == 0 }
}

/// `ARG_MAX` as the C library reports it (`sysconf`), 0 when it cannot say.
pub fn arg_max() -> usize {
    // SAFETY: sysconf only reads.
    let n = unsafe { libc::sysconf(libc::_SC_ARG_MAX) };
    usize::try_from(n).unwrap_or(0)
}

/// Makes the child `cmd` starts get SIGKILL when this process dies (`PR_SET_PDEATHSIG`),
/// set between its fork and its exec.
pub fn kill_with_parent(cmd: &mut tokio::process::Command) {
    // SAFETY: prctl is async-signal-safe; it runs in the child between fork and exec.
    unsafe {
        cmd.pre_exec(|| {
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
            Ok(())
        });
    }
}

/// Ignores SIGINT and SIGHUP in this process, so a terminal's Ctrl-C or hang-up does not
/// end it.
pub fn ignore_terminal_signals() {
    // SAFETY: setting a disposition to SIG_IGN installs no handler of ours.
    unsafe {
        libc::signal(libc::SIGINT, libc::SIG_IGN);
        libc::signal(libc::SIGHUP, libc::SIG_IGN);
    }
}

/// The inode of the file or pipe `fd` is open on (`fstat`): a pipe's two ends share it.
pub fn inode(fd: &OwnedFd) -> Option<u64> {
    // SAFETY: fstat fills the struct for an open descriptor.
    unsafe {
        let mut st: libc::stat = std::mem::zeroed();
        (libc::fstat(fd.as_raw_fd(), &mut st) == 0).then_some(st.st_ino)
    }
}
