//! zstd frames for PLAIN pages of random UUID text (`event_id`), written directly.
//!
//! An `event_id` derived from its input's position (CloudFront lines, replays: UUIDv8, 122
//! random bits) has nothing for zstd's match search to find: level 1 stores it in ~20 of its
//! 40 PLAIN bytes by Huffman-coding the 17 symbols (16 hex digits and `-`), at ~340 MB/s on
//! this machine class, 0.12 µs a row (`zstd -b1` on a page of 20,000). Written without
//! compression, enrich + encode was 2.2 % faster (BENCHMARKS.md 2026-11-25, late). As in
//! [`super::hexzstd`], every value after the first is its 36 characters as literals and a
//! 4-byte match (the next value's length prefix, 40 bytes back), so the frame is written with
//! a fixed Huffman table and a run-length sequences section. Minted UUIDv7 ids share their
//! timestamp digits from row to row, which libzstd's matches do find (14 bytes a value): their
//! pages are left to it.
//!
//! Frame layout: header; a raw block with the first value and the second value's length
//! prefix; compressed blocks whose value count is a multiple of 4, so that each of the four
//! Huffman streams holds whole values; a raw block with the last 1–4 values.

use super::hexzstd::{frame_header, put_block_header, put_sequences_header};

/// Bytes of one PLAIN value: u32 length + 36 characters.
const VALUE: usize = 40;
/// The length prefix every value carries.
const PREFIX: [u8; 4] = [36, 0, 0, 0];
/// Values per compressed block: a multiple of 4 regenerating at most 128 KiB (40 × 3276).
const VALUES_PER_BLOCK: usize = 3276;
/// Literal-length code 22 (baseline 32, 3 extra bits), offset code 5 (offset + 3 = 43 =
/// 32 + 11, 5 extra bits), match-length code 1 (length 4).
const RLE_CODES: [u8; 3] = [22, 5, 1];
/// One sequence's 8 extra bits as written: literal length 36 − 32 = 4 in bits 0..3, then the
/// offset's 11 in bits 3..8 (read back: offset, then literal length).
const SEQUENCE: u8 = 4 | 11 << 3;

/// Huffman code lengths by weight, with the weights of the tree below: `e` and `f` (weight 1)
/// take 5 bits, the other 15 symbols (`-`, `0`–`9`, `a`–`d`: weight 2) 4 bits. Canonical
/// codes go from the longest codes up, in symbol order: `e` 00000, `f` 00001, `-` 0001,
/// `0` 0010 … `d` 1111.
const fn weight(b: u8) -> u8 {
    match b {
        b'-' | b'0'..=b'9' | b'a'..=b'd' => 2,
        b'e' | b'f' => 1,
        _ => 0,
    }
}

/// Code of each byte: `code | bits << 8`, or 0 for a byte outside the alphabet.
const CODES: [u16; 256] = {
    let mut t = [0u16; 256];
    let mut next_long = 0u16;
    let mut next_short = 1u16; // after the two 5-bit codes' 4-bit prefix 0000
    let mut b = 0;
    while b < 256 {
        match weight(b as u8) {
            1 => {
                t[b] = next_long | 5 << 8;
                next_long += 1;
            }
            2 => {
                t[b] = next_short | 4 << 8;
                next_short += 1;
            }
            _ => {}
        }
        b += 1;
    }
    t
};

/// The Huffman tree description: direct 4-bit weights for symbols 0..=101 (header byte
/// 127 + 102); `f` (102), the last symbol, gets the weight that completes the tree: 1.
const TREE: [u8; 52] = {
    let mut t = [0u8; 52];
    t[0] = 127 + 102;
    let mut s = 0;
    while s < 102 {
        let w = weight(s as u8);
        t[1 + s / 2] |= if s % 2 == 0 { w << 4 } else { w };
        s += 1;
    }
    t
};

