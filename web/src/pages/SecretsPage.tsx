// A project's secrets: names and dates listed, values write-only (the API never returns
// them), so the form only ever sends a value and clears it once stored.

import { useState, type FormEvent } from "react";
import { useConfirm } from "../hooks/useConfirm";
import { useParams } from "react-router-dom";
import { errorMessage } from "../api/client";
import { deleteSecret, listSecrets, setSecret } from "../api/endpoints";
import { EmptyState, ErrorState, Loading } from "../components/States";
import { useAsync } from "../hooks/useAsync";
import { formatRelative } from "../lib/format";
import { secretNameError } from "../lib/secretName";

export function SecretsPage() {
  const { projectId = "" } = useParams();
  const secrets = useAsync((signal) => listSecrets(projectId, { signal }), [projectId]);
  const [name, setName] = useState("");
  const { confirm, dialog } = useConfirm();
  const [value, setValue] = useState("");
  const [busy, setBusy] = useState(false);
  const [formError, setFormError] = useState<string | null>(null);

  async function save(e: FormEvent) {
    e.preventDefault();
    const problem = secretNameError(name.trim());
    if (problem) return setFormError(problem);
    setBusy(true);
    setFormError(null);
    try {
      const saved = await setSecret(projectId, name.trim(), value);
      secrets.setData((prev) => [...(prev ?? []).filter((s) => s.name !== saved.name), saved].sort((a, b) => a.name.localeCompare(b.name)));
      setName("");
      setValue("");
    } catch (err) {
      setFormError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  }

  async function remove(secretName: string) {
    const yes = await confirm({ title: `Remove the secret ${secretName}?`, message: "Steps that use it will fail.", confirmLabel: "Remove", cancelLabel: "Keep it", danger: true });
    if (!yes) return;
    try {
      await deleteSecret(projectId, secretName);
      secrets.setData((prev) => (prev ?? []).filter((s) => s.name !== secretName));
    } catch (err) {
      setFormError(errorMessage(err));
    }
  }

  return (
    <div className="page page-narrow">
      {dialog}
      <header className="page-header">
        <h1>Secrets</h1>
        <p className="muted">
          Stored encrypted; values are never shown again. A step uses one as <code>{"{{ secrets.NAME }}"}</code> (YAML) or{" "}
          <code>ctx.secrets.NAME</code> (TypeScript), and its value appears as <code>***</code> in the run&apos;s logs and results.
        </p>
      </header>
      {secrets.error ? (
        <ErrorState error={secrets.error} onRetry={() => secrets.reload()} title="Cannot load the secrets" />
      ) : !secrets.data ? (
        <Loading label="Loading secrets…" />
      ) : secrets.data.length === 0 ? (
        <EmptyState title="No secrets yet">Add one below.</EmptyState>
      ) : (
        <ul className="project-list" aria-label="Secrets" data-testid="secret-list">
          {secrets.data.map((s) => (
            <li key={s.name} className="project-item" data-testid="secret-item" data-name={s.name}>
              <code className="project-name">{s.name}</code>
              <span className="muted small">updated {formatRelative(s.updated_at)}</span>
              <button type="button" className="btn btn-sm" data-testid="secret-remove" onClick={() => remove(s.name)}>
                Remove
              </button>
            </li>
          ))}
        </ul>
      )}
      <form className="card form-card" onSubmit={save} aria-labelledby="set-secret-title" autoComplete="off">
        <h2 id="set-secret-title">Set a secret</h2>
        <div className="form-row">
          <label className="field">
            <span className="field-label">Name</span>
            <input data-testid="secret-name" value={name} onChange={(e) => setName(e.target.value)} placeholder="API_TOKEN" spellCheck={false} />
          </label>
          <label className="field field-grow">
            <span className="field-label">Value</span>
            <input
              data-testid="secret-value"
              type="password"
              autoComplete="new-password"
              value={value}
              onChange={(e) => setValue(e.target.value)}
            />
            <span className="field-help">Setting an existing name replaces its value.</span>
          </label>
        </div>
        {formError && (
          <p className="form-error" role="alert" data-testid="secret-error">
            {formError}
          </p>
        )}
        <button className="btn btn-primary" type="submit" disabled={busy} data-testid="secret-submit">
          {busy ? "Saving…" : "Save secret"}
        </button>
      </form>
    </div>
  );
}
