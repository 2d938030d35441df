//! ownstats tracking-pixel hits (seeds-spec A.2, A.4) → enriched record. Shared by CloudFront
//! log lines (query encoded twice) and collector envelopes (query encoded once).

use super::decode::{decode_extra_lenient, Encoding, Params};
use super::engine::Context;
use super::outcome::{failed, MapResult, Outcome, Reason};
use super::url::parse_url;
use shared::record::{
    ClientHints, EnrichedRecord, EventType, Geo, RequestInfo, Source, UaFields, Utm,
};
use std::borrow::Cow;
use std::sync::Arc;

/// Referrer domain of a direct visit (ownstats' literal).
pub const DIRECT: &str = "Direct / None";
/// Referrer domain when the referrer is not an absolute URL.
pub const UNKNOWN_REFERRER: &str = "Unknown";
/// Longest accepted hostname or event name (they become partition values).
pub const MAX_NAME_BYTES: usize = shared::partition::MAX_PARTITION_VALUE_BYTES;

/// A pixel request, whatever carried it. `'a` is the input (borrowed by the record), `'u`
/// the engine's per-line scratch (hash and lookup inputs only).
pub struct PixelHit<'a, 'u> {
    /// Event id (from the envelope, or derived from the source position).
    pub event_id: [u8; 16],
    /// Input kind.
    pub source: Source,
    /// Tracker parameters, still encoded.
    pub params: Params<'a>,
    /// How often the values are encoded.
    pub encoding: Encoding,
    /// `/hello.gif` or `/noscript.gif` (with or without query).
    pub stem: &'a str,
    /// Arrival, epoch ms.
    pub arrival_ms: i64,
    /// Client IP text (hash input only).
    pub ip: &'u str,
    /// User-Agent header, decoded (hash input).
    pub raw_ua: &'u str,
    /// Its parsed fields when the caller already looked them up.
    pub ua: Option<Arc<UaFields>>,
    /// Referer header (the page embedding the pixel).
    pub referer_header: Option<&'a str>,
    /// Edge / POP code.
    pub edge_id: Option<Cow<'a, str>>,
    /// Edge or viewer location.
    pub geo: Geo<'a>,
    /// Request facts.
    pub request: RequestInfo<'a>,
}

fn lenient_int<T: std::str::FromStr>(v: Option<Cow<'_, str>>) -> Option<T> {
    v.and_then(|s| s.trim().parse().ok())
}

/// `<a>x<b>`, built directly (the `format!` machinery costs more than the copy), in the
/// line's arena when there is one.
fn pair<'a>(
    a: Option<Cow<'a, str>>,
    b: Option<Cow<'a, str>>,
    arena: Option<&'a bumpalo::Bump>,
) -> Option<Cow<'a, str>> {
    let (a, b) = (a?, b?);
    let parts = [&*a, "x", &*b];
    let Some(arena) = arena else {
        return Some(Cow::Owned(parts.concat()));
    };
    let mut s = bumpalo::collections::String::with_capacity_in(a.len() + 1 + b.len(), arena);
    for p in parts {
        s.push_str(p);
    }
    Some(Cow::Borrowed(s.into_bump_str()))
}

/// Referrer and its domain, with self-referrals (same host, or the CDN's own host) removed.
pub(crate) fn referrer<'a>(
    r: Option<Cow<'a, str>>,
    own_host: &str,
    cdn_host: Option<&str>,
) -> (Option<Cow<'a, str>>, Cow<'a, str>) {
    let Some(r) = r else {
        return (None, Cow::Borrowed(DIRECT));
    };
    // A borrowed referrer (input or arena) lends its host too; an owned one gives a copy.
    let host: Option<Cow<'a, str>> = match &r {
        Cow::Borrowed(b) => parse_url(b).map(|p| p.host),
        Cow::Owned(o) => parse_url(o).map(|p| Cow::Owned(p.host.into_owned())),
    };
    let Some(host) = host else {
        return (Some(r), Cow::Borrowed(UNKNOWN_REFERRER));
    };
    if host.eq_ignore_ascii_case(own_host) || cdn_host.is_some_and(|c| host.eq_ignore_ascii_case(c))
    {
        (None, Cow::Borrowed(DIRECT))
    } else {
        (Some(r), host)
    }
}

/// UTM parameters from a URL's query (`utm_source=…`), decoded once.
pub(crate) fn utm_from_url(url: Option<&str>) -> Utm<'static> {
    let mut utm = Utm::default();
    // Most page URLs have no query at all: skip parsing them.
    let url = url.filter(|u| memchr::memchr(b'?', u.as_bytes()).is_some());
    let Some(query) = url.and_then(parse_url).and_then(|p| p.query) else {
        return utm;
    };
    let params = Params::parse(query);
    let get = |k| -> Option<Cow<'static, str>> {
        params
            .get(k, Encoding::Once)
            .ok()
            .flatten()
            .map(|v| Cow::Owned(v.into_owned()))
    };
    utm.source = get("utm_source");
    utm.campaign = get("utm_campaign");
    utm.medium = get("utm_medium");
    utm.content = get("utm_content");
    utm.term = get("utm_term");
    utm
}

