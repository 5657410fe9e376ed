// Streams of values (float32, 16-bit gray) in <framecast-view>, from the
// real server, in headless Chromium (sRGB, scale 1, so a screenshot holds
// the colours drawn): the picture is the values through the producer's
// colormap and range, exactly as PROTOCOL.md maps them (checked against the
// server's frame.png of the same values and view, and at known colours:
// the range's ends, NaN); changing the colormap and typing a range on the
// colour bar repaints while the producer runs, and the producer's own
// colormap no longer overrides that; pixel() and the readout give the values
// (NaN by name); a 12-bit camera in a 16-bit array gets 0-4095.

import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { chromium } from "playwright-core";
import { BROWSER_FLAGS, browserPath } from "./chromium.mjs";
import { decodePng, postFrame, startServer } from "./harness.mjs";

const [W, H] = [64, 48];
const BOX = { width: 256, height: 192 };

/** A float field that moves with `t`, between -1.2 and 1.2 (past a range of
 * -1..1 at both ends), with a NaN at (3, 0) and (5, 40). */
function field(t) {
  const values = new Float32Array(W * H);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) values[y * W + x] = 1.2 * Math.sin(x * 0.11 + y * 0.07 + t);
  }
  values[3] = NaN;
  values[40 * W + 5] = NaN;
  return values;
}

/** A 12-bit camera: values up to 4000 in a 16-bit array. */
function camera() {
  const values = new Uint16Array(W * H);
  for (let i = 0; i < W * H; i++) values[i] = (i * 61) % 4001;
  return values;
}

const bytes = (array) => Buffer.from(array.buffer, array.byteOffset, array.byteLength);

let server;
let browser;
before(async () => {
  server = await startServer(["--source", "none"]);
  browser = await chromium.launch({ executablePath: browserPath, args: [...BROWSER_FLAGS, "--force-device-scale-factor=1", "--force-color-profile=srgb"] });
});
after(async () => {
  await browser?.close();
  await server?.stop();
});

const post = (stream, pixels, format, query = "") => postFrame(server.url, stream, W, H, bytes(pixels), format, query);

/** The picture the server makes of `values` under a colormap and range
 * (frame.png of a stream of its own): what the view must show. */
async function reference(values, query) {
  const stream = `reference-${Math.random().toString(36).slice(2)}`;
  await post(stream, values, "f32", query);
  const response = await fetch(new URL(`/api/streams/${stream}/frame.png`, server.url));
  assert.equal(response.status, 200);
  return decodePng(Buffer.from(await response.arrayBuffer()));
}

async function openView(stream) {
  const page = await browser.newPage({ viewport: null });
  await page.goto(new URL(`/?stream=${stream}`, server.url).href);
  await page.evaluate(
    ({ stream, box }) => {
      document.body.innerHTML = "";
      const view = document.createElement("framecast-view");
      view.id = "values";
      view.setAttribute("stream", stream);
      view.setAttribute("fit", "none");
      Object.assign(view.style, { position: "absolute", left: "0", top: "0", width: `${box.width}px`, height: `${box.height}px` });
      document.body.append(view);
    },
    { stream, box: BOX },
  );
  await page.waitForFunction(() => document.getElementById("values").state.seq > 0, null, { timeout: 30_000 });
  await page.mouse.move(BOX.width + 50, BOX.height + 50);
  return page;
}

/** The frame's pixels on screen (fit none: centred, one device pixel each),
 * RGB, once the view has drawn frame `seq`. */
async function shownPixels(page, seq) {
  await page.waitForFunction((seq) => document.getElementById("values").state.seq >= seq, seq, { timeout: 30_000 });
  await page.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve))));
  await new Promise((resolve) => setTimeout(resolve, 100));
  const shot = decodePng(await page.screenshot({ clip: { x: (BOX.width - W) / 2, y: (BOX.height - H) / 2, width: W, height: H }, scale: "device" }));
  const rgb = Buffer.alloc(W * H * 3);
  for (let i = 0; i < W * H; i++) shot.pixels.copy(rgb, i * 3, i * shot.channels, i * shot.channels + 3);
  return rgb;
}

function sameColours(shown, expected, what) {
  for (let i = 0; i < W * H; i++) {
    const [a, b] = [shown.subarray(i * 3, i * 3 + 3), expected.pixels.subarray(i * expected.channels, i * expected.channels + 3)];
    if (!a.equals(b)) assert.fail(`${what}: pixel (${i % W}, ${Math.floor(i / W)}) shows ${[...a]}, the colormap gives ${[...b]}`);
  }
}

const colourAt = (rgb, x, y) => [...rgb.subarray((y * W + x) * 3, (y * W + x) * 3 + 3)];

