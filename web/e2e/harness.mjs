// The end-to-end harness: a real `workflow-engine serve` on a free port over a temporary data
// directory and project, real users, Debian's chromium driven by playwright-core, and
// polling helpers (playwright-core has no test runner and no `expect`).
//
// Each test file starts its own server with `startServer(...)` and browser with
// `launchBrowser()`, and stops both in `after()`.

import { execFileSync, spawn } from "node:child_process";
import { cpSync, createWriteStream, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { createInterface } from "node:readline";
import { chromium } from "playwright-core";

const here = path.dirname(fileURLToPath(import.meta.url));
export const REPO = path.resolve(here, "../..");
export const BIN =
  process.env.WORKFLOW_ENGINE_BIN ??
  path.join(process.env.CARGO_TARGET_DIR ?? path.join(REPO, "target"), "debug/workflow-engine");
export const WEB_DIST = process.env.WORKFLOW_ENGINE_WEB_DIR ?? path.join(REPO, "web/dist");
export const FAKE_CLAUDE = path.join(REPO, "tests/fixtures/agents/claude");
export const SCREENSHOTS = process.env.E2E_SCREENSHOTS ?? path.join(here, "screenshots");
export const PASSWORD = "password1234";

/** How long a `waitFor` polls before it fails the test. */
export const TIMEOUT = Number(process.env.E2E_TIMEOUT_MS ?? 30000);

for (const [what, file] of [
  ["the debug binary (cargo build)", BIN],
  ["the built UI (npm --prefix web run build)", path.join(WEB_DIST, "index.html")],
]) {
  if (!existsSync(file)) throw new Error(`e2e needs ${what}: ${file} is missing`);
}

/**
 * Starts a server. `workflows` maps file names to their text (written to the project's
 * `.agent/workflows/definitions/`); `users` are created before it starts (`admin: true` sees
 * every project). The first user signs in over the API and registers the project.
 */
export async function startServer({ workflows = {}, users = [{ email: "ann@example.com" }] } = {}) {
  const dir = mkdtempSync(path.join(tmpdir(), "wf-e2e-"));
  const project = path.join(dir, "project");
  const defs = path.join(project, ".agent/workflows/definitions");
  mkdirSync(defs, { recursive: true });
  mkdirSync(path.join(project, "gates"));
  mkdirSync(path.join(dir, "home"));
  for (const [name, text] of Object.entries(workflows)) writeFileSync(path.join(defs, name), text);
  // A copy of the built UI: a rebuild of web/dist while the tests run cannot pull it away.
  const web = path.join(dir, "web");
  cpSync(WEB_DIST, web, { recursive: true });

  const env = { ...process.env };
  for (const k of ["CLAUDECODE", "CLAUDE_CONFIG_DIR", "FAKE_AGENT_SCENARIO", "FAKE_AGENT_RESULT", "WORKFLOW_ENGINE_CONFIG", "WORKFLOW_ENGINE_BIND", "JWT_SECRET"]) {
    delete env[k];
  }
  Object.assign(env, {
    WORKFLOW_ENGINE_DATA_DIR: path.join(dir, "data"),
    WORKFLOW_ENGINE_WEB_DIR: web,
    WORKFLOW_ENGINE_CLAUDE_COMMAND: FAKE_CLAUDE,
    WORKFLOW_ENGINE_AGENT_RETRY_DELAY: "50ms",
    FAKE_AGENT_GATE: path.join(project, "gates", "agent"),
    // Steps see only the variables passed on; the stand-in claude's controls are.
    WORKFLOW_ENGINE_STEP_ENV: "FAKE_AGENT_*",
    HOME: path.join(dir, "home"),
    RUST_LOG: process.env.RUST_LOG ?? "info",
  });
  for (const u of users) {
    const args = ["user", "create", "--email", u.email, "--password", u.password ?? PASSWORD];
    if (u.admin) args.push("--admin");
    execFileSync(BIN, args, { env, stdio: ["ignore", "ignore", "inherit"] });
  }

  const log = path.join(dir, "server.log");
  const child = spawn(BIN, ["serve", "--bind", "127.0.0.1:0"], { env, cwd: dir, stdio: ["ignore", "pipe", "pipe"] });
  child.stderr.pipe(createWriteStream(log));
  const exited = new Promise((resolve) => child.once("exit", resolve));
  const base = await new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout });
    lines.once("line", (line) => {
      const m = /^listening on (http:\/\/\S+)$/.exec(line.trim());
      m ? resolve(m[1]) : reject(new Error(`unexpected first line: ${line}`));
    });
    child.once("exit", (code) => reject(new Error(`the server exited (${code}): ${readFileSync(log, "utf8")}`)));
  });

  const server = {
    base,
    dir,
    project,
    log,
    /** The API with a token: `api("POST", "/projects", body)` → the parsed body; throws on 4xx/5xx. */
    async api(token, method, route, body) {
      const r = await fetch(`${base}/api${route}`, {
        method,
        headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body ? { "content-type": "application/json" } : {}) },
        body: body ? JSON.stringify(body) : undefined,
      });
      const json = await r.json().catch(() => null);
      if (!r.ok) throw new Error(`${method} ${route}: ${r.status} ${JSON.stringify(json)}`);
      return json.data;
    },
    async login(email, password = PASSWORD) {
      return (await server.api(null, "POST", "/auth/login", { email, password })).token;
    },
    /** Touches `gates/<name>` in the project: a step waiting for it goes on. */
    open(name) {
      writeFileSync(path.join(project, "gates", name), "");
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill("SIGTERM");
        const timer = setTimeout(() => child.kill("SIGKILL"), 3000);
        await exited;
        clearTimeout(timer);
      }
      if (process.env.E2E_KEEP || server.keep) console.log(`e2e: kept ${dir} (server.log, the project, the data)`);
      else rmSync(dir, { recursive: true, force: true });
    },
  };
  try {
    server.token = await server.login(users[0].email, users[0].password);
    server.projectId = (await server.api(server.token, "POST", "/projects", { name: "e2e", path: project })).id;
    const list = await server.api(server.token, "GET", `/workflow-definitions?project_id=${server.projectId}`);
    server.definitions = Object.fromEntries(list.map((d) => [d.name, d]));
  } catch (e) {
    await server.stop();
    throw e;
  }
  return server;
}

