// Runs the browser-side benchmark (bench/index.html) in headless Chromium on
// the frames `framecast-bench-browser-data` wrote (and, given a third
// directory, the frames of values `framecast-bench-values` wrote), and
// writes the result as JSON for the report. Chromium is launched directly and the page served by
// a small HTTP server here; the result is read with Runtime.evaluate alone
// (chromium.mjs). Not a test: `just bench` runs it.
//
//   node bench.mjs ../../target/bench/browser ../../target/bench/browser.json [../../target/bench/browser-values]

import { once } from "node:events";
import { readFile, writeFile } from "node:fs/promises";
import { createServer } from "node:http";
import path from "node:path";
import { launchChromium } from "./chromium.mjs";
import { repo } from "./harness.mjs";

const dataDir = path.resolve(process.argv[2] ?? path.join(repo, "target/bench/browser"));
const outPath = path.resolve(process.argv[3] ?? path.join(repo, "target/bench/browser.json"));
const valuesDir = process.argv[4] && path.resolve(process.argv[4]);
const TYPES = { ".html": "text/html", ".js": "text/javascript", ".wasm": "application/wasm", ".json": "application/json", ".jpg": "image/jpeg", ".bin": "application/octet-stream" };

/** Where a URL path of the benchmark page lives on disk. */
function fileFor(urlPath) {
  if (urlPath === "/") return path.join(repo, "tests/browser/bench/index.html");
  if (urlPath.startsWith("/pkg/")) return path.join(repo, "www", urlPath);
  if (urlPath.startsWith("/data/")) return path.join(dataDir, urlPath.slice("/data/".length));
  if (urlPath.startsWith("/values/")) return valuesDir ? path.join(valuesDir, urlPath.slice("/values/".length)) : "/nonexistent";
  return path.join(repo, "tests/browser/bench", urlPath);
}

const server = createServer(async (request, response) => {
  const file = fileFor(decodeURIComponent(new URL(request.url, "http://x").pathname));
  try {
    const body = await readFile(file);
    response.writeHead(200, { "Content-Type": TYPES[path.extname(file)] ?? "application/octet-stream" }).end(body);
  } catch {
    response.writeHead(404).end(`no ${file}`);
  }
}).listen(0, "127.0.0.1");
await once(server, "listening");

const chromium = await launchChromium(`http://127.0.0.1:${server.address().port}/`);
try {
  await chromium.waitFor(() => window.benchResult || window.benchError, null, 600_000);
  const result = await chromium.evaluate(() => window.benchResult ?? { error: String(window.benchError) });
  if (result.error) throw new Error(`the benchmark page failed: ${result.error}`);
  result.browser = chromium.version;
  await writeFile(outPath, JSON.stringify(result, null, 2));
  for (const row of result.results) {
    console.log(`${row.class.padEnd(7)} framecast ${row.framecast_ms.toFixed(3)} ms  JPEG ${row.jpeg_ms.toFixed(3)} ms  ratio ${(row.framecast_ms / row.jpeg_ms).toFixed(3)}`);
  }
  for (const row of result.values ?? []) {
    console.log(`${row.class.padEnd(8)} (${row.format}) decode + paint ${row.decode_paint_ms.toFixed(3)} ms  colormap of a whole frame ${row.colormap_ms.toFixed(3)} ms`);
  }
  console.log(`wrote ${outPath}`);
} finally {
  await chromium.close();
  server.close();
}
