//! Finding a vertical scroll: most rows of the frame are rows of its base
//! moved up or down by one distance, as when a page, a log or a terminal
//! scrolls. Sent as a [`Scroll`] record, such a frame costs the rows it
//! uncovers instead of every tile (VNC's CopyRect and Xpra's scroll
//! detection do the same).

use crate::frame::FrameRef;
use crate::wire::Scroll;

/// Rows of the frame looked up in the base to find candidate moves.
const SAMPLES: usize = 8;
/// A sample row found in more places than this in the base (a blank line,
/// say) says nothing about the move.
const MAX_PLACES: usize = 4;
/// Samples that must agree on a move before the whole frame is checked.
const AGREEING: usize = 2;

/// The scroll that explains at least half of the frame's rows, if any.
///
/// Cheap when there is none: each sample row is looked for by an 8-byte key
/// from the middle of every base row, and only rows with its key are
/// compared in full; the whole frame is compared once, and only when two
/// samples agree on a move.
pub(crate) fn detect(frame: &FrameRef<'_>, base: &FrameRef<'_>) -> Option<Scroll> {
    let height = frame.height() as usize;
    let stride = frame.stride();
    let (new, old) = (frame.pixels(), base.pixels());
    fn row(pixels: &[u8], stride: usize, y: usize) -> &[u8] {
        &pixels[y * stride..][..stride]
    }
    let new_row = |y: usize| row(new, stride, y);
    let old_row = |y: usize| row(old, stride, y);
    let key_at = (stride / 2).min(stride.saturating_sub(8));
    let key = |row: &[u8]| {
        row.get(key_at..key_at + 8).map_or(0, |bytes| {
            u64::from_le_bytes(bytes.try_into().expect("eight bytes"))
        })
    };
    let base_keys: Vec<u64> = (0..height).map(|y| key(old_row(y))).collect();

    let mut votes: Vec<(i64, usize)> = Vec::new();
    for sample in 0..SAMPLES {
        let y = (2 * sample + 1) * height / (2 * SAMPLES);
        let wanted = new_row(y);
        if old_row(y) == wanted {
            continue; // this row did not move, or did not change
        }
        let wanted_key = key(wanted);
        let places: Vec<usize> = base_keys
            .iter()
            .enumerate()
            .filter(|&(source, &key)| key == wanted_key && old_row(source) == wanted)
            .map(|(source, _)| source)
            .take(MAX_PLACES + 1)
            .collect();
        if places.len() > MAX_PLACES {
            continue;
        }
        for source in places {
            let dy = source as i64 - y as i64;
            match votes.iter_mut().find(|(candidate, _)| *candidate == dy) {
                Some((_, count)) => *count += 1,
                None => votes.push((dy, 1)),
            }
        }
    }
    let (dy, agreeing) = votes.into_iter().max_by_key(|&(_, count)| count)?;
    if agreeing < AGREEING {
        return None;
    }

    // The band: from the first to the last row that matches under the move,
    // with the rows they come from.
    let (mut matched, mut first, mut last) = (0, usize::MAX, 0);
    for y in 0..height {
        let source = y as i64 + dy;
        if (0..height as i64).contains(&source) && new_row(y) == old_row(source as usize) {
            matched += 1;
            first = first.min(y);
            last = y;
        }
    }
    if matched * 2 < height {
        return None;
    }
    let shifted = |y: usize| (y as i64 + dy) as usize;
    let top = first.min(shifted(first));
    let bottom = last.max(shifted(last)) + 1;
    Some(Scroll {
        top: top as u32,
        bottom: bottom as u32,
        dy: dy as i32,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::PixelFormat;

    /// A page of distinct rows (each row's bytes depend on its row).
    fn page(rows: usize, width: usize) -> Vec<u8> {
        (0..rows * width * 3)
            .map(|i| ((i / (width * 3)) * 7 + (i % 13)) as u8)
            .collect()
    }

    fn rgb(width: usize, height: usize, pixels: &[u8]) -> FrameRef<'_> {
        FrameRef::new(width as u32, height as u32, PixelFormat::Rgb8, pixels).unwrap()
    }

    #[test]
    fn finds_a_scroll_down_the_page_and_its_band() {
        let (width, height) = (40, 100);
        let tall = page(height + 5, width);
        let base = &tall[..height * width * 3];
        let frame = &tall[5 * width * 3..]; // content moved up 5 rows
        let scroll = detect(&rgb(width, height, frame), &rgb(width, height, base)).unwrap();
        assert_eq!(
            scroll,
            Scroll {
                top: 0,
                bottom: 100,
                dy: 5
            }
        );
    }

    #[test]
    fn finds_a_scroll_up_under_a_fixed_header() {
        let (width, height) = (40, 100);
        let stride = width * 3;
        let tall = page(height + 3, width);
        let base = tall[3 * stride..].to_vec();
        let mut frame = tall[..height * stride].to_vec(); // content moved down 3 rows
                                                          // Rows 0..10 are a header (each row its own) that stays put in both.
        let header: Vec<u8> = (0..10 * stride)
            .map(|i| (i / stride * 3 + 150) as u8)
            .collect();
        let mut base_with_header = base.clone();
        base_with_header[..10 * stride].copy_from_slice(&header);
        frame[..10 * stride].copy_from_slice(&header);
        let scroll = detect(
            &rgb(width, height, &frame),
            &rgb(width, height, &base_with_header),
        )
        .unwrap();
        assert_eq!(scroll.dy, -3);
        assert_eq!(scroll.bottom, 100);
        assert!(
            scroll.top >= 10,
            "the header is outside the band: {scroll:?}"
        );
    }

    #[test]
    fn no_scroll_in_unrelated_frames() {
        let (width, height) = (40, 100);
        let base = page(height, width);
        let frame: Vec<u8> = base.iter().map(|b| b.wrapping_add(1)).collect();
        assert_eq!(
            detect(&rgb(width, height, &frame), &rgb(width, height, &base)),
            None
        );
    }
}
