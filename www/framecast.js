// <framecast-view> as every framecast server serves it, at /framecast.js:
// the element (element.js) with the wasm viewer loaded from the same
// server, which is also the element's default `server`. Any page may load
// it (the server sends it with Access-Control-Allow-Origin: *); only pages
// of origins the server allows may watch (--allow-origin). A page with a
// Content-Security-Policy needs script-src and connect-src to allow the
// server, and 'wasm-unsafe-eval'.
//
//   <script type="module" src="http://127.0.0.1:8080/framecast.js"></script>
//   <framecast-view stream="sim"></framecast-view>

import { define } from "./element.js";

const here = new URL(".", import.meta.url);

define({
  server: here.href,
  async loadViewer() {
    const viewer = await import(new URL("pkg/framecast_viewer.js", here).href);
    await viewer.default({ module_or_path: new URL("pkg/framecast_viewer_bg.wasm", here) });
    return viewer;
  },
});

export { define, FramecastView, newState, View, webSocketTransport } from "./element.js";
