//! One viewer's WebSocket session: sends it the newest frame as a delta
//! against the last frame it was sent, with at most a window of frames in
//! flight.
//!
//! Latest frame wins, nothing queues: while the window is full the viewer is
//! sent nothing and the frames published meanwhile are skipped; when an ack
//! opens the window it gets the newest frame, as a delta against the last one
//! it was sent. A slow viewer sees fewer frames, never older ones, and holds
//! one retained frame (its base) however far behind it is.
//!
//! The window is sized from what the viewer's acks measure of its path
//! ([`crate::link`]): about twice what the path carries in one round trip,
//! so that across a long path frames flow at the producer's rate, and at
//! least [`MIN_FRAMES_IN_FLIGHT`] frames, which on loopback is all it
//! takes. A frame counts as in flight from the moment it is queued for the
//! viewer ([`Outbox`]) until its ack, so the window bounds every queue on
//! the way too.
//!
//! Each message may carry JPEG tiles where the viewer's link cannot carry
//! exact ones, and refinements back to exact pixels (see [`crate::quality`]);
//! a refinement is a message for the frame the viewer already has, sent
//! when its held tiles have been still long enough and no newer frame came.
//!
//! The server trusts nothing the viewer says: an ack must name a frame in
//! flight to it, keyframe requests coalesce (one keyframe in flight at most)
//! and are rate-limited, and every other message has one handler that says
//! whether the session goes on.

use std::collections::VecDeque;
use std::ops::ControlFlow;
use std::sync::Arc;
use std::time::{Duration, Instant};

use actix_ws::CloseCode;
use framecast_codec::colormap::View;
use framecast_codec::wire::{self, Message as WireMessage};
use framecast_codec::{Ack, KeyframeReason, KeyframeRequest};

use crate::events::{self, EventLimiter};
use crate::limits::Limits;
use crate::link::{Delivery, LinkMeter, ViewerTimes};
use crate::quality::{Quality, QualityState};
use crate::sent::SentMark;
use crate::session::{
    close, finish, refuse, Heartbeat, Inbox, InboxError, Incoming, NoticeKind, Outbox, Outgoing,
    SessionConfig, Shutdown, Step, GONE, GO_ON, SERVER_STOPPING,
};
use crate::stream::{Frame, Presence, Role, Stream};
use crate::view;

/// Largest message a viewer may send (acks and keyframe requests are tiny),
/// its fragments counted together; a larger one closes the viewer with 1009.
pub const MAX_VIEWER_MESSAGE: usize = 64 * 1024;

/// Frames that may always be in flight to a viewer, whatever the window
/// measures: the whole window before the viewer's path is measured, and on
/// loopback, where a round trip carries less than a frame.
pub const MIN_FRAMES_IN_FLIGHT: usize = 2;

/// How much may be in flight to a viewer, past its first
/// [`MIN_FRAMES_IN_FLIGHT`] frames.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Window {
    frames: usize,
    bytes: usize,
}

/// A frame sent to the viewer and not yet acknowledged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Sent {
    seq: u64,
    /// Its size and what its ack is measured against.
    delivery: Delivery,
    /// Whether it counts against the window. Frames sent before a keyframe
    /// request do not: the viewer drops them unacknowledged. An ack for one
    /// is still accepted.
    counted: bool,
}

/// What the session knows of the frames the viewer has.
#[derive(Debug, Default)]
struct FlowState {
    /// The last frame sent: the viewer will hold it once it has applied
    /// everything in flight, so it is the base of the next delta.
    last_sent: Option<Arc<Frame>>,
    /// Frames sent and not acknowledged, oldest first. Sequences never
    /// decrease; one repeats when a keyframe or a refinement resends it.
    in_flight: VecDeque<Sent>,
    /// The next frame must be a keyframe (join, or the viewer asked).
    keyframe_due: bool,
    /// The sequence of the keyframe sent and not yet acknowledged.
    keyframe_in_flight: Option<u64>,
    /// Whether something due waited for the window since the last message:
    /// the next one is then not app-limited (see [`crate::link`]).
    held_back: bool,
}

/// An ack for a frame that is not in flight to this viewer.
#[derive(Debug, PartialEq, Eq)]
struct UnknownAck(u64);

impl FlowState {
    fn joining() -> Self {
        FlowState {
            keyframe_due: true,
            ..FlowState::default()
        }
    }

