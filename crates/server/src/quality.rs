//! Per-viewer quality: exact pixels while the viewer's link carries them,
//! JPEG tiles for moving natural content while it does not, and the
//! refinement back to exact pixels once a region has stopped moving.
//!
//! The server keeps, per viewer, the tiles it sent as JPEG (**held** tiles,
//! whose exact pixels it does not know) and when it last sent each. A held
//! tile is sent again only whole (a delta against black, or JPEG again):
//! the viewer's framebuffer elsewhere stays exactly what the server thinks,
//! so deltas stay exact, and a held tile left unchanged for
//! [`REFINE_AFTER`] is refined, sent whole and exact.
//!
//! The link is measured from the acks the viewer sends anyway (see
//! [`LinkMeter`]); in [`Quality::Auto`] a frame goes lossy when its exact
//! delta would not fit in what the link delivers in one frame interval.

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;
use std::time::{Duration, Instant};

use framecast_codec::{EncodeStats, LossyOutcome, TileSet};

/// How long a tile sent as JPEG must stay unchanged before it is refined to
/// exact pixels, at least. Xpra waits 0.15 s, jupyter_rfb 0.3 s: long
/// enough that a region still moving is not refined between two of its
/// frames at 10 frames/s, short enough to read as instant. A slower stream
/// waits two of its frame intervals instead, so that an animation at 3
/// frames/s is not refined (at exact cost) between every two frames.
/// Measured on stop-and-go camera frames (`tests/loop/refine_wait.py`,
/// ARCHITECTURE.md): 150 and 200 ms sent the same refinements; 100 ms sent
/// 10% more bytes a second, 300 ms 18% fewer but left pauses of 200 to
/// 300 ms on JPEG.
pub const REFINE_AFTER: Duration = Duration::from_millis(200);

/// The highest JPEG quality [`Quality::Auto`] uses: above it JPEG tiles grow
/// fast for little that the refinement does not bring anyway.
pub const AUTO_QUALITY_MAX: u8 = 90;

/// The lowest JPEG quality [`Quality::Auto`] goes down to on a slow link.
pub const AUTO_QUALITY_MIN: u8 = 30;

/// Where [`Quality::Auto`] starts when it first goes lossy.
pub const AUTO_QUALITY_START: u8 = 80;

/// How long after a viewer's first ack its acks are not taken as samples
/// of its link: a page still starting (Chromium compiling the viewer,
/// first paints) acked 700 KB frames at 65 Mbit/s on loopback, where it
/// takes 400 a second later, and so began on JPEG.
pub const WARM_UP: Duration = Duration::from_secs(1);

/// The share of the time between busy acks a viewer must have spent
/// decoding and painting for the sample to count as its pace rather than
/// the link's (see [`LinkMeter`]).
pub const VIEWER_LIMITED: f64 = 0.5;

/// The frame rate [`Quality::Auto`] keeps exact frames at before it goes
/// JPEG (film's: motion reads as smooth): a faster stream gets exact frames
/// at the rate its link carries them, down to this, rather than JPEG at its
/// own rate. Without it a page that decodes exact frames slower than an
/// uncapped producer publishes them (on loopback) looks like one on a slow
/// link (the acks come at its decode rate) and was sent JPEG: camera 51.9
/// frames/s shown against 59.2 exact. At 30 plasma on loopback still went
/// JPEG now and then (its page acked about 45 exact frames a second, and a
/// frame may use 80% of the link).
pub const EXACT_FPS: f64 = 24.0;

/// The share of the measured link a frame may use: the rest absorbs the
/// estimate's error and the acks' jitter.
const LINK_SHARE: f64 = 0.8;

/// How long [`Quality::Auto`] sends JPEG before it tries one exact frame
/// (a **probe**) to measure again what exact frames cost; the wait doubles
/// after each probe, up to [`PROBE_EVERY_MAX`], until a probe shows the
/// link carries exact frames. Once on JPEG the estimate cannot rise by
/// itself: small messages do not fill the link, and a page decoding JPEG
/// paces its acks. Without probes, a page still starting (its first exact
/// frames acked slowly) left plasma from an uncapped producer on loopback
/// on JPEG for good: 62 KB messages, 42 frames/s painted against 60 exact.
pub const PROBE_AFTER: Duration = Duration::from_secs(1);

