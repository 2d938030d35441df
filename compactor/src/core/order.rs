//! De-duplication by event id and the output order of a partition.
//!
//! The adapter reads only the key columns of every input file and hands over one [`KeyRow`] per
//! row; this module returns which rows survive and in what order, as `(file, row)` pairs. The
//! row bodies are never held here, so the index of a 2M-row partition is ~70 MB.

use rustc_hash::FxHashSet;

/// The sort and de-duplication key of one input row.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct KeyRow {
    /// event_timestamp, epoch ms.
    pub ts: i64,
    /// daily_visitor_id as a sortable key: its 256 bits when every visitor of the partition is
    /// 64 lowercase hex digits (what the enricher writes; see [`hex_visitor`]), else
    /// `[0, 0, 0, rank]` with the rank among the partition's distinct visitors
    /// ([`rank_strings`]). Either way the order is the strings' byte order.
    pub visitor: [u64; 4],
    /// event_id as 128 bits (see [`event_id_bits`]).
    pub event_id: u128,
    /// Index of the input file (files in key order).
    pub file: u32,
    /// Row within the file.
    pub row: u32,
}

/// Result of [`dedupe_and_sort`].
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Ordered {
    /// Surviving rows as `(file, row)`, in output order.
    pub rows: Vec<(u32, u32)>,
    /// Rows dropped because an earlier row (in file, row order) had the same event id.
    pub duplicates: u64,
}

/// Keeps the first row of every event id (in `(file, row)` order, i.e. input key order, so the
/// choice is reproducible) and sorts the survivors by event time, then visitor, then event id.
/// The trailing `(file, row)` only makes the order total; it never decides between two
/// survivors because their event ids differ.
pub fn dedupe_and_sort(mut rows: Vec<KeyRow>) -> Ordered {
    rows.sort_unstable_by_key(|r| (r.file, r.row));
    let mut seen = FxHashSet::with_capacity_and_hasher(rows.len(), Default::default());
    let before = rows.len();
    rows.retain(|r| seen.insert(r.event_id));
    let duplicates = (before - rows.len()) as u64;
    drop(seen);
    rows.sort_unstable_by_key(|r| (r.ts, r.visitor, r.event_id, r.file, r.row));
    Ordered {
        rows: rows.into_iter().map(|r| (r.file, r.row)).collect(),
        duplicates,
    }
}

/// Maps interned strings (ids in first-seen order) to their rank in byte order, so the order
/// of ranks is the order of the strings.
pub fn rank_strings<S: AsRef<str>>(strings: &[S]) -> Vec<u32> {
    let mut idx: Vec<u32> = (0..strings.len() as u32).collect();
    idx.sort_unstable_by(|a, b| {
        strings[*a as usize]
            .as_ref()
            .cmp(strings[*b as usize].as_ref())
    });
    let mut rank = vec![0u32; strings.len()];
    for (r, i) in idx.into_iter().enumerate() {
        rank[i as usize] = r as u32;
    }
    rank
}

/// A visitor id of 64 lowercase hex digits as 4 big-endian words (`None` for anything else), so
/// that comparing the words compares the strings.
pub fn hex_visitor(id: &str) -> Option<[u64; 4]> {
    let b = id.as_bytes();
    if b.len() != 64 {
        return None;
    }
    let mut out = [0u64; 4];
    for (w, chunk) in out.iter_mut().zip(b.chunks_exact(16)) {
        *w = hex_word(chunk, &LOWER_HEX)?;
    }
    Some(out)
}

static LOWER_HEX: [u8; 256] = shared::batch::hex_digit_values(false);
static ANY_HEX: [u8; 256] = shared::batch::hex_digit_values(true);

/// Up to 16 hex digits as a number; branch-free per digit (this runs for every input row).
fn hex_word(digits: &[u8], table: &[u8; 256]) -> Option<u64> {
    let mut w = 0u64;
    let mut bad = 0u8;
    for &c in digits {
        let d = table[c as usize];
        bad |= d;
        w = (w << 4) | u64::from(d & 0x0f);
    }
    (bad & 0xf0 == 0).then_some(w)
}

/// 128 bits of an event id: the UUID's own bits when it is a canonical hyphenated UUID (what
/// the enricher writes), else the first 128 bits of its SHA-256 (still a faithful identity for
/// de-duplication; only the tie-break order among equal timestamps differs).
pub fn event_id_bits(id: &str) -> u128 {
    if let Some(bits) = parse_uuid(id.as_bytes()) {
        return bits;
    }
    use sha2::Digest;
    let d = sha2::Sha256::digest(id.as_bytes());
    let mut b = [0u8; 16];
    b.copy_from_slice(&d[..16]);
    u128::from_be_bytes(b)
}

