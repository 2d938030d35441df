//! HTTP routes: the pixel, `/collect`, CORS preflight, health, readiness and metrics.

use crate::config::Config;
use crate::core::collect::{framing, split_events, BodyLimits};
use crate::core::{client_ip::client_ip, pixel::check_pixel, Rejection, PIXEL_GIF};
use crate::hit::{entry, now_ms, request_bytes, RequestFacts};
use crate::sink::{Refused, Sink};
use axum::body::Bytes;
use axum::extract::{ConnectInfo, DefaultBodyLimit, RawQuery, Request, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use metrics_exporter_prometheus::PrometheusHandle;
use shared::envelope::HitKind;
use std::net::{IpAddr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// Everything the handlers share, behind one `Arc`: axum clones the state for every request.
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

impl std::ops::Deref for AppState {
    type Target = Shared;
    fn deref(&self) -> &Shared {
        &self.0
    }
}

/// The fields of [`AppState`].
pub struct Shared {
    /// Buffer to the stream.
    pub sink: Sink,
    /// Settings.
    pub config: Arc<Config>,
    /// Instance name, resolved once.
    pub collector_id: Arc<str>,
    /// Per-client-IP limiter, when enabled.
    pub limiter: Option<Arc<DefaultKeyedRateLimiter<IpAddr>>>,
    /// Metrics renderer.
    pub metrics: PrometheusHandle,
    /// Set on SIGTERM: readiness fails so the load balancer stops sending.
    pub draining: Arc<AtomicBool>,
    /// Result of the last background stream check.
    pub stream_ok: Arc<AtomicBool>,
    /// `collector_requests_total` per route and status, registered once (a `counter!` per
    /// request would look the series up in the registry every time).
    requests: Vec<metrics::Counter>,
    /// Headers of every pixel answer, built once.
    pixel_headers: HeaderMap,
}

impl AppState {
    /// State for `config` writing through `sink`.
    pub fn new(config: Config, sink: Sink, metrics: PrometheusHandle) -> Self {
        let limiter = NonZeroU32::new(config.rate_limit_per_ip).map(|rate| {
            let burst = NonZeroU32::new(config.rate_limit_burst).unwrap_or(rate);
            Arc::new(RateLimiter::keyed(
                Quota::per_second(rate).allow_burst(burst),
            ))
        });
        let requests = ROUTES
            .iter()
            .flat_map(|route| {
                STATUS_LABELS.iter().map(move |status| {
                    metrics::counter!("collector_requests_total", "route" => *route, "status" => *status)
                })
            })
            .collect();
        let mut pixel_headers = HeaderMap::with_capacity(8);
        pixel_headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("image/gif"));
        pixel_headers.insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-store, no-cache, must-revalidate, max-age=0"),
        );
        pixel_headers.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
        // Present up front: axum adds Content-Length to a response that lacks it, and that
        // insert regrew the exactly-sized clone below on every hit (~1.7 % of the collector's
        // CPU under the benchmark, BENCHMARKS.md 2026-11-24 late).
        pixel_headers.insert(header::CONTENT_LENGTH, HeaderValue::from(PIXEL_GIF.len()));
        cors(&mut pixel_headers);
        AppState(Arc::new(Shared {
            sink,
            collector_id: config.collector_id().into(),
            config: Arc::new(config),
            limiter,
            metrics,
            draining: Arc::new(AtomicBool::new(false)),
            stream_ok: Arc::new(AtomicBool::new(true)),
            requests,
            pixel_headers,
        }))
    }
}

/// The router.
pub fn app(state: AppState) -> Router {
    let body_limit = state.config.max_body_bytes;
    Router::new()
        .route("/hello.gif", get(pixel).head(pixel).options(preflight))
        .route("/collect", axum::routing::post(collect).options(preflight))
        .route("/healthz", get(|| async { "ok\n" }))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .layer(DefaultBodyLimit::max(body_limit))
        .with_state(state)
}

/// The pixel and `/collect` are called from any site, without credentials.
const CORS: [(header::HeaderName, HeaderValue); 4] = [
    (
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    ),
    (
        header::ACCESS_CONTROL_ALLOW_METHODS,
        HeaderValue::from_static("GET, POST, OPTIONS"),
    ),
    (
        header::ACCESS_CONTROL_ALLOW_HEADERS,
        HeaderValue::from_static("Content-Type"),
    ),
    (
        header::ACCESS_CONTROL_MAX_AGE,
        HeaderValue::from_static("86400"),
    ),
];

