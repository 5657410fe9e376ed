// <framecast-view>: the live view of one framecast stream, in any page.
//
//   <script type="module" src="http://127.0.0.1:8080/framecast.js"></script>
//   <framecast-view server="http://127.0.0.1:8080" stream="sim"></framecast-view>
//
// Every framecast server serves it at /framecast.js, which loads the wasm
// viewer from the same server (framecast.js); the npm package
// framecast-view bundles it with the viewer inlined. framecast's own page
// (app.js) and its notebook widget are users of it, so connecting,
// reconnecting, tokens, quality and the status line live here once.
//
// This module imports nothing, so that it also runs from a blob (the
// notebook widget loads it from the widget's state): `define()` takes the
// viewer's loader and registers the element.
//
// Attributes, reflected as properties: server (default: where the module
// came from), stream (default: the first one listed), token, quality
// (auto, lossless, 1-100), fit (contain, cover, fill, none, scale-down),
// interactive
// (send pointer and keys to the producer), status (show a status line).
// Methods: snapshot(), pixel(x, y), close(). Properties: stats, connected,
// statusText, state, transport. Events (bubbling): connect, disconnect,
// frame, producer, error. PROTOCOL.md says what goes over the wire.

const RECONNECT_MIN_MS = 250;
const RECONNECT_MAX_MS = 4000;
const STATS_EVERY_MS = 1000;
const LATENCIES_KEPT = 2000;
const FITS = ["contain", "cover", "fill", "none", "scale-down"];
const QUALITY = /^(auto|lossless|[1-9][0-9]?|100)$/;

/** The totals of a view: what tests and host pages read (the built-in page
 * exposes them as window.framecast). */
export function newState() {
  return {
    connected: false,
    stream: null,
    seq: 0, // newest frame painted
    width: 0,
    height: 0,
    frames: 0, // paints
    applied: 0, // frames decoded
    bytes: 0, // bytes of the frames decoded
    latencies: [], // capture-to-paint milliseconds of the newest painted frames
    lastError: null,
    refinements: 0, // messages that refined the frame shown rather than bringing a new one
    producerOnline: null, // null until the server says
    quality: "auto", // what the server says this viewer gets
    lossy: false, // the picture holds JPEG tiles not yet refined to exact pixels
    lossyTimes: 0, // how often the server said the picture went from exact to holding JPEG tiles
    exactFrames: 0, // paints of a picture the server said was exact
    serverStopped: false, // the server said it was stopping
  };
}

/**
 * One stream on one canvas, whatever carries its messages: decodes each
 * frame message with the wasm Viewer into its framebuffer in wasm memory,
 * acks as soon as it is decoded (while the page is visible), paints the
 * newest framebuffer at most once per animation frame, and, while
 * `interactive`, sends what the user does on the canvas as input events.
 */
export class View {
  constructor(viewer, canvas, state, { onBadFrame = () => {}, onPaint = () => {} } = {}) {
    this.viewer = viewer;
    this.canvas = canvas;
    this.state = state;
    this.onBadFrame = onBadFrame;
    this.onPaint = onPaint;
    this.interactive = false;
    this.link = null; // the current connection's Link
    this.paintScheduled = false;
    this.pendingMove = null; // the newest pointer move not yet sent
    this.listen();
  }

  /** A new connection, sending with `send(string | Uint8Array)`: the viewer
   * starts over (the server begins with a keyframe). */
  connect(send) {
    this.viewer.reset();
    this.link = new Link(send);
    this.state.connected = true;
    this.sendResize();
  }

  /** The connection is gone: a frame decoded and not yet painted is still
   * painted, and nothing more is sent. */
  disconnect() {
    this.state.connected = false;
    if (this.link) this.link.send = () => {};
  }

