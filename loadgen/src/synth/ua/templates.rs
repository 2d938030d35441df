//! The browser families: user-agent templates filled from the version and device tables.

use super::super::rng::Rng;
use super::super::ua_data::*;
use super::{BotKind, DeviceClass, Engine, UaFactory};
use std::fmt::Write;

#[derive(Debug, Clone, Copy)]
pub(super) enum Family {
    ChromeWin,
    ChromeWinLegacy,
    ChromeMac,
    ChromeLinux,
    ChromeOs,
    EdgeWin,
    EdgeMac,
    OperaWin,
    FirefoxWin,
    FirefoxMac,
    FirefoxLinux,
    SafariMac,
    IosSafari,
    IpadSafari,
    IosChrome,
    IosFirefox,
    IosGoogleApp,
    IosInstagram,
    IosFacebook,
    AndroidChrome,
    AndroidChromeLegacy,
    AndroidTablet,
    SamsungInternet,
    AndroidInApp,
    AndroidFirefox,
    AndroidEdge,
}

/// Share of human visitors per family (percent).
pub(super) const FAMILIES: &[(Family, f64)] = &[
    (Family::ChromeWin, 17.0),
    (Family::ChromeWinLegacy, 0.3),
    (Family::ChromeMac, 5.5),
    (Family::ChromeLinux, 1.2),
    (Family::ChromeOs, 0.6),
    (Family::EdgeWin, 6.0),
    (Family::EdgeMac, 0.4),
    (Family::OperaWin, 0.9),
    (Family::FirefoxWin, 2.8),
    (Family::FirefoxMac, 0.7),
    (Family::FirefoxLinux, 1.0),
    (Family::SafariMac, 3.8),
    (Family::IosSafari, 16.0),
    (Family::IpadSafari, 1.0),
    (Family::IosChrome, 2.5),
    (Family::IosFirefox, 0.3),
    (Family::IosGoogleApp, 1.0),
    (Family::IosInstagram, 1.2),
    (Family::IosFacebook, 1.2),
    (Family::AndroidChrome, 17.0),
    (Family::AndroidChromeLegacy, 1.2),
    (Family::AndroidTablet, 1.0),
    (Family::SamsungInternet, 3.5),
    (Family::AndroidInApp, 3.0),
    (Family::AndroidFirefox, 0.5),
    (Family::AndroidEdge, 0.3),
];

