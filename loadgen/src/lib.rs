//! Load generator for the clickstream pipeline: `synth` writes realistic input files (CloudFront
//! real-time log lines or collector envelopes) for benchmarks and tests.

pub mod synth;
