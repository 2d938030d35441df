//! The enricher fleet's pure core: lease judgements and balancing, no tokio, no AWS. The
//! protocol they implement is in docs/DESIGN.md; the worker loop that drives them (store I/O,
//! reading, flushing, checkpointing) is built on top.

pub mod balance;
pub mod lease;

#[cfg(test)]
mod balance_tests;
