// A small Markdown renderer for step summaries and agent messages: headings, paragraphs,
// lists, code fences (highlighted), block quotes, rules, and inline code, bold, italics and
// http(s) links. It builds React elements; no HTML from the text is ever injected.

import { memo, type ReactNode } from "react";
import { highlight } from "./highlight";

const INLINE = /(`+)([\s\S]*?)\1|\*\*([^*]+)\*\*|__([^_]+)__|\*([^*\s][^*]*)\*|\[([^\]]+)\]\((https?:\/\/[^\s)]+)\)|(https?:\/\/[^\s<>()]+[^\s<>().,;:!?'"])/g;

function inline(text: string, keyBase: string): ReactNode[] {
  const out: ReactNode[] = [];
  let last = 0;
  let i = 0;
  for (const m of text.matchAll(INLINE)) {
    const at = m.index ?? 0;
    if (at > last) out.push(text.slice(last, at));
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
  if (last < text.length) out.push(text.slice(last));
  return out;
}

type Block =
  | { t: "h"; level: number; text: string }
  | { t: "p"; text: string }
  | { t: "code"; lang: string; text: string }
  | { t: "list"; ordered: boolean; start: number; items: string[] }
  | { t: "quote"; text: string }
  | { t: "hr" };

function parse(src: string): Block[] {
  const lines = src.replace(/\r\n?/g, "\n").split("\n");
  const blocks: Block[] = [];
  let i = 0;
  while (i < lines.length) {
    const line = lines[i];
    const fence = /^\s*(```+|~~~+)\s*([\w+#.-]*)/.exec(line);
    if (fence) {
      const body: string[] = [];
      i++;
      while (i < lines.length && !lines[i].trim().startsWith(fence[1])) body.push(lines[i++]);
      i++;
      blocks.push({ t: "code", lang: fence[2], text: body.join("\n") });
      continue;
    }
    const h = /^(#{1,6})\s+(.*?)\s*#*\s*$/.exec(line);
    if (h) {
      blocks.push({ t: "h", level: h[1].length, text: h[2] });
      i++;
      continue;
    }
    if (/^\s*([-*_])(\s*\1){2,}\s*$/.test(line)) {
      blocks.push({ t: "hr" });
      i++;
      continue;
    }
    const li = /^\s*([-*+]|(\d+)[.)])\s+(.*)$/.exec(line);
    if (li) {
      const ordered = Boolean(li[2]);
      const items: string[] = [];
      const start = ordered ? Number(li[2]) : 1;
      while (i < lines.length) {
        const m = /^\s*([-*+]|(\d+)[.)])\s+(.*)$/.exec(lines[i]);
        if (m && Boolean(m[2]) === ordered) {
          items.push(m[3]);
          i++;
        } else if (lines[i].trim() && /^\s{2,}/.test(lines[i]) && items.length) {
          items[items.length - 1] += ` ${lines[i].trim()}`;
          i++;
        } else break;
      }
      blocks.push({ t: "list", ordered, start, items });
      continue;
    }
    if (/^\s*>/.test(line)) {
      const body: string[] = [];
      while (i < lines.length && /^\s*>/.test(lines[i])) body.push(lines[i++].replace(/^\s*>\s?/, ""));
      blocks.push({ t: "quote", text: body.join("\n") });
      continue;
    }
    if (!line.trim()) {
      i++;
      continue;
    }
    const body: string[] = [];
    while (
      i < lines.length &&
      lines[i].trim() &&
      !/^(#{1,6}\s|\s*(```|~~~)|\s*([-*+]|\d+[.)])\s|\s*>)/.test(lines[i])
    )
      body.push(lines[i++]);
    blocks.push({ t: "p", text: body.join("\n") });
  }
  return blocks;
}

function withBreaks(text: string, key: string): ReactNode[] {
  const parts = text.split("\n");
  return parts.flatMap((p, i) => (i === 0 ? inline(p, `${key}.${i}`) : [<br key={`${key}br${i}`} />, ...inline(p, `${key}.${i}`)]));
}

/** Memoised: a page that re-renders every second (a running clock) does not re-parse. */
export const Markdown = memo(function Markdown({ source, className }: { source: string; className?: string }) {
  const blocks = parse(source);
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
                <code>{highlight(b.text, b.lang || null)}</code>
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
          case "hr":
            return <hr key={k} />;
        }
      })}
    </div>
  );
});
