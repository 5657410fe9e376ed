//! Packed values: a tile's zigzagged differences (the same values the bit
//! planes take) in groups of [`GROUP`], each group stored in only as many
//! bits a value as its widest value needs, with no entropy coder behind.
//!
//! Natural content (a simulation, a camera) changes everywhere by small
//! amounts whose width hardly varies across a tile: a plasma's up-predicted
//! differences are 2 bits wide in most groups, a camera's 3. Bit planes +
//! LZ4 find the same zero high bits but pay for an LZ4 pass on the way in
//! and out; packing writes them away directly, at a few percent more bytes
//! (the widths, and a group whose one wide value widens all 32). A tile's
//! widths are mostly one or two values (a plasma's 1, 2 and 3; the first
//! row, predicted from nothing above, is wider), so each takes two bits
//! over a base width, with the rare others escaped to four.
//!
//! # Layout
//! For `n` values, `g = ceil(n / 32)` groups of 32 (the last padded with
//! zeros), group `k` of width `w_k` (0 to 8; every value of the group is
//! below `2^w_k`):
//! 1. One byte: the **base width** `m`, 0 to 8.
//! 2. `ceil(g / 4)` bytes of two-bit **codes**, group `k`'s in bits
//!    `2 * (k % 4)` and `2 * (k % 4) + 1` of byte `k / 4` (the bits after
//!    the last group's are 0). Codes 0, 1 and 2 say that `w_k` is `m`,
//!    `m + 1` or `m + 2`; code 3 that it is the next escaped width.
//! 3. `ceil(e / 2)` bytes of **escaped widths**, `e` the groups of code 3,
//!    in group order: the `j`-th in the low four bits of byte `j / 2` for
//!    even `j` and in the high four for odd `j` (the high four bits after
//!    an odd last one are 0).
//! 4. Each group in order as `4 * w_k` bytes: its `w_k` low **bit
//!    planes**, plane 0 first, four bytes each: bit `i` of byte `q` of plane
//!    `b` is bit `b` of value `8q + i` of the group.
//!
//! The payload is exactly `1 + ceil(g / 4) + ceil(e / 2) + 4 * (w_0 + ... +
//! w_{g-1})` bytes.
//!
//! A group is two vectors of sixteen values, and a plane is what a vector
//! "move mask" (SSE2's `pmovmskb`, WebAssembly's `i8x16.bitmask`) makes of
//! each: the top bit of every byte, once the bytes are shifted to bring bit
//! `b` there. Unpacking spreads each plane byte over eight lanes and tests
//! one bit in each.

use wide::{u16x8, u32x4, u64x2, u8x16};

/// Values a group holds.
pub(crate) const GROUP: usize = 32;

/// The most bytes a group takes packed (eight planes of four bytes).
const GROUP_MAX: usize = GROUP;

/// The code of a group whose width is escaped.
const ESCAPE: u8 = 3;

/// Groups of `len` values.
fn groups(len: usize) -> usize {
    len.div_ceil(GROUP)
}

/// The bytes of the header (base width, codes and `escaped` widths) of
/// `groups` groups.
fn header_len(groups: usize, escaped: usize) -> usize {
    1 + groups.div_ceil(4) + escaped.div_ceil(2)
}

/// The most bytes `len` values take packed: every group 8 bits wide, and
/// escaped.
pub(crate) fn max_len(len: usize) -> usize {
    header_len(groups(len), groups(len)) + GROUP_MAX * groups(len)
}

/// Why a packed payload does not hold `n` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum UnpackError {
    /// The base width is over 8.
    Base(u8),
    /// A group's width is over 8.
    Width { group: usize, width: u8 },
    /// The bits after the last code or the last escaped width are not 0.
    Padding,
    /// The payload's length is not what its widths say.
    Length { expected: usize, actual: usize },
}

impl std::fmt::Display for UnpackError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            UnpackError::Base(width) => write!(f, "the base width is {width} bits, at most 8"),
            UnpackError::Width { group, width } => {
                write!(f, "group {group} is {width} bits wide, at most 8")
            }
            UnpackError::Padding => write!(f, "the bits after the last width are not 0"),
            UnpackError::Length { expected, actual } => {
                write!(
                    f,
                    "the widths say {expected} bytes, the payload has {actual}"
                )
            }
        }
    }
}

/// Packs tiles, keeping its buffers from one to the next.
#[derive(Debug, Default, Clone)]
pub(crate) struct Packer {
    /// The groups' planes of the last tile packed (room for every group at
    /// 8 bits).
    planes: Vec<u8>,
    /// Their widths, one a byte.
    widths: Vec<u8>,
    /// What packing it took.
    packed: Packed,
}

