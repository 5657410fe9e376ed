//! A stream's newest frame as pictures, for everything that reads pictures
//! rather than framecast's messages: `frame.png` (exact), `frame.jpg`, and
//! MJPEG (`multipart/x-mixed-replace`, what an `<img>`, OpenCV's
//! `VideoCapture`, VLC or a home-automation dashboard reads).
//!
//! Each picture of a frame is encoded once, on the blocking pool, however
//! many clients ask ([`Pictures`]), and only when one asks: a stream nobody
//! watches this way costs no encode. An MJPEG client is sent the newest
//! frame each time its connection can take another part, so a client that
//! reads slowly gets fewer frames, never a queue of old ones; it holds one
//! part on its way. Every part is followed at once by the next part's
//! boundary and headers, because browsers show a part only when the next
//! one has begun; and a part goes at least every [`MJPEG_REPEAT_AFTER`].
//!
//! An RGBA stream's JPEGs have its colour channels, alpha left out; its PNG
//! keeps alpha. A gray stream's PNG holds its values (8 or 16 bits); a float
//! stream's PNG, and every value stream's JPEG, is its picture: the values
//! through the colormap and over the range its producer asked for
//! ([`Frame::view`]; a range that follows the values follows the frame's
//! own), said in `X-Framecast-Colormap` and `X-Framecast-Range`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use bytes::Bytes;
use framecast_codec::colormap::{Palette, Range};
use framecast_codec::{picture, FrameRef, PixelFormat};
use futures_util::StreamExt;
use tokio::sync::{watch, OnceCell, OwnedSemaphorePermit};

use crate::access::CanView;
use crate::error::ApiError;
use crate::session::Shutdown;
use crate::stream::{Frame, JoinError, Stream, Streams};

/// The JPEG quality of `frame.jpg` and MJPEG when none is asked for: the
/// usual `cv2.imencode` setting of MJPEG servers.
pub const DEFAULT_JPEG_QUALITY: u8 = 90;

/// The longest an MJPEG client goes without a part: when no new frame came,
/// the newest is sent again. A client's closing does not end a streaming
/// response (actix keeps half-closed connections), only a failed write does:
/// so a client that left a still stream is noticed, and its place freed,
/// within two parts; and readers that take silence for a stall see a still
/// stream as alive.
pub const MJPEG_REPEAT_AFTER: Duration = Duration::from_secs(2);

/// The boundary between MJPEG parts.
const BOUNDARY: &str = "framecast-frame";

/// What opens an MJPEG stream's first part: its boundary and headers.
const PART_HEAD: &[u8] = b"--framecast-frame\r\nContent-Type: image/jpeg\r\n\r\n";

/// What follows each part's JPEG at once: the end of the part, and the next
/// part's boundary and headers. Browsers show a part only once the next one
/// has begun (its headers included: with the boundary alone Chromium still
/// waits, about a frame interval more), so the next part begins before its
/// frame exists; its length is not known then, and no part says it (the
/// boundary ends it, as for every reader of multipart).
const PART_TAIL: &[u8] = b"\r\n--framecast-frame\r\nContent-Type: image/jpeg\r\n\r\n";

/// A picture of a frame: its file, and for a picture of a value frame's
/// colours, the range they were mapped over (computed once, with the
/// picture, for the `X-Framecast-Range` of every response that sends it).
#[derive(Debug, Clone)]
pub struct Picture {
    pub file: Bytes,
    pub range: Option<Range>,
}

/// A kind of picture file of a frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// PNG, exact.
    Png,
    /// JPEG of this quality (1 to 100).
    Jpeg(u8),
}

