// <framecast-view>: the live view of one framecast stream, in any page.
//
//   <script type="module" src="http://127.0.0.1:8080/framecast.js"></script>
//   <framecast-view server="http://127.0.0.1:8080" stream="sim"></framecast-view>
//
// Every framecast server serves it at /framecast.js, which loads the wasm
// viewer from the same server (framecast.js); the npm package
// framecast-view bundles it with the viewer inlined. framecast's own page
// (app.js) and its notebook widget are users of it, so connecting,
// reconnecting, tokens, quality, zoom and inspection live here once.
//
// Two halves, in this one module:
// - A Renderer owns the wasm viewer and the canvas it paints: it decodes
//   frame messages, acks them, and draws the newest framebuffer scaled and
//   placed on whole device pixels, with a grid and the values printed on the
//   pixels when zoomed far in. Where module workers and OffscreenCanvas
//   exist it runs in a Worker that imports this module (serveWorker), opens
//   the stream's WebSocket itself and paints the transferred canvas, so a
//   busy page does not stall frames and frames do not stall the page;
//   elsewhere (or with the `main-thread` attribute) it runs on the page's
//   main thread. Either way the element talks to it with the same messages.
// - The element (FramecastView) owns everything of the page: attributes,
//   connecting and reconnecting, the status line, the view (zoom and pan),
//   pointer and keys (to the producer, or to inspection), the readout, the
//   toolbar and the figures overlay.
//
// The module touches no DOM when it is evaluated, so that a worker can
// import it, and imports nothing, so that it also runs from a blob (the
// notebook widget loads it from the widget's state): `define()` takes the
// viewer's loaders and registers the element.
//
// Attributes, reflected as properties: server (default: where the module
// came from), stream (default: the first one listed), token, quality
// (auto, lossless, 1-100), fit (contain, cover, fill, none, scale-down:
// how the frame fits until zoomed), interactive (pointer, wheel and keys go
// to the producer; otherwise they zoom, pan and inspect), status (a status
// line), stats-overlay (the figures of the last second), main-thread
// (decode and paint on the page's main thread, not in a worker); for a
// stream of values (gray, 16-bit, float): colormap (gray, viridis, magma,
// inferno, turbo, coolwarm), vmin and vmax (a fixed range) or range (auto,
// frame, window), which override what the producer asked for and what is
// chosen on the colour bar.
// Methods: zoomTo(scale, x, y, {device}), fitView(), pause(), resume(),
// snapshot(), pixel(x, y), shown(), close(). Properties: view, paused,
// stats, connected, statusText, state, worker, transport, valuesShown.
// Events (bubbling): connect, disconnect, frame, producer, error,
// viewchange, valueschange, pointer. PROTOCOL.md says what goes over the wire; README.md shows it in
// use.

const RECONNECT_MIN_MS = 250;
const RECONNECT_MAX_MS = 4000;
const STATS_EVERY_MS = 1000;
const LATENCIES_KEPT = 2000;
/** How long a worker may take to load the viewer before the element gives
 * up on it and decodes on the main thread. */
const WORKER_START_MS = 10_000;
/** What a paused view keeps of the messages that arrive meanwhile (the
 * server sends at most its window, PROTOCOL.md; these bound a server that
 * does not). Past either, it drops them and asks for a keyframe on resume. */
const PAUSED_MESSAGES_MAX = 256;
const PAUSED_BYTES_MAX = 64 << 20;
/** Zoom limits, in CSS pixels per image pixel. */
const ZOOM_MIN = 1 / 64;
const ZOOM_MAX = 512;
/** From this many CSS pixels per image pixel a grid separates the pixels,
 * and from the second their values are printed on them. */
const GRID_MIN_CSS = 8;
const VALUES_MIN_CSS = 40;
/** The wheel's zoom: a factor of e per this many pixels of scrolling. */
const WHEEL_PIXELS_PER_E = 500;
const HINT_MS = 1500;
const FITS = ["contain", "cover", "fill", "none", "scale-down"];
const QUALITY = /^(auto|lossless|[1-9][0-9]?|100)$/;

/** A value as the readout and the zoomed grid print it: an integer as it
 * is, a float to seven significant digits at most (a float32 has about
 * that many), NaN and the infinities by name. */
export function formatValue(value) {
  if (Number.isNaN(value)) return "NaN";
  if (value === Infinity) return "+inf";
  if (value === -Infinity) return "-inf";
  if (Number.isInteger(value) && Math.abs(value) < 1e7) return String(value);
  return String(Number(value.toPrecision(7)));
}

/** The colormaps a value frame may be painted with (PROTOCOL.md). */
export const COLORMAPS = ["gray", "viridis", "magma", "inferno", "turbo", "coolwarm"];
const RANGE_MODES = ["auto", "frame", "window"];

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
    dropped: 0, // frames published but never shown (skipped by the server or between paints)
    lastError: null,
    refinements: 0, // messages that refined the frame shown rather than bringing a new one
    producerOnline: null, // null until the server says
    quality: "auto", // what the server says this viewer gets
    lossy: false, // the picture holds JPEG tiles not yet refined to exact pixels
    lossyTimes: 0, // how often the server said the picture went from exact to holding JPEG tiles
    exactFrames: 0, // paints of a picture the server said was exact
    serverStopped: false, // the server said it was stopping
    paused: false,
  };
}

// --- where the frame goes --------------------------------------------------------

/**
 * Where a `frame` {width, height} lands on a canvas of `box` {width, height}
 * device pixels at `box.dpr` device pixels per CSS pixel, for `view`:
 * {fit} until zoomed, then {zoom: {scale, x, y}} (CSS pixels per image
 * pixel, and the image point at the centre). Returns {sx, sy, left, top}:
 * device pixels per image pixel, and the image's top left corner on whole
 * device pixels, so that wherever sx and sy are whole every image pixel is
 * an exact square of device pixels. The renderer draws with it and the
 * element maps the pointer with it: both compute the same.
 */
export function placement(view, frame, box) {
  const { dpr } = box;
  let sx;
  let sy;
  let centre;
  if (view.zoom) {
    sx = sy = view.zoom.scale * dpr;
    centre = view.zoom;
  } else {
    sx = box.width / frame.width;
    sy = box.height / frame.height;
    if (view.fit === "contain") sx = sy = Math.min(sx, sy);
    else if (view.fit === "cover") sx = sy = Math.max(sx, sy);
    else if (view.fit === "none") sx = sy = dpr;
    else if (view.fit === "scale-down") sx = sy = Math.min(dpr, sx, sy);
    centre = { x: frame.width / 2, y: frame.height / 2 };
  }
  return { sx, sy, left: Math.round(box.width / 2 - centre.x * sx), top: Math.round(box.height / 2 - centre.y * sy) };
}

/** The columns and rows of `frame` that `place` shows on `box`, whole:
 * {x0, y0, x1, y1}, empty when none. */
function visibleRect(place, frame, box) {
  const clamp = (value, max) => Math.min(max, Math.max(0, value));
  return {
    x0: clamp(Math.floor(-place.left / place.sx), frame.width),
    y0: clamp(Math.floor(-place.top / place.sy), frame.height),
    x1: clamp(Math.ceil((box.width - place.left) / place.sx), frame.width),
    y1: clamp(Math.ceil((box.height - place.top) / place.sy), frame.height),
  };
}

function newCanvas(width, height) {
  if (typeof OffscreenCanvas === "function") return new OffscreenCanvas(width, height);
  return Object.assign(document.createElement("canvas"), { width, height });
}

const nextFrame =
  typeof requestAnimationFrame === "function" ? (callback) => requestAnimationFrame(callback) : (callback) => setTimeout(callback, 16);

// --- the renderer --------------------------------------------------------------------

/**
 * One stream on one canvas, in a worker or on the main thread: decodes each
 * frame message with the wasm Viewer into its framebuffer in wasm memory,
 * acks as soon as it is decoded (while the page is visible and the view not
 * paused), and once per animation frame puts what changed onto a canvas of
 * the frame's size (`source`) and draws that onto `screen`, the element's
 * canvas, as the view places it.
 *
 * It is driven by messages, `handle({type, ...})`, and answers with
 * `emit(event, transfer)`, so that the element talks to it the same way
 * wherever it runs. PROTOCOL.md says what the acks carry.
 */
export class Renderer {
  constructor(glue, screen, emit) {
    this.viewer = new glue.Viewer();
    this.protocolVersion = glue.protocolVersion();
    this.screen = screen;
    this.screenContext = screen.getContext("2d");
    this.source = newCanvas(1, 1);
    this.sourceContext = this.source.getContext("2d");
    this.hasFrame = false; // the source holds a frame
    this.emit = emit;
    this.box = { width: screen.width, height: screen.height, dpr: 1 };
    this.view = { fit: "contain", zoom: null };
    this.visible = true;
    this.paused = false;
    this.held = []; // messages that arrived while paused: [bytes, arrivedAt]
    this.heldBytes = 0;
    this.heldOverflow = false;
    this.socket = null; // the WebSocket this renderer opened, if any
    this.link = null; // the current connection's Link
    this.paintScheduled = false;
    this.redraw = false; // the whole screen must be drawn again
    this.totals = { seq: 0, width: 0, height: 0, applied: 0, bytes: 0, refinements: 0, frames: 0, dropped: 0 };
    this.valuesChanged = false; // the colormap or range changed: paint the values again
    this.valuesTold = ""; // the colormap, range and format the element was last told of
    this.received = 0; // frame messages received in all, held while paused or not
  }

