//! Helpers shared by the stream tests: a conformance suite both backends must pass, and
//! fault-injecting wrappers.
#![allow(dead_code)]

pub mod fault;
pub mod suite;
