//! The traffic model as HTTP requests to our own collector, for `loadgen send`: the same visits,
//! visitors and encoders as `synth`, but each hit becomes what the browser would send — the
//! pixel's query encoded once with the real User-Agent and Referer headers, or the `/collect`
//! JSON body — plus `X-Forwarded-For` with the visitor's address (the collector trusts one proxy
//! hop, so its per-IP rate limit sees many clients instead of the load generator).

use super::args::{Config, Format};
use super::collect::collect_body;
use super::hit::{Hit, HitBody};
use super::model::Model;
use super::rng::Rng;
use super::stream::{HitStream, STREAM_MODEL, STREAM_WIRE};
use super::tracker::{referer_header, tracker_query, Corruption};
use std::ops::ControlFlow;

/// What kind of requests to build.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestMode {
    /// `GET /hello.gif?…`, one tracker hit each.
    Pixel,
    /// `POST /collect` with one JSON object.
    Collect,
    /// `POST /collect` with up to `size` events, as a JSON array or as NDJSON.
    Batch {
        /// Events per request (the last one may hold fewer).
        size: usize,
        /// Newline-delimited JSON instead of an array.
        ndjson: bool,
    },
}

/// What to generate.
#[derive(Debug, Clone)]
pub struct TrafficParams {
    /// Seed (same seed, same requests).
    pub seed: u64,
    /// Number of tracked sites.
    pub domains: usize,
    /// Events to generate (a batch request carries several).
    pub events: u64,
    /// Event-time window `[start_ms, end_ms)`.
    pub start_ms: i64,
    /// End of the window (exclusive).
    pub end_ms: i64,
    /// Added to every event and arrival time after generation. The model runs on a fixed
    /// window, so the same seed gives the same visits whenever it runs; the shift then moves
    /// them to the present.
    pub shift_ms: i64,
    /// Request shape.
    pub mode: RequestMode,
}

/// One request, described without an HTTP library; buffers are reused between requests.
#[derive(Debug, Default)]
pub struct Draft {
    /// `POST` (collect) rather than `GET` (pixel).
    pub post: bool,
    /// Path and query, e.g. `/hello.gif?t=pv&…` or `/collect`.
    pub path: String,
    /// `User-Agent`.
    pub user_agent: String,
    /// `Referer`, empty for none.
    pub referer: String,
    /// `X-Forwarded-For`.
    pub client_ip: String,
    /// Body (empty for pixel hits).
    pub body: Vec<u8>,
    /// `Content-Type` of the body.
    pub content_type: &'static str,
    /// Events in the request.
    pub events: u32,
}

impl Draft {
    fn clear(&mut self) {
        self.path.clear();
        self.user_agent.clear();
        self.referer.clear();
        self.client_ip.clear();
        self.body.clear();
        self.events = 0;
    }

    /// Takes the visitor's headers from `hit`.
    fn headers(&mut self, hit: &Hit, model: &Model) {
        let v = &hit.session.visitor;
        self.user_agent.push_str(&v.ua.raw);
        self.client_ip.push_str(&v.ip_text);
        if !referer_header(hit, model.site(hit.session.site), &mut self.referer) {
            self.referer.clear();
        }
    }
}

/// Counts of what was generated.
#[derive(Debug, Default, Clone, Copy)]
pub struct TrafficStats {
    /// Visits generated.
    pub sessions: u64,
    /// Events generated (some may not have been handed out when the consumer stopped).
    pub events: u64,
}

