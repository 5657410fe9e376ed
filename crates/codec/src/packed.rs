//! Packed values: a tile's zigzagged differences (the same values the bit
//! planes take) in groups of [`GROUP`], each group stored in only as many
//! bits a value as its widest value needs, with no entropy coder behind.
//!
//! Natural content (a simulation, a camera) changes everywhere by small
//! amounts whose width hardly varies across a tile: a plasma's up-predicted
//! differences are 2 bits wide in most groups, a camera's 3. Bit planes +
//! LZ4 find the same zero high bits but pay for an LZ4 pass on the way in
//! and out; packing writes them away directly, at a few percent more bytes
//! (the widths, and a group whose one wide value widens all 32).
//!
//! # Layout
//! For `n` values, `g = ceil(n / 32)` groups of 32 (the last padded with
//! zeros): first `ceil(g / 2)` bytes of widths, group `k`'s in the low
//! nibble of byte `k / 2` for even `k` and in the high nibble for odd `k`
//! (each 0 to 8; the high nibble after an odd last group is 0), then for
//! each group in order its `w` low bit planes, four bytes each: bit `i` of
//! byte `q` of plane `b` is bit `b` of value `8q + i` of the group. Every
//! value of a group of width `w` is below `2^w`. The payload is exactly
//! `ceil(g / 2) + 4 * (w_0 + ... + w_{g-1})` bytes.
//!
//! A plane's four bytes are byte `b` of the 8x8 bit transposes of the
//! group's four blocks of eight values ([`crate::planes`]' transpose), so
//! both directions are a transpose and a copy per block.

use wide::u64x2;

use crate::planes::transpose8x2;

/// Values a group holds.
pub(crate) const GROUP: usize = 32;

/// Groups of `len` values.
fn groups(len: usize) -> usize {
    len.div_ceil(GROUP)
}

/// Why a packed payload does not hold `n` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum UnpackError {
    /// A group's width is over 8, or the nibble after an odd last group is
    /// not 0.
    Width { group: usize, width: u8 },
    /// The payload's length is not what its widths say.
    Length { expected: usize, actual: usize },
}

impl std::fmt::Display for UnpackError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            UnpackError::Width { group, width } => {
                write!(f, "group {group} is {width} bits wide, at most 8")
            }
            UnpackError::Length { expected, actual } => {
                write!(f, "the widths say {expected} bytes, the payload has {actual}")
            }
        }
    }
}

/// The group of values at `k`, padded with zeros to [`GROUP`].
#[inline]
fn group(values: &[u8], k: usize) -> [u8; GROUP] {
    match values.get(k * GROUP..(k + 1) * GROUP) {
        Some(whole) => whole.try_into().expect("a group"),
        None => {
            let part = &values[k * GROUP..];
            let mut group = [0; GROUP];
            group[..part.len()].copy_from_slice(part);
            group
        }
    }
}

/// The bits a group's widest value needs, and whether all its values are
/// one value: from the OR and the AND of its bytes, eight at a time.
fn width(group: &[u8; GROUP]) -> (u8, bool) {
    let words: [u64; 4] = std::array::from_fn(|q| read_u64(&group[8 * q..]));
    let fold = |mut word: u64, combine: fn(u64, u64) -> u64| {
        word = combine(word, word >> 32);
        word = combine(word, word >> 16);
        combine(word, word >> 8) as u8
    };
    let any = fold(words[0] | words[1] | words[2] | words[3], |a, b| a | b);
    let all = fold(words[0] & words[1] & words[2] & words[3], |a, b| a & b);
    (8 - any.leading_zeros() as u8, any == all)
}

/// The 8x8 bit transposes of a group's four blocks of eight values: byte
/// `b` of block `q`'s is plane `b` of values `8q .. 8q + 8`.
#[inline]
fn transpose_group(group: [u8; GROUP]) -> [u64; 4] {
    transpose_blocks(bytemuck::cast(group))
}

