// Inspecting the pixels with <framecast-view>, from the real server, in
// headless Chromium at device scale factors 1, 1.5 and 2 (forced, with an
// sRGB colour profile, so a screenshot holds the exact colours drawn) and in
// Firefox ESR: wherever zoom times ratio is whole every image pixel is a
// square of whole device pixels of exactly the published colour; shrunk to
// fit, a one-pixel line stays visible; zoomed far in, the grid, the values
// on the pixels and the readout; the wheel and drag move the view as
// documented; in interact mode a click at a zoomed position reaches the
// producer in image coordinates; pause stops the server sending and resume
// shows the newest frame; frames are exact with the worker and without it.

import assert from "node:assert/strict";
import { once } from "node:events";
import { readFile } from "node:fs/promises";
import { after, before, test } from "node:test";
import { chromium } from "playwright-core";
import WebSocket from "ws";
import { launchFirefox } from "./browsers.mjs";
import { BROWSER_FLAGS, browserPath } from "./chromium.mjs";
import { canvasPixels, decodePng, firstDifference, postFrame, publishMessage, publishedFrame, startServer } from "./harness.mjs";

const [W, H] = [64, 48];
/** The element's box in CSS pixels. */
const BOX = { width: 256, height: 192 };

/** Every pixel its own colour, none of them grey: R from x, G from y. */
function picture(shift = 0) {
  const pixels = Buffer.alloc(W * H * 3);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const at = (y * W + x) * 3;
      pixels[at] = x * 4;
      pixels[at + 1] = 40 + y * 4;
      pixels[at + 2] = (x * 7 + y * 3 + shift * 50) & 0xff;
    }
  }
  return pixels;
}

/** 1000x600 black with a one-pixel white column at x 501 and row at y 301. */
function lines() {
  const [width, height] = [1000, 600];
  const pixels = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) pixels.fill(255, (y * width + 501) * 3, (y * width + 502) * 3);
  pixels.fill(255, 301 * width * 3, 302 * width * 3);
  return { width, height, pixels };
}

let server;
before(async () => {
  server = await startServer(["--source", "none"]);
  await post("still", W, H, picture());
  const { width, height, pixels } = lines();
  await post("lines", width, height, pixels);
});
after(async () => {
  await server?.stop();
});

const post = (stream, width, height, pixels) => postFrame(server.url, stream, width, height, pixels);

async function chromiumAt(scale) {
  return chromium.launch({ executablePath: browserPath, args: [...BROWSER_FLAGS, `--force-device-scale-factor=${scale}`, "--force-color-profile=srgb"] });
}

/** The server's page with its view replaced by one `<framecast-view>` at
 * the top left, BOX in size, with `attributes`; resolves once it shows a
 * frame. No viewport emulation: the device scale factor is the browser's. */
async function openView(browser, attributes) {
  const page = await browser.newPage({ viewport: null });
  await page.goto(new URL("/?stream=still", server.url).href);
  await page.evaluate(
    ({ attributes, box }) => {
      document.body.innerHTML = "";
      const view = document.createElement("framecast-view");
      view.id = "inspected";
      for (const [name, value] of Object.entries(attributes)) view.setAttribute(name, value);
      Object.assign(view.style, { position: "absolute", left: "0", top: "0", width: `${box.width}px`, height: `${box.height}px` });
      document.body.append(view);
    },
    { attributes, box: BOX },
  );
  await page.waitForFunction(() => document.getElementById("inspected").state.seq > 0, null, { timeout: 30_000 });
  await page.mouse.move(BOX.width + 50, BOX.height + 50); // away: no toolbar, no readout
  return page;
}

const view = (page) => page.evaluate(() => document.getElementById("inspected").view);

/** The element's screenshot in device pixels, once the view has drawn. */
async function screenshot(page) {
  await page.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve))));
  await new Promise((resolve) => setTimeout(resolve, 100)); // the worker's next frame
  return decodePng(await page.screenshot({ clip: { x: 0, y: 0, ...BOX }, scale: "device" }));
}