fn cors(h: &mut HeaderMap) {
    for (name, value) in CORS {
        h.insert(name, value);
    }
}

/// Route labels of `collector_requests_total` (bounded).
const ROUTES: [&str; 2] = ["pixel", "collect"];
/// Status labels (bounded; anything else is "other", the last).
const STATUS_LABELS: [&str; 11] = [
    "200", "204", "400", "404", "413", "414", "415", "422", "429", "503", "other",
];

fn count(s: &AppState, route: &'static str, status: StatusCode) {
    let r = ROUTES.iter().position(|r| *r == route).unwrap_or(0);
    let code = status.as_str();
    let i = STATUS_LABELS[..STATUS_LABELS.len() - 1]
        .iter()
        .position(|l| *l == code)
        .unwrap_or(STATUS_LABELS.len() - 1);
    if let Some(c) = s.requests.get(r * STATUS_LABELS.len() + i) {
        c.increment(1);
    }
}

fn refuse(
    s: &AppState,
    route: &'static str,
    status: StatusCode,
    reason: &str,
    retry_after: Option<u32>,
) -> Response {
    count(s, route, status);
    let mut r = (status, format!("{reason}\n")).into_response();
    cors(r.headers_mut());
    if let Some(secs) = retry_after {
        r.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(secs));
    }
    r
}

fn rejection(s: &AppState, route: &'static str, r: Rejection) -> Response {
    let status = StatusCode::from_u16(r.status).unwrap_or(StatusCode::BAD_REQUEST);
    refuse(s, route, status, &r.reason, None)
}

const X_FORWARDED_FOR: header::HeaderName = header::HeaderName::from_static("x-forwarded-for");

/// What every accepted request has once past the edge checks.
struct Admitted<'q> {
    arrival_ms: i64,
    ip: IpAddr,
    query: &'q str,
}

impl<'q> Admitted<'q> {
    fn facts<'a>(
        &'a self,
        s: &'a AppState,
        method: &Method,
        uri: &'a Uri,
        headers: &'a HeaderMap,
        body_len: usize,
    ) -> RequestFacts<'a> {
        RequestFacts {
            arrival_ms: self.arrival_ms,
            client_ip: self.ip,
            headers,
            path: uri.path(),
            query: self.query,
            request_bytes: request_bytes(method, uri, headers, body_len),
            collector_id: &s.collector_id,
            pop: &s.config.pop,
            key_mode: s.config.partition_key,
        }
    }
}

/// The checks every route shares: client IP, rate limit (before any parsing, to protect the
/// CPU), query length. `Err` is the answer to send (boxed: a Response is large).
fn admit<'q>(
    s: &AppState,
    route: &'static str,
    peer: SocketAddr,
    headers: &HeaderMap,
    query: Option<&'q str>,
) -> Result<Admitted<'q>, Box<Response>> {
    let arrival_ms = now_ms();
    // Empty (no allocation) unless the header is there.
    let xff: Vec<&str> = headers
        .get_all(X_FORWARDED_FOR)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect();
    let ip = client_ip(peer.ip(), &xff, s.config.trusted_hops);
    if let Some(limiter) = &s.limiter {
        if let Err(not_until) = limiter.check_key(&ip) {
            let wait = not_until.wait_time_from(governor::clock::Clock::now(
                &governor::clock::DefaultClock::default(),
            ));
            let secs = u32::try_from(wait.as_secs().max(1)).unwrap_or(u32::MAX);
            return Err(Box::new(too_many(s, route, secs)));
        }
    }
    let query = query.unwrap_or_default();
    if query.len() > s.config.max_query_bytes {
        let r = refuse(
            s,
            route,
            StatusCode::URI_TOO_LONG,
            "query string too long",
            None,
        );
        return Err(Box::new(r));
    }
    Ok(Admitted {
        arrival_ms,
        ip,
        query,
    })
}

