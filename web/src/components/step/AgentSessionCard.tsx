import type { AgentSession } from "../../api/types";
import type { LogEntry } from "../../lib/agentLog";
import { formatCost, formatCount } from "../../lib/format";
import { CopyText } from "../CodeBlock";

/** The command that continues a session in its own CLI. */
function resumeCommand(agent: string, id: string): string {
  if (agent === "codex") return `codex resume ${id}`;
  if (agent === "gemini") return `gemini --resume ${id}`;
  return `claude --resume ${id}`;
}

interface Props {
  session: AgentSession | null;
  /** The live log, for the session id and model before the row is read again. */
  entries: LogEntry[];
  agent?: string;
}

export function AgentSessionCard({ session, entries, agent }: Props) {
  const live = entries.find((e) => e.kind === "agent" && e.type === "session");
  const sessionId = session?.session_id ?? (live?.kind === "agent" ? live.sessionId : undefined);
  const model = session?.model ?? (live?.kind === "agent" ? live.model : null);
  const kind = session?.agent ?? agent ?? "agent";
  return (
    <div className="agent-session" data-testid="agent-session" aria-label="Agent session">
      <div className="agent-session-head">
        <span className={`agent-logo agent-${kind}`} aria-hidden="true">
          {kind.slice(0, 1).toUpperCase()}
        </span>
        <strong className="agent-name">{kind}</strong>
        {model && <span className="chip">{model}</span>}
        {session && <span className={`chip chip-${session.status}`}>{session.status}</span>}
        {session?.error_kind && <span className="chip chip-warn">{session.error_kind}</span>}
      </div>
      <dl className="session-stats">
        <div>
          <dt>Cost</dt>
          <dd>{formatCost(session?.cost_usd)}</dd>
        </div>
        <div>
          <dt>Tokens in</dt>
          <dd>{formatCount(session?.input_tokens)}</dd>
        </div>
        <div>
          <dt>Tokens out</dt>
          <dd>{formatCount(session?.output_tokens)}</dd>
        </div>
        <div>
          <dt>Cached</dt>
          <dd>{formatCount(session?.cached_tokens)}</dd>
        </div>
        <div>
          <dt>Turns</dt>
          <dd>{session?.num_turns ?? "—"}</dd>
        </div>
      </dl>
      <div className="session-links">
        <span className="muted small">Session</span>
        {sessionId ? <CopyText text={sessionId} /> : <span className="muted small">not started yet</span>}
        {sessionId && session?.resumable && (
          <>
            <span className="muted small">Continue it</span>
            <CopyText text={resumeCommand(kind, sessionId)} />
          </>
        )}
        {session?.session_file_path && (
          <>
            <span className="muted small">Transcript</span>
            <CopyText text={session.session_file_path} label={session.session_file_path.replace(/^.*\/(.{0,48})$/, "…/$1")} />
          </>
        )}
      </div>
    </div>
  );
}
