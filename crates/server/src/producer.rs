//! A producer's WebSocket session (`/ingest/{stream}`): publish messages and
//! frame messages in, input events and errors out.
//!
//! A publish message is a whole frame, published as it arrived (no copy). A
//! frame message is a delta against the frame this connection published
//! before (a producer that sends only what changed, as framecast's
//! `Publisher` does where that pays), rebuilt here in the frame's own format
//! and published. The connection numbers its frames: a frame message carries
//! its number (`seq`); a publish message takes the number after the previous
//! frame's. A delta must name the previous frame's number as its base.
//!
//! A bad message loses nothing: the producer gets a JSON error saying what
//! was expected and what arrived, the stream keeps its last good frame and
//! its viewers stay. Only a producer that sends nothing but bad messages
//! ([`MAX_BAD_IN_A_ROW`] of them, whatever pings and pongs come between) is
//! closed.

use std::ops::ControlFlow;
use std::sync::Arc;

use actix_ws::CloseCode;
use bytes::Bytes;
use framecast_codec::wire::{
    parse, FrameHeader, Message, FRAME_HEADER_LEN, PUBLISH_HEADER_LEN, SCROLL_RECORD_LEN,
    TILE_HEADER_LEN,
};
use framecast_codec::{Decoder, FrameRef, PixelFormat, MAX_FRAME_PIXELS, MIN_TILE_SIDE};
use serde::Serialize;
use tokio::sync::broadcast::error::RecvError;

use crate::session::{
    close, finish, refuse, Heartbeat, Inbox, InboxError, Incoming, NoticeKind, Outbox, Outgoing,
    SessionConfig, Shutdown, Step, GONE, GO_ON, SERVER_STOPPING,
};
use crate::stream::{now_us, Presence, Stream};
use crate::view;

/// Bad messages in a row after which a producer is closed.
pub const MAX_BAD_IN_A_ROW: u32 = 10;

/// Largest message a producer may send: the largest frame, RGBA, with a
/// frame message's header and a tile record's header for every tile of the
/// smallest size (a frame message of raw tiles is never longer; a publish
/// message is shorter).
pub const MAX_PUBLISH_MESSAGE: usize = FRAME_HEADER_LEN
    + SCROLL_RECORD_LEN
    + MAX_FRAME_PIXELS as usize * 4
    + MAX_FRAME_PIXELS as usize / (MIN_TILE_SIDE as usize * MIN_TILE_SIDE as usize)
        * TILE_HEADER_LEN;

/// A capture time as sent, or now for 0 (unknown).
fn stamped(capture_us: u64) -> u64 {
    if capture_us == 0 {
        now_us()
    } else {
        capture_us
    }
}

/// A JSON message to the producer.
#[derive(Debug, Serialize)]
#[serde(tag = "type", rename_all = "lowercase")]
enum ToProducer<'a> {
    /// A message was refused; nothing was published.
    Error { error: &'a str },
}

/// One producer's session.
pub struct ProducerSession {
    stream: Arc<Stream>,
    /// Counts this producer on the stream while it lives.
    _presence: Presence,
    /// What the producer is sent (errors, input events) waits here; the
    /// session never waits for it, so a producer that does not read cannot
    /// stall its own frames.
    outbox: Outbox,
    heartbeat: Heartbeat,
    /// Refused messages since the last good publish.
    bad_in_a_row: u32,
    /// The number of the last frame this connection published (0: none).
    last_seq: u64,
    /// That frame when it came as a publish message, kept as published until
    /// a delta needs it in `decoder`.
    plain: Option<PlainFrame>,
    /// That frame when it came as a frame message (or a delta followed a
    /// publish): what the next delta applies to.
    decoder: Decoder,
    /// Input events this producer was not sent because it fell behind.
    events_dropped: u64,
    /// When that was last logged.
    dropped_logged: Option<std::time::Instant>,
}

/// A frame a publish message brought.
struct PlainFrame {
    width: u32,
    height: u32,
    format: PixelFormat,
    pixels: Bytes,
}