impl UaFactory {
    pub(super) fn human(
        &self,
        rng: &mut Rng,
        family: Family,
        lang: &str,
    ) -> (String, DeviceClass, Engine) {
        use DeviceClass as D;
        use Engine as E;
        const WIN: &str = "Windows NT 10.0; Win64; x64";
        const MAC: &str = "Macintosh; Intel Mac OS X 10_15_7";
        const WEBKIT: &str = "AppleWebKit/537.36 (KHTML, like Gecko)";
        const IOS_WEBKIT: &str = "AppleWebKit/605.1.15 (KHTML, like Gecko)";
        let locale = lang.replace('-', "_");
        match family {
            Family::ChromeWin => (format!("Mozilla/5.0 ({WIN}) {WEBKIT} Chrome/{}.0.0.0 Safari/537.36", self.chrome_major(rng)), D::Windows, E::Blink),
            Family::ChromeWinLegacy => {
                let nt = rng.pick(&["6.1", "6.3", "6.1"]);
                (format!("Mozilla/5.0 (Windows NT {nt}; Win64; x64) {WEBKIT} Chrome/109.0.0.0 Safari/537.36"), D::Windows, E::Blink)
            }
            Family::ChromeMac => (format!("Mozilla/5.0 ({MAC}) {WEBKIT} Chrome/{}.0.0.0 Safari/537.36", self.chrome_major(rng)), D::Mac, E::Blink),
            Family::ChromeLinux => (format!("Mozilla/5.0 (X11; Linux x86_64) {WEBKIT} Chrome/{}.0.0.0 Safari/537.36", self.chrome_major(rng)), D::Linux, E::Blink),
            Family::ChromeOs => (format!("Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) {WEBKIT} Chrome/{}.0.0.0 Safari/537.36", self.chrome_major(rng)), D::ChromeOs, E::Blink),
            Family::EdgeWin | Family::EdgeMac => {
                let (major, build, patches) = EDGE_BUILDS[EDGE_BUILDS.len() - 1 - self.edge_recent.sample(rng)];
                let (os, class) = if matches!(family, Family::EdgeWin) { (WIN, D::Windows) } else { (MAC, D::Mac) };
                let patch = rng.pick(patches);
                (format!("Mozilla/5.0 ({os}) {WEBKIT} Chrome/{major}.0.0.0 Safari/537.36 Edg/{major}.0.{build}.{patch}"), class, E::Blink)
            }
            Family::OperaWin => {
                let major = self.chrome_major(rng);
                (format!("Mozilla/5.0 ({WIN}) {WEBKIT} Chrome/{major}.0.0.0 Safari/537.36 OPR/{}.0.0.0", major - 15), D::Windows, E::Blink)
            }
            Family::FirefoxWin | Family::FirefoxMac | Family::FirefoxLinux => {
                let v = FIREFOX_VERSIONS[self.firefox.sample(rng)];
                let (os, class) = match family {
                    Family::FirefoxWin => (WIN, D::Windows),
                    Family::FirefoxMac => ("Macintosh; Intel Mac OS X 10.15", D::Mac),
                    _ if rng.chance(0.4) => ("X11; Ubuntu; Linux x86_64", D::Linux),
                    _ => ("X11; Linux x86_64", D::Linux),
                };
                (format!("Mozilla/5.0 ({os}; rv:{v}.0) Gecko/20100101 Firefox/{v}.0"), class, E::Gecko)
            }
            Family::SafariMac => {
                let v = SAFARI_MAC_VERSIONS[self.safari.sample(rng)];
                (format!("Mozilla/5.0 ({MAC}) {IOS_WEBKIT} Version/{v} Safari/605.1.15"), D::Mac, E::WebKit)
            }
            Family::IosSafari | Family::IpadSafari => {
                let ios = self.ios(rng);
                let dotted = ios.replace('_', ".");
                let (device, class) = if matches!(family, Family::IosSafari) { ("iPhone; CPU iPhone OS", D::IPhone) } else { ("iPad; CPU OS", D::IPad) };
                (format!("Mozilla/5.0 ({device} {ios} like Mac OS X) {IOS_WEBKIT} Version/{dotted} Mobile/15E148 Safari/604.1"), class, E::WebKit)
            }
            Family::IosChrome => {
                let ios = self.ios(rng);
                let full = self.chrome_full(rng, 120);
                (format!("Mozilla/5.0 (iPhone; CPU iPhone OS {ios} like Mac OS X) {IOS_WEBKIT} CriOS/{full} Mobile/15E148 Safari/604.1"), D::IPhone, E::WebKit)
            }
            Family::IosFirefox => {
                let ios = self.ios(rng);
                let v = FIREFOX_VERSIONS[self.firefox.sample(rng)];
                (format!("Mozilla/5.0 (iPhone; CPU iPhone OS {ios} like Mac OS X) {IOS_WEBKIT} FxiOS/{v}.0 Mobile/15E148 Safari/605.1.15"), D::IPhone, E::WebKit)
            }
            Family::IosGoogleApp => {
                let ios = self.ios(rng);
                let major = 390 - self.app_version.sample(rng) as u32;
                let build = 600_000_000 + (major * 7_654_321) % 300_000_000;
                (format!("Mozilla/5.0 (iPhone; CPU iPhone OS {ios} like Mac OS X) {IOS_WEBKIT} GSA/{major}.0.{build} Mobile/15E148 Safari/604.1"), D::IPhone, E::WebKit)
            }
            Family::IosInstagram => {
                let ios = self.ios(rng);
                let (device, scale, res) = IPHONES[self.iphone.sample(rng)];
                let (major, igv) = self.app_version(rng, 400);
                let num = 500_000_000 + (major * 1_234_567) % 400_000_000;
                let lang2 = lang.split('-').next().unwrap_or("en");
                (
                    format!("Mozilla/5.0 (iPhone; CPU iPhone OS {ios} like Mac OS X) {IOS_WEBKIT} Mobile/15E148 Instagram {igv} ({device}; iOS {ios}; {locale}; {lang2}; scale={scale}; {res}; {num})"),
                    D::IPhone,
                    E::WebKit,
                )
            }
            Family::IosFacebook => {
                let ios = self.ios(rng);
                let (device, scale, _) = IPHONES[self.iphone.sample(rng)];
                let (major, fbav) = self.app_version(rng, 520);
                let fbbv = 600_000_000 + (major * 3_456_789) % 300_000_000;
                let dotted = ios.replace('_', ".");
                let ss = &scale[..1];
                (
                    format!("Mozilla/5.0 (iPhone; CPU iPhone OS {ios} like Mac OS X) {IOS_WEBKIT} Mobile/15E148 [FBAN/FBIOS;FBAV/{fbav};FBBV/{fbbv};FBDV/{device};FBMD/iPhone;FBSN/iOS;FBSV/{dotted};FBSS/{ss};FBID/phone;FBLC/{locale};FBOP/5;FBRV/0]"),
                    D::IPhone,
                    E::WebKit,
                )
            }
            Family::AndroidChrome => (format!("Mozilla/5.0 (Linux; Android 10; K) {WEBKIT} Chrome/{}.0.0.0 Mobile Safari/537.36", self.chrome_major(rng)), D::AndroidPhone, E::Blink),
            Family::AndroidChromeLegacy => {
                // Chrome before the user-agent reduction (<= 109) still sent model and full version.
                let model = ANDROID_PHONES[self.phone.sample(rng)].0;
                let av = Self::android_version(rng).min(13);
                let (major, build, patches) = CHROME_BUILDS[rng.index(10)];
                let patch = rng.pick(patches);
                (format!("Mozilla/5.0 (Linux; Android {av}; {model}) {WEBKIT} Chrome/{major}.0.{build}.{patch} Mobile Safari/537.36"), D::AndroidPhone, E::Blink)
            }
            Family::AndroidTablet => {
                if rng.chance(0.3) {
                    let model = rng.pick(ANDROID_TABLETS);
                    let av = Self::android_version(rng);
                    let sb = SAMSUNG_BROWSER[self.samsung.sample(rng)];
                    (format!("Mozilla/5.0 (Linux; Android {av}; {model}) {WEBKIT} SamsungBrowser/{} Chrome/{}.0.0.0 Safari/537.36", sb.0, sb.1), D::AndroidTablet, E::Blink)
                } else {
                    (format!("Mozilla/5.0 (Linux; Android 10; K) {WEBKIT} Chrome/{}.0.0.0 Safari/537.36", self.chrome_major(rng)), D::AndroidTablet, E::Blink)
                }
            }
            Family::SamsungInternet => {
                let model = loop {
                    let m = ANDROID_PHONES[self.phone.sample(rng)].0;
                    if m.starts_with("SM-") {
                        break m;
                    }
                };
                let av = Self::android_version(rng);
                let (sv, cm) = SAMSUNG_BROWSER[self.samsung.sample(rng)];
                (format!("Mozilla/5.0 (Linux; Android {av}; {model}) {WEBKIT} SamsungBrowser/{sv} Chrome/{cm}.0.0.0 Mobile Safari/537.36"), D::AndroidPhone, E::Blink)
            }
            Family::AndroidInApp => self.android_in_app(rng, &locale),
            Family::AndroidFirefox => {
                let v = FIREFOX_VERSIONS[self.firefox.sample(rng)];
                let av = Self::android_version(rng);
                (format!("Mozilla/5.0 (Android {av}; Mobile; rv:{v}.0) Gecko/{v}.0 Firefox/{v}.0"), D::AndroidPhone, E::Gecko)
            }
            Family::AndroidEdge => {
                let (major, build, patches) = EDGE_BUILDS[EDGE_BUILDS.len() - 1 - self.edge_recent.sample(rng)];
                let patch = rng.pick(patches);
                (format!("Mozilla/5.0 (Linux; Android 10; K) {WEBKIT} Chrome/{major}.0.0.0 Mobile Safari/537.36 EdgA/{major}.0.{build}.{patch}"), D::AndroidPhone, E::Blink)
            }
        }
    }

