//! Collector envelopes (`shared::envelope::Envelope`): what our own collector would have written
//! for the hit — the query encoded only once, the raw User-Agent header, a UUIDv7 event id, and
//! CloudFront viewer geo on the hits that reached the collector through a CloudFront
//! distribution (collector `synth-1`, about 30 % of traffic).

use super::collect::collect_body;
use super::hit::{Hit, HitBody};
use super::model::Model;
use super::regions::REGIONS;
use super::rng::Rng;
use super::tracker::{referer_header, tracker_query, Corruption};
use shared::envelope::{Envelope, HitKind, ViewerGeo};

/// Reusable buffers.
#[derive(Debug, Default)]
pub struct EnvelopeScratch {
    query: String,
    body: String,
    referer: String,
    url: String,
}

/// The collector fronted by CloudFront (the only one that sees viewer headers).
const CDN_COLLECTOR: &str = "synth-1";

/// Encodes `hit` as an envelope into `out` (cleared first). Randomness (event id, `z`,
/// collector) comes from `wire`, in output order, so equal seeds give equal files.
pub fn encode_envelope(
    hit: &Hit,
    model: &Model,
    wire: &mut Rng,
    s: &mut EnvelopeScratch,
    out: &mut Vec<u8>,
) {
    out.clear();
    let site = model.site(hit.session.site);
    let v = &hit.session.visitor;
    let mut random = [0u8; 10];
    wire.fill(&mut random);
    let event_id =
        *uuid::Builder::from_unix_timestamp_millis(hit.arrival_ms.max(0) as u64, &random)
            .into_uuid()
            .as_bytes();
    let collector = if wire.chance(0.3) {
        CDN_COLLECTOR
    } else {
        wire.pick(&["synth-2", "synth-3"])
    };
    s.referer.clear();
    let referer = referer_header(hit, site, &mut s.referer).then_some(s.referer.as_str());
    s.query.clear();
    s.body.clear();
    let (kind, path) = match &hit.body {
        HitBody::CollectPageview | HitBody::Ecommerce(_) => {
            collect_body(hit, site, wire, &mut s.url, &mut s.body);
            (HitKind::Collect, "/collect")
        }
        HitBody::Asset(_) => (HitKind::Pixel, "/go.js"),
        HitBody::Pageview { .. } | HitBody::Track { .. } => {
            tracker_query(hit, site, false, Corruption::None, &mut s.url, &mut s.query);
            (HitKind::Pixel, "/hello.gif")
        }
    };
    // Request line and headers over HTTP/1.1 (our collector sees uncompressed requests).
    let headers = 180 + v.ua.raw.len() + referer.map_or(0, str::len);
    let request_bytes =
        (headers + path.len() + s.query.len() + s.body.len() + wire.below(60) as usize) as u32;
    let viewer = (collector == CDN_COLLECTOR)
        .then(|| viewer_geo(model, v.home, v.id, REGIONS[usize::from(v.region)].country))
        .flatten();
    let envelope = Envelope {
        event_id,
        arrival_ms: hit.arrival_ms,
        client_ip: v.ip,
        user_agent: &v.ua.raw,
        referer,
        kind,
        path,
        query: &s.query,
        body: s.body.as_bytes(),
        request_bytes,
        collector_id: collector,
        pop: if wire.chance(0.001) { "XXX" } else { v.edge },
        viewer,
    };
    envelope.encode_into(out);
}

/// Viewer geo of a visitor's home city; coordinates jittered per visitor (CloudFront reports
/// the viewer's location, not the city centre), stable across the visitor's hits.
fn viewer_geo<'a>(
    model: &'a Model,
    home: Option<u16>,
    visitor: u32,
    country: &'a str,
) -> Option<ViewerGeo<'a>> {
    let city = model.edges.get(usize::from(home?))?;
    let jitter = |salt: u32| {
        f64::from(visitor.wrapping_mul(2_654_435_761).wrapping_add(salt) % 2000) / 10_000.0 - 0.1
    };
    Some(ViewerGeo {
        country_code: Some(country),
        city: Some(&city.city),
        latitude: Some(((city.latitude + jitter(1)) * 1e4).round() / 1e4),
        longitude: Some(((city.longitude + jitter(7)) * 1e4).round() / 1e4),
        ..ViewerGeo::default()
    })
}

#[cfg(test)]
mod tests {
    use super::super::hit::Session;
    use super::super::session::HitSink;
    use super::super::shopper::collect_session;
    use super::super::visitors::VisitorFactory;
    use super::*;
    use std::rc::Rc;

    #[test]
    fn collect_envelopes_decode_with_json_bodies() {
        let mut rng = Rng::new(31);
        let model = Model::build(&mut rng, 3);
        let mut visitors = VisitorFactory::new(&model.edges);
        let mut hits = Vec::new();
        for i in 0..300 {
            let session = Rc::new(Session {
                site: 0,
                visitor: visitors.visitor_for_session(&mut rng, i % 40),
                referrer: Some("https://t.co/abc".into()),
                utm: None,
            });
            collect_session(
                &mut rng,
                model.site(0),
                &mut HitSink {
                    out: &mut hits,
                    session: &session,
                },
                1_795_132_800_000,
                0.5,
            );
        }
        let (mut wire, mut scratch, mut buf) =
            (Rng::new(2), EnvelopeScratch::default(), Vec::new());
        let (mut viewers, mut purchases) = (0, 0);
        for hit in &hits {
            encode_envelope(hit, &model, &mut wire, &mut scratch, &mut buf);
            let env = Envelope::decode(&buf).unwrap();
            assert_eq!(
                (env.kind, env.path, env.query),
                (HitKind::Collect, "/collect", "")
            );
            assert_eq!(env.arrival_ms, hit.arrival_ms);
            assert_eq!(uuid::Uuid::from_bytes(env.event_id).get_version_num(), 7);
            viewers += usize::from(env.viewer.is_some());
            let body: serde_json::Value = serde_json::from_slice(env.body).unwrap();
            for key in [
                "v", "tid", "cid", "z", "t", "dl", "dt", "ul", "sr", "sd", "de", "tm",
            ] {
                assert!(body.get(key).is_some(), "{key} missing in {body}");
            }
            if body["pa"] == "purchase" {
                purchases += 1;
                assert!(body["ti"].as_str().unwrap().starts_with("T-"));
                assert!(
                    body["pr1id"].is_string() && body["tr"].is_string() && body["cu"].is_string()
                );
            }
        }
        assert!(purchases > 5, "{purchases}");
        let share = viewers as f64 / hits.len() as f64;
        assert!((0.2..0.4).contains(&share), "{share}");
    }
}