/**
 * Where image pixels land in `shot` for the element's `view` (the rule of
 * PROTOCOL's viewer section, as `placement()` computes it): calls
 * `check(dx, dy, x, y)` for every device pixel on the image, with the image
 * pixel it shows. Returns the device pixels per image pixel.
 */
function forEachImagePixel(shot, { scale, x: cx, y: cy }, dpr, frame, check) {
  const s = scale * dpr;
  const left = Math.round(shot.width / 2 - cx * s);
  const top = Math.round(shot.height / 2 - cy * s);
  for (let dy = 0; dy < shot.height; dy++) {
    for (let dx = 0; dx < shot.width; dx++) {
      const [x, y] = [Math.floor((dx - left) / s), Math.floor((dy - top) / s)];
      if (x >= 0 && y >= 0 && x < frame.width && y < frame.height) check(dx, dy, x, y, left, top, s);
    }
  }
  return s;
}

/** Device pixels of `shot` that are not exactly their image pixel's colour
 * in `pixels` (RGB), skipping those `skip(dx, dy, ...)` says to. */
function wrongPixels(shot, viewNow, dpr, pixels, skip = () => false) {
  const wrong = [];
  forEachImagePixel(shot, viewNow, dpr, { width: W, height: H }, (dx, dy, x, y, left, top, s) => {
    if (skip(dx, dy, x, y, left, top, s)) return;
    const o = (dy * shot.width + dx) * shot.channels;
    const i = (y * W + x) * 3;
    if (shot.pixels[o] !== pixels[i] || shot.pixels[o + 1] !== pixels[i + 1] || shot.pixels[o + 2] !== pixels[i + 2]) {
      wrong.push({ device: [dx, dy], image: [x, y], shown: [...shot.pixels.subarray(o, o + 3)], published: [...pixels.subarray(i, i + 3)] });
    }
  });
  return wrong;
}

