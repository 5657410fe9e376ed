//! One viewer's WebSocket session: sends it the newest frame as a delta
//! against the last frame it was sent, with at most `window` frames in flight.
//!
//! Latest frame wins, nothing queues: while the window is full the viewer is
//! sent nothing and the frames published meanwhile are skipped; when an ack
//! opens the window it gets the newest frame, as a delta against the last one
//! it received. A slow viewer sees fewer frames, never older ones, and holds
//! one retained frame (its base) however far behind it is.
//!
//! The server trusts nothing the viewer says: an ack must name a frame in
//! flight to it, keyframe requests coalesce (one keyframe in flight at most)
//! and are rate-limited, and every other message has one handler that says
//! whether the session goes on.

use std::collections::VecDeque;
use std::ops::ControlFlow;
use std::sync::Arc;
use std::time::Instant;

use actix_ws::{CloseCode, Message, MessageStream, ProtocolError, Session};
use framecast_codec::wire::{self, Message as WireMessage};
use framecast_codec::{Ack, KeyframeReason, KeyframeRequest};

use crate::events::{self, MoveLimiter};
use crate::session::{
    close, finish, Heartbeat, SessionConfig, Shutdown, Step, GONE, GO_ON, SERVER_STOPPING,
};
use crate::stream::{Frame, Presence, Role, Stream};

/// Largest message a viewer may send (acks and keyframe requests are tiny);
/// a larger one closes the viewer with 1009.
pub const MAX_VIEWER_MESSAGE: usize = 64 * 1024;

