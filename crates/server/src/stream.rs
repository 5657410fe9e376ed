//! Streams: a named place that holds the newest frame, the encode cache that
//! lets viewers on the same base share one encoded message, who is connected
//! (viewers, producers), the input events on their way to the producers, and
//! the publish rate; and [`Streams`], which admits viewers and producers
//! within the [`Limits`] and drops streams nobody uses.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use framecast_codec::colormap::View;
use framecast_codec::{
    EncodeStats, Encoder, FrameError, FrameRef, Lossy, LossyOutcome, PixelFormat,
};
use tokio::sync::{broadcast, watch, OnceCell, OwnedSemaphorePermit, Semaphore};
use tokio_util::sync::CancellationToken;

use crate::events::{EventCounts, InputEvent};
use crate::limits::Limits;
use crate::pictures::Pictures;
use crate::quality::{Plan, Quality};
use crate::sent::{SentMark, SentTracker};

/// Longest stream name, in bytes.
pub const MAX_STREAM_NAME: usize = 64;

/// One published frame, owned. Viewers hold the last frame they were sent as
/// an `Arc<Frame>`: that is the base of their next delta.
#[derive(Debug)]
pub struct Frame {
    /// Sequence number in its stream, from 1.
    pub seq: u64,
    /// When the producer captured it, microseconds since the Unix epoch.
    pub capture_us: u64,
    /// Pixels, checked against size and format when published.
    width: u32,
    height: u32,
    format: PixelFormat,
    /// Shared, so that serving a snapshot does not copy them.
    pixels: Bytes,
    /// How its producer asks for it to be shown, if it is of values: the
    /// stream's view when it was published.
    pub view: View,
}

impl Frame {
    /// The pixels as a codec frame.
    pub fn as_frame_ref(&self) -> FrameRef<'_> {
        FrameRef::new(self.width, self.height, self.format, &self.pixels)
            .expect("checked when published")
    }

    /// The pixel bytes as published, without copying.
    pub fn pixel_bytes(&self) -> Bytes {
        self.pixels.clone()
    }
}

/// A named stream of frames. Only the newest frame is kept.
#[derive(Debug)]
pub struct Stream {
    name: String,
    /// The newest frame; viewers wait on it for changes.
    latest: watch::Sender<Option<Arc<Frame>>>,
    /// Encoded messages for the newest frame, by base sequence and plan.
    encoded: Mutex<EncodeCache>,
    /// What the producer allows (see [`Stream::set_quality_cap`]).
    quality_cap: Mutex<Quality>,
    /// How the producer asks for value frames to be shown (see
    /// [`Stream::set_view`]).
    view: Mutex<View>,
    /// Viewers connected now.
    viewers: watch::Sender<usize>,
    /// Producers connected now (built-in sources count); viewers are told
    /// when this goes to zero and back.
    producers: watch::Sender<usize>,
    /// Input events from viewers, as JSON, for the producers.
    to_producers: broadcast::Sender<Arc<str>>,
    /// What became of them.
    event_counts: EventCounts,
    /// Publish rate, for `/api/streams`.
    rate: Mutex<RateMeter>,
    /// Encoders not in use, at most [`MAX_IDLE_ENCODERS`]. An encoder
    /// remembers which of the stream's tiles were incompressible, so it
    /// stays with the stream while it has viewers; none are kept without.
    encoders: Mutex<Vec<Encoder>>,
    /// When something last happened here (a publish, a join, a leave): a
    /// stream with nobody connected is dropped [`Limits::stream_ttl`] after it.
    last_active: Mutex<Instant>,
    /// Cancelled when the stream is dropped (by its TTL or a `DELETE`), so
    /// that the sessions on it close.
    removed: CancellationToken,
    /// Viewers of every stream of the server, for [`Limits::max_viewers`].
    all_viewers: Arc<AtomicUsize>,
    /// The newest frame each viewer was sent, for [`Stream::wait_sent`].
    sent: Arc<SentTracker>,
    /// The newest frame as PNG and JPEG, and who watches it as MJPEG.
    pictures: Pictures,
}

