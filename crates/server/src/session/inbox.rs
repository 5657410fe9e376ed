//! A session's incoming messages, whole: fragmented messages (a first frame
//! and continuation frames) are put back together, and their total counts
//! against the session's message limit exactly as an unfragmented message's
//! length does. Without this a viewer could send a text message of any size
//! in 60 KB fragments (each under the limit), and an oversize fragmented
//! message from a producer was closed as a protocol error instead of with
//! 1009.

use actix_ws::{CloseReason, Item, Message, MessageStream, ProtocolError};
use bytes::{Bytes, BytesMut};
use bytestring::ByteString;

/// One whole message from the peer.
#[derive(Debug, PartialEq, Eq)]
pub enum Incoming {
    /// A binary message.
    Binary(Bytes),
    /// A text message (valid UTF-8).
    Text(ByteString),
    /// A ping, with its payload.
    Ping(Bytes),
    /// A pong.
    Pong,
    /// The peer's close frame.
    Close(Option<CloseReason>),
}

/// Why the peer's messages cannot be read on.
#[derive(Debug, thiserror::Error)]
pub enum InboxError {
    /// A message (all its fragments together) over the limit: close with 1009.
    #[error("message over {limit} bytes")]
    TooLarge {
        /// The session's limit.
        limit: usize,
    },
    /// A text message that is not UTF-8: close with 1007.
    #[error("a text message that is not UTF-8")]
    NotUtf8,
    /// Frames that break RFC 6455 (a continuation with no message begun, a
    /// new message inside a fragmented one, a bad frame): close with 1002.
    #[error("{0}")]
    Protocol(String),
}

/// A fragmented message being put together.
#[derive(Debug)]
struct Partial {
    text: bool,
    parts: Vec<Bytes>,
    len: usize,
}

/// The peer's messages, whole and within `limit` bytes each.
pub struct Inbox {
    frames: MessageStream,
    limit: usize,
    partial: Option<Partial>,
}

impl std::fmt::Debug for Inbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Inbox")
            .field("limit", &self.limit)
            .field("partial", &self.partial)
            .finish_non_exhaustive()
    }
}

impl Inbox {
    /// Reads `frames`, refusing any message over `limit` bytes.
    pub fn new(frames: MessageStream, limit: usize) -> Inbox {
        Inbox {
            frames: frames.max_frame_size(limit),
            limit,
            partial: None,
        }
    }

    /// The next whole message; `None` once the connection has ended.
    pub async fn next(&mut self) -> Option<Result<Incoming, InboxError>> {
        loop {
            let frame = match self.frames.recv().await? {
                Ok(frame) => frame,
                Err(ProtocolError::Overflow) => return Some(Err(self.too_large())),
                // actix-ws's word for a text frame that is not UTF-8.
                Err(ProtocolError::Io(error))
                    if error.kind() == std::io::ErrorKind::InvalidData =>
                {
                    return Some(Err(InboxError::NotUtf8))
                }
                Err(error) => return Some(Err(InboxError::Protocol(error.to_string()))),
            };
            if let Some(message) = self.assemble(frame).transpose() {
                return Some(message);
            }
        }
    }

    /// Takes one frame; returns a message when one is whole.
    fn assemble(&mut self, frame: Message) -> Result<Option<Incoming>, InboxError> {
        let data_inside_fragments = || {
            InboxError::Protocol("a new message began before the fragmented one ended".to_string())
        };
        Ok(Some(match frame {
            Message::Binary(bytes) => {
                if self.partial.is_some() {
                    return Err(data_inside_fragments());
                }
                Incoming::Binary(bytes)
            }
            Message::Text(text) => {
                if self.partial.is_some() {
                    return Err(data_inside_fragments());
                }
                Incoming::Text(text)
            }
            Message::Ping(bytes) => Incoming::Ping(bytes),
            Message::Pong(_) => Incoming::Pong,
            Message::Close(reason) => Incoming::Close(reason),
            Message::Nop => return Ok(None),
            Message::Continuation(item) => return self.continue_with(item),
        }))
    }

    fn continue_with(&mut self, item: Item) -> Result<Option<Incoming>, InboxError> {
        let (first, bytes, last) = match item {
            Item::FirstText(bytes) => (Some(true), bytes, false),
            Item::FirstBinary(bytes) => (Some(false), bytes, false),
            Item::Continue(bytes) => (None, bytes, false),
            Item::Last(bytes) => (None, bytes, true),
        };
        let partial = match (first, self.partial.as_mut()) {
            (Some(_), Some(_)) => {
                return Err(InboxError::Protocol(
                    "a fragmented message began inside another".to_string(),
                ))
            }
            (Some(text), None) => self.partial.insert(Partial {
                text,
                parts: Vec::new(),
                len: 0,
            }),
            (None, Some(partial)) => partial,
            (None, None) => {
                return Err(InboxError::Protocol(
                    "a continuation frame with no message begun".to_string(),
                ))
            }
        };
        partial.len += bytes.len();
        if partial.len > self.limit {
            return Err(self.too_large());
        }
        if !bytes.is_empty() {
            partial.parts.push(bytes);
        }
        if !last {
            return Ok(None);
        }
        let Partial { text, parts, len } = self.partial.take().expect("begun above");
        let mut whole = BytesMut::with_capacity(len);
        for part in parts {
            whole.extend_from_slice(&part);
        }
        let whole = whole.freeze();
        Ok(Some(if text {
            Incoming::Text(ByteString::try_from(whole).map_err(|_| InboxError::NotUtf8)?)
        } else {
            Incoming::Binary(whole)
        }))
    }

    fn too_large(&mut self) -> InboxError {
        self.partial = None;
        InboxError::TooLarge { limit: self.limit }
    }
}
