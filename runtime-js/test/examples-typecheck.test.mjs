// The workflows users copy must type-check as they are told to set a project up: every
// workflows/*.ts, every ```ts block of the README (a fragment is wrapped in a workflow whose
// `execute(ctx)` it becomes) and the import forms the engine resolves, all compiled by `tsc`
// with tsconfig.example.json, its paths pointed at this folder.

import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const runtimeDir = join(dirname(fileURLToPath(import.meta.url)), "..");
const repoDir = join(runtimeDir, "..");
const tsc = join(runtimeDir, "node_modules", "typescript", "bin", "tsc");

/** tsconfig.example.json as a project would copy it, its paths pointed at runtime-js. */
function exampleTsconfig(files) {
  const config = JSON.parse(readFileSync(join(runtimeDir, "tsconfig.example.json"), "utf8"));
  for (const [name, targets] of Object.entries(config.compilerOptions.paths)) {
    config.compilerOptions.paths[name] = targets.map((t) => t.replace("./path/to/runtime-js", runtimeDir));
  }
  delete config.include;
  return { ...config, files };
}

/** Compiles `files` (name → text) plus `extra` absolute paths; returns tsc's complaints. */
function typecheck(files, extra = []) {
  const dir = mkdtempSync(join(tmpdir(), "wf-typecheck-"));
  try {
    for (const [name, text] of Object.entries(files)) {
      mkdirSync(dirname(join(dir, name)), { recursive: true });
      writeFileSync(join(dir, name), text);
    }
    const tsconfig = exampleTsconfig([...Object.keys(files).filter((f) => f.endsWith(".ts")), ...extra]);
    writeFileSync(join(dir, "tsconfig.json"), JSON.stringify(tsconfig, null, 2));
    try {
      execFileSync(process.execPath, [tsc, "-p", dir], { encoding: "utf8" });
      return "";
    } catch (error) {
      return `${error.stdout}${error.stderr}`.trim() || String(error);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A README block as a module: whole workflows as they are; fragments inside `execute(ctx)`. */
export function readmeModule(block) {
  if (/export default/.test(block)) return block;
  const phases = [...new Set([...block.matchAll(/phase:\s*"([^"]+)"/g)].map((m) => m[1]))];
  return [
    'import { defineWorkflow } from "@repo/workflow-engine";',
    'import { z } from "zod";',
    `export default defineWorkflow({ name: "snippet", phases: ${JSON.stringify(phases.length ? phases : ["p"])},`,
    "  async execute(ctx) {",
    block,
    "  },",
    "});",
  ].join("\n");
}

test("the README's TypeScript blocks type-check with the example tsconfig", () => {
  const readme = readFileSync(join(repoDir, "README.md"), "utf8");
  const blocks = [...readme.matchAll(/^```ts\n([\s\S]*?)^```$/gm)].map((m) => m[1]);
  assert.ok(blocks.length >= 2, `expected the README's ts blocks, found ${blocks.length}`);
  const files = Object.fromEntries(blocks.map((b, i) => [`readme-${i + 1}.ts`, readmeModule(b)]));
  assert.equal(typecheck(files), "");
});

test("every workflows/*.ts example type-checks with the example tsconfig", () => {
  const dir = join(repoDir, "workflows");
  const examples = readdirSync(dir).filter((f) => f.endsWith(".ts")).map((f) => join(dir, f));
  assert.ok(examples.length > 0, "no examples found in workflows/");
  assert.equal(typecheck({}, examples), "");
});

test("the relative import forms the engine loads type-check with the example tsconfig", () => {
  const files = {
    "lib/phases.ts": 'export const phases = ["a", "b"] as const;\n',
    "lib/index.ts": 'export const name = "imports";\n',
    "greet.ts": "export const greet = (n: string): string => `hi ${n}`;\n",
    "wf.ts": [
      'import { defineWorkflow } from "@repo/workflow-engine";',
      'import { phases } from "./lib/phases";',
      'import { name } from "./lib";',
      'import { greet } from "./greet.js";',
      'import { greet as again } from "./greet.ts";',
      "export default defineWorkflow({ name: greet(name) + again(name), phases, async execute() {} });",
    ].join("\n"),
  };
  assert.equal(typecheck(files), "");
});

test("a type error in a checked file is reported, so the checks above can fail", () => {
  const complaint = typecheck({ "bad.ts": readmeModule('const n: number = "x";') });
  assert.match(complaint, /bad\.ts.*Type 'string' is not assignable to type 'number'/);
});
