// framecast's notebook widget (anywidget): a <framecast-view> in the cell's
// output, the element and the wasm viewer loaded from the widget's state,
// fed over the widget's comm instead of a WebSocket (the notebook's browser
// may not reach the kernel's server). The kernel (_jupyter.py) relays, for
// each view, one viewer connection to the in-process server: {t: "open"}
// starts it, {t: "frame"} brings a frame message as a binary buffer,
// {t: "text"} a text message, {t: "closed"} ends it; the view answers with
// {t: "binary"} (acks, keyframe requests) and {t: "text"} (input events),
// and {t: "close"} when it goes away. The element reconnects by itself.

const OPEN_RETRY_MS = 1000;

/** The element's module, defined with the widget's viewer, once per page. */
let element = null;

/** A URL for a module's source; kept for the page's life, since the
 * element's worker imports the same two modules. */
function moduleUrl(source) {
  return URL.createObjectURL(new Blob([source], { type: "text/javascript" }));
}

function load(model) {
  element ??= (async () => {
    const urls = { glue: moduleUrl(model.get("_viewer_js")), element: moduleUrl(model.get("_element_js")) };
    const [viewer, module] = await Promise.all([import(urls.glue), import(urls.element)]);
    const bytes = model.get("_viewer_wasm"); // a DataView
    const wasm = WebAssembly.compile(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    module.define({
      async loadViewer() {
        await viewer.default({ module_or_path: await wasm });
        return viewer;
      },
      async workerSource() {
        return { ...urls, wasm: await wasm };
      },
    });
    return module;
  })();
  return element;
}

function newId() {
  // crypto.randomUUID needs a secure context, which a remote notebook over
  // plain http is not.
  return Math.random().toString(36).slice(2) + Date.now().toString(36);
}

/** A transport (see element.js) over the widget's comm, for view `id`. */
function commTransport(model, id) {
  // An "open" may wait in the kernel's busy main shell: a view's first
  // messages can go there before JupyterLab has the comm's subshell. So it
  // asks again each second until the kernel answers; the kernel ignores an
  // attempt older than the one it serves.
  let attempt = 0;
  return {
    connect(_target, handlers) {
      let answered = false;
      let retry = null;
      const ask = () => {
        if (answered) return;
        attempt += 1;
        model.send({ t: "open", view: id, attempt });
        retry = setTimeout(ask, OPEN_RETRY_MS);
      };
      const onMessage = (message, buffers) => {
        if (message?.view !== id) return;
        if (message.t === "frame") handlers.message(buffers[0]);
        else if (message.t === "text") handlers.message(message.text);
        else if (message.t === "open") {
          answered = true;
          clearTimeout(retry);
          handlers.open();
        } else if (message.t === "closed") {
          answered = true;
          clearTimeout(retry);
          model.off("msg:custom", onMessage);
          handlers.close({ code: 1006, reason: message.reason });
        }
      };
      model.on("msg:custom", onMessage);
      ask();
      return {
        send(data) {
          if (typeof data === "string") model.send({ t: "text", view: id, text: data });
          else model.send({ t: "binary", view: id }, undefined, [data]);
        },
        close() {
          answered = true;
          clearTimeout(retry);
          model.off("msg:custom", onMessage);
          model.send({ t: "close", view: id });
        },
      };
    },
  };
}

async function render({ model, el }) {
  await load(model);
  const view = document.createElement("framecast-view");
  view.transport = commTransport(model, newId());
  view.stream = model.get("stream");
  view.interactive = true;
  view.status = true;
  // A stream of values: the widget's colormap and range, as the element's
  // attributes (null leaves the producer's, or the colour bar's).
  const values = () => {
    for (const name of ["colormap", "vmin", "vmax", "range"]) {
      const value = model.get(name);
      if (value === null || value === undefined) view.removeAttribute(name);
      else view.setAttribute(name, String(value));
    }
  };
  values();
  model.on("change:colormap change:vmin change:vmax change:range", values);
  view.style.maxWidth = "100%";
  el.classList.add("framecast-view");
  el.append(view);
  el.framecast = view.state; // for tests, as the page's window.framecast
  return () => {
    model.off("change:colormap change:vmin change:vmax change:range", values);
    view.remove(); // the element closes its connection
  };
}

export default { render };
