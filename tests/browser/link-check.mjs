// The work of link.test.mjs: a moving picture published at PRODUCER_FPS over
// the ingest WebSocket, watched in the page (headless Chromium) through a
// path of the given round-trip time (relay.mjs) and bandwidth (htb, when
// this runs inside a network namespace of its own: netns.mjs); then the
// producer stops changing it and the check waits for the canvas to equal
// the published frame. Prints one line of JSON.
//
// Set by the environment:
//   FRAMECAST_CHECK_CONTENT  plasma (default), sprite, camera, or field (a
//                            float32 simulation, shown through viridis over
//                            -3..3; exact means every value exact)
//   FRAMECAST_CHECK_RTT_MS   round trip between the page and the server (0)
//   FRAMECAST_CHECK_MBIT     what the server may send, Mbit/s; 0 (default)
//                            limits nothing and needs no namespace
//   FRAMECAST_CHECK_SIZE     the frames' size (640x480)
// By hand: `FRAMECAST_CHECK_MBIT=10 unshare --net node link-check.mjs`
// (root); FRAMECAST_LINK_LOG=1 RUST_LOG=info,framecast_server::quality=debug
// adds the server's log, with each viewer's quality decisions, on stderr.

import { once } from "node:events";
import WebSocket from "ws";
import { canvasPixels, decodePng, firstDifference, launchBrowser, publishMessage, publishedFrame, startServer } from "./harness.mjs";
import { limitLink, shapePort } from "./netns.mjs";
import { startRelay } from "./relay.mjs";

const CONTENT = process.env.FRAMECAST_CHECK_CONTENT ?? "plasma";
const RTT_MS = Number(process.env.FRAMECAST_CHECK_RTT_MS ?? 0);
const LINK_MBIT = Number(process.env.FRAMECAST_CHECK_MBIT ?? 0);
const [W, H] = (process.env.FRAMECAST_CHECK_SIZE ?? "640x480").split("x").map(Number);
const PRODUCER_FPS = 30;
const MOVING_S = 5;
// The first keyframe, the first estimate of the link and the window's
// growth across a long path come before.
const MEASURE_FROM_S = 2;

/** Frame `t` of a smooth full-frame animation (a simulation). */
function plasma(t) {
  const pixels = Buffer.alloc(W * H * 3);
  for (let y = 0, i = 0; y < H; y += 1) {
    for (let x = 0; x < W; x += 1, i += 3) {
      const v = Math.sin(x * 0.021 + t * 0.13) + Math.sin(y * 0.017 - t * 0.09) + Math.sin((x + y) * 0.011 + t * 0.05);
      pixels[i] = 128 + 40 * v;
      pixels[i + 1] = 128 + 40 * Math.sin(v * 2.1 + t * 0.07);
      pixels[i + 2] = 128 - 40 * v;
    }
  }
  return pixels;
}

/** A textured scene at (x, y), the same for every frame. */
function texture(x, y) {
  return 100 + 50 * Math.sin(x * 0.05) * Math.cos(y * 0.031) + 30 * Math.sin((x - 2 * y) * 0.013) + 20 * Math.sin(x * 0.31 + y * 0.17);
}

/** Frame `t` of a camera panning slowly over a scene, with sensor noise. */
function camera(t) {
  const pixels = Buffer.alloc(W * H * 3);
  let seed = 12345 + t * 7919;
  const noise = () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return (seed >> 16) % 9 - 4;
  };
  for (let y = 0, i = 0; y < H; y += 1) {
    for (let x = 0; x < W; x += 1, i += 3) {
      const v = texture(x + 2 * t, y + t);
      pixels[i] = v + 20 + noise();
      pixels[i + 1] = v + noise();
      pixels[i + 2] = v - 20 + noise();
    }
  }
  return pixels;
}

/** Frame `t` of a small block moving over a still textured background (a
 * GUI, a plot with a cursor). */
function sprite(t) {
  const pixels = Buffer.alloc(W * H * 3);
  const [bx, by] = [(t * 4) % (W - 64), (t * 3) % (H - 64)];
  for (let y = 0, i = 0; y < H; y += 1) {
    for (let x = 0; x < W; x += 1, i += 3) {
      const inside = x >= bx && x < bx + 64 && y >= by && y < by + 64;
      const v = texture(x, y);
      pixels[i] = inside ? 250 : v;
      pixels[i + 1] = inside ? 60 + ((x - bx) ^ (y - by)) : v;
      pixels[i + 2] = inside ? 30 : v;
    }
  }
  return pixels;
}

/** Frame `t` of a float32 field (a simulation's), as bytes. */
function field(t) {
  const values = new Float32Array(W * H);
  for (let y = 0, i = 0; y < H; y += 1) {
    for (let x = 0; x < W; x += 1, i += 1) {
      values[i] = Math.sin(x * 0.021 + t * 0.13) + Math.sin(y * 0.017 - t * 0.09) + Math.sin((x + y) * 0.011 + t * 0.05);
    }
  }
  return Buffer.from(values.buffer);
}

