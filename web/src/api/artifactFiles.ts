// An artifact's bytes for `<img>`, `<video>` and downloads. The session token never goes in a
// URL (it would end up in histories and logs): the app asks for a short-lived signed link
// (`GET /api/artifacts/{id}/link`, the token in the header) and hands that URL to the
// element, so images, videos and downloads load natively and stream. Text previews, which the
// app reads itself, are fetched with the Authorization header.

import { useEffect, useState } from "react";
import { apiUrl, ApiError, request } from "./client";
import { getToken } from "./session";
import type { components } from "./schema";

export type ArtifactLink = components["schemas"]["ArtifactLink"];

/** Links kept until shortly before they expire, so a thread's images share one request each. */
const links = new Map<string, { url: string; until: number }>();
/** A link is reused while it has at least this long left. */
const MARGIN_MS = 60_000;

/** A signed URL for the artifact (cached while it is good for another minute). */
export async function artifactLink(id: string, signal?: AbortSignal): Promise<string> {
  const cached = links.get(id);
  if (cached && cached.until - MARGIN_MS > Date.now()) return cached.url;
  const link = await request<ArtifactLink>(`/artifacts/${encodeURIComponent(id)}/link`, { signal });
  links.set(id, { url: link.url, until: Date.parse(link.expires_at) });
  return link.url;
}

export async function fetchArtifactBlob(id: string, signal?: AbortSignal): Promise<Blob> {
  const token = getToken();
  const res = await fetch(apiUrl(`/artifacts/${encodeURIComponent(id)}`), {
    headers: token ? { Authorization: `Bearer ${token}` } : {},
    signal,
  });
  if (!res.ok) throw new ApiError(res.status, "download", `The server answered ${res.status}.`);
  return res.blob();
}

/** The artifact's signed URL while the component shows it (null until it is known). */
export function useArtifactUrl(id: string): string | null {
  const [url, setUrl] = useState<string | null>(null);
  useEffect(() => {
    const ctrl = new AbortController();
    artifactLink(id, ctrl.signal)
      .then(setUrl)
      .catch(() => setUrl(null));
    return () => ctrl.abort();
  }, [id]);
  return url;
}

/** Saves the artifact as `name` through a signed link: the browser streams it to disk. */
export async function downloadArtifact(id: string, name: string): Promise<void> {
  const url = await artifactLink(id);
  const a = document.createElement("a");
  a.href = `${url}&download=1`;
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
}