/// Who is connected to a stream; see [`Stream::join`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Watches the frames.
    Viewer,
    /// Publishes frames and receives input events.
    Producer,
}

/// Encoders a stream keeps between frames, at most. Each holds scratch space
/// in proportion to the frame (about a frame's bytes for noise); more run
/// at once when viewers on different bases or qualities ask at the same
/// time, and those beyond this are freed when done. A stream with no viewer
/// keeps none, and no encoded messages either.
pub const MAX_IDLE_ENCODERS: usize = 2;

/// Input events a producer's receiver may fall behind by before the oldest
/// are dropped. A producer connection's session takes them at once into its
/// outbox (which bounds it more tightly); an in-process producer
/// (`stream.poll_events()` in Python) has this many waiting at most.
pub const EVENT_BACKLOG: usize = 256;

/// Messages encoded for one frame, keyed by the base they are a delta
/// against (0 for the keyframe) and the plan (quality, held tiles, tiles to
/// refine). Cleared when a newer frame is encoded, so it holds at most one
/// frame's worth of messages: one per viewer at most.
#[derive(Debug, Default)]
struct EncodeCache {
    seq: u64,
    by_base: HashMap<(u64, Plan), Arc<OnceCell<Arc<Encoded>>>>,
}

/// One encoded frame message and what the encoder did.
#[derive(Debug)]
pub struct Encoded {
    /// The message.
    pub bytes: Bytes,
    /// Tile counts and sizes.
    pub stats: EncodeStats,
    /// Which tiles went JPEG and which exact.
    pub outcome: LossyOutcome,
}

impl Stream {
    fn new(name: String, all_viewers: Arc<AtomicUsize>) -> Self {
        Stream {
            name,
            latest: watch::Sender::new(None),
            encoded: Mutex::new(EncodeCache::default()),
            quality_cap: Mutex::new(Quality::Auto),
            view: Mutex::default(),
            viewers: watch::Sender::new(0),
            producers: watch::Sender::new(0),
            to_producers: broadcast::Sender::new(EVENT_BACKLOG),
            event_counts: EventCounts::default(),
            rate: Mutex::new(RateMeter::default()),
            encoders: Mutex::default(),
            last_active: Mutex::new(Instant::now()),
            removed: CancellationToken::new(),
            all_viewers,
            sent: Arc::default(),
            pictures: Pictures::default(),
        }
    }

    /// The stream's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Publishes a frame captured now; returns its sequence number.
    pub fn publish(
        &self,
        width: u32,
        height: u32,
        format: PixelFormat,
        pixels: impl Into<Bytes>,
    ) -> Result<u64, FrameError> {
        self.publish_at(width, height, format, pixels, now_us())
    }

    /// Publishes a frame captured at `capture_us` (microseconds since the Unix
    /// epoch); returns its sequence number. The frame replaces the newest one;
    /// viewers that are behind skip to it.
    pub fn publish_at(
        &self,
        width: u32,
        height: u32,
        format: PixelFormat,
        pixels: impl Into<Bytes>,
        capture_us: u64,
    ) -> Result<u64, FrameError> {
        let pixels = pixels.into();
        FrameRef::new(width, height, format, &pixels)?;
        self.rate.lock().expect("rate lock").tick(Instant::now());
        let view = self.view();
        let mut seq = 0;
        self.latest.send_modify(|latest| {
            seq = latest.as_ref().map_or(1, |frame| frame.seq + 1);
            *latest = Some(Arc::new(Frame {
                seq,
                capture_us,
                width,
                height,
                format,
                pixels,
                view,
            }));
        });
        Ok(seq)
    }

    /// The newest frame, if any was published.
    pub fn latest(&self) -> Option<Arc<Frame>> {
        self.latest.borrow().clone()
    }

    /// A receiver that is told of every new frame.
    pub fn subscribe(&self) -> watch::Receiver<Option<Arc<Frame>>> {
        self.latest.subscribe()
    }

    /// How many of `role` are connected now.
    pub fn count(&self, role: Role) -> usize {
        *self.presence(role).borrow()
    }