impl Kind {
    fn encode(self, frame: &Frame) -> Picture {
        let pixels = frame.as_frame_ref();
        let coloured = self.is_coloured(frame).then(|| colour_mapped(frame));
        let pixels = match &coloured {
            Some((rgba, _)) => {
                FrameRef::new(pixels.width(), pixels.height(), PixelFormat::Rgba8, rgba)
                    .expect("as many colours as values")
            }
            None => pixels,
        };
        let file = match self {
            Kind::Png => {
                let mut file = Vec::new();
                picture::png(pixels, &mut file);
                Bytes::from(file)
            }
            Kind::Jpeg(quality) => Bytes::from(picture::jpeg(pixels, quality)),
        };
        Picture {
            file,
            range: coloured.map(|(_, range)| range),
        }
    }

    /// Whether this picture of `frame` is of its values' colours rather
    /// than of its pixels: every JPEG of a value frame, and a float frame's
    /// PNG.
    fn is_coloured(self, frame: &Frame) -> bool {
        let format = frame.as_frame_ref().format();
        format.is_value() && (self != Kind::Png || format == PixelFormat::F32)
    }
}

/// A value frame's colours, RGBA, through the colormap and over the range
/// its producer asked for (the frame's own range where that follows the
/// values), and that range.
fn colour_mapped(frame: &Frame) -> (Vec<u8>, Range) {
    let pixels = frame.as_frame_ref();
    let range = frame.view.range.range_of(pixels.format(), pixels.pixels());
    let palette = Palette::new(pixels.format(), frame.view.colormap, range);
    let mut rgba = vec![0; pixels.width() as usize * pixels.height() as usize * 4];
    palette.map(pixels.pixels(), &mut rgba);
    (rgba, range)
}

/// The pictures of a stream's newest frame, each encoded once, and which
/// JPEG qualities its MJPEG clients watch.
#[derive(Debug, Default)]
pub struct Pictures {
    cache: Mutex<Cache>,
    /// MJPEG clients by quality, for [`Limits::max_jpeg_qualities`].
    ///
    /// [`Limits::max_jpeg_qualities`]: crate::Limits::max_jpeg_qualities
    watched: Mutex<HashMap<u8, usize>>,
}

/// Pictures of one frame. Cleared when a newer frame is asked for, so it
/// holds one frame's worth at most: a PNG and `kinds_kept` JPEGs.
#[derive(Debug, Default)]
struct Cache {
    seq: u64,
    pictures: Vec<(Kind, Arc<OnceCell<Picture>>)>,
}

impl Pictures {
    /// `frame` as a `kind` of picture: encoded by the first to ask, shared
    /// with the others. At most `kinds_kept` kinds of the newest frame are
    /// kept; others are encoded for the one who asks.
    pub async fn of(&self, frame: &Arc<Frame>, kind: Kind, kinds_kept: usize) -> Picture {
        let cell = {
            let mut cache = self.cache.lock().expect("pictures lock");
            if frame.seq > cache.seq {
                cache.seq = frame.seq;
                cache.pictures.clear();
            }
            let kept = cache.pictures.iter().find(|(kept, _)| *kept == kind);
            match kept {
                Some((_, cell)) => Arc::clone(cell),
                None if frame.seq == cache.seq && cache.pictures.len() < kinds_kept => {
                    let cell = Arc::new(OnceCell::new());
                    cache.pictures.push((kind, Arc::clone(&cell)));
                    cell
                }
                None => Arc::default(),
            }
        };
        let frame = Arc::clone(frame);
        cell.get_or_init(|| async move {
            tokio::task::spawn_blocking(move || kind.encode(&frame))
                .await
                .expect("encoding a picture does not panic")
        })
        .await
        .clone()
    }

    /// Frees the pictures kept: nobody watches.
    pub fn release(&self) {
        *self.cache.lock().expect("pictures lock") = Cache::default();
    }
}

/// An MJPEG client of one quality, counted on its stream until dropped.
#[derive(Debug)]
struct Watching {
    stream: Arc<Stream>,
    quality: u8,
}

impl Watching {
    /// Counts a client of `quality` on `stream`, unless its clients already
    /// watch `limit` other qualities.
    fn start(stream: &Arc<Stream>, quality: u8, limit: usize) -> Option<Watching> {
        let mut watched = stream.pictures().watched.lock().expect("watched lock");
        if !watched.contains_key(&quality) && watched.len() >= limit {
            return None;
        }
        *watched.entry(quality).or_default() += 1;
        Some(Watching {
            stream: Arc::clone(stream),
            quality,
        })
    }
}