/// What packing a tile's values took.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Packed {
    /// The payload's length.
    pub len: usize,
    /// Groups whose values are all one value (all zero: a still part of a
    /// moving tile; a constant step: a ramp): bit planes take runs of
    /// those to almost nothing in LZ4, where packing pays their width.
    pub uniform_groups: usize,
    /// Groups in all.
    pub groups: usize,
    /// The base width: the first of the three consecutive widths most
    /// groups have.
    base: u8,
}

impl Packer {
    /// Packs `values`, measuring each group as it goes; [`Packer::write`]
    /// appends the payload.
    pub(crate) fn pack(&mut self, values: &[u8]) -> Packed {
        let count = groups(values.len());
        crate::scratch(&mut self.planes, GROUP_MAX * count);
        self.widths.clear();
        let mut at = 0;
        let mut histogram = [0usize; 9];
        let mut uniform_groups = 0;
        for k in 0..count {
            let [low, high] = group(values, k);
            let width = width(low | high);
            uniform_groups += usize::from(one_value(low, high));
            let planes: &mut [u8; GROUP_MAX] = (&mut self.planes[at..at + GROUP_MAX])
                .try_into()
                .expect("room for a group");
            // The top plane's bits to the top of each byte (a shift of
            // 16-bit lanes: what crosses into the next byte stays below its
            // top bits), then one plane lower each time the bytes double.
            let to_top = |vector: u8x16| -> u8x16 {
                bytemuck::cast(bytemuck::cast::<u8x16, u16x8>(vector) << (8 - width as u32))
            };
            let (mut low, mut high) = (to_top(low), to_top(high));
            for plane in planes[..4 * width].chunks_exact_mut(4).rev() {
                let bits = low.to_bitmask() | high.to_bitmask() << 16;
                plane.copy_from_slice(&bits.to_le_bytes());
                low = low + low;
                high = high + high;
            }
            at += 4 * width;
            self.widths.push(width as u8);
            histogram[width] += 1;
        }
        let (base, coded) = (0..=6)
            .map(|base| (base, histogram[base..base + 3].iter().sum::<usize>()))
            .max_by_key(|&(base, coded)| (coded, std::cmp::Reverse(base)))
            .expect("seven bases");
        self.packed = Packed {
            len: header_len(count, count - coded) + at,
            uniform_groups,
            groups: count,
            base: base as u8,
        };
        self.packed
    }

    /// Appends the payload of the values last packed to `out`.
    pub(crate) fn write(&self, out: &mut Vec<u8>) {
        let Packed { len, base, .. } = self.packed;
        let start = out.len();
        out.push(base);
        let code = |width: u8| match width.wrapping_sub(base) {
            code @ 0..=2 => code,
            _ => ESCAPE,
        };
        out.extend(self.widths.chunks(4).map(|four| {
            four.iter()
                .rev()
                .fold(0, |byte, &width| (byte << 2) | code(width))
        }));
        let mut escaped = self.widths.iter().filter(|&&width| code(width) == ESCAPE);
        while let Some(&low) = escaped.next() {
            out.push(low | escaped.next().map_or(0, |&high| high << 4));
        }
        let planes = len - (out.len() - start);
        out.extend_from_slice(&self.planes[..planes]);
    }
}

/// The group of values at `k` as two vectors, padded with zeros.
#[inline]
fn group(values: &[u8], k: usize) -> [u8x16; 2] {
    let vector = |bytes: &[u8]| u8x16::new(bytes.try_into().expect("sixteen bytes"));
    match values.get(k * GROUP..(k + 1) * GROUP) {
        Some(whole) => [vector(&whole[..16]), vector(&whole[16..])],
        None => {
            let part = &values[k * GROUP..];
            let mut group = [0u8; GROUP];
            group[..part.len()].copy_from_slice(part);
            [vector(&group[..16]), vector(&group[16..])]
        }
    }
}

/// The bits the widest of the values whose OR is `any` needs.
#[inline]
fn width(any: u8x16) -> usize {
    let [a, b]: [u64; 2] = bytemuck::cast(any);
    let mut any = a | b;
    any |= any >> 32;
    any |= any >> 16;
    any |= any >> 8;
    8 - (any as u8).leading_zeros() as usize
}

/// Whether the 32 bytes of a group are all one value.
#[inline]
fn one_value(low: u8x16, high: u8x16) -> bool {
    let first = u8x16::splat(low.to_array()[0]);
    (low.simd_eq(first) & high.simd_eq(first)).to_bitmask() == 0xffff
}

