//! The bit-level encodings of a Parquet data page: the RLE / bit-packed hybrid (levels and
//! dictionary indexes) and DELTA_BINARY_PACKED (time columns), as the format spec defines them.
//! Pure functions over slices; `super::tests` reads every output back through parquet-rs.

/// Bits needed to store `max` (at least 1, so a one-entry dictionary still has a width).
pub fn bit_width(max: u64) -> u8 {
    (64 - max.leading_zeros()).max(1) as u8
}

/// ULEB128, the varint of the hybrid and delta headers.
pub fn put_uleb(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn zigzag(v: i64) -> u64 {
    ((v << 1) ^ (v >> 63)) as u64
}

/// Packs `values` LSB first, `width` (≤ 64) bits each, padding the last byte with zeros.
fn bitpack(values: impl Iterator<Item = u64>, width: u8, out: &mut Vec<u8>) {
    let mut acc: u128 = 0;
    let mut bits = 0u32;
    for v in values {
        acc |= u128::from(v) << bits;
        bits += u32::from(width);
        // Eight bytes at a time: a byte at a time was ~10 % of closing a page (perf).
        if bits >= 64 {
            out.extend_from_slice(&(acc as u64).to_le_bytes());
            acc >>= 64;
            bits -= 64;
        }
    }
    out.extend_from_slice(&(acc as u64).to_le_bytes()[..bits.div_ceil(8) as usize]);
}

/// Length of the run of equal values starting at `i`, counting at most `cap`.
fn run_len<T: PartialEq>(values: &[T], i: usize, cap: usize) -> usize {
    let end = values.len().min(i.saturating_add(cap));
    values[i..end]
        .iter()
        .position(|v| *v != values[i])
        .unwrap_or(end - i)
}

/// RLE / bit-packed hybrid of `values` (each < 2^`width`), without a length prefix.
///
/// Runs of 8 or more equal values become RLE runs; everything else is bit-packed in groups of
/// 8, a group ending where a run of 16 or more starts (shorter runs are cheaper to keep packed
/// than to break the group for). Only the final bit-packed group may be padded, as the decoder
/// stops at the page's value count.
pub fn rle_hybrid<T: Copy + PartialEq + Into<u64>>(values: &[T], width: u8, out: &mut Vec<u8>) {
    let value_bytes = usize::from(width).div_ceil(8);
    let mut i = 0;
    while i < values.len() {
        let run = run_len(values, i, usize::MAX);
        if run >= 8 {
            put_uleb(out, (run as u64) << 1);
            let v: u64 = values[i].into();
            out.extend_from_slice(&v.to_le_bytes()[..value_bytes]);
            i += run;
            continue;
        }
        let start = i;
        let mut end = i;
        loop {
            end += 8;
            if end >= values.len() {
                end = values.len();
                break;
            }
            if run_len(values, end, 16) >= 16 {
                break;
            }
        }
        let groups = (end - start).div_ceil(8);
        put_uleb(out, ((groups as u64) << 1) | 1);
        let padded = values[start..end]
            .iter()
            .map(|v| (*v).into())
            .chain(std::iter::repeat(0u64))
            .take(groups * 8);
        bitpack(padded, width, out);
        i = end;
    }
}

/// Levels of a v1 data page: 4-byte little-endian length, then the hybrid encoding.
pub fn put_levels(levels: &[u8], max_level: i16, out: &mut Vec<u8>) {
    let at = out.len();
    out.extend_from_slice(&[0; 4]);
    rle_hybrid(levels, bit_width(max_level as u64), out);
    let len = (out.len() - at - 4) as u32;
    out[at..at + 4].copy_from_slice(&len.to_le_bytes());
}

const BLOCK: usize = 128;
const MINIBLOCKS: usize = 4;
const MINI: usize = BLOCK / MINIBLOCKS;

/// DELTA_BINARY_PACKED of `values`: blocks of 128 deltas in 4 miniblocks of 32, each block
/// storing its minimum delta and each miniblock the bit width of `delta - min`.
pub fn delta_binary_packed(values: &[i64], out: &mut Vec<u8>) {
    put_uleb(out, BLOCK as u64);
    put_uleb(out, MINIBLOCKS as u64);
    put_uleb(out, values.len() as u64);
    put_uleb(out, zigzag(values.first().copied().unwrap_or(0)));
    let deltas: Vec<i64> = values.windows(2).map(|w| w[1].wrapping_sub(w[0])).collect();
    for block in deltas.chunks(BLOCK) {
        let min = block.iter().copied().min().unwrap_or(0);
        put_uleb(out, zigzag(min));
        let minis: Vec<&[i64]> = block.chunks(MINI).collect();
        let widths: Vec<u8> = (0..MINIBLOCKS)
            .map(|m| {
                minis.get(m).map_or(0, |mb| {
                    let max = mb.iter().map(|d| d.wrapping_sub(min) as u64).max();
                    max.map_or(0, |x| (64 - x.leading_zeros()) as u8)
                })
            })
            .collect();
        out.extend_from_slice(&widths);
        for (mb, &w) in minis.iter().zip(&widths) {
            let padded = mb
                .iter()
                .map(|d| d.wrapping_sub(min) as u64)
                .chain(std::iter::repeat(0))
                .take(MINI);
            bitpack(padded, w, out);
        }
    }
}

#[cfg(test)]
mod unit {
    use super::*;

    #[test]
    fn widths_and_varints() {
        for (max, w) in [(0, 1), (1, 1), (2, 2), (3, 2), (4, 3), (255, 8), (256, 9)] {
            assert_eq!(bit_width(max), w, "{max}");
        }
        let mut out = Vec::new();
        put_uleb(&mut out, 300);
        assert_eq!(out, [0xac, 0x02]);
        assert_eq!(zigzag(-1), 1);
        assert_eq!(zigzag(1), 2);
        assert_eq!(zigzag(i64::MIN), u64::MAX);
    }

    #[test]
    fn hybrid_layout() {
        // 10 equal values: one RLE run (header 10<<1, one value byte).
        let mut out = Vec::new();
        rle_hybrid(&[1u8; 10], 1, &mut out);
        assert_eq!(out, [20, 1]);
        // 3 values: one padded bit-packed group (header 1<<1|1), bits 1,0,1 → 0b101.
        let mut out = Vec::new();
        rle_hybrid(&[1u8, 0, 1], 1, &mut out);
        assert_eq!(out, [3, 0b101]);
    }
}
