//! Visits of the ownstats tracker: pageviews with realistic dwell times, tab hide/show pairs and
//! custom events in between, optional loader/tracker script requests (CloudFront only), and a
//! few visits that pause for more than 30 minutes so sessionization has to split them.

use super::hit::{Asset, Hit, HitBody, Session};
use super::rng::Rng;
use super::sites::Site;
use std::rc::Rc;

const SECOND: i64 = 1000;
const MINUTE: i64 = 60 * SECOND;

/// Knobs that differ between output formats.
#[derive(Debug, Clone, Copy)]
pub struct SessionSettings {
    /// Emit CDN script requests (only CloudFront logs contain them).
    pub cloudfront: bool,
    /// Probability that a pageview is preceded by a script request.
    pub asset_rate: f64,
}

/// Network and batching delay between the event and its arrival: tens to hundreds of ms,
/// sometimes seconds, rarely a minute (a phone that lost its connection).
pub fn arrival_delay(rng: &mut Rng, mobile: bool) -> i64 {
    let u = rng.f64();
    if u < 0.965 {
        15 + rng.exp(if mobile { 120.0 } else { 60.0 }) as i64
    } else if u < 0.997 {
        rng.between(500, 5 * SECOND)
    } else {
        rng.between(10 * SECOND, 90 * SECOND)
    }
}

/// Time on a page: log-normal around half a minute, from 2 s to 20 min.
pub fn dwell(rng: &mut Rng) -> i64 {
    ((rng.normal() * 1.1 + (30.0 * SECOND as f64).ln()).exp() as i64).clamp(2 * SECOND, 20 * MINUTE)
}

/// Gap that ends a session for the 30-minute rule: 31 minutes to 2.5 hours.
pub fn resume_gap(rng: &mut Rng) -> i64 {
    rng.between(31 * MINUTE, 150 * MINUTE)
}

/// Next page of a visit (any page but the current one, by popularity).
pub fn next_page(rng: &mut Rng, site: &Site, current: u16) -> u16 {
    for _ in 0..4 {
        let p = site.popularity.sample(rng) as u16;
        if p != current {
            return p;
        }
    }
    current
}

/// Collects the hits of one visit.
pub struct HitSink<'a> {
    /// Where hits go.
    pub out: &'a mut Vec<Hit>,
    /// The visit.
    pub session: &'a Rc<Session>,
}

impl HitSink<'_> {
    /// Appends a hit happening at `event_ms`; its arrival time is drawn here.
    pub fn push(
        &mut self,
        rng: &mut Rng,
        event_ms: i64,
        page: u16,
        prev_page: Option<u16>,
        landing: bool,
        body: HitBody,
    ) {
        let mobile = self.session.visitor.is_mobile();
        self.out.push(Hit {
            arrival_ms: event_ms + arrival_delay(rng, mobile),
            event_ms,
            session: Rc::clone(self.session),
            page,
            prev_page,
            landing,
            body,
        });
    }
}