/// Appends a zstd frame of `body` to `out` and returns true when `body` is a PLAIN page of
/// 36-character UUID texts whose first one is a version 8 id; otherwise leaves `out` as it
/// was and returns false (the caller compresses with libzstd). Any page taken decodes to
/// exactly `body`: the shape only decides whether the frame is worth writing.
pub fn encode(body: &[u8], out: &mut Vec<u8>) -> bool {
    if body.len() < VALUE
        || !body.len().is_multiple_of(VALUE)
        || body[4 + 14] != b'8'
        || !values_ok(&body[..VALUE])
    {
        return false;
    }
    let Ok(raw) = u32::try_from(body.len()) else {
        return false;
    };
    let n = body.len() / VALUE;
    // Values 1..=count are coded, each followed by the next one's prefix as a match; the
    // values after them go out raw.
    let count = if n >= 2 { (n - 2) / 4 * 4 } else { 0 };
    let (head, tail) = if n >= 2 {
        let rest = (1 + count) * VALUE;
        // The last match stands for this prefix: it must be the one it copies.
        if !values_ok(&body[rest..]) {
            return false;
        }
        (&body[..VALUE + 4], &body[rest + 4..])
    } else {
        (body, &[][..])
    };
    let start = out.len();
    out.reserve(body.len() / 2 + body.len() / 64 + 64);
    frame_header(raw, out);
    put_block_header(out, tail.is_empty(), 0, head.len());
    out.extend_from_slice(head);
    let mut first = 1;
    while first < 1 + count {
        let end = (first + VALUES_PER_BLOCK).min(1 + count);
        if !put_compressed_block(&body[first * VALUE..end * VALUE], out) {
            out.truncate(start);
            return false;
        }
        first = end;
    }
    if !tail.is_empty() {
        put_block_header(out, true, 0, tail.len());
        out.extend_from_slice(tail);
    }
    true
}

/// Whether whole PLAIN values all have [`PREFIX`] and characters of the alphabet.
fn values_ok(values: &[u8]) -> bool {
    values.chunks(VALUE).all(|v| {
        v.len() == VALUE && v[..4] == PREFIX && v[4..].iter().all(|b| CODES[*b as usize] != 0)
    })
}

/// One compressed block of `values` (a multiple of 4, each followed by a match); false when
/// a value is not of the shape.
fn put_compressed_block(values: &[u8], out: &mut Vec<u8>) -> bool {
    let count = values.len() / VALUE;
    let literals = count * 36;
    let header_at = out.len();
    put_block_header(out, false, 2, 0); // size patched below
    let body_at = out.len();
    // Literals section header: compressed (2), 4 streams, sizes in 10, 14 or 18 bits, chosen
    // for the largest size the section can have (5 bits a symbol).
    let bound = TREE.len() + 6 + literals * 5 / 8 + 4;
    let (format, bits, len) = match literals.max(bound) {
        0..=1023 => (1u64, 10, 3),
        1024..=16383 => (2, 14, 4),
        _ => (3, 18, 5),
    };
    let lh_at = out.len();
    out.extend_from_slice(&[0; 5][..len]);
    let lit_at = out.len();
    out.extend_from_slice(&TREE);
    let jump_at = out.len();
    out.extend_from_slice(&[0; 6]);
    let per = values.len() / 4;
    let mut bad = false;
    for s in 0..4 {
        let at = out.len();
        bad |= put_stream(&values[s * per..(s + 1) * per], out);
        if s < 3 {
            let size = (out.len() - at) as u16;
            out[jump_at + 2 * s..jump_at + 2 * s + 2].copy_from_slice(&size.to_le_bytes());
        }
    }
    if bad {
        return false;
    }
    let size = (out.len() - lit_at) as u64;
    let lh = 2 | format << 2 | (literals as u64) << 4 | size << (4 + bits);
    out[lh_at..lh_at + len].copy_from_slice(&lh.to_le_bytes()[..len]);
    put_sequences_header(count, RLE_CODES, out);
    out.resize(out.len() + count, SEQUENCE);
    out.push(1); // end marker
    let size = out.len() - body_at;
    let h = 2 << 1 | (size as u32) << 3;
    out[header_at..header_at + 3].copy_from_slice(&h.to_le_bytes()[..3]);
    true
}

/// One Huffman stream of whole values: their characters last to first (zstd reads a stream
/// backwards), then the end-marker bit. True when a byte is outside the alphabet or a value's
/// prefix is not [`PREFIX`].
fn put_stream(values: &[u8], out: &mut Vec<u8>) -> bool {
    let mut acc = 0u64;
    let mut n = 0u32;
    let mut bad = false;
    for v in values.chunks_exact(VALUE).rev() {
        bad |= v[..4] != PREFIX;
        // Nine symbols add at most 45 bits to the < 8 left after a flush.
        for nine in v[4..].rchunks_exact(9) {
            for b in nine.iter().rev() {
                let c = CODES[*b as usize];
                bad |= c == 0;
                acc |= u64::from(c & 0xFF) << n;
                n += u32::from(c >> 8);
            }
            out.extend_from_slice(&acc.to_le_bytes());
            out.truncate(out.len() - 8 + (n / 8) as usize);
            acc = if n >= 64 { 0 } else { acc >> (n / 8 * 8) };
            n %= 8;
        }
    }
    acc |= 1 << n;
    n += 1;
    out.extend_from_slice(&acc.to_le_bytes()[..n.div_ceil(8) as usize]);
    bad
}

