// The approval gates waiting now, in every project the user may see (`GET /api/approvals`),
// for the header's "needs you" badge: read again when an event says a run began or stopped
// waiting, and every 15 s while the live stream is down (60 s while it is up, in case a
// project was shared or an event missed).

import { useCallback, useEffect, useRef, useState } from "react";
import { ApiError, errorMessage, isAbort } from "../api/client";
import { listApprovals } from "../api/endpoints";
import type { PendingApproval } from "../api/types";
import { isApprovalEvent } from "../lib/waits";
import { useWsEvents, useWsOpen, useWsState } from "../ws/WsContext";
import { useDebounced } from "./useAsync";

export interface ApprovalsState {
  list: PendingApproval[] | null;
  error: string | null;
  /** The server has no approvals route (a version before waits): nothing to show. */
  unsupported: boolean;
  reload: () => void;
}

const CHANGED = "wf:approvals-changed";

/** Tells the badge that this tab just decided a gate (or learnt that it was): read again now. */
export function approvalsChanged(): void {
  window.dispatchEvent(new Event(CHANGED));
}

const POLL_OFFLINE_MS = 15_000;
const POLL_LIVE_MS = 60_000;

export function useApprovals(): ApprovalsState {
  const [list, setList] = useState<PendingApproval[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [unsupported, setUnsupported] = useState(false);
  const ctrl = useRef<AbortController | null>(null);
  const { state } = useWsState();

  const load = useCallback(async () => {
    ctrl.current?.abort();
    const c = new AbortController();
    ctrl.current = c;
    try {
      const data = await listApprovals({ signal: c.signal });
      if (c.signal.aborted) return;
      setList(data);
      setError(null);
      setUnsupported(false);
    } catch (e) {
      if (isAbort(e) || c.signal.aborted) return;
      if (e instanceof ApiError && (e.status === 404 || e.status === 405)) setUnsupported(true);
      else setError(errorMessage(e));
    }
  }, []);

  const soon = useDebounced(() => void load(), 250);

  useEffect(() => {
    void load();
    const onChanged = () => void load();
    window.addEventListener(CHANGED, onChanged);
    return () => {
      window.removeEventListener(CHANGED, onChanged);
      ctrl.current?.abort();
    };
  }, [load]);

  useEffect(() => {
    const t = setInterval(() => {
      if (document.visibilityState === "visible") void load();
    }, state === "open" ? POLL_LIVE_MS : POLL_OFFLINE_MS);
    return () => clearInterval(t);
  }, [state, load]);

  useWsEvents((ev) => {
    if (isApprovalEvent(ev, list)) soon();
  });
  useWsOpen(({ resumed }) => {
    if (!resumed) soon();
  });

  return { list, error, unsupported, reload: () => void load() };
}
