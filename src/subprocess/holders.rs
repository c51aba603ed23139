//! Processes that left a step's process group (`setsid`, a daemon) but still hold its output
//! pipes. Killing the group misses them; their open descriptors give them away once the
//! step's shell has exited, and they are killed then, so nothing the step started writes on.

use std::os::fd::OwnedFd;

/// The pipe's inode, which both its ends share: `/proc/<pid>/fd/<n>` of a holder links to
/// `pipe:[<inode>]`.
pub fn pipe_inode(fd: &OwnedFd) -> Option<u64> {
    crate::sys::process::inode(fd)
}

/// Sends SIGKILL to every other process holding one of the pipes; how many there were.
pub fn kill_holders(inodes: &[u64]) -> usize {
    let names: Vec<String> = inodes.iter().map(|i| format!("pipe:[{i}]")).collect();
    let own = std::process::id();
    let Ok(procs) = std::fs::read_dir("/proc") else {
        return 0;
    };
    let mut killed = 0;
    for pid in procs
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
    {
        if pid != own && holds(pid, &names) {
            // A process gone meanwhile is fine.
            crate::sys::process::kill(pid as libc::pid_t, libc::SIGKILL);
            killed += 1;
        }
    }
    killed
}

fn holds(pid: u32, names: &[String]) -> bool {
    let Ok(fds) = std::fs::read_dir(format!("/proc/{pid}/fd")) else {
        return false;
    };
    fds.flatten()
        .filter_map(|fd| std::fs::read_link(fd.path()).ok())
        .any(|link| names.iter().any(|n| link.as_os_str() == n.as_str()))
}
