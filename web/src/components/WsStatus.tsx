import { useEffect, useState } from "react";
import { useWsState } from "../ws/WsContext";

const LABEL = { open: "Live", connecting: "Connecting…", closed: "Offline" } as const;

/** The WebSocket's state; while offline, a click reconnects at once. */
export function WsStatus() {
  const { state, retryAt, reconnect } = useWsState();
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    if (state !== "closed" || retryAt === null) return;
    const t = setInterval(() => setNow(Date.now()), 500);
    return () => clearInterval(t);
  }, [state, retryAt]);
  const secs = retryAt !== null ? Math.max(0, Math.ceil((retryAt - now) / 1000)) : null;
  const title =
    state === "open"
      ? "Receiving live updates"
      : state === "connecting"
        ? "Connecting to the live event stream"
        : `Disconnected${secs !== null ? `; retrying in ${secs}s` : ""}. Click to retry now.`;
  return (
    <button
      type="button"
      className={`ws-status ws-${state}`}
      data-testid="ws-status"
      data-state={state}
      title={title}
      aria-label={title}
      onClick={reconnect}
      disabled={state !== "closed"}
    >
      <span className="ws-dot" aria-hidden="true" />
      <span className="ws-label">
        {LABEL[state]}
        {state === "closed" && secs !== null ? ` · ${secs}s` : ""}
      </span>
    </button>
  );
}
