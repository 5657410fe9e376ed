// framecast over a slow link: the real server and the real page in headless
// Chromium, with what the server sends limited by tc in a network namespace
// the test makes (netns.mjs). A moving natural picture keeps a frame rate
// near the producer's (JPEG tiles while it moves), and once the producer
// stops changing it the canvas equals the published frame exactly within a
// bounded time. Skipped, with the reason, where no namespace can be made.
//
// The work runs in link-check.mjs under `unshare --net`; this file asserts
// on the figures it prints.

import assert from "node:assert/strict";
import path from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { runInNamespace, whyNoNamespace } from "./netns.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const why = whyNoNamespace();

test("a moving picture over 10 Mbit/s keeps its rate, then shows exact pixels once still", { skip: why ? `no network namespace with tc here (${why})` : false }, () => {
  const run = runInNamespace(path.join(here, "link-check.mjs"), [], {}, { encoding: "utf8", timeout: 120_000 });
  assert.equal(run.status, 0, `link-check.mjs failed:\n${run.stdout}\n${run.stderr}`);
  const result = JSON.parse(run.stdout.trim().split("\n").at(-1));
  console.log(`over ${result.link_mbit} Mbit/s: ${result.shown_fps.toFixed(1)} frames shown/s of ${result.producer_fps.toFixed(1)} published, ` +
    `${(result.bytes_per_frame / 1000).toFixed(1)} KB a message, exact ${result.exact_after_ms} ms after the last change`);
  assert.ok(result.lossy_seen, "the page said it showed JPEG tiles (the link cannot carry the exact deltas)");
  assert.ok(result.shown_fps >= 0.6 * result.producer_fps, `frames shown ${result.shown_fps} of ${result.producer_fps} published`);
  assert.ok(result.exact_after_ms !== null, "the canvas became exact");
  assert.ok(result.exact_after_ms <= 3000, `exact ${result.exact_after_ms} ms after the last change`);
  assert.ok(!result.lossy_at_end, "the page says the picture is exact");
});
