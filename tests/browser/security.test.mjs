// What a web page on another site can do to a framecast server in the same
// browser (two real servers on two ports: the other one plays the hostile
// site), and the token as a user meets it: the URL framecast prints works,
// survives a reload, and a page without it says what to do.

import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { canvasPixels, firstDifference, launchBrowser, publishedFrame, startServer, waitForState } from "./harness.mjs";

let browser;
before(async () => {
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
});

test("a page from another origin cannot watch, publish to or delete a stream; the server's own page can", async () => {
  const victim = await startServer(["--source", "demo", "--size", "64x48", "--fps", "10", "--frames", "3"]);
  const other = await startServer(["--source", "demo", "--size", "32x32", "--fps", "10"]);
  try {
    const page = await browser.newPage();
    await page.goto(other.url);
    await waitForState(page, () => window.framecast?.seq > 1);
    const before = await publishedFrame(victim.url, "demo");

    const attempts = await page.evaluate(async (victimUrl) => {
      const ws = victimUrl.replace("http", "ws");
      const openSocket = (path) =>
        new Promise((resolve) => {
          const socket = new WebSocket(ws + path);
          socket.binaryType = "arraybuffer";
          let messages = 0;
          socket.onmessage = () => (messages += 1);
          socket.onopen = () => setTimeout(() => resolve({ opened: true, messages }), 500);
          socket.onclose = () => resolve({ opened: false, messages });
        });
      const tryFetch = async (path, init) => {
        try {
          const response = await fetch(victimUrl + path, init);
          return { status: response.status, body: await response.text() };
        } catch (error) {
          return { blocked: String(error) };
        }
      };
      const pixels = new Uint8Array(64 * 48 * 3).fill(255);
      return {
        view: await openSocket("ws/demo"),
        ingest: await openSocket("ingest/demo"),
        list: await tryFetch("api/streams"),
        frame: await tryFetch("api/streams/demo/frame"),
        // A CORS-simple POST goes out without a preflight: the server must refuse it.
        simplePost: await tryFetch("api/streams/demo/frame?width=64&height=48", { method: "POST", body: pixels, mode: "no-cors", headers: { "Content-Type": "text/plain" } }),
        octetPost: await tryFetch("api/streams/demo/frame?width=64&height=48", { method: "POST", body: pixels, headers: { "Content-Type": "application/octet-stream" } }),
        remove: await tryFetch("api/streams/demo", { method: "DELETE" }),
      };
    }, victim.url);

    assert.deepEqual(attempts.view, { opened: false, messages: 0 }, "no viewer socket");
    assert.deepEqual(attempts.ingest, { opened: false, messages: 0 }, "no producer socket");
    // A refusal is readable, so that a page can say which flag would let it
    // in; nothing else is.
    for (const name of ["list", "frame", "octetPost", "remove"]) {
      const attempt = attempts[name];
      const refusedWithReason = attempt.status === 403 && /--allow-origin http:\/\/127\.0\.0\.1/.test(attempt.body);
      assert.ok(attempt.blocked || refusedWithReason, `${name}: the page read a response: ${JSON.stringify(attempt)}`);
    }
    const after = await publishedFrame(victim.url, "demo");
    assert.equal(after.seq, before.seq, "nothing was published");
    assert.equal(firstDifference(after.rgba, before.rgba), -1);
    assert.match(victim.log(), /refused a request from a page on another site/);

    // The victim's own page watches it as usual.
    const own = await browser.newPage();
    await own.goto(victim.url);
    await waitForState(own, () => window.framecast?.seq === 3);
    assert.equal(firstDifference(await canvasPixels(own), after.rgba), -1);
    await page.close();
    await own.close();
  } finally {
    await victim.stop();
    await other.stop();
  }
});

test("a token server: the printed URL works and survives a reload; a page without the token says what to do", async () => {
  const server = await startServer(["--source", "demo", "--size", "48x32", "--fps", "10", "--frames", "4", "--token", "page-test-token"]);
  try {
    assert.equal(server.openUrl, `${server.url}?token=page-test-token`);
    const context = await browser.newContext();
    const page = await context.newPage();
    const errors = [];
    page.on("pageerror", (error) => errors.push(error));
    await page.goto(server.openUrl);
    await waitForState(page, () => window.framecast?.seq === 4);
    assert.ok(!page.url().includes("token"), `the token left the address bar: ${page.url()}`);
    await page.reload();
    await waitForState(page, () => window.framecast?.seq === 4);
    await page.goto(`${server.url}?stream=demo`);
    await waitForState(page, () => window.framecast?.seq === 4);
    assert.deepEqual(errors, []);

    const stranger = await browser.newContext();
    const refused = await stranger.newPage();
    await refused.goto(server.url);
    await refused.waitForFunction(() => /needs a token/.test(document.getElementById("view").statusText), null, { timeout: 10_000 });
    assert.equal(await refused.evaluate(() => window.framecast.seq), 0);
    await context.close();
    await stranger.close();
  } finally {
    await server.stop();
  }
});
