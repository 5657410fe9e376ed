// A real JupyterLab and a real Notebook 7, each started here with the
// tests' Python environment (the framecast package and its [test] extra),
// and a notebook in headless Chromium: `stream.show()` must keep showing
// frames while the cell that publishes them is still running (the view's
// acks travel over the widget's comm), a click on the view must reach
// `stream.poll_events()` in that running cell, and the view must end on
// exactly the last frame published. A second view, of a float field shown
// with a colormap and range of its own, paints with those and reads the
// field's values. One line each, framecast.show of a float field and of a
// matplotlib figure shows them in the cell too: the field with its
// colormap, the figure exactly as matplotlib drew it.

import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import { canvasPixels, firstDifference, freePort, launchBrowser, repo } from "./harness.mjs";

const venv = process.env.FRAMECAST_VENV ?? path.join(repo, "target/venv");
const FRAMES = 12;
const [WIDTH, HEIGHT] = [160, 90];

// The first cell shows the view. The second publishes frame after frame
// until a viewer clicks, then publishes the last frame, writes it and the
// click down for the test, and keeps running until the test is done: all of
// it while the cell runs.
const CELLS = [
  `import json, os, time
import numpy as np
import framecast
server = framecast.serve(port=0)
stream = server.stream("lab")
frames = np.random.default_rng(11).integers(0, 256, (${FRAMES}, ${HEIGHT}, ${WIDTH}, 3), dtype=np.uint8)
stream.send(frames[0])
stream.show()
field = np.linspace(0, 1, 32 * 64, dtype=np.float32).reshape(32, 64)
values = server.stream("field")
values.send(field, cmap="viridis")
values.show(cmap="magma", vmin=0, vmax=0.5)
from matplotlib.figure import Figure
figure = Figure(figsize=(2, 1.5), dpi=50)
figure.add_subplot().plot([0, 1, 4, 9])
framecast.show(field * 2, name="oneline", cmap="inferno", vmin=0, vmax=2)
framecast.show(figure, name="plot")
figure.savefig("figure.rgba", format="rgba", dpi=figure.dpi)`,
  `clicks, i, deadline = [], 0, time.monotonic() + 120
while not clicks and time.monotonic() < deadline:
    i += 1
    stream.send(frames[i % (len(frames) - 1)])
    clicks = [e for e in stream.poll_events() if e["type"] == "pointerdown"]
    time.sleep(0.03)
seq = stream.send(frames[-1])
open("last.rgb", "wb").write(frames[-1].tobytes())
open("click.json", "w").write(json.dumps({"seq": seq, "clicks": clicks[:1]}))
while not os.path.exists("done") and time.monotonic() < deadline:
    time.sleep(0.05)`,
];

function notebook(cells) {
  return {
    cells: cells.map((source) => ({ cell_type: "code", execution_count: null, metadata: {}, outputs: [], source })),
    metadata: { kernelspec: { name: "python3", display_name: "Python 3", language: "python" } },
    nbformat: 4,
    nbformat_minor: 5,
  };
}

async function waitForFile(file, timeout) {
  const deadline = Date.now() + timeout;
  while (Date.now() < deadline) {
    if (await stat(file).catch(() => null)) return readFile(file);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`no ${path.basename(file)} within ${timeout / 1000} s`);
}

/** The view's totals (as the page's window.framecast), once `predicate`
 * holds for them; polled from here, every 500 ms. */
