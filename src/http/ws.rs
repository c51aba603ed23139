//! `GET /api/ws`: the event journal, live. A client sees only events of projects it may
//! see; `?since=<seq>` replays what it missed before the live stream starts.
//!
//! One tailer reads new journal rows (woken by this process's writes, and polling for other
//! processes' such as CLI runs) and broadcasts them; each connection filters its copy.

use std::collections::HashMap;
use std::time::Duration;

use axum::extract::ws::{Message, Utf8Bytes, WebSocket, WebSocketUpgrade};
use axum::extract::State;
use axum::response::Response;
use serde::{Deserialize, Serialize};
use serde_json::json;
use serde_json::value::RawValue;
use tokio::sync::broadcast;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::auth::{CurrentUser, WsUser};
use super::envelope::ErrorBody;
use super::error::{ApiError, ApiQuery};
use super::AppState;
use crate::engine::Engine;
use crate::store::events::EventRow;
use crate::store::projects::ProjectRow;

/// How often the journal is read for events written by other processes.
pub const POLL_INTERVAL: Duration = Duration::from_millis(200);
/// Rows read per journal query.
const PAGE: i64 = 1000;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(connect))
}

/// One journal row as sent to clients.
#[derive(Debug, Clone)]
pub struct Sent {
    pub seq: i64,
    pub project_id: String,
    /// The serialised `{ "seq", "type", "data" }` message, built once: every connection
    /// sends these same bytes (a clone shares them).
    pub text: Utf8Bytes,
}

/// A row's message, its data spliced in as the text the journal kept (not parsed and
/// serialised again).
fn to_sent(row: &EventRow) -> Sent {
    #[derive(Serialize)]
    struct Frame<'a> {
        seq: i64,
        #[serde(rename = "type")]
        kind: &'a str,
        data: &'a RawValue,
    }
    // The journal only holds events' JSON; text that is not JSON is sent as null.
    let data = serde_json::from_str::<&RawValue>(&row.data).unwrap_or(RawValue::NULL);
    let frame = Frame {
        seq: row.seq,
        kind: &row.kind,
        data,
    };
    Sent {
        seq: row.seq,
        project_id: row.project_id.clone(),
        text: serde_json::to_string(&frame).expect("a frame serialises").into(),
    }
}

#[derive(Clone)]
pub struct Hub {
    tx: broadcast::Sender<Sent>,
}

impl Hub {
    /// Starts the tailer from the journal's current end.
    pub async fn start(engine: Engine) -> Hub {
        let (tx, _) = broadcast::channel(8192);
        let hub = Hub { tx: tx.clone() };
        let mut last = EventRow::max_seq(engine.store()).await.unwrap_or(0);
        let written = engine.events().written();
        tokio::spawn(async move {
            loop {
                let notified = written.notified();
                match EventRow::after(engine.store(), last, PAGE).await {
                    Ok(rows) if !rows.is_empty() => {
                        last = rows.last().map(|r| r.seq).unwrap_or(last);
                        for row in &rows {
                            let _ = tx.send(to_sent(row));
                        }
                        if rows.len() as i64 == PAGE {
                            continue;
                        }
                    }
                    Ok(_) => {}
                    Err(e) => tracing::warn!(error = %e, "cannot read the event journal"),
                }
                let _ = tokio::time::timeout(POLL_INTERVAL, notified).await;
            }
        });
        hub
    }
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct WsQuery {
    /// Replay the journal's events after this `seq` before the live stream.
    since: Option<i64>,
}

/// `GET /api/ws?since=<seq>` (token in the Authorization header or `?token=`).
#[utoipa::path(
    get,
    path = "/ws",
    tag = "events",
    operation_id = "subscribe_events",
    summary = "The live event stream (WebSocket)",
    description = "Upgrades to a WebSocket that sends one JSON text message per event of the projects \
        the caller may see, as the `WsMessage` schema describes: `{ \"seq\", \"type\", \"data\" }`, \
        `type` being `workflow.execution.created`, `workflow.execution.status_changed`, \
        `workflow.execution.phase_changed`, `workflow.execution.log`, `workflow.step.started`, \
        `workflow.step.progress`, `workflow.step.completed`, `workflow.comment.created`, \
        `workflow.artifact.created` or `workflow.artifact.attached` (see the `Event` schema for each \
        one's `data`). With `?since=<seq>` the journal's later events are replayed first, so a client \
        that reconnects with the last `seq` it saw misses nothing. A client that falls behind gets \
        `{ \"type\": \"stream.lagged\", \"data\": { \"missed\": n } }` and should reconnect with `since`. \
        Messages from the client are ignored. The token may be sent as `?token=` by clients that \
        cannot set headers (this route only). An expired or revoked token is refused (401), and an \
        open stream whose token expires or is revoked is closed (1008, with the reason) within 5 s.",
    params(
        WsQuery,
        ("token" = Option<String>, Query, description = "The JWT, instead of the `Authorization` header."),
    ),
    responses(
        (status = 101, description = "Switching protocols: the WebSocket is open and sends `WsMessage`s."),
        (status = 400, description = "Not a WebSocket upgrade request, or a `since` that is not an integer \
            (plain text).", content_type = "text/plain", body = String),
        (status = 401, description = "No valid token, or a revoked one.", body = ErrorBody),
    ),
    security(("bearer" = []), ("token_query" = []))
)]
pub async fn connect(
    State(state): State<AppState>,
    ws_user: WsUser,
    ApiQuery(q): ApiQuery<WsQuery>,
    upgrade: WebSocketUpgrade,
) -> Result<Response, ApiError> {
    // Subscribed before the 101 goes out: a client that acts as soon as it is connected (posts
    // a comment) gets that action's event. Subscribed in the upgraded task, a loaded server
    // could broadcast the event first and the client missed it.
    let live = state.hub.tx.subscribe();
    Ok(upgrade.on_upgrade(move |socket| stream(state, ws_user, q.since, socket, live)))
}

