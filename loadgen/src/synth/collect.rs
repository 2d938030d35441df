//! The JSON body of a `/collect` hit: one GA Measurement-Protocol-v1-style event as the
//! paas-data-ingestion pumper sends it (seeds-spec B.1/B.2), with enhanced e-commerce product
//! fields. Values are strings as in GA's protocol, except `tm` (client epoch ms).

use super::hit::{Hit, HitBody, ProductAction};
use super::percent::json_string;
use super::rng::Rng;
use super::sites::Site;
use super::tracker::hit_page_url;
use std::fmt::Write;

fn key(out: &mut String, k: &str) {
    out.push_str(",\"");
    out.push_str(k);
    out.push_str("\":");
}

fn string(out: &mut String, k: &str, v: &str) {
    key(out, k);
    json_string(v, out);
}

fn money(out: &mut String, k: &str, cents: u64) {
    key(out, k);
    let _ = write!(out, "\"{}.{:02}\"", cents / 100, cents % 100);
}

/// Purchase totals in cents: `(revenue, tax, shipping)`. EUR prices include 19 % VAT; USD
/// prices get 8 % sales tax on top; shipping is free from 50.
pub fn totals(site: &Site, products: &[(u16, u16)]) -> (u64, u64, u64) {
    let items: u64 = products
        .iter()
        .filter_map(|&(p, q)| {
            site.products
                .get(usize::from(p))
                .map(|p| u64::from(p.price_cents) * u64::from(q))
        })
        .sum();
    let shipping = if items >= 5000 { 0 } else { 495 };
    if site.currency == "EUR" {
        (items + shipping, items * 19 / 119, shipping)
    } else {
        let tax = items * 8 / 100;
        (items + tax + shipping, tax, shipping)
    }
}

/// Writes the JSON body of a collect hit into `out` (cleared first). `z` comes from `wire`.
pub fn collect_body(
    hit: &Hit,
    site: &Site,
    wire: &mut Rng,
    scratch: &mut String,
    out: &mut String,
) {
    out.clear();
    let v = &hit.session.visitor;
    out.push_str("{\"v\":\"1\"");
    string(out, "tid", &site.tenant);
    string(out, "cid", &v.cid);
    if let Some(uid) = &v.uid {
        string(out, "uid", uid);
    }
    let mut z = [0u8; 16];
    wire.fill(&mut z);
    string(
        out,
        "z",
        &uuid::Builder::from_random_bytes(z)
            .into_uuid()
            .hyphenated()
            .to_string(),
    );
    let ecommerce = match &hit.body {
        HitBody::Ecommerce(e) => Some(e),
        _ => None,
    };
    string(
        out,
        "t",
        if ecommerce.is_some() {
            "event"
        } else {
            "pageview"
        },
    );
    scratch.clear();
    hit_page_url(site, hit, scratch);
    string(out, "dl", scratch);
    if let (Some(r), true, None) = (&hit.session.referrer, hit.landing, ecommerce) {
        string(out, "dr", r);
    }
    string(
        out,
        "dt",
        site.pages
            .get(usize::from(hit.page))
            .map_or("", |p| p.title.as_str()),
    );
    string(out, "ul", &v.lang.to_ascii_lowercase());
    key(out, "sr");
    let _ = write!(out, "\"{}x{}\"", v.device.screen.0, v.device.screen.1);
    key(out, "sd");
    let _ = write!(out, "\"{}-bit\"", v.device.depth);
    string(out, "de", "UTF-8");
    key(out, "tm");
    let _ = write!(out, "{}", hit.client_ms());
    if v.collect_sends_ua {
        string(out, "ua", &v.ua.raw);
    }
    if let Some(e) = ecommerce {
        string(out, "pa", e.action.as_str());
        for (i, &(p, qty)) in e.products.iter().enumerate() {
            let Some(product) = site.products.get(usize::from(p)) else {
                continue;
            };
            let n = i + 1;
            let mut field = |suffix: &str, value: &str| {
                key(out, &format!("pr{n}{suffix}"));
                json_string(value, out);
            };
            field("id", &product.id);
            field("nm", &product.name);
            field("br", product.brand);
            field("ca", product.category);
            field("va", product.variant);
            money(out, &format!("pr{n}pr"), u64::from(product.price_cents));
            let position = if e.action == ProductAction::Click {
                e.position
            } else {
                n as u16
            };
            string(out, &format!("pr{n}qt"), &qty.to_string());
            string(out, &format!("pr{n}ps"), &position.to_string());
        }
        if let Some(tx) = e.transaction {
            string(out, "ti", &format!("T-{tx:016X}"));
            let (revenue, tax, shipping) = totals(site, &e.products);
            money(out, "tr", revenue);
            money(out, "tt", tax);
            money(out, "ts", shipping);
        }
        string(out, "cu", site.currency);
    }
    out.push('}');
}
