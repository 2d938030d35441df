//! zstd frames for PLAIN pages of 64-character lowercase hex values, written directly.
//!
//! `page_view_id` and `daily_page_view_id` are random SHA-256 hex: nothing repeats, so all
//! that zstd level 1 gains on them is Huffman coding 16 symbols into 4 bits, after a match
//! search that finds nothing. At ~560 MB/s on this machine class that was ~0.35 µs a row for
//! the two columns, 7 % of enrich + encode (BENCHMARKS.md 2026-11-25). Such a page has a fixed
//! shape, so its frame can be written without searching: every value after the first is a
//! 4-byte match (its length prefix, 68 bytes back) followed by 64 literals, and with the 16 hex
//! digits each given a 4-bit Huffman code the code of a digit is its own value. The output is
//! an ordinary zstd frame (RFC 8878) that any decoder reads; the tests decode it with libzstd.
//!
//! Frame layout: header (single segment, 4-byte content size); a raw block with the first
//! value and the second value's length prefix; then compressed blocks of up to
//! [`VALUES_PER_BLOCK`] values, each a Huffman literals section (4 streams, direct weights)
//! and a sequences section in RLE mode (every sequence is literal length 64, match length 4,
//! offset 68).

/// Bytes of one PLAIN value: u32 length + 64 hex digits.
const VALUE: usize = 68;
/// The length prefix every value carries.
const PREFIX: [u8; 4] = [64, 0, 0, 0];
/// Values per compressed block: a block may regenerate at most 128 KiB (68 × 1927 = 131,036).
const VALUES_PER_BLOCK: usize = 1927;
/// Literal-length code 25 (baseline 64, 6 extra bits), offset code 6 (offset + 3 = 71 =
/// 64 + 7, 6 extra bits), match-length code 1 (length 4, no extra bits).
const RLE_CODES: [u8; 3] = [25, 6, 1];
/// One sequence's extra bits as written (LSB first): literal length 64 − 64 = 0 in bits 0..6,
/// offset extra 7 in bits 6..12. Read back: offset bits, then literal-length bits.
const SEQUENCE_BITS: u32 = 7 << 6;

/// Digit value of each byte, or 0xFF for a byte that is not a lowercase hex digit.
const NIBBLE: [u8; 256] = crate::batch::hex_digit_values(false);

/// The Huffman tree description: direct 4-bit weights for symbols 0..=101 (header byte 127 +
/// 102), weight 1 (a 4-bit code) for `0`–`9` and `a`–`e`; `f` (102), the last symbol, gets the
/// weight that completes the tree, also 1. Canonical codes then go in symbol order: `0` is
/// 0000, `f` is 1111.
const TREE: [u8; 52] = {
    let mut t = [0u8; 52];
    t[0] = 127 + 102;
    let mut s = 0;
    while s < 102 {
        let w = if NIBBLE[s] != 0xFF { 1u8 } else { 0 };
        t[1 + s / 2] |= if s % 2 == 0 { w << 4 } else { w };
        s += 1;
    }
    t
};

/// The values of a page, as the frame writer reads them.
trait Values {
    /// Number of values.
    fn count(&self) -> usize;
    /// The PLAIN bytes of the first value and the second one's length prefix (just the first
    /// value's when there is one).
    fn head(&self) -> Vec<u8>;
    /// Appends the 8 bytes spelled by the 16 digits of chunk `q` (4 chunks a value) in reverse
    /// order; returns a byte with a high bit set when a digit is not a lowercase hex digit.
    fn put_chunk_reversed(&self, q: usize, out: &mut Vec<u8>) -> u8;
    /// Whether values `from..to` all have the 64-byte length prefix.
    fn prefixes_ok(&self, from: usize, to: usize) -> bool;
}

/// A PLAIN page body (u32 length + bytes per value).
struct Plain<'a>(&'a [u8]);

