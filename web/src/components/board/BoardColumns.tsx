// The board's columns: each with its exact count, scrolling on its own and loading its next
// page as its end comes into view (IntersectionObserver on a sentinel inside the column).
// On a phone the board opens scrolled to the first column with runs.

import { useEffect, useLayoutEffect, useRef } from "react";
import type { Column } from "../../lib/columns";
import { firstWithRuns } from "../../lib/columns";
import { isFinished } from "../../lib/status";
import { RunCard } from "./RunCard";

interface Props {
  columns: Column[];
  projectId: string;
  now: number;
  showWorkflow: boolean;
  loadingMore: ReadonlySet<string>;
  /** Columns whose next page failed. */
  moreErrors: ReadonlyMap<string, string>;
  loadMore: (key: string) => void;
}

function ColumnEnd({ col, loading, error, loadMore }: { col: Column; loading: boolean; error?: string; loadMore: (key: string) => void }) {
  const ref = useRef<HTMLDivElement>(null);
  const more = col.nextCursor !== null;
  useEffect(() => {
    const el = ref.current;
    // After a failure the button asks again; scrolling does not retry in a loop.
    if (!el || !more || loading || error) return;
    const root = el.closest(".board-col-body");
    const io = new IntersectionObserver((entries) => entries.some((e) => e.isIntersecting) && loadMore(col.key), { root, rootMargin: "0px 0px 400px 0px" });
    io.observe(el);
    return () => io.disconnect();
  }, [col.key, more, loading, error, loadMore, col.runs.length]);
  if (!more) {
    return col.runs.length > 0 && col.count > 8 ? (
      <div className="board-col-end" data-testid="column-end">
        All {col.count} shown
      </div>
    ) : null;
  }
  return (
    <div ref={ref} className="board-col-more" data-testid="column-more">
      {error && (
        <p className="form-error small" role="alert" data-testid="column-more-error">
          Cannot load more: {error}
        </p>
      )}
      <button type="button" className="btn btn-sm btn-ghost" onClick={() => loadMore(col.key)} disabled={loading}>
        {loading ? "Loading…" : error ? "Try again" : `Load more (${col.count - col.runs.length} not shown)`}
      </button>
    </div>
  );
}

export function BoardColumns({ columns, projectId, now, showWorkflow, loadingMore, moreErrors, loadMore }: Props) {
  const board = useRef<HTMLDivElement>(null);
  // An ended run shows no live clock, only "ended 5 min ago": its cards get a minute that moves
  // once a minute, so the board's one-second tick re-renders only the cards that run or wait.
  const minute = Math.floor(now / 60_000) * 60_000;
  const opened = useRef(false);
  // A phone shows one column at a time: open on the first that has runs, once per board.
  useLayoutEffect(() => {
    const el = board.current;
    if (!el || opened.current || columns.length === 0) return;
    opened.current = true;
    if (el.scrollWidth <= el.clientWidth) return;
    const target = el.children[firstWithRuns(columns)] as HTMLElement | undefined;
    if (target) el.scrollLeft += target.getBoundingClientRect().left - el.getBoundingClientRect().left - parseFloat(getComputedStyle(el).paddingLeft || "0");
  }, [columns]);

  return (
    <div ref={board} className={`board${showWorkflow ? " board-status" : ""}`} role="list" aria-label="Board columns" data-testid="board">
      {columns.map((col) => (
        <section
          key={col.key}
          className={`board-col col-${col.key.replace(/^__/, "")}`}
          data-testid="board-column"
          data-phase={col.key}
          data-count={col.count}
          role="listitem"
          aria-label={`${col.title}: ${col.count} runs`}
        >
          <header className="board-col-head" title={col.hint}>
            <span className="board-col-title">{col.title}</span>
            <span className="count" data-testid="column-count">
              {col.count.toLocaleString()}
            </span>
          </header>
          <div className="board-col-body" data-testid="column-body">
            {col.runs.map((r) => (
              <RunCard key={r.id} run={r} projectId={projectId} now={isFinished(r.status) ? minute : now} showWorkflow={showWorkflow} />
            ))}
            {col.count === 0 && col.runs.length === 0 && <div className="board-col-empty">No runs</div>}
            <ColumnEnd col={col} loading={loadingMore.has(col.key)} error={moreErrors.get(col.key)} loadMore={loadMore} />
          </div>
        </section>
      ))}
    </div>
  );
}
