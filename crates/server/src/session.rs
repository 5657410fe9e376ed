//! What viewer and producer sessions share: timing settings, the heartbeat
//! and close reasons.

use std::time::{Duration, Instant};

use actix_ws::{CloseCode, CloseReason, Session};

/// Flow-control and liveness settings of WebSocket sessions.
#[derive(Debug, Clone)]
pub struct SessionConfig {
    /// Frames sent to a viewer and not yet acknowledged, at most.
    pub window: usize,
    /// How often the server pings each peer.
    pub heartbeat_interval: Duration,
    /// A peer silent (no message, not even a pong) for this long is
    /// disconnected.
    pub client_timeout: Duration,
}

impl Default for SessionConfig {
    fn default() -> Self {
        SessionConfig {
            window: 2,
            heartbeat_interval: Duration::from_secs(5),
            client_timeout: Duration::from_secs(15),
        }
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

    /// Waits for the next beat, then pings. `Err` ends the session: with a
    /// close reason when the peer timed out, without one when the connection
    /// is already gone.
    pub async fn beat(&mut self, session: &mut Session) -> Result<(), Option<CloseReason>> {
        self.interval.tick().await;
        if self.last_heard.elapsed() > self.timeout {
            return Err(Some(close_reason(
                CloseCode::Away,
                "no message within the timeout",
            )));
        }
        session.ping(b"").await.map_err(|_| None)
    }
}

/// A close reason with a description.
pub fn close_reason(code: CloseCode, description: &str) -> CloseReason {
    CloseReason {
        code,
        description: Some(description.to_string()),
    }
}
