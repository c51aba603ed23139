// One file of a diff: its header (path, a rename's old path, status, counts, colour bar) that
// opens and closes it, and its hunks with old/new line numbers, each line coloured by the file's
// language. A long file draws `STEP` rows at a time ("Show N more lines").

import { memo, useMemo, useState, type ReactNode } from "react";
import { changeBar, CUT_OVER, lineWeight, PLAIN_OVER, rowCount, type DiffFile, type DiffLine } from "../../lib/diff";
import { highlight, languageFor } from "../../lib/highlight";

const STEP = 1500;

/** The five-block bar of a file's (or a diff's) additions and deletions. */
export function ChangeBar({ additions, deletions }: { additions: number; deletions: number }) {
  const b = changeBar(additions, deletions);
  const blocks: string[] = [...Array(b.add).fill("add"), ...Array(b.del).fill("del"), ...Array(b.none).fill("none")];
  return (
    <span className="change-bar" aria-hidden="true" data-contrast-exempt>
      {blocks.map((k, i) => (
        <span key={i} className={`change-block is-${k}`} />
      ))}
    </span>
  );
}

/** "+12 −3" with the colours of the diff. */
export function Counts({ additions, deletions }: { additions: number; deletions: number }) {
  return (
    <span className="change-counts">
      <span className="change-add">+{additions.toLocaleString("en-US")}</span> <span className="change-del">−{deletions.toLocaleString("en-US")}</span>
    </span>
  );
}

const SIGN: Record<DiffLine["kind"], string> = { add: "+", del: "−", ctx: " ", note: "" };
/** What a screen reader says before a line (the sign and the colour are hidden from it). */
const SAID: Record<DiffLine["kind"], string> = { add: "added: ", del: "removed: ", ctx: "", note: "" };

/** A line's text: coloured; plain past 2 KB; past 10 KB cut, with a button for the rest. */
function LineText({ text, lang }: { text: string; lang: ReturnType<typeof languageFor> }) {
  const [whole, setWhole] = useState(false);
  if (!text) return <>{"\u00a0"}</>;
  if (text.length <= PLAIN_OVER) return <>{highlight(text, lang)}</>;
  if (text.length <= CUT_OVER || whole) return <>{text}</>;
  return (
    <>
      {text.slice(0, CUT_OVER)}
      <button type="button" className="btn btn-sm diff-whole-line" data-testid="diff-whole-line" onClick={() => setWhole(true)}>
        Show the whole line ({(text.length - CUT_OVER).toLocaleString("en-US")} more characters)
      </button>
    </>
  );
}

function rows(file: DiffFile, limit: number): { nodes: ReactNode[]; total: number } {
  const lang = languageFor(file.path);
  const nodes: ReactNode[] = [];
  let n = 0;
  for (const [h, hunk] of file.hunks.entries()) {
    if (n >= limit) break;
    nodes.push(
      <div key={`h${h}`} className="diff-row diff-hunk">
        <span className="diff-ln" />
        <span className="diff-ln" />
        <span className="diff-text">
          @@ −{hunk.oldStart},{hunk.oldLines} +{hunk.newStart},{hunk.newLines} @@{hunk.section ? ` ${hunk.section}` : ""}
        </span>
      </div>,
    );
    n++;
    for (const [i, l] of hunk.lines.entries()) {
      if (n >= limit) break;
      n += lineWeight(l.text);
      nodes.push(
        <div key={`${h}.${i}`} className={`diff-row diff-${l.kind}`}>
          <span className="diff-ln" data-n={l.old ?? ""} />
          <span className="diff-ln" data-n={l.new ?? ""} />
          <span className="diff-text">
            <span className="diff-sign" aria-hidden="true">
              {SIGN[l.kind]}
            </span>
            {SAID[l.kind] && <span className="sr-only">{SAID[l.kind]}</span>}
            {l.kind === "note" ? <em>{l.text}</em> : <LineText text={l.text} lang={lang} />}
          </span>
        </div>,
      );
    }
  }
  return { nodes, total: rowCount(file) };
}

function Body({ file }: { file: DiffFile }) {
  const [limit, setLimit] = useState(STEP);
  const { nodes, total } = useMemo(() => rows(file, limit), [file, limit]);
  if (file.binary) return <p className="diff-note muted small">Binary file: not shown.</p>;
  if (file.hunks.length === 0)
    return (
      <p className="diff-note muted small">
        {file.cut ? "Past the size cap: not in the diff that was sent." : file.status === "renamed" ? "Renamed without changes." : "No changes to show (mode or empty file)."}
      </p>
    );
  return (
    <>
      <div className="diff-rows" role="region" tabIndex={0} aria-label={`Changes to ${file.path}`} data-testid="diff-rows">
        {nodes}
      </div>
      {total > limit && (
        <button type="button" className="btn btn-sm diff-more" onClick={() => setLimit((l) => l + STEP)}>
          Show {Math.min(STEP, total - limit).toLocaleString("en-US")} more lines ({(total - limit).toLocaleString("en-US")} left)
        </button>
      )}
      {file.cut && <p className="diff-note muted small">The diff was cut here (size cap).</p>}
    </>
  );
}

interface Props {
  file: DiffFile;
  open: boolean;
  /** Called with the file's path (a stable callback keeps `memo` working). */
  onToggle: (path: string) => void;
  id: string;
}

/** A file's section of the diff: the header toggles it; its rows are drawn only while open. */
export const FileDiff = memo(function FileDiff({ file, open, onToggle, id }: Props) {
  return (
    <section className="diff-file" id={id} data-testid="diff-file" data-path={file.path} data-status={file.status} data-open={open}>
      <button type="button" className="diff-file-head" aria-expanded={open} onClick={() => onToggle(file.path)}>
        <span className="diff-caret" aria-hidden="true">
          {open ? "▾" : "▸"}
        </span>
        <span className={`chip diff-status is-${file.status}`}>{file.status}</span>
        <span className="diff-path">
          {file.status === "renamed" && file.oldPath !== file.path ? (
            <>
              <span className="muted">{file.oldPath} → </span>
              {file.path}
            </>
          ) : (
            file.path
          )}
        </span>
        {file.binary ? <span className="muted small">binary</span> : <Counts additions={file.additions} deletions={file.deletions} />}
        <ChangeBar additions={file.additions} deletions={file.deletions} />
      </button>
      {open && <Body file={file} />}
    </section>
  );
});
