import type { Column } from "../../lib/columns";
import { RunCard } from "./RunCard";

export { phaseColumns, statusColumns } from "../../lib/columns";

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
