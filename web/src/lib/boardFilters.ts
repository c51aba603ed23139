// The board's filters as the URL holds them (`created=24h`, or `created=custom` with
// `created_after`/`created_before` dates) turned into what the server is asked, and the board's
// tab title from the server's counts.

import type { BoardData } from "./columns";

export const RANGES: { value: string; label: string; ms?: number }[] = [
  { value: "", label: "Any time" },
  { value: "1h", label: "Last hour", ms: 3600_000 },
  { value: "24h", label: "Last 24 hours", ms: 86_400_000 },
  { value: "7d", label: "Last 7 days", ms: 7 * 86_400_000 },
  { value: "30d", label: "Last 30 days", ms: 30 * 86_400_000 },
  { value: "custom", label: "Dates…" },
];

/** The day after a `YYYY-MM-DD` date (the range includes its last day). */
function dayAfter(date: string): string | null {
  const t = Date.parse(`${date}T00:00:00Z`);
  if (Number.isNaN(t)) return null;
  return new Date(t + 86_400_000).toISOString().slice(0, 10);
}

/**
 * `created_after`/`created_before` for the server. A preset counts back from `now`; dates are
 * whole days, the last included. The board resolves a preset once, when it is chosen
 * (`stableRange`), so the query does not change as the clock moves.
 */
export function createdRange(created: string, after: string | null, before: string | null, now = Date.now()): { after: string | null; before: string | null } {
  const preset = RANGES.find((r) => r.value === created && r.ms);
  if (preset?.ms) {
    const minute = Math.floor(now / 60_000) * 60_000;
    return { after: new Date(minute - preset.ms).toISOString(), before: null };
  }
  if (created !== "custom") return { after: null, before: null };
  const valid = (d: string | null) => (d && /^\d{4}-\d{2}-\d{2}$/.test(d) ? d : null);
  const b = valid(before);
  return { after: valid(after), before: b ? dayAfter(b) : null };
}

export type CreatedRange = { after: string | null; before: string | null };

/**
 * A resolver that keeps the bounds it gave while the filter (`created`, `after`, `before`) is
 * unchanged: "Last hour" means the hour before it was chosen (or the page opened), not an hour
 * that slides every minute and reloads the board each time.
 */
export function stableRange(): (created: string, after: string | null, before: string | null, now?: number) => CreatedRange {
  let key: string | null = null;
  let value: CreatedRange = { after: null, before: null };
  return (created, after, before, now = Date.now()) => {
    const k = JSON.stringify([created, after, before]);
    if (k !== key) {
      key = k;
      value = createdRange(created, after, before, now);
    }
    return value;
  };
}

/** "e2e · Bug fix · 3 running · 2 waiting": where the board is and what moves there. */
export function boardTitle(project: string | undefined, workflow: string | undefined, board: Pick<BoardData, "running" | "waiting"> | null): string {
  const parts = [project ?? "Board"];
  if (workflow) parts.push(workflow);
  if (board) {
    if (board.running > 0) parts.push(`${board.running} running`);
    if (board.waiting > 0) parts.push(`${board.waiting} waiting`);
  }
  return parts.join(" · ");
}

/** `params` with `key` set to `value` (removed when empty). */
export function withParam(params: URLSearchParams, key: string, value: string): URLSearchParams {
  const next = new URLSearchParams(params);
  if (value) next.set(key, value);
  else next.delete(key);
  return next;
}

/** `params` with the created filter set to `value` (custom dates dropped). */
export function withRange(params: URLSearchParams, value: string): URLSearchParams {
  const next = withParam(params, "created", value);
  next.delete("created_after");
  next.delete("created_before");
  return next;
}
