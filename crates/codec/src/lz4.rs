//! LZ4 block decompression, in safe Rust.
//!
//! lz4_flex compresses (the design's choice) and this module inflates the
//! same block format. Ours differs in one place that decides the speed of
//! the bit-plane encodings: a match that overlaps its own output (a run,
//! which the high bit planes are full of) is copied in doubling spans, each
//! one `copy_within`, where lz4_flex copies it a byte at a time.
//!
//! The block format: sequences of a token (high nibble: literal count, low
//! nibble: match length minus 4; 15 in either means more length bytes
//! follow, each added, until one is below 255), the literals, a 2-byte
//! little-endian offset back into the output (not 0), and the match. The
//! last sequence has literals only.

use std::fmt;

/// Why a block could not be inflated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Lz4Error {
    /// The input ended inside a sequence.
    Truncated,
    /// A match starts before the output's start (or at offset 0).
    BadOffset { offset: usize, position: usize },
    /// The block holds more bytes than the output has room for.
    TooLong { capacity: usize },
}

impl fmt::Display for Lz4Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Lz4Error::Truncated => f.write_str("the block ends inside a sequence"),
            Lz4Error::BadOffset { offset, position } => {
                write!(f, "a match at output byte {position} reaches back {offset}")
            }
            Lz4Error::TooLong { capacity } => {
                write!(f, "the block holds more than the tile's {capacity} bytes")
            }
        }
    }
}

/// Copies this short are made at this fixed length, which compiles to a
/// couple of moves instead of a call (lz4_flex's "wild copy").
const WILD: usize = 16;

/// Inflates the LZ4 block `input` into `out`; returns how many bytes it
/// wrote (at most `out.len()`).
pub(crate) fn decompress_into(input: &[u8], out: &mut [u8]) -> Result<usize, Lz4Error> {
    let mut reader = Input {
        bytes: input,
        at: 0,
    };
    let too_long = Lz4Error::TooLong {
        capacity: out.len(),
    };
    let mut written = 0usize;
    loop {
        let token = reader.byte()?;
        let literals = reader.length(usize::from(token >> 4))?;
        let (from, end) = (reader.at, written.saturating_add(literals));
        if literals <= WILD && from + WILD <= input.len() && written + WILD <= out.len() {
            // Short literals: one fixed-size copy, past the end where both
            // sides have room (the excess is overwritten next).
            out[written..written + WILD].copy_from_slice(&input[from..from + WILD]);
            reader.at += literals;
        } else {
            let source = reader.take(literals)?;
            out.get_mut(written..end)
                .ok_or(too_long.clone())?
                .copy_from_slice(source);
        }
        written = end;
        if reader.at == input.len() {
            return Ok(written);
        }
        let offset = usize::from(u16::from_le_bytes([reader.byte()?, reader.byte()?]));
        let length = reader.length(usize::from(token & 15))? + 4;
        if offset == 0 || offset > written {
            return Err(Lz4Error::BadOffset {
                offset,
                position: written,
            });
        }
        if written.saturating_add(length) > out.len() {
            return Err(too_long);
        }
        copy_match(out, written, offset, length);
        written += length;
    }
}

/// Copies `length` bytes to `out[at..]` from `offset` bytes back, as if a
/// byte at a time (so a match that overlaps its output repeats its first
/// `offset` bytes). The caller has checked both ends.
fn copy_match(out: &mut [u8], at: usize, offset: usize, length: usize) {
    if length <= WILD && offset >= WILD && at + WILD <= out.len() {
        out.copy_within(at - offset..at - offset + WILD, at);
        return;
    }
    if offset >= length {
        out.copy_within(at - offset..at - offset + length, at);
        return;
    }
    if offset == 1 {
        let byte = out[at - 1];
        out[at..at + length].fill(byte);
        return;
    }
    // The output from `at - offset` repeats with period `offset`: copy it in
    // spans that are whole periods and never overlap what they copy from,
    // each twice the last.
    let mut copied = 0;
    while copied < length {
        let span = copied + offset;
        let count = span.min(length - copied);
        let to = at + copied;
        out.copy_within(to - span..to - span + count, to);
        copied += count;
    }
}

/// A cursor over the compressed bytes.
struct Input<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Input<'a> {
    fn byte(&mut self) -> Result<u8, Lz4Error> {
        let byte = *self.bytes.get(self.at).ok_or(Lz4Error::Truncated)?;
        self.at += 1;
        Ok(byte)
    }

    fn take(&mut self, count: usize) -> Result<&'a [u8], Lz4Error> {
        let bytes = self
            .bytes
            .get(self.at..self.at.saturating_add(count))
            .ok_or(Lz4Error::Truncated)?;
        self.at += count;
        Ok(bytes)
    }

    /// A token's 4-bit length, plus the bytes that extend it when it is 15.
    fn length(&mut self, nibble: usize) -> Result<usize, Lz4Error> {
        let mut length = nibble;
        if nibble == 15 {
            loop {
                let more = self.byte()?;
                length = length.saturating_add(usize::from(more));
                if more != 255 {
                    break;
                }
            }
        }
        Ok(length)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::noise;

    fn inputs() -> Vec<Vec<u8>> {
        let mut seed = 0x1234_5678_9abc_def0u64;
        let mut noise = |len: usize| {
            seed += 1;
            noise(len, seed)
        };
        let mut cases = vec![Vec::new(), vec![7], vec![0; 100_000], noise(5000)];
        // Runs of every period from 1 to 40, with noise between them.
        let mut periodic = Vec::new();
        for period in 1..40 {
            let pattern = noise(period);
            periodic.extend(pattern.iter().cycle().take(period * 37 + 5));
            periodic.extend(noise(3));
        }
        cases.push(periodic);
        // Mostly zero with scattered bytes: a high bit plane.
        let mut sparse = vec![0u8; 20_000];
        for (n, byte) in noise(200).into_iter().enumerate() {
            sparse[n * 97] = byte;
        }
        cases.push(sparse);
        cases
    }

    #[test]
    fn inflates_what_lz4_flex_compresses() {
        for input in inputs() {
            let block = lz4_flex::block::compress(&input);
            let mut out = vec![0xAA; input.len()];
            assert_eq!(decompress_into(&block, &mut out), Ok(input.len()));
            assert!(out == input, "{} bytes", input.len());
        }
    }

    #[test]
    fn refuses_blocks_that_overrun_or_reach_back_too_far() {
        let input = vec![3u8; 1000];
        let block = lz4_flex::block::compress(&input);
        let mut short = vec![0; 999];
        assert_eq!(
            decompress_into(&block, &mut short),
            Err(Lz4Error::TooLong { capacity: 999 })
        );
        // One literal, then a match 2 bytes back.
        let bad = [0x10, b'x', 2, 0];
        let mut out = [0; 10];
        assert_eq!(
            decompress_into(&bad, &mut out),
            Err(Lz4Error::BadOffset {
                offset: 2,
                position: 1
            })
        );
        // A cut block is an error, or ends early (the caller checks the
        // length it needs).
        for len in 0..block.len() {
            let mut out = vec![0; 1000];
            let result = decompress_into(&block[..len], &mut out);
            assert!(result.is_err() || result.unwrap() < 1000, "{len}");
        }
    }
}
