// The board's columns as the server sends them (`GET /api/board`), and how a run's change
// (a WebSocket event, a run read alone) moves it between them in memory: which column a run
// stands in (the server's rule, mirrored), exact counts kept as runs move, and each column's
// loaded page kept in the server's order so that paging on never shows a run twice.

import type { RunStatus, RunSummary } from "../api/types";
import { ordinal } from "./format.js";
import { noteOutput } from "./runEvents.js";
import { isClosed } from "./status.js";

export const PENDING = "__pending";
export const DONE = "__done";

export interface Column {
  key: string;
  title: string;
  hint?: string;
  /** Runs in the column under the filters (exact, from the server, kept by moves). */
  count: number;
  /** The loaded runs, in the server's order. */
  runs: RunSummary[];
  /** The last loaded run's id when there are more; null when all are loaded. */
  nextCursor: string | null;
}

export interface BoardData {
  columns: Column[];
  total: number;
  running: number;
  waiting: number;
  pending: number;
}

/** How runs are put in columns: a workflow's phases, or one column per status (`null`). */
export type Lanes = { phases: string[] } | null;

/** The filters a run must meet to be on the board (those the client can check). */
export interface BoardFilter {
  projectId: string;
  definitionId?: string;
  status?: RunStatus | "";
  createdAfter?: string | null;
  createdBefore?: string | null;
}

export const COLUMN_HINT: Record<string, string> = {
  [PENDING]: "Queued runs, in the order they start",
  [DONE]: "Completed or cancelled (a failed run stays in its phase)",
};

/** The column a run stands in: the server's rule (`store::board::Lanes`). */
export function columnKeyOf(run: Pick<RunSummary, "status" | "started_at" | "current_phase">, lanes: Lanes): string {
  if (!lanes) return run.status;
  if (run.status === "pending" && !run.started_at) return PENDING;
  if (isClosed(run.status)) return DONE;
  return run.current_phase ?? lanes.phases[0] ?? PENDING;
}

/** Whether a column is ordered oldest first (the queue). */
export function oldestFirst(key: string, lanes: Lanes): boolean {
  return lanes ? key === PENDING : key === "pending";
}

export function matchesFilter(run: RunSummary, f: BoardFilter): boolean {
  if (run.project_id !== f.projectId) return false;
  if (f.definitionId && run.workflow_definition_id !== f.definitionId) return false;
  if (f.status && run.status !== f.status) return false;
  if (f.createdAfter && run.created_at < f.createdAfter) return false;
  if (f.createdBefore && run.created_at >= f.createdBefore) return false;
  return true;
}

/** Where a run is loaded: its column's index and its index there. */
export function locate(board: BoardData, id: string): { col: number; at: number } | null {
  for (let col = 0; col < board.columns.length; col++) {
    const at = board.columns[col].runs.findIndex((r) => r.id === id);
    if (at !== -1) return { col, at };
  }
  return null;
}

function statusDelta(board: BoardData, status: RunStatus, by: number): void {
  if (status === "running") board.running += by;
  if (status === "waiting") board.waiting += by;
  if (status === "pending") board.pending += by;
}

/** Whether `id` falls within a column's loaded page (ids are time-ordered). */
function withinLoaded(col: Column, id: string, asc: boolean): boolean {
  if (col.nextCursor === null) return true;
  return asc ? id < col.nextCursor : id > col.nextCursor;
}

export interface Placed {
  board: BoardData;
  /** The run's column is not on the board (a phase new since it loaded): load it again. */
  unknownColumn: boolean;
}

/**
 * The board with `run` as it is now. A run that was loaded moves (both counts change); one
 * that was not (`known` false) is shown if it falls within its column's loaded page, and its
 * counts are left to the server (the caller asks for them).
 */
