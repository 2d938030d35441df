//! The enriched record: one analytics row, as the enricher produces it.
//!
//! Strings borrow from the input where they can ([`Cow`]) and share interned values where many
//! rows repeat them (user-agent fields as `Arc<str>`, geo fields from a static table), so that
//! enriching a line allocates almost nothing before the row is appended to Arrow builders.

use std::borrow::Cow;
use std::sync::Arc;

/// Where the hit came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Source {
    /// The ownstats tracking pixel, through our collector.
    Pixel,
    /// A GA-style `/collect` JSON event, through our collector.
    Collect,
    /// A CloudFront real-time log line (ownstats' own architecture).
    Cloudfront,
}

impl Source {
    /// Column value.
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Pixel => "pixel",
            Source::Collect => "collect",
            Source::Cloudfront => "cloudfront",
        }
    }
}

/// The `event_type` partition value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EventType {
    /// `t=pv` / `t=pageview`.
    Pageview,
    /// `t=tr` and GA events, e-commerce hits.
    Event,
    /// Anything else (`t=id`, unknown), kept but never aggregated.
    Na,
}

impl EventType {
    /// Partition value.
    pub fn as_str(self) -> &'static str {
        match self {
            EventType::Pageview => "pageview",
            EventType::Event => "event",
            EventType::Na => "na",
        }
    }

    /// Inverse of [`EventType::as_str`].
    pub fn parse(s: &str) -> Option<EventType> {
        match s {
            "pageview" => Some(EventType::Pageview),
            "event" => Some(EventType::Event),
            "na" => Some(EventType::Na),
            _ => None,
        }
    }
}

/// Edge / viewer location fields.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Geo<'a> {
    /// City.
    pub city: Option<&'a str>,
    /// State or region.
    pub state: Option<&'a str>,
    /// Country name.
    pub country: Option<&'a str>,
    /// ISO 3166-1 alpha-2 code.
    pub country_code: Option<&'a str>,
    /// Latitude in degrees.
    pub latitude: Option<f64>,
    /// Longitude in degrees.
    pub longitude: Option<f64>,
}

/// Parsed user-agent fields, named like ua-parser-js (ownstats' naming).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct UaFields {
    /// e.g. `Chrome`, `Mobile Safari`.
    pub browser_name: Option<Arc<str>>,
    /// Full version, e.g. `107.0.0.0`.
    pub browser_version: Option<Arc<str>>,
    /// e.g. `Mac OS`, `Windows`, `iOS`.
    pub os_name: Option<Arc<str>>,
    /// e.g. `10.15.7`.
    pub os_version: Option<Arc<str>>,
    /// `Desktop`, `Mobile`, `Tablet`, `SmartTV`, `Console`, `Wearable` or `Embedded`.
    pub device_type: &'static str,
    /// e.g. `Apple`, `Samsung`.
    pub device_vendor: Option<Arc<str>>,
    /// Crawler, headless browser, HTTP library or monitor.
    pub is_bot: bool,
}

/// One product of an e-commerce hit (`pr<N>id`, `pr<N>nm`… in the GA payload).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Product<'a> {
    /// `pr<N>id`.
    pub id: Option<Cow<'a, str>>,
    /// `pr<N>nm`.
    pub name: Option<Cow<'a, str>>,
    /// `pr<N>br`.
    pub brand: Option<Cow<'a, str>>,
    /// `pr<N>ca`.
    pub category: Option<Cow<'a, str>>,
    /// `pr<N>va`.
    pub variant: Option<Cow<'a, str>>,
    /// `pr<N>pr`.
    pub price: Option<f64>,
    /// `pr<N>qt`.
    pub quantity: Option<i32>,
    /// `pr<N>ps`, else N.
    pub position: Option<i32>,
}

/// E-commerce fields of a `/collect` hit.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Commerce<'a> {
    /// `pa`: detail, click, add, remove, checkout, purchase, refund (lower-cased).
    pub product_action: Option<Cow<'a, str>>,
    /// `ti`.
    pub transaction_id: Option<Cow<'a, str>>,
    /// `tr`.
    pub revenue: Option<f64>,
    /// `tt` (paas read `tr` here by mistake).
    pub tax: Option<f64>,
    /// `ts`.
    pub shipping: Option<f64>,
    /// `cu`, upper-cased.
    pub currency: Option<Cow<'a, str>>,
    /// Products ordered by their index N.
    pub products: Vec<Product<'a>>,
}

