//! Shared foundation of the clickstream pipeline: the raw envelope the collector writes, the
//! enriched record and its single Arrow schema, Hive partition naming, Parquet encoding, record
//! files, dead letters, the object-store capability and the lease store.
//!
//! This crate has no `main`, no globals beyond lazily built constants, and reads no environment.

pub mod batch;
pub mod deadletter;
pub mod envelope;
pub mod framing;
pub mod lease;
pub mod object_store;
pub mod pages;
pub mod parquet_io;
pub mod partition;
pub mod percent;
pub mod raw_archive;
pub mod record;
pub mod schema;
pub mod sqlite_conn;
pub mod stream;
pub mod telemetry;
pub mod time;
