// The real framecast server, the real page, headless Chromium: the canvas
// must show exactly the pixels published, keep animating, and come back by
// itself when the server does.

import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { canvasPixels, firstDifference, launchBrowser, publishedFrame, startServer, statusText, waitForState } from "./harness.mjs";

let browser;
before(async () => {
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
});

async function openPage(url) {
  const page = await browser.newPage();
  const errors = [];
  page.on("pageerror", (error) => errors.push(error));
  await page.goto(url);
  return { page, errors };
}

/** Runs a finite source to its last frame and compares the canvas with it. */
async function assertLastFrameExact(sourceArgs, frames, stream) {
  const server = await startServer([...sourceArgs, "--frames", String(frames)]);
  try {
    const { page, errors } = await openPage(server.url);
    const state = await waitForState(page, (n) => window.framecast?.seq === n, frames);
    const published = await publishedFrame(server.url, stream);
    assert.equal(published.seq, frames);
    assert.deepEqual([state.width, state.height], [published.width, published.height]);
    const shown = await canvasPixels(page);
    const differs = firstDifference(shown, published.rgba);
    assert.equal(differs, -1, `canvas pixel ${differs} differs from the published frame`);
    assert.deepEqual(errors, []);
    await page.close();
  } finally {
    await server.stop();
  }
}

test("demo: the canvas equals the last published frame exactly", async () => {
  await assertLastFrameExact(["--source", "demo", "--size", "1000x1000", "--fps", "60"], 90, "demo");
});

test("odd size noise: raw tiles and clipped edge tiles arrive exactly", async () => {
  await assertLastFrameExact(["--source", "noise", "--size", "333x257", "--fps", "30"], 12, "noise");
});

test("?quality=30: JPEG tiles while the picture changes, refined to exact pixels once it stops", async () => {
  const frames = 12;
  const server = await startServer(["--source", "noise", "--size", "333x257", "--fps", "30", "--frames", String(frames)]);
  try {
    const { page, errors } = await openPage(`${server.url}?stream=noise&quality=30`);
    const state = await waitForState(page, (n) => window.framecast?.seq === n && !window.framecast.lossy && window.framecast.refinements > 0, frames);
    assert.equal(state.quality, "30");
    const differs = firstDifference(await canvasPixels(page), (await publishedFrame(server.url, "noise")).rgba);
    assert.equal(differs, -1, `canvas pixel ${differs} differs from the published frame`);
    assert.match(await statusText(page), /·\s+30\b/);
    assert.doesNotMatch(await statusText(page), /refining/);
    assert.deepEqual(errors, []);
    await page.close();
  } finally {
    await server.stop();
  }
});

test("the demo is visible and animating, with a status line", async () => {
  const server = await startServer(["--source", "demo", "--fps", "30"]);
  try {
    const { page, errors } = await openPage(server.url);
    await waitForState(page, () => window.framecast?.seq > 5);
    const first = await canvasPixels(page);
    const firstSeq = await page.evaluate(() => window.framecast.seq);
    await waitForState(page, (seq) => window.framecast.seq > seq + 5, firstSeq);
    const later = await canvasPixels(page);
    assert.notEqual(firstDifference(first, later), -1, "the picture changes");
    // Not a blank canvas: many distinct colours.
    const colours = new Set();
    for (let i = 0; i < later.length; i += 4 * 97) colours.add(later.readUInt32LE(i));
    assert.ok(colours.size > 50, `${colours.size} colours`);
    await page.waitForFunction(() => /fps/.test(document.getElementById("view").statusText), null, { timeout: 5000 });
    const status = await statusText(page);
    assert.match(status, /1000×1000 .* fps .* KB\/s .* decode/);
    await page.screenshot({ path: "test-results/demo.png" });
    assert.deepEqual(errors, []);
    await page.close();
  } finally {
    await server.stop();
  }
});

test("the page reconnects when the server comes back", async () => {
  let server = await startServer(["--source", "demo", "--size", "320x240"]);
  const bind = new URL(server.url).host;
  try {
    const { page } = await openPage(server.url);
    await waitForState(page, () => window.framecast?.seq > 3);
    await server.stop();
    await waitForState(page, () => !window.framecast.connected);
    assert.match(await statusText(page), /the server stopped; retrying/);

    server = await startServer(["--source", "demo", "--size", "320x240"], { bind });
    const before = await page.evaluate(() => window.framecast.frames);
    const state = await waitForState(page, (n) => window.framecast.connected && window.framecast.frames > n + 3, before);
    assert.ok(state.seq > 0);
    await page.close();
  } finally {
    await server.stop();
  }
});
