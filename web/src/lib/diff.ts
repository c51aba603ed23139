// Reading a unified diff as git writes it (`git diff`): its files (renames, new, deleted,
// binary), their hunks and each line's old and new line numbers, `\ No newline at end of file`;
// a diff cut short by the server's size cap parses as far as it goes. Also the file list's
// +/- colour bar and how much of a large diff is drawn at first.

export type FileStatus = "added" | "modified" | "deleted" | "renamed";

/** A file as the API lists it (`files[]` of a diff, `snapshot.files_changed[]`). */
export interface ChangedFile {
  path: string;
  old_path?: string | null;
  status: FileStatus;
  additions: number;
  deletions: number;
  binary: boolean;
}

export type LineKind = "add" | "del" | "ctx" | "note";

export interface DiffLine {
  kind: LineKind;
  text: string;
  /** The line's number in the old file (null for an added line or a note). */
  old: number | null;
  /** The line's number in the new file (null for a deleted line or a note). */
  new: number | null;
}

export interface DiffHunk {
  header: string;
  oldStart: number;
  oldLines: number;
  newStart: number;
  newLines: number;
  /** The function or section git names after the `@@ ... @@`. */
  section: string;
  lines: DiffLine[];
}

export interface DiffFile {
  path: string;
  /** The path before a rename (or the path itself). */
  oldPath: string;
  status: FileStatus;
  binary: boolean;
  additions: number;
  deletions: number;
  hunks: DiffHunk[];
  /** The diff ended inside this file (the server's cap). */
  cut: boolean;
}

/** `"a/x y"` → `a/x y`, with git's C escapes (`\"`, `\\`, `\t`, `\n`, octal bytes). */
export function unquotePath(p: string): string {
  if (!p.startsWith('"') || !p.endsWith('"') || p.length < 2) return p;
  const body = p.slice(1, -1);
  const bytes: number[] = [];
  const enc = new TextEncoder();
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (c !== "\\") {
      bytes.push(...enc.encode(c));
      continue;
    }
    const n = body[++i];
    if (n === undefined) break;
    if (/[0-7]/.test(n)) {
      const oct = body.slice(i, i + 3);
      bytes.push(parseInt(oct, 8));
      i += 2;
    } else bytes.push(...enc.encode(({ n: "\n", t: "\t", r: "\r", a: "\x07", b: "\b", f: "\f", v: "\v" } as Record<string, string>)[n] ?? n));
  }
  return new TextDecoder().decode(new Uint8Array(bytes));
}

/** The path of `--- a/x` / `+++ b/x` (null for /dev/null). */
function headerPath(rest: string): string | null {
  let p = rest.replace(/\t.*$/, "");
  if (p === "/dev/null") return null;
  p = unquotePath(p);
  return p.startsWith("a/") || p.startsWith("b/") ? p.slice(2) : p;
}

/** The two paths of `diff --git a/x b/x` (best effort when unquoted paths hold spaces). */
function gitLinePaths(rest: string): [string, string] {
  const q = rest.match(/^("(?:\\.|[^"\\])*"|\S+) ("(?:\\.|[^"\\])*"|\S+)$/);
  if (q) return [headerPath(q[1]) ?? "", headerPath(q[2]) ?? ""];
  // `a/x y b/x y`: the same path twice.
  const half = (rest.length - 1) / 2;
  if (Number.isInteger(half) && rest[half] === " ") return [headerPath(rest.slice(0, half)) ?? "", headerPath(rest.slice(half + 1)) ?? ""];
  const i = rest.indexOf(" b/");
  return i > 0 ? [headerPath(rest.slice(0, i)) ?? "", headerPath(rest.slice(i + 1)) ?? ""] : [rest, rest];
}

const HUNK = /^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@ ?(.*)$/;

function newFile(oldPath: string, path: string): DiffFile {
  return { path, oldPath, status: "modified", binary: false, additions: 0, deletions: 0, hunks: [], cut: false };
}

