//! Command adapters: the only code of the enricher that touches files and clocks.

pub mod bench;
pub mod common;
pub mod enrich_file;
pub mod http;
pub mod input;
pub mod leases;
pub mod reprocess;
pub mod run;
pub mod stream_admin;
pub mod vacuum;
