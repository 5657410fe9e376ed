// framecast's MJPEG route (/api/streams/NAME/mjpeg) against the seed's
// Flask + cv2.imencode loop (tests/loop/mjpeg.py), on the same numpy frames
// at 30 frames/s, each with its server in the loop's own Python process
// (framecast.serve, tests/loop/serve.py): that process's CPU per frame with
// 1 and with 20 MJPEG clients (each encode shared by every client of a
// quality, against one encode per client), and the capture-to-shown latency
// of each stream opened in Chromium launched directly. Writes JSON for the
// report. Not a test: `just bench` runs it.
//
//   node mjpeg-bench.mjs ../../target/release/framecast-bench-frames ../../target/bench/mjpeg.json
//
// The clients are plain HTTP readers that take every byte as it comes (as
// fast as loopback goes). framecast's route encodes at quality 95, cv2's
// default, so both send the same pictures. FRAMECAST_MJPEG_CLASSES picks
// the classes (default sprite,plasma,camera).

import { spawn } from "node:child_process";
import { once } from "node:events";
import { rm, writeFile } from "node:fs/promises";
import http from "node:http";
import path from "node:path";
import { cpuSeconds, launchChromium } from "./chromium.mjs";
import { freePort, repo, spawnLoopScript } from "./harness.mjs";
import { STAMP_READER } from "./stamps.mjs";

const framesBin = path.resolve(process.argv[2] ?? path.join(repo, "target/release/framecast-bench-frames"));
const outPath = path.resolve(process.argv[3] ?? path.join(repo, "target/bench/mjpeg.json"));
const CLASSES = (process.env.FRAMECAST_MJPEG_CLASSES ?? "sprite,plasma,camera").split(",");
const RATE = 30;
const QUALITY = 95; // cv2.imencode's default
const CLIENT_COUNTS = [1, 20];
const FRAMES = 60;
const WARM_UP_S = 3;
const MEASURE_S = 10;

const sleep = (s) => new Promise((resolve) => setTimeout(resolve, s * 1000));
const percentile = (values, p) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] : null;
};

/** `count` HTTP clients of `url` that read everything as it comes; close()
 * ends them. */
function readers(url, count) {
  const requests = [];
  for (let i = 0; i < count; i += 1) {
    const request = http.get(url, (response) => response.on("data", () => {}));
    request.on("error", () => {});
    requests.push(request);
  }
  return { close: () => requests.forEach((request) => request.destroy()) };
}

/** The server's CPU seconds over MEASURE_S after WARM_UP_S, and the
 * frames `frames()` counted meanwhile. */
async function cpuPerFrame(pid, frames) {
  await sleep(WARM_UP_S);
  const [cpu0, frames0, at0] = [await cpuSeconds(pid), await frames(), performance.now()];
  await sleep(MEASURE_S);
  const [cpu1, frames1, at1] = [await cpuSeconds(pid), await frames(), performance.now()];
  const count = frames1 - frames0;
  return { cpu_ms_per_frame: count ? ((cpu1 - cpu0) * 1000) / count : null, frames_per_s: count / ((at1 - at0) / 1000) };
}

/** The capture-to-shown latency of MJPEG stream `url` opened in Chromium
 * (which shows it in an <img> of its own), over MEASURE_S after WARM_UP_S. */
async function imgLatency(url) {
  const chromium = await launchChromium(url);
  try {
    await chromium.waitFor(() => document.querySelector("img")?.naturalWidth > 0);
    await chromium.evaluate(() => {
      document.querySelector("img").id = "view";
    });
    await chromium.evaluate(STAMP_READER);
    await sleep(WARM_UP_S);
    await chromium.evaluate(() => window.meter.latencies.splice(0));
    const shown0 = await chromium.evaluate(() => window.meter.shown);
    await sleep(MEASURE_S);
    const { shown, latencies } = await chromium.evaluate(() => ({ shown: window.meter.shown, latencies: window.meter.latencies.splice(0) }));
    return { shown_fps: (shown - shown0) / MEASURE_S, latency_p50_ms: percentile(latencies, 50), latency_p99_ms: percentile(latencies, 99), browser: chromium.version };
  } finally {
    await chromium.close();
  }
}

