// The rows of a step's log, rendered in chunks: a chunk re-renders only when its own entries or
// its search marks change (a new line re-renders the last chunk), and the browser skips the
// layout and paint of chunks off screen (`content-visibility`), so a 20,000-line log stays
// quick while every line is in the page (reachable by scrolling, search and the browser's
// find). Line numbers and times are drawn from data attributes: they are not copied with the
// text.

import { memo } from "react";
import type { LogEntry } from "../../lib/agentLog";
import { ansiNodes, type Mark } from "../../lib/ansi";
import type { Match } from "../../lib/logSearch";
import { AgentMessage } from "./AgentMessage";

export const CHUNK = 200;

/** hh:mm:ss in local time, quickly (20,000 of them). */
function clock(ts: string | undefined): string | undefined {
  if (!ts) return undefined;
  const d = new Date(ts);
  if (Number.isNaN(d.getTime())) return undefined;
  const p = (n: number) => String(n).padStart(2, "0");
  return `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

interface ChunkProps {
  entries: LogEntry[];
  start: number;
  end: number;
  /** The matches in this chunk. */
  matches: Match[];
  /** The current match, when it is in this chunk. */
  current: Match | null;
  /** Changes when the chunk's marks do (the query). */
  query: string;
  /** Per entry of the whole log: a failed result retried later (see `retriedFlags`). */
  retried: boolean[];
}

function LinesChunk({ entries, start, end, matches, current, retried }: ChunkProps) {
  const rows = [];
  let m = 0;
  for (let i = start; i < end; i++) {
    const e = entries[i];
    const marks: Mark[] = [];
    while (m < matches.length && matches[m].index < i) m++;
    while (m < matches.length && matches[m].index === i) {
      const x = matches[m++];
      marks.push({ start: x.start, end: x.end, current: current !== null && current.index === i && current.start === x.start });
    }
    if (e.kind === "line") {
      rows.push(
        <div key={i} className={`log-line log-${e.stream}`} data-testid="log-line" data-stream={e.stream} data-index={i}>
          <span className="log-gutter" data-n={i + 1} data-ts={clock(e.ts)} aria-hidden="true" />
          <span className="log-text">{ansiNodes(e.text, marks)}</span>
        </div>,
      );
    } else {
      const isCurrent = current !== null && current.index === i;
      rows.push(
        <div key={i} className={`log-entry${marks.length ? " has-match" : ""}${isCurrent ? " is-current" : ""}`} data-index={i}>
          <AgentMessage entry={e} retried={retried[i] ?? false} />
        </div>,
      );
    }
  }
  return (
    <div className="log-chunk" style={{ containIntrinsicSize: `auto ${(end - start) * 20}px` }}>
      {rows}
    </div>
  );
}

const Chunk = memo(LinesChunk, (a, b) => {
  if (a.start !== b.start || a.end !== b.end || a.query !== b.query || a.current !== b.current) return false;
  if (a.matches.length !== b.matches.length) return false;
  for (let i = a.start; i < a.end; i++) if (a.entries[i] !== b.entries[i] || a.retried[i] !== b.retried[i]) return false;
  return true;
});

interface Props {
  entries: LogEntry[];
  matches: Match[];
  current: Match | null;
  query: string;
  retried: boolean[];
}

/** Every entry, in chunks of `CHUNK`. */
export function LogLines({ entries, matches, current, query, retried }: Props) {
  const chunks = [];
  let m = 0;
  for (let start = 0; start < entries.length; start += CHUNK) {
    const end = Math.min(entries.length, start + CHUNK);
    const from = m;
    while (m < matches.length && matches[m].index < end) m++;
    const own = from === m ? NO_MATCHES : matches.slice(from, m);
    const cur = current && current.index >= start && current.index < end ? current : null;
    chunks.push(<Chunk key={start} entries={entries} start={start} end={end} matches={own} current={cur} query={query} retried={retried} />);
  }
  return <>{chunks}</>;
}

const NO_MATCHES: Match[] = [];