    /// A receiver told whenever the count of `role` changes.
    pub fn watch_count(&self, role: Role) -> watch::Receiver<usize> {
        self.presence(role).subscribe()
    }

    /// Counts one more `role` until the returned guard is dropped, whatever
    /// the limits: for the server's own sources. Clients join through
    /// [`Streams::join`].
    pub fn join(self: &Arc<Self>, role: Role) -> Presence {
        if role == Role::Viewer {
            self.all_viewers.fetch_add(1, Ordering::Relaxed);
        }
        self.presence(role).send_modify(|count| *count += 1);
        self.presence_guard(role)
    }

    /// Counts one more `role` if fewer than `limit` are connected. A viewer
    /// must already be counted in `all_viewers` (the guard uncounts it).
    fn try_join(self: &Arc<Self>, role: Role, limit: usize) -> Option<Presence> {
        let joined = self.presence(role).send_if_modified(|count| {
            let room = *count < limit;
            *count += usize::from(room);
            room
        });
        joined.then(|| self.presence_guard(role))
    }

    fn presence_guard(self: &Arc<Self>, role: Role) -> Presence {
        self.touch(Instant::now());
        Presence {
            stream: Arc::clone(self),
            role,
        }
    }

    fn touch(&self, now: Instant) {
        *self.last_active.lock().expect("activity lock") = now;
    }

    /// Whether nobody is connected and nothing happened for `ttl`.
    fn idle_for(&self, ttl: Duration, now: Instant) -> bool {
        let joined_or_left = *self.last_active.lock().expect("activity lock");
        let published = self.rate.lock().expect("rate lock").last;
        let last_active = published.map_or(joined_or_left, |p| p.max(joined_or_left));
        self.count(Role::Viewer) == 0
            && self.count(Role::Producer) == 0
            && now.saturating_duration_since(last_active) >= ttl
    }

    /// Completes when the stream has been dropped from its server.
    pub async fn removed(&self) {
        self.removed.cancelled().await;
    }

    /// Counts a viewer in what [`wait_sent`](Self::wait_sent) waits for;
    /// the viewer notes each frame it is sent on the mark.
    pub fn track_sent(&self) -> SentMark {
        self.sent.register()
    }

    /// Blocks until every viewer connected has been sent the newest frame
    /// (at once with no viewer or no frame); false if `timeout` passed
    /// first. For a producer that makes frames as fast as its viewers take
    /// them.
    pub fn wait_sent(&self, timeout: Duration) -> bool {
        let newest = self.latest().map_or(0, |frame| frame.seq);
        self.sent.wait(newest, timeout)
    }

    /// Whether the stream has been dropped from its server.
    pub fn is_removed(&self) -> bool {
        self.removed.is_cancelled()
    }

    fn presence(&self, role: Role) -> &watch::Sender<usize> {
        match role {
            Role::Viewer => &self.viewers,
            Role::Producer => &self.producers,
        }
    }

    /// Sends an input event to every producer listening; returns whether one is.
    pub fn send_event(&self, event: &InputEvent) -> bool {
        let json: Arc<str> = serde_json::to_string(event)
            .expect("events serialize")
            .into();
        let relayed = self.to_producers.send(json).is_ok();
        if relayed {
            self.event_counts.note_relayed();
        }
        relayed
    }

    /// A receiver of the input events sent from now on. A receiver more than
    /// [`EVENT_BACKLOG`] behind loses the oldest: count them with
    /// [`EventCounts::note_dropped`].
    pub fn subscribe_events(&self) -> broadcast::Receiver<Arc<str>> {
        self.to_producers.subscribe()
    }

    /// The newest frame as pictures (`frame.png`, `frame.jpg`, MJPEG).
    pub fn pictures(&self) -> &Pictures {
        &self.pictures
    }

    /// What became of the viewers' input events.
    pub fn events(&self) -> &EventCounts {
        &self.event_counts
    }

    /// Frames published per second lately (0 when none came for a while).
    pub fn fps(&self) -> f64 {
        self.rate.lock().expect("rate lock").fps(Instant::now())
    }

