// <framecast-view> as every framecast server serves it, at /framecast.js:
// the element (element.js) with the wasm viewer loaded from the same
// server, which is also the element's default `server`. Any page may load
// it (the server sends it with Access-Control-Allow-Origin: *); only pages
// of origins the server allows may watch (--allow-origin). The element
// decodes in a module worker started from a blob: URL, which imports
// element.js and the viewer from this server; a page with a
// Content-Security-Policy needs script-src and connect-src to allow the
// server, 'wasm-unsafe-eval', and worker-src blob: for the worker (without
// it the element decodes on the page's main thread).
//
//   <script type="module" src="http://127.0.0.1:8080/framecast.js"></script>
//   <framecast-view stream="sim"></framecast-view>

import { define } from "./element.js";

const here = new URL(".", import.meta.url);
const glue = new URL("pkg/framecast_viewer.js", here).href;
const wasmUrl = new URL("pkg/framecast_viewer_bg.wasm", here);

/** The viewer's wasm, compiled once for the page and its workers. */
let compiled = null;
function wasm() {
  compiled ??= WebAssembly.compileStreaming(fetch(wasmUrl)).catch(async () =>
    WebAssembly.compile(await (await fetch(wasmUrl)).arrayBuffer()),
  );
  return compiled;
}

define({
  server: here.href,
  async loadViewer() {
    const viewer = await import(glue);
    await viewer.default({ module_or_path: await wasm() });
    return viewer;
  },
  async workerSource() {
    return { element: new URL("element.js", here).href, glue, wasm: await wasm() };
  },
});

export { define, FramecastView, newState, placement, Renderer, webSocketTransport } from "./element.js";