/// Writes the values `packed` holds into `out`, whose length says how many
/// there are, each sixteen through `map` (bytewise, such as
/// [`crate::planes::unzigzag16`], or the identity): the inverse of
/// [`Packer`], checking every width, the padding and the length. `widths`
/// is scratch space, for the groups' widths.
pub(crate) fn unpack_into(
    packed: &[u8],
    out: &mut [u8],
    map: impl Fn(u64x2) -> u64x2,
    widths: &mut Vec<u8>,
) -> Result<(), UnpackError> {
    let count = groups(out.len());
    let too_short = |expected| UnpackError::Length {
        expected,
        actual: packed.len(),
    };
    let (&base, rest) = packed.split_first().ok_or(too_short(1))?;
    if base > 8 {
        return Err(UnpackError::Base(base));
    }
    let codes = rest
        .get(..count.div_ceil(4))
        .ok_or(too_short(1 + count.div_ceil(4)))?;
    // Four codes a byte; a code is 3 where both its bits are set.
    let escaped: usize = codes
        .iter()
        .map(|&byte| (byte & (byte >> 1) & 0x55).count_ones() as usize)
        .sum();
    let header = header_len(count, escaped);
    let escapes = &packed.get(..header).ok_or(too_short(header))?[1 + codes.len()..];
    let escape_of = |j: usize| (escapes[j / 2] >> (4 * (j % 2))) & 0x0f;
    widths.clear();
    widths.extend(
        codes
            .iter()
            .flat_map(|&byte| [0, 2, 4, 6].map(|shift| base + ((byte >> shift) & 0x03))),
    );
    // The codes after the last group's, and the escaped width after an odd
    // last one, are 0.
    if widths[count..].iter().any(|&width| width != base)
        || (escaped..2 * escapes.len()).any(|j| escape_of(j) != 0)
    {
        return Err(UnpackError::Padding);
    }
    widths.truncate(count);
    let escaped_groups = widths.iter_mut().filter(|width| **width == base + ESCAPE);
    for (j, width) in escaped_groups.enumerate() {
        *width = escape_of(j);
    }
    if let Some(k) = widths.iter().position(|&width| width > 8) {
        return Err(UnpackError::Width {
            group: k,
            width: widths[k],
        });
    }
    let planes: usize = widths.iter().map(|&width| 4 * usize::from(width)).sum();
    if packed.len() != header + planes {
        return Err(UnpackError::Length {
            expected: header + planes,
            actual: packed.len(),
        });
    }
    // Whole groups as fixed-size copies (a copy of a length only known at
    // run time is a call to memcpy in WebAssembly), then the last one's.
    let mut at = header;
    let mut whole = out.chunks_exact_mut(GROUP);
    for (k, values) in (&mut whole).enumerate() {
        let width = usize::from(widths[k]);
        values.copy_from_slice(&unpack_group(&packed[at..], width, &map));
        at += 4 * width;
    }
    let rest = whole.into_remainder();
    if !rest.is_empty() {
        let group = unpack_group(&packed[at..], usize::from(widths[count - 1]), &map);
        rest.copy_from_slice(&group[..rest.len()]);
    }
    Ok(())
}

