//! A producer's WebSocket session (`/ingest/{stream}`): publish messages in,
//! input events and errors out.
//!
//! A bad message loses nothing: the producer gets a JSON error saying what
//! was expected and what arrived, the stream keeps its last good frame and
//! its viewers stay. Only a producer that sends nothing but bad messages
//! ([`MAX_BAD_IN_A_ROW`] of them) is closed.

use std::sync::Arc;

use actix_ws::{AggregatedMessage, AggregatedMessageStream, CloseCode, Session};
use framecast_codec::wire::{parse_publish, PUBLISH_HEADER_LEN};
use serde::Serialize;
use tokio::sync::broadcast::error::RecvError;

use crate::session::{close_reason, Heartbeat, SessionConfig};
use crate::stream::{now_us, Role, Stream};

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

/// Runs a producer session until the producer leaves, times out or sends
/// only garbage.
pub async fn run(
    stream: Arc<Stream>,
    mut session: Session,
    mut messages: AggregatedMessageStream,
    config: SessionConfig,
) {
    let _presence = stream.join(Role::Producer);
    let mut events = stream.subscribe_events();
    let mut heartbeat = Heartbeat::new(&config);
    let mut bad_in_a_row = 0;
    tracing::info!(stream = stream.name(), "producer connected");

    let close = loop {
        tokio::select! {
            message = messages.recv() => {
                heartbeat.heard();
                let refused = match message {
                    Some(Ok(AggregatedMessage::Binary(bytes))) => match parse_publish(&bytes) {
                        Ok(publish) => {
                            let frame = publish.frame;
                            let capture_us = if publish.capture_us == 0 { now_us() } else { publish.capture_us };
                            stream
                                .publish_at(frame.width(), frame.height(), frame.format(), bytes.slice(PUBLISH_HEADER_LEN..), capture_us)
                                .map_err(|error| error.to_string())
                        }
                        Err(error) => Err(error.to_string()),
                    },
                    Some(Ok(AggregatedMessage::Text(_))) => {
                        Err("producers send frames as binary publish messages (see PROTOCOL.md)".to_string())
                    }
                    Some(Ok(AggregatedMessage::Ping(bytes))) => {
                        if session.pong(&bytes).await.is_err() {
                            break None;
                        }
                        Ok(0)
                    }
                    Some(Ok(AggregatedMessage::Pong(_))) => Ok(0),
                    Some(Ok(AggregatedMessage::Close(reason))) => {
                        tracing::info!(stream = stream.name(), ?reason, "producer left");
                        break None;
                    }
                    Some(Err(error)) => {
                        break Some(close_reason(CloseCode::Size, &format!("{error}; frames are at most {MAX_PUBLISH_MESSAGE} bytes")));
                    }
                    None => break None,
                };
                match refused {
                    Ok(_) => bad_in_a_row = 0,
                    Err(error) => {
                        bad_in_a_row += 1;
                        tracing::warn!(stream = stream.name(), %error, "producer message refused");
                        let reply = serde_json::to_string(&ToProducer::Error { error: &error }).expect("serializes");
                        if session.text(reply).await.is_err() {
                            break None;
                        }
                        if bad_in_a_row >= MAX_BAD_IN_A_ROW {
                            break Some(close_reason(CloseCode::Policy, &format!("{MAX_BAD_IN_A_ROW} bad messages in a row; last: {error}")));
                        }
                    }
                }
            }
            event = events.recv() => match event {
                Ok(json) => {
                    if session.text(json.to_string()).await.is_err() {
                        break None;
                    }
                }
                Err(RecvError::Lagged(missed)) => {
                    tracing::warn!(stream = stream.name(), missed, "producer is not reading input events; dropped the oldest");
                }
                Err(RecvError::Closed) => break Some(close_reason(CloseCode::Away, "stream closed")),
            },
            beat = heartbeat.beat(&mut session) => {
                if let Err(close) = beat {
                    break close;
                }
            }
        }
    };
    if let Some(close) = &close {
        tracing::info!(stream = stream.name(), reason = ?close.description, "closing producer");
    }
    let _ = session.close(close).await;
}
