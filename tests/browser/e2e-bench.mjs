// End-to-end run: the real server, a producer publishing one corpus class
// uncapped over the ingest WebSocket (framecast-bench-publish, frames
// stamped with their capture time), and the real page in headless Chromium.
// Per class: frames per second published, decoded and painted by the page,
// capture-to-paint latency (p50, p99), and the server's CPU per frame
// delivered; then the WebSocket ceiling for that class's mean message size:
// a plain sender (the `ws` package, one ready-made message sent over and
// over with the same window of 2) to a page that only acks. Writes JSON for
// the report. Not a test: `just bench` runs it.
//
//   node e2e-bench.mjs ../../target/release/framecast-bench-publish ../../target/bench/e2e.json

import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { once } from "node:events";
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { WebSocketServer } from "ws";
import { launchBrowser, repo, startServer } from "./harness.mjs";

const publisher = path.resolve(process.argv[2] ?? path.join(repo, "target/release/framecast-bench-publish"));
const outPath = path.resolve(process.argv[3] ?? path.join(repo, "target/bench/e2e.json"));
// FRAMECAST_E2E_CLASSES=sprite,noise runs only those (for a quick look).
const CLASSES = (process.env.FRAMECAST_E2E_CLASSES ?? "static,sprite,scroll,plasma,noise,camera").split(",");
const WARM_UP_S = 2;
const MEASURE_S = 8;

const sleep = (s) => new Promise((resolve) => setTimeout(resolve, s * 1000));
const percentile = (values, p) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))];
};

/** CPU seconds (user + system) of a process, from /proc; USER_HZ is 100. */
async function cpuSeconds(pid) {
  const stat = await readFile(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

async function publishedSeq(url, stream) {
  const streams = await (await fetch(new URL("/api/streams", url))).json();
  return streams.find((s) => s.name === stream)?.seq ?? 0;
}

/**
 * Messages per second a page receives from a plain WebSocket sender of
 * `size`-byte messages, with at most `WINDOW` unacknowledged, as framecast's
 * server keeps them. The page acks each message on arrival and does nothing
 * else, so this is the transport's ceiling for that size.
 */
const WINDOW = 2;
const CEILING_S = 5;
async function webSocketCeiling(browser, size) {
  const sender = new WebSocketServer({ host: "127.0.0.1", port: 0 });
  await once(sender, "listening");
  const message = randomBytes(size);
  sender.on("connection", (socket) => {
    let inFlight = 0;
    const pump = () => {
      for (; inFlight < WINDOW; inFlight += 1) socket.send(message, { binary: true });
    };
    socket.on("message", () => {
      inFlight -= 1;
      pump();
    });
    pump();
  });
  const page = await browser.newPage();
  try {
    return await page.evaluate(
      async ({ url, warmUpMs, measureMs }) => {
        const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
        const socket = new WebSocket(url);
        socket.binaryType = "arraybuffer";
        const ack = new Uint8Array(24);
        let received = 0;
        socket.onmessage = () => {
          received += 1;
          socket.send(ack);
        };
        await new Promise((resolve) => (socket.onopen = resolve));
        await sleep(warmUpMs);
        const [before, start] = [received, performance.now()];
        await sleep(measureMs);
        const rate = ((received - before) * 1000) / (performance.now() - start);
        socket.close();
        return rate;
      },
      { url: `ws://127.0.0.1:${sender.address().port}/`, warmUpMs: 1000, measureMs: CEILING_S * 1000 },
    );
  } finally {
    await page.close();
    for (const client of sender.clients) client.terminate();
    sender.close();
  }
}

const server = await startServer(["--source", "none"]);
const browser = await launchBrowser();
const results = [];
try {
  for (const name of CLASSES) {
    const stream = `e2e-${name}`;
    const ingest = new URL(`/ingest/${stream}`, server.url.replace("http", "ws")).href;
    // Publishes for longer than the page needs; stopped once measured.
    const producer = spawn(publisher, [ingest, name, "600"], { stdio: ["ignore", "ignore", "inherit"] });
    const exited = once(producer, "exit");
    while ((await publishedSeq(server.url, stream)) === 0) await sleep(0.05);
    const page = await browser.newPage();
    await page.goto(new URL(`/?stream=${stream}`, server.url).href);
    await page.waitForFunction(() => window.framecast?.seq > 0, null, { timeout: 30_000 });
    await sleep(WARM_UP_S);

    const before = await page.evaluate(() => {
      window.framecast.latencies = [];
      return { applied: window.framecast.applied, painted: window.framecast.frames, bytes: window.framecast.bytes };
    });
    const [cpuBefore, seqBefore, start] = [await cpuSeconds(server.pid), await publishedSeq(server.url, stream), performance.now()];
    await sleep(MEASURE_S);
    const after = await page.evaluate(() => ({
      applied: window.framecast.applied,
      painted: window.framecast.frames,
      bytes: window.framecast.bytes,
      latencies: window.framecast.latencies,
    }));
    const [cpuAfter, seqAfter, elapsed] = [await cpuSeconds(server.pid), await publishedSeq(server.url, stream), (performance.now() - start) / 1000];
    await page.close();
    producer.kill();
    await exited;

    const delivered = after.applied - before.applied;
    const messageBytes = delivered ? Math.round((after.bytes - before.bytes) / delivered) : 0;
    const ceiling = messageBytes ? await webSocketCeiling(browser, messageBytes) : null;
    const row = {
      class: name,
      published_fps: (seqAfter - seqBefore) / elapsed,
      delivered_fps: delivered / elapsed,
      painted_fps: (after.painted - before.painted) / elapsed,
      latency_p50_ms: Math.round(percentile(after.latencies, 50)),
      latency_p99_ms: Math.round(percentile(after.latencies, 99)),
      server_cpu_ms_per_delivered_frame: delivered ? ((cpuAfter - cpuBefore) * 1000) / delivered : null,
      server_cpu_ms_per_s: ((cpuAfter - cpuBefore) * 1000) / elapsed,
      message_bytes: messageBytes,
      ceiling_fps: ceiling,
    };
    results.push(row);
    console.log(
      `${name.padEnd(7)} published ${row.published_fps.toFixed(0)}/s, delivered ${row.delivered_fps.toFixed(1)}/s, painted ${row.painted_fps.toFixed(1)}/s, latency p50 ${row.latency_p50_ms} ms p99 ${row.latency_p99_ms} ms, server ${row.server_cpu_ms_per_s.toFixed(0)} ms CPU/s; ${messageBytes} B messages, plain sender ${ceiling?.toFixed(1)}/s`,
    );
  }
} finally {
  await browser.close();
  await server.stop();
}
await writeFile(outPath, JSON.stringify({ width: 1000, height: 1000, measure_s: MEASURE_S, browser: browser.version(), results }, null, 2));
console.log(`wrote ${outPath}`);
