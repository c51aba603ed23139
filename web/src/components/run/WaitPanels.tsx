// What a waiting run waits for, at the top of its page: an approval gate's panel (title,
// description, the previous step's output, the form, Approve / Request changes / Reject), a
// sleep's wake time with a countdown, a signal's name with a form to send it. A gate decided
// while the page is open (here or elsewhere) shows its decision.

import { useEffect, useMemo, useRef, useState, type FormEvent } from "react";
import { useConfirm } from "../../hooks/useConfirm";
import { ApiError, errorMessage } from "../../api/client";
import { decideApproval, sendSignal } from "../../api/endpoints";
import { approvalsChanged } from "../../hooks/useApprovals";
import type { DecisionData, DecisionRequest, RunDetail, Step, WaitInfo } from "../../api/types";
import { formatClock, formatDateTime } from "../../lib/format";
import { Markdown } from "../../lib/markdown";
import { buildArgs, fieldsOf, initialValues, serverErrors, type FormValues } from "../../lib/schemaForm";
import { isFinished } from "../../lib/status";
import { DECISION_LABEL, decisionOf, formatCountdown, formatWake, needsPerson, stepBefore, waitsOf, whoMayDecide } from "../../lib/waits";
import { IconBell, IconHourglass, IconX } from "../Icons";
import { LogFileTab } from "../step/LogFileTab";
import { RetryPanel } from "./RetryPanel";
import { Since } from "./WaitSince";
import { ArgField } from "../templates/ArgField";

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

const ON_TIMEOUT: Record<string, string> = {
  reject: "it is rejected",
  approve: "it is approved",
  fail: "the step fails",
};