/// Maps one pixel hit. `Err` is a parse failure (dead letter).
pub fn map_pixel<'a>(ctx: &mut Context, hit: PixelHit<'a, '_>) -> MapResult<'a> {
    let enc = hit.encoding;
    // A macro, not a closure: with the key a literal at each use, `Params::get` folds it to
    // its slot (a closure took the key as a run-time argument and matched it every time).
    macro_rules! q {
        ($k:literal) => {
            hit.params.get($k, enc).map_err(Reason::from)
        };
    }
    let noscript = hit.stem.starts_with("/noscript.gif");

    let t = q!("t")?;
    let event_type = match t.as_deref() {
        Some("pv") => EventType::Pageview,
        Some("tr") => EventType::Event,
        _ if noscript => EventType::Pageview,
        _ => EventType::Na,
    };
    let referer_url = hit.referer_header.filter(|r| *r != "-");
    // Only noscript hits use the Referer's parts.
    let referer_parts = if noscript {
        referer_url.and_then(parse_url)
    } else {
        None
    };
    let domain = match q!("hn")? {
        Some(hn) => hn,
        None if noscript => match &referer_parts {
            Some(p) => Cow::Owned(p.host.to_string()),
            None => return failed("pixel: noscript hit without hn or a Referer URL"),
        },
        // Identify hits (`t=id`) carry no hostname; ownstats dropped them too.
        None if t.as_deref() == Some("id") => {
            return Ok(Outcome::Dropped(Cow::Borrowed(
                "pixel: identify hit without hostname",
            )))
        }
        None => return failed("pixel: missing hn (hostname)"),
    };
    if domain.len() > MAX_NAME_BYTES {
        return failed("pixel: hostname longer than 200 bytes");
    }
    if let Some(dropped) = ctx.check_allowed(&domain, q!("dk")?.as_deref()) {
        return Ok(Outcome::Dropped(dropped));
    }
    let event_ms = match q!("ts")? {
        Some(ts) => match ts.parse::<i64>() {
            Ok(ms) if (0..=253_402_300_799_999).contains(&ms) => ms,
            _ => return failed("pixel: ts is not an epoch-milliseconds integer"),
        },
        None if noscript => hit.arrival_ms,
        None => return failed("pixel: missing ts"),
    };

    let (request_url, request_path) = if noscript {
        (
            referer_url.map(Cow::Borrowed),
            q!("pa")?.or_else(|| referer_parts.as_ref().map(|p| Cow::Borrowed(p.path))),
        )
    } else {
        (q!("u")?, q!("pa")?)
    };

    let (referrer, referrer_domain_name) = referrer(q!("r")?, &domain, ctx.cdn_domain());

    let mut utm = Utm {
        source: q!("uso")?.map(decode_extra_lenient),
        campaign: q!("uca")?.map(decode_extra_lenient),
        medium: q!("ume")?.map(decode_extra_lenient),
        content: q!("uco")?.map(decode_extra_lenient),
        term: q!("ute")?.map(decode_extra_lenient),
    };
    if utm == Utm::default() {
        utm = utm_from_url(request_url.as_deref());
    }

    let (event_name, event_data) = if event_type == EventType::Event {
        let name = q!("en")?;
        if name.as_ref().is_some_and(|n| n.len() > MAX_NAME_BYTES) {
            return failed("pixel: event name longer than 200 bytes");
        }
        (name, q!("pr")?)
    } else {
        (None, None)
    };

    let client = ClientHints {
        timezone: q!("tz")?,
        language: q!("l")?,
        outer_resolution: pair(q!("w")?, q!("h")?, hit.params.arena()),
        inner_resolution: pair(q!("iw")?, q!("ih")?, hit.params.arena()),
        color_depth: lenient_int(q!("d")?),
        platform: q!("p")?,
        memory: lenient_int::<f64>(q!("m")?).filter(|m| m.is_finite()),
        cores: lenient_int(q!("c")?),
    };

    let ids = ctx.hit_ids(
        hit.ip,
        hit.raw_ua,
        &domain,
        request_path.as_deref().unwrap_or(""),
        event_ms,
    );
    let ua = match hit.ua {
        Some(ua) => ua,
        None => ctx.user_agent(hit.raw_ua),
    };

    Ok(Outcome::Ok(EnrichedRecord {
        event_id: hit.event_id,
        source: hit.source,
        domain_name: domain,
        event_type,
        event_ms,
        arrival_ms: hit.arrival_ms,
        edge_id: hit.edge_id,
        geo: hit.geo,
        referrer,
        referrer_domain_name,
        ua,
        client,
        utm,
        request: RequestInfo {
            url: request_url,
            path: request_path,
            ..hit.request
        },
        event_name,
        event_data,
        page_view_id: ids.page_view_id,
        daily_page_view_id: ids.daily_page_view_id,
        daily_visitor_id: ids.daily_visitor_id,
        client_id: None,
        user_id: None,
        commerce: Default::default(),
    }))
}