/// Device and browser fields sent by the tracker (not derived from the user agent).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ClientHints<'a> {
    /// IANA time zone (`tz`).
    pub timezone: Option<Cow<'a, str>>,
    /// `navigator.language` (`l`, GA `ul`).
    pub language: Option<Cow<'a, str>>,
    /// `<w>x<h>` screen size.
    pub outer_resolution: Option<Cow<'a, str>>,
    /// `<iw>x<ih>` viewport size.
    pub inner_resolution: Option<Cow<'a, str>>,
    /// Screen colour depth in bits.
    pub color_depth: Option<i32>,
    /// `navigator.platform`.
    pub platform: Option<Cow<'a, str>>,
    /// `navigator.deviceMemory` in GB (fractions kept).
    pub memory: Option<f64>,
    /// `navigator.hardwareConcurrency`.
    pub cores: Option<i32>,
}

/// UTM campaign parameters of the page URL, decoded.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Utm<'a> {
    /// utm_source.
    pub source: Option<Cow<'a, str>>,
    /// utm_campaign.
    pub campaign: Option<Cow<'a, str>>,
    /// utm_medium.
    pub medium: Option<Cow<'a, str>>,
    /// utm_content.
    pub content: Option<Cow<'a, str>>,
    /// utm_term.
    pub term: Option<Cow<'a, str>>,
}

/// HTTP request facts.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RequestInfo<'a> {
    /// Full page URL.
    pub url: Option<Cow<'a, str>>,
    /// Page path.
    pub path: Option<Cow<'a, str>>,
    /// Query string as received (CloudFront lines: still CloudFront-encoded).
    pub query_string: Option<Cow<'a, str>>,
    /// Request size in bytes.
    pub bytes: Option<i32>,
    /// HTTP status served.
    pub status_code: Option<i32>,
    /// CloudFront `x-edge-result-type` (`Hit`, `Miss`…).
    pub cache_status: Option<Cow<'a, str>>,
    /// Time to serve, ms.
    pub delivery_time_ms: Option<i32>,
    /// Autonomous system number of the client.
    pub asn: Option<i64>,
}

/// One enriched analytics row. Column-by-column documentation: docs/event-model.md.
#[derive(Debug, Clone, PartialEq)]
pub struct EnrichedRecord<'a> {
    /// Unique, deterministic event id (UUIDv7 from the collector, or derived from the source
    /// position for CloudFront lines) — the de-duplication key.
    pub event_id: [u8; 16],
    /// Input kind.
    pub source: Source,
    /// Partition: the site's hostname.
    pub domain_name: Cow<'a, str>,
    /// Partition: pageview / event / na.
    pub event_type: EventType,
    /// Client event time, epoch ms (partition `event_date` is its UTC date).
    pub event_ms: i64,
    /// Arrival at the edge or collector, epoch ms.
    pub arrival_ms: i64,
    /// Edge or POP code (first three characters of `x-edge-location`).
    pub edge_id: Option<Cow<'a, str>>,
    /// Edge (or viewer) location.
    pub geo: Geo<'a>,
    /// External referrer URL; `None` for direct and self-referrals.
    pub referrer: Option<Cow<'a, str>>,
    /// Referrer hostname or `Direct / None`.
    pub referrer_domain_name: Cow<'a, str>,
    /// User-agent derived fields, shared with the enricher's UA cache: one reference count per
    /// row instead of one per field.
    pub ua: Arc<UaFields>,
    /// Tracker-sent device fields.
    pub client: ClientHints<'a>,
    /// Campaign parameters.
    pub utm: Utm<'a>,
    /// Request facts.
    pub request: RequestInfo<'a>,
    /// Tracking event name (`en`, GA `ea`…), events only.
    pub event_name: Option<Cow<'a, str>>,
    /// Tracking event properties as JSON text, events only.
    pub event_data: Option<Cow<'a, str>>,
    /// SHA-256 identifying this pageview (daily visitor input + path + event ms).
    pub page_view_id: [u8; 32],
    /// SHA-256 of the daily visitor input + path.
    pub daily_page_view_id: [u8; 32],
    /// SHA-256 of salt(date) + ip + ua + date + domain: a visitor, for one day only.
    pub daily_visitor_id: [u8; 32],
    /// GA `cid`.
    pub client_id: Option<Cow<'a, str>>,
    /// GA `uid`.
    pub user_id: Option<Cow<'a, str>>,
    /// E-commerce fields.
    pub commerce: Commerce<'a>,
}
