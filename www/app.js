// framecast page: owns the WebSocket, hands each frame message to the wasm
// Viewer (which decodes into its framebuffer in wasm memory), paints at most
// once per animation frame, acks after painting, and reconnects by itself.
//
// Open /?stream=NAME for one stream; without it the page shows the first
// stream the server lists. window.framecast exposes the state for tests.

import init, { Viewer } from "./pkg/framecast_viewer.js";

const RECONNECT_MIN_MS = 250;
const RECONNECT_MAX_MS = 4000;
const STATS_EVERY_MS = 1000;

const canvas = document.getElementById("view");
const statusLine = document.getElementById("status");
const streamLabel = document.getElementById("stream");

const state = {
  stream: null,
  connected: false,
  seq: 0, // newest frame painted
  width: 0,
  height: 0,
  frames: 0,
  lastError: null,
};
window.framecast = state;

await init();
const viewer = new Viewer(canvas);

let socket = null;
let reconnectDelay = RECONNECT_MIN_MS;
let paintScheduled = false;
let decodeMs = 0; // decode time since the last ack
let window_ = { start: performance.now(), frames: 0, bytes: 0, decodeMs: 0 };

function showStatus(kind, text) {
  statusLine.dataset.state = kind;
  statusLine.textContent = text;
}

async function pickStream() {
  const named = new URLSearchParams(location.search).get("stream");
  if (named) return named;
  const response = await fetch("/api/streams");
  const streams = await response.json();
  return streams.length ? streams[0].name : null;
}

async function connect() {
  showStatus(state.seq ? "reconnecting" : "connecting", state.seq ? "reconnecting…" : "connecting…");
  let name;
  try {
    name = await pickStream();
  } catch {
    return retry("server unreachable");
  }
  if (!name) return retry("no streams yet");
  state.stream = name;
  streamLabel.textContent = name;
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  socket = new WebSocket(`${scheme}//${location.host}/ws/${encodeURIComponent(name)}`);
  socket.binaryType = "arraybuffer";
  socket.onopen = () => {
    viewer.reset();
    state.connected = true;
    reconnectDelay = RECONNECT_MIN_MS;
    showStatus("connected", "connected, waiting for a frame");
  };
  socket.onmessage = (event) => onFrameMessage(event.data);
  socket.onclose = (event) => {
    state.connected = false;
    socket = null;
    retry(event.reason || "connection closed");
  };
}

function retry(why) {
  showStatus("reconnecting", `${why}; retrying in ${(reconnectDelay / 1000).toFixed(1)} s`);
  setTimeout(connect, reconnectDelay);
  reconnectDelay = Math.min(reconnectDelay * 2, RECONNECT_MAX_MS);
}

function onFrameMessage(data) {
  if (typeof data === "string") return;
  const start = performance.now();
  let stats;
  try {
    stats = viewer.apply(new Uint8Array(data));
  } catch (error) {
    state.lastError = String(error.message ?? error);
    showStatus("error", `bad frame: ${state.lastError}; asking for a keyframe`);
    socket?.send(viewer.keyframe_request(true));
    return;
  }
  decodeMs += performance.now() - start;
  state.width = stats.width;
  state.height = stats.height;
  window_.frames += 1;
  window_.bytes += data.byteLength;
  stats.free();
  if (!paintScheduled) {
    paintScheduled = true;
    requestAnimationFrame(paint);
  }
}

function paint() {
  paintScheduled = false;
  const start = performance.now();
  viewer.paint();
  const paintMs = performance.now() - start;
  state.seq = viewer.seq;
  state.frames += 1;
  window_.decodeMs += decodeMs;
  socket?.send(viewer.ack(Math.round(decodeMs * 1000), Math.round(paintMs * 1000)));
  decodeMs = 0;
}

function updateStats() {
  if (!state.connected) return;
  const now = performance.now();
  const elapsed = now - window_.start;
  const fps = (window_.frames * 1000) / elapsed;
  const kbps = window_.bytes / elapsed; // bytes per ms = KB/s
  const decode = window_.frames ? window_.decodeMs / window_.frames : 0;
  showStatus(
    "connected",
    `${state.width}×${state.height}  ${fps.toFixed(1)} fps  ${kbps.toFixed(0)} KB/s  decode ${decode.toFixed(2)} ms`,
  );
  window_ = { start: now, frames: 0, bytes: 0, decodeMs: 0 };
}

setInterval(updateStats, STATS_EVERY_MS);
connect();
