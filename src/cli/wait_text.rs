//! How the terminal words a wait: what a step waits for (`approval: "Approve the plan"`,
//! `sleep until 14:05:03`, `signal "deploy"`), and the commands that decide or continue it.
//! `run`'s progress, `runs`, `show` and the attendant of a waiting run all say it the same way.

use crate::domain::WaitKind;
use crate::engine::waits::ApprovalSpec;
use crate::store::waits::PendingWait;

/// What a step waits for, in a few words.
pub fn what(kind: WaitKind, title: Option<&str>, signal: Option<&str>, deadline: Option<&str>) -> String {
    match kind {
        WaitKind::Approval => format!("approval: \"{}\"", title.unwrap_or("?")),
        WaitKind::Sleep => format!("sleep until {}", deadline.map_or_else(|| "?".into(), local_time)),
        WaitKind::Signal => format!("signal \"{}\"", signal.unwrap_or("?")),
        WaitKind::Retry => format!("a person: {}", title.unwrap_or("its tries ran out")),
    }
}

/// A waiting step's state: `waiting for approval: "…"`, `sleeping until 14:05:03`,
/// `waiting for signal "deploy"`.
pub fn waiting(kind: WaitKind, title: Option<&str>, signal: Option<&str>, deadline: Option<&str>) -> String {
    let what = what(kind, title, signal, deadline);
    match kind {
        WaitKind::Sleep => what.replacen("sleep", "sleeping", 1),
        WaitKind::Approval | WaitKind::Signal | WaitKind::Retry => format!("waiting for {what}"),
    }
}

/// What a pending wait waits for (`what`, from its row).
pub fn of_pending(p: &PendingWait) -> String {
    let title = p
        .wait
        .kind
        .needs_a_person()
        .then(|| ApprovalSpec::parse(&p.wait.spec).title);
    what(
        p.wait.kind,
        title.as_deref(),
        p.wait.signal_name.as_deref(),
        p.wait.deadline.as_deref(),
    )
}

/// An RFC 3339 time as this machine's local time: `14:05:03` today, else with its date.
pub fn local_time(rfc3339: &str) -> String {
    let Ok(t) = chrono::DateTime::parse_from_rfc3339(rfc3339) else {
        return rfc3339.to_string();
    };
    let local = t.with_timezone(&chrono::Local);
    if local.date_naive() == chrono::Local::now().date_naive() {
        local.format("%H:%M:%S").to_string()
    } else {
        local.format("%Y-%m-%d %H:%M:%S").to_string()
    }
}

/// The commands that decide or continue each wait of run `run_id`, one block per wait.
pub fn how_to_continue(run_id: &str, waits: &[PendingWait]) -> Vec<String> {
    let mut lines = Vec::new();
    for p in waits {
        let key = &p.step.step_id;
        lines.push(format!("  {key}  {}", of_pending(p)));
        match p.wait.kind {
            WaitKind::Approval => {
                let cmd = format!("workflow-engine approve {run_id} {key}");
                lines.push(format!("    approve:          {cmd}"));
                lines.push(format!("    request changes:  {cmd} --request-changes -m \"...\""));
                lines.push(format!("    reject:           {cmd} --reject -m \"...\""));
            }
            WaitKind::Signal => {
                let name = p.wait.signal_name.as_deref().unwrap_or("?");
                lines.push(format!(
                    "    send it:          workflow-engine signal {run_id} {name} --payload '{{...}}'"
                ));
            }
            WaitKind::Sleep => lines.push(format!(
                "    it wakes by itself under a server, or with: workflow-engine resume {run_id}"
            )),
            WaitKind::Retry => {
                let cmd = format!("workflow-engine approve {run_id} {key}");
                lines.push(format!("    try it again:     {cmd} --retry"));
                lines.push(format!("    skip it:          {cmd} --skip --value '{{...}}'"));
                lines.push(format!("    fail it:          {cmd} --fail -m \"...\""));
            }
        }
    }
    lines
}
