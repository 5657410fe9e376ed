//! framecast's browser side: [`Viewer`] applies frame messages to an RGBA
//! framebuffer in wasm memory (with `framecast-codec`'s decoder) and says
//! which part of it changed. Frames of values (gray, 16-bit, float) are kept
//! as values and painted through a colormap over a value range into an RGBA
//! picture of their own, the changed part only (`values.rs`).
//!
//! The framebuffer never crosses into JavaScript as a value: [`Viewer::image`]
//! is an `ImageData` whose pixels are a view of wasm memory, and JavaScript
//! puts only the rectangle [`Viewer::take_dirty`] names onto its canvas (a
//! page's canvas or a worker's `OffscreenCanvas`: the viewer holds no canvas,
//! so it runs in either). JavaScript gets small results ([`FrameStats`]) and
//! the few bytes of acks to send back.
//!
//! The element (`www/element.js`) passes each binary message to
//! [`Viewer::apply`], sends [`Viewer::ack`] as soon as the frame is decoded,
//! and paints at most once per animation frame, for the newest framebuffer.

mod values;

use framecast_codec::colormap::{Colormap, Range, RangeMode};
use framecast_codec::{Ack, Decoder, FrameRef, KeyframeReason, KeyframeRequest, PixelFormat, Rect};
use values::{value_at, ValueView};
use wasm_bindgen::prelude::*;
use wasm_bindgen::{Clamped, JsCast};
use web_sys::ImageData;

/// The protocol version this viewer speaks (PROTOCOL.md): the element refuses
/// a server that speaks another, with a message, rather than decoding
/// garbage.
#[wasm_bindgen(js_name = protocolVersion)]
pub fn protocol_version() -> u8 {
    framecast_codec::wire::VERSION
}

/// What one [`Viewer::apply`] did; small and copied into JavaScript.
#[wasm_bindgen]
#[derive(Debug, Clone, Copy)]
pub struct FrameStats {
    /// The frame's sequence number (exact below 2^53).
    pub seq: f64,
    /// Capture time, milliseconds since the Unix epoch (0 if unknown).
    pub capture_ms: f64,
    /// Frame width in pixels.
    pub width: u32,
    /// Frame height in pixels.
    pub height: u32,
    /// Tiles in the message.
    pub tiles: u32,
    /// Whether it was a keyframe.
    pub keyframe: bool,
    /// Whether it refined the frame the viewer had (JPEG tiles made exact)
    /// rather than bringing a new one.
    pub refinement: bool,
}

/// A rectangle of the framebuffer, in pixels.
#[wasm_bindgen]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DirtyRect {
    /// Left column.
    pub x: u32,
    /// Top row.
    pub y: u32,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
}

/// Decodes frame messages into a framebuffer and says what to paint.
#[wasm_bindgen]
#[derive(Debug, Default)]
pub struct Viewer {
    decoder: Decoder,
    /// Union of the rectangles changed since the last
    /// [`take_dirty`](Self::take_dirty).
    dirty: Rect,
    /// Newest frame applied, for acks.
    applied_seq: u64,
    /// The `ImageData` over the picture, rebuilt when the picture moves or
    /// wasm memory grows (which detaches the old view).
    image: Option<FramebufferImage>,
    /// The picture of value frames, and how they are mapped to colours.
    values: ValueView,
}

#[derive(Debug)]
struct FramebufferImage {
    image: ImageData,
    /// The `memory.buffer` the view was made over.
    buffer: JsValue,
    ptr: usize,
    len: usize,
}

#[wasm_bindgen]
impl Viewer {
    /// A viewer holding no frame yet.
    #[wasm_bindgen(constructor)]
    pub fn new() -> Viewer {
        Viewer::default()
    }

    /// Applies one frame message to the framebuffer; paints nothing.
    ///
    /// Throws an `Error` saying what is wrong with a malformed message; the
    /// viewer then needs a keyframe ([`keyframe_request`](Self::keyframe_request)).
    pub fn apply(&mut self, message: &[u8]) -> Result<FrameStats, JsError> {
        let info = self
            .decoder
            .apply(message)
            .map_err(|error| JsError::new(&error.to_string()))?;
        if info.base_seq == 0 || info.resized {
            // A keyframe redraws everything, whatever its tiles cover.
            self.dirty = Rect {
                x: 0,
                y: 0,
                width: info.width,
                height: info.height,
            };
        } else {
            self.dirty = self.dirty.union(info.dirty);
        }
        self.applied_seq = info.seq;
        Ok(FrameStats {
            seq: info.seq as f64,
            capture_ms: info.capture_us as f64 / 1000.0,
            width: info.width,
            height: info.height,
            tiles: info.tiles,
            keyframe: info.base_seq == 0,
            refinement: info.base_seq == info.seq,
        })
    }