  /** Applies one binary frame message, which arrived at `arrivedAt` (a
   * `performance.now()` time). */
  frame(data, arrivedAt = performance.now()) {
    const link = this.link;
    if (!link) return;
    const start = performance.now();
    let stats;
    try {
      stats = this.viewer.apply(new Uint8Array(data.buffer ?? data, data.byteOffset ?? 0, data.byteLength));
    } catch (error) {
      this.state.lastError = String(error.message ?? error);
      this.onBadFrame(this.state.lastError);
      // The viewer holds no frame now: nothing to ack until the keyframe.
      link.unacked = false;
      link.send(this.viewer.keyframe_request(true));
      return;
    }
    link.decodeMs += performance.now() - start;
    link.unacked = true;
    link.newestArrival = arrivedAt;
    link.unpainted = true;
    link.newestCaptureMs = stats.capture_ms;
    const state = this.state;
    state.applied += 1;
    state.bytes += data.byteLength;
    state.width = stats.width;
    state.height = stats.height;
    if (stats.refinement) state.refinements += 1;
    else link.window.frames += 1;
    link.window.bytes += data.byteLength;
    stats.free();
    // The ack opens the server's window for the next frame, so acking on
    // decode lets frames arrive faster than the screen refreshes; the paints
    // stay coalesced. A hidden page paints nothing: it acks on its next
    // paint, so the server stops sending until the page is shown again.
    if (document.visibilityState === "visible") this.ack();
    this.schedulePaint();
  }

  /** Acks the newest frame decoded, saying how long it was held here since
   * its message arrived: the server takes that off the round trip. */
  ack() {
    const link = this.link;
    const micros = (ms) => Math.min(0xffffffff, Math.max(0, Math.round(ms * 1000)));
    const held = performance.now() - link.newestArrival;
    link.send(this.viewer.ack(micros(link.decodeMs), micros(link.paintMs), micros(held)));
    link.window.decodeMs += link.decodeMs;
    link.decodeMs = 0;
    link.paintMs = 0;
    link.unacked = false;
  }

  schedulePaint() {
    if (!this.paintScheduled) {
      this.paintScheduled = true;
      requestAnimationFrame(() => this.onAnimationFrame());
    }
  }

  /** Once per animation frame: the newest pointer move goes out, the newest
   * framebuffer is painted if a frame came since the last paint, and what is
   * still unacked is acked. */
  onAnimationFrame() {
    this.paintScheduled = false;
    this.flushPointerMove();
    const link = this.link;
    if (!link) return;
    if (link.unpainted) {
      const start = performance.now();
      this.viewer.paint(); // nothing to put when the frames changed nothing
      link.paintMs += performance.now() - start;
      link.unpainted = false;
      const state = this.state;
      state.seq = this.viewer.seq;
      state.frames += 1;
      if (!state.lossy) state.exactFrames += 1;
      if (link.newestCaptureMs) {
        state.latencies.push(Date.now() - link.newestCaptureMs);
        if (state.latencies.length > LATENCIES_KEPT) state.latencies.splice(0, state.latencies.length - LATENCIES_KEPT);
      }
      this.onPaint();
    }
    if (link.unacked) this.ack();
  }

  /** Frames a second, KB/s and milliseconds to decode a frame since the
   * last call. */
  takeStats() {
    if (!this.link) return { fps: 0, kbps: 0, decode: 0 };
    const now = performance.now();
    const { start, frames, bytes, decodeMs } = this.link.window;
    this.link.window = { start: now, frames: 0, bytes: 0, decodeMs: 0 };
    const elapsed = now - start;
    return {
      fps: (frames * 1000) / elapsed,
      kbps: bytes / elapsed, // bytes per ms = KB/s
      decode: frames ? decodeMs / frames : 0,
    };
  }

  // --- input events ------------------------------------------------------------

  sendEvent(event) {
    if (this.interactive) this.link?.send(JSON.stringify(event));
  }