/// The values of the group of `width` at the start of `packed`, through
/// `map`.
#[inline(always)]
fn unpack_group(packed: &[u8], width: usize, map: impl Fn(u64x2) -> u64x2) -> [u8; GROUP] {
    // Lane `i` of a vector tests bit `i % 8` of its plane byte.
    const BITS: [u8; 16] = [1, 2, 4, 8, 16, 32, 64, 128, 1, 2, 4, 8, 16, 32, 64, 128];
    let bits = u8x16::new(BITS);
    let (mut low, mut high) = (u8x16::ZERO, u8x16::ZERO);
    // From the top plane down, doubling what is there and adding each bit.
    for plane in packed[..4 * width].chunks_exact(4).rev() {
        // Each plane byte over eight lanes: bytes 0 and 1 for the low
        // vector, 2 and 3 for the high one.
        let plane = u32::from_le_bytes(plane.try_into().expect("four bytes"));
        let once: u8x16 = bytemuck::cast(u32x4::splat(plane.to_le()));
        let twice = u8x16::unpack_low(once, once);
        let four_times = u8x16::unpack_low(twice, twice);
        let spread = [
            u8x16::unpack_low(four_times, four_times),
            u8x16::unpack_high(four_times, four_times),
        ];
        // A set bit's lane is all ones, -1: subtracting it adds one.
        low = low + low - (spread[0] & bits).simd_eq(bits);
        high = high + high - (spread[1] & bits).simd_eq(bits);
    }
    bytemuck::cast([low, high].map(|vector| map(bytemuck::cast(vector))))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::noise;

    /// The layout as the module documents it, bit by bit, with `base`.
    fn reference_with(values: &[u8], base: u8) -> Vec<u8> {
        let count = values.len().div_ceil(32);
        let padded = |i: usize| values.get(i).copied().unwrap_or(0);
        let widths: Vec<u8> = (0..count)
            .map(|k| {
                let widest = (0..32).map(|i| padded(32 * k + i)).max().unwrap_or(0);
                8 - widest.leading_zeros() as u8
            })
            .collect();
        let code = |w: u8| {
            if (base..base + 3).contains(&w) {
                w - base
            } else {
                3
            }
        };
        let mut out = vec![base];
        out.extend((0..count.div_ceil(4)).map(|n| {
            (0..4)
                .filter_map(|j| widths.get(4 * n + j).map(|&w| code(w) << (2 * j)))
                .sum::<u8>()
        }));
        let escaped: Vec<u8> = widths.iter().copied().filter(|&w| code(w) == 3).collect();
        out.extend(
            escaped
                .chunks(2)
                .map(|pair| pair[0] | pair.get(1).map_or(0, |w| w << 4)),
        );
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

    /// The reference with the base that escapes fewest groups, the lowest
    /// of those.
    fn reference(values: &[u8]) -> Vec<u8> {
        let escaped = |layout: &Vec<u8>| {
            let codes = &layout[1..1 + values.len().div_ceil(32).div_ceil(4)];
            let all = codes
                .iter()
                .map(|byte| (0..4).filter(|j| (byte >> (2 * j)) & 3 == 3).count());
            all.sum::<usize>()
        };
        (0..=6)
            .map(|base| reference_with(values, base))
            .min_by_key(escaped)
            .expect("seven bases")
    }

    /// The widths of `values`' groups, added up.
    fn widths_sum(values: &[u8]) -> usize {
        let widest = |group: &[u8]| 8 - group.iter().max().unwrap_or(&0).leading_zeros() as usize;
        values.chunks(32).map(widest).sum()
    }

    fn packed(values: &[u8]) -> Vec<u8> {
        let mut packer = Packer::default();
        let packed = packer.pack(values);
        let mut out = vec![0x55]; // a record header before it
        packer.write(&mut out);
        assert_eq!(
            out.len() - 1,
            packed.len,
            "pack says the length write appends"
        );
        assert!(packed.len <= max_len(values.len()));
        out.split_off(1)
    }

    fn round_trip(values: &[u8], what: &str) -> Vec<u8> {
        let packed = packed(values);
        assert_eq!(packed, reference(values), "{what}");
        let mut back = vec![0xAA; values.len()];
        unpack_into(&packed, &mut back, |x| x, &mut Vec::new()).unwrap();
        assert_eq!(back, values, "{what}");
        packed
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
                round_trip(&values, &format!("{len} values of {bits} bits"));
            }
        }
    }

    #[test]
    fn the_example_in_protocol_md() {
        let values: Vec<u8> = (0..70).map(|i| (i % 8) as u8).collect();
        let mut expected = vec![0x01, 0x2A];
        for _ in 0..2 {
            expected.extend([0xAA; 4]);
            expected.extend([0xCC; 4]);
            expected.extend([0xF0; 4]);
        }
        expected.extend([0x2A, 0, 0, 0, 0x0C, 0, 0, 0, 0x30, 0, 0, 0]);
        assert_eq!(round_trip(&values, "the example"), expected);
    }

    #[test]
    fn widths_outside_the_base_three_are_escaped() {
        for spread in 0..=8u8 {
            // Groups of 0 to `spread` bits, at random: every one escaped
            // that is not one of the three most common consecutive widths.
            let widths = noise(37, u64::from(spread));
            let values: Vec<u8> = noise(37 * 32, 100 + u64::from(spread))
                .chunks(32)
                .zip(&widths)
                .flat_map(|(group, &w)| {
                    let bits = u32::from(w % (spread + 1));
                    let mask = ((1u16 << bits) - 1) as u8;
                    // The top bit set once, so each group is that wide.
                    let top = (1u16 << bits >> 1) as u8;
                    let first = std::iter::once((group[0] & mask) | top);
                    first.chain(group[1..].iter().map(move |&v| v & mask))
                })
                .collect();
            let packed = round_trip(&values, &format!("widths 0 to {spread}"));
            let escaped = packed.len() - header_len(37, 0) - 4 * widths_sum(&values);
            assert_eq!(escaped > 0, spread > 2, "widths 0 to {spread}: escapes");
        }
    }

    #[test]
    fn each_group_takes_only_its_own_width() {
        // 2-bit values, but one group of 7-bit ones, escaped.
        let mut values: Vec<u8> = (0..320).map(|i| (i % 4) as u8).collect();
        values[100] = 100;
        let packed = packed(&values);
        assert_eq!(packed.len(), 1 + 3 + 1 + 4 * (9 * 2 + 7));
        // Bases 0 to 2 cover the nine groups of 2 bits: the lowest, 0.
        let codes = [0b11_10_10_10, 0b10_10_10_10, 0b10_10];
        assert_eq!(
            packed[..5],
            [&[0][..], &codes, &[7]].concat(),
            "group 3 escaped to 7"
        );
        // One of 3 bits: base 1 covers all ten, group 3 as code 2.
        values[100] = 4;
        let packed = self::packed(&values);
        assert_eq!(packed.len(), 1 + 3 + 4 * (9 * 2 + 3));
        assert_eq!(packed[..4], [1, 0b10_01_01_01, 0b01_01_01_01, 0b01_01]);
    }

    #[test]
    fn pack_counts_the_groups_of_one_value() {
        // Groups: all 0, all 5, 0..32, all 5 but one 6, then 5 values of 3
        // (padded with zeros: not one value).
        let mut values = vec![0u8; 32];
        values.extend([5; 32]);
        values.extend(0..32);
        values.extend([5; 31]);
        values.push(6);
        values.extend([3; 5]);
        let packed = Packer::default().pack(&values);
        assert_eq!(packed.uniform_groups, 2);
        assert_eq!(packed.groups, 5);
        // Widths 0, 3, 5, 3, 2: base 1 codes 2, 3 and 2 and 1, escapes 0
        // and 5 (base 3 would escape 0 and 2, base 0 the two 3s).
        assert_eq!(packed.len, 1 + 2 + 1 + 4 * (3 + 5 + 3 + 2));
    }

    #[test]
    fn a_payload_that_is_not_what_its_widths_say_is_refused() {
        // Three groups of width 3, the last of 6 values; then an escape.
        let values: Vec<u8> = (0..70).map(|i| (i % 8) as u8).collect();
        let good = packed(&values);
        assert_eq!(good[..2], [1, 0b10_10_10]);
        let mut out = vec![0; 70];
        for cut in 0..good.len() {
            assert!(matches!(
                unpack_into(&good[..cut], &mut out, |x| x, &mut Vec::new()),
                Err(UnpackError::Length { .. })
            ));
        }
        let mut longer = good.clone();
        longer.push(0);
        assert_eq!(
            unpack_into(&longer, &mut out, |x| x, &mut Vec::new()),
            Err(UnpackError::Length {
                expected: good.len(),
                actual: good.len() + 1
            })
        );
        let mut base = good.clone();
        base[0] = 9;
        assert_eq!(
            unpack_into(&base, &mut out, |x| x, &mut Vec::new()),
            Err(UnpackError::Base(9))
        );
        let mut wide = good.clone();
        wide[0] = 7; // group 0: 7 + 2 bits
        assert_eq!(
            unpack_into(&wide, &mut out, |x| x, &mut Vec::new()),
            Err(UnpackError::Width { group: 0, width: 9 })
        );
        let mut trailing = good.clone();
        trailing[1] |= 0b01 << 6; // a code after the third (last) group's
        assert_eq!(
            unpack_into(&trailing, &mut out, |x| x, &mut Vec::new()),
            Err(UnpackError::Padding)
        );
        // Group 0 escaped: to 9 bits, or to 3 with a second escaped width
        // after it.
        let mut escaped = good.clone();
        escaped[1] |= 0b11;
        escaped.insert(2, 9);
        assert_eq!(
            unpack_into(&escaped, &mut out, |x| x, &mut Vec::new()),
            Err(UnpackError::Width { group: 0, width: 9 })
        );
        escaped[2] = 0x13;
        assert_eq!(
            unpack_into(&escaped, &mut out, |x| x, &mut Vec::new()),
            Err(UnpackError::Padding)
        );
        escaped[2] = 0x03;
        unpack_into(&escaped, &mut out, |x| x, &mut Vec::new()).unwrap();
        assert_eq!(
            out, values,
            "an escaped width that a code could have said is allowed"
        );
    }
}
