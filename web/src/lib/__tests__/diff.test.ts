// The unified-diff reader: files, renames, new/deleted/binary, hunks with old/new line numbers,
// "\\ No newline", a diff cut by the server's cap, quoted paths; the colour bar and the budget.

import assert from "node:assert/strict";
import { test } from "node:test";
import { changeBar, PLAIN_OVER, utf8Bytes, initiallyOpen, mergeFiles, parseUnifiedDiff, rowCount, totals, totalsText, unquotePath } from "../diff.js";

// `git diff --cached -M` of a real repository (see the commit that added this test).
const SAMPLE = "diff --git a/added.sql b/added.sql\nnew file mode 100644\nindex 0000000..8d160e1\n--- /dev/null\n+++ b/added.sql\n@@ -0,0 +1 @@\n+-- comment\ndiff --git a/gone.txt b/gone.txt\ndeleted file mode 100644\nindex 3367afd..0000000\n--- a/gone.txt\n+++ /dev/null\n@@ -1 +0,0 @@\n-old\ndiff --git a/img.png b/img.png\nindex f584f40..6bf43ff 100644\nBinary files a/img.png and b/img.png differ\ndiff --git a/keep.ts b/keep.ts\nindex de98044..a7bc997 100644\n--- a/keep.ts\n+++ b/keep.ts\n@@ -1,3 +1,4 @@\n a\n-b\n+B\n c\n+d\ndiff --git a/move.py b/moved file.py\nsimilarity index 80%\nrename from move.py\nrename to moved file.py\nindex a470291..442f4e2 100644\n--- a/move.py\n+++ b/moved file.py\t\n@@ -2,3 +2,4 @@ x\n y\n z\n w\n+v\ndiff --git a/nn.txt b/nn.txt\nindex 20cbb4d..6fe2aa3 100644\n--- a/nn.txt\n+++ b/nn.txt\n@@ -1 +1 @@\n-no newline\n\\ No newline at end of file\n+no newline!\n\\ No newline at end of file\n";

test("a git diff: one entry per file with its status, paths and counts", () => {
  const files = parseUnifiedDiff(SAMPLE);
  assert.deepEqual(
    files.map((f) => [f.path, f.oldPath, f.status, f.binary, f.additions, f.deletions]),
    [
      ["added.sql", "added.sql", "added", false, 1, 0],
      ["gone.txt", "gone.txt", "deleted", false, 0, 1],
      ["img.png", "img.png", "modified", true, 0, 0],
      ["keep.ts", "keep.ts", "modified", false, 2, 1],
      ["moved file.py", "move.py", "renamed", false, 1, 0],
      ["nn.txt", "nn.txt", "modified", false, 1, 1],
    ],
  );
  assert.ok(files.every((f) => !f.cut));
});

test("an added line that looks like a header ('-- comment' → '+-- comment') stays a line", () => {
  const [sql] = parseUnifiedDiff(SAMPLE);
  assert.deepEqual(sql.hunks[0].lines, [{ kind: "add", text: "-- comment", old: null, new: 1 }]);
  const del = parseUnifiedDiff("--- a/x\n+++ b/x\n@@ -1,2 +1 @@\n--- not a header\n keep\n");
  assert.equal(del.length, 1);
  assert.deepEqual(del[0].hunks[0].lines.map((l) => [l.kind, l.text, l.old, l.new]), [["del", "-- not a header", 1, null], ["ctx", "keep", 2, 1]]);
});

test("hunk lines carry their old and new line numbers; the section after @@ is kept", () => {
  const files = parseUnifiedDiff(SAMPLE);
  const ts = files.find((f) => f.path === "keep.ts")!;
  assert.deepEqual(
    ts.hunks[0].lines.map((l) => [l.kind, l.text, l.old, l.new]),
    [["ctx", "a", 1, 1], ["del", "b", 2, null], ["add", "B", null, 2], ["ctx", "c", 3, 3], ["add", "d", null, 4]],
  );
  const py = files.find((f) => f.path === "moved file.py")!;
  assert.equal(py.hunks[0].section, "x");
  assert.equal(py.hunks[0].oldStart, 2);
  assert.deepEqual(py.hunks[0].lines.at(-1), { kind: "add", text: "v", old: null, new: 5 });
});

