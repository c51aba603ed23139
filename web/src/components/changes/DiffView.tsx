// A diff as the API sends it (`GET .../diff`): the totals, a notice when the server cut it,
// the file list (counts and colour bars; a click opens the file and goes to it) and each file's
// diff, opened at first only within a budget of rows so that a 1 MiB diff stays quick.

import { useCallback, useMemo, useRef, useState } from "react";
import type { Diff } from "../../api/types";
import { formatBytes } from "../../lib/format";
import { initiallyOpen, mergeFiles, parseUnifiedDiff, totals, totalsText, utf8Bytes } from "../../lib/diff";
import { shortCommit } from "../../lib/workspace";
import { ChangeBar, Counts, FileDiff } from "./FileDiff";

interface Props {
  diff: Diff;
  /** An id prefix for the files' anchors (several diffs may share a page). */
  idPrefix: string;
  /** Whether to show the base and head commits. */
  commits?: boolean;
  /** Whether to repeat the totals (a gate's summary line already says them). */
  totals?: boolean;
}

export function DiffView({ diff, idPrefix, commits = true, totals: showTotals = true }: Props) {
  const files = useMemo(() => mergeFiles(parseUnifiedDiff(diff.diff), diff.files, diff.truncated), [diff]);
  // Open or closed by path, so that a reload (a new snapshot) keeps what the person opened;
  // a path not seen yet starts as `initiallyOpen` says.
  const [chosen, setChosen] = useState<Record<string, boolean>>({});
  const first = useMemo(() => initiallyOpen(files), [files]);
  const open = files.map((f, i) => chosen[f.path] ?? first[i]);
  const openRef = useRef(open);
  openRef.current = open;
  const pathsRef = useRef(files.map((f) => f.path));
  pathsRef.current = files.map((f) => f.path);
  const toggle = useCallback((path: string) => {
    const i = pathsRef.current.indexOf(path);
    setChosen((c) => ({ ...c, [path]: !(openRef.current[i] ?? false) }));
  }, []);
  const sum = totals(files);
  const anchor = (i: number) => `${idPrefix}-file-${i}`;

  function show(i: number) {
    setChosen((c) => ({ ...c, [files[i].path]: true }));
    requestAnimationFrame(() => {
      const el = document.getElementById(anchor(i));
      el?.scrollIntoView({ block: "start" });
      el?.querySelector<HTMLButtonElement>(".diff-file-head")?.focus({ preventScroll: true });
    });
  }

  if (files.length === 0) {
    return (
      <p className="muted small diff-empty" data-testid="changes-empty">
        No files changed{commits && diff.base ? ` between ${shortCommit(diff.base)} and ${shortCommit(diff.head)}` : ""}.
      </p>
    );
  }
  const allOpen = open.every(Boolean);
  return (
    <div className="diff-view">
      <div className="diff-summary">
        {showTotals && (
          <>
            <strong data-testid="changes-total">{totalsText(sum)}</strong>
            <ChangeBar additions={sum.additions} deletions={sum.deletions} />
          </>
        )}
        {commits && (
          <span className="muted small diff-commits" title={`${diff.base} → ${diff.head}`}>
            <code>{shortCommit(diff.base)}</code> → <code>{shortCommit(diff.head)}</code>
          </span>
        )}
        <button type="button" className="btn btn-sm diff-toggle-all" onClick={() => setChosen(Object.fromEntries(files.map((f) => [f.path, !allOpen])))}>
          {allOpen ? "Collapse all" : "Expand all"}
        </button>
      </div>
      {diff.truncated && (
        <p className="notice notice-warn small" data-testid="changes-truncated" role="status">
          The diff is at least {formatBytes(diff.total_bytes)}: only its first {formatBytes(utf8Bytes(diff.diff))} are shown. Files past that are listed without their lines.
        </p>
      )}
      <ul className="diff-files" aria-label="Files changed">
        {files.map((f, i) => (
          <li key={`${f.path}:${i}`}>
            <button
              type="button"
              className="diff-file-link"
              data-testid="changes-file"
              data-path={f.path}
              data-status={f.status}
              data-additions={f.additions}
              data-deletions={f.deletions}
              onClick={() => show(i)}
            >
              <span className={`diff-dot is-${f.status}`} title={f.status} role="img" aria-label={f.status} />
              <span className="diff-path truncate" title={f.status === "renamed" ? `${f.oldPath} → ${f.path}` : f.path}>
                {f.path}
              </span>
              {f.binary ? <span className="muted small">binary</span> : <Counts additions={f.additions} deletions={f.deletions} />}
              <ChangeBar additions={f.additions} deletions={f.deletions} />
            </button>
          </li>
        ))}
      </ul>
      <div className="diff-body">
        {files.map((f, i) => (
          <FileDiff key={`${f.path}:${i}`} id={anchor(i)} file={f} open={open[i] ?? false} onToggle={toggle} />
        ))}
      </div>
    </div>
  );
}