/// Generates the requests and hands each to `emit`, which may stop the stream early.
pub fn generate_requests(
    params: &TrafficParams,
    mut emit: impl FnMut(&Draft) -> ControlFlow<()>,
) -> TrafficStats {
    let model = Model::build(&mut Rng::derive(params.seed, STREAM_MODEL), params.domains);
    let config = Config {
        events: params.events,
        seed: params.seed,
        // Envelope settings: no CDN script requests, nothing deliberately broken.
        format: Format::Envelope,
        collect_share: if params.mode == RequestMode::Pixel {
            0.0
        } else {
            1.0
        },
        start_ms: params.start_ms,
        end_ms: params.end_ms,
        nonpixel_share: 0.0,
        broken_share: 0.0,
        duplicate_purchase_share: 0.04,
        domains: params.domains,
        output: String::new(),
    };
    let mut stream = HitStream::new(&model, &config);
    let mut wire = Rng::derive(params.seed, STREAM_WIRE);
    let (mut draft, mut url, mut json) = (Draft::default(), String::new(), String::new());
    let mut query = String::with_capacity(2048);
    let mut stats = TrafficStats::default();
    let batch = match params.mode {
        RequestMode::Batch { size, ndjson } => Some((size.max(1), ndjson)),
        _ => None,
    };
    for mut hit in stream.by_ref() {
        stats.events += 1;
        hit.event_ms += params.shift_ms;
        hit.arrival_ms += params.shift_ms;
        let site = model.site(hit.session.site);
        let collect = matches!(hit.body, HitBody::CollectPageview | HitBody::Ecommerce(_));
        if let (Some((size, ndjson)), true) = (batch, collect) {
            if draft.events == 0 {
                draft.clear();
                // A server-side batch carries many visitors' events; the request's own headers
                // are those of the first one (the events carry `cid` and sometimes `ua`).
                draft.headers(&hit, &model);
                draft.post = true;
                draft.path.push_str("/collect");
                draft.content_type = if ndjson {
                    "application/x-ndjson"
                } else {
                    "application/json"
                };
                if !ndjson {
                    draft.body.push(b'[');
                }
            } else if !ndjson {
                draft.body.push(b',');
            }
            collect_body(&hit, site, &mut wire, &mut url, &mut json);
            draft.body.extend_from_slice(json.as_bytes());
            if ndjson {
                draft.body.push(b'\n');
            }
            draft.events += 1;
            if draft.events as usize >= size {
                finish_batch(&mut draft, ndjson);
                if emit(&draft).is_break() {
                    return finish(stats, &stream);
                }
                draft.events = 0;
            }
            continue;
        }
        draft.clear();
        draft.headers(&hit, &model);
        draft.events = 1;
        if collect {
            collect_body(&hit, site, &mut wire, &mut url, &mut json);
            draft.post = true;
            draft.path.push_str("/collect");
            draft.body.extend_from_slice(json.as_bytes());
            draft.content_type = "application/json";
        } else {
            query.clear();
            tracker_query(&hit, site, false, Corruption::None, &mut url, &mut query);
            draft.post = false;
            draft.path.push_str("/hello.gif?");
            draft.path.push_str(&query);
            draft.content_type = "";
        }
        if emit(&draft).is_break() {
            return finish(stats, &stream);
        }
    }
    if let (Some((_, ndjson)), true) = (batch, draft.events > 0) {
        finish_batch(&mut draft, ndjson);
        let _ = emit(&draft);
    }
    finish(stats, &stream)
}

fn finish_batch(draft: &mut Draft, ndjson: bool) {
    if !ndjson {
        draft.body.push(b']');
    }
}

fn finish(mut stats: TrafficStats, stream: &HitStream<'_>) -> TrafficStats {
    stats.sessions = stream.sessions;
    stats
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(mode: RequestMode, events: u64) -> TrafficParams {
        TrafficParams {
            seed: 5,
            domains: 6,
            events,
            start_ms: 1_795_132_800_000,
            end_ms: 1_795_132_800_000 + 3_600_000,
            shift_ms: 0,
            mode,
        }
    }

    #[test]
    fn pixel_requests_are_single_encoded_gets() {
        let mut n = 0;
        let stats = generate_requests(&params(RequestMode::Pixel, 500), |d| {
            n += 1;
            assert!(!d.post && d.body.is_empty() && d.events == 1);
            assert!(d.path.starts_with("/hello.gif?t="), "{}", d.path);
            // Encoded once: no `%25` from a second pass over a plain value, no spaces.
            assert!(!d.path.contains(' ') && d.path.contains("&ts="));
            assert!(!d.user_agent.is_empty() && d.client_ip.parse::<std::net::IpAddr>().is_ok());
            ControlFlow::Continue(())
        });
        assert_eq!((n, stats.events), (500, 500));
        assert!(stats.sessions > 20, "{stats:?}");
    }

    #[test]
    fn batches_hold_exactly_the_requested_events() {
        for ndjson in [false, true] {
            let mode = RequestMode::Batch { size: 7, ndjson };
            let mut events = 0;
            generate_requests(&params(mode, 100), |d| {
                let objects: Vec<serde_json::Value> = if ndjson {
                    std::str::from_utf8(&d.body)
                        .unwrap()
                        .lines()
                        .map(|l| serde_json::from_str(l).unwrap())
                        .collect()
                } else {
                    serde_json::from_slice(&d.body).unwrap()
                };
                assert_eq!(objects.len(), d.events as usize);
                assert!(d.events <= 7 && d.post && d.path == "/collect");
                events += d.events;
                ControlFlow::Continue(())
            });
            assert_eq!(events, 100);
        }
    }

    #[test]
    fn stopping_early_stops() {
        let mut n = 0;
        generate_requests(&params(RequestMode::Collect, 1000), |_| {
            n += 1;
            if n == 10 {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        });
        assert_eq!(n, 10);
    }
}
