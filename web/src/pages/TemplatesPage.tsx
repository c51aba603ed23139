import { useParams } from "react-router-dom";
import { getDefinition, listDefinitions } from "../api/endpoints";
import type { DefinitionDetail } from "../api/types";
import { EmptyState, ErrorState, Loading } from "../components/States";
import { TemplateCard } from "../components/templates/TemplateCard";
import { useAsync } from "../hooks/useAsync";

/** Every definition, with the steps of those that declare them (YAML). */
async function loadTemplates(projectId: string, signal: AbortSignal): Promise<DefinitionDetail[]> {
  const defs = await listDefinitions(projectId, { signal });
  return Promise.all(
    defs.map((d) => (d.type === "yaml" && !d.load_error ? getDefinition(d.id, { signal }).catch(() => d) : Promise.resolve(d))),
  );
}

export function TemplatesPage() {
  const { projectId = "" } = useParams();
  const defs = useAsync((signal) => loadTemplates(projectId, signal), [projectId]);
  return (
    <div className="page">
      <header className="page-header page-header-row">
        <div>
          <h1>Templates</h1>
          <p className="muted">
            The workflows in this project&apos;s <code>.agent/workflows/definitions/</code>; the server reads a file again whenever it changes.
          </p>
        </div>
        <button type="button" className="btn btn-sm" onClick={() => defs.reload(true)}>
          Refresh
        </button>
      </header>
      {defs.error ? (
        <ErrorState error={defs.error} onRetry={() => defs.reload()} title="Cannot load the templates" />
      ) : !defs.data ? (
        <Loading label="Loading templates…" />
      ) : defs.data.length === 0 ? (
        <EmptyState title="No workflow definitions">
          Add a <code>.yaml</code> or <code>.ts</code> workflow to <code>.agent/workflows/definitions/</code> in the project directory; it
          appears here at once.
        </EmptyState>
      ) : (
        <div className="template-grid">
          {defs.data.map((d) => (
            <TemplateCard key={d.id} def={d} projectId={projectId} />
          ))}
        </div>
      )}
    </div>
  );
}
