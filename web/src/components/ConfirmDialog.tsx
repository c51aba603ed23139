// The app's confirmation dialog (instead of the browser's `confirm()`): a modal <dialog> that
// keeps the focus inside it (Tab and Shift+Tab cycle its buttons), closes on Escape (answer:
// no), confirms on Enter, names itself to assistive technology (role alertdialog, its title
// and question), and gives the focus back to where it was. `useConfirm` (hooks/useConfirm.tsx)
// asks with it and awaits the answer.

import { useEffect, useId, useRef } from "react";

export interface ConfirmOptions {
  /** The question, short: "Cancel the run?" */
  title: string;
  /** What happens if the person says yes. */
  message?: string;
  /** The confirming button's label ("Cancel run"); "Confirm" if not given. */
  confirmLabel?: string;
  /** The button that backs out ("Keep running"); "Go back" if not given. */
  cancelLabel?: string;
  /** A destructive action: the confirming button is red. */
  danger?: boolean;
}

interface Props extends ConfirmOptions {
  onAnswer: (yes: boolean) => void;
}

const FOCUSABLE = 'button:not([disabled]), [href], input:not([disabled]), select, textarea, [tabindex]:not([tabindex="-1"])';

export function ConfirmDialog({ title, message, confirmLabel = "Confirm", cancelLabel = "Go back", danger, onAnswer }: Props) {
  const ref = useRef<HTMLDialogElement>(null);
  const okRef = useRef<HTMLButtonElement>(null);
  const titleId = useId();
  const messageId = useId();

  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    const before = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    if (!dialog.open) dialog.showModal();
    okRef.current?.focus();
    return () => {
      if (dialog.open) dialog.close();
      before?.focus();
    };
  }, []);

  function onKeyDown(e: React.KeyboardEvent<HTMLDialogElement>) {
    if (e.key === "Escape") {
      e.preventDefault();
      e.stopPropagation();
      onAnswer(false);
    } else if (e.key === "Enter" && !e.shiftKey && !e.altKey && !e.ctrlKey && !e.metaKey) {
      // Enter confirms, unless the focus is on the button that backs out.
      const target = e.target as HTMLElement;
      if (target.dataset.answer === "no") return;
      e.preventDefault();
      onAnswer(true);
    } else if (e.key === "Tab") {
      const items = Array.from(ref.current?.querySelectorAll<HTMLElement>(FOCUSABLE) ?? []);
      if (items.length === 0) return;
      const first = items[0];
      const last = items[items.length - 1];
      const active = document.activeElement;
      if (e.shiftKey && (active === first || !ref.current?.contains(active))) {
        e.preventDefault();
        last.focus();
      } else if (!e.shiftKey && (active === last || !ref.current?.contains(active))) {
        e.preventDefault();
        first.focus();
      }
    }
  }

  return (
    <dialog
      ref={ref}
      className="confirm-dialog"
      role="alertdialog"
      aria-modal="true"
      aria-labelledby={titleId}
      aria-describedby={message ? messageId : undefined}
      data-testid="confirm-dialog"
      onKeyDown={onKeyDown}
      // The browser's own Escape handling: answered above, never a second close.
      onCancel={(e) => e.preventDefault()}
      onClick={(e) => {
        // A click on the backdrop (the dialog element itself, outside its box) backs out.
        if (e.target === ref.current) onAnswer(false);
      }}
    >
      <div className="confirm-box">
        <h2 id={titleId} className="confirm-title" data-testid="confirm-title">
          {title}
        </h2>
        {message && (
          <p id={messageId} className="confirm-message" data-testid="confirm-message">
            {message}
          </p>
        )}
        <div className="confirm-actions">
          <button type="button" className="btn" data-testid="confirm-cancel" data-answer="no" onClick={() => onAnswer(false)}>
            {cancelLabel}
          </button>
          <button
            ref={okRef}
            type="button"
            className={`btn ${danger ? "btn-danger-solid" : "btn-primary"}`}
            data-testid="confirm-ok"
            data-answer="yes"
            onClick={() => onAnswer(true)}
          >
            {confirmLabel}
          </button>
        </div>
      </div>
    </dialog>
  );
}
