// framecast page: owns the WebSocket, hands each frame message to the wasm
// Viewer (which decodes into its framebuffer in wasm memory), acks each frame
// as soon as it is decoded (while the page is visible), paints the newest
// framebuffer at most once per animation frame, reconnects by itself, and
// sends what the user does on the canvas to the stream's producer.
//
// Open /?stream=NAME for one stream; without it the page shows the first
// stream the server lists. A server that needs a token prints the URL to
// open with ?token=...: the page keeps the token (localStorage, this origin
// only) and takes it out of the address bar, so reloads and stream links
// work without showing it. window.framecast exposes the state for tests.

import init, { Viewer } from "./pkg/framecast_viewer.js";

const RECONNECT_MIN_MS = 250;
const RECONNECT_MAX_MS = 4000;
const STATS_EVERY_MS = 1000;
const STREAM_LIST_EVERY_MS = 2000;

const canvas = document.getElementById("view");
const statusLine = document.getElementById("status");
const picker = document.getElementById("streams");

const TOKEN_KEY = "framecast-token";

const state = {
  stream: null,
  connected: false,
  serverStopped: false, // the server said it was stopping; reconnecting until it is back
  producerOnline: null, // null until the server says
  seq: 0, // newest frame painted
  width: 0,
  height: 0,
  frames: 0, // paints
  applied: 0, // frames decoded
  bytes: 0, // bytes of the frames decoded
  latencies: [], // capture-to-paint milliseconds of the newest painted frames
  lastError: null,
  quality: askedQuality(), // ?quality= of the page's URL
  lossy: false, // the picture holds JPEG tiles not yet refined to exact pixels
  refinements: 0, // messages that refined the frame shown rather than bringing a new one
};
const LATENCIES_KEPT = 2000;
window.framecast = state;

await init();
const viewer = new Viewer(canvas);
const token = keepToken();

let connection = null; // the newest Connection: open, opening or closed
let reconnectDelay = RECONNECT_MIN_MS;
let paintScheduled = false;
let statsText = "waiting for a frame";

function showStatus(kind, text) {
  statusLine.dataset.state = kind;
  statusLine.textContent = text;
}

function showConnected() {
  const producer = state.producerOnline === false ? "  ·  producer offline, showing its last frame" : "";
  // JPEG tiles are shown while the picture moves faster than the link carries
  // exactly; the server refines them once they are still.
  const quality = `  ·  ${state.quality}${state.lossy ? ", refining…" : ""}`;
  statusLine.dataset.lossy = state.lossy;
  showStatus(state.producerOnline === false ? "offline" : "connected", statsText + quality + producer);
}

/** The page URL's ?quality=: auto (the default), lossless or a JPEG quality
 * 1-100 (PROTOCOL.md); anything else is ignored, with a warning. */
function askedQuality() {
  const asked = new URL(location.href).searchParams.get("quality") ?? "auto";
  if (["auto", "lossless"].includes(asked) || (/^\d+$/.test(asked) && asked >= 1 && asked <= 100)) return asked;
  console.warn(`?quality=${asked} is not auto, lossless or 1-100; using auto`);
  return "auto";
}

// --- token -------------------------------------------------------------------

/** The token from ?token= (kept for later and hidden from the address bar),
 * else the one kept before, else null. */
function keepToken() {
  const url = new URL(location.href);
  const given = url.searchParams.get("token");
  if (given === null) return localStorage.getItem(TOKEN_KEY);
  localStorage.setItem(TOKEN_KEY, given);
  url.searchParams.delete("token");
  history.replaceState(null, "", url);
  return given;
}

/** Refused for want of a token: the server's message says what to do. */
class TokenError extends Error {}

// --- streams ---------------------------------------------------------------

async function listStreams() {
  const response = await fetch("/api/streams", { headers: token ? { Authorization: `Bearer ${token}` } : {} });
  if (response.status === 401 || response.status === 403) {
    const { error } = await response.json().catch(() => ({ error: `HTTP ${response.status}` }));
    throw new TokenError(error);
  }
  return response.json();
}

async function refreshPicker() {
  let streams;
  try {
    streams = await listStreams();
  } catch {
    return;
  }
  const names = streams.map((s) => s.name);
  if (state.stream && !names.includes(state.stream)) names.push(state.stream);
  const current = [...picker.options].map((o) => o.value);
  if (names.join("\n") !== current.join("\n")) {
    picker.replaceChildren(...names.map((name) => new Option(name, name)));
  }
  picker.value = state.stream ?? "";
}

