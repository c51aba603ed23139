// An artifact's bytes for `<img>`, `<video>` and downloads. The server takes the token only in
// the `Authorization` header (a token in a URL would end up in histories and logs), which
// those elements cannot send: the file is fetched with it and shown through a `blob:` URL.

import { useEffect, useState } from "react";
import { apiUrl, ApiError } from "./client";
import { getToken } from "./session";

export async function fetchArtifactBlob(id: string, signal?: AbortSignal): Promise<Blob> {
  const token = getToken();
  const res = await fetch(apiUrl(`/artifacts/${encodeURIComponent(id)}`), {
    headers: token ? { Authorization: `Bearer ${token}` } : {},
    signal,
  });
  if (!res.ok) throw new ApiError(res.status, "download", `The server answered ${res.status}.`);
  return res.blob();
}

/** A `blob:` URL of the artifact while the component shows it (null until it has loaded). */
export function useArtifactObjectUrl(id: string): string | null {
  const [url, setUrl] = useState<string | null>(null);
  useEffect(() => {
    const ctrl = new AbortController();
    let made: string | null = null;
    fetchArtifactBlob(id, ctrl.signal)
      .then((blob) => {
        made = URL.createObjectURL(blob);
        setUrl(made);
      })
      .catch(() => setUrl(null));
    return () => {
      ctrl.abort();
      if (made) URL.revokeObjectURL(made);
    };
  }, [id]);
  return url;
}

/** Saves the artifact as `name`, as a download link would. */
export async function downloadArtifact(id: string, name: string): Promise<void> {
  const url = URL.createObjectURL(await fetchArtifactBlob(id));
  const a = document.createElement("a");
  a.href = url;
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  // The browser has taken the file once the click's task has run.
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}