test("'\\ No newline at end of file' is a note, not a line of the file", () => {
  const nn = parseUnifiedDiff(SAMPLE).find((f) => f.path === "nn.txt")!;
  assert.deepEqual(nn.hunks[0].lines.map((l) => l.kind), ["del", "note", "add", "note"]);
  assert.equal(nn.hunks[0].lines[1].text, "No newline at end of file");
  assert.equal(nn.additions, 1);
});

test("a diff cut inside a hunk parses what it has and marks the file cut", () => {
  const cut = SAMPLE.slice(0, SAMPLE.indexOf(" c\n+d"));
  const files = parseUnifiedDiff(cut);
  const ts = files.at(-1)!;
  assert.equal(ts.path, "keep.ts");
  assert.equal(ts.cut, true);
  assert.equal(ts.hunks[0].lines.length, 3);
  assert.equal(parseUnifiedDiff("").length, 0);
  assert.equal(parseUnifiedDiff("garbage\nmore").length, 0);
});

test("quoted paths are unquoted with git's escapes (UTF-8 octal bytes too)", () => {
  assert.equal(unquotePath('"a/sp ace\\"q\\".txt"'), 'a/sp ace"q".txt');
  assert.equal(unquotePath('"caf\\303\\251.md"'), "café.md");
  assert.equal(unquotePath("plain"), "plain");
  const files = parseUnifiedDiff('diff --git "a/caf\\303\\251.md" "b/caf\\303\\251.md"\nnew file mode 100644\n--- /dev/null\n+++ "b/caf\\303\\251.md"\n@@ -0,0 +1 @@\n+hi\n');
  assert.equal(files[0].path, "café.md");
  assert.equal(files[0].status, "added");
});

test("CRLF diffs and a hunk without counts (@@ -1 +1 @@) parse", () => {
  const f = parseUnifiedDiff("diff --git a/w b/w\r\n--- a/w\r\n+++ b/w\r\n@@ -1 +1 @@\r\n-a\r\n+b\r\n");
  assert.deepEqual(f[0].hunks[0].lines.map((l) => [l.kind, l.text]), [["del", "a"], ["add", "b"]]);
});

test("the API's list wins for counts and status; a listed file past the cap is kept, marked cut", () => {
  const parsed = parseUnifiedDiff(SAMPLE).slice(0, 2);
  const merged = mergeFiles(parsed, [
    { path: "added.sql", status: "added", additions: 1, deletions: 0, binary: false },
    { path: "gone.txt", status: "deleted", additions: 0, deletions: 1, binary: false },
    { path: "later.rs", status: "modified", additions: 7, deletions: 2, binary: false },
  ]);
  assert.deepEqual(merged.map((f) => [f.path, f.cut, f.hunks.length]), [["added.sql", false, 1], ["gone.txt", false, 1], ["later.rs", true, 0]]);
  assert.deepEqual(totals(merged), { files: 3, additions: 8, deletions: 3 });
  assert.equal(totalsText(totals(merged)), "3 files, +8 −3");
  assert.equal(totalsText({ files: 1, additions: 1200, deletions: 0 }), "1 file, +1,200 −0");
});

test("the colour bar: five blocks shared by additions and deletions, small changes fill fewer", () => {
  assert.deepEqual(changeBar(0, 0), { add: 0, del: 0, none: 5 });
  assert.deepEqual(changeBar(10, 0), { add: 5, del: 0, none: 0 });
  assert.deepEqual(changeBar(1, 1), { add: 1, del: 1, none: 3 });
  assert.deepEqual(changeBar(100, 1), { add: 4, del: 1, none: 0 });
  assert.deepEqual(changeBar(1, 100), { add: 1, del: 4, none: 0 });
});

