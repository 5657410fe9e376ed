//! What one viewer's acks say of the path to it: its round-trip time without
//! the viewer's own time, and the rate bytes get through. The flow control
//! sizes what may be in flight from them ([`LinkMeter::window_bytes`]);
//! [`Quality::Auto`](crate::quality::Quality) sizes frames from
//! [`LinkMeter::rate`].
//!
//! Only acks see the whole path: behind the tests' delay relay, a reverse
//! proxy or a notebook's relay, the kernel's view of the socket (`TCP_INFO`)
//! covers the first hop only. Each ack says how long the viewer held the
//! frame before acking it (`hold_us`: waiting for its thread, decoding); the
//! meter takes that off, so that a page busy decoding is not taken for a
//! long path.
//!
//! The samples are BBR's (Cardwell et al., "BBR: Congestion-Based Congestion
//! Control", and its delivery-rate estimation draft), taken per ack:
//! - a **round trip** is the time from a message's sending to its ack, less
//!   the hold; the path's is the least of the last [`MIN_RTT_WINDOW`];
//! - a **delivery rate** is the bytes acknowledged between a message's
//!   sending and its ack, over the longer of the time the sender took to
//!   send them and the time their acks took to come, so that acks arriving
//!   bunched cannot inflate it; the path's is the greatest of the last
//!   [`BANDWIDTH_WINDOW`];
//! - a message sent the moment its frame was published, with the window
//!   open, is **app-limited**: the producer, not the path, set its pace, so
//!   its sample only says the path carries at least that much. For the
//!   window that is what matters (what flows, twice over); the link's rate
//!   behind the quality choice does not take it.
//!
//! What may be in flight is [`WINDOW_GAIN`] times the bandwidth-delay
//! product: twice what the path carries in one round trip, so that a
//! producer's frames flow at its own rate across a long path, and, when the
//! window is what holds frames back, the samples (the window over a round
//! trip) double it each round trip until the path, not the window, is the
//! bottleneck.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// How long the least round trip seen is kept: the path's round trip is the
/// least of this long (BBR's 10 s), so a latency spike does not move it and
/// a route that got longer is noticed within this.
pub const MIN_RTT_WINDOW: Duration = Duration::from_secs(10);

/// How long the greatest delivery rate seen is kept (BBR keeps 10 round
/// trips; 2 s is 10 round trips at 200 ms).
pub const BANDWIDTH_WINDOW: Duration = Duration::from_secs(2);

/// What may be in flight, as a multiple of the bandwidth-delay product
/// (BBR's congestion window gain).
pub const WINDOW_GAIN: f64 = 2.0;

/// How long after a viewer's first ack its acks are not taken as samples
/// of its link for [`LinkMeter::rate`] (the window uses them at once): a
/// page still starting (Chromium compiling the viewer, first paints) acked
/// 700 KB frames at 65 Mbit/s on loopback, where it takes 400 a second
/// later, and so began on JPEG. On a long path the warm-up lasts
/// [`WARM_UP_ROUND_TRIPS`] if that is longer.
pub const WARM_UP: Duration = Duration::from_secs(1);

/// Round trips after a viewer's first ack whose acks are not taken as
/// samples for [`LinkMeter::rate`]: the window starts at two frames and
/// doubles each round trip while it holds frames back, and until it has
/// grown its samples are its own size over a round trip, not the link's
/// rate (plasma at 200 ms went JPEG on them over a path that carries it
/// exactly).
pub const WARM_UP_ROUND_TRIPS: u32 = 5;

/// The share of the time between acks a viewer must have spent decoding
/// and painting for a sample to count as its pace rather than the link's
/// (see [`LinkMeter::rate`]).
pub const VIEWER_LIMITED: f64 = 0.5;

/// The share of a viewer's recent messages that must have waited for the
/// window for its path (or the viewer) to be taken as what bounds its
/// frame rate ([`LinkMeter::window_bound`]), smoothed over about ten
/// messages.
pub const WINDOW_BOUND: f64 = 0.5;

/// Delivery-rate samples over less time than this are not taken: timer
/// and scheduling noise would make them anything.
const MIN_SAMPLE_INTERVAL: Duration = Duration::from_micros(500);

