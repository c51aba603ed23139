import { useEffect, type ReactNode } from "react";
import { Link, NavLink, useMatch, useNavigate } from "react-router-dom";
import { setLastProject } from "../api/session";
import { useAuth } from "../auth/AuthContext";
import { useProjects } from "../hooks/useProjects";
import { NeedsYou } from "./NeedsYou";
import { WsStatus } from "./WsStatus";

/** The header on every signed-in page: project, navigation, live status, sign-out. */
export function AppShell({ children }: { children: ReactNode }) {
  const { user, logout } = useAuth();
  const { data: projects } = useProjects();
  const navigate = useNavigate();
  const match = useMatch("/p/:projectId/*");
  const projectId = match?.params.projectId;

  useEffect(() => {
    if (projectId) setLastProject(projectId);
  }, [projectId]);

  return (
    <div className="shell">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <Link to="/" className="brand" aria-label="workflow-engine home">
          <img src="/favicon.svg" alt="" width="20" height="20" />
          <span className="brand-name">workflow-engine</span>
        </Link>
        <label className="project-picker">
          <span className="sr-only">Project</span>
          <select
            data-testid="project-select"
            value={projectId ?? ""}
            onChange={(e) => {
              const v = e.target.value;
              if (v === "__manage") navigate("/projects");
              else if (v) navigate(`/p/${v}/board`);
            }}
          >
            {!projectId && <option value="">Choose a project…</option>}
            {projectId && !projects?.some((p) => p.id === projectId) && <option value={projectId}>…</option>}
            {projects?.map((p) => (
              <option key={p.id} value={p.id}>
                {p.name}
              </option>
            ))}
            <option value="__manage">Manage projects…</option>
          </select>
        </label>
        <nav className="topnav" aria-label="Main">
          {projectId ? (
            <>
              <NavLink to={`/p/${projectId}/board`} data-testid="nav-board" className="topnav-link">
                Board
              </NavLink>
              <NavLink to={`/p/${projectId}/templates`} data-testid="nav-templates" className="topnav-link">
                Templates
              </NavLink>
              <NavLink to={`/p/${projectId}/secrets`} data-testid="nav-secrets" className="topnav-link">
                Secrets
              </NavLink>
            </>
          ) : (
            <NavLink to="/projects" className="topnav-link">
              Projects
            </NavLink>
          )}
        </nav>
        <div className="topbar-right">
          <NeedsYou />
          <WsStatus />
          {user?.is_admin && (
            <NavLink to="/nodes" className="topnav-link" data-testid="nav-nodes" title="The engine nodes on this database">
              Nodes
            </NavLink>
          )}
          <span className="user" title={user?.email}>
            {user?.name || user?.email}
          </span>
          <button type="button" className="btn btn-ghost btn-sm" data-testid="logout" onClick={logout}>
            Sign out
          </button>
        </div>
      </header>
      <main id="main" className="main" tabIndex={-1}>
        {children}
      </main>
    </div>
  );
}
