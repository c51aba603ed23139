// The bar above a step's log: how many lines it has, search (count, next/previous; Enter and
// Shift+Enter), wrap, line numbers, times, and the raw log's download.

import { useState, type KeyboardEvent } from "react";
import { errorMessage } from "../../api/client";
import { matchCountLabel } from "../../lib/logSearch";
import { IconChevron, IconDownload, IconSearch } from "../Icons";

export interface LogOptions {
  wrap: boolean;
  numbers: boolean;
  times: boolean;
}

interface Props {
  /** "20,000 lines" or "14 messages". */
  countLabel: string;
  query: string;
  onQuery: (q: string) => void;
  current: number;
  count: number;
  onStep: (step: number) => void;
  options: LogOptions;
  onOptions: (o: LogOptions) => void;
  /** Whether the lines have numbers and times to show (a terminal log). */
  lines: boolean;
  onDownload: () => Promise<void>;
}

function Toggle({ on, label, title, testId, onClick }: { on: boolean; label: string; title: string; testId: string; onClick: () => void }) {
  return (
    <button type="button" className={`btn btn-xs log-toggle${on ? " is-on" : ""}`} aria-pressed={on} title={title} data-testid={testId} onClick={onClick}>
      {label}
    </button>
  );
}

export function LogToolbar({ countLabel, query, onQuery, current, count, onStep, options, onOptions, lines, onDownload }: Props) {
  const [saving, setSaving] = useState(false);
  const [saveError, setSaveError] = useState<string | null>(null);

  const onKey = (e: KeyboardEvent<HTMLInputElement>) => {
    if (e.key === "Enter") {
      e.preventDefault();
      onStep(e.shiftKey ? -1 : 1);
    } else if (e.key === "Escape" && query) {
      // The first Escape clears the search; the next one closes the panel.
      e.preventDefault();
      onQuery("");
    }
  };

  const download = () => {
    setSaving(true);
    setSaveError(null);
    onDownload()
      .catch((e: unknown) => setSaveError(errorMessage(e)))
      .finally(() => setSaving(false));
  };

  return (
    <div className="log-toolbar" data-testid="log-toolbar">
      <span className="log-count muted small" data-testid="log-count">
        {countLabel}
      </span>
      <div className="log-search">
        <IconSearch width={13} height={13} aria-hidden="true" />
        <input
          type="search"
          value={query}
          placeholder="Search the log"
          aria-label="Search the log"
          data-testid="log-search"
          onChange={(e) => onQuery(e.target.value)}
          onKeyDown={onKey}
        />
        {query && (
          <span className="log-search-count small" data-testid="log-search-count" aria-live="polite">
            {matchCountLabel(current, count)}
          </span>
        )}
        <button type="button" className="icon-btn log-step prev" aria-label="Previous match (Shift+Enter)" data-testid="log-search-prev" disabled={count === 0} onClick={() => onStep(-1)}>
          <IconChevron width={12} height={12} />
        </button>
        <button type="button" className="icon-btn log-step next" aria-label="Next match (Enter)" data-testid="log-search-next" disabled={count === 0} onClick={() => onStep(1)}>
          <IconChevron width={12} height={12} />
        </button>
      </div>
      <div className="log-options">
        <Toggle on={options.wrap} label="Wrap" title="Wrap long lines" testId="log-wrap-toggle" onClick={() => onOptions({ ...options, wrap: !options.wrap })} />
        {lines && (
          <>
            <Toggle on={options.numbers} label="#" title="Line numbers" testId="log-numbers-toggle" onClick={() => onOptions({ ...options, numbers: !options.numbers })} />
            <Toggle on={options.times} label="Time" title="Each line's time" testId="log-times-toggle" onClick={() => onOptions({ ...options, times: !options.times })} />
          </>
        )}
        <button type="button" className="btn btn-xs" data-testid="log-download" title="Download the raw log (events.jsonl)" disabled={saving} onClick={download}>
          <IconDownload width={12} height={12} /> {saving ? "Saving…" : "Raw"}
        </button>
      </div>
      {saveError && (
        <p className="notice notice-error small log-save-error" role="alert">
          Cannot download the log: {saveError}
        </p>
      )}
    </div>
  );
}
