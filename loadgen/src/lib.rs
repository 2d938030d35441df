//! Load generator for the clickstream pipeline: `synth` writes realistic input files (CloudFront
//! real-time log lines or collector envelopes) for benchmarks and tests; `send` sends the same
//! traffic model to a running collector over HTTP; `replay` replays the Coveo SIGIR eCom 2021
//! browsing log as `/collect` events.

pub mod engine;
pub mod replay;
pub mod send;
pub mod synth;
pub mod target;
