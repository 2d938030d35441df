//! The ownstats tracker's query string (`t=pv` / `t=tr`), parameter by parameter in the order
//! the browser sends them, and the URLs it embeds (`u`, `r`, the Referer header).

use super::hit::{Hit, HitBody, Utm};
use super::percent;
use super::sites::Site;
use std::fmt::Write;

/// A deliberate defect for the dead-letter path (CloudFront lines only).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Corruption {
    /// A well-formed query.
    None,
    /// `ts=abc`.
    BadTimestamp,
    /// A path sent unencoded with a bare `%` (a hand-rolled tracker), which decodes once to an
    /// invalid escape.
    BadPercent,
}

/// Appends `key=value` pairs, encoding values once (collector) or twice (CloudFront log).
pub struct Query<'a> {
    out: &'a mut String,
    twice: bool,
    first: bool,
}

impl<'a> Query<'a> {
    /// Writes into `out` (appending).
    pub fn new(out: &'a mut String, twice: bool) -> Query<'a> {
        Query {
            out,
            twice,
            first: true,
        }
    }

    fn key(&mut self, key: &str) {
        if !self.first {
            self.out.push('&');
        }
        self.first = false;
        self.out.push_str(key);
        self.out.push('=');
    }

    /// A text value, encoded by `encodeURIComponent` (and CloudFront).
    pub fn text(&mut self, key: &str, value: &str) {
        self.key(key);
        if self.twice {
            percent::uri_component_twice(value, self.out);
        } else {
            percent::uri_component(value, self.out);
        }
    }

    /// A number (digits, `.` and `-` need no encoding).
    pub fn number(&mut self, key: &str, value: i64) {
        self.key(key);
        percent::push_int(self.out, value);
    }

    /// An already-encoded value.
    pub fn encoded(&mut self, key: &str, value: &str) {
        self.key(key);
        self.out.push_str(value);
    }
}

/// The URL of the hit's own page, with the session's campaign parameters on its landing page.
pub fn hit_page_url(site: &Site, hit: &Hit, out: &mut String) {
    let utm = if hit.landing {
        hit.session.utm.as_ref()
    } else {
        None
    };
    page_url(site, hit.page, utm, out);
}

/// The page URL as `location.href`: campaign parameters only on the landing page.
pub fn page_url(site: &Site, page: u16, utm: Option<&Utm>, out: &mut String) {
    out.push_str("https://");
    out.push_str(site.host);
    out.push_str(
        site.pages
            .get(usize::from(page))
            .map_or("/", |p| p.path.as_str()),
    );
    if let Some(u) = utm {
        let _ = write!(
            out,
            "?utm_source={}&utm_medium={}&utm_campaign={}",
            u.source, u.medium, u.campaign
        );
        if let Some(c) = u.content {
            let _ = write!(out, "&utm_content={c}");
        }
        if let Some(t) = u.term {
            let _ = write!(out, "&utm_term={t}");
        }
    }
}

/// `document.referrer`: the external referrer on the landing page and, in a single-page app,
/// for every later pageview too (pushState does not change it); on multi-page sites the
/// previous page. Returns false when empty.
pub fn document_referrer(hit: &Hit, site: &Site, out: &mut String) -> bool {
    match (&hit.session.referrer, hit.prev_page) {
        (Some(r), _) if hit.landing || site.spa => out.push_str(r),
        (_, Some(prev)) if !hit.landing && !site.spa => page_url(site, prev, None, out),
        _ => return false,
    }
    true
}

/// The `Referer` request header of a hit sent from the page: by default browsers send only the
/// origin to another host; sites with a permissive policy send the full URL; crawlers none.
pub fn referer_header(hit: &Hit, site: &Site, out: &mut String) -> bool {
    if hit.session.visitor.is_crawler() {
        return false;
    }
    if site.full_referer {
        hit_page_url(site, hit, out);
    } else {
        let _ = write!(out, "https://{}/", site.host);
    }
    true
}

/// Writes the tracker query of a pixel hit (pageview or event) into `out`.
pub fn tracker_query(
    hit: &Hit,
    site: &Site,
    twice: bool,
    corruption: Corruption,
    scratch: &mut String,
    out: &mut String,
) {
    let v = &hit.session.visitor;
    let utm = if hit.landing {
        hit.session.utm.as_ref()
    } else {
        None
    };
    let path = site
        .pages
        .get(usize::from(hit.page))
        .map_or("/", |p| p.path.as_str());
    let title = site
        .pages
        .get(usize::from(hit.page))
        .map_or("", |p| p.title.as_str());
    let mut q = Query::new(out, twice);
    let (t, event) = match &hit.body {
        HitBody::Track { name, props } => ("tr", Some((*name, *props))),
        _ => ("pv", None),
    };
    q.encoded("t", t);
    if corruption == Corruption::BadTimestamp {
        q.encoded("ts", "abc");
    } else {
        q.number("ts", hit.client_ms());
    }
    scratch.clear();
    page_url(site, hit.page, utm, scratch);
    q.text("u", scratch);
    q.text("hn", site.host);
    if corruption == Corruption::BadPercent {
        q.key("pa");
        q.out.push_str(path);
        q.out.push_str("%25zz");
    } else {
        q.text("pa", path);
    }
    if let Some((name, props)) = event {
        q.text("en", name);
        q.text("pr", props);
        return;
    }
    q.encoded(
        "ua",
        if twice {
            &v.ua.param_twice
        } else {
            &v.ua.param_once
        },
    );
    if v.is_crawler() {
        // Fetched directly by a crawler or script: no browser properties.
        return;
    }
    if let Some(u) = utm {
        q.text("s", u.source);
    }
    scratch.clear();
    if document_referrer(hit, site, scratch) {
        q.text("r", scratch);
    }
    q.number("iw", i64::from(v.device.viewport.0));
    q.number("ih", i64::from(v.device.viewport.1));
    if !title.is_empty() {
        q.text("ti", title);
    }
    q.number("w", i64::from(v.device.screen.0));
    q.number("h", i64::from(v.device.screen.1));
    q.number("d", i64::from(v.device.depth));
    q.text("l", v.lang);
    q.text("p", v.device.platform);
    if let Some(m) = v.device.memory {
        q.encoded("m", m);
    }
    q.number("c", i64::from(v.device.cores));
    if let Some(u) = utm {
        // The tracker copies the still-encoded values out of location.search and encodes them
        // again (so `spring%20sale` travels as `spring%2520sale`); see seeds-spec A.2.
        q.text("uso", u.source);
        q.text("uca", u.campaign);
        q.text("ume", u.medium);
        if let Some(c) = u.content {
            q.text("uco", c);
        }
        if let Some(t) = u.term {
            q.text("ute", t);
        }
    }
    q.text("tz", v.tz);
}
