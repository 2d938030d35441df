//! The traffic model as a stream of hits in arrival order: visits start in time order, each
//! visit's hits go into a reorder buffer keyed by arrival time, and a hit leaves once the next
//! visit starts after it. Hits never arrive before their visit starts, so the stream is exactly
//! in arrival order while the buffer only holds the hits of visits still in progress (minutes of
//! traffic, not the whole run). `synth` writes the stream to a file, `send` to a collector.

use super::args::{Config, Format};
use super::clock::Clock;
use super::hit::{Hit, Session};
use super::model::Model;
use super::reorder::Reorder;
use super::rng::Rng;
use super::session::{pixel_session, HitSink, SessionSettings};
use super::shopper::collect_session;
use super::traffic::landing_source;
use super::visitors::VisitorFactory;
use std::rc::Rc;

/// Independent random streams, so changing one part of the generator leaves the others alone.
pub const STREAM_MODEL: u64 = 1;
const STREAM_TRAFFIC: u64 = 2;
/// Randomness of the wire encoders (ids, `z`, edge codes), drawn in output order.
pub const STREAM_WIRE: u64 = 3;

/// Share of CloudFront lines that are pageviews, used to turn the requested script-request
/// share of lines into a per-pageview probability.
const PAGEVIEW_SHARE: f64 = 0.62;

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

/// Exactly `config.events` hits (fewer only if the window cannot hold them), in arrival order.
pub struct HitStream<'m> {
    model: &'m Model,
    events: u64,
    collect_share: f64,
    duplicate_purchase_share: f64,
    settings: SessionSettings,
    rng: Rng,
    visitors: VisitorFactory,
    clock: Clock,
    pending: Reorder,
    batch: Vec<Hit>,
    pixel_mean: Mean,
    collect_mean: Mean,
    generated: u64,
    /// Start of the next visit, drawn but not yet generated: hits arriving before it go first.
    next_start: Option<i64>,
    /// Visits generated.
    pub sessions: u64,
    /// Visits with a pause of more than 30 minutes.
    pub split_sessions: u64,
}

impl<'m> HitStream<'m> {
    /// A stream over `model` (built from the same seed with [`STREAM_MODEL`]).
    pub fn new(model: &'m Model, config: &Config) -> HitStream<'m> {
        HitStream {
            model,
            events: config.events,
            collect_share: config.collect_share,
            duplicate_purchase_share: config.duplicate_purchase_share,
            settings: SessionSettings {
                cloudfront: config.format == Format::Cloudfront,
                asset_rate: (config.nonpixel_share / PAGEVIEW_SHARE).min(1.0),
            },
            rng: Rng::derive(config.seed, STREAM_TRAFFIC),
            visitors: VisitorFactory::new(&model.edges),
            clock: Clock::new(config.start_ms, config.end_ms),
            pending: Reorder::default(),
            batch: Vec::new(),
            pixel_mean: Mean::new(6.0),
            collect_mean: Mean::new(7.0),
            generated: 0,
            next_start: None,
            sessions: 0,
            split_sessions: 0,
        }
    }

    /// Draws the start of the next visit.
    fn draw_start(&mut self) -> i64 {
        let remaining = self.events - self.generated;
        let share = self.collect_share;
        let mean = share * self.collect_mean.get() + (1.0 - share) * self.pixel_mean.get();
        self.clock
            .next_start(&mut self.rng, remaining as f64 / mean)
    }

    /// Generates the visit starting at `start` into the reorder buffer.
    fn visit(&mut self, start: i64) {
        let (rng, model) = (&mut self.rng, self.model);
        let remaining = self.events - self.generated;
        let share = self.collect_share;
        // Choose the visit kind so that the share of *records* matches --collect-share even
        // though shopping visits are longer than tracker visits.
        let (p, c) = (self.pixel_mean.get(), self.collect_mean.get());
        let collect_p = if share <= 0.0 {
            0.0
        } else {
            share * p / (share * p + (1.0 - share) * c)
        };
        let collect = rng.chance(collect_p);
        let region = self.clock.region_at(rng, start);
        let visitor = self.visitors.visitor_for_session(rng, region);
        let site_idx = model.pick_site(rng, collect);
        let (referrer, utm) = landing_source(rng, &model.sites, usize::from(site_idx));
        let session = Rc::new(Session {
            site: site_idx,
            visitor,
            referrer,
            utm,
        });
        let site = model.site(site_idx);
        self.batch.clear();
        let mut sink = HitSink {
            out: &mut self.batch,
            session: &session,
        };
        let split = if collect {
            collect_session(rng, site, &mut sink, start, self.duplicate_purchase_share).split
        } else {
            pixel_session(rng, site, &mut sink, start, self.settings)
        };
        // The window is a hard boundary on event time; visits running past it are cut.
        let end = self.clock.end_ms();
        self.batch.retain(|h| h.event_ms < end);
        if collect {
            self.collect_mean.add(self.batch.len())
        } else {
            self.pixel_mean.add(self.batch.len())
        }
        self.batch.sort_by_key(|h| h.event_ms);
        self.batch
            .truncate(usize::try_from(remaining).unwrap_or(usize::MAX));
        self.sessions += 1;
        self.split_sessions += u64::from(split);
        self.generated += self.batch.len() as u64;
        for hit in self.batch.drain(..) {
            self.pending.push(hit);
        }
    }
}

impl Iterator for HitStream<'_> {
    type Item = Hit;

    fn next(&mut self) -> Option<Hit> {
        loop {
            if let Some(start) = self.next_start {
                if let Some(hit) = self.pending.pop_before(start) {
                    return Some(hit);
                }
                self.next_start = None;
                self.visit(start);
            } else if self.generated < self.events {
                self.next_start = Some(self.draw_start());
            } else {
                return self.pending.pop();
            }
        }
    }
}