/// A frame sent to the viewer and not yet acknowledged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Sent {
    seq: u64,
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
    /// decrease; one repeats only when a keyframe resends it.
    in_flight: VecDeque<Sent>,
    /// The next frame must be a keyframe (join, or the viewer asked).
    keyframe_due: bool,
    /// The sequence of the keyframe sent and not yet acknowledged.
    keyframe_in_flight: Option<u64>,
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

    fn window_open(&self, window: usize) -> bool {
        self.in_flight.iter().filter(|sent| sent.counted).count() < window
    }

    /// The frame to send now, if any: the newest one when the window has room
    /// and the viewer does not have it yet (or needs it whole).
    fn next_to_send(&self, newest: Option<&Arc<Frame>>, window: usize) -> Option<Arc<Frame>> {
        let newest = newest?;
        let behind = self
            .last_sent
            .as_ref()
            .is_none_or(|sent| sent.seq != newest.seq);
        (self.window_open(window) && (behind || self.keyframe_due)).then(|| Arc::clone(newest))
    }

    /// The base of the next message: the last frame sent, unless a keyframe
    /// is due.
    fn base(&self) -> Option<&Arc<Frame>> {
        self.last_sent.as_ref().filter(|_| !self.keyframe_due)
    }

    fn on_sent(&mut self, frame: Arc<Frame>) {
        if self.keyframe_due {
            self.keyframe_due = false;
            self.keyframe_in_flight = Some(frame.seq);
        }
        self.in_flight.push_back(Sent {
            seq: frame.seq,
            counted: true,
        });
        self.last_sent = Some(frame);
    }

    /// Acknowledges `seq` and every frame before it.
    fn on_ack(&mut self, seq: u64) -> Result<(), UnknownAck> {
        if !self.in_flight.iter().any(|sent| sent.seq == seq) {
            return Err(UnknownAck(seq));
        }
        while self.in_flight.front().is_some_and(|sent| sent.seq <= seq) {
            self.in_flight.pop_front();
        }
        if self
            .keyframe_in_flight
            .is_some_and(|keyframe| keyframe <= seq)
        {
            self.keyframe_in_flight = None;
        }
        Ok(())
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
    session: Session,
    config: SessionConfig,
    flow: FlowState,
    keyframes: KeyframeLimiter,
    moves: MoveLimiter,
    heartbeat: Heartbeat,
    /// What the viewer was last told about the producer.
    producer_online: Option<bool>,
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
    /// A session for a viewer admitted to `stream`.
    pub fn new(
        stream: Arc<Stream>,
        presence: Presence,
        session: Session,
        config: SessionConfig,
        keyframe_requests_per_minute: u32,
    ) -> Self {
        ViewerSession {
            stream,
            _presence: presence,
            session,
            flow: FlowState::joining(),
            keyframes: KeyframeLimiter::new(keyframe_requests_per_minute),
            moves: MoveLimiter::default(),
            heartbeat: Heartbeat::new(&config),
            producer_online: None,
            config,
        }
    }

    /// Runs until the viewer leaves, times out or misbehaves, the stream is
    /// deleted or the server stops; then closes the socket with the reason.
    pub async fn run(mut self, mut messages: MessageStream, shutdown: Shutdown) {
        let stream = Arc::clone(&self.stream);
        let mut frames = stream.subscribe();
        let mut producers = stream.watch_count(Role::Producer);
        tracing::info!(stream = stream.name(), "viewer connected");
        let reason = loop {
            let online = *producers.borrow_and_update() > 0;
            let newest = frames.borrow_and_update().clone();
            if let ControlFlow::Break(reason) = self.send_what_is_due(online, newest).await {
                break reason;
            }
            let window_open = self.flow.window_open(self.config.window);
            let step = tokio::select! {
                _ = frames.changed(), if window_open => GO_ON,
                _ = producers.changed() => GO_ON,
                message = messages.recv() => self.on_message(message).await,
                step = self.heartbeat.beat(&mut self.session) => step,
                () = stream.removed() => close(CloseCode::Away, "stream deleted"),
                () = shutdown.started() => close(CloseCode::Away, SERVER_STOPPING),
            };
            if let ControlFlow::Break(reason) = step {
                break reason;
            }
        };
        finish(self.session, messages, reason, stream.name(), "viewer").await;
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
            if self
                .session
                .text(status_message(producer_online))
                .await
                .is_err()
            {
                return GONE;
            }
        }
        let Some(frame) = self.flow.next_to_send(newest.as_ref(), self.config.window) else {
            return GO_ON;
        };
        let message = self.stream.message(&frame, self.flow.base()).await;
        if self.session.binary(message).await.is_err() {
            return GONE;
        }
        self.flow.on_sent(frame);
        GO_ON
    }

    async fn on_message(&mut self, message: Option<Result<Message, ProtocolError>>) -> Step {
        let Some(message) = message else {
            return GONE;
        };
        self.heartbeat.heard();
        match message {
            Ok(Message::Binary(bytes)) => self.on_binary(&bytes),
            Ok(Message::Text(text)) => self.on_event(&text),
            Ok(Message::Ping(bytes)) => match self.session.pong(&bytes).await {
                Ok(()) => GO_ON,
                Err(_) => GONE,
            },
            Ok(Message::Close(reason)) => {
                tracing::info!(stream = self.stream.name(), ?reason, "viewer left");
                GONE
            }
            Ok(Message::Pong(_) | Message::Continuation(_) | Message::Nop) => GO_ON,
            Err(ProtocolError::Overflow) => close(
                CloseCode::Size,
                &format!("message over {MAX_VIEWER_MESSAGE} bytes"),
            ),
            Err(error) => close(CloseCode::Protocol, &error.to_string()),
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
            "ack"
        );
        match self.flow.on_ack(ack.seq) {
            Ok(()) => GO_ON,
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
                if self.moves.admit(&event, Instant::now()) {
                    self.stream.send_event(&event);
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

    /// Sends what is due, as the session does; returns its sequence.
    fn send(flow: &mut FlowState, newest: &Arc<Frame>) -> Option<u64> {
        let frame = flow.next_to_send(Some(newest), 2)?;
        let seq = frame.seq;
        flow.on_sent(frame);
        Some(seq)
    }

    #[test]
    fn full_window_sends_nothing_then_the_newest() {
        let frames = frames(5);
        let mut flow = FlowState::joining();
        assert_eq!(send(&mut flow, &frames[0]), Some(1));
        assert_eq!(send(&mut flow, &frames[1]), Some(2));
        assert_eq!(send(&mut flow, &frames[4]), None, "window of 2 is full");
        flow.on_ack(1).unwrap();
        assert_eq!(
            send(&mut flow, &frames[4]),
            Some(5),
            "frames 3 and 4 are skipped"
        );
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
        assert!(flow.window_open(2), "the frame in flight no longer counts");
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