/// One message sent to a viewer, and the state of the meter when it was
/// sent: what its ack's sample is measured from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Delivery {
    /// Bytes of the message.
    pub bytes: usize,
    /// When it was queued for the viewer.
    pub sent_at: Instant,
    /// Whether the producer, not the window, set when it went (see the
    /// module's documentation).
    pub app_limited: bool,
    /// Whether it was a probe (see
    /// [`PROBE_AFTER`](crate::quality::PROBE_AFTER)): its ack sets
    /// [`LinkMeter::rate`] outright.
    pub probe: bool,
    /// Bytes acknowledged in all when it was sent.
    delivered: u64,
    /// When the ack before it was sent came (less its hold), or when it was
    /// sent if nothing was in flight.
    delivered_at: Instant,
    /// When the message that ack acknowledged was sent.
    first_sent_at: Instant,
}

/// What an ack says of the viewer's own time.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ViewerTimes {
    /// Time spent decoding and painting since its previous ack.
    pub work: Duration,
    /// Time from the arrival of the acknowledged message to the ack.
    pub hold: Duration,
}

/// The extreme (least or greatest) of the samples of the last `window`: a
/// monotonic queue, so that each sample is looked at a few times at most.
#[derive(Debug, Clone)]
struct WindowedExtreme<T> {
    window: Duration,
    /// Samples that may still become the extreme, oldest (and most
    /// extreme) first.
    samples: VecDeque<(Instant, T)>,
    /// Whether the least is kept (else the greatest).
    least: bool,
}

impl<T: PartialOrd + Copy> WindowedExtreme<T> {
    fn new(window: Duration, least: bool) -> Self {
        WindowedExtreme {
            window,
            samples: VecDeque::new(),
            least,
        }
    }

    /// Whether `a` is at least as extreme as `b`.
    fn beats(&self, a: T, b: T) -> bool {
        if self.least {
            a <= b
        } else {
            a >= b
        }
    }

    fn update(&mut self, now: Instant, sample: T) {
        while let Some(&(_, last)) = self.samples.back() {
            if !self.beats(sample, last) {
                break;
            }
            self.samples.pop_back();
        }
        self.samples.push_back((now, sample));
        self.expire(now);
    }

    fn expire(&mut self, now: Instant) {
        // The newest sample stays whatever its age: an estimate is kept
        // until a newer one comes.
        while self.samples.len() > 1
            && now.saturating_duration_since(self.samples[0].0) > self.window
        {
            self.samples.pop_front();
        }
    }

    fn get(&self) -> Option<T> {
        self.samples.front().map(|&(_, value)| value)
    }
}

/// One viewer's path as its acks measure it.
#[derive(Debug, Clone)]
pub struct LinkMeter {
    /// Bytes acknowledged in all.
    delivered: u64,
    /// When the last ack came, less its hold.
    delivered_at: Option<Instant>,
    /// When the message the last ack acknowledged was sent.
    first_sent_at: Option<Instant>,
    /// When the last ack came, less its hold, whatever was sent since.
    last_received: Option<Instant>,
    min_rtt: WindowedExtreme<Duration>,
    /// Bytes a second.
    bandwidth: WindowedExtreme<f64>,
    /// The link's rate for the quality choice, bytes a second; `None`
    /// until measured (see [`LinkMeter::rate`]).
    rate: Option<f64>,
    /// The share of the time between acks the viewer spent decoding and
    /// painting, smoothed.
    viewer_share: f64,
    /// The share of messages sent that waited for the window, smoothed.
    held_back_share: f64,
    first_ack: Option<Instant>,
}

impl Default for LinkMeter {
    fn default() -> Self {
        LinkMeter {
            delivered: 0,
            delivered_at: None,
            first_sent_at: None,
            last_received: None,
            min_rtt: WindowedExtreme::new(MIN_RTT_WINDOW, true),
            bandwidth: WindowedExtreme::new(BANDWIDTH_WINDOW, false),
            rate: None,
            viewer_share: 0.0,
            held_back_share: 0.0,
            first_ack: None,
        }
    }
}

impl LinkMeter {
    /// Weight of a new sample in [`LinkMeter::rate`].
    const SMOOTHING: f64 = 0.3;

    /// Notes a message of `bytes` queued for the viewer at `now`;
    /// `idle`: nothing else was in flight. Returns what its ack is
    /// measured against.
    pub fn on_send(
        &mut self,
        bytes: usize,
        now: Instant,
        idle: bool,
        app_limited: bool,
        probe: bool,
    ) -> Delivery {
        let held_back = if app_limited { 0.0 } else { 1.0 };
        self.held_back_share += 0.1 * (held_back - self.held_back_share);
        if idle {
            // Nothing was on its way: the sample of this message starts now.
            self.delivered_at = Some(now);
            self.first_sent_at = Some(now);
        }
        Delivery {
            bytes,
            sent_at: now,
            app_limited,
            probe,
            delivered: self.delivered,
            delivered_at: self.delivered_at.unwrap_or(now),
            first_sent_at: self.first_sent_at.unwrap_or(now),
        }
    }