const CONTENTS = { plasma, camera, sprite, field };
/** The wire format of each content's frames (PROTOCOL.md). */
const FORMATS = { field: 5 };
if (!CONTENTS[CONTENT]) throw new Error(`FRAMECAST_CHECK_CONTENT is one of ${Object.keys(CONTENTS)}, not ${CONTENT}`);

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** The server's frame.png of the stream's newest frame, decoded. */
async function picture(url, stream) {
  const response = await fetch(new URL(`/api/streams/${stream}/frame.png`, url));
  return decodePng(Buffer.from(await response.arrayBuffer()));
}
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? null;

if (LINK_MBIT) limitLink(LINK_MBIT);
const server = await startServer(["--source", "none"]);
if (LINK_MBIT) shapePort(Number(new URL(server.url).port));
const relay = await startRelay({ to: server.url, rttMs: RTT_MS });
const browser = await launchBrowser();
try {
  const producer = new WebSocket(new URL("/ingest/moving", server.url.replace("http", "ws")));
  await once(producer, "open");
  if (CONTENT === "field") producer.send(JSON.stringify({ type: "view", colormap: "viridis", range: [-3, 3] }));
  const frames = Array.from({ length: 60 }, (_, t) => publishMessage(W, H, CONTENTS[CONTENT](t), FORMATS[CONTENT] ?? 1));
  /** Sends frame `n`, stamped with its capture time (PROTOCOL.md: offset 17). */
  const publish = (n) => {
    const frame = frames[n % frames.length];
    frame.writeBigUInt64LE(BigInt(Date.now()) * 1000n, 17);
    producer.send(frame);
  };
  publish(0);
  await sleep(200);
  const page = await browser.newPage();
  await page.goto(`${relay.url}?stream=moving`);
  await page.waitForFunction(() => window.framecast.seq > 0, null, { timeout: 20_000 });

  // Moving: one frame each 1/PRODUCER_FPS s; count what the page shows.
  let published = 1;
  let before = null;
  const start = performance.now();
  const snapshot = () => page.evaluate(() => ({ ...window.framecast, latencies: window.framecast.latencies.splice(0) }));
  while (performance.now() - start < MOVING_S * 1000) {
    publish(published);
    published += 1;
    const elapsed = (performance.now() - start) / 1000;
    if (elapsed >= MEASURE_FROM_S && before === null) before = { at: elapsed, published, ...(await snapshot()) };
    const next = start + (published * 1000) / PRODUCER_FPS;
    await sleep(Math.max(0, next - performance.now()));
  }
  const after = { at: (performance.now() - start) / 1000, published, ...(await snapshot()) };
  const seconds = after.at - before.at;

  // Still: the last frame stays; wait for the canvas to equal it.
  const stopped = performance.now();
  const last = await publishedFrame(server.url, "moving");
  // Colours: the canvas equals them. Values: the page says no JPEG tile is
  // left and the canvas equals the server's picture of them (frame.png,
  // the same colormap and range); then, once, every 97th value the view
  // holds is checked bit for bit (the colours alone would not tell: a lossy
  // value a hundredth off mostly falls in the same colour).
  const expected = last.raw ? (await picture(server.url, "moving")).pixels : last.rgba;
  const exact = async () =>
    !(await page.evaluate(() => window.framecast.lossy)) && firstDifference(await canvasPixels(page), expected) === -1;
  let exactAfterMs = null;
  while (performance.now() - stopped < 10_000) {
    if (await exact()) {
      exactAfterMs = Math.round(performance.now() - stopped);
      break;
    }
    await sleep(20);
  }
  const wrongValues = !last.raw
    ? 0
    : await page.evaluate(async (raw) => {
        const view = document.querySelector("#view");
        const want = new Uint32Array(new Uint8Array(raw).buffer);
        const bits = new Uint32Array(1);
        const floats = new Float32Array(bits.buffer);
        const { width } = view.state;
        let wrong = 0;
        for (let i = 0; i < want.length; i += 97) {
          floats[0] = (await view.pixel(i % width, Math.floor(i / width))).value;
          wrong += bits[0] !== want[i];
        }
        return wrong;
      }, [...last.raw]);
  const end = await page.evaluate(() => ({ ...window.framecast }));
  producer.close();
  console.log(JSON.stringify({
    content: CONTENT,
    rtt_ms: RTT_MS,
    link_mbit: LINK_MBIT || null,
    producer_fps: (after.published - before.published) / seconds,
    shown_fps: (after.frames - before.frames) / seconds,
    latency_p50_ms: median(after.latencies),
    bytes_per_frame: (after.bytes - before.bytes) / Math.max(1, after.applied - before.applied),
    lossy_times: end.lossyTimes,
    exact_after_ms: exactAfterMs,
    lossy_at_end: end.lossy,
    wrong_values: wrongValues,
    relayed_connections: relay.connections(),
  }));
} finally {
  await browser.close();
  await relay.close();
  await server.stop();
  if (process.env.FRAMECAST_LINK_LOG) process.stderr.write(server.log());
}
