// framecast's view of one stream on one canvas, whatever carries its
// messages: the page's WebSocket (app.js) or a notebook widget's comm
// (clients/python/python/framecast/widget.js). It hands each frame message
// to the wasm Viewer (which decodes into its framebuffer in wasm memory),
// acks each frame as soon as it is decoded (while the page is visible),
// paints the newest framebuffer at most once per animation frame, and sends
// what the user does on the canvas (pointer, wheel, keys, resize) as input
// events. PROTOCOL.md says what goes each way.

const LATENCIES_KEPT = 2000;

/** The totals a view keeps in `state` (the page exposes them as
 * window.framecast for tests). */
export function newState() {
  return {
    connected: false,
    seq: 0, // newest frame painted
    width: 0,
    height: 0,
    frames: 0, // paints
    applied: 0, // frames decoded
    bytes: 0, // bytes of the frames decoded
    latencies: [], // capture-to-paint milliseconds of the newest painted frames
    lastError: null,
    refinements: 0, // messages that refined the frame shown rather than bringing a new one
  };
}

export class View {
  /** `viewer` is the wasm Viewer painting onto `canvas`; `state` gets the
   * totals; `onBadFrame(message)` is told when a frame cannot be decoded. */
  constructor(viewer, canvas, state, { onBadFrame = () => {} } = {}) {
    this.viewer = viewer;
    this.canvas = canvas;
    this.state = state;
    this.onBadFrame = onBadFrame;
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

  /** Applies one binary frame message. */
  frame(data) {
    const link = this.link;
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
    // stay coalesced (paint, below). A hidden page paints nothing: it acks on
    // its next paint, so the server stops sending until the page is shown
    // again.
    if (document.visibilityState === "visible") this.ack();
    this.schedulePaint();
  }

  ack() {
    const link = this.link;
    link.send(this.viewer.ack(Math.round(link.decodeMs * 1000), Math.round(link.paintMs * 1000)));
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
      if (link.newestCaptureMs) {
        state.latencies.push(Date.now() - link.newestCaptureMs);
        if (state.latencies.length > LATENCIES_KEPT) state.latencies.splice(0, state.latencies.length - LATENCIES_KEPT);
      }
    }
    if (link.unacked) this.ack();
  }

  /** The status line's figures since the last call: frames a second, KB/s,
   * milliseconds to decode a frame. */
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
    this.link?.send(JSON.stringify(event));
  }

  /** The pointer's position in frame pixels. */
  framePoint(event) {
    const box = this.canvas.getBoundingClientRect();
    return {
      x: ((event.clientX - box.left) * this.canvas.width) / box.width,
      y: ((event.clientY - box.top) * this.canvas.height) / box.height,
    };
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
      this.pendingMove = { type: "pointermove", ...this.framePoint(event), buttons: event.buttons };
      this.schedulePaint();
    });
    for (const type of ["pointerdown", "pointerup"]) {
      canvas.addEventListener(type, (event) => {
        if (type === "pointerdown") canvas.focus();
        this.flushPointerMove();
        this.sendEvent({ type, ...this.framePoint(event), button: event.button, buttons: event.buttons });
      });
    }
    canvas.addEventListener(
      "wheel",
      (event) => {
        event.preventDefault();
        const scale = event.deltaMode === 1 ? 16 : event.deltaMode === 2 ? canvas.height : 1;
        this.sendEvent({ type: "wheel", ...this.framePoint(event), dx: event.deltaX * scale, dy: event.deltaY * scale });
      },
      { passive: false },
    );
    for (const type of ["keydown", "keyup"]) {
      canvas.addEventListener(type, (event) => {
        event.preventDefault();
        const { key, code, shiftKey: shift, ctrlKey: ctrl, altKey: alt, metaKey: meta } = event;
        this.sendEvent({ type, key, code, shift, ctrl, alt, meta });
      });
    }
    canvas.addEventListener("contextmenu", (event) => event.preventDefault());
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
    this.unpainted = false; // frames applied since the last paint
    this.newestCaptureMs = 0; // capture time of the newest frame applied
    this.window = { start: performance.now(), frames: 0, bytes: 0, decodeMs: 0 }; // for the status line
  }
}
