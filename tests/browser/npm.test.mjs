// The npm package as a web app's developer uses it: `npm pack` from the
// repository (clients/js), installed into a scratch project, bundled with
// esbuild with no configuration, served by a static server of another
// origin; in headless Chromium the bundled page shows exact frames.

import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdir, mkdtemp, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import { promisify } from "node:util";
import * as esbuild from "esbuild";
import { canvasPixels, firstDifference, launchBrowser, publishedFrame, repo, serveDirectory, startServer } from "./harness.mjs";

const run = promisify(execFile);
let browser;
before(async () => {
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
});

test("npm pack, installed and bundled with esbuild, shows exact frames", async () => {
  const scratch = await mkdtemp(path.join(os.tmpdir(), "framecast-npm-"));
  const { stdout } = await run("npm", ["pack", "--silent", "--pack-destination", scratch, path.join(repo, "clients/js")]);
  const tarball = path.join(scratch, stdout.trim().split("\n").at(-1));
  const app = path.join(scratch, "app");
  await mkdir(path.join(app, "dist"), { recursive: true });
  await writeFile(path.join(app, "package.json"), JSON.stringify({ name: "an-app", private: true, type: "module" }));
  await run("npm", ["install", "--silent", "--no-audit", "--no-fund", "--offline", tarball], { cwd: app });
  await writeFile(
    path.join(app, "main.js"),
    [
      'import "framecast-view";',
      'const view = document.createElement("framecast-view");',
      'view.server = new URLSearchParams(location.search).get("server");',
      'view.stream = "demo";',
      "document.body.append(view);",
      "window.framecast = view.state;",
    ].join("\n"),
  );
  await esbuild.build({ absWorkingDir: app, entryPoints: ["main.js"], bundle: true, format: "esm", outfile: "dist/main.js", logLevel: "error" });
  await writeFile(path.join(app, "dist/index.html"), '<!doctype html><meta charset="utf-8"><body><script type="module" src="main.js"></script>');

  const site = await serveDirectory(path.join(app, "dist"));
  const frames = 8;
  const server = await startServer(["--source", "demo", "--size", "300x200", "--fps", "20", "--frames", String(frames), "--allow-origin", site.url]);
  try {
    const page = await browser.newPage();
    const errors = [];
    page.on("pageerror", (error) => errors.push(error));
    await page.goto(`${site.url}index.html?server=${encodeURIComponent(server.url)}`);
    await page.waitForFunction((n) => window.framecast?.seq === n, frames, { timeout: 30_000 });
    const published = await publishedFrame(server.url, "demo");
    const differs = firstDifference(await canvasPixels(page, "framecast-view"), published.rgba);
    assert.equal(differs, -1, `canvas pixel ${differs} differs from the published frame`);
    assert.equal(await page.evaluate(() => document.querySelector("framecast-view").worker), true, "the bundle's element decodes in a worker (sources.js)");
    assert.deepEqual(errors, []);
    await page.close();
  } finally {
    await server.stop();
    await site.close();
  }
});
