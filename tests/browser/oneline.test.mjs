// framecast.show, one line each, in a Python script as a user runs it (the
// wheel the test command installed): a numpy array, a float field through
// viridis and a matplotlib figure, watched on the server's page in headless
// Chromium. The view holds exactly the array, the figure as matplotlib drew
// it, and the field in the colours of the server's own picture of it.

import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import path from "node:path";
import { after, before, test } from "node:test";
import { canvasPixels, decodePng, firstDifference, launchBrowser, publishedFrame, repo } from "./harness.mjs";

const SCRIPT = `
import sys
import matplotlib
import numpy as np
from matplotlib.figure import Figure
import framecast

frame = np.random.default_rng(3).integers(0, 256, (90, 120, 3), dtype=np.uint8)
y, x = np.mgrid[0:90, 0:120]
field = np.sin(x / 9.0) * np.cos(y / 7.0)  # float64, shown as float32
figure = Figure(figsize=(2, 1.5), dpi=60)
figure.add_subplot().plot([0, 1, 4, 9])

framecast.show(frame)
framecast.show(field, name="field", cmap="viridis", vmin=-1, vmax=1)
framecast.show(figure, name="plot")
sys.stdin.read()  # until the test is done
`;

let browser;
let script;
let url;
before(async () => {
  browser = await launchBrowser();
  script = spawn(path.join(repo, "target/venv/bin/python"), ["-c", SCRIPT], { stdio: ["pipe", "pipe", "inherit"] });
  let printed = "";
  url = await new Promise((resolve, reject) => {
    script.stdout.on("data", (chunk) => {
      printed += chunk;
      const found = printed.match(/framecast: watch at (http:\/\/127\.0\.0\.1:\d+\/)/);
      if (found) resolve(found[1]);
    });
    script.on("exit", (code) => reject(new Error(`the script exited (${code}) having printed: ${printed}`)));
  });
});
after(async () => {
  await browser?.close();
  script?.stdin.end();
});

async function shown(stream) {
  const page = await browser.newPage();
  await page.goto(new URL(`?stream=${stream}`, url).href);
  await page.waitForFunction(() => document.getElementById("view").state.seq > 0, null, { timeout: 30_000 });
  const pixels = await canvasPixels(page);
  await page.close();
  return pixels;
}

test("show(array) and show(figure) are watched exactly", async () => {
  for (const stream of ["main", "plot"]) {
    const published = await publishedFrame(url, stream);
    assert.ok(published.rgba, `${stream} is colours`);
    assert.equal(firstDifference(await shown(stream), published.rgba), -1, stream);
  }
  const plot = await publishedFrame(url, "plot");
  assert.deepEqual([plot.width, plot.height], [120, 90], "the figure at its size in pixels");
});

test("show(field, cmap=...) is watched in the producer's colours", async () => {
  const response = await fetch(new URL("api/streams/field/frame.png", url));
  assert.equal(response.headers.get("x-framecast-colormap"), "viridis");
  const picture = decodePng(Buffer.from(await response.arrayBuffer()));
  const rgba = Buffer.alloc(picture.width * picture.height * 4);
  for (let i = 0; i < picture.width * picture.height; i++) {
    picture.pixels.copy(rgba, i * 4, i * picture.channels, i * picture.channels + 3);
    rgba[i * 4 + 3] = 255;
  }
  assert.equal(firstDifference(await shown("field"), rgba), -1);
});
