// The comparison users look for first: the classic numpy loop published to
// framecast with the Python client (and from the server inside the Python
// process), against the same frames sent the MJPEG
// way (Flask + cv2.imencode, multipart/x-mixed-replace), both watched in
// headless Chromium launched directly (chromium.mjs: no DevTools client but
// a bare Runtime.evaluate). Per class and rate (20 frames/s, and as fast as
// each goes): frames shown per second, capture-to-shown latency, bytes per
// frame, and CPU per frame shown of producer + server and of every Chromium
// process. Writes JSON for the report. Not a test: `just bench` runs it.
//
//   node loop-bench.mjs ../../target/release/framecast-bench-frames ../../target/bench/loop.json
//
// Both loops play the same frames (tests/loop/frames.py), stamped with their
// number and capture time in the top-left 64x48 pixels. framecast's page
// counts its paints and their capture-to-paint latency itself (the capture
// time travels in the frame header); on the MJPEG page, which has no script,
// STAMP_READER reads the stamp of the <img> once per animation frame and
// counts the frames whose stamp changed.
//
// FRAMECAST_LOOP_LINK_MBIT=100 limits what the servers send (framecast's
// server and the Flask process, to Chromium) to that many Mbit/s, as a
// Wi-Fi or office LAN would: the run re-executes itself in a network
// namespace of its own (`unshare --net`, root), where an htb class shapes
// the loopback traffic from each server's port (this kernel has htb and the
// u32 filter, not netem). The producer-to-server direction stays unlimited.
// FRAMECAST_LOOP_RTT_MS=100 puts that round-trip time between Chromium and
// each server: the page's connections go through relay.mjs, which delays
// each direction by half of it (no netem here), as a remote Jupyter server,
// a cloud GPU box or a VPN would; with a link limit too, the relay runs in
// the namespace and the link it crosses is shaped.
// FRAMECAST_LOOP_RATES=30 sets the paced rates (default 20 and uncapped).
// On an unlimited link the loop also runs with the server inside the Python
// process (framecast.serve, tests/loop/serve.py; uncapped, each frame waits
// for stream.flush), unless FRAMECAST_LOOP_NO_IN_PROCESS is set.
// FRAMECAST_LOOP_SYSTEMS=mjpeg,in-process runs only those loops (of mjpeg,
// framecast (the Publisher) and in-process); FRAMECAST_LOOP_SIZE=1920x1080
// plays frames of that size (default 1000x1000).
// FRAMECAST_LOOP_DECODE=both runs framecast's page a second time with the
// view decoding on the page's main thread (`?decode=main`, system
// "framecast-main-thread"), for what the worker takes off the main thread:
// every row has the CPU per frame shown of the renderer's main threads and
// of its workers' threads, read from /proc.

import { spawn } from "node:child_process";
import { once } from "node:events";
import { rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { cpuSeconds, launchChromium, rendererThreadSeconds, treeCpuSeconds } from "./chromium.mjs";
import { freePort, repo, spawnLoopScript, startServer } from "./harness.mjs";
import { STAMP_READER } from "./stamps.mjs";
import { limitLink, runInNamespace, shapePort, whyNoNamespace } from "./netns.mjs";
import { startRelay } from "./relay.mjs";

const framesBin = path.resolve(process.argv[2] ?? path.join(repo, "target/release/framecast-bench-frames"));
const outPath = path.resolve(process.argv[3] ?? path.join(repo, "target/bench/loop.json"));
const python = path.join(repo, "target/venv/bin/python");
const loopDir = path.join(repo, "tests/loop");
// FRAMECAST_LOOP_CLASSES=sprite,camera runs only those (for a quick look).
const CLASSES = (process.env.FRAMECAST_LOOP_CLASSES ?? "sprite,scroll,plasma,noise,camera").split(",");
/** Frames per second the producers are paced at; 0 is as fast as each goes. */
const RATES = (process.env.FRAMECAST_LOOP_RATES ?? "20,0").split(",").map(Number);
// The frames' size (tests/loop/frames.py reads the same variable), and which
// of the loops run: MJPEG's, the Publisher's, the in-process server's.
const SIZE = process.env.FRAMECAST_LOOP_SIZE ?? "1000x1000";
const [WIDTH, HEIGHT] = SIZE.split("x").map(Number);
const SYSTEMS = (process.env.FRAMECAST_LOOP_SYSTEMS ?? "mjpeg,framecast,in-process").split(",");
/** The server-to-browser link's rate in Mbit/s, or null for unlimited. */
const LINK_MBIT = process.env.FRAMECAST_LOOP_LINK_MBIT ? Number(process.env.FRAMECAST_LOOP_LINK_MBIT) : null;
/** The round trip between Chromium and the servers, in ms, or null for
 * none (no relay). */
const RTT_MS = process.env.FRAMECAST_LOOP_RTT_MS ? Number(process.env.FRAMECAST_LOOP_RTT_MS) : null;
/** Whether framecast's page also runs decoding on its main thread. */
const MAIN_THREAD_TOO = process.env.FRAMECAST_LOOP_DECODE === "both";

if (LINK_MBIT !== null && !process.env.FRAMECAST_LOOP_IN_NETNS) {
  // Run again inside a network namespace of our own, whose loopback we may
  // shape without touching the machine's. Where none can be made, say so in
  // the output and in the report.
  const why = whyNoNamespace();
  if (why) {
    console.log(`loop-bench: skipping the ${LINK_MBIT} Mbit/s link: cannot make a network namespace with tc (${why})`);
    await writeFile(outPath, JSON.stringify({ link_mbit: LINK_MBIT, rtt_ms: RTT_MS, skipped: `no network namespace with tc here: ${why}`, results: [] }, null, 2));
    process.exit(0);
  }
  const inside = runInNamespace(process.argv[1], process.argv.slice(2), { FRAMECAST_LOOP_IN_NETNS: "1" }, { stdio: "inherit" });
  process.exit(inside.status ?? 1);
}
if (LINK_MBIT !== null) limitLink(LINK_MBIT);

/** Sends what leaves a server's port through the limited link, if any. */
function shapeServer(port) {
  if (LINK_MBIT !== null) shapePort(port);
}

/** Where Chromium opens `url`: through a delay relay when there is a round
 * trip to put between them. Returns {url, close()}. */
async function distant(url) {
  if (RTT_MS === null) return { url, close: async () => {} };
  return startRelay({ to: url, rttMs: RTT_MS });
}
/** Distinct frames of each class, played forwards and backwards. */
const FRAMES = 60;
const WARM_UP_S = 3;
const MEASURE_S = 10;

const sleep = (s) => new Promise((resolve) => setTimeout(resolve, s * 1000));
const percentile = (values, p) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] : null;
};