    /// Takes one ack at `now`, which acknowledged `acked` (oldest first).
    pub fn on_ack(&mut self, acked: &[Delivery], times: ViewerTimes, now: Instant) {
        let Some(newest) = acked.last() else {
            return;
        };
        self.delivered += acked.iter().map(|d| d.bytes as u64).sum::<u64>();
        // The viewer held the frame for `hold`: the path delivered it that
        // much earlier. It cannot have held it for longer than it has been
        // on its way (a viewer's word is bounded by what the server saw).
        let since_sent = now.saturating_duration_since(newest.sent_at);
        let received = now - times.hold.min(since_sent);
        let rtt = received.saturating_duration_since(newest.sent_at);
        self.min_rtt.update(now, rtt);

        let send_elapsed = newest
            .sent_at
            .saturating_duration_since(newest.first_sent_at);
        let ack_elapsed = received.saturating_duration_since(newest.delivered_at);
        let interval = send_elapsed.max(ack_elapsed);
        let ack_gap = self
            .last_received
            .map(|last| received.saturating_duration_since(last));
        self.last_received = Some(received);
        self.delivered_at = Some(received);
        self.first_sent_at = Some(newest.sent_at);
        let first_ack = *self.first_ack.get_or_insert(now);

        let bytes = (self.delivered - newest.delivered) as f64;
        if interval < MIN_SAMPLE_INTERVAL.max(self.min_rtt().unwrap_or_default()) {
            // Shorter than a round trip: acks that came bunched.
            self.bandwidth.expire(now);
            return;
        }
        let sample = bytes / interval.as_secs_f64();
        // Every sample, app-limited or not: the window is to carry what
        // flows (twice over), and a greatest sample kept alone once the
        // others expire would hold the window at a size long gone.
        self.bandwidth.update(now, sample);

        if acked.iter().any(|d| d.probe) {
            // A probe is an exact frame: its time on the path, beyond the
            // round trip, is the link's.
            let transfer = rtt
                .saturating_sub(self.min_rtt().unwrap_or_default())
                .max(Duration::from_millis(1));
            self.rate = Some(sample.max(newest.bytes as f64 / transfer.as_secs_f64()));
            return;
        }
        let round_trips = self.min_rtt().unwrap_or_default() * WARM_UP_ROUND_TRIPS;
        if now < first_ack + WARM_UP.max(round_trips) {
            return;
        }
        if newest.app_limited {
            // The producer set the pace: this says little of the link. A
            // message sent alone counts the round trip (too low a rate
            // across a long path), and one smaller than a shaper's burst
            // passes at the burst's rate (too high: 15 KB messages acked
            // at 40 Mbit/s over a 10 Mbit/s htb link).
            return;
        }
        // The viewer's work since its last ack, over the time since.
        let gap = ack_gap.unwrap_or(interval).max(MIN_SAMPLE_INTERVAL);
        let share = (times.work.as_secs_f64() / gap.as_secs_f64()).min(1.0);
        self.viewer_share += Self::SMOOTHING * (share - self.viewer_share);
        let smoothed = |rate: f64| rate + Self::SMOOTHING * (sample - rate);
        self.rate = match self.rate {
            // The viewer's pace: the link is at least that fast.
            Some(rate) if self.viewer_limited() => Some(smoothed(rate).max(rate)),
            None if self.viewer_limited() => None,
            Some(rate) => Some(smoothed(rate)),
            None => Some(sample),
        };
    }

    /// The rate the quality choice takes the viewer's link to have, bytes a
    /// second; `None` until measured.
    ///
    /// Taken from the samples of messages the window held back (the path or
    /// the viewer was the bottleneck then), after the viewer's first
    /// [`WARM_UP`], smoothed. While the viewer says it spends
    /// [`VIEWER_LIMITED`] of the time between acks or more decoding and
    /// painting (smoothed over its recent acks), the samples are its pace,
    /// not the link's: they may raise the estimate, never lower it. Without
    /// that, a page decoding JPEG frames of an uncapped producer on loopback
    /// (64 KB, about 40 a second) measured as a 30 Mbit/s link and stayed
    /// on JPEG. App-limited samples are not taken: a frame sent alone across
    /// a long path is acked a round trip later whatever the link's speed
    /// (which took a fast link at 100 ms for a slow one), and a small one
    /// passes a shaper at its burst's rate.
    ///
    /// A probe's ack replaces it: an exact frame's time on the path beyond
    /// the round trip is the link's.
    pub fn rate(&self) -> Option<f64> {
        self.rate
    }