impl std::fmt::Debug for ProducerSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProducerSession")
            .field("stream", &self.stream.name())
            .field("bad_in_a_row", &self.bad_in_a_row)
            .finish_non_exhaustive()
    }
}

impl ProducerSession {
    /// A session for a producer admitted to `stream`, writing to `outbox`.
    pub fn new(
        stream: Arc<Stream>,
        presence: Presence,
        outbox: Outbox,
        config: SessionConfig,
    ) -> Self {
        ProducerSession {
            stream,
            _presence: presence,
            outbox,
            heartbeat: Heartbeat::new(&config),
            bad_in_a_row: 0,
            last_seq: 0,
            plain: None,
            decoder: Decoder::source(),
            events_dropped: 0,
            dropped_logged: None,
        }
    }

    /// Runs until the producer leaves, times out or sends only garbage, the
    /// stream is deleted or the server stops; then closes with the reason.
    pub async fn run(mut self, mut inbox: Inbox, shutdown: Shutdown) {
        let stream = Arc::clone(&self.stream);
        let mut events = stream.subscribe_events();
        tracing::info!(stream = stream.name(), "producer connected");
        let reason = loop {
            let step = tokio::select! {
                message = inbox.next() => self.on_message(message),
                event = events.recv() => self.on_event(event).await,
                step = self.heartbeat.beat(&self.outbox) => step,
                () = stream.removed() => close(CloseCode::Away, "stream deleted"),
                () = shutdown.started() => close(CloseCode::Away, SERVER_STOPPING),
            };
            if let ControlFlow::Break(reason) = step {
                break reason;
            }
        };
        finish(self.outbox, inbox, reason, stream.name(), "producer").await;
        crate::memory::note_released();
    }

    fn on_message(&mut self, message: Option<Result<Incoming, InboxError>>) -> Step {
        let Some(message) = message else {
            return GONE;
        };
        self.heartbeat.heard();
        match message {
            Ok(Incoming::Binary(bytes)) => {
                let published = self.publish(bytes);
                if published.is_err() {
                    // What the producer counts as its last frame may not be
                    // ours: no delta applies until a whole frame comes.
                    self.plain = None;
                    self.decoder = Decoder::source();
                }
                self.answer(published)
            }
            Ok(Incoming::Text(text)) => {
                // How value frames are to be shown, from the next frame on.
                let view = view::from_text(self.stream.view(), &text);
                let answered = view.map(|view| self.stream.set_view(view));
                self.answer(answered.map(|()| self.last_seq))
            }
            Ok(Incoming::Ping(bytes)) => {
                self.outbox.push(Outgoing::Pong(bytes));
                GO_ON
            }
            Ok(Incoming::Pong) => GO_ON,
            Ok(Incoming::Close(reason)) => {
                tracing::info!(stream = self.stream.name(), ?reason, "producer left");
                GONE
            }
            Err(error) => refuse(&error),
        }
    }

    /// Publishes what a publish message or a frame message brings.
    fn publish(&mut self, bytes: Bytes) -> Result<u64, String> {
        match parse(&bytes).map_err(|error| error.to_string())? {
            Message::Publish(publish) => {
                let frame = publish.frame;
                let plain = PlainFrame {
                    width: frame.width(),
                    height: frame.height(),
                    format: frame.format(),
                    pixels: bytes.slice(PUBLISH_HEADER_LEN..),
                };
                let published = self.publish_plain(&plain, publish.capture_us)?;
                self.last_seq = self.last_seq.saturating_add(1);
                self.plain = Some(plain);
                Ok(published)
            }
            Message::Frame(frame) => self.publish_frame(&bytes, frame.header),
            other => Err(format!(
                "producers send publish or frame messages, not {} messages",
                other.kind().name()
            )),
        }
    }

