//! User agents: browser families as templates filled from real version and device tables, drawn
//! with Zipf-skewed popularity, and interned so each distinct string is encoded only once.
//!
//! Desktop Chrome, Edge and Android Chrome send "reduced" user agents (frozen OS and `.0.0.0`),
//! so their variety is small; the long tail comes, as in real traffic, from in-app browsers,
//! WebViews and Samsung Internet (device model, OS build, app version) and from iOS point
//! releases. On one million events that yields roughly ten thousand distinct strings.

use super::percent;
use super::rng::{pick_weighted, Rng, Weighted};
use super::ua_data::*;
use std::collections::HashMap;
use std::rc::Rc;
use templates::FAMILIES;

mod templates;

/// Device class, which decides screen, platform and hardware values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeviceClass {
    /// Windows desktop or laptop.
    Windows,
    /// Mac.
    Mac,
    /// Desktop Linux.
    Linux,
    /// Chromebook.
    ChromeOs,
    /// Android phone.
    AndroidPhone,
    /// Android tablet.
    AndroidTablet,
    /// iPhone.
    IPhone,
    /// iPad.
    IPad,
    /// A server (crawlers, scripts, headless browsers).
    Server,
}

/// Browser engine: only Blink exposes `navigator.deviceMemory`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    /// Chrome, Edge, Opera, Samsung Internet, WebViews.
    Blink,
    /// Firefox (outside iOS).
    Gecko,
    /// Safari and every iOS browser.
    WebKit,
    /// No browser at all (curl, crawlers).
    None,
}

/// Kind of automated client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BotKind {
    /// A headless browser that runs the tracker script like a human visitor would.
    Headless,
    /// A crawler or script fetching the pixel URL directly (few parameters, no events).
    Crawler,
}

/// One distinct user agent with its pre-computed encodings.
#[derive(Debug)]
pub struct UserAgent {
    /// Dense id (for counting distinct user agents).
    pub id: u32,
    /// The header value.
    pub raw: String,
    /// As CloudFront writes it in `cs-user-agent`.
    pub cf_field: String,
    /// `encodeURIComponent(raw)`, the `ua` tracker parameter.
    pub param_once: String,
    /// The `ua` parameter after CloudFront's second encoding.
    pub param_twice: String,
    /// Device class.
    pub class: DeviceClass,
    /// Engine.
    pub engine: Engine,
    /// Set for automated clients.
    pub bot: Option<BotKind>,
}

/// Draws user agents and interns them.
#[derive(Debug)]
pub struct UaFactory {
    interned: HashMap<String, Rc<UserAgent>>,
    /// Recency skew over Chrome majors (index 0 = newest).
    chrome_recent: Weighted,
    edge_recent: Weighted,
    ios: Weighted,
    safari: Weighted,
    firefox: Weighted,
    app_version: Weighted,
    phone: Weighted,
    iphone: Weighted,
    samsung: Weighted,
    crawler: Weighted,
}

impl Default for UaFactory {
    fn default() -> Self {
        UaFactory::new()
    }
}

impl UaFactory {
    /// A factory with the built-in popularity curves.
    pub fn new() -> UaFactory {
        UaFactory {
            interned: HashMap::new(),
            chrome_recent: Weighted::zipf(CHROME_BUILDS.len(), 1.5),
            edge_recent: Weighted::zipf(EDGE_BUILDS.len(), 1.4),
            ios: Weighted::zipf(IOS_VERSIONS.len(), 1.0),
            safari: Weighted::zipf(SAFARI_MAC_VERSIONS.len(), 1.0),
            firefox: Weighted::zipf(FIREFOX_VERSIONS.len(), 1.3),
            app_version: Weighted::zipf(60, 1.1),
            phone: Weighted::zipf(ANDROID_PHONES.len(), 0.8),
            iphone: Weighted::zipf(IPHONES.len(), 0.9),
            samsung: Weighted::zipf(SAMSUNG_BROWSER.len(), 1.2),
            crawler: Weighted::new(CRAWLERS.iter().map(|(_, w)| *w).chain([0.6, 0.2])),
        }
    }

    /// Number of distinct user agents drawn so far.
    #[cfg(test)]
    pub fn distinct(&self) -> usize {
        self.interned.len()
    }

