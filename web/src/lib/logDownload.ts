// Saves a step's raw log (`events.jsonl`, every try of a retried step in order) as a file:
// read through the API with the session's Authorization header and handed to the browser as
// a Blob, so no token ever goes into a URL.

import { getStepLog } from "../api/endpoints";

/** A file name from a step's key: `build-events.jsonl`. */
export function logFileName(stepKey: string, attempt?: number): string {
  const base = stepKey.replace(/[^A-Za-z0-9._-]+/g, "_") || "step";
  return `${base}${attempt && attempt > 1 ? `-try${attempt}` : ""}-events.jsonl`;
}

export async function downloadStepLog(stepRowId: string, stepKey: string, tries: number[]): Promise<void> {
  const list = tries.length ? tries : [1];
  const parts = await Promise.all(list.map((n) => getStepLog(stepRowId, "events", {}, n === 1 ? undefined : n)));
  const blob = new Blob(parts.map((p) => p.content), { type: "application/x-ndjson" });
  const url = URL.createObjectURL(blob);
  try {
    const a = document.createElement("a");
    a.href = url;
    a.download = logFileName(stepKey);
    document.body.appendChild(a);
    a.click();
    a.remove();
  } finally {
    // After the click has started the download.
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  }
}
