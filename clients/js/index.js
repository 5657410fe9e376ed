// framecast-view: <framecast-view> for bundled web apps. Importing the
// package defines the element; its `server` attribute is required (the page
// did not come from the framecast server). See README.md.
//
//   import "framecast-view";
//   <framecast-view server="http://127.0.0.1:8080" stream="sim"></framecast-view>

import { define } from "./element.js";
import init, * as viewer from "./viewer.js";
import wasm from "./wasm.js";

define({
  async loadViewer() {
    await init({ module_or_path: wasm() });
    return viewer;
  },
});

export { define, FramecastView, newState, View, webSocketTransport } from "./element.js";