for (const dpr of [1, 1.5, 2]) {
  test(`device scale factor ${dpr}: exact squares of device pixels, a one-pixel line survives fitting, grid and readout`, async () => {
    const browser = await chromiumAt(dpr);
    try {
      const pixels = picture();
      const page = await openView(browser, { stream: "still", fit: "none" });
      assert.equal(await page.evaluate(() => devicePixelRatio), dpr);
      assert.equal(await page.evaluate(() => document.getElementById("inspected").worker), true, "decoded in a worker");

      // Whole device pixels per image pixel: fit="none" at 1 and 2;
      // zoomTo(2) at 1.5 (3 device pixels); one per device pixel at any ratio.
      const whole = dpr === 1.5 ? [() => page.evaluate(() => document.getElementById("inspected").zoomTo(2, 32, 24))] : [() => {}];
      whole.push(() => page.evaluate(() => document.getElementById("inspected").zoomTo(1, 20, 16, { device: true })));
      for (const zoom of whole) {
        await zoom();
        const now = await view(page);
        const shot = await screenshot(page);
        assert.equal(shot.width, Math.round(BOX.width * dpr));
        const wrong = wrongPixels(shot, now, dpr, pixels);
        assert.deepEqual(wrong.slice(0, 3), [], `every device pixel shows its image pixel exactly (view ${JSON.stringify(now)})`);
      }

      // 8 CSS pixels per image pixel: squares of 8 x dpr device pixels, the
      // grid on their top and left edges, their inside exact.
      await page.evaluate(() => document.getElementById("inspected").zoomTo(8, 20, 10));
      const zoomed = await view(page);
      assert.deepEqual(zoomed, { scale: 8, x: 20, y: 10, fitted: false });
      const shot = await screenshot(page);
      const line = Math.max(1, Math.round(dpr));
      const onGrid = (dx, dy, x, y, left, top) => dx - (left + x * 8 * dpr) < line || dy - (top + y * 8 * dpr) < line;
      assert.deepEqual(wrongPixels(shot, zoomed, dpr, pixels, onGrid).slice(0, 3), [], "inside the squares: the exact colour");
      const gridded = wrongPixels(shot, zoomed, dpr, pixels, (...args) => !onGrid(...args)).length;
      assert.ok(gridded > 100, `grid lines drawn over the pixel edges (${gridded} device pixels)`);

      // The readout and the pointer event for the pixel under the pointer.
      const events = page.evaluate(
        () => new Promise((resolve) => document.getElementById("inspected").addEventListener("pointer", (event) => event.detail.x === 22 && resolve(event.detail))),
      );
      // Image pixel (22, 11)'s centre, in CSS pixels from the element's corner.
      const at = { x: BOX.width / 2 + (22.5 - 20) * 8, y: BOX.height / 2 + (11.5 - 10) * 8 };
      await page.mouse.move(at.x, at.y);
      const detail = await events;
      const i = (11 * W + 22) * 3;
      const expected = [pixels[i], pixels[i + 1], pixels[i + 2]];
      assert.deepEqual(detail, { x: 22, y: 11, rgba: [...expected, 255], values: expected, exact: true });
      const readout = await page.evaluate(() => document.getElementById("inspected").shadowRoot.querySelector(".readout").textContent);
      assert.match(readout, new RegExp(`^x 22  y 11   R +${expected[0]}  G +${expected[1]}  B +${expected[2]}$`));
      await page.mouse.move(BOX.width + 50, BOX.height + 50);

      // Further in, the values are printed on the pixels: the square of
      // (20, 10) holds its colour and the text's.
      await page.evaluate(() => document.getElementById("inspected").zoomTo(64, 20.5, 10.5));
      const close = await screenshot(page);
      const colours = new Set();
      const j = (10 * W + 20) * 3;
      forEachImagePixel(close, await view(page), dpr, { width: W, height: H }, (dx, dy, x, y) => {
        if (x !== 20 || y !== 10) return;
        const o = (dy * close.width + dx) * close.channels;
        colours.add(close.pixels.subarray(o, o + 3).join(","));
      });
      assert.ok(colours.has([pixels[j], pixels[j + 1], pixels[j + 2]].join(",")), "the pixel's colour");
      assert.ok(colours.has("255,255,255") || colours.has("0,0,0"), `its values printed on it (${colours.size} colours)`);
      await page.close();

      // Shrunk to fit (0.256 CSS pixels per image pixel), a one-pixel white
      // column and row of a black frame stay visible all along: filtered,
      // not dropped (nearest-neighbour sampling shows them fully or not at
      // all; filtered, a quarter of a pixel's worth of white is about 30-65
      // out of 255, spread over one or two device pixels).
      const LIT = 24;
      const fitted = await openView(browser, { stream: "lines", fit: "contain" });
      const place = await view(fitted);
      assert.ok(place.fitted && place.scale < 0.3, JSON.stringify(place));
      const small = await screenshot(fitted);
      const s = place.scale * dpr;
      const left = Math.round(small.width / 2 - place.x * s);
      const top = Math.round(small.height / 2 - place.y * s);
      const brightness = (dx, dy) => small.pixels[(dy * small.width + dx) * small.channels];
      const column = Math.floor(left + 501.5 * s);
      const row = Math.floor(top + 301.5 * s);
      const columnLit = [...Array(Math.floor(600 * s) - 4).keys()].filter((n) => Math.max(brightness(column - 1, top + 2 + n), brightness(column, top + 2 + n), brightness(column + 1, top + 2 + n)) >= LIT);
      const rowLit = [...Array(Math.floor(1000 * s) - 4).keys()].filter((n) => Math.max(brightness(left + 2 + n, row - 1), brightness(left + 2 + n, row), brightness(left + 2 + n, row + 1)) >= LIT);
      assert.equal(columnLit.length, Math.floor(600 * s) - 4, "the column shows along its whole length");
      assert.equal(rowLit.length, Math.floor(1000 * s) - 4, "the row shows along its whole length");
      await fitted.close();
    } finally {
      await browser.close();
    }
  });
}

