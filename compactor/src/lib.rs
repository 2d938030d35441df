//! The compactor: daily (and intraday) compaction of the enriched table into large sorted,
//! de-duplicated Parquet files plus the analytics tables (sessions, stats, events,
//! overview_1h, overview_1d), published atomically per domain and day. See docs/compactor.md.

pub mod cli;
pub mod cols;
pub mod core;
pub mod error;
pub mod live;
pub mod merge;
pub mod publish;
pub mod read;
pub mod run;
pub mod tables;
pub mod unit;
pub mod writer;
