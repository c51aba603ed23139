// An artifact's bytes for `<img>`, `<video>` and downloads. The session token never goes in a
// URL (it would end up in histories and logs): the app asks for a short-lived signed link
// (`GET /api/artifacts/{id}/link`, the token in the header) and hands that URL to the
// element, so images, videos and downloads load natively and stream. Text previews, which the
// app reads itself, are fetched with the Authorization header.

import { useEffect, useState } from "react";
import { apiUrl, ApiError, errorMessage, isAbort, request } from "./client";
import { getToken } from "./session";
import { dropExpired, downloadUrl, type CachedLink } from "../lib/artifactLinks";
import type { components } from "./schema";

export type ArtifactLink = components["schemas"]["ArtifactLink"];

/** Links kept until shortly before they expire, so a thread's images share one request each. */
const links = new Map<string, CachedLink>();

/** A signed URL for the artifact (cached while it is good for another minute). */
export async function artifactLink(id: string, signal?: AbortSignal): Promise<string> {
  dropExpired(links, Date.now());
  const cached = links.get(id);
  if (cached) return cached.url;
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

export interface ArtifactUrl {
  /** The signed URL, null until it is known (or when it cannot be had). */
  url: string | null;
  /** Why there is no link, when asking for it failed. */
  error: string | null;
}

/** The artifact's signed URL while the component shows it; a new `id` starts again. */
export function useArtifactUrl(id: string): ArtifactUrl {
  const [state, setState] = useState<ArtifactUrl & { id: string }>({ id, url: null, error: null });
  useEffect(() => {
    const ctrl = new AbortController();
    setState({ id, url: null, error: null });
    artifactLink(id, ctrl.signal)
      .then((url) => setState({ id, url, error: null }))
      .catch((e) => {
        if (!isAbort(e) && !ctrl.signal.aborted) setState({ id, url: null, error: errorMessage(e) });
      });
    return () => ctrl.abort();
  }, [id]);
  // Never the previous artifact's link for this one, even for the render before the effect.
  return state.id === id ? { url: state.url, error: state.error } : { url: null, error: null };
}

/** Saves the artifact as `name` through a signed link: the browser streams it to disk. */
export async function downloadArtifact(id: string, name: string): Promise<void> {
  const url = await artifactLink(id);
  const a = document.createElement("a");
  a.href = downloadUrl(url, window.location.href);
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
}
