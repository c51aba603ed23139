//! Which events notify, and the JSON body each becomes (documented in README.md,
//! "Notifications"), signed with the webhook's secret.

use serde::Serialize;

use crate::domain::{RunStatus, WaitKind};
use crate::events::Event;

/// An event that notifies, with what the event itself says; the run's names come from the
/// store when it is delivered.
#[derive(Debug, Clone, PartialEq)]
pub enum Trigger {
    /// An approval gate began to wait for a person.
    Waiting {
        run_id: String,
        project_id: String,
        step_id: String,
        step_key: String,
        step_name: String,
        title: Option<String>,
    },
    Failed {
        run_id: String,
        project_id: String,
        error: Option<String>,
    },
    Completed {
        run_id: String,
        project_id: String,
    },
}

impl Trigger {
    /// The notification `event` names: `workflow.step.waiting` of an approval (or of a step
    /// whose retries ran out, which waits for a person too), and a run's
    /// status becoming `failed` or `completed`. Everything else (a sleep or a signal wait,
    /// the run's own `waiting` status) is not for people.
    pub fn of(event: &Event) -> Option<Trigger> {
        match event {
            Event::StepWaiting {
                execution_id,
                step_id,
                step_key,
                step_name,
                kind: WaitKind::Approval | WaitKind::Retry,
                title,
                project_id,
                ..
            } => Some(Trigger::Waiting {
                run_id: execution_id.clone(),
                project_id: project_id.clone(),
                step_id: step_id.clone(),
                step_key: step_key.clone(),
                step_name: step_name.clone(),
                title: title.clone(),
            }),
            Event::StatusChanged {
                execution_id,
                status: RunStatus::Failed,
                project_id,
                error_message,
            } => Some(Trigger::Failed {
                run_id: execution_id.clone(),
                project_id: project_id.clone(),
                error: error_message.clone(),
            }),
            Event::StatusChanged {
                execution_id,
                status: RunStatus::Completed,
                project_id,
                ..
            } => Some(Trigger::Completed {
                run_id: execution_id.clone(),
                project_id: project_id.clone(),
            }),
            _ => None,
        }
    }

    /// The `event` of the payload and of `X-Workflow-Engine-Event`.
    pub fn name(&self) -> &'static str {
        match self {
            Trigger::Waiting { .. } => "run.waiting",
            Trigger::Failed { .. } => "run.failed",
            Trigger::Completed { .. } => "run.completed",
        }
    }

    pub fn run_id(&self) -> &str {
        match self {
            Trigger::Waiting { run_id, .. } | Trigger::Failed { run_id, .. } | Trigger::Completed { run_id, .. } => {
                run_id
            }
        }
    }

    pub fn project_id(&self) -> &str {
        match self {
            Trigger::Waiting { project_id, .. }
            | Trigger::Failed { project_id, .. }
            | Trigger::Completed { project_id, .. } => project_id,
        }
    }
}

/// What the store knows of the run: its name, its workflow's and its project's.
#[derive(Debug, Clone, Default)]
pub struct RunNames {
    pub name: String,
    pub workflow: String,
    pub project: String,
}

/// The step a notification is about: the waiting gate, or the step a run failed at.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StepPart {
    /// The step row's id (as in the API and the events' `step_id`).
    pub id: String,
    /// The id the workflow gave the step (`approve-plan`).
    pub key: String,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RunPart {
    pub id: String,
    pub name: String,
    pub status: RunStatus,
    pub workflow: String,
    pub project_id: String,
    pub project: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// The body POSTed to the webhook.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Payload {
    pub event: &'static str,
    /// When the engine noticed the event (RFC 3339, UTC).
    pub at: String,
    pub run: RunPart,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub step: Option<StepPart>,
    /// One line for people: "Approve the plan — run Fix login".
    pub title: String,
    /// The run's page on the board.
    pub url: String,
}

/// The most characters of the `title` line (an error's first line can be long).
const TITLE_MAX_CHARS: usize = 200;

/// The body for `trigger`. `failed_step` is the step a failed run failed at, if the store
/// knows one; `public_url` has no trailing `/`.
pub fn payload(
    trigger: &Trigger,
    names: &RunNames,
    failed_step: Option<StepPart>,
    public_url: &str,
    at: String,
) -> Payload {
    let (status, error, step) = match trigger {
        Trigger::Waiting {
            step_id,
            step_key,
            step_name,
            title,
            ..
        } => (
            RunStatus::Waiting,
            None,
            Some(StepPart {
                id: step_id.clone(),
                key: step_key.clone(),
                name: step_name.clone(),
                title: title.clone().filter(|t| !t.trim().is_empty()),
            }),
        ),
        Trigger::Failed { error, .. } => (RunStatus::Failed, error.clone(), failed_step),
        Trigger::Completed { .. } => (RunStatus::Completed, None, None),
    };
    let title = match (trigger, &step) {
        (Trigger::Waiting { .. }, Some(s)) => {
            format!("{} — run {}", s.title.as_deref().unwrap_or(&s.name), names.name)
        }
        (Trigger::Failed { .. }, _) => match error.as_deref().and_then(|e| e.lines().find(|l| !l.trim().is_empty())) {
            Some(line) => format!("Run {} failed: {}", names.name, line.trim()),
            None => format!("Run {} failed", names.name),
        },
        _ => format!("Run {} completed", names.name),
    };
    let url = format!("{public_url}/p/{}/runs/{}", trigger.project_id(), trigger.run_id());
    Payload {
        event: trigger.name(),
        at,
        run: RunPart {
            id: trigger.run_id().to_string(),
            name: names.name.clone(),
            status,
            workflow: names.workflow.clone(),
            project_id: trigger.project_id().to_string(),
            project: names.project.clone(),
            error,
        },
        step,
        title: cut(title, TITLE_MAX_CHARS),
        url,
    }
}