impl Values for Plain<'_> {
    fn count(&self) -> usize {
        self.0.len() / VALUE
    }
    fn head(&self) -> Vec<u8> {
        self.0[..self.0.len().min(VALUE + 4)].to_vec()
    }
    fn put_chunk_reversed(&self, q: usize, out: &mut Vec<u8>) -> u8 {
        let at = q / 4 * VALUE + 4 + q % 4 * 16;
        let mut bad = 0u8;
        let mut bytes = [0u8; 8];
        for (j, pair) in self.0[at..at + 16].chunks_exact(2).enumerate() {
            let (hi, lo) = (NIBBLE[pair[0] as usize], NIBBLE[pair[1] as usize]);
            bad |= hi | lo;
            bytes[7 - j] = hi << 4 | lo;
        }
        out.extend_from_slice(&bytes);
        bad
    }
    fn prefixes_ok(&self, from: usize, to: usize) -> bool {
        self.0[from * VALUE..to * VALUE]
            .chunks_exact(VALUE)
            .all(|v| v[..4] == PREFIX)
    }
}

/// 32-byte digests, each standing for the PLAIN value of its 64 lowercase hex digits.
struct Digests<'a>(&'a [u8]);

impl Values for Digests<'_> {
    fn count(&self) -> usize {
        self.0.len() / 32
    }
    fn head(&self) -> Vec<u8> {
        let mut v = Vec::with_capacity(VALUE + 4);
        v.extend_from_slice(&PREFIX);
        let first: &[u8; 32] = self.0[..32].try_into().unwrap_or(&[0; 32]);
        for w in crate::batch::hex32_words(first) {
            v.extend_from_slice(&w.to_le_bytes());
        }
        if self.count() > 1 {
            v.extend_from_slice(&PREFIX);
        }
        v
    }
    fn put_chunk_reversed(&self, q: usize, out: &mut Vec<u8>) -> u8 {
        out.extend(self.0[q * 8..q * 8 + 8].iter().rev());
        0
    }
    fn prefixes_ok(&self, _: usize, _: usize) -> bool {
        true
    }
}

/// Appends a zstd frame of `body` to `out` and returns true when `body` is a PLAIN page of
/// 64-character lowercase hex values; otherwise leaves `out` as it was and returns false (the
/// caller compresses with libzstd).
pub fn encode(body: &[u8], out: &mut Vec<u8>) -> bool {
    // The first value goes out raw, so its shape is checked here; the others as they are
    // encoded. Pages of other columns mostly fail on their length or first bytes.
    if body.len() < VALUE
        || !body.len().is_multiple_of(VALUE)
        || body[..4] != PREFIX
        || body[4..VALUE].iter().any(|b| NIBBLE[*b as usize] == 0xFF)
    {
        return false;
    }
    frame(&Plain(body), body.len(), out)
}

/// Appends the zstd frame of the PLAIN page whose values are the lowercase hex of `digests`
/// (32 bytes each, at least one), and returns the page's uncompressed size.
pub fn encode_digests(digests: &[u8], out: &mut Vec<u8>) -> usize {
    let raw = digests.len() / 32 * VALUE;
    frame(&Digests(digests), raw, out);
    raw
}

fn frame(values: &impl Values, raw: usize, out: &mut Vec<u8>) -> bool {
    let n = values.count();
    let Ok(raw32) = u32::try_from(raw) else {
        return false;
    };
    if n == 0 {
        return false;
    }
    let start = out.len();
    out.reserve(raw / 2 + raw / 40 + 64);
    frame_header(raw32, out);
    // Raw block: the first value and the second one's prefix.
    let head = values.head();
    put_block_header(out, n == 1, 0, head.len());
    out.extend_from_slice(&head);
    let mut first = 1;
    while first < n {
        let end = (first + VALUES_PER_BLOCK).min(n);
        if !put_compressed_block(values, first, end, end == n, out) {
            out.truncate(start);
            return false;
        }
        first = end;
    }
    true
}

/// A zstd frame header for `raw` bytes of content: single segment, no checksum, no dictionary.
pub(super) fn frame_header(raw: u32, out: &mut Vec<u8>) {
    out.extend_from_slice(&0xFD2F_B528u32.to_le_bytes());
    out.push(0xA0); // content size in 4 bytes, single segment
    out.extend_from_slice(&raw.to_le_bytes());
}

/// A block header (`kind` 0 raw, 2 compressed) of `size` bytes.
pub(super) fn put_block_header(out: &mut Vec<u8>, last: bool, kind: u32, size: usize) {
    let h = u32::from(last) | kind << 1 | (size as u32) << 3;
    out.extend_from_slice(&h.to_le_bytes()[..3]);
}

