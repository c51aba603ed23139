// The board's columns: which column each run's card stands in.

import type { Definition, RunStatus, RunSummary } from "../api/types";
import { FINISHED, RUN_STATUSES, STATUS_LABEL } from "./status.js";

export interface Column {
  key: string;
  title: string;
  hint?: string;
  runs: RunSummary[];
}

/** One board's columns: not started, each phase in order, finished. */
export function phaseColumns(def: Definition | undefined, runs: RunSummary[]): Column[] {
  const phases = [...(def?.phases ?? [])];
  // Phases only runs know of (a definition edited since), after the declared ones.
  for (const r of runs) if (r.current_phase && !phases.includes(r.current_phase) && !(r.status === "pending" && !r.started_at) && !FINISHED.includes(r.status)) phases.push(r.current_phase);
  const cols: Column[] = [
    { key: "__pending", title: "Not started", hint: "Queued runs", runs: [] },
    ...phases.map((p) => ({ key: p, title: p, runs: [] as RunSummary[] })),
    { key: "__done", title: "Finished", hint: "Completed, failed or cancelled", runs: [] },
  ];
  const byKey = new Map(cols.map((c) => [c.key, c]));
  for (const r of runs) {
    let key: string;
    // A run queued to resume (it has started before) keeps its place in its phase.
    if (r.status === "pending" && !r.started_at) key = "__pending";
    else if (FINISHED.includes(r.status)) key = "__done";
    else key = r.current_phase && byKey.has(r.current_phase) ? r.current_phase : (phases[0] ?? "__pending");
    byKey.get(key)!.runs.push(r);
  }
  return cols;
}

/** The "all workflows" view: a column per status. */
export function statusColumns(runs: RunSummary[]): Column[] {
  const cols = RUN_STATUSES.map((s: RunStatus) => ({ key: s, title: STATUS_LABEL[s], runs: [] as RunSummary[] }));
  const byKey = new Map(cols.map((c) => [c.key, c]));
  for (const r of runs) byKey.get(r.status)?.runs.push(r);
  return cols;
}

