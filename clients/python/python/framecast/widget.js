// framecast's notebook widget (anywidget): the page's own viewer and view
// (the wasm decoder and view.js, from the widget's state) on a canvas in the
// cell's output, over the widget's comm instead of a WebSocket. The kernel
// (_jupyter.py) relays, for each view, one viewer connection to the
// in-process server: {t: "open"} starts it, {t: "frame"} brings a frame
// message as a binary buffer, {t: "text"} a text message, {t: "closed"}
// ends it; the view answers with {t: "binary"} (acks, keyframe requests)
// and {t: "text"} (input events), and {t: "close"} when it goes away.

const REOPEN_MIN_MS = 250;
const REOPEN_MAX_MS = 4000;
const STATS_EVERY_MS = 1000;
const OPEN_RETRY_MS = 1000;

/** The viewer and view modules, loaded once per page. */
let modules = null;

function importSource(source) {
  const url = URL.createObjectURL(new Blob([source], { type: "text/javascript" }));
  return import(url).finally(() => URL.revokeObjectURL(url));
}

function load(model) {
  modules ??= (async () => {
    const [viewer, view] = await Promise.all([importSource(model.get("_viewer_js")), importSource(model.get("_view_js"))]);
    const wasm = model.get("_viewer_wasm"); // a DataView
    await viewer.default({ module_or_path: new Uint8Array(wasm.buffer, wasm.byteOffset, wasm.byteLength) });
    return { Viewer: viewer.Viewer, View: view.View, newState: view.newState };
  })();
  return modules;
}

function newId() {
  // crypto.randomUUID needs a secure context, which a remote notebook over
  // plain http is not.
  return Math.random().toString(36).slice(2) + Date.now().toString(36);
}

async function render({ model, el }) {
  const { Viewer, View, newState } = await load(model);
  const canvas = document.createElement("canvas");
  canvas.tabIndex = 0;
  canvas.style.cssText = "max-width: 100%; image-rendering: pixelated; background: #000; outline: none; touch-action: none;";
  const status = document.createElement("div");
  status.style.cssText = "font: 12px/1.4 system-ui, sans-serif; opacity: 0.7; font-variant-numeric: tabular-nums;";
  status.textContent = `${model.get("stream")}: connecting…`;
  el.classList.add("framecast-view");
  el.append(canvas, status);

  const id = newId();
  const state = { ...newState(), stream: model.get("stream"), producerOnline: null, lossy: false };
  el.framecast = state; // for tests, as the page's window.framecast
  const view = new View(new Viewer(canvas), canvas, state, {
    onBadFrame: (error) => (status.textContent = `bad frame: ${error}; asking for a keyframe`),
  });
  const send = (message) =>
    typeof message === "string"
      ? model.send({ t: "text", view: id, text: message })
      : model.send({ t: "binary", view: id }, undefined, [message]);

  let reopenDelay = REOPEN_MIN_MS;
  let reopenTimer = null;
  let gone = false;
  // An "open" may wait in the kernel's busy main shell: a view's first
  // messages can go there before JupyterLab has the comm's subshell. So it
  // asks again each second until the kernel answers; the kernel ignores an
  // attempt older than the one it serves.
  let attempt = 0;
  let answered = false;
  const open = () => {
    answered = false;
    const ask = () => {
      if (answered || gone) return;
      attempt += 1;
      model.send({ t: "open", view: id, attempt });
      reopenTimer = setTimeout(ask, OPEN_RETRY_MS);
    };
    ask();
  };
  const onMessage = (message, buffers) => {
    if (message?.view !== id || gone) return;
    if (message.t === "frame") {
      view.frame(buffers[0]);
    } else if (message.t === "text") {
      const text = JSON.parse(message.text);
      if (text.type === "status") state.producerOnline = text.producer;
      if (text.type === "quality") state.lossy = text.lossy;
    } else if (message.t === "open") {
      answered = true;
      clearTimeout(reopenTimer);
      view.connect(send);
      reopenDelay = REOPEN_MIN_MS;
    } else if (message.t === "closed") {
      answered = true;
      clearTimeout(reopenTimer);
      view.disconnect();
      status.textContent = `${state.stream}: ${message.reason}; retrying in ${(reopenDelay / 1000).toFixed(1)} s`;
      reopenTimer = setTimeout(open, reopenDelay);
      reopenDelay = Math.min(reopenDelay * 2, REOPEN_MAX_MS);
    }
  };
  model.on("msg:custom", onMessage);
  open();

  const stats = setInterval(() => {
    if (!state.connected) return;
    const { fps, kbps } = view.takeStats();
    const size = state.width ? `${state.width}×${state.height}  ${fps.toFixed(1)} fps  ${kbps.toFixed(0)} KB/s` : "waiting for a frame";
    const offline = state.producerOnline === false ? "  ·  producer offline" : "";
    status.textContent = `${state.stream}  ${size}${state.lossy ? "  ·  refining…" : ""}${offline}`;
  }, STATS_EVERY_MS);

  return () => {
    gone = true;
    clearInterval(stats);
    clearTimeout(reopenTimer);
    model.off("msg:custom", onMessage);
    model.send({ t: "close", view: id });
    view.dispose();
  };
}

export default { render };