/// [`crate::planes`]' 8x8 bit transpose of four blocks, two at a time (its
/// own inverse).
#[inline]
fn transpose_blocks(blocks: [u64; 4]) -> [u64; 4] {
    let pairs: [u64x2; 2] = [
        transpose8x2(u64x2::new([blocks[0], blocks[1]])),
        transpose8x2(u64x2::new([blocks[2], blocks[3]])),
    ];
    bytemuck::cast(pairs)
}

fn read_u64(bytes: &[u8]) -> u64 {
    u64::from_le_bytes(bytes[..8].try_into().expect("eight bytes"))
}

/// What packing a tile's values would take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Measure {
    /// The packed payload's length.
    pub len: usize,
    /// Groups whose values are all one value (all zero, or a constant
    /// step): bit planes take those to almost nothing in LZ4, packing to
    /// their width.
    pub uniform_groups: usize,
}

/// The widths of `values`' groups, written into `widths` (one a byte), and
/// what their packing takes.
pub(crate) fn measure(values: &[u8], widths: &mut Vec<u8>) -> Measure {
    widths.clear();
    let mut uniform_groups = 0;
    widths.extend((0..groups(values.len())).map(|k| {
        let (width, uniform) = width(&group(values, k));
        uniform_groups += usize::from(uniform);
        width
    }));
    Measure {
        len: widths.len().div_ceil(2) + 4 * widths.iter().map(|&w| usize::from(w)).sum::<usize>(),
        uniform_groups,
    }
}

/// Appends `values` packed with `widths` (from [`measure`] of the same
/// values) to `out`.
pub(crate) fn pack(values: &[u8], widths: &[u8], out: &mut Vec<u8>) {
    debug_assert_eq!(widths.len(), groups(values.len()));
    out.extend(widths.chunks(2).map(|pair| pair[0] | pair.get(1).map_or(0, |w| w << 4)));
    let start = out.len();
    let planes: usize = widths.iter().map(|&w| usize::from(w)).sum();
    out.resize(start + 4 * planes, 0);
    let mut at = start;
    for (k, &w) in widths.iter().enumerate() {
        let blocks = transpose_group(group(values, k));
        for (b, plane) in out[at..at + 4 * usize::from(w)].chunks_exact_mut(4).enumerate() {
            plane.copy_from_slice(&blocks.map(|block| (block >> (8 * b)) as u8));
        }
        at += 4 * usize::from(w);
    }
}