test("the wheel zooms about the pointer only with ctrl or after a click, a drag pans, keys and double-click", async () => {
  const browser = await chromiumAt(1);
  try {
    const page = await openView(browser, { stream: "still" });
    const changes = await page.evaluateHandle(() => {
      const seen = [];
      document.getElementById("inspected").addEventListener("viewchange", (event) => seen.push(event.detail));
      return seen;
    });
    const fitted = await view(page);
    assert.deepEqual(fitted, { scale: 4, x: 32, y: 24, fitted: true }, "contain: 256/64 CSS pixels per image pixel");
    const pointer = { x: 160, y: 64 };
    const under = (v) => ({ x: v.x + (pointer.x - BOX.width / 2) / v.scale, y: v.y + (pointer.y - BOX.height / 2) / v.scale });
    await page.mouse.move(pointer.x, pointer.y);

    // No modifier, no click: the wheel is the page's.
    await page.mouse.wheel(0, -200);
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.deepEqual(await view(page), fitted, "the wheel alone does not zoom");

    await page.keyboard.down("Control");
    await page.mouse.wheel(0, -200);
    await page.keyboard.up("Control");
    await page.waitForFunction(() => !document.getElementById("inspected").view.fitted);
    const zoomed = await view(page);
    assert.ok(Math.abs(zoomed.scale - 4 * Math.exp(200 / 500)) < 1e-6, `ctrl + wheel zooms by e per 500 pixels: ${zoomed.scale}`);
    for (const axis of ["x", "y"]) assert.ok(Math.abs(under(zoomed)[axis] - under(fitted)[axis]) < 1e-6, "the point under the pointer stays");

    // A drag of 40 CSS pixels to the left moves the view right by 40 / scale.
    await page.mouse.down();
    await page.mouse.move(pointer.x - 20, pointer.y, { steps: 2 });
    await page.mouse.move(pointer.x - 40, pointer.y, { steps: 2 });
    await page.mouse.up();
    const dragged = await view(page);
    assert.ok(Math.abs(dragged.x - (zoomed.x + 40 / zoomed.scale)) < 1e-6 && Math.abs(dragged.y - zoomed.y) < 1e-6, JSON.stringify({ zoomed, dragged }));

    // After a click in the view, the wheel zooms without a modifier.
    await page.mouse.wheel(0, 200);
    await page.waitForFunction((scale) => document.getElementById("inspected").view.scale < scale, dragged.scale);

    // Keys: + doubles, 1 is one image pixel per device pixel, 0 fits.
    const scale = (await view(page)).scale;
    await page.keyboard.press("+");
    assert.ok(Math.abs((await view(page)).scale - scale * 2) < 1e-9);
    await page.keyboard.press("1");
    assert.equal((await view(page)).scale, 1);
    await page.keyboard.press("0");
    assert.deepEqual(await view(page), fitted);

    // Double-click: 1:1 at the pointer, and back.
    await page.mouse.dblclick(pointer.x, pointer.y);
    const actual = await view(page);
    assert.equal(actual.scale, 1);
    assert.ok(Math.abs(actual.x - under(fitted).x) < 1e-6 && Math.abs(actual.y - under(fitted).y) < 1e-6, "centred on the pixel clicked");
    await page.mouse.dblclick(pointer.x, pointer.y);
    assert.deepEqual(await view(page), fitted);
    assert.ok((await changes.evaluate((seen) => seen.length)) >= 6, "viewchange on every change");
  } finally {
    await browser.close();
  }
});

