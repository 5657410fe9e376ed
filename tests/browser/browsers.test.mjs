// The element in the other engines users have: Firefox ESR and WebKit
// (Safari's engine), as a user's own page has it: examples/embed.html from a
// static server of another origin, which the framecast server allows,
// loading the element from the server. On a finite demo the view, which
// decodes in a worker there too, must show the last published frame exactly,
// and its snapshot decode to it.

import assert from "node:assert/strict";
import { test } from "node:test";
import { launchFirefox, launchWebKit } from "./browsers.mjs";
import path from "node:path";
import { decodePng, firstDifference, publishedFrame, repo, serveDirectory, startServer } from "./harness.mjs";

const FRAMES = 10;

/** The page's first view, once it shows frame `FRAMES`: its canvas's
 * pixels and its snapshot, base64. */
const READ_VIEW = `
  const deadline = Date.now() + 30000;
  const view = () => document.getElementById("first");
  while (view()?.state?.seq !== ${FRAMES}) {
    if (Date.now() > deadline) return { seq: view()?.state?.seq ?? null, status: view()?.statusText };
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const { data } = await view().shown();
  const base64 = (bytes) => {
    let binary = "";
    for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
    return btoa(binary);
  };
  const png = new Uint8Array(await (await view().snapshot()).arrayBuffer());
  return { seq: view().state.seq, worker: view().worker, canvas: base64(data), png: base64(png) };
`;

for (const [name, launch] of [
  ["Firefox ESR", launchFirefox],
  ["WebKit", launchWebKit],
]) {
  test(`${name}: the element shows the published frame exactly`, async () => {
    const site = await serveDirectory(path.join(repo, "examples"));
    const server = await startServer(["--source", "demo", "--size", "333x257", "--fps", "20", "--frames", String(FRAMES), "--allow-origin", site.url]);
    const browser = await launch();
    try {
      await browser.goto(`${site.url}embed.html?server=${encodeURIComponent(server.url)}&streams=demo,demo`);
      const shown = await browser.evaluate(READ_VIEW);
      assert.equal(shown.seq, FRAMES, `the view got to frame ${FRAMES}: ${JSON.stringify(shown)}`);
      assert.equal(shown.worker, true, "the element decodes in a worker");
      const published = await publishedFrame(server.url, "demo");
      const differs = firstDifference(Buffer.from(shown.canvas, "base64"), published.rgba);
      assert.equal(differs, -1, `canvas pixel ${differs} differs from the published frame`);
      const snapshot = decodePng(Buffer.from(shown.png, "base64"));
      const raw = await (await fetch(new URL("api/streams/demo/frame", server.url))).arrayBuffer();
      assert.ok(snapshot.pixels.equals(Buffer.from(raw)), "the snapshot is the published frame");
    } finally {
      await browser.close();
      await server.stop();
      await site.close();
    }
  });
}
