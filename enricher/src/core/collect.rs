//! GA-style `/collect` events (paas-data-ingestion, seeds-spec B.1–B.3) → enriched record.
//!
//! One JSON object per envelope (the collector splits batches). Values may be JSON strings or
//! numbers. Mapping, with the paas dbt fixes: domain and path from `dl` (or the Referer
//! header), `dh`/`dp` override; referrer from `dr`; event time from `tm` (client ms) or
//! arrival − `qt`; `client_id` = lower(trim(cid)); products from every `pr<N><suffix>` key;
//! tax from `tt` (paas read `tr`); currency upper-cased.

use super::engine::Context;
use super::outcome::{failed, MapResult, Outcome};
use super::pixel::{referrer, utm_from_url, MAX_NAME_BYTES};
use super::url::parse_url;
use serde_json::{Map, Value};
use shared::envelope::Envelope;
use shared::record::{
    ClientHints, Commerce, EnrichedRecord, EventType, Geo, Product, RequestInfo, Source, Utm,
};
use std::borrow::Cow;
use std::collections::BTreeMap;

type Obj = Map<String, Value>;

/// Text of a string or number value; empty strings count as absent.
fn text(o: &Obj, k: &str) -> Option<String> {
    match o.get(k)? {
        Value::String(s) => {
            let t = s.trim();
            (!t.is_empty()).then(|| t.to_string())
        }
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn number(o: &Obj, k: &str) -> Option<f64> {
    match o.get(k)? {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
    .filter(|v: &f64| v.is_finite())
}

fn int(o: &Obj, k: &str) -> Option<i64> {
    number(o, k)
        .filter(|v| v.fract() == 0.0 && v.abs() < 9.0e15)
        .map(|v| v as i64)
}

/// Products: every `pr<N><suffix>` key belongs to product N; ordered by N.
fn products(o: &Obj) -> Vec<Product<'static>> {
    let mut by_index: BTreeMap<u32, Product<'static>> = BTreeMap::new();
    for (key, value) in o {
        let lower = key.to_ascii_lowercase();
        let Some(rest) = lower.strip_prefix("pr") else {
            continue;
        };
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 || digits > 3 {
            continue;
        }
        let (idx, suffix) = rest.split_at(digits);
        let Ok(idx) = idx.parse::<u32>() else {
            continue;
        };
        let single = Obj::from_iter([(String::from("v"), value.clone())]);
        let p = by_index.entry(idx).or_default();
        let s = || text(&single, "v").map(Cow::Owned);
        match suffix {
            "id" => p.id = s(),
            "nm" => p.name = s(),
            "br" => p.brand = s(),
            "ca" => p.category = s(),
            "va" => p.variant = s(),
            "pr" => p.price = number(&single, "v"),
            "qt" => p.quantity = int(&single, "v").and_then(|q| i32::try_from(q).ok()),
            "ps" => p.position = int(&single, "v").and_then(|q| i32::try_from(q).ok()),
            _ => {}
        }
    }
    by_index
        .into_iter()
        .filter(|(_, p)| *p != Product::default())
        .map(|(idx, mut p)| {
            p.position = p.position.or(i32::try_from(idx).ok());
            p
        })
        .collect()
}

/// `24-bit` → 24.
fn leading_int(s: &str) -> Option<i32> {
    let digits: String = s.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

/// Maps one collect envelope. `Err` is a parse failure (dead letter).
pub fn map_collect<'a>(ctx: &mut Context, env: &Envelope<'a>, geo: Geo<'a>) -> MapResult<'a> {
    let o: Obj = match serde_json::from_slice::<Value>(env.body) {
        Ok(Value::Object(o)) => o,
        Ok(Value::Array(_)) => {
            return failed("collect: body is a batch; the collector must split it")
        }
        Ok(_) => return failed("collect: body is not a JSON object"),
        Err(_) => return failed("collect: body is not valid JSON"),
    };
    let Some(cid) = text(&o, "cid") else {
        return failed("collect: missing cid (client id)");
    };
    let event_type = match text(&o, "t").map(|t| t.to_ascii_lowercase()).as_deref() {
        Some("pageview") => EventType::Pageview,
        Some(
            "event" | "transaction" | "item" | "social" | "exception" | "timing" | "screenview",
        ) => EventType::Event,
        Some(_) => EventType::Na,
        None => return failed("collect: missing t (hit type)"),
    };
    let dl = text(&o, "dl").or_else(|| env.referer.map(str::to_string));
    let dl_parts = dl.as_deref().and_then(parse_url);
    let domain = match (text(&o, "dh"), &dl_parts) {
        (Some(dh), _) => dh.to_ascii_lowercase(),
        (None, Some(p)) => p.host.to_string(),
        (None, None) => return failed("collect: no document location (dl, dh or Referer)"),
    };
    if domain.len() > MAX_NAME_BYTES {
        return failed("collect: hostname longer than 200 bytes");
    }
    if let Some(dropped) = ctx.check_allowed(&domain, text(&o, "dk").as_deref()) {
        return Ok(Outcome::Dropped(dropped));
    }
    let path = text(&o, "dp").or_else(|| dl_parts.as_ref().map(|p| p.path.to_string()));
    let event_ms = match (int(&o, "tm"), int(&o, "qt")) {
        (Some(tm), _) if (0..=253_402_300_799_999).contains(&tm) => tm,
        (Some(_), _) => return failed("collect: tm is not an epoch-milliseconds integer"),
        (None, Some(qt)) if (0..=14_400_000).contains(&qt) => env.arrival_ms - qt,
        _ => env.arrival_ms,
    };
    let ip_override = text(&o, "uip");
    let ua_override = text(&o, "ua");
    let ip = match &ip_override {
        Some(ip) => ip.clone(),
        None => env.client_ip.to_string(),
    };
    let raw_ua = ua_override.as_deref().unwrap_or(env.user_agent);
    let (referrer, referrer_domain_name) =
        referrer(text(&o, "dr").map(Cow::Owned), &domain, ctx.cdn_domain());

    let campaign = |k| text(&o, k).map(Cow::Owned);
    let mut utm = Utm {
        source: campaign("cs"),
        campaign: campaign("cn"),
        medium: campaign("cm"),
        content: campaign("cc"),
        term: campaign("ck"),
    };
    if utm == Utm::default() {
        utm = utm_from_url(dl.as_deref());
    }

    let product_action: Option<Cow<'a, str>> =
        text(&o, "pa").map(|p| Cow::Owned(p.to_ascii_lowercase()));
    let (event_name, event_data) = if event_type == EventType::Event {
        let name = text(&o, "ea")
            .or_else(|| product_action.as_ref().map(|p| p.to_string()))
            .or_else(|| text(&o, "t"));
        if name.as_ref().is_some_and(|n| n.len() > MAX_NAME_BYTES) {
            return failed("collect: event name longer than 200 bytes");
        }
        let data: Obj = ["ec", "ea", "el", "ev"]
            .iter()
            .filter_map(|k| o.get(*k).map(|v| (k.to_string(), v.clone())))
            .collect();
        let data = (!data.is_empty()).then(|| Value::Object(data).to_string());
        (name.map(Cow::Owned), data.map(Cow::Owned))
    } else {
        (None, None)
    };

    let client = ClientHints {
        timezone: None,
        language: campaign("ul"),
        outer_resolution: text(&o, "sr").map(|s| Cow::Owned(s.replace('×', "x").to_lowercase())),
        inner_resolution: text(&o, "vp").map(|s| Cow::Owned(s.replace('×', "x").to_lowercase())),
        color_depth: text(&o, "sd").as_deref().and_then(leading_int),
        platform: None,
        memory: None,
        cores: None,
    };
    let commerce = Commerce {
        product_action,
        transaction_id: campaign("ti"),
        revenue: number(&o, "tr"),
        tax: number(&o, "tt"),
        shipping: number(&o, "ts"),
        currency: text(&o, "cu").map(|c| Cow::Owned(c.to_ascii_uppercase())),
        products: products(&o),
    };

    let ids = ctx.hit_ids(
        &ip,
        raw_ua,
        &domain,
        path.as_deref().unwrap_or(""),
        event_ms,
    );
    let ua = ctx.user_agent(raw_ua);
    let user_id = text(&o, "uid").map(|u| Cow::Owned(u.to_lowercase()));

    Ok(Outcome::Ok(EnrichedRecord {
        event_id: env.event_id,
        source: Source::Collect,
        domain_name: Cow::Owned(domain),
        event_type,
        event_ms,
        arrival_ms: env.arrival_ms,
        edge_id: (!env.pop.is_empty()).then_some(Cow::Borrowed(env.pop)),
        geo,
        referrer,
        referrer_domain_name,
        ua,
        client,
        utm,
        request: RequestInfo {
            url: dl.map(Cow::Owned),
            path: path.map(Cow::Owned),
            query_string: None,
            bytes: i32::try_from(env.request_bytes).ok(),
            status_code: Some(200),
            cache_status: None,
            delivery_time_ms: None,
            asn: None,
        },
        event_name,
        event_data,
        page_view_id: ids.page_view_id,
        daily_page_view_id: ids.daily_page_view_id,
        daily_visitor_id: ids.daily_visitor_id,
        client_id: Some(Cow::Owned(cid.to_lowercase())),
        user_id,
        commerce,
    }))
}
