//! The raw envelope: what the collector writes to the stream for every accepted hit.
//!
//! Wire format: `0xFE`, a schema-version byte, then the [postcard] encoding of [`Envelope`]
//! (varint integers, length-prefixed strings, no field names). `0xFE` never occurs in UTF-8 text,
//! so a consumer can tell an envelope from a CloudFront real-time log line (which starts with an
//! ASCII digit) by its first byte. A new schema version adds a new struct and a match arm in
//! [`Envelope::decode`]; old records stay readable for as long as the stream or the raw archive
//! keeps them. Sizes and speeds are measured in BENCHMARKS.md.
//!
//! The client IP travels in the envelope because the privacy-safe visitor ids are hashes over it;
//! no output table ever stores it.

use serde::{Deserialize, Serialize};
use std::net::IpAddr;

/// First byte of every encoded envelope.
pub const ENVELOPE_MAGIC: u8 = 0xFE;
/// Schema version written by this build.
pub const ENVELOPE_VERSION: u8 = 1;

/// How the hit reached the collector.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum HitKind {
    /// `GET /hello.gif?…` with ownstats tracker parameters in the query string.
    Pixel,
    /// `POST /collect` with one GA-style JSON event in the body.
    Collect,
}

/// Viewer location from the `CloudFront-Viewer-*` headers, when a CloudFront distribution sits
/// in front of the collector.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct ViewerGeo<'a> {
    /// `CloudFront-Viewer-Country`: ISO 3166-1 alpha-2 code.
    #[serde(borrow)]
    pub country_code: Option<&'a str>,
    /// `CloudFront-Viewer-Country-Name`, when forwarded.
    #[serde(borrow)]
    pub country: Option<&'a str>,
    /// `CloudFront-Viewer-Country-Region-Name`.
    #[serde(borrow)]
    pub region: Option<&'a str>,
    /// `CloudFront-Viewer-City`.
    #[serde(borrow)]
    pub city: Option<&'a str>,
    /// `CloudFront-Viewer-Latitude`.
    pub latitude: Option<f64>,
    /// `CloudFront-Viewer-Longitude`.
    pub longitude: Option<f64>,
}

impl ViewerGeo<'_> {
    /// True when no header was present.
    pub fn is_empty(&self) -> bool {
        *self == ViewerGeo::default()
    }
}

/// One raw hit as collected (schema version 1). Borrowed: decoding does not copy strings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Envelope<'a> {
    /// UUIDv7 minted at collection: time-ordered and unique, the de-duplication key downstream.
    pub event_id: [u8; 16],
    /// When the collector received the request, epoch milliseconds.
    pub arrival_ms: i64,
    /// Client IP (socket peer or trusted X-Forwarded-For hop). Hash input only, never output.
    pub client_ip: IpAddr,
    /// `User-Agent` header, verbatim.
    #[serde(borrow)]
    pub user_agent: &'a str,
    /// `Referer` header (the page embedding the pixel).
    #[serde(borrow)]
    pub referer: Option<&'a str>,
    /// Pixel or collect.
    pub kind: HitKind,
    /// Request path, e.g. `/hello.gif`.
    #[serde(borrow)]
    pub path: &'a str,
    /// Raw query string as received (percent-encoded once), empty when absent.
    #[serde(borrow)]
    pub query: &'a str,
    /// Request body (one JSON event for [`HitKind::Collect`]), empty for GET.
    #[serde(borrow)]
    pub body: &'a [u8],
    /// Size of the HTTP request in bytes (ownstats' `cs-bytes`).
    pub request_bytes: u32,
    /// Which collector instance accepted the hit (for debugging and lineage).
    #[serde(borrow)]
    pub collector_id: &'a str,
    /// Configured point-of-presence code standing in for a CloudFront edge (`HAM`, `IAD`…).
    #[serde(borrow)]
    pub pop: &'a str,
    /// CloudFront viewer headers, when present.
    #[serde(borrow)]
    pub viewer: Option<ViewerGeo<'a>>,
}

/// Why bytes could not be decoded as an envelope.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum EnvelopeError {
    /// The first byte is not [`ENVELOPE_MAGIC`].
    #[error("not an envelope (first byte is not 0xFE)")]
    NotAnEnvelope,
    /// Written by a newer (or unknown) schema version.
    #[error("unsupported envelope schema version {0}")]
    UnsupportedVersion(u8),
    /// The body does not decode.
    #[error("corrupt envelope: {0}")]
    Corrupt(String),
}

impl<'a> Envelope<'a> {
    /// Appends the encoded envelope to `out`.
    pub fn encode_into(&self, out: &mut Vec<u8>) {
        out.push(ENVELOPE_MAGIC);
        out.push(ENVELOPE_VERSION);
        // Serializing plain data into a Vec cannot fail; the fallback keeps this panic-free.
        match postcard::to_extend(self, std::mem::take(out)) {
            Ok(v) => *out = v,
            Err(_) => out.clear(),
        }
    }

