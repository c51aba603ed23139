// The board's runs: one fetch, then kept current from WebSocket events. A run the events
// cannot describe (a new one, or one not loaded) is fetched alone; nothing polls.

import { useCallback, useEffect, useRef, useState } from "react";
import { errorMessage, isAbort } from "../api/client";
import { getRunSummary, listRuns } from "../api/endpoints";
import type { RunStatus, RunSummary } from "../api/types";
import { applyRunEvent, isBoardEvent } from "../lib/runEvents";
import type { WsEvent } from "../ws/events";
import { useEventStream, useWsEvents, useWsOpen } from "../ws/WsContext";

export interface RunListQuery {
  projectId: string;
  /** Only this definition's runs; undefined for all. */
  definitionId?: string;
  /** Asked of the server too, so a filtered board is complete. */
  status?: RunStatus | "";
}

export interface RunListState {
  runs: RunSummary[];
  loading: boolean;
  error: string | null;
  hasMore: boolean;
  loadingMore: boolean;
  loadMore: () => void;
  reload: () => void;
}

const PAGE = 100;
/** More unknown runs than this in one burst (a long replay): reload the page instead. */
const MAX_SINGLE_FETCHES = 20;

function byNewest(a: RunSummary, b: RunSummary): number {
  return a.id < b.id ? 1 : a.id > b.id ? -1 : 0;
}

export function useRunList(q: RunListQuery): RunListState {
  const stream = useEventStream();
  const [runs, setRuns] = useState<Map<string, RunSummary>>(new Map());
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<string | null>(null);
  const [cursor, setCursor] = useState<string | null>(null);
  const [loadingMore, setLoadingMore] = useState(false);
  const ctrl = useRef<AbortController | null>(null);
  const queryRef = useRef(q);
  queryRef.current = q;
  /** Runs being fetched alone, and runs known not to belong here. */
  const pending = useRef(new Set<string>());
  const foreign = useRef(new Set<string>());
  /** Runs an event touched while they were being fetched: the answer may predate it. */
  const stale = useRef(new Set<string>());
  const refetchRef = useRef<(id: string) => void>(() => {});
  const queue = useRef(new Set<string>());
  const flushTimer = useRef<ReturnType<typeof setTimeout> | null>(null);

  const load = useCallback(
    async (quiet: boolean) => {
      ctrl.current?.abort();
      const c = new AbortController();
      ctrl.current = c;
      if (!quiet) setLoading(true);
      held.current = [];
      try {
        if (!quiet) await stream.whenOpen(1500);
        const { projectId, definitionId, status } = queryRef.current;
        const page = await listRuns({ projectId, definitionId, status, limit: PAGE }, { signal: c.signal });
        if (c.signal.aborted) return;
        foreign.current.clear();
        const map = new Map(page.data.map((r) => [r.id, r]));
        // Events that came during the request, in order: the last one wins.
        const again = new Set<string>();
        for (const ev of held.current ?? []) {
          const id = applyTo(map, ev);
          if (id) again.add(id);
        }
        held.current = null;
        setRuns(map);
        again.forEach((id) => refetchSoon(id));
        setCursor(page.next_cursor);
        setError(null);
      } catch (e) {
        if (isAbort(e) || c.signal.aborted) return;
        held.current = null;
        setError(errorMessage(e));
      } finally {
        if (!c.signal.aborted) setLoading(false);
      }
    },
    // `applyTo` and `refetchSoon` are stable: they are called, not depended on.
    [stream],
  );

  useEffect(() => {
    setRuns(new Map());
    setCursor(null);
    void load(false);
    return () => ctrl.current?.abort();
  }, [q.projectId, q.definitionId, q.status, load]);

  const loadMore = useCallback(async () => {
    if (!cursor) return;
    setLoadingMore(true);
    try {
      const { projectId, definitionId, status } = queryRef.current;
      const page = await listRuns({ projectId, definitionId, status, limit: PAGE, cursor });
      setRuns((prev) => {
        const next = new Map(prev);
        for (const r of page.data) if (!next.has(r.id)) next.set(r.id, r);
        return next;
      });
      setCursor(page.next_cursor);
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setLoadingMore(false);
    }
  }, [cursor]);

  const fetchOne = useCallback(async (id: string) => {
    pending.current.add(id);
    try {
      const run = await getRunSummary(id);
      const { projectId, definitionId } = queryRef.current;
      if (run.project_id !== projectId || (definitionId && run.workflow_definition_id !== definitionId)) {
        foreign.current.add(id);
        return;
      }
      setRuns((prev) => new Map(prev).set(id, run));
    } catch {
      // Gone or not visible: nothing to show.
      foreign.current.add(id);
    } finally {
      pending.current.delete(id);
      // Events came during the request (a run that starts and waits at once): read again.
      if (stale.current.delete(id)) refetchRef.current(id);
    }
  }, []);

  const flush = useCallback(() => {
    flushTimer.current = null;
    const ids = [...queue.current];
    queue.current.clear();
    if (ids.length > MAX_SINGLE_FETCHES) {
      void load(true);
      return;
    }
    ids.forEach((id) => void fetchOne(id));
  }, [fetchOne, load]);

  const refetchSoon = useCallback(
    (id: string) => {
      if (foreign.current.has(id)) return;
      if (pending.current.has(id)) {
        stale.current.add(id);
        return;
      }
      queue.current.add(id);
      if (!flushTimer.current) flushTimer.current = setTimeout(flush, 60);
    },
    [flush],
  );
  refetchRef.current = refetchSoon;

  useEffect(
    () => () => {
      if (flushTimer.current) clearTimeout(flushTimer.current);
    },
    [],
  );

  const runsRef = useRef(runs);
  runsRef.current = runs;
  /** Events that arrive while the page loads: applied on top of it. */
  const held = useRef<WsEvent[] | null>(null);

  /** Applies one event to `map` (in place); returns the run to read again, if any. */
  const applyTo = useCallback((map: Map<string, RunSummary>, ev: WsEvent): string | null => {
    const id = ev.data.execution_id;
    const known = map.get(id);
    if (!known) return id;
    const next = applyRunEvent(known, ev);
    if (next) map.set(id, next);
    // What the event does not carry: a step never seen, counts, exact times at the end.
    if (ev.type === "workflow.step.completed" && !known.steps.some((s) => s.id === ev.data.step_id)) return id;
    if (ev.type === "workflow.execution.status_changed" && ev.data.status !== "running") return id;
    if (ev.type === "workflow.comment.created" || ev.type === "workflow.artifact.created") return id;
    return null;
  }, []);

  useWsEvents((ev: WsEvent) => {
    if (ev.data.project_id !== queryRef.current.projectId || !isBoardEvent(ev)) return;
    if (foreign.current.has(ev.data.execution_id)) return;
    if (held.current) {
      held.current.push(ev);
      return;
    }
    if (!runsRef.current.has(ev.data.execution_id)) {
      refetchSoon(ev.data.execution_id);
      return;
    }
    let again: string | null = null;
    setRuns((prev) => {
      const map = new Map(prev);
      again = applyTo(map, ev);
      return map;
    });
    if (again) refetchSoon(again);
  });

  // A fresh connection (not a replay) may have missed events: load again, quietly.
  useWsOpen(({ resumed }) => {
    if (!resumed) void load(true);
  });

  const list = [...runs.values()].sort(byNewest);
  return {
    runs: list,
    loading,
    error,
    hasMore: cursor !== null,
    loadingMore,
    loadMore: () => void loadMore(),
    reload: () => void load(false),
  };
}