    fn window_open(&self, window: Window) -> bool {
        let counted = self.in_flight.iter().filter(|sent| sent.counted);
        let (frames, bytes) = counted.fold((0, 0), |(frames, bytes), sent| {
            (frames + 1, bytes + sent.delivery.bytes)
        });
        frames < MIN_FRAMES_IN_FLIGHT || (frames < window.frames && bytes < window.bytes)
    }

    /// Whether nothing at all is on its way to the viewer.
    fn idle(&self) -> bool {
        self.in_flight.is_empty()
    }

    /// The frame to send now, if any: the newest one when the window has room
    /// and the viewer does not have it yet, needs it whole, or is due a
    /// refinement of it. One that is due while the window is full is noted
    /// as held back.
    fn next_to_send(
        &mut self,
        newest: Option<&Arc<Frame>>,
        window: Window,
        refine: bool,
    ) -> Option<Arc<Frame>> {
        let newest = newest?;
        let behind = self
            .last_sent
            .as_ref()
            .is_none_or(|sent| sent.seq != newest.seq);
        if !(behind || self.keyframe_due || refine) {
            return None;
        }
        if !self.window_open(window) {
            if !self.held_back {
                tracing::debug!(
                    ?window,
                    in_flight = self.in_flight.len(),
                    "window full: the next frame waits"
                );
            }
            self.held_back = true;
            return None;
        }
        Some(Arc::clone(newest))
    }

    /// The base of the next message: the last frame sent, unless a keyframe
    /// is due.
    fn base(&self) -> Option<&Arc<Frame>> {
        self.last_sent.as_ref().filter(|_| !self.keyframe_due)
    }

    /// Notes `frame` sent as `delivery`.
    fn on_sent(&mut self, frame: Arc<Frame>, delivery: Delivery) {
        if self.keyframe_due {
            self.keyframe_due = false;
            self.keyframe_in_flight = Some(frame.seq);
        }
        self.held_back = false;
        self.in_flight.push_back(Sent {
            seq: frame.seq,
            delivery,
            counted: true,
        });
        self.last_sent = Some(frame);
    }

    /// Acknowledges the first counted message of frame `seq` in flight and
    /// every one before it (a refinement is a second message of the same
    /// frame, acked by its own ack; a delta the viewer dropped before a
    /// keyframe of the same frame is not counted, and goes with the
    /// keyframe's ack); returns them, oldest first.
    fn on_ack(&mut self, seq: u64) -> Result<Vec<Delivery>, UnknownAck> {
        let of_seq = |sent: &Sent| sent.seq == seq;
        let Some(last) = (self.in_flight.iter())
            .position(|sent| of_seq(sent) && sent.counted)
            .or_else(|| self.in_flight.iter().rposition(of_seq))
        else {
            return Err(UnknownAck(seq));
        };
        let acked = self
            .in_flight
            .drain(..=last)
            .map(|sent| sent.delivery)
            .collect();
        if self
            .keyframe_in_flight
            .is_some_and(|keyframe| keyframe <= seq)
        {
            self.keyframe_in_flight = None;
        }
        Ok(acked)
    }

    /// Asks for the newest frame whole; returns false when one is already
    /// due or in flight (the request is coalesced into it).
    fn on_keyframe_request(&mut self) -> bool {
        if self.keyframe_due || self.keyframe_in_flight.is_some() {
            return false;
        }
        // The viewer drops whatever is in flight until the keyframe arrives,
        // and will not ack it: stop counting it, or the window would never
        // reopen.
        self.keyframe_due = true;
        for sent in &mut self.in_flight {
            sent.counted = false;
        }
        true
    }
}

/// A token bucket over keyframe requests: a burst of ten seconds' worth,
/// refilled at the rate per minute.
#[derive(Debug)]
struct KeyframeLimiter {
    per_minute: u32,
    tokens: f64,
    last: Instant,
}

impl KeyframeLimiter {
    fn new(per_minute: u32) -> Self {
        let limiter = KeyframeLimiter {
            per_minute,
            tokens: 0.0,
            last: Instant::now(),
        };
        KeyframeLimiter {
            tokens: limiter.burst(),
            ..limiter
        }
    }

    fn burst(&self) -> f64 {
        (f64::from(self.per_minute) / 6.0).max(1.0)
    }