  /** One command from the element. */
  handle(message) {
    switch (message.type) {
      case "open":
        return this.open(message.id, message.target);
      case "connect":
        return this.connect((data) => this.emit({ type: "send", data }));
      case "frame":
        return this.frame(message.data, message.arrivedAt - performance.timeOrigin);
      case "send":
        return this.link?.send(message.data);
      case "disconnect":
        return this.disconnect();
      case "layout":
        this.box = message.box;
        this.screen.width = message.box.width;
        this.screen.height = message.box.height;
        return this.requestRedraw();
      case "view":
        this.view = message.view;
        return this.requestRedraw();
      case "visible":
        this.visible = message.visible;
        return this.schedulePaint();
      case "pause":
        return message.paused ? this.pause() : this.resume();
      case "ask":
        return this.answer(message);
      case "values":
        return this.setValues(message.values);
      case "dispose":
        this.disconnect();
        this.link = null;
        this.viewer.free();
        return;
      default:
        throw new Error(`the renderer has no command ${message.type}`);
    }
  }

  /** Opens the stream's WebSocket here (so that frames never pass through
   * another thread), reporting open, text messages and close as `socket`
   * events of connection `id`. */
  open(id, target) {
    this.socket?.close();
    const report = (event) => this.emit({ type: "socket", id, ...event });
    const socket = webSocketTransport.connect(target, {
      open: () => {
        this.connect((data) => socket.send(data));
        report({ event: "open" });
      },
      message: (data, arrivedAt) => (typeof data === "string" ? report({ event: "text", data }) : this.frame(data, arrivedAt)),
      close: ({ code, reason }) => {
        if (this.socket === socket) this.socket = null;
        this.disconnect();
        report({ event: "close", code, reason });
      },
    });
    this.socket = socket;
  }

  /** A new connection, sending with `send(string | Uint8Array)`: the viewer
   * starts over (the server begins with a keyframe). */
  connect(send) {
    this.viewer.reset();
    this.link = new Link(send);
    this.held = [];
    this.heldBytes = 0;
    this.heldOverflow = false;
  }

  /** The connection is gone: a frame decoded and not yet painted is still
   * painted, and nothing more is sent. */
  disconnect() {
    this.socket?.close();
    this.socket = null;
    if (this.link) this.link.send = () => {};
  }

  /** One binary frame message, which arrived at `arrivedAt` (this thread's
   * performance.now()). */
  frame(data, arrivedAt = performance.now()) {
    const link = this.link;
    if (!link) return;
    const bytes = new Uint8Array(data.buffer ?? data, data.byteOffset ?? 0, data.byteLength);
    this.received += 1;
    if (!link.versionChecked) {
      link.versionChecked = true;
      if (bytes[4] !== this.protocolVersion) {
        this.disconnect();
        this.emit({ type: "version", theirs: bytes[4], ours: this.protocolVersion });
        return;
      }
    }
    if (this.paused) return this.hold(bytes, arrivedAt);
    this.apply(bytes, arrivedAt);
    // The ack opens the server's window for the next frame, so acking on
    // decode lets frames arrive faster than the screen refreshes; the paints
    // stay coalesced. A hidden page acks when it is shown again, so the
    // server stops sending meanwhile.
    if (this.visible && link.unacked) this.ack();
    this.schedulePaint();
  }