async function viewState(page, predicate, timeout) {
  const deadline = Date.now() + timeout;
  for (;;) {
    const state = await page.evaluate(() => ({ ...document.querySelector(".framecast-view")?.framecast }));
    if (predicate(state)) return state;
    if (Date.now() > deadline) throw new Error(`the view did not get there in ${timeout / 1000} s: ${JSON.stringify({ ...state, latencies: undefined })}`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

/** Starts `jupyter lab` or `jupyter notebook` (Notebook 7) on a free port,
 * with the notebook of CELLS in a directory of its own; resolves to the
 * notebook's URL and a `stop` function. */
async function startJupyter(app) {
  const dir = await mkdtemp(path.join(os.tmpdir(), `framecast-${app}-`));
  await writeFile(path.join(dir, "view.ipynb"), JSON.stringify(notebook(CELLS)));
  const port = await freePort();
  const token = randomBytes(16).toString("hex");
  const appClass = app === "lab" ? "LabApp" : "JupyterNotebookApp";
  const child = spawn(
    path.join(venv, "bin/jupyter"),
    [
      app,
      "--no-browser",
      "--ServerApp.ip=127.0.0.1",
      `--ServerApp.port=${port}`,
      "--ServerApp.port_retries=0",
      `--IdentityProvider.token=${token}`,
      `--ServerApp.root_dir=${dir}`,
      `--${appClass}.expose_app_in_browser=True`,
      "--allow-root", // CI runs as root
      // Nothing that reaches for the network by itself (Notebook 7 has no
      // extension manager or update check, and refuses these settings).
      ...(app === "lab" ? ["--LabApp.extension_manager=readonly", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"] : []),
    ],
    {
      cwd: dir,
      env: { ...process.env, JUPYTER_CONFIG_DIR: path.join(dir, ".config"), JUPYTER_RUNTIME_DIR: path.join(dir, ".runtime") },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let log = "";
  child.stdout.on("data", (chunk) => (log += chunk));
  child.stderr.on("data", (chunk) => (log += chunk));
  const route = app === "lab" ? "lab/tree" : "notebooks";
  const deadline = Date.now() + 60_000;
  while (!log.includes(`http://127.0.0.1:${port}/`)) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`jupyter ${app} did not start:\n${log}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    dir,
    url: `http://127.0.0.1:${port}/${route}/view.ipynb?token=${token}`,
    log: () => log,
    async stop() {
      if (child.exitCode === null) {
        child.kill("SIGTERM");
        await once(child, "exit");
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}

let browser;
before(async () => {
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
});

for (const [app, name] of [
  ["lab", "JupyterLab"],
  ["notebook", "Notebook 7"],
]) {
  test(`${name}: stream.show() shows the published pixels exactly, live while the cell runs, and clicks reach poll_events`, async () => {
    const jupyter = await startJupyter(app);
    try {
      await showsTheView(jupyter);
    } catch (error) {
      error.message += `\n--- jupyter ${app}'s log ---\n${jupyter.log().slice(-4000)}`;
      throw error;
    } finally {
      await jupyter.stop();
    }
  });
}

/** What the `index`th view on the page shows of a stream of values
 * (`valuesShown`), and its pixel at (63, 31), once it shows values. */
async function valuesOf(page, index) {
  const handle = await page.waitForFunction(
    (index) => {
      const view = document.querySelectorAll("framecast-view")[index];
      return view?.valuesShown && { shown: view.valuesShown, corner: view.pixel(63, 31) };
    },
    index,
    { timeout: 30_000 },
  );
  return handle.evaluate(async ({ shown, corner }) => ({ shown, corner: await corner }));
}

async function showsTheView({ dir, url }) {
  const page = await browser.newPage();
  // Errors thrown in the page, but for those from the front end's own
  // bundles alone (Notebook 7.6 throws one while it loads its settings,
  // with or without framecast).
  const errors = [];
  page.on("pageerror", (error) => {
    const frames = (error.stack ?? "").split("\n").filter((line) => line.includes("://"));
    if (!frames.length || !frames.every((line) => /\/static\/(notebook|lab)\//.test(line))) errors.push(error);
  });
  await page.goto(url);
  // The notebook open and its kernel ready.
  await page.waitForFunction(() => window.jupyterapp?.shell?.currentWidget?.sessionContext?.session?.kernel?.status === "idle", null, {
    timeout: 90_000,
    polling: 100,
  });
  // Not awaited in the page: the command resolves once every cell has run.
  await page.evaluate(() => void window.jupyterapp.commands.execute("notebook:run-all-cells"));

  const prompts = () => page.$$eval(".jp-CodeCell .jp-InputPrompt", (nodes) => nodes.map((node) => node.textContent.trim()));

  // Frame after frame arrives while the second cell runs: the view's acks
  // reach the kernel beside the running code.
  await viewState(page, (view) => view.applied >= 20, 60_000);
  assert.equal((await prompts())[1], "[*]:", "the publishing cell is still running");

  // A click at a known spot of the view reaches poll_events in that cell.
  const canvas = page.locator(".framecast-view").first().locator("canvas[part=canvas]");
  const box = await canvas.boundingBox();
  await canvas.click({ position: { x: box.width / 4, y: box.height / 2 } });
  const { seq, clicks } = JSON.parse(await waitForFile(path.join(dir, "click.json"), 30_000));
  const [click] = clicks;
  assert.equal(click?.type, "pointerdown", `got ${JSON.stringify(clicks)}`);
  assert.ok(Math.abs(click.x - WIDTH / 4) <= 1 && Math.abs(click.y - HEIGHT / 2) <= 1, `clicked at ${click.x}, ${click.y}`);

  // The last frame, exactly.
  await viewState(page, (view) => view.seq === seq, 30_000);
  const last = await readFile(path.join(dir, "last.rgb"));
  const expected = Buffer.alloc(WIDTH * HEIGHT * 4);
  for (let i = 0, j = 0; i < last.length; i += 3, j += 4) {
    last.copy(expected, j, i, i + 3);
    expected[j + 3] = 255;
  }
  const differs = firstDifference(await canvasPixels(page, ".framecast-view"), expected);
  assert.equal(differs, -1, `canvas pixel ${differs} differs from the frame the kernel published`);
  assert.equal((await prompts())[1], "[*]:", "the publishing cell is still running");

  // The float field's view: the colormap and range show() gave it, over the
  // producer's viridis, and the field's values under the pointer.
  const { shown, corner } = await valuesOf(page, 1);
  assert.deepEqual([shown.format, shown.colormap, shown.range], ["f32", "magma", [0, 0.5]]);
  assert.equal(corner.value, 1, "the field's last value");
  assert.deepEqual(corner.rgba.slice(0, 3), [0xfc, 0xfd, 0xbf], "above the range: magma's last colour");

  // framecast.show, one line each: the field (doubled) through inferno, and
  // the figure's pixels as its own savefig gives them.
  const line = await valuesOf(page, 2);
  assert.deepEqual([line.shown.format, line.shown.colormap, line.shown.range], ["f32", "inferno", [0, 2]]);
  assert.equal(line.corner.value, 2);
  const drawn = await readFile(path.join(dir, "figure.rgba"));
  const plot = await page.waitForFunction(() => document.querySelectorAll("framecast-view")[3]?.state.seq > 0, null, { timeout: 30_000 });
  await plot.dispose();
  const shownPlot = await page.evaluate(async () => {
    const { width, height, data } = await document.querySelectorAll("framecast-view")[3].shown();
    return { width, height, data: Array.from(data) };
  });
  assert.deepEqual([shownPlot.width, shownPlot.height], [100, 75], "the figure's size in pixels");
  assert.equal(firstDifference(Buffer.from(shownPlot.data), drawn), -1, "the figure as matplotlib drew it");

  await writeFile(path.join(dir, "done"), "");
  assert.deepEqual(errors, []);
  await page.close();
}
