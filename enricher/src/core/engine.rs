//! The enrichment engine: input bytes → [`Outcome`]. Pure: no I/O, no clocks, no async.

use super::allowlist::{AllowList, Verdict};
use super::cloudfront::{self, field};
use super::collect::map_collect;
use super::decode::{percent_decode_field, Encoding, Params};
use super::geo;
use super::geoip::GeoIp;
use super::ids::{
    derived_event_id, hit_ids_after_salt, salted, HashInput, HitIds, SaltProvider, Salted,
};
use super::outcome::{Outcome, Reason};
use super::pixel::{map_pixel, PixelHit};
use crate::ua::{UaCache, UaError, UaParser};
use shared::envelope::{Envelope, HitKind};
use shared::record::{RequestInfo, Source, UaFields};
use shared::time::{Date, DateMemo};
use std::borrow::Cow;
use std::sync::Arc;

/// Engine settings.
#[derive(Debug, Clone)]
pub struct EngineConfig {
    /// Hostname of the CDN serving the pixel; referrers from it are self-referrals.
    pub cdn_domain: Option<String>,
    /// Distinct user agents kept parsed.
    pub ua_cache_capacity: usize,
    /// Whether `request_query_string` keeps the verbatim query (seeds-spec A.8, the default).
    /// Off, the column is null on every row: it is a debugging copy of what the other
    /// columns already hold, yet a quarter of the Parquet bytes and ~14 % of the enricher's
    /// CPU (BENCHMARKS.md 2026-11-25); the raw archive, when on, keeps the query either way.
    pub keep_query_string: bool,
}

impl Default for EngineConfig {
    fn default() -> Self {
        EngineConfig {
            cdn_domain: None,
            ua_cache_capacity: 65_536,
            keep_query_string: true,
        }
    }
}

/// Where an input came from, for derived event ids and dead letters.
#[derive(Debug, Clone, Copy)]
pub struct Origin<'s> {
    /// File path, or stream/shard name.
    pub source: &'s str,
    /// Line number, byte offset or sequence number (unique within `source`).
    pub position: u64,
}

/// State the mappers need: UA parsing, salts, allow-list.
pub struct Context {
    ua_parser: UaParser,
    ua_cache: UaCache,
    salts: Box<dyn SaltProvider>,
    allow: Option<Arc<AllowList>>,
    cdn_domain: Option<String>,
    geoip: Option<GeoIp>,
    /// Hash state after the salt of the last date seen (hits arrive mostly in date order).
    salted: Option<(Date, Salted)>,
    /// Hits' UTC dates (see [`DateMemo`]).
    dates: DateMemo,
}

impl Context {
    pub(crate) fn cdn_domain(&self) -> Option<&str> {
        self.cdn_domain.as_deref()
    }

    /// `Some(reason)` when the allow-list rejects the hit.
    pub(crate) fn check_allowed(&self, host: &str, key: Option<&str>) -> Option<Reason> {
        match self.allow.as_ref()?.check(host, key) {
            Verdict::Allowed => None,
            Verdict::UnknownDomain => Some(Cow::Borrowed("allow-list: domain not listed")),
            Verdict::WrongKey => Some(Cow::Borrowed("allow-list: missing or wrong domain key")),
        }
    }

    pub(crate) fn hit_ids(
        &mut self,
        ip: &str,
        ua: &str,
        domain: &str,
        path: &str,
        event_ms: i64,
    ) -> HitIds {
        let date = self.dates.date(event_ms);
        let state = match &self.salted {
            Some((d, h)) if *d == date => h,
            _ => &self.salted.insert((date, salted(self.salts.salt(date)))).1,
        };
        let input = HashInput {
            salt: "", // already in `state`
            ip,
            ua,
            date,
            domain,
            path,
            event_ms,
        };
        hit_ids_after_salt(state, &input)
    }

    /// Location by client IP, when a database is installed and knows the IP.
    fn ip_geo(&mut self, ip: Option<std::net::IpAddr>) -> Option<shared::record::Geo<'static>> {
        self.geoip.as_mut()?.lookup(ip?)
    }

    /// [`Context::ip_geo`] of an IP in text form, parsed only when a database is installed.
    fn ip_text_geo(&mut self, ip: &str) -> Option<shared::record::Geo<'static>> {
        let db = self.geoip.as_mut()?;
        db.lookup(ip.parse().ok()?)
    }

    pub(crate) fn user_agent(&mut self, raw: &str) -> Arc<UaFields> {
        self.ua_cache.get(&self.ua_parser, raw)
    }

    /// The user agent of a CloudFront log field (percent-encoded) and its decoded text; a
    /// cache hit skips the decoding too (see [`UaCache::get_encoded`]).
    pub(crate) fn encoded_user_agent(&mut self, field: &str) -> (Arc<UaFields>, Arc<str>) {
        self.ua_cache.get_encoded(&self.ua_parser, field, |f| {
            Arc::from(percent_decode_field(f).as_ref())
        })
    }
}

/// Arena bytes kept from one line to the next (a line's decoded values take ~0.3 KiB).
const ARENA_KEEP_BYTES: usize = 1 << 20;

