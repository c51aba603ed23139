// Signed artifact links: the download variant whatever the link's query; expired links dropped.

import assert from "node:assert/strict";
import { test } from "node:test";
import { downloadUrl, dropExpired, MARGIN_MS, type CachedLink } from "../artifactLinks.js";

test("download=1 is added as a query parameter, with or without a query already", () => {
  assert.equal(downloadUrl("/api/artifacts/a1/content?exp=1&sig=x", "http://h/"), "http://h/api/artifacts/a1/content?exp=1&sig=x&download=1");
  assert.equal(downloadUrl("/api/artifacts/a1/content", "http://h/"), "http://h/api/artifacts/a1/content?download=1");
  assert.equal(downloadUrl("http://h/c?download=0#x", "http://h/"), "http://h/c?download=1#x");
});

test("links within a minute of expiry are dropped from the cache; good ones stay", () => {
  const now = 1_000_000;
  const links = new Map<string, CachedLink>([
    ["old", { url: "a", until: now - 1 }],
    ["soon", { url: "b", until: now + MARGIN_MS - 1 }],
    ["good", { url: "c", until: now + 5 * MARGIN_MS }],
  ]);
  dropExpired(links, now);
  assert.deepEqual([...links.keys()], ["good"]);
});
