// Signed artifact links, the pure part: the download variant of a link, and which cached links
// are still good enough to reuse (the rest are dropped, so the cache does not grow for ever).

/** A link is reused while it has at least this long left. */
export const MARGIN_MS = 60_000;

export interface CachedLink {
  url: string;
  /** When the link expires (ms since the epoch). */
  until: number;
}

/** The signed link that saves the file rather than showing it (`download=1`), whatever its query. */
export function downloadUrl(url: string, base: string): string {
  const u = new URL(url, base);
  u.searchParams.set("download", "1");
  return u.toString();
}

/** Drops from `links` every link too close to expiry to be reused at `now`. */
export function dropExpired(links: Map<string, CachedLink>, now: number): void {
  for (const [id, l] of links) if (!(l.until - MARGIN_MS > now)) links.delete(id);
}
