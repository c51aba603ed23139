// What a waiting run waits for, at the top of its page: an approval gate's panel (GatePanel.tsx),
// a step whose retries ran out (RetryPanel.tsx), a sleep's wake time with a countdown, a
// signal's name with a form to send it. A gate decided while the page is open (here or
// elsewhere) shows its decision.

import { useEffect, useState, type FormEvent } from "react";
import { errorMessage } from "../../api/client";
import { sendSignal } from "../../api/endpoints";
import type { DecisionData, RunDetail, Step, WaitInfo } from "../../api/types";
import { formatClock, formatDateTime } from "../../lib/format";
import { isFinished } from "../../lib/status";
import { DECISION_LABEL, decisionOf, formatCountdown, formatWake, needsPerson, waitsOf } from "../../lib/waits";
import { IconHourglass, IconX } from "../Icons";
import { RetryPanel } from "./RetryPanel";
import { Since } from "./WaitSince";
import { GatePanel } from "./GatePanel";

interface Props {
  run: RunDetail;
  now: number;
  /** Reads the run again (after a decision, or a 409). */
  reload: () => void;
}

export function WaitPanels({ run, now, reload }: Props) {
  const waits = isFinished(run.status) ? [] : waitsOf(run);
  // The gates seen waiting while this page is open, newest last: once decided, the last
  // one shows its decision until another wait takes its place or it is dismissed.
  const [seen, setSeen] = useState<string[]>([]);
  const [dismissed, setDismissed] = useState<string | null>(null);
  const [conflict, setConflict] = useState<{ stepId: string; message: string } | null>(null);
  const gateIds = waits.filter((w) => w.kind === "approval").map((w) => w.step_id);
  const key = gateIds.join(",");
  useEffect(() => {
    if (gateIds.length === 0) return;
    setSeen((prev) => [...prev.filter((id) => !gateIds.includes(id)), ...gateIds]);
    // `key` stands for `gateIds`.
  }, [key]);

  const lastSeen = seen.length > 0 ? run.steps.find((s) => s.id === seen[seen.length - 1]) : undefined;
  const decided = lastSeen && lastSeen.status !== "waiting" && !gateIds.includes(lastSeen.id) ? lastSeen : undefined;
  const decision = decided ? decisionOf(decided) : null;

  // The gate decided last stays in view (who, when, what they said) beside what comes next.
  const showDecided = decided && dismissed !== decided.id && (decision || conflict?.stepId === decided.id);
  if (waits.length === 0 && !showDecided) return null;
  return (
    <div className="wait-panels" data-testid="wait-panels">
      {showDecided && (
        <DecidedGate
          step={decided}
          decision={decision}
          conflict={conflict?.stepId === decided.id ? conflict.message : null}
          onDismiss={() => setDismissed(decided.id)}
        />
      )}
      {waits.map((w) => {
        const step = run.steps.find((s) => s.id === w.step_id);
        if (needsPerson(w.kind)) {
          // A gate and a step whose retries ran out take the same props; each says its own choices.
          const Panel = w.kind === "approval" ? GatePanel : RetryPanel;
          return (
            <Panel
              key={w.step_id}
              run={run}
              wait={w}
              step={step}
              now={now}
              onDecided={reload}
              onConflict={(message) => {
                setConflict({ stepId: w.step_id, message });
                reload();
              }}
            />
          );
        }
        return <TimerOrSignal key={w.step_id} run={run} wait={w} step={step} now={now} />;
      })}
    </div>
  );
}

/** A gate decided while the page was open: who, when, what they said. */
export function DecidedGate({
  step,
  decision,
  conflict,
  onDismiss,
}: {
  step: Step;
  decision: DecisionData | null;
  conflict: string | null;
  onDismiss: () => void;
}) {
  const title = step.wait?.title ?? step.name;
  return (
    <section className={`wait-panel gate-decided is-${decision?.decision ?? "unknown"}`} data-testid="gate-decision" data-decision={decision?.decision ?? ""} data-step-key={step.step_id}>
      <header className="wait-head">
        <div className="wait-title">
          <span className="wait-eyebrow">{decision ? DECISION_LABEL[decision.decision] : "Decided"}</span>
          <h2>{title}</h2>
        </div>
        <button type="button" className="icon-btn" aria-label="Dismiss" onClick={onDismiss}>
          <IconX />
        </button>
      </header>
      {conflict && (
        <p className="notice notice-info" data-testid="gate-conflict" role="status">
          Someone decided first: {conflict}
        </p>
      )}
      {decision && <DecisionLine decision={decision} />}
    </section>
  );
}

