import { Navigate } from "react-router-dom";
import { getLastProject } from "../api/session";
import { ErrorState, Loading } from "../components/States";
import { useProjects } from "../hooks/useProjects";

/** `/`: the last project's board, else the project picker. */
export function HomeRedirect() {
  const { data: projects, error, loading, reload } = useProjects();
  if (error) return <ErrorState error={error} onRetry={() => reload()} />;
  if (loading || !projects) return <Loading />;
  const last = getLastProject();
  const project = projects.find((p) => p.id === last);
  return project ? <Navigate to={`/p/${project.id}/board`} replace /> : <Navigate to="/projects" replace />;
}
