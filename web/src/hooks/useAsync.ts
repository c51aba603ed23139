import { useCallback, useEffect, useRef, useState, type DependencyList } from "react";
import { isAbort } from "../api/client";

export interface AsyncState<T> {
  data: T | undefined;
  error: unknown;
  loading: boolean;
  /** Loads again; `quiet` keeps showing the current data meanwhile. */
  reload: (quiet?: boolean) => void;
  /** Replaces the data locally (after a mutation or an event). */
  setData: (update: (prev: T | undefined) => T | undefined) => void;
}

/** Loads `fn` when `deps` change; aborts stale requests. */
export function useAsync<T>(fn: (signal: AbortSignal) => Promise<T>, deps: DependencyList): AsyncState<T> {
  const [data, setDataState] = useState<T | undefined>(undefined);
  const [error, setError] = useState<unknown>(null);
  const [loading, setLoading] = useState(true);
  const fnRef = useRef(fn);
  fnRef.current = fn;
  const ctrl = useRef<AbortController | null>(null);

  const run = useCallback((quiet: boolean) => {
    ctrl.current?.abort();
    const c = new AbortController();
    ctrl.current = c;
    if (!quiet) setLoading(true);
    fnRef
      .current(c.signal)
      .then((d) => {
        if (c.signal.aborted) return;
        setDataState(d);
        setError(null);
        setLoading(false);
      })
      .catch((e: unknown) => {
        if (isAbort(e) || c.signal.aborted) return;
        setError(e);
        setLoading(false);
      });
  }, []);

  useEffect(() => {
    setDataState(undefined);
    run(false);
    return () => ctrl.current?.abort();
  }, deps);

  const reload = useCallback((quiet = false) => run(quiet), [run]);
  const setData = useCallback((u: (prev: T | undefined) => T | undefined) => setDataState(u), []);
  return { data, error, loading, reload, setData };
}

/** Calls `fn` once after `ms` of quiet, however often it is asked. */
export function useDebounced(fn: () => void, ms: number): () => void {
  const fnRef = useRef(fn);
  fnRef.current = fn;
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  useEffect(() => () => {
    if (timer.current) clearTimeout(timer.current);
  }, []);
  return useCallback(() => {
    if (timer.current) clearTimeout(timer.current);
    timer.current = setTimeout(() => {
      timer.current = null;
      fnRef.current();
    }, ms);
  }, [ms]);
}
