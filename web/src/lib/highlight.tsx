// A small syntax highlighter: comments, strings, numbers, keywords and a few more for common
// languages, picked by file extension. It tokenises with one regular expression per language
// and returns React nodes (never HTML strings).

import type { ReactNode } from "react";

interface Lang {
  keywords: string[];
  literals?: string[];
  line?: string[];
  block?: [string, string][];
  strings: string[];
  /** `key:` in YAML, `"key":` in JSON. */
  keys?: "yaml" | "json";
  /** Shell `$VAR`, Python/Rust decorators and attributes... */
  extra?: RegExp;
}

const JS_KW =
  "async await break case catch class const continue debugger default delete do else export extends finally for from function if import in instanceof let new of return static super switch this throw try typeof var void while with yield as interface type enum implements declare readonly public private protected abstract namespace keyof satisfies".split(
    " ",
  );

const LANGS: Record<string, Lang> = {
  js: { keywords: JS_KW, literals: ["true", "false", "null", "undefined", "NaN"], line: ["//"], block: [["/*", "*/"]], strings: ['"', "'", "`"] },
  json: { keywords: [], literals: ["true", "false", "null"], strings: ['"'], keys: "json" },
  py: {
    keywords: "and as assert async await break class continue def del elif else except finally for from global if import in is lambda nonlocal not or pass raise return try while with yield match case".split(" "),
    literals: ["True", "False", "None", "self"],
    line: ["#"],
    strings: ['"""', "'''", '"', "'"],
    extra: /@[\w.]+/y,
  },
  rs: {
    keywords: "as async await break const continue crate dyn else enum extern fn for if impl in let loop match mod move mut pub ref return static struct super trait type unsafe use where while Self self".split(" "),
    literals: ["true", "false", "None", "Some", "Ok", "Err"],
    line: ["//"],
    block: [["/*", "*/"]],
    strings: ['"'],
    extra: /#!?\[[^\]]*\]/y,
  },
  go: {
    keywords: "break case chan const continue default defer else fallthrough for func go goto if import interface map package range return select struct switch type var".split(" "),
    literals: ["true", "false", "nil", "iota"],
    line: ["//"],
    block: [["/*", "*/"]],
    strings: ['"', "`", "'"],
  },
  sh: {
    keywords: "if then else elif fi for while until do done case esac in function return local export set unset echo exit source".split(" "),
    literals: ["true", "false"],
    line: ["#"],
    strings: ['"', "'"],
    extra: /\$\{?[\w@#?*!-]+\}?/y,
  },
  yaml: { keywords: [], literals: ["true", "false", "null", "yes", "no", "~"], line: ["#"], strings: ['"', "'"], keys: "yaml" },
  css: { keywords: ["@media", "@import", "@keyframes", "!important"], line: [], block: [["/*", "*/"]], strings: ['"', "'"], extra: /#[0-9a-fA-F]{3,8}\b/y },
  c: {
    keywords: "auto break case char const continue default do double else enum extern float for goto if int long register return short signed sizeof static struct switch typedef union unsigned void volatile while class public private protected virtual template typename namespace using new delete include define".split(" "),
    literals: ["true", "false", "NULL", "nullptr"],
    line: ["//"],
    block: [["/*", "*/"]],
    strings: ['"', "'"],
    extra: /#\s*\w+/y,
  },
  java: {
    keywords: "abstract boolean break byte case catch char class const continue default do double else enum extends final finally float for if implements import instanceof int interface long native new package private protected public return short static super switch synchronized this throw throws try void volatile while var val fun when object".split(" "),
    literals: ["true", "false", "null"],
    line: ["//"],
    block: [["/*", "*/"]],
    strings: ['"', "'"],
    extra: /@\w+/y,
  },
  rb: {
    keywords: "begin break case class def do else elsif end ensure if in module next nil redo rescue retry return self super then unless until when while yield require".split(" "),
    literals: ["true", "false", "nil"],
    line: ["#"],
    strings: ['"', "'"],
  },
  sql: {
    keywords: "select from where and or not insert into values update set delete create table index drop alter join left right inner outer on group by order having limit offset as distinct union all primary key references null is in like between case when then else end".split(" "),
    line: ["--"],
    block: [["/*", "*/"]],
    strings: ["'", '"'],
  },
  toml: { keywords: [], literals: ["true", "false"], line: ["#"], strings: ['"""', '"', "'"], keys: "yaml" },
  html: { keywords: [], block: [["<!--", "-->"]], strings: ['"', "'"], extra: /<\/?[\w-]+|\/?>/y },
};

const EXT: Record<string, string> = {
  js: "js", mjs: "js", cjs: "js", jsx: "js", ts: "js", tsx: "js", mts: "js",
  json: "json", jsonl: "json", json5: "json",
  py: "py", rs: "rs", go: "go",
  sh: "sh", bash: "sh", zsh: "sh", shell: "sh", console: "sh",
  yaml: "yaml", yml: "yaml", toml: "toml", ini: "toml",
  css: "css", scss: "css", less: "css",
  c: "c", h: "c", cc: "c", cpp: "c", hpp: "c", cs: "c",
  java: "java", kt: "java", kts: "java", scala: "java", swift: "java",
  rb: "rb", sql: "sql", html: "html", htm: "html", xml: "html", svg: "html", vue: "html",
  javascript: "js", typescript: "js", python: "py", rust: "rs", golang: "go", yamlfile: "yaml",
};

/** The language for a file name or a fence's info string, if known. */
export function languageFor(nameOrLang: string): string | null {
  const s = nameOrLang.toLowerCase().trim();
  const ext = s.includes(".") ? s.slice(s.lastIndexOf(".") + 1) : s;
  if (s === "dockerfile" || s === "makefile") return "sh";
  return EXT[ext] ?? null;
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

const compiled = new Map<string, RegExp>();

function regexFor(name: string, lang: Lang): RegExp {
  const hit = compiled.get(name);
  if (hit) return hit;
  const parts: string[] = [];
  for (const [open, close] of lang.block ?? []) parts.push(`(?<comment>${escape(open)}[\\s\\S]*?(?:${escape(close)}|$))`);
  if (lang.line?.length) parts.push(`(?<lcomment>(?:${lang.line.map(escape).join("|")})[^\\n]*)`);
  const strs = lang.strings.map((q) =>
    q.length === 3 ? `${escape(q)}[\\s\\S]*?(?:${escape(q)}|$)` : `${escape(q)}(?:\\\\[\\s\\S]|(?!${escape(q)})[^\\\\${q === "`" ? "" : "\\n"}])*(?:${escape(q)}|$)`,
  );
  if (lang.keys === "json") parts.push(`(?<key>"(?:\\\\.|[^"\\\\])*"(?=\\s*:))`);
  if (lang.keys === "yaml") parts.push(`(?<key>^[ \\t-]*[\\w.\\-"' ]+?(?=:(?:\\s|$)))`);
  if (strs.length) parts.push(`(?<string>${strs.join("|")})`);
  if (lang.extra) parts.push(`(?<extra>${lang.extra.source})`);
  parts.push(`(?<number>\\b(?:0x[\\da-fA-F]+|\\d+(?:\\.\\d+)?(?:e[+-]?\\d+)?)\\b)`);
  const words = [...lang.keywords.filter((k) => /^\w+$/.test(k))];
  if (words.length) parts.push(`(?<keyword>\\b(?:${words.join("|")})\\b)`);
  if (lang.literals?.length) parts.push(`(?<literal>(?:^|\\b)(?:${lang.literals.map(escape).join("|")})(?:\\b|$))`);
  const re = new RegExp(parts.join("|"), `gm${name === "sql" ? "i" : ""}`);
  compiled.set(name, re);
  return re;
}

const CLASS: Record<string, string> = {
  comment: "tok-comment",
  lcomment: "tok-comment",
  string: "tok-string",
  number: "tok-number",
  keyword: "tok-keyword",
  literal: "tok-literal",
  key: "tok-key",
  extra: "tok-meta",
};

/** `code` as highlighted React nodes; plain text when the language is unknown. */
export function highlight(code: string, language: string | null): ReactNode[] {
  const name = language ? (LANGS[language] ? language : languageFor(language)) : null;
  const lang = name ? LANGS[name] : undefined;
  if (!name || !lang || code.length > 400_000) return [code];
  const re = regexFor(name, lang);
  re.lastIndex = 0;
  const out: ReactNode[] = [];
  let last = 0;
  let m: RegExpExecArray | null;
  let n = 0;
  while ((m = re.exec(code))) {
    if (m[0].length === 0) {
      re.lastIndex++;
      continue;
    }
    const group = Object.entries(m.groups ?? {}).find(([, v]) => v !== undefined)?.[0];
    if (!group) continue;
    if (m.index > last) out.push(code.slice(last, m.index));
    out.push(
      <span key={n++} className={CLASS[group]}>
        {m[0]}
      </span>,
    );
    last = m.index + m[0].length;
  }
  if (last < code.length) out.push(code.slice(last));
  return out;
}
