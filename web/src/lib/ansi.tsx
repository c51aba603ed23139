// ANSI escape codes in log text: SGR colours and styles (8/16 colours as classes that the
// theme colours, 256-colour and true colour as the text's own colour) rendered as spans;
// every other escape (cursor moves, OSC titles and links) dropped. Search highlights are laid
// over the styled text (`marks`, offsets in the text without escapes).

import type { CSSProperties, ReactNode } from "react";

export interface AnsiStyle {
  /** 0-15: a palette class (`ansi-fg-N`); a string: a CSS colour from 256-colour/true colour. */
  fg?: number | string;
  bg?: number | string;
  bold?: boolean;
  dim?: boolean;
  italic?: boolean;
  underline?: boolean;
  inverse?: boolean;
}

export interface Segment {
  text: string;
  style: AnsiStyle;
}

// CSI sequences (`ESC [ … final`), OSC sequences (`ESC ] … BEL` or `ESC ] … ESC \`), and
// two-character escapes.
const ESCAPE = /\u001b\[([0-9;:?]*)([ -/]*)([@-~])|\u001b\][\s\S]*?(?:\u0007|\u001b\\)|\u001b[@-Z\\-_]/g;

export function hasAnsi(text: string): boolean {
  return text.includes("\u001b");
}

/** The text without escape codes. */
export function stripAnsi(text: string): string {
  return hasAnsi(text) ? text.replace(ESCAPE, "") : text;
}

/** The colour of the 256-colour palette's entry `n` (16-255), as CSS. */
export function color256(n: number): number | string {
  if (n < 16) return n;
  if (n >= 232) {
    const v = 8 + (n - 232) * 10;
    return `rgb(${v}, ${v}, ${v})`;
  }
  const i = n - 16;
  const step = (c: number) => (c === 0 ? 0 : 55 + c * 40);
  return `rgb(${step(Math.floor(i / 36))}, ${step(Math.floor(i / 6) % 6)}, ${step(i % 6)})`;
}

function apply(style: AnsiStyle, params: string): AnsiStyle {
  const codes = params === "" ? [0] : params.split(/[;:]/).map((p) => (p === "" ? 0 : Number(p)));
  let s = { ...style };
  for (let i = 0; i < codes.length; i++) {
    const c = codes[i];
    if (c === 0) s = {};
    else if (c === 1) s.bold = true;
    else if (c === 2) s.dim = true;
    else if (c === 3) s.italic = true;
    else if (c === 4) s.underline = true;
    else if (c === 7) s.inverse = true;
    else if (c === 22) s.bold = s.dim = false;
    else if (c === 23) s.italic = false;
    else if (c === 24) s.underline = false;
    else if (c === 27) s.inverse = false;
    else if (c >= 30 && c <= 37) s.fg = c - 30;
    else if (c >= 90 && c <= 97) s.fg = c - 90 + 8;
    else if (c === 39) delete s.fg;
    else if (c >= 40 && c <= 47) s.bg = c - 40;
    else if (c >= 100 && c <= 107) s.bg = c - 100 + 8;
    else if (c === 49) delete s.bg;
    else if (c === 38 || c === 48) {
      const key = c === 38 ? "fg" : "bg";
      if (codes[i + 1] === 5 && codes[i + 2] !== undefined) {
        s[key] = color256(codes[i + 2] & 255);
        i += 2;
      } else if (codes[i + 1] === 2 && codes[i + 4] !== undefined) {
        const [r, g, b] = codes.slice(i + 2, i + 5).map((v) => Math.max(0, Math.min(255, v)));
        s[key] = `rgb(${r}, ${g}, ${b})`;
        i += 4;
      }
    }
  }
  return s;
}

/** The text as runs of one style each (escapes removed; empty runs left out). */
export function parseAnsi(text: string): Segment[] {
  if (!hasAnsi(text)) return text ? [{ text, style: {} }] : [];
  const out: Segment[] = [];
  let style: AnsiStyle = {};
  let last = 0;
  for (const m of text.matchAll(ESCAPE)) {
    const at = m.index ?? 0;
    if (at > last) out.push({ text: text.slice(last, at), style });
    if (m[3] === "m" && m[2] === "") style = apply(style, m[1]);
    last = at + m[0].length;
  }
  if (last < text.length) out.push({ text: text.slice(last), style });
  return out;
}

function isPlain(s: AnsiStyle): boolean {
  return s.fg === undefined && s.bg === undefined && !s.bold && !s.dim && !s.italic && !s.underline && !s.inverse;
}

function styleProps(s: AnsiStyle): { className?: string; style?: CSSProperties } {
  const fg = s.inverse ? s.bg : s.fg;
  const bg = s.inverse ? (s.fg ?? "inverse") : s.bg;
  const classes: string[] = [];
  const css: CSSProperties = {};
  if (typeof fg === "number") classes.push(`ansi-fg-${fg}`);
  else if (typeof fg === "string") css.color = fg;
  if (bg === "inverse") classes.push("ansi-inverse");
  else if (typeof bg === "number") classes.push(`ansi-bg-${bg}`);
  else if (typeof bg === "string") css.backgroundColor = bg;
  if (s.bold) classes.push("ansi-bold");
  if (s.dim) classes.push("ansi-dim");
  if (s.italic) classes.push("ansi-italic");
  if (s.underline) classes.push("ansi-underline");
  return { className: classes.length ? classes.join(" ") : undefined, style: Object.keys(css).length ? css : undefined };
}

/** A search match over the text without escapes: [start, end), and whether it is the current one. */
export interface Mark {
  start: number;
  end: number;
  current: boolean;
}

/** Splits `text` (starting at `offset` of the plain text) where marks begin and end. */
function withMarks(text: string, offset: number, marks: Mark[], key: string): ReactNode[] {
  const out: ReactNode[] = [];
  let pos = 0;
  for (const [i, m] of marks.entries()) {
    const a = Math.max(m.start - offset, pos);
    const b = Math.min(m.end - offset, text.length);
    if (b <= a) continue;
    if (a > pos) out.push(text.slice(pos, a));
    out.push(
      <mark key={`${key}m${i}`} className={m.current ? "log-match is-current" : "log-match"} data-current={m.current || undefined}>
        {text.slice(a, b)}
      </mark>,
    );
    pos = b;
  }
  if (pos < text.length) out.push(text.slice(pos));
  return out;
}

/** `text` with its colours as spans, and `marks` highlighted. */
export function ansiNodes(text: string, marks: Mark[] = []): ReactNode[] {
  if (!hasAnsi(text)) return marks.length ? withMarks(text, 0, marks, "p") : [text];
  const out: ReactNode[] = [];
  let offset = 0;
  parseAnsi(text).forEach((seg, i) => {
    const inner = marks.length ? withMarks(seg.text, offset, marks, String(i)) : [seg.text];
    offset += seg.text.length;
    if (isPlain(seg.style)) out.push(...inner);
    else
      out.push(
        <span key={i} {...styleProps(seg.style)}>
          {inner}
        </span>,
      );
  });
  return out;
}
