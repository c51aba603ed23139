import { createContext, useContext, type ReactNode } from "react";
import { listProjects } from "../api/endpoints";
import type { Project } from "../api/types";
import { useAsync, type AsyncState } from "./useAsync";

const ProjectsContext = createContext<AsyncState<Project[]> | null>(null);

/** The user's projects, loaded once for the shell and the pages. */
export function ProjectsProvider({ children }: { children: ReactNode }) {
  const state = useAsync((signal) => listProjects({ signal }), []);
  return <ProjectsContext.Provider value={state}>{children}</ProjectsContext.Provider>;
}

export function useProjects(): AsyncState<Project[]> {
  const v = useContext(ProjectsContext);
  if (!v) throw new Error("useProjects outside ProjectsProvider");
  return v;
}
