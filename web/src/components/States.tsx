import type { ReactNode } from "react";
import { errorMessage } from "../api/client";

export function Loading({ label = "Loading…", inline }: { label?: string; inline?: boolean }) {
  return (
    <div className={inline ? "state state-inline" : "state"} data-testid="loading" role="status" aria-live="polite">
      <span className="spinner" aria-hidden="true" />
      <span>{label}</span>
    </div>
  );
}

export function ErrorState({ error, onRetry, title = "Something went wrong" }: { error: unknown; onRetry?: () => void; title?: string }) {
  return (
    <div className="state state-error" data-testid="error-state" role="alert">
      <strong>{title}</strong>
      <span>{errorMessage(error)}</span>
      {onRetry && (
        <button type="button" className="btn btn-sm" onClick={onRetry}>
          Try again
        </button>
      )}
    </div>
  );
}

export function EmptyState({ title, children, testId = "empty-state" }: { title: string; children?: ReactNode; testId?: string }) {
  return (
    <div className="state state-empty" data-testid={testId}>
      <strong>{title}</strong>
      {children && <div className="state-body">{children}</div>}
    </div>
  );
}
