//! Every bound on what clients can make the server hold, with its default.
//!
//! Each limit is a named constant here, a field of [`Limits`] and a flag of
//! the `framecast` binary; SECURITY.md lists them all. The limits on single
//! messages live beside the code that parses them: [`MAX_VIEWER_MESSAGE`],
//! [`MAX_PUBLISH_MESSAGE`], [`MAX_EVENT_BYTES`], [`MAX_VIEW_MESSAGE_BYTES`],
//! [`MAX_STREAM_NAME`] and the codec's frame dimensions.
//!
//! [`MAX_VIEWER_MESSAGE`]: crate::viewer::MAX_VIEWER_MESSAGE
//! [`MAX_PUBLISH_MESSAGE`]: crate::producer::MAX_PUBLISH_MESSAGE
//! [`MAX_EVENT_BYTES`]: crate::events::MAX_EVENT_BYTES
//! [`MAX_VIEW_MESSAGE_BYTES`]: crate::view::MAX_VIEW_MESSAGE_BYTES
//! [`MAX_STREAM_NAME`]: crate::stream::MAX_STREAM_NAME

use std::time::Duration;

/// Streams in all. Each holds at most one frame (up to 128 MiB at the
/// largest size) and its encoders; the next publish to a new name is refused.
pub const MAX_STREAMS: usize = 64;

/// Viewers of one stream. Each holds one retained frame (its base) and at
/// most two messages in flight.
pub const MAX_VIEWERS_PER_STREAM: usize = 100;

/// Viewers of all streams together.
pub const MAX_VIEWERS: usize = 400;

/// Producers connected to one stream at once (`/ingest`; `POST` is not a
/// connection). More than one is allowed so that a restarted script can
/// connect before the server has noticed the old one is gone.
pub const MAX_PRODUCERS_PER_STREAM: usize = 4;

/// How long a stream with no producer and no viewer is kept (with its last
/// frame) before it is dropped: long enough for a user to restart a script.
pub const STREAM_TTL: Duration = Duration::from_secs(5 * 60);

/// Keyframe requests a viewer may make in a minute. Each one that is not
/// coalesced costs a whole frame on the wire; an honest page asks once or
/// twice after a decode error.
pub const KEYFRAME_REQUESTS_PER_MINUTE: u32 = 60;

/// Pointer moves relayed per viewer per second (in bursts of a second's
/// worth). A screen shows 60 to 120 frames a second; moves in between tell a
/// producer nothing, and the next move carries the newest position.
pub const POINTER_MOVES_PER_SECOND: u32 = 120;

/// Other input events (buttons, wheel, keys, resize) relayed per viewer per
/// second, together (in bursts of a second's worth). Key repeat is about 30
/// a second and a trackpad's wheel about 120; past the rate events are
/// dropped and counted, so a viewer cannot make the server relay more than
/// this to the producers however fast it sends.
pub const INPUT_EVENTS_PER_SECOND: u32 = 240;

/// Frames being uploaded by `POST` at once, on the whole server. Each may
/// hold up to the largest frame (128 MiB) while its body arrives; one more
/// is refused with 429 until one ends. A POST is refused from its headers
/// (type, declared size) before its body is read, so only a well-formed
/// upload takes a place.
pub const MAX_UPLOADS: usize = 4;

/// HTTP connections served at once, whatever they are (page loads, API
/// calls, viewers, producers, requests still sending their head). Past it
/// the server accepts no more until one closes: the next wait in the
/// kernel's listen backlog, costing the server nothing. Each connection
/// costs about 9 KB while idle, and one that sends no complete request head
/// is answered 408 and closed after [`REQUEST_HEAD_TIMEOUT`], so a crowd of
/// them holds at most this many places for that long. The server raises its
/// limit on open files to fit (or, where it cannot, serves as many as fit).
pub const MAX_CONNECTIONS: usize = 2048;

/// Bytes the kernel may hold unsent for one connection
/// (`TCP_NOTSENT_LOWAT`): past them a write waits, so what a slow client is
/// sent next is decided when it can take it (the newest MJPEG part, the
/// newest frame) instead of queueing in a send buffer the kernel would grow
/// to megabytes (a reader of MJPEG that paused had 51 parts queued behind
/// it without it, a few with it). Its cost is the write wake-ups of large
/// frames: on the numpy loop at 20 frames/s with the server in-process
/// (`tests/browser/loop-bench.mjs`), alternating runs without the cap,
/// with it, and with 512 KiB differed by no more than run-to-run noise
/// (noise's 3 MB frames: 2.9 to 4.0 ms of CPU a frame, latency p50 9 to 21
/// ms, whichever the setting).
pub const MAX_UNSENT_BYTES: u32 = 128 * 1024;

/// Sets what every accepted connection's socket needs: at most
/// [`MAX_UNSENT_BYTES`] unsent in the kernel. `connection` is what actix
/// accepted; anything else is left alone.
pub fn tune_connection(connection: &dyn std::any::Any) {
    if let Some(tcp) = connection.downcast_ref::<actix_web::rt::net::TcpStream>() {
        #[cfg(any(target_os = "linux", target_os = "android"))]
        if let Err(error) = socket2::SockRef::from(tcp).set_tcp_notsent_lowat(MAX_UNSENT_BYTES) {
            tracing::debug!(%error, "TCP_NOTSENT_LOWAT not set");
        }
        #[cfg(not(any(target_os = "linux", target_os = "android")))]
        let _ = tcp;
    }
}

/// How long a connection may take to send a complete request head before it
/// is answered 408 and closed (timed from when the server accepts it).
pub const REQUEST_HEAD_TIMEOUT: Duration = Duration::from_secs(5);