/// Writes the values `packed` holds into `out`, whose length says how many
/// there are: the inverse of [`pack`], checking every width and the length.
pub(crate) fn unpack_into(packed: &[u8], out: &mut [u8]) -> Result<(), UnpackError> {
    let count = groups(out.len());
    let header = count.div_ceil(2);
    let widths = packed.get(..header).ok_or(UnpackError::Length {
        expected: header,
        actual: packed.len(),
    })?;
    let width_of = |k: usize| (widths[k / 2] >> (4 * (k % 2))) & 0x0f;
    let mut expected = header;
    for k in 0..count {
        let w = width_of(k);
        if w > 8 {
            return Err(UnpackError::Width { group: k, width: w });
        }
        expected += 4 * usize::from(w);
    }
    if count % 2 == 1 && width_of(count) != 0 {
        return Err(UnpackError::Width {
            group: count,
            width: width_of(count),
        });
    }
    if packed.len() != expected {
        return Err(UnpackError::Length {
            expected,
            actual: packed.len(),
        });
    }
    let mut planes = &packed[header..];
    for (k, values) in out.chunks_mut(GROUP).enumerate() {
        let w = usize::from(width_of(k));
        let mut blocks = [0u64; 4];
        for (b, plane) in planes[..4 * w].chunks_exact(4).enumerate() {
            for (block, &byte) in blocks.iter_mut().zip(plane) {
                *block |= u64::from(byte) << (8 * b);
            }
        }
        planes = &planes[4 * w..];
        let blocks = transpose_blocks(blocks);
        let group: [u8; GROUP] = bytemuck::cast(blocks);
        values.copy_from_slice(&group[..values.len()]);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::noise;

    /// The layout as the module documents it, bit by bit.
    fn reference(values: &[u8]) -> Vec<u8> {
        let count = values.len().div_ceil(32);
        let padded = |i: usize| values.get(i).copied().unwrap_or(0);
        let widths: Vec<u8> = (0..count)
            .map(|k| {
                let widest = (0..32).map(|i| padded(32 * k + i)).max().unwrap_or(0);
                8 - widest.leading_zeros() as u8
            })
            .collect();
        let mut out: Vec<u8> = (0..count.div_ceil(2))
            .map(|n| widths[2 * n] | widths.get(2 * n + 1).map_or(0, |w| w << 4))
            .collect();
        for (k, &w) in widths.iter().enumerate() {
            for b in 0..w {
                for q in 0..4 {
                    let mut byte = 0u8;
                    for i in 0..8 {
                        byte |= ((padded(32 * k + 8 * q + i) >> b) & 1) << i;
                    }
                    out.push(byte);
                }
            }
        }
        out
    }

    fn packed(values: &[u8]) -> Vec<u8> {
        let mut widths = Vec::new();
        let measured = measure(values, &mut widths);
        let mut out = Vec::new();
        pack(values, &widths, &mut out);
        assert_eq!(out.len(), measured.len, "measure says the length pack writes");
        out
    }

    #[test]
    fn both_directions_follow_the_layout_at_every_length_and_width() {
        for len in (0..200).chain([1000, 1023, 1024, 1025, 64 * 64 * 3, 104 * 128 * 3]) {
            for bits in 0..=8u32 {
                let mask = ((1u16 << bits) - 1) as u8;
                let values: Vec<u8> = noise(len, ((len as u64) << 4) | u64::from(bits))
                    .into_iter()
                    .map(|v| v & mask)
                    .collect();
                let packed = packed(&values);
                assert_eq!(packed, reference(&values), "{len} values of {bits} bits");
                let mut back = vec![0xAA; len];
                unpack_into(&packed, &mut back).unwrap();
                assert_eq!(back, values, "{len} values of {bits} bits");
            }
        }
    }

    #[test]
    fn each_group_takes_only_its_own_width() {
        // 2-bit values, but one group of 7-bit ones.
        let mut values: Vec<u8> = (0..320).map(|i| (i % 4) as u8).collect();
        values[100] = 100;
        let packed = packed(&values);
        assert_eq!(packed.len(), 5 + 4 * (9 * 2 + 7));
        assert_eq!(packed[1] >> 4, 7, "group 3's width, in the high nibble");
    }

    #[test]
    fn measure_counts_the_groups_of_one_value() {
        // Groups: all 0, all 5, 0..32, all 5 but one 6, then 5 values of 3
        // (padded with zeros: not one value).
        let mut values = vec![0u8; 32];
        values.extend([5; 32]);
        values.extend(0..32);
        values.extend([5; 31]);
        values.push(6);
        values.extend([3; 5]);
        let measured = measure(&values, &mut Vec::new());
        assert_eq!(measured.uniform_groups, 2);
        assert_eq!(measured.len, 3 + 4 * (3 + 5 + 3 + 2));
    }

    #[test]
    fn a_payload_that_is_not_what_its_widths_say_is_refused() {
        let values: Vec<u8> = (0..70).map(|i| (i % 8) as u8).collect();
        let good = packed(&values); // three groups: widths 3, 3, 3
        let mut out = vec![0; 70];
        for cut in 0..good.len() {
            assert!(matches!(
                unpack_into(&good[..cut], &mut out),
                Err(UnpackError::Length { .. })
            ));
        }
        let mut longer = good.clone();
        longer.push(0);
        assert_eq!(
            unpack_into(&longer, &mut out),
            Err(UnpackError::Length {
                expected: good.len(),
                actual: good.len() + 1
            })
        );
        let mut wide = good.clone();
        wide[0] = 0x39; // group 0 of 9 bits
        assert_eq!(
            unpack_into(&wide, &mut out),
            Err(UnpackError::Width { group: 0, width: 9 })
        );
        let mut trailing = good;
        trailing[1] |= 0x10; // the nibble after the third (last) group
        assert_eq!(
            unpack_into(&trailing, &mut out),
            Err(UnpackError::Width { group: 3, width: 1 })
        );
    }
}
