// The work of link.test.mjs, run inside a network namespace of its own:
// limits what the framecast server sends to LINK_MBIT, publishes a moving
// natural picture at PRODUCER_FPS over the ingest WebSocket, watches it in
// the page (headless Chromium), then stops changing it and waits for the
// canvas to equal the published frame. Prints one line of JSON.
//
// By hand: `unshare --net node link-check.mjs` (root);
// FRAMECAST_LINK_LOG=1 RUST_LOG=info,framecast_server::quality=debug adds
// the server's log, with each viewer's quality decisions, on stderr.

import { once } from "node:events";
import WebSocket from "ws";
import { canvasPixels, firstDifference, launchBrowser, publishMessage, publishedFrame, startServer } from "./harness.mjs";
import { limitLink, shapePort } from "./netns.mjs";

const LINK_MBIT = 10;
const PRODUCER_FPS = 30;
const [W, H] = [480, 360];
const MOVING_S = 4;
const MEASURE_FROM_S = 1.5; // the first keyframe and the first estimate of the link come before

/** Frame `t` of a smooth full-frame animation (a simulation, a camera pan). */
function plasma(t) {
  const pixels = Buffer.alloc(W * H * 3);
  for (let y = 0, i = 0; y < H; y += 1) {
    for (let x = 0; x < W; x += 1, i += 3) {
      const v = Math.sin(x * 0.021 + t * 0.13) + Math.sin(y * 0.017 - t * 0.09) + Math.sin((x + y) * 0.011 + t * 0.05);
      pixels[i] = 128 + 40 * v;
      pixels[i + 1] = 128 + 40 * Math.sin(v * 2.1 + t * 0.07);
      pixels[i + 2] = 128 - 40 * v;
    }
  }
  return pixels;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

limitLink(LINK_MBIT);
const server = await startServer(["--source", "none"]);
shapePort(Number(new URL(server.url).port));
const browser = await launchBrowser();
try {
  const producer = new WebSocket(new URL("/ingest/nature", server.url.replace("http", "ws")));
  await once(producer, "open");
  const frames = Array.from({ length: 60 }, (_, t) => publishMessage(W, H, plasma(t)));
  producer.send(frames[0]);
  await sleep(200);
  const page = await browser.newPage();
  await page.goto(`${server.url}?stream=nature`);
  await page.waitForFunction(() => window.framecast.seq > 0, null, { timeout: 20_000 });

  // Moving: one frame each 1/PRODUCER_FPS s; count what the page shows.
  let published = 1;
  let lossySeen = false;
  let before = null;
  const start = performance.now();
  while (performance.now() - start < MOVING_S * 1000) {
    producer.send(frames[published % frames.length]);
    published += 1;
    const elapsed = (performance.now() - start) / 1000;
    if (elapsed >= MEASURE_FROM_S && before === null) {
      before = { at: elapsed, published, ...(await page.evaluate(() => ({ ...window.framecast }))) };
    }
    lossySeen ||= await page.evaluate(() => window.framecast.lossy);
    const next = start + (published * 1000) / PRODUCER_FPS;
    await sleep(Math.max(0, next - performance.now()));
  }
  const after = { at: (performance.now() - start) / 1000, published, ...(await page.evaluate(() => ({ ...window.framecast }))) };
  const seconds = after.at - before.at;

  // Still: the last frame stays; wait for the canvas to equal it.
  const stopped = performance.now();
  const expected = (await publishedFrame(server.url, "nature")).rgba;
  let exactAfterMs = null;
  while (performance.now() - stopped < 10_000) {
    if (firstDifference(await canvasPixels(page), expected) === -1) {
      exactAfterMs = Math.round(performance.now() - stopped);
      break;
    }
    await sleep(20);
  }
  const end = await page.evaluate(() => ({ ...window.framecast }));
  producer.close();
  console.log(JSON.stringify({
    link_mbit: LINK_MBIT,
    producer_fps: (after.published - before.published) / seconds,
    shown_fps: (after.frames - before.frames) / seconds,
    bytes_per_frame: (after.bytes - before.bytes) / Math.max(1, after.applied - before.applied),
    lossy_seen: lossySeen,
    exact_after_ms: exactAfterMs,
    lossy_at_end: end.lossy,
  }));
} finally {
  await browser.close();
  await server.stop();
  if (process.env.FRAMECAST_LINK_LOG) process.stderr.write(server.log());
}