/** `Approved by ann@example.com at 14:03` and the comment. */
export function DecisionLine({ decision, compact }: { decision: DecisionData; compact?: boolean }) {
  return (
    <div className={`decision${compact ? " decision-compact" : ""}`} data-testid="decision-line">
      <span className={`decision-chip is-${decision.decision}`}>{DECISION_LABEL[decision.decision]}</span>
      <span className="decision-by">
        by <strong data-testid="decision-by">{decision.by}</strong>
        {decision.at && <span title={formatDateTime(decision.at)}> · {compact ? formatClock(decision.at) : formatDateTime(decision.at)}</span>}
      </span>
      {decision.comment && (
        <blockquote className="decision-comment" data-testid="decision-comment">
          {decision.comment}
        </blockquote>
      )}
      {!compact && decision.input !== undefined && decision.input !== null && (
        <dl className="decision-input" data-testid="decision-input">
          {Object.entries(typeof decision.input === "object" && !Array.isArray(decision.input) ? (decision.input as Record<string, unknown>) : { input: decision.input }).map(([k, v]) => (
            <div key={k}>
              <dt>{k}</dt>
              <dd>{typeof v === "string" ? v : JSON.stringify(v)}</dd>
            </div>
          ))}
        </dl>
      )}
    </div>
  );
}

/** A sleep's wake time and countdown, or a signal's name with a form to send it. */
function TimerOrSignal({ run, wait, step, now }: { run: RunDetail; wait: WaitInfo; step: Step | undefined; now: number }) {
  const deadline = step?.wait?.deadline ?? wait.deadline;
  const countdown = formatCountdown(deadline, now);
  const isSleep = wait.kind === "sleep";
  const name = step?.wait?.signal_name ?? wait.signal_name ?? wait.step_key;
  return (
    <section className={`wait-panel wait-${wait.kind}`} data-testid={isSleep ? "sleep-panel" : "signal-panel"} data-step-key={wait.step_key}>
      <header className="wait-head">
        <span className="wait-icon" aria-hidden="true">
          <IconHourglass width={18} height={18} />
        </span>
        <div className="wait-title">
          <span className="wait-eyebrow">{isSleep ? "Sleeping" : "Waiting for a signal"}</span>
          <h2>
            {isSleep ? (
              <>Until {formatWake(deadline, now)}</>
            ) : (
              <>
                Signal <code data-testid="signal-name">{name}</code>
              </>
            )}
          </h2>
          <span className="wait-sub">
            <code>{wait.step_key}</code>
            <Since wait={wait} now={now} />
            {!isSleep && countdown && <span className="muted small">times out {countdown === "due" ? "now" : `in ${countdown}`}</span>}
          </span>
        </div>
        {isSleep && countdown && (
          <span className="wait-countdown-big" data-testid="sleep-countdown" title={formatDateTime(deadline)}>
            {countdown === "due" ? "waking…" : countdown}
          </span>
        )}
      </header>
      {!isSleep && <SignalForm runId={run.id} name={name} />}
    </section>
  );
}

function SignalForm({ runId, name }: { runId: string; name: string }) {
  const [payload, setPayload] = useState("");
  const [busy, setBusy] = useState(false);
  const [note, setNote] = useState<{ ok: boolean; text: string } | null>(null);
  async function send(e: FormEvent) {
    e.preventDefault();
    let body: { payload?: unknown } = {};
    if (payload.trim()) {
      try {
        body = { payload: JSON.parse(payload) };
      } catch {
        setNote({ ok: false, text: "The payload is not valid JSON." });
        return;
      }
    }
    setBusy(true);
    setNote(null);
    try {
      const r = await sendSignal(runId, name, body);
      setNote({ ok: true, text: r.duplicate ? "Already sent (the same key): not sent again." : r.delivered_to ? "Sent: the run goes on." : "Sent: kept until the run waits for it." });
    } catch (err) {
      setNote({ ok: false, text: errorMessage(err) });
    } finally {
      setBusy(false);
    }
  }
  return (
    <form className="signal-form" data-testid="signal-form" onSubmit={(e) => void send(e)}>
      <label className="field-label" htmlFor={`signal-payload-${name}`}>
        Send <code>{name}</code> <span className="muted small">with a JSON payload (optional)</span>
      </label>
      <div className="signal-row">
        <textarea id={`signal-payload-${name}`} className="mono" data-testid="signal-payload" rows={2} placeholder='{ "ok": true }' value={payload} onChange={(e) => setPayload(e.target.value)} />
        <button type="submit" className="btn" data-testid="signal-send" disabled={busy}>
          {busy ? "Sending…" : "Send signal"}
        </button>
      </div>
      {note && (
        <p className={note.ok ? "muted small" : "form-error"} data-testid="signal-note" role={note.ok ? "status" : "alert"}>
          {note.text}
        </p>
      )}
    </form>
  );
}