/// The longest wait between two probes.
pub const PROBE_EVERY_MAX: Duration = Duration::from_secs(8);

/// A probe is tried only while the predicted exact frame is at most this
/// many frames' budgets: it holds the link that long (about 100 ms at 24
/// frames/s), so a link many times too slow (camera over 20 Mbit/s, 16
/// budgets) is not stalled to learn what is already plain.
const PROBE_MAX_BUDGETS: f64 = 3.0;

/// What a viewer asks for (`?quality=` on its WebSocket URL) or a producer
/// caps a stream at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Quality {
    /// Exact while the link keeps up, JPEG for moving natural content when
    /// it does not (the default).
    #[default]
    Auto,
    /// Exact pixels always, however slow.
    Lossless,
    /// JPEG at this quality (1 to 100) for moving natural content whatever
    /// the link; refined once still.
    Fixed(u8),
}

impl FromStr for Quality {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        match text {
            "auto" => Ok(Quality::Auto),
            "lossless" => Ok(Quality::Lossless),
            number => match number.parse::<u8>() {
                Ok(q @ 1..=100) => Ok(Quality::Fixed(q)),
                _ => Err(format!(
                    "quality is auto, lossless or a JPEG quality from 1 to 100; got {text:?}"
                )),
            },
        }
    }
}

impl fmt::Display for Quality {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Quality::Auto => f.write_str("auto"),
            Quality::Lossless => f.write_str("lossless"),
            Quality::Fixed(q) => write!(f, "{q}"),
        }
    }
}

/// One message sent to a viewer, as the link meter sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Delivery {
    /// Bytes of the message.
    pub bytes: usize,
    /// When it was handed to the socket.
    pub sent_at: Instant,
    /// Whether another message was in flight then (the link was busy, so
    /// the time between acks is the time the link took).
    pub busy: bool,
    /// Whether it was a probe (see [`PROBE_AFTER`]): its ack sets the
    /// estimate outright.
    pub probe: bool,
}

/// The rate a viewer takes bytes at, from the acks: each ack delivers the
/// messages it acknowledges; their bytes over the time since the later of
/// their sending and the previous ack is a sample. Only samples of messages
/// sent while another was in flight count (the link was busy all along, so
/// the time between acks is the time it took), and none in the viewer's
/// first [`WARM_UP`]: until one comes there is no estimate, and
/// [`Quality::Auto`] stays exact. A message sent to an idle link says
/// little: its time counts the round trip (too low a rate), and one smaller
/// than the link's burst passes at the burst's rate (too high: measured on
/// a 10 Mbit/s htb link, 15 KB messages acked at 40 Mbit/s), so it does not
/// move the estimate.
///
/// The time between busy acks is the link's or the viewer's, whichever is
/// slower (the viewer decodes one message while the next arrives). While
/// the viewer says it spends [`VIEWER_LIMITED`] of that time or more
/// decoding and painting (smoothed over its recent acks), the samples are
/// its pace, not the link's: they may raise the estimate, never lower it.
/// Without that, a page decoding JPEG frames of an uncapped producer on
/// loopback (64 KB, about 40 a second) measured as a 30 Mbit/s link and
/// stayed on JPEG. The share is smoothed because judging each sample alone
/// kept exactly the wrong ones: of such a page's acks, 7% came after a
/// pause and looked link-limited (60 KB in 29 ms), and only those counted.
///
/// A probe's sample replaces the estimate, busy or not, viewer-limited or
/// not: an exact frame is large enough that its time is the link's (or the
/// page's) and not the round trip's, and how fast exact frames get through
/// is what [`Quality::Auto`] needs to know.
#[derive(Debug, Clone, Default)]
pub struct LinkMeter {
    /// Bytes a second, smoothed; `None` until the first busy sample.
    rate: Option<f64>,
    /// The share of the time between busy acks the viewer spent decoding
    /// and painting, smoothed.
    viewer_share: f64,
    first_ack: Option<Instant>,
    last_ack: Option<Instant>,
    /// The shortest time from sending to ack seen: the round trip plus
    /// the viewer's decode, for logs.
    min_round_trip: Option<Duration>,
}

