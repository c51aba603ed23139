import { useState, type FormEvent } from "react";
import { Link, useNavigate } from "react-router-dom";
import { errorMessage } from "../api/client";
import { createProject } from "../api/endpoints";
import { EmptyState, ErrorState, Loading } from "../components/States";
import { useProjects } from "../hooks/useProjects";
import { formatRelative } from "../lib/format";

export function ProjectsPage() {
  const { data: projects, error, loading, reload, setData } = useProjects();
  const navigate = useNavigate();
  const [name, setName] = useState("");
  const [path, setPath] = useState("");
  const [busy, setBusy] = useState(false);
  const [formError, setFormError] = useState<string | null>(null);

  async function add(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setFormError(null);
    try {
      const p = await createProject(name.trim(), path.trim());
      setData((prev) => [...(prev ?? []).filter((x) => x.id !== p.id), p]);
      navigate(`/p/${p.id}/board`);
    } catch (err) {
      setFormError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <div className="page page-narrow">
      <header className="page-header">
        <h1>Projects</h1>
        <p className="muted">A project is a directory on the server; its workflows live in <code>.agent/workflows/definitions/</code>.</p>
      </header>
      {error ? (
        <ErrorState error={error} onRetry={() => reload()} />
      ) : loading || !projects ? (
        <Loading />
      ) : projects.length === 0 ? (
        <EmptyState title="No projects yet">Add the directory you work in below.</EmptyState>
      ) : (
        <ul className="project-list" aria-label="Projects">
          {projects.map((p) => (
            <li key={p.id}>
              <Link to={`/p/${p.id}/board`} className="project-item" data-testid="project-item" data-project-id={p.id}>
                <span className="project-name">{p.name}</span>
                <code className="project-path">{p.path}</code>
                <span className="muted small">added {formatRelative(p.created_at)}</span>
              </Link>
            </li>
          ))}
        </ul>
      )}
      <form className="card form-card" onSubmit={add} aria-labelledby="add-project-title">
        <h2 id="add-project-title">Add a project</h2>
        <div className="form-row">
          <label className="field">
            <span className="field-label">Name</span>
            <input data-testid="project-name" required value={name} onChange={(e) => setName(e.target.value)} placeholder="My app" />
          </label>
          <label className="field field-grow">
            <span className="field-label">Path</span>
            <input
              data-testid="project-path"
              required
              value={path}
              onChange={(e) => setPath(e.target.value)}
              placeholder="/home/me/src/my-app"
              spellCheck={false}
            />
            <span className="field-help">An absolute path to an existing directory on the server.</span>
          </label>
        </div>
        {formError && (
          <p className="form-error" role="alert" data-testid="project-error">
            {formError}
          </p>
        )}
        <button className="btn btn-primary" type="submit" disabled={busy} data-testid="project-submit">
          {busy ? "Adding…" : "Add project"}
        </button>
      </form>
    </div>
  );
}
