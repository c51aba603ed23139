// The step's log: a terminal for output lines (ANSI colours, line numbers, times), messages for
// an agent's events; the whole log, however long (`LogLines` renders it in chunks), with its
// toolbar (count, search, wrap, numbers, times, raw download). It follows new lines while
// scrolled to the bottom.

import { useEffect, useLayoutEffect, useMemo, useRef, useState } from "react";
import type { LogEntry } from "../../lib/agentLog";
import { stripAnsi } from "../../lib/ansi";
import { agentView, retriedFlags } from "../../lib/agentView";
import { plural } from "../../lib/format";
import { findMatches, stepMatch } from "../../lib/logSearch";
import { LogLines } from "./LogLines";
import { LogToolbar, type LogOptions } from "./LogToolbar";

const OPTIONS_KEY = "wf.logOptions";

function storedOptions(): LogOptions {
  const d = { wrap: true, numbers: true, times: true };
  try {
    return { ...d, ...(JSON.parse(localStorage.getItem(OPTIONS_KEY) ?? "{}") as Partial<LogOptions>) };
  } catch {
    return d;
  }
}

/** Each entry's search text, made once: a streaming log does not rescan its old lines. */
const searchTexts = new WeakMap<LogEntry, string>();

/** What search looks in: a line's text, a message's text and tool (cached per entry). */
function searchText(e: LogEntry): string {
  let t = searchTexts.get(e);
  if (t === undefined) {
    t = makeSearchText(e);
    searchTexts.set(e, t);
  }
  return t;
}

function makeSearchText(e: LogEntry): string {
  if (e.kind === "line") return stripAnsi(e.text).toLowerCase();
  const input = e.input === undefined ? "" : typeof e.input === "string" ? e.input : JSON.stringify(e.input);
  return `${e.tool ?? ""} ${e.text} ${input}`.toLowerCase();
}

interface Props {
  entries: LogEntry[];
  running: boolean;
  isAgent: boolean;
  /** Shown instead of "Waiting for output…" when nothing is known yet. */
  emptyHint?: string;
  onDownload: () => Promise<void>;
}

export function LogView({ entries, running, isAgent, emptyHint, onDownload }: Props) {
  const ref = useRef<HTMLDivElement>(null);
  const [follow, setFollow] = useState(true);
  const [options, setOptionsState] = useState(storedOptions);
  const [query, setQuery] = useState("");
  const [current, setCurrent] = useState(-1);
  const shown = useMemo(() => (isAgent ? agentView(entries) : entries), [entries, isAgent]);
  const retried = useMemo(() => (isAgent ? retriedFlags(shown) : NO_FLAGS), [shown, isAgent]);
  const searching = query.trim() !== "";
  const texts = useMemo(() => (searching ? shown.map(searchText) : []), [shown, searching]);
  const matches = useMemo(() => findMatches(texts, query.trim()), [texts, query]);
  const match = current >= 0 && current < matches.length ? matches[current] : null;

  const setOptions = (o: LogOptions) => {
    setOptionsState(o);
    try {
      localStorage.setItem(OPTIONS_KEY, JSON.stringify(o));
    } catch {
      // Not kept: the next panel starts with the defaults.
    }
  };

  useLayoutEffect(() => {
    const el = ref.current;
    if (el && follow && !match) el.scrollTop = el.scrollHeight;
  }, [shown.length, follow, shown[shown.length - 1], match]);

  useEffect(() => setFollow(true), [isAgent]);

  // A new query starts at its first match.
  useEffect(() => setCurrent(query.trim() ? 0 : -1), [query]);

  // The current match in view (when it changes, not with each new line).
  const matchAt = match ? `${match.index}:${match.start}` : "";
  useEffect(() => {
    if (!matchAt) return;
    const row = ref.current?.querySelector(`[data-index="${matchAt.split(":")[0]}"]`);
    const target = row?.querySelector("mark.is-current") ?? row;
    target?.scrollIntoView({ block: "center", inline: "nearest" });
  }, [matchAt, query]);

  const onScroll = () => {
    const el = ref.current;
    if (!el) return;
    setFollow(el.scrollHeight - el.scrollTop - el.clientHeight < 24);
  };

  const lineCount = isAgent ? shown.length : entries.length;
  const classes = [
    isAgent ? "agent-log" : "terminal",
    options.wrap ? "is-wrapped" : "is-nowrap",
    !isAgent && options.numbers ? "show-numbers" : "",
    !isAgent && options.times ? "show-times" : "",
  ];

  return (
    <div className="log-wrap">
      <LogToolbar
        countLabel={isAgent ? plural(lineCount, "message") : plural(lineCount, "line")}
        query={query}
        onQuery={setQuery}
        current={current}
        count={matches.length}
        onStep={(d) => setCurrent((c) => stepMatch(c, d, matches.length))}
        options={options}
        onOptions={setOptions}
        lines={!isAgent}
        onDownload={onDownload}
      />
      <div
        ref={ref}
        className={classes.filter(Boolean).join(" ")}
        data-testid="step-log"
        data-count={lineCount}
        onScroll={onScroll}
        tabIndex={0}
        role="log"
        aria-live={running && !query ? "polite" : "off"}
        aria-label="Step log"
      >
        {shown.length === 0 && (
          <div className="log-empty">{running ? (emptyHint ?? "Waiting for output…") : "This step wrote no output."}</div>
        )}
        <LogLines entries={shown} matches={query.trim() ? matches : []} current={match} query={query.trim()} retried={retried} />
        {running && <div className="log-cursor" aria-hidden="true" />}
      </div>
      {!follow && (
        <button
          type="button"
          className="btn btn-xs follow-btn"
          onClick={() => {
            setFollow(true);
            setQuery("");
            const el = ref.current;
            if (el) el.scrollTop = el.scrollHeight;
          }}
        >
          ↓ Follow
        </button>
      )}
    </div>
  );
}

const NO_FLAGS: boolean[] = [];
