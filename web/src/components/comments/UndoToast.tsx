// The toast that follows a detach: says what was detached and offers Undo for a few seconds
// (no confirmation dialog to click through first). Undo re-attaches the file to its comment.
// Undo takes the focus when the toast appears (focus goes back where it was, when that is still
// on the page, as the toast goes); the time left stops while the toast is hovered or focused.

import { useEffect, useRef, useState } from "react";
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
  const [hovered, setHovered] = useState(false);
  const [focused, setFocused] = useState(false);
  const left = useRef(UNDO_MS);
  const undoRef = useRef<HTMLButtonElement>(null);
  const box = useRef<HTMLDivElement>(null);

  // Focus to Undo on appearing; back to where it was when the toast goes (if focus was in it).
  useEffect(() => {
    const before = document.activeElement as HTMLElement | null;
    undoRef.current?.focus();
    const el = box.current;
    return () => {
      const inToast = !document.activeElement || document.activeElement === document.body || (el?.contains(document.activeElement) ?? false);
      if (inToast && before?.isConnected && before !== document.body) before.focus();
    };
  }, []);

  const held = hovered || focused;
  useEffect(() => {
    if (busy || error || held) return;
    const started = Date.now();
    const t = setTimeout(onDone, left.current);
    return () => {
      clearTimeout(t);
      left.current = Math.max(0, left.current - (Date.now() - started));
    };
  }, [action.key, busy, error, held, onDone]);

  return (
    <div
      ref={box}
      className="toast"
      data-testid="toast"
      data-held={held ? "true" : "false"}
      role="status"
      aria-live="polite"
      onMouseEnter={() => setHovered(true)}
      onMouseLeave={() => setHovered(false)}
      onFocus={() => setFocused(true)}
      onBlur={(e) => {
        if (!e.currentTarget.contains(e.relatedTarget as Node | null)) setFocused(false);
      }}
    >
      <span className="toast-text">{error ? `Cannot undo: ${error}` : action.message}</span>
      {!error && (
        <button
          type="button"
          ref={undoRef}
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
