//! Input events: what viewers do on the canvas (pointer, wheel, keys,
//! resize), sent by the page as JSON text messages and relayed to the
//! stream's producers as the same JSON. Only the forms below pass; anything
//! else is refused, so a producer can trust the shape of what it gets.

use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

/// Largest input event message, in bytes.
pub const MAX_EVENT_BYTES: usize = 1024;

/// Pointer moves forwarded per viewer, at most one per this interval; the
/// ones in between are dropped (the next one carries the newest position).
pub const POINTER_MOVE_INTERVAL: Duration = Duration::from_millis(1000 / 120);

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

/// Drops pointer moves that come faster than [`POINTER_MOVE_INTERVAL`].
#[derive(Debug, Default)]
pub struct MoveLimiter {
    last_forwarded: Option<Instant>,
}

impl MoveLimiter {
    /// Whether to forward `event`, received at `now`.
    pub fn admit(&mut self, event: &InputEvent, now: Instant) -> bool {
        if !matches!(event, InputEvent::PointerMove { .. }) {
            return true;
        }
        if self
            .last_forwarded
            .is_some_and(|last| now.duration_since(last) < POINTER_MOVE_INTERVAL)
        {
            return false;
        }
        self.last_forwarded = Some(now);
        true
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
    fn pointer_moves_are_rate_limited() {
        let mut limiter = MoveLimiter::default();
        let start = Instant::now();
        let moving = InputEvent::PointerMove {
            x: 0.0,
            y: 0.0,
            buttons: 0,
        };
        let wheel = InputEvent::Wheel {
            x: 0.0,
            y: 0.0,
            dx: 0.0,
            dy: 1.0,
        };
        assert!(limiter.admit(&moving, start));
        assert!(!limiter.admit(&moving, start + Duration::from_millis(1)));
        assert!(
            limiter.admit(&wheel, start + Duration::from_millis(1)),
            "only moves are limited"
        );
        assert!(limiter.admit(&moving, start + POINTER_MOVE_INTERVAL));
    }
}
