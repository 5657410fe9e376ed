//! A producer's WebSocket session (`/ingest/{stream}`): publish messages in,
//! input events and errors out.
//!
//! A bad message loses nothing: the producer gets a JSON error saying what
//! was expected and what arrived, the stream keeps its last good frame and
//! its viewers stay. Only a producer that sends nothing but bad messages
//! ([`MAX_BAD_IN_A_ROW`] of them, whatever pings and pongs come between) is
//! closed.

use std::ops::ControlFlow;
use std::sync::Arc;

use actix_ws::{AggregatedMessage, AggregatedMessageStream, CloseCode, ProtocolError, Session};
use bytes::Bytes;
use framecast_codec::wire::{parse_publish, PUBLISH_HEADER_LEN};
use serde::Serialize;
use tokio::sync::broadcast::error::RecvError;

use crate::session::{
    close, finish, Heartbeat, SessionConfig, Shutdown, Step, GONE, GO_ON, SERVER_STOPPING,
};
use crate::stream::{now_us, Presence, Stream};

/// Bad messages in a row after which a producer is closed.
pub const MAX_BAD_IN_A_ROW: u32 = 10;

/// Largest message a producer may send: the largest frame, RGBA, with its header.
pub const MAX_PUBLISH_MESSAGE: usize =
    PUBLISH_HEADER_LEN + framecast_codec::MAX_FRAME_PIXELS as usize * 4;

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
    session: Session,
    heartbeat: Heartbeat,
    /// Refused messages since the last good publish.
    bad_in_a_row: u32,
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
    /// A session for a producer admitted to `stream`.
    pub fn new(
        stream: Arc<Stream>,
        presence: Presence,
        session: Session,
        config: SessionConfig,
    ) -> Self {
        ProducerSession {
            stream,
            _presence: presence,
            session,
            heartbeat: Heartbeat::new(&config),
            bad_in_a_row: 0,
        }
    }

    /// Runs until the producer leaves, times out or sends only garbage, the
    /// stream is deleted or the server stops; then closes with the reason.
    pub async fn run(mut self, mut messages: AggregatedMessageStream, shutdown: Shutdown) {
        let stream = Arc::clone(&self.stream);
        let mut events = stream.subscribe_events();
        tracing::info!(stream = stream.name(), "producer connected");
        let reason = loop {
            let step = tokio::select! {
                message = messages.recv() => self.on_message(message).await,
                event = events.recv() => self.on_event(event).await,
                step = self.heartbeat.beat(&mut self.session) => step,
                () = stream.removed() => close(CloseCode::Away, "stream deleted"),
                () = shutdown.started() => close(CloseCode::Away, SERVER_STOPPING),
            };
            if let ControlFlow::Break(reason) = step {
                break reason;
            }
        };
        finish(self.session, messages, reason, stream.name(), "producer").await;
    }

    async fn on_message(
        &mut self,
        message: Option<Result<AggregatedMessage, ProtocolError>>,
    ) -> Step {
        let Some(message) = message else {
            return GONE;
        };
        self.heartbeat.heard();
        match message {
            Ok(AggregatedMessage::Binary(bytes)) => {
                let published = self.publish(bytes);
                self.answer(published).await
            }
            Ok(AggregatedMessage::Text(_)) => {
                let refused = Err("producers send frames as binary publish messages (see PROTOCOL.md)".to_string());
                self.answer(refused).await
            }
            Ok(AggregatedMessage::Ping(bytes)) => match self.session.pong(&bytes).await {
                Ok(()) => GO_ON,
                Err(_) => GONE,
            },
            Ok(AggregatedMessage::Pong(_)) => GO_ON,
            Ok(AggregatedMessage::Close(reason)) => {
                tracing::info!(stream = self.stream.name(), ?reason, "producer left");
                GONE
            }
            Err(ProtocolError::Overflow) => close(
                CloseCode::Size,
                &format!("message over {MAX_PUBLISH_MESSAGE} bytes, the largest frame (8192x4096 RGBA) with its header"),
            ),
            Err(error) => close(CloseCode::Protocol, &error.to_string()),
        }
    }

    /// Publishes a publish message's pixels without copying them.
    fn publish(&self, bytes: Bytes) -> Result<u64, String> {
        let publish = parse_publish(&bytes).map_err(|error| error.to_string())?;
        let frame = publish.frame;
        let capture_us = if publish.capture_us == 0 {
            now_us()
        } else {
            publish.capture_us
        };
        self.stream
            .publish_at(
                frame.width(),
                frame.height(),
                frame.format(),
                bytes.slice(PUBLISH_HEADER_LEN..),
                capture_us,
            )
            .map_err(|error| error.to_string())
    }

    /// Counts a publish as good or bad; tells the producer what was wrong.
    async fn answer(&mut self, published: Result<u64, String>) -> Step {
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
        if self.session.text(reply).await.is_err() {
            return GONE;
        }
        if self.bad_in_a_row >= MAX_BAD_IN_A_ROW {
            return close(
                CloseCode::Policy,
                &format!("{MAX_BAD_IN_A_ROW} bad messages in a row; last: {error}"),
            );
        }
        GO_ON
    }

    /// Forwards an input event from a viewer.
    async fn on_event(&mut self, event: Result<Arc<str>, RecvError>) -> Step {
        match event {
            Ok(json) => match self.session.text(json.to_string()).await {
                Ok(()) => GO_ON,
                Err(_) => GONE,
            },
            Err(RecvError::Lagged(missed)) => {
                tracing::warn!(
                    stream = self.stream.name(),
                    missed,
                    "producer is not reading input events; dropped the oldest"
                );
                GO_ON
            }
            Err(RecvError::Closed) => close(CloseCode::Away, "stream closed"),
        }
    }
}