export function placeRun(board: BoardData, run: RunSummary, lanes: Lanes, filter: BoardFilter): Placed {
  const next: BoardData = { ...board, columns: board.columns.map((c) => ({ ...c })) };
  const was = locate(board, run.id);
  const before = was ? board.columns[was.col].runs[was.at] : null;
  const key = matchesFilter(run, filter) ? columnKeyOf(run, lanes) : null;
  const target = key === null ? -1 : next.columns.findIndex((c) => c.key === key);
  if (was) {
    const col = next.columns[was.col];
    col.runs = col.runs.filter((r) => r.id !== run.id);
    if (was.col !== target) col.count -= 1;
    if (before) statusDelta(next, before.status, -1);
    if (target === -1) next.total -= 1;
  }
  if (target !== -1) {
    const col = next.columns[target];
    const asc = oldestFirst(col.key, lanes);
    if (was && was.col !== target) col.count += 1;
    if (was) statusDelta(next, run.status, 1);
    if (withinLoaded(col, run.id, asc)) {
      const runs = [...col.runs, run];
      runs.sort((a, b) => (asc ? cmp(a.id, b.id) : cmp(b.id, a.id)));
      col.runs = runs;
    }
  }
  return { board: next, unknownColumn: key !== null && target === -1 };
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Appends a column's next page (runs already shown, moved in by an event, are not repeated). */
export function appendPage(board: BoardData, key: string, runs: RunSummary[], nextCursor: string | null): BoardData {
  return {
    ...board,
    columns: board.columns.map((c) => {
      if (c.key !== key) return c;
      const seen = new Set(c.runs.map((r) => r.id));
      return { ...c, runs: [...c.runs, ...runs.filter((r) => !seen.has(r.id))], nextCursor };
    }),
  };
}

/** The counts of a fresh answer, the loaded runs kept. */
export function withCounts(board: BoardData, fresh: BoardData): BoardData {
  const counts = new Map(fresh.columns.map((c) => [c.key, c.count]));
  return {
    ...board,
    total: fresh.total,
    running: fresh.running,
    waiting: fresh.waiting,
    pending: fresh.pending,
    columns: board.columns.map((c) => ({ ...c, count: counts.get(c.key) ?? c.count })),
  };
}

/**
 * A run that left the queue (it started, or was cancelled): the runs behind it, waiting for
 * the same thing (a slot, or the same concurrency key), move up one place. The server's
 * answer to the next read agrees; this keeps the cards right meanwhile.
 */
export function leftQueue(board: BoardData, left: RunSummary): BoardData {
  const gone = left.queue;
  if (!gone?.position) return board;
  const behind = (r: RunSummary) =>
    !!r.queue && r.queue.reason === gone.reason && (r.queue.key ?? null) === (gone.key ?? null) && r.queue.position > gone.position;
  return {
    ...board,
    columns: board.columns.map((c) =>
      c.runs.some(behind)
        ? { ...c, runs: c.runs.map((r) => (behind(r) && r.queue ? { ...r, queue: { ...r.queue, position: r.queue.position - 1 } } : r)) }
        : c,
    ),
  };
}

/**
 * A step of a loaded run printed (a `workflow.step.progress` event of `stream`): the card's
 * `last_output_at` moves (see `noteOutput`: at most every 20 s, not for a warning), so that it
 * does not say "no output for N min". Null when nothing changes (the run is not loaded...).
 */
export function noteBoardOutput(board: BoardData, runId: string, stepId: string, at: number, stream: string): BoardData | null {
  const where = locate(board, runId);
  if (!where) return null;
  const next = noteOutput(board.columns[where.col].runs[where.at], stepId, at, stream);
  if (!next) return null;
  return {
    ...board,
    columns: board.columns.map((c, i) => (i === where.col ? { ...c, runs: c.runs.map((r, j) => (j === where.at ? next : r)) } : c)),
  };
}

/**
 * The queue line of a pending card: "3rd in queue · 8/8 running", or for a run waiting for
 * its concurrency key "waiting for repo:x · 1/1 running" ("2nd waiting for …" behind another).
 */
export function queueLine(q: NonNullable<RunSummary["queue"]>): string {
  if (q.reason === "concurrency_key" && q.key != null) {
    const place = q.position > 1 ? `${ordinal(q.position)} ` : "";
    return `${place}waiting for ${q.key} · ${q.key_running ?? 0}/${q.key_limit ?? 1} running`;
  }
  return `${ordinal(q.position)} in queue · ${q.running}/${q.limit} running`;
}

/** The first column with runs (the phone opens the board there); 0 when none has. */
export function firstWithRuns(columns: Column[]): number {
  const i = columns.findIndex((c) => c.count > 0);
  return i === -1 ? 0 : i;
}
