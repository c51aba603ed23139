// A step a YAML `if:` skipped, muted with its reason: a line in the timeline or a notice in the
// step panel (the words are `lib/skipped.ts`).

import type { Step } from "../../api/types";
import { skipNote } from "../../lib/skipped";

/** The muted "skipped: <reason>" line of a step a YAML `if:` skipped; nothing for other steps. */
export function SkippedNote({ step, block }: { step: Pick<Step, "status" | "error_message">; block?: boolean }) {
  const note = skipNote(step);
  if (!note) return null;
  return block ? (
    <p className="notice notice-skipped" data-testid="step-skipped">
      {note}
    </p>
  ) : (
    <span className="step-skipped" data-testid="step-skipped" title={note}>
      {note}
    </span>
  );
}
