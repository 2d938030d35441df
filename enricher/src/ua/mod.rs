//! User-agent parsing that names things like ua-parser-js 1.0.37.
//!
//! The system this pipeline replaces ("ownstats") stored browser, OS and
//! device fields as produced by the JavaScript library ua-parser-js 1.0.x
//! and a bot flag from npm `isbot@3`. Dashboards and historical data depend
//! on those exact strings ("Mac OS", not "Mac OS X"; "Samsung Internet";
//! "107.0.0.0"), so this module reproduces them:
//!
//! ```text
//!   UA ──► UaCache (bounded, FxHash, two generations) ──hit──► Arc<UaInfo>
//!            │ miss
//!            ▼
//!        UaParser::parse (10-20 µs)
//!            ├─ browser: ua-parser-js rule order, token scans (naming.rs,
//!            │           js_rules.rs, js_named.rs, js_tail.rs)
//!            ├─ OS:      same for its OS list (os.rs, os_tail.rs)
//!            ├─ device:  ua-parser-js device table run by ua-parser's
//!            │           prefiltered regex engine (device.rs)
//!            └─ bot:     npm isbot@3 patterns via the isbot crate (bots.rs)
//!                        OR uap-core device family "Spider"
//! ```
//!
//! uap-core (the `ua-parser` crate with the uap-core regexes) contributes
//! its crawler detection. Renaming its browser/OS families was tried first
//! and measured: uap orders its rules differently from ua-parser-js, so on
//! UAs with two browser tokens it names the other one, which can only move
//! values away from what ownstats stored (see `naming.rs`).
//!
//! Both [`UaParser::parse`] and [`UaCache::get`] accept any string: input is
//! capped to 500 bytes (ua-parser-js does the same), which also bounds the
//! cost of a hostile header.

mod bots;
mod cache;
mod device;
mod js_named;
mod js_rules;
mod js_tail;
mod naming;
mod os;
mod os_tail;
mod scan;
mod spider;
#[cfg(test)]
mod tests;

use std::borrow::Cow;
use std::sync::Arc;

pub use cache::{UaCache, MAX_KEY_LEN};

/// uap-core regexes converted to JSON (see `data/uap-core.LICENSE`).
const UAP_REGEXES: &str = include_str!("../../data/uap-regexes.json");

/// ua-parser-js truncates user agents to this length before parsing.
const UA_MAX_LENGTH: usize = 500;
/// Bot patterns are checked on a slightly longer prefix: bot markers sit
/// near the front, and this bounds the lowercase copy.
const BOT_SCAN_LENGTH: usize = 1024;

/// Parsed user agent, named like ua-parser-js 1.0.x.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UaInfo {
    /// e.g. "Chrome", "Mobile Safari", "Firefox", "Edge", "Samsung Internet",
    /// "UCBrowser", "MIUI Browser", "Chrome Headless", "Chrome WebView",
    /// "Facebook", "Instagram"...
    pub browser_name: Option<Arc<str>>,
    /// Full version as ua-parser-js gives it ("107.0.0.0").
    pub browser_version: Option<Arc<str>>,
    /// "Mac OS" (not "Mac OS X"), "Windows", "iOS", "Android", "Linux",
    /// "Ubuntu", "Chromium OS"...
    pub os_name: Option<Arc<str>>,
    /// "10.15.7" (underscores -> dots); Windows "10", "7", "XP"...
    pub os_version: Option<Arc<str>>,
    /// ua-parser-js `getDevice().type`; undefined maps to `Desktop`.
    pub device_type: DeviceType,
    /// ua-parser-js `getDevice().vendor` ("Apple", "Samsung", "Google"...).
    pub device_vendor: Option<Arc<str>>,
    /// Crawlers, headless browsers, HTTP libraries, monitoring.
    pub is_bot: bool,
}

/// ua-parser-js device types; anything it leaves undefined is `Desktop`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeviceType {
    /// Computers, and everything ua-parser-js gives no type (bots included).
    Desktop,
    /// Phones (ua-parser-js `mobile`).
    Mobile,
    /// Tablets (ua-parser-js `tablet`).
    Tablet,
    /// TVs and streaming sticks (ua-parser-js `smarttv`).
    SmartTV,
    /// Game consoles (ua-parser-js `console`).
    Console,
    /// Watches, glasses, VR headsets (ua-parser-js `wearable`).
    Wearable,
    /// Cars and smart speakers (ua-parser-js `embedded`).
    Embedded,
}

