// The remote Publisher over a limited uplink: the numpy loop of each class
// (tests/loop/publish.py, uncapped: each frame waits until the one before is
// on the network) publishing to the real server through a link that carries
// what the producer uploads at 100 or 20 Mbit/s, as a producer on another
// machine would, once sending what changed where that pays (the default)
// and once sending every frame whole (`--whole`). Reported per class and
// link: frames a second that reach the server, bytes per frame on the wire
// (from the server's side: the producer's uploads are counted by the
// kernel's qdisc), and producer and server CPU per frame. No browser: the
// server-to-viewer side is the loop benchmark's.
//
//   node uplink-bench.mjs [FRAMES_BIN] [OUT.json]
//
// Runs itself again inside a network namespace of its own (root, unshare
// and tc; netns.mjs); without one it writes why and no rows.
// FRAMECAST_UPLINK_MBIT=100,20 and FRAMECAST_UPLINK_CLASSES=sprite,plasma
// choose what it runs.

import { execFileSync, spawn, spawnSync } from "node:child_process";
import { once } from "node:events";
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { cpuSeconds } from "./chromium.mjs";
import { repo, startServer } from "./harness.mjs";
import { limitLink, runInNamespace, shapeUploadsTo, whyNoNamespace } from "./netns.mjs";

const framesBin = path.resolve(process.argv[2] ?? path.join(repo, "target/release/framecast-bench-frames"));
const outPath = path.resolve(process.argv[3] ?? path.join(repo, "target/bench/uplink.json"));
const python = path.join(repo, "target/venv/bin/python");
const loopDir = path.join(repo, "tests/loop");
const CLASSES = (process.env.FRAMECAST_UPLINK_CLASSES ?? "sprite,scroll,plasma,camera").split(",");
const LINKS = (process.env.FRAMECAST_UPLINK_MBIT ?? "100,20").split(",").map(Number);
const FRAMES = 60;
const WARM_UP_S = 3;
const MEASURE_S = 10;
const sleep = (s) => new Promise((resolve) => setTimeout(resolve, s * 1000));

if (!process.env.FRAMECAST_UPLINK_IN_NETNS) {
  const why = whyNoNamespace();
  if (why) {
    console.log(`uplink-bench: skipped: cannot make a network namespace with tc (${why})`);
    await writeFile(outPath, JSON.stringify({ uplink: true, skipped: `no network namespace with tc here: ${why}`, results: [] }, null, 2));
    process.exit(0);
  }
  const inside = runInNamespace(process.argv[1], process.argv.slice(2), { FRAMECAST_UPLINK_IN_NETNS: "1" }, { stdio: "inherit" });
  process.exit(inside.status ?? 1);
}

/** Bytes the limited class has sent so far (what the producer uploaded). */
function shapedBytes() {
  const stats = execFileSync("tc", ["-s", "class", "show", "dev", "lo", "classid", "1:1"], { encoding: "utf8" });
  return Number(stats.match(/Sent (\d+) bytes/)[1]);
}

async function streamSeq(url, stream) {
  const streams = await (await fetch(new URL("/api/streams", url))).json();
  return streams.find((s) => s.name === stream)?.seq ?? 0;
}

async function run(name, mbit, mode, frames) {
  const server = await startServer(["--source", "none"]);
  shapeUploadsTo(Number(new URL(server.url).port));
  const stream = `uplink-${name}`;
  const args = [path.join(loopDir, "publish.py"), frames, server.url, stream, "--fps", "0", ...(mode === "whole" ? ["--whole"] : [])];
  const producer = spawn(python, args, { cwd: loopDir, stdio: ["ignore", "ignore", "inherit"] });
  const exited = once(producer, "exit");
  try {
    for (let waited = 0; !(await streamSeq(server.url, stream)); waited += 0.05) {
      if (producer.exitCode !== null || waited > 30) throw new Error("publish.py published nothing");
      await sleep(0.05);
    }
    await sleep(WARM_UP_S);
    const sample = async () => ({
      seq: await streamSeq(server.url, stream),
      bytes: shapedBytes(),
      producer: await cpuSeconds(producer.pid),
      server: await cpuSeconds(server.pid),
      at: performance.now(),
    });
    const before = await sample();
    await sleep(MEASURE_S);
    const after = await sample();
    const published = after.seq - before.seq;
    const perFrame = (key) => (published ? ((after[key] - before[key]) * 1000) / published : null);
    return {
      class: name,
      link_mbit: mbit,
      mode,
      fps: published / ((after.at - before.at) / 1000),
      bytes_per_frame: published ? (after.bytes - before.bytes) / published : null,
      producer_cpu_ms_per_frame: perFrame("producer"),
      server_cpu_ms_per_frame: perFrame("server"),
    };
  } finally {
    if (producer.exitCode === null) producer.kill("SIGTERM");
    await exited;
    await server.stop();
  }
}

const results = [];
for (const name of CLASSES) {
  const frames = path.join(repo, `target/bench/loop/${name}.rgb`);
  const made = spawn(framesBin, [name, String(FRAMES), frames], { stdio: ["ignore", "ignore", "inherit"] });
  const [code] = await once(made, "exit");
  if (code !== 0) throw new Error(`${framesBin} failed (${code})`);
  for (const mbit of LINKS) {
    // A fresh namespace root per link: the class's rate is the link's.
    spawnSync("tc", ["qdisc", "del", "dev", "lo", "root"]);
    limitLink(mbit);
    for (const mode of ["deltas", "whole"]) {
      const result = await run(name, mbit, mode, frames);
      results.push(result);
      const fmt = (v, digits = 1) => (v === null ? "-" : v.toFixed(digits));
      console.log(
        `${name} ${mbit} Mbit/s ${mode}: ${fmt(result.fps)} frames/s, ${fmt(result.bytes_per_frame / 1e3, 0)} kB a frame, ` +
          `producer ${fmt(result.producer_cpu_ms_per_frame, 2)} ms, server ${fmt(result.server_cpu_ms_per_frame, 2)} ms CPU a frame`,
      );
    }
  }
}
await writeFile(outPath, JSON.stringify({ uplink: true, frames: FRAMES, measure_s: MEASURE_S, results }, null, 2));
console.log(`wrote ${outPath}`);
