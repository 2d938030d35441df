//! Page and product generation for each kind of site: paths like `/blog/<slug>`,
//! `/docs/<section>/<page>`, `/products/<slug>-<sku>`, and titles that exercise the encoders
//! (`&`, quotes, `·`, `–`, umlauts).

use super::rng::Rng;
use super::sites::{Page, PageKind, Product, SiteKind};

#[rustfmt::skip]
const WORDS: &[&str] = &[
    "rust", "cloud", "serverless", "analytics", "privacy", "kinesis", "parquet", "lambda", "edge", "cache", "pipeline",
    "streaming", "batch", "cost", "guide", "tutorial", "deep", "dive", "benchmark", "migration", "security", "tips",
    "checklist", "lessons", "learned", "scaling", "monitoring", "logs", "metrics", "tracing", "dashboard", "sql",
    "duckdb", "arrow", "storage", "s3", "regions", "latency", "2026", "review", "best", "practices", "beginners",
    "advanced", "why", "how", "we", "built", "our", "new", "fast", "simple", "open", "source", "tools", "data",
    "modeling", "sessions", "visitors", "funnels", "retention", "growth", "seo", "performance", "web", "vitals",
    "mobile", "design", "api", "sdk", "release", "notes", "roadmap", "pricing", "update", "deploy", "terraform", "cdk",
];

#[rustfmt::skip]
const GERMAN_DISHES: &[&str] = &[
    "apfelkuchen", "kaesespaetzle", "rinderrouladen", "kartoffelsalat", "zwiebelkuchen", "flammkuchen", "gulasch",
    "pflaumenkuchen", "linsensuppe", "schnitzel", "frikadellen", "bratkartoffeln", "kohlrouladen", "rotkohl",
    "gruenkohl", "spargelsuppe", "dampfnudeln", "kaiserschmarrn", "lebkuchen", "stollen",
];

#[rustfmt::skip]
const DISH_VARIANTS: &[&str] = &[
    "klassisch", "vegan", "wie-bei-oma", "schnell", "mit-kaese", "fuer-kinder", "aus-dem-ofen", "glutenfrei",
    "im-thermomix", "low-carb",
];

#[rustfmt::skip]
const CATEGORIES: &[&str] = &[
    "Apparel/Shoes", "Apparel/Jackets", "Apparel/T-Shirts", "Home/Kitchen", "Home/Lighting", "Electronics/Audio",
    "Electronics/Accessories", "Outdoor/Camping", "Outdoor/Cycling", "Beauty/Skin Care", "Toys & Games", "Books",
    "Sports/Running", "Garden", "Office", "Pets",
];

#[rustfmt::skip]
const BRANDS: &[&str] = &["Acme", "Nordwind", "Helio", "Lumen & Co", "Kessler", "Bergblick", "Oak+Iron", "Café Noir", "Vela", "Studio 54", "Polar", "Tandem"];
#[rustfmt::skip]
const ADJECTIVES: &[&str] = &["Classic", "Ultra", "Lightweight", "Organic", "Vintage", "Pro", "Compact", "Waterproof", "Merino", "Smart", "Ergonomic", "Recycled"];
/// Product types with the category they are listed in.
#[rustfmt::skip]
const NOUNS: &[(&str, &str)] = &[
    ("Running Shoe", "Sports/Running"), ("Rain Jacket", "Apparel/Jackets"), ("T-Shirt", "Apparel/T-Shirts"),
    ("Espresso Cup", "Home/Kitchen"), ("Desk Lamp", "Home/Lighting"), ("Headphones", "Electronics/Audio"),
    ("USB-C Cable", "Electronics/Accessories"), ("Tent", "Outdoor/Camping"), ("Bike Light", "Outdoor/Cycling"),
    ("Face Cream", "Beauty/Skin Care"), ("Puzzle", "Toys & Games"), ("Notebook", "Office"), ("Backpack", "Outdoor/Camping"),
    ("Water Bottle", "Sports/Running"), ("Yoga Mat", "Sports/Running"), ("Dog Leash", "Pets"), ("Cookbook", "Books"),
    ("Sneaker", "Apparel/Shoes"), ("Plant Pot", "Garden"),
];
#[rustfmt::skip]
const VARIANTS: &[&str] = &["Black", "White", "Navy", "Red", "S", "M", "L", "XL", "42", "44", "500 ml", "2-Pack"];

