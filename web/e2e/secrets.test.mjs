// The secrets panel in a real browser against a real server: a bad name is refused in the
// form, a value goes in and is never shown again (not in the page, not in the API), and a
// secret can be removed.

import assert from "node:assert/strict";
import { after, before, describe, test as nodeTest } from "node:test";

import { launchBrowser, newPage, signIn, startServer, testWithShots, tid, waitCount, waitFor } from "./harness.mjs";

const VALUE = "e2e-s3cret-5a4b3c";

describe("secrets", () => {
  let server, browser, page;
  const test = testWithShots(nodeTest, () => [page], () => server);

  before(async () => {
    server = await startServer();
    browser = await launchBrowser();
    page = await newPage(browser);
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  test("names listed, values write-only, a bad name refused, a secret removed", async () => {
    await signIn(page, server);
    await page.goto(`${server.base}/p/${server.projectId}/board`);
    await page.getByTestId("nav-secrets").click();
    await waitFor(() => new URL(page.url()).pathname.endsWith("/secrets"), "the nav opens the secrets page");

    await page.getByTestId("secret-name").fill("DEPLOY-TOKEN");
    await page.getByTestId("secret-value").fill(VALUE);
    await page.getByTestId("secret-submit").click();
    await page.getByTestId("secret-error").waitFor();
    assert.match(await page.getByTestId("secret-error").innerText(), /Letters, digits and _/);

    await page.getByTestId("secret-name").fill("DEPLOY_TOKEN");
    await page.getByTestId("secret-submit").click();
    await page.locator(tid("secret-item", { "data-name": "DEPLOY_TOKEN" })).waitFor();
    assert.equal(await page.getByTestId("secret-value").inputValue(), "", "the value is cleared once stored");
    assert.ok(!(await page.content()).includes(VALUE), "the page shows the value");

    await page.reload();
    await page.locator(tid("secret-item", { "data-name": "DEPLOY_TOKEN" })).waitFor();
    const listed = await page.evaluate(async (project) => {
      const r = await fetch(`/api/projects/${project}/secrets`, { headers: { Authorization: `Bearer ${localStorage.getItem("wf.token")}` } });
      return r.text();
    }, server.projectId);
    assert.ok(listed.includes("DEPLOY_TOKEN") && !listed.includes(VALUE), listed);
    assert.ok(!(await page.content()).includes(VALUE), "the page shows the value after a reload");

    await page.getByTestId("secret-remove").click();
    await page.getByTestId("confirm-ok").click();
    await waitCount(page.getByTestId("secret-item"), 0, "the secret is removed");
  });
});
