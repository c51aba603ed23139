// A small Markdown renderer for step summaries and agent messages: headings, paragraphs,
// lists, tables (GFM pipes, with alignment), code fences (highlighted), block quotes, rules,
// and inline code, bold, italics and http(s) links; ANSI colours in the text and in code
// rendered (`ansi.tsx`). It builds React elements; no HTML from the text is ever injected.

import { memo, type ReactNode } from "react";
import { ansiNodes, hasAnsi } from "./ansi";
import { highlight } from "./highlight";
import { parseMarkdown } from "./markdownParse";

const INLINE = /(`+)([\s\S]*?)\1|\*\*([^*]+)\*\*|__([^_]+)__|\*([^*\s][^*]*)\*|\[([^\]]+)\]\((https?:\/\/[^\s)]+)\)|(https?:\/\/[^\s<>()]+[^\s<>().,;:!?'"])/g;

function inline(text: string, keyBase: string): ReactNode[] {
  const out: ReactNode[] = [];
  let last = 0;
  let i = 0;
  const plain = (t: string) => (hasAnsi(t) ? out.push(<span key={`${keyBase}-a${i++}`}>{ansiNodes(t)}</span>) : out.push(t));
  for (const m of text.matchAll(INLINE)) {
    const at = m.index ?? 0;
    if (at > last) plain(text.slice(last, at));
    const k = `${keyBase}-${i++}`;
    if (m[1]) out.push(<code key={k}>{m[2]}</code>);
    else if (m[3] ?? m[4]) out.push(<strong key={k}>{inline(m[3] ?? m[4], k)}</strong>);
    else if (m[5]) out.push(<em key={k}>{inline(m[5], k)}</em>);
    else if (m[6] && m[7])
      out.push(
        <a key={k} href={m[7]} target="_blank" rel="noreferrer noopener">
          {m[6]}
        </a>,
      );
    else if (m[8])
      out.push(
        <a key={k} href={m[8]} target="_blank" rel="noreferrer noopener">
          {m[8]}
        </a>,
      );
    last = at + m[0].length;
  }
  if (last < text.length) plain(text.slice(last));
  return out;
}

function withBreaks(text: string, key: string): ReactNode[] {
  const parts = text.split("\n");
  return parts.flatMap((p, i) => (i === 0 ? inline(p, `${key}.${i}`) : [<br key={`${key}br${i}`} />, ...inline(p, `${key}.${i}`)]));
}

/** Memoised: a page that re-renders every second (a running clock) does not re-parse. */
export const Markdown = memo(function Markdown({ source, className }: { source: string; className?: string }) {
  const blocks = parseMarkdown(source);
  return (
    <div className={`md${className ? ` ${className}` : ""}`}>
      {blocks.map((b, i) => {
        const k = String(i);
        switch (b.t) {
          case "h": {
            const Tag = `h${Math.min(6, b.level + 1)}` as "h2";
            return <Tag key={k}>{inline(b.text, k)}</Tag>;
          }
          case "p":
            return <p key={k}>{withBreaks(b.text, k)}</p>;
          case "code":
            return (
              <pre key={k} className="code">
                <code>{hasAnsi(b.text) ? ansiNodes(b.text) : highlight(b.text, b.lang || null)}</code>
              </pre>
            );
          case "list": {
            const items = b.items.map((it, j) => <li key={j}>{inline(it, `${k}-${j}`)}</li>);
            return b.ordered ? (
              <ol key={k} start={b.start}>
                {items}
              </ol>
            ) : (
              <ul key={k}>{items}</ul>
            );
          }
          case "quote":
            return <blockquote key={k}>{withBreaks(b.text, k)}</blockquote>;
          case "table":
            return (
              <div key={k} className="md-table-wrap" tabIndex={0} role="region" aria-label={`Table: ${b.head.map((h) => h.replace(/[*_`]/g, "")).join(", ")} (scrolls sideways)`}>
                <table className="md-table">
                  <thead>
                    <tr>
                      {b.head.map((c, j) => (
                        <th key={j} style={{ textAlign: b.align[j] }}>
                          {inline(c, `${k}h${j}`)}
                        </th>
                      ))}
                    </tr>
                  </thead>
                  <tbody>
                    {b.rows.map((r, ri) => (
                      <tr key={ri}>
                        {b.head.map((_, j) => (
                          <td key={j} style={{ textAlign: b.align[j] }}>
                            {inline(r[j] ?? "", `${k}r${ri}c${j}`)}
                          </td>
                        ))}
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            );
          case "hr":
            return <hr key={k} />;
        }
      })}
    </div>
  );
});
