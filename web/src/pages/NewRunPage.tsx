// A new run of a workflow: its name, its arguments (a form from the schema) and, if asked, a git
// worktree of its own.

import { useMemo, useState, type FormEvent } from "react";
import { Link, useNavigate, useParams } from "react-router-dom";
import { ApiError, errorMessage } from "../api/client";
import { createRun, getDefinition } from "../api/endpoints";
import type { DefinitionDetail } from "../api/types";
import { ErrorState, Loading } from "../components/States";
import { ArgField } from "../components/templates/ArgField";
import { useRunNamePreview } from "../components/templates/useRunNamePreview";
import { WorktreeFields } from "../components/templates/WorktreeFields";
import { editedField, initialChoice, workspaceBody, workspaceErrorField, type WorktreeChoice } from "../lib/workspace";
import { useAsync } from "../hooks/useAsync";
import { useDocumentTitle } from "../hooks/useDocumentTitle";
import { edit, followsTemplate, nameToSend, shownName, type NameField } from "../lib/runName";
import { buildArgs, fieldsOf, initialValues, serverErrors, type FormValues } from "../lib/schemaForm";

function RunForm({ def, projectId }: { def: DefinitionDetail; projectId: string }) {
  const navigate = useNavigate();
  const fields = useMemo(() => fieldsOf(def.args_schema), [def.args_schema]);
  const [typed, setTyped] = useState("");
  const [values, setValues] = useState<FormValues>(() => initialValues(fields));
  const [touched, setTouched] = useState(new Set<string>());
  const liveArgs = useMemo(() => buildArgs(fields, values, touched).args, [fields, values, touched]);
  const named = useRunNamePreview(def.id, liveArgs);
  const nameField: NameField = { typed, preview: named.preview?.name ?? null };
  const template = named.preview?.source === "template" ? named.preview.template : null;
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [worktree, setWorktree] = useState<WorktreeChoice>(() => initialChoice(def.workspace));
  const [worktreeError, setWorktreeError] = useState<{ field: string; message: string } | null>(null);
  // A server error on a worktree field goes once that field is edited.
  const changeWorktree = (next: WorktreeChoice) => {
    if (worktreeError && editedField(worktreeError.field, worktree, next)) setWorktreeError(null);
    setWorktree(next);
  };

  function change(field: string, value: string | boolean) {
    setValues((v) => ({ ...v, [field]: value }));
    setTouched((t) => new Set(t).add(field));
    setErrors(({ [field]: _, ...rest }) => rest);
  }

  async function submit(e: FormEvent) {
    e.preventDefault();
    const built = buildArgs(fields, values, touched);
    setErrors(built.errors);
    setFormError(null);
    if (Object.keys(built.errors).length > 0) {
      setFormError("Some arguments cannot be read; see the fields marked above.");
      document.getElementById(`arg-${Object.keys(built.errors)[0]}`)?.focus();
      return;
    }
    setBusy(true);
    setWorktreeError(null);
    try {
      const run = await createRun({
        project_id: projectId,
        workflow_definition_id: def.id,
        name: nameToSend(nameField),
        args: built.args,
        workspace: workspaceBody(worktree, def.workspace),
      });
      navigate(`/p/${projectId}/runs/${run.id}`);
    } catch (err) {
      if (err instanceof ApiError && err.code === "invalid_args") {
        const { byField, other } = serverErrors(err.details, fields);
        setErrors(byField);
        setFormError(
          ["The arguments do not match the workflow's schema; see the fields marked above.", ...other].join("\n"),
        );
      } else if (err instanceof ApiError && workspaceErrorField(err.message)) {
        setWorktreeError({ field: workspaceErrorField(err.message)!, message: err.message });
        setFormError("The workspace cannot be used as asked; see the field marked above.");
      } else setFormError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <form className="card run-form" data-testid="run-form" onSubmit={submit} noValidate>
      <div className="field">
        <label className="field-label" htmlFor="run-name">
          Run name
        </label>
        <input
          id="run-name"
          data-testid="run-form-name"
          data-auto={followsTemplate(nameField) ? "true" : "false"}
          type="text"
          placeholder={def.name}
          value={shownName(nameField)}
          aria-describedby="run-name-help"
          onChange={(e) => setTyped(edit(nameField, e.target.value).typed)}
        />
        <span className="field-help" id="run-name-help">
          {named.preview?.source === "workflow"
            ? "Optional; defaults to the workflow\u2019s name."
            : followsTemplate(nameField)
              ? template
                ? <>Filled from the workflow&apos;s name template <code>{template}</code> as you fill in the arguments; type to choose your own.</>
                : "Filled by the workflow from the arguments; type to choose your own."
              : "Your name wins over the workflow\u2019s; empty the field to use the workflow\u2019s again."}
        </span>
        {named.error && followsTemplate(nameField) && (
          <span className="field-error" data-testid="run-form-name-error" role="alert">
            {named.error}
          </span>
        )}
      </div>
      {fields.length === 0 ? (
        <p className="muted">This workflow takes no arguments.</p>
      ) : (
        <fieldset className="args-fieldset">
          <legend className="section-title">Arguments</legend>
          {fields.map((f) => (
            <ArgField key={f.name} field={f} values={values} error={errors[f.name]} onChange={change} />
          ))}
        </fieldset>
      )}
      <WorktreeFields value={worktree} own={def.workspace} onChange={changeWorktree} error={worktreeError} />
      {formError && (
        <p className="form-error" data-testid="run-form-error" role="alert">
          {formError}
        </p>
      )}
      <div className="form-actions">
        <button type="submit" className="btn btn-primary" data-testid="run-form-submit" disabled={busy}>
          {busy ? "Starting…" : "Start run"}
        </button>
        <Link to={`/p/${projectId}/templates`} className="btn btn-ghost">
          Cancel
        </Link>
      </div>
    </form>
  );
}

export function NewRunPage() {
  const { projectId = "", definitionId = "" } = useParams();
  const def = useAsync((signal) => getDefinition(definitionId, { signal }), [definitionId]);
  useDocumentTitle(def.data ? `New run · ${def.data.name}` : "New run");
  return (
    <div className="page page-narrow">
      <nav className="crumbs" aria-label="Breadcrumb">
        <Link to={`/p/${projectId}/templates`}>Templates</Link>
        <span aria-hidden="true">/</span>
        <span>{def.data?.name ?? "…"}</span>
      </nav>
      <header className="page-header">
        <h1>New run{def.data ? ` of ${def.data.name}` : ""}</h1>
        {def.data?.description && <p className="muted">{def.data.description}</p>}
      </header>
      {def.error ? (
        <ErrorState error={def.error} onRetry={() => def.reload()} title="Cannot load the workflow" />
      ) : !def.data ? (
        <Loading />
      ) : def.data.load_error ? (
        <div className="template-error" data-testid="template-error" role="alert">
          <strong>This workflow file does not load, so it cannot run.</strong>
          <pre className="msg-pre">{def.data.load_error.message}</pre>
        </div>
      ) : (
        <RunForm key={def.data.id} def={def.data} projectId={projectId} />
      )}
    </div>
  );
}