picker.addEventListener("change", () => {
  const url = new URL(location.href);
  url.searchParams.set("stream", picker.value);
  location.assign(url); // a link to the stream, and a fresh start
});

async function pickStream() {
  // Listing first also tells whether the token is good: a refused
  // WebSocket upgrade shows the page no reason.
  const streams = await listStreams();
  const named = new URLSearchParams(location.search).get("stream");
  if (named) return named;
  return streams.length ? streams[0].name : null;
}

// --- connection --------------------------------------------------------------

async function connect() {
  showStatus(state.seq ? "reconnecting" : "connecting", state.seq ? "reconnecting…" : "connecting…");
  let name;
  try {
    name = await pickStream();
  } catch (error) {
    if (error instanceof TokenError) return retry(error.message);
    return retry(state.serverStopped ? "the server stopped" : "server unreachable");
  }
  if (!name) return retry("no streams yet");
  state.stream = name;
  document.title = `${name} · framecast`;
  refreshPicker();
  connection = new Connection(name);
}

function retry(why) {
  showStatus("reconnecting", `${why}; retrying in ${(reconnectDelay / 1000).toFixed(1)} s`);
  setTimeout(connect, reconnectDelay);
  reconnectDelay = Math.min(reconnectDelay * 2, RECONNECT_MAX_MS);
}

/** One WebSocket to one stream and everything that lives as long as it: the
 * frames decoded and not yet acked or painted, and the figures of the status
 * line. A reconnect makes a new one, so nothing carries over but the page's
 * totals in `state`. */
class Connection {
  constructor(name) {
    this.decodeMs = 0; // decode time since the last ack
    this.paintMs = 0; // paint time since the last ack
    this.unacked = false; // frames applied since the last ack
    this.unpainted = false; // frames applied since the last paint
    this.newestCaptureMs = 0; // capture time of the newest frame applied
    this.window = { start: performance.now(), frames: 0, bytes: 0, decodeMs: 0 }; // for the status line
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    const params = new URLSearchParams();
    if (token) params.set("token", token);
    if (state.quality !== "auto") params.set("quality", state.quality);
    const query = params.size ? `?${params}` : "";
    this.socket = new WebSocket(`${scheme}//${location.host}/ws/${encodeURIComponent(name)}${query}`);
    this.socket.binaryType = "arraybuffer";
    this.socket.onopen = () => this.onOpen();
    this.socket.onmessage = (event) =>
      typeof event.data === "string" ? this.onText(event.data) : this.onFrameMessage(event.data);
    this.socket.onclose = (event) => this.onClose(event);
    state.lossy = false;
  }

  get open() {
    return this.socket.readyState === WebSocket.OPEN;
  }

  send(message) {
    if (this.open) this.socket.send(message);
  }

  onOpen() {
    viewer.reset();
    state.connected = true;
    state.serverStopped = false;
    reconnectDelay = RECONNECT_MIN_MS;
    statsText = "connected, waiting for a frame";
    showConnected();
    sendResize();
  }

  onClose(event) {
    // Kept until the next one opens: a frame decoded but not yet painted is
    // still painted, and nothing more is sent.
    state.connected = false;
    if (event.code === 1001 && event.reason === "server stopping") state.serverStopped = true;
    retry(state.serverStopped ? "the server stopped" : event.reason || "connection closed");
  }

  onText(text) {
    const message = JSON.parse(text);
    if (message.type === "status") {
      state.producerOnline = message.producer;
      showConnected();
    } else if (message.type === "quality") {
      state.quality = message.mode;
      state.lossy = message.lossy;
      showConnected();
    }
  }

  onFrameMessage(data) {
    const start = performance.now();
    let stats;
    try {
      stats = viewer.apply(new Uint8Array(data));
    } catch (error) {
      state.lastError = String(error.message ?? error);
      showStatus("error", `bad frame: ${state.lastError}; asking for a keyframe`);
      // The viewer holds no frame now: nothing to ack until the keyframe.
      this.unacked = false;
      this.send(viewer.keyframe_request(true));
      return;
    }
    this.decodeMs += performance.now() - start;
    this.unacked = true;
    this.unpainted = true;
    this.newestCaptureMs = stats.capture_ms;
    state.applied += 1;
    state.bytes += data.byteLength;
    state.width = stats.width;
    state.height = stats.height;
    if (stats.refinement) state.refinements += 1;
    else this.window.frames += 1;
    this.window.bytes += data.byteLength;
    stats.free();
    // The ack opens the server's window for the next frame, so acking on
    // decode lets frames arrive faster than the screen refreshes; the paints
    // stay coalesced (paint, below). A hidden page paints nothing: it acks on
    // its next paint, so the server stops sending until the page is shown
    // again.
    if (document.visibilityState === "visible") this.ack();
    schedulePaint();
  }