/** Every file of a unified diff, in order. Lines that fit nowhere are ignored. */
export function parseUnifiedDiff(text: string): DiffFile[] {
  const files: DiffFile[] = [];
  let file: DiffFile | null = null;
  let hunk: DiffHunk | null = null;
  let oldLeft = 0;
  let newLeft = 0;
  let oldNo = 0;
  let newNo = 0;
  const lines = text.split("\n");
  // A final "\n" leaves an empty last element that is not a line.
  if (lines.length && lines[lines.length - 1] === "") lines.pop();

  for (const raw of lines) {
    const line = raw.endsWith("\r") ? raw.slice(0, -1) : raw;
    if (hunk && file && (oldLeft > 0 || newLeft > 0)) {
      const c = line[0];
      if (c === "+" && newLeft > 0) {
        hunk.lines.push({ kind: "add", text: line.slice(1), old: null, new: newNo++ });
        newLeft--;
        file.additions++;
        continue;
      }
      if (c === "-" && oldLeft > 0) {
        hunk.lines.push({ kind: "del", text: line.slice(1), old: oldNo++, new: null });
        oldLeft--;
        file.deletions++;
        continue;
      }
      if ((c === " " || line === "") && oldLeft > 0 && newLeft > 0) {
        hunk.lines.push({ kind: "ctx", text: line.slice(1), old: oldNo++, new: newNo++ });
        oldLeft--;
        newLeft--;
        continue;
      }
      if (c === "\\") {
        hunk.lines.push({ kind: "note", text: line.slice(1).trim(), old: null, new: null });
        continue;
      }
      // Anything else ends the hunk early (a cut or malformed diff).
      oldLeft = newLeft = 0;
    }
    if (line.startsWith("\\") && hunk) {
      hunk.lines.push({ kind: "note", text: line.slice(1).trim(), old: null, new: null });
      continue;
    }
    if (line.startsWith("diff --git ")) {
      const [a, b] = gitLinePaths(line.slice(11));
      file = newFile(a, b);
      files.push(file);
      hunk = null;
      continue;
    }
    const h = HUNK.exec(line);
    if (h) {
      if (!file) {
        file = newFile("", "");
        files.push(file);
      }
      oldNo = Number(h[1]);
      newNo = Number(h[3]);
      oldLeft = h[2] === undefined ? 1 : Number(h[2]);
      newLeft = h[4] === undefined ? 1 : Number(h[4]);
      hunk = { header: line, oldStart: oldNo, oldLines: oldLeft, newStart: newNo, newLines: newLeft, section: h[5] ?? "", lines: [] };
      file.hunks.push(hunk);
      continue;
    }
    if (line.startsWith("--- ")) {
      // Without a `diff --git` line (a plain unified diff), `---` starts the next file.
      if (!file || file.hunks.length > 0) {
        file = newFile("", "");
        files.push(file);
        hunk = null;
      }
      const p = headerPath(line.slice(4));
      if (p === null) file.status = "added";
      else file.oldPath = p;
      if (!file.path) file.path = p ?? "";
      continue;
    }
    if (line.startsWith("+++ ") && file && file.hunks.length === 0) {
      const p = headerPath(line.slice(4));
      if (p === null) file.status = "deleted";
      else file.path = p;
      if (!file.oldPath) file.oldPath = file.path;
      continue;
    }
    if (!file) continue;
    if (line.startsWith("new file mode")) file.status = "added";
    else if (line.startsWith("deleted file mode")) file.status = "deleted";
    else if (line.startsWith("rename from ")) {
      file.oldPath = unquotePath(line.slice(12));
      file.status = "renamed";
    } else if (line.startsWith("rename to ")) {
      file.path = unquotePath(line.slice(10));
      file.status = "renamed";
    } else if (line.startsWith("copy to ")) file.path = unquotePath(line.slice(8));
    else if (line.startsWith("Binary files ") || line === "GIT binary patch") file.binary = true;
  }
  if (file && (oldLeft > 0 || newLeft > 0)) file.cut = true;
  for (const f of files) if (f.status === "renamed" && f.oldPath === f.path) f.status = "modified";
  return files;
}

