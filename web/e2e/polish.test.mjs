// Part D of issue 16 in a real browser against a real server: run names from a definition's
// `runName` (YAML template through the new-run form, a TypeScript function through the API),
// comment images (preview, lightbox, detach with Undo), signed artifact links (work, expire,
// refuse forgeries), compressed responses and no source maps, and WCAG AA contrast of the
// main screens in both themes.

import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { writeFileSync, mkdirSync, readdirSync } from "node:fs";
import path from "node:path";
import { after, before, describe, test as nodeTest } from "node:test";

import { contrastFailures } from "./contrast.mjs";
import { BIN, launchBrowser, newPage, screenshot, signIn, startRun, startServer, testWithShots, tid, waitCount, waitFor, waitText, WEB_DIST } from "./harness.mjs";
import { makePng } from "./png.mjs";

const NAMED_YAML = `name: Agent bug fix
runName: "Fix #{{ args.issue }} {{ args.title | default('') }}"
argsSchema:
  type: object
  required: [issue]
  properties:
    issue: { type: integer }
    title: { type: string }
phases: [fix]
steps:
  - id: fix
    type: script
    command: echo fixing {{ args.issue }}
`;

const NAMED_TS = `import { defineWorkflow } from "@repo/workflow-engine";

export default defineWorkflow({
  name: "Deploy",
  phases: ["ship"],
  argsSchema: { type: "object", properties: { env: { type: "string" }, version: { type: "string" } } },
  runName: (args) => {
    if (args.env === "boom") throw new Error("no environment is called boom");
    return \`Deploy \${args.env ?? "?"} v\${args.version ?? "0"}\`;
  },
  async execute(ctx) {
    await ctx.step("ship", { type: "script", command: "echo shipped" });
  },
});
`;

const BAD_NAME_YAML = `name: Bad name
runName: "Fix {{ steps.fix.data }}"
phases: [a]
steps:
  - id: fix
    type: script
    command: echo
`;

const PHONE = { width: 390, height: 844 };

/** Uploads a PNG to the run's step and attaches it to the comment; returns the artifact. */
async function attachPng(server, runId, stepRowId, commentId, name, w, h) {
  const form = new FormData();
  form.set("step_id", stepRowId);
  form.set("file", new Blob([makePng(w, h)], { type: "image/png" }), name);
  const r = await fetch(`${server.base}/api/workflow-executions/${runId}/artifacts`, {
    method: "POST",
    headers: { authorization: `Bearer ${server.token}` },
    body: form,
  });
  assert.equal(r.status, 201, await r.clone().text());
  const artifact = (await r.json()).data;
  await server.api(server.token, "PATCH", `/artifacts/${artifact.id}/attach`, { comment_id: commentId });
  return artifact;
}