    /// Whether a request at `now` is within the rate.
    fn admit(&mut self, now: Instant) -> bool {
        let refill = now.saturating_duration_since(self.last).as_secs_f64()
            * f64::from(self.per_minute)
            / 60.0;
        self.tokens = (self.tokens + refill).min(self.burst());
        self.last = now;
        if self.per_minute > 0 && self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

/// One viewer's session: its flow control, its limits and its socket.
pub struct ViewerSession {
    stream: Arc<Stream>,
    /// Counts this viewer on the stream (and the server) while it lives.
    _presence: Presence,
    /// What the viewer is sent waits here; the session never waits for it.
    outbox: Outbox,
    flow: FlowState,
    /// Its path, as its acks measure it.
    link: LinkMeter,
    /// The most [`Window`] may ever be.
    max_window: Window,
    keyframes: KeyframeLimiter,
    /// Its input events' rate.
    events: EventLimiter,
    heartbeat: Heartbeat,
    /// What the viewer was last told about the producer.
    producer_online: Option<bool>,
    /// Its quality, link and the tiles it holds from JPEG.
    quality: QualityState,
    /// What the viewer was last told of its picture: whether it shows JPEG
    /// pixels not yet refined.
    told_lossy: Option<bool>,
    /// How the producer last asked the viewer to show value frames.
    told_view: Option<View>,
    /// Where it notes the frames it is sent, for producers that wait.
    sent: SentMark,
}

impl std::fmt::Debug for ViewerSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ViewerSession")
            .field("stream", &self.stream.name())
            .field("flow", &self.flow)
            .finish_non_exhaustive()
    }
}

impl ViewerSession {
    /// A session for a viewer admitted to `stream`, writing to `outbox`,
    /// held to `limits`.
    pub fn new(
        stream: Arc<Stream>,
        presence: Presence,
        outbox: Outbox,
        config: SessionConfig,
        limits: &Limits,
        quality: Quality,
    ) -> Self {
        let sent = stream.track_sent();
        ViewerSession {
            keyframes: KeyframeLimiter::new(limits.keyframe_requests_per_minute),
            events: EventLimiter::new(
                limits.pointer_moves_per_second,
                limits.input_events_per_second,
            ),
            quality: QualityState::new(quality, config.refine_after),
            stream,
            _presence: presence,
            outbox,
            flow: FlowState::joining(),
            link: LinkMeter::default(),
            max_window: Window {
                frames: limits.max_frames_in_flight,
                bytes: limits.max_bytes_in_flight,
            },
            heartbeat: Heartbeat::new(&config),
            producer_online: None,
            told_lossy: None,
            told_view: None,
            sent,
        }
    }

    /// Runs until the viewer leaves, times out or misbehaves, the stream is
    /// deleted or the server stops; then closes the socket with the reason.
    pub async fn run(mut self, mut inbox: Inbox, shutdown: Shutdown) {
        let stream = Arc::clone(&self.stream);
        let mut frames = stream.subscribe();
        let mut producers = stream.watch_count(Role::Producer);
        tracing::info!(stream = stream.name(), quality = %self.quality.asked(), "viewer connected");
        let mut window_was_full = false;
        let reason = loop {
            // A frame published while the window was full waited for it:
            // the message that follows is not app-limited. (Noted here
            // rather than by waking for each such frame.)
            if window_was_full && frames.has_changed().unwrap_or(false) {
                self.flow.held_back = true;
            }
            let online = *producers.borrow_and_update() > 0;
            let newest = frames.borrow_and_update().clone();
            if let ControlFlow::Break(reason) = self.send_what_is_due(online, newest).await {
                break reason;
            }
            let window_open = self.flow.window_open(self.window());
            window_was_full = !window_open;
            let refinement = self.quality.next_refinement();
            let refine_at = tokio::time::Instant::from_std(refinement.unwrap_or_else(Instant::now));
            tracing::trace!(
                window_open,
                ?refinement,
                held = self.quality.is_lossy(),
                "loop"
            );
            let step = tokio::select! {
                _ = frames.changed(), if window_open => GO_ON,
                () = tokio::time::sleep_until(refine_at), if window_open && refinement.is_some() => GO_ON,
                _ = producers.changed() => GO_ON,
                message = inbox.next() => self.on_message(message),
                step = self.heartbeat.beat(&self.outbox) => step,
                () = stream.removed() => close(CloseCode::Away, "stream deleted"),
                () = shutdown.started() => close(CloseCode::Away, SERVER_STOPPING),
            };
            if let ControlFlow::Break(reason) = step {
                break reason;
            }
        };
        finish(self.outbox, inbox, reason, stream.name(), "viewer").await;
        crate::memory::note_released();
    }

