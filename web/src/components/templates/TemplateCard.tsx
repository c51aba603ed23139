import { Link } from "react-router-dom";
import type { DefinitionDetail } from "../../api/types";
import { fieldsOf } from "../../lib/schemaForm";
import { IconPlus } from "../Icons";

interface Props {
  def: DefinitionDetail;
  projectId: string;
  runCount?: number;
}

/** A definition: phases, steps (YAML), arguments, or why its file does not load. */
export function TemplateCard({ def, projectId }: Props) {
  const fields = fieldsOf(def.args_schema);
  const file = def.path.split("/").pop();
  return (
    <article className="card template-card" data-testid="template-card" data-definition-id={def.id} data-name={def.name}>
      <div className="template-head">
        <div className="template-title">
          <h2>{def.name}</h2>
          <div className="template-path" title={def.path}>
            {file}
          </div>
        </div>
        <span className="chip">{def.type === "code" ? "TypeScript" : "YAML"}</span>
      </div>
      {def.description && <p className="muted">{def.description}</p>}
      {def.load_error ? (
        <div className="template-error" data-testid="template-error" role="alert">
          <strong>This file does not load.</strong>
          <ul>
            {def.load_error.errors.length > 0
              ? def.load_error.errors.map((e, i) => (
                  <li key={i}>
                    {e.message}
                    {e.location && (
                      <>
                        {" "}
                        <code>
                          {e.location.file.split("/").pop()}:{e.location.line}:{e.location.column}
                        </code>
                      </>
                    )}
                  </li>
                ))
              : def.load_error.message.split("\n").map((m, i) => <li key={i}>{m}</li>)}
          </ul>
        </div>
      ) : (
        <>
          <div className="phase-flow" aria-label="Phases">
            {def.phases.map((p, i) => (
              <span key={p}>
                {i > 0 && <span className="sep">→ </span>}
                <span className="chip">{p}</span>
              </span>
            ))}
          </div>
          {def.steps ? (
            <ol className="template-steps" aria-label="Steps">
              {def.steps.map((s) => (
                <li key={s.id}>
                  <span className="step-name">{s.name ?? s.id}</span>
                  <span className="chip">{s.type === "agent" && s.agent ? s.agent : s.type}</span>
                  <span className="muted small">{s.phase}</span>
                </li>
              ))}
            </ol>
          ) : (
            def.type === "code" && <p className="muted small">Steps are defined in code and appear as a run reaches them.</p>
          )}
          {fields.length > 0 && (
            <div className="args-list" aria-label="Arguments">
              <span className="muted small">Arguments:</span>
              {fields.map((f) => (
                <code key={f.name} title={f.description}>
                  {f.name}
                  {f.required ? "*" : ""}
                </code>
              ))}
            </div>
          )}
        </>
      )}
      <div className="template-foot">
        <Link to={`/p/${projectId}/board/${def.id}`} className="btn btn-sm btn-ghost">
          View board
        </Link>
        <span className="toolbar-spacer" />
        {def.load_error ? (
          <button type="button" className="btn btn-sm" data-testid="template-new-run" disabled title="Fix the file to run it">
            <IconPlus width={14} height={14} /> New run
          </button>
        ) : (
          <Link to={`/p/${projectId}/templates/${def.id}/new`} className="btn btn-sm btn-primary" data-testid="template-new-run">
            <IconPlus width={14} height={14} /> New run
          </Link>
        )}
      </div>
    </article>
  );
}
