// <framecast-view> in pages that are not framecast's: the Flask example
// (its page on its own port, the frames from framecast.serve() in the same
// process) and examples/embed.html from a plain static server, in headless
// Chromium. Snapshots equal the published frames byte for byte, pixel()
// agrees, frame events arrive, the views come back when the app restarts,
// the <img> of the MJPEG route shows the stream, and a page of an origin the
// server does not allow gets an error event and no frame (nor picture).

import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import path from "node:path";
import { after, before, test } from "node:test";
import { decodePng, freePort, launchBrowser, repo, serveDirectory, startServer } from "./harness.mjs";

const python = path.join(repo, "target/venv/bin/python");
let browser;
before(async () => {
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
});

/** Runs examples/flask_app.py on `port`, its frames on `framesPort`;
 * resolves once it prints the URL to open. */
async function startFlaskApp(port, framesPort) {
  const child = spawn(python, [path.join(repo, "examples/flask_app.py"), "--port", String(port), "--framecast-port", String(framesPort)], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let log = "";
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the Flask app printed no URL in 30 s:\n${log}`)), 30_000);
    const onData = (chunk) => {
      log += chunk;
      if (/Running on http/.test(log)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.on("exit", (code) => reject(new Error(`the Flask app exited with ${code}:\n${log}`)));
  });
  return {
    url: `http://127.0.0.1:${port}/`,
    frames: `http://127.0.0.1:${framesPort}/`,
    async stop() {
      if (child.exitCode !== null) return;
      child.kill("SIGTERM");
      await once(child, "exit");
    },
  };
}

/** Counts each view's events in the page: window.seen[id] = [types]. */
function recordEvents(page) {
  return page.evaluate(() => {
    window.seen = {};
    for (const view of document.querySelectorAll("framecast-view")) {
      window.seen[view.id] = [];
      for (const type of ["connect", "disconnect", "frame", "error", "producer"]) {
        view.addEventListener(type, (event) => {
          const list = window.seen[view.id];
          if (type !== "frame" || list.at(-1) !== "frame") list.push(type);
          if (type === "error") list.push(event.detail.message);
        });
      }
    }
  });
}

/** The frame the server holds now, as published (RGB or RGBA bytes). */
async function rawFrame(server, stream) {
  const response = await fetch(new URL(`api/streams/${stream}/frame`, server));
  return { width: Number(response.headers.get("x-framecast-width")), pixels: Buffer.from(await response.arrayBuffer()) };
}

test("the Flask example: two views, exact snapshots, pixel(), events, and back after the app restarts", async () => {
  const [port, framesPort] = [await freePort(), await freePort()];
  let app = await startFlaskApp(port, framesPort);
  try {
    const page = await browser.newPage();
    const errors = [];
    page.on("pageerror", (error) => errors.push(error));
    await page.goto(app.url);
    await page.waitForFunction(() => [...document.querySelectorAll("framecast-view")].every((v) => v.state?.seq > 2), null, { timeout: 30_000 });
    await recordEvents(page);

    // Still frames (speed 0, through the app's own route): what a view
    // shows is then what the server holds.
    const speed = await page.evaluate(async () => (await fetch("/speed", { method: "POST", body: JSON.stringify({ speed: 0 }) })).json());
    assert.deepEqual(speed, { speed: 0 });
    await new Promise((resolve) => setTimeout(resolve, 1000));
    for (const stream of ["waves", "particles"]) {
      const png = Buffer.from(
        await page.evaluate(async (id) => {
          const blob = await document.getElementById(id).snapshot();
          return [...new Uint8Array(await blob.arrayBuffer())];
        }, stream),
      );
      const shown = decodePng(png);
      const held = await rawFrame(app.frames, stream);
      assert.deepEqual([shown.width, shown.height, shown.channels], [640, 400, 3], stream);
      assert.ok(shown.pixels.equals(held.pixels), `${stream}: the snapshot is the published frame, byte for byte`);
      for (const [x, y] of [[0, 0], [321, 123], [639, 399]]) {
        const pixel = await page.evaluate(([id, x, y]) => document.getElementById(id).pixel(x, y), [stream, x, y]);
        const at = (y * 640 + x) * 3;
        assert.deepEqual(pixel.values, [...held.pixels.subarray(at, at + 3)], `${stream} at ${x},${y}`);
        assert.deepEqual(pixel.rgba, [...pixel.values, 255]);
        assert.equal(pixel.exact, true);
      }
      assert.equal(await page.evaluate((id) => document.getElementById(id).pixel(640, 0), stream), null, "outside");
    }
    let seen = await page.evaluate(() => window.seen);
    assert.ok(seen.waves.includes("frame") && seen.particles.includes("frame"), JSON.stringify(seen));

    // The app (and the framecast server in it) restarts: each view says it
    // lost its connection, then that it is back, and shows frames again.
    await page.evaluate(() => {
      for (const view of document.querySelectorAll("framecast-view")) view.state.applied = 0;
    });
    await app.stop();
    await page.waitForFunction(() => Object.values(window.seen).every((list) => list.includes("disconnect")), null, { timeout: 15_000 });
    app = await startFlaskApp(port, framesPort);
    await page.waitForFunction(
      () => [...document.querySelectorAll("framecast-view")].every((v) => v.connected && v.state.applied > 3),
      null,
      { timeout: 30_000 },
    );
    seen = await page.evaluate(() => window.seen);
    for (const [id, list] of Object.entries(seen)) {
      const disconnect = list.indexOf("disconnect");
      assert.ok(disconnect >= 0 && list.indexOf("connect", disconnect) > disconnect, `${id}: ${JSON.stringify(list)}`);
    }
    assert.deepEqual(errors, []);
    await page.close();
  } finally {
    await app.stop();
  }
});