    /// What may be in flight now: what the path carries in a round trip,
    /// twice, within the limits.
    fn window(&self) -> Window {
        let measured = self.link.window_bytes().unwrap_or(0);
        Window {
            frames: self.max_window.frames,
            bytes: measured.min(self.max_window.bytes),
        }
    }

    /// Tells the viewer of a change of producer, then sends the frame that is
    /// due, if any.
    async fn send_what_is_due(
        &mut self,
        producer_online: bool,
        newest: Option<Arc<Frame>>,
    ) -> Step {
        if self.producer_online != Some(producer_online) {
            self.producer_online = Some(producer_online);
            self.outbox.push(Outgoing::Notice(
                NoticeKind::Status,
                status_message(producer_online),
            ));
        }
        let now = Instant::now();
        let refine = self.quality.next_refinement().is_some_and(|due| due <= now);
        let window = self.window();
        let Some(frame) = self.flow.next_to_send(newest.as_ref(), window, refine) else {
            return GO_ON;
        };
        let fps = self.stream.fps();
        let frame_bytes = frame.pixel_bytes().len();
        let tiles = fine_tiles(&frame);
        let cap = self.stream.quality_cap();
        let plan = self
            .quality
            .plan(now, &self.link, fps, cap, frame_bytes, tiles);
        let encoded = self.stream.message(&frame, self.flow.base(), &plan).await;
        if frame.as_frame_ref().format().is_value() && self.told_view != Some(frame.view) {
            self.told_view = Some(frame.view);
            self.outbox.push(Outgoing::Notice(
                NoticeKind::View,
                view::message(frame.view),
            ));
        }
        self.outbox.push(Outgoing::Frame(encoded.bytes.clone()));
        let now = Instant::now();
        let app_limited = !self.flow.held_back;
        let delivery = self.link.on_send(
            encoded.bytes.len(),
            now,
            self.flow.idle(),
            app_limited,
            self.quality.probing(),
        );
        self.sent.sent(frame.seq);
        self.flow.on_sent(frame, delivery);
        self.quality.on_sent(
            &self.link,
            &plan,
            &encoded.stats,
            &encoded.outcome,
            frame_bytes,
            fps,
            now,
        );
        let lossy = self.quality.is_lossy();
        if self.told_lossy != Some(lossy) {
            self.told_lossy = Some(lossy);
            self.outbox.push(Outgoing::Notice(
                NoticeKind::Quality,
                quality_message(self.quality.asked(), lossy),
            ));
        }
        GO_ON
    }

    fn on_message(&mut self, message: Option<Result<Incoming, InboxError>>) -> Step {
        let Some(message) = message else {
            return GONE;
        };
        self.heartbeat.heard();
        match message {
            Ok(Incoming::Binary(bytes)) => self.on_binary(&bytes),
            Ok(Incoming::Text(text)) => self.on_event(&text),
            Ok(Incoming::Ping(bytes)) => {
                self.outbox.push(Outgoing::Pong(bytes));
                GO_ON
            }
            Ok(Incoming::Close(reason)) => {
                tracing::info!(stream = self.stream.name(), ?reason, "viewer left");
                GONE
            }
            Ok(Incoming::Pong) => GO_ON,
            Err(error) => refuse(&error),
        }
    }

    fn on_binary(&mut self, bytes: &[u8]) -> Step {
        match wire::parse(bytes) {
            Ok(WireMessage::Ack(ack)) => self.on_ack(ack),
            Ok(WireMessage::KeyframeRequest(request)) => self.on_keyframe_request(request),
            Ok(WireMessage::Frame(_) | WireMessage::Publish(_)) => close(
                CloseCode::Unsupported,
                "viewers send acks, keyframe requests and input events only",
            ),
            Err(error) => {
                tracing::warn!(stream = self.stream.name(), %error, "bad message from viewer");
                close(CloseCode::Invalid, &format!("bad message: {error}"))
            }
        }
    }

