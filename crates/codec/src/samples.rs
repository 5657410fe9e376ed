//! Differences of wide samples: Gray16's 16-bit values and F32's bit
//! patterns, taken as 32-bit unsigned integers.
//!
//! The encodings of differences (bit planes, packed) work on bytes. A wide
//! sample's difference is taken at its own width (wrapping, so that every bit
//! pattern, NaN included, comes back exactly), zigzagged at that width, and
//! its bytes are then laid out as **byte planes**: the least significant
//! byte of every sample of the tile, then the next byte of every sample, and
//! so on. A 16-bit camera's sensor noise then lives in the first plane and
//! leaves the second mostly zero; a smooth float field's small steps fill
//! the low planes and leave the exponent's almost empty. The planes are what
//! bit planes or packing then take, as they take an 8-bit format's bytes.
//!
//! Measured 2026-12-08 on the benchmark corpus's float field and 16-bit
//! camera: XOR bytes of floats barely compress (their low bits flip at
//! random), while the integer difference of their bit patterns packs to
//! about 0.6 of the raw bytes.

/// A sample type the encodings of differences subtract in.
pub(crate) trait Sample: Copy {
    /// Its bytes.
    const BYTES: usize;
    /// Reads one sample, little-endian.
    fn read(bytes: &[u8]) -> Self;
    /// Writes one sample, little-endian.
    fn write(self, bytes: &mut [u8]);
    /// 0, -1, 1, -2, 2, ... to 0, 1, 2, 3, 4, ... at the sample's width.
    fn zigzag(self) -> Self;
    /// The inverse of [`Sample::zigzag`].
    fn unzigzag(self) -> Self;
}

macro_rules! sample {
    ($type:ty, $signed:ty) => {
        impl Sample for $type {
            const BYTES: usize = std::mem::size_of::<$type>();

            #[inline]
            fn read(bytes: &[u8]) -> Self {
                <$type>::from_le_bytes(bytes[..Self::BYTES].try_into().expect("a sample"))
            }

            #[inline]
            fn write(self, bytes: &mut [u8]) {
                bytes[..Self::BYTES].copy_from_slice(&self.to_le_bytes());
            }

            #[inline]
            fn zigzag(self) -> Self {
                (self << 1) ^ ((self as $signed) >> (<$type>::BITS - 1)) as $type
            }

            #[inline]
            fn unzigzag(self) -> Self {
                (self >> 1) ^ (self & 1).wrapping_neg()
            }
        }
    };
}

sample!(u16, i16);
sample!(u32, i32);

/// Calls `$body` with `$t` bound to the sample type of `$bytes` (2 or 4)
/// bytes.
macro_rules! with_sample {
    ($bytes:expr, $t:ident => $body:expr) => {
        match $bytes {
            2 => {
                type $t = u16;
                $body
            }
            4 => {
                type $t = u32;
                $body
            }
            other => unreachable!("no wide sample of {other} bytes"),
        }
    };
}

/// How each difference is predicted from those already sent, and the
/// prediction subtracted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Prediction {
    /// Not at all: the difference itself.
    None,
    /// By the difference of the same sample in the row above.
    Up,
    /// By the sample to the left and the row above: the up-predicted
    /// difference minus the up-predicted difference to its left (`d - d_left
    /// - d_up + d_up_left`), which takes a smooth change's slope in both
    /// directions away. A simulation's float field changes smoothly from
    /// frame to frame: its differences take 15.3 bits a value up-predicted
    /// and 8.4 this way (`framecast-bench-values`, 2026-12-08).
    Planar,
}