fn too_many(s: &AppState, route: &'static str, retry_after: u32) -> Response {
    refuse(
        s,
        route,
        StatusCode::TOO_MANY_REQUESTS,
        "rate limit exceeded",
        Some(retry_after),
    )
}

fn refused(s: &AppState, route: &'static str, r: Refused) -> Response {
    let reason = match r {
        Refused::Full => "buffer full, retry later",
        Refused::NotWritten => "stream unavailable, retry later",
        Refused::Closed => "shutting down, retry later",
    };
    metrics::counter!("collector_refused_total", "reason" => match r { Refused::Full => "full", Refused::NotWritten => "not_written", Refused::Closed => "closed" }).increment(1);
    refuse(
        s,
        route,
        StatusCode::SERVICE_UNAVAILABLE,
        reason,
        Some(s.config.retry_after_secs),
    )
}

/// `HEAD /hello.gif` through the router (the accept loop answers `GET` without it).
async fn pixel(
    State(s): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    req: Request,
) -> Response {
    let (parts, _) = req.into_parts();
    pixel_hit(&s, peer, &parts).await
}

/// The pixel hit. Takes the request's parts (not `HeaderMap`, `Uri` and `RawQuery`
/// extractors, which clone the headers and copy the ~500-byte query on every hit).
pub(crate) async fn pixel_hit(s: &AppState, peer: SocketAddr, parts: &Parts) -> Response {
    const ROUTE: &str = "pixel";
    let a = match admit(s, ROUTE, peer, &parts.headers, parts.uri.query()) {
        Ok(a) => a,
        Err(r) => return *r,
    };
    let hit = match check_pixel(a.query) {
        Ok(h) => h,
        Err(r) => return rejection(s, ROUTE, r),
    };
    let facts = a.facts(s, &parts.method, &parts.uri, &parts.headers, 0);
    let e = entry(&facts, HitKind::Pixel, b"", hit.domain.as_deref());
    if let Err(r) = s.sink.submit_one(e).await {
        return refused(s, ROUTE, r);
    }
    count(s, ROUTE, StatusCode::OK);
    // `Response::new` starts with an empty header map (no allocation), replaced by the clone.
    let mut r = Response::new(axum::body::Body::from(PIXEL_GIF.as_slice()));
    *r.headers_mut() = s.pixel_headers.clone();
    r
}

async fn collect(
    State(s): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Response {
    const ROUTE: &str = "collect";
    let a = match admit(&s, ROUTE, peer, &headers, query.as_deref()) {
        Ok(a) => a,
        Err(r) => return *r,
    };
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok());
    let events = match framing(content_type).and_then(|f| {
        split_events(
            &body,
            f,
            BodyLimits {
                max_events: s.config.max_batch_events,
            },
        )
    }) {
        Ok(e) => e,
        Err(r) => return rejection(&s, ROUTE, r),
    };
    let facts = a.facts(&s, &method, &uri, &headers, body.len());
    let n = events.len();
    let entries = events
        .iter()
        .map(|e| {
            entry(
                &facts,
                HitKind::Collect,
                &body[e.range.clone()],
                e.domain.as_deref(),
            )
        })
        .collect();
    if let Err(r) = s.sink.submit(entries).await {
        return refused(&s, ROUTE, r);
    }
    count(&s, ROUTE, StatusCode::OK);
    let mut r = (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/json")],
        format!("{{\"accepted\":{n}}}"),
    )
        .into_response();
    cors(r.headers_mut());
    r
}

async fn preflight() -> Response {
    let mut r = StatusCode::NO_CONTENT.into_response();
    cors(r.headers_mut());
    r
}

async fn readyz(State(s): State<AppState>) -> Response {
    let draining = s.draining.load(Ordering::Relaxed);
    let stream_ok = s.stream_ok.load(Ordering::Relaxed);
    let buffer_ok = s.sink.ready();
    if !draining && stream_ok && buffer_ok {
        (StatusCode::OK, "ready\n").into_response()
    } else {
        let why = format!(
            "not ready: draining={draining} stream_ok={stream_ok} buffer_below_high_water={buffer_ok}\n"
        );
        (StatusCode::SERVICE_UNAVAILABLE, why).into_response()
    }
}

async fn metrics(State(s): State<AppState>) -> Response {
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        s.metrics.render(),
    )
        .into_response()
}
