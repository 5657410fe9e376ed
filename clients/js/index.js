// framecast-view: <framecast-view> for bundled web apps. Importing the
// package defines the element; its `server` attribute is required (the page
// did not come from the framecast server). See README.md.
//
//   import "framecast-view";
//   <framecast-view server="http://127.0.0.1:8080" stream="sim"></framecast-view>

import { define } from "./element.js";
import * as sources from "./sources.js";
import init, * as viewer from "./viewer.js";
import wasm from "./wasm.js";

/** The viewer's wasm, compiled once for the page and its workers. */
let compiled = null;
const compile = () => (compiled ??= WebAssembly.compile(wasm()));
/** The URLs workers import the element and the viewer from, made once. */
let urls = null;
const moduleUrl = (source) => URL.createObjectURL(new Blob([source], { type: "text/javascript" }));

define({
  async loadViewer() {
    await init({ module_or_path: await compile() });
    return viewer;
  },
  async workerSource() {
    urls ??= { element: moduleUrl(sources.element), glue: moduleUrl(sources.viewer) };
    return { ...urls, wasm: await compile() };
  },
});

export { define, FramecastView, newState, placement, Renderer, webSocketTransport } from "./element.js";
