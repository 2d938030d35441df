//! The collector: accepts tracking hits over HTTP and writes them as raw envelopes to the
//! stream, answering 2xx only for events it cannot lose (see [`sink`]).

pub mod app;
pub mod config;
pub mod core;
pub mod hit;
pub mod listen;
pub mod server;
pub mod sink;
