import { Link } from "react-router-dom";
import type { DefinitionDetail, RunDetail } from "../../api/types";
import { formatDateTime } from "../../lib/format";
import { CodeBlock } from "../CodeBlock";

interface Props {
  run: RunDetail;
  projectId: string;
  definition: DefinitionDetail | undefined;
}

/** The run's arguments and the definition it runs. */
export function RunInfo({ run, projectId, definition }: Props) {
  const def = definition ?? run.workflow_definition;
  const args = JSON.stringify(run.args ?? {}, null, 2);
  return (
    <>
      <section className="panel-section" aria-labelledby="args-title">
        <h2 id="args-title" className="section-title">
          Arguments
        </h2>
        <div data-testid="run-args">
          {Object.keys(run.args ?? {}).length === 0 ? <p className="muted small">No arguments.</p> : <CodeBlock code={args} language="json" maxHeight={260} />}
        </div>
      </section>
      <section className="panel-section" aria-labelledby="def-title">
        <h2 id="def-title" className="section-title">
          Definition
        </h2>
        <div data-testid="run-definition" className="def-info">
          {!def ? (
            <p className="muted small">The definition of this run is no longer known.</p>
          ) : (
            <>
              <dl className="kv">
                <dt>Workflow</dt>
                <dd>
                  <Link to={`/p/${projectId}/board/${def.id}`}>{def.name}</Link> <span className="chip">{def.type === "code" ? "TypeScript" : "YAML"}</span>
                </dd>
                {def.description && (
                  <>
                    <dt>About</dt>
                    <dd>{def.description}</dd>
                  </>
                )}
                <dt>File</dt>
                <dd>
                  <code className="path">{def.path}</code>
                </dd>
                <dt>Phases</dt>
                <dd className="phase-flow">
                  {def.phases.map((p, i) => (
                    <span key={p}>
                      {i > 0 && <span className="sep">→ </span>}
                      <span className="chip">{p}</span>
                    </span>
                  ))}
                </dd>
                {run.timeout_ms !== null && (
                  <>
                    <dt>Timeout</dt>
                    <dd>{Math.round(run.timeout_ms / 1000)}s</dd>
                  </>
                )}
                <dt>Created</dt>
                <dd>{formatDateTime(run.created_at)}</dd>
              </dl>
              {definition?.steps && definition.steps.length > 0 && (
                <details className="def-steps">
                  <summary>{definition.steps.length} declared steps</summary>
                  <CodeBlock
                    code={definition.steps
                      .map((s) => `- id: ${s.id}\n  phase: ${s.phase ?? ""}\n  type: ${s.type}\n${s.command ? `  command: ${s.command}\n` : ""}${s.prompt ? `  prompt: ${JSON.stringify(s.prompt)}\n` : ""}`)
                      .join("")}
                    language="yaml"
                    maxHeight={320}
                  />
                </details>
              )}
              {run.definition_snapshot && (
                <details className="def-steps" data-testid="run-definition-snapshot">
                  <summary>The definition as this run started it</summary>
                  <CodeBlock code={JSON.stringify(run.definition_snapshot, null, 2)} language="json" maxHeight={320} />
                </details>
              )}
              {def.load_error && <p className="notice notice-error small">The file no longer loads: {def.load_error.message}</p>}
            </>
          )}
        </div>
      </section>
    </>
  );
}
