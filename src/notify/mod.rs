//! Webhook notifications: a JSON POST to the configured URL when a run starts waiting for a
//! person, fails or completes, signed with an HMAC of its body (`payload`), retried with
//! backoff, never in a run's way.
//!
//! A subscriber of the event bus picks out the events that notify (`payload::Trigger`) and
//! puts them on a bounded queue without waiting: a full queue drops the notification (and
//! says so in the log) rather than slow the bus. Deliveries run as tasks of their own, a few
//! at a time; each looks the run up in the store, POSTs, and retries a failure after 1 s,
//! 2 s, 4 s … The configuration is `config` (the file's `notifications:` section and
//! `WORKFLOW_ENGINE_WEBHOOK_*`).

pub mod config;
pub mod payload;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::broadcast::{self, error::RecvError};
use tokio::sync::{mpsc, oneshot, Notify, Semaphore};

use crate::domain::StepStatus;
use crate::events::{Event, EventBus};
use crate::store::definitions::DefinitionRow;
use crate::store::projects::ProjectRow;
use crate::store::runs::RunRow;
use crate::store::steps::StepRow;
use crate::store::Store;
pub use config::WebhookConfig;
use payload::{RunNames, StepPart, Trigger};

/// Notifications waiting for a delivery task; more are dropped.
pub const QUEUE_CAPACITY: usize = 256;
/// Deliveries in flight at once (each may be waiting out a dead receiver's timeout).
pub const CONCURRENT_DELIVERIES: usize = 8;
/// The wait before the second attempt; doubled for each next one, up to `MAX_BACKOFF`.
pub const FIRST_BACKOFF: Duration = Duration::from_secs(1);
pub const MAX_BACKOFF: Duration = Duration::from_secs(60);

/// The running notifier: a handle to wait for what it still has to deliver.
pub struct Notifier {
    drain: mpsc::Sender<oneshot::Sender<()>>,
    pending: Arc<Pending>,
}

/// Notifications queued or being delivered, and a wake-up when one is done.
#[derive(Default)]
struct Pending {
    count: AtomicUsize,
    done: Notify,
}

/// What each delivery needs, shared.
struct Sender {
    config: WebhookConfig,
    /// The URL as the log names it: scheme, host and port only (a path can hold a token).
    receiver: String,
    public_url: String,
    store: Store,
    client: reqwest::Client,
}

impl Notifier {
    /// Subscribes to `bus` and delivers to `config`'s URL from now on. `default_public_url`
    /// is the board's address when the configuration names none (the server's own).
    pub fn start(config: WebhookConfig, default_public_url: &str, store: Store, bus: &EventBus) -> Notifier {
        let public_url = config
            .public_url
            .clone()
            .unwrap_or_else(|| default_public_url.trim_end_matches('/').to_string());
        let client = reqwest::Client::builder()
            .timeout(config.timeout)
            .connect_timeout(config.timeout)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("workflow-engine/", env!("CARGO_PKG_VERSION")))
            .build()
            .expect("an HTTP client without TLS builds");
        let sender = Arc::new(Sender {
            receiver: origin(&config.url),
            config,
            public_url,
            store,
            client,
        });
        let pending = Arc::new(Pending::default());
        let (queue_tx, queue_rx) = mpsc::channel(QUEUE_CAPACITY);
        let (drain_tx, drain_rx) = mpsc::channel(4);
        // Subscribed now, not when the task first runs: no event emitted after `start` is missed.
        tokio::spawn(listen(bus.subscribe(), queue_tx, drain_rx, pending.clone()));
        tokio::spawn(dispatch(queue_rx, sender, pending.clone()));
        Notifier {
            drain: drain_tx,
            pending,
        }
    }

    /// Waits, at most `grace`, until every notification of the events emitted so far has been
    /// delivered or given up (the terminal's `run` before it exits). Whether all were.
    pub async fn drain(&self, grace: Duration) -> bool {
        let all_done = async {
            // The listener answers once it has taken every event already on the bus.
            let (tx, rx) = oneshot::channel();
            if self.drain.send(tx).await.is_ok() {
                let _ = rx.await;
            }
            loop {
                let done = self.pending.done.notified();
                if self.pending.count.load(Ordering::SeqCst) == 0 {
                    return;
                }
                done.await;
            }
        };
        tokio::time::timeout(grace, all_done).await.is_ok()
    }

    pub fn pending(&self) -> usize {
        self.pending.count.load(Ordering::SeqCst)
    }
}

