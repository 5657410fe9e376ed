// Shared pieces of the browser tests: start the real framecast binary on a
// free loopback port, and headless Chromium through playwright-core.

import { spawn } from "node:child_process";
import { once } from "node:events";
import { createServer } from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { inflateSync } from "node:zlib";
import { chromium } from "playwright-core";
import { BROWSER_FLAGS, browserPath } from "./chromium.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
export const repo = path.resolve(here, "../..");
const binary = process.env.FRAMECAST_BIN ?? path.join(repo, "target/release/framecast");

/** Starts `framecast` with `args`; resolves once it prints the URL to open
 * (`url`: the server's root; `openUrl`: with the token, if it printed one). */
export async function startServer(args, { bind = "127.0.0.1:0" } = {}) {
  const child = spawn(binary, ["--bind", bind, ...args], {
    cwd: repo,
    env: { RUST_LOG: "info", ...process.env, NO_COLOR: "1" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let log = "";
  const [url, openUrl] = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`framecast printed no URL in 20 s:\n${log}`)), 20_000);
    const onData = (chunk) => {
      log += chunk;
      const match = log.match(/open (http:\/\/[\d.:]+\/)(\?token=[^\s&]+)?\s/); // the whole line
      if (match) {
        clearTimeout(timer);
        resolve([match[1], match[1] + (match[2] ?? "")]);
      }
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.on("exit", (code) => reject(new Error(`framecast exited with ${code}:\n${log}`)));
  });
  return {
    url,
    openUrl,
    pid: child.pid,
    log: () => log,
    async stop() {
      if (child.exitCode !== null) return;
      child.kill("SIGINT");
      await once(child, "exit");
    },
  };
}

export async function launchBrowser() {
  return chromium.launch({ executablePath: browserPath, args: BROWSER_FLAGS });
}

/** Waits until `predicate(window.framecast)` holds in the page. */
export async function waitForState(page, predicate, arg, timeout = 30_000) {
  await page.waitForFunction(predicate, arg, { timeout, polling: 50 });
  return page.evaluate(() => ({ ...window.framecast }));
}

/** The picture painted by the `<framecast-view>` that `selector` picks or
 * holds (the page's by default), at the frame's size, RGBA, as a Buffer
 * (its `shown()`: what the renderer put on its canvas, in a worker or not). */
export async function canvasPixels(page, selector = "#view") {
  const base64 = await page.evaluate(async (selector) => {
    const found = document.querySelector(selector);
    const view = found?.matches("framecast-view") ? found : found?.querySelector("framecast-view");
    const { data } = await view.shown();
    let binary = "";
    for (let i = 0; i < data.length; i += 0x8000) {
      binary += String.fromCharCode.apply(null, data.subarray(i, i + 0x8000));
    }
    return btoa(binary);
  }, selector);
  return Buffer.from(base64, "base64");
}

/** The status line of the page's view. */
export function statusText(page) {
  return page.evaluate(() => document.getElementById("view").statusText);
}

/** The stream's newest frame as the server holds it, expanded to RGBA. */
/** The stream's newest frame as published (GET .../frame): {width, height,
 * seq, rgba} for colours (RGB with opaque alpha), {width, height, seq,
 * format, raw} for values. */
export async function publishedFrame(url, stream) {
  const response = await fetch(new URL(`/api/streams/${stream}/frame`, url));
  if (!response.ok) throw new Error(`GET frame: ${response.status} ${await response.text()}`);
  const width = Number(response.headers.get("x-framecast-width"));
  const height = Number(response.headers.get("x-framecast-height"));
  const format = response.headers.get("x-framecast-format");
  const seq = Number(response.headers.get("x-framecast-seq"));
  const raw = Buffer.from(await response.arrayBuffer());
  if (format === "rgba8") return { width, height, seq, rgba: raw };
  if (format !== "rgb8") return { width, height, seq, format, raw };
  const rgba = Buffer.alloc(width * height * 4);
  for (let i = 0, j = 0; i < raw.length; i += 3, j += 4) {
    rgba[j] = raw[i];
    rgba[j + 1] = raw[i + 1];
    rgba[j + 2] = raw[i + 2];
    rgba[j + 3] = 255;
  }
  return { width, height, seq, rgba };
}

/** POSTs a frame (RGB8 unless `format` says otherwise; `query` adds
 * parameters such as a colormap) to `stream` of the server at `url`
 * (PROTOCOL.md's frame route); resolves to its sequence number, failing on
 * any other answer than 200. */
export async function postFrame(url, stream, width, height, pixels, format = "rgb8", query = "") {
  const route = new URL(`/api/streams/${stream}/frame?width=${width}&height=${height}&format=${format}${query}`, url);
  const response = await fetch(route, { method: "POST", body: pixels, headers: { "Content-Type": "application/octet-stream" } });
  const text = await response.text();
  if (response.status !== 200) throw new Error(`POST ${route.pathname}: ${response.status} ${text}`);
  return JSON.parse(text).seq;
}

