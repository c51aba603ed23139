import { memo, useState } from "react";
import type { AgentEntry } from "../../lib/agentLog";
import { resultLabel } from "../../lib/agentView";
import { ansiNodes } from "../../lib/ansi";
import { formatClock } from "../../lib/format";
import { Markdown } from "../../lib/markdown";
import { IconTool } from "../Icons";

const LONG = 600;

/** The one argument most tools are about, for the call's title. */
function headline(input: unknown): string {
  if (typeof input === "string") return input;
  if (typeof input !== "object" || input === null) return "";
  const o = input as Record<string, unknown>;
  for (const k of ["command", "file_path", "absolute_path", "path", "pattern", "query", "url", "description"]) {
    const v = o[k];
    if (typeof v === "string") return v;
    if (Array.isArray(v)) return v.join(" ");
  }
  return "";
}

function Collapsible({ text, className }: { text: string; className: string }) {
  const [open, setOpen] = useState(false);
  const long = text.length > LONG || text.split("\n").length > 12;
  const shown = !long || open ? text : `${text.slice(0, LONG).split("\n").slice(0, 12).join("\n")}…`;
  return (
    <>
      <pre className={className}>{ansiNodes(shown)}</pre>
      {long && (
        <button type="button" className="link-btn small" onClick={() => setOpen(!open)}>
          {open ? "Show less" : `Show all (${text.length.toLocaleString()} characters)`}
        </button>
      )}
    </>
  );
}

/** One event of an agent's; `retried` for a failed result the step retried after. */
export const AgentMessage = memo(function AgentMessage({ entry: e, retried = false }: { entry: AgentEntry; retried?: boolean }) {
  const time = e.ts ? <time className="msg-time">{formatClock(e.ts)}</time> : null;
  const common = { "data-testid": "agent-message", "data-kind": e.type } as const;
  switch (e.type) {
    case "session":
      return (
        <div {...common} className="msg msg-session">
          <span>
            Session <code>{e.sessionId}</code>
            {e.model ? ` · ${e.model}` : ""}
          </span>
          {time}
        </div>
      );
    case "assistant":
      return (
        <div {...common} className="msg msg-assistant">
          <div className="msg-role">
            Assistant {time}
          </div>
          <Markdown source={e.text} />
        </div>
      );
    case "thinking":
      return (
        <details {...common} className="msg msg-thinking">
          <summary>
            Thinking <span className="muted truncate">{e.text.replace(/[*_`#]+/g, "").replace(/\s+/g, " ").slice(0, 120)}</span>
          </summary>
          <Collapsible text={e.text} className="msg-pre" />
        </details>
      );
    case "tool_call": {
      const input = e.input === undefined ? "" : typeof e.input === "string" ? e.input : JSON.stringify(e.input, null, 2);
      const head = headline(e.input);
      return (
        <details {...common} className="msg msg-tool">
          <summary>
            <IconTool width={13} height={13} />
            <strong>{e.tool}</strong>
            <span className="msg-headline truncate">{head}</span>
            {time}
          </summary>
          {input && <Collapsible text={input} className="msg-pre" />}
        </details>
      );
    }
    case "tool_result":
      return (
        <div {...common} className={`msg msg-result-tool${e.isError ? " is-error" : ""}`}>
          <div className="msg-role">{e.isError ? "Tool error" : "Tool result"}</div>
          {e.text ? <Collapsible text={e.text} className="msg-pre" /> : <span className="muted small">(empty)</span>}
        </div>
      );
    case "result":
      return (
        <div {...common} className={`msg msg-final${e.isError ? " is-error" : ""}${retried ? " is-retried" : ""}`}>
          <div className="msg-role">
            {resultLabel(e, retried)} {time}
          </div>
          {e.text && <Markdown source={e.text} />}
        </div>
      );
    case "warning":
    case "retry":
      return (
        <div {...common} className={`msg msg-${e.type}`}>
          <strong>{e.type === "retry" ? "Retry" : "Warning"}</strong> {e.text} {time}
        </div>
      );
  }
});
