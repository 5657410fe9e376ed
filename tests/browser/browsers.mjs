// Firefox and WebKit for the tests, driven as their makers expose them, with
// no driver of ours in between: Firefox ESR over WebDriver BiDi (its own
// --remote-debugging-port), WebKitGTK's MiniBrowser through WebKitWebDriver
// under a virtual X server. Each gives a page with `goto(url)` and
// `evaluate(expression)` (an async function's body, its value returned as
// JSON), which is all the tests need, and Firefox `screenshot(box)`.

import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import WebSocket from "ws";
import { freePort } from "./harness.mjs";

/** Waits until `attempt()` resolves, retrying every 100 ms for `ms`. */
async function retrying(ms, attempt) {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      return await attempt();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

function started(child, name) {
  let log = "";
  child.stdout?.on("data", (chunk) => (log += chunk));
  child.stderr?.on("data", (chunk) => (log += chunk));
  return {
    log: () => log,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill("SIGTERM");
      await Promise.race([once(child, "exit"), new Promise((resolve) => setTimeout(resolve, 5000))]);
      if (child.exitCode === null) child.kill("SIGKILL");
    },
    name,
  };
}

/** Firefox ESR, headless, in a fresh profile that reaches for no network
 * by itself. */
export async function launchFirefox() {
  const profile = await mkdtemp(path.join(os.tmpdir(), "framecast-firefox-"));
  const prefs = {
    "app.update.enabled": false,
    "browser.shell.checkDefaultBrowser": false,
    "datareporting.policy.dataSubmissionEnabled": false,
    "toolkit.telemetry.enabled": false,
    "network.captive-portal-service.enabled": false,
    "network.connectivity-service.enabled": false,
    "browser.safebrowsing.malware.enabled": false,
    "browser.safebrowsing.phishing.enabled": false,
    "extensions.update.enabled": false,
    "services.settings.server": "http://127.0.0.1:9/",
  };
  await writeFile(path.join(profile, "user.js"), Object.entries(prefs).map(([k, v]) => `user_pref(${JSON.stringify(k)}, ${JSON.stringify(v)});`).join("\n"));
  const port = await freePort();
  const child = spawn("firefox-esr", ["--headless", "--no-remote", "--profile", profile, `--remote-debugging-port=${port}`, "about:blank"], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, MOZ_CRASHREPORTER_DISABLE: "1" },
  });
  const process_ = started(child, "Firefox ESR");
  const socket = await retrying(20_000, () => openSocket(`ws://127.0.0.1:${port}/session`));
  let next = 0;
  const pending = new Map();
  socket.on("message", (data) => {
    const message = JSON.parse(data);
    if (message.id !== undefined && pending.has(message.id)) {
      const { resolve, reject } = pending.get(message.id);
      pending.delete(message.id);
      if (message.type === "error") reject(new Error(`${message.error}: ${message.message}`));
      else resolve(message.result);
    }
  });
  const send = (method, params) =>
    new Promise((resolve, reject) => {
      const id = (next += 1);
      pending.set(id, { resolve, reject });
      socket.send(JSON.stringify({ id, method, params }));
    });
  await send("session.new", { capabilities: {} });
  const { contexts } = await send("browsingContext.getTree", {});
  const context = contexts[0].context;
  return {
    name: "Firefox ESR",
    async goto(url) {
      await send("browsingContext.navigate", { context, url, wait: "complete" });
    },
    async evaluate(body) {
      const expression = `(async () => JSON.stringify(await (async () => { ${body} })()))()`;
      const result = await send("script.evaluate", { expression, target: { context }, awaitPromise: true });
      if (result.type === "exception") throw new Error(`in Firefox: ${result.exceptionDetails.text}`);
      return JSON.parse(result.result.value ?? "null");
    },
    /** A PNG of the CSS-pixel box {x, y, width, height} of the page. */
    async screenshot(clip) {
      const { data } = await send("browsingContext.captureScreenshot", { context, clip: { type: "box", ...clip } });
      return Buffer.from(data, "base64");
    },
    async close() {
      await send("session.end", {}).catch(() => {});
      socket.close();
      await process_.stop();
    },
  };
}

function openSocket(url) {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url);
    socket.once("open", () => resolve(socket));
    socket.once("error", reject);
  });
}

const MINIBROWSER = "/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser";

/** WebKitGTK's MiniBrowser (Safari's engine) through WebKitWebDriver, on a
 * virtual X server of its own. */
export async function launchWebKit() {
  let display;
  let xvfb;
  for (let attempt = 0; attempt < 20 && !xvfb; attempt += 1) {
    display = 90 + Math.floor(Math.random() * 400);
    const child = spawn("Xvfb", [`:${display}`, "-screen", "0", "1280x1024x24", "-nolisten", "tcp"], { stdio: ["ignore", "pipe", "pipe"] });
    const exited = await Promise.race([once(child, "exit").then(() => true), new Promise((resolve) => setTimeout(() => resolve(false), 500))]);
    if (!exited) xvfb = started(child, "Xvfb");
  }
  if (!xvfb) throw new Error("no free X display for Xvfb");
  const port = await freePort();
  const driver = started(
    spawn("WebKitWebDriver", [`--port=${port}`], { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, DISPLAY: `:${display}` } }),
    "WebKitWebDriver",
  );
  const base = `http://127.0.0.1:${port}`;
  const call = async (method, route, body) => {
    const response = await fetch(base + route, { method, headers: { "Content-Type": "application/json" }, body: body && JSON.stringify(body) });
    const { value } = await response.json();
    if (!response.ok) throw new Error(`WebKitWebDriver ${route}: ${value?.error}: ${value?.message}`);
    return value;
  };
  const capabilities = { alwaysMatch: { "webkitgtk:browserOptions": { binary: MINIBROWSER, args: ["--automation"] } } };
  const session = await retrying(20_000, () => call("POST", "/session", { capabilities }));
  const id = session.sessionId;
  await call("POST", `/session/${id}/timeouts`, { script: 60_000 });
  return {
    name: "WebKit",
    async goto(url) {
      await call("POST", `/session/${id}/url`, { url });
    },
    async evaluate(body) {
      const script = `const done = arguments[arguments.length - 1];
        (async () => { ${body} })().then((value) => done(JSON.stringify(value)), (error) => done(JSON.stringify({ thrown: String(error) })));`;
      const value = JSON.parse(await call("POST", `/session/${id}/execute/async`, { script, args: [] }));
      if (value?.thrown) throw new Error(`in WebKit: ${value.thrown}`);
      return value;
    },
    async close() {
      await call("DELETE", `/session/${id}`).catch(() => {});
      await driver.stop();
      await xvfb.stop();
    },
  };
}
