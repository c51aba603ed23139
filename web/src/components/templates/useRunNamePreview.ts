// The name the server would give a run of the form's arguments (`POST
// /api/workflow-definitions/{id}/run-name`), asked again a moment after they stop changing.

import { useEffect, useRef, useState } from "react";
import { ApiError, errorMessage, isAbort } from "../../api/client";
import { previewRunName, type RunNamePreview } from "../../api/endpoints";
import { argsKey } from "../../lib/runName";

/** How long the arguments must rest before the name is asked for. */
const DEBOUNCE_MS = 200;

export interface NamePreviewState {
  preview: RunNamePreview | null;
  /** Why there is no name (a `runName` function that threw), null when there is one. */
  error: string | null;
}

export function useRunNamePreview(definitionId: string, args: Record<string, unknown>): NamePreviewState {
  const key = argsKey(args);
  const latest = useRef(args);
  latest.current = args;
  const [state, setState] = useState<NamePreviewState>({ preview: null, error: null });
  useEffect(() => {
    const ctrl = new AbortController();
    const timer = setTimeout(() => {
      previewRunName(definitionId, latest.current, { signal: ctrl.signal })
        .then((preview) => setState({ preview, error: null }))
        .catch((e: unknown) => {
          if (isAbort(e)) return;
          const why = e instanceof ApiError && e.details.length ? e.details.join("; ") : errorMessage(e);
          setState((s) => ({ preview: s.preview, error: why }));
        });
    }, DEBOUNCE_MS);
    return () => {
      clearTimeout(timer);
      ctrl.abort();
    };
  }, [definitionId, key]);
  return state;
}