    /// A WebView inside the Facebook or Instagram app (or another app): model, OS build and the
    /// full WebView version all show, which is where most distinct user agents come from.
    fn android_in_app(&self, rng: &mut Rng, locale: &str) -> (String, DeviceClass, Engine) {
        let (model, brand, codename, chip, dpi, res) = ANDROID_PHONES[self.phone.sample(rng)];
        let av = Self::android_version(rng);
        let builds = ANDROID_BUILDS
            .iter()
            .find(|(v, _)| *v == av)
            .map(|(_, b)| *b)
            .unwrap_or(&["TP1A.220624.014"]);
        let build = rng.pick(builds);
        let chrome = self.chrome_full(rng, 124);
        let mut ua = format!("Mozilla/5.0 (Linux; Android {av}; {model} Build/{build}; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/{chrome} Mobile Safari/537.36");
        let app = rng.f64();
        if app < 0.45 {
            let (_, fbav) = self.app_version(rng, 520);
            let _ = write!(ua, " [FB_IAB/FB4A;FBAV/{fbav};]");
        } else if app < 0.85 {
            let (major, igv) = self.app_version(rng, 400);
            let sdk = match av {
                10 => 29,
                11 => 30,
                12 => 31,
                13 => 33,
                14 => 34,
                _ => 35,
            };
            let num = 500_000_000 + (major * 2_345_671) % 400_000_000;
            let _ = write!(ua, " Instagram {igv} Android ({sdk}/{av}; {dpi}dpi; {res}; {brand}; {model}; {codename}; {chip}; {locale}; {num})");
        }
        (ua, DeviceClass::AndroidPhone, Engine::Blink)
    }

    pub(super) fn bot(&self, rng: &mut Rng) -> (String, DeviceClass, Engine, Option<BotKind>) {
        let i = self.crawler.sample(rng);
        if let Some((template, _)) = CRAWLERS.get(i) {
            let ua = template.replace("{chrome}", &self.chrome_full(rng, 130));
            return (
                ua,
                DeviceClass::Server,
                Engine::None,
                Some(BotKind::Crawler),
            );
        }
        let full = self.chrome_full(rng, 118);
        let os = if i == CRAWLERS.len() {
            "X11; Linux x86_64"
        } else {
            "Windows NT 10.0; Win64; x64"
        };
        (
            format!("Mozilla/5.0 ({os}) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/{full} Safari/537.36"),
            DeviceClass::Server,
            Engine::Blink,
            Some(BotKind::Headless),
        )
    }
}