test("interact mode: a click on a zoomed view reaches the producer in image coordinates, and the wheel only after a click", async () => {
  const socket = new WebSocket(new URL("/ingest/clicks", server.url.replace("http", "ws")));
  const received = [];
  socket.on("message", (data, binary) => !binary && received.push(JSON.parse(data.toString())));
  await once(socket, "open");
  socket.send(publishMessage(W, H, picture()));
  const browser = await chromiumAt(1.5);
  try {
    const page = await browser.newPage({ viewport: null });
    await page.goto(new URL("/?stream=clicks", server.url).href);
    await page.evaluate(() => {
      const view = document.getElementById("view");
      Object.assign(view.style, { position: "fixed", left: "0", top: "0", width: "256px", height: "192px" });
    });
    await page.waitForFunction(() => window.framecast.seq > 0);
    assert.equal(await page.evaluate(() => document.getElementById("view").interactive), true, "the page's view starts interactive");
    await page.evaluate(() => document.getElementById("view").zoomTo(4, 40, 30));
    const arrived = async (type) => {
      const deadline = Date.now() + 10_000;
      while (!received.some((event) => event.type === type) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
      return received.find((event) => event.type === type);
    };
    // Before a click, the wheel is the page's, not the producer's.
    await page.mouse.move(128, 96);
    await page.mouse.wheel(0, 100);
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.deepEqual(received.filter((event) => event.type === "wheel"), [], "no wheel before a click");

    // Image point (41.25, 30.5): 1.25 and 0.5 image pixels right of and below the centre.
    await page.mouse.click(128 + 1.25 * 4, 96 + 0.5 * 4);
    const down = await arrived("pointerdown");
    assert.ok(down, `the producer got a pointerdown: ${JSON.stringify(received)}`);
    assert.ok(Math.abs(down.x - 41.25) < 1e-6 && Math.abs(down.y - 30.5) < 1e-6, JSON.stringify(down));
    await page.mouse.wheel(0, 100);
    const wheel = await arrived("wheel");
    assert.ok(wheel && wheel.dy === 100 && Math.abs(wheel.x - 41.25) < 1e-6, `after the click the wheel goes to the producer: ${JSON.stringify(wheel)}`);

    // The toolbar's toggle switches to inspecting: clicks go to nobody.
    await page.mouse.move(200, 20);
    await page.evaluate(() => document.getElementById("view").shadowRoot.querySelector('button[aria-pressed][aria-label^="Inspect"]').click());
    assert.equal(await page.evaluate(() => document.getElementById("view").interactive), false);
    received.length = 0;
    await page.mouse.click(128, 96);
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.deepEqual(received.filter((event) => event.type.startsWith("pointer")), [], "no pointer events while inspecting");
  } finally {
    await browser.close();
    socket.close();
  }
});

test("pause (the toolbar's button): the server sends nothing, the view answers and saves the frame it froze on; resume shows the newest frame exactly", async () => {
  const browser = await chromiumAt(1);
  const published = new Map(); // seq -> pixels
  let shift = 1;
  let publishing = true;
  const publisher = (async () => {
    while (publishing) {
      const pixels = picture(shift++);
      published.set(await post("moving", W, H, pixels), pixels);
      await new Promise((resolve) => setTimeout(resolve, 30));
    }
  })();
  try {
    const page = await openView(browser, { stream: "moving" });
    await page.locator("#inspected button", { hasText: "Pause" }).click();
    assert.equal(await page.evaluate(() => document.getElementById("inspected").paused), true);
    // What was in flight arrives; then nothing more.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const frozen = await page.evaluate(() => document.getElementById("inspected").state.seq);
    const before = await page.evaluate(() => document.getElementById("inspected").stats.received);
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const later = await page.evaluate(() => ({ ...document.getElementById("inspected").stats, seq: document.getElementById("inspected").state.seq }));
    assert.equal(later.received, before, "no frame message while paused");
    assert.equal(later.seq, frozen, "the picture stays");
    assert.ok(Math.max(...published.keys()) > frozen + 30, "the producer went on");

    const png = decodePng(Buffer.from(await page.evaluate(async () => [...new Uint8Array(await (await document.getElementById("inspected").snapshot()).arrayBuffer())])));
    assert.ok(png.pixels.equals(published.get(frozen)), "the snapshot is the frame it froze on");
    const [download] = await Promise.all([page.waitForEvent("download"), page.locator("#inspected button", { hasText: "PNG" }).click()]);
    assert.equal(download.suggestedFilename(), `moving-${frozen}.png`);
    assert.ok(decodePng(await readFile(await download.path())).pixels.equals(published.get(frozen)), "the PNG button saves that frame");
    const pixel = await page.evaluate(() => document.getElementById("inspected").pixel(5, 7));
    const i = (7 * W + 5) * 3;
    assert.deepEqual(pixel.values, [...published.get(frozen).subarray(i, i + 3)]);

    publishing = false;
    await publisher;
    const newest = Math.max(...published.keys());
    await page.evaluate(() => document.getElementById("inspected").resume());
    await page.waitForFunction((seq) => document.getElementById("inspected").state.seq === seq && !document.getElementById("inspected").state.lossy, newest, { timeout: 10_000 });
    const shown = await canvasPixels(page, "#inspected");
    assert.equal(firstDifference(shown, (await publishedFrame(server.url, "moving")).rgba), -1, "the newest frame, exactly");
  } finally {
    publishing = false;
    await publisher;
    await browser.close();
  }
});

test("with the worker and without it (main-thread), frames are exact, pixel() answers, and a view removed and added again comes back", async () => {
  const browser = await chromiumAt(1);
  try {
    for (const attributes of [{ stream: "lines" }, { stream: "lines", "main-thread": "" }]) {
      const page = await openView(browser, attributes);
      const worker = await page.evaluate(() => document.getElementById("inspected").worker);
      assert.equal(worker, !("main-thread" in attributes));
      const shown = await canvasPixels(page, "#inspected");
      assert.equal(firstDifference(shown, (await publishedFrame(server.url, "lines")).rgba), -1, `exact, worker: ${worker}`);
      assert.deepEqual(await page.evaluate(() => document.getElementById("inspected").pixel(501, 0)), { rgba: [255, 255, 255, 255], values: [255, 255, 255], exact: true });
      assert.deepEqual((await page.evaluate(() => document.getElementById("inspected").pixel(500, 0))).values, [0, 0, 0]);

      // Removed, its renderer goes; added again, a new one shows the frame.
      const again = await page.evaluate(async () => {
        const view = document.getElementById("inspected");
        view.remove();
        await new Promise((resolve) => setTimeout(resolve, 100));
        const shown = new Promise((resolve) => view.addEventListener("frame", resolve, { once: true }));
        document.body.append(view);
        await shown;
        return view.worker;
      });
      assert.equal(again, worker);
      assert.equal(firstDifference(await canvasPixels(page, "#inspected"), (await publishedFrame(server.url, "lines")).rgba), -1, "exact after coming back");
      await page.close();
    }
  } finally {
    await browser.close();
  }
});

test("Firefox ESR: exact squares when zoomed, and the readout under a synthetic pointer", async () => {
  const firefox = await launchFirefox();
  try {
    await firefox.goto(new URL("/?stream=still", server.url).href);
    const state = await firefox.evaluate(`
      document.body.innerHTML = '<framecast-view id="inspected" stream="still" style="position:absolute;left:0;top:0;width:${BOX.width}px;height:${BOX.height}px"></framecast-view>';
      const view = document.getElementById("inspected");
      const deadline = Date.now() + 30000;
      while (!(view.state.seq > 0) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
      view.zoomTo(8, 20, 10);
      await new Promise((resolve) => setTimeout(resolve, 300));
      return { seq: view.state.seq, worker: view.worker, view: view.view, dpr: devicePixelRatio };`);
    assert.equal(state.seq, 1, JSON.stringify(state));
    const pixels = picture();
    const shot = decodePng(await firefox.screenshot({ x: 0, y: 0, ...BOX }));
    const onGrid = (dx, dy, x, y, left, top) => dx - (left + x * 8) < 1 || dy - (top + y * 8) < 1;
    assert.deepEqual(wrongPixels(shot, state.view, state.dpr, pixels, onGrid).slice(0, 3), [], "inside the 8x8 squares: the exact colour");

    const detail = await firefox.evaluate(`
      const view = document.getElementById("inspected");
      const canvas = view.shadowRoot.querySelector("canvas");
      const event = new Promise((resolve) => view.addEventListener("pointer", (e) => resolve(e.detail), { once: true }));
      canvas.dispatchEvent(new PointerEvent("pointermove", { clientX: ${BOX.width / 2 + 2.5 * 8}, clientY: ${BOX.height / 2 + 1.5 * 8}, bubbles: true }));
      const detail = await event;
      return { ...detail, readout: view.shadowRoot.querySelector(".readout").textContent };`);
    const i = (11 * W + 22) * 3;
    const expected = [pixels[i], pixels[i + 1], pixels[i + 2]];
    assert.deepEqual({ x: detail.x, y: detail.y, values: detail.values, exact: detail.exact }, { x: 22, y: 11, values: expected, exact: true });
    assert.match(detail.readout, new RegExp(`^x 22  y 11   R +${expected[0]}  G +${expected[1]}  B +${expected[2]}$`));
  } finally {
    await firefox.close();
  }
});