    /// What the producer allows every viewer of the stream:
    /// [`Quality::Auto`] (the default) leaves it to each viewer,
    /// [`Quality::Lossless`] never sends JPEG whatever the viewers ask, and
    /// [`Quality::Fixed`] sends moving natural content as JPEG of at most
    /// that quality even where the link carries it exactly.
    pub fn set_quality_cap(&self, cap: Quality) {
        *self.quality_cap.lock().expect("quality cap lock") = cap;
    }

    /// The producer's cap; see [`Stream::set_quality_cap`].
    pub fn quality_cap(&self) -> Quality {
        *self.quality_cap.lock().expect("quality cap lock")
    }

    /// How value frames published from now on ask to be shown: the colormap
    /// and range a viewer starts with (its user may choose others), and
    /// those of the stream's pictures (PNG of floats, JPEG, MJPEG).
    pub fn set_view(&self, view: View) {
        *self.view.lock().expect("view lock") = view;
    }

    /// The view frames are published with; see [`Stream::set_view`].
    pub fn view(&self) -> View {
        *self.view.lock().expect("view lock")
    }

    /// Frees the encoders and encoded messages kept for viewers: nobody
    /// watches any more.
    fn release_encodings(&self) {
        self.encoders.lock().expect("encoders lock").clear();
        let mut cache = self.encoded.lock().expect("encode cache lock");
        cache.by_base = HashMap::new();
    }

    /// The frame message for `frame` as a delta against `base`, or a keyframe
    /// when `base` is `None` or of another size or format, as `plan` says.
    ///
    /// Encoded once per (frame, base, plan) however many viewers ask: the
    /// first encodes on the blocking pool, the others wait for it and share
    /// the bytes.
    pub async fn message(
        &self,
        frame: &Arc<Frame>,
        base: Option<&Arc<Frame>>,
        plan: &Plan,
    ) -> Arc<Encoded> {
        let base = base
            .filter(|base| base.as_frame_ref().same_geometry(&frame.as_frame_ref()))
            .cloned();
        let base_seq = base.as_ref().map_or(0, |base| base.seq);
        let key = (base_seq, plan.clone());
        let cell = {
            let mut cache = self.encoded.lock().expect("encode cache lock");
            if frame.seq > cache.seq {
                cache.seq = frame.seq;
                cache.by_base.clear();
            }
            if frame.seq == cache.seq {
                Arc::clone(cache.by_base.entry(key).or_default())
            } else {
                // An older frame than the cache's: encode it, but do not keep it.
                Arc::default()
            }
        };
        let frame = Arc::clone(frame);
        let plan = plan.clone();
        cell.get_or_init(|| async move {
            let mut encoder = self
                .encoders
                .lock()
                .expect("encoders lock")
                .pop()
                .unwrap_or_else(new_encoder);
            let (message, encoder) = tokio::task::spawn_blocking(move || {
                (
                    encode(&mut encoder, &frame, base.as_deref(), &plan),
                    encoder,
                )
            })
            .await
            .expect("encoding does not panic");
            if self.count(Role::Viewer) > 0 {
                let mut idle = self.encoders.lock().expect("encoders lock");
                if idle.len() < MAX_IDLE_ENCODERS {
                    idle.push(encoder);
                }
            }
            Arc::new(message)
        })
        .await
        .clone()
    }
}

/// One viewer or producer counted on a stream until dropped.
#[derive(Debug)]
pub struct Presence {
    stream: Arc<Stream>,
    role: Role,
}

impl Presence {
    /// The stream it is counted on.
    pub fn stream(&self) -> &Arc<Stream> {
        &self.stream
    }
}

impl Drop for Presence {
    fn drop(&mut self) {
        let mut left = 0;
        self.stream.presence(self.role).send_modify(|count| {
            *count -= 1;
            left = *count;
        });
        if self.role == Role::Viewer {
            self.stream.all_viewers.fetch_sub(1, Ordering::Relaxed);
            if left == 0 {
                self.stream.release_encodings();
            }
        }
        self.stream.touch(Instant::now());
    }
}

