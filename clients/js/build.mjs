// Makes the package from the repository's own front end, run by `npm pack`
// (prepack): the element (www/element.js) and the wasm viewer's JS
// (www/pkg/framecast_viewer.js) as they are, and the wasm itself inlined as
// base64 (wasm.js), so that a bundler needs nothing to find it; and the
// first two again as strings (sources.js) for the element's worker: esbuild,
// webpack, Vite and Rollup bundle the package without a loader or a plugin
// for .wasm files, and the bundle runs wherever it is served.

import { copyFile, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const www = path.join(here, "../../www");

await copyFile(path.join(www, "element.js"), path.join(here, "element.js"));
await copyFile(path.join(www, "pkg/framecast_viewer.js"), path.join(here, "viewer.js"));
const wasm = await readFile(path.join(www, "pkg/framecast_viewer_bg.wasm"));
await writeFile(
  path.join(here, "wasm.js"),
  `// framecast's wasm viewer, inlined by build.mjs (${wasm.length} bytes).\n` +
    `const base64 = "${wasm.toString("base64")}";\n` +
    "export default function bytes() {\n" +
    "  return Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));\n" +
    "}\n",
);
// The element's worker imports the element and the viewer's JS again, from
// blob: URLs of their sources: a bundle has no file of either to point at.
const source = (file) => readFile(path.join(here, file), "utf8");
await writeFile(
  path.join(here, "sources.js"),
  "// The sources the element's worker imports, made by build.mjs.\n" +
    `export const element = ${JSON.stringify(await source("element.js"))};\n` +
    `export const viewer = ${JSON.stringify(await source("viewer.js"))};\n`,
);
console.log(`framecast-view: element.js, viewer.js, sources.js and wasm.js (${wasm.length} bytes inlined)`);
