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
//! [`LinkMeter::rate`]); in [`Quality::Auto`] a frame goes lossy when its
//! exact delta would not fit in what the link delivers in one frame
//! interval.

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;
use std::time::{Duration, Instant};

use framecast_codec::{EncodeStats, LossyOutcome, TileSet};

use crate::link::LinkMeter;

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

    /// Whether the viewer holds any tile from JPEG (its picture is not exact).
    pub fn is_lossy(&self) -> bool {
        !self.held.is_empty()
    }

    /// When the next held tile is due for refinement, if one is held.
    pub fn next_refinement(&self) -> Option<Instant> {
        self.held.values().min().map(|&sent| sent + self.still_for)
    }

    /// The plan of the next message at `now` over `link`, for a stream
    /// publishing at `fps` whose producer allows `cap` (see
    /// [`Stream::set_quality_cap`](crate::stream::Stream::set_quality_cap)),
    /// with frames of `frame_bytes` bytes cut into `tiles` tiles (of the fine
    /// grid). Notes whether it is a probe (see [`Self::probing`]).
    pub fn plan(
        &mut self,
        now: Instant,
        link: &LinkMeter,
        fps: f64,
        cap: Quality,
        frame_bytes: usize,
        tiles: u32,
    ) -> Plan {
        let budget = budget(link, fps);
        let quality = match self.asked {
            Quality::Lossless => None,
            Quality::Fixed(q) => Some(q),
            Quality::Auto => self.auto(now, budget, link.window_bound()),
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
    /// frames cost (its [`Delivery::probe`](crate::link::Delivery::probe)).
    pub fn probing(&self) -> bool {
        self.probing
    }

    /// The JPEG quality [`Quality::Auto`] sends the next frame at given the
    /// frame's `budget`, `None` for exact: JPEG when the predicted exact
    /// frame outgrows it and the window holds the viewer's frames back
    /// (`window_bound`: see [`LinkMeter::window_bound`]), but an exact
    /// probe now and then. Once on JPEG, only a probe brings exact frames
    /// back: JPEG frames are small enough to go as they come.
    fn auto(&mut self, now: Instant, budget: Option<f64>, window_bound: bool) -> Option<u8> {
        self.probing = false;
        let (Some(budget), Some(exact)) = (budget, self.exact_bytes) else {
            self.probes = None;
            return None;
        };
        if exact <= budget {
            self.probes = None;
            return None;
        }
        if self.probes.is_none() && !window_bound {
            // Exact frames get through as they are made.
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

    /// Updates the held tiles and the predictions after a message of `plan`
    /// was sent at `now` over `link`; `keyframe` messages replace every
    /// tile.
    #[allow(clippy::too_many_arguments)]
    pub fn on_sent(
        &mut self,
        link: &LinkMeter,
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
        let budget = budget(link, fps);
        if let (Some(quality), Some(budget)) = (plan.quality, budget) {
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
            budget_kb = budget.map(|b| (b / 1000.0).round()),
            link_mbit = link.rate().map(|r| (r * 8e-6).round()),
            bandwidth_mbit = link.bandwidth().map(|r| (r * 8e-6).round()),
            min_rtt_ms = link.min_rtt().map(|d| d.as_millis()),
            held = self.held.len(),
            "sent"
        );
    }
}

/// Bytes a frame may take on a link at `fps` frames a second (at most
/// [`EXACT_FPS`]).
fn budget(link: &LinkMeter, fps: f64) -> Option<f64> {
    let fps = if fps > 0.0 {
        fps.clamp(1.0, EXACT_FPS)
    } else {
        EXACT_FPS
    };
    link.rate().map(|rate| rate * LINK_SHARE / fps)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::link::ViewerTimes;

    #[test]
    fn quality_parses_from_the_query() {
        assert_eq!("auto".parse(), Ok(Quality::Auto));
        assert_eq!("lossless".parse(), Ok(Quality::Lossless));
        assert_eq!("75".parse(), Ok(Quality::Fixed(75)));
        for bad in ["0", "101", "-1", "high", ""] {
            assert!(bad.parse::<Quality>().is_err(), "{bad:?}");
        }
    }

    /// A link measured at `rate` bytes a second, whose window holds the
    /// viewer's frames back.
    fn link(rate: f64) -> LinkMeter {
        LinkMeter::measured(rate, true)
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
    fn a_page_decoding_slower_than_its_link_keeps_exact_frames() {
        let mut state = QualityState::new(Quality::Auto, REFINE_AFTER);
        let t0 = Instant::now();
        // 1.2 MB exact frames acked every 20 ms (the page's decode rate:
        // 60 MB/s) of a stream published at 250 a second: exact, at the
        // page's pace.
        state.exact_bytes = Some(1.2e6);
        let plan = state.plan(t0, &link(60e6), 250.0, Quality::Auto, 3_000_000, 256);
        assert_eq!(plan.quality, None);
    }

    #[test]
    fn auto_stays_exact_while_exact_frames_go_as_they_come() {
        // The link measured slow for 1.2 MB frames, but the window has held
        // back few of them lately: they get through as they are made.
        let mut state = QualityState::new(Quality::Auto, REFINE_AFTER);
        state.exact_bytes = Some(1.2e6);
        let t0 = Instant::now();
        let flowing = LinkMeter::measured(10e6, false);
        let plan = state.plan(t0, &flowing, 30.0, Quality::Auto, 3_000_000, 256);
        assert_eq!(plan.quality, None);
        let plan = state.plan(t0, &link(10e6), 30.0, Quality::Auto, 3_000_000, 256);
        assert_eq!(plan.quality, Some(AUTO_QUALITY_START), "held back: JPEG");
        // Once on JPEG, small frames go as they come; that alone does not
        // bring exact frames back (a probe does).
        let plan = state.plan(t0, &flowing, 30.0, Quality::Auto, 3_000_000, 256);
        assert_eq!(plan.quality, Some(AUTO_QUALITY_START));
    }

    #[test]
    fn auto_stays_exact_until_the_link_is_measured() {
        let mut state = QualityState::new(Quality::Auto, REFINE_AFTER);
        state.exact_bytes = Some(1.2e6);
        let unmeasured = LinkMeter::default();
        let plan = state.plan(
            Instant::now(),
            &unmeasured,
            30.0,
            Quality::Auto,
            3_000_000,
            256,
        );
        assert_eq!(plan.quality, None);
    }

    #[test]
    fn auto_goes_lossy_when_the_exact_frame_outgrows_the_link_and_refines_when_still() {
        let mut state = QualityState::new(Quality::Auto, REFINE_AFTER);
        let t0 = Instant::now();
        let frame_bytes = 3_000_000;
        // 100 Mbit/s; an exact frame of 700 KB does not fit in 1/30 s.
        let link = link(12.5e6);
        let exact = Plan::default();
        let stats = EncodeStats {
            tiles: 256,
            tiles_sent: 256,
            bytes: 700_000,
            ..EncodeStats::default()
        };
        state.on_sent(
            &link,
            &exact,
            &stats,
            &LossyOutcome::default(),
            frame_bytes,
            30.0,
            t0,
        );
        let plan = state.plan(t0, &link, 30.0, Quality::Auto, frame_bytes, 256);
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
        state.on_sent(&link, &plan, &stats, &outcome, frame_bytes, 30.0, t0);
        assert!(state.is_lossy());
        assert_eq!(state.next_refinement(), Some(t0 + REFINE_AFTER));
        let later = t0 + Duration::from_millis(100);
        let plan = state.plan(later, &link, 30.0, Quality::Auto, frame_bytes, 256);
        assert_eq!(plan.held, all);
        assert!(plan.refine.is_empty(), "not still long enough");
        let plan = state.plan(
            t0 + REFINE_AFTER,
            &link,
            30.0,
            Quality::Auto,
            frame_bytes,
            256,
        );
        assert!(!plan.refine.is_empty(), "due");
        assert!(plan.refine.len() < 256, "a frame's budget at a time");
        // At 4 frames/s a still region waits two frame intervals.
        state.on_sent(&link, &plan, &stats, &outcome, frame_bytes, 4.0, t0);
        assert_eq!(
            state.next_refinement(),
            Some(t0 + Duration::from_millis(500))
        );
        // The producer's cap overrides: lossless wins over a lossy viewer, a
        // quality caps any viewer's.
        let plan = state.plan(t0, &link, 30.0, Quality::Lossless, frame_bytes, 256);
        assert_eq!(plan.quality, None);
        let mut lossless = QualityState::new(Quality::Lossless, REFINE_AFTER);
        let plan = lossless.plan(t0, &link, 30.0, Quality::Auto, frame_bytes, 256);
        assert_eq!(plan.quality, None);
        let plan = lossless.plan(t0, &link, 30.0, Quality::Fixed(50), frame_bytes, 256);
        assert_eq!(plan.quality, Some(50));
        let mut fixed = QualityState::new(Quality::Fixed(95), REFINE_AFTER);
        let plan = fixed.plan(t0, &link, 30.0, Quality::Fixed(50), frame_bytes, 256);
        assert_eq!(plan.quality, Some(50));
    }

    /// The plan of the next message at `at` over `link`, for a stream of
    /// 3 MB frames in 256 tiles at 30 frames/s.
    fn plan_at(state: &mut QualityState, link: &LinkMeter, at: Instant) -> Plan {
        state.plan(at, link, 30.0, Quality::Auto, 3_000_000, 256)
    }

    /// Notes a message of `plan` of `bytes` sent at `at`, its 256 tiles all
    /// JPEG or all exact.
    fn sent(
        state: &mut QualityState,
        link: &LinkMeter,
        plan: &Plan,
        bytes: usize,
        jpeg: bool,
        at: Instant,
    ) {
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
        state.on_sent(link, plan, &stats, &outcome, 3_000_000, 30.0, at);
    }

    #[test]
    fn auto_on_jpeg_probes_with_exact_frames_and_goes_back_to_them_when_they_fit() {
        let mut state = QualityState::new(Quality::Auto, REFINE_AFTER);
        let t0 = Instant::now();
        let ms = |n: u64| t0 + Duration::from_millis(n);
        // The page takes 700 KB exact frames at 80 Mbit/s (busy with
        // something else, say), a third short of what 30 a second need: JPEG.
        let mut link = link(10e6);
        let plan = plan_at(&mut state, &link, ms(0));
        sent(&mut state, &link, &plan, 700_000, false, ms(0));
        let plan = plan_at(&mut state, &link, ms(100));
        assert_eq!(plan.quality, Some(AUTO_QUALITY_START));
        assert!(!state.probing());
        sent(&mut state, &link, &plan, 60_000, true, ms(100));
        // The JPEG frames' acks measure the round trip: 20 ms.
        let jpeg = link.on_send(60_000, ms(100), true, true, false);
        link.on_ack(&[jpeg], ViewerTimes::default(), ms(121));
        let probe_at = ms(100) + PROBE_AFTER;
        let plan = plan_at(&mut state, &link, probe_at - Duration::from_millis(1));
        assert!(plan.quality.is_some() && !state.probing(), "not yet");
        // A probe: one exact frame, whose ack replaces the estimate.
        let plan = plan_at(&mut state, &link, probe_at);
        assert_eq!(plan.quality, None);
        assert!(state.probing());
        sent(&mut state, &link, &plan, 700_000, false, probe_at);
        let probe = link.on_send(700_000, probe_at, true, true, true);
        let slow = (state.clone(), link.clone());
        let after_probe = |n: u64| probe_at + Duration::from_millis(n);
        // 21 ms of round trip and 4 ms on the link: exact frames fit now.
        let times = ViewerTimes {
            work: Duration::from_millis(8),
            hold: Duration::from_millis(8),
        };
        link.on_ack(&[probe], times, after_probe(33));
        let plan = plan_at(&mut state, &link, after_probe(40));
        assert_eq!(plan.quality, None, "exact frames fit the page now");
        assert!(!state.probing());

        // Had the probe been acked as slowly, JPEG again, and the next probe
        // waits twice as long.
        let (mut slow, mut slow_link) = slow;
        slow_link.on_ack(&[probe], ViewerTimes::default(), after_probe(90));
        assert!(plan_at(&mut slow, &slow_link, after_probe(100))
            .quality
            .is_some());
        let next = probe_at + 2 * PROBE_AFTER;
        plan_at(&mut slow, &slow_link, next - Duration::from_millis(1));
        assert!(!slow.probing());
        plan_at(&mut slow, &slow_link, next);
        assert!(slow.probing());
    }

    #[test]
    fn auto_does_not_probe_a_link_many_frames_too_slow() {
        let mut state = QualityState::new(Quality::Auto, REFINE_AFTER);
        let t0 = Instant::now();
        let ms = |n: u64| t0 + Duration::from_millis(n);
        // 1.3 MB exact frames over 20 Mbit/s: 16 frames' budgets each.
        let link = link(2.5e6);
        let plan = plan_at(&mut state, &link, ms(0));
        sent(&mut state, &link, &plan, 1_300_000, false, ms(0));
        for n in 0..100 {
            let plan = plan_at(&mut state, &link, ms(600 + 100 * n));
            assert!(plan.quality.is_some() && !state.probing(), "{n}");
        }
    }
}
