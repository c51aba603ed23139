// harness.js against a fake __wfHost: describe, memoized and live steps, failures, ctx helpers.

import { test } from "node:test";
import assert from "node:assert/strict";
import "../harness.js";
import { defineWorkflow, StepFailedError } from "../workflow-engine.js";
import { z } from "../zod.js";
import { installHost, init } from "../test-support/fake-host.mjs";

const workflow = (execute, extra = {}) =>
  defineWorkflow({ name: "Test", phases: ["build", "test"], execute, ...extra });

/** Runs `execute` once against a fresh fake host; returns the host for inspection. */
async function run(execute, { host = {}, init: initExtra = {}, extra } = {}) {
  const h = installHost(host);
  await globalThis.__wfRun(workflow(execute, extra), init(initExtra));
  return h;
}

test("__wfDescribe returns plain JSON with argsSchema as JSON Schema", () => {
  const wf = defineWorkflow({
    name: "Implement Feature",
    description: "Research, plan, implement",
    argsSchema: z.object({ featureName: z.string(), requirements: z.string().optional() }),
    phases: ["research", "plan"],
    timeout: "10m",
    async execute() {},
  });
  const described = globalThis.__wfDescribe(wf);
  assert.deepEqual(described, {
    name: "Implement Feature",
    description: "Research, plan, implement",
    phases: ["research", "plan"],
    argsSchema: {
      type: "object",
      properties: { featureName: { type: "string" }, requirements: { type: "string" } },
      required: ["featureName"],
      additionalProperties: false,
    },
    timeout: "10m",
  });
  assert.deepEqual(JSON.parse(JSON.stringify(described)), described);
});

test("__wfDescribe fills absent fields with null and keeps a JSON Schema as is", () => {
  const plain = { type: "object", properties: { env: { type: "string", enum: ["dev", "prod"] } } };
  const described = globalThis.__wfDescribe(workflow(() => {}, { argsSchema: plain, timeout: 90 }));
  assert.equal(described.description, null);
  assert.equal(described.timeout, 90);
  assert.deepEqual(described.argsSchema, plain);
  const budget = { usd: 5, tokens: 200000, duration: "30m" };
  assert.deepEqual(globalThis.__wfDescribe(workflow(() => {}, { budget })).budget, budget);
  assert.throws(() => globalThis.__wfDescribe(workflow(() => {}, { budget: 5 })), /`budget` must be an object/);
  assert.notEqual(described.argsSchema, plain);
  assert.equal(globalThis.__wfDescribe(workflow(() => {})).argsSchema, null);
});

test("__wfDescribe accepts an un-wrapped object but checks it the same way", () => {
  const described = globalThis.__wfDescribe({ name: "Plain", phases: ["a"], execute() {} });
  assert.equal(described.name, "Plain");
  assert.throws(() => globalThis.__wfDescribe({ name: "Plain", phases: [], execute() {} }), {
    name: "TypeError",
    message: /`phases`/,
  });
  assert.throws(() => globalThis.__wfDescribe({ name: "Plain", phases: ["a"] }), /`execute`/);
});

test("__wfDescribe rejects what is not a workflow at all", () => {
  for (const value of [undefined, null, 42, "x", {}, { default: 1 }]) {
    assert.throws(() => globalThis.__wfDescribe(value), {
      message: "the module's default export is not a workflow: write `export default defineWorkflow({ ... })`",
    });
  }
});

test("memoized steps return the stored result without running anything", async () => {
  const stored = { stepId: "compute", status: "completed", data: { n: 41 } };
  let fnCalls = 0;
  let seen;
  const host = await run(
    async (ctx) => {
      seen = await ctx.step("compute", { type: "function", phase: "build", fn: () => fnCalls++ });
    },
    { host: { memo: { compute: stored } }, init: { results: { compute: stored } } },
  );
  assert.equal(fnCalls, 0);
  assert.deepEqual(seen, stored);
  assert.deepEqual(host.calls, [["stepStart", "compute", { type: "function", phase: "build" }]]);
});

