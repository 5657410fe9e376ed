// Browser-side benchmark: decode + paint of the same frames, framecast (wasm
// decoder, putImageData of the dirty rectangle) against the browser's own
// JPEG path (createImageBitmap + drawImage). Each timed batch applies every
// frame of a class in order and ends with a one-pixel getImageData, which
// makes the canvas finish any deferred drawing; batches repeat PASSES times
// and the median batch, per frame, is reported in window.benchResult (or
// what went wrong in window.benchError).

import init, { Viewer } from "./pkg/framecast_viewer.js";

const PASSES = 9;

window.addEventListener("error", (event) => (window.benchError = event.message));
window.addEventListener("unhandledrejection", (event) => (window.benchError = String(event.reason)));

const progress = document.getElementById("progress");
const median = (values) => [...values].sort((a, b) => a - b)[values.length >> 1];
const load = async (path) => new Uint8Array(await (await fetch(path)).arrayBuffer());

await init();
const manifest = await (await fetch("data/manifest.json")).json();
const fcCanvas = document.getElementById("framecast");
const jpegCanvas = document.getElementById("jpeg");
jpegCanvas.width = manifest.width;
jpegCanvas.height = manifest.height;
const jpegContext = jpegCanvas.getContext("2d");
const fcContext = fcCanvas.getContext("2d");

/** What the element's renderer does once per animation frame: put the
 * changed part of the framebuffer onto the canvas. */
function paint(viewer, context) {
  const dirty = viewer.take_dirty();
  if (!dirty) return;
  const image = viewer.image();
  if (context.canvas.width !== image.width || context.canvas.height !== image.height) {
    context.canvas.width = image.width;
    context.canvas.height = image.height;
  }
  context.putImageData(image, 0, 0, dirty.x, dirty.y, dirty.width, dirty.height);
  dirty.free();
}

const results = [];
for (const { class: name, frames } of manifest.classes) {
  progress.textContent = name;
  const messages = [];
  const jpegs = [];
  for (let n = 0; n <= frames; n++) messages.push(await load(`data/${name}/fc-${n}.bin`));
  for (let n = 1; n <= frames; n++) jpegs.push(new Blob([await load(`data/${name}/jpeg-${n}.jpg`)], { type: "image/jpeg" }));

  const framecastBatches = [];
  const jpegBatches = [];
  for (let pass = 0; pass < PASSES; pass++) {
    const viewer = new Viewer();
    viewer.apply(messages[0]).free();
    paint(viewer, fcContext);
    fcContext.getImageData(0, 0, 1, 1);
    let start = performance.now();
    for (let n = 1; n <= frames; n++) {
      viewer.apply(messages[n]).free();
      paint(viewer, fcContext);
    }
    fcContext.getImageData(0, 0, 1, 1);
    framecastBatches.push((performance.now() - start) / frames);
    viewer.free();

    start = performance.now();
    for (const jpeg of jpegs) {
      const bitmap = await createImageBitmap(jpeg);
      jpegContext.drawImage(bitmap, 0, 0);
      bitmap.close();
    }
    jpegContext.getImageData(0, 0, 1, 1);
    jpegBatches.push((performance.now() - start) / frames);
  }
  results.push({
    class: name,
    framecast_ms: median(framecastBatches),
    jpeg_ms: median(jpegBatches),
    framecast_bytes: median(messages.slice(1).map((m) => m.length)),
    jpeg_bytes: median(jpegs.map((j) => j.size)),
  });
}
// Frames of values (`framecast-bench-values` writes them, served under
// /values/ when given): decode + paint of each delta, which maps the
// changed part through the colormap, and the colormap alone over a whole
// frame (a new colormap chosen: take_dirty() maps every pixel again).
const values = [];
const valuesManifest = await fetch("values/manifest.json").then((r) => (r.ok ? r.json() : null));
for (const { class: name, format, frames } of valuesManifest?.values ?? []) {
  progress.textContent = name;
  const messages = [];
  for (let n = 0; n <= frames; n++) messages.push(await load(`values/${name}/fc-${n}.bin`));
  const decodeBatches = [];
  const mapBatches = [];
  for (let pass = 0; pass < PASSES; pass++) {
    const viewer = new Viewer();
    viewer.setColormap("viridis");
    viewer.apply(messages[0]).free();
    paint(viewer, fcContext);
    let start = performance.now();
    for (let n = 1; n <= frames; n++) {
      viewer.apply(messages[n]).free();
      paint(viewer, fcContext);
    }
    fcContext.getImageData(0, 0, 1, 1);
    decodeBatches.push((performance.now() - start) / frames);
    const maps = ["magma", "viridis", "turbo", "gray"];
    start = performance.now();
    for (const colormap of maps) {
      viewer.setColormap(colormap);
      viewer.take_dirty().free();
    }
    mapBatches.push((performance.now() - start) / maps.length);
    viewer.free();
  }
  values.push({ class: name, format, decode_paint_ms: median(decodeBatches), colormap_ms: median(mapBatches), bytes: median(messages.slice(1).map((m) => m.length)) });
}
progress.textContent = "done";
window.benchResult = { width: manifest.width, height: manifest.height, passes: PASSES, results, values };
