//! Enricher.