/** Samples CPU of `producers` (summed) and Chromium and the page's counters
 * over MEASURE_S after WARM_UP_S; returns the differences. */
async function measure(chromium, producerPids, serverPid, counters) {
  await sleep(WARM_UP_S);
  const sample = async () => {
    let producer = 0;
    for (const pid of producerPids) producer += await cpuSeconds(pid);
    const server = await cpuSeconds(serverPid);
    const threads = await rendererThreadSeconds(chromium.pid);
    return { producer, server, chromium: await treeCpuSeconds(chromium.pid), threads, counters: await counters(), at: performance.now() };
  };
  const before = await sample();
  await sleep(MEASURE_S);
  const after = await sample();
  return { before, after, elapsed: (after.at - before.at) / 1000 };
}

/** One pipeline's result for the report, from a `measure` run and what
 * its page and producer counted over it. */
function row({ system, name, rate, run: { before, after, elapsed }, shown, sent, latencies, bytesPerFrame, exactShare = 0 }) {
  const perShown = (seconds) => (shown ? (seconds * 1000) / shown : null);
  return {
    system,
    class: name,
    rate,
    shown_fps: shown / elapsed,
    sent_fps: sent / elapsed,
    latency_p50_ms: percentile(latencies, 50),
    latency_p99_ms: percentile(latencies, 99),
    bytes_per_frame: bytesPerFrame,
    // Frames shown while the server said the picture was exact (MJPEG's
    // never are).
    exact_share: exactShare,
    producer_server_cpu_ms_per_frame: perShown(after.producer - before.producer),
    // The server process alone (for MJPEG the Flask process, whose
    // generator is also the producer).
    server_cpu_ms_per_frame: perShown(after.server - before.server),
    chromium_cpu_ms_per_frame: perShown(after.chromium - before.chromium),
    // The page's main thread, and its workers' threads (framecast's view
    // decodes and paints in one unless told not to).
    main_thread_cpu_ms_per_frame: perShown(after.threads.main - before.threads.main),
    worker_cpu_ms_per_frame: perShown(after.threads.worker - before.threads.worker),
  };
}

/** framecast's page on `stream`, showing a frame; `decode` "main" has the
 * view decode on the page's main thread. */
async function openPage(url, stream, decode = "worker") {
  const chromium = await launchChromium(new URL(`/?stream=${stream}${decode === "main" ? "&decode=main" : ""}`, url).href);
  await chromium.waitFor(() => window.framecast?.seq > 0);
  return chromium;
}

/** What framecast's page counted, and the stream's sequence, for `measure`. */
function pageCounters(chromium, url, stream) {
  return async () => ({
    ...(await chromium.evaluate(() => ({
      painted: window.framecast.frames,
      exact: window.framecast.exactFrames,
      applied: window.framecast.applied,
      bytes: window.framecast.bytes,
      latencies: window.framecast.latencies.splice(0),
    }))),
    seq: await streamSeq(url, stream),
  });
}

