// Asking a person to confirm, in the app's dialog (components/ConfirmDialog.tsx):
// `const { confirm, dialog } = useConfirm()`, render `{dialog}`, then
// `if (!(await confirm({ title: "Cancel the run?", danger: true }))) return;`.
// A second question while one is open answers the first with no.

import { useCallback, useEffect, useRef, useState, type ReactNode } from "react";
import { ConfirmDialog, type ConfirmOptions } from "../components/ConfirmDialog";

interface Open extends ConfirmOptions {
  resolve: (yes: boolean) => void;
  /** Each question its own dialog (focus and all). */
  n: number;
}

export function useConfirm(): { confirm: (o: ConfirmOptions) => Promise<boolean>; dialog: ReactNode } {
  const [open, setOpen] = useState<Open | null>(null);
  const current = useRef<Open | null>(null);
  const count = useRef(0);

  const confirm = useCallback(
    (o: ConfirmOptions) =>
      new Promise<boolean>((resolve) => {
        current.current?.resolve(false);
        const next = { ...o, resolve, n: ++count.current };
        current.current = next;
        setOpen(next);
      }),
    [],
  );
  // Unmounted with a question open: the answer is no.
  useEffect(() => () => current.current?.resolve(false), []);

  const answer = useCallback((yes: boolean) => {
    const o = current.current;
    current.current = null;
    setOpen(null);
    o?.resolve(yes);
  }, []);

  const dialog = open ? (
    <ConfirmDialog
      key={open.n}
      title={open.title}
      message={open.message}
      confirmLabel={open.confirmLabel}
      cancelLabel={open.cancelLabel}
      danger={open.danger}
      onAnswer={answer}
    />
  ) : null;
  return { confirm, dialog };
}
