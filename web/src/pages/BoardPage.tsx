import { useEffect, useMemo, useRef } from "react";
import { Link, useNavigate, useParams, useSearchParams } from "react-router-dom";
import { getDefinition, listDefinitions } from "../api/endpoints";
import type { RunStatus } from "../api/types";
import { BoardColumns, phaseColumns, statusColumns } from "../components/board/BoardColumns";
import { IconPlus, IconSearch } from "../components/Icons";
import { EmptyState, ErrorState, Loading } from "../components/States";
import { useAsync } from "../hooks/useAsync";
import { useNow } from "../hooks/useNow";
import { useRunList } from "../hooks/useRunList";
import { RUN_STATUSES, STATUS_LABEL } from "../lib/status";

export function BoardPage() {
  const { projectId = "", definitionId } = useParams();
  const [search, setSearch] = useSearchParams();
  const navigate = useNavigate();
  const status = (search.get("status") ?? "") as RunStatus | "";
  const q = search.get("q") ?? "";

  const defs = useAsync((signal) => listDefinitions(projectId, { signal }), [projectId]);
  const list = useRunList({ projectId, definitionId, status: RUN_STATUSES.includes(status as RunStatus) ? status : "" });
  const listed = defs.data?.find((d) => d.id === definitionId);
  // A run's definition need not be a template (a file run from elsewhere with the CLI): the
  // list of templates lacks it, so it is read by id.
  const unlisted = useAsync(
    (signal) => (definitionId && defs.data && !listed ? getDefinition(definitionId, { signal }) : Promise.resolve(undefined)),
    [definitionId, defs.data, listed],
  );
  const def = listed ?? unlisted.data;
  const searchRef = useRef<HTMLInputElement>(null);

  // "/" jumps to the search, as on GitHub and Linear.
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const t = e.target as HTMLElement | null;
      if (e.key !== "/" || e.metaKey || e.ctrlKey || (t && /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName))) return;
      e.preventDefault();
      searchRef.current?.focus();
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, []);

  const visible = useMemo(() => {
    const needle = q.trim().toLowerCase();
    return list.runs.filter(
      (r) =>
        (!status || r.status === status) &&
        (!needle || r.name.toLowerCase().includes(needle) || r.id.toLowerCase().includes(needle)),
    );
  }, [list.runs, status, q]);

  // Clocks tick while a run runs, and while one waits (a sleep's countdown).
  const running = visible.some((r) => r.status === "running" || r.status === "waiting");
  const now = useNow(running);
  const columns = definitionId ? phaseColumns(def, visible) : statusColumns(visible);

  function setParam(key: string, value: string) {
    const next = new URLSearchParams(search);
    if (value) next.set(key, value);
    else next.delete(key);
    setSearch(next, { replace: true });
  }

  const qs = search.toString();
  const filtered = Boolean(status || q.trim());

  return (
    <div className="page page-board">
      <div className="toolbar">
        <label className="toolbar-field">
          <span className="sr-only">Workflow</span>
          <select
            data-testid="workflow-select"
            value={definitionId ?? "all"}
            onChange={(e) => {
              const v = e.target.value;
              navigate(`/p/${projectId}/board${v === "all" ? "" : `/${v}`}${qs ? `?${qs}` : ""}`);
            }}
          >
            <option value="all">All workflows</option>
            {definitionId && !listed && (
              <option value={definitionId}>{def?.name ?? (defs.loading || unlisted.loading ? "Loading…" : "Unknown workflow")}</option>
            )}
            {defs.data?.map((d) => (
              <option key={d.id} value={d.id}>
                {d.name}
                {d.load_error ? " (does not load)" : ""}
              </option>
            ))}
          </select>
        </label>
        <label className="toolbar-field">
          <span className="sr-only">Status</span>
          <select data-testid="status-filter" value={status} onChange={(e) => setParam("status", e.target.value)}>
            <option value="">Any status</option>
            {RUN_STATUSES.map((s) => (
              <option key={s} value={s}>
                {STATUS_LABEL[s]}
              </option>
            ))}
          </select>
        </label>
        <label className="toolbar-field search">
          <IconSearch className="search-icon" />
          <span className="sr-only">Search runs by name</span>
          <input
            ref={searchRef}
            data-testid="run-search"
            type="search"
            placeholder="Search runs…  /"
            aria-keyshortcuts="/"
            value={q}
            onChange={(e) => setParam("q", e.target.value)}
          />
        </label>
        <span className="toolbar-spacer" />
        {!list.loading && (
          <span className="muted small run-count" aria-live="polite">
            {visible.length} {visible.length === 1 ? "run" : "runs"}
            {filtered && list.runs.length !== visible.length ? ` of ${list.runs.length}` : ""}
          </span>
        )}
        <Link
          className="btn btn-primary btn-sm"
          to={def && !def.load_error ? `/p/${projectId}/templates/${def.id}/new` : `/p/${projectId}/templates`}
        >
          <IconPlus width={14} height={14} /> New run
        </Link>
      </div>
      {definitionId && def?.description && <p className="board-desc muted">{def.description}</p>}
      {list.error ? (
        <ErrorState error={list.error} onRetry={list.reload} title="Cannot load runs" />
      ) : list.loading ? (
        <Loading label="Loading runs…" />
      ) : (
        <>
          {visible.length === 0 && (
            <EmptyState testId="board-empty" title={filtered ? "No runs match" : "No runs yet"}>
              {filtered ? (
                <button type="button" className="btn btn-sm" onClick={() => setSearch(new URLSearchParams(), { replace: true })}>
                  Clear filters
                </button>
              ) : (
                <span>
                  Start one from <Link to={`/p/${projectId}/templates`}>Templates</Link>, or run{" "}
                  <code>workflow-engine run</code> in this project: it shows up here live.
                </span>
              )}
            </EmptyState>
          )}
          <BoardColumns columns={columns} projectId={projectId} now={now} showWorkflow={!definitionId} />
          {list.hasMore && (
            <div className="load-more">
              <button type="button" className="btn btn-sm" onClick={list.loadMore} disabled={list.loadingMore}>
                {list.loadingMore ? "Loading…" : "Load older runs"}
              </button>
            </div>
          )}
        </>
      )}
    </div>
  );
}
