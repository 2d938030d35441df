//! CloudFront real-time log lines: 12 TAB-separated fields in ownstats' configured order, the
//! query encoded twice, plus the CDN's script requests and a few deliberately broken lines.

use super::hit::{Asset, Hit, HitBody};
use super::model::Model;
use super::percent;
use super::rng::Rng;
use super::tracker::{referer_header, tracker_query, Corruption};
use std::fmt::Write;

/// Builds of the tracker script the CDN serves (the first one is from the ownstats fixtures).
pub const TRACKER_BUILDS: [&str; 2] = [
    "142547c1950316450120405bd85ac243eb2ab0bc",
    "9c1f0e5b7a3d2c4e6f8091a2b3c4d5e6f7081920",
];

/// What kind of line was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineKind {
    /// A valid pixel hit.
    Pixel,
    /// A script request the enricher must drop.
    NonPixel,
    /// A malformed line the enricher must dead-letter.
    Broken,
}

/// Reusable buffers.
#[derive(Debug, Default)]
pub struct LineScratch {
    query: String,
    url: String,
}

fn millis(out: &mut String, ms: i64) {
    percent::push_int(out, ms.div_euclid(1000));
    let f = ms.rem_euclid(1000);
    out.push('.');
    for d in [f / 100, f / 10 % 10, f % 10] {
        out.push(char::from(b'0' + d as u8));
    }
}

/// Encodes `hit` as one `\n`-terminated log line into `out` (cleared first).
pub fn encode_line(
    hit: &Hit,
    model: &Model,
    wire: &mut Rng,
    broken_share: f64,
    scratch: &mut LineScratch,
    out: &mut String,
) -> LineKind {
    out.clear();
    let site = model.site(hit.session.site);
    let v = &hit.session.visitor;
    let (path, kind, corruption) = match hit.body {
        HitBody::Asset(Asset::Loader) => ("/go.js", LineKind::NonPixel, Corruption::None),
        HitBody::Asset(Asset::Tracker(_)) => ("", LineKind::NonPixel, Corruption::None),
        _ if wire.chance(broken_share) => {
            let c = match wire.below(3) {
                0 => Corruption::None, // the line loses its last field instead
                1 => Corruption::BadTimestamp,
                _ => Corruption::BadPercent,
            };
            ("/hello.gif", LineKind::Broken, c)
        }
        _ => ("/hello.gif", LineKind::Pixel, Corruption::None),
    };
    scratch.query.clear();
    if kind != LineKind::NonPixel {
        tracker_query(
            hit,
            site,
            true,
            corruption,
            &mut scratch.url,
            &mut scratch.query,
        );
    }
    millis(out, hit.arrival_ms);
    out.push('\t');
    out.push_str(&v.ip_text);
    out.push_str("\t200\t");
    match hit.body {
        HitBody::Asset(Asset::Tracker(i)) => {
            let _ = write!(
                out,
                "/versions/hello-{}.js",
                TRACKER_BUILDS[usize::from(i) % TRACKER_BUILDS.len()]
            );
        }
        _ => out.push_str(path),
    }
    // cs-bytes: HTTP/2 header compression makes it far smaller than the URL (the fixtures have
    // 319 bytes for a 700-character query).
    let bytes = if kind == LineKind::NonPixel {
        wire.between(30, 120)
    } else {
        30 + scratch.query.len() as i64 * 2 / 5 + wire.between(0, 40)
    };
    let _ = write!(out, "\t{bytes}\t");
    if wire.chance(0.001) {
        // An edge too new for the lookup table.
        let _ = write!(out, "XXX{}-C1", wire.between(1, 9));
    } else {
        let _ = write!(
            out,
            "{}{}-{}",
            v.edge,
            v.edge_num,
            wire.pick(&["C1", "C2", "C2", "P2", "P3"])
        );
    }
    out.push('\t');
    let u = wire.f64();
    let taken = match kind {
        LineKind::NonPixel if u < 0.7 => wire.between(1, 30),
        LineKind::NonPixel => wire.between(30, 600),
        _ if u < 0.9 => wire.between(0, 3),
        _ if u < 0.98 => wire.between(4, 50),
        _ => wire.between(50, 600),
    };
    millis(out, taken);
    out.push('\t');
    out.push_str(&v.ua.cf_field);
    out.push('\t');
    scratch.url.clear();
    if referer_header(hit, site, &mut scratch.url) {
        percent::cloudfront_field(&scratch.url, out);
    } else {
        out.push('-');
    }
    out.push('\t');
    if scratch.query.is_empty() {
        out.push('-');
    } else {
        out.push_str(&scratch.query);
    }
    out.push('\t');
    let cache = if kind == LineKind::NonPixel {
        [(0.6, "Hit"), (0.3, "RefreshHit"), (0.1, "Miss")]
    } else {
        [(0.94, "Hit"), (0.03, "RefreshHit"), (0.03, "Miss")]
    };
    let mut r = wire.f64();
    let result = cache.iter().find(|(p, _)| {
        r -= p;
        r < 0.0
    });
    out.push_str(result.map_or("Hit", |(_, s)| s));
    if !(kind == LineKind::Broken && corruption == Corruption::None) {
        out.push('\t');
        percent::push_int(out, i64::from(v.asn));
    }
    out.push('\n');
    kind
}

