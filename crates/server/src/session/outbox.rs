//! A session's outgoing messages: the one place where they wait, and the one
//! task that writes them.
//!
//! actix-ws's `Session` waits when its channel (32 messages) is full, which
//! happens whenever the peer reads slower than it is sent to. A session loop
//! that awaited there would stop reading the peer's messages, the stream's
//! frames and its own heartbeat: a viewer flooding input events at a producer
//! that did not read them froze the stream for everyone. So the loop never
//! awaits a send. It puts each message in the [`Outbox`] and goes on; one
//! writer task per session takes them out in order and awaits actix-ws.
//!
//! The outbox holds at most [`OUTBOX_CAPACITY`] messages. What happens past
//! that depends on the message ([`Outgoing`]):
//! - frame messages are never dropped: the viewer's flow control counts a
//!   frame in flight from the moment it is queued here, and that count is
//!   what bounds how many wait;
//! - a notice (producer status, quality, an error) replaces the one of its
//!   kind still waiting, so each kind waits at most once;
//! - input events and pings are dropped, oldest first, to make room; dropped
//!   events are counted, and the producer is told how many before the next
//!   message it gets ([`dropped_notice`]).
//!
//! So what a session can be made to hold is this queue, bounded, plus what
//! actix-ws and the kernel buffer for a peer that does not read.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use actix_ws::{CloseReason, Session};
use bytes::Bytes;
use tokio::sync::Notify;

/// Messages that may wait in a session's outbox, at most, before input
/// events and pings are dropped to make room. Well under actix-ws's own 32,
/// so that the session's own queue, not actix-ws's, is where messages wait
/// for a slow peer.
pub const OUTBOX_CAPACITY: usize = 16;

/// One message on its way to the peer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outgoing {
    /// A frame message to a viewer. Never dropped.
    Frame(Bytes),
    /// A JSON message that supersedes any earlier one of its kind still
    /// waiting.
    Notice(NoticeKind, String),
    /// An input event for a producer, as JSON. Dropped, oldest first, when
    /// the outbox is full; counted.
    Event(Arc<str>),
    /// A heartbeat ping. Dropped when the outbox is full: one that cannot go
    /// out would tell nothing.
    Ping,
    /// The answer to the peer's ping. Only the newest waits (RFC 6455 lets
    /// an endpoint answer only the most recent ping).
    Pong(Bytes),
}

/// The kinds of [`Outgoing::Notice`]: of each, only the newest waits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoticeKind {
    /// Whether the stream has a producer.
    Status,
    /// A viewer's quality mode and whether it shows JPEG pixels.
    Quality,
    /// How the producer asks for value frames to be shown.
    View,
    /// Why a producer's message was refused.
    Error,
    /// How many input events a producer was not sent ([`dropped_notice`]).
    Dropped,
}

impl Outgoing {
    /// Whether the message may be dropped to make room.
    fn droppable(&self) -> bool {
        matches!(self, Outgoing::Event(_) | Outgoing::Ping)
    }

    /// Whether `self` makes `waiting` pointless (a newer one of its kind).
    fn supersedes(&self, waiting: &Outgoing) -> bool {
        match (self, waiting) {
            (Outgoing::Notice(kind, _), Outgoing::Notice(waiting, _)) => kind == waiting,
            (Outgoing::Pong(_), Outgoing::Pong(_)) => true,
            _ => false,
        }
    }
}

