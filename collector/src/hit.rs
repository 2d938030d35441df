//! Turning an accepted HTTP request into raw envelopes and stream entries.

use crate::config::PartitionKeyMode;
use axum::http::{HeaderMap, Method, Uri};
use bytes::Bytes;
use shared::envelope::{new_event_id, Envelope, HitKind, ViewerGeo};
use shared::stream::hashing::hash_key;
use shared::stream::PutEntry;
use std::net::IpAddr;

/// What every envelope of one request shares.
pub struct RequestFacts<'a> {
    /// When the request arrived (Unix ms).
    pub arrival_ms: i64,
    /// Resolved client address.
    pub client_ip: IpAddr,
    /// Headers of the request.
    pub headers: &'a HeaderMap,
    /// Path, e.g. `/hello.gif`.
    pub path: &'a str,
    /// Raw query string.
    pub query: &'a str,
    /// Approximate request size in bytes.
    pub request_bytes: u32,
    /// Instance name.
    pub collector_id: &'a str,
    /// POP code.
    pub pop: &'a str,
    /// How to key records.
    pub key_mode: PartitionKeyMode,
}

fn header<'h>(h: &'h HeaderMap, name: &str) -> Option<&'h str> {
    h.get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty())
}

/// `CloudFront-Viewer-*` headers, when a distribution forwards them.
fn viewer(h: &HeaderMap) -> Option<ViewerGeo<'_>> {
    let geo = ViewerGeo {
        country_code: header(h, "cloudfront-viewer-country"),
        country: header(h, "cloudfront-viewer-country-name"),
        region: header(h, "cloudfront-viewer-country-region-name"),
        city: header(h, "cloudfront-viewer-city"),
        latitude: header(h, "cloudfront-viewer-latitude").and_then(|v| v.parse().ok()),
        longitude: header(h, "cloudfront-viewer-longitude").and_then(|v| v.parse().ok()),
    };
    (!geo.is_empty()).then_some(geo)
}

/// Size of the request as a proxy would log it: request line, headers, body.
pub fn request_bytes(method: &Method, uri: &Uri, headers: &HeaderMap, body_len: usize) -> u32 {
    let head: usize = headers
        .iter()
        .map(|(k, v)| k.as_str().len() + v.len() + 4)
        .sum();
    let line = method.as_str().len() + uri.to_string().len() + 11;
    u32::try_from(line + head + 2 + body_len).unwrap_or(u32::MAX)
}

/// One stream entry for one event of the request.
pub fn entry(f: &RequestFacts<'_>, kind: HitKind, body: &[u8], domain: Option<&str>) -> PutEntry {
    let user_agent = header(f.headers, "user-agent").unwrap_or("");
    let env = Envelope {
        event_id: new_event_id(),
        arrival_ms: f.arrival_ms,
        client_ip: f.client_ip,
        user_agent,
        referer: header(f.headers, "referer"),
        kind,
        path: f.path,
        query: f.query,
        body,
        request_bytes: f.request_bytes,
        collector_id: f.collector_id,
        pop: f.pop,
        viewer: viewer(f.headers),
    };
    let partition_key = match f.key_mode {
        PartitionKeyMode::Random => uuid::Uuid::from_bytes(env.event_id).simple().to_string(),
        PartitionKeyMode::Visitor => {
            let key = format!("{}\n{}\n{}", f.client_ip, user_agent, domain.unwrap_or(""));
            format!("{:032x}", hash_key(&key))
        }
    };
    PutEntry {
        partition_key,
        data: Bytes::from(env.encode()),
    }
}