  ack() {
    this.send(viewer.ack(Math.round(this.decodeMs * 1000), Math.round(this.paintMs * 1000)));
    this.window.decodeMs += this.decodeMs;
    this.decodeMs = 0;
    this.paintMs = 0;
    this.unacked = false;
  }

  /** Paints the newest framebuffer if a frame came since the last paint;
   * then acks what is still unacked. Once per animation frame. */
  paint() {
    if (this.unpainted) {
      const start = performance.now();
      viewer.paint(); // nothing to put when the frames changed nothing
      this.paintMs += performance.now() - start;
      this.unpainted = false;
      state.seq = viewer.seq;
      state.frames += 1;
      if (this.newestCaptureMs) {
        state.latencies.push(Date.now() - this.newestCaptureMs);
        if (state.latencies.length > LATENCIES_KEPT) state.latencies.splice(0, state.latencies.length - LATENCIES_KEPT);
      }
    }
    if (this.unacked) this.ack();
  }

  /** The status line's figures since the last call. */
  takeStats() {
    const now = performance.now();
    const { start, frames, bytes, decodeMs } = this.window;
    this.window = { start: now, frames: 0, bytes: 0, decodeMs: 0 };
    const elapsed = now - start;
    return {
      fps: (frames * 1000) / elapsed,
      kbps: bytes / elapsed, // bytes per ms = KB/s
      decode: frames ? decodeMs / frames : 0,
    };
  }
}

// --- painting and the status line ---------------------------------------------

function schedulePaint() {
  if (!paintScheduled) {
    paintScheduled = true;
    requestAnimationFrame(onAnimationFrame);
  }
}

function onAnimationFrame() {
  paintScheduled = false;
  flushPointerMove();
  connection?.paint();
}

function updateStats() {
  if (!state.connected || !connection) return;
  const { fps, kbps, decode } = connection.takeStats();
  if (state.width) {
    statsText = `${state.width}×${state.height}  ${fps.toFixed(1)} fps  ${kbps.toFixed(0)} KB/s  decode ${decode.toFixed(2)} ms`;
  }
  showConnected();
}

// --- input events --------------------------------------------------------------

function sendEvent(event) {
  connection?.send(JSON.stringify(event));
}

/** The pointer's position in frame pixels. */
function framePoint(event) {
  const box = canvas.getBoundingClientRect();
  return {
    x: ((event.clientX - box.left) * canvas.width) / box.width,
    y: ((event.clientY - box.top) * canvas.height) / box.height,
  };
}

// Pointer moves go out at most once per animation frame, the newest one.
let pendingMove = null;
function flushPointerMove() {
  if (pendingMove) sendEvent(pendingMove);
  pendingMove = null;
}

canvas.addEventListener("pointermove", (event) => {
  pendingMove = { type: "pointermove", ...framePoint(event), buttons: event.buttons };
  schedulePaint();
});
for (const type of ["pointerdown", "pointerup"]) {
  canvas.addEventListener(type, (event) => {
    if (type === "pointerdown") canvas.focus();
    flushPointerMove();
    sendEvent({ type, ...framePoint(event), button: event.button, buttons: event.buttons });
  });
}
canvas.addEventListener(
  "wheel",
  (event) => {
    event.preventDefault();
    const scale = event.deltaMode === 1 ? 16 : event.deltaMode === 2 ? canvas.height : 1;
    sendEvent({ type: "wheel", ...framePoint(event), dx: event.deltaX * scale, dy: event.deltaY * scale });
  },
  { passive: false },
);
for (const type of ["keydown", "keyup"]) {
  canvas.addEventListener(type, (event) => {
    event.preventDefault();
    const { key, code, shiftKey: shift, ctrlKey: ctrl, altKey: alt, metaKey: meta } = event;
    sendEvent({ type, key, code, shift, ctrl, alt, meta });
  });
}
canvas.addEventListener("contextmenu", (event) => event.preventDefault());
function sendResize() {
  // An empty canvas (no frame yet) has no size worth telling.
  if (canvas.clientWidth && canvas.clientHeight) {
    sendEvent({ type: "resize", width: canvas.clientWidth, height: canvas.clientHeight });
  }
}
new ResizeObserver(sendResize).observe(canvas);

setInterval(updateStats, STATS_EVERY_MS);
setInterval(refreshPicker, STREAM_LIST_EVERY_MS);
connect();
