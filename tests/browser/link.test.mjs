// framecast over slow and distant links: the real server and the real page
// in headless Chromium, the page's connection through a relay that delays
// each direction by half a round trip (relay.mjs) and, for bandwidth, what
// the server sends limited by tc in a network namespace the test makes
// (netns.mjs; those cases are skipped, with the reason, where none can be
// made). The work runs in link-check.mjs; this file asserts on the figures
// it prints.
//
// The window of frames in flight is measured, not fixed (crates/server/src/
// link.rs): across a long path a small moving sprite keeps near the
// producer's rate where two frames a round trip would give 10 a second at
// 200 ms; over a long fast path a moving simulation stays exact; over a
// slow one a moving camera goes JPEG, keeps its rate, and is exact soon
// after it stops; so does a float field, its values quantized (PROTOCOL.md)
// while it moves and exact once still.

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import path from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { runInNamespace, whyNoNamespace } from "./netns.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const why = whyNoNamespace();
const noNamespace = why ? `no network namespace with tc here (${why})` : false;

/** Runs link-check.mjs with `content` of `size` over `rttMs` and `mbit`
 * (0: no limit, no namespace needed); returns what it measured. */
function check(content, rttMs, mbit = 0, size = "640x480") {
  const script = path.join(here, "link-check.mjs");
  const env = { FRAMECAST_CHECK_CONTENT: content, FRAMECAST_CHECK_RTT_MS: String(rttMs), FRAMECAST_CHECK_MBIT: String(mbit), FRAMECAST_CHECK_SIZE: size };
  const options = { encoding: "utf8", timeout: 120_000 };
  const run = mbit ? runInNamespace(script, [], env, options) : spawnSync(process.execPath, [script], { ...options, env: { ...process.env, ...env } });
  assert.equal(run.status, 0, `link-check.mjs failed:\n${run.stdout}\n${run.stderr}`);
  const result = JSON.parse(run.stdout.trim().split("\n").at(-1));
  console.log(`${content} at ${rttMs} ms${mbit ? ` over ${mbit} Mbit/s` : ""}: ${result.shown_fps.toFixed(1)} frames shown/s of ${result.producer_fps.toFixed(1)} published, ` +
    `latency p50 ${result.latency_p50_ms} ms, ${(result.bytes_per_frame / 1000).toFixed(1)} KB a message, went lossy ${result.lossy_times} times, exact ${result.exact_after_ms} ms after the last change`);
  assert.ok(result.relayed_connections >= 1, "the page's connection went through the relay");
  assert.ok(result.exact_after_ms !== null, "the canvas became exact");
  assert.ok(!result.lossy_at_end, "the page says the picture is exact");
  return result;
}

test("a moving picture over 10 Mbit/s keeps its rate, then shows exact pixels once still", { skip: noNamespace }, () => {
  const result = check("plasma", 0, 10, "480x360");
  assert.ok(result.lossy_times > 0, "the page said it showed JPEG tiles (the link cannot carry the exact deltas)");
  assert.ok(result.shown_fps >= 0.6 * result.producer_fps, `frames shown ${result.shown_fps} of ${result.producer_fps} published`);
  assert.ok(result.exact_after_ms <= 3000, `exact ${result.exact_after_ms} ms after the last change`);
});

test("at 200 ms of round trip a moving sprite is shown far above two frames a round trip", () => {
  const result = check("sprite", 200);
  assert.ok(result.shown_fps >= 20, `frames shown ${result.shown_fps}/s; two a round trip would be 10`);
  assert.equal(result.lossy_times, 0, "a sprite's deltas are small: exact all along");
});

test("at 100 ms of round trip with no bandwidth limit a moving simulation stays exact", () => {
  const result = check("plasma", 100);
  assert.equal(result.lossy_times, 0, "no JPEG tile was sent: the path carries the exact deltas");
  assert.ok(result.shown_fps >= 20, `frames shown ${result.shown_fps}/s of ${result.producer_fps}`);
});

test("at 100 ms and 20 Mbit/s a moving camera keeps near its rate on JPEG, then is exact", { skip: noNamespace }, () => {
  const result = check("camera", 100, 20);
  assert.ok(result.lossy_times > 0, "the link cannot carry the exact deltas: JPEG tiles while moving");
  assert.ok(result.shown_fps >= 0.6 * result.producer_fps, `frames shown ${result.shown_fps} of ${result.producer_fps} published`);
  assert.ok(result.exact_after_ms <= 3000, `exact ${result.exact_after_ms} ms after the last change`);
});

test("over 10 Mbit/s a moving float field arrives lossy, then every value exact once still", { skip: noNamespace }, () => {
  const result = check("field", 0, 10, "320x240");
  assert.ok(result.lossy_times > 0, "the page said it showed JPEG tiles: 0.2 MB of exact floats a frame do not fit");
  assert.equal(result.wrong_values, 0, "every value checked is the published float, bit for bit");
  assert.ok(result.shown_fps >= 0.6 * result.producer_fps, `frames shown ${result.shown_fps} of ${result.producer_fps} published`);
  assert.ok(result.exact_after_ms <= 3000, `exact ${result.exact_after_ms} ms after the last change`);
});