impl LinkMeter {
    /// Weight of a new busy sample.
    const SMOOTHING: f64 = 0.3;

    /// Takes the messages one ack acknowledged, oldest first.
    /// `viewer_work` is the time the viewer says it spent decoding and
    /// painting since its previous ack.
    pub fn on_ack(&mut self, delivered: &[Delivery], viewer_work: Duration, now: Instant) {
        let Some(first) = delivered.first() else {
            return;
        };
        let start = self
            .last_ack
            .map_or(first.sent_at, |last| last.max(first.sent_at));
        let first_ack = *self.first_ack.get_or_insert(now);
        let round_trip = now.saturating_duration_since(first.sent_at);
        self.min_round_trip = Some(
            self.min_round_trip
                .map_or(round_trip, |r| r.min(round_trip)),
        );
        self.last_ack = Some(now);

        let seconds = now.saturating_duration_since(start).as_secs_f64().max(1e-4);
        let sample = delivered.iter().map(|d| d.bytes).sum::<usize>() as f64 / seconds;
        if delivered.iter().any(|d| d.probe) {
            self.rate = Some(sample);
            return;
        }
        if !first.busy || now < first_ack + WARM_UP {
            return;
        }
        let share = (viewer_work.as_secs_f64() / seconds).min(1.0);
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

    /// Bytes a second the viewer takes, once measured with the link busy.
    pub fn rate(&self) -> Option<f64> {
        self.rate
    }

    /// Whether the viewer, not the link, paces the acks lately: it spends
    /// [`VIEWER_LIMITED`] of the time between them decoding and painting.
    fn viewer_limited(&self) -> bool {
        self.viewer_share >= VIEWER_LIMITED
    }

    /// The shortest send-to-ack time seen.
    pub fn min_round_trip(&self) -> Option<Duration> {
        self.min_round_trip
    }
}

/// What the next message to a viewer may be: the key of the encode cache
/// besides the frame and base, so that viewers in the same state share one
/// message.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Plan {
    /// JPEG quality for moving natural tiles; `None`: all exact.
    pub quality: Option<u8>,
    /// Tiles the viewer holds from JPEG.
    pub held: TileSet,
    /// Of those, the ones to send exactly now.
    pub refine: TileSet,
}

/// When [`Quality::Auto`] next tries an exact frame while it sends JPEG.
#[derive(Debug, Clone, Copy)]
struct Probes {
    /// From when the wait counts: going lossy, or the last probe.
    since: Instant,
    /// How long after `since` the next probe goes.
    every: Duration,
}

/// One viewer's quality state: what it asked for, its link, the tiles it
/// holds from JPEG and the quality [`Quality::Auto`] is at.
#[derive(Debug, Clone)]
pub struct QualityState {
    asked: Quality,
    refine_after: Duration,
    /// How long held tiles wait: `refine_after`, or two frame intervals of
    /// the stream when that is longer.
    still_for: Duration,
    link: LinkMeter,
    /// Held tiles and when each was last sent as JPEG.
    held: HashMap<u32, Instant>,
    /// The JPEG quality of [`Quality::Auto`] when lossy.
    auto_quality: u8,
    /// Bytes of an exact tile over its raw bytes, lately: predicts what a
    /// frame sent as JPEG would cost exactly. `None` until measured.
    exact_ratio: Option<f64>,
    /// What the last frame would have cost exactly, predicted.
    exact_bytes: Option<f64>,
    /// Set while [`Quality::Auto`] sends JPEG.
    probes: Option<Probes>,
    /// Whether the last plan was a probe.
    probing: bool,
}

