//! What each viewer of a stream has been sent, so that a producer can wait
//! until its newest frame has gone to every viewer before it makes the next
//! ([`Stream::wait_sent`](crate::Stream::wait_sent)): an uncapped loop then
//! runs at the pace of its viewers, as an MJPEG generator runs at its
//! socket's, instead of making frames only to have them replaced.
//!
//! The waiting side is a blocking thread (the Python extension's caller,
//! with the GIL released), so this is a mutex and a condition variable;
//! viewer tasks only lock it briefly to note a frame.

use std::collections::HashMap;
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

/// The newest frame sent to each viewer of one stream.
#[derive(Debug, Default)]
pub struct SentTracker {
    state: Mutex<State>,
    changed: Condvar,
}

#[derive(Debug, Default)]
struct State {
    /// By viewer: the sequence of the newest frame it was sent (0: none).
    by_viewer: HashMap<u64, u64>,
    next_id: u64,
}

/// One viewer's entry, removed when dropped.
#[derive(Debug)]
pub struct SentMark {
    tracker: Arc<SentTracker>,
    id: u64,
}

impl SentTracker {
    /// A new viewer, sent nothing yet.
    pub fn register(self: &Arc<Self>) -> SentMark {
        let mut state = self.lock();
        let id = state.next_id;
        state.next_id += 1;
        state.by_viewer.insert(id, 0);
        SentMark {
            tracker: Arc::clone(self),
            id,
        }
    }

    /// Waits until every viewer registered has been sent frame `seq` or a
    /// later one (at once with none), or has left; false after `timeout`.
    pub fn wait(&self, seq: u64, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        let mut state = self.lock();
        while state.by_viewer.values().any(|&sent| sent < seq) {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return false;
            }
            state = self.changed.wait_timeout(state, left).expect("sent lock").0;
        }
        true
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().expect("sent lock")
    }
}

impl SentMark {
    /// The viewer was sent frame `seq`.
    pub fn sent(&self, seq: u64) {
        if let Some(sent) = self.tracker.lock().by_viewer.get_mut(&self.id) {
            *sent = (*sent).max(seq);
        }
        self.tracker.changed.notify_all();
    }
}

impl Drop for SentMark {
    fn drop(&mut self) {
        self.tracker.lock().by_viewer.remove(&self.id);
        self.tracker.changed.notify_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_for_every_viewer_and_not_for_those_gone() {
        let tracker = Arc::new(SentTracker::default());
        assert!(
            tracker.wait(5, Duration::ZERO),
            "no viewer: nothing to wait for"
        );
        let (fast, slow) = (tracker.register(), tracker.register());
        fast.sent(5);
        assert!(!tracker.wait(5, Duration::from_millis(10)));
        slow.sent(4);
        assert!(!tracker.wait(5, Duration::from_millis(10)));
        slow.sent(6);
        assert!(tracker.wait(5, Duration::ZERO));

        let late = tracker.register();
        let waiter = {
            let tracker = Arc::clone(&tracker);
            std::thread::spawn(move || tracker.wait(6, Duration::from_secs(10)))
        };
        fast.sent(6);
        drop(late); // left without being sent frame 6
        assert!(waiter.join().unwrap());
    }
}