/// How long an idle connection is kept open for its next request.
pub const KEEP_ALIVE: Duration = Duration::from_secs(5);

/// Open files kept for what is not a client's connection (the listener, the
/// page's files with `--www`, the runtime's own) when [`MAX_CONNECTIONS`] is
/// fitted to the limit on open files.
pub const RESERVED_DESCRIPTORS: usize = 64;

/// `wanted` connections, if the process may open that many files (and
/// [`RESERVED_DESCRIPTORS`] more), raising its soft limit towards the hard
/// one as far as needed; else as many as fit, with a warning. Without this
/// the connections past the limit would wait unaccepted, outside the
/// [`REQUEST_HEAD_TIMEOUT`], while the server failed to accept them.
pub fn connections_within_descriptors(wanted: usize) -> usize {
    let needed = (wanted + RESERVED_DESCRIPTORS) as u64;
    match rlimit::increase_nofile_limit(needed) {
        Ok(limit) if limit >= needed => wanted,
        Ok(limit) => {
            let fit = usize::try_from(limit)
                .unwrap_or(usize::MAX)
                .saturating_sub(RESERVED_DESCRIPTORS)
                .max(1);
            tracing::warn!(
                open_files = limit,
                connections = fit,
                wanted,
                "the limit on open files allows {fit} connections at once, not --max-connections {wanted}; raise it (ulimit -n) to serve more"
            );
            fit
        }
        Err(error) => {
            tracing::warn!(%error, "could not read the limit on open files; serving --max-connections {wanted}");
            wanted
        }
    }
}

/// MJPEG clients (`/api/streams/NAME/mjpeg`) of all streams at once. Each
/// holds a connection and one part on its way (a JPEG shared with the
/// stream's other clients of its quality); one more gets 429.
pub const MAX_MJPEG_CLIENTS: usize = 32;

/// Distinct JPEG qualities the MJPEG clients of one stream may watch: each
/// costs one JPEG encode a frame (`fps` caps cost none). A client asking
/// for one more gets 429; `frame.jpg` may ask any quality, and past these
/// the server keeps no copy of it.
pub const MAX_JPEG_QUALITIES: usize = 4;

/// Frames that may be in flight to one viewer (queued for it and not yet
/// acknowledged), at most, whatever its acks say of its path. Its window
/// is sized from them (see [`crate::link`]): about twice what its path
/// carries in a round trip, which at 200 ms and 60 frames/s is 24 frames.
pub const MAX_FRAMES_IN_FLIGHT: usize = 32;

/// Bytes of frame messages that may be in flight to one viewer, at most,
/// whatever its acks say: twice 200 ms of a 320 Mbit/s path (exact
/// 1000x1000 camera frames at 30 a second across 200 ms need half). Two
/// frames may always be in flight, whatever their size (as with a window of
/// two frames, before the window was measured); past two, the bytes in
/// flight must be under this, so a viewer holds at most this plus one
/// message, or two messages.
pub const MAX_BYTES_IN_FLIGHT: usize = 16 << 20;

/// The limits one server enforces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// See [`MAX_STREAMS`].
    pub max_streams: usize,
    /// See [`MAX_VIEWERS_PER_STREAM`].
    pub max_viewers_per_stream: usize,
    /// See [`MAX_VIEWERS`].
    pub max_viewers: usize,
    /// See [`MAX_PRODUCERS_PER_STREAM`].
    pub max_producers_per_stream: usize,
    /// See [`STREAM_TTL`].
    pub stream_ttl: Duration,
    /// See [`KEYFRAME_REQUESTS_PER_MINUTE`].
    pub keyframe_requests_per_minute: u32,
    /// See [`POINTER_MOVES_PER_SECOND`].
    pub pointer_moves_per_second: u32,
    /// See [`INPUT_EVENTS_PER_SECOND`].
    pub input_events_per_second: u32,
    /// See [`MAX_UPLOADS`].
    pub max_uploads: usize,
    /// See [`MAX_CONNECTIONS`].
    pub max_connections: usize,
    /// See [`REQUEST_HEAD_TIMEOUT`].
    pub request_head_timeout: Duration,
    /// See [`KEEP_ALIVE`].
    pub keep_alive: Duration,
    /// See [`MAX_MJPEG_CLIENTS`].
    pub max_mjpeg_clients: usize,
    /// See [`MAX_JPEG_QUALITIES`].
    pub max_jpeg_qualities: usize,
    /// See [`MAX_FRAMES_IN_FLIGHT`].
    pub max_frames_in_flight: usize,
    /// See [`MAX_BYTES_IN_FLIGHT`].
    pub max_bytes_in_flight: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_streams: MAX_STREAMS,
            max_viewers_per_stream: MAX_VIEWERS_PER_STREAM,
            max_viewers: MAX_VIEWERS,
            max_producers_per_stream: MAX_PRODUCERS_PER_STREAM,
            stream_ttl: STREAM_TTL,
            keyframe_requests_per_minute: KEYFRAME_REQUESTS_PER_MINUTE,
            pointer_moves_per_second: POINTER_MOVES_PER_SECOND,
            input_events_per_second: INPUT_EVENTS_PER_SECOND,
            max_uploads: MAX_UPLOADS,
            max_connections: MAX_CONNECTIONS,
            request_head_timeout: REQUEST_HEAD_TIMEOUT,
            keep_alive: KEEP_ALIVE,
            max_mjpeg_clients: MAX_MJPEG_CLIENTS,
            max_jpeg_qualities: MAX_JPEG_QUALITIES,
            max_frames_in_flight: MAX_FRAMES_IN_FLIGHT,
            max_bytes_in_flight: MAX_BYTES_IN_FLIGHT,
        }
    }
}
