//! Bit planes: the byte string reordered so that bit `b` of every byte comes
//! together (HDF5's bitshuffle filter does the same for one-byte elements).
//!
//! A residual of natural content (a camera's sensor noise, a simulation's
//! smooth motion) is small numbers: once zigzagged, its high bits are almost
//! all zero and its low bits close to random. Byte by byte LZ4 finds no
//! repeats in that; plane by plane, the high planes are long runs of zero
//! bytes that LZ4 reduces to almost nothing, and only the noisy low planes
//! cost their size.
//!
//! # Layout
//! For `n` bytes, `m = n / 8` blocks of eight: plane `b` (0 to 7) is `m`
//! bytes at `b * m`, and bit `k` of its byte `j` is bit `b` of input byte
//! `8 * j + k`. The `n % 8` bytes after the last block follow the planes
//! unchanged.
//!
//! Both directions have a vector path (through `wide`, which is SSE2 on
//! x86-64 and simd128 on wasm32 when built with it) and a scalar one for
//! what is left; the tests hold both to the definition above.

use wide::{u64x2, u8x16};

/// Blocks of eight bytes in `len` bytes: the length of each plane.
fn plane_len(len: usize) -> usize {
    len / 8
}

/// Writes `input` as bit planes into `out`, of the same length.
pub(crate) fn shuffle_into(input: &[u8], out: &mut [u8]) {
    assert_eq!(input.len(), out.len());
    let m = plane_len(input.len());
    // Sixteen blocks (128 bytes) at a time: an 8x8 bit transpose of each
    // block (two to a vector) leaves its eight plane bytes in order, and
    // four rounds of interleaving the vectors gather each plane's sixteen.
    let chunks = m / 16;
    for chunk in 0..chunks {
        let at = chunk * 16;
        let mut rows: [u8x16; 8] = std::array::from_fn(|n| {
            let blocks: u64x2 = bytemuck::cast(load16(&input[8 * (at + 2 * n)..]));
            bytemuck::cast(transpose8x2(blocks))
        });
        for _ in 0..4 {
            rows = interleave(rows);
        }
        for (b, row) in rows.into_iter().enumerate() {
            out[b * m + at..][..16].copy_from_slice(&row.to_array());
        }
    }
    for j in chunks * 16..m {
        let block = transpose8(read_u64(&input[8 * j..]));
        for (b, byte) in block.to_le_bytes().into_iter().enumerate() {
            out[b * m + j] = byte;
        }
    }
    out[8 * m..].copy_from_slice(&input[8 * m..]);
}

/// Writes the bytes whose bit planes are `planes` into `out`, of the same
/// length: the inverse of [`shuffle_into`].
pub(crate) fn unshuffle_into(planes: &[u8], out: &mut [u8]) {
    assert_eq!(planes.len(), out.len());
    let m = plane_len(planes.len());
    // Sixteen blocks (128 bytes) at a time: the planes' next sixteen bytes
    // are interleaved three times, which leaves each vector holding two
    // blocks' eight plane bytes in order; an 8x8 bit transpose of each half
    // then gives the blocks' bytes.
    let chunks = m / 16;
    for chunk in 0..chunks {
        let at = chunk * 16;
        let mut rows: [u8x16; 8] = std::array::from_fn(|b| load16(&planes[b * m + at..]));
        for _ in 0..3 {
            rows = interleave(rows);
        }
        for (n, row) in rows.into_iter().enumerate() {
            let bytes = transpose8x2(bytemuck::cast(row));
            let bytes: [u8; 16] = bytemuck::cast(bytes);
            out[8 * (at + 2 * n)..][..16].copy_from_slice(&bytes);
        }
    }
    for j in chunks * 16..m {
        let gathered = u64::from_le_bytes(std::array::from_fn(|b| planes[b * m + j]));
        out[8 * j..][..8].copy_from_slice(&transpose8(gathered).to_le_bytes());
    }
    out[8 * m..].copy_from_slice(&planes[8 * m..]);
}

/// One round of the perfect shuffle of eight vectors: vectors `n` and
/// `n + 4` interleaved byte by byte make vectors `2n` and `2n + 1`. Three
/// rounds take eight planes' sixteen bytes to sixteen blocks' eight, two
/// blocks a vector; four more take them back.
fn interleave(rows: [u8x16; 8]) -> [u8x16; 8] {
    std::array::from_fn(|n| {
        let (low, high) = (rows[n / 2], rows[n / 2 + 4]);
        if n % 2 == 0 {
            u8x16::unpack_low(low, high)
        } else {
            u8x16::unpack_high(low, high)
        }
    })
}

/// Transposes the 8x8 bit matrix whose row `i` is byte `i` of `x` (its bit
/// `j` the column): bit `8i + j` moves to `8j + i`. Its own inverse.
fn transpose8(mut x: u64) -> u64 {
    let mut t = (x ^ (x >> 7)) & 0x00aa_00aa_00aa_00aa;
    x ^= t ^ (t << 7);
    t = (x ^ (x >> 14)) & 0x0000_cccc_0000_cccc;
    x ^= t ^ (t << 14);
    t = (x ^ (x >> 28)) & 0x0000_0000_f0f0_f0f0;
    x ^ t ^ (t << 28)
}