/** The row of a `measure` run of framecast's page. */
function pageRow(system, name, rate, run) {
  const { before, after } = run;
  const applied = after.counters.applied - before.counters.applied;
  const shown = after.counters.painted - before.counters.painted;
  return row({
    system,
    name,
    rate,
    run,
    shown,
    exactShare: shown ? (after.counters.exact - before.counters.exact) / shown : null,
    sent: after.counters.seq - before.counters.seq,
    latencies: after.counters.latencies,
    bytesPerFrame: applied ? (after.counters.bytes - before.counters.bytes) / applied : null,
  });
}

async function runFramecast(name, rate, frames, decode = "worker") {
  const server = await startServer(["--source", "none"]);
  shapeServer(Number(new URL(server.url).port));
  const stream = `loop-${name}`;
  const producer = spawnLoopScript("publish.py", [frames, server.url, stream, "--fps", String(rate)]);
  const relay = await distant(server.url);
  let chromium;
  try {
    for (let waited = 0; !(await streamSeq(server.url, stream)); waited += 0.05) {
      if (!producer.alive() || waited > 30) throw new Error(`publish.py published nothing:\n${producer.log()}`);
      await sleep(0.05);
    }
    chromium = await openPage(relay.url, stream, decode);
    const run = await measure(chromium, [producer.pid, server.pid], server.pid, pageCounters(chromium, server.url, stream));
    const exactAfterMs = await timeToExact(chromium, producer, server.url, stream);
    const system = decode === "main" ? "framecast-main-thread" : "framecast";
    return { exact_after_ms: exactAfterMs, ...pageRow(system, name, rate, run), browser: chromium.version };
  } finally {
    await chromium?.close();
    await relay.close();
    await producer.stop();
    await server.stop();
  }
}

/** The same loop with the server inside the Python process
 * (`framecast.serve`, tests/loop/serve.py): producer and server are one
 * process. */
async function runInProcess(name, rate, frames) {
  const port = await freePort();
  shapeServer(port);
  const url = `http://127.0.0.1:${port}/`;
  const stream = `loop-${name}`;
  const producer = spawnLoopScript("serve.py", [frames, stream, "--port", String(port), "--fps", String(rate)]);
  let chromium;
  try {
    for (let waited = 0; !(await streamSeq(url, stream).catch(() => 0)); waited += 0.05) {
      if (!producer.alive() || waited > 30) throw new Error(`serve.py published nothing:\n${producer.log()}`);
      await sleep(0.05);
    }
    chromium = await openPage(url, stream);
    const run = await measure(chromium, [producer.pid], producer.pid, pageCounters(chromium, url, stream));
    return pageRow("in-process", name, rate, run);
  } finally {
    await chromium?.close();
    await producer.stop();
  }
}

/** Stops the producer, its last frame staying on the stream, and returns
 * the milliseconds until the page shows that frame exactly: its sequence
 * painted and no JPEG tile left unrefined (the server tells the page, and
 * knows exactly what the page holds; tests/browser/link.test.mjs checks the
 * canvas against the published frame pixel for pixel). Null past 10 s. */
async function timeToExact(chromium, producer, url, stream) {
  await producer.stop();
  const stopped = performance.now();
  while (performance.now() - stopped < 10_000) {
    // Frames already on their way may still be published after the
    // producer stopped: the newest one, whichever it is now.
    const last = await streamSeq(url, stream);
    const exact = await chromium.evaluate((seq) => window.framecast.seq === seq && !window.framecast.lossy, last);
    if (exact) return Math.round(performance.now() - stopped);
    await sleep(0.01);
  }
  return null;
}

async function streamSeq(url, stream) {
  const streams = await (await fetch(new URL("/api/streams", url))).json();
  return streams.find((s) => s.name === stream)?.seq ?? 0;
}

