import type { Definition, RunStatus, RunSummary } from "../../api/types";
import { FINISHED, RUN_STATUSES, STATUS_LABEL } from "../../lib/status";
import { RunCard } from "./RunCard";

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
  for (const r of runs) if (r.current_phase && !phases.includes(r.current_phase) && r.status !== "pending" && !FINISHED.includes(r.status)) phases.push(r.current_phase);
  const cols: Column[] = [
    { key: "__pending", title: "Not started", hint: "Queued runs", runs: [] },
    ...phases.map((p) => ({ key: p, title: p, runs: [] as RunSummary[] })),
    { key: "__done", title: "Finished", hint: "Completed, failed or cancelled", runs: [] },
  ];
  const byKey = new Map(cols.map((c) => [c.key, c]));
  for (const r of runs) {
    let key: string;
    if (r.status === "pending") key = "__pending";
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

export function BoardColumns({
  columns,
  projectId,
  now,
  showWorkflow,
}: {
  columns: Column[];
  projectId: string;
  now: number;
  showWorkflow: boolean;
}) {
  return (
    <div className={`board${showWorkflow ? " board-status" : ""}`} role="list" aria-label="Board columns">
      {columns.map((col) => (
        <section
          key={col.key}
          className={`board-col col-${col.key.replace(/^__/, "")}`}
          data-testid="board-column"
          data-phase={col.key}
          role="listitem"
          aria-label={`${col.title}: ${col.runs.length} runs`}
        >
          <header className="board-col-head" title={col.hint}>
            <span className="board-col-title">{col.title}</span>
            <span className="count">{col.runs.length}</span>
          </header>
          <div className="board-col-body">
            {col.runs.map((r) => (
              <RunCard key={r.id} run={r} projectId={projectId} now={now} showWorkflow={showWorkflow} />
            ))}
            {col.runs.length === 0 && <div className="board-col-empty">No runs</div>}
          </div>
        </section>
      ))}
    </div>
  );
}
