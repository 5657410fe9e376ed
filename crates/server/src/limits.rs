//! Every bound on what clients can make the server hold, with its default.
//!
//! Each limit is a named constant here, a field of [`Limits`] and a flag of
//! the `framecast` binary; SECURITY.md lists them all. The limits on single
//! messages live beside the code that parses them: [`MAX_VIEWER_MESSAGE`],
//! [`MAX_PUBLISH_MESSAGE`], [`MAX_EVENT_BYTES`], [`MAX_STREAM_NAME`] and the
//! codec's frame dimensions.
//!
//! [`MAX_VIEWER_MESSAGE`]: crate::viewer::MAX_VIEWER_MESSAGE
//! [`MAX_PUBLISH_MESSAGE`]: crate::producer::MAX_PUBLISH_MESSAGE
//! [`MAX_EVENT_BYTES`]: crate::events::MAX_EVENT_BYTES
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
        }
    }
}
