// A step's live log: `events.jsonl` as written so far (whole lines, every try of a retried
// step), joined with the progress events this app has seen for the step, then each new
// progress event as it arrives. Each live event says where its record ends in its try's file
// and each read says how much of each file it holds, so an event is added exactly when the
// read lacks it (`lib/logJoin.ts`): opening, closing and reopening a streaming log shows each
// line once whichever of the file and the socket is ahead. Nothing is capped: the view
// renders what is on screen.

import { useEffect, useRef, useState } from "react";
import { errorMessage, isAbort } from "../api/client";
import { getStepLog } from "../api/endpoints";
import { parseEventsFile, progressEntry, type LogEntry } from "../lib/agentLog";
import { isPastRead, joinLive, type ReadSizes } from "../lib/logJoin";
import { useProgressCache, useWsEvents, useWsOpen } from "../ws/WsContext";

export interface StepLogState {
  entries: LogEntry[];
  loading: boolean;
  error: string | null;
}

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
  /** What the last read holds; null while a read is under way (its live events are in the cache). */
  const read = useRef<ReadSizes | null>(null);
  const [generation, setGeneration] = useState(0);
  const triesKey = tries.join(",");
  const agentRef = useRef(agent);
  agentRef.current = agent;
  /** Live entries not shown yet: added once per frame, however fast lines come. */
  const pending = useRef<LogEntry[]>([]);
  const frame = useRef<number | null>(null);

  useEffect(
    () => () => {
      if (frame.current !== null) cancelAnimationFrame(frame.current);
    },
    [],
  );

  useEffect(() => {
    const ctrl = new AbortController();
    read.current = null;
    pending.current = [];
    setLoading(true);
    // (Entries stay shown while the file is read again.)
    readTries(stepRowId, triesKey, ctrl.signal)
      .then((parts) => {
        const file = parts.flatMap((p) => parseEventsFile(p.content, agentRef.current, isAgent));
        const sizes = new Map(parts.map((p) => [p.attempt, p.size]));
        // The cache and this read are taken in the same task: an event is in the cache now,
        // or arrives after and is added by the listener below.
        setEntries(joinLive(file, sizes, cache.get(stepRowId)));
        pending.current = [];
        read.current = sizes;
        setError(null);
        setLoading(false);
      })
      .catch((e: unknown) => {
        if (isAbort(e)) return;
        // Without the file, what streamed is still worth showing.
        setEntries(cache.get(stepRowId));
        pending.current = [];
        read.current = new Map();
        setError(errorMessage(e));
        setLoading(false);
      });
    return () => ctrl.abort();
  }, [stepRowId, isAgent, generation, cache, finished, triesKey]);

  useWsEvents((ev) => {
    const sizes = read.current;
    if (ev.type !== "workflow.step.progress" || ev.data.step_id !== stepRowId || !sizes) return;
    const entry = progressEntry(ev.data);
    if (!isPastRead(entry, sizes)) return;
    pending.current.push(entry);
    if (frame.current !== null) return;
    frame.current = requestAnimationFrame(() => {
      frame.current = null;
      const add = pending.current;
      pending.current = [];
      if (add.length) setEntries((prev) => [...prev, ...add]);
    });
  });

  // A fresh connection may have missed lines: read the file again.
  useWsOpen(({ resumed }) => {
    if (!resumed) setGeneration((g) => g + 1);
  });

  return { entries, loading: loading && entries.length === 0, error };
}

interface TryRead {
  attempt: number;
  content: string;
  size: number;
}

/**
 * The step's `events.jsonl`, or for a retried step every try's (the first try's is the step's
 * own file, try N's is `?attempt=N`), in order: the log reads as the tries ran. A try whose
 * file cannot be read is left out; the first one's error is the step's.
 */
async function readTries(stepRowId: string, triesKey: string, signal: AbortSignal): Promise<TryRead[]> {
  const tries = triesKey === "" ? [1] : triesKey.split(",").map(Number);
  const parts = await Promise.all(
    tries.map((n, i) =>
      getStepLog(stepRowId, "events", { signal }, n === 1 ? undefined : n).then(
        (log): TryRead => ({ attempt: n, content: log.content, size: log.size }),
        (e: unknown) => {
          if (i === 0 || isAbort(e)) throw e;
          return null;
        },
      ),
    ),
  );
  return parts.filter((p): p is TryRead => p !== null);
}
