// A retried step's tries in the step panel: when each ran, how it ended, its error, and its
// own log (`GET /api/workflow-steps/{id}/logs/events?attempt=N`), read when opened.

import { useState } from "react";
import { getStepLog } from "../../api/endpoints";
import type { StepAttempt } from "../../api/types";
import { useAsync } from "../../hooks/useAsync";
import { formatDateTime, formatDuration } from "../../lib/format";
import { CodeBlock } from "../CodeBlock";
import { ErrorState, Loading } from "../States";
import { StatusBadge } from "../StatusBadge";

function AttemptLog({ stepRowId, attempt }: { stepRowId: string; attempt: number }) {
  const log = useAsync((signal) => getStepLog(stepRowId, "events", { signal }, attempt), [stepRowId, attempt]);
  if (log.error) return <ErrorState error={log.error} onRetry={() => log.reload()} />;
  if (!log.data) return <Loading inline />;
  const text = log.data.content.trim();
  if (!text) return <p className="muted small empty-line">This try printed nothing.</p>;
  return <CodeBlock code={text} language="json" testId={`step-attempt-log-${attempt}`} maxHeight={320} />;
}

function took(a: StepAttempt): string | null {
  if (!a.started_at || !a.ended_at) return null;
  return formatDuration(Date.parse(a.ended_at) - Date.parse(a.started_at));
}

/** The list; nothing for a step that ran once and is not running again. */
export function Attempts({ stepRowId, attempts }: { stepRowId: string; attempts: StepAttempt[] | null | undefined }) {
  const [open, setOpen] = useState<number | null>(null);
  if (!attempts || attempts.length < 2) return null;
  return (
    <section className="attempts" data-testid="step-attempts" aria-label="Tries">
      <h3 className="small">Tries ({attempts.length})</h3>
      <ol className="attempt-list">
        {attempts.map((a) => (
          <li key={a.attempt} className="attempt" data-testid={`step-attempt-${a.attempt}`}>
            <div className="attempt-line">
              <span className="attempt-number">#{a.attempt}</span>
              <StatusBadge status={a.outcome} small />
              <span className="muted small" title={formatDateTime(a.started_at)}>
                {formatDateTime(a.started_at)}
                {took(a) ? ` · ${took(a)}` : ""}
              </span>
              <button
                type="button"
                className="link-btn small"
                data-testid={`step-attempt-toggle-${a.attempt}`}
                aria-expanded={open === a.attempt}
                onClick={() => setOpen(open === a.attempt ? null : a.attempt)}
              >
                {open === a.attempt ? "Hide log" : "Log"}
              </button>
            </div>
            {a.error && <p className="attempt-error small">{a.error}</p>}
            {open === a.attempt && <AttemptLog stepRowId={stepRowId} attempt={a.attempt} />}
          </li>
        ))}
      </ol>
    </section>
  );
}
