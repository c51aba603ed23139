import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from "react";
import { login as apiLogin, logout as apiLogout } from "../api/endpoints";
import { clearSession, getStoredUser, getToken, onSessionChange, saveSession } from "../api/session";
import type { User } from "../api/types";

interface AuthValue {
  token: string | null;
  user: User | null;
  login: (email: string, password: string) => Promise<void>;
  logout: () => void;
}

const AuthContext = createContext<AuthValue | null>(null);

export function AuthProvider({ children }: { children: ReactNode }) {
  const [token, setToken] = useState(getToken);
  const [user, setUser] = useState(getStoredUser);

  useEffect(() => {
    const sync = () => {
      setToken(getToken());
      setUser(getStoredUser());
    };
    const offLocal = onSessionChange(sync);
    // Another tab signing in or out.
    const onStorage = (e: StorageEvent) => {
      if (e.key === null || e.key.startsWith("wf.")) sync();
    };
    window.addEventListener("storage", onStorage);
    return () => {
      offLocal();
      window.removeEventListener("storage", onStorage);
    };
  }, []);

  const login = useCallback(async (email: string, password: string) => {
    const res = await apiLogin(email, password);
    saveSession(res.token, res.user);
  }, []);

  // The token is revoked on the server too, so a copy of it (another tab, a log) is worthless;
  // signing out here does not wait for that.
  const logout = useCallback(() => {
    apiLogout().catch(() => undefined);
    clearSession();
  }, []);

  const value = useMemo(() => ({ token, user, login, logout }), [token, user, login, logout]);
  return <AuthContext.Provider value={value}>{children}</AuthContext.Provider>;
}

export function useAuth(): AuthValue {
  const v = useContext(AuthContext);
  if (!v) throw new Error("useAuth outside AuthProvider");
  return v;
}
