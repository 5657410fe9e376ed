//! One viewer's WebSocket session: sends it the newest frame as a delta
//! against the last frame it was sent, with at most `window` frames in flight.
//!
//! Latest frame wins, nothing queues: while the window is full the viewer is
//! sent nothing and the frames published meanwhile are skipped; when an ack
//! opens the window it gets the newest frame, as a delta against the last one
//! it received. A slow viewer sees fewer frames, never older ones, and holds
//! one retained frame (its base) however far behind it is.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Instant;

use actix_ws::{CloseCode, Message, MessageStream, Session};
use framecast_codec::wire::{self, Message as WireMessage};
use framecast_codec::KeyframeReason;

use crate::events::{self, MoveLimiter};
use crate::session::{close_reason, Heartbeat, SessionConfig};
use crate::stream::{Frame, Role, Stream};

/// Largest message a viewer may send (acks and keyframe requests are tiny).
pub const MAX_VIEWER_MESSAGE: usize = 64 * 1024;

/// What the session knows of the frames the viewer has.
#[derive(Debug, Default)]
struct FlowState {
    /// The last frame sent: the viewer will hold it once it has applied
    /// everything in flight, so it is the base of the next delta.
    last_sent: Option<Arc<Frame>>,
    /// Sequences sent and not acknowledged, oldest first.
    in_flight: VecDeque<u64>,
    /// The next frame must be a keyframe (join, or the viewer asked).
    keyframe_due: bool,
}

impl FlowState {
    fn on_ack(&mut self, seq: u64) {
        while self.in_flight.front().is_some_and(|&sent| sent <= seq) {
            self.in_flight.pop_front();
        }
    }

    fn on_keyframe_request(&mut self) {
        // The viewer drops whatever is in flight until the keyframe arrives,
        // and will not ack it: forget it, or the window would never reopen.
        self.keyframe_due = true;
        self.in_flight.clear();
    }

    /// The frame to send now, if any: the newest one when the window has room
    /// and the viewer does not have it yet.
    fn next_to_send(&self, newest: Option<&Arc<Frame>>, window: usize) -> Option<Arc<Frame>> {
        let newest = newest?;
        let behind = self
            .last_sent
            .as_ref()
            .is_none_or(|sent| sent.seq != newest.seq);
        (self.in_flight.len() < window && (behind || self.keyframe_due)).then(|| Arc::clone(newest))
    }
}