    /// The part of the picture changed since the last call, to put onto
    /// the canvas from [`image`](Self::image); `undefined` when nothing
    /// changed (or no frame is held). For a value frame this is when the
    /// changed part is mapped to colours: all of it when the colormap or the
    /// range changed.
    pub fn take_dirty(&mut self) -> Option<DirtyRect> {
        let mut dirty = std::mem::take(&mut self.dirty);
        let format = self
            .decoder
            .format()
            .filter(|_| self.decoder.held_seq().is_some());
        if let Some(format) = format.filter(|format| format.is_value()) {
            let size = (self.decoder.width(), self.decoder.height());
            let values = self.decoder.framebuffer();
            dirty = self.values.paint(format, values, size, dirty, now_ms());
        }
        if dirty.is_empty() || self.decoder.held_seq().is_none() {
            return None;
        }
        Some(DirtyRect {
            x: dirty.x,
            y: dirty.y,
            width: dirty.width,
            height: dirty.height,
        })
    }

    /// An `ImageData` whose pixels are the picture in wasm memory (not a
    /// copy): the framebuffer, or a value frame's colours. Put it onto a
    /// canvas at once, since applying the next message may move it. Made
    /// once, remade only when the picture or wasm memory moved. Throws when
    /// no frame is held.
    pub fn image(&mut self) -> Result<ImageData, JsError> {
        if self.decoder.held_seq().is_none() {
            return Err(JsError::new("no frame yet"));
        }
        let framebuffer = self.picture();
        if framebuffer.is_empty() {
            return Err(JsError::new(
                "the frame is not painted yet: take_dirty() paints it",
            ));
        }
        let (ptr, len) = (framebuffer.as_ptr() as usize, framebuffer.len());
        let buffer = wasm_bindgen::memory()
            .unchecked_into::<js_sys::WebAssembly::Memory>()
            .buffer();
        let fresh = self.image.as_ref().is_some_and(|cached| {
            cached.ptr == ptr && cached.len == len && js_sys::Object::is(&cached.buffer, &buffer)
        });
        if !fresh {
            let image = ImageData::new_with_u8_clamped_array_and_sh(
                Clamped(framebuffer),
                self.decoder.width(),
                self.decoder.height(),
            )
            .map_err(|_| JsError::new("cannot make an ImageData over the framebuffer"))?;
            self.image = Some(FramebufferImage {
                image,
                buffer,
                ptr,
                len,
            });
        }
        Ok(self.image.as_ref().expect("just made").image.clone())
    }

    /// The ack message for the newest frame applied, with the time spent
    /// decoding and painting since the last ack, and the time since that
    /// frame's message arrived (`hold_us`: see PROTOCOL.md).
    pub fn ack(&self, decode_us: u32, paint_us: u32, hold_us: u32) -> Vec<u8> {
        let mut out = Vec::with_capacity(framecast_codec::wire::ACK_LEN);
        Ack {
            seq: self.applied_seq,
            decode_us,
            paint_us,
            hold_us,
        }
        .write(&mut out);
        out
    }

    /// A keyframe request; `after_error` says a message failed to decode.
    pub fn keyframe_request(&self, after_error: bool) -> Vec<u8> {
        let reason = if after_error {
            KeyframeReason::DecodeError
        } else {
            KeyframeReason::Start
        };
        let mut out = Vec::with_capacity(framecast_codec::wire::KEYFRAME_REQUEST_LEN);
        KeyframeRequest { reason }.write(&mut out);
        out
    }

    /// Forgets the frame held (for a new connection); the canvas keeps
    /// showing it until the next keyframe. The colormap and range chosen
    /// stay.
    pub fn reset(&mut self) {
        let (colormap, mode) = (self.values.colormap, self.values.mode);
        *self = Viewer::default();
        self.values.set_colormap(colormap);
        self.values.set_mode(mode);
    }

    /// Whether the frame held is of values (gray, 16-bit, float), which
    /// are painted through the colormap.
    #[wasm_bindgen(getter, js_name = isValues)]
    pub fn is_values(&self) -> bool {
        self.decoder.format().is_some_and(PixelFormat::is_value)
    }