/// An exponential moving average of the interval between frames.
#[derive(Debug, Default)]
struct RateMeter {
    last: Option<Instant>,
    /// Seconds between frames, smoothed; 0 until two frames came.
    interval: f64,
}

impl RateMeter {
    /// Weight of the newest interval in the average.
    const SMOOTHING: f64 = 0.1;

    fn tick(&mut self, now: Instant) {
        if let Some(last) = self.last {
            let interval = now.duration_since(last).as_secs_f64();
            self.interval = if self.interval == 0.0 {
                interval
            } else {
                self.interval + Self::SMOOTHING * (interval - self.interval)
            };
        }
        self.last = Some(now);
    }

    fn fps(&self, now: Instant) -> f64 {
        let Some(last) = self.last else { return 0.0 };
        // Quiet for longer than three intervals (or two seconds): stopped.
        let quiet = now.duration_since(last).as_secs_f64();
        if self.interval == 0.0 || quiet > (3.0 * self.interval).max(2.0) {
            return 0.0;
        }
        1.0 / self.interval
    }
}

/// An encoder that spreads frames that changed a lot over every core.
fn new_encoder() -> Encoder {
    let mut encoder = Encoder::default();
    encoder.set_threads(std::thread::available_parallelism().map_or(1, |n| n.get()));
    encoder
}

fn encode(encoder: &mut Encoder, frame: &Frame, base: Option<&Frame>, plan: &Plan) -> Encoded {
    let mut out = Vec::new();
    let lossy = Lossy {
        quality: plan.quality,
        held: Some(&plan.held),
        refine: Some(&plan.refine),
    };
    let (stats, outcome) = encoder.encode_lossy(
        frame.seq,
        frame.capture_us,
        frame.as_frame_ref(),
        base.map(|base| (base.seq, base.as_frame_ref())),
        lossy,
        &mut out,
    );
    tracing::trace!(
        seq = frame.seq,
        base = base.map(|b| b.seq),
        ?stats,
        "encoded"
    );
    Encoded {
        bytes: Bytes::from(out),
        stats,
        outcome,
    }
}

/// Microseconds since the Unix epoch.
pub fn now_us() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_micros() as u64)
}

/// Why a viewer or producer could not join a stream, or a stream could not
/// be created.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum JoinError {
    /// The name is not acceptable in a URL path segment.
    #[error("stream names are 1 to {MAX_STREAM_NAME} characters of A-Z a-z 0-9 _ - . ; got {0:?}")]
    BadName(String),
    /// Viewers join existing streams only.
    #[error("no stream named {0:?}; GET /api/streams lists them")]
    NoSuchStream(String),
    /// [`Limits::max_streams`].
    #[error("the server has {limit} streams, its limit (--max-streams); delete one (DELETE /api/streams/NAME) or wait for an unused one to expire")]
    TooManyStreams {
        /// The limit.
        limit: usize,
    },
    /// [`Limits::max_viewers_per_stream`].
    #[error("stream {stream:?} has {limit} viewers, its limit (--max-viewers-per-stream)")]
    TooManyViewers {
        /// The stream.
        stream: String,
        /// The limit.
        limit: usize,
    },
    /// [`Limits::max_viewers`].
    #[error("the server has {limit} viewers, its limit (--max-viewers)")]
    TooManyViewersInAll {
        /// The limit.
        limit: usize,
    },
    /// [`Limits::max_uploads`].
    #[error("{limit} frames are being uploaded already, the limit (--max-uploads); retry when one is done")]
    TooManyUploads {
        /// The limit.
        limit: usize,
    },
    /// [`Limits::max_mjpeg_clients`].
    #[error("the server has {limit} MJPEG clients, its limit (--max-mjpeg-clients)")]
    TooManyMjpegClients {
        /// The limit.
        limit: usize,
    },
    /// [`Limits::max_jpeg_qualities`].
    #[error("the MJPEG clients of stream {stream:?} watch {limit} JPEG qualities, its limit (--max-jpeg-qualities); ask for one of theirs")]
    TooManyJpegQualities {
        /// The stream.
        stream: String,
        /// The limit.
        limit: usize,
    },
    /// [`Limits::max_producers_per_stream`].
    #[error(
        "stream {stream:?} has {limit} producers connected, its limit (--max-producers-per-stream)"
    )]
    TooManyProducers {
        /// The stream.
        stream: String,
        /// The limit.
        limit: usize,
    },
}