function GatePanel({
  run,
  wait,
  step,
  now,
  onDecided,
  onConflict,
}: {
  run: RunDetail;
  wait: WaitInfo;
  step: Step | undefined;
  now: number;
  onDecided: () => void;
  onConflict: (message: string) => void;
}) {
  const view = step?.wait ?? null;
  const fields = useMemo(() => fieldsOf(view?.form ?? null), [view?.form]);
  const [values, setValues] = useState<FormValues>(() => initialValues(fields));
  const [touched, setTouched] = useState(new Set<string>());
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [comment, setComment] = useState("");
  const [commentError, setCommentError] = useState<string | null>(null);
  const [formError, setFormError] = useState<string | null>(null);
  const [busy, setBusy] = useState<DecisionRequest | null>(null);
  const { confirm, dialog } = useConfirm();
  const commentRef = useRef<HTMLTextAreaElement>(null);
  // The form's fields arrive with the run's detail (an event announces the gate first).
  const fieldsKey = fields.map((f) => f.name).join(",");
  useEffect(() => setValues((v) => ({ ...initialValues(fields), ...v })), [fieldsKey]);

  const canDecide = view?.can_decide ?? false;
  const title = view?.title ?? wait.title ?? step?.name ?? wait.step_key;
  const prev = step ? stepBefore(run.steps, step) : null;
  const countdown = formatCountdown(view?.deadline ?? wait.deadline, now);
  const onTimeout = view?.on_timeout ? ON_TIMEOUT[view.on_timeout] : null;

  function change(name: string, value: string | boolean) {
    setValues((v) => ({ ...v, [name]: value }));
    setTouched((t) => new Set(t).add(name));
    setErrors(({ [name]: _, ...rest }) => rest);
  }

  async function decide(decision: DecisionRequest, e?: FormEvent) {
    e?.preventDefault();
    setFormError(null);
    const text = comment.trim();
    if (decision === "request_changes" && !text) {
      setCommentError("Say what should change: a comment is required to request changes.");
      commentRef.current?.focus();
      return;
    }
    setCommentError(null);
    let input: Record<string, unknown> | undefined;
    if (fields.length > 0 && decision !== "reject") {
      const built = buildArgs(fields, values, touched);
      setErrors(built.errors);
      if (Object.keys(built.errors).length > 0) {
        setFormError("Some fields cannot be read; see the fields marked above.");
        return;
      }
      input = built.args;
    }
    if (decision === "reject" && !(await confirm({ title: `Reject “${title}”?`, message: "The gate is decided as rejected; the workflow goes on as it says for a rejection.", confirmLabel: "Reject", cancelLabel: "Go back", danger: true }))) return;
    setBusy(decision);
    try {
      await decideApproval(run.id, wait.step_key, { decision, comment: text || undefined, input });
      approvalsChanged();
      onDecided();
    } catch (err) {
      if (err instanceof ApiError && err.status === 409) {
        approvalsChanged();
        onConflict(err.message);
      } else if (err instanceof ApiError && err.status === 400 && /^comment:/.test(err.message)) {
        setCommentError(err.message.replace(/^comment:\s*/, "").replace(/^./, (c) => c.toUpperCase()));
        commentRef.current?.focus();
      }
      else if (err instanceof ApiError && err.status === 400 && err.details.length > 0) {
        const { byField, other } = serverErrors(err.details, fields, "input", "Required.");
        setErrors(byField);
        setFormError([Object.keys(byField).length > 0 ? "The form does not match what the gate asks for; see the fields marked above." : err.message, ...other].join("\n"));
      } else setFormError(errorMessage(err));
    } finally {
      setBusy(null);
    }
  }

  return (
    <section className="wait-panel gate-panel" data-testid="gate-panel" data-step-key={wait.step_key} data-can-decide={canDecide} aria-labelledby={`gate-${wait.step_id}`}>
      {dialog}
      <header className="wait-head">
        <span className="wait-icon" aria-hidden="true">
          <IconBell width={18} height={18} />
        </span>
        <div className="wait-title">
          <span className="wait-eyebrow">{canDecide ? "Needs your approval" : "Waiting for approval"}</span>
          <h2 id={`gate-${wait.step_id}`} data-testid="gate-title">
            {title}
          </h2>
          <span className="wait-sub">
            <code>{wait.step_key}</code>
            <Since wait={wait} now={now} />
            {countdown && (
              <span className="muted small" data-testid="gate-timeout" title={formatDateTime(view?.deadline ?? wait.deadline)}>
                times out {countdown === "due" ? "now" : `in ${countdown}`}
                {onTimeout ? `, then ${onTimeout}` : ""}
              </span>
            )}
          </span>
        </div>
      </header>
      {view?.description && (
        <div className="gate-description" data-testid="gate-description">
          <Markdown source={view.description} />
        </div>
      )}
      {prev && <PreviousOutput step={prev} />}
      <form className="gate-form" onSubmit={(e) => void decide("approve", e)} noValidate>
        {fields.length > 0 && (
          <fieldset className="args-fieldset gate-fields" disabled={!canDecide || busy !== null}>
            <legend className="section-title">What the gate asks</legend>
            {fields.map((f) => (
              <ArgField key={f.name} field={f} values={values} error={errors[f.name]} onChange={change} idPrefix="gate-input" />
            ))}
          </fieldset>
        )}
        <div className="field">
          <label className="field-label" htmlFor={`gate-comment-${wait.step_id}`}>
            Comment <span className="muted small">(required to request changes)</span>
          </label>
          <textarea
            id={`gate-comment-${wait.step_id}`}
            ref={commentRef}
            data-testid="gate-comment"
            rows={3}
            value={comment}
            disabled={!canDecide || busy !== null}
            aria-invalid={commentError ? true : undefined}
            aria-describedby={commentError ? `gate-comment-error-${wait.step_id}` : undefined}
            placeholder={canDecide ? "What you think of it; the comment goes on the gate's thread." : undefined}
            onChange={(e) => {
              setComment(e.target.value);
              if (e.target.value.trim()) setCommentError(null);
            }}
          />
          {commentError && (
            <span className="field-error" id={`gate-comment-error-${wait.step_id}`} data-testid="gate-comment-error" role="alert">
              {commentError}
            </span>
          )}
        </div>
        {formError && (
          <p className="form-error" data-testid="gate-error" role="alert">
            {formError}
          </p>
        )}
        {!canDecide && view && (
          <p className="muted small gate-reason" data-testid="gate-reason">
            {whoMayDecide(view.approvers)}
          </p>
        )}
        <div className="gate-actions">
          <button type="submit" className="btn btn-approve" data-testid="gate-approve" disabled={!canDecide || busy !== null}>
            {busy === "approve" ? "Approving…" : "Approve"}
          </button>
          <button type="button" className="btn" data-testid="gate-request-changes" disabled={!canDecide || busy !== null} onClick={() => void decide("request_changes")}>
            {busy === "request_changes" ? "Sending…" : "Request changes"}
          </button>
          <button type="button" className="btn btn-danger" data-testid="gate-reject" disabled={!canDecide || busy !== null} onClick={() => void decide("reject")}>
            {busy === "reject" ? "Rejecting…" : "Reject"}
          </button>
        </div>
      </form>
    </section>
  );
}

/** The output of the step the gate follows: its summary, else its output file. */
function PreviousOutput({ step }: { step: Step }) {
  // An agent writes a summary; a script's result is its output.
  const [tab, setTab] = useState<"summary" | "output">(step.type === "agent" ? "summary" : "output");
  const version = `${step.status}:${step.attempt}:${step.updated_at}`;
  return (
    <div className="gate-prev" data-testid="gate-previous" data-step-key={step.step_id}>
      <div className="gate-prev-head">
        <span className="small muted">Output of</span> <strong>{step.name}</strong>
        <span className="gate-prev-tabs" role="group" aria-label="Which output">
          {(["summary", "output"] as const).map((t) => (
            <button key={t} type="button" className={`tab tab-sm${tab === t ? " is-active" : ""}`} aria-pressed={tab === t} data-testid={`gate-previous-${t}-tab`} onClick={() => setTab(t)}>
              {t === "summary" ? "Summary" : "Output"}
            </button>
          ))}
        </span>
      </div>
      <LogFileTab stepRowId={step.id} type={tab} version={version} running={step.status === "running"} testIdPrefix="gate-previous" maxHeight={280} />
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
