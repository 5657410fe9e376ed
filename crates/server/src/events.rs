//! Input events: what viewers do on the canvas (pointer, wheel, keys,
//! resize), sent by the page as JSON text messages and relayed to the
//! stream's producers as the same JSON. Only the forms below pass; anything
//! else is refused, so a producer can trust the shape of what it gets.
//!
//! Each viewer's events are held to a rate ([`EventLimiter`]), and a
//! stream counts what it relayed and what it dropped ([`EventCounts`]).

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use serde::{Deserialize, Serialize};

/// Largest input event message, in bytes.
pub const MAX_EVENT_BYTES: usize = 1024;

/// One input event. Coordinates are canvas pixels (frame pixels), with
/// (0, 0) the top-left corner.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase", deny_unknown_fields)]
pub enum InputEvent {
    /// The pointer moved.
    PointerMove {
        /// Column.
        x: f64,
        /// Row.
        y: f64,
        /// Buttons held, as the DOM's `buttons` bit mask (1 left, 2 right, 4 middle).
        buttons: u32,
    },
    /// A button went down.
    PointerDown {
        /// Column.
        x: f64,
        /// Row.
        y: f64,
        /// Which button, as the DOM's `button` (0 left, 1 middle, 2 right).
        button: i32,
        /// Buttons held now.
        buttons: u32,
    },
    /// A button went up.
    PointerUp {
        /// Column.
        x: f64,
        /// Row.
        y: f64,
        /// Which button.
        button: i32,
        /// Buttons held now.
        buttons: u32,
    },
    /// The wheel turned over the canvas.
    Wheel {
        /// Column.
        x: f64,
        /// Row.
        y: f64,
        /// Horizontal scroll, in pixels.
        dx: f64,
        /// Vertical scroll, in pixels (positive: down).
        dy: f64,
    },
    /// A key went down while the canvas had focus.
    KeyDown(Key),
    /// A key went up.
    KeyUp(Key),
    /// The viewer's canvas changed its size on screen, in CSS pixels.
    Resize {
        /// Width on screen.
        width: f64,
        /// Height on screen.
        height: f64,
    },
}

/// A key event's fields.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Key {
    /// The DOM's `key` (`"a"`, `"Enter"`, `"ArrowLeft"`).
    pub key: String,
    /// The DOM's `code` (`"KeyA"`, layout independent).
    pub code: String,
    /// Shift held.
    #[serde(default)]
    pub shift: bool,
    /// Control held.
    #[serde(default)]
    pub ctrl: bool,
    /// Alt held.
    #[serde(default)]
    pub alt: bool,
    /// Meta (command, windows) held.
    #[serde(default)]
    pub meta: bool,
}

/// Why an input event was refused.
#[derive(Debug, thiserror::Error)]
pub enum EventError {
    /// Over [`MAX_EVENT_BYTES`].
    #[error("input event of {0} bytes; at most {MAX_EVENT_BYTES}")]
    TooLarge(usize),
    /// Not one of the forms of [`InputEvent`].
    #[error("not an input event: {0}")]
    Malformed(#[from] serde_json::Error),
}

/// Parses an input event from a viewer's text message.
pub fn parse(text: &str) -> Result<InputEvent, EventError> {
    if text.len() > MAX_EVENT_BYTES {
        return Err(EventError::TooLarge(text.len()));
    }
    Ok(serde_json::from_str(text)?)
}

/// A token bucket: `per_second` on average, in bursts of up to `burst`.
#[derive(Debug)]
struct Bucket {
    per_second: u32,
    burst: f64,
    tokens: f64,
    last: Option<Instant>,
}

impl Bucket {
    fn new(per_second: u32, burst: u32) -> Self {
        let burst = f64::from(burst.min(per_second));
        Bucket {
            per_second,
            burst,
            tokens: burst,
            last: None,
        }
    }