#[cfg(test)]
mod unit {
    use super::super::hexzstd::unit::{assert_refused, random_bytes, round_trip_with};
    use super::{encode, VALUES_PER_BLOCK};
    use proptest::prelude::*;

    fn ids(n: usize, seed: u64, version: u8) -> Vec<u8> {
        let mut next = random_bytes(seed);
        let mut body = Vec::new();
        for _ in 0..n {
            let mut id: [u8; 16] = std::array::from_fn(|_| next());
            id[6] = (id[6] & 0x0f) | version << 4;
            id[8] = (id[8] & 0x3f) | 0x80;
            body.extend_from_slice(&36u32.to_le_bytes());
            for w in crate::batch::uuid_words(&id) {
                body.extend_from_slice(&w.to_le_bytes());
            }
            body.truncate(body.len() - 4);
        }
        body
    }

    fn round_trip(body: &[u8]) -> Vec<u8> {
        round_trip_with(encode, body)
    }

    #[test]
    fn libzstd_reads_back_every_block_split() {
        let b = VALUES_PER_BLOCK;
        for n in [
            1,
            2,
            3,
            4,
            5,
            6,
            7,
            9,
            100,
            b,
            b + 1,
            b + 2,
            b + 5,
            2 * b + 3,
            20_000,
        ] {
            let body = ids(n, n as u64, 8);
            let text = uuid_text(&body);
            assert_eq!(
                [8, 13, 18, 23, 14].map(|i| text.as_bytes()[i]),
                *b"----8",
                "{text}"
            );
            assert_eq!(round_trip(&body), body, "{n} values");
            if n >= 100 {
                let mut out = Vec::new();
                encode(&body, &mut out);
                let z = zstd::bulk::compress(&body, 1).expect("zstd").len();
                eprintln!("{n}: {} vs libzstd {z}", out.len());
                // 18.5 bytes of literals a value, one of sequence; ~300 for headers, table, raw values.
                assert!(
                    out.len() * 100 <= n * 1950 + 30_000,
                    "{n}: {} bytes",
                    out.len()
                );
                assert!(
                    out.len() * 100 <= z * 105,
                    "{n}: {} vs libzstd {z}",
                    out.len()
                );
            }
        }
    }

    fn uuid_text(body: &[u8]) -> String {
        String::from_utf8(body[4..40].to_vec()).expect("text")
    }

    #[test]
    fn every_symbol_in_every_stream_position() {
        // Values made of runs of every symbol, at every offset, still decode.
        let alphabet = b"-0123456789abcdef";
        let mut body = ids(41, 5, 8);
        for (v, value) in body.chunks_exact_mut(40).enumerate().skip(1) {
            for (i, c) in value[4..].iter_mut().enumerate() {
                *c = alphabet[(v * 3 + i) % alphabet.len()];
            }
        }
        assert_eq!(round_trip(&body), body);
    }

    #[test]
    fn other_pages_are_left_to_libzstd() {
        let good = ids(12, 3, 8);
        let mut cases: Vec<Vec<u8>> = vec![
            Vec::new(),
            good[..good.len() - 1].to_vec(),
            good[4..].to_vec(),
            ids(12, 3, 7),
        ];
        // Inside compressed blocks (values 1..=8) and in the raw tail (9..=11).
        for at in [
            0,
            44,
            45,
            40 * 5,
            40 * 5 + 39,
            40 * 9 + 2,
            40 * 10,
            40 * 11 + 39,
        ] {
            for bad in [b'A', b'g', b'_', 1, 0xFF] {
                let mut b = good.clone();
                b[at] = bad;
                cases.push(b);
            }
        }
        assert_refused(encode, &cases);
    }

    proptest! {
        // Arbitrary bytes: `hexzstd`'s test feeds both frame writers.

        #[test]
        fn uuid_pages_read_back(n in 1usize..300, seed in any::<u64>()) {
            let body = ids(n, seed, 8);
            prop_assert_eq!(round_trip(&body), body);
        }
    }
}