    fn on_ack(&mut self, ack: Ack) -> Step {
        tracing::trace!(
            seq = ack.seq,
            decode_us = ack.decode_us,
            paint_us = ack.paint_us,
            hold_us = ack.hold_us,
            "ack"
        );
        match self.flow.on_ack(ack.seq) {
            Ok(delivered) => {
                let work = u64::from(ack.decode_us) + u64::from(ack.paint_us);
                let times = ViewerTimes {
                    work: Duration::from_micros(work),
                    hold: Duration::from_micros(u64::from(ack.hold_us)),
                };
                self.link.on_ack(&delivered, times, Instant::now());
                GO_ON
            }
            Err(UnknownAck(seq)) => close(
                CloseCode::Policy,
                &format!("ack for frame {seq}, which is not in flight to this viewer (never sent, or already acknowledged)"),
            ),
        }
    }

    fn on_keyframe_request(&mut self, request: KeyframeRequest) -> Step {
        if !self.keyframes.admit(Instant::now()) {
            return close(
                CloseCode::Policy,
                &format!(
                    "more than {} keyframe requests a minute",
                    self.keyframes.per_minute
                ),
            );
        }
        if request.reason == KeyframeReason::DecodeError {
            tracing::warn!(
                stream = self.stream.name(),
                "viewer could not decode a frame; sending a keyframe"
            );
        }
        if !self.flow.on_keyframe_request() {
            tracing::debug!(
                stream = self.stream.name(),
                "keyframe request coalesced into the one due"
            );
        }
        GO_ON
    }

    fn on_event(&mut self, text: &str) -> Step {
        match events::parse(text) {
            Ok(event) => {
                if self.events.admit(&event, Instant::now()) {
                    self.stream.send_event(&event);
                } else {
                    self.stream.events().note_limited();
                }
            }
            // An event the server does not know is dropped, not fatal: the
            // picture matters more than one click.
            Err(error) => {
                tracing::debug!(stream = self.stream.name(), %error, "input event dropped")
            }
        }
        GO_ON
    }
}

