//! Cost of UA-cache misses: `cargo run --release -p enricher --example ua_miss -- <cloudfront.log>`
//! parses every distinct user agent of the file once per repetition (`REPS`, default 5), back to
//! back, and prints the median µs per UA. In a worker the same parses are scattered between
//! other work and cost ~3× more (BENCHMARKS.md 2026-11-25, evening).

use enricher::ua::UaParser;
use std::io::BufRead;
use std::time::Instant;

/// CloudFront percent-encodes the User-Agent field once.
fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = (b[i] == b'%')
            .then(|| s.get(i + 1..i + 3))
            .flatten()
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match hex {
            Some(v) => {
                out.push(v);
                i += 3;
            }
            None => {
                out.push(b[i]);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args()
        .nth(1)
        .ok_or("usage: ua_miss <cloudfront.log>")?;
    let mut seen = std::collections::HashSet::new();
    let mut uas = Vec::new();
    for line in std::io::BufReader::new(std::fs::File::open(path)?).lines() {
        let line = line?;
        if let Some(ua) = line.split('\t').nth(7) {
            if seen.insert(ua.to_owned()) {
                uas.push(percent_decode(ua));
            }
        }
    }
    let parser = UaParser::new()?;
    let reps: usize = std::env::var("REPS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5);
    let mut micros = Vec::new();
    let mut bots = 0;
    for _ in 0..reps.max(1) {
        let t = Instant::now();
        bots = uas
            .iter()
            .filter(|ua| std::hint::black_box(parser.parse(ua)).is_bot)
            .count();
        micros.push(t.elapsed().as_secs_f64() / uas.len().max(1) as f64 * 1e6);
    }
    micros.sort_by(f64::total_cmp);
    println!(
        "{} distinct UAs ({bots} bots): median {:.2} µs a parse (fastest repetition {:.2})",
        uas.len(),
        micros[micros.len() / 2],
        micros[0]
    );
    Ok(())
}
