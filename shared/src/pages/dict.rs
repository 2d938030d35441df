//! The dictionary of one column chunk: distinct values in first-seen order, PLAIN-encoded as
//! the dictionary page wants them, and an open-addressing index over them.
//!
//! Text keys are not copied into boxes: a slot holds a 32-bit hash tag and the value's number,
//! and the bytes are compared in the dictionary page itself, which a page's lookups keep in
//! cache. (With `HashMap<Box<[u8]>, u32>` every hit dereferenced a separate allocation:
//! `memcmp` was ~3 % of enrich + encode, perf 2026-11-25.)

use std::hash::Hasher;

/// See the module doc.
#[derive(Default)]
pub struct Dict {
    /// 0 = empty; else `tag << 32 | (index + 1)`.
    slots: Vec<u64>,
    /// Text: where each value's bytes start in `page`. Numbers: unused.
    starts: Vec<u32>,
    /// PLAIN values (text: u32 length + bytes; numbers: little-endian).
    pub page: Vec<u8>,
    /// Distinct values.
    pub len: u32,
}

fn hash(v: &[u8]) -> u64 {
    let mut h = rustc_hash::FxHasher::default();
    h.write(v);
    // FxHash's low bits are weak for short keys; fold the high half in.
    let x = h.finish();
    x ^ (x >> 29).wrapping_mul(0x9e37_79b9_7f4a_7c15)
}

impl Dict {
    fn grow(&mut self) {
        let cap = (self.slots.len() * 2).max(64);
        let old = std::mem::replace(&mut self.slots, vec![0; cap]);
        let mask = cap - 1;
        for s in old.into_iter().filter(|s| *s != 0) {
            let mut pos = (s >> 32) as usize & mask;
            while self.slots[pos] != 0 {
                pos = (pos + 1) & mask;
            }
            self.slots[pos] = s;
        }
    }

    /// Index of `key` (text bytes, or the bits of a `width`-byte number), added if new.
    #[inline]
    pub fn index(&mut self, key: Result<&[u8], u64>, width: usize) -> u32 {
        if (self.len as usize + 1) * 2 > self.slots.len() {
            self.grow();
        }
        let h = match key {
            Ok(text) => hash(text),
            Err(bits) => hash(&bits.to_le_bytes()),
        };
        let tag = h >> 32;
        let mask = self.slots.len() - 1;
        let mut pos = tag as usize & mask;
        loop {
            let s = self.slots[pos];
            if s == 0 {
                break;
            }
            if s >> 32 == tag {
                let i = (s as u32) - 1;
                if self.holds(i, key, width) {
                    return i;
                }
            }
            pos = (pos + 1) & mask;
        }
        let i = self.len;
        match key {
            Ok(text) => {
                self.page
                    .extend_from_slice(&(text.len() as u32).to_le_bytes());
                self.starts.push(self.page.len() as u32);
                self.page.extend_from_slice(text);
            }
            Err(bits) => self.page.extend_from_slice(&bits.to_le_bytes()[..width]),
        }
        self.slots[pos] = tag << 32 | u64::from(i + 1);
        self.len += 1;
        i
    }

    fn holds(&self, i: u32, key: Result<&[u8], u64>, width: usize) -> bool {
        match key {
            Ok(text) => {
                let start = self.starts[i as usize] as usize;
                let len =
                    u32::from_le_bytes(self.page[start - 4..start].try_into().unwrap_or_default())
                        as usize;
                len == text.len() && self.page[start..start + len] == *text
            }
            Err(bits) => {
                let at = i as usize * width;
                self.page[at..at + width] == bits.to_le_bytes()[..width]
            }
        }
    }
}

#[cfg(test)]
mod unit {
    use super::Dict;

    #[test]
    fn indexes_are_stable_and_the_page_is_plain() {
        let mut d = Dict::default();
        let words: Vec<String> = (0..500).map(|i| format!("w{}", i % 137)).collect();
        let got: Vec<u32> = words.iter().map(|w| d.index(Ok(w.as_bytes()), 0)).collect();
        for (w, i) in words.iter().zip(&got) {
            assert_eq!(format!("w{i}"), *w, "first-seen order");
        }
        assert_eq!(d.len, 137);
        assert_eq!(&d.page[..6], &[2, 0, 0, 0, b'w', b'0']);
        let mut n = Dict::default();
        for v in [5u64, 7, 5, u64::from(u32::MAX), 7] {
            n.index(Err(v), 4);
        }
        assert_eq!(n.len, 3);
        assert_eq!(n.page, [5, 0, 0, 0, 7, 0, 0, 0, 255, 255, 255, 255]);
        // The empty string is a value like any other.
        assert_eq!(d.index(Ok(b""), 0), 137);
        assert_eq!(d.index(Ok(b""), 0), 137);
    }
}
