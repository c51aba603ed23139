// A step's live log: `events.jsonl` as written so far, then the step's progress events as
// they arrive. Events that arrive while the file loads are held, and those the file already
// has are dropped (see `mergeLive`).

import { useEffect, useRef, useState } from "react";
import { errorMessage, isAbort } from "../api/client";
import { getStepLog } from "../api/endpoints";
import { mergeLive, parseEventsFile, progressEntry, type LogEntry } from "../lib/agentLog";
import { useWsEvents, useWsOpen } from "../ws/WsContext";

export interface StepLogState {
  entries: LogEntry[];
  loading: boolean;
  error: string | null;
}

/** Most entries kept in memory; older ones are dropped (the file keeps them all). */
const MAX_ENTRIES = 5000;

export function useStepLog(stepRowId: string, isAgent: boolean, agent: string | null): StepLogState {
  const [entries, setEntries] = useState<LogEntry[]>([]);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<string | null>(null);
  /** Live entries held while the file loads; null once it has loaded. */
  const held = useRef<LogEntry[] | null>([]);
  const [generation, setGeneration] = useState(0);
  const agentRef = useRef(agent);
  agentRef.current = agent;

  useEffect(() => {
    const ctrl = new AbortController();
    held.current = [];
    setLoading(true);
    getStepLog(stepRowId, "events", { signal: ctrl.signal })
      .then((log) => {
        const file = parseEventsFile(log.content, agentRef.current, isAgent);
        const merged = mergeLive(file, held.current ?? []);
        held.current = null;
        setEntries(merged.length > MAX_ENTRIES ? merged.slice(-MAX_ENTRIES) : merged);
        setError(null);
        setLoading(false);
      })
      .catch((e: unknown) => {
        if (isAbort(e)) return;
        held.current = null;
        setError(errorMessage(e));
        setLoading(false);
      });
    return () => ctrl.abort();
  }, [stepRowId, isAgent, generation]);

  useWsEvents((ev) => {
    if (ev.type !== "workflow.step.progress" || ev.data.step_id !== stepRowId) return;
    const entry = progressEntry(ev.data);
    if (held.current) {
      held.current.push(entry);
      return;
    }
    setEntries((prev) => {
      const next = [...prev, entry];
      return next.length > MAX_ENTRIES ? next.slice(-MAX_ENTRIES) : next;
    });
  });

  // A fresh connection may have missed lines: read the file again.
  useWsOpen(({ resumed }) => {
    if (!resumed) setGeneration((g) => g + 1);
  });

  return { entries, loading: loading && entries.length === 0, error };
}
