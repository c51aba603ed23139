import { useEffect, useLayoutEffect, useRef, useState } from "react";
import type { AgentEntry, LogEntry } from "../../lib/agentLog";
import { AgentMessage } from "./AgentMessage";

// ANSI colour and cursor codes: the terminal view shows the text without them.
const ANSI = /\u001b\[[0-9;?]*[ -/]*[@-~]|\u001b\][^\u0007]*\u0007/g;

/** Consecutive assistant chunks (`delta`) read as one message. */
function coalesce(entries: LogEntry[]): LogEntry[] {
  const out: LogEntry[] = [];
  for (const e of entries) {
    const prev = out[out.length - 1];
    if (e.kind === "agent" && e.type === "assistant" && e.delta && prev?.kind === "agent" && prev.type === "assistant" && prev.delta) {
      out[out.length - 1] = { ...prev, text: prev.text + e.text } as AgentEntry;
    } else out.push(e);
  }
  return out;
}

interface Props {
  entries: LogEntry[];
  running: boolean;
  isAgent: boolean;
  /** Shown instead of "Waiting for output…" when nothing is known yet. */
  emptyHint?: string;
}

/** The step's log: a terminal for output lines, messages for an agent's events. */
export function LogView({ entries, running, isAgent, emptyHint }: Props) {
  const ref = useRef<HTMLDivElement>(null);
  const [follow, setFollow] = useState(true);
  const shown = isAgent ? coalesce(entries) : entries;

  useLayoutEffect(() => {
    const el = ref.current;
    if (el && follow) el.scrollTop = el.scrollHeight;
  }, [shown.length, follow, shown[shown.length - 1]]);

  useEffect(() => setFollow(true), [isAgent]);

  const onScroll = () => {
    const el = ref.current;
    if (!el) return;
    setFollow(el.scrollHeight - el.scrollTop - el.clientHeight < 24);
  };

  const results = new Map<string, AgentEntry>();
  for (const e of shown) if (e.kind === "agent" && e.type === "tool_result" && e.toolUseId) results.set(e.toolUseId, e);

  return (
    <div className="log-wrap">
      <div
        ref={ref}
        className={isAgent ? "agent-log" : "terminal"}
        data-testid="step-log"
        onScroll={onScroll}
        tabIndex={0}
        role="log"
        aria-live={running ? "polite" : "off"}
        aria-label="Step log"
      >
        {shown.length === 0 && (
          <div className="log-empty">{running ? (emptyHint ?? "Waiting for output…") : "This step wrote no output."}</div>
        )}
        {shown.map((e, i) =>
          e.kind === "line" ? (
            <div key={i} className={`log-line log-${e.stream}`} data-testid="log-line" data-stream={e.stream}>
              {e.text.replace(ANSI, "")}
            </div>
          ) : (
            <AgentMessage key={i} entry={e} />
          ),
        )}
        {running && <div className="log-cursor" aria-hidden="true" />}
      </div>
      {!follow && (
        <button
          type="button"
          className="btn btn-xs follow-btn"
          onClick={() => {
            setFollow(true);
            const el = ref.current;
            if (el) el.scrollTop = el.scrollHeight;
          }}
        >
          ↓ Follow
        </button>
      )}
    </div>
  );
}