describe("polish", () => {
  let server, browser, page;
  const test = testWithShots(nodeTest, () => [page], () => server);
  let imageRun;

  before(async () => {
    server = await startServer({ workflows: { "fix.yaml": NAMED_YAML, "deploy.ts": NAMED_TS, "bad-name.yaml": BAD_NAME_YAML } });
    browser = await launchBrowser();
    page = await newPage(browser);
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  test("a YAML runName fills the new-run form's name as the arguments change; a typed name wins", async () => {
    await signIn(page, server);
    const def = server.definitions["Agent bug fix"];
    await page.goto(`${server.base}/p/${server.projectId}/templates/${def.id}/new`);
    const name = page.getByTestId("run-form-name");
    await page.getByTestId("arg-issue").fill("42");
    await waitFor(async () => (await name.inputValue()) === "Fix #42", "the name follows the issue");
    await page.getByTestId("arg-title").fill("login loops");
    await waitFor(async () => (await name.inputValue()) === "Fix #42 login loops", "the name follows the title");
    assert.equal(await name.getAttribute("data-auto"), "true");
    await screenshot(page, "polish-new-run-name");
    assert.match(await page.title(), /New run · Agent bug fix/, "the new-run page names itself in the tab");
    await page.getByTestId("run-form-submit").click();
    await waitText(page.getByTestId("run-title"), "Fix #42 login loops", "the run is named from the template");

    await page.goto(`${server.base}/p/${server.projectId}/templates/${def.id}/new`);
    await page.getByTestId("arg-issue").fill("7");
    await waitFor(async () => (await name.inputValue()) === "Fix #7", "the name follows the issue");
    await name.fill("My own name");
    // The preview for the new issue is asked and answered: then the typed name must still stand.
    const previewed = page.waitForResponse((r) => r.url().endsWith("/run-name") && r.request().method() === "POST" && /"issue":8\b|"issue":"8"/.test(r.request().postData() ?? ""));
    await page.getByTestId("arg-issue").fill("8");
    await previewed;
    await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
    assert.equal(await name.inputValue(), "My own name", "a typed name is not overwritten");
    await page.getByTestId("run-form-submit").click();
    await waitText(page.getByTestId("run-title"), "My own name");
    assert.deepEqual(page.errors, []);
  });

  test("the API and CLI name runs from runName: a TS function, a throw refused, an explicit name wins", async () => {
    const yamlRun = await startRun(server, "Agent bug fix", { issue: 3 });
    assert.equal(yamlRun.name, "Fix #3");
    const tsRun = await startRun(server, "Deploy", { env: "prod", version: "1.2" });
    assert.equal(tsRun.name, "Deploy prod v1.2");
    const refused = await startRun(server, "Deploy", { env: "boom" }).catch((e) => String(e));
    assert.match(refused, /400/);
    assert.match(refused, /runName threw: no environment is called boom/);
    const explicit = await startRun(server, "Deploy", { env: "boom" }, "Boom, named by hand");
    assert.equal(explicit.name, "Boom, named by hand");

    const preview = await server.api(server.token, "POST", `/workflow-definitions/${server.definitions.Deploy.id}/run-name`, { args: { env: "staging" } });
    assert.deepEqual(preview, { name: "Deploy staging v0", source: "function", template: null });
    const yamlPreview = await server.api(server.token, "POST", `/workflow-definitions/${server.definitions["Agent bug fix"].id}/run-name`, { args: {} });
    assert.equal(yamlPreview.name, "Fix #");
    assert.equal(yamlPreview.source, "template");
    const notObject = await server.api(server.token, "POST", `/workflow-definitions/${server.definitions.Deploy.id}/run-name`, { args: [1] }).catch((e) => String(e));
    assert.match(notObject, /400.*args: must be an object/);

    // The CLI: `run` names the run the same way, and refuses a throwing runName (exit 2).
    const env = { ...process.env, WORKFLOW_ENGINE_DATA_DIR: path.join(server.dir, "cli-data"), HOME: path.join(server.dir, "home") };
    const defs_dir = path.join(server.project, ".agent/workflows/definitions");
    const cli = (file, ...args) => spawnSync(BIN, ["run", path.join(defs_dir, file), "--project", server.project, ...args], { env, encoding: "utf8", timeout: 60000 });
    assert.equal(cli("fix.yaml", "--arg", "issue=9").status, 0);
    const boom = cli("deploy.ts", "--arg", "env=boom");
    assert.equal(boom.status, 2, boom.stderr);
    assert.match(boom.stderr, /runName threw: no environment is called boom/);
    assert.match(execFileSync(BIN, ["runs"], { env, encoding: "utf8" }), /Fix #9/);

    const defs = await server.api(server.token, "GET", `/workflow-definitions?project_id=${server.projectId}`);
    const bad = defs.find((d) => d.path.endsWith("bad-name.yaml"));
    assert.ok(bad.load_error, "a runName naming a step does not load");
    assert.match(bad.load_error.message, /'runName': \{\{ steps\.fix\.data \}\}: a run name may use only args/);
    assert.equal(bad.load_error.errors[0].location.line, 2, "the error is placed at runName's line");
    assert.equal(bad.load_error.errors[0].location.column, 15, "and at the placeholder's column");
  });

  test("comment images: previews sized to the thread, a lightbox with arrows and Escape", async () => {
    imageRun = await startRun(server, "Agent bug fix", { issue: 11, title: "screenshots" });
    const step = await waitFor(async () => {
      const run = await server.api(server.token, "GET", `/workflow-executions/${imageRun.id}`);
      return run.steps?.find((s) => s.step_id === "fix");
    }, "the run's step");
    const comment = await server.api(server.token, "POST", `/workflow-executions/${imageRun.id}/comments`, { text: "Before and after:", step_id: step.id });
    const first = await attachPng(server, imageRun.id, step.id, comment.id, "before.png", 800, 500);
    const second = await attachPng(server, imageRun.id, step.id, comment.id, "after.png", 400, 600);

    await page.goto(`${server.base}/p/${server.projectId}/runs/${imageRun.id}`);
    const images = page.locator(`[data-testid="comment-list"] ${tid("comment-image")}`);
    await waitCount(images, 2, "two image previews");
    await waitFor(
      () => images.first().locator("img").evaluate((img) => img.complete && img.naturalWidth === 800),
      "the preview loads through its signed link",
    );
    const src = await images.first().locator("img").getAttribute("src");
    assert.match(src, /^\/api\/artifacts\/[^/]+\/content\?exp=\d+&sig=[0-9a-f]{64}$/);
    const token = await page.evaluate(() => localStorage.getItem("wf.token"));
    assert.ok(!(await page.content()).includes(token), "the session token is in the page");
    const box = await images.first().boundingBox();
    const thread = await page.locator(`[data-testid="comment-list"]`).first().boundingBox();
    assert.ok(box.width >= 150 && box.width <= thread.width, `preview ${box.width}px in a ${thread.width}px thread`);

    await images.first().click();
    const lightbox = page.getByTestId("lightbox");
    await lightbox.waitFor();
    await waitFor(() => page.getByTestId("lightbox-image").evaluate((img) => img.complete && img.naturalWidth === 800), "the big image loads");
    assert.equal(await page.getByTestId("lightbox-counter").innerText(), "1 / 2");
    await screenshot(page, "polish-lightbox-laptop");
    await page.keyboard.press("ArrowRight");
    await waitFor(async () => (await page.getByTestId("lightbox-image").getAttribute("data-artifact-id")) === second.id, "→ shows the next image");
    await page.keyboard.press("ArrowRight");
    await waitFor(async () => (await page.getByTestId("lightbox-image").getAttribute("data-artifact-id")) === first.id, "→ wraps to the first");
    await page.keyboard.press("ArrowLeft");
    await waitFor(async () => (await page.getByTestId("lightbox-image").getAttribute("data-artifact-id")) === second.id, "← goes back");
    await page.keyboard.press("Escape");
    await waitCount(lightbox, 0, "Escape closes the lightbox");

    const phone = await newPage(browser, { viewport: PHONE, colorScheme: "dark" });
    await signIn(phone, server);
    await phone.goto(`${server.base}/p/${server.projectId}/runs/${imageRun.id}`);
    await waitCount(phone.locator(`[data-testid="comment-list"] ${tid("comment-image")}`), 2);
    await phone.locator(`[data-testid="comment-list"] ${tid("comment-image")}`).first().scrollIntoViewIfNeeded();
    await screenshot(phone, "polish-comment-images-phone-dark");
    await phone.locator(`[data-testid="comment-list"] ${tid("comment-image")}`).first().click();
    await phone.getByTestId("lightbox-image").waitFor();
    await waitFor(() => phone.getByTestId("lightbox-image").evaluate((img) => img.complete && img.naturalWidth > 0), "loaded");
    await phone.screenshot({ path: path.join(path.dirname(new URL(import.meta.url).pathname), "screenshots/polish-lightbox-phone.png") });
    await phone.getByTestId("lightbox-close").click();
    await waitCount(phone.getByTestId("lightbox"), 0);
    await phone.context().close();
    assert.deepEqual(page.errors, []);
  });

  test("detaching an image can be undone from the toast", async () => {
    await page.goto(`${server.base}/p/${server.projectId}/runs/${imageRun.id}`);
    const list = page.locator(`[data-testid="comment-list"]`).first();
    await waitCount(list.getByTestId("comment-image"), 2);
    await list.getByTestId("comment-detach").first().click();
    await page.getByTestId("toast").waitFor();
    assert.match(await page.getByTestId("toast").innerText(), /Detached before\.png/);
    await waitCount(list.getByTestId("comment-image"), 1, "the image leaves the comment");
    await waitFor(() => page.getByTestId("toast-undo").evaluate((b) => document.activeElement === b), "Undo takes the focus");
    assert.equal(await page.getByTestId("toast").getAttribute("data-held"), "true", "its time stops while it has the focus");
    await screenshot(page, "polish-undo-toast");
    await page.getByTestId("toast-undo").click();
    await waitCount(list.getByTestId("comment-image"), 2, "Undo puts it back");
    await waitCount(page.getByTestId("toast"), 0, "the toast goes");
    const run = await server.api(server.token, "GET", `/workflow-executions/${imageRun.id}/comments`);
    const attached = run.flatMap((c) => c.artifacts.map((a) => a.name)).sort();
    assert.deepEqual(attached, ["after.png", "before.png"]);
  });

  test("signed artifact links: work without a token, expire, refuse forged or unsigned links", async () => {
    const comments = await server.api(server.token, "GET", `/workflow-executions/${imageRun.id}/comments`);
    const artifact = comments.flatMap((c) => c.artifacts)[0];
    const link = await server.api(server.token, "GET", `/artifacts/${artifact.id}/link?ttl=2`);
    const ok = await fetch(`${server.base}${link.url}`);
    assert.equal(ok.status, 200);
    assert.equal(ok.headers.get("content-type"), "image/png");
    assert.equal(ok.headers.get("content-disposition"), "inline");
    assert.match(ok.headers.get("content-security-policy"), /sandbox/);
    assert.equal((await ok.arrayBuffer()).byteLength, artifact.size_bytes);
    const download = await fetch(`${server.base}${link.url}&download=1`);
    assert.match(download.headers.get("content-disposition"), /^attachment; filename=/);

    const forged = await fetch(`${server.base}${link.url.replace(/sig=./, (m) => (m.endsWith("0") ? "sig=1" : "sig=0"))}`);
    assert.equal(forged.status, 403);
    assert.match((await forged.json()).error.message, /signature does not match/);
    const later = await fetch(`${server.base}${link.url.replace(/exp=\d+/, (m) => `exp=${Number(m.slice(4)) + 3600}`)}`);
    assert.equal(later.status, 403, "a link whose expiry was pushed back");
    const unsigned = await fetch(`${server.base}/api/artifacts/${artifact.id}/content`);
    assert.equal(unsigned.status, 401);
    assert.match((await unsigned.json()).error.message, /signed link/);
    const badTtl = await fetch(`${server.base}/api/artifacts/${artifact.id}/link?ttl=99999`, { headers: { authorization: `Bearer ${server.token}` } });
    assert.equal(badTtl.status, 400);
    const noToken = await fetch(`${server.base}/api/artifacts/${artifact.id}/link`);
    assert.equal(noToken.status, 401);

    await new Promise((r) => setTimeout(r, 3200));
    const expired = await fetch(`${server.base}${link.url}`);
    assert.equal(expired.status, 403);
    assert.match((await expired.json()).error.message, /expired at/);
  });

  test("responses are compressed (brotli, gzip) and source maps are neither built nor served", async () => {
    const route = `${server.base}/api/workflow-executions?project_id=${server.projectId}`;
    for (const encoding of ["br", "gzip"]) {
      const r = await fetch(route, { headers: { authorization: `Bearer ${server.token}`, "accept-encoding": encoding } });
      assert.equal(r.status, 200);
      assert.equal(r.headers.get("content-encoding"), encoding, `the API answers ${encoding}`);
      assert.ok(Array.isArray((await r.json()).data));
    }
    const html = await (await fetch(`${server.base}/`)).text();
    const script = /src="(\/assets\/[^"]+\.js)"/.exec(html)[1];
    const js = await fetch(`${server.base}${script}`, { headers: { "accept-encoding": "br" } });
    assert.equal(js.headers.get("content-encoding"), "br", "the UI's script is compressed");
    const plain = await fetch(route, { headers: { authorization: `Bearer ${server.token}`, "accept-encoding": "identity" } });
    assert.equal(plain.headers.get("content-encoding"), null);

    const built = readdirSync(path.join(WEB_DIST, "assets"));
    assert.deepEqual(built.filter((f) => f.endsWith(".map")), [], "the build makes no source maps");
    assert.ok(!(await (await fetch(`${server.base}${script}`)).text()).includes("sourceMappingURL"));
    // One put there by hand is not served either.
    mkdirSync(path.join(server.dir, "web/assets"), { recursive: true });
    writeFileSync(path.join(server.dir, "web/assets/app.js.map"), '{"version":3,"sources":["secret.ts"]}');
    const map = await fetch(`${server.base}/assets/app.js.map`);
    assert.equal(map.status, 404);
    assert.ok(!(await map.text()).includes("secret.ts"));
  });

  test("WCAG AA contrast of the main screens, light and dark", async () => {
    const failures = [];
    const run = await startRun(server, "Agent bug fix", { issue: 5 });
    const done = await waitFor(async () => {
      const r = await server.api(server.token, "GET", `/workflow-executions/${run.id}`);
      return r.status === "completed" && r;
    }, "the run completes");
    const stepId = done.steps.find((s) => s.step_id === "fix").id;
    const defId = server.definitions["Agent bug fix"].id;
    const screens = [
      ["login", "/login", () => page.getByTestId("login-email").waitFor()],
      ["board", `/p/${server.projectId}/board`, () => page.getByTestId("run-card").first().waitFor()],
      ["workflow board", `/p/${server.projectId}/board/${defId}`, () => page.getByTestId("run-card").first().waitFor()],
      ["run", `/p/${server.projectId}/runs/${imageRun.id}`, () => page.getByTestId("comment-image").first().waitFor()],
      ["step panel", `/p/${server.projectId}/runs/${run.id}/steps/${stepId}`, () => page.getByTestId("step-log").waitFor()],
      ["templates", `/p/${server.projectId}/templates`, () => page.getByTestId("template-card").first().waitFor()],
      ["new run", `/p/${server.projectId}/templates/${defId}/new`, () => page.getByTestId("run-form").waitFor()],
    ];
    for (const scheme of ["light", "dark"]) {
      const p = await newPage(browser, { colorScheme: scheme });
      page = p;
      for (const [what, route, ready] of screens) {
        await p.goto(`${server.base}${route}`);
        await ready();
        // Colours are measured once every animation and transition has finished (the endless
        // ones, a running dot's pulse, never do: they are left out).
        await p.evaluate(() =>
          Promise.all(
            document
              .getAnimations()
              .filter((a) => a.effect?.getComputedTiming().iterations !== Infinity)
              .map((a) => a.finished.catch(() => undefined)),
          ),
        );
        for (const f of await contrastFailures(p)) failures.push(`${scheme} ${what}: ${f}`);
        if (what === "login") await signIn(p, server);
        else await screenshot(p, `polish-contrast-${what.replace(" ", "-")}-${scheme}`);
      }
      await p.context().close();
    }
    assert.deepEqual(failures, [], `contrast below AA:\n${failures.join("\n")}`);
  });
});
