import { Navigate, Outlet, Route, Routes, useLocation } from "react-router-dom";
import { useAuth } from "./auth/AuthContext";
import { AppShell } from "./components/AppShell";
import { ProjectsProvider } from "./hooks/useProjects";
import { BoardPage } from "./pages/BoardPage";
import { HomeRedirect } from "./pages/HomeRedirect";
import { LoginPage } from "./pages/LoginPage";
import { NewRunPage } from "./pages/NewRunPage";
import { NotFoundPage } from "./pages/NotFoundPage";
import { ProjectsPage } from "./pages/ProjectsPage";
import { RunPage } from "./pages/RunPage";
import { SecretsPage } from "./pages/SecretsPage";
import { NodesPage } from "./pages/NodesPage";
import { TemplatesPage } from "./pages/TemplatesPage";
import { WsProvider } from "./ws/WsContext";

function RequireAuth() {
  const { token } = useAuth();
  const location = useLocation();
  if (!token) {
    const from = location.pathname + location.search;
    return <Navigate to="/login" replace state={{ from }} />;
  }
  // Keyed by token: a new sign-in gets a new socket.
  return (
    <WsProvider key={token}>
      <ProjectsProvider>
        <AppShell>
          <Outlet />
        </AppShell>
      </ProjectsProvider>
    </WsProvider>
  );
}

export function App() {
  return (
    <Routes>
      <Route path="/login" element={<LoginPage />} />
      <Route element={<RequireAuth />}>
        <Route index element={<HomeRedirect />} />
        <Route path="projects" element={<ProjectsPage />} />
        <Route path="nodes" element={<NodesPage />} />
        <Route path="p/:projectId">
          <Route index element={<Navigate to="board" replace />} />
          <Route path="board" element={<BoardPage />} />
          <Route path="board/:definitionId" element={<BoardPage />} />
          <Route path="runs/:runId" element={<RunPage />} />
          <Route path="runs/:runId/steps/:stepRowId" element={<RunPage />} />
          <Route path="templates" element={<TemplatesPage />} />
          <Route path="templates/:definitionId/new" element={<NewRunPage />} />
          <Route path="secrets" element={<SecretsPage />} />
          <Route path="*" element={<NotFoundPage />} />
        </Route>
        <Route path="*" element={<NotFoundPage />} />
      </Route>
    </Routes>
  );
}