fn cut(text: String, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text,
    }
}

/// `X-Workflow-Engine-Signature`: `sha256=` and the hex HMAC-SHA256 of the body's bytes.
pub fn signature(secret: &str, body: &[u8]) -> String {
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, secret.as_bytes());
    let tag = ring::hmac::sign(&key, body);
    let mut hex = String::with_capacity(7 + 64);
    hex.push_str("sha256=");
    for b in tag.as_ref() {
        hex.push_str(&format!("{b:02x}"));
    }
    hex
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::StepStatus;

    fn names() -> RunNames {
        RunNames {
            name: "Fix login".into(),
            workflow: "Feature".into(),
            project: "web".into(),
        }
    }

    #[test]
    fn an_approval_waiting_becomes_run_waiting_with_its_gate() {
        let event = Event::StepWaiting {
            execution_id: "r1".into(),
            step_id: "row1".into(),
            step_key: "approve-plan".into(),
            step_name: "Approve plan".into(),
            kind: WaitKind::Approval,
            phase: "plan".into(),
            title: Some("Approve the plan".into()),
            signal_name: None,
            deadline: None,
            project_id: "p1".into(),
        };
        let trigger = Trigger::of(&event).expect("an approval notifies");
        assert_eq!(trigger.name(), "run.waiting");
        let p = payload(
            &trigger,
            &names(),
            None,
            "http://board:4820",
            "2026-12-05T13:00:00Z".into(),
        );
        assert_eq!(
            serde_json::to_value(&p).unwrap(),
            serde_json::json!({
                "event": "run.waiting",
                "at": "2026-12-05T13:00:00Z",
                "run": { "id": "r1", "name": "Fix login", "status": "waiting", "workflow": "Feature",
                         "project_id": "p1", "project": "web" },
                "step": { "id": "row1", "key": "approve-plan", "name": "Approve plan", "title": "Approve the plan" },
                "title": "Approve the plan — run Fix login",
                "url": "http://board:4820/p/p1/runs/r1"
            })
        );
        // No title: the step's name.
        let mut untitled = trigger.clone();
        if let Trigger::Waiting { title, .. } = &mut untitled {
            *title = None;
        }
        assert_eq!(
            payload(&untitled, &names(), None, "", String::new()).title,
            "Approve plan — run Fix login"
        );
    }

    #[test]
    fn sleeps_signals_and_other_statuses_do_not_notify() {
        for kind in [WaitKind::Sleep, WaitKind::Signal] {
            let event = Event::StepWaiting {
                execution_id: "r1".into(),
                step_id: "row1".into(),
                step_key: "nap".into(),
                step_name: "nap".into(),
                kind,
                phase: "p".into(),
                title: None,
                signal_name: None,
                deadline: None,
                project_id: "p1".into(),
            };
            assert_eq!(Trigger::of(&event), None);
        }
        for status in [
            RunStatus::Waiting,
            RunStatus::Running,
            RunStatus::Paused,
            RunStatus::Cancelled,
        ] {
            let event = Event::StatusChanged {
                execution_id: "r1".into(),
                status,
                project_id: "p1".into(),
                error_message: None,
            };
            assert_eq!(Trigger::of(&event), None, "{status}");
        }
        let step_failed = Event::StepCompleted {
            execution_id: "r1".into(),
            step_id: "s".into(),
            step_key: "k".into(),
            status: StepStatus::Failed,
            error: Some("x".into()),
            duration_ms: 1,
            project_id: "p1".into(),
            warnings: Vec::new(),
        };
        assert_eq!(Trigger::of(&step_failed), None);
    }

    #[test]
    fn failed_and_completed_runs() {
        let failed = Trigger::of(&Event::StatusChanged {
            execution_id: "r1".into(),
            status: RunStatus::Failed,
            project_id: "p1".into(),
            error_message: Some("\nstep build: exit code 2\nmore".into()),
        })
        .unwrap();
        let step = StepPart {
            id: "row2".into(),
            key: "build".into(),
            name: "Build".into(),
            title: None,
        };
        let p = payload(&failed, &names(), Some(step.clone()), "http://h", "t".into());
        assert_eq!(p.event, "run.failed");
        assert_eq!(p.run.status, RunStatus::Failed);
        assert_eq!(p.run.error.as_deref(), Some("\nstep build: exit code 2\nmore"));
        assert_eq!(p.step, Some(step));
        assert_eq!(p.title, "Run Fix login failed: step build: exit code 2");
        let completed = Trigger::of(&Event::StatusChanged {
            execution_id: "r1".into(),
            status: RunStatus::Completed,
            project_id: "p1".into(),
            error_message: None,
        })
        .unwrap();
        let v = serde_json::to_value(payload(&completed, &names(), None, "http://h", "t".into())).unwrap();
        assert_eq!(v["event"], "run.completed");
        assert_eq!(v["title"], "Run Fix login completed");
        assert_eq!(v["url"], "http://h/p/p1/runs/r1");
        assert!(v.get("step").is_none() && v["run"].get("error").is_none(), "{v}");
        let long = Trigger::Failed {
            run_id: "r".into(),
            project_id: "p".into(),
            error: Some("é".repeat(500)),
        };
        assert_eq!(
            payload(&long, &names(), None, "", String::new()).title.chars().count(),
            201
        );
    }

    /// The RFC 4231 test case 2 ("Jefe"), as a receiver would compute it.
    #[test]
    fn the_signature_is_hmac_sha256_of_the_body_in_hex() {
        assert_eq!(
            signature("Jefe", b"what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}