async function streamSeq(url, stream) {
  const streams = await (await fetch(new URL("/api/streams", url))).json();
  return streams.find((s) => s.name === stream)?.seq ?? 0;
}

/** framecast's MJPEG route with the server inside the loop's Python process
 * (framecast.serve, tests/loop/serve.py), as a Flask app would have it:
 * one process makes the frames and serves them, as the Flask loop's does. */
async function runRoute(name, frames) {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}/`;
  const server = spawnLoopScript("serve.py", [frames, "loop", "--port", String(port), "--fps", String(RATE)]);
  try {
    for (let waited = 0; !(await streamSeq(url, "loop").catch(() => 0)); waited += 0.05) {
      if (!server.alive() || waited > 30) throw new Error(`serve.py published nothing:\n${server.log()}`);
      await sleep(0.05);
    }
    const route = new URL(`api/streams/loop/mjpeg?quality=${QUALITY}`, url);
    const result = { system: "framecast-mjpeg", class: name };
    for (const clients of CLIENT_COUNTS) {
      const reading = readers(route, clients);
      result[`clients_${clients}`] = await cpuPerFrame(server.pid, () => streamSeq(url, "loop"));
      reading.close();
      await sleep(0.5);
    }
    Object.assign(result, await imgLatency(route.href));
    return result;
  } finally {
    await server.stop();
  }
}

async function runFlask(name, frames) {
  const port = await freePort();
  const server = spawnLoopScript("mjpeg.py", [frames, "--port", String(port), "--fps", String(RATE)]);
  const url = `http://127.0.0.1:${port}/`;
  try {
    for (let waited = 0; ; waited += 0.1) {
      if (await fetch(url).then((r) => r.ok, () => false)) break;
      if (!server.alive() || waited > 30) throw new Error(`mjpeg.py did not start:\n${server.log()}`);
      await sleep(0.1);
    }
    const result = { system: "flask-mjpeg", class: name };
    for (const clients of CLIENT_COUNTS) {
      const reading = readers(new URL("/video", url), clients);
      // Each client has its own generator: a frame of the loop is one part
      // to each of them.
      const framesSent = async () => (await (await fetch(new URL("/stats", url))).json()).frames / clients;
      result[`clients_${clients}`] = await cpuPerFrame(server.pid, framesSent);
      reading.close();
      await sleep(0.5);
    }
    Object.assign(result, await imgLatency(new URL("/video", url).href));
    return result;
  } finally {
    await server.stop();
  }
}

const results = [];
let browser = null;
for (const name of CLASSES) {
  const frames = path.join(repo, `target/bench/loop/${name}.rgb`);
  const made = spawn(framesBin, [name, String(FRAMES), frames], { stdio: ["ignore", "ignore", "inherit"] });
  const [code] = await once(made, "exit");
  if (code !== 0) throw new Error(`${framesBin} failed (${code})`);
  for (const run of [runFlask, runRoute]) {
    const result = await run(name, frames);
    browser = result.browser ?? browser;
    delete result.browser;
    results.push(result);
    const fmt = (v, digits = 1) => (v === null || v === undefined ? "-" : v.toFixed(digits));
    const one = result.clients_1;
    const many = result.clients_20;
    console.log(
      `${name.padEnd(7)} ${result.system.padEnd(16)} server CPU per frame: 1 client ${fmt(one.cpu_ms_per_frame, 2)} ms, 20 clients ${fmt(many.cpu_ms_per_frame, 2)} ms (${fmt(many.cpu_ms_per_frame / one.cpu_ms_per_frame, 2)}x); <img> in Chromium: ${fmt(result.shown_fps)} frames/s, latency p50 ${fmt(result.latency_p50_ms, 0)} p99 ${fmt(result.latency_p99_ms, 0)} ms`,
    );
  }
  await rm(frames, { force: true });
}
await writeFile(
  outPath,
  JSON.stringify({ mjpeg_route: true, width: 1000, height: 1000, rate: RATE, quality: QUALITY, measure_s: MEASURE_S, browser, results }, null, 2),
);
console.log(`wrote ${outPath}`);