impl Drop for Watching {
    fn drop(&mut self) {
        let pictures = self.stream.pictures();
        let mut watched = pictures.watched.lock().expect("watched lock");
        if let Some(count) = watched.get_mut(&self.quality) {
            *count -= 1;
            if *count == 0 {
                watched.remove(&self.quality);
            }
        }
        if watched.is_empty() {
            pictures.release();
        }
    }
}

/// The query of the picture routes: `quality` (JPEG, 1 to 100) and `fps`
/// (MJPEG, a cap).
#[derive(Debug, serde::Deserialize)]
pub struct PictureQuery {
    quality: Option<String>,
    fps: Option<String>,
}

impl PictureQuery {
    fn quality(&self) -> Result<u8, ApiError> {
        match &self.quality {
            None => Ok(DEFAULT_JPEG_QUALITY),
            Some(text) => text
                .parse()
                .ok()
                .filter(|quality| (1..=100).contains(quality))
                .ok_or_else(|| {
                    ApiError::BadRequest(format!("quality={text:?}: a JPEG quality is 1 to 100"))
                }),
        }
    }

    /// The least time between two parts, if `fps` caps the rate.
    fn interval(&self) -> Result<Option<Duration>, ApiError> {
        let Some(text) = &self.fps else {
            return Ok(None);
        };
        let fps: f64 = text
            .parse()
            .ok()
            .filter(|fps: &f64| fps.is_finite() && *fps > 0.0 && *fps <= 1000.0)
            .ok_or_else(|| {
                ApiError::BadRequest(format!(
                    "fps={text:?}: frames a second, above 0 and up to 1000"
                ))
            })?;
        Ok(Some(Duration::from_secs_f64(1.0 / fps)))
    }
}

/// The stream `name` and its newest frame.
fn newest(streams: &Streams, name: &str) -> Result<(Arc<Stream>, Arc<Frame>), ApiError> {
    let stream = streams
        .get(name)
        .ok_or_else(|| JoinError::NoSuchStream(name.to_string()))?;
    let frame = stream
        .latest()
        .ok_or_else(|| ApiError::NoFrameYet(name.to_string()))?;
    Ok((stream, frame))
}

/// A picture of `kind`, with the frame's sequence and size in
/// `X-Framecast-*`, and for a picture of a value frame's colours, the
/// colormap and range.
fn picture_response(frame: &Frame, kind: Kind, picture: Picture) -> HttpResponse {
    let pixels = frame.as_frame_ref();
    let media_type = match kind {
        Kind::Png => "image/png",
        Kind::Jpeg(_) => "image/jpeg",
    };
    let mut response = HttpResponse::Ok();
    if let Some(range) = picture.range {
        response
            .insert_header(("X-Framecast-Colormap", frame.view.colormap.name()))
            .insert_header(("X-Framecast-Range", format!("{} {}", range.lo, range.hi)));
    }
    response
        .content_type(media_type)
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header(("X-Framecast-Width", pixels.width().to_string()))
        .insert_header(("X-Framecast-Height", pixels.height().to_string()))
        .insert_header(("X-Framecast-Format", pixels.format().name()))
        .insert_header(("X-Framecast-Seq", frame.seq.to_string()))
        .body(picture.file)
}

/// `GET /api/streams/{stream}/frame.png`: the newest frame, exactly.
pub async fn png(
    _: CanView,
    name: web::Path<String>,
    streams: web::Data<Streams>,
) -> Result<HttpResponse, ApiError> {
    let (stream, frame) = newest(&streams, &name)?;
    let kept = streams.limits().max_jpeg_qualities + 1;
    let picture = stream.pictures().of(&frame, Kind::Png, kept).await;
    Ok(picture_response(&frame, Kind::Png, picture))
}

