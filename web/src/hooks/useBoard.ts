// The board's runs by column (`GET /api/board`): exact counts from the server, each column
// paged on its own, kept current from WebSocket events. A run that moves column changes both
// counts in memory; a run the events cannot describe (a new one, one not loaded) is read alone
// and the counts asked of the server again (only the counts). Nothing polls.

import { useCallback, useEffect, useRef, useState } from "react";
import { errorMessage, isAbort } from "../api/client";
import { getBoard, getRunSummary, listRuns, type RunQuery } from "../api/endpoints";
import type { BoardAnswer } from "../api/types";
import { appendPage, COLUMN_HINT, leftQueue, locate, noteBoardOutput, placeRun, withCounts, type BoardData, type BoardFilter, type Lanes } from "../lib/columns";
import { applyRunEvent, isBoardEvent } from "../lib/runEvents";
import type { WsEvent } from "../ws/events";
import { useEventStream, useWsEvents, useWsOpen } from "../ws/WsContext";

export type BoardQuery = Omit<RunQuery, "column" | "cursor" | "limit">;

export interface BoardState {
  board: BoardData | null;
  /** `{phases}` on a workflow's board (from the server's columns), null for the status view. */
  lanes: Lanes;
  loading: boolean;
  error: string | null;
  /** Columns loading their next page. */
  loadingMore: ReadonlySet<string>;
  /** Columns whose next page failed, with why. */
  moreErrors: ReadonlyMap<string, string>;
  loadMore: (key: string) => void;
  reload: () => void;
}

/** Runs per column in the first answer and each next page. */
export const PAGE = 25;
const MORE = 50;
/** More unknown runs than this in one burst (a long replay): load the board again instead. */
const MAX_SINGLE_FETCHES = 20;

function toBoard(a: BoardAnswer): BoardData {
  return {
    total: a.total,
    running: a.running,
    waiting: a.waiting,
    pending: a.pending,
    columns: a.columns.map((c) => ({ key: c.key, title: c.title, hint: COLUMN_HINT[c.key], count: c.count, runs: c.runs, nextCursor: c.next_cursor ?? null })),
  };
}

function without(m: ReadonlyMap<string, string>, key: string): ReadonlyMap<string, string> {
  if (!m.has(key)) return m;
  const n = new Map(m);
  n.delete(key);
  return n;
}

function lanesOf(q: BoardQuery, a: BoardAnswer): Lanes {
  return q.definitionId ? { phases: a.columns.map((c) => c.key).filter((k) => k !== "__pending" && k !== "__done") } : null;
}