/// The engine. One per worker thread (the UA cache is not shared).
pub struct Engine {
    ctx: Context,
    /// Per-line scratch for the client IP text of an envelope (a hash input that never
    /// reaches the record, so it needs no allocation of its own).
    ip_buf: String,
    /// [`EngineConfig::keep_query_string`].
    keep_query_string: bool,
    /// Per-line arena of decoded values, reset by each [`Engine::enrich`]: the record borrows
    /// from it, which is why a record must be dropped before the next line is enriched. At
    /// most [`ARENA_KEEP_BYTES`] of it is carried from one line to the next.
    arena: bumpalo::Bump,
}

impl Engine {
    /// Builds the engine (compiles the UA regexes: ~a second; do it once).
    pub fn new(salts: Box<dyn SaltProvider>, config: EngineConfig) -> Result<Engine, UaError> {
        Ok(Engine {
            ctx: Context {
                ua_parser: UaParser::new()?,
                ua_cache: UaCache::new(config.ua_cache_capacity),
                salts,
                allow: None,
                cdn_domain: config.cdn_domain,
                geoip: None,
                salted: None,
                dates: DateMemo::default(),
            },
            ip_buf: String::new(),
            keep_query_string: config.keep_query_string,
            arena: bumpalo::Bump::new(),
        })
    }

    /// Installs (or removes) the domain allow-list; takes effect for the next input.
    pub fn set_allow_list(&mut self, list: Option<Arc<AllowList>>) {
        self.ctx.allow = list;
    }

    /// Installs a MaxMind-format database: client IP → location, used when no CloudFront
    /// viewer headers are present (before falling back to the edge location).
    pub fn set_geoip(&mut self, db: Option<GeoIp>) {
        self.ctx.geoip = db;
    }

    /// UA cache hits and misses so far.
    pub fn ua_cache_stats(&self) -> (u64, u64) {
        (self.ctx.ua_cache.hits(), self.ctx.ua_cache.misses())
    }

    /// Enriches one input, detecting its kind: an envelope starts with byte `0xFE`, anything
    /// else is a CloudFront real-time log line.
    /// The outcome borrows the input and the engine (decoded values live in its per-line
    /// arena until the next call).
    pub fn enrich<'a>(&'a mut self, input: &'a [u8], origin: Origin<'_>) -> Outcome<'a> {
        self.parts().one(input, origin)
    }

    /// Enriches a batch of inputs, in order, into outcomes that all live until the next call.
    /// Same outcomes as [`Engine::enrich`] one by one; a caller that encodes the records
    /// afterwards runs each side over a whole batch with its code and tables in cache (one
    /// record enriched, then encoded, in turn evicted the other side's).
    pub fn enrich_batch<'a, 's>(
        &'a mut self,
        inputs: impl IntoIterator<Item = (&'a [u8], Origin<'s>)>,
    ) -> Vec<Outcome<'a>> {
        let mut parts = self.parts();
        inputs
            .into_iter()
            .map(|(input, origin)| parts.one(input, origin))
            .collect()
    }

    /// The engine's parts, borrowed apart, with an empty arena: outcomes borrow the arena
    /// while the context stays mutable for the next input.
    fn parts(&mut self) -> Parts<'_, '_> {
        self.reset_arena();
        let Engine {
            ctx,
            arena,
            keep_query_string,
            ip_buf,
        } = self;
        Parts {
            ctx,
            arena,
            keep_query_string: *keep_query_string,
            ip_buf,
        }
    }

    /// A reset keeps the arena's largest chunk: after one huge input, start a small one
    /// instead, so the engine does not hold that memory for its whole life.
    fn reset_arena(&mut self) {
        if self.arena.allocated_bytes() > ARENA_KEEP_BYTES {
            self.arena = bumpalo::Bump::new();
        } else {
            self.arena.reset();
        }
    }
}

/// What enriching one input uses of the engine (see [`Engine::parts`]).
struct Parts<'a, 'e> {
    ctx: &'e mut Context,
    /// Where decoded values go, until the arena's next reset.
    arena: &'a bumpalo::Bump,
    keep_query_string: bool,
    ip_buf: &'e mut String,
}

