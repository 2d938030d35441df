//! `synth`'s output loop: the hit stream, encoded as CloudFront lines or envelopes and written.

use super::args::{Config, Format};
use super::cloudfront::{encode_line, LineKind, LineScratch};
use super::envelope::{encode_envelope, EnvelopeScratch};
use super::hit::Hit;
use super::model::Model;
use super::rng::Rng;
use super::stats::Stats;
use super::stream::{HitStream, STREAM_MODEL, STREAM_WIRE};
use super::writer::Output;
use super::SynthError;

/// Encodes hits and writes them.
struct Emitter<'a> {
    model: &'a Model,
    config: &'a Config,
    out: &'a mut Output,
    wire: Rng,
    stats: Stats,
    line: String,
    line_scratch: LineScratch,
    record: Vec<u8>,
    envelope_scratch: EnvelopeScratch,
}

impl Emitter<'_> {
    fn emit(&mut self, hit: &Hit) -> Result<(), SynthError> {
        let kind = match self.config.format {
            Format::Cloudfront => {
                let kind = encode_line(
                    hit,
                    self.model,
                    &mut self.wire,
                    self.config.broken_share,
                    &mut self.line_scratch,
                    &mut self.line,
                );
                self.out.write(self.line.as_bytes())?;
                kind
            }
            Format::Envelope => {
                encode_envelope(
                    hit,
                    self.model,
                    &mut self.wire,
                    &mut self.envelope_scratch,
                    &mut self.record,
                );
                self.out.write(&self.record)?;
                LineKind::Pixel
            }
        };
        self.stats.record(hit, kind);
        Ok(())
    }
}

/// Generates `config.events` records into `out`.
pub fn generate(config: &Config, out: &mut Output) -> Result<Stats, SynthError> {
    let model = Model::build(&mut Rng::derive(config.seed, STREAM_MODEL), config.domains);
    let mut emitter = Emitter {
        model: &model,
        config,
        out,
        wire: Rng::derive(config.seed, STREAM_WIRE),
        stats: Stats::default(),
        line: String::with_capacity(4096),
        line_scratch: LineScratch::default(),
        record: Vec::with_capacity(4096),
        envelope_scratch: EnvelopeScratch::default(),
    };
    let mut stream = HitStream::new(&model, config);
    for hit in stream.by_ref() {
        emitter.emit(&hit)?;
    }
    emitter.stats.sessions = stream.sessions;
    emitter.stats.split_sessions = stream.split_sessions;
    Ok(emitter.stats)
}
