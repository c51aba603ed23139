// An approval gate's panel: title, description, the previous step's output, what the run
// changed since the last gate (in a worktree run), the form, Approve / Request changes / Reject.

import { useEffect, useMemo, useRef, useState, type FormEvent } from "react";
import { useConfirm } from "../../hooks/useConfirm";
import { ApiError, errorMessage } from "../../api/client";
import { decideApproval } from "../../api/endpoints";
import { approvalsChanged } from "../../hooks/useApprovals";
import type { DecisionRequest, RunDetail, Step, WaitInfo } from "../../api/types";
import { formatDateTime } from "../../lib/format";
import { Markdown } from "../../lib/markdown";
import { buildArgs, fieldsOf, initialValues, serverErrors, type FormValues } from "../../lib/schemaForm";
import { formatCountdown, stepBefore, whoMayDecide } from "../../lib/waits";
import { GateChanges } from "../changes/GateChanges";
import { IconBell } from "../Icons";
import { LogFileTab } from "../step/LogFileTab";
import { Since } from "./WaitSince";
import { ArgField } from "../templates/ArgField";

const ON_TIMEOUT: Record<string, string> = {
  reject: "it is rejected",
  approve: "it is approved",
  fail: "the step fails",
};

export function GatePanel({
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
      <GateChanges run={run} />
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
