//! Cost of a UA-cache miss: `cargo run --release -p enricher --example ua_miss -- <cloudfront.log>`
//! parses every distinct user agent of the file once (as the cache's misses do) and prints µs/UA.
use enricher::ua::UaParser;
use std::io::BufRead;
use std::time::Instant;

fn pct(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() + 0 && i + 2 <= b.len() - 1 {
            if let Ok(v) = u8::from_str_radix(&s[i + 1..i + 3], 16) {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn main() {
    let path = std::env::args().nth(1).expect("file");
    let f = std::io::BufReader::new(std::fs::File::open(path).unwrap());
    let mut seen = std::collections::HashSet::new();
    let mut uas = Vec::new();
    for line in f.lines() {
        let line = line.unwrap();
        if let Some(ua) = line.split('\t').nth(7) {
            if seen.insert(ua.to_owned()) {
                uas.push(pct(ua));
            }
        }
    }
    let p = UaParser::new().unwrap();
    let reps: usize = std::env::var("REPS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5);
    let mut times = Vec::new();
    let mut bots = 0;
    for _ in 0..reps {
        let t = Instant::now();
        bots = 0;
        for ua in &uas {
            bots += usize::from(std::hint::black_box(p.parse(ua)).is_bot);
        }
        times.push(t.elapsed().as_secs_f64() / uas.len() as f64 * 1e6);
    }
    times.sort_by(f64::total_cmp);
    println!(
        "{} distinct UAs, {bots} bots, median {:.2} µs/UA (min {:.2})",
        uas.len(),
        times[times.len() / 2],
        times[0]
    );
}
