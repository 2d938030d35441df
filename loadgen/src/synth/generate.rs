//! The generation loop: visits start in time order, each visit's hits go into a reorder buffer
//! keyed by arrival time, and everything that arrives before the next visit starts is written. Hits
//! never arrive before their visit starts, so the output is exactly in arrival order while the
//! buffer only holds the hits of visits still in progress (minutes of traffic, not the file).

use super::args::{Config, Format};
use super::cloudfront::{encode_line, LineKind, LineScratch};
use super::envelope::{encode_envelope, EnvelopeScratch};
use super::hit::{Hit, Session};
use super::model::Model;
use super::reorder::Reorder;
use super::rng::Rng;
use super::session::{pixel_session, HitSink, SessionSettings};
use super::shopper::collect_session;
use super::stats::Stats;
use super::traffic::landing_source;
use super::visitors::VisitorFactory;
use super::writer::Output;
use super::{clock::Clock, SynthError};
use std::rc::Rc;

/// Independent random streams, so changing one part of the generator leaves the others alone.
const STREAM_MODEL: u64 = 1;
const STREAM_TRAFFIC: u64 = 2;
const STREAM_WIRE: u64 = 3;

/// Share of CloudFront lines that are pageviews, used to turn the requested script-request
/// share of lines into a per-pageview probability.
const PAGEVIEW_SHARE: f64 = 0.62;

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

/// Running mean of hits per visit, to steer the visit rate and the collect share.
struct Mean {
    sum: f64,
    n: f64,
}

impl Mean {
    fn new(prior: f64) -> Mean {
        Mean {
            sum: prior * 10.0,
            n: 10.0,
        }
    }
    fn add(&mut self, x: usize) {
        self.sum += x as f64;
        self.n += 1.0;
    }
    fn get(&self) -> f64 {
        self.sum / self.n
    }
}

/// Generates `config.events` records into `out`.
pub fn generate(config: &Config, out: &mut Output) -> Result<Stats, SynthError> {
    let model = Model::build(&mut Rng::derive(config.seed, STREAM_MODEL), config.domains);
    let mut rng = Rng::derive(config.seed, STREAM_TRAFFIC);
    let mut visitors = VisitorFactory::new(&model.edges);
    let mut clock = Clock::new(config.start_ms, config.end_ms);
    let settings = SessionSettings {
        cloudfront: config.format == Format::Cloudfront,
        asset_rate: (config.nonpixel_share / PAGEVIEW_SHARE).min(1.0),
    };
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
    let mut pending = Reorder::default();
    let mut batch: Vec<Hit> = Vec::new();
    let (mut pixel_mean, mut collect_mean) = (Mean::new(6.0), Mean::new(7.0));
    let mut generated = 0u64;
    while generated < config.events {
        let remaining = config.events - generated;
        let share = config.collect_share;
        let mean = share * collect_mean.get() + (1.0 - share) * pixel_mean.get();
        let start = clock.next_start(&mut rng, remaining as f64 / mean);
        while let Some(hit) = pending.pop_before(start) {
            emitter.emit(&hit)?;
        }
        // Choose the visit kind so that the share of *records* matches --collect-share even
        // though shopping visits are longer than tracker visits.
        let (p, c) = (pixel_mean.get(), collect_mean.get());
        let collect_p = if share <= 0.0 {
            0.0
        } else {
            share * p / (share * p + (1.0 - share) * c)
        };
        let collect = rng.chance(collect_p);
        let region = clock.region_at(&mut rng, start);
        let visitor = visitors.visitor_for_session(&mut rng, region);
        let site_idx = model.pick_site(&mut rng, collect);
        let (referrer, utm) = landing_source(&mut rng, &model.sites, usize::from(site_idx));
        let session = Rc::new(Session {
            site: site_idx,
            visitor,
            referrer,
            utm,
        });
        let site = model.site(site_idx);
        batch.clear();
        let mut sink = HitSink {
            out: &mut batch,
            session: &session,
        };
        let split = if collect {
            collect_session(
                &mut rng,
                site,
                &mut sink,
                start,
                config.duplicate_purchase_share,
            )
            .split
        } else {
            pixel_session(&mut rng, site, &mut sink, start, settings)
        };
        // The window is a hard boundary on event time; visits running past it are cut.
        let end = clock.end_ms();
        batch.retain(|h| h.event_ms < end);
        if collect {
            collect_mean.add(batch.len())
        } else {
            pixel_mean.add(batch.len())
        }
        batch.sort_by_key(|h| h.event_ms);
        batch.truncate(usize::try_from(remaining).unwrap_or(usize::MAX));
        emitter.stats.sessions += 1;
        emitter.stats.split_sessions += u64::from(split);
        generated += batch.len() as u64;
        for hit in batch.drain(..) {
            pending.push(hit);
        }
    }
    while let Some(hit) = pending.pop() {
        emitter.emit(&hit)?;
    }
    Ok(emitter.stats)
}
