// The WebSocket's messages (`src/events.rs`): `{ seq, type, data }`, or `stream.lagged`.

import type { components } from "../api/schema";

/** The journal events the document describes (`Event`), one member per `type`. */
type Journal = components["schemas"]["Event"];

/** Each event type's `data`, as generated from the server's OpenAPI document. */
export type EventMap = { [K in Journal["type"]]: Extract<Journal, { type: K }>["data"] };

export type EventType = keyof EventMap;

/** One journal event; `type` narrows `data`. */
export type WsEvent = {
  [K in EventType]: { seq: number; type: K; data: EventMap[K] };
}[EventType];

export type ProgressData = EventMap["workflow.step.progress"];

/** The connection fell behind and skipped events: reconnect with `since`. */
export type LaggedMessage = components["schemas"]["StreamLagged"];

export function isWsEvent(m: unknown): m is WsEvent {
  if (typeof m !== "object" || m === null) return false;
  const o = m as Record<string, unknown>;
  return typeof o.seq === "number" && typeof o.type === "string" && typeof o.data === "object" && o.data !== null;
}
