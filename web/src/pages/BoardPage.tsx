// The board: a project's runs in columns (a workflow's phases, or one per status), with the
// filters in the URL (status, search, created range), exact counts and the tab title from the
// server's answer.

import { useEffect, useRef, useState } from "react";
import { Link, useNavigate, useParams, useSearchParams } from "react-router-dom";
import { getDefinition, listDefinitions } from "../api/endpoints";
import type { RunStatus } from "../api/types";
import { BoardColumns } from "../components/board/BoardColumns";
import { IconPlus, IconSearch } from "../components/Icons";
import { EmptyState, ErrorState, Loading } from "../components/States";
import { useAsync } from "../hooks/useAsync";
import { useBoard } from "../hooks/useBoard";
import { useDocumentTitle } from "../hooks/useDocumentTitle";
import { useNow } from "../hooks/useNow";
import { useProjects } from "../hooks/useProjects";
import { boardTitle, RANGES, stableRange, withParam, withRange } from "../lib/boardFilters";
import { plural } from "../lib/format";
import { RUN_STATUSES, STATUS_LABEL } from "../lib/status";

export function BoardPage() {
  const { projectId = "", definitionId } = useParams();
  const [search, setSearch] = useSearchParams();
  const navigate = useNavigate();
  const status = (search.get("status") ?? "") as RunStatus | "";
  const q = search.get("q") ?? "";
  const created = search.get("created") ?? "";
  // Resolved once per filter value: a preset does not slide with the clock (and reload the board).
  const [resolveRange] = useState(stableRange);
  const range = resolveRange(created, search.get("created_after"), search.get("created_before"));
  // The search box answers as one types; the server is asked once typing pauses.
  const [typed, setTyped] = useState(q);
  useEffect(() => setTyped(q), [q]);
  useEffect(() => {
    if (typed === q) return;
    const t = setTimeout(() => setParam("q", typed), 250);
    return () => clearTimeout(t);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [typed]);

  const defs = useAsync((signal) => listDefinitions(projectId, { signal }), [projectId]);
  const list = useBoard({
    projectId,
    definitionId,
    status: RUN_STATUSES.includes(status as RunStatus) ? status : "",
    q,
    createdAfter: range.after,
    createdBefore: range.before,
  });
  const listed = defs.data?.find((d) => d.id === definitionId);
  // A run's definition need not be a template (a file run from elsewhere with the CLI): the
  // list of templates lacks it, so it is read by id.
  const unlisted = useAsync(
    (signal) => (definitionId && defs.data && !listed ? getDefinition(definitionId, { signal }) : Promise.resolve(undefined)),
    [definitionId, defs.data, listed],
  );
  const def = listed ?? unlisted.data;
  const projects = useProjects();
  const project = projects.data?.find((p) => p.id === projectId);
  const board = list.board;
  useDocumentTitle(boardTitle(project?.name, definitionId ? def?.name : undefined, board));
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

  // Clocks tick while a run runs, and while one waits (a sleep's countdown).
  const ticking = !!board && (board.running > 0 || board.waiting > 0);
  const now = useNow(ticking);

  // From the URL as it is when applied, not as this render saw it: the search's debounce must
  // not undo a filter chosen meanwhile. (React Router's `setSearch(prev => …)` gives the
  // params of the render the setter came from, stale in a timer, so the location is read.)
  const current = () => new URLSearchParams(window.location.search);
  function setParam(key: string, value: string) {
    setSearch(withParam(current(), key, value), { replace: true });
  }

  function setRange(value: string) {
    setSearch(withRange(current(), value), { replace: true });
  }

  const qs = search.toString();
  const filtered = Boolean(status || q.trim() || range.after || range.before);

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
          <span className="sr-only">Search runs by name, id, argument, step or error</span>
          <input
            ref={searchRef}
            data-testid="run-search"
            type="search"
            placeholder="Search name, id, args, steps, errors…  /"
            title="Searches run names and ids, argument values, step names and keys, and error messages"
            aria-keyshortcuts="/"
            value={typed}
            onChange={(e) => setTyped(e.target.value)}
          />
        </label>
        <label className="toolbar-field">
          <span className="sr-only">Created</span>
          <select data-testid="created-filter" value={created === "custom" || RANGES.some((r) => r.value === created) ? created : ""} onChange={(e) => setRange(e.target.value)}>
            {RANGES.map((r) => (
              <option key={r.value} value={r.value}>
                {r.label}
              </option>
            ))}
          </select>
        </label>
        {created === "custom" && (
          <span className="toolbar-field created-custom">
            <label>
              <span className="sr-only">Created from</span>
              <input type="date" data-testid="created-after" value={search.get("created_after") ?? ""} onChange={(e) => setParam("created_after", e.target.value)} />
            </label>
            <span className="muted small">to</span>
            <label>
              <span className="sr-only">Created up to and including</span>
              <input type="date" data-testid="created-before" value={search.get("created_before") ?? ""} onChange={(e) => setParam("created_before", e.target.value)} />
            </label>
          </span>
        )}
        <span className="toolbar-spacer" />
        {board && (
          <span className="muted small run-count" data-testid="run-count" data-total={board.total} aria-live="polite">
            {plural(board.total, "run")}
            {board.running + board.waiting > 0 ? ` · ${board.running} running · ${board.waiting} waiting` : ""}
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
      ) : list.loading || !board ? (
        <Loading label="Loading runs…" />
      ) : (
        <>
          {board.total === 0 && (
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
          <BoardColumns
            columns={board.columns}
            projectId={projectId}
            now={now}
            showWorkflow={!definitionId}
            loadingMore={list.loadingMore}
            moreErrors={list.moreErrors}
            loadMore={list.loadMore}
          />
        </>
      )}
    </div>
  );
}