/// One compressed block of values `from..to`. Their prefixes are the matches, so only the
/// digits are literals; the last block's last value has no match after it (its digits are the
/// block's trailing literals). False when a value is not of the shape.
fn put_compressed_block(
    values: &impl Values,
    from: usize,
    to: usize,
    last: bool,
    out: &mut Vec<u8>,
) -> bool {
    let count = to - from;
    let literals = count * 64;
    let sequences = if last { count - 1 } else { count };
    // Four streams of `literals / 4` digits (16 a value): 4 bits each, plus a byte for the end
    // marker.
    let stream_bytes = count * 8 + 1;
    let literals_size = TREE.len() + 6 + 4 * stream_bytes;
    let header_at = out.len();
    put_block_header(out, last, 2, 0); // size patched below
    let body_at = out.len();
    // Literals section header: compressed block (2), 4 streams, sizes in 10, 14 or 18 bits.
    let size = literals.max(literals_size);
    let (format, bits, len) = match size {
        0..=1023 => (1u64, 10, 3),
        1024..=16383 => (2, 14, 4),
        _ => (3, 18, 5),
    };
    let lh = 2 | format << 2 | (literals as u64) << 4 | (literals_size as u64) << (4 + bits);
    out.extend_from_slice(&lh.to_le_bytes()[..len]);
    out.extend_from_slice(&TREE);
    for _ in 0..3 {
        out.extend_from_slice(&(stream_bytes as u16).to_le_bytes());
    }
    // Each stream: its chunks last to first (zstd's bit order is backwards: a stream starts
    // with the last two digits, the last in the low nibble), then the end-marker bit.
    let mut bad = 0u8;
    for s in 0..4 {
        let q0 = from * 4 + s * count;
        for q in (q0..q0 + count).rev() {
            bad |= values.put_chunk_reversed(q, out);
        }
        out.push(1);
    }
    if bad & 0xF0 != 0 || !values.prefixes_ok(from, to) {
        return false;
    }
    put_sequences(sequences, out);
    let size = out.len() - body_at;
    let h = u32::from(last) | 2 << 1 | (size as u32) << 3;
    out[header_at..header_at + 3].copy_from_slice(&h.to_le_bytes()[..3]);
    true
}

/// The sequences section: `count` identical sequences, all three codes in RLE mode, and a
/// bitstream of 12 bits per sequence (no FSE state bits in RLE mode) ending in the marker bit.
fn put_sequences(count: usize, out: &mut Vec<u8>) {
    put_sequences_header(count, RLE_CODES, out);
    if count == 0 {
        return;
    }
    let pair = SEQUENCE_BITS | SEQUENCE_BITS << 12;
    for _ in 0..count / 2 {
        out.extend_from_slice(&pair.to_le_bytes()[..3]);
    }
    if count % 2 == 1 {
        out.extend_from_slice(&(SEQUENCE_BITS | 1 << 12).to_le_bytes()[..2]);
    } else {
        out.push(1);
    }
}

/// The sequences section's header: `count` sequences, and when there are any, literal
/// lengths, offsets and match lengths in RLE mode with `codes` (no FSE tables: no state
/// bits in the bitstream that follows).
pub(super) fn put_sequences_header(count: usize, codes: [u8; 3], out: &mut Vec<u8>) {
    if count < 128 {
        out.push(count as u8);
    } else {
        out.push(0x80 + (count >> 8) as u8);
        out.push(count as u8);
    }
    if count > 0 {
        out.push(0b0101_0100); // literal lengths, offsets, match lengths: RLE
        out.extend_from_slice(&codes);
    }
}

#[cfg(test)]
pub(super) mod unit {
    use super::{encode, encode_digests, VALUES_PER_BLOCK};
    use proptest::prelude::*;
    use proptest::test_runner::TestCaseError;

    fn page(ids: &[[u8; 32]]) -> Vec<u8> {
        let mut body = Vec::new();
        for id in ids {
            body.extend_from_slice(&64u32.to_le_bytes());
            for b in id {
                body.extend_from_slice(format!("{b:02x}").as_bytes());
            }
        }
        body
    }

    fn ids(n: usize, seed: u64) -> Vec<[u8; 32]> {
        let mut next = random_bytes(seed);
        (0..n).map(|_| std::array::from_fn(|_| next())).collect()
    }