  /** The pointer's position in frame pixels, wherever `object-fit` put the
   * frame in the canvas's box. */
  framePoint(event) {
    const box = this.canvas.getBoundingClientRect();
    const { width, height } = this.canvas;
    const fit = getComputedStyle(this.canvas).objectFit;
    let sx = box.width / width;
    let sy = box.height / height;
    if (fit === "contain") sx = sy = Math.min(sx, sy);
    else if (fit === "cover") sx = sy = Math.max(sx, sy);
    else if (fit === "none") sx = sy = 1;
    else if (fit === "scale-down") sx = sy = Math.min(1, sx, sy);
    const left = box.left + (box.width - width * sx) / 2;
    const top = box.top + (box.height - height * sy) / 2;
    return { x: (event.clientX - left) / sx, y: (event.clientY - top) / sy };
  }

  // Pointer moves go out at most once per animation frame, the newest one.
  flushPointerMove() {
    if (this.pendingMove) this.sendEvent(this.pendingMove);
    this.pendingMove = null;
  }

  sendResize() {
    // An empty canvas (no frame yet) has no size worth telling.
    const { clientWidth: width, clientHeight: height } = this.canvas;
    if (width && height) this.sendEvent({ type: "resize", width, height });
  }

  listen() {
    const canvas = this.canvas;
    canvas.addEventListener("pointermove", (event) => {
      if (!this.interactive) return;
      this.pendingMove = { type: "pointermove", ...this.framePoint(event), buttons: event.buttons };
      this.schedulePaint();
    });
    for (const type of ["pointerdown", "pointerup"]) {
      canvas.addEventListener(type, (event) => {
        if (!this.interactive) return;
        if (type === "pointerdown") canvas.focus();
        this.flushPointerMove();
        this.sendEvent({ type, ...this.framePoint(event), button: event.button, buttons: event.buttons });
      });
    }
    canvas.addEventListener(
      "wheel",
      (event) => {
        if (!this.interactive) return;
        event.preventDefault();
        const scale = event.deltaMode === 1 ? 16 : event.deltaMode === 2 ? canvas.height : 1;
        this.sendEvent({ type: "wheel", ...this.framePoint(event), dx: event.deltaX * scale, dy: event.deltaY * scale });
      },
      { passive: false },
    );
    for (const type of ["keydown", "keyup"]) {
      canvas.addEventListener(type, (event) => {
        if (!this.interactive) return;
        event.preventDefault();
        const { key, code, shiftKey: shift, ctrlKey: ctrl, altKey: alt, metaKey: meta } = event;
        this.sendEvent({ type, key, code, shift, ctrl, alt, meta });
      });
    }
    canvas.addEventListener("contextmenu", (event) => {
      if (this.interactive) event.preventDefault();
    });
    this.resizeObserver = new ResizeObserver(() => this.sendResize());
    this.resizeObserver.observe(canvas);
  }

  /** Stops watching the canvas's size (the view is going away). */
  dispose() {
    this.disconnect();
    this.resizeObserver.disconnect();
  }
}

/** What lives as long as one connection: the frames decoded and not yet
 * acked or painted, and the figures of the status line. A reconnect makes a
 * new one, so nothing carries over but the totals in `state`. */
class Link {
  constructor(send) {
    this.send = send;
    this.decodeMs = 0; // decode time since the last ack
    this.paintMs = 0; // paint time since the last ack
    this.unacked = false; // frames applied since the last ack
    this.newestArrival = 0; // when the newest frame applied arrived (performance.now())
    this.unpainted = false; // frames applied since the last paint
    this.newestCaptureMs = 0; // capture time of the newest frame applied
    this.window = { start: performance.now(), frames: 0, bytes: 0, decodeMs: 0 }; // for the status line
  }
}

// --- transports ----------------------------------------------------------------

/**
 * How an element reaches a stream's viewer socket: `connect(target,
 * handlers)` with `target` = {server, stream, token, quality} and
 * `handlers` = {open(), message(data: ArrayBuffer | string, arrivedAt?:
 * the performance.now() time it arrived, now if not given), close({code,
 * reason})}, returning {send(data), close()}. The default opens the
 * server's WebSocket; the notebook widget relays over its comm.
 */
