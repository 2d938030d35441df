//! Turning an accepted HTTP request into raw envelopes and stream entries.

use crate::config::PartitionKeyMode;
use axum::http::header::{HeaderName, REFERER, USER_AGENT};
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

// Header names as constants: a lookup by `&str` parses and validates the name on every call,
// which showed in the collector's profile (six viewer headers per request).
const VIEWER_COUNTRY: HeaderName = HeaderName::from_static("cloudfront-viewer-country");
const VIEWER_COUNTRY_NAME: HeaderName = HeaderName::from_static("cloudfront-viewer-country-name");
const VIEWER_REGION: HeaderName = HeaderName::from_static("cloudfront-viewer-country-region-name");
const VIEWER_CITY: HeaderName = HeaderName::from_static("cloudfront-viewer-city");
const VIEWER_LATITUDE: HeaderName = HeaderName::from_static("cloudfront-viewer-latitude");
const VIEWER_LONGITUDE: HeaderName = HeaderName::from_static("cloudfront-viewer-longitude");

fn header(h: &HeaderMap, name: HeaderName) -> Option<&str> {
    h.get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty())
}

/// `CloudFront-Viewer-*` headers, when a distribution forwards them.
fn viewer(h: &HeaderMap) -> Option<ViewerGeo<'_>> {
    let geo = ViewerGeo {
        country_code: header(h, VIEWER_COUNTRY),
        country: header(h, VIEWER_COUNTRY_NAME),
        region: header(h, VIEWER_REGION),
        city: header(h, VIEWER_CITY),
        latitude: header(h, VIEWER_LATITUDE).and_then(|v| v.parse().ok()),
        longitude: header(h, VIEWER_LONGITUDE).and_then(|v| v.parse().ok()),
    };
    (!geo.is_empty()).then_some(geo)
}

/// Arrival time of a request, Unix ms.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// Size of the request as a proxy would log it: request line, headers, body.
pub fn request_bytes(method: &Method, uri: &Uri, headers: &HeaderMap, body_len: usize) -> u32 {
    let head: usize = headers
        .iter()
        .map(|(k, v)| k.as_str().len() + v.len() + 4)
        .sum();
    // The request target as sent: `[scheme://authority]path[?query]` (no formatting needed).
    let target = uri.scheme_str().map_or(0, |s| s.len() + 3)
        + uri.authority().map_or(0, |a| a.as_str().len())
        + uri.path().len()
        + uri.query().map_or(0, |q| q.len() + 1);
    let line = method.as_str().len() + target + 11;
    u32::try_from(line + head + 2 + body_len).unwrap_or(u32::MAX)
}

/// One stream entry for one event of the request.
pub fn entry(f: &RequestFacts<'_>, kind: HitKind, body: &[u8], domain: Option<&str>) -> PutEntry {
    let user_agent = header(f.headers, USER_AGENT).unwrap_or("");
    let env = Envelope {
        event_id: new_event_id(),
        arrival_ms: f.arrival_ms,
        client_ip: f.client_ip,
        user_agent,
        referer: header(f.headers, REFERER),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_bytes_counts_the_target_as_written() {
        let mut h = HeaderMap::new();
        h.insert(USER_AGENT, "curl/8".parse().unwrap());
        for target in [
            "/hello.gif?t=pv&u=x",
            "/collect",
            "http://example.com:8080/a?b=c",
            "/",
        ] {
            let uri: Uri = target.parse().unwrap();
            // line = method + target + " HTTP/1.1\r\n" and two spaces; headers "k: v\r\n".
            let want = 3 + target.len() + 11 + ("user-agent".len() + 6 + 4) + 2 + 5;
            assert_eq!(
                request_bytes(&Method::GET, &uri, &h, 5),
                want as u32,
                "{target}"
            );
        }
    }
}