test("a 1 MiB diff parses fast and opens only a budget of rows", () => {
  const body = Array.from({ length: 200 }, (_, i) => `+const line${i} = "${"x".repeat(20)}";`).join("\n");
  const one = (n: number) => `diff --git a/f${n}.ts b/f${n}.ts\nnew file mode 100644\n--- /dev/null\n+++ b/f${n}.ts\n@@ -0,0 +1,200 @@\n${body}\n`;
  let big = "";
  for (let n = 0; big.length < 1 << 20; n++) big += one(n);
  const t0 = performance.now();
  const files = parseUnifiedDiff(big);
  const ms = performance.now() - t0;
  assert.ok(files.length > 100, `${files.length} files`);
  assert.ok(ms < 1500, `parsed in ${ms} ms`);
  assert.equal(rowCount(files[0]), 201);
  const open = initiallyOpen(files);
  const drawn = files.reduce((n, f, i) => n + (open[i] ? rowCount(f) : 0), 0);
  assert.ok(drawn <= 3000 && drawn > 0, `${drawn} rows drawn`);
  assert.equal(open.at(-1), false);
  // A single huge file starts closed, a binary one too.
  assert.deepEqual(initiallyOpen([{ ...files[0], hunks: [{ ...files[0].hunks[0], lines: Array(5000).fill(files[0].hunks[0].lines[0]) }] }, { ...files[1], binary: true }]), [false, false]);
});

test("a cut diff marks its last parsed file cut; a listed text file with counts but no lines is cut", () => {
  const text = "diff --git a/a.txt b/a.txt\n--- a/a.txt\n+++ b/a.txt\n@@ -1 +1 @@\n-x\n+y\n";
  const listed = [
    { path: "a.txt", status: "modified" as const, additions: 1, deletions: 1, binary: false },
  ];
  // The cap fell exactly at the end of a hunk: nothing in the text says it was cut.
  assert.equal(mergeFiles(parseUnifiedDiff(text), listed, true)[0].cut, true);
  assert.equal(mergeFiles(parseUnifiedDiff(text), listed, false)[0].cut, false);
  // Cut after a file's header: the file has no hunks, yet the API counts 40 lines.
  const head = "diff --git a/b.txt b/b.txt\nindex 1..2 100644\n";
  const b = mergeFiles(parseUnifiedDiff(head), [{ path: "b.txt", status: "modified", additions: 30, deletions: 10, binary: false }]);
  assert.equal(b[0].cut, true);
  const mode = mergeFiles(parseUnifiedDiff("diff --git a/c b/c\nold mode 100644\nnew mode 100755\n"), [{ path: "c", status: "modified", additions: 0, deletions: 0, binary: false }]);
  assert.equal(mode[0].cut, false, "a mode change has nothing to show");
  const bin = mergeFiles(parseUnifiedDiff("diff --git a/d b/d\nBinary files a/d and b/d differ\n"), [{ path: "d", status: "modified", additions: 0, deletions: 0, binary: true }]);
  assert.equal(bin[0].cut, false);
});

test("long lines weigh by their length in the row budget; sizes are UTF-8 bytes", () => {
  const long = "x".repeat(PLAIN_OVER * 5);
  const text = `diff --git a/m.min.js b/m.min.js\n--- a/m.min.js\n+++ b/m.min.js\n@@ -0,0 +1,2 @@\n+${long}\n+short\n`;
  const [f] = parseUnifiedDiff(text);
  assert.equal(rowCount(f), 1 + 6 + 1);
  assert.equal(utf8Bytes("héllo"), 6);
  assert.equal(utf8Bytes("日本"), 6);
  assert.equal(utf8Bytes("🙂"), 4);
});