#[cfg(test)]
mod tests {
    use super::super::hit::Session;
    use super::super::percent::tests::percent_decode;
    use super::super::session::{pixel_session, HitSink, SessionSettings};
    use super::super::visitors::VisitorFactory;
    use super::*;
    use std::rc::Rc;

    fn params(query: &str) -> Vec<(&str, &str)> {
        query
            .split('&')
            .map(|kv| kv.split_once('=').unwrap())
            .collect()
    }

    #[test]
    fn lines_carry_the_tracker_parameters_encoded_twice() {
        let mut rng = Rng::new(21);
        let model = Model::build(&mut rng, 8);
        let mut visitors = VisitorFactory::new(&model.edges);
        let mut hits = Vec::new();
        for i in 0..400 {
            let site = (i % model.sites.len()) as u16;
            let session = Rc::new(Session {
                site,
                visitor: visitors.visitor_for_session(&mut rng, i % 40),
                referrer: Some("https://www.google.com/".into()),
                utm: None,
            });
            let mut sink = HitSink {
                out: &mut hits,
                session: &session,
            };
            pixel_session(
                &mut rng,
                model.site(site),
                &mut sink,
                1_795_132_800_000,
                SessionSettings {
                    cloudfront: true,
                    asset_rate: 0.05,
                },
            );
        }
        let (mut wire, mut scratch, mut line) =
            (Rng::new(1), LineScratch::default(), String::new());
        let (mut once, mut url) = (String::new(), String::new());
        let mut kinds = [0usize; 3];
        for hit in &hits {
            let kind = encode_line(hit, &model, &mut wire, 0.0, &mut scratch, &mut line);
            kinds[kind as usize] += 1;
            assert!(line.ends_with('\n') && line.matches('\n').count() == 1);
            let fields: Vec<&str> = line.trim_end_matches('\n').split('\t').collect();
            assert_eq!(fields.len(), 12, "{line}");
            assert_eq!(
                percent_decode(fields[7]).unwrap(),
                hit.session.visitor.ua.raw
            );
            assert!(
                fields[0].len() == 14 && fields[0].as_bytes()[10] == b'.',
                "{}",
                fields[0]
            );
            if kind == LineKind::NonPixel {
                assert_eq!(fields[9], "-");
                assert!(fields[3] == "/go.js" || fields[3].starts_with("/versions/hello-"));
                continue;
            }
            assert_eq!(fields[3], "/hello.gif");
            once.clear();
            tracker_query(
                hit,
                model.site(hit.session.site),
                false,
                Corruption::None,
                &mut url,
                &mut once,
            );
            let twice = params(fields[9]);
            let expected = params(&once);
            assert_eq!(twice.len(), expected.len());
            for ((k2, v2), (k1, v1)) in twice.iter().zip(&expected) {
                assert_eq!(k2, k1);
                assert_eq!(percent_decode(v2).unwrap(), *v1, "{k1}");
                percent_decode(v1).unwrap();
            }
        }
        assert!(
            kinds[LineKind::Pixel as usize] > 1000 && kinds[LineKind::NonPixel as usize] > 10,
            "{kinds:?}"
        );
    }

    #[test]
    fn broken_lines_are_broken() {
        let mut rng = Rng::new(22);
        let model = Model::build(&mut rng, 2);
        let mut visitors = VisitorFactory::new(&model.edges);
        let visitor = loop {
            let v = visitors.visitor_for_session(&mut rng, 14);
            if !v.is_bot() {
                break v;
            }
        };
        let session = Rc::new(Session {
            site: 0,
            visitor,
            referrer: None,
            utm: None,
        });
        let mut hits: Vec<Hit> = Vec::new();
        pixel_session(
            &mut rng,
            model.site(0),
            &mut HitSink {
                out: &mut hits,
                session: &session,
            },
            0,
            SessionSettings {
                cloudfront: false,
                asset_rate: 0.0,
            },
        );
        let (mut wire, mut scratch, mut line) =
            (Rng::new(3), LineScratch::default(), String::new());
        let mut seen = [false; 3];
        for _ in 0..200 {
            assert_eq!(
                encode_line(&hits[0], &model, &mut wire, 1.0, &mut scratch, &mut line),
                LineKind::Broken
            );
            let fields: Vec<&str> = line.trim_end().split('\t').collect();
            if fields.len() == 11 {
                seen[0] = true;
            } else if fields[9].contains("ts=abc") {
                seen[1] = true;
            } else {
                let pa = params(fields[9])
                    .into_iter()
                    .find(|(k, _)| *k == "pa")
                    .unwrap()
                    .1;
                assert!(
                    percent_decode(&percent_decode(pa).unwrap()).is_none(),
                    "{pa}"
                );
                seen[2] = true;
            }
        }
        assert_eq!(seen, [true; 3]);
    }
}
