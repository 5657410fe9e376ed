// element.js as a worker loads it: the module evaluates with no DOM (a
// worker has none), and placement(), the one rule both the renderer and the
// element use to put the frame on device pixels, does what its comment says.

import assert from "node:assert/strict";
import { test } from "node:test";
import { placement } from "../../www/element.js";

const frame = { width: 64, height: 48 };

test("fits: contain, cover, fill, none and scale-down, centred", () => {
  const box = { width: 384, height: 192, dpr: 1.5 };
  assert.deepEqual(placement({ fit: "contain" }, frame, box), { sx: 4, sy: 4, left: 64, top: 0 });
  assert.deepEqual(placement({ fit: "cover" }, frame, box), { sx: 6, sy: 6, left: 0, top: -48 });
  assert.deepEqual(placement({ fit: "fill" }, frame, box), { sx: 6, sy: 4, left: 0, top: 0 });
  assert.deepEqual(placement({ fit: "none" }, frame, box), { sx: 1.5, sy: 1.5, left: 144, top: 60 });
  assert.deepEqual(placement({ fit: "scale-down" }, frame, box), { sx: 1.5, sy: 1.5, left: 144, top: 60 });
  const small = { width: 32, height: 24, dpr: 1 };
  assert.deepEqual(placement({ fit: "scale-down" }, frame, small), { sx: 0.5, sy: 0.5, left: 0, top: 0 });
});

test("a zoom is CSS pixels per image pixel about the centre, its corner on a whole device pixel", () => {
  const box = { width: 384, height: 288, dpr: 1.5 };
  // 2 CSS pixels at 1.5 device pixels each: 3 device pixels per image pixel.
  assert.deepEqual(placement({ fit: "contain", zoom: { scale: 2, x: 32, y: 24 } }, frame, box), { sx: 3, sy: 3, left: 96, top: 72 });
  for (const x of [0, 0.1, 10.37, 31.5, 63.99]) {
    const place = placement({ zoom: { scale: 7.3, x, y: x / 2 } }, frame, box);
    assert.ok(Number.isInteger(place.left) && Number.isInteger(place.top), JSON.stringify(place));
    // Rounded to the nearest device pixel: within half of one of where x would be.
    assert.ok(Math.abs(box.width / 2 - (place.left + x * place.sx)) <= 0.5);
  }
});
