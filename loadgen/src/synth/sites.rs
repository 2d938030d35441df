//! The tracked websites: host names, a few hundred pages each with Zipf-skewed popularity,
//! titles (some with `&`, quotes and non-ASCII so encoders get exercised), product catalogues
//! for the shops, and the custom events each kind of site fires.

use super::pages::pages_and_products;
use super::rng::{Rng, Weighted};

/// What a site is, which decides its pages and events.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SiteKind {
    /// E-commerce: categories, products, cart, checkout; also the target of `/collect` traffic.
    Shop,
    /// Articles.
    Blog,
    /// Documentation.
    Docs,
    /// Software-as-a-service marketing site.
    Saas,
    /// News sections and dated articles.
    News,
    /// mapthe.cloud, the site in the ownstats fixtures.
    CloudMap,
}

/// What a page is, for the e-commerce funnel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageKind {
    /// Any content page.
    Content,
    /// Product list.
    Category,
    /// Product detail page of product `n`.
    Product(u16),
    /// Shopping cart.
    Cart,
    /// Checkout.
    Checkout,
}

/// One page.
#[derive(Debug, Clone)]
pub struct Page {
    /// URL path, ASCII (as `location.pathname` delivers it).
    pub path: String,
    /// `document.title`.
    pub title: String,
    /// Role in the funnel.
    pub kind: PageKind,
}

/// One product of a shop.
#[derive(Debug, Clone)]
pub struct Product {
    /// SKU.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Brand.
    pub brand: &'static str,
    /// Category path, e.g. `Apparel/Shoes`.
    pub category: &'static str,
    /// Variant.
    pub variant: &'static str,
    /// Unit price in cents.
    pub price_cents: u32,
}

/// One tracked website.
#[derive(Debug)]
pub struct Site {
    /// Host name (`hn`).
    pub host: &'static str,
    /// Kind.
    pub kind: SiteKind,
    /// Single-page app: navigation uses pushState, so `document.referrer` keeps the landing
    /// referrer, and a pushState + hashchange pair occasionally double-fires a pageview.
    pub spa: bool,
    /// Sends the full page URL as Referer (policy `no-referrer-when-downgrade`) instead of the
    /// browsers' default origin only.
    pub full_referer: bool,
    /// Pages, index 0 is the home page.
    pub pages: Vec<Page>,
    /// Page popularity (index into `pages`).
    pub popularity: Weighted,
    /// Products (shops only).
    pub products: Vec<Product>,
    /// Product popularity.
    pub product_popularity: Weighted,
    /// Currency of the shop.
    pub currency: &'static str,
    /// GA-style tenant id for `/collect` hits (stable per host, independent of the seed).
    pub tenant: String,
    /// Custom tracker events `(name, JSON properties)`.
    pub events: &'static [(&'static str, &'static str)],
}

impl Site {
    /// Index of the first page of a kind.
    pub fn find(&self, kind: PageKind) -> Option<u16> {
        self.pages
            .iter()
            .position(|p| p.kind == kind)
            .map(|i| i as u16)
    }

    /// Index of a product's detail page.
    pub fn product_page(&self, product: u16) -> Option<u16> {
        self.find(PageKind::Product(product))
    }
}

/// `(host, kind, spa, full_referer, currency)`, in traffic-rank order.
const HOSTS: &[(&str, SiteKind, bool, bool, &str)] = &[
    ("shop.example.com", SiteKind::Shop, false, false, "EUR"),
    ("blog.example.org", SiteKind::Blog, false, false, "EUR"),
    ("mapthe.cloud", SiteKind::CloudMap, true, false, "USD"),
    ("docs.example.net", SiteKind::Docs, true, false, "USD"),
    ("www.example.com", SiteKind::Saas, false, true, "USD"),
    ("store.example.net", SiteKind::Shop, false, true, "USD"),
    ("news.example.org", SiteKind::News, false, false, "EUR"),
    ("app.example.com", SiteKind::Saas, true, false, "USD"),
    ("rezepte.example.com", SiteKind::Blog, false, false, "EUR"),
    ("travel.example.org", SiteKind::Blog, false, true, "EUR"),
    ("forum.example.net", SiteKind::News, false, false, "EUR"),
    ("wiki.example.org", SiteKind::Docs, false, false, "EUR"),
    ("outlet.example.com", SiteKind::Shop, false, false, "EUR"),
    ("dev.example.com", SiteKind::Docs, true, false, "USD"),
    ("careers.example.com", SiteKind::Saas, false, false, "EUR"),
    ("photos.example.net", SiteKind::Blog, false, false, "EUR"),
    ("events.example.org", SiteKind::News, false, false, "EUR"),
    ("support.example.com", SiteKind::Docs, false, false, "USD"),
    ("status.example.net", SiteKind::Saas, true, false, "USD"),
    ("labs.example.com", SiteKind::Blog, true, false, "USD"),
];

/// Maximum number of sites.
pub const MAX_SITES: usize = HOSTS.len();