async function runMjpeg(name, rate, frames) {
  const port = await freePort();
  shapeServer(port);
  const server = spawnLoopScript("mjpeg.py", [frames, "--port", String(port), "--fps", String(rate)]);
  const url = `http://127.0.0.1:${port}/`;
  const relay = await distant(url);
  let chromium;
  try {
    for (let waited = 0; ; waited += 0.1) {
      if (await fetch(url).then((r) => r.ok, () => false)) break;
      if (!server.alive() || waited > 30) throw new Error(`mjpeg.py did not start:\n${server.log()}`);
      await sleep(0.1);
    }
    chromium = await launchChromium(relay.url);
    await chromium.waitFor(() => document.getElementById("view")?.naturalWidth > 0);
    await chromium.evaluate(STAMP_READER);
    const counters = async () => ({
      ...(await chromium.evaluate(() => ({ shown: window.meter.shown, latencies: window.meter.latencies.splice(0) }))),
      ...(await (await fetch(new URL("/stats", url))).json()),
    });
    const run = await measure(chromium, [server.pid], server.pid, counters);
    const { before, after } = run;
    const sent = after.counters.frames - before.counters.frames;
    const bytes = sent ? (after.counters.bytes - before.counters.bytes) / sent : null;
    return row({
      system: "mjpeg",
      name,
      rate,
      run,
      shown: after.counters.shown - before.counters.shown,
      sent,
      latencies: after.counters.latencies,
      bytesPerFrame: bytes,
    });
  } finally {
    await chromium?.close();
    await relay.close();
    await server.stop();
  }
}

/** What stream.send costs with the server in-process (tests/loop/send_cost.py). */
async function sendCost() {
  const child = spawn(python, [path.join(loopDir, "send_cost.py")], { cwd: loopDir, stdio: ["ignore", "pipe", "inherit"] });
  let out = "";
  child.stdout.on("data", (chunk) => (out += chunk));
  const [code] = await once(child, "exit");
  if (code !== 0) throw new Error(`send_cost.py failed (${code})`);
  return JSON.parse(out);
}
const send_cost = LINK_MBIT === null && RTT_MS === null && SIZE === "1000x1000" ? await sendCost() : null;
if (send_cost) {
  console.log(`stream.send of a 1000x1000 RGB frame, server in-process: p50 ${send_cost.send_ms_p50.toFixed(3)} ms (CPU ${send_cost.send_cpu_ms_p50.toFixed(3)} ms), p90 ${send_cost.send_ms_p90.toFixed(3)} ms`);
}

const results = [];
let browser = null;
for (const name of CLASSES) {
  const frames = path.join(repo, `target/bench/loop/${name}.rgb`);
  const made = spawn(framesBin, [name, String(FRAMES), frames, SIZE], { stdio: ["ignore", "ignore", "inherit"] });
  const [code] = await once(made, "exit");
  if (code !== 0) throw new Error(`${framesBin} failed (${code})`);
  for (const rate of RATES) {
    // The in-process server runs without a link limit only (it is the same
    // server as runFramecast's on the link).
    const inProcess = LINK_MBIT === null && RTT_MS === null && !process.env.FRAMECAST_LOOP_NO_IN_PROCESS && SYSTEMS.includes("in-process") ? [runInProcess] : [];
    const mainThread = MAIN_THREAD_TOO ? [(...args) => runFramecast(...args, "main")] : [];
    const publisher = SYSTEMS.includes("framecast") ? [runFramecast, ...mainThread] : [];
    const mjpeg = SYSTEMS.includes("mjpeg") ? [runMjpeg] : [];
    for (const run of [...mjpeg, ...publisher, ...inProcess]) {
      const result = await run(name, rate, frames);
      browser = result.browser ?? browser;
      delete result.browser;
      results.push(result);
      const fmt = (v, digits = 1) => (v === null ? "-" : v.toFixed(digits));
      console.log(
        `${name.padEnd(7)} ${rate ? `${rate}/s` : "uncapped"}${RTT_MS === null ? "" : ` at ${RTT_MS} ms`}${LINK_MBIT === null ? "" : ` over ${LINK_MBIT} Mbit/s`} ${result.system.padEnd(21)} shown ${fmt(result.shown_fps)}/s (sent ${fmt(result.sent_fps)}/s), latency p50 ${fmt(result.latency_p50_ms, 0)} p99 ${fmt(result.latency_p99_ms, 0)} ms, ${fmt(result.bytes_per_frame / 1000)} KB a frame, CPU per frame: producer+server ${fmt(result.producer_server_cpu_ms_per_frame)} ms (server ${fmt(result.server_cpu_ms_per_frame)}), Chromium ${fmt(result.chromium_cpu_ms_per_frame)} ms (main thread ${fmt(result.main_thread_cpu_ms_per_frame, 2)}, workers ${fmt(result.worker_cpu_ms_per_frame, 2)})` +
          (result.system.startsWith("framecast") ? `, ${fmt(100 * (result.exact_share ?? 0), 0)}% of frames exact, exact ${result.exact_after_ms ?? "-"} ms after the last change` : ""),
      );
    }
  }
  await rm(frames, { force: true });
}
await writeFile(
  outPath,
  JSON.stringify({ width: WIDTH, height: HEIGHT, frames: FRAMES, measure_s: MEASURE_S, link_mbit: LINK_MBIT, rtt_ms: RTT_MS, browser, driven: "launched directly; counters read with Runtime.evaluate only", send_cost, results }, null, 2),
);
console.log(`wrote ${outPath}`);