/// `GET /api/streams/{stream}/frame.jpg?quality=Q`: the newest frame as a
/// JPEG.
pub async fn jpeg(
    _: CanView,
    name: web::Path<String>,
    query: web::Query<PictureQuery>,
    streams: web::Data<Streams>,
) -> Result<HttpResponse, ApiError> {
    let quality = query.quality()?;
    let (stream, frame) = newest(&streams, &name)?;
    let kept = streams.limits().max_jpeg_qualities + 1;
    let picture = stream
        .pictures()
        .of(&frame, Kind::Jpeg(quality), kept)
        .await;
    Ok(picture_response(&frame, Kind::Jpeg(quality), picture))
}

/// `GET /api/streams/{stream}/mjpeg?quality=Q&fps=F`: the stream as MJPEG,
/// until the client goes, the stream is deleted or the server stops.
pub async fn mjpeg(
    _: CanView,
    request: HttpRequest,
    name: web::Path<String>,
    query: web::Query<PictureQuery>,
    streams: web::Data<Streams>,
    shutdown: web::Data<Shutdown>,
) -> Result<HttpResponse, ApiError> {
    let (quality, interval) = (query.quality()?, query.interval()?);
    let stream = streams
        .get(&name)
        .ok_or_else(|| JoinError::NoSuchStream(name.to_string()))?;
    let limits = streams.limits();
    let place = streams
        .begin_mjpeg()
        .ok_or(JoinError::TooManyMjpegClients {
            limit: limits.max_mjpeg_clients,
        })?;
    let watching = Watching::start(&stream, quality, limits.max_jpeg_qualities).ok_or(
        JoinError::TooManyJpegQualities {
            stream: stream.name().to_string(),
            limit: limits.max_jpeg_qualities,
        },
    )?;
    tracing::info!(
        stream = stream.name(),
        quality,
        peer = ?request.peer_addr(),
        "MJPEG client connected"
    );
    let parts = MjpegParts {
        frames: stream.subscribe(),
        kinds_kept: limits.max_jpeg_qualities + 1,
        stream,
        quality,
        interval,
        next_at: tokio::time::Instant::now(),
        sent: 0,
        started: false,
        stopping: shutdown.get_ref().clone(),
        _places: (place, watching),
    };
    let body = futures_util::stream::unfold(parts, |mut parts| async move {
        let chunks = parts.next().await?;
        Some((futures_util::stream::iter(chunks), parts))
    })
    .flatten()
    .map(Ok::<_, actix_web::Error>);
    Ok(HttpResponse::Ok()
        .content_type(format!("multipart/x-mixed-replace; boundary={BOUNDARY}"))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .streaming(body))
}

/// One MJPEG client's parts.
struct MjpegParts {
    stream: Arc<Stream>,
    frames: watch::Receiver<Option<Arc<Frame>>>,
    quality: u8,
    kinds_kept: usize,
    /// The least time between two parts, if capped.
    interval: Option<Duration>,
    /// When the next part may go.
    next_at: tokio::time::Instant,
    /// The frame of the last part sent (0: none).
    sent: u64,
    /// Whether the first boundary went.
    started: bool,
    stopping: Shutdown,
    /// Its place among the server's MJPEG clients and its stream's qualities.
    _places: (OwnedSemaphorePermit, Watching),
}