/// Generates one tracker visit starting at `start_ms`. Returns true when the visit contains a
/// pause of more than 30 minutes between pageviews.
pub fn pixel_session(
    rng: &mut Rng,
    site: &Site,
    sink: &mut HitSink<'_>,
    start_ms: i64,
    settings: SessionSettings,
) -> bool {
    let visitor = Rc::clone(&sink.session.visitor);
    let crawler = visitor.is_crawler();
    let human = !visitor.is_bot();
    let pages = if human {
        rng.geometric(4.0)
    } else {
        rng.geometric(1.6)
    }
    .min(60);
    let resume_after =
        (human && pages >= 2 && rng.chance(0.07)).then(|| rng.below(u64::from(pages - 1)) as u32);
    let mut split = resume_after.is_some();
    let mut t = start_ms;
    let mut page = site.popularity.sample(rng) as u16;
    let mut prev = None;
    for i in 0..pages {
        if i > 0 {
            prev = Some(page);
            page = next_page(rng, site, page);
        }
        let landing = i == 0;
        // Drawn unconditionally so a CloudFront run without script requests and an envelope run
        // consume the same random stream and describe the same visits.
        let fetch_script = rng.chance(settings.asset_rate);
        if settings.cloudfront && !crawler && fetch_script {
            // The page load fetches the loader or the tracker before the pixel fires.
            let asset = match rng.below(20) {
                0..=9 => Asset::Loader,
                10..=18 => Asset::Tracker(0),
                _ => Asset::Tracker(1),
            };
            sink.push(rng, t, page, prev, landing, HitBody::Asset(asset));
            t += rng.between(80, 600);
        }
        sink.push(
            rng,
            t,
            page,
            prev,
            landing,
            HitBody::Pageview {
                double_fired: false,
            },
        );
        if site.spa && i > 0 && rng.chance(0.004) {
            // pushState and hashchange in the same tick: two pageviews with the same `ts`.
            sink.push(
                rng,
                t,
                page,
                prev,
                landing,
                HitBody::Pageview { double_fired: true },
            );
        }
        if crawler {
            t += rng.between(300, 20 * SECOND);
            continue;
        }
        let mut stay = dwell(rng);
        if human {
            if rng.chance(0.10) {
                let (name, props) = *rng.pick(site.events);
                let at = t + rng.between(SECOND, stay);
                sink.push(rng, at, page, prev, landing, HitBody::Track { name, props });
            }
            let last = i + 1 == pages;
            if rng.chance(0.2) {
                let hidden_at = t + rng.between(500, stay);
                sink.push(
                    rng,
                    hidden_at,
                    page,
                    prev,
                    landing,
                    HitBody::Track {
                        name: "tabHidden",
                        props: "{}",
                    },
                );
                // Mostly a quick switch; sometimes the tab sleeps for half an hour or more.
                let long = rng.chance(0.05);
                let away = if long {
                    resume_gap(rng)
                } else {
                    SECOND + rng.exp(90.0 * SECOND as f64) as i64
                };
                if !last || rng.chance(0.5) {
                    let visible_at = hidden_at + away;
                    sink.push(
                        rng,
                        visible_at,
                        page,
                        prev,
                        landing,
                        HitBody::Track {
                            name: "tabVisible",
                            props: "{}",
                        },
                    );
                    stay = visible_at - t + rng.between(2 * SECOND, MINUTE);
                    split |= long && !last;
                }
            } else if last && rng.chance(0.4) {
                // Closing the tab fires visibilitychange → hidden.
                sink.push(
                    rng,
                    t + stay,
                    page,
                    prev,
                    landing,
                    HitBody::Track {
                        name: "tabHidden",
                        props: "{}",
                    },
                );
            }
        }
        t += stay;
        if resume_after == Some(i) {
            t += resume_gap(rng);
        }
    }
    split
}

#[cfg(test)]
mod tests {
    use super::super::regions::edge_table;
    use super::super::sites::build_sites;
    use super::super::visitors::VisitorFactory;
    use super::*;

    #[test]
    fn visits_have_pageviews_events_and_long_pauses() {
        let mut rng = Rng::new(11);
        let sites = build_sites(&mut rng, 4);
        let mut visitors = VisitorFactory::new(&edge_table());
        let settings = SessionSettings {
            cloudfront: true,
            asset_rate: 0.02,
        };
        let (mut hits, mut splits, mut sessions) = (Vec::new(), 0, 0);
        for i in 0..3000 {
            let site = i % sites.len();
            let session = Rc::new(Session {
                site: site as u16,
                visitor: visitors.visitor_for_session(&mut rng, 14),
                referrer: None,
                utm: None,
            });
            let start = hits.len();
            let mut sink = HitSink {
                out: &mut hits,
                session: &session,
            };
            if pixel_session(&mut rng, &sites[site], &mut sink, 1_000_000, settings) {
                splits += 1;
                let mut pv: Vec<i64> = hits[start..]
                    .iter()
                    .filter(|h| matches!(h.body, HitBody::Pageview { .. }))
                    .map(|h| h.event_ms)
                    .collect();
                pv.sort_unstable();
                assert!(
                    pv.windows(2).any(|w| w[1] - w[0] > 30 * MINUTE),
                    "split without a 30-minute gap"
                );
            }
            sessions += 1;
            assert!(hits[start..]
                .iter()
                .all(|h| h.event_ms >= 1_000_000 && h.arrival_ms >= h.event_ms));
        }
        let pageviews = hits
            .iter()
            .filter(|h| matches!(h.body, HitBody::Pageview { .. }))
            .count();
        let per_session = pageviews as f64 / f64::from(sessions);
        assert!((2.8..4.5).contains(&per_session), "{per_session}");
        assert!(splits > 100, "{splits}");
        assert!(hits.iter().any(|h| matches!(
            h.body,
            HitBody::Track {
                name: "tabVisible",
                ..
            }
        )));
        assert!(hits.iter().any(|h| matches!(h.body, HitBody::Asset(_))));
    }
}