#[rustfmt::skip]
const PROVIDERS: &[(&str, &str)] = &[
    ("aws", "AWS"), ("azure", "Azure"), ("googlecloud", "Google Cloud"), ("oracle", "Oracle Cloud"), ("ibm", "IBM Cloud"),
    ("alibaba", "Alibaba Cloud"), ("digitalocean", "DigitalOcean"), ("hetzner", "Hetzner"), ("ovh", "OVHcloud"),
    ("cloudflare", "Cloudflare"), ("linode", "Linode"), ("vultr", "Vultr"), ("scaleway", "Scaleway"), ("upcloud", "UpCloud"),
];

#[rustfmt::skip]
const CLOUD_REGIONS: &[&str] = &["eu-central-1", "us-east-1", "westeurope", "europe-west3", "ap-southeast-2", "sa-east-1", "me-central-1", "af-south-1"];

/// `kebab-case-words` → `Kebab Case Words`.
pub fn title_case(slug: &str) -> String {
    slug.split('-')
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_uppercase().chain(c).collect::<String>())
                .unwrap_or_default()
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn slug(rng: &mut Rng, min: usize, max: usize) -> String {
    let n = rng.between(min as i64, max as i64) as usize;
    (0..n)
        .map(|_| *rng.pick(WORDS))
        .collect::<Vec<_>>()
        .join("-")
}

/// Display name of a site.
pub fn site_name(host: &str) -> String {
    match host {
        "mapthe.cloud" => "Map the Cloud".to_string(),
        "rezepte.example.com" => "Kochen & Genießen".to_string(),
        _ => format!(
            "Example {}",
            title_case(host.split('.').next().unwrap_or("site"))
        ),
    }
}

/// Collects pages, suffixing titles with the site name.
struct Pages {
    pages: Vec<Page>,
    suffix: String,
}

impl Pages {
    fn add(&mut self, path: String, title: &str, kind: PageKind) {
        self.pages.push(Page {
            title: format!("{title}{}", self.suffix),
            path,
            kind,
        });
    }
}

/// The pages (home first) and, for shops, the products of a site.
pub fn pages_and_products(rng: &mut Rng, host: &str, kind: SiteKind) -> (Vec<Page>, Vec<Product>) {
    let name = site_name(host);
    // Sites differ in title style; the en dash is non-ASCII on purpose.
    let sep = if host.len().is_multiple_of(2) {
        " – "
    } else {
        " | "
    };
    let home = Page {
        path: "/".into(),
        title: name.clone(),
        kind: PageKind::Content,
    };
    let mut p = Pages {
        pages: vec![home],
        suffix: format!("{sep}{name}"),
    };
    let mut products = Vec::new();
    match kind {
        SiteKind::Shop => shop(rng, &mut p, &mut products),
        SiteKind::Blog if host.starts_with("rezepte") => recipes(rng, &mut p),
        SiteKind::Blog | SiteKind::News => articles(rng, &mut p, kind == SiteKind::News),
        SiteKind::Docs => docs(rng, &mut p),
        SiteKind::Saas => saas(rng, &mut p),
        SiteKind::CloudMap => cloud_map(rng, &mut p),
    }
    let mut seen = std::collections::HashSet::new();
    p.pages.retain(|page| seen.insert(page.path.clone()));
    (p.pages, products)
}

fn shop(rng: &mut Rng, p: &mut Pages, products: &mut Vec<Product>) {
    for c in CATEGORIES {
        let s = c
            .to_lowercase()
            .replace([' ', '/'], "-")
            .replace('&', "and");
        p.add(
            format!("/category/{s}"),
            &c.replace('/', " › "),
            PageKind::Category,
        );
    }
    #[rustfmt::skip]
    let fixed = [
        ("/cart", "Warenkorb", PageKind::Cart), ("/checkout", "Checkout", PageKind::Checkout),
        ("/checkout/success", "Danke für Ihre Bestellung", PageKind::Content),
        ("/sale", "Sale – bis zu 50 % Rabatt", PageKind::Content), ("/account", "Mein Konto", PageKind::Content),
    ];
    for (path, title, k) in fixed {
        p.add(path.into(), title, k);
    }
    for i in 0..300u16 {
        let (noun, category) = *rng.pick(NOUNS);
        let name = format!("{} {noun}", rng.pick(ADJECTIVES));
        // Log-normal prices around 35, from 3 to 900, mostly ending in .99.
        let price = (rng.normal() * 0.9 + 3.6).exp().clamp(3.0, 900.0).floor() as u32;
        let cents = price * 100 + if rng.chance(0.7) { 99 } else { 0 };
        let id = format!("SKU-{:06}", rng.below(1_000_000));
        let brand = *rng.pick(BRANDS);
        let path = format!(
            "/products/{}-{}",
            name.to_lowercase().replace(' ', "-"),
            id.to_lowercase()
        );
        p.add(path, &format!("{brand} {name}"), PageKind::Product(i));
        let variant = *rng.pick(VARIANTS);
        products.push(Product {
            id,
            name,
            brand,
            category,
            variant,
            price_cents: cents,
        });
    }
    for t in [
        "versand",
        "rueckgabe",
        "zahlung",
        "groessen",
        "kontakt",
        "faq",
    ] {
        p.add(
            format!("/help/{t}"),
            &format!("Hilfe: {}", title_case(t)),
            PageKind::Content,
        );
    }
}

