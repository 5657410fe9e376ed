// framecast page: picks the stream, owns its WebSocket and reconnects by
// itself, and shows the status line. The View (view.js) decodes, acks and
// paints the frames and sends what the user does on the canvas.
//
// Open /?stream=NAME for one stream; without it the page shows the first
// stream the server lists. A server that needs a token prints the URL to
// open with ?token=...: the page keeps the token (localStorage, this origin
// only) and takes it out of the address bar, so reloads and stream links
// work without showing it. window.framecast exposes the state for tests.

import init, { Viewer } from "./pkg/framecast_viewer.js";
import { View, newState } from "./view.js";

const RECONNECT_MIN_MS = 250;
const RECONNECT_MAX_MS = 4000;
const STATS_EVERY_MS = 1000;
const STREAM_LIST_EVERY_MS = 2000;

const canvas = document.getElementById("view");
const statusLine = document.getElementById("status");
const picker = document.getElementById("streams");

const TOKEN_KEY = "framecast-token";

const state = {
  ...newState(), // the view's totals: frames, seq, latencies, ...
  stream: null,
  serverStopped: false, // the server said it was stopping; reconnecting until it is back
  producerOnline: null, // null until the server says
  quality: askedQuality(), // ?quality= of the page's URL
  lossy: false, // the picture holds JPEG tiles not yet refined to exact pixels
};
window.framecast = state;

await init();
const view = new View(new Viewer(canvas), canvas, state, {
  onBadFrame: (error) => showStatus("error", `bad frame: ${error}; asking for a keyframe`),
});
const token = keepToken();

let reconnectDelay = RECONNECT_MIN_MS;
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
  new Connection(name);
}

function retry(why) {
  showStatus("reconnecting", `${why}; retrying in ${(reconnectDelay / 1000).toFixed(1)} s`);
  setTimeout(connect, reconnectDelay);
  reconnectDelay = Math.min(reconnectDelay * 2, RECONNECT_MAX_MS);
}

/** One WebSocket to one stream; the view decodes, acks and paints what it
 * brings. A reconnect makes a new one. */
class Connection {
  constructor(name) {
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    const params = new URLSearchParams();
    if (token) params.set("token", token);
    if (state.quality !== "auto") params.set("quality", state.quality);
    const query = params.size ? `?${params}` : "";
    this.socket = new WebSocket(`${scheme}//${location.host}/ws/${encodeURIComponent(name)}${query}`);
    this.socket.binaryType = "arraybuffer";
    this.socket.onopen = () => this.onOpen();
    this.socket.onmessage = (event) =>
      typeof event.data === "string" ? this.onText(event.data) : view.frame(event.data);
    this.socket.onclose = (event) => this.onClose(event);
    state.lossy = false;
  }

  onOpen() {
    view.connect((message) => {
      if (this.socket.readyState === WebSocket.OPEN) this.socket.send(message);
    });
    state.serverStopped = false;
    reconnectDelay = RECONNECT_MIN_MS;
    statsText = "connected, waiting for a frame";
    showConnected();
  }

  onClose(event) {
    view.disconnect();
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
}

// --- the status line ------------------------------------------------------------

function updateStats() {
  if (!state.connected) return;
  const { fps, kbps, decode } = view.takeStats();
  if (state.width) {
    statsText = `${state.width}×${state.height}  ${fps.toFixed(1)} fps  ${kbps.toFixed(0)} KB/s  decode ${decode.toFixed(2)} ms`;
  }
  showConnected();
}

setInterval(updateStats, STATS_EVERY_MS);
setInterval(refreshPicker, STREAM_LIST_EVERY_MS);
connect();
