// The toast that follows a detach: says what was detached and offers Undo for a few seconds
// (no confirmation dialog to click through first). Undo re-attaches the file to its comment.

import { useEffect, useState } from "react";
import { errorMessage } from "../../api/client";
import { IconX } from "../Icons";

export interface Undoable {
  /** Unique per action, so a second detach restarts the timer. */
  key: string;
  message: string;
  undo: () => Promise<unknown>;
}

/** How long Undo is offered. */
const UNDO_MS = 10_000;

export function UndoToast({ action, onDone }: { action: Undoable; onDone: () => void }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    if (busy || error) return;
    const t = setTimeout(onDone, UNDO_MS);
    return () => clearTimeout(t);
  }, [action.key, busy, error, onDone]);

  return (
    <div className="toast" data-testid="toast" role="status" aria-live="polite">
      <span className="toast-text">{error ? `Cannot undo: ${error}` : action.message}</span>
      {!error && (
        <button
          type="button"
          className="toast-action"
          data-testid="toast-undo"
          disabled={busy}
          onClick={async () => {
            setBusy(true);
            try {
              await action.undo();
              onDone();
            } catch (e) {
              setError(errorMessage(e));
              setBusy(false);
            }
          }}
        >
          {busy ? "Undoing…" : "Undo"}
        </button>
      )}
      <button type="button" className="icon-btn toast-close" onClick={onDone} aria-label="Dismiss">
        <IconX width={14} height={14} />
      </button>
    </div>
  );
}