test("a new function step is begun without waiting and finished with one answer", async () => {
  const order = [];
  const host = installHost();
  // A begin that never answers: a worker waiting for it would never run fn.
  const record = host.stepBegin;
  host.stepBegin = (id, config) => {
    record(id, config);
    return new Promise(() => {});
  };
  const execute = async (ctx) => {
    await ctx.step("compute", {
      type: "function",
      fn: () => {
        order.push(host.calls.length);
        return 7;
      },
    });
  };
  await globalThis.__wfRun(workflow(execute), init());
  // fn ran after the begin was sent, without an answer to it.
  assert.deepEqual(order, [1]);
  assert.deepEqual(host.calls, [
    ["stepBegin", "compute", { type: "function" }],
    ["stepFinish", "compute", { ok: true, data: 7 }],
  ]);
});

test("a field the engine would refuse stops a function step before fn runs", async () => {
  let ran = false;
  const host = installHost();
  await assert.rejects(
    globalThis.__wfRun(workflow(async (ctx) => ctx.step("x", { type: "function", retries: 3, fn: () => (ran = true) })), init()),
    { name: "TypeError", message: /^step "x": `retries` is not a step field \(expected one of: type, name, / },
  );
  assert.equal(ran, false);
  assert.deepEqual(host.calls, []);
});

test("once the host is pausing, a function step asks before it runs", async () => {
  const host = await run(
    async (ctx) => {
      await ctx.step("compute", { type: "function", fn: () => 1 });
    },
    { host: { pausing: true } },
  );
  assert.deepEqual(host.calls.map((c) => c[0]), ["stepStart", "stepFinish"]);
});

test("a step id the engine would refuse is refused before anything runs", async () => {
  for (const [id, message] of [
    ["a/b", "step id 'a/b' contains '/': use letters, digits, '-', '_', '.' and ':' only"],
    ["..", "step id '..' is not allowed"],
    ["x".repeat(201), `step id '${"x".repeat(201)}' is longer than 200 characters`],
  ]) {
    let ran = false;
    const h = installHost();
    await assert.rejects(
      globalThis.__wfRun(workflow(async (ctx) => ctx.step(id, { type: "function", fn: () => (ran = true) })), init()),
      { name: "TypeError", message: `ctx.step: ${message}` },
    );
    assert.equal(ran, false);
    assert.deepEqual(h.calls, []);
  }
});

test("script and agent steps send their JSON config and return the host's result", async () => {
  let results;
  const host = await run(async (ctx) => {
    results = [
      await ctx.step("tests", { type: "script", phase: "test", command: "pnpm test", cwd: ctx.projectPath, timeout: "5m", env: { CI: "1" } }),
      await ctx.step("ask", { type: "agent", agent: "claude", prompt: "hi", permission: "plan", model: "opus", maxTurns: 3, name: "Ask", cwd: undefined }),
    ];
  });
  assert.deepEqual(host.calls, [
    ["stepStart", "tests", { type: "script", phase: "test", command: "pnpm test", cwd: "/p", timeout: "5m", env: { CI: "1" } }],
    ["stepStart", "ask", { type: "agent", agent: "claude", prompt: "hi", permission: "plan", model: "opus", maxTurns: 3, name: "Ask" }],
  ]);
  assert.deepEqual(results[0], { stepId: "tests", status: "completed", data: { ran: "script" } });
});

test("a prompt function gets ctx, may be async, and is sent resolved", async () => {
  const host = await run(
    async (ctx) => {
      await ctx.step("a", { type: "agent", agent: "codex", prompt: (c) => `build ${c.args.feature}` });
      await ctx.step("b", { type: "agent", agent: "gemini", prompt: async (c) => `run ${c.runId}` });
    },
    { init: { args: { feature: "login" } } },
  );
  assert.equal(host.calls[0][2].prompt, "build login");
  assert.equal(host.calls[1][2].prompt, "run run-1");
});

test("an agent step's zod outputSchema is sent as JSON Schema", async () => {
  const host = await run(async (ctx) => {
    await ctx.step("a", { type: "agent", agent: "claude", prompt: "p", outputSchema: z.object({ ok: z.boolean() }) });
  });
  assert.deepEqual(host.calls[0][2].outputSchema, {
    type: "object",
    properties: { ok: { type: "boolean" } },
    required: ["ok"],
    additionalProperties: false,
  });
});

test("a function step runs when the host says so and its data round-trips as JSON", async () => {
  const when = new Date("2024-01-02T03:04:05Z");
  let result;
  let gotCtx;
  const host = await run(async (ctx) => {
    result = await ctx.step("compute", {
      type: "function",
      fn: async (c) => {
        gotCtx = c === ctx;
        return { when, n: 1, skip: undefined };
      },
    });
  });
  assert.equal(gotCtx, true);
  const data = { when: "2024-01-02T03:04:05.000Z", n: 1 };
  assert.deepEqual(host.calls[1], ["stepFinish", "compute", { ok: true, data }]);
  assert.deepEqual(result, { stepId: "compute", status: "completed", data });
});

test("a function step returning undefined finishes without data", async () => {
  const host = await run(async (ctx) => {
    await ctx.step("nothing", { type: "function", fn: () => {} });
  });
  assert.deepEqual(host.calls[1], ["stepFinish", "nothing", { ok: true }]);
});

test("a throwing function step fails with its message and stack, and ctx.step throws", async () => {
  let caught;
  const host = await run(async (ctx) => {
    try {
      await ctx.step("boom", { type: "function", fn: () => { throw new Error("kaput"); } });
    } catch (error) {
      caught = error;
    }
  });
  const [, , outcome] = host.calls[1];
  assert.equal(outcome.ok, false);
  assert.equal(outcome.error, "kaput");
  assert.match(outcome.stack, /kaput/);
  assert.ok(caught instanceof StepFailedError);
  assert.equal(caught.stepId, "boom");
  assert.equal(caught.message, 'step "boom" failed: kaput');
  assert.deepEqual(caught.result, { stepId: "boom", status: "failed", error: "kaput" });
});

test("a thrown non-Error is stringified", async () => {
  const host = await run(async (ctx) => {
    await ctx.step("s", { type: "function", fn: () => Promise.reject("plain"), continueOnError: true });
  });
  assert.deepEqual(host.calls[1][2], { ok: false, error: "plain" });
});

test("non-serialisable return values fail the step with a clear message", async () => {
  const cyclic = {};
  cyclic.self = cyclic;
  const cases = { big: () => 10n, nested: () => ({ n: 10n }), cyclic: () => cyclic, fn: () => () => 1 };
  for (const [id, fn] of Object.entries(cases)) {
    let result;
    const host = await run(async (ctx) => {
      result = await ctx.step(id, { type: "function", fn, continueOnError: true });
    });
    const outcome = host.calls[1][2];
    assert.equal(outcome.ok, false, id);
    assert.match(outcome.error, new RegExp(`^the return value of step "${id}" is not JSON-serialisable: `));
    assert.equal(result.status, "failed");
  }
});

test("continueOnError returns the failed result instead of throwing", async () => {
  const failed = { stepId: "lint", status: "failed", error: "exit code 1" };
  let result;
  await run(
    async (ctx) => {
      result = await ctx.step("lint", { type: "script", command: "pnpm lint", continueOnError: true });
    },
    { host: { memo: { lint: failed } } },
  );
  assert.deepEqual(result, failed);
});

test("an uncaught StepFailedError rejects __wfRun", async () => {
  installHost({ memo: { lint: { stepId: "lint", status: "failed", error: "exit code 1" } } });
  const wf = workflow(async (ctx) => {
    await ctx.step("lint", { type: "script", command: "pnpm lint" });
  });
  await assert.rejects(globalThis.__wfRun(wf, init()), {
    name: "StepFailedError",
    message: 'step "lint" failed: exit code 1',
  });
});

test("getStepResult sees earlier attempts' results and this attempt's steps", async () => {
  const earlier = { stepId: "old", status: "completed", data: 1 };
  const seen = [];
  await run(
    async (ctx) => {
      seen.push(ctx.getStepResult("old"), ctx.getStepResult("new"));
      await ctx.step("new", { type: "function", fn: () => 2 });
      seen.push(ctx.getStepResult("new"), ctx.getStepResult("missing"));
    },
    { init: { results: { old: earlier } } },
  );
  assert.deepEqual(seen, [earlier, undefined, { stepId: "new", status: "completed", data: 2 }, undefined]);
});

test("misused ctx.step throws a TypeError naming the step and field, before reaching the host", async () => {
  const cases = [
    ["", { type: "script", command: "x" }, /step id must be a non-empty string/],
    ["s", null, /step "s": `config`/],
    ["s", { command: "x" }, /step "s": `type` must be one of "agent", "script", "function"/],
    ["s", { type: "function" }, /step "s": `fn`/],
    ["s", { type: "script" }, /step "s": `command`/],
    ["s", { type: "agent", prompt: "p" }, /step "s": `agent`/],
    ["s", { type: "agent", agent: "claude" }, /step "s": `prompt`/],
    ["s", { type: "agent", agent: "claude", prompt: () => 42 }, /step "s": `prompt`/],
    ["s", { type: "script", command: "x", phase: "deploy" }, /step "s": `phase` "deploy" is not one of the workflow's phases: build, test/],
    ["s", { type: "script", command: "x", timeout: "soon" }, /step "s": `timeout`/],
    ["s", { type: "script", command: "x", continueOnError: "yes" }, /step "s": `continueOnError`/],
    ["s", { type: "script", command: "x", env: { A: 1 } }, /step "s": `env`/],
    ["s", { type: "script", command: "x", onDone: () => {} }, /step "s": `onDone` is not a step field/],
    ["s", { type: "script", command: "x", prompt: () => "p" }, /step "s": `prompt` is a function/],
    ["s", { type: "script", command: "x", fn: () => {} }, /step "s": `fn` is a function/],
  ];
  for (const [id, config, message] of cases) {
    const host = installHost();
    const wf = workflow(async (ctx) => ctx.step(id, config));
    await assert.rejects(globalThis.__wfRun(wf, init()), { name: "TypeError", message }, String(message));
    assert.deepEqual(host.calls, []);
  }
});

test("a step id used twice in one run is an error", async () => {
  installHost();
  const wf = workflow(async (ctx) => {
    await ctx.step("same", { type: "script", command: "a" });
    await ctx.step("same", { type: "script", command: "b" });
  });
  await assert.rejects(globalThis.__wfRun(wf, init()), /step id "same" is used twice/);
});

test("a host answering 'run' for a non-function step is reported", async () => {
  const host = installHost();
  host.stepStart = async () => ({ action: "run" });
  const wf = workflow(async (ctx) => ctx.step("s", { type: "script", command: "x" }));
  await assert.rejects(globalThis.__wfRun(wf, init()), /internal: __wfHost.stepStart for script step "s"/);
});

test("checkpoint, comment and exec forward to the host", async () => {
  let execResult;
  const host = await run(async (ctx) => {
    await ctx.checkpoint();
    await ctx.comment("hello");
    await ctx.comment("on a step", "build");
    execResult = await ctx.exec("git status");
    await ctx.exec("ls", "/tmp");
  });
  assert.deepEqual(host.calls, [
    ["checkpoint"],
    ["comment", "hello", null],
    ["comment", "on a step", "build"],
    ["exec", "git status", null],
    ["exec", "ls", "/tmp"],
  ]);
  assert.deepEqual(execResult, { stdout: "out", stderr: "", exitCode: 0 });
});

test("ctx.secrets gives references, never values, and refuses bad names and writes", async () => {
  let seen;
  await run(async (ctx) => {
    seen = { token: ctx.secrets.API_TOKEN, cmd: `curl -H ${ctx.secrets.API_TOKEN}` };
    assert.throws(() => ctx.secrets["bad-name"], /ctx.secrets.bad-name: a secret's name/);
    assert.throws(() => { ctx.secrets.X = "v"; }, /ctx.secrets is read-only/);
  });
  assert.deepEqual(seen, { token: "{{ secrets.API_TOKEN }}", cmd: "curl -H {{ secrets.API_TOKEN }}" });
  await run(async (ctx) => { seen = ctx.secrets.K; }, { init: { secretsTag: "ab12" } });
  assert.equal(seen, "{{ secrets.K@ab12 }}");
});

test("comment and exec check their arguments", async () => {
  for (const [body, message] of [
    [(ctx) => ctx.comment(""), /ctx.comment: text/],
    [(ctx) => ctx.comment("x", 5), /ctx.comment: stepId/],
    [(ctx) => ctx.exec(""), /ctx.exec: command/],
    [(ctx) => ctx.exec("ls", 1), /ctx.exec: cwd/],
  ]) {
    installHost();
    await assert.rejects(globalThis.__wfRun(workflow(body), init()), { name: "TypeError", message });
  }
});

test("ctx is frozen and carries the run's identity", async () => {
  let ctx;
  await run(async (c) => { ctx = c; }, { init: { runId: "r9", projectPath: "/proj", args: { a: 1 } } });
  assert.ok(Object.isFrozen(ctx));
  assert.equal(ctx.runId, "r9");
  assert.equal(ctx.projectPath, "/proj");
  assert.equal(ctx.repoPath, "/proj", "without a worktree the checkout is the project");
  assert.deepEqual(ctx.args, { a: 1 });
  assert.deepEqual(Object.keys(ctx).sort(), [
    "approval", "args", "checkpoint", "comment", "exec", "getStepResult", "projectPath", "repoPath", "runId", "secrets",
    "sleep", "step", "waitForSignal",
  ]);
  await run(async (c) => { ctx = c; }, { init: { runId: "r9", projectPath: "/wt/r9", repoPath: "/proj" } });
  assert.equal(ctx.projectPath, "/wt/r9");
  assert.equal(ctx.repoPath, "/proj");
});

test("a zod argsSchema's parse applies defaults to ctx.args, and bad args reject", async () => {
  const argsSchema = z.object({ name: z.string(), retries: z.number().int().default(3) });
  let args;
  await run(async (ctx) => { args = ctx.args; }, { init: { args: { name: "x" } }, extra: { argsSchema } });
  assert.deepEqual(args, { name: "x", retries: 3 });
  installHost();
  await assert.rejects(
    globalThis.__wfRun(workflow(() => {}, { argsSchema }), init({ args: { retries: 1 } })),
    /do not match the workflow's argsSchema: args.name: Required/,
  );
});

test("errors escaping execute reject __wfRun unchanged", async () => {
  installHost();
  const error = new RangeError("nope");
  await assert.rejects(globalThis.__wfRun(workflow(() => { throw error; }), init()), (e) => e === error);
});

test("console forwards Node-like text to __wfHost.log at the right level", () => {
  const host = installHost();
  const cyclic = { name: "c" };
  cyclic.self = cyclic;
  function named() {}
  console.log("plain", "strings", 1, true, null, undefined);
  console.info("%s is %d years, %i%% done %j", "Ann", 42.5, 7.9, { a: 1 });
  console.warn({ a: [1, 2], b: "x" }, cyclic);
  console.error(named, () => {}, 5n, Symbol("s"));
  console.debug(new Map([["k", 1]]), new Set([1]));
  assert.deepEqual(host.logs, [
    ["info", "plain strings 1 true null undefined"],
    ["info", 'Ann is 42.5 years, 7% done {"a":1}'],
    ["warn", '{"a":[1,2],"b":"x"} {"name":"c","self":"[Circular]"}'],
    ["error", "[Function named] [Function (anonymous)] 5n Symbol(s)"],
    ["debug", '{"[Map]":[["k",1]]} {"[Set]":[1]}'],
  ]);
});

test("console prints Errors with their stack, and shared (non-cyclic) objects twice", () => {
  const host = installHost();
  const shared = { v: 1 };
  console.error("failed:", new TypeError("bad"));
  console.log({ a: shared, b: shared });
  console.trace("here");
  assert.match(host.logs[0][1], /^failed: TypeError: bad\n\s+at /);
  assert.equal(host.logs[1][1], '{"a":{"v":1},"b":{"v":1}}');
  assert.equal(host.logs[2][0], "debug");
  assert.match(host.logs[2][1], /^Trace: here/);
});

test("console keeps lines logged before the host exists and sends them first", async () => {
  delete globalThis.__wfHost;
  console.log("early");
  console.warn("early too");
  const host = installHost();
  await globalThis.__wfRun(workflow(() => {}), init());
  console.log("late");
  assert.deepEqual(host.logs, [["info", "early"], ["warn", "early too"], ["info", "late"]]);
});

test("what a run or step throws is reported readably, whatever was thrown", async () => {
  const { thrownText } = await import("../harness.js");
  assert.equal(thrownText(new TypeError("bad")), "bad");
  assert.equal(thrownText({ code: 1 }), '{"code":1}');
  assert.equal(thrownText("x"), "x");
  assert.equal(thrownText(42), "42");
  assert.equal(thrownText(null), "null");
  const cycle = { a: 1 };
  cycle.self = cycle;
  assert.equal(thrownText(cycle), '{"a":1,"self":"[Circular]"}');
  assert.equal(globalThis.__wfFailureText(42), "Uncaught 42");
  assert.equal(globalThis.__wfFailureText("x"), "x");
  assert.match(globalThis.__wfFailureText(new Error("boom")), /^Error: boom/);
});

test("an allocation refused by the worker's memory limit says which limit", async () => {
  const { thrownText } = await import("../harness.js");
  const oom = "the workflow's JS worker ran out of memory (limit 64 MB)";
  await run(async () => {}, { init: { outOfMemory: oom } });
  assert.equal(thrownText(new RangeError("Array buffer allocation failed")), oom);
  assert.equal(globalThis.__wfFailureText(new Error("out of memory")), oom);
  assert.equal(thrownText(new Error("disk full")), "disk full");
});

test("a wait the engine answers with `wait` stays pending and is counted; a decided one returns", async () => {
  const decided = { stepId: "gate-1", status: "completed", data: { decision: "approved", by: "a@x", at: "t", input: { n: 2 } } };
  const host = installHost({ memo: { "gate-1": decided } });
  const waitsBefore = globalThis.__wfWaiting();
  host.stepStart = async (id, config) => {
    host.calls.push(["stepStart", id, JSON.parse(JSON.stringify(config))]);
    if (id === "gate-1") return { action: "return", result: decided };
    if (id === "sig") return { action: "return", result: { stepId: "sig", status: "completed", data: { payload: { v: 7 } } } };
    return { action: "wait" };
  };
  let gate, payload, reachedEnd = false;
  const running = globalThis.__wfRun(
    workflow(async (ctx) => {
      gate = await ctx.approval("gate-1", { phase: "build", title: "Ship?", form: z.object({ n: z.number() }), approvers: ["a@x"] });
      payload = await ctx.waitForSignal("sig", { name: "deploy", timeout: "1h" });
      await ctx.sleep("nap", "10m");
      reachedEnd = true;
    }),
    init(),
  );
  // The sleep waits: nothing settles, and the harness counts one wait more.
  const settled = await Promise.race([running.then(() => "settled"), new Promise((r) => setTimeout(() => r("pending"), 50))]);
  assert.equal(settled, "pending");
  assert.equal(reachedEnd, false);
  assert.equal(globalThis.__wfWaiting(), waitsBefore + 1);
  assert.equal(gate.data.decision, "approved");
  assert.deepEqual(payload, { v: 7 });
  assert.deepEqual(host.calls, [
    ["stepStart", "gate-1", {
      type: "approval", phase: "build", title: "Ship?", approvers: ["a@x"],
      form: { type: "object", properties: { n: { type: "number" } }, required: ["n"], additionalProperties: false },
    }],
    ["stepStart", "sig", { type: "signal", signal: "deploy", timeout: "1h" }],
    ["stepStart", "nap", { type: "sleep", duration: "10m" }],
  ]);
});

test("a rejected gate throws StepFailedError unless continueOnError; bad wait options throw at once", async () => {
  const rejected = { stepId: "g", status: "failed", error: "rejected", data: { decision: "rejected", by: "b@x", at: "t" } };
  installHost({ memo: { g: rejected } });
  await assert.rejects(
    globalThis.__wfRun(workflow(async (ctx) => { await ctx.approval("g", { title: "t" }); }), init()),
    { name: "StepFailedError" },
  );
  installHost({ memo: { g: rejected } });
  let result;
  await globalThis.__wfRun(workflow(async (ctx) => { result = await ctx.approval("g", { title: "t", continueOnError: true }); }), init());
  assert.equal(result.data.decision, "rejected");
  for (const [body, message] of [
    [(ctx) => ctx.approval("g", {}), /ctx.approval\("g"\): `title` must be a non-empty string/],
    [(ctx) => ctx.approval("g", { title: "t", phase: "nope" }), /`phase` "nope" is not one of the workflow's phases/],
    [(ctx) => ctx.sleep("s", "soon"), /ctx.sleep\("s"\)/],
    [(ctx) => ctx.waitForSignal("w", {}), /ctx.waitForSignal\("w"\): options must be/],
  ]) {
    installHost();
    await assert.rejects(globalThis.__wfRun(workflow(body), init()), { message });
  }
});
