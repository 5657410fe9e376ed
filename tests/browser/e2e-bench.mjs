// End-to-end run: the real server, a producer publishing one corpus class
// uncapped over the ingest WebSocket (framecast-bench-publish, frames
// stamped with their capture time), and the real page in headless Chromium,
// launched directly with no DevTools client but a bare Runtime.evaluate
// (chromium.mjs). Per class: frames per second published, decoded and
// painted by the page, capture-to-paint latency (p50, p99), and the server's
// and Chromium's CPU per frame delivered; then the WebSocket ceiling for
// that class's mean message size: a plain sender (the `ws` package, one
// ready-made message sent over and over with the same window of 2) to a
// page that only acks. Writes JSON for the report. Not a test: `just bench`
// runs it.
//
//   node e2e-bench.mjs ../../target/release/framecast-bench-publish ../../target/bench/e2e.json

import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { once } from "node:events";
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { WebSocketServer } from "ws";
import { cpuSeconds, launchChromium, treeCpuSeconds } from "./chromium.mjs";
import { repo, startServer } from "./harness.mjs";

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
async function webSocketCeiling(size) {
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
  const chromium = await launchChromium("about:blank");
  try {
    return await chromium.evaluate(
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
    await chromium.close();
    for (const client of sender.clients) client.terminate();
    sender.close();
  }
}

const server = await startServer(["--source", "none"]);
const results = [];
let browserVersion = null;
try {
  for (const name of CLASSES) {
    const stream = `e2e-${name}`;
    const ingest = new URL(`/ingest/${stream}`, server.url.replace("http", "ws")).href;
    // Publishes for longer than the page needs; stopped once measured.
    const producer = spawn(publisher, [ingest, name, "600"], { stdio: ["ignore", "ignore", "inherit"] });
    const exited = once(producer, "exit");
    while ((await publishedSeq(server.url, stream)) === 0) await sleep(0.05);
    const chromium = await launchChromium(new URL(`/?stream=${stream}`, server.url).href);
    browserVersion = chromium.version;
    await chromium.waitFor(() => window.framecast?.seq > 0);
    await sleep(WARM_UP_S);

    const counters = () => ({
      applied: window.framecast.applied,
      painted: window.framecast.frames,
      bytes: window.framecast.bytes,
      latencies: window.framecast.latencies.splice(0),
    });
    const before = await chromium.evaluate(counters);
    const cpu = async () => [await cpuSeconds(server.pid), await treeCpuSeconds(chromium.pid)];
    const [[serverBefore, chromiumBefore], seqBefore, start] = [await cpu(), await publishedSeq(server.url, stream), performance.now()];
    await sleep(MEASURE_S);
    const after = await chromium.evaluate(counters);
    const [[serverAfter, chromiumAfter], seqAfter, elapsed] = [await cpu(), await publishedSeq(server.url, stream), (performance.now() - start) / 1000];
    await chromium.close();
    producer.kill();
    await exited;

    const delivered = after.applied - before.applied;
    const perDelivered = (seconds) => (delivered ? (seconds * 1000) / delivered : null);
    const messageBytes = delivered ? Math.round((after.bytes - before.bytes) / delivered) : 0;
    const ceiling = messageBytes ? await webSocketCeiling(messageBytes) : null;
    const row = {
      class: name,
      published_fps: (seqAfter - seqBefore) / elapsed,
      delivered_fps: delivered / elapsed,
      painted_fps: (after.painted - before.painted) / elapsed,
      latency_p50_ms: Math.round(percentile(after.latencies, 50)),
      latency_p99_ms: Math.round(percentile(after.latencies, 99)),
      server_cpu_ms_per_delivered_frame: perDelivered(serverAfter - serverBefore),
      server_cpu_ms_per_s: ((serverAfter - serverBefore) * 1000) / elapsed,
      chromium_cpu_ms_per_delivered_frame: perDelivered(chromiumAfter - chromiumBefore),
      message_bytes: messageBytes,
      ceiling_fps: ceiling,
    };
    results.push(row);
    console.log(
      `${name.padEnd(7)} published ${row.published_fps.toFixed(0)}/s, delivered ${row.delivered_fps.toFixed(1)}/s, painted ${row.painted_fps.toFixed(1)}/s, latency p50 ${row.latency_p50_ms} ms p99 ${row.latency_p99_ms} ms, server ${row.server_cpu_ms_per_s.toFixed(0)} ms CPU/s, Chromium ${row.chromium_cpu_ms_per_delivered_frame?.toFixed(1)} ms a frame; ${messageBytes} B messages, plain sender ${ceiling?.toFixed(1)}/s`,
    );
  }
} finally {
  await server.stop();
}
await writeFile(outPath, JSON.stringify({ width: 1000, height: 1000, measure_s: MEASURE_S, browser: browserVersion, driven: "launched directly; counters read with Runtime.evaluate only", results }, null, 2));
console.log(`wrote ${outPath}`);
