//! Child processes in their own process group, so that a cancel or a timeout can stop the
//! command and everything it started.

use std::time::Duration;

use tokio::process::Child;

/// How long a group gets between SIGTERM and SIGKILL.
pub const KILL_GRACE: Duration = Duration::from_secs(2);

/// Resolves once `stop` turns true; never, if nobody can turn it any more.
pub async fn stop_requested(stop: &mut tokio::sync::watch::Receiver<bool>) {
    while !*stop.borrow() {
        if stop.changed().await.is_err() {
            std::future::pending::<()>().await;
        }
    }
}

/// Resolves after `timeout`; never without one.
pub async fn deadline(timeout: Option<Duration>) {
    match timeout {
        Some(t) => tokio::time::sleep(t).await,
        None => std::future::pending().await,
    }
}

pub use crate::sys::process::signal_group;

/// Stops an agent's group the way a person at the terminal would, then harder: SIGINT (the
/// CLI can end its turn and save its session), SIGTERM, SIGKILL, `KILL_GRACE` apart.
pub async fn interrupt_group(child: &mut Child) -> Option<std::process::ExitStatus> {
    let pid = child.id()?;
    for signal in [libc::SIGINT, libc::SIGTERM] {
        signal_group(pid, signal);
        if let Ok(status) = tokio::time::timeout(KILL_GRACE, child.wait()).await {
            signal_group(pid, libc::SIGKILL);
            return status.ok();
        }
    }
    signal_group(pid, libc::SIGKILL);
    child.wait().await.ok()
}

/// Describes how a process ended, for error messages.
pub fn describe_exit(status: &std::process::ExitStatus) -> String {
    use std::os::unix::process::ExitStatusExt;
    match (status.code(), status.signal()) {
        (Some(code), _) => format!("exited with code {code}"),
        (None, Some(sig)) => format!("was killed by signal {sig}"),
        _ => "ended".to_string(),
    }
}

/// Makes the child die with the engine: a `kill -9` of the engine must not leave a step
/// running on with nobody to record it (the step runs again on resume).
pub fn die_with_parent(cmd: &mut tokio::process::Command) {
    crate::sys::process::kill_with_parent(cmd);
}
