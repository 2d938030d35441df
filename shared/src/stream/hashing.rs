//! Kinesis' routing: the MD5 of the partition key, read as a 128-bit big-endian integer,
//! picks the open shard whose hash-key range contains it. The embedded stream routes the same
//! way, so per-key ordering behaves identically on both backends.

use md5::{Digest, Md5};

/// The 128-bit hash key of a partition key.
pub fn hash_key(partition_key: &str) -> u128 {
    let digest = Md5::digest(partition_key.as_bytes());
    let mut b = [0u8; 16];
    b.copy_from_slice(&digest);
    u128::from_be_bytes(b)
}

/// `n` contiguous ranges covering the whole key space, as CreateStream makes them.
pub fn even_ranges(n: u32) -> Vec<(u128, u128)> {
    let n = u128::from(n.max(1));
    let step = u128::MAX / n;
    (0..n)
        .map(|i| {
            // i * (step + 1), written so that it cannot overflow for i < n.
            let start = i * step + i;
            let end = if i + 1 == n {
                u128::MAX
            } else {
                (i + 1) * step + i
            };
            (start, end)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn md5_matches_known_vectors() {
        // md5("") = d41d8cd98f00b204e9800998ecf8427e
        assert_eq!(hash_key(""), 0xd41d8cd98f00b204e9800998ecf8427e);
        // md5("a") = 0cc175b9c0f1b6a831c399e269772661
        assert_eq!(hash_key("a"), 0x0cc175b9c0f1b6a831c399e269772661);
    }

    #[test]
    fn even_ranges_tile_the_key_space() {
        for n in [1u32, 2, 3, 4, 7, 50] {
            let r = even_ranges(n);
            assert_eq!(r.len(), n as usize);
            assert_eq!(r[0].0, 0);
            assert_eq!(r[r.len() - 1].1, u128::MAX);
            for w in r.windows(2) {
                assert_eq!(w[0].1 + 1, w[1].0, "contiguous for n={n}");
                assert!(w[0].0 <= w[0].1);
            }
        }
    }
}
