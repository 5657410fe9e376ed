// Runs the browser-side benchmark (bench/index.html) in headless Chromium on
// the frames `framecast-bench-browser-data` wrote, and writes the result as
// JSON for the report. Not a test: `just bench` runs it.
//
//   node bench.mjs ../../target/bench/browser ../../target/bench/browser.json

import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { launchBrowser, repo } from "./harness.mjs";

const dataDir = path.resolve(process.argv[2] ?? path.join(repo, "target/bench/browser"));
const outPath = path.resolve(process.argv[3] ?? path.join(repo, "target/bench/browser.json"));
const ORIGIN = "http://bench.localhost";
const TYPES = { ".html": "text/html", ".js": "text/javascript", ".wasm": "application/wasm", ".json": "application/json", ".jpg": "image/jpeg", ".bin": "application/octet-stream" };

/** Where a URL path of the benchmark page lives on disk. */
function fileFor(urlPath) {
  if (urlPath === "/") return path.join(repo, "tests/browser/bench/index.html");
  if (urlPath.startsWith("/pkg/")) return path.join(repo, "www", urlPath);
  if (urlPath.startsWith("/data/")) return path.join(dataDir, urlPath.slice("/data/".length));
  return path.join(repo, "tests/browser/bench", urlPath);
}

const browser = await launchBrowser();
try {
  const page = await browser.newPage();
  await page.route(`${ORIGIN}/**`, async (route) => {
    const file = fileFor(new URL(route.request().url()).pathname);
    try {
      const body = await readFile(file);
      await route.fulfill({ body, contentType: TYPES[path.extname(file)] ?? "application/octet-stream" });
    } catch {
      await route.fulfill({ status: 404, body: `no ${file}` });
    }
  });
  page.on("pageerror", (error) => console.error(error));
  await page.goto(`${ORIGIN}/`);
  await page.waitForFunction(() => window.benchResult, null, { timeout: 600_000, polling: 500 });
  const result = await page.evaluate(() => window.benchResult);
  result.browser = browser.version();
  await writeFile(outPath, JSON.stringify(result, null, 2));
  for (const row of result.results) {
    console.log(`${row.class.padEnd(7)} framecast ${row.framecast_ms.toFixed(3)} ms  JPEG ${row.jpeg_ms.toFixed(3)} ms  ratio ${(row.framecast_ms / row.jpeg_ms).toFixed(3)}`);
  }
  console.log(`wrote ${outPath}`);
} finally {
  await browser.close();
}
