// A run's spend against its budget: one line on the board's card, a panel on the run page
// with the raise-and-continue form while a limit has stopped the run.

import { useState } from "react";
import { errorMessage } from "../../api/client";
import { raiseBudget } from "../../api/endpoints";
import type { Run } from "../../api/types";
import { raiseBody, showsSpend, spendParts } from "../../lib/budget";
import { IconHourglass } from "../Icons";

type BudgetRun = Pick<Run, "id" | "budget" | "spend" | "budget_stop" | "status">;

/** The card's line: `$0.126 / $0.100 · 1.3k tok`; nothing when no budget is set and nothing was spent. */
export function SpendLine({ run }: { run: BudgetRun }) {
  if (!showsSpend(run)) return null;
  const parts = spendParts(run);
  const reached = parts.some((p) => p.reached) || !!run.budget_stop;
  return (
    <div className={`spend-line${reached ? " is-reached" : ""}`} data-testid="card-spend" title={run.budget_stop?.message ?? (run.budget ? "Spent / budget" : "Spent")}>
      {run.budget_stop && <span className="spend-stop">Budget reached ·</span>}
      {parts.map((p) => (
        <span key={p.key} className={`spend-part${p.reached ? " is-reached" : ""}`} data-key={p.key}>
          {p.text}
        </span>
      ))}
    </div>
  );
}

/**
 * The run page's spend against its budget, with a meter per limit; while a limit stopped the
 * run, the form that raises it. Without a budget the header's spend (RunSpend) says it all.
 */
export function SpendPanel({ run, reload }: { run: BudgetRun; reload: () => void }) {
  if (!run.budget && !run.budget_stop) return null;
  const parts = spendParts(run);
  return (
    <section className={`spend-panel${run.budget_stop ? " wait-panel is-stopped" : ""}`} data-testid="spend-panel" aria-label="Spend and budget">
      {run.budget_stop && (
        <header className="wait-head">
          <span className="wait-icon" aria-hidden="true">
            <IconHourglass width={18} height={18} />
          </span>
          <div className="wait-title">
            <span className="wait-eyebrow">Stopped by its budget</span>
            <h2 data-testid="budget-stop">{run.budget_stop.message}</h2>
            <span className="wait-sub muted small">
              Raise the budget to continue{run.budget_stop.step_key ? <> (step <code>{run.budget_stop.step_key}</code> runs again and its agent resumes its session)</> : null}, or cancel the run.
            </span>
          </div>
        </header>
      )}
      <dl className="spend-meters">
        {parts.map((p) => (
          <div key={p.key} className={`spend-meter${p.reached ? " is-reached" : ""}`} data-testid="spend-meter" data-key={p.key}>
            <dt>{p.key === "usd" ? "Cost" : p.key === "tokens" ? "Tokens" : "Time"}</dt>
            <dd>
              {p.text}
              {p.ratio !== null && (
                <span className="meter" aria-hidden="true">
                  <span className="meter-fill" style={{ width: `${Math.min(100, Math.round(p.ratio * 100))}%` }} />
                </span>
              )}
            </dd>
          </div>
        ))}
      </dl>
      {run.budget_stop && <RaiseForm run={run} reload={reload} />}
    </section>
  );
}

function RaiseForm({ run, reload }: { run: BudgetRun; reload: () => void }) {
  const limit = run.budget_stop?.limit;
  const [fields, setFields] = useState({ usd: "", tokens: "", duration: "" });
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const stepLimit = limit === "step_usd" || limit === "step_tokens";

  async function submit(e: React.FormEvent) {
    e.preventDefault();
    const made = raiseBody(fields);
    if ("error" in made) return setError(made.error);
    setBusy(true);
    setError(null);
    try {
      await raiseBudget(run.id, made.body);
      reload();
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  }

  const input = (key: keyof typeof fields, label: string, placeholder: string) => (
    <label className="field field-inline">
      <span>{label}</span>
      <input
        className="input"
        data-testid={`budget-${key}`}
        value={fields[key]}
        placeholder={placeholder}
        onChange={(e) => setFields({ ...fields, [key]: e.target.value })}
      />
    </label>
  );
  return (
    <form className="budget-form" onSubmit={(e) => void submit(e)} noValidate>
      <div className="budget-fields">
        {input("usd", "Dollars", run.budget?.usd != null ? String(run.budget.usd * 2) : "e.g. 5")}
        {input("tokens", "Tokens", run.budget?.tokens != null ? String(run.budget.tokens * 2) : "e.g. 200k")}
        {input("duration", "Time", "e.g. 1h")}
      </div>
      <div className="gate-actions">
        <button type="submit" className="btn btn-primary" data-testid="budget-raise" disabled={busy}>
          {busy ? "Continuing…" : stepLimit ? "Continue the step" : "Raise and continue"}
        </button>
        <span className="muted small">{stepLimit ? "The step gets its allowance again; limits left empty stay as they are." : "Limits left empty stay as they are."}</span>
      </div>
      {error && (
        <p className="notice notice-error" role="alert" data-testid="budget-error">
          {error}
        </p>
      )}
    </form>
  );
}