/// The JSON message that tells a producer how many input events it was not
/// sent because it fell behind: `{"type":"dropped","events":N}`.
pub fn dropped_notice(events: u64) -> String {
    format!(r#"{{"type":"dropped","events":{events}}}"#)
}

/// What waits to be written, and what the writer is to do next. Pure: the
/// [`Outbox`] wraps it with the lock, the wake-up and the writer task.
#[derive(Debug, Default)]
pub struct Queue {
    waiting: VecDeque<Outgoing>,
    /// Events dropped and not yet reported to the peer.
    unreported_drops: u64,
    /// Set by [`Queue::close`]: the close frame to write next, after which
    /// the writer stops.
    closing: Option<Option<CloseReason>>,
}

/// What the writer does next.
#[derive(Debug, PartialEq)]
pub enum Next {
    /// Write this message.
    Send(Outgoing),
    /// Write this close frame and stop.
    Close(Option<CloseReason>),
}

impl Queue {
    /// Queues `message`; returns how many input events were dropped to make
    /// room (or the message itself, when it is one and nothing else can go).
    pub fn push(&mut self, message: Outgoing) -> u64 {
        if self.closing.is_some() {
            return 0;
        }
        self.waiting.retain(|waiting| !message.supersedes(waiting));
        let mut dropped = 0;
        if self.waiting.len() >= OUTBOX_CAPACITY {
            match self.waiting.iter().position(Outgoing::droppable) {
                Some(oldest) => {
                    dropped += self.drop_at(oldest);
                }
                None if message.droppable() => {
                    let dropped = u64::from(matches!(message, Outgoing::Event(_)));
                    self.unreported_drops += dropped;
                    return dropped;
                }
                // Frames and notices go in anyway: how many there can be is
                // bounded by the flow control and by the kinds of notice.
                None => {}
            }
        }
        self.waiting.push_back(message);
        dropped
    }

    /// Counts `count` input events dropped before they reached the queue,
    /// to be reported with the others.
    pub fn note_dropped(&mut self, count: u64) {
        if self.closing.is_none() {
            self.unreported_drops += count;
        }
    }

    fn drop_at(&mut self, index: usize) -> u64 {
        let dropped = self.waiting.remove(index);
        let event = u64::from(matches!(dropped, Some(Outgoing::Event(_))));
        self.unreported_drops += event;
        event
    }

    /// The next thing to write, if any: a close first, then a report of
    /// dropped events, then the oldest message.
    pub fn take_next(&mut self) -> Option<Next> {
        if let Some(reason) = self.closing.take() {
            return Some(Next::Close(reason));
        }
        if self.unreported_drops > 0 {
            let notice = dropped_notice(std::mem::take(&mut self.unreported_drops));
            return Some(Next::Send(Outgoing::Notice(NoticeKind::Dropped, notice)));
        }
        self.waiting.pop_front().map(Next::Send)
    }

    /// Drops everything waiting and makes a close frame the next (and last)
    /// thing to write.
    pub fn close(&mut self, reason: Option<CloseReason>) {
        if self.closing.is_none() {
            self.waiting.clear();
            self.unreported_drops = 0;
            self.closing = Some(reason);
        }
    }

    /// Messages waiting.
    pub fn len(&self) -> usize {
        self.waiting.len()
    }

    /// Whether nothing waits.
    pub fn is_empty(&self) -> bool {
        self.waiting.is_empty()
    }
}

/// The queue and the writer's wake-up, shared by the session and its writer.
#[derive(Debug, Default)]
struct Shared {
    queue: Mutex<Queue>,
    wake: Notify,
}

/// A session's outgoing messages and the task that writes them (see the
/// module's documentation). Dropping it stops the writer.
#[derive(Debug)]
pub struct Outbox {
    shared: Arc<Shared>,
    /// The writer task, stopped when the outbox is dropped.
    writer: tokio::task::JoinHandle<()>,
}

impl Outbox {
    /// Starts the writer task of `session` on the current worker.
    pub fn start(session: Session) -> Outbox {
        let shared = Arc::new(Shared::default());
        let writer = actix_web::rt::spawn(write(Arc::clone(&shared), session));
        Outbox { shared, writer }
    }

    /// Queues `message` without waiting; returns how many input events were
    /// dropped to make room.
    pub fn push(&self, message: Outgoing) -> u64 {
        let dropped = self.lock().push(message);
        self.shared.wake.notify_one();
        dropped
    }

    /// When the outbox is full, gives the writer one turn first: a burst of
    /// messages queued before the writer was scheduled is not a peer that
    /// does not read (the writer hands them to actix-ws, and the connection
    /// to the socket, within that turn). Call before pushing what may be
    /// dropped. Never waits for the peer.
    pub async fn make_room(&self) {
        if self.len() >= OUTBOX_CAPACITY {
            tokio::task::yield_now().await;
        }
    }

    /// Counts `count` input events the peer lost before they reached the
    /// outbox; it is told of them with the others.
    pub fn note_dropped(&self, count: u64) {
        self.lock().note_dropped(count);
        self.shared.wake.notify_one();
    }

    /// Messages waiting to be written.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// Whether nothing waits.
    pub fn is_empty(&self) -> bool {
        self.lock().is_empty()
    }

    /// Drops what waits, writes the close frame, and waits (at most
    /// `within`) until it has been handed to the connection; a writer still
    /// stuck behind a peer that does not read is then stopped.
    pub async fn close(mut self, reason: Option<CloseReason>, within: std::time::Duration) {
        self.lock().close(reason);
        self.shared.wake.notify_one();
        // On a timeout, dropping `self` stops the writer.
        let _ = tokio::time::timeout(within, &mut self.writer).await;
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Queue> {
        self.shared.queue.lock().expect("outbox lock")
    }
}

impl Drop for Outbox {
    fn drop(&mut self) {
        self.writer.abort();
    }
}

/// The writer task: writes what the queue holds, in order, until the close
/// frame or until the connection is gone.
async fn write(shared: Arc<Shared>, mut session: Session) {
    loop {
        let next = shared.queue.lock().expect("outbox lock").take_next();
        let sent = match next {
            None => {
                shared.wake.notified().await;
                continue;
            }
            Some(Next::Close(reason)) => {
                let _ = session.close(reason).await;
                return;
            }
            Some(Next::Send(message)) => match message {
                Outgoing::Frame(bytes) => session.binary(bytes).await,
                Outgoing::Notice(_, text) => session.text(text).await,
                Outgoing::Event(json) => session.text(json.to_string()).await,
                Outgoing::Ping => session.ping(b"").await,
                Outgoing::Pong(bytes) => session.pong(&bytes).await,
            },
        };
        if sent.is_err() {
            return; // the connection is gone; the session notices on its own
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(n: usize) -> Outgoing {
        Outgoing::Event(format!(r#"{{"n":{n}}}"#).into())
    }

    fn drain(queue: &mut Queue) -> Vec<Outgoing> {
        std::iter::from_fn(|| match queue.take_next()? {
            Next::Send(message) => Some(message),
            Next::Close(_) => None,
        })
        .collect()
    }

    #[test]
    fn a_full_outbox_drops_the_oldest_events_and_reports_them_first() {
        let mut queue = Queue::default();
        let dropped: u64 = (0..OUTBOX_CAPACITY + 5).map(|n| queue.push(event(n))).sum();
        assert_eq!(dropped, 5);
        assert_eq!(queue.len(), OUTBOX_CAPACITY);
        let sent = drain(&mut queue);
        assert_eq!(
            sent[0],
            Outgoing::Notice(NoticeKind::Dropped, dropped_notice(5)),
            "the report comes before the events that were kept"
        );
        assert_eq!(sent[1], event(5), "the oldest five went");
        assert_eq!(sent.last(), Some(&event(OUTBOX_CAPACITY + 4)));
        assert_eq!(queue.take_next(), None, "reported once");
    }

    #[test]
    fn frames_are_never_dropped_and_make_room_by_dropping_events() {
        let mut queue = Queue::default();
        for n in 0..OUTBOX_CAPACITY {
            queue.push(event(n));
        }
        let frame = Outgoing::Frame(Bytes::from_static(b"frame"));
        assert_eq!(queue.push(frame.clone()), 1, "an event made room");
        assert_eq!(queue.len(), OUTBOX_CAPACITY);

        let mut frames = Queue::default();
        for _ in 0..OUTBOX_CAPACITY + 3 {
            assert_eq!(frames.push(frame.clone()), 0);
        }
        assert_eq!(
            frames.len(),
            OUTBOX_CAPACITY + 3,
            "frames are bounded by their window, not here"
        );
        assert_eq!(
            frames.push(Outgoing::Ping),
            0,
            "a ping finds no room and goes"
        );
        assert_eq!(frames.push(event(0)), 1, "so does an event, counted");
        assert!(drain(&mut frames)
            .iter()
            .all(|m| *m == frame || matches!(m, Outgoing::Notice(..))));
    }

    #[test]
    fn a_notice_or_pong_replaces_the_one_of_its_kind_still_waiting() {
        let mut queue = Queue::default();
        let status = |online: bool| Outgoing::Notice(NoticeKind::Status, online.to_string());
        queue.push(status(true));
        queue.push(Outgoing::Frame(Bytes::from_static(b"1")));
        queue.push(Outgoing::Pong(Bytes::from_static(b"a")));
        queue.push(status(false));
        queue.push(Outgoing::Pong(Bytes::from_static(b"b")));
        queue.push(Outgoing::Notice(NoticeKind::Quality, "q".into()));
        assert_eq!(
            drain(&mut queue),
            [
                Outgoing::Frame(Bytes::from_static(b"1")),
                status(false),
                Outgoing::Pong(Bytes::from_static(b"b")),
                Outgoing::Notice(NoticeKind::Quality, "q".into()),
            ]
        );
    }

    #[test]
    fn closing_drops_what_waits_and_ends_the_queue() {
        let mut queue = Queue::default();
        queue.push(Outgoing::Frame(Bytes::from_static(b"1")));
        queue.push(event(1));
        queue.close(None);
        assert_eq!(queue.push(event(2)), 0, "nothing is queued after the close");
        assert_eq!(queue.take_next(), Some(Next::Close(None)));
        assert_eq!(queue.take_next(), None);
    }
}