fn parse_uuid(b: &[u8]) -> Option<u128> {
    if b.len() != 36 || b[8] != b'-' || b[13] != b'-' || b[18] != b'-' || b[23] != b'-' {
        return None;
    }
    let hi = (hex_word(&b[0..8], &ANY_HEX)? << 32)
        | (hex_word(&b[9..13], &ANY_HEX)? << 16)
        | hex_word(&b[14..18], &ANY_HEX)?;
    let lo = (hex_word(&b[19..23], &ANY_HEX)? << 48) | hex_word(&b[24..36], &ANY_HEX)?;
    Some((u128::from(hi) << 64) | u128::from(lo))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn k(ts: i64, visitor: u64, event_id: u128, file: u32, row: u32) -> KeyRow {
        KeyRow {
            ts,
            visitor: [0, 0, 0, visitor],
            event_id,
            file,
            row,
        }
    }

    #[test]
    fn table() {
        // (comment, input rows, expected output, expected duplicates)
        type Case = (&'static str, Vec<KeyRow>, Vec<(u32, u32)>, u64);
        let cases: Vec<Case> = vec![
            ("empty partition", vec![], vec![], 0),
            (
                "sorted by time across files",
                vec![k(30, 0, 1, 0, 0), k(10, 0, 2, 1, 0), k(20, 0, 3, 1, 1)],
                vec![(1, 0), (1, 1), (0, 0)],
                0,
            ),
            (
                "equal times: visitor rank, then event id",
                vec![k(10, 1, 5, 0, 0), k(10, 0, 9, 0, 1), k(10, 0, 7, 0, 2)],
                vec![(0, 2), (0, 1), (0, 0)],
                0,
            ),
            (
                "duplicate id in a later file (orphan of a crashed worker) is dropped",
                vec![k(10, 0, 1, 1, 0), k(10, 0, 1, 0, 3), k(11, 0, 2, 1, 1)],
                vec![(0, 3), (1, 1)],
                1,
            ),
            (
                "duplicate with a different timestamp: the first in key order wins",
                vec![k(50, 0, 1, 0, 0), k(10, 0, 1, 0, 1)],
                vec![(0, 0)],
                1,
            ),
            (
                "triple fire",
                vec![k(1, 0, 4, 2, 0), k(1, 0, 4, 1, 0), k(1, 0, 4, 0, 0)],
                vec![(0, 0)],
                2,
            ),
        ];
        for (name, input, want, dups) in cases {
            let got = dedupe_and_sort(input);
            assert_eq!(got.rows, want, "{name}");
            assert_eq!(got.duplicates, dups, "{name}");
        }
    }

    #[test]
    fn ranks_follow_byte_order() {
        let s: Vec<Box<str>> = ["b", "a", "c", "ab"].iter().map(|x| (*x).into()).collect();
        assert_eq!(rank_strings(&s), vec![2, 0, 3, 1]);
    }

    #[test]
    fn hex_visitors_order_like_their_strings() {
        let ids = [
            "00".repeat(32),
            format!("{}1", "0".repeat(63)),
            format!("0f{}", "0".repeat(62)),
            format!("a0{}", "0".repeat(62)),
            "ff".repeat(32),
        ];
        let keys: Vec<_> = ids.iter().map(|s| hex_visitor(s).unwrap()).collect();
        for w in keys.windows(2) {
            assert!(w[0] < w[1]);
        }
        for bad in [
            "A".repeat(64),
            "0".repeat(63),
            "g".repeat(64),
            String::new(),
        ] {
            assert_eq!(hex_visitor(&bad), None, "{bad}");
        }
    }

    #[test]
    fn uuid_bits() {
        assert_eq!(
            event_id_bits("00000000-0000-0000-0000-00000000000a"),
            10,
            "canonical UUID parses"
        );
        assert_eq!(
            event_id_bits("0190AB12-0000-7000-8000-000000000001"),
            event_id_bits("0190ab12-0000-7000-8000-000000000001")
        );
        assert_eq!(
            event_id_bits("01234567-89ab-cdef-0123-456789ABCDEF"),
            0x0123_4567_89ab_cdef_0123_4567_89ab_cdef
        );
        // A non-hex digit or a misplaced dash: hashed, not parsed.
        assert_ne!(
            event_id_bits("0000000g-0000-0000-0000-00000000000a"),
            event_id_bits("00000000-0000-0000-0000-00000000000a")
        );
        assert_ne!(
            event_id_bits("00000000-0000-0000-0000-00000000000a"),
            event_id_bits("000000000-000-0000-0000-00000000000a")
        );
        assert_ne!(event_id_bits("not-a-uuid"), event_id_bits("not-a-uuid2"));
        assert_eq!(event_id_bits("x"), event_id_bits("x"));
    }
}
