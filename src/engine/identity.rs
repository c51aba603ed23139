//! Who an engine process is: the host name and pid in its lease owner (`host/pid/nonce`),
//! by which a process of this machine that died, or one that lives, is recognised; and the
//! runs an earlier process of this node (same stable node id) left `running`.

use super::Engine;
use crate::domain::RunStatus;
use crate::store::runs::RunRow;

impl Engine {
    /// Whether `run` is left `running` by an earlier process of this node (same stable node
    /// id, another lease owner): that process is dead, since one process at a time uses a
    /// node id, so its runs are taken back at once rather than when their leases run out.
    pub(crate) fn held_by_previous_incarnation(&self, run: &RunRow) -> bool {
        self.inner.config.node_id.is_some()
            && run.status == RunStatus::Running
            && run.node_id.as_deref() == Some(self.node_id())
            && run.lease_owner.as_deref().is_some_and(|o| o != self.owner())
    }
}

/// This machine's name, part of a lease owner so a dead local owner can be recognised.
pub(crate) fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .unwrap_or_else(|_| "localhost".into())
}

/// Whether a lease owner (`host/pid/nonce`) is a process of this machine that has died:
/// its run was left behind by a crash and can be taken over before the lease runs out.
pub(crate) fn owner_is_dead(owner: &str) -> bool {
    let mut parts = owner.split('/');
    let (Some(host), Some(pid)) = (parts.next(), parts.next().and_then(|p| p.parse::<i32>().ok())) else {
        return false;
    };
    if host != hostname() || pid as u32 == std::process::id() {
        return false;
    }
    !crate::sys::process::exists(pid)
}

/// Whether a lease owner (`host/pid/nonce`) is another process of this machine that is
/// alive.
pub(crate) fn owner_is_alive_here(owner: &str) -> bool {
    let mut parts = owner.split('/');
    let (Some(host), Some(pid)) = (parts.next(), parts.next().and_then(|p| p.parse::<i32>().ok())) else {
        return false;
    };
    host == hostname() && pid as u32 != std::process::id() && crate::sys::process::exists(pid)
}