/// Runs a viewer session until the viewer leaves, times out or misbehaves.
pub async fn run(
    stream: Arc<Stream>,
    mut session: Session,
    mut messages: MessageStream,
    config: SessionConfig,
) {
    let _presence = stream.join(Role::Viewer);
    let mut frames = stream.subscribe();
    let mut producers = stream.watch_count(Role::Producer);
    let mut flow = FlowState {
        keyframe_due: true,
        ..FlowState::default()
    };
    let mut heartbeat = Heartbeat::new(&config);
    let mut moves = MoveLimiter::default();
    let mut producer_online = None;
    tracing::info!(stream = stream.name(), "viewer connected");

    let close = loop {
        let online = *producers.borrow_and_update() > 0;
        if producer_online != Some(online) {
            producer_online = Some(online);
            if session.text(status_message(online)).await.is_err() {
                break None;
            }
        }
        let newest = frames.borrow_and_update().clone();
        if let Some(frame) = flow.next_to_send(newest.as_ref(), config.window) {
            let base = if flow.keyframe_due {
                None
            } else {
                flow.last_sent.as_ref()
            };
            let message = stream.message(&frame, base).await;
            if session.binary(message).await.is_err() {
                break None;
            }
            flow.in_flight.push_back(frame.seq);
            flow.last_sent = Some(frame);
            flow.keyframe_due = false;
            continue;
        }

        let window_open = flow.in_flight.len() < config.window;
        tokio::select! {
            changed = frames.changed(), if window_open => {
                if changed.is_err() {
                    break Some(close_reason(CloseCode::Away, "stream closed"));
                }
            }
            _ = producers.changed() => {}
            message = messages.recv() => {
                heartbeat.heard();
                match message {
                    Some(Ok(Message::Binary(bytes))) if bytes.len() <= MAX_VIEWER_MESSAGE => {
                        match wire::parse(&bytes) {
                            Ok(WireMessage::Ack(ack)) => {
                                tracing::trace!(seq = ack.seq, decode_us = ack.decode_us, paint_us = ack.paint_us, "ack");
                                flow.on_ack(ack.seq);
                            }
                            Ok(WireMessage::KeyframeRequest(request)) => {
                                if request.reason == KeyframeReason::DecodeError {
                                    tracing::warn!(stream = stream.name(), "viewer could not decode a frame; sending a keyframe");
                                }
                                flow.on_keyframe_request();
                            }
                            Ok(WireMessage::Frame(_) | WireMessage::Publish(_)) => {
                                break Some(close_reason(CloseCode::Unsupported, "viewers send acks, keyframe requests and input events only"));
                            }
                            Err(error) => {
                                tracing::warn!(stream = stream.name(), %error, "bad message from viewer");
                                break Some(close_reason(CloseCode::Invalid, &format!("bad message: {error}")));
                            }
                        }
                    }
                    Some(Ok(Message::Binary(_))) => break Some(close_reason(CloseCode::Size, "message too large")),
                    Some(Ok(Message::Text(text))) => match events::parse(&text) {
                        Ok(event) => {
                            if moves.admit(&event, Instant::now()) {
                                stream.send_event(&event);
                            }
                        }
                        // An event the server does not know is dropped, not
                        // fatal: the picture matters more than one click.
                        Err(error) => tracing::debug!(stream = stream.name(), %error, "input event dropped"),
                    },
                    Some(Ok(Message::Ping(bytes))) => {
                        if session.pong(&bytes).await.is_err() {
                            break None;
                        }
                    }
                    Some(Ok(Message::Close(reason))) => {
                        tracing::info!(stream = stream.name(), ?reason, "viewer left");
                        break None;
                    }
                    Some(Ok(Message::Pong(_) | Message::Continuation(_) | Message::Nop)) => {}
                    Some(Err(error)) => break Some(close_reason(CloseCode::Protocol, &error.to_string())),
                    None => break None,
                }
            }
            beat = heartbeat.beat(&mut session) => {
                if let Err(close) = beat {
                    break close;
                }
            }
        }
    };
    if let Some(close) = &close {
        tracing::info!(stream = stream.name(), reason = ?close.description, "closing viewer");
    }
    let _ = session.close(close).await;
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

    #[test]
    fn full_window_sends_nothing_then_the_newest() {
        let frames = frames(5);
        let mut flow = FlowState::default();
        for frame in &frames[..2] {
            let next = flow.next_to_send(Some(frame), 2).unwrap();
            flow.in_flight.push_back(next.seq);
            flow.last_sent = Some(next);
        }
        assert!(
            flow.next_to_send(Some(&frames[4]), 2).is_none(),
            "window of 2 is full"
        );
        flow.on_ack(1);
        let next = flow.next_to_send(Some(&frames[4]), 2).unwrap();
        assert_eq!(next.seq, 5, "frames 3 and 4 are skipped");
    }

    #[test]
    fn nothing_is_sent_twice_unless_a_keyframe_is_asked_for() {
        let frames = frames(1);
        let mut flow = FlowState {
            last_sent: Some(Arc::clone(&frames[0])),
            ..FlowState::default()
        };
        assert!(flow.next_to_send(Some(&frames[0]), 2).is_none());
        flow.in_flight.push_back(1);
        flow.in_flight.push_back(1);
        flow.on_keyframe_request();
        assert_eq!(flow.next_to_send(Some(&frames[0]), 2).unwrap().seq, 1);
    }
}
