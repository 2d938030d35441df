//! The enricher: turns raw hits into enriched, Hive-partitioned Parquet.
//!
//! [`core`] is pure (table-driven tests, property tests); [`ua`] parses user agents behind a
//! bounded cache; [`fleet`] holds the lease model, the pure balancer and the worker loop;
//! [`output`] groups records per partition and encodes Parquet; the binary's
//! commands (`enrich-file`, `bench`) are thin adapters over these.

pub mod core;
pub mod fleet;
pub mod output;
pub mod ua;
