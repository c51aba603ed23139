// The waterfall's layout: each step of a run on one time axis, a bar per try (retries and the
// tries of a resumed step, the gap between them shown), a wait step's wait as its own kind of
// bar, and the run's time in the queue before it started. Pure, for the component
// (components/run/Waterfall.tsx) and its tests.

import type { RunDetail, Step, StepAttempt } from "../api/types";
import { parseTime } from "./format.js";

export type SegmentKind = "try" | "wait" | "gap" | "queue";

export interface Segment {
  kind: SegmentKind;
  /** A try's or wait's outcome (`completed`, `failed`, `running`, `interrupted`, `waiting`...). */
  outcome: string;
  from: number;
  to: number;
  /** The try's number (tries only). */
  attempt?: number;
  error?: string | null;
}

export interface WaterfallRow {
  /** The step row's id; null for the run's own row (its queue time). */
  stepRowId: string | null;
  key: string;
  name: string;
  phase: string | null;
  type: string;
  segments: Segment[];
}

export interface Tick {
  at: number;
  /** Offset from the start, in ms. */
  offset: number;
}

export interface Waterfall {
  start: number;
  end: number;
  rows: WaterfallRow[];
  ticks: Tick[];
}

/** The shortest wait in the queue before the start that the waterfall shows. */
export const QUEUE_SHOWN_MS = 250;

const WAIT_TYPES = new Set(["approval", "sleep", "signal"]);
const LIVE = new Set(["running", "waiting"]);

/** The end of something still going on is `now`; of something that ended without a time, its start. */
function endOf(end: string | null | undefined, live: boolean, start: number, now: number): number {
  return parseTime(end) ?? (live ? now : start);
}

function trySegments(step: Step, tries: StepAttempt[], now: number): Segment[] {
  const out: Segment[] = [];
  for (const a of tries) {
    const from = parseTime(a.started_at);
    if (from === null) continue;
    const to = endOf(a.ended_at, a.outcome === "running", from, now);
    const last = out[out.length - 1];
    if (last && from > last.to) out.push({ kind: "gap", outcome: "gap", from: last.to, to: from });
    out.push({ kind: "try", outcome: a.outcome, from, to, attempt: a.attempt, error: a.error });
  }
  if (out.length === 0) {
    const from = parseTime(step.started_at);
    if (from !== null) {
      out.push({ kind: "try", outcome: step.status, from, to: endOf(step.completed_at, LIVE.has(step.status), from, now), attempt: step.attempt, error: step.error_message });
    }
  }
  return out;
}

/** A step's bars: its wait, or its tries (with the gaps between them). */
export function stepSegments(step: Step, now: number): Segment[] {
  const from = parseTime(step.started_at);
  if (from === null) return [];
  if (WAIT_TYPES.has(step.type)) {
    return [{ kind: "wait", outcome: step.status, from, to: endOf(step.completed_at, step.status === "waiting", from, now) }];
  }
  return trySegments(step, step.attempts ?? [], now);
}

/** When the run stopped being timed: its end, else now. */
function runEnd(run: RunDetail, now: number): number | null {
  const ended = parseTime(run.completed_at) ?? parseTime(run.cancelled_at);
  if (ended !== null) return ended;
  if (run.status === "failed") return parseTime(run.updated_at);
  if (run.status === "paused") return parseTime(run.paused_at) ?? parseTime(run.updated_at);
  return now;
}

const STEPS_MS = [100, 200, 500, 1e3, 2e3, 5e3, 10e3, 15e3, 30e3, 60e3, 120e3, 300e3, 600e3, 900e3, 1800e3, 3600e3, 7200e3, 21600e3, 43200e3, 86400e3];

/** Ticks at a round interval, at most `max` of them after the start. */
export function ticks(start: number, end: number, max = 6): Tick[] {
  const span = Math.max(1, end - start);
  const step = STEPS_MS.find((s) => span / s <= max) ?? Math.ceil(span / max / 86400e3) * 86400e3;
  const out: Tick[] = [];
  for (let offset = 0; offset <= span; offset += step) out.push({ at: start + offset, offset });
  return out;
}

/** The layout of `run`'s steps at `now`. */
export function layoutWaterfall(run: RunDetail, now: number): Waterfall {
  const created = parseTime(run.created_at) ?? now;
  const started = parseTime(run.started_at);
  const rows: WaterfallRow[] = [];
  // A queue of a few milliseconds is no delay worth a row.
  if (started !== null && started - created >= QUEUE_SHOWN_MS) {
    rows.push({ stepRowId: null, key: "__queue", name: "Queued", phase: null, type: "queue", segments: [{ kind: "queue", outcome: "queue", from: created, to: started }] });
  } else if (started === null && run.status === "pending") {
    rows.push({ stepRowId: null, key: "__queue", name: "Queued", phase: null, type: "queue", segments: [{ kind: "queue", outcome: "queue", from: created, to: now }] });
  }
  const steps = [...run.steps]
    .map((s) => ({ s, segments: stepSegments(s, now) }))
    .filter((x) => x.segments.length > 0)
    .sort((a, b) => a.segments[0].from - b.segments[0].from || a.s.step_index - b.s.step_index);
  for (const { s, segments } of steps) {
    rows.push({ stepRowId: s.id, key: s.step_id, name: s.name, phase: s.phase, type: s.type, segments });
  }
  let start = created;
  let end = runEnd(run, now) ?? created;
  for (const r of rows) {
    for (const seg of r.segments) {
      start = Math.min(start, seg.from);
      end = Math.max(end, seg.to);
    }
  }
  if (end <= start) end = start + 1000;
  return { start, end, rows, ticks: ticks(start, end) };
}

/** Where `t` lies on the axis, 0..100. */
export function position(w: Pick<Waterfall, "start" | "end">, t: number): number {
  return ((t - w.start) / (w.end - w.start)) * 100;
}

/** Whether two rows ran at the same time (a bar of each overlapping). */
export function overlap(a: WaterfallRow, b: WaterfallRow): boolean {
  return a.segments.some((x) => x.kind !== "gap" && b.segments.some((y) => y.kind !== "gap" && x.from < y.to && y.from < x.to));
}
