//! The server's logs, for Python's `logging`.
//!
//! The server's threads never call into Python (a thread that waits for the
//! GIL while the interpreter closes a server, holding it, would deadlock).
//! A tracing layer queues each record instead, and a Python thread
//! (`framecast/_logs.py`) takes them with [`take`] and hands them to
//! `logging.getLogger("framecast...")`.

use std::collections::VecDeque;
use std::fmt::{self, Write as _};
use std::sync::{Condvar, Mutex, OnceLock};
use std::time::Duration;

use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer};

/// Records waiting for the Python thread; beyond this the newest are
/// dropped and counted (a program whose logging thread is starved must not
/// make the server hold its logs without bound).
pub const MAX_PENDING_RECORDS: usize = 1024;

/// One log record: Python's level number, the logger's name, the message.
pub type Record = (u8, String, String);

#[derive(Debug, Default)]
struct Queue {
    records: VecDeque<Record>,
    dropped: u64,
}

#[derive(Debug, Default)]
pub struct Records {
    queue: Mutex<Queue>,
    ready: Condvar,
}

impl Records {
    fn push(&self, record: Record) {
        let mut queue = self.queue.lock().expect("log queue lock");
        if queue.records.len() < MAX_PENDING_RECORDS {
            queue.records.push_back(record);
        } else {
            queue.dropped += 1;
        }
        self.ready.notify_one();
    }

    /// The records queued, waiting up to `timeout` for the first; a warning
    /// in front says how many were dropped since the last call.
    pub fn take(&self, timeout: Duration) -> Vec<Record> {
        let queue = self.queue.lock().expect("log queue lock");
        let (mut queue, _) = self
            .ready
            .wait_timeout_while(queue, timeout, |queue| {
                queue.records.is_empty() && queue.dropped == 0
            })
            .expect("log queue lock");
        let mut records = Vec::with_capacity(queue.records.len() + 1);
        if queue.dropped > 0 {
            let message = format!(
                "{} log records dropped: more than {MAX_PENDING_RECORDS} were waiting",
                queue.dropped
            );
            records.push((WARNING, "framecast".to_string(), message));
            queue.dropped = 0;
        }
        records.extend(queue.records.drain(..));
        records
    }
}

const WARNING: u8 = 30;

/// Python's number for a tracing level.
fn python_level(level: &Level) -> u8 {
    match *level {
        Level::ERROR => 40,
        Level::WARN => WARNING,
        Level::INFO => 20,
        Level::DEBUG => 10,
        Level::TRACE => 5,
    }
}

/// The Python logger for a tracing target: `framecast_server::viewer` logs
/// to `framecast.viewer`, the server's root (and the command's `framecast`)
/// to `framecast`, any other crate
/// (`actix_server::worker`) to `framecast.actix_server.worker`.
fn logger_name(target: &str) -> String {
    let path = target
        .strip_prefix("framecast_server")
        .or_else(|| (target == "framecast").then_some(""))
        .or_else(|| target.strip_prefix("_native"))
        .map_or_else(|| format!("::{target}"), str::to_string);
    format!("framecast{}", path.replace("::", "."))
}

/// The records of this process, once [`forward`] has installed the layer.
static RECORDS: OnceLock<Records> = OnceLock::new();

/// Sends the logs of this process's tracing to [`take`] from now on, filtered
/// by `RUST_LOG` (by default info and above, but actix's own only from
/// warnings). Returns false if the process already had a subscriber (the
/// `framecast` command's, which prints), so nothing is forwarded.
pub fn forward() -> bool {
    if RECORDS.get().is_some() {
        return true;
    }
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,actix_server=warn"));
    let installed = tracing_subscriber::registry()
        .with(ToQueue.with_filter(filter))
        .try_init()
        .is_ok();
    if installed {
        RECORDS.get_or_init(Records::default);
    }
    installed
}

/// The records forwarded since the last call, waiting up to `timeout` for
/// one; none if logs are not forwarded.
pub fn take(timeout: Duration) -> Vec<Record> {
    match RECORDS.get() {
        Some(records) => records.take(timeout),
        None => Vec::new(),
    }
}

/// The layer that formats each event as the fmt subscriber would (the
/// message, then `key=value` for every field) and queues it.
struct ToQueue;

impl<S: Subscriber> Layer<S> for ToQueue {
    fn on_event(&self, event: &Event<'_>, _context: Context<'_, S>) {
        let Some(records) = RECORDS.get() else {
            return;
        };
        let metadata = event.metadata();
        let mut message = Message::default();
        event.record(&mut message);
        records.push((
            python_level(metadata.level()),
            logger_name(metadata.target()),
            message.text,
        ));
    }
}

#[derive(Default)]
struct Message {
    text: String,
}

impl Visit for Message {
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        let separator = if self.text.is_empty() { "" } else { " " };
        if field.name() == "message" {
            // The message comes first; fields recorded before it move after.
            self.text = format!("{value:?}{separator}{}", self.text);
        } else {
            let _ = write!(self.text, "{separator}{}={value:?}", field.name());
        }
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.record_debug(field, &format_args!("{value}"));
        } else {
            self.record_debug(field, &value);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loggers_are_named_under_framecast() {
        assert_eq!(logger_name("framecast_server"), "framecast");
        assert_eq!(logger_name("framecast"), "framecast");
        assert_eq!(logger_name("framecast_server::viewer"), "framecast.viewer");
        assert_eq!(
            logger_name("actix_server::worker"),
            "framecast.actix_server.worker"
        );
    }

    #[test]
    fn a_full_queue_drops_the_newest_and_says_how_many() {
        let records = Records::default();
        for n in 0..MAX_PENDING_RECORDS + 5 {
            records.push((20, "framecast".into(), n.to_string()));
        }
        let taken = records.take(Duration::ZERO);
        assert_eq!(taken.len(), MAX_PENDING_RECORDS + 1);
        assert_eq!(
            taken[0],
            (
                WARNING,
                "framecast".to_string(),
                format!("5 log records dropped: more than {MAX_PENDING_RECORDS} were waiting")
            )
        );
        assert_eq!(taken[1].2, "0");
        assert_eq!(
            taken.last().unwrap().2,
            (MAX_PENDING_RECORDS - 1).to_string()
        );
        assert!(records.take(Duration::from_millis(1)).is_empty());
    }
}
