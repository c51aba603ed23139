//! The WebSocket's messages (`GET /api/ws`) as the OpenAPI document describes them: a
//! journal event, or a note that the connection fell behind. The socket sends text it builds
//! from the journal (`ws`); these types only describe it, and no route's body names them, so
//! they are added to the document's components here.

use serde::Serialize;
use utoipa::{OpenApi, ToSchema};

use crate::events::Event;

/// The document's components for the WebSocket's messages.
#[derive(OpenApi)]
#[openapi(components(schemas(WsMessage, JournalEvent, StreamLagged, Event)))]
pub struct WsMessages;

/// One WebSocket text message: a journal event, or a note that the connection fell behind.
#[derive(Serialize, ToSchema)]
#[serde(untagged)]
pub enum WsMessage {
    Event(Box<JournalEvent>),
    Lagged(StreamLagged),
}

/// An event from the journal: `{ "seq", "type", "data" }`.
#[derive(Serialize, ToSchema)]
pub struct JournalEvent {
    /// The event's position in the journal; reconnect with `?since=<seq>` to miss nothing.
    pub seq: i64,
    #[serde(flatten)]
    pub event: Event,
}

#[derive(Serialize, ToSchema)]
pub enum LaggedType {
    #[serde(rename = "stream.lagged")]
    StreamLagged,
}

#[derive(Serialize, ToSchema)]
pub struct Missed {
    /// How many events were skipped.
    pub missed: u64,
}

/// The connection fell behind the live stream and skipped events: reconnect with
/// `?since=<last seq seen>` to replay them.
#[derive(Serialize, ToSchema)]
pub struct StreamLagged {
    #[serde(rename = "type")]
    pub kind: LaggedType,
    pub data: Missed,
}