/// Takes events off the bus as they come and queues those that notify, never waiting.
async fn listen(
    mut events: broadcast::Receiver<Event>,
    queue: mpsc::Sender<Trigger>,
    mut drains: mpsc::Receiver<oneshot::Sender<()>>,
    pending: Arc<Pending>,
) {
    loop {
        tokio::select! {
            // Events first: a drain is answered only once none is left.
            biased;
            event = events.recv() => match event {
                Ok(event) => {
                    let Some(trigger) = Trigger::of(&event) else { continue };
                    pending.count.fetch_add(1, Ordering::SeqCst);
                    if let Err(e) = queue.try_send(trigger) {
                        pending.count.fetch_sub(1, Ordering::SeqCst);
                        pending.done.notify_waiters();
                        let trigger = match e {
                            mpsc::error::TrySendError::Full(t) | mpsc::error::TrySendError::Closed(t) => t,
                        };
                        tracing::warn!(
                            event = trigger.name(),
                            run = trigger.run_id(),
                            "webhook: {QUEUE_CAPACITY} notifications are waiting for the receiver already; this one is dropped"
                        );
                    }
                }
                Err(RecvError::Lagged(n)) => {
                    tracing::warn!("webhook: fell {n} events behind the bus; notifications among them are lost");
                }
                Err(RecvError::Closed) => break,
            },
            Some(ack) = drains.recv() => {
                let _ = ack.send(());
            }
        }
    }
}

/// Starts a delivery for each queued notification, `CONCURRENT_DELIVERIES` at a time.
async fn dispatch(mut queue: mpsc::Receiver<Trigger>, sender: Arc<Sender>, pending: Arc<Pending>) {
    let slots = Arc::new(Semaphore::new(CONCURRENT_DELIVERIES));
    while let Some(trigger) = queue.recv().await {
        let Ok(slot) = slots.clone().acquire_owned().await else {
            break;
        };
        let sender = sender.clone();
        let pending = pending.clone();
        tokio::spawn(async move {
            sender.deliver(trigger).await;
            drop(slot);
            pending.count.fetch_sub(1, Ordering::SeqCst);
            pending.done.notify_waiters();
        });
    }
}

/// How one attempt ended.
enum Attempt {
    Delivered,
    /// Worth another try: no answer, a time-out, a 5xx, 408 or 429.
    Retry(String),
    /// The receiver refused it for good (another 4xx, a redirect).
    Refused(String),
}

impl Sender {
    /// Builds the body and POSTs it until it is taken or the attempts run out.
    async fn deliver(&self, trigger: Trigger) {
        let body = match self.body(&trigger).await {
            Ok(b) => b,
            Err(e) => {
                tracing::warn!(event = trigger.name(), run = trigger.run_id(), "webhook: not sent: {e}");
                return;
            }
        };
        let signature = payload::signature(&self.config.secret, &body);
        let delivery = uuid::Uuid::now_v7().to_string();
        let attempts = self.config.attempts;
        for attempt in 1..=attempts {
            let why = match self.attempt(trigger.name(), &delivery, &signature, &body).await {
                Attempt::Delivered => {
                    tracing::debug!(event = trigger.name(), run = trigger.run_id(), %delivery, attempt, "webhook: delivered");
                    return;
                }
                Attempt::Refused(why) => {
                    tracing::warn!(
                        event = trigger.name(),
                        run = trigger.run_id(),
                        %delivery,
                        attempt,
                        "webhook: {} refused the notification ({why}); not retried",
                        self.receiver
                    );
                    return;
                }
                Attempt::Retry(why) => why,
            };
            if attempt == attempts {
                tracing::error!(
                    event = trigger.name(),
                    run = trigger.run_id(),
                    %delivery,
                    "webhook: giving up on {} after {attempts} attempts; the last: {why}",
                    self.receiver
                );
                return;
            }
            let wait = backoff(attempt);
            tracing::warn!(
                event = trigger.name(),
                run = trigger.run_id(),
                %delivery,
                attempt,
                "webhook: attempt {attempt} of {attempts} to {} failed ({why}); again in {wait:?}",
                self.receiver
            );
            tokio::time::sleep(wait).await;
        }
    }

    async fn attempt(&self, event: &str, delivery: &str, signature: &str, body: &[u8]) -> Attempt {
        let sent = self
            .client
            .post(&self.config.url)
            .header("Content-Type", "application/json")
            .header("X-Workflow-Engine-Event", event)
            .header("X-Workflow-Engine-Delivery", delivery)
            .header("X-Workflow-Engine-Signature", signature)
            .body(body.to_vec())
            .send()
            .await;
        let status = match sent {
            Ok(response) => response.status(),
            Err(e) if e.is_timeout() => return Attempt::Retry(format!("no answer within {:?}", self.config.timeout)),
            // Without the URL: its path can hold a token.
            Err(e) => return Attempt::Retry(error_chain(&e.without_url())),
        };
        let code = status.as_u16();
        if status.is_success() {
            Attempt::Delivered
        } else if status.is_server_error() || code == 408 || code == 429 {
            Attempt::Retry(format!("HTTP {code}"))
        } else {
            Attempt::Refused(format!("HTTP {code}"))
        }
    }