  apply(bytes, arrivedAt) {
    const link = this.link;
    const start = performance.now();
    let stats;
    try {
      stats = this.viewer.apply(bytes);
    } catch (error) {
      this.emit({ type: "bad-frame", message: String(error.message ?? error) });
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
    const totals = this.totals;
    totals.applied += 1;
    totals.bytes += bytes.byteLength;
    totals.width = stats.width;
    totals.height = stats.height;
    if (stats.refinement) totals.refinements += 1;
    else link.window.frames += 1;
    link.window.bytes += bytes.byteLength;
    stats.free();
  }

  /** Acks the newest frame decoded, saying how long it was held here since
   * its message arrived: the server takes that off the round trip. */
  ack() {
    const link = this.link;
    const micros = (ms) => Math.min(0xffffffff, Math.max(0, Math.round(ms * 1000)));
    const held = performance.now() - link.newestArrival;
    link.send(this.viewer.ack(micros(link.decodeMs), micros(link.paintMs), micros(held)));
    link.window.decodeMs += link.decodeMs;
    link.window.paintMs += link.paintMs;
    link.decodeMs = 0;
    link.paintMs = 0;
    link.unacked = false;
  }

  // --- pause ---

  /** Freezes the picture: messages that arrive are kept, not applied, and
   * nothing is acked, so the server stops once its window is full. */
  pause() {
    this.paused = true;
  }

  hold(bytes, arrivedAt) {
    if (this.heldOverflow) return;
    this.held.push([bytes, arrivedAt]); // a message's own buffer: nothing reuses it
    this.heldBytes += bytes.byteLength;
    if (this.held.length > PAUSED_MESSAGES_MAX || this.heldBytes > PAUSED_BYTES_MAX) {
      this.held = [];
      this.heldBytes = 0;
      this.heldOverflow = true;
    }
  }

  /** Applies what arrived while paused and acks the newest, which brings
   * the newest frame. */
  resume() {
    this.paused = false;
    const link = this.link;
    if (!link) return;
    if (this.heldOverflow) {
      this.heldOverflow = false;
      link.send(this.viewer.keyframe_request(true));
    }
    for (const [bytes, arrivedAt] of this.held) this.apply(bytes, arrivedAt);
    this.held = [];
    this.heldBytes = 0;
    this.schedulePaint();
  }

  // --- painting ---

  schedulePaint() {
    if (!this.paintScheduled) {
      this.paintScheduled = true;
      nextFrame(() => this.onAnimationFrame());
    }
  }

  requestRedraw() {
    this.redraw = true;
    this.schedulePaint();
  }

  /** Once per animation frame: the newest framebuffer is painted if a frame
   * came since the last paint, the screen drawn where it changed, and what
   * is still unacked is acked. */
  onAnimationFrame() {
    this.paintScheduled = false;
    const link = this.link;
    // While paused nothing is applied: a frame still unpainted came before
    // the pause, and is the one the view freezes on.
    if (link?.unpainted) {
      const start = performance.now();
      const dirty = this.putFrame();
      this.draw(dirty);
      dirty?.free();
      link.paintMs += performance.now() - start;
      link.unpainted = false;
      this.painted(link);
    } else if (this.valuesChanged) {
      const dirty = this.putFrame();
      this.draw(dirty);
      dirty?.free();
    } else if (this.redraw) {
      this.draw(null);
    }
    this.valuesChanged = false;
    if (link?.unacked && this.visible && !this.paused) this.ack();
  }

  /** Puts what changed in the framebuffer onto `source`; returns the
   * rectangle (or null when nothing changed). */
  putFrame() {
    const dirty = this.viewer.take_dirty();
    if (this.viewer.isValues) this.tellValues();
    if (!dirty) return null;
    const image = this.viewer.image();
    if (this.source.width !== image.width || this.source.height !== image.height) {
      this.source.width = image.width;
      this.source.height = image.height;
      this.redraw = true;
    }
    this.sourceContext.putImageData(image, 0, 0, dirty.x, dirty.y, dirty.width, dirty.height);
    this.hasFrame = true;
    return dirty;
  }

  /** Draws `source` onto the screen as the view places it: only the
   * `dirty` rectangle where that maps exactly onto whole device pixels and
   * nothing else changed, else all of it. */
  draw(dirty) {
    const context = this.screenContext;
    const box = this.box;
    const frame = this.source;
    if (!this.hasFrame) return;
    const place = placement(this.view, frame, box);
    const exact = Number.isInteger(place.sx) && Number.isInteger(place.sy);
    const grid = place.sx >= GRID_MIN_CSS * box.dpr;
    if (dirty && exact && !grid && !this.redraw) {
      const [x, y] = [place.left + dirty.x * place.sx, place.top + dirty.y * place.sy];
      const [width, height] = [dirty.width * place.sx, dirty.height * place.sy];
      context.clearRect(x, y, width, height);
      context.drawImage(frame, dirty.x, dirty.y, dirty.width, dirty.height, x, y, width, height);
      return;
    }
    this.redraw = false;
    context.clearRect(0, 0, box.width, box.height);
    const shown = visibleRect(place, frame, box);
    const [columns, rows] = [shown.x1 - shown.x0, shown.y1 - shown.y0];
    if (columns <= 0 || rows <= 0) return;
    // Enlarged, nearest-neighbour squares; shrunk, filtered, so that no row
    // or column is dropped.
    context.imageSmoothingEnabled = place.sx < 1 || place.sy < 1;
    context.imageSmoothingQuality = "high";
    context.drawImage(
      frame,
      shown.x0,
      shown.y0,
      columns,
      rows,
      place.left + shown.x0 * place.sx,
      place.top + shown.y0 * place.sy,
      columns * place.sx,
      rows * place.sy,
    );
    if (grid) this.drawGrid(place, shown);
  }

  /** Lines between the pixels and, further in, each pixel's values printed
   * on it (as OpenCV's image window does), in black or white, whichever
   * reads on the pixel. */
  drawGrid(place, shown) {
    const context = this.screenContext;
    const { sx, sy, left, top } = place;
    const dpr = this.box.dpr;
    context.fillStyle = "rgb(128 128 128 / 0.55)";
    const line = Math.max(1, Math.round(dpr));
    for (let x = shown.x0; x <= shown.x1; x++) context.fillRect(left + x * sx, top + shown.y0 * sy, line, (shown.y1 - shown.y0) * sy);
    for (let y = shown.y0; y <= shown.y1; y++) context.fillRect(left + shown.x0 * sx, top + y * sy, (shown.x1 - shown.x0) * sx, line);
    if (sx < VALUES_MIN_CSS * dpr) return;
    const [columns, rows] = [shown.x1 - shown.x0, shown.y1 - shown.y0];
    const pixels = this.viewer.region(shown.x0, shown.y0, columns, rows);
    if (!pixels) return;
    // A value frame's values, one a pixel; a colour frame's channels.
    const values = this.viewer.isValues ? this.viewer.values(shown.x0, shown.y0, columns, rows) : null;
    const channels = values ? 1 : this.viewer.format === "rgba8" ? 4 : 3;
    const size = Math.min(sy / (channels + 1), 13 * dpr);
    context.font = `${size}px ui-monospace, monospace`;
    context.textAlign = "center";
    context.textBaseline = "middle";
    for (let row = 0; row < rows; row++) {
      for (let column = 0; column < columns; column++) {
        const at = (row * columns + column) * 4;
        const [r, g, b] = pixels.subarray(at, at + 3);
        context.fillStyle = 0.299 * r + 0.587 * g + 0.114 * b > 140 ? "#000" : "#fff";
        const cx = left + (shown.x0 + column + 0.5) * sx;
        const cy = top + (shown.y0 + row + 0.5) * sy;
        if (values) {
          context.fillText(formatValue(values[row * columns + column]), cx, cy, sx * 0.95);
          continue;
        }
        for (let channel = 0; channel < channels; channel++) {
          context.fillText(String(pixels[at + channel]), cx, cy + (channel - (channels - 1) / 2) * size * 1.15);
        }
      }
    }
  }

  /** Paints values with `values` {colormap, range}: a colormap's name,
   * and "auto", "frame", "window" or [lo, hi]; the next paint paints the
   * whole frame. */
  setValues({ colormap, range }) {
    try {
      this.viewer.setColormap(colormap);
      if (Array.isArray(range)) this.viewer.setRange(range[0], range[1]);
      else this.viewer.setRangeMode(range);
    } catch (error) {
      this.emit({ type: "values-error", message: String(error.message ?? error) });
      return;
    }
    this.valuesChanged = true;
    this.schedulePaint();
  }

  /** Tells the element the colormap and range values are painted with,
   * when they changed: for its colour bar. */
  tellValues() {
    const viewer = this.viewer;
    const range = viewer.range();
    const told = `${viewer.format} ${viewer.colormap} ${viewer.rangeMode} ${range?.join(" ")}`;
    if (told === this.valuesTold) return;
    const colormapChanged = !this.valuesTold.startsWith(`${viewer.format} ${viewer.colormap} `);
    this.valuesTold = told;
    this.emit({
      type: "values",
      format: viewer.format,
      colormap: viewer.colormap,
      mode: viewer.rangeMode,
      range: range ? [...range] : null,
      bar: colormapChanged ? viewer.colourBar() : null,
    });
  }

  /** A paint happened: the totals go to the element. */
  painted(link) {
    const totals = this.totals;
    const seq = this.viewer.seq;
    if (link.paintedSeq && seq > link.paintedSeq + 1) totals.dropped += seq - link.paintedSeq - 1;
    link.paintedSeq = seq;
    totals.seq = seq;
    totals.frames += 1;
    const latency = link.newestCaptureMs ? Date.now() - link.newestCaptureMs : null;
    const values = this.viewer.isValues;
    if (!values) this.valuesTold = "";
    this.emit({ type: "painted", totals: { ...totals }, latency, values });
  }

  // --- questions ---

  answer({ id, question, args }) {
    let value;
    try {
      value = this.reply(question, args);
    } catch (error) {
      this.emit({ type: "answer", id, error: String(error.message ?? error) });
      return;
    }
    this.emit({ type: "answer", id, value }, value?.buffer instanceof ArrayBuffer ? [value.buffer] : []);
  }

  reply(question, args) {
    const viewer = this.viewer;
    switch (question) {
      case "pixel": {
        const rgba = viewer.pixel(args.x, args.y);
        if (!rgba) return null;
        if (viewer.isValues) return { rgba: [...rgba], value: viewer.value(args.x, args.y), format: viewer.format };
        return { rgba: [...rgba], channels: viewer.format === "rgba8" ? 4 : 3 };
      }
      case "snapshot":
        return viewer.snapshot_png();
      case "shown": {
        if (!this.hasFrame) throw new Error("no frame yet");
        const { width, height } = this.source;
        return this.sourceContext.getImageData(0, 0, width, height).data;
      }
      case "stats":
        return this.takeStats();
      default:
        throw new Error(`the renderer has no answer to ${question}`);
    }
  }

  /** Frames a second, KB/s and milliseconds to decode and to paint a frame
   * since the last call, and the frame messages received in all. */
  takeStats() {
    const link = this.link;
    if (!link) return { fps: 0, kbps: 0, decodeMs: 0, paintMs: 0, received: this.received };
    const now = performance.now();
    const { start, frames, bytes, decodeMs, paintMs } = link.window;
    link.window = { start: now, frames: 0, bytes: 0, decodeMs: 0, paintMs: 0 };
    const elapsed = now - start;
    return {
      fps: (frames * 1000) / elapsed,
      kbps: bytes / elapsed, // bytes per ms = KB/s
      decodeMs: frames ? decodeMs / frames : 0,
      paintMs: frames ? paintMs / frames : 0,
      received: this.received,
    };
  }
}

/** What lives as long as one connection: the frames decoded and not yet
 * acked or painted, and the figures of the last second. A reconnect makes
 * a new one, so nothing carries over but the renderer's totals. */
class Link {
  constructor(send) {
    this.send = send;
    this.versionChecked = false; // the first message's protocol version was checked
    this.decodeMs = 0; // decode time since the last ack
    this.paintMs = 0; // paint time since the last ack
    this.unacked = false; // frames applied since the last ack
    this.newestArrival = 0; // when the newest frame applied arrived (performance.now())
    this.unpainted = false; // frames applied since the last paint
    this.newestCaptureMs = 0; // capture time of the newest frame applied
    this.paintedSeq = 0; // the newest frame painted
    this.window = { start: performance.now(), frames: 0, bytes: 0, decodeMs: 0, paintMs: 0 }; // for the figures
  }
}

/**
 * The worker's side (its script is `import {serveWorker} from this module;
 * import * as glue from the viewer's JS; serveWorker(self, glue)`): the
 * first message brings the compiled wasm module, the second the canvas;
 * every later one is a Renderer command.
 */
export function serveWorker(scope, glue) {
  let renderer = null;
  scope.onmessage = async ({ data: message }) => {
    if (message.type === "init") {
      try {
        await glue.default({ module_or_path: message.wasm });
        scope.postMessage({ type: "ready" });
      } catch (error) {
        scope.postMessage({ type: "failed", message: String(error.message ?? error) });
      }
    } else if (message.type === "canvas") {
      renderer = new Renderer(glue, message.canvas, (event, transfer = []) => scope.postMessage(event, transfer));
    } else {
      renderer?.handle(message);
    }
  };
}

/**
 * The element's handle on its Renderer, wherever it runs: `post(command)`,
 * `ask(question, args)` resolving to the answer, and `onEvent(event)` for
 * what the renderer reports.
 */
class RendererClient {
  #worker = null;
  #renderer = null;
  #questions = new Map();
  #nextQuestion = 1;
  #disposed = false;

  constructor(onEvent) {
    this.onEvent = onEvent;
  }

  /** Whether a worker renders. */
  get inWorker() {
    return this.#worker !== null;
  }

