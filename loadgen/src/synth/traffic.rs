//! Where visits come from: the landing referrer (direct, search, social, other sites, our own
//! other sites) and campaign (UTM) parameters on the landing URL.

use super::hit::Utm;
use super::rng::{pick_weighted, Rng};
use super::sites::Site;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Source {
    Direct,
    Search,
    Social,
    Other,
    Sister,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CampaignRef {
    None,
    Search,
    Social,
    Other,
}

/// Campaign links, values URL-encoded as in the link (spaces as `%20`, one `%2F`, one UTF-8).
#[rustfmt::skip]
const CAMPAIGNS: &[(Utm, CampaignRef, f64)] = &[
    (utm("newsletter", "email", "spring%20sale", None, None), CampaignRef::None, 0.18),
    (utm("newsletter", "email", "black_friday_2026", Some("hero%20banner"), None), CampaignRef::None, 0.12),
    (utm("facebook", "social", "spring%20sale", Some("carousel"), None), CampaignRef::Social, 0.08),
    (utm("facebook", "cpc", "retargeting", Some("video%20ad%20v2"), None), CampaignRef::Social, 0.07),
    (utm("google", "cpc", "brand%20search", None, Some("example%20shop")), CampaignRef::Search, 0.12),
    (utm("google", "cpc", "generic", None, Some("rust%20analytics%20pipeline")), CampaignRef::Search, 0.08),
    (utm("linkedin", "social", "launch%20week", None, None), CampaignRef::Social, 0.07),
    (utm("twitter", "social", "launch%20week", Some("thread"), None), CampaignRef::Social, 0.05),
    (utm("partner-site", "referral", "affiliate%2Fq4", None, None), CampaignRef::Other, 0.06),
    (utm("mailchimp", "email", "Sommer-Angebot%20f%C3%BCr%20alle", None, None), CampaignRef::None, 0.07),
    (utm("bing", "cpc", "generic", None, Some("laufschuhe%20herren")), CampaignRef::Search, 0.05),
    (utm("instagram", "social", "influencer_jane", Some("story"), None), CampaignRef::Social, 0.05),
];

const fn utm(
    source: &'static str,
    medium: &'static str,
    campaign: &'static str,
    content: Option<&'static str>,
    term: Option<&'static str>,
) -> Utm {
    Utm {
        source,
        medium,
        campaign,
        content,
        term,
    }
}

#[rustfmt::skip]
const SEARCH: &[(&str, f64)] = &[
    ("https://www.google.com/", 0.55),
    ("https://www.google.de/", 0.08),
    ("https://www.google.co.uk/", 0.04),
    ("https://www.google.fr/", 0.03),
    ("https://www.bing.com/", 0.10),
    ("https://duckduckgo.com/", 0.07),
    ("https://www.ecosia.org/", 0.04),
    ("https://search.yahoo.com/", 0.02),
    ("https://yandex.ru/", 0.02),
    ("https://search.brave.com/", 0.02),
    ("https://www.qwant.com/", 0.01),
    ("android-app://com.google.android.googlequicksearchbox/", 0.02),
];

#[rustfmt::skip]
const SOCIAL: &[(&str, f64)] = &[
    ("t.co", 0.20),
    ("https://www.facebook.com/", 0.15),
    ("https://l.facebook.com/", 0.10),
    ("https://m.facebook.com/", 0.05),
    ("https://www.linkedin.com/", 0.12),
    ("reddit", 0.12),
    ("https://news.ycombinator.com/", 0.08),
    ("https://www.instagram.com/", 0.06),
    ("https://l.instagram.com/", 0.04),
    ("https://www.youtube.com/", 0.05),
    ("android-app://com.slack/", 0.03),
];

#[rustfmt::skip]
const OTHER: &[(&str, f64)] = &[
    ("https://cloudsecdocs.com/", 0.12),
    ("github", 0.18),
    ("stackoverflow", 0.14),
    ("https://dev.to/", 0.06),
    ("medium", 0.08),
    ("https://en.wikipedia.org/wiki/Web_analytics", 0.05),
    ("https://mail.google.com/", 0.07),
    ("https://outlook.live.com/", 0.05),
    ("https://lobste.rs/", 0.04),
    ("https://www.heise.de/", 0.06),
    ("https://www.producthunt.com/", 0.05),
    ("https://chatgpt.com/", 0.06),
];

#[rustfmt::skip]
const SLUG_WORDS: &[&str] = &[
    "how", "to", "build", "rust", "analytics", "privacy", "friendly", "pipeline", "cloud", "regions", "map", "best", "tools", "2026", "open", "source", "shop", "deals",
];

fn alnum(rng: &mut Rng, n: usize) -> String {
    const A: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    (0..n).map(|_| char::from(*rng.pick(A))).collect()
}

fn slug(rng: &mut Rng) -> String {
    (0..rng.between(2, 5))
        .map(|_| *rng.pick(SLUG_WORDS))
        .collect::<Vec<_>>()
        .join("-")
}

/// Expands placeholders into a concrete URL.
fn expand(rng: &mut Rng, name: &str) -> String {
    match name {
        "t.co" => format!("https://t.co/{}", alnum(rng, 10)),
        "reddit" => format!(
            "https://www.reddit.com/r/{}/comments/{}/{}/",
            rng.pick(&[
                "rust",
                "webdev",
                "aws",
                "dataengineering",
                "de",
                "programming"
            ]),
            alnum(rng, 6).to_lowercase(),
            slug(rng).replace('-', "_")
        ),
        "github" => format!(
            "https://github.com/{}/{}",
            rng.pick(&[
                "ownstats",
                "tobilg",
                "apache",
                "duckdb",
                "awslabs",
                "rust-lang"
            ]),
            rng.pick(&[
                "ownstats",
                "aws-edge-locations",
                "arrow-rs",
                "duckdb",
                "aws-sdk-rust",
                "rust"
            ])
        ),
        "stackoverflow" => format!(
            "https://stackoverflow.com/questions/{}/{}",
            70_000_000 + rng.below(9_000_000),
            slug(rng)
        ),
        "medium" => format!(
            "https://medium.com/@{}/{}-{:012x}",
            rng.pick(&["jane.doe", "dataeng", "cloudnative"]),
            slug(rng),
            rng.below(1 << 48)
        ),
        url => url.to_string(),
    }
}

fn pick_expand(rng: &mut Rng, table: &[(&str, f64)]) -> String {
    let name = pick_weighted(rng, table);
    expand(rng, name)
}

/// Picks the landing referrer and campaign of a new visit to `site`.
pub fn landing_source(rng: &mut Rng, sites: &[Site], site: usize) -> (Option<String>, Option<Utm>) {
    if rng.chance(0.15) {
        let (utm, r, _) =
            CAMPAIGNS[super::rng::Weighted::new(CAMPAIGNS.iter().map(|c| c.2)).sample(rng)];
        let referrer = match r {
            CampaignRef::None => None,
            CampaignRef::Search => Some(pick_weighted(rng, SEARCH).to_string()),
            CampaignRef::Social => Some(pick_expand(rng, SOCIAL)),
            CampaignRef::Other => Some(pick_expand(rng, OTHER)),
        };
        return (referrer, Some(utm));
    }
    let source = pick_weighted(
        rng,
        &[
            (Source::Direct, 0.40),
            (Source::Search, 0.28),
            (Source::Social, 0.12),
            (Source::Other, 0.13),
            (Source::Sister, 0.07),
        ],
    );
    let referrer = match source {
        Source::Direct => None,
        Source::Search => Some(pick_weighted(rng, SEARCH).to_string()),
        Source::Social => Some(pick_expand(rng, SOCIAL)),
        Source::Other => Some(pick_expand(rng, OTHER)),
        Source::Sister if sites.len() > 1 => {
            // A link from one of our other sites: full URL (same-site-group policy).
            let mut other = rng.index(sites.len() - 1);
            if other >= site {
                other += 1;
            }
            let s = &sites[other];
            let page = &s.pages[s.popularity.sample(rng)];
            Some(format!("https://{}{}", s.host, page.path))
        }
        Source::Sister => None,
    };
    (referrer, None)
}

#[cfg(test)]
mod tests {
    use super::super::sites::build_sites;
    use super::*;

    #[test]
    fn mix_of_sources() {
        let mut rng = Rng::new(9);
        let sites = build_sites(&mut rng, 5);
        let n = 20_000;
        let draws: Vec<_> = (0..n)
            .map(|i| landing_source(&mut rng, &sites, i % 5))
            .collect();
        let direct = draws.iter().filter(|(r, _)| r.is_none()).count() as f64 / n as f64;
        let utm = draws.iter().filter(|(_, u)| u.is_some()).count() as f64 / n as f64;
        assert!((0.35..0.50).contains(&direct), "{direct}");
        assert!((0.12..0.18).contains(&utm), "{utm}");
        for (r, _) in &draws {
            if let Some(r) = r {
                assert!(
                    r.starts_with("https://") || r.starts_with("android-app://"),
                    "{r}"
                );
                assert!(!r.contains(' '));
            }
        }
    }
}
