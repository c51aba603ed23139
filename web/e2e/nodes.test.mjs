// The nodes page in a real browser against a real server: an admin finds it in the header and
// sees this server as an alive node, the runs it drives counted; a user who is not an admin
// has no link to it, and the page refuses them with the server's reason.

import assert from "node:assert/strict";
import { after, before, describe, test as nodeTest } from "node:test";

import { launchBrowser, newPage, signIn, startRun, startServer, testWithShots, waitFor } from "./harness.mjs";

const SLOW = "name: Slow\nphases: [work]\nsteps:\n  - id: nap\n    phase: work\n    type: script\n    command: sleep 20\n";

describe("nodes", () => {
  let server, browser, page;
  const test = testWithShots(nodeTest, () => [page], () => server);

  before(async () => {
    server = await startServer({
      workflows: { "slow.yaml": SLOW },
      users: [{ email: "ann@example.com" }, { email: "root@example.com", admin: true }],
    });
    browser = await launchBrowser();
    page = await newPage(browser);
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  test("an admin sees this server as a live node and the runs it drives", async () => {
    await signIn(page, server, "root@example.com");
    await page.getByTestId("nav-nodes").click();
    await waitFor(() => new URL(page.url()).pathname === "/nodes", "the header link opens the nodes page");
    const item = page.getByTestId("node-item");
    await item.first().waitFor();
    assert.equal(await item.count(), 1, "one server, one node");
    assert.equal(await item.getAttribute("data-alive"), "true");
    assert.equal(await item.getByTestId("node-state").innerText(), "alive");
    assert.equal(await item.getByTestId("node-this").count(), 1, "the node that answered is marked");
    assert.equal(await item.getByTestId("node-runs").innerText(), "0");
    assert.match(await item.getByTestId("node-heartbeat").innerText(), /^\d+ s ago$/, "a live node beat within seconds");
    assert.match(await page.getByTestId("nodes-summary").innerText(), /^1 of 1 node alive/);

    const run = await startRun(server, "Slow");
    await waitFor(async () => {
      await page.getByTestId("nodes-refresh").click();
      return (await item.getByTestId("node-runs").innerText()) === "1";
    }, "the running run is counted on its node");
    await server.api(server.token, "POST", `/workflow-executions/${run.id}/cancel`, {});
  });

  test("a user who is not an admin has no link, and the page says why", async () => {
    const other = await newPage(browser);
    await signIn(other, server, "ann@example.com");
    await other.goto(`${server.base}/p/${server.projectId}/board`);
    await other.getByTestId("nav-board").waitFor();
    assert.equal(await other.getByTestId("nav-nodes").count(), 0, "no link for a non-admin");
    await other.goto(`${server.base}/nodes`);
    await other.getByTestId("error-state").waitFor();
    assert.match(await other.getByTestId("error-state").innerText(), /only an admin may list the engine nodes/);
    await other.close();
  });
});
