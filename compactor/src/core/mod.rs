//! The pure core of the compactor: ordering and de-duplication, sessionization, the stats and
//! overview aggregations, and the publish decisions (manifests, late data, clean-up). No I/O,
//! no tokio, no Arrow readers: the adapters feed plain values in row order.

pub mod intern;
pub mod manifest;
pub mod order;
pub mod overview;
pub mod sessions;
pub mod stats;

/// Sessions split when the gap to the previous hit of the same key is strictly greater than
/// this (ownstats' `> 1800 s`; equal timestamps never split — seeds-spec A.10.1 REC).
pub const SESSION_GAP_MS: i64 = 1_800_000;