/// How often an open stream checks that its token is still valid (not expired, not revoked):
/// signing out or `token revoke` ends the streams of that token within this.
pub const TOKEN_RECHECK: std::time::Duration = std::time::Duration::from_secs(5);

/// `live` was subscribed before the upgrade and before replaying, so nothing falls between
/// the replay and the live stream.
async fn stream(
    state: AppState,
    ws_user: WsUser,
    since: Option<i64>,
    mut socket: WebSocket,
    mut live: broadcast::Receiver<Sent>,
) {
    let mut access = Access::new(state.engine.clone(), ws_user.user);
    let mut recheck = tokio::time::interval_at(tokio::time::Instant::now() + TOKEN_RECHECK, TOKEN_RECHECK);
    let mut last = since.unwrap_or(i64::MAX);
    if let Some(mut after) = since {
        loop {
            let Ok(rows) = EventRow::after(state.engine.store(), after, PAGE).await else {
                return;
            };
            for row in &rows {
                if access.allows(&row.project_id).await && socket.send(Message::Text(to_sent(row).text)).await.is_err()
                {
                    return;
                }
                after = row.seq;
            }
            if (rows.len() as i64) < PAGE {
                break;
            }
        }
        last = after;
    }
    loop {
        tokio::select! {
            msg = live.recv() => match msg {
                Ok(sent) => {
                    if since.is_some() && sent.seq <= last {
                        continue;
                    }
                    if access.allows(&sent.project_id).await && socket.send(Message::Text(sent.text)).await.is_err() {
                        return;
                    }
                }
                Err(broadcast::error::RecvError::Lagged(n)) => {
                    // Tell the client to catch up with `since` rather than silently dropping.
                    let note = json!({ "type": "stream.lagged", "data": { "missed": n } }).to_string();
                    if socket.send(Message::Text(note.into())).await.is_err() {
                        return;
                    }
                }
                Err(broadcast::error::RecvError::Closed) => return,
            },
            incoming = socket.recv() => match incoming {
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => return,
                Some(Ok(_)) => {}
            },
            _ = recheck.tick() => {
                if let Err(e) = state.auth.authenticate(state.engine.store(), &ws_user.token).await {
                    return close_unauthorized(&mut socket, e).await;
                }
            }
        }
    }
}

/// Closes with 1008 (policy violation) and why, as a 401 would say it.
async fn close_unauthorized(socket: &mut WebSocket, e: ApiError) {
    let reason = match e {
        ApiError::Unauthorized(m) => m,
        _ => "cannot check the token now; reconnect".to_string(),
    };
    let frame = axum::extract::ws::CloseFrame {
        code: axum::extract::ws::close_code::POLICY,
        reason: reason.chars().take(120).collect::<String>().into(),
    };
    let _ = socket.send(Message::Close(Some(frame))).await;
}

/// A connection's view of which projects it may see, asked once per project.
struct Access {
    engine: Engine,
    user: CurrentUser,
    known: HashMap<String, bool>,
}

impl Access {
    fn new(engine: Engine, user: CurrentUser) -> Access {
        Access {
            engine,
            user,
            known: HashMap::new(),
        }
    }

    async fn allows(&mut self, project_id: &str) -> bool {
        if self.user.is_admin() {
            return true;
        }
        if let Some(&ok) = self.known.get(project_id) {
            return ok;
        }
        let ok = ProjectRow::get_visible(self.engine.store(), project_id, self.user.id(), false)
            .await
            .map(|p| p.is_some())
            .unwrap_or(false);
        // A project that is not (yet) visible is asked again next time: it may be shared later.
        if ok {
            self.known.insert(project_id.to_string(), ok);
        }
        ok
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A frame is `{ "seq", "type", "data" }` with the journal's data text spliced in: the
    /// same bytes as parsing the data and serialising the whole message, as it was built before.
    #[test]
    fn a_frame_splices_the_journaled_data_as_it_is() {
        // As the journal writes it: an event's data serialised by serde_json.
        let data = json!({ "execution_id": "r", "output": "\"q\" \u{1} ✓", "detail": { "z": 1, "a": [0.1, 1e300] } })
            .to_string();
        let row = EventRow {
            seq: 7,
            project_id: "p".into(),
            execution_id: Some("r".into()),
            kind: "workflow.step.progress".into(),
            data: data.clone(),
            created_at: String::new(),
        };
        let parsed: serde_json::Value = serde_json::from_str(&data).unwrap();
        let before = json!({ "seq": 7, "type": "workflow.step.progress", "data": parsed }).to_string();
        assert_eq!(to_sent(&row).text.as_str(), before);
        let broken = EventRow {
            data: "not json".into(),
            ..row
        };
        let null = json!({ "seq": 7, "type": "workflow.step.progress", "data": null }).to_string();
        assert_eq!(to_sent(&broken).text.as_str(), null);
    }
}