/// All streams of a server, by name, and the limits they are held to. Cheap
/// to clone.
#[derive(Debug, Clone, Default)]
pub struct Streams {
    shared: Arc<Shared>,
}

#[derive(Debug)]
struct Shared {
    by_name: RwLock<BTreeMap<String, Arc<Stream>>>,
    limits: Limits,
    /// Viewers of all streams, counted by their [`Presence`].
    all_viewers: Arc<AtomicUsize>,
    /// Places for frames being uploaded ([`Limits::max_uploads`]).
    uploads: Arc<Semaphore>,
    /// Places for MJPEG clients ([`Limits::max_mjpeg_clients`]).
    mjpeg_clients: Arc<Semaphore>,
}

impl Default for Shared {
    fn default() -> Self {
        let limits = Limits::default();
        Shared {
            uploads: Arc::new(Semaphore::new(limits.max_uploads)),
            mjpeg_clients: Arc::new(Semaphore::new(limits.max_mjpeg_clients)),
            limits,
            by_name: RwLock::default(),
            all_viewers: Arc::default(),
        }
    }
}

impl Streams {
    /// No streams, with the default limits.
    pub fn new() -> Self {
        Streams::default()
    }

    /// No streams, held to `limits`.
    pub fn with_limits(limits: Limits) -> Self {
        Streams {
            shared: Arc::new(Shared {
                uploads: Arc::new(Semaphore::new(limits.max_uploads)),
                mjpeg_clients: Arc::new(Semaphore::new(limits.max_mjpeg_clients)),
                limits,
                ..Shared::default()
            }),
        }
    }

    /// A place for one frame being uploaded, held until dropped; `None` when
    /// [`Limits::max_uploads`] are being uploaded already.
    pub fn begin_upload(&self) -> Option<OwnedSemaphorePermit> {
        Arc::clone(&self.shared.uploads).try_acquire_owned().ok()
    }

    /// A place for one MJPEG client, held until dropped; `None` when
    /// [`Limits::max_mjpeg_clients`] are connected already.
    pub fn begin_mjpeg(&self) -> Option<OwnedSemaphorePermit> {
        Arc::clone(&self.shared.mjpeg_clients)
            .try_acquire_owned()
            .ok()
    }

    /// The limits this server enforces.
    pub fn limits(&self) -> &Limits {
        &self.shared.limits
    }

    /// The stream called `name`, if it exists.
    pub fn get(&self, name: &str) -> Option<Arc<Stream>> {
        self.read().get(name).cloned()
    }

    /// The stream called `name`, created if it does not exist and the server
    /// has room for another.
    pub fn get_or_create(&self, name: &str) -> Result<Arc<Stream>, JoinError> {
        if let Some(stream) = self.get(name) {
            stream.touch(Instant::now());
            return Ok(stream);
        }
        let mut by_name = self.write();
        self.create(&mut by_name, name).cloned()
    }