    /// Whether the window, not the producer, has set when most of the
    /// viewer's messages went lately ([`WINDOW_BOUND`]): its path or the
    /// viewer itself takes less than the producer makes. While it is not,
    /// every frame gets through as it is made, and an estimate of the link
    /// that says otherwise is wrong: a frame held back now and then by a
    /// hiccup (a page's pause, the relay's timers) is a sample of the
    /// window at that moment, not of the link (camera frames at 50 ms of
    /// round trip went JPEG on such samples for a tenth of their frames).
    pub fn window_bound(&self) -> bool {
        self.held_back_share >= WINDOW_BOUND
    }

    /// Whether the viewer, not the link, paces the acks lately.
    fn viewer_limited(&self) -> bool {
        self.viewer_share >= VIEWER_LIMITED
    }

    /// The path's round trip: the least of the last [`MIN_RTT_WINDOW`].
    pub fn min_rtt(&self) -> Option<Duration> {
        self.min_rtt.get()
    }

    /// The path's delivery rate, bytes a second: the greatest of the last
    /// [`BANDWIDTH_WINDOW`].
    pub fn bandwidth(&self) -> Option<f64> {
        self.bandwidth.get()
    }

    /// A meter whose [`LinkMeter::rate`] is `rate` and whose messages all
    /// waited for the window, or none did, for tests of what reads it.
    #[cfg(test)]
    pub(crate) fn measured(rate: f64, window_bound: bool) -> Self {
        LinkMeter {
            rate: Some(rate),
            held_back_share: if window_bound { 1.0 } else { 0.0 },
            ..LinkMeter::default()
        }
    }