fn recipes(rng: &mut Rng, p: &mut Pages) {
    p.add("/ueber-uns".into(), "Über uns", PageKind::Content);
    for _ in 0..250 {
        let variant = rng.pick(DISH_VARIANTS);
        let s = format!(
            "{}-{variant}-{}",
            rng.pick(GERMAN_DISHES),
            rng.pick(&["einfach", "festlich", "fuer-4-personen", "zum-vorbereiten"])
        );
        let title = format!(
            "{} \"{}\"",
            title_case(&s),
            rng.pick(&["Rezept", "Einfach", "Lecker"])
        );
        p.add(format!("/rezept/{s}"), &title, PageKind::Content);
    }
}

fn articles(rng: &mut Rng, p: &mut Pages, news: bool) {
    for path in ["/about", "/contact", "/newsletter", "/archive", "/imprint"] {
        p.add(path.into(), &title_case(&path[1..]), PageKind::Content);
    }
    let sections = [
        "tech", "business", "science", "culture", "sports", "travel", "food", "politics",
    ];
    for s in sections {
        p.add(format!("/{s}"), &title_case(s), PageKind::Content);
    }
    for i in 0..280 {
        let s = slug(rng, 3, 6);
        let path = if news {
            format!(
                "/{}/2026/{:02}/{s}",
                sections[i % sections.len()],
                1 + i % 11
            )
        } else {
            format!("/blog/{s}")
        };
        p.add(path, &title_case(&s), PageKind::Content);
    }
}

fn docs(rng: &mut Rng, p: &mut Pages) {
    for path in ["/docs", "/changelog", "/search", "/api", "/faq"] {
        p.add(path.into(), &title_case(&path[1..]), PageKind::Content);
    }
    #[rustfmt::skip]
    let sections = ["getting-started", "concepts", "guides", "reference", "cli", "sdk", "integrations", "troubleshooting"];
    for section in sections {
        for _ in 0..30 {
            let s = slug(rng, 2, 4);
            let title = format!("{} · {}", title_case(&s), title_case(section));
            p.add(format!("/docs/{section}/{s}"), &title, PageKind::Content);
        }
    }
}

fn saas(rng: &mut Rng, p: &mut Pages) {
    #[rustfmt::skip]
    let fixed = ["/pricing", "/features", "/signup", "/login", "/about", "/contact", "/security", "/careers", "/legal/privacy", "/legal/terms"];
    for path in fixed {
        p.add(
            path.into(),
            &title_case(path.rsplit('/').next().unwrap_or("page")),
            PageKind::Content,
        );
    }
    for _ in 0..60 {
        let s = slug(rng, 1, 2);
        p.add(
            format!("/integrations/{s}"),
            &format!("{} Integration", title_case(&s)),
            PageKind::Content,
        );
    }
    for _ in 0..180 {
        let s = slug(rng, 3, 6);
        p.add(format!("/blog/{s}"), &title_case(&s), PageKind::Content);
    }
}

/// mapthe.cloud keeps its own title format (as in the ownstats fixtures).
fn cloud_map(rng: &mut Rng, p: &mut Pages) {
    let page = |path: String, title: String| Page {
        path,
        title,
        kind: PageKind::Content,
    };
    for (slug, name) in PROVIDERS {
        p.pages.push(page(
            format!("/{slug}"),
            format!("Map the Cloud - {name} Services & Regions"),
        ));
    }
    for _ in 0..120 {
        let (a, b) = (rng.index(PROVIDERS.len()), rng.index(PROVIDERS.len()));
        if a != b {
            let path = format!("/compare/{}-vs-{}", PROVIDERS[a].0, PROVIDERS[b].0);
            p.pages.push(page(
                path,
                format!("{} vs. {} – Map the Cloud", PROVIDERS[a].1, PROVIDERS[b].1),
            ));
        }
    }
    for i in 0..160 {
        let (slug, name) = PROVIDERS[i % 6];
        let region = CLOUD_REGIONS[rng.index(CLOUD_REGIONS.len())];
        p.pages.push(page(
            format!("/regions/{slug}/{region}-{i}"),
            format!("{name} region {region} ({i}) - Map the Cloud"),
        ));
    }
}
