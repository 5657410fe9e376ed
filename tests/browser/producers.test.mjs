// Producers over the network and a real page: frames POSTed or sent over the
// ingest WebSocket show exactly, the page follows the producer going away,
// picks streams, and sends clicks and keys back to the producer.

import assert from "node:assert/strict";
import { once } from "node:events";
import { after, before, test } from "node:test";
import WebSocket from "ws";
import { canvasPixels, firstDifference, launchBrowser, postFrame, publishMessage, publishedFrame, startServer, statusText, waitForState } from "./harness.mjs";

let browser;
let server;
before(async () => {
  browser = await launchBrowser();
  server = await startServer(["--source", "none"]);
});
after(async () => {
  await browser?.close();
  await server?.stop();
});

function pattern(width, height, shift) {
  const pixels = Buffer.alloc(width * height * 3);
  for (let i = 0; i < pixels.length; i++) pixels[i] = (i * 7 + shift) & 0xff;
  return pixels;
}

const post = (stream, width, height, pixels) => postFrame(server.url, stream, width, height, pixels);

/** A producer on the ingest WebSocket that collects the JSON it is sent. */
async function connectProducer(stream) {
  const socket = new WebSocket(new URL(`/ingest/${stream}`, server.url.replace("http", "ws")));
  const received = [];
  socket.on("message", (data, isBinary) => {
    if (!isBinary) received.push(JSON.parse(data.toString()));
  });
  await once(socket, "open");
  return {
    received,
    publish(width, height, pixels) {
      socket.send(publishMessage(width, height, pixels));
    },
    async close() {
      socket.close();
      await once(socket, "close");
    },
  };
}

test("identical frames keep flowing: every one is acked", async () => {
  const pixels = pattern(64, 64, 1);
  const page = await browser.newPage();
  await post("still", 64, 64, pixels);
  await page.goto(new URL("/?stream=still", server.url).href);
  await waitForState(page, () => window.framecast?.seq === 1);
  let seq;
  for (let i = 0; i < 12; i++) seq = await post("still", 64, 64, pixels);
  await waitForState(page, (n) => window.framecast.seq === n, seq);
  await page.close();
});

test("a scrolling page arrives exactly, each scroll costing the rows it uncovers", async () => {
  const [width, height, step, frames] = [400, 600, 5, 6];
  // A tall page of distinct rows; frame k shows rows 5k .. 5k + 600.
  const tall = Buffer.alloc(width * (height + step * frames) * 3);
  let state = 0x9e3779b9;
  for (let i = 0; i < tall.length; i++) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    tall[i] = state & 0xff;
  }
  const frame = (k) => tall.subarray(k * step * width * 3, (k * step + height) * width * 3);
  const page = await browser.newPage();
  await post("scroll", width, height, frame(0));
  await page.goto(new URL("/?stream=scroll", server.url).href);
  await waitForState(page, () => window.framecast?.seq === 1);
  for (let k = 1; k < frames; k++) {
    const bytesBefore = await page.evaluate(() => window.framecast.bytes);
    const seq = await post("scroll", width, height, frame(k));
    const shown = await waitForState(page, (n) => window.framecast.seq === n, seq);
    assert.equal(firstDifference(await canvasPixels(page), (await publishedFrame(server.url, "scroll")).rgba), -1, `frame ${k}`);
    // Noise does not compress: without the scroll record every tile would
    // be resent (720 KB); with it only the bottom row of tiles is.
    const bytes = shown.bytes - bytesBefore;
    assert.ok(bytes < (width * height * 3) / 3, `frame ${k} cost ${bytes} bytes`);
  }
  await page.close();
});

test("the page lists streams and a link opens one exactly", async () => {
  await post("first", 50, 40, pattern(50, 40, 2));
  await post("second", 70, 30, pattern(70, 30, 3));
  const page = await browser.newPage();
  await page.goto(new URL("/?stream=first", server.url).href);
  await waitForState(page, () => window.framecast?.seq >= 1);
  await page.waitForFunction(() => document.querySelectorAll("#streams option").length >= 2);
  const options = await page.$$eval("#streams option", (all) => all.map((o) => o.value));
  assert.ok(options.includes("first") && options.includes("second"), options.join());

  await Promise.all([page.waitForNavigation(), page.selectOption("#streams", "second")]);
  assert.match(page.url(), /stream=second/);
  const state = await waitForState(page, () => window.framecast?.seq >= 1 && window.framecast.width === 70);
  const published = await publishedFrame(server.url, "second");
  assert.deepEqual([state.width, state.height], [70, 30]);
  assert.equal(firstDifference(await canvasPixels(page), published.rgba), -1);
  await page.close();
});

test("clicks and keys on the canvas reach the producer; the page says when it leaves", async () => {
  const producer = await connectProducer("gui");
  producer.publish(200, 100, pattern(200, 100, 4));
  const page = await browser.newPage();
  await page.goto(new URL("/?stream=gui", server.url).href);
  await waitForState(page, () => window.framecast?.seq === 1 && window.framecast.producerOnline === true);

  // The page shows the 200x100 frame at its size in the middle of the view.
  const box = await page.locator("#view").boundingBox();
  const [left, top] = [box.x + (box.width - 200) / 2, box.y + (box.height - 100) / 2];
  await page.mouse.click(left + 50.5, top + 20.5);
  await page.keyboard.press("q");
  const deadline = Date.now() + 10_000;
  while (!producer.received.some((e) => e.type === "keyup") && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const down = producer.received.find((e) => e.type === "pointerdown");
  assert.ok(down, JSON.stringify(producer.received));
  assert.equal(down.button, 0);
  assert.ok(Math.abs(down.x - 50.5) < 1 && Math.abs(down.y - 20.5) < 1, JSON.stringify(down));
  assert.ok(producer.received.some((e) => e.type === "pointerup"));
  const key = producer.received.find((e) => e.type === "keydown");
  assert.deepEqual([key?.key, key?.code], ["q", "KeyQ"]);

  await producer.close();
  await waitForState(page, () => window.framecast.producerOnline === false);
  assert.match(await statusText(page), /producer offline/);
  // The last frame stays on screen.
  const published = await publishedFrame(server.url, "gui");
  assert.equal(firstDifference(await canvasPixels(page), published.rgba), -1);
  await page.close();
});