test("a plain page embeds two streams and the MJPEG <img>; a page of another origin gets an error and no picture", async () => {
  const examples = await serveDirectory(path.join(repo, "examples"));
  const elsewhere = await serveDirectory(path.join(repo, "examples"));
  const server = await startServer(["--source", "demo", "--size", "320x240", "--fps", "20", "--allow-origin", examples.url]);
  try {
    const still = Buffer.alloc(80 * 60 * 3, 0x5a);
    const posted = await fetch(new URL("api/streams/still/frame?width=80&height=60", server.url), {
      method: "POST",
      headers: { "Content-Type": "application/octet-stream" },
      body: still,
    });
    assert.equal(posted.status, 200);
    const query = `?server=${encodeURIComponent(server.url)}&streams=demo,still`;

    const page = await browser.newPage();
    await page.goto(`${examples.url}embed.html${query}`);
    await page.waitForFunction(() => document.getElementById("first").state?.seq > 2 && document.getElementById("second").state?.seq >= 1, null, {
      timeout: 30_000,
    });
    const second = decodePng(
      Buffer.from(await page.evaluate(async () => [...new Uint8Array(await (await document.getElementById("second").snapshot()).arrayBuffer())])),
    );
    assert.ok(second.pixels.equals(still), "the still stream, exactly");
    // The <img> shows the MJPEG stream: its size, and parts keep coming.
    await page.waitForFunction(() => document.getElementById("mjpeg").naturalWidth === 320, null, { timeout: 15_000 });
    await page.close();

    // The same page from an origin the server does not allow.
    const refused = await browser.newPage();
    await refused.goto(`${elsewhere.url}embed.html${query.replace("&streams=demo,still", "&streams=demo,demo")}`);
    await recordEvents(refused);
    await refused.waitForFunction(() => window.seen.first.includes("error"), null, { timeout: 15_000 });
    const seen = await refused.evaluate(() => window.seen.first);
    assert.match(seen.join(" "), new RegExp(`--allow-origin ${elsewhere.url.replace(/\/$/, "")}`));
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const state = await refused.evaluate(() => ({ ...document.getElementById("first").state, img: document.getElementById("mjpeg").naturalWidth }));
    assert.deepEqual([state.frames, state.applied, state.img], [0, 0, 0], "no frame, no picture");
    await refused.close();
  } finally {
    await server.stop();
    await examples.close();
    await elsewhere.close();
  }
});

test("a server that speaks another protocol version gets an error event saying so", async () => {
  const server = await startServer(["--source", "demo", "--size", "64x48", "--frames", "1"]);
  try {
    const page = await browser.newPage();
    await page.goto(server.url);
    await page.waitForFunction(() => window.framecast?.seq === 1);
    // A view fed by a transport whose first frame message is of version 99.
    const message = await page.evaluate(
      () =>
        new Promise((resolve) => {
          const view = document.createElement("framecast-view");
          view.stream = "demo";
          view.transport = {
            connect(_target, handlers) {
              setTimeout(() => {
                handlers.open();
                const frame = new Uint8Array(49);
                frame.set([70, 67, 83, 84, 99, 1]); // FCST, version 99, frame
                handlers.message(frame.buffer);
              });
              return { send() {}, close() {} };
            },
          };
          view.addEventListener("error", (event) => resolve(event.detail.message));
          document.body.append(view);
        }),
    );
    assert.match(message, /speaks framecast protocol version 99 and this viewer speaks \d+/);
    await page.close();
  } finally {
    await server.stop();
  }
});
