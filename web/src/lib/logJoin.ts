// Joining a step's log as read from its `events.jsonl` with the live progress events: each
// line once and in order. The server writes a record to the file before it sends its event,
// buffered, and the socket may lag, so either source can be ahead of the other; matching
// entries by their text cannot tell (lines repeat, a file ahead of the stream has no overlap
// to find). Each live event says where its record ends in its try's file (`at`), and each
// read says how many bytes of each try it holds: an event is in the read exactly when its
// record ends within it.

import type { LogEntry } from "./agentLog";

/** How many bytes of each try's `events.jsonl` a read holds (try number → size). */
export type ReadSizes = ReadonlyMap<number, number>;

/** Whether a live entry is past what the read holds (an entry with no place in a file is). */
export function isPastRead(e: LogEntry, sizes: ReadSizes): boolean {
  if (!e.at) return true;
  const size = sizes.get(e.at.attempt);
  return size === undefined || e.at.end > size;
}

/** The read's entries, then the live ones it does not hold yet. */
export function joinLive(file: LogEntry[], sizes: ReadSizes, live: LogEntry[]): LogEntry[] {
  const fresh = live.filter((e) => isPastRead(e, sizes));
  return fresh.length === 0 ? file : [...file, ...fresh];
}