    /// A seeded stream of pseudo-random bytes (xorshift).
    pub(in crate::pages) fn random_bytes(seed: u64) -> impl FnMut() -> u8 {
        let mut x = seed | 1;
        move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        }
    }

    fn round_trip(body: &[u8]) -> Vec<u8> {
        round_trip_with(encode, body)
    }

    /// `body` through a frame writer that must take it, then libzstd.
    pub(in crate::pages) fn round_trip_with(
        encode: fn(&[u8], &mut Vec<u8>) -> bool,
        body: &[u8],
    ) -> Vec<u8> {
        let mut out = vec![7, 7]; // appends after what is there
        assert!(encode(body, &mut out), "a page of the shape is taken");
        assert_eq!(out[..2], [7, 7]);
        zstd::bulk::decompress(&out[2..], body.len()).expect("libzstd decodes the frame")
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
            17,
            100,
            b,
            b + 1,
            b + 2,
            2 * b,
            2 * b + 1,
            5000,
            20_000,
        ] {
            let digests = ids(n, n as u64);
            let body = page(&digests);
            assert_eq!(round_trip(&body), body, "{n} values");
            let mut out = Vec::new();
            encode(&body, &mut out);
            // From the digests the hex spells: the same frame.
            let mut from_digests = vec![1];
            assert_eq!(
                encode_digests(digests.as_flattened(), &mut from_digests),
                body.len()
            );
            assert_eq!(from_digests[1..], out[..], "{n} values from digests");
            if n >= 100 {
                assert!(
                    out.len() < body.len() * 52 / 100,
                    "{n}: {} bytes",
                    out.len()
                );
            }
        }
    }

    #[test]
    fn every_digit_and_repeated_values() {
        let mut all = [[0u8; 32]; 40];
        for (i, id) in all.iter_mut().enumerate() {
            for (j, b) in id.iter_mut().enumerate() {
                *b = (i * 7 + j * 16 + j) as u8;
            }
        }
        all[5] = all[4];
        let body = page(&all);
        assert_eq!(round_trip(&body), body);
    }

    #[test]
    fn other_pages_are_left_to_libzstd() {
        let good = page(&ids(10, 3));
        let mut cases: Vec<Vec<u8>> = vec![
            Vec::new(),
            good[..good.len() - 1].to_vec(),
            good[4..].to_vec(),
        ];
        for at in [0, 4, 70, 71, 68 * 9 + 67, 68 * 5] {
            for bad in [b'A', b'g', b'-', 1, 0xFF] {
                let mut b = good.clone();
                b[at] = bad;
                cases.push(b);
            }
        }
        assert_refused(encode, &cases);
    }

    /// Asserts that a frame writer refuses every one of `cases`, leaving the output as it was.
    pub(in crate::pages) fn assert_refused(
        encode: fn(&[u8], &mut Vec<u8>) -> bool,
        cases: &[Vec<u8>],
    ) {
        for (i, body) in cases.iter().enumerate() {
            let mut out = vec![9];
            assert!(!encode(body, &mut out), "case {i}");
            assert_eq!(out, [9], "output untouched");
        }
    }

    /// A frame writer either refuses `body` (output untouched) or writes a frame libzstd
    /// decodes to it.
    pub(in crate::pages) fn taken_or_untouched(
        encode: fn(&[u8], &mut Vec<u8>) -> bool,
        body: Vec<u8>,
    ) -> Result<(), TestCaseError> {
        let mut out = Vec::new();
        if encode(&body, &mut out) {
            prop_assert_eq!(zstd::bulk::decompress(&out, body.len()).unwrap(), body);
        } else {
            prop_assert!(out.is_empty());
        }
        Ok(())
    }

    proptest! {
        #[test]
        fn never_panics_and_reads_back_when_taken(
            body in proptest::collection::vec(
                prop_oneof![
                    Just(b'a'), Just(b'0'), Just(b'f'), Just(b'8'), Just(b'-'),
                    Just(64u8), Just(36u8), Just(0u8), any::<u8>(),
                ],
                0..700,
            )
        ) {
            // Both frame writers (this one and `uuidzstd`'s).
            taken_or_untouched(encode, body.clone())?;
            taken_or_untouched(super::super::uuidzstd::encode, body)?;
        }

        #[test]
        fn hex_pages_read_back(n in 1usize..300, seed in any::<u64>()) {
            let body = page(&ids(n, seed));
            prop_assert_eq!(round_trip(&body), body);
        }
    }
}