    /// Chooses the colormap values are painted with: `gray`, `viridis`,
    /// `magma`, `inferno`, `turbo` or `coolwarm`. Throws for another name.
    #[wasm_bindgen(js_name = setColormap)]
    pub fn set_colormap(&mut self, name: &str) -> Result<(), JsError> {
        let colormap = Colormap::from_name(name).ok_or_else(|| {
            JsError::new(&format!(
                "no colormap {name:?}: expected {}",
                Colormap::NAMES
            ))
        })?;
        self.values.set_colormap(colormap);
        Ok(())
    }

    /// The colormap values are painted with.
    #[wasm_bindgen(getter)]
    pub fn colormap(&self) -> String {
        self.values.colormap.name().to_string()
    }

    /// Paints values over the fixed range `lo..=hi` (`lo` the colormap's
    /// first colour, `hi` its last). Throws unless both are finite.
    #[wasm_bindgen(js_name = setRange)]
    pub fn set_range(&mut self, lo: f64, hi: f64) -> Result<(), JsError> {
        let range = Range {
            lo: lo as f32,
            hi: hi as f32,
        };
        if !(range.lo.is_finite() && range.hi.is_finite()) {
            return Err(JsError::new(&format!(
                "a range is two finite numbers, got {lo} and {hi}"
            )));
        }
        self.values.set_mode(RangeMode::Fixed(range));
        Ok(())
    }

    /// Takes the range from the values: `auto` (what suits the format:
    /// 0-255 for 8-bit gray, the bits in use for 16-bit, the window for
    /// floats), `frame` (the frame's least and greatest finite value) or
    /// `window` (those of the frames of the last two seconds). Throws for
    /// another name.
    #[wasm_bindgen(js_name = setRangeMode)]
    pub fn set_range_mode(&mut self, name: &str) -> Result<(), JsError> {
        let mode = RangeMode::from_name(name).ok_or_else(|| {
            JsError::new(&format!(
                "no range {name:?}: expected auto, frame or window, or two numbers"
            ))
        })?;
        self.values.set_mode(mode);
        Ok(())
    }

    /// Where the range comes from: `auto`, `frame`, `window` or `fixed`.
    #[wasm_bindgen(getter, js_name = rangeMode)]
    pub fn range_mode(&self) -> String {
        self.values.mode.name().to_string()
    }

    /// The range the picture is painted with, `[lo, hi]`; `undefined`
    /// before a value frame is painted.
    pub fn range(&self) -> Option<Vec<f64>> {
        let range = self.values.range().filter(|_| self.is_values())?;
        Some(vec![f64::from(range.lo), f64::from(range.hi)])
    }

    /// The colormap's 256 colours, RGBA, first to last: a colour bar.
    #[wasm_bindgen(js_name = colourBar)]
    pub fn colour_bar(&self) -> Vec<u8> {
        self.values.colormap.table().concat()
    }

    /// The value at column `x`, row `y` of the frame held: an integer for
    /// gray frames, the float itself (NaN, infinities) for float frames;
    /// `undefined` for a colour frame, outside the frame or before the
    /// first keyframe.
    pub fn value(&self, x: u32, y: u32) -> Option<f64> {
        let format = self.decoder.format().filter(|format| format.is_value())?;
        if self.decoder.held_seq().is_none()
            || x >= self.decoder.width()
            || y >= self.decoder.height()
        {
            return None;
        }
        let at = y as usize * self.decoder.width() as usize + x as usize;
        Some(value_at(format, self.decoder.framebuffer(), at))
    }

    /// The values of `width` x `height` at column `x`, row `y`, row by row
    /// (for the values printed on a zoomed view); `undefined` for a colour
    /// frame or unless the rectangle lies within the frame held.
    pub fn values(&self, x: u32, y: u32, width: u32, height: u32) -> Option<Vec<f64>> {
        let format = self.decoder.format().filter(|format| format.is_value())?;
        if !self.holds(x, y, width, height) {
            return None;
        }
        let row = self.decoder.width() as usize;
        let values = self.decoder.framebuffer();
        let at = |dx: u32, dy: u32| (y + dy) as usize * row + (x + dx) as usize;
        Some(
            (0..height)
                .flat_map(|dy| (0..width).map(move |dx| (dx, dy)))
                .map(|(dx, dy)| value_at(format, values, at(dx, dy)))
                .collect(),
        )
    }

    /// Sequence number of the frame held, or 0.
    #[wasm_bindgen(getter)]
    pub fn seq(&self) -> f64 {
        self.decoder.held_seq().unwrap_or(0) as f64
    }

    /// The source format of the frame held: `"rgb8"`, `"rgba8"`, `"gray8"`,
    /// `"gray16"`, `"f32"`, or `""` before the first keyframe.
    #[wasm_bindgen(getter)]
    pub fn format(&self) -> String {
        self.decoder
            .format()
            .map_or("", PixelFormat::name)
            .to_string()
    }