    /// Encodes into a new buffer.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(256 + self.query.len() + self.body.len());
        self.encode_into(&mut out);
        out
    }

    /// Decodes an envelope, borrowing strings from `bytes`. Trailing bytes are an error so a
    /// truncated or concatenated record is never half-read.
    pub fn decode(bytes: &'a [u8]) -> Result<Envelope<'a>, EnvelopeError> {
        match bytes {
            [ENVELOPE_MAGIC, ENVELOPE_VERSION, body @ ..] => {
                let (env, rest) = postcard::take_from_bytes::<Envelope<'a>>(body)
                    .map_err(|e| EnvelopeError::Corrupt(e.to_string()))?;
                if rest.is_empty() {
                    Ok(env)
                } else {
                    Err(EnvelopeError::Corrupt(format!(
                        "{} trailing bytes",
                        rest.len()
                    )))
                }
            }
            [ENVELOPE_MAGIC, v, ..] => Err(EnvelopeError::UnsupportedVersion(*v)),
            [ENVELOPE_MAGIC] => Err(EnvelopeError::Corrupt("missing version byte".into())),
            _ => Err(EnvelopeError::NotAnEnvelope),
        }
    }

    /// The event id in its canonical text form.
    pub fn event_id_string(&self) -> String {
        uuid::Uuid::from_bytes(self.event_id)
            .hyphenated()
            .to_string()
    }
}

/// True when `bytes` looks like an encoded envelope (any version).
pub fn is_envelope(bytes: &[u8]) -> bool {
    bytes.first() == Some(&ENVELOPE_MAGIC)
}

/// Mints a new time-ordered event id (UUIDv7).
pub fn new_event_id() -> [u8; 16] {
    *uuid::Uuid::now_v7().as_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn sample() -> Envelope<'static> {
        Envelope {
            event_id: new_event_id(),
            arrival_ms: 1_668_968_526_477,
            client_ip: "91.48.244.135".parse().unwrap(),
            user_agent: "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36",
            referer: Some("http://localhost:3000/"),
            kind: HitKind::Pixel,
            path: "/hello.gif",
            query: "t=pv&ts=1668968526289&u=http%3A%2F%2Flocalhost%3A3000%2Fazure&hn=localhost",
            body: b"",
            request_bytes: 319,
            collector_id: "collector-1",
            pop: "HAM",
            viewer: Some(ViewerGeo {
                country_code: Some("DE"),
                city: Some("Hamburg"),
                latitude: Some(53.55),
                longitude: Some(9.99),
                ..ViewerGeo::default()
            }),
        }
    }

    #[test]
    fn round_trip() {
        let env = sample();
        let bytes = env.encode();
        assert_eq!(bytes[0], ENVELOPE_MAGIC);
        assert_eq!(Envelope::decode(&bytes).unwrap(), env);
        let collect = Envelope {
            kind: HitKind::Collect,
            body: br#"{"cid":"x","z":"y","t":"pageview"}"#,
            client_ip: "2600:1700:2328:7f60:fc5c:8867:7522:1bef".parse().unwrap(),
            viewer: None,
            ..sample()
        };
        assert_eq!(Envelope::decode(&collect.encode()).unwrap(), collect);
    }

    #[test]
    fn rejects_foreign_and_future_bytes() {
        assert_eq!(
            Envelope::decode(b"1668968526.477\t1.2.3.4"),
            Err(EnvelopeError::NotAnEnvelope)
        );
        assert_eq!(
            Envelope::decode(&[0xFE, 9, 1, 2]),
            Err(EnvelopeError::UnsupportedVersion(9))
        );
        let mut bytes = sample().encode();
        bytes.push(0);
        assert!(matches!(
            Envelope::decode(&bytes),
            Err(EnvelopeError::Corrupt(_))
        ));
        bytes.truncate(bytes.len() - 20);
        assert!(matches!(
            Envelope::decode(&bytes),
            Err(EnvelopeError::Corrupt(_))
        ));
    }

    proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
            let _ = Envelope::decode(&bytes);
            let mut with_header = vec![ENVELOPE_MAGIC, ENVELOPE_VERSION];
            with_header.extend_from_slice(&bytes);
            let _ = Envelope::decode(&with_header);
        }

        #[test]
        fn strings_round_trip(ua in ".*", q in ".*", body in proptest::collection::vec(any::<u8>(), 0..64)) {
            let env = Envelope { user_agent: &ua, query: &q, body: &body, ..sample() };
            let bytes = env.encode();
            prop_assert_eq!(Envelope::decode(&bytes).unwrap(), env);
        }
    }
}