  /** Starts the renderer in a worker when `workerSource` gives one that
   * loads, else on this thread with `loadViewer`; `why` receives the reason
   * a worker was not used. */
  async start(canvas, { workerSource, loadViewer, why }) {
    if (workerSource && typeof OffscreenCanvas === "function" && canvas.transferControlToOffscreen) {
      try {
        const worker = await startWorker(await workerSource());
        if (this.#disposed) return worker.terminate();
        this.#worker = worker;
        const offscreen = canvas.transferControlToOffscreen();
        this.#worker.onmessage = ({ data }) => this.#receive(data);
        this.#worker.postMessage({ type: "canvas", canvas: offscreen }, [offscreen]);
        return;
      } catch (error) {
        why(`decoding on the main thread: ${error.message}`);
      }
    }
    const glue = await loadViewer();
    if (this.#disposed) return;
    this.#renderer = new Renderer(glue, canvas, (event) => this.#receive(event));
  }

  post(command) {
    if (this.#worker) this.#worker.postMessage(command);
    else this.#renderer?.handle(command);
  }

  /** Whether it still renders (dispose() ends that). */
  get alive() {
    return this.#worker !== null || this.#renderer !== null;
  }

  ask(question, args = {}) {
    if (!this.alive) return Promise.reject(new Error("the view was removed"));
    const id = this.#nextQuestion++;
    return new Promise((resolve, reject) => {
      this.#questions.set(id, { resolve, reject });
      this.post({ type: "ask", id, question, args });
    });
  }

  #receive(event) {
    if (event.type !== "answer") return this.onEvent(event);
    const question = this.#questions.get(event.id);
    this.#questions.delete(event.id);
    if (event.error !== undefined) question?.reject(new Error(event.error));
    else question?.resolve(event.value);
  }

  /** Ends the renderer, its worker and the memory they hold (the element
   * is gone for good). */
  dispose() {
    this.#disposed = true;
    if (this.#worker) this.#worker.terminate();
    else this.#renderer?.handle({ type: "dispose" });
    this.#worker = null;
    this.#renderer = null;
    for (const { reject } of this.#questions.values()) reject(new Error("the view was removed"));
    this.#questions.clear();
  }
}

/** A module worker running serveWorker with `sources` {element, glue: URLs
 * it can import, wasm: the compiled WebAssembly.Module}; resolves once it
 * has instantiated the viewer. */
function startWorker(sources) {
  const script = [
    `import { serveWorker } from ${JSON.stringify(String(sources.element))};`,
    `import * as glue from ${JSON.stringify(String(sources.glue))};`,
    "serveWorker(self, glue);",
  ].join("\n");
  const url = URL.createObjectURL(new Blob([script], { type: "text/javascript" }));
  return new Promise((resolve, reject) => {
    let worker;
    const fail = (message) => {
      clearTimeout(timer);
      worker?.terminate();
      reject(new Error(message));
    };
    const timer = setTimeout(() => fail(`the worker did not start in ${WORKER_START_MS / 1000} s`), WORKER_START_MS);
    try {
      worker = new Worker(url, { type: "module", name: "framecast-view" });
    } catch (error) {
      return fail(`no worker (${error.message})`);
    } finally {
      URL.revokeObjectURL(url);
    }
    worker.onerror = (event) => fail(`the worker failed to load (${event.message || "blocked or unreachable"})`);
    worker.onmessage = ({ data }) => {
      if (data.type === "failed") return fail(`the worker could not load the viewer (${data.message})`);
      clearTimeout(timer);
      worker.onerror = null;
      resolve(worker);
    };
    worker.postMessage({ type: "init", wasm: sources.wasm });
  });
}

// --- transports ----------------------------------------------------------------

/**
 * How an element reaches a stream's viewer socket: `connect(target,
 * handlers)` with `target` = {server, stream, token, quality} and
 * `handlers` = {open(), message(data: ArrayBuffer | string, arrivedAt?:
 * the performance.now() time it arrived, now if not given), close({code,
 * reason})}, returning {send(data), close()}. The default opens the
 * server's WebSocket (in the renderer's worker, where there is one); the
 * notebook widget relays over its comm.
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
:host { display: inline-block; position: relative; line-height: 0; background: #000; overflow: hidden;
  width: var(--framecast-frame-width, 300px); aspect-ratio: var(--framecast-frame-aspect, 2 / 1);
  font: 12px/1.5 system-ui, sans-serif; }
:host([hidden]) { display: none; }
.surface { position: absolute; inset: 0; outline: none; touch-action: none; }
.surface:focus-visible { box-shadow: inset 0 0 0 2px #6a9fd0; }
.surface.inspect { cursor: crosshair; }
.surface.dragging { cursor: grabbing; }
canvas { display: block; width: 100%; height: 100%; }
.status, .readout, .figures, .hint { position: absolute; margin: 0; padding: 2px 6px; color: #ddd;
  background: rgb(0 0 0 / 0.6); white-space: pre; font-variant-numeric: tabular-nums; pointer-events: none; line-height: 1.5; }
.status { left: 0; right: 0; bottom: 0; overflow: hidden; text-overflow: ellipsis; }
.status[data-state="connected"]::before { content: "● "; color: #5c5; }
.status[data-state="reconnecting"]::before, .status[data-state="connecting"]::before { content: "● "; color: #ca3; }
.status[data-state="error"]::before, .status[data-state="offline"]::before { content: "● "; color: #d44; }
.status[data-lossy="true"], .readout[data-exact="false"] { color: #eb8; }
.readout { left: 0; top: 0; font-family: ui-monospace, monospace; }
.figures { right: 0; bottom: 1.8em; font-family: ui-monospace, monospace; text-align: right; }
.hint { left: 50%; top: 50%; transform: translate(-50%, -50%); border-radius: 4px; }
.colourbar { position: absolute; left: 4px; bottom: 1.9em; display: flex; align-items: center; gap: 4px;
  padding: 2px 4px; color: #ddd; background: rgb(0 0 0 / 0.6); border-radius: 3px; line-height: 1.2;
  opacity: 0.85; }
.colourbar select, .colourbar input { font: inherit; color: #eee; background: rgb(30 30 30 / 0.85);
  border: 1px solid #555; border-radius: 3px; padding: 0 2px; }
.colourbar .bound { width: 6.5em; font-family: ui-monospace, monospace; text-align: center; }
.colourbar .bar { width: 128px; height: 12px; image-rendering: pixelated; border: 1px solid #555; }
.toolbar { position: absolute; top: 4px; right: 4px; display: flex; gap: 2px; line-height: 1.2;
  opacity: 0; transition: opacity 0.15s; }
:host(:hover) .toolbar, .toolbar:focus-within { opacity: 1; }
.toolbar button { font: inherit; color: #eee; background: rgb(30 30 30 / 0.85); border: 1px solid #555;
  border-radius: 3px; padding: 1px 6px; cursor: pointer; }
.toolbar button[aria-pressed="true"] { background: #2d5d8a; border-color: #6a9fd0; }
.toolbar button:focus-visible { outline: 2px solid #6a9fd0; outline-offset: 1px; }
[hidden] { display: none !important; }
`;

/** Options of `define()`: `loadViewer()` resolves to the initialized
 * wasm-bindgen module of the viewer ({Viewer, protocolVersion}), for the
 * main thread; `workerSource()`, where given, resolves to {element, glue,
 * wasm}: URLs a worker can import this module and the viewer's JS from, and
 * the compiled WebAssembly.Module; `server` is the default of the `server`
 * attribute (none: it must be given). */
const options = { loadViewer: null, workerSource: null, server: null };

function loadViewer() {
  if (!options.loadViewer) return Promise.reject(new ViewError("no viewer to load: define() was not given one"));
  options.viewer ??= options.loadViewer();
  return options.viewer;
}

/** The toolbar's buttons: [name, text, label for screen readers, pressed
 * state or null for a plain button]. */
const TOOLS = [
  ["inspect", "Inspect", "Inspect: the pointer zooms, pans and reads pixel values (off: it goes to the program)", true],
  ["fit", "Fit", "Fit the frame to the view (key 0)", null],
  ["actual", "1:1", "One image pixel per screen pixel (key 1)", null],
  ["pause", "Pause", "Pause: freeze the picture while the stream goes on", true],
  ["snapshot", "PNG", "Save the frame shown as a PNG file, exactly", null],
  ["fullscreen", "Full", "Full screen", true],
  ["figures", "Stats", "Show frame rate, bandwidth, decode and paint times, latency", true],
];

export class FramecastView extends (globalThis.HTMLElement ?? Object) {
  static observedAttributes = [
    "server", "stream", "token", "quality", "fit", "interactive", "status", "stats-overlay",
    "colormap", "vmin", "vmax", "range",
  ];

  #surface; // the canvas's box: it takes the pointer, the wheel and the keys
  #canvas; // transferred to the renderer's worker, so replaced with the renderer
  #statusLine;
  #readout;
  #figures;
  #colourBar; // the colormap, range and their controls, for a stream of values
  #producerValues = null; // {colormap, range} the producer asked for (PROTOCOL.md's view message)
  #chosenValues = {}; // {colormap?, range?} chosen in the view (the colour bar's controls)
  #valuesShown = null; // what the renderer last said it paints values with
  #hint;
  #buttons = {};
  #state = newState();
  #renderer = null; // a RendererClient, once started
  #rendererReady = null; // resolves when the renderer has started
  #connection = null; // {send(data), close()} of the current connection
  #generation = 0; // bumped by every (re)start; older loops stop
  #reconnectDelay = RECONNECT_MIN_MS;
  #reconnectTimer = null;
  #statsTimer = null;
  #stats = { fps: 0, kbps: 0, decodeMs: 0, paintMs: 0, latencyMs: null, dropped: 0, received: 0, lossy: false };
  #statusText = "";
  #restartQueued = false;
  #wasConnected = false;
  #sockets = new Map(); // connection id -> handlers, for sockets the renderer opened
  #nextSocket = 1;
  #box = { width: 0, height: 0, dpr: 1 }; // the canvas in device pixels
  #zoom = null; // {scale, x, y} once zoomed; null: the frame fits as `fit` says
  #pointers = new Map(); // pointerId -> {x, y} client coordinates, while pressed in inspect mode
  #gesture = null; // a drag or pinch in progress
  #armed = false; // a click in the view lets the wheel zoom until the pointer leaves
  #hover = null; // the pointer's client position over the canvas, for the readout
  #readoutBusy = false;
  #readoutAgain = false;
  #pendingMove = null; // the newest pointer move for the producer, not yet sent
  #moveScheduled = false;
  #hintTimer = null;
  #resizeObserver = null;
  #dprQuery = null;
  /** How the element reaches the server; see webSocketTransport. */
  transport = null;

  constructor() {
    super();
    const root = this.attachShadow({ mode: "open" });
    const style = document.createElement("style");
    style.textContent = STYLE;
    this.#surface = document.createElement("div");
    this.#surface.className = "surface";
    this.#surface.part = "surface";
    this.#surface.tabIndex = 0;
    this.#surface.setAttribute("role", "img");
    this.#surface.setAttribute("aria-label", "live frames");
    this.#canvas = this.#newCanvas();
    const overlay = (className, tag = "p") => {
      const element = document.createElement(tag);
      element.className = className;
      element.part = className;
      element.hidden = true;
      return element;
    };
    this.#statusLine = overlay("status");
    this.#readout = overlay("readout");
    this.#readout.setAttribute("aria-live", "off");
    this.#figures = overlay("figures", "pre");
    this.#colourBar = this.#newColourBar(overlay("colourbar", "div"));
    this.#hint = overlay("hint");
    const toolbar = document.createElement("div");
    toolbar.className = "toolbar";
    toolbar.part = "toolbar";
    toolbar.setAttribute("role", "toolbar");
    toolbar.setAttribute("aria-label", "view");
    for (const [name, text, label, toggle] of TOOLS) {
      const button = document.createElement("button");
      button.type = "button";
      button.textContent = text;
      button.title = label;
      button.setAttribute("aria-label", label);
      if (toggle) button.setAttribute("aria-pressed", "false");
      button.addEventListener("click", () => this.#tool(name));
      this.#buttons[name] = button;
      toolbar.append(button);
    }
    root.append(style, this.#surface, this.#readout, this.#figures, this.#hint, this.#statusLine, this.#colourBar.element, toolbar);
    this.#resizeObserver = new ResizeObserver(([entry]) => this.#onResize(entry));
    this.#listen();
  }

  /** A canvas in the surface, in place of the one before (which a worker
   * may have taken). */
  #newCanvas() {
    const canvas = document.createElement("canvas");
    canvas.part = "canvas";
    this.#surface.replaceChildren(canvas);
    return canvas;
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
  get statsOverlay() {
    return this.hasAttribute("stats-overlay");
  }
  set statsOverlay(value) {
    this.toggleAttribute("stats-overlay", Boolean(value));
  }
  /** The colormap of a stream of values: the attribute, else what was chosen
   * in the view, else what the producer asked for, else gray. */
  get colormap() {
    return this.#values().colormap;
  }
  set colormap(value) {
    this.setAttribute("colormap", value);
  }
  /** The value range of a stream of values, as chosen ("auto", "frame",
   * "window" or [lo, hi]): the vmin and vmax attributes, else the range
   * attribute, else what was chosen in the view, else the producer's. */
  get range() {
    return this.#values().range;
  }
  set range(value) {
    if (Array.isArray(value)) {
      this.removeAttribute("range");
      this.setAttribute("vmin", String(value[0]));
      this.setAttribute("vmax", String(value[1]));
    } else {
      this.removeAttribute("vmin");
      this.removeAttribute("vmax");
      this.setAttribute("range", value);
    }
  }
  /** What values are painted with now: {format, colormap, mode, range: [lo,
   * hi]} (the range in effect, which `auto`, `frame` and `window` follow),
   * or null for a stream of colours. */
  get valuesShown() {
    return this.#valuesShown && { ...this.#valuesShown, bar: undefined };
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

  /** Whether a worker decodes and paints (false before the first start, and
   * where workers, OffscreenCanvas or the worker's script are not to be had). */
  get worker() {
    return this.#renderer?.inWorker ?? false;
  }

  /** Figures of the last second: frames shown a second, KB/s, decode and
   * paint milliseconds a frame, latency p50 (capture to paint, where the
   * producer stamps frames), frames dropped and frame messages received in
   * all, and whether JPEG pixels are shown. */
  get stats() {
    return { ...this.#stats };
  }

  /** The status line's text (shown when `status` is set). */
  get statusText() {
    return this.#statusText;
  }

  /** The frame shown, exactly, as a PNG Blob of its own size and format
   * (while paused, the frame it froze on). */
  async snapshot() {
    if (!this.#state.seq) throw new Error("no frame yet");
    return new Blob([await this.#ask("snapshot")], { type: "image/png" });
  }

  /** The pixel at image column `x`, row `y`: {rgba, values, exact}, or null
   * outside the frame. `values` are the frame's own channels, or for a
   * stream of values its one value (also `value`: an integer for gray, the
   * float itself for f32, NaN and infinities included), and `rgba` the
   * colour it is shown in; `exact` is false while the picture shows JPEG
   * pixels not yet refined. */
  async pixel(x, y) {
    if (!this.#renderer || !Number.isInteger(x) || !Number.isInteger(y) || x < 0 || y < 0) return null;
    const answer = await this.#ask("pixel", { x, y });
    if (!answer) return null;
    const exact = !this.#state.lossy;
    if ("value" in answer) return { rgba: answer.rgba, values: [answer.value], value: answer.value, exact };
    return { rgba: answer.rgba, values: answer.rgba.slice(0, answer.channels), exact };
  }

  /** The picture as painted, at the frame's own size: {width, height,
   * data} with data RGBA (a canvas round trip: alpha premultiplied). */
  async shown() {
    if (!this.#state.seq) throw new Error("no frame yet");
    const data = await this.#ask("shown");
    return { width: this.#state.width, height: this.#state.height, data: new Uint8ClampedArray(data.buffer ?? data) };
  }

  /** A question to the renderer, once it has started. */
  async #ask(question, args) {
    await this.#rendererReady;
    if (!this.#renderer) throw new Error("the view is not in a page");
    return this.#renderer.ask(question, args);
  }

  /** Closes the connection for good (until the element is added again). */
  close() {
    this.#stop();
  }

  // --- zoom and pan ---

  /** Where the frame is: {scale: CSS pixels per image pixel, x, y: the image
   * point at the centre of the view, fitted: whether it follows `fit`}.
   * The frame's corner lands on the device pixel nearest to where these
   * put it (see placement()). */
  get view() {
    if (this.#zoom) return { ...this.#zoom, fitted: false };
    const frame = this.#frameSize();
    if (!frame || !this.#box.width) return { scale: 1, x: 0, y: 0, fitted: true };
    const place = placement(this.#viewSpec(), frame, this.#box);
    return { scale: place.sx / this.#box.dpr, x: frame.width / 2, y: frame.height / 2, fitted: true };
  }

  /** Zooms to `scale` CSS pixels per image pixel (device pixels with
   * {device: true}: 1 is one image pixel per screen pixel at any
   * devicePixelRatio), centred on image point `x`, `y` (default: the
   * centre now). Fires `viewchange`. */
  zoomTo(scale, x, y, { device = false } = {}) {
    const now = this.view;
    const cssScale = device ? scale / this.#box.dpr : scale;
    if (!(cssScale > 0 && Number.isFinite(cssScale))) throw new RangeError(`zoomTo: scale must be a positive number, not ${scale}`);
    [x = now.x, y = now.y] = [x ?? undefined, y ?? undefined];
    if (!Number.isFinite(x) || !Number.isFinite(y)) throw new RangeError(`zoomTo: x and y must be numbers (image pixels), not ${x} and ${y}`);
    this.#setZoom({ scale: cssScale, x, y });
  }

  /** Back to fitting the frame as `fit` says. Fires `viewchange`. */
  fitView() {
    this.#setZoom(null);
  }

  /** Whether the picture is frozen (see pause()). */
  get paused() {
    return this.#state.paused;
  }

  /** Freezes the picture while the stream goes on: the view shows, and
   * pixel() and snapshot() answer from, the frame it froze on; it stops
   * acking, so the server sends no more than it may have in flight. */
  pause() {
    this.#setPaused(true);
  }

  /** Shows the newest frame again, and goes on. */
  resume() {
    this.#setPaused(false);
  }

  // --- lifecycle ---

  connectedCallback() {
    this.#statusLine.hidden = !this.status;
    this.#figures.hidden = !this.statsOverlay;
    this.#applyMode();
    this.#observeSize();
    document.addEventListener("visibilitychange", this.#onVisibility);
    document.addEventListener("fullscreenchange", this.#onFullscreen);
    this.#queueStart();
  }

  disconnectedCallback() {
    this.#stop();
    this.#resizeObserver.disconnect();
    this.#dprQuery?.removeEventListener("change", this.#onDprChange);
    document.removeEventListener("visibilitychange", this.#onVisibility);
    document.removeEventListener("fullscreenchange", this.#onFullscreen);
    // Moved elsewhere in the page, it is back before this runs; removed, its
    // worker (or its framebuffer on this thread) goes, and a new one starts
    // if it is added again.
    setTimeout(() => {
      if (!this.isConnected && this.#renderer) {
        this.#renderer.dispose();
        this.#renderer = null;
        this.#rendererReady = null;
        this.#canvas = this.#newCanvas();
      }
    });
  }

  #onVisibility = () => this.#renderer?.post({ type: "visible", visible: document.visibilityState === "visible" });

  #onFullscreen = () => this.#buttons.fullscreen.setAttribute("aria-pressed", String(document.fullscreenElement === this));

  attributeChangedCallback(name, old, value) {
    if (old === value) return;
    if (name === "fit") {
      this.#sendView();
      this.#emit("viewchange", this.view);
    }
    else if (name === "status") this.#statusLine.hidden = value === null;
    else if (["colormap", "vmin", "vmax", "range"].includes(name)) this.#sendValues();
    else if (name === "stats-overlay") {
      this.#figures.hidden = value === null;
      this.#buttons.figures.setAttribute("aria-pressed", String(value !== null));
      this.#showFigures();
    } else if (name === "interactive") this.#applyMode();
    else if (this.isConnected) this.#queueStart();
  }

  /** (Re)starts once the current task's attribute changes are done: an
   * element added with its attributes, or several set together, start
   * once, with all of them (main-thread among them). */
  #queueStart() {
    if (this.#restartQueued) return;
    this.#restartQueued = true;
    queueMicrotask(() => {
      this.#restartQueued = false;
      if (this.isConnected) this.#start();
    });
  }

  #stop() {
    this.#generation += 1;
    clearTimeout(this.#reconnectTimer);
    clearInterval(this.#statsTimer);
    this.#statsTimer = null;
    this.#connection?.close();
    this.#connection = null;
    this.#sockets.clear();
    this.#renderer?.post({ type: "disconnect" });
    this.#state.connected = false;
  }

  async #start() {
    this.#stop();
    const generation = this.#generation;
    this.#reconnectDelay = RECONNECT_MIN_MS;
    this.#statsTimer = setInterval(() => this.#updateStats(), STATS_EVERY_MS);
    this.#show("connecting", "connecting…");
    try {
      if (!this.#renderer) {
        this.#renderer = new RendererClient((event) => this.#onRendererEvent(event));
        const start = this.#renderer.start(this.#canvas, {
          workerSource: this.hasAttribute("main-thread") ? null : options.workerSource,
          loadViewer,
          why: (message) => console.info(`framecast-view: ${message}`),
        });
        this.#rendererReady = start;
        await start;
        this.#sendLayout();
        this.#sendView();
        this.#sendValues();
        this.#renderer.post({ type: "visible", visible: document.visibilityState === "visible" });
      }
      await this.#rendererReady;
    } catch (error) {
      if (generation === this.#generation) this.#fail(`cannot load the wasm viewer: ${error.message}`);
      return;
    }
    if (generation !== this.#generation) return;
    this.#connect(generation);
  }

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
    const handlers = {
      open: ({ relayed }) => {
        if (generation !== this.#generation) return;
        // Relayed frames come through this thread: the renderer starts a
        // connection that sends its acks back here.
        if (relayed) this.#renderer.post({ type: "connect" });
        this.#state.connected = true;
        this.#state.serverStopped = false;
        this.#reconnectDelay = RECONNECT_MIN_MS;
        this.#wasConnected = true;
        this.#show("connected", "connected, waiting for a frame");
        this.#sendResize();
        this.#emit("connect", { stream: target.stream });
      },
      text: (text) => {
        if (generation === this.#generation) this.#onText(text);
      },
      close: ({ code, reason }) => {
        if (generation !== this.#generation) return;
        this.#state.connected = false;
        this.#renderer.post({ type: "disconnect" });
        if (code === 1001 && reason === "server stopping") this.#state.serverStopped = true;
        const why = this.#state.serverStopped ? "the server stopped" : reason || "connection closed";
        if (this.#wasConnected) {
          this.#wasConnected = false;
          this.#emit("disconnect", { code, reason, willReconnect: true });
        }
        this.#retry(generation, why);
      },
    };
    if (this.transport) {
      // Frames come to this thread and go on to the renderer.
      const connection = this.transport.connect(target, {
        open: () => handlers.open({ relayed: true }),
        message: (data, arrivedAt = performance.now()) => {
          if (generation !== this.#generation) return;
          if (typeof data === "string") return handlers.text(data);
          this.#renderer.post({ type: "frame", data, arrivedAt: performance.timeOrigin + arrivedAt });
        },
        close: handlers.close,
      });
      this.#connection = connection;
    } else {
      // The renderer opens the socket itself, in its worker where it has one.
      const id = this.#nextSocket++;
      this.#sockets.set(id, handlers);
      this.#renderer.post({ type: "open", id, target });
      this.#connection = {
        send: (data) => this.#renderer.post({ type: "send", data }),
        close: () => {
          this.#sockets.delete(id);
          this.#renderer.post({ type: "disconnect" });
        },
      };
    }
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

  #onRendererEvent(event) {
    const state = this.#state;
    switch (event.type) {
      case "socket": {
        const handlers = this.#sockets.get(event.id);
        if (!handlers) return;
        if (event.event === "open") handlers.open({ relayed: false });
        else if (event.event === "text") handlers.text(event.data);
        else {
          this.#sockets.delete(event.id);
          handlers.close(event);
        }
        return;
      }
      case "send":
        return this.#connection?.send(event.data);
      case "painted": {
        const resized = event.totals.width !== state.width || event.totals.height !== state.height;
        Object.assign(state, event.totals);
        if (!state.lossy) state.exactFrames += 1;
        if (event.latency !== null) {
          state.latencies.push(event.latency);
          if (state.latencies.length > LATENCIES_KEPT) state.latencies.splice(0, state.latencies.length - LATENCIES_KEPT);
        }
        if (resized) this.#onFrameSize();
        if (!event.values && this.#valuesShown) {
          this.#valuesShown = null;
          this.#colourBar.element.hidden = true;
        }
        if (this.#hover) this.#updateReadout();
        this.#emit("frame", { seq: state.seq, width: state.width, height: state.height, exact: !state.lossy });
        return;
      }
      case "values":
        return this.#showValues(event);
      case "values-error":
        this.#emit("error", { message: event.message });
        return this.#show("error", event.message);
      case "bad-frame":
        state.lastError = event.message;
        return this.#show("error", `bad frame: ${event.message}; asking for a keyframe`);
      case "version": {
        const message = `the server speaks framecast protocol version ${event.theirs} and this viewer speaks ${event.ours}: load the viewer from that server (its /framecast.js), or update it`;
        this.#emit("error", { message });
        return this.#fail(message);
      }
    }
  }

  #onText(text) {
    const message = JSON.parse(text);
    const state = this.#state;
    if (message.type === "status") {
      state.producerOnline = message.producer;
      this.#emit("producer", { online: message.producer });
      this.#showConnected();
    } else if (message.type === "view") {
      this.#producerValues = { colormap: message.colormap, range: message.range };
      this.#sendValues();
    } else if (message.type === "quality") {
      state.quality = message.mode;
      if (message.lossy && !state.lossy) state.lossyTimes += 1;
      state.lossy = message.lossy;
      this.#showConnected();
      if (this.#hover) this.#updateReadout();
    }
  }

  async #updateStats() {
    if (!this.#renderer || !this.#state.connected) return;
    const figures = await this.#ask("stats").catch(() => null);
    if (!figures) return;
    const latencies = this.#state.latencies.slice(-Math.max(1, Math.round(figures.fps))).sort((a, b) => a - b);
    this.#stats = {
      ...figures,
      latencyMs: latencies.length ? latencies[Math.floor(latencies.length / 2)] : null,
      dropped: this.#state.dropped,
      lossy: this.#state.lossy,
    };
    this.#showConnected();
    this.#showFigures();
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
    const paused = state.paused ? "  ·  paused" : "";
    const producer = state.producerOnline === false ? "  ·  producer offline, showing its last frame" : "";
    this.#statusLine.dataset.lossy = state.lossy;
    this.#show(state.producerOnline === false ? "offline" : "connected", figures + quality + paused + producer);
  }

  #showFigures() {
    if (this.#figures.hidden) return;
    const state = this.#state;
    const s = this.#stats;
    this.#figures.textContent = [
      `${state.width}×${state.height}  ${s.fps.toFixed(1)} fps  ${s.kbps.toFixed(0)} KB/s`,
      `decode ${s.decodeMs.toFixed(2)} ms  paint ${s.paintMs.toFixed(2)} ms`,
      `latency p50 ${s.latencyMs === null ? "–" : `${Math.round(s.latencyMs)} ms`}  dropped ${state.dropped}`,
      `${state.paused ? "paused" : state.lossy ? "refining JPEG tiles" : "exact"}  ·  ${this.worker ? "worker" : "main thread"}`,
    ].join("\n");
  }

  #show(kind, text) {
    this.#statusText = text;
    this.#statusLine.dataset.state = kind;
    this.#statusLine.textContent = text;
  }

  #emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail, bubbles: true, composed: true }));
  }

  // --- size and view ---

  #frameSize() {
    const { width, height } = this.#state;
    return width && height ? { width, height } : null;
  }

  #viewSpec() {
    return { fit: this.fit, zoom: this.#zoom };
  }

  #sendView() {
    this.#renderer?.post({ type: "view", view: this.#viewSpec() });
  }

  // --- values: colormap and range ---

  /** The colormap and range values are painted with: each from the
   * attributes, else as chosen in the view, else as the producer asked,
   * else gray and auto. A bad attribute is said once and left out. */
  #values() {
    const colormapAttribute = this.getAttribute("colormap");
    const colormap = COLORMAPS.includes(colormapAttribute)
      ? colormapAttribute
      : this.#chosenValues.colormap ?? this.#producerValues?.colormap ?? "gray";
    const [vmin, vmax] = [this.getAttribute("vmin"), this.getAttribute("vmax")].map((text) => (text === null || text.trim() === "" ? NaN : Number(text)));
    const rangeAttribute = this.getAttribute("range");
    let range;
    if (Number.isFinite(vmin) && Number.isFinite(vmax) && vmin < vmax) range = [vmin, vmax];
    else if (RANGE_MODES.includes(rangeAttribute)) range = rangeAttribute;
    else range = this.#chosenValues.range ?? this.#producerValues?.range ?? "auto";
    return { colormap, range };
  }

  #sendValues() {
    const colormap = this.getAttribute("colormap");
    if (colormap !== null && !COLORMAPS.includes(colormap)) {
      this.#emit("error", { message: `colormap="${colormap}": expected ${COLORMAPS.join(", ")}` });
    }
    const bounds = ["vmin", "vmax"].filter((name) => this.hasAttribute(name));
    const [vmin, vmax] = [Number(this.getAttribute("vmin")), Number(this.getAttribute("vmax"))];
    if (bounds.length === 1 || (bounds.length === 2 && !(Number.isFinite(vmin) && Number.isFinite(vmax) && vmin < vmax))) {
      this.#emit("error", { message: `vmin and vmax are two numbers, vmin the smaller; got ${this.getAttribute("vmin")} and ${this.getAttribute("vmax")}` });
    }
    const range = this.getAttribute("range");
    if (range !== null && !RANGE_MODES.includes(range)) {
      this.#emit("error", { message: `range="${range}": expected ${RANGE_MODES.join(", ")} (or vmin and vmax)` });
    }
    this.#renderer?.post({ type: "values", values: this.#values() });
  }

  /** The colour bar: the colormap (a choice), the range's ends (editable:
   * typing one fixes the range) and where the range comes from (a
   * choice). */
  #newColourBar(element) {
    const select = (label, options, change) => {
      const choice = document.createElement("select");
      choice.setAttribute("aria-label", label);
      choice.title = label;
      for (const option of options) choice.append(new Option(option, option));
      choice.addEventListener("change", () => change(choice.value));
      return choice;
    };
    const bound = (label) => {
      const input = document.createElement("input");
      input.className = "bound";
      input.setAttribute("aria-label", label);
      input.title = `${label}: type a number to fix the range`;
      input.addEventListener("change", () => {
        const [lo, hi] = [Number(parts.lo.value), Number(parts.hi.value)];
        if (parts.lo.value.trim() && parts.hi.value.trim() && Number.isFinite(lo) && Number.isFinite(hi) && lo < hi) {
          this.#choose({ range: [lo, hi] });
        } else {
          this.#show("error", `a range is two numbers, the first the smaller; got ${parts.lo.value} and ${parts.hi.value}`);
        }
      });
      return input;
    };
    const parts = {
      element,
      colormap: select("Colormap", COLORMAPS, (colormap) => this.#choose({ colormap })),
      lo: bound("Lowest value"),
      bar: Object.assign(document.createElement("canvas"), { width: 256, height: 1, className: "bar" }),
      hi: bound("Highest value"),
      mode: select("Where the range comes from", [...RANGE_MODES, "fixed"], (mode) =>
        this.#choose({ range: mode === "fixed" ? this.#valuesShown?.range ?? [0, 1] : mode }),
      ),
    };
    parts.bar.setAttribute("aria-hidden", "true");
    element.append(parts.colormap, parts.lo, parts.bar, parts.hi, parts.mode);
    return parts;
  }

  /** A colormap or range chosen in the view: it holds until the page sets
   * the attributes, whatever the producer asks. */
  #choose(values) {
    for (const name of Object.keys(values)) {
      if (name === "colormap") this.removeAttribute("colormap");
      else ["vmin", "vmax", "range"].forEach((attribute) => this.removeAttribute(attribute));
    }
    Object.assign(this.#chosenValues, values);
    this.#sendValues();
  }

  /** The renderer paints values with these now: the colour bar shows
   * them. */
  #showValues({ format, colormap, mode, range, bar }) {
    const parts = this.#colourBar;
    this.#valuesShown = { format, colormap, mode, range, bar: bar ?? this.#valuesShown?.bar };
    parts.element.hidden = false;
    parts.colormap.value = colormap;
    parts.mode.value = mode;
    const typing = [parts.lo, parts.hi].includes(this.shadowRoot.activeElement);
    if (range && !typing) {
      parts.lo.value = formatValue(range[0]);
      parts.hi.value = formatValue(range[1]);
    }
    if (bar) {
      const image = new ImageData(new Uint8ClampedArray(bar), 256, 1);
      parts.bar.getContext("2d").putImageData(image, 0, 0);
    }
    this.#emit("valueschange", this.valuesShown);
  }

  /** A new frame size: the element's own size follows it (where the page
   * does not size the element), and a zoom that no longer lands on the
   * frame fits again. */
  #onFrameSize() {
    const { width, height } = this.#state;
    this.style.setProperty("--framecast-frame-width", `${width}px`);
    this.style.setProperty("--framecast-frame-aspect", `${width} / ${height}`);
    if (this.#zoom && (this.#zoom.x > width || this.#zoom.y > height)) this.#setZoom(null);
    else this.#emit("viewchange", this.view);
  }

  #setZoom(zoom) {
    const frame = this.#frameSize();
    if (zoom) {
      zoom = {
        scale: Math.min(ZOOM_MAX, Math.max(ZOOM_MIN, zoom.scale)),
        x: frame ? Math.min(frame.width, Math.max(0, zoom.x)) : zoom.x,
        y: frame ? Math.min(frame.height, Math.max(0, zoom.y)) : zoom.y,
      };
    }
    this.#zoom = zoom;
    this.#sendView();
    this.#emit("viewchange", this.view);
    if (this.#hover) this.#updateReadout();
  }

  /** Zooms by `factor` keeping the image point under client position
   * (`clientX`, `clientY`) where it is. */
  #zoomAround(factor, clientX, clientY) {
    const now = this.view;
    const scale = Math.min(ZOOM_MAX, Math.max(ZOOM_MIN, now.scale * factor));
    const at = this.#imagePoint(clientX, clientY);
    const box = this.#canvas.getBoundingClientRect();
    // The point's offset from the centre, in CSS pixels, stays.
    const dx = clientX - (box.left + box.width / 2);
    const dy = clientY - (box.top + box.height / 2);
    this.#setZoom({ scale, x: at.x - dx / scale, y: at.y - dy / scale });
  }

  /** The image point (fractional) under a client position. */
  #imagePoint(clientX, clientY) {
    const frame = this.#frameSize() ?? { width: 1, height: 1 };
    const box = this.#canvas.getBoundingClientRect();
    const place = placement(this.#viewSpec(), frame, this.#box);
    const toDevice = this.#box.width / (box.width || 1);
    return {
      x: ((clientX - box.left) * toDevice - place.left) / place.sx,
      y: ((clientY - box.top) * toDevice - place.top) / place.sy,
    };
  }

  /** The canvas's size in whole device pixels, from the browser where it
   * says (device-pixel-content-box), else from its CSS size and the ratio. */
  #observeSize() {
    try {
      this.#resizeObserver.observe(this.#canvas, { box: "device-pixel-content-box" });
    } catch {
      this.#resizeObserver.observe(this.#canvas);
    }
    this.#watchDpr();
  }

  #onResize(entry) {
    const dpr = devicePixelRatio || 1;
    const device = entry.devicePixelContentBoxSize?.[0];
    const width = device ? device.inlineSize : Math.round(entry.contentRect.width * dpr);
    const height = device ? device.blockSize : Math.round(entry.contentRect.height * dpr);
    if (width === this.#box.width && height === this.#box.height && dpr === this.#box.dpr) return;
    this.#box = { width, height, dpr };
    this.#sendLayout();
    this.#sendResize();
    this.#emit("viewchange", this.view);
  }

  // A new devicePixelRatio (a zoomed page, another screen) that changes no
  // device-pixel size still changes the CSS size of a device pixel.
  #onDprChange = () => {
    this.#watchDpr();
    const rect = this.#canvas.getBoundingClientRect();
    const dpr = devicePixelRatio || 1;
    if (dpr === this.#box.dpr) return;
    this.#box = { width: Math.round(rect.width * dpr), height: Math.round(rect.height * dpr), dpr };
    this.#sendLayout();
  };

  #watchDpr() {
    this.#dprQuery?.removeEventListener("change", this.#onDprChange);
    this.#dprQuery = matchMedia(`(resolution: ${devicePixelRatio || 1}dppx)`);
    this.#dprQuery.addEventListener("change", this.#onDprChange);
  }

  #sendLayout() {
    if (this.#box.width && this.#box.height) this.#renderer?.post({ type: "layout", box: { ...this.#box } });
  }

  // --- pause, snapshot, full screen ---

  #setPaused(paused) {
    if (this.#state.paused === paused) return;
    this.#state.paused = paused;
    this.#buttons.pause.setAttribute("aria-pressed", String(paused));
    this.#buttons.pause.textContent = paused ? "Resume" : "Pause";
    this.#renderer?.post({ type: "pause", paused });
    this.#showConnected();
  }

  async #download() {
    try {
      const blob = await this.snapshot();
      const link = document.createElement("a");
      link.href = URL.createObjectURL(blob);
      link.download = `${this.#state.stream ?? "frame"}-${this.#state.seq}.png`;
      link.click();
      setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
    } catch (error) {
      this.#flashHint(`no snapshot: ${error.message}`);
    }
  }

  #toggleFullscreen() {
    if (document.fullscreenElement === this) document.exitFullscreen();
    else this.requestFullscreen?.().catch((error) => this.#flashHint(`no full screen: ${error.message}`));
  }

  #tool(name) {
    if (name === "inspect") this.interactive = !this.interactive;
    else if (name === "fit") this.fitView();
    else if (name === "actual") this.zoomTo(1, undefined, undefined, { device: true });
    else if (name === "pause") this.#setPaused(!this.paused);
    else if (name === "snapshot") this.#download();
    else if (name === "fullscreen") this.#toggleFullscreen();
    else if (name === "figures") this.statsOverlay = !this.statsOverlay;
  }

  #flashHint(text) {
    this.#hint.textContent = text;
    this.#hint.hidden = false;
    clearTimeout(this.#hintTimer);
    this.#hintTimer = setTimeout(() => (this.#hint.hidden = true), HINT_MS);
  }

  // --- the pointer: to the producer, or to inspection ---

  #applyMode() {
    const inspect = !this.interactive;
    this.#surface.classList.toggle("inspect", inspect);
    this.#buttons.inspect.setAttribute("aria-pressed", String(inspect));
    this.#gesture = null;
    this.#pointers.clear();
  }

  #sendEvent(event) {
    if (this.interactive) this.#connection?.send(JSON.stringify(event));
  }

  #sendResize() {
    // An empty canvas (no frame yet) has no size worth telling.
    const { clientWidth: width, clientHeight: height } = this.#surface;
    if (width && height) this.#sendEvent({ type: "resize", width, height });
  }

  /** What the producer is told: image coordinates, at any zoom. */
  #framePoint(event) {
    return this.#imagePoint(event.clientX, event.clientY);
  }

  // Pointer moves go to the producer at most once per animation frame, the newest one.
  #queueMove(move) {
    this.#pendingMove = move;
    if (this.#moveScheduled) return;
    this.#moveScheduled = true;
    requestAnimationFrame(() => {
      this.#moveScheduled = false;
      this.#flushMove();
    });
  }

  #flushMove() {
    if (this.#pendingMove) this.#sendEvent(this.#pendingMove);
    this.#pendingMove = null;
  }

  /** The readout and the `pointer` event for the pixel under the pointer,
   * one question to the renderer at a time. */
  async #updateReadout() {
    if (this.#readoutBusy) {
      this.#readoutAgain = true;
      return;
    }
    this.#readoutBusy = true;
    try {
      do {
        this.#readoutAgain = false;
        const hover = this.#hover;
        if (!hover) break;
        const point = this.#imagePoint(hover.x, hover.y);
        const [x, y] = [Math.floor(point.x), Math.floor(point.y)];
        const pixel = await this.pixel(x, y).catch(() => null);
        if (!this.#hover) break;
        if (!pixel) {
          this.#readout.hidden = true;
          continue;
        }
        const names = pixel.values.length === 4 ? "RGBA" : "RGB";
        const values =
          "value" in pixel
            ? formatValue(pixel.value)
            : pixel.values.map((value, n) => `${names[n]} ${String(value).padStart(3)}`).join("  ");
        this.#readout.textContent = `x ${x}  y ${y}   ${values}${pixel.exact ? "" : "   JPEG, not exact yet"}`;
        this.#readout.dataset.exact = pixel.exact;
        this.#readout.hidden = false;
        this.#emit("pointer", { x, y, ...pixel });
      } while (this.#readoutAgain);
    } finally {
      this.#readoutBusy = false;
    }
  }

  #listen() {
    const surface = this.#surface;
    surface.addEventListener("pointermove", (event) => {
      this.#hover = { x: event.clientX, y: event.clientY };
      this.#updateReadout();
      if (this.interactive) {
        this.#queueMove({ type: "pointermove", ...this.#framePoint(event), buttons: event.buttons });
      } else if (this.#pointers.has(event.pointerId)) {
        this.#pointers.set(event.pointerId, { x: event.clientX, y: event.clientY });
        this.#onGesture();
      }
    });
    surface.addEventListener("pointerleave", () => {
      this.#hover = null;
      this.#armed = false;
      this.#readout.hidden = true;
    });
    surface.addEventListener("pointerdown", (event) => {
      surface.focus();
      this.#armed = true;
      if (this.interactive) {
        this.#flushMove();
        this.#sendEvent({ type: "pointerdown", ...this.#framePoint(event), button: event.button, buttons: event.buttons });
        return;
      }
      if (event.button !== 0 && event.pointerType === "mouse") return;
      surface.setPointerCapture(event.pointerId);
      this.#pointers.set(event.pointerId, { x: event.clientX, y: event.clientY });
      this.#gesture = null; // starts again from the pointers now down
      this.#onGesture();
    });
    const release = (event) => {
      if (this.interactive) {
        if (event.type === "pointerup") {
          this.#flushMove();
          this.#sendEvent({ type: "pointerup", ...this.#framePoint(event), button: event.button, buttons: event.buttons });
        }
        return;
      }
      this.#pointers.delete(event.pointerId);
      this.#gesture = null;
      surface.classList.remove("dragging");
      if (this.#pointers.size) this.#onGesture();
    };
    surface.addEventListener("pointerup", release);
    surface.addEventListener("pointercancel", release);
    surface.addEventListener("dblclick", (event) => {
      if (this.interactive) return;
      if (this.#zoom) this.fitView();
      else {
        const at = this.#imagePoint(event.clientX, event.clientY);
        this.zoomTo(1, at.x, at.y, { device: true });
      }
    });
    surface.addEventListener(
      "wheel",
      (event) => {
        // As map widgets do: the page (or the notebook) scrolls on by,
        // unless a modifier is held (trackpads pinch as ctrl + wheel) or the
        // view was clicked since the pointer came in.
        if (!(event.ctrlKey || event.metaKey || this.#armed)) {
          this.#flashHint(this.interactive ? "Click the view to send it the wheel" : "Ctrl + wheel zooms (or click the view first)");
          return;
        }
        event.preventDefault();
        const pixels = event.deltaY * (event.deltaMode === 1 ? 16 : event.deltaMode === 2 ? surface.clientHeight : 1);
        if (this.interactive) {
          const dx = event.deltaX * (event.deltaMode === 1 ? 16 : event.deltaMode === 2 ? surface.clientWidth : 1);
          this.#sendEvent({ type: "wheel", ...this.#framePoint(event), dx, dy: pixels });
        } else {
          this.#zoomAround(Math.exp(-pixels / WHEEL_PIXELS_PER_E), event.clientX, event.clientY);
        }
      },
      { passive: false },
    );
    for (const type of ["keydown", "keyup"]) {
      surface.addEventListener(type, (event) => {
        if (this.interactive) {
          event.preventDefault();
          const { key, code, shiftKey: shift, ctrlKey: ctrl, altKey: alt, metaKey: meta } = event;
          this.#sendEvent({ type, key, code, shift, ctrl, alt, meta });
        } else if (type === "keydown" && !event.ctrlKey && !event.metaKey && !event.altKey && this.#inspectKey(event.key)) {
          event.preventDefault();
        }
      });
    }
    surface.addEventListener("contextmenu", (event) => {
      if (this.interactive) event.preventDefault();
    });
  }

  /** Inspection's keys; returns whether `key` was one. */
  #inspectKey(key) {
    const view = this.view;
    const step = 64 / view.scale; // image pixels: 64 CSS pixels
    const moves = { ArrowLeft: [-step, 0], ArrowRight: [step, 0], ArrowUp: [0, -step], ArrowDown: [0, step] };
    if (key === "+" || key === "=") this.zoomTo(view.scale * 2);
    else if (key === "-" || key === "_") this.zoomTo(view.scale / 2);
    else if (key === "0") this.fitView();
    else if (key === "1") this.zoomTo(1, undefined, undefined, { device: true });
    else if (moves[key]) this.zoomTo(view.scale, view.x + moves[key][0], view.y + moves[key][1]);
    else return false;
    return true;
  }

  /** A drag pans; two pointers pinch (zoom about their midpoint) and pan. */
  #onGesture() {
    const points = [...this.#pointers.values()];
    if (!points.length) return;
    const mid = {
      x: points.reduce((sum, p) => sum + p.x, 0) / points.length,
      y: points.reduce((sum, p) => sum + p.y, 0) / points.length,
    };
    const spread = points.length > 1 ? Math.hypot(points[0].x - points[1].x, points[0].y - points[1].y) : 0;
    if (!this.#gesture) {
      const view = this.view;
      this.#gesture = { mid, spread, scale: view.scale, x: view.x, y: view.y, moved: false };
      return;
    }
    const start = this.#gesture;
    const scale = start.spread && spread ? start.scale * (spread / start.spread) : start.scale;
    // The image point under the starting midpoint follows the midpoint.
    const box = this.#canvas.getBoundingClientRect();
    const [cx, cy] = [box.left + box.width / 2, box.top + box.height / 2];
    const anchor = { x: start.x + (start.mid.x - cx) / start.scale, y: start.y + (start.mid.y - cy) / start.scale };
    if (!start.moved && Math.hypot(mid.x - start.mid.x, mid.y - start.mid.y) < 3 && scale === start.scale) return;
    start.moved = true;
    this.#surface.classList.add("dragging");
    this.#setZoom({ scale, x: anchor.x - (mid.x - cx) / scale, y: anchor.y - (mid.y - cy) / scale });
  }
}

/** Registers `<framecast-view>` (once: a second call changes nothing but
 * the options it was not given before). `loadViewer()` resolves to the
 * wasm viewer's module, initialized, for the main thread; `workerSource()`
 * to what a worker needs to load it (see `options`); `server` is the
 * default server. */
export function define({ loadViewer, workerSource, server } = {}) {
  options.loadViewer ??= loadViewer ?? null;
  options.workerSource ??= workerSource ?? null;
  options.server ??= server ?? null;
  if (!customElements.get("framecast-view")) customElements.define("framecast-view", FramecastView);
  return FramecastView;
}
