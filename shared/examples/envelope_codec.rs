//! Measures the envelope encoding against JSON of the same fields on a record file of envelopes
//! (e.g. from `loadgen synth --format envelope`).
//!
//! `cargo run --release -p shared --example envelope_codec -- FILE`

use shared::envelope::Envelope;
use shared::framing::{frames, Frame};
use std::time::Instant;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args()
        .nth(1)
        .ok_or("usage: envelope_codec FILE")?;
    let data = std::fs::read(&path)?;
    let records: Vec<&[u8]> = frames(&data)
        .filter_map(|f| match f {
            Frame::Record { bytes, .. } => Some(bytes),
            Frame::Corrupt { .. } => None,
        })
        .collect();
    let envs: Vec<Envelope<'_>> = records
        .iter()
        .filter_map(|r| Envelope::decode(r).ok())
        .collect();
    if envs.is_empty() {
        return Err("no envelope in file".into());
    }
    let n = envs.len() as f64;

    let t = Instant::now();
    let mut buf = Vec::with_capacity(1024);
    let mut binary_bytes = 0usize;
    for e in &envs {
        buf.clear();
        e.encode_into(&mut buf);
        binary_bytes += std::hint::black_box(&buf).len();
    }
    let encode_ns = t.elapsed().as_nanos() as f64 / n;

    let t = Instant::now();
    let mut ok = 0usize;
    for r in &records {
        ok += usize::from(std::hint::black_box(Envelope::decode(r)).is_ok());
    }
    let decode_ns = t.elapsed().as_nanos() as f64 / n;

    let t = Instant::now();
    let mut json_bytes = 0usize;
    for e in &envs {
        json_bytes += serde_json::to_vec(e)?.len();
    }
    let json_encode_ns = t.elapsed().as_nanos() as f64 / n;
    let payload: usize = envs.iter().map(|e| e.query.len() + e.body.len()).sum();

    println!("envelopes={} decoded_ok={ok}", envs.len());
    println!(
        "binary_bytes_per_envelope={:.1} json_bytes_per_envelope={:.1} payload_bytes_per_envelope={:.1}",
        binary_bytes as f64 / n,
        json_bytes as f64 / n,
        payload as f64 / n
    );
    println!(
        "encode_ns={encode_ns:.0} decode_ns={decode_ns:.0} json_encode_ns={json_encode_ns:.0}"
    );
    Ok(())
}
