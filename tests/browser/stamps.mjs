// The stamps of the benchmark loop's frames (tests/loop/frames.py: the
// frame's number and capture time as 8x8 blocks in the top-left 64x48
// pixels), read back in a page from an <img> that shows them (an MJPEG
// stream): which frames a browser shows, and how late. Shared by the
// benchmark drivers.

/** Reads the stamp (tests/loop/frames.py) of `#view` once per animation
 * frame; `window.meter` counts the frames whose number changed and their
 * capture-to-shown latency. */
export function STAMP_READER() {
  const source = document.getElementById("view");
  const canvas = document.createElement("canvas");
  [canvas.width, canvas.height] = [64, 48];
  const context = canvas.getContext("2d", { willReadFrequently: true });
  const meter = (window.meter = { shown: 0, latencies: [], number: -1 });
  const field = (data, firstRow) => {
    let value = 0;
    for (let row = firstRow; row < firstRow + 3; row += 1) {
      for (let column = 0; column < 8; column += 1) {
        value = value * 2 + (data[((row * 8 + 4) * 64 + column * 8 + 4) * 4] > 127 ? 1 : 0);
      }
    }
    return value;
  };
  const read = () => {
    if (source.naturalWidth > 0) {
      context.drawImage(source, 0, 0, 64, 48, 0, 0, 64, 48);
      const data = context.getImageData(0, 0, 64, 48).data;
      const number = field(data, 0);
      if (number !== meter.number) {
        meter.number = number;
        meter.shown += 1;
        const wrap = 2 ** 24;
        meter.latencies.push((((Date.now() % wrap) - field(data, 3)) % wrap + wrap) % wrap);
      }
    }
    requestAnimationFrame(read);
  };
  requestAnimationFrame(read);
  return true;
}