export function useBoard(q: BoardQuery): BoardState {
  const stream = useEventStream();
  const [board, setBoard] = useState<BoardData | null>(null);
  const [lanes, setLanes] = useState<Lanes>(null);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<string | null>(null);
  const [loadingMore, setLoadingMore] = useState<ReadonlySet<string>>(new Set());
  const [moreErrors, setMoreErrors] = useState<ReadonlyMap<string, string>>(new Map());
  const ctrl = useRef<AbortController | null>(null);
  const queryRef = useRef(q);
  queryRef.current = q;
  /**
   * The board as last set. Every change is computed from it, assigned to it, then given to
   * React (`commit`), so two changes in one tick never overwrite each other.
   */
  const boardRef = useRef(board);
  const commit = useCallback((next: BoardData | null) => {
    boardRef.current = next;
    setBoard(next);
  }, []);
  const lanesRef = useRef(lanes);
  lanesRef.current = lanes;
  /** Events that arrive while the board loads: applied on top of it. */
  const held = useRef<WsEvent[] | null>(null);
  const queue = useRef(new Set<string>());
  const flushTimer = useRef<ReturnType<typeof setTimeout> | null>(null);
  const countsTimer = useRef<ReturnType<typeof setTimeout> | null>(null);
  const generation = useRef(0);

  const filter = (): BoardFilter => {
    const { projectId, definitionId, status, createdAfter, createdBefore } = queryRef.current;
    return { projectId, definitionId, status, createdAfter, createdBefore };
  };

  const load = useCallback(
    async (quiet: boolean) => {
      ctrl.current?.abort();
      const c = new AbortController();
      ctrl.current = c;
      const gen = ++generation.current;
      if (!quiet) setLoading(true);
      held.current = [];
      try {
        if (!quiet) await stream.whenOpen(1500);
        const answer = await getBoard({ ...queryRef.current, limit: PAGE }, { signal: c.signal });
        if (c.signal.aborted || gen !== generation.current) return;
        const l = lanesOf(queryRef.current, answer);
        let b = toBoard(answer);
        const again = new Set<string>();
        for (const ev of held.current ?? []) {
          const id = applyEvent(b, l, ev, (next) => (b = next));
          if (id) again.add(id);
        }
        held.current = null;
        setLanes(l);
        commit(b);
        setLoadingMore(new Set());
        setMoreErrors(new Map());
        inFlight.current.clear();
        again.forEach((id) => refetchSoon(id));
        setError(null);
      } catch (e) {
        if (isAbort(e) || c.signal.aborted) return;
        held.current = null;
        setError(errorMessage(e));
      } finally {
        if (!c.signal.aborted) setLoading(false);
      }
    },
    // `applyEvent` and `refetchSoon` are stable: they are called, not depended on.
    [stream],
  );

  const { projectId, definitionId, status, q: search, createdAfter, createdBefore } = q;
  useEffect(() => {
    commit(null);
    void load(false);
    return () => ctrl.current?.abort();
  }, [projectId, definitionId, status, search, createdAfter, createdBefore, load]);

  /** Columns with a page on its way: a second call for one of them does nothing. */
  const inFlight = useRef(new Set<string>());
  const loadMoreAsync = useCallback(async (key: string) => {
    const col = boardRef.current?.columns.find((c) => c.key === key);
    if (!col?.nextCursor || inFlight.current.has(key)) return;
    const gen = generation.current;
    inFlight.current.add(key);
    setLoadingMore((s) => new Set(s).add(key));
    setMoreErrors((m) => without(m, key));
    try {
      const page = await listRuns({ ...queryRef.current, column: key, cursor: col.nextCursor, limit: MORE });
      if (gen !== generation.current) return;
      const b = boardRef.current;
      if (b) commit(appendPage(b, key, page.data, page.next_cursor ?? null));
    } catch (e) {
      // This column's next page failed: said on the column, the board stays.
      if (gen === generation.current) setMoreErrors((m) => new Map(m).set(key, errorMessage(e)));
    } finally {
      inFlight.current.delete(key);
      setLoadingMore((s) => {
        const n = new Set(s);
        n.delete(key);
        return n;
      });
    }
  }, [commit]);
  const loadMore = useCallback((key: string) => void loadMoreAsync(key), [loadMoreAsync]);
  const reload = useCallback(() => void load(false), [load]);

  /** Only the counts, asked again after changes that cannot be counted here. */
  const countsSoon = useCallback(() => {
    if (countsTimer.current) return;
    countsTimer.current = setTimeout(async () => {
      countsTimer.current = null;
      const gen = generation.current;
      try {
        const fresh = await getBoard({ ...queryRef.current, limit: 1 });
        if (gen !== generation.current) return;
        const b = boardRef.current;
        if (b) commit(withCounts(b, toBoard(fresh)));
      } catch {
        // The next change or reconnect asks again.
      }
    }, 250);
  }, []);

  const fetchOne = useCallback(
    async (id: string) => {
      const gen = generation.current;
      try {
        const run = await getRunSummary(id);
        if (gen !== generation.current) return;
        // A search the client cannot check: a run not shown is found by asking again.
        if (queryRef.current.q?.trim() && !(boardRef.current && locate(boardRef.current, id))) {
          void load(true);
          return;
        }
        const b = boardRef.current;
        if (b) {
          const placed = placeRun(b, run, lanesRef.current, filter());
          commit(placed.board);
          if (placed.unknownColumn) void load(true);
        }
      } catch {
        // Gone or not visible: nothing to show.
      }
      countsSoon();
    },
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [countsSoon, load],
  );

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
      queue.current.add(id);
      if (!flushTimer.current) flushTimer.current = setTimeout(flush, 60);
    },
    [flush],
  );

  useEffect(
    () => () => {
      if (flushTimer.current) clearTimeout(flushTimer.current);
      if (countsTimer.current) clearTimeout(countsTimer.current);
    },
    [],
  );

  /**
   * Applies one event to board `b` (giving the new board to `set`); returns a run to read
   * again (one not loaded, or what the event does not carry), if any.
   */
  const applyEvent = useCallback((b: BoardData, l: Lanes, ev: WsEvent, set: (next: BoardData) => void): string | null => {
    const id = ev.data.execution_id;
    const at = locate(b, id);
    if (!at) return id;
    const known = b.columns[at.col].runs[at.at];
    const next = applyRunEvent(known, ev);
    if (next) {
      const left = !!known.queue && next.status !== "pending";
      let placed = placeRun(b, left ? { ...next, queue: null } : next, l, filter()).board;
      if (left) placed = leftQueue(placed, known);
      set(placed);
    }
    if (ev.type === "workflow.step.completed" && !known.steps.some((s) => s.id === ev.data.step_id)) return id;
    if (ev.type === "workflow.execution.status_changed" && ev.data.status !== "running") return id;
    if (ev.type === "workflow.comment.created" || ev.type === "workflow.artifact.created") return id;
    return null;
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);

  useWsEvents((ev: WsEvent) => {
    if (ev.data.project_id !== queryRef.current.projectId) return;
    if (ev.type === "workflow.step.progress") {
      // Output: the card's "no output for N min" goes away (noteOutput redraws at most every 20 s).
      const b = boardRef.current;
      const next = b && !held.current ? noteBoardOutput(b, ev.data.execution_id, ev.data.step_id, Date.now(), ev.data.stream) : null;
      if (next) commit(next);
      return;
    }
    if (!isBoardEvent(ev)) return;
    if (held.current) {
      held.current.push(ev);
      return;
    }
    const b = boardRef.current;
    if (!b) return;
    let next = b;
    const again = applyEvent(b, lanesRef.current, ev, (n) => (next = n));
    if (next !== b) commit(next);
    if (again) refetchSoon(again);
  });

  // A fresh connection (not a replay) may have missed events: load again, quietly.
  useWsOpen(({ resumed }) => {
    if (!resumed) void load(true);
  });

  return {
    board,
    lanes,
    loading,
    error,
    loadingMore,
    moreErrors,
    loadMore,
    reload,
  };
}