test("a float field: the producer's colormap, changed in the view while it runs, exact values under the pointer", async () => {
  let t = 0;
  let seq = await post("field", field(t), "f32", "&colormap=viridis&vmin=-1&vmax=1");
  const page = await openView("field");
  try {
    // Viridis over -1..1: past the ends the ends' colours, NaN magenta.
    let shown = await shownPixels(page, seq);
    sameColours(shown, await reference(field(t), "&colormap=viridis&vmin=-1&vmax=1"), "viridis, -1..1");
    const peak = field(t).indexOf(Math.max(...field(t).filter((v) => !Number.isNaN(v))));
    assert.deepEqual(colourAt(shown, peak % W, Math.floor(peak / W)), [0xfd, 0xe7, 0x25], "above the range: viridis's last colour");
    assert.deepEqual(colourAt(shown, 3, 0), [255, 0, 255], "NaN: magenta");
    const told = await page.evaluate(() => document.getElementById("values").valuesShown);
    assert.deepEqual(told, { format: "f32", colormap: "viridis", mode: "fixed", range: [-1, 1], bar: undefined });

    // pixel() and the readout: the float itself, NaN by name.
    const values = field(t);
    const pixel = await page.evaluate(() => document.getElementById("values").pixel(10, 20));
    assert.equal(pixel.value, values[20 * W + 10], "the float exactly");
    assert.deepEqual(pixel.values, [values[20 * W + 10]]);
    assert.deepEqual(pixel.rgba, [...colourAt(shown, 10, 20), 255]);
    const nan = await page.evaluate(() => document.getElementById("values").pixel(3, 0).then((p) => String(p.value)));
    assert.equal(nan, "NaN");
    await page.mouse.move((BOX.width - W) / 2 + 3.5, (BOX.height - H) / 2 + 0.5);
    await page.waitForFunction(() => /NaN/.test(document.getElementById("values").shadowRoot.querySelector(".readout").textContent));
    assert.equal(await page.evaluate(() => document.getElementById("values").shadowRoot.querySelector(".readout").textContent), "x 3  y 0   NaN");
    await page.mouse.move(BOX.width + 50, BOX.height + 50);

    // The producer goes on; the view changes the colormap and types a range
    // on the colour bar. Each frame comes in those.
    const running = setInterval(() => post("field", field((t += 0.05)), "f32").catch(() => {}), 30);
    try {
      await page.evaluate(() => {
        const bar = document.getElementById("values").shadowRoot.querySelector(".colourbar");
        const colormap = bar.querySelector("select");
        colormap.value = "magma";
        colormap.dispatchEvent(new Event("change"));
        const [lo, hi] = bar.querySelectorAll("input");
        lo.value = "-0.5";
        hi.value = "0.75";
        hi.dispatchEvent(new Event("change"));
      });
      await page.waitForFunction(() => {
        const shown = document.getElementById("values").valuesShown;
        return shown?.colormap === "magma" && shown.range[0] === -0.5;
      });
      await new Promise((resolve) => setTimeout(resolve, 300));
    } finally {
      clearInterval(running);
    }
    // The producer asks for turbo now: the view keeps what was chosen in it.
    t += 0.05;
    seq = await post("field", field(t), "f32", "&colormap=turbo&range=frame");
    shown = await shownPixels(page, seq);
    sameColours(shown, await reference(field(t), "&colormap=magma&vmin=-0.5&vmax=0.75"), "magma, -0.5..0.75, chosen in the view");
    const after = await page.evaluate(() => document.getElementById("values").valuesShown);
    assert.deepEqual([after.colormap, after.range], ["magma", [-0.5, 0.75]]);

    // The page's attributes choose too: coolwarm over the frame's range.
    await page.evaluate(() => {
      const view = document.getElementById("values");
      view.colormap = "coolwarm";
      view.range = "frame";
    });
    await page.waitForFunction(() => document.getElementById("values").valuesShown?.colormap === "coolwarm");
    shown = await shownPixels(page, seq);
    sameColours(shown, await reference(field(t), "&colormap=coolwarm&range=frame"), "coolwarm over the frame's range");
  } finally {
    await page.close();
  }
});

test("a 12-bit camera in 16 bits: 0 to 4095 automatically, integer values", async () => {
  const values = camera();
  const seq = await post("camera", values, "gray16");
  const page = await openView("camera");
  try {
    await shownPixels(page, seq);
    const shown = await page.evaluate(() => document.getElementById("values").valuesShown);
    assert.deepEqual([shown.format, shown.colormap, shown.mode, shown.range], ["gray16", "gray", "auto", [0, 4095]]);
    const pixel = await page.evaluate(() => document.getElementById("values").pixel(7, 9));
    assert.equal(pixel.value, values[9 * W + 7]);
    // Gray over 0..4095: value v gets gray floor(v * (256 / 4095)), in
    // single precision (PROTOCOL.md), clamped to 255.
    const scale = Math.fround(256 / 4095);
    const expected = Math.min(255, Math.floor(Math.fround(values[9 * W + 7] * scale)));
    assert.deepEqual(pixel.rgba, [expected, expected, expected, 255]);
  } finally {
    await page.close();
  }
});