/// The text message that tells a viewer whether its stream has a producer.
fn status_message(producer_online: bool) -> String {
    format!(r#"{{"type":"status","producer":{producer_online}}}"#)
}

/// Tiles of the encoder's fine grid in `frame`, which JPEG and held tiles
/// are counted on.
fn fine_tiles(frame: &Frame) -> u32 {
    let frame = frame.as_frame_ref();
    let side = framecast_codec::DEFAULT_TILE_SIDE;
    framecast_codec::TileGrid::new(frame.width(), frame.height(), side, side)
        .map_or(1, |grid| grid.len())
}

/// The text message that tells a viewer its quality mode and whether its
/// picture holds JPEG tiles not yet refined.
fn quality_message(asked: Quality, lossy: bool) -> String {
    format!(r#"{{"type":"quality","mode":"{asked}","lossy":{lossy}}}"#)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stream::Streams;
    use framecast_codec::PixelFormat;
    use std::time::Duration;

    fn frames(count: u8) -> Vec<Arc<Frame>> {
        let stream = Streams::new().get_or_create("t").unwrap();
        (0..count)
            .map(|value| {
                stream
                    .publish(8, 8, PixelFormat::Rgb8, vec![value; 8 * 8 * 3])
                    .unwrap();
                stream.latest().unwrap()
            })
            .collect()
    }

    /// A window not measured yet: two frames.
    const UNMEASURED: Window = Window {
        frames: 32,
        bytes: 0,
    };

    /// A message of 100 bytes.
    fn delivery() -> Delivery {
        LinkMeter::default().on_send(100, Instant::now(), true, true, false)
    }

    /// Sends what is due in `window`, as the session does; returns its
    /// sequence.
    fn send_in(flow: &mut FlowState, newest: &Arc<Frame>, window: Window) -> Option<u64> {
        let frame = flow.next_to_send(Some(newest), window, false)?;
        let seq = frame.seq;
        flow.on_sent(frame, delivery());
        Some(seq)
    }

    fn send(flow: &mut FlowState, newest: &Arc<Frame>) -> Option<u64> {
        send_in(flow, newest, UNMEASURED)
    }

    #[test]
    fn full_window_sends_nothing_then_the_newest() {
        let frames = frames(5);
        let mut flow = FlowState::joining();
        assert_eq!(send(&mut flow, &frames[0]), Some(1));
        assert_eq!(send(&mut flow, &frames[1]), Some(2));
        assert_eq!(send(&mut flow, &frames[4]), None, "window of 2 is full");
        assert!(flow.held_back, "frame 5 waited for the window");
        flow.on_ack(1).unwrap();
        assert_eq!(
            send(&mut flow, &frames[4]),
            Some(5),
            "frames 3 and 4 are skipped"
        );
    }

    #[test]
    fn a_measured_window_holds_frames_and_bytes_within_its_limits() {
        let frames = frames(40);
        let mut flow = FlowState::joining();
        // 100-byte messages, 1,000 bytes of window: ten in flight.
        let window = Window {
            frames: 32,
            bytes: 1_000,
        };
        for frame in &frames[..10] {
            assert!(send_in(&mut flow, frame, window).is_some());
        }
        assert_eq!(send_in(&mut flow, &frames[10], window), None);
        // However large the window measures, no more than its frames.
        let wide = Window {
            frames: 32,
            bytes: usize::MAX,
        };
        for frame in &frames[10..32] {
            assert!(send_in(&mut flow, frame, wide).is_some());
        }
        assert_eq!(send_in(&mut flow, &frames[32], wide), None);
        assert_eq!(flow.in_flight.len(), 32);
    }

    #[test]
    fn acks_must_name_a_frame_in_flight() {
        let frames = frames(3);
        let mut flow = FlowState::joining();
        send(&mut flow, &frames[0]);
        send(&mut flow, &frames[1]);
        assert_eq!(
            flow.on_ack(u64::MAX),
            Err(UnknownAck(u64::MAX)),
            "never sent"
        );
        assert_eq!(flow.on_ack(0), Err(UnknownAck(0)));
        flow.on_ack(2).unwrap();
        assert_eq!(
            flow.on_ack(1),
            Err(UnknownAck(1)),
            "acknowledged by the ack of 2"
        );
        assert_eq!(flow.on_ack(2), Err(UnknownAck(2)), "already acknowledged");
        assert!(flow.in_flight.is_empty());
    }

    #[test]
    fn keyframe_requests_coalesce_into_one_keyframe_in_flight() {
        let frames = frames(2);
        let mut flow = FlowState::joining();
        send(&mut flow, &frames[0]);
        flow.on_ack(1).unwrap();
        send(&mut flow, &frames[1]);
        assert!(flow.on_keyframe_request());
        assert!(!flow.on_keyframe_request(), "one is already due");
        assert!(
            flow.window_open(UNMEASURED),
            "the frame in flight no longer counts"
        );
        assert!(flow.base().is_none(), "the next message is a keyframe");
        assert_eq!(
            send(&mut flow, &frames[1]),
            Some(2),
            "the newest frame, whole"
        );
        assert_eq!(send(&mut flow, &frames[1]), None, "and only once");
        assert!(!flow.on_keyframe_request(), "one is in flight");
        flow.on_ack(2).unwrap();
        assert!(
            flow.in_flight.is_empty(),
            "the ack covers the dropped delta too"
        );
        assert!(
            flow.on_keyframe_request(),
            "acknowledged: a new request counts"
        );
    }

    #[test]
    fn a_refinement_resends_the_frame_and_is_acked_on_its_own() {
        let frames = frames(1);
        let mut flow = FlowState::joining();
        assert_eq!(send(&mut flow, &frames[0]), Some(1));
        assert_eq!(send(&mut flow, &frames[0]), None, "the viewer has it");
        let refinement = flow
            .next_to_send(Some(&frames[0]), UNMEASURED, true)
            .unwrap();
        flow.on_sent(refinement, delivery());
        assert!(!flow.window_open(UNMEASURED), "both count");
        assert_eq!(
            flow.on_ack(1).unwrap().len(),
            1,
            "the first message of frame 1"
        );
        assert_eq!(flow.on_ack(1).unwrap().len(), 1, "then the refinement");
        assert_eq!(flow.on_ack(1), Err(UnknownAck(1)));
    }

    #[test]
    fn keyframe_requests_are_limited_to_the_rate() {
        let mut limiter = KeyframeLimiter::new(60);
        let start = limiter.last;
        let admitted = (0..100).filter(|_| limiter.admit(start)).count();
        assert_eq!(admitted, 10, "a burst of ten seconds' worth");
        assert!(
            limiter.admit(start + Duration::from_secs(1)),
            "one a second after"
        );
        assert!(!limiter.admit(start + Duration::from_secs(1)));
        assert!(!KeyframeLimiter::new(0).admit(start), "0 allows none");
    }
}