impl QualityState {
    /// A viewer's state when it connects.
    pub fn new(asked: Quality, refine_after: Duration) -> Self {
        QualityState {
            asked,
            refine_after,
            still_for: refine_after,
            link: LinkMeter::default(),
            held: HashMap::new(),
            auto_quality: AUTO_QUALITY_START,
            exact_ratio: None,
            exact_bytes: None,
            probes: None,
            probing: false,
        }
    }

    /// What the viewer asked for.
    pub fn asked(&self) -> Quality {
        self.asked
    }

    /// Takes the messages an ack acknowledged.
    pub fn on_ack(&mut self, delivered: &[Delivery], viewer_work: Duration, now: Instant) {
        self.link.on_ack(delivered, viewer_work, now);
    }

    /// Whether the viewer holds any tile from JPEG (its picture is not exact).
    pub fn is_lossy(&self) -> bool {
        !self.held.is_empty()
    }

    /// When the next held tile is due for refinement, if one is held.
    pub fn next_refinement(&self) -> Option<Instant> {
        self.held.values().min().map(|&sent| sent + self.still_for)
    }

    /// The plan of the next message at `now`, for a stream publishing at
    /// `fps` whose producer allows `cap` (see
    /// [`Stream::set_quality_cap`](crate::stream::Stream::set_quality_cap)),
    /// with frames of `frame_bytes` bytes cut into `tiles` tiles (of the fine
    /// grid). Notes whether it is a probe (see [`Self::probing`]).
    pub fn plan(
        &mut self,
        now: Instant,
        fps: f64,
        cap: Quality,
        frame_bytes: usize,
        tiles: u32,
    ) -> Plan {
        let budget = self.budget(fps);
        let quality = match self.asked {
            Quality::Lossless => None,
            Quality::Fixed(q) => Some(q),
            Quality::Auto => self.auto(now, budget),
        };
        let quality = match cap {
            Quality::Auto => quality,
            Quality::Lossless => None,
            Quality::Fixed(cap) => Some(quality.map_or(cap, |q| q.min(cap))),
        };
        self.probing &= quality.is_none();
        let held: TileSet = self.held.keys().copied().collect();
        // Refine the tiles that have been still longest, as many as a frame's
        // budget carries exactly (at least one).
        let mut due: Vec<(Instant, u32)> = self
            .held
            .iter()
            .filter(|(_, &sent)| now >= sent + self.still_for)
            .map(|(&index, &sent)| (sent, index))
            .collect();
        due.sort_unstable();
        let tile_cost = self.exact_ratio() * frame_bytes as f64 / f64::from(tiles.max(1));
        let most = budget.map_or(usize::MAX, |budget| {
            ((budget / tile_cost.max(1.0)) as usize).max(1)
        });
        let refine = due.into_iter().take(most).map(|(_, index)| index).collect();
        Plan {
            quality,
            held,
            refine,
        }
    }

    /// Whether the last plan was a probe: an exact frame while
    /// [`Quality::Auto`] sends JPEG, whose ack measures again what exact
    /// frames cost (its [`Delivery::probe`]).
    pub fn probing(&self) -> bool {
        self.probing
    }

    /// The JPEG quality [`Quality::Auto`] sends the next frame at given the
    /// frame's `budget`, `None` for exact: JPEG when the predicted exact
    /// frame outgrows it, but an exact probe now and then.
    fn auto(&mut self, now: Instant, budget: Option<f64>) -> Option<u8> {
        self.probing = false;
        let (Some(budget), Some(exact)) = (budget, self.exact_bytes) else {
            self.probes = None;
            return None;
        };
        if exact <= budget {
            self.probes = None;
            return None;
        }
        let probes = self.probes.get_or_insert(Probes {
            since: now,
            every: PROBE_AFTER,
        });
        if now >= probes.since + probes.every && exact <= PROBE_MAX_BUDGETS * budget {
            *probes = Probes {
                since: now,
                every: (probes.every * 2).min(PROBE_EVERY_MAX),
            };
            self.probing = true;
            return None;
        }
        Some(self.auto_quality)
    }

