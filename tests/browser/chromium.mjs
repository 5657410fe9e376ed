// Headless Chromium as users run it, for the benchmarks: launched directly,
// with a bare DevTools connection that only calls Runtime.evaluate.
//
// Playwright and Puppeteer enable the DevTools Network domain, and Chromium
// then copies and base64-encodes every WebSocket message for them, which
// slows WebSocket receive up to 8x (design.md, "Measuring in a browser").
// Nothing here enables a domain: the page runs as it would in a user's tab,
// and the benchmarks read its counters by evaluating JavaScript. Playwright
// stays for the correctness tests (harness.mjs).

import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import WebSocket from "ws";

export const browserPath = process.env.CHROMIUM ?? "/usr/bin/chromium";

/** Chromium's flags for tests and benchmarks alike: no sandbox (containers),
 * software rendering, and nothing that reaches for the network by itself. */
export const BROWSER_FLAGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/** Headless, a window the 1000x1000 frames fit in, DevTools on a free port. */
const FLAGS = ["--headless", ...BROWSER_FLAGS, "--window-size=1200,1200", "--remote-debugging-port=0"];

/**
 * Launches Chromium on `url`. Resolves to `{ pid, version, evaluate, waitFor, close }`:
 * `evaluate(fn, arg)` runs `fn(arg)` in the page (awaiting a promise) and
 * returns its JSON value; `waitFor(fn, arg)` polls until `fn(arg)` is truthy.
 */
export async function launchChromium(url) {
  const profile = await mkdtemp(path.join(os.tmpdir(), "framecast-chromium-"));
  // Its own process group, so closing ends every Chromium process at once.
  const child = spawn(browserPath, [...FLAGS, `--user-data-dir=${profile}`, url], { stdio: ["ignore", "ignore", "pipe"], detached: true });
  let log = "";
  const endpoint = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`Chromium printed no DevTools address in 30 s:\n${log}`)), 30_000);
    child.stderr.on("data", (chunk) => {
      log += chunk;
      const match = log.match(/DevTools listening on (ws:\/\/[^\s]+)/);
      if (match) {
        clearTimeout(timer);
        resolve(new URL(match[1]));
      }
    });
    child.on("exit", (code) => reject(new Error(`Chromium exited with ${code}:\n${log}`)));
  });
  const http = `http://${endpoint.host}`;
  const version = (await (await fetch(`${http}/json/version`)).json()).Browser;
  let target;
  for (let tries = 0; !target; tries += 1) {
    const targets = await (await fetch(`${http}/json/list`)).json();
    target = targets.find((t) => t.type === "page");
    if (!target && tries > 100) throw new Error("Chromium opened no page");
    if (!target) await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const devtools = new WebSocket(target.webSocketDebuggerUrl, { perMessageDeflate: false });
  await once(devtools, "open");
  const pending = new Map();
  let nextId = 1;
  devtools.on("message", (data) => {
    const reply = JSON.parse(data);
    pending.get(reply.id)?.(reply);
    pending.delete(reply.id);
  });

  async function evaluate(fn, arg) {
    const id = nextId++;
    const replied = new Promise((resolve) => pending.set(id, resolve));
    const expression = `(${fn})(${JSON.stringify(arg ?? null)})`;
    devtools.send(JSON.stringify({ id, method: "Runtime.evaluate", params: { expression, awaitPromise: true, returnByValue: true } }));
    const { result, error } = await replied;
    if (error) throw new Error(`Runtime.evaluate: ${error.message}`);
    if (result.exceptionDetails) {
      throw new Error(`in the page: ${result.exceptionDetails.exception?.description ?? result.exceptionDetails.text}`);
    }
    return result.result.value;
  }

  async function waitFor(fn, arg, timeoutMs = 30_000) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        if (await evaluate(fn, arg)) return;
      } catch (error) {
        // The page may still be loading (a navigation destroys the context).
        if (Date.now() > deadline) throw error;
      }
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${fn}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  async function close() {
    devtools.close();
    if (child.exitCode === null) {
      const exited = once(child, "exit");
      process.kill(-child.pid, "SIGTERM");
      await exited;
    }
    await rm(profile, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
  }

  return { pid: child.pid, version, evaluate, waitFor, close };
}

/** CPU seconds (user + system, every thread) of one process, from /proc; USER_HZ is 100. */
export async function cpuSeconds(pid) {
  const stat = await readFile(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** A process and all its descendants alive now, pids. */
async function descendants(rootPid) {
  const children = new Map();
  for (const entry of await readdir("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = await readFile(`/proc/${entry}/stat`, "utf8");
      const parent = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (!children.has(parent)) children.set(parent, []);
      children.get(parent).push(Number(entry));
    } catch {
      // exited while we looked
    }
  }
  const found = [];
  for (const queue = [rootPid]; queue.length; ) {
    const pid = queue.pop();
    found.push(pid);
    queue.push(...(children.get(pid) ?? []));
  }
  return found;
}

/** CPU seconds of a process and all its descendants alive now (Chromium's
 * browser, zygotes, renderer, GPU and utility processes). */
export async function treeCpuSeconds(rootPid) {
  let total = 0;
  for (const pid of await descendants(rootPid)) {
    try {
      total += await cpuSeconds(pid);
    } catch {
      // exited while we looked
    }
  }
  return total;
}

/** CPU seconds of Chromium's renderer main threads (a renderer process's
 * main thread has its pid as thread id) and of its dedicated workers'
 * threads (named "DedicatedWorker"), summed over every renderer below
 * `rootPid`: what the page's own thread spends, read from /proc without
 * asking the browser anything. */
export async function rendererThreadSeconds(rootPid) {
  const totals = { main: 0, worker: 0 };
  const threadSeconds = async (pid, tid) => {
    const stat = await readFile(`/proc/${pid}/task/${tid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / 100;
  };
  for (const pid of await descendants(rootPid)) {
    try {
      const cmdline = await readFile(`/proc/${pid}/cmdline`, "utf8");
      if (!cmdline.includes("--type=renderer")) continue;
      totals.main += await threadSeconds(pid, pid);
      for (const tid of await readdir(`/proc/${pid}/task`)) {
        const name = (await readFile(`/proc/${pid}/task/${tid}/comm`, "utf8")).trim();
        if (name.startsWith("DedicatedWorker")) totals.worker += await threadSeconds(pid, tid);
      }
    } catch {
      // exited while we looked
    }
  }
  return totals;
}
