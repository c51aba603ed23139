// Search within a step's log: every case-insensitive match of the query in each entry's text
// (escape codes removed), in order, for highlighting and next/previous.

export interface Match {
  /** The entry's index in the log. */
  index: number;
  /** Where the match is in the entry's text (without escape codes). */
  start: number;
  end: number;
}

/** Past this many matches the count says "10,000+" and no more are looked for. */
export const MAX_MATCHES = 10_000;

/** `texts` are the entries' searchable texts, already lower-cased. */
export function findMatches(texts: readonly string[], query: string, max = MAX_MATCHES): Match[] {
  const q = query.toLowerCase();
  const out: Match[] = [];
  if (!q) return out;
  for (let index = 0; index < texts.length; index++) {
    const t = texts[index];
    let at = t.indexOf(q);
    while (at !== -1) {
      out.push({ index, start: at, end: at + q.length });
      if (out.length >= max) return out;
      at = t.indexOf(q, at + q.length);
    }
  }
  return out;
}

/** The match to go to from `current` by `step` (+1 next, -1 previous), wrapping around. */
export function stepMatch(current: number, step: number, count: number): number {
  if (count === 0) return -1;
  if (current < 0) return step > 0 ? 0 : count - 1;
  return (current + step + count) % count;
}

/** "3 of 17", "No matches", "1 of 10,000+". */
export function matchCountLabel(current: number, count: number, max = MAX_MATCHES): string {
  if (count === 0) return "No matches";
  const total = count >= max ? `${max.toLocaleString("en-US")}+` : count.toLocaleString("en-US");
  return `${current < 0 ? 0 : current + 1} of ${total}`;
}