/** Starts a run over the API; returns the run. */
export async function startRun(server, definitionName, args = {}, name) {
  const def = server.definitions[definitionName];
  if (!def) throw new Error(`no definition ${definitionName} among ${Object.keys(server.definitions)}`);
  return server.api(server.token, "POST", "/workflow-executions", {
    project_id: server.projectId,
    workflow_definition_id: def.id,
    args,
    ...(name ? { name } : {}),
  });
}

/** Debian's chromium, headless, in a fresh profile. */
export async function launchBrowser() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run"],
  });
}

/**
 * A new context (its own storage: a separate session) and page, with console errors kept.
 * `options` go to the context (`viewport`, `colorScheme: "dark"`, ...).
 */
export async function newPage(browser, options = {}) {
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, ...options });
  context.setDefaultTimeout(TIMEOUT);
  const page = await context.newPage();
  page.errors = [];
  page.on("pageerror", (e) => page.errors.push(String(e)));
  // A refused request (a 400 for a bad argument, a 401 for a wrong password) is logged by
  // chromium as "Failed to load resource": expected, not an error of the app.
  page.on("console", (m) => m.type() === "error" && !m.text().startsWith("Failed to load resource") && page.errors.push(m.text()));
  // The app asks in its own dialog (ConfirmDialog); a browser dialog is a defect.
  page.on("dialog", (d) => {
    page.errors.push(`a browser dialog: ${d.type()} "${d.message()}"`);
    void d.dismiss();
  });
  return page;
}

/** Signs in through the login form and waits to leave `/login`. */
export async function signIn(page, server, email = "ann@example.com", password = PASSWORD) {
  await page.goto(`${server.base}/login`);
  await page.getByTestId("login-email").fill(email);
  await page.getByTestId("login-password").fill(password);
  await page.getByTestId("login-submit").click();
  await waitFor(() => !new URL(page.url()).pathname.startsWith("/login"), `leave /login after signing in as ${email}`);
}

/** Polls `fn` (sync or async) until it returns something truthy, and returns that. */
export async function waitFor(fn, what, timeout = TIMEOUT) {
  const end = Date.now() + timeout;
  let last;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
      last = v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > end) {
      throw new Error(`timed out after ${timeout} ms waiting for: ${what} (last: ${last instanceof Error ? last.message : JSON.stringify(last)})`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Waits until `locator` has `attr` = `value` (first match). */
export function waitAttr(locator, attr, value, what) {
  return waitFor(async () => (await locator.first().getAttribute(attr, { timeout: 500 })) === value, what ?? `${locator} [${attr}=${value}]`);
}

/**
 * Waits until `locator`'s text content (as in the DOM, before CSS such as `text-transform`)
 * matches `re` (or contains the string).
 */
export function waitText(locator, re, what) {
  const test = typeof re === "string" ? (t) => t.includes(re) : (t) => re.test(t);
  return waitFor(async () => test((await locator.first().textContent({ timeout: 500 })) ?? ""), what ?? `${locator} to show ${re}`);
}

/** Waits until `locator` matches exactly `n` elements. */
export function waitCount(locator, n, what) {
  return waitFor(async () => (await locator.count()) === n, what ?? `${n} × ${locator}`);
}

/** `[data-testid=id][k=v]...` as CSS. */
export function tid(id, attrs = {}) {
  return `[data-testid="${id}"]` + Object.entries(attrs).map(([k, v]) => `[${k}="${v}"]`).join("");
}

/** Saves a full-page screenshot to `web/e2e/screenshots/<name>.png`. */
export async function screenshot(page, name) {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: true, animations: "disabled" });
}

/**
 * `test(name, fn)` that, when `fn` fails, saves a screenshot of each page `pages()` returns
 * as `screenshots/FAILED-<name>-<n>.png` and logs what the server says about the runs
 * (`server()`), so a failure tells the app's view from the engine's.
 */
export function testWithShots(test, pages, server) {
  return (name, fn) =>
    test(name, async (t) => {
      try {
        await fn(t);
      } catch (e) {
        const slug = name.replace(/[^a-z0-9]+/gi, "-").slice(0, 60);
        let n = 0;
        for (const p of pages().filter(Boolean)) await screenshot(p, `FAILED-${slug}-${n++}`).catch(() => {});
        const s = server?.();
        if (s) {
          s.keep = true;
          const runs = await s.api(s.token, "GET", `/workflow-executions?project_id=${s.projectId}`).catch((err) => String(err));
          const rows = Array.isArray(runs)
            ? runs.map((r) => `${r.id} ${JSON.stringify(r.name)} ${r.status} phase=${r.current_phase} steps=${(r.steps ?? []).map((x) => `${x.step_id}:${x.status}`).join(",")}`)
            : [runs];
          t.diagnostic(`the server's runs when "${name}" failed (server log: ${s.log}):`);
          for (const row of rows) t.diagnostic(`  ${row}`);
        }
        throw e;
      }
    });
}

/** The run id from a `/p/:projectId/runs/:runId...` URL. */
export function runIdFromUrl(url) {
  return /\/runs\/([^/?#]+)/.exec(new URL(url).pathname)?.[1];
}