    /// Draws a user agent for a visitor speaking `lang` (in-app browsers embed the locale).
    pub fn draw(&mut self, rng: &mut Rng, lang: &str, bot: bool) -> Rc<UserAgent> {
        let (raw, class, engine, bot) = if bot {
            self.bot(rng)
        } else {
            let family = pick_weighted(rng, FAMILIES);
            let (raw, class, engine) = self.human(rng, family, lang);
            (raw, class, engine, None)
        };
        if let Some(ua) = self.interned.get(raw.as_str()) {
            return Rc::clone(ua);
        }
        let mut cf_field = String::with_capacity(raw.len() + 32);
        percent::cloudfront_field(&raw, &mut cf_field);
        let mut param_once = String::with_capacity(raw.len() + 64);
        percent::uri_component(&raw, &mut param_once);
        let mut param_twice = String::with_capacity(raw.len() + 96);
        percent::uri_component_twice(&raw, &mut param_twice);
        let ua = Rc::new(UserAgent {
            id: self.interned.len() as u32,
            raw: raw.clone(),
            cf_field,
            param_once,
            param_twice,
            class,
            engine,
            bot,
        });
        self.interned.insert(raw, Rc::clone(&ua));
        ua
    }

    /// Full Chrome version `major.0.build.patch`, skewed to recent releases.
    fn chrome_full(&self, rng: &mut Rng, oldest: u32) -> String {
        let (major, build, patches) = self.chrome_entry(rng, oldest);
        format!("{major}.0.{build}.{}", rng.pick(patches))
    }

    fn chrome_entry(&self, rng: &mut Rng, oldest: u32) -> (u32, u32, &'static [u32]) {
        loop {
            let (major, build, patches) =
                CHROME_BUILDS[CHROME_BUILDS.len() - 1 - self.chrome_recent.sample(rng)];
            if major >= oldest {
                return (major, build, patches);
            }
        }
    }

    fn chrome_major(&self, rng: &mut Rng) -> u32 {
        self.chrome_entry(rng, 118).0
    }

    fn ios(&self, rng: &mut Rng) -> &'static str {
        IOS_VERSIONS[self.ios.sample(rng)]
    }

    /// An app version `major.minor.0.a.b` whose build digits are tied to the major, so each
    /// release has two builds in circulation rather than random noise.
    fn app_version(&self, rng: &mut Rng, newest: u32) -> (u32, String) {
        let major = newest - self.app_version.sample(rng) as u32;
        let v = rng.below(2) as u32;
        let a = 20 + (major * 7 + v * 11) % 50;
        let b = 60 + (major * 13 + v * 17) % 60;
        (major, format!("{major}.{v}.0.{a}.{b}"))
    }

    fn android_version(rng: &mut Rng) -> u32 {
        pick_weighted(rng, ANDROID_VERSIONS)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interns_and_encodes_once() {
        let mut f = UaFactory::new();
        let mut rng = Rng::new(1);
        let uas: Vec<_> = (0..5000)
            .map(|_| f.draw(&mut rng, "de-DE", false))
            .collect();
        assert!(
            f.distinct() > 300 && f.distinct() < 4000,
            "{}",
            f.distinct()
        );
        for ua in &uas {
            assert!(ua.raw.starts_with("Mozilla/5.0 ("), "{}", ua.raw);
            assert!(!ua.cf_field.contains(' ') && !ua.param_once.contains(' '));
            assert!(ua.bot.is_none());
        }
        // Popular strings repeat: the same Rc comes back.
        let top = uas.iter().filter(|u| Rc::ptr_eq(u, &uas[0])).count()
            + uas.iter().filter(|u| u.raw == uas[0].raw).count();
        assert!(top >= 2);
    }

    #[test]
    fn bots_are_recognisable() {
        let mut f = UaFactory::new();
        let mut rng = Rng::new(2);
        let bots: Vec<_> = (0..500).map(|_| f.draw(&mut rng, "en-US", true)).collect();
        assert!(bots.iter().all(|b| b.bot.is_some()));
        assert!(bots.iter().any(|b| b.raw.contains("Googlebot/2.1")));
        assert!(bots
            .iter()
            .any(|b| b.raw.contains("HeadlessChrome/") && b.bot == Some(BotKind::Headless)));
        assert!(bots.iter().any(|b| b.raw.starts_with("curl/")));
    }
}