impl DeviceType {
    /// Stable label stored in the output ("Desktop", "SmartTV"...).
    pub fn as_str(self) -> &'static str {
        match self {
            DeviceType::Desktop => "Desktop",
            DeviceType::Mobile => "Mobile",
            DeviceType::Tablet => "Tablet",
            DeviceType::SmartTV => "SmartTV",
            DeviceType::Console => "Console",
            DeviceType::Wearable => "Wearable",
            DeviceType::Embedded => "Embedded",
        }
    }
}

/// Failure to build the parser (only possible if the embedded data is bad).
#[derive(Debug, thiserror::Error)]
pub enum UaError {
    /// The embedded uap-core JSON does not deserialize.
    #[error("invalid uap-core regexes JSON: {0}")]
    RegexesJson(#[from] serde_json::Error),
    /// A regex of uap-core or of the ported device table does not compile.
    #[error("cannot compile a regex set: {0}")]
    Compile(#[from] ua_parser::Error),
    /// The isbot pattern list does not compile.
    #[error("cannot compile the bot patterns")]
    BotPatterns,
}

/// The slow path: uap-core's device list (crawler detection), the ported
/// ua-parser-js device table and the bot matcher, compiled once and
/// read-only afterwards (share it behind an `Arc` across threads).
pub struct UaParser {
    spiders: spider::UapSpider,
    devices: device::Devices,
    bots: isbot::Bots,
}

impl From<UaInfo> for shared::record::UaFields {
    fn from(info: UaInfo) -> Self {
        shared::record::UaFields {
            browser_name: info.browser_name,
            browser_version: info.browser_version,
            os_name: info.os_name,
            os_version: info.os_version,
            device_type: info.device_type.as_str(),
            device_vendor: info.device_vendor,
            is_bot: info.is_bot,
        }
    }
}

impl UaParser {
    /// Compiles everything; takes a few hundred milliseconds, do it once.
    pub fn new() -> Result<Self, UaError> {
        let spiders = spider::UapSpider::new(UAP_REGEXES)?;
        Ok(Self {
            spiders,
            devices: device::build()?,
            bots: bots::build().ok_or(UaError::BotPatterns)?,
        })
    }

    /// Parses one user agent. Never panics; unknown input yields `None`
    /// fields and `Desktop`.
    pub fn parse(&self, ua: &str) -> UaInfo {
        let ua_full = ua;
        // ua-parser-js `setUA`: only over-long strings are trimmed and cut.
        let ua = if ua.len() > UA_MAX_LENGTH {
            scan::truncate(ua.trim_start(), UA_MAX_LENGTH)
        } else {
            ua
        };
        let lower = ua.to_ascii_lowercase();
        let pairs = scan::Pairs::of(lower.as_bytes());
        let hay = scan::Hay::with_pairs(ua, &lower, &pairs);
        let (browser_name, browser_version) = split(naming::browser(hay));
        let (os_name, os_version) = split(os::os(hay));
        let (device_type, vendor) = device::device(&self.devices, hay);
        let same = ua.len() == ua_full.len();
        let is_bot =
            self.is_bot(ua_full, same.then_some(lower.as_str())) || self.spiders.is_spider(ua);
        UaInfo {
            browser_name,
            browser_version,
            os_name,
            os_version,
            device_type,
            device_vendor: vendor.map(|v| Arc::from(v.as_ref())),
            is_bot,
        }
    }

    /// npm isbot@3 verdict; `lower` is the lowercased UA when already at hand.
    fn is_bot(&self, ua: &str, lower: Option<&str>) -> bool {
        if ua.is_empty() {
            // npm isbot: `Boolean(userAgent) && ...`
            return false;
        }
        let owned;
        let lower = match lower {
            Some(l) => l,
            None => {
                owned = scan::truncate(ua, BOT_SCAN_LENGTH).to_ascii_lowercase();
                &owned
            }
        };
        self.bots.is_bot(lower) || bots::lookaround_bot(lower)
    }
}

fn split(named: Option<naming::Named<'_>>) -> (Option<Arc<str>>, Option<Arc<str>>) {
    match named {
        Some((name, version)) => (
            Some(Arc::from(name.as_ref())),
            version
                .filter(|v| !v.is_empty())
                .map(|v: Cow<'_, str>| Arc::from(v.as_ref())),
        ),
        None => (None, None),
    }
}