    /// Bytes that may be in flight: [`WINDOW_GAIN`] times the
    /// bandwidth-delay product; `None` until both are measured.
    pub fn window_bytes(&self) -> Option<usize> {
        let rtt = self.min_rtt()?;
        let bandwidth = self.bandwidth()?;
        Some((WINDOW_GAIN * bandwidth * rtt.as_secs_f64()) as usize)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A sender and a path: sends a message every `every` (or as the window
    /// lets it), each taking `rtt` plus its bytes at `rate` to be acked.
    struct Path {
        meter: LinkMeter,
        start: Instant,
        in_flight: VecDeque<(Delivery, Instant)>,
    }

    impl Path {
        fn new() -> Self {
            Path {
                meter: LinkMeter::default(),
                start: Instant::now(),
                in_flight: VecDeque::new(),
            }
        }

        fn at(&self, ms: f64) -> Instant {
            self.start + Duration::from_secs_f64(ms / 1000.0)
        }

        fn send(&mut self, bytes: usize, at_ms: f64, app_limited: bool, ack_at_ms: f64) {
            let now = self.at(at_ms);
            let idle = self.in_flight.is_empty();
            let delivery = self.meter.on_send(bytes, now, idle, app_limited, false);
            self.in_flight.push_back((delivery, self.at(ack_at_ms)));
        }

        /// Acks what is due by `ms`, each with `hold`.
        fn ack_until(&mut self, ms: f64, hold: Duration) {
            while let Some(&(delivery, due)) = self.in_flight.front() {
                if due > self.at(ms) {
                    break;
                }
                self.in_flight.pop_front();
                let times = ViewerTimes {
                    work: Duration::ZERO,
                    hold,
                };
                self.meter.on_ack(&[delivery], times, due + hold);
            }
        }
    }

    #[test]
    fn the_window_grows_each_round_trip_while_it_holds_frames_back() {
        // 10 KB deltas published every 10 ms over a 200 ms path with no
        // bandwidth limit; the sender keeps the window full.
        let mut path = Path::new();
        let rtt = 200.0;
        let mut windows = Vec::new();
        let mut next_send = 0.0;
        for tick in 0..1500 {
            let ms = f64::from(tick);
            path.ack_until(ms, Duration::ZERO);
            let window = path.meter.window_bytes().unwrap_or(20_000).min(1 << 20);
            let in_flight: usize = path.in_flight.iter().map(|(d, _)| d.bytes).sum();
            if ms >= next_send && (in_flight < window || path.in_flight.len() < 2) {
                path.send(10_000, ms, in_flight + 10_000 < window, ms + rtt);
                next_send = ms + 10.0;
            }
            if tick % 200 == 199 {
                windows.push(path.meter.window_bytes());
            }
        }
        assert_eq!(
            path.meter.min_rtt(),
            Some(Duration::from_millis(200)),
            "{windows:?}"
        );
        // The producer's 1 MB/s over 200 ms, twice: 400 KB, reached within
        // a few round trips from two frames in flight.
        let last = windows.last().unwrap().unwrap();
        assert!((350_000..=450_000).contains(&last), "{windows:?}");
        assert!(
            windows[5].unwrap() >= 300_000,
            "grown within 1.2 s: {windows:?}"
        );
    }

    #[test]
    fn the_viewers_hold_is_not_taken_for_the_path() {
        let mut path = Path::new();
        // Acked 5 ms after sending, but the page says it held each for 4.
        for n in 0..50 {
            let ms = f64::from(n) * 20.0;
            path.send(100_000, ms, false, ms + 1.0);
            path.ack_until(ms + 1.0, Duration::from_millis(4));
        }
        assert_eq!(path.meter.min_rtt(), Some(Duration::from_millis(1)));
        // A viewer claiming to have held a frame longer than it was on its
        // way gains nothing from it: the round trip is taken as zero.
        let now = path.at(2000.0);
        let delivery = path.meter.on_send(1_000, now, true, true, false);
        let times = ViewerTimes {
            work: Duration::ZERO,
            hold: Duration::from_secs(3600),
        };
        path.meter
            .on_ack(&[delivery], times, now + Duration::from_millis(2));
        assert_eq!(path.meter.min_rtt(), Some(Duration::ZERO));
        assert_eq!(path.meter.window_bytes(), Some(0));
    }

    #[test]
    fn a_latency_spike_moves_neither_the_round_trip_nor_the_bandwidth() {
        let mut path = Path::new();
        for n in 0..100 {
            let ms = f64::from(n) * 10.0;
            path.send(50_000, ms, false, ms + 50.0);
            path.ack_until(ms, Duration::ZERO);
        }
        let window = path.meter.window_bytes().unwrap();
        let rtt = path.meter.min_rtt();
        // One frame's ack comes 500 ms late (the path stalled a moment).
        path.send(50_000, 1000.0, false, 1550.0);
        path.ack_until(1600.0, Duration::ZERO);
        assert_eq!(path.meter.min_rtt(), rtt);
        assert!(path.meter.window_bytes().unwrap() >= window);
    }

    #[test]
    fn a_stalled_page_is_not_taken_for_a_slow_link() {
        // 50 KB frames back to back over a 20 ms path that takes one every
        // 20 ms (2.5 MB/s), each held back by the window.
        let mut path = Path::new();
        for n in 0..100 {
            let ms = f64::from(n) * 20.0;
            path.send(50_000, ms, false, ms + 20.0);
            path.ack_until(ms, Duration::ZERO);
        }
        path.ack_until(2000.0, Duration::ZERO);
        let rtt = path.meter.min_rtt();
        let rate = path.meter.rate().unwrap();
        assert!((2e6..=3e6).contains(&rate), "{rate}");
        // The page is hidden for 3 s: the frame in flight arrives, and it
        // acks it when it is shown again, saying it held it that long.
        path.send(50_000, 2000.0, false, 2020.0);
        path.ack_until(2020.0, Duration::from_millis(3000));
        assert_eq!(path.meter.min_rtt(), rtt);
        let after = path.meter.rate().unwrap();
        assert!(after >= 0.9 * rate, "{rate} -> {after}");
    }

    #[test]
    fn acks_that_come_bunched_do_not_inflate_the_rate() {
        let mut meter = LinkMeter::default();
        let t0 = Instant::now();
        let ms = |n: u64| t0 + Duration::from_millis(n);
        let send = |meter: &mut LinkMeter, at: u64, idle: bool| {
            meter.on_send(100_000, ms(at), idle, false, false)
        };
        // 100 KB every 10 ms over a 50 ms path: 10 MB/s.
        let mut sent = VecDeque::new();
        for n in 0..40 {
            sent.push_back(send(&mut meter, 10 * n, sent.is_empty()));
            if n >= 5 {
                let d = sent.pop_front().unwrap();
                meter.on_ack(
                    &[d],
                    ViewerTimes::default(),
                    d.sent_at + Duration::from_millis(50),
                );
            }
        }
        let rate = meter.bandwidth().unwrap();
        assert!((9e6..=11e6).contains(&rate), "{rate}");
        // The page stalls, then acks the five in flight within a
        // millisecond: the samples are no faster than the sending was.
        for (n, d) in sent.drain(..).enumerate() {
            meter.on_ack(&[d], ViewerTimes::default(), ms(600 + n as u64 / 4));
        }
        assert!(
            meter.bandwidth().unwrap() <= 11e6,
            "{:?}",
            meter.bandwidth()
        );
    }

    #[test]
    fn app_limited_samples_leave_the_rate_and_the_window_follows_what_flows() {
        let mut path = Path::new();
        // Window-limited: 1 MB frames back to back at 10 MB/s, 10 ms path.
        let mut ack_at: f64 = 10.0;
        for n in 0..30 {
            let ms = f64::from(n) * 100.0;
            ack_at = ack_at.max(ms + 10.0) + 100.0;
            path.send(1_000_000, ms, false, ack_at);
            path.ack_until(ms, Duration::ZERO);
        }
        path.ack_until(10_000.0, Duration::ZERO);
        let rate = path.meter.rate().unwrap();
        assert!((8e6..=12e6).contains(&rate), "{rate}");
        // Then small app-limited frames, acked a round trip later: far
        // below the link's rate, and they do not move it.
        for n in 0..100 {
            let ms = 10_000.0 + f64::from(n) * 33.0;
            path.send(5_000, ms, true, ms + 10.5);
            path.ack_until(ms + 11.0, Duration::ZERO);
        }
        assert_eq!(path.meter.rate(), Some(rate));
        // The window, though, follows what flows now: 5 KB in the 10.5 ms
        // of each message's round trip, far below the 10 MB/s of before.
        let bandwidth = path.meter.bandwidth().unwrap();
        assert!((100e3..=1e6).contains(&bandwidth), "{bandwidth}");
    }

    #[test]
    fn a_page_decoding_slower_than_its_link_only_raises_the_rate() {
        let mut meter = LinkMeter::default();
        let t0 = Instant::now();
        let ms = |n: u64| t0 + Duration::from_millis(n);
        // Past the warm-up, 1 MB frames held back by the window, acked every
        // 100 ms: 10 MB/s.
        let first = meter.on_send(1_000, ms(0), true, false, false);
        meter.on_ack(&[first], ViewerTimes::default(), ms(1));
        let mut previous = meter.on_send(1_000_000, ms(1000), true, false, false);
        for n in 1..20 {
            let next = meter.on_send(1_000_000, ms(1000 + 100 * n - 50), false, false, false);
            meter.on_ack(&[previous], ViewerTimes::default(), ms(1000 + 100 * n));
            previous = next;
        }
        let rate = meter.rate().unwrap();
        assert!((9e6..=11e6).contains(&rate), "{rate}");
        // Then the page decodes 64 KB JPEG frames for 36 of every 40 ms:
        // the acks come at its pace (1.6 MB/s), which does not lower it.
        for n in 0..30 {
            let at = 4000 + 40 * n;
            let next = meter.on_send(64_000, ms(at), false, false, false);
            let times = ViewerTimes {
                work: Duration::from_millis(36),
                hold: Duration::ZERO,
            };
            meter.on_ack(&[previous], times, ms(at + 1));
            previous = next;
        }
        assert!(meter.rate().unwrap() >= rate * 0.3, "{:?}", meter.rate());
        let settled = meter.rate();
        for n in 30..60 {
            let at = 4000 + 40 * n;
            let next = meter.on_send(64_000, ms(at), false, false, false);
            let times = ViewerTimes {
                work: Duration::from_millis(36),
                hold: Duration::ZERO,
            };
            meter.on_ack(&[previous], times, ms(at + 1));
            previous = next;
        }
        assert_eq!(meter.rate(), settled);
    }

    #[test]
    fn an_app_limited_start_leaves_the_rate_unmeasured() {
        // Exact 700 KB frames at 30 a second over a fast 100 ms path, each
        // sent as it is published: acked a round trip later, which says
        // nothing of the link's speed.
        let mut path = Path::new();
        for n in 0..90 {
            let ms = f64::from(n) * 33.3;
            path.send(700_000, ms, true, ms + 106.0);
            path.ack_until(ms, Duration::ZERO);
        }
        assert_eq!(path.meter.rate(), None);
        // The window carries what the producer sends, twice.
        let window = path.meter.window_bytes().unwrap();
        assert!(window >= 4 * 700_000, "{window}");
    }
}