    fn create<'a>(
        &self,
        by_name: &'a mut BTreeMap<String, Arc<Stream>>,
        name: &str,
    ) -> Result<&'a Arc<Stream>, JoinError> {
        let valid = !name.is_empty()
            && name.len() <= MAX_STREAM_NAME
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"_-.".contains(&b));
        if !valid {
            return Err(JoinError::BadName(name.to_string()));
        }
        let limit = self.shared.limits.max_streams;
        if !by_name.contains_key(name) && by_name.len() >= limit {
            return Err(JoinError::TooManyStreams { limit });
        }
        Ok(by_name.entry(name.to_string()).or_insert_with(|| {
            tracing::info!(stream = name, "stream created");
            Arc::new(Stream::new(
                name.to_string(),
                Arc::clone(&self.shared.all_viewers),
            ))
        }))
    }

    /// Admits a `role` to the stream `name` within the limits: a viewer to an
    /// existing stream, a producer to a stream it creates if need be. The
    /// stream is counted as in use from here, so it cannot expire between
    /// the lookup and the join.
    pub fn join(&self, name: &str, role: Role) -> Result<(Arc<Stream>, Presence), JoinError> {
        let limits = &self.shared.limits;
        let (stream, limit) = match role {
            Role::Viewer => {
                let by_name = self.read();
                let stream = by_name
                    .get(name)
                    .ok_or_else(|| JoinError::NoSuchStream(name.to_string()))?;
                // Reserve a place among all viewers first, then in the stream.
                let all_viewers = &self.shared.all_viewers;
                all_viewers
                    .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |count| {
                        (count < limits.max_viewers).then_some(count + 1)
                    })
                    .map_err(|_| JoinError::TooManyViewersInAll {
                        limit: limits.max_viewers,
                    })?;
                let Some(presence) = stream.try_join(role, limits.max_viewers_per_stream) else {
                    all_viewers.fetch_sub(1, Ordering::Relaxed);
                    return Err(JoinError::TooManyViewers {
                        stream: name.to_string(),
                        limit: limits.max_viewers_per_stream,
                    });
                };
                return Ok((Arc::clone(stream), presence));
            }
            Role::Producer => {
                let mut by_name = self.write();
                let stream = Arc::clone(self.create(&mut by_name, name)?);
                // Joined under the lock: the reaper takes it too.
                let presence = stream.try_join(role, limits.max_producers_per_stream);
                (
                    presence.map(|presence| (stream, presence)),
                    limits.max_producers_per_stream,
                )
            }
        };
        stream.ok_or_else(|| JoinError::TooManyProducers {
            stream: name.to_string(),
            limit,
        })
    }

    /// Drops the stream `name` now: its frame is freed and its viewers and
    /// producers are closed. Returns whether it existed.
    pub fn remove(&self, name: &str) -> bool {
        let removed = self.write().remove(name);
        if let Some(stream) = &removed {
            tracing::info!(stream = name, "stream deleted");
            stream.removed.cancel();
            crate::memory::note_released();
        }
        removed.is_some()
    }

    /// Drops the streams nobody has used for [`Limits::stream_ttl`]; returns
    /// their names.
    pub fn remove_idle(&self, now: Instant) -> Vec<String> {
        let ttl = self.shared.limits.stream_ttl;
        let mut by_name = self.write();
        let idle: Vec<String> = by_name
            .iter()
            .filter(|(_, stream)| stream.idle_for(ttl, now))
            .map(|(name, _)| name.clone())
            .collect();
        for name in &idle {
            if let Some(stream) = by_name.remove(name) {
                tracing::info!(
                    stream = name.as_str(),
                    ?ttl,
                    "stream unused for its TTL; dropped"
                );
                stream.removed.cancel();
                crate::memory::note_released();
            }
        }
        idle
    }

    /// Every stream, by name.
    pub fn list(&self) -> Vec<Arc<Stream>> {
        self.read().values().cloned().collect()
    }

    /// Viewers of all streams, connected now.
    pub fn viewer_count(&self) -> usize {
        self.shared.all_viewers.load(Ordering::Relaxed)
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, BTreeMap<String, Arc<Stream>>> {
        self.shared.by_name.read().expect("streams lock")
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, BTreeMap<String, Arc<Stream>>> {
        self.shared.by_name.write().expect("streams lock")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn publish_numbers_frames_and_checks_them() {
        let streams = Streams::new();
        let stream = streams.get_or_create("cam").unwrap();
        assert_eq!(
            stream
                .publish(2, 2, PixelFormat::Rgb8, vec![0; 12])
                .unwrap(),
            1
        );
        assert_eq!(
            stream
                .publish(2, 2, PixelFormat::Rgba8, vec![0; 16])
                .unwrap(),
            2
        );
        assert!(matches!(
            stream.publish(2, 2, PixelFormat::Rgb8, vec![0; 16]),
            Err(FrameError::PixelCount { .. })
        ));
        assert_eq!(stream.latest().unwrap().seq, 2);
    }

    #[test]
    fn stream_names_are_checked() {
        let streams = Streams::new();
        assert!(streams.get_or_create("a-b_c.1").is_ok());
        for bad in ["", "a/b", "a b", &"x".repeat(65)] {
            assert!(streams.get_or_create(bad).is_err(), "{bad:?}");
        }
        assert_eq!(streams.list().len(), 1);
    }

    #[test]
    fn rate_meter_follows_the_publish_rate_and_stops() {
        let mut meter = RateMeter::default();
        let start = Instant::now();
        assert_eq!(meter.fps(start), 0.0);
        for n in 0..50 {
            meter.tick(start + std::time::Duration::from_millis(20 * n));
        }
        let at = start + std::time::Duration::from_millis(20 * 49);
        assert!((meter.fps(at) - 50.0).abs() < 0.5, "{}", meter.fps(at));
        assert_eq!(
            meter.fps(at + std::time::Duration::from_secs(3)),
            0.0,
            "quiet: stopped"
        );
    }

    #[test]
    fn streams_expire_a_ttl_after_their_last_publish_or_leave() {
        let ttl = Duration::from_secs(60);
        let streams = Streams::with_limits(Limits {
            stream_ttl: ttl,
            ..Limits::default()
        });
        let quiet = streams.get_or_create("quiet").unwrap();
        let watched = streams.get_or_create("watched").unwrap();
        let viewer = watched.join(Role::Viewer);
        let start = Instant::now();
        assert!(streams.remove_idle(start + ttl / 2).is_empty());

        // A publish (by POST: nobody connected) restarts the clock.
        let quiet_since = *quiet.last_active.lock().unwrap();
        let fed = streams.get_or_create("fed").unwrap();
        std::thread::sleep(Duration::from_millis(5));
        fed.publish(1, 1, PixelFormat::Rgb8, vec![0; 3]).unwrap();
        let published = fed.rate.lock().unwrap().last.unwrap();
        // Past a TTL from their creation, only the publish keeps "fed".
        let past_creation = quiet_since + ttl + Duration::from_millis(2);
        assert_eq!(streams.remove_idle(past_creation), ["quiet"]);
        assert!(quiet.removed.is_cancelled(), "its sessions are told");
        assert_eq!(streams.remove_idle(published + ttl), ["fed"]);

        drop(viewer);
        let left = *watched.last_active.lock().unwrap();
        assert!(
            streams.remove_idle(left + ttl / 2).is_empty(),
            "the clock starts when the viewer leaves"
        );
        assert_eq!(streams.remove_idle(left + ttl), ["watched"]);
    }

    #[tokio::test]
    async fn viewers_on_one_base_share_one_encoding() {
        let stream = Streams::new().get_or_create("s").unwrap();
        stream
            .publish(64, 64, PixelFormat::Rgb8, vec![1; 64 * 64 * 3])
            .unwrap();
        let first = stream.latest().unwrap();
        stream
            .publish(64, 64, PixelFormat::Rgb8, vec![2; 64 * 64 * 3])
            .unwrap();
        let second = stream.latest().unwrap();

        let exact = Plan::default();
        let a = stream.message(&second, Some(&first), &exact).await;
        let b = stream.message(&second, Some(&first), &exact).await;
        assert_eq!(
            a.bytes.as_ptr(),
            b.bytes.as_ptr(),
            "the second viewer gets the same bytes"
        );
        let keyframe = stream.message(&second, None, &exact).await;
        assert_ne!(a.bytes.as_ptr(), keyframe.bytes.as_ptr());
        let lossy = Plan {
            quality: Some(75),
            ..Plan::default()
        };
        let c = stream.message(&second, Some(&first), &lossy).await;
        assert_ne!(
            a.bytes.as_ptr(),
            c.bytes.as_ptr(),
            "another plan, another message"
        );
        let d = stream.message(&second, Some(&first), &lossy).await;
        assert_eq!(
            c.bytes.as_ptr(),
            d.bytes.as_ptr(),
            "the same plan shares it"
        );
    }
}