/** A publish message (PROTOCOL.md) of a frame, RGB8 unless `format` (the
 * wire code) says otherwise, for an ingest WebSocket. */
export function publishMessage(width, height, pixels, format = 1) {
  const header = Buffer.alloc(25);
  header.write("FCST", 0, "latin1");
  header.writeUInt8(6, 4); // protocol version
  header.writeUInt8(4, 5); // kind: publish
  header.writeUInt32LE(width, 8);
  header.writeUInt32LE(height, 12);
  header.writeUInt8(format, 16);
  return Buffer.concat([header, pixels]);
}

/** Index of the first differing pixel, or -1. */
export function firstDifference(a, b) {
  if (a.length !== b.length) return 0;
  for (let i = 0; i < a.length; i += 4) {
    if (a[i] !== b[i] || a[i + 1] !== b[i + 1] || a[i + 2] !== b[i + 2] || a[i + 3] !== b[i + 3]) return i / 4;
  }
  return -1;
}

/** Decodes a PNG (8 bits a channel, RGB or RGBA, no interlace) into
 * {width, height, channels, pixels}: enough to read back what framecast
 * writes, and strict about the rest. */
export function decodePng(file) {
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  if (!file.subarray(0, 8).equals(signature)) throw new Error("not a PNG");
  let at = 8;
  let header = null;
  const data = [];
  while (at < file.length) {
    const length = file.readUInt32BE(at);
    const kind = file.toString("latin1", at + 4, at + 8);
    const body = file.subarray(at + 8, at + 8 + length);
    if (kind === "IHDR") header = { width: body.readUInt32BE(0), height: body.readUInt32BE(4), depth: body[8], colour: body[9], interlace: body[12] };
    else if (kind === "IDAT") data.push(body);
    at += 12 + length;
  }
  const channels = { 2: 3, 6: 4 }[header?.colour];
  if (!channels || header.depth !== 8 || header.interlace !== 0) throw new Error(`a PNG framecast does not write: ${JSON.stringify(header)}`);
  const { width, height } = header;
  const raw = inflateSync(Buffer.concat(data));
  const stride = width * channels;
  const pixels = Buffer.alloc(stride * height);
  for (let y = 0; y < height; y += 1) {
    const filter = raw[y * (stride + 1)];
    const row = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    for (let i = 0; i < stride; i += 1) {
      const left = i >= channels ? pixels[y * stride + i - channels] : 0;
      const up = y > 0 ? pixels[(y - 1) * stride + i] : 0;
      const upLeft = y > 0 && i >= channels ? pixels[(y - 1) * stride + i - channels] : 0;
      const paeth = () => {
        const p = left + up - upLeft;
        const [a, b, c] = [Math.abs(p - left), Math.abs(p - up), Math.abs(p - upLeft)];
        return a <= b && a <= c ? left : b <= c ? up : upLeft;
      };
      const predicted = [0, left, up, (left + up) >> 1, paeth()][filter];
      if (predicted === undefined) throw new Error(`PNG filter ${filter}`);
      pixels[y * stride + i] = (row[i] + predicted) & 0xff;
    }
  }
  return { width, height, channels, pixels };
}

/** Serves the files of `dir` on a free loopback port; resolves to
 * {url, close()}. */
export async function serveDirectory(dir) {
  const { createServer } = await import("node:http");
  const { readFile } = await import("node:fs/promises");
  const types = { ".html": "text/html; charset=utf-8", ".js": "text/javascript", ".wasm": "application/wasm", ".mjs": "text/javascript" };
  const server = createServer(async (request, response) => {
    const file = path.join(dir, decodeURIComponent(new URL(request.url, "http://x").pathname));
    if (!file.startsWith(dir)) return response.writeHead(403).end();
    try {
      const body = await readFile(file);
      response.writeHead(200, { "Content-Type": types[path.extname(file)] ?? "application/octet-stream" }).end(body);
    } catch {
      response.writeHead(404).end("not found");
    }
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return { url: `http://127.0.0.1:${server.address().port}/`, close: () => new Promise((resolve) => server.close(resolve)) };
}

/** A TCP port free on loopback just now. */
export async function freePort() {
  const server = createServer().listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address();
  server.close();
  await once(server, "close");
  return port;
}

/** Runs the Python script `script` of tests/loop with `args` in the test
 * virtualenv; returns {pid, log(), alive(), stop()} (stop: SIGTERM, then
 * waits for it to exit). Its standard error is kept for log(). */
export function spawnLoopScript(script, args) {
  const loopDir = path.join(repo, "tests/loop");
  const python = path.join(repo, "target/venv/bin/python");
  const child = spawn(python, [path.join(loopDir, script), ...args], { cwd: loopDir, stdio: ["ignore", "ignore", "pipe"] });
  let log = "";
  child.stderr.on("data", (chunk) => (log += chunk));
  const exited = once(child, "exit");
  return {
    pid: child.pid,
    log: () => log,
    alive: () => child.exitCode === null,
    async stop() {
      if (child.exitCode === null) child.kill("SIGTERM");
      await exited;
    },
  };
}
