// The new-run form's name field: filled from the definition's `runName` as the arguments
// change, until the person types a name of their own (which then wins, as on the server).
// Clearing the field gives it back to the template.

export interface NameField {
  /** What the person typed; "" while the name follows the template. */
  typed: string;
  /** The name the server would give now (its preview), null while not known. */
  preview: string | null;
}

/** Whether the field follows the template (nothing typed of one's own). */
export function followsTemplate(f: NameField): boolean {
  return f.typed.trim() === "";
}

/** What the field shows. */
export function shownName(f: NameField): string {
  return followsTemplate(f) ? (f.preview ?? "") : f.typed;
}

/** The `name` to send: only a name the person typed; otherwise the server names the run. */
export function nameToSend(f: NameField): string | undefined {
  return followsTemplate(f) ? undefined : f.typed.trim();
}

/** The field's new state when the person edits the shown text to `text`. */
export function edit(f: NameField, text: string): NameField {
  // Typing over the template's name makes it theirs; emptying it hands it back.
  return { ...f, typed: text };
}

/** A stable key of the arguments, so the preview is asked again only when they change. */
export function argsKey(args: Record<string, unknown>): string {
  return JSON.stringify(Object.keys(args).sort().map((k) => [k, args[k]]));
}
