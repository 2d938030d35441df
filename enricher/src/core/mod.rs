//! The pure enrichment core: no tokio, no AWS, no filesystem.

pub mod allowlist;
pub mod cloudfront;
pub mod collect;
pub mod decode;
pub mod engine;
pub mod geo;
pub mod geoip;
pub mod ids;
pub mod outcome;
pub mod params;
pub mod pixel;
#[cfg(test)]
mod reference_tests;
pub mod url;

pub use engine::{Engine, EngineConfig, Origin};
pub use outcome::{Outcome, Reason};