    fn admit(&mut self, now: Instant) -> bool {
        if let Some(last) = self.last {
            let refill =
                now.saturating_duration_since(last).as_secs_f64() * f64::from(self.per_second);
            self.tokens = (self.tokens + refill).min(self.burst);
        }
        self.last = Some(now);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

/// Holds one viewer's input events to their rates: pointer moves to
/// [`Limits::pointer_moves_per_second`], evenly spaced (a move dropped is made
/// good by the next, which carries the newest position), and every other
/// kind together to [`Limits::input_events_per_second`], in bursts of up to
/// a second's worth (a key held down, a trackpad's fling).
///
/// [`Limits::pointer_moves_per_second`]: crate::Limits::pointer_moves_per_second
/// [`Limits::input_events_per_second`]: crate::Limits::input_events_per_second
#[derive(Debug)]
pub struct EventLimiter {
    moves: Bucket,
    others: Bucket,
}

impl EventLimiter {
    /// A limiter of pointer moves and of other events, per second.
    pub fn new(moves_per_second: u32, others_per_second: u32) -> Self {
        EventLimiter {
            moves: Bucket::new(moves_per_second, 1),
            others: Bucket::new(others_per_second, others_per_second),
        }
    }

    /// Whether to relay `event`, received at `now`.
    pub fn admit(&mut self, event: &InputEvent, now: Instant) -> bool {
        match event {
            InputEvent::PointerMove { .. } => self.moves.admit(now),
            _ => self.others.admit(now),
        }
    }
}

/// What became of a stream's input events: relayed to its producers, dropped
/// because a viewer sent them faster than its rate ([`EventLimiter`]), or
/// dropped because a producer fell behind reading them (the oldest go; the
/// producer is told how many). `GET /api/streams` shows them.
#[derive(Debug, Default)]
pub struct EventCounts {
    relayed: AtomicU64,
    limited: AtomicU64,
    dropped: AtomicU64,
}

/// A snapshot of [`EventCounts`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct EventTotals {
    /// Relayed to the stream's producers.
    pub relayed: u64,
    /// Dropped: a viewer sent them faster than its rate.
    pub limited: u64,
    /// Not delivered to a producer that fell behind, counted once per
    /// producer that lost one.
    pub dropped: u64,
}

impl EventCounts {
    /// One event relayed.
    pub fn note_relayed(&self) {
        self.relayed.fetch_add(1, Ordering::Relaxed);
    }

    /// One event over its viewer's rate.
    pub fn note_limited(&self) {
        self.limited.fetch_add(1, Ordering::Relaxed);
    }

    /// `count` events a producer fell behind by.
    pub fn note_dropped(&self, count: u64) {
        if count > 0 {
            self.dropped.fetch_add(count, Ordering::Relaxed);
        }
    }

    /// The counts now.
    pub fn totals(&self) -> EventTotals {
        EventTotals {
            relayed: self.relayed.load(Ordering::Relaxed),
            limited: self.limited.load(Ordering::Relaxed),
            dropped: self.dropped.load(Ordering::Relaxed),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_round_trip_as_json() {
        let text = r#"{"type":"pointerdown","x":10.0,"y":20.5,"button":0,"buttons":1}"#;
        let event = parse(text).unwrap();
        assert_eq!(
            event,
            InputEvent::PointerDown {
                x: 10.0,
                y: 20.5,
                button: 0,
                buttons: 1
            }
        );
        assert_eq!(serde_json::to_string(&event).unwrap(), text);
        let key = parse(r#"{"type":"keydown","key":"a","code":"KeyA","shift":true}"#).unwrap();
        assert!(matches!(
            key,
            InputEvent::KeyDown(Key {
                shift: true,
                ctrl: false,
                ..
            })
        ));
    }

    #[test]
    fn malformed_events_are_refused() {
        for bad in [
            r#"{"type":"explode"}"#,
            r#"{"type":"pointermove","x":1}"#,
            r#"{"type":"pointermove","x":1,"y":2,"buttons":0,"extra":1}"#,
            "not json",
        ] {
            assert!(matches!(parse(bad), Err(EventError::Malformed(_))), "{bad}");
        }
        assert!(matches!(
            parse(&" ".repeat(2000)),
            Err(EventError::TooLarge(2000))
        ));
    }

    #[test]
    fn every_kind_of_event_is_held_to_its_rate() {
        use std::time::Duration;
        let mut limiter = EventLimiter::new(120, 50);
        let start = Instant::now();
        let moving = InputEvent::PointerMove {
            x: 0.0,
            y: 0.0,
            buttons: 0,
        };
        let key = parse(r#"{"type":"keydown","key":"a","code":"KeyA"}"#).unwrap();
        let wheel = parse(r#"{"type":"wheel","x":0,"y":0,"dx":0,"dy":1}"#).unwrap();
        let keys = (0..1000).filter(|_| limiter.admit(&key, start)).count();
        assert_eq!(keys, 50, "a burst of one second's worth");
        assert!(
            !limiter.admit(&wheel, start),
            "other kinds share the budget"
        );
        let moves = (0..1000).filter(|_| limiter.admit(&moving, start)).count();
        assert_eq!(
            moves, 1,
            "pointer moves have their own rate, without bursts"
        );
        let later = start + Duration::from_millis(100);
        let refilled = (0..1000).filter(|_| limiter.admit(&key, later)).count();
        assert_eq!(refilled, 5, "refilled at the rate");
        let moves = (0..1000).filter(|_| limiter.admit(&moving, later)).count();
        assert_eq!(moves, 1, "one move per 1/120 s at most");
        assert!(limiter.admit(&moving, later + Duration::from_millis(9)));
        assert!(!EventLimiter::new(0, 0).admit(&key, start), "0 relays none");
    }
}