    /// Bytes of an exact tile over its raw bytes, as measured (a guess of
    /// one half until then).
    fn exact_ratio(&self) -> f64 {
        self.exact_ratio.unwrap_or(0.5)
    }

    /// Bytes a frame may take on the viewer's link at `fps` frames a second
    /// (at most [`EXACT_FPS`]).
    fn budget(&self, fps: f64) -> Option<f64> {
        let fps = if fps > 0.0 {
            fps.clamp(1.0, EXACT_FPS)
        } else {
            EXACT_FPS
        };
        self.link.rate().map(|rate| rate * LINK_SHARE / fps)
    }

    /// Updates the held tiles and the predictions after a message of `plan`
    /// was sent at `now`; `keyframe` messages replace every tile.
    pub fn on_sent(
        &mut self,
        plan: &Plan,
        stats: &EncodeStats,
        outcome: &LossyOutcome,
        frame_bytes: usize,
        fps: f64,
        now: Instant,
    ) {
        if stats.keyframe {
            self.held.clear();
        }
        let two_frames = if fps > 0.0 { 2.0 / fps } else { 0.0 };
        self.still_for = self
            .refine_after
            .max(Duration::from_secs_f64(two_frames.min(10.0)));
        for index in outcome.exact.iter() {
            self.held.remove(&index);
        }
        for index in outcome.jpeg.iter() {
            self.held.insert(index, now);
        }
        let raw_per_tile = frame_bytes as f64 / f64::from(stats.tiles.max(1));
        // Every tile sent is JPEG or exact, on whichever grid the message used.
        let exact_tiles = stats.tiles_sent - stats.tiles_jpeg;
        let exact_bytes = stats.bytes.saturating_sub(stats.jpeg_bytes) as f64;
        let exact_raw = f64::from(exact_tiles) * raw_per_tile;
        if exact_raw >= frame_bytes as f64 / 16.0 {
            let ratio = (exact_bytes / exact_raw).clamp(0.001, 1.1);
            self.exact_ratio = Some(match self.exact_ratio {
                Some(smoothed) => smoothed + 0.3 * (ratio - smoothed),
                None => ratio,
            });
        }
        // A refinement resends still tiles: it says nothing of the motion.
        if stats.tiles_jpeg > 0 || plan.refine.is_empty() {
            let jpeg_raw = f64::from(stats.tiles_jpeg) * raw_per_tile;
            self.exact_bytes = Some(exact_bytes + self.exact_ratio() * jpeg_raw);
        }
        if let (Some(quality), Some(budget)) = (plan.quality, self.budget(fps)) {
            if self.asked == Quality::Auto && stats.tiles_jpeg > 0 {
                let jpeg = stats.jpeg_bytes as f64;
                self.auto_quality = if jpeg > budget {
                    quality.saturating_sub(10).max(AUTO_QUALITY_MIN)
                } else if jpeg < budget / 2.0 {
                    (quality + 5).min(AUTO_QUALITY_MAX)
                } else {
                    quality
                };
            }
        }
        tracing::debug!(
            quality = ?plan.quality,
            probe = self.probing,
            refined = plan.refine.len(),
            jpeg_tiles = stats.tiles_jpeg,
            bytes = stats.bytes,
            exact_kb = self.exact_bytes.map(|b| (b / 1000.0).round()),
            budget_kb = self.budget(fps).map(|b| (b / 1000.0).round()),
            link_mbit = self.link.rate().map(|r| (r * 8e-6).round()),
            min_round_trip_ms = self.link.min_round_trip().map(|d| d.as_millis()),
            held = self.held.len(),
            "sent"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quality_parses_from_the_query() {
        assert_eq!("auto".parse(), Ok(Quality::Auto));
        assert_eq!("lossless".parse(), Ok(Quality::Lossless));
        assert_eq!("75".parse(), Ok(Quality::Fixed(75)));
        for bad in ["0", "101", "-1", "high", ""] {
            assert!(bad.parse::<Quality>().is_err(), "{bad:?}");
        }
    }

    fn delivery(bytes: usize, sent_at: Instant, busy: bool) -> Delivery {
        Delivery {
            bytes,
            sent_at,
            busy,
            probe: false,
        }
    }

    /// A new viewer's state with its keyframe acked, and when its warm-up
    /// is over (its acks count from then on).
    fn warmed_up(asked: Quality) -> (QualityState, Instant) {
        let mut state = QualityState::new(asked, REFINE_AFTER);
        let start = Instant::now();
        state.on_ack(&[delivery(1_000, start, false)], Duration::ZERO, start);
        (state, start + WARM_UP)
    }

    /// The stats of a message whose 256 tiles were all sent, `jpeg` of them
    /// as JPEG, in `bytes`.
    fn sent_stats(bytes: usize, jpeg: u32) -> EncodeStats {
        EncodeStats {
            tiles: 256,
            tiles_sent: 256,
            tiles_jpeg: jpeg,
            bytes,
            jpeg_bytes: if jpeg > 0 { bytes } else { 0 },
            ..EncodeStats::default()
        }
    }

    #[test]
    fn busy_samples_measure_the_link_and_idle_ones_do_not_move_it() {
        let t0 = Instant::now();
        let ms = |n: u64| t0 + Duration::from_millis(n);
        let mut link = LinkMeter::default();
        // A page still starting: its acks are not samples.
        link.on_ack(
            &[delivery(1_000_000, ms(0), false)],
            Duration::ZERO,
            ms(100),
        );
        link.on_ack(
            &[delivery(1_000_000, ms(50), true)],
            Duration::ZERO,
            ms(900),
        );
        assert_eq!(link.rate(), None);
        // 1 MB a message, an ack every 100 ms while the link is busy: 10 MB/s.
        for n in 10..30 {
            link.on_ack(
                &[delivery(1_000_000, ms(100 * n - 50), true)],
                Duration::ZERO,
                ms(100 * (n + 1)),
            );
        }
        let rate = link.rate().unwrap();
        assert!((rate - 10e6).abs() < 0.5e6, "{rate}");
        // Once the viewer is seen decoding most of the time between acks,
        // they come at its pace (1.6 MB/s here), which no longer lowers the
        // estimate.
        let page_paced = |link: &mut LinkMeter, n: u64| {
            link.on_ack(
                &[delivery(64_000, ms(3000 + 40 * n), true)],
                Duration::from_millis(36),
                ms(3040 + 40 * n),
            );
        };
        for n in 0..3 {
            page_paced(&mut link, n);
        }
        let rate = link.rate().unwrap();
        assert!(rate > 3e6, "{rate}");
        for n in 3..30 {
            page_paced(&mut link, n);
        }
        assert_eq!(link.rate(), Some(rate));
        // A small message to an idle link, its ack a round trip later (the
        // sample is low), or through a burst (high): both ignored.
        link.on_ack(
            &[delivery(10_000, ms(5000), false)],
            Duration::ZERO,
            ms(5020),
        );
        assert_eq!(link.rate(), Some(rate));
        link.on_ack(
            &[delivery(10_000, ms(5100), false)],
            Duration::ZERO,
            ms(5101),
        );
        assert_eq!(link.rate(), Some(rate));
        assert_eq!(link.min_round_trip(), Some(Duration::from_millis(1)));
    }

    #[test]
    fn a_page_decoding_slower_than_its_link_keeps_exact_frames() {
        let (mut state, t0) = warmed_up(Quality::Auto);
        let ms = |n: u64| t0 + Duration::from_millis(n);
        // 1.2 MB exact frames acked every 20 ms (the page's decode rate) of a
        // stream published at 250 a second: exact, at the page's pace.
        state.on_ack(&[delivery(1_200_000, ms(0), false)], Duration::ZERO, ms(20));
        for n in 1..10 {
            state.on_ack(
                &[delivery(1_200_000, ms(20 * n - 10), true)],
                Duration::ZERO,
                ms(20 * (n + 1)),
            );
        }
        state.exact_bytes = Some(1.2e6);
        assert!(state.link.rate().is_some());
        assert_eq!(
            state.plan(t0, 250.0, Quality::Auto, 3_000_000, 256).quality,
            None
        );
    }

    #[test]
    fn auto_goes_lossy_when_the_exact_frame_outgrows_the_link_and_refines_when_still() {
        let (mut state, t0) = warmed_up(Quality::Auto);
        let frame_bytes = 3_000_000;
        assert_eq!(
            state
                .plan(t0, 30.0, Quality::Auto, frame_bytes, 256)
                .quality,
            None,
            "exact until measured"
        );
        // 100 Mbit/s; an exact frame of 700 KB does not fit in 1/30 s.
        state.on_ack(
            &[delivery(700_000, t0, true)],
            Duration::ZERO,
            t0 + Duration::from_millis(56),
        );
        let exact = Plan::default();
        let stats = EncodeStats {
            tiles: 256,
            tiles_sent: 256,
            bytes: 700_000,
            ..EncodeStats::default()
        };
        state.on_sent(
            &exact,
            &stats,
            &LossyOutcome::default(),
            frame_bytes,
            30.0,
            t0,
        );
        let plan = state.plan(t0, 30.0, Quality::Auto, frame_bytes, 256);
        assert_eq!(plan.quality, Some(AUTO_QUALITY_START));
        // Every tile sent as JPEG, 60 KB.
        let all: TileSet = (0..256).collect();
        let stats = EncodeStats {
            tiles: 256,
            tiles_sent: 256,
            tiles_jpeg: 256,
            bytes: 60_000,
            jpeg_bytes: 59_000,
            ..EncodeStats::default()
        };
        let outcome = LossyOutcome {
            jpeg: all.clone(),
            exact: TileSet::new(),
        };
        state.on_sent(&plan, &stats, &outcome, frame_bytes, 30.0, t0);
        assert!(state.is_lossy());
        assert_eq!(state.next_refinement(), Some(t0 + REFINE_AFTER));
        let plan = state.plan(
            t0 + Duration::from_millis(100),
            30.0,
            Quality::Auto,
            frame_bytes,
            256,
        );
        assert_eq!(plan.held, all);
        assert!(plan.refine.is_empty(), "not still long enough");
        let plan = state.plan(t0 + REFINE_AFTER, 30.0, Quality::Auto, frame_bytes, 256);
        assert!(!plan.refine.is_empty(), "due");
        assert!(plan.refine.len() < 256, "a frame's budget at a time");
        // At 4 frames/s a still region waits two frame intervals.
        state.on_sent(&plan, &stats, &outcome, frame_bytes, 4.0, t0);
        assert_eq!(
            state.next_refinement(),
            Some(t0 + Duration::from_millis(500))
        );
        // The producer's cap overrides: lossless wins over a lossy viewer, a
        // quality caps any viewer's.
        assert_eq!(
            state
                .plan(t0, 30.0, Quality::Lossless, frame_bytes, 256)
                .quality,
            None
        );
        let mut lossless = QualityState::new(Quality::Lossless, REFINE_AFTER);
        assert_eq!(
            lossless
                .plan(t0, 30.0, Quality::Auto, frame_bytes, 256)
                .quality,
            None
        );
        assert_eq!(
            lossless
                .plan(t0, 30.0, Quality::Fixed(50), frame_bytes, 256)
                .quality,
            Some(50)
        );
        let mut fixed = QualityState::new(Quality::Fixed(95), REFINE_AFTER);
        assert_eq!(
            fixed
                .plan(t0, 30.0, Quality::Fixed(50), frame_bytes, 256)
                .quality,
            Some(50)
        );
    }

    /// The plan of the next message at `at`, for a stream of 3 MB frames
    /// in 256 tiles at 30 frames/s.
    fn plan_at(state: &mut QualityState, at: Instant) -> Plan {
        state.plan(at, 30.0, Quality::Auto, 3_000_000, 256)
    }

    /// Notes a message of `plan` of `bytes` sent at `at`, its 256 tiles all
    /// JPEG or all exact.
    fn sent(state: &mut QualityState, plan: &Plan, bytes: usize, jpeg: bool, at: Instant) {
        let all: TileSet = (0..256).collect();
        let (jpeg_tiles, exact) = if jpeg {
            (all, TileSet::new())
        } else {
            (TileSet::new(), all)
        };
        let stats = sent_stats(bytes, jpeg_tiles.len() as u32);
        let outcome = LossyOutcome {
            jpeg: jpeg_tiles,
            exact,
        };
        state.on_sent(plan, &stats, &outcome, 3_000_000, 30.0, at);
    }

    #[test]
    fn auto_on_jpeg_probes_with_exact_frames_and_goes_back_to_them_when_they_fit() {
        let (mut state, t0) = warmed_up(Quality::Auto);
        let ms = |n: u64| t0 + Duration::from_millis(n);
        // The page acks 700 KB exact frames at 80 Mbit/s (busy with
        // something else, say), a third short of what 30 a second need: JPEG.
        let plan = plan_at(&mut state, ms(0));
        sent(&mut state, &plan, 700_000, false, ms(0));
        state.on_ack(&[delivery(700_000, ms(0), true)], Duration::ZERO, ms(70));
        let plan = plan_at(&mut state, ms(100));
        assert_eq!(plan.quality, Some(AUTO_QUALITY_START));
        assert!(!state.probing());
        sent(&mut state, &plan, 60_000, true, ms(100));
        let probe_at = ms(100) + PROBE_AFTER;
        let plan = plan_at(&mut state, probe_at - Duration::from_millis(1));
        assert!(plan.quality.is_some() && !state.probing(), "not yet");
        // A probe: one exact frame, whose ack replaces the estimate.
        let plan = plan_at(&mut state, probe_at);
        assert_eq!(plan.quality, None);
        assert!(state.probing());
        sent(&mut state, &plan, 700_000, false, probe_at);
        let probe = Delivery {
            probe: true,
            ..delivery(700_000, probe_at, false)
        };
        let mut slow = state.clone();
        let ms_after_probe = |n: u64| probe_at + Duration::from_millis(n);
        state.on_ack(&[probe], Duration::from_millis(8), ms_after_probe(10));
        let plan = plan_at(&mut state, ms_after_probe(20));
        assert_eq!(plan.quality, None, "exact frames fit the page now");
        assert!(!state.probing());

        // Had the probe been acked as slowly, JPEG again, and the next probe
        // waits twice as long.
        slow.on_ack(&[probe], Duration::ZERO, ms_after_probe(70));
        assert!(plan_at(&mut slow, ms_after_probe(100)).quality.is_some());
        let next = probe_at + 2 * PROBE_AFTER;
        plan_at(&mut slow, next - Duration::from_millis(1));
        assert!(!slow.probing());
        plan_at(&mut slow, next);
        assert!(slow.probing());
    }

    #[test]
    fn auto_does_not_probe_a_link_many_frames_too_slow() {
        let (mut state, t0) = warmed_up(Quality::Auto);
        let ms = |n: u64| t0 + Duration::from_millis(n);
        // 1.3 MB exact frames over 20 Mbit/s: 16 frames' budgets each.
        let plan = plan_at(&mut state, ms(0));
        sent(&mut state, &plan, 1_300_000, false, ms(0));
        state.on_ack(&[delivery(1_300_000, ms(0), true)], Duration::ZERO, ms(520));
        for n in 0..100 {
            let plan = plan_at(&mut state, ms(600 + 100 * n));
            assert!(plan.quality.is_some() && !state.probing(), "{n}");
        }
    }
}