/**
 * The parsed files, each with the API's counts and status where it has the file. When the
 * server cut the diff (`truncated`), the last parsed file is marked cut; so is any text file
 * the API counts changes in but whose lines the diff does not hold.
 */
export function mergeFiles(parsed: DiffFile[], listed: ChangedFile[], truncated = false): DiffFile[] {
  if (truncated && parsed.length > 0) parsed = [...parsed.slice(0, -1), { ...parsed[parsed.length - 1], cut: true }];
  const byPath = new Map(parsed.map((f) => [f.path, f]));
  const out: DiffFile[] = [];
  for (const l of listed) {
    const p = byPath.get(l.path);
    byPath.delete(l.path);
    if (p) {
      const binary = l.binary || p.binary;
      const missing = !binary && p.hunks.length === 0 && l.additions + l.deletions > 0;
      out.push({ ...p, oldPath: l.old_path ?? p.oldPath, status: l.status, binary, additions: l.additions, deletions: l.deletions, cut: p.cut || missing });
    }
    // A file the API lists past the diff's cap.
    else out.push({ path: l.path, oldPath: l.old_path ?? l.path, status: l.status, binary: l.binary, additions: l.additions, deletions: l.deletions, hunks: [], cut: true });
  }
  for (const p of byPath.values()) out.push(p);
  return out;
}

/** The GitHub-like bar of five blocks: how many are green (added) and red (deleted). */
export function changeBar(additions: number, deletions: number, blocks = 5): { add: number; del: number; none: number } {
  const total = additions + deletions;
  if (total === 0) return { add: 0, del: 0, none: blocks };
  const filled = Math.min(blocks, total);
  let add = Math.round((additions / total) * filled);
  if (additions > 0 && add === 0) add = 1;
  if (deletions > 0 && add === filled) add = filled - 1;
  return { add, del: filled - add, none: blocks - filled };
}

/** The totals of a list of files. */
export function totals(files: { additions: number; deletions: number }[]): { files: number; additions: number; deletions: number } {
  const t = { files: 0, additions: 0, deletions: 0 };
  for (const f of files) {
    t.files++;
    t.additions += f.additions;
    t.deletions += f.deletions;
  }
  return t;
}

/** "3 files, +12 −4" (U+2212 for minus). */
export function totalsText(t: { files: number; additions: number; deletions: number }): string {
  return `${t.files} ${t.files === 1 ? "file" : "files"}, +${t.additions.toLocaleString("en-US")} −${t.deletions.toLocaleString("en-US")}`;
}

/** A line longer than this is drawn as plain text (no colours). */
export const PLAIN_OVER = 2_048;
/** A line longer than this is cut ("Show the whole line"). */
export const CUT_OVER = 10_240;

/** The rows a line weighs: one, and one more per 2 KB of a long line. */
export const lineWeight = (text: string): number => 1 + Math.floor(text.length / PLAIN_OVER);

/** How many rows a file's diff draws (hunk headers count as one row each; long lines by length). */
export function rowCount(f: DiffFile): number {
  return f.hunks.reduce((n, h) => n + 1 + h.lines.reduce((m, l) => m + lineWeight(l.text), 0), 0);
}

/**
 * Which files start open: in order, while the rows drawn stay within `budget`; a file larger
 * than `perFile` rows starts closed (it opens on a click, drawn `perFile` rows at a time).
 */
export function initiallyOpen(files: DiffFile[], budget = 3000, perFile = 1500): boolean[] {
  let used = 0;
  return files.map((f) => {
    const n = rowCount(f);
    if (f.binary || n === 0 || n > perFile || used + n > budget) return false;
    used += n;
    return true;
  });
}

/** The size of a text in UTF-8 bytes (what the server's cap counts), not its UTF-16 length. */
export const utf8Bytes = (text: string): number => new TextEncoder().encode(text).length;