export const webSocketTransport = {
  connect({ server, stream, token, quality }, handlers) {
    const url = new URL(`ws/${encodeURIComponent(stream)}`, server);
    url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
    if (token) url.searchParams.set("token", token);
    if (quality && quality !== "auto") url.searchParams.set("quality", quality);
    const socket = new WebSocket(url);
    socket.binaryType = "arraybuffer";
    socket.onopen = () => handlers.open();
    socket.onmessage = (event) => handlers.message(event.data, event.timeStamp);
    socket.onclose = (event) => handlers.close({ code: event.code, reason: event.reason });
    return {
      send(data) {
        if (socket.readyState === WebSocket.OPEN) socket.send(data);
      },
      close() {
        socket.onclose = null;
        socket.close(1000, "view closed");
      },
    };
  },
};

/** An error worth an `error` event, whose message says what to do. */
class ViewError extends Error {}

// --- the element -----------------------------------------------------------------

const STYLE = `
:host { display: inline-block; position: relative; line-height: 0; background: #000; overflow: hidden; }
:host([hidden]) { display: none; }
canvas { display: block; width: 100%; height: 100%; object-fit: contain; image-rendering: pixelated; outline: none; touch-action: none; }
.status { position: absolute; left: 0; right: 0; bottom: 0; margin: 0; padding: 2px 6px;
  font: 12px/1.5 system-ui, sans-serif; color: #ddd; background: rgb(0 0 0 / 0.6);
  white-space: pre; overflow: hidden; text-overflow: ellipsis; font-variant-numeric: tabular-nums; pointer-events: none; }
.status[data-state="connected"]::before { content: "● "; color: #5c5; }
.status[data-state="reconnecting"]::before, .status[data-state="connecting"]::before { content: "● "; color: #ca3; }
.status[data-state="error"]::before, .status[data-state="offline"]::before { content: "● "; color: #d44; }
.status[data-lossy="true"] { color: #eb8; }
`;

/** Options of `define()`: `loadViewer()` resolves to the initialized
 * wasm-bindgen module of the viewer ({Viewer, protocolVersion}); `server`
 * is the default of the `server` attribute (none: it must be given). */
const options = { loadViewer: null, server: null };
let viewerModule = null;

function loadViewer() {
  if (!options.loadViewer) return Promise.reject(new ViewError("no viewer to load: define() was not given one"));
  viewerModule ??= options.loadViewer();
  return viewerModule;
}

export class FramecastView extends HTMLElement {
  static observedAttributes = ["server", "stream", "token", "quality", "fit", "interactive", "status"];

  #canvas;
  #statusLine;
  #state = newState();
  #view = null;
  #viewer = null;
  #connection = null; // the transport's link of the current connection
  #generation = 0; // bumped by every (re)start; older loops stop
  #reconnectDelay = RECONNECT_MIN_MS;
  #reconnectTimer = null;
  #statsTimer = null;
  #stats = { fps: 0, kbps: 0, decodeMs: 0, latencyMs: null, lossy: false };
  #statusText = "";
  #restartQueued = false;
  #wasConnected = false;
  /** How the element reaches the server; see webSocketTransport. */
  transport = null;