impl MjpegParts {
    /// The chunks of the next part: its head, the JPEG (shared with the other
    /// clients of this quality) and the next boundary; `None` to end.
    async fn next(&mut self) -> Option<Vec<Bytes>> {
        if !self.started {
            self.started = true;
            return Some(vec![Bytes::from_static(PART_HEAD)]);
        }
        let mut repeat = false;
        loop {
            let due = self
                .frames
                .borrow_and_update()
                .as_ref()
                .is_some_and(|frame| repeat || frame.seq != self.sent);
            if due {
                tokio::select! {
                    () = tokio::time::sleep_until(self.next_at) => {}
                    () = self.stream.removed() => return None,
                    () = self.stopping.started() => return None,
                }
                // The newest frame once the cap allows, not the one that woke us.
                let frame = self.frames.borrow_and_update().clone()?;
                let jpeg = (self.stream.pictures())
                    .of(&frame, Kind::Jpeg(self.quality), self.kinds_kept)
                    .await
                    .file;
                self.sent = frame.seq;
                self.next_at = tokio::time::Instant::now() + self.interval.unwrap_or_default();
                return Some(vec![jpeg, Bytes::from_static(PART_TAIL)]);
            }
            tokio::select! {
                changed = self.frames.changed() => changed.ok()?,
                () = tokio::time::sleep(MJPEG_REPEAT_AFTER) => repeat = true,
                () = self.stream.removed() => return None,
                () = self.stopping.started() => return None,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use framecast_codec::PixelFormat;

    #[tokio::test]
    async fn each_picture_of_a_frame_is_encoded_once_and_only_the_newest_frames_kept() {
        let stream = Streams::new().get_or_create("s").unwrap();
        stream
            .publish(16, 16, PixelFormat::Rgb8, vec![9; 16 * 16 * 3])
            .unwrap();
        let frame = stream.latest().unwrap();
        let pictures = Pictures::default();
        let a = pictures.of(&frame, Kind::Jpeg(80), 2).await.file;
        let b = pictures.of(&frame, Kind::Jpeg(80), 2).await.file;
        assert_eq!(a.as_ptr(), b.as_ptr(), "one encode, shared");
        let png = pictures.of(&frame, Kind::Png, 2).await.file;
        assert_ne!(png.as_ptr(), a.as_ptr());
        let other = pictures.of(&frame, Kind::Jpeg(50), 2).await.file;
        let again = pictures.of(&frame, Kind::Jpeg(50), 2).await.file;
        assert_ne!(
            other.as_ptr(),
            again.as_ptr(),
            "past the kinds kept, not kept"
        );

        stream
            .publish(16, 16, PixelFormat::Rgb8, vec![1; 16 * 16 * 3])
            .unwrap();
        let newer = pictures
            .of(&stream.latest().unwrap(), Kind::Jpeg(80), 2)
            .await
            .file;
        assert_ne!(newer.as_ptr(), a.as_ptr(), "a newer frame, a new picture");
        assert_eq!(pictures.cache.lock().unwrap().pictures.len(), 1);
    }

    #[tokio::test]
    async fn a_picture_of_values_keeps_the_range_its_colours_were_mapped_over() {
        use framecast_codec::colormap::{Colormap, RangeMode, View};

        let stream = Streams::new().get_or_create("field").unwrap();
        stream.set_view(View {
            colormap: Colormap::Magma,
            range: RangeMode::Frame,
        });
        let values: Vec<f32> = (0..64).map(|i| i as f32 / 4.0 - 3.0).collect();
        let bytes: Vec<u8> = values.iter().flat_map(|v| v.to_le_bytes()).collect();
        stream.publish(8, 8, PixelFormat::F32, bytes).unwrap();
        let frame = stream.latest().unwrap();
        let pictures = Pictures::default();
        let jpeg = pictures.of(&frame, Kind::Jpeg(80), 2).await;
        assert_eq!(
            jpeg.range,
            Some(Range {
                lo: -3.0,
                hi: 12.75
            })
        );
        let response = picture_response(&frame, Kind::Jpeg(80), jpeg);
        assert_eq!(
            response.headers().get("X-Framecast-Range").unwrap(),
            "-3 12.75"
        );
        assert_eq!(
            response.headers().get("X-Framecast-Colormap").unwrap(),
            "magma"
        );

        stream
            .publish(8, 8, PixelFormat::Rgb8, vec![5; 8 * 8 * 3])
            .unwrap();
        let colours = pictures.of(&stream.latest().unwrap(), Kind::Png, 2).await;
        assert_eq!(
            colours.range, None,
            "an RGB frame's picture is of its pixels"
        );
    }
}
