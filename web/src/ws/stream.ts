// One WebSocket to `/api/ws`, kept open: it remembers the last `seq` and reconnects with
// `?since=` after a drop (exponential backoff with jitter), so nothing is missed.

import { isWsEvent, type WsEvent } from "./events";

export type WsState = "connecting" | "open" | "closed";

export interface OpenInfo {
  /** True when this connection replays what was missed (`since`): no refetch is needed. */
  resumed: boolean;
}

type EventListener = (e: WsEvent) => void;
type OpenListener = (info: OpenInfo) => void;
type StateListener = (s: WsState) => void;

const MIN_DELAY_MS = 500;
const MAX_DELAY_MS = 15_000;
/** A reload picks up where the tab left off if it saw an event this recently. */
const RESUME_WITHIN_MS = 2 * 60_000;
const SEQ_KEY = "wf.lastSeq";

/** The last seq this tab saw (sessionStorage: per tab, kept across a reload). */
function storedSeq(): number | null {
  try {
    const raw = sessionStorage.getItem(SEQ_KEY);
    if (!raw) return null;
    const { seq, at } = JSON.parse(raw) as { seq: number; at: number };
    return typeof seq === "number" && Date.now() - at < RESUME_WITHIN_MS ? seq : null;
  } catch {
    return null;
  }
}

function storeSeq(seq: number): void {
  try {
    sessionStorage.setItem(SEQ_KEY, JSON.stringify({ seq, at: Date.now() }));
  } catch {
    // Storage full or denied: a reload then starts fresh.
  }
}

export class EventStream {
  private ws: WebSocket | null = null;
  private lastSeq: number | null = storedSeq();
  private storedAt = 0;
  private attempts = 0;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private stopped = true;
  private stateValue: WsState = "closed";
  private retryAt: number | null = null;
  private readonly events = new Set<EventListener>();
  private readonly opens = new Set<OpenListener>();
  private readonly states = new Set<StateListener>();
  private readonly getToken: () => string | null;

  constructor(getToken: () => string | null) {
    this.getToken = getToken;
  }

  get state(): WsState {
    return this.stateValue;
  }

  /** When the next attempt is due (ms since epoch), while `closed`. */
  get nextRetryAt(): number | null {
    return this.retryAt;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    window.addEventListener("online", this.reconnectNow);
    window.addEventListener("pagehide", this.onPageHide);
    document.addEventListener("visibilitychange", this.onVisible);
    this.connect();
  }

  stop(): void {
    this.stopped = true;
    window.removeEventListener("online", this.reconnectNow);
    window.removeEventListener("pagehide", this.onPageHide);
    document.removeEventListener("visibilitychange", this.onVisible);
    this.clearTimer();
    const ws = this.ws;
    this.ws = null;
    ws?.close();
    this.setState("closed");
  }

  /** Skips the backoff wait. */
  reconnectNow = (): void => {
    if (this.stopped || this.stateValue !== "closed") return;
    this.clearTimer();
    this.connect();
  };

  private onPageHide = (): void => {
    if (this.lastSeq !== null) storeSeq(this.lastSeq);
  };

  private onVisible = (): void => {
    if (document.visibilityState === "visible") this.reconnectNow();
  };

  onEvent(l: EventListener): () => void {
    this.events.add(l);
    return () => this.events.delete(l);
  }

  onOpen(l: OpenListener): () => void {
    this.opens.add(l);
    return () => this.opens.delete(l);
  }

  onState(l: StateListener): () => void {
    this.states.add(l);
    return () => this.states.delete(l);
  }

  /** Resolves when open, or after `timeoutMs` (whichever first): callers load data then. */
  whenOpen(timeoutMs: number): Promise<void> {
    if (this.stateValue === "open" || this.stopped) return Promise.resolve();
    return new Promise((resolve) => {
      const t = setTimeout(done, timeoutMs);
      const off = this.onState((s) => {
        if (s !== "connecting") done();
      });
      function done() {
        clearTimeout(t);
        off();
        resolve();
      }
    });
  }

  private setState(s: WsState): void {
    if (s === this.stateValue) return;
    this.stateValue = s;
    this.states.forEach((l) => l(s));
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.retryAt = null;
  }

  private connect(): void {
    const token = this.getToken();
    if (!token) {
      this.setState("closed");
      return;
    }
    const params = new URLSearchParams({ token });
    const resumed = this.lastSeq !== null;
    if (this.lastSeq !== null) params.set("since", String(this.lastSeq));
    const proto = location.protocol === "https:" ? "wss:" : "ws:";
    const ws = new WebSocket(`${proto}//${location.host}/api/ws?${params}`);
    this.ws = ws;
    this.setState("connecting");
    ws.onopen = () => {
      if (this.ws !== ws) return;
      this.attempts = 0;
      this.setState("open");
      this.opens.forEach((l) => l({ resumed }));
    };
    ws.onmessage = (msg) => {
      if (this.ws !== ws) return;
      let parsed: unknown;
      try {
        parsed = JSON.parse(String(msg.data));
      } catch {
        return;
      }
      if ((parsed as { type?: string }).type === "stream.lagged") {
        // The server skipped events for us: reconnect with `since` to replay them.
        ws.close();
        return;
      }
      if (!isWsEvent(parsed)) return;
      // A replay can overlap what we already saw.
      if (this.lastSeq !== null && parsed.seq <= this.lastSeq) return;
      this.lastSeq = parsed.seq;
      if (Date.now() - this.storedAt > 300) {
        storeSeq(parsed.seq);
        this.storedAt = Date.now();
      }
      const ev = parsed;
      this.events.forEach((l) => {
        try {
          l(ev);
        } catch (e) {
          console.error("event listener failed", e);
        }
      });
    };
    ws.onclose = () => {
      if (this.ws !== ws) return;
      this.ws = null;
      this.scheduleReconnect();
    };
    ws.onerror = () => {
      // `close` follows; it schedules the retry.
    };
  }

  private scheduleReconnect(): void {
    if (this.stopped) return;
    this.setState("closed");
    const base = Math.min(MAX_DELAY_MS, MIN_DELAY_MS * 2 ** this.attempts);
    const delay = Math.round(base * (0.8 + Math.random() * 0.4));
    this.attempts += 1;
    this.clearTimer();
    this.retryAt = Date.now() + delay;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.retryAt = null;
      this.connect();
    }, delay);
    // Listeners that show "retrying in…" read `nextRetryAt`; notify them.
    this.states.forEach((l) => l(this.stateValue));
  }
}