const SHOP_EVENTS: &[(&str, &str)] = &[
    ("click_cta", r#"{"cta":"hero","variant":"b"}"#),
    ("newsletter_signup", "{}"),
    ("add_to_wishlist", r#"{"source":"pdp"}"#),
    ("click_cta", r#"{"label":"Jetzt kaufen & sparen"}"#),
];
const BLOG_EVENTS: &[(&str, &str)] = &[
    ("click_cta", r#"{"cta":"subscribe"}"#),
    ("share", r#"{"network":"linkedin"}"#),
    ("download", r#"{"file":"cheatsheet.pdf"}"#),
    ("scroll_depth", r#"{"percent":75}"#),
];
const DOCS_EVENTS: &[(&str, &str)] = &[
    ("copy_code", r#"{"lang":"rust"}"#),
    ("search", r#"{"q":"rate limit & retries"}"#),
    ("download", r#"{"file":"openapi.yaml"}"#),
    ("feedback", r#"{"helpful":true}"#),
];
const SAAS_EVENTS: &[(&str, &str)] = &[
    ("signup", r#"{"plan":"pro"}"#),
    ("signup", r#"{"plan":"team","seats":5}"#),
    (
        "click_cta",
        r#"{"cta":"Start free trial","position":"hero"}"#,
    ),
    ("download", r#"{"file":"whitepaper.pdf"}"#),
    ("signup", "{}"),
];
const NEWS_EVENTS: &[(&str, &str)] = &[
    ("share", r#"{"network":"whatsapp"}"#),
    ("paywall_view", "{}"),
    ("subscribe", r#"{"offer":"1 € für 4 Wochen"}"#),
];
const MAP_EVENTS: &[(&str, &str)] = &[
    (
        "region_click",
        r#"{"provider":"aws","region":"eu-central-1"}"#,
    ),
    ("filter", r#"{"service":"Kinesis"}"#),
    ("download", r#"{"file":"regions.csv"}"#),
];

/// Builds the first `count` sites (1..=[`MAX_SITES`]).
pub fn build_sites(rng: &mut Rng, count: usize) -> Vec<Site> {
    HOSTS
        .iter()
        .take(count.clamp(1, MAX_SITES))
        .map(|&(host, kind, spa, full_referer, currency)| {
            build_site(rng, host, kind, spa, full_referer, currency)
        })
        .collect()
}

fn build_site(
    rng: &mut Rng,
    host: &'static str,
    kind: SiteKind,
    spa: bool,
    full_referer: bool,
    currency: &'static str,
) -> Site {
    let (pages, products) = pages_and_products(rng, host, kind);
    // Popularity: the home page leads, then a seeded shuffle of the rest under a Zipf curve, so
    // a few pages (a viral post, a bestseller) get most traffic and a long tail gets little.
    let mut order: Vec<usize> = (1..pages.len()).collect();
    for i in (1..order.len()).rev() {
        order.swap(i, rng.index(i + 1));
    }
    let mut weights = vec![0.0; pages.len()];
    let zipf: Vec<f64> = (0..pages.len())
        .map(|k| 1.0 / ((k + 1) as f64).powf(1.05))
        .collect();
    weights[0] = zipf[0] * 1.5;
    for (rank, &page) in order.iter().enumerate() {
        weights[page] = zipf[rank + 1];
    }
    let events = match kind {
        SiteKind::Shop => SHOP_EVENTS,
        SiteKind::Blog => BLOG_EVENTS,
        SiteKind::Docs => DOCS_EVENTS,
        SiteKind::Saas => SAAS_EVENTS,
        SiteKind::News => NEWS_EVENTS,
        SiteKind::CloudMap => MAP_EVENTS,
    };
    Site {
        host,
        kind,
        spa,
        full_referer,
        product_popularity: Weighted::zipf(products.len(), 0.9),
        products,
        pages,
        popularity: Weighted::new(weights),
        currency,
        tenant: tenant_id(host),
        events,
    }
}

/// A UUIDv4-shaped id derived from the host name (FNV-1a), so tenants are stable across seeds.
fn tenant_id(host: &str) -> String {
    let mut h: u128 = 0x6c62_272e_07bb_0142_62b8_2175_6295_c58d;
    for b in host.bytes() {
        h ^= u128::from(b);
        h = h.wrapping_mul(0x0000_0000_0100_0000_0000_0000_0000_013B);
    }
    uuid::Builder::from_random_bytes(h.to_le_bytes())
        .into_uuid()
        .hyphenated()
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sites_have_hundreds_of_ascii_pages() {
        let sites = build_sites(&mut Rng::new(3), MAX_SITES);
        assert_eq!(sites.len(), MAX_SITES);
        for s in &sites {
            assert!(s.pages.len() >= 150, "{} has {}", s.host, s.pages.len());
            assert_eq!(s.pages[0].path, "/");
            assert!(
                s.pages
                    .iter()
                    .all(|p| p.path.starts_with('/') && p.path.is_ascii() && !p.path.contains(' ')),
                "{}",
                s.host
            );
            assert_eq!(s.popularity.len(), s.pages.len());
            assert_eq!(s.tenant.len(), 36);
        }
        let shop = &sites[0];
        assert_eq!(shop.kind, SiteKind::Shop);
        assert_eq!(shop.products.len(), 300);
        assert!(shop.find(PageKind::Cart).is_some() && shop.find(PageKind::Checkout).is_some());
        assert!(shop.product_page(299).is_some());
        assert_eq!(tenant_id("shop.example.com"), shop.tenant);
    }
}
