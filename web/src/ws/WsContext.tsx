import { createContext, useContext, useEffect, useRef, useState, type ReactNode } from "react";
import { getToken } from "../api/session";
import type { WsEvent } from "./events";
import { EventStream, type OpenInfo, type WsState } from "./stream";

const StreamContext = createContext<EventStream | null>(null);

/** Holds the one event stream while signed in. */
export function WsProvider({ children }: { children: ReactNode }) {
  // Created and started during the first render, so the connection is under way before the
  // pages (whose effects run first) ask for their data.
  const ref = useRef<EventStream | null>(null);
  if (ref.current === null) {
    ref.current = new EventStream(getToken);
    ref.current.start();
  }
  const stream = ref.current;
  useEffect(() => {
    stream.start();
    return () => stream.stop();
  }, [stream]);
  return <StreamContext.Provider value={stream}>{children}</StreamContext.Provider>;
}

export function useEventStream(): EventStream {
  const s = useContext(StreamContext);
  if (!s) throw new Error("useEventStream outside WsProvider");
  return s;
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
  useEffect(
    () =>
      stream.onState((s) => {
        setState(s);
        setRetryAt(stream.nextRetryAt);
      }),
    [stream],
  );
  return { state, retryAt, reconnect: stream.reconnectNow };
}
