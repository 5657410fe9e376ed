//! What viewer and producer sessions share: the connection's two sides
//! ([`Inbox`]: whole messages within a size limit; [`Outbox`]: the one queue
//! of what the peer is sent, never awaited by the session), timing settings,
//! the heartbeat, close reasons, the server's shutdown signal, and the
//! [`Step`] each message handler returns.

pub mod inbox;
pub mod outbox;

use std::ops::ControlFlow;
use std::time::{Duration, Instant};

use actix_ws::{CloseCode, CloseReason};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

pub use inbox::{Inbox, InboxError, Incoming};
pub use outbox::{NoticeKind, Outbox, Outgoing};

/// Liveness and refinement settings of WebSocket sessions (what may be in
/// flight to a viewer is measured: [`crate::link`]).
#[derive(Debug, Clone)]
pub struct SessionConfig {
    /// How often the server pings each peer.
    pub heartbeat_interval: Duration,
    /// A peer silent (no message, not even a pong) for this long is
    /// disconnected.
    pub client_timeout: Duration,
    /// How long a tile sent as JPEG stays still before it is refined (see
    /// [`crate::quality::REFINE_AFTER`]).
    pub refine_after: Duration,
}

impl Default for SessionConfig {
    fn default() -> Self {
        SessionConfig {
            heartbeat_interval: Duration::from_secs(5),
            client_timeout: Duration::from_secs(15),
            refine_after: crate::quality::REFINE_AFTER,
        }
    }
}

/// What a session does after handling one event: go on, or close (with a
/// reason, or without one when the connection is already gone).
pub type Step = ControlFlow<Option<CloseReason>>;

/// Goes on.
pub const GO_ON: Step = ControlFlow::Continue(());

/// Closes with `code` and `description`.
pub fn close(code: CloseCode, description: &str) -> Step {
    ControlFlow::Break(Some(close_reason(code, description)))
}

/// Closes without a reason: the peer is gone.
pub const GONE: Step = ControlFlow::Break(None);

/// The close reason every session gets when the server stops.
pub const SERVER_STOPPING: &str = "server stopping";

/// The server's sessions, and the signal that it is stopping: every session
/// then closes with 1001 and [`SERVER_STOPPING`], and the server waits for
/// them (at most [`CLOSE_HANDSHAKE_TIMEOUT`] and a little) before its
/// workers go.
#[derive(Debug, Clone, Default)]
pub struct Shutdown {
    signal: CancellationToken,
    sessions: TaskTracker,
}

impl Shutdown {
    /// Runs `session` on the current worker, counted among the sessions.
    pub fn spawn(&self, session: impl std::future::Future<Output = ()> + 'static) {
        actix_web::rt::spawn(self.sessions.track_future(session));
    }

    /// Completes when the server begins to stop.
    pub async fn started(&self) {
        self.signal.cancelled().await;
    }

    /// Tells every session to close, and waits until they have (or the
    /// closing handshakes time out).
    pub async fn close_sessions(&self) {
        self.signal.cancel();
        self.sessions.close();
        let _ = tokio::time::timeout(
            CLOSE_HANDSHAKE_TIMEOUT + Duration::from_millis(500),
            self.sessions.wait(),
        )
        .await;
    }
}

/// Pings the peer at an interval and notices when it has gone silent.
#[derive(Debug)]
pub struct Heartbeat {
    interval: tokio::time::Interval,
    timeout: Duration,
    last_heard: Instant,
}

impl Heartbeat {
    /// A heartbeat on `config`'s interval and timeout.
    pub fn new(config: &SessionConfig) -> Self {
        Heartbeat {
            interval: tokio::time::interval(config.heartbeat_interval),
            timeout: config.client_timeout,
            last_heard: Instant::now(),
        }
    }

    /// Notes that the peer sent something.
    pub fn heard(&mut self) {
        self.last_heard = Instant::now();
    }

    /// Waits for the next beat, then pings; closes when the peer timed out.
    pub async fn beat(&mut self, outbox: &Outbox) -> Step {
        self.interval.tick().await;
        if self.last_heard.elapsed() > self.timeout {
            return close(CloseCode::Away, "no message within the timeout");
        }
        outbox.push(Outgoing::Ping);
        GO_ON
    }
}

/// How a session closes on what its inbox could not read: 1009 for a message
/// over the limit, 1007 for text that is not UTF-8, 1002 for broken frames.
pub fn refuse(error: &InboxError) -> Step {
    let code = match error {
        InboxError::TooLarge { .. } => CloseCode::Size,
        InboxError::NotUtf8 => CloseCode::Invalid,
        InboxError::Protocol(_) => CloseCode::Protocol,
    };
    close(code, &error.to_string())
}

/// A close reason with a description.
pub fn close_reason(code: CloseCode, description: &str) -> CloseReason {
    CloseReason {
        code,
        description: Some(description.to_string()),
    }
}

/// How long a closing session waits for the peer's close frame.
pub const CLOSE_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(1);

/// Closes the connection with `reason`, logging why, and completes the
/// closing handshake: drops what still waits in the outbox, writes the close
/// frame, and reads (and drops) what the peer still sends until its close
/// frame, for at most [`CLOSE_HANDSHAKE_TIMEOUT`] in all. Dropping the
/// incoming side at once could end the connection before the close frame is
/// out; a peer that reads nothing does not hold the session longer.
pub async fn finish(
    outbox: Outbox,
    mut inbox: Inbox,
    reason: Option<CloseReason>,
    stream: &str,
    who: &str,
) {
    if let Some(reason) = &reason {
        tracing::info!(stream, reason = ?reason.description, code = ?reason.code, "closing {who}");
    }
    let deadline = tokio::time::Instant::now() + CLOSE_HANDSHAKE_TIMEOUT;
    outbox.close(reason, CLOSE_HANDSHAKE_TIMEOUT).await;
    let _ = tokio::time::timeout_at(deadline, async {
        while let Some(Ok(message)) = inbox.next().await {
            if matches!(message, Incoming::Close(_)) {
                break;
            }
        }
    })
    .await;
}
