// A step's live log: `events.jsonl` as written so far, joined with the progress events this
// app has seen for the step (which may be ahead of the file: the server writes it buffered),
// then each new progress event as it arrives. Entries both sources hold are kept once (see
// `mergeLive`).

import { useEffect, useRef, useState } from "react";
import { errorMessage, isAbort } from "../api/client";
import { getStepLog } from "../api/endpoints";
import { mergeLive, parseEventsFile, progressEntry, type LogEntry } from "../lib/agentLog";
import { useProgressCache, useWsEvents, useWsOpen } from "../ws/WsContext";

export interface StepLogState {
  entries: LogEntry[];
  loading: boolean;
  error: string | null;
}

/** Most entries kept in memory; older ones are dropped (the file keeps them all). */
const MAX_ENTRIES = 5000;

const cap = (l: LogEntry[]) => (l.length > MAX_ENTRIES ? l.slice(-MAX_ENTRIES) : l);

/**
 * `finished` is false while the step runs: when it turns true the file (complete by then) is
 * read again.
 */
export function useStepLog(
  stepRowId: string,
  isAgent: boolean,
  agent: string | null,
  finished: boolean,
  /** The numbers of a retried step's recorded tries: each has its own file, read in order. */
  tries: number[] = [],
): StepLogState {
  const cache = useProgressCache();
  const [entries, setEntries] = useState<LogEntry[]>([]);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<string | null>(null);
  /** Live events are applied once the file is in: those before are in the cache. */
  const loaded = useRef(false);
  const [generation, setGeneration] = useState(0);
  const triesKey = tries.join(",");
  const agentRef = useRef(agent);
  agentRef.current = agent;

  useEffect(() => {
    const ctrl = new AbortController();
    loaded.current = false;
    setLoading(true);
    // (Entries stay shown while the file is read again.)
    readTries(stepRowId, triesKey, ctrl.signal)
      .then((content) => {
        const file = parseEventsFile(content, agentRef.current, isAgent);
        setEntries(cap(mergeLive(file, cache.get(stepRowId))));
        loaded.current = true;
        setError(null);
        setLoading(false);
      })
      .catch((e: unknown) => {
        if (isAbort(e)) return;
        // Without the file, what streamed is still worth showing.
        setEntries(cache.get(stepRowId));
        loaded.current = true;
        setError(errorMessage(e));
        setLoading(false);
      });
    return () => ctrl.abort();
  }, [stepRowId, isAgent, generation, cache, finished, triesKey]);

  useWsEvents((ev) => {
    if (ev.type !== "workflow.step.progress" || ev.data.step_id !== stepRowId || !loaded.current) return;
    const entry = progressEntry(ev.data);
    setEntries((prev) => cap([...prev, entry]));
  });

  // A fresh connection may have missed lines: read the file again.
  useWsOpen(({ resumed }) => {
    if (!resumed) setGeneration((g) => g + 1);
  });

  return { entries, loading: loading && entries.length === 0, error };
}

/**
 * The step's `events.jsonl`, or for a retried step every try's (the first try's is the step's
 * own file, try N's is `?attempt=N`), one after the other: the log reads as the tries ran. A
 * try whose file cannot be read is left out; the first one's error is the step's.
 */
async function readTries(stepRowId: string, triesKey: string, signal: AbortSignal): Promise<string> {
  const tries = triesKey === "" ? [] : triesKey.split(",").map(Number);
  if (tries.length < 2) return (await getStepLog(stepRowId, "events", { signal })).content;
  const parts = await Promise.all(
    tries.map((n, i) =>
      getStepLog(stepRowId, "events", { signal }, n === 1 ? undefined : n).then(
        (log) => log.content,
        (e: unknown) => {
          if (i === 0 || isAbort(e)) throw e;
          return "";
        },
      ),
    ),
  );
  return parts.filter((p) => p !== "").map((p) => (p.endsWith("\n") ? p : `${p}\n`)).join("");
}