  constructor() {
    super();
    const root = this.attachShadow({ mode: "open" });
    const style = document.createElement("style");
    style.textContent = STYLE;
    this.#canvas = document.createElement("canvas");
    this.#canvas.part = "canvas";
    this.#statusLine = document.createElement("p");
    this.#statusLine.className = "status";
    this.#statusLine.part = "status";
    this.#statusLine.hidden = true;
    root.append(style, this.#canvas, this.#statusLine);
  }

  // --- attributes, reflected ---

  get server() {
    return this.getAttribute("server") ?? options.server ?? "";
  }
  set server(value) {
    this.setAttribute("server", value);
  }
  get stream() {
    return this.getAttribute("stream") ?? "";
  }
  set stream(value) {
    this.setAttribute("stream", value);
  }
  get token() {
    return this.getAttribute("token") ?? "";
  }
  set token(value) {
    if (value) this.setAttribute("token", value);
    else this.removeAttribute("token");
  }
  get quality() {
    return this.getAttribute("quality") ?? "auto";
  }
  set quality(value) {
    this.setAttribute("quality", value);
  }
  get fit() {
    const fit = this.getAttribute("fit");
    return FITS.includes(fit) ? fit : "contain";
  }
  set fit(value) {
    this.setAttribute("fit", value);
  }
  get interactive() {
    return this.hasAttribute("interactive");
  }
  set interactive(value) {
    this.toggleAttribute("interactive", Boolean(value));
  }
  get status() {
    return this.hasAttribute("status");
  }
  set status(value) {
    this.toggleAttribute("status", Boolean(value));
  }

  // --- what it shows ---

  /** Whether a connection to the stream is open. */
  get connected() {
    return this.#state.connected;
  }

  /** The view's totals (frames, seq, latencies, ...): see newState(). */
  get state() {
    return this.#state;
  }

  /** Figures of the last second: frames shown a second, KB/s, decode
   * milliseconds a frame, latency p50 (capture to paint, where the
   * producer stamps frames), and whether JPEG pixels are shown. */
  get stats() {
    return { ...this.#stats };
  }

  /** The status line's text (shown when `status` is set). */
  get statusText() {
    return this.#statusText;
  }

  /** The frame shown, exactly, as a PNG Blob of its own size and format. */
  async snapshot() {
    if (!this.#viewer || !this.#state.seq) throw new Error("no frame yet");
    return new Blob([this.#viewer.snapshot_png()], { type: "image/png" });
  }

  /** The pixel at image column `x`, row `y`: {rgba, values, exact}, or null
   * outside the frame. `values` are the frame's own channels; `exact` is
   * false while the picture shows JPEG pixels not yet refined. */
  async pixel(x, y) {
    if (!this.#viewer || !Number.isInteger(x) || !Number.isInteger(y) || x < 0 || y < 0) return null;
    const rgba = this.#viewer.pixel(x, y);
    if (!rgba) return null;
    const channels = this.#viewer.format === "rgba8" ? 4 : 3;
    return { rgba: [...rgba], values: [...rgba.slice(0, channels)], exact: !this.#state.lossy };
  }

  /** Closes the connection for good (until the element is added again). */
  close() {
    this.#stop();
  }

  // --- lifecycle ---

  connectedCallback() {
    this.#applyFit();
    this.#statusLine.hidden = !this.status;
    this.#start();
  }

  disconnectedCallback() {
    this.#stop();
  }

  attributeChangedCallback(name, old, value) {
    if (old === value) return;
    if (name === "fit") this.#applyFit();
    else if (name === "status") this.#statusLine.hidden = value === null;
    else if (name === "interactive") {
      if (this.#view) this.#view.interactive = value !== null;
      this.#canvas.tabIndex = value === null ? -1 : 0;
    } else if (this.isConnected && !this.#restartQueued) {
      // Several attributes set together restart once.
      this.#restartQueued = true;
      queueMicrotask(() => {
        this.#restartQueued = false;
        if (this.isConnected) this.#start();
      });
    }
  }

  #applyFit() {
    this.#canvas.style.objectFit = this.fit;
  }

  #stop() {
    this.#generation += 1;
    clearTimeout(this.#reconnectTimer);
    clearInterval(this.#statsTimer);
    this.#statsTimer = null;
    this.#connection?.close();
    this.#connection = null;
    this.#view?.disconnect();
    this.#state.connected = false;
  }

  async #start() {
    this.#stop();
    const generation = this.#generation;
    this.#reconnectDelay = RECONNECT_MIN_MS;
    this.#statsTimer = setInterval(() => this.#updateStats(), STATS_EVERY_MS);
    this.#show("connecting", "connecting…");
    let module;
    try {
      module = await loadViewer();
    } catch (error) {
      this.#fail(`cannot load the wasm viewer: ${error.message}`);
      return;
    }
    if (generation !== this.#generation) return;
    if (!this.#view) {
      this.#viewer = new module.Viewer(this.#canvas);
      this.#view = new View(this.#viewer, this.#canvas, this.#state, {
        onBadFrame: (error) => this.#show("error", `bad frame: ${error}; asking for a keyframe`),
        onPaint: () => this.#emit("frame", { seq: this.#state.seq, width: this.#state.width, height: this.#state.height, exact: !this.#state.lossy }),
      });
      this.#view.interactive = this.interactive;
      this.#canvas.tabIndex = this.interactive ? 0 : -1;
    }
    this.#protocolVersion = module.protocolVersion();
    this.#connect(generation);
  }

  #protocolVersion = 0;

  async #connect(generation) {
    if (generation !== this.#generation) return;
    this.#show(this.#state.seq ? "reconnecting" : "connecting", this.#state.seq ? "reconnecting…" : "connecting…");
    let target;
    try {
      target = await this.#target();
    } catch (error) {
      if (generation !== this.#generation) return;
      if (error instanceof ViewError) this.#emit("error", { message: error.message });
      return this.#retry(generation, error.message);
    }
    if (generation !== this.#generation) return;
    this.#state.stream = target.stream;
    this.#state.lossy = false;
    let first = true;
    const connection = (this.transport ?? webSocketTransport).connect(target, {
      open: () => {
        if (generation !== this.#generation) return;
        this.#view.connect((data) => connection.send(data));
        this.#state.serverStopped = false;
        this.#reconnectDelay = RECONNECT_MIN_MS;
        this.#wasConnected = true;
        this.#show("connected", "connected, waiting for a frame");
        this.#emit("connect", { stream: target.stream });
      },
      message: (data, arrivedAt = performance.now()) => {
        if (generation !== this.#generation) return;
        if (typeof data === "string") return this.#onText(data);
        if (first) {
          first = false;
          const version = new Uint8Array(data.buffer ?? data, data.byteOffset ?? 0, 5)[4];
          if (version !== this.#protocolVersion) {
            const message = `the server speaks framecast protocol version ${version} and this viewer speaks ${this.#protocolVersion}: load the viewer from that server (its /framecast.js), or update it`;
            this.#emit("error", { message });
            this.#fail(message);
            return;
          }
        }
        this.#view.frame(data, arrivedAt);
      },
      close: ({ code, reason }) => {
        if (generation !== this.#generation) return;
        this.#view.disconnect();
        if (code === 1001 && reason === "server stopping") this.#state.serverStopped = true;
        const why = this.#state.serverStopped ? "the server stopped" : reason || "connection closed";
        if (this.#wasConnected) {
          this.#wasConnected = false;
          this.#emit("disconnect", { code, reason, willReconnect: true });
        }
        this.#retry(generation, why);
      },
    });
    this.#connection = connection;
  }

  /** Where to connect: the server, the stream (the first listed when none is
   * named) and the token. Listing first also tells whether the token and
   * this page's origin are accepted: a refused WebSocket says nothing. */
  async #target() {
    const quality = this.quality;
    if (!QUALITY.test(quality)) throw new ViewError(`quality=${JSON.stringify(quality)}: auto, lossless or 1 to 100`);
    if (this.transport) {
      // It knows where the server is.
      if (!this.stream) throw new ViewError("set the stream attribute");
      return { server: this.server || null, stream: this.stream, token: this.token, quality };
    }
    const server = this.server;
    if (!server) throw new ViewError("set the server attribute to the framecast server's URL");
    let base;
    try {
      base = new URL(server.endsWith("/") ? server : `${server}/`, location.href);
    } catch {
      throw new ViewError(`server=${JSON.stringify(server)} is not a URL`);
    }
    const token = this.token;
    const target = { server: base.href, stream: this.stream, token, quality };
    const url = new URL("api/streams", base);
    if (token) url.searchParams.set("token", token); // no header: no preflight
    let response;
    try {
      response = await fetch(url, { cache: "no-store" });
    } catch {
      if (this.#state.serverStopped) throw new Error("the server stopped");
      const elsewhere = base.origin !== location.origin;
      throw new Error(
        elsewhere
          ? `cannot reach ${base.origin}, or it does not answer pages on ${location.origin}`
          : "server unreachable",
      );
    }
    if (!response.ok) {
      const { error } = await response.json().catch(() => ({ error: `HTTP ${response.status}` }));
      throw new ViewError(error);
    }
    const streams = await response.json();
    if (!target.stream) {
      if (!streams.length) throw new Error("no streams yet");
      target.stream = streams[0].name;
    }
    return target;
  }

  #retry(generation, why) {
    if (generation !== this.#generation) return;
    this.#show("reconnecting", `${why}; retrying in ${(this.#reconnectDelay / 1000).toFixed(1)} s`);
    this.#reconnectTimer = setTimeout(() => this.#connect(generation), this.#reconnectDelay);
    this.#reconnectDelay = Math.min(this.#reconnectDelay * 2, RECONNECT_MAX_MS);
  }

  #fail(message) {
    this.#stop();
    this.#show("error", message);
  }

  #onText(text) {
    const message = JSON.parse(text);
    const state = this.#state;
    if (message.type === "status") {
      state.producerOnline = message.producer;
      this.#emit("producer", { online: message.producer });
      this.#showConnected();
    } else if (message.type === "quality") {
      state.quality = message.mode;
      if (message.lossy && !state.lossy) state.lossyTimes += 1;
      state.lossy = message.lossy;
      this.#showConnected();
    }
  }

  #updateStats() {
    if (!this.#view || !this.#state.connected) return;
    const { fps, kbps, decode } = this.#view.takeStats();
    const latencies = this.#state.latencies.slice(-Math.max(1, Math.round(fps))).sort((a, b) => a - b);
    this.#stats = {
      fps,
      kbps,
      decodeMs: decode,
      latencyMs: latencies.length ? latencies[Math.floor(latencies.length / 2)] : null,
      lossy: this.#state.lossy,
    };
    this.#showConnected();
  }

  #showConnected() {
    const state = this.#state;
    if (!state.connected) return;
    const { fps, kbps, decodeMs } = this.#stats;
    const figures = state.width
      ? `${state.width}×${state.height}  ${fps.toFixed(1)} fps  ${kbps.toFixed(0)} KB/s  decode ${decodeMs.toFixed(2)} ms`
      : "connected, waiting for a frame";
    // JPEG tiles are shown while the picture moves faster than the link
    // carries exactly; the server refines them once they are still.
    const quality = `  ·  ${state.quality}${state.lossy ? ", refining…" : ""}`;
    const producer = state.producerOnline === false ? "  ·  producer offline, showing its last frame" : "";
    this.#statusLine.dataset.lossy = state.lossy;
    this.#show(state.producerOnline === false ? "offline" : "connected", figures + quality + producer);
  }

  #show(kind, text) {
    this.#statusText = text;
    this.#statusLine.dataset.state = kind;
    this.#statusLine.textContent = text;
  }

  #emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail, bubbles: true, composed: true }));
  }
}

/** Registers `<framecast-view>` (once: a second call changes nothing but
 * the options it was not given before). `loadViewer()` resolves to the
 * wasm viewer's module, initialized; `server` is the default server. */
export function define({ loadViewer, server } = {}) {
  options.loadViewer ??= loadViewer ?? null;
  options.server ??= server ?? null;
  if (!customElements.get("framecast-view")) customElements.define("framecast-view", FramecastView);
  return FramecastView;
}