/// Appends the zigzagged differences of one tile row of `sample_bytes`-byte
/// samples (new minus old, at the sample's width; black, all zeros, when
/// `old` is `None`) to `out`, interleaved as the samples are (little-endian):
/// with a row `above`, each minus the difference of the same sample in
/// that row, and with `planar` also minus the sample to its left's so
/// predicted (the row's first as it is).
pub(crate) fn append_differences(
    sample_bytes: usize,
    (new, old): (&[u8], Option<&[u8]>),
    above: Option<(&[u8], Option<&[u8]>)>,
    planar: bool,
    out: &mut Vec<u8>,
) {
    with_sample!(sample_bytes, S => {
        let start = out.len();
        out.resize(start + new.len(), 0);
        let out = &mut out[start..];
        let difference = |new: &[u8], old: Option<&[u8]>, i: usize| {
            let at = i * S::BYTES;
            let old = old.map_or(0, |old| S::read(&old[at..]));
            S::read(&new[at..]).wrapping_sub(old)
        };
        let mut left: S = 0;
        for (i, z) in out.chunks_exact_mut(S::BYTES).enumerate() {
            let d = difference(new, old, i);
            let d = match above {
                Some((new_above, old_above)) => d.wrapping_sub(difference(new_above, old_above, i)),
                None => d,
            };
            let e = if planar { d.wrapping_sub(left) } else { d };
            left = d;
            e.zigzag().write(z);
        }
    })
}

/// Lays out interleaved samples of `sample_bytes` bytes as byte planes in
/// `out` (as long): byte `k` of sample `i` goes to `out[k * n + i]`, `n`
/// being the number of samples.
pub(crate) fn split_planes(sample_bytes: usize, samples: &[u8], out: &mut [u8]) {
    let n = samples.len() / sample_bytes;
    match sample_bytes {
        2 => {
            let (low, high) = out.split_at_mut(n);
            for ((sample, low), high) in samples.chunks_exact(2).zip(low).zip(high) {
                (*low, *high) = (sample[0], sample[1]);
            }
        }
        _ => {
            let (p0, rest) = out.split_at_mut(n);
            let (p1, rest) = rest.split_at_mut(n);
            let (p2, p3) = rest.split_at_mut(n);
            let planes = p0.iter_mut().zip(p1).zip(p2).zip(p3);
            for (sample, (((b0, b1), b2), b3)) in samples.chunks_exact(4).zip(planes) {
                (*b0, *b1, *b2, *b3) = (sample[0], sample[1], sample[2], sample[3]);
            }
        }
    }
}

/// The inverse of [`split_planes`], of the zigzag and of the prediction:
/// `planes` holds the byte planes of a tile's zigzagged values; `out` (as
/// long) gets the differences, interleaved: for [`Prediction::Planar`] each
/// row summed from the left first, then for it and [`Prediction::Up`] the
/// row above's (of `row_samples` samples) added back from the top.
pub(crate) fn join_planes(
    sample_bytes: usize,
    planes: &[u8],
    row_samples: usize,
    prediction: Prediction,
    out: &mut [u8],
) {
    let n = planes.len() / sample_bytes;
    // Each plane zipped with the samples: no index arithmetic or bounds
    // check per byte.
    match sample_bytes {
        2 => {
            let (low, high) = planes.split_at(n);
            for ((sample, &low), &high) in out.chunks_exact_mut(2).zip(low).zip(high) {
                sample.copy_from_slice(&u16::from_le_bytes([low, high]).unzigzag().to_le_bytes());
            }
        }
        _ => {
            let (p0, rest) = planes.split_at(n);
            let (p1, rest) = rest.split_at(n);
            let (p2, p3) = rest.split_at(n);
            let planes = p0.iter().zip(p1).zip(p2).zip(p3);
            for (sample, (((&b0, &b1), &b2), &b3)) in out.chunks_exact_mut(4).zip(planes) {
                sample.copy_from_slice(
                    &u32::from_le_bytes([b0, b1, b2, b3])
                        .unzigzag()
                        .to_le_bytes(),
                );
            }
        }
    }
    with_sample!(sample_bytes, S => {
        let row = (row_samples * S::BYTES).max(1);
        if prediction == Prediction::Planar {
            for row in out.chunks_exact_mut(row) {
                let mut left: S = 0;
                for sample in row.chunks_exact_mut(S::BYTES) {
                    left = S::read(sample).wrapping_add(left);
                    left.write(sample);
                }
            }
        }
        if prediction != Prediction::None {
            for y in 1..out.len() / row {
                let (above, here) = out[(y - 1) * row..(y + 1) * row].split_at_mut(row);
                for (here, above) in here.chunks_exact_mut(S::BYTES).zip(above.chunks_exact(S::BYTES)) {
                    S::read(here).wrapping_add(S::read(above)).write(here);
                }
            }
        }
    })
}

