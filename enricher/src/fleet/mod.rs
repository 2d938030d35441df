//! The enricher fleet. [`balance`] and [`lease`] are the pure core (no tokio, no AWS): lease
//! judgements and balancing. [`worker`] is the loop that drives them — store I/O, reading,
//! flushing, checkpointing — built on top, as docs/DESIGN.md describes.

pub mod balance;
pub mod chain;
pub mod lease;
pub mod manifest;
pub mod metrics;
pub mod shard;
pub mod sync;
pub mod worker;

#[cfg(test)]
mod balance_tests;
