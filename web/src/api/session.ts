// Where the sign-in is kept (the contract: `wf.token`, `wf.user`), and who hears about it.

import type { User } from "./types";

const TOKEN_KEY = "wf.token";
const USER_KEY = "wf.user";
const PROJECT_KEY = "wf.project";

type Listener = () => void;
const listeners = new Set<Listener>();

export function getToken(): string | null {
  return localStorage.getItem(TOKEN_KEY);
}

export function getStoredUser(): User | null {
  const raw = localStorage.getItem(USER_KEY);
  if (!raw) return null;
  try {
    return JSON.parse(raw) as User;
  } catch {
    return null;
  }
}

export function saveSession(token: string, user: User): void {
  localStorage.setItem(TOKEN_KEY, token);
  localStorage.setItem(USER_KEY, JSON.stringify(user));
  listeners.forEach((l) => l());
}

export function clearSession(): void {
  localStorage.removeItem(TOKEN_KEY);
  localStorage.removeItem(USER_KEY);
  listeners.forEach((l) => l());
}

export function onSessionChange(listener: Listener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** The project the user last looked at, for `/`. */
export function getLastProject(): string | null {
  return localStorage.getItem(PROJECT_KEY);
}

export function setLastProject(id: string): void {
  localStorage.setItem(PROJECT_KEY, id);
}
