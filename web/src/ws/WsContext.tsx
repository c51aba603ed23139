import { createContext, useContext, useEffect, useRef, useState, type ReactNode } from "react";
import { getToken } from "../api/session";
import type { WsEvent } from "./events";
import { ProgressCache } from "./progressCache";
import { EventStream, type OpenInfo, type WsState } from "./stream";

interface Live {
  stream: EventStream;
  progress: ProgressCache;
}

const StreamContext = createContext<Live | null>(null);

/** Holds the one event stream while signed in. */
export function WsProvider({ children }: { children: ReactNode }) {
  // Created and started during the first render, so the connection is under way before the
  // pages (whose effects run first) ask for their data.
  const ref = useRef<Live | null>(null);
  if (ref.current === null) {
    const stream = new EventStream(getToken);
    const progress = new ProgressCache();
    stream.onEvent(progress.add);
    stream.start();
    ref.current = { stream, progress };
  }
  const live = ref.current;
  useEffect(() => {
    live.stream.start();
    return () => live.stream.stop();
  }, [live]);
  return <StreamContext.Provider value={live}>{children}</StreamContext.Provider>;
}

function useLive(): Live {
  const s = useContext(StreamContext);
  if (!s) throw new Error("used outside WsProvider");
  return s;
}

export function useEventStream(): EventStream {
  return useLive().stream;
}

/** The step progress seen so far, per step. */
export function useProgressCache(): ProgressCache {
  return useLive().progress;
}

/** Calls `handler` for every event; the latest handler is used without resubscribing. */
export function useWsEvents(handler: (e: WsEvent) => void): void {
  const stream = useEventStream();
  const ref = useRef(handler);
  ref.current = handler;
  useEffect(() => stream.onEvent((e) => ref.current(e)), [stream]);
}

/** Calls `handler` each time the socket (re)opens. */
export function useWsOpen(handler: (info: OpenInfo) => void): void {
  const stream = useEventStream();
  const ref = useRef(handler);
  ref.current = handler;
  useEffect(() => stream.onOpen((i) => ref.current(i)), [stream]);
}

export function useWsState(): { state: WsState; retryAt: number | null; reconnect: () => void } {
  const stream = useEventStream();
  const [state, setState] = useState<WsState>(stream.state);
  const [retryAt, setRetryAt] = useState<number | null>(stream.nextRetryAt);
  useEffect(() => {
    const off = stream.onState((s) => {
      setState(s);
      setRetryAt(stream.nextRetryAt);
    });
    // The state may have changed between the render and this subscription.
    setState(stream.state);
    setRetryAt(stream.nextRetryAt);
    return off;
  }, [stream]);
  return { state, retryAt, reconnect: stream.reconnectNow };
}