/// [`transpose8`] of both lanes.
fn transpose8x2(mut x: u64x2) -> u64x2 {
    let step = |x: u64x2, shift: u32, mask: u64| {
        let t = (x ^ (x >> shift)) & u64x2::splat(mask);
        x ^ t ^ (t << shift)
    };
    x = step(x, 7, 0x00aa_00aa_00aa_00aa);
    x = step(x, 14, 0x0000_cccc_0000_cccc);
    step(x, 28, 0x0000_0000_f0f0_f0f0)
}

fn load16(bytes: &[u8]) -> u8x16 {
    u8x16::new(bytes[..16].try_into().expect("sixteen bytes"))
}

fn read_u64(bytes: &[u8]) -> u64 {
    u64::from_le_bytes(bytes[..8].try_into().expect("eight bytes"))
}

/// Maps a wrapping byte difference to a small number: 0, -1, 1, -2, 2, ...
/// become 0, 1, 2, 3, 4, ..., so that small changes either way leave the
/// high bits zero.
#[inline]
pub(crate) fn zigzag(difference: u8) -> u8 {
    (difference << 1) ^ ((difference as i8) >> 7) as u8
}

/// The inverse of [`zigzag`].
#[inline]
pub(crate) fn unzigzag(value: u8) -> u8 {
    (value >> 1) ^ (value & 1).wrapping_neg()
}

/// [`unzigzag`] of each of a word's eight bytes.
#[inline]
pub(crate) fn unzigzag8(x: u64) -> u64 {
    const LOW_BITS: u64 = 0x0101_0101_0101_0101;
    // Per byte: `(v >> 1) ^ -(v & 1)`; the product sets a byte to 0xff
    // where its low bit is set, and never carries into the next byte.
    ((x >> 1) & (LOW_BITS * 0x7f)) ^ ((x & LOW_BITS) * 0xff)
}

/// [`unzigzag`] of each of a vector's sixteen bytes, as [`unzigzag8`]
/// (with `256m - m` for the product, which has no lane multiply).
#[inline]
pub(crate) fn unzigzag16(x: u64x2) -> u64x2 {
    const LOW_BITS: u64 = 0x0101_0101_0101_0101;
    let low = x & u64x2::splat(LOW_BITS);
    ((x >> 1) & u64x2::splat(LOW_BITS * 0x7f)) ^ ((low << 8) - low)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::noise;

    /// The layout as the module documents it, bit by bit.
    fn reference(input: &[u8]) -> Vec<u8> {
        let m = input.len() / 8;
        let mut out = vec![0u8; input.len()];
        for b in 0..8 {
            for j in 0..m {
                for k in 0..8 {
                    out[b * m + j] |= ((input[8 * j + k] >> b) & 1) << k;
                }
            }
        }
        out[8 * m..].copy_from_slice(&input[8 * m..]);
        out
    }

    #[test]
    fn both_directions_follow_the_layout_at_every_length() {
        // Lengths around each path's chunk (64 and 128 bytes) and a tile's.
        let lengths = (0..300).chain([1000, 1023, 1024, 1025, 64 * 64 * 3, 104 * 128 * 3]);
        for len in lengths {
            let input = noise(len, len as u64 + 1);
            let mut planes = vec![0; len];
            shuffle_into(&input, &mut planes);
            assert_eq!(planes, reference(&input), "shuffle of {len} bytes");
            let mut back = vec![0; len];
            unshuffle_into(&planes, &mut back);
            assert_eq!(back, input, "unshuffle of {len} bytes");
        }
    }

    #[test]
    fn small_numbers_leave_the_high_planes_zero() {
        let input: Vec<u8> = (0..256).map(|i| (i % 4) as u8).collect();
        let mut planes = vec![0; input.len()];
        shuffle_into(&input, &mut planes);
        assert!(planes[2 * 32..].iter().all(|&byte| byte == 0));
        assert!(planes[..2 * 32].iter().any(|&byte| byte != 0));
    }

    #[test]
    fn zigzag_orders_by_magnitude_and_inverts() {
        let order: Vec<u8> = [0i8, -1, 1, -2, 2, 127, -128]
            .iter()
            .map(|&d| zigzag(d as u8))
            .collect();
        assert_eq!(order, [0, 1, 2, 3, 4, 254, 255]);
        assert!((0..=255u8).all(|v| unzigzag(zigzag(v)) == v));
        let word = u64::from_le_bytes([0, 1, 2, 3, 4, 254, 255, 7]);
        let each = word.to_le_bytes().map(unzigzag);
        assert_eq!(unzigzag8(word).to_le_bytes(), each);
        let pair: [u8; 16] = bytemuck::cast(unzigzag16(u64x2::new([word, !word])));
        let not_each = (!word).to_le_bytes().map(unzigzag);
        assert_eq!(pair, [each, not_each].concat()[..]);
    }
}