impl<'a> Parts<'a, '_> {
    /// One input of [`Engine::enrich`], its decoded values in the arena.
    fn one(&mut self, input: &'a [u8], origin: Origin<'_>) -> Outcome<'a> {
        let result = if shared::envelope::is_envelope(input) {
            self.envelope(input)
        } else {
            self.cloudfront_line(input, origin)
        };
        result.unwrap_or_else(Outcome::Failed)
    }

    fn cloudfront_line(
        &mut self,
        line: &'a [u8],
        origin: Origin<'_>,
    ) -> Result<Outcome<'a>, Reason> {
        let Parts {
            ctx,
            arena,
            keep_query_string,
            ..
        } = self;
        let (arena, keep_query_string) = (*arena, *keep_query_string);
        let f = cloudfront::split_fields(line)?;
        let stem = f[field::URI_STEM];
        if !cloudfront::is_pixel_path(stem) {
            return Ok(Outcome::Dropped(Cow::Borrowed(
                "cloudfront: not a tracking pixel request",
            )));
        }
        let arrival_ms = cloudfront::parse_epoch_seconds(f[field::TIMESTAMP])
            .ok_or(Cow::Borrowed("cloudfront: bad timestamp field"))?;
        let query = match f[field::QUERY] {
            "-" => stem.split_once('?').map_or("", |(_, q)| q),
            q => q,
        };
        let edge = geo::edge_id(f[field::EDGE_LOCATION]);
        let geo = match ctx.ip_text_geo(f[field::CLIENT_IP]) {
            Some(g) => g,
            None => geo::edge_geo(edge),
        };
        let (ua, ua_text) = ctx.encoded_user_agent(f[field::USER_AGENT]);
        let hit = PixelHit {
            event_id: derived_event_id(origin.source, origin.position),
            source: Source::Cloudfront,
            params: Params::parse_in(query, arena),
            encoding: Encoding::Twice,
            stem,
            arrival_ms,
            ip: f[field::CLIENT_IP],
            raw_ua: &ua_text,
            ua: Some(ua),
            referer_header: Some(f[field::REFERER]),
            edge_id: (!edge.is_empty()).then_some(Cow::Borrowed(edge)),
            geo,
            request: RequestInfo {
                url: None,
                path: None,
                query_string: (keep_query_string && f[field::QUERY] != "-")
                    .then_some(Cow::Borrowed(f[field::QUERY])),
                bytes: f[field::BYTES].parse().ok(),
                status_code: f[field::STATUS].parse().ok(),
                cache_status: Some(Cow::Borrowed(f[field::RESULT_TYPE])),
                delivery_time_ms: cloudfront::parse_seconds_to_ms(f[field::TIME_TAKEN]),
                asn: f[field::ASN].trim_end_matches(['\n', '\r']).parse().ok(),
            },
        };
        map_pixel(ctx, hit)
    }

    fn envelope(&mut self, bytes: &'a [u8]) -> Result<Outcome<'a>, Reason> {
        let Parts {
            ctx,
            arena,
            keep_query_string,
            ip_buf,
        } = self;
        let (arena, keep_query_string) = (*arena, *keep_query_string);
        let env = Envelope::decode(bytes).map_err(|e| Cow::Owned(format!("envelope: {e}")))?;
        let geo = match &env.viewer {
            Some(v) if !v.is_empty() => geo::viewer_geo(v),
            _ => match ctx.ip_geo(Some(env.client_ip)) {
                Some(g) => g,
                None => geo::edge_geo(env.pop),
            },
        };
        match env.kind {
            HitKind::Collect => map_collect(ctx, &env, geo),
            HitKind::Pixel => {
                if !cloudfront::is_pixel_path(env.path) {
                    return Ok(Outcome::Dropped(Cow::Borrowed(
                        "envelope: not a tracking pixel path",
                    )));
                }
                let hit = PixelHit {
                    event_id: env.event_id,
                    source: Source::Pixel,
                    params: Params::parse_in(env.query, arena),
                    encoding: Encoding::Once,
                    stem: env.path,
                    arrival_ms: env.arrival_ms,
                    ip: {
                        use std::fmt::Write;
                        ip_buf.clear();
                        // Writing to a String cannot fail.
                        let _ = write!(ip_buf, "{}", env.client_ip);
                        ip_buf
                    },
                    raw_ua: env.user_agent,
                    ua: None,
                    referer_header: env.referer,
                    edge_id: (!env.pop.is_empty()).then_some(Cow::Borrowed(env.pop)),
                    geo,
                    request: RequestInfo {
                        query_string: (keep_query_string && !env.query.is_empty())
                            .then_some(Cow::Borrowed(env.query)),
                        bytes: i32::try_from(env.request_bytes).ok(),
                        status_code: Some(200),
                        ..RequestInfo::default()
                    },
                };
                map_pixel(ctx, hit)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::ids::StaticSaltTable;

    fn line(path: &str) -> Vec<u8> {
        format!(
            "1795132808.321\t1.2.3.4\t200\t/hello.gif\t267\tDFW25-C2\t0.000\tMozilla/5.0\t-\t\
             t=pv&ts=1795132808035&hn=a.example&pa={path}\tHit\t22773"
        )
        .into_bytes()
    }

    /// One huge line does not leave its arena chunk behind, and the next line still works.
    #[test]
    fn a_huge_line_does_not_keep_its_arena() {
        let mut e = Engine::new(Box::<StaticSaltTable>::default(), EngineConfig::default())
            .expect("engine");
        let origin = Origin {
            source: "t",
            position: 0,
        };
        let huge = line(&"%252Fx".repeat(400_000));
        assert!(matches!(e.enrich(&huge, origin), Outcome::Ok(_)));
        assert!(e.arena.allocated_bytes() > ARENA_KEEP_BYTES);
        let small = line("%252Fa%252Fb");
        match e.enrich(&small, origin) {
            Outcome::Ok(r) => assert_eq!(r.request.path.as_deref(), Some("/a/b")),
            other => panic!("{other:?}"),
        }
        assert!(e.arena.allocated_bytes() <= ARENA_KEEP_BYTES);
    }
}