    /// The payload's bytes: the trigger with the run's names from the store.
    async fn body(&self, trigger: &Trigger) -> Result<Vec<u8>, String> {
        let store = &self.store;
        let run = RunRow::get(store, trigger.run_id())
            .await
            .map_err(|e| e.to_string())?
            .ok_or("the run is gone")?;
        let workflow = DefinitionRow::get(store, &run.workflow_definition_id)
            .await
            .map_err(|e| e.to_string())?
            .map(|d| d.name)
            .unwrap_or_default();
        let project = ProjectRow::get(store, &run.project_id)
            .await
            .map_err(|e| e.to_string())?
            .map(|p| p.name)
            .unwrap_or_default();
        let failed_step = match trigger {
            Trigger::Failed { .. } => failed_step(store, &run.id).await,
            _ => None,
        };
        let names = RunNames {
            name: run.name,
            workflow,
            project,
        };
        let at = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        let body = payload::payload(trigger, &names, failed_step, &self.public_url, at);
        serde_json::to_vec(&body).map_err(|e| e.to_string())
    }
}

/// The step a failed run failed at: its last failed step, if any (a run can also fail
/// outside a step, by its timeout or its workflow's own error).
async fn failed_step(store: &Store, run_id: &str) -> Option<StepPart> {
    let steps = StepRow::list_for_run(store, run_id).await.ok()?;
    steps
        .into_iter()
        .filter(|s| s.status == StepStatus::Failed)
        .max_by(|a, b| a.completed_at.cmp(&b.completed_at))
        .map(|s| StepPart {
            id: s.id,
            key: s.step_id,
            name: s.name,
            title: None,
        })
}

/// The wait after attempt `n` (1, 2, ...): 1 s, 2 s, 4 s, … at most `MAX_BACKOFF`.
fn backoff(n: u32) -> Duration {
    FIRST_BACKOFF
        .saturating_mul(2u32.saturating_pow(n.saturating_sub(1)))
        .min(MAX_BACKOFF)
}

/// `http://host:port` of a URL, for the log.
fn origin(url: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("http", url));
    let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host = host.rsplit('@').next().unwrap_or(host);
    format!("{scheme}://{host}")
}

/// An error with its causes ("error sending request: connection refused").
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn completed(run: &str) -> Event {
        Event::StatusChanged {
            execution_id: run.into(),
            status: crate::domain::RunStatus::Completed,
            project_id: "p".into(),
            error_message: None,
        }
    }

    /// A receiver that takes nothing fills the queue; the next notifications are dropped,
    /// and the bus (the runs emitting on it) never waits.
    #[tokio::test]
    async fn a_full_queue_drops_notifications_and_never_blocks_the_bus() {
        let bus = EventBus::default();
        let (queue_tx, mut queue_rx) = mpsc::channel(2);
        let (drain_tx, drain_rx) = mpsc::channel(1);
        let pending = Arc::new(Pending::default());
        tokio::spawn(listen(bus.subscribe(), queue_tx, drain_rx, pending.clone()));
        for n in 0..5 {
            bus.emit(completed(&format!("r{n}")));
            bus.emit(Event::PhaseChanged {
                execution_id: format!("r{n}"),
                current_phase: "x".into(),
                project_id: "p".into(),
            });
        }
        let (ack, acked) = oneshot::channel();
        drain_tx.send(ack).await.unwrap();
        acked.await.expect("the listener has taken every event");
        assert_eq!(pending.count.load(Ordering::SeqCst), 2, "two queued, three dropped");
        let queued: Vec<String> = [queue_rx.recv().await.unwrap(), queue_rx.recv().await.unwrap()]
            .iter()
            .map(|t| t.run_id().to_string())
            .collect();
        assert_eq!(queued, ["r0", "r1"]);
        assert!(queue_rx.try_recv().is_err());
    }

    #[test]
    fn the_log_names_the_receiver_without_its_path_or_credentials() {
        assert_eq!(
            origin("http://hooks:9000/services/T0/B0/s3cret?x=1"),
            "http://hooks:9000"
        );
        assert_eq!(origin("http://user:pw@relay/x"), "http://relay");
        assert_eq!(origin("http://relay"), "http://relay");
    }

    #[test]
    fn backoff_doubles_up_to_a_minute() {
        let waits: Vec<u64> = (1..=8).map(|n| backoff(n).as_secs()).collect();
        assert_eq!(waits, [1, 2, 4, 8, 16, 32, 60, 60]);
    }
}