/// Adds `differences` to `samples` (both interleaved, as long), sample by
/// sample at the sample's width, wrapping.
pub(crate) fn add(sample_bytes: usize, samples: &mut [u8], differences: &[u8]) {
    with_sample!(sample_bytes, S => {
        for (sample, difference) in samples
            .chunks_exact_mut(S::BYTES)
            .zip(differences.chunks_exact(S::BYTES))
        {
            S::read(sample).wrapping_add(S::read(difference)).write(sample);
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::noise;

    #[test]
    fn zigzag_orders_by_magnitude_and_inverts_at_each_width() {
        let small: Vec<u16> = [0i16, -1, 1, -2, 2, i16::MAX, i16::MIN]
            .iter()
            .map(|&d| (d as u16).zigzag())
            .collect();
        assert_eq!(small, [0, 1, 2, 3, 4, 0xfffe, 0xffff]);
        assert!((0..=u16::MAX).all(|v| v.zigzag().unzigzag() == v));
        for v in [0u32, 1, 2, 0x7fff_ffff, 0x8000_0000, u32::MAX, 0x7fc0_0001] {
            assert_eq!(v.zigzag().unzigzag(), v);
        }
        assert_eq!((-3i32 as u32).zigzag(), 5);
    }

    #[test]
    fn differences_planes_and_back_are_exact_at_each_width() {
        for sample_bytes in [2, 4] {
            let (row_samples, rows) = (7, 5);
            let row = row_samples * sample_bytes;
            let new = noise(row * rows, 3);
            let old = noise(row * rows, 4);
            for prediction in [Prediction::None, Prediction::Up, Prediction::Planar] {
                let (up, planar) = (
                    prediction != Prediction::None,
                    prediction == Prediction::Planar,
                );
                for base in [Some(&old[..]), None] {
                    let mut z = Vec::new();
                    for y in 0..rows {
                        let pair =
                            |y: usize| (&new[y * row..][..row], base.map(|b| &b[y * row..][..row]));
                        let above = (up && y > 0).then(|| pair(y - 1));
                        append_differences(sample_bytes, pair(y), above, planar, &mut z);
                    }
                    let mut planes = vec![0; z.len()];
                    split_planes(sample_bytes, &z, &mut planes);
                    assert_eq!(planes[0], z[0]);
                    assert_eq!(planes[z.len() / sample_bytes], z[1]);
                    let mut differences = vec![0; z.len()];
                    join_planes(
                        sample_bytes,
                        &planes,
                        row_samples,
                        prediction,
                        &mut differences,
                    );
                    let mut restored = base.map_or(vec![0; new.len()], <[u8]>::to_vec);
                    add(sample_bytes, &mut restored, &differences);
                    assert_eq!(restored, new, "{sample_bytes} bytes, {prediction:?}");
                }
            }
        }
    }

    #[test]
    fn a_small_change_leaves_the_high_planes_zero() {
        let old: Vec<u8> = [1000u16, 4095, 0, 65535]
            .iter()
            .flat_map(|v| v.to_le_bytes())
            .collect();
        let new: Vec<u8> = [1003u16, 4090, 65534, 1]
            .iter()
            .flat_map(|v| v.to_le_bytes())
            .collect();
        let mut z = Vec::new();
        append_differences(2, (&new, Some(&old)), None, false, &mut z);
        let mut planes = vec![0; 8];
        split_planes(2, &z, &mut planes);
        assert_eq!(planes, [6, 9, 3, 4, 0, 0, 0, 0]);
    }
}