    /// The frame held as a PNG file, exactly: its own size, and RGB or RGBA
    /// as its source was (alpha not premultiplied, which a canvas round trip
    /// would not keep), or 8- or 16-bit gray holding a gray frame's values; a
    /// float frame as the picture shown (its colours: PNG holds no floats).
    /// Throws when no frame is held.
    pub fn snapshot_png(&self) -> Result<Vec<u8>, JsError> {
        let (Some(format), Some(_)) = (self.decoder.format(), self.decoder.held_seq()) else {
            return Err(JsError::new("no frame yet"));
        };
        let framebuffer = self.decoder.framebuffer();
        let rgb: Vec<u8>;
        let (format, pixels) = match format {
            PixelFormat::Rgb8 => {
                rgb = framebuffer
                    .chunks_exact(4)
                    .flat_map(|pixel| [pixel[0], pixel[1], pixel[2]])
                    .collect();
                (format, &rgb[..])
            }
            PixelFormat::F32 if self.values.rgba.len() == framebuffer.len() => {
                (PixelFormat::Rgba8, &self.values.rgba[..])
            }
            PixelFormat::F32 => return Err(JsError::new("the frame is not painted yet")),
            _ => (format, framebuffer),
        };
        let frame = FrameRef::new(self.decoder.width(), self.decoder.height(), format, pixels)
            .map_err(|error| JsError::new(&error.to_string()))?;
        let mut file = Vec::new();
        framecast_codec::picture::png(frame, &mut file);
        Ok(file)
    }

    /// The pixel at column `x`, row `y` of the picture, as R, G, B, A (a
    /// value frame's colour as painted); `undefined` outside it or before
    /// the first keyframe.
    pub fn pixel(&self, x: u32, y: u32) -> Option<Vec<u8>> {
        self.region(x, y, 1, 1)
    }

    /// The pixels of `width` x `height` at column `x`, row `y` of the
    /// picture, as R, G, B, A row by row (a copy: for the values printed on
    /// a zoomed view); `undefined` unless the rectangle lies within the
    /// frame held.
    pub fn region(&self, x: u32, y: u32, width: u32, height: u32) -> Option<Vec<u8>> {
        let framebuffer = self.picture();
        if !self.holds(x, y, width, height) || framebuffer.is_empty() {
            return None;
        }
        let row_bytes = self.decoder.width() as usize * 4;
        let (x, y, width, height) = (x as usize, y as usize, width as usize, height as usize);
        let mut pixels = Vec::with_capacity(width * height * 4);
        for row in framebuffer.chunks_exact(row_bytes).skip(y).take(height) {
            pixels.extend_from_slice(&row[x * 4..(x + width) * 4]);
        }
        Some(pixels)
    }
}

impl Viewer {
    /// The framebuffer, as Rust sees it (for tests): RGBA, or a value
    /// frame's values.
    pub fn framebuffer(&self) -> &[u8] {
        self.decoder.framebuffer()
    }

    /// What is painted: the framebuffer, or a value frame's colours (empty
    /// until [`take_dirty`](Self::take_dirty) first paints them).
    fn picture(&self) -> &[u8] {
        if self.is_values() {
            &self.values.rgba
        } else {
            self.decoder.framebuffer()
        }
    }

    /// Whether a frame is held and the rectangle lies within it.
    fn holds(&self, x: u32, y: u32, width: u32, height: u32) -> bool {
        let inside = x
            .checked_add(width)
            .is_some_and(|right| right <= self.decoder.width())
            && y.checked_add(height)
                .is_some_and(|bottom| bottom <= self.decoder.height());
        self.decoder.held_seq().is_some() && inside
    }
}

/// Milliseconds on a clock that only goes forward: `performance.now()` in
/// a page or worker.
#[cfg(target_arch = "wasm32")]
fn now_ms() -> f64 {
    js_sys::Reflect::get(&js_sys::global(), &"performance".into())
        .ok()
        .and_then(|performance| performance.dyn_into::<web_sys::Performance>().ok())
        .map_or_else(js_sys::Date::now, |performance| performance.now())
}

#[cfg(not(target_arch = "wasm32"))]
fn now_ms() -> f64 {
    use std::sync::OnceLock;
    static START: OnceLock<std::time::Instant> = OnceLock::new();
    START
        .get_or_init(std::time::Instant::now)
        .elapsed()
        .as_secs_f64()
        * 1000.0
}