    /// Publishes a publish message's pixels without copying them.
    fn publish_plain(&self, frame: &PlainFrame, capture_us: u64) -> Result<u64, String> {
        self.stream
            .publish_at(
                frame.width,
                frame.height,
                frame.format,
                frame.pixels.clone(),
                stamped(capture_us),
            )
            .map_err(|error| error.to_string())
    }

    /// Applies a frame message (`header` its parsed header) to the
    /// connection's last frame, if a delta, and publishes a copy of the
    /// result.
    fn publish_frame(&mut self, message: &[u8], header: FrameHeader) -> Result<u64, String> {
        if header.seq <= self.last_seq {
            return Err(format!(
                "frame {} does not come after this connection's last frame, {}",
                header.seq, self.last_seq
            ));
        }
        if !header.is_keyframe() {
            if header.base_seq != self.last_seq {
                return Err(format!(
                    "a delta against frame {}, but this connection's last frame is {}",
                    header.base_seq, self.last_seq
                ));
            }
            if let Some(plain) = self.plain.take() {
                let base = FrameRef::new(plain.width, plain.height, plain.format, &plain.pixels)
                    .expect("checked when published");
                self.decoder.hold(self.last_seq, base);
            } else if self.decoder.held_seq() != Some(self.last_seq) {
                return Err(format!(
                    "no frame {} to apply a delta to since a message was refused: \
                     send a whole frame (a publish message or a keyframe)",
                    self.last_seq
                ));
            }
        }
        let info = self
            .decoder
            .apply(message)
            .map_err(|error| error.to_string())?;
        self.plain = None;
        let published = self
            .stream
            .publish_at(
                info.width,
                info.height,
                info.format,
                Bytes::copy_from_slice(self.decoder.framebuffer()),
                stamped(info.capture_us),
            )
            .map_err(|error| error.to_string())?;
        self.last_seq = header.seq;
        Ok(published)
    }

    /// Counts a publish as good or bad; tells the producer what was wrong.
    fn answer(&mut self, published: Result<u64, String>) -> Step {
        let error = match published {
            Ok(_) => {
                self.bad_in_a_row = 0;
                return GO_ON;
            }
            Err(error) => error,
        };
        self.bad_in_a_row += 1;
        tracing::warn!(stream = self.stream.name(), %error, "producer message refused");
        let reply =
            serde_json::to_string(&ToProducer::Error { error: &error }).expect("serializes");
        self.outbox.push(Outgoing::Notice(NoticeKind::Error, reply));
        if self.bad_in_a_row >= MAX_BAD_IN_A_ROW {
            return close(
                CloseCode::Policy,
                &format!("{MAX_BAD_IN_A_ROW} bad messages in a row; last: {error}"),
            );
        }
        GO_ON
    }

    /// Forwards an input event from a viewer. Never waits: when the
    /// producer has fallen behind reading them, the oldest are dropped and
    /// counted (see [`crate::session::outbox`]).
    async fn on_event(&mut self, event: Result<Arc<str>, RecvError>) -> Step {
        let dropped = match event {
            Ok(json) => {
                self.outbox.make_room().await;
                self.outbox.push(Outgoing::Event(json))
            }
            // Only a session starved of the CPU falls this far behind.
            Err(RecvError::Lagged(missed)) => {
                self.outbox.note_dropped(missed);
                missed
            }
            Err(RecvError::Closed) => return close(CloseCode::Away, "stream closed"),
        };
        if dropped > 0 {
            self.note_dropped(dropped);
        }
        GO_ON
    }

    /// Counts input events the producer was not sent, and says so now and
    /// then (the first time, then at most once a second).
    fn note_dropped(&mut self, count: u64) {
        self.stream.events().note_dropped(count);
        self.events_dropped += count;
        let now = std::time::Instant::now();
        if self
            .dropped_logged
            .is_none_or(|last| now.duration_since(last) >= std::time::Duration::from_secs(1))
        {
            self.dropped_logged = Some(now);
            tracing::warn!(
                stream = self.stream.name(),
                dropped = self.events_dropped,
                "producer is not reading input events fast enough; dropped the oldest"
            );
        }
    }
}
