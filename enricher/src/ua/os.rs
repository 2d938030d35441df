//! OS naming, exactly as ua-parser-js 1.0.37 names operating systems.
//!
//! Its conventions are idiosyncratic and are what the stored data contains:
//! Windows "NT 6.1" becomes "7", "Linux x86_64" keeps "x86_64" as version,
//! webOS TVs report "TV", consoles their model ("PlayStation" "5", "Xbox"
//! "Series X"), an Android TV Chromecast is "Android" "TV". The list is
//! ported from ua-parser-js 1.0.37 (MIT, (c) Faisal Salman) and
//! evaluated in its order (first match wins): Windows, Apple,
//! Android and Chromium OS here, the long tail in [`os_tail`]. As for
//! browsers, dispatching on uap-core's OS family was measured to disagree
//! more often (e.g. "Windows IoT 10.0; Android 6.0.1" is Windows for
//! ua-parser-js, Android for uap), so uap is not consulted.

use std::borrow::Cow;

use super::naming::{fixed, Named};
use super::os_tail;
use super::scan::{is_word, Hay};

/// OS name and version for the UA in `h`: the ua-parser-js list, in order.
pub(super) fn os(h: Hay<'_>) -> Option<Named<'_>> {
    windows(h)
        .or_else(|| apple(h))
        .or_else(|| android(h))
        .or_else(|| os_tail::mobile(h))
        .or_else(|| chromium_os(h))
        .or_else(|| os_tail::rest(h))
}

/// iTunes-style "Microsoft Windows XP", Windows Phone/Mobile, Windows RT,
/// `/windows[\/ ]?([ntce\d\. ]+\w)(?!.+xbox)/i`, `/(?:win(?=3|9|n)|win 9x )([nt\d\.]+)/i`.
fn windows(h: Hay<'_>) -> Option<Named<'_>> {
    for (needle, len) in [("microsoft windows vista", 5), ("microsoft windows xp", 2)] {
        if let Some(at) = h.find(needle) {
            return Some(fixed("Windows", Some(h.slice(at + 18, at + 18 + len))));
        }
    }
    // /(windows (?:phone(?: os)?|mobile))[\/ ]?([\d\.\w ]*)/i -- leftmost.
    let phone = [("windows phone", 13), ("windows mobile", 14)]
        .iter()
        .filter_map(|&(n, l)| h.find(n).map(|at| (at, l)))
        .min();
    if let Some((at, mut len)) = phone {
        if len == 13 && h.at(at + 13, " os") {
            len += 3;
        }
        let v = h.run(h.skip_one(at + len, b"/ "), b" ");
        let version = Some(Cow::Borrowed(windows_map(v))).filter(|v| !v.is_empty());
        return Some((Cow::Borrowed(h.slice(at, at + len)), version));
    }
    if h.contains("windows nt 6.2; arm") {
        return Some(fixed("Windows", Some("RT")));
    }
    let class = |c: u8| matches!(c, b'n' | b't' | b'c' | b'e' | b'0'..=b'9' | b'.' | b' ');
    for at in h.occurrences("windows") {
        // `[\/ ]?` is optional: if consuming it fails, the class may start
        // at the separator itself (so "Windows ME" yields " M").
        let starts = [h.skip_one(at + 7, b"/ "), at + 7];
        let found = starts.iter().find_map(|&s| {
            let mut e = s;
            while h.byte(e).is_some_and(class) {
                e += 1;
            }
            if h.byte(e).is_some_and(is_word) {
                e += 1;
            }
            while e > s && !h.byte(e - 1).is_some_and(is_word) {
                e -= 1;
            }
            (e >= s + 2).then_some((s, e))
        });
        // `(?!.+xbox)`: an Xbox UA is not "Windows".
        if let Some((s, e)) = found.filter(|&(_, e)| h.find_from("xbox", e + 1).is_none()) {
            return Some(fixed("Windows", Some(windows_map(h.slice(s, e)))));
        }
    }
    for at in h.occurrences("win") {
        let s = if h.at(at + 3, " 9x ") {
            at + 7
        } else if matches!(h.byte(at + 3), Some(b'3' | b'9' | b'n')) {
            at + 3
        } else {
            continue;
        };
        let mut e = s;
        while h
            .byte(e)
            .is_some_and(|c| matches!(c, b'n' | b't' | b'0'..=b'9' | b'.'))
        {
            e += 1;
        }
        if e > s {
            return Some(fixed("Windows", Some(windows_map(h.slice(s, e)))));
        }
    }
    None
}

/// ua-parser-js's `windowsVersionMap`, applied with its substring test.
pub(super) fn windows_map(v: &str) -> &str {
    const MAP: [(&str, &[&str]); 11] = [
        ("ME", &["4.90"]),
        ("NT 3.11", &["nt3.51"]),
        ("NT 4.0", &["nt4.0"]),
        ("2000", &["nt 5.0"]),
        ("XP", &["nt 5.1", "nt 5.2"]),
        ("Vista", &["nt 6.0"]),
        ("7", &["nt 6.1"]),
        ("8", &["nt 6.2"]),
        ("8.1", &["nt 6.3"]),
        ("10", &["nt 6.4", "nt 10.0"]),
        ("RT", &["arm"]),
    ];
    let lower = v.to_ascii_lowercase();
    MAP.iter()
        .find(|(_, needles)| needles.iter().any(|n| lower.contains(n)))
        .map_or(v, |(name, _)| name)
}

/// iOS rules, then `/(mac os x) ?([\w\. ]*)/i`, `/(macintosh|mac_powerpc\b)(?!.+haiku)/i`.
fn apple(h: Hay<'_>) -> Option<Named<'_>> {
    ios(h).or_else(|| {
        if let Some(at) = h.find("mac os x") {
            let v = h.run(h.skip_one(at + 8, b" "), b" ");
            return Some((
                Cow::Borrowed("Mac OS"),
                Some(Cow::<str>::Owned(v.replace('_', "."))).filter(|v| !v.is_empty()),
            ));
        }
        let mac = h.find("macintosh").or_else(|| {
            h.occurrences("mac_powerpc")
                .find(|&at| !h.byte(at + 11).is_some_and(is_word))
        })?;
        h.find_from("haiku", mac + 2)
            .is_none()
            .then(|| fixed("Mac OS", None))
    })
}

/// `/ip[honead]{2,4}\b(?:.*os ([\w]+) like mac|; opera)/i`,
/// `/(?:ios;fbsv\/|iphone.+ios[\/ ])([\d\.]+)/i`, `/cfnetwork\/.+darwin/i`
fn ios(h: Hay<'_>) -> Option<Named<'_>> {
    // End of the first `ip[honead]{2,4}\b` (longest letters first).
    let device = h.occurrences("ip").find_map(|at| {
        (2..=4).rev().map(|n| at + 2 + n).find(|&e| {
            (at + 2..e).all(|i| h.byte(i).is_some_and(|c| b"honead".contains(&c)))
                && !h.byte(e).is_some_and(is_word)
        })
    });
    if let Some(d) = device {
        // Greedy `.*os ([\w]+) like mac`: the last such phrase.
        let like = h
            .occurrences(" like mac")
            .filter(|&l| l > d)
            .filter_map(|l| {
                let mut s = l;
                while s > 0 && h.byte(s - 1).is_some_and(is_word) {
                    s -= 1;
                }
                (s < l && h.before(s, "os ") && s >= d + 3).then(|| h.slice(s, l))
            });
        if let Some(v) = like.last() {
            return Some((Cow::Borrowed("iOS"), Some(Cow::Owned(v.replace('_', ".")))));
        }
        if h.at(d, "; opera") {
            return Some(fixed("iOS", None));
        }
    }
    let fbsv = h.occurrences("ios;fbsv/").map(|at| h.digits(at + 9));
    if let Some(v) = fbsv.into_iter().find(|v| !v.is_empty()) {
        return Some(fixed("iOS", Some(v)));
    }
    if let Some(i) = h.find("iphone") {
        let v = h
            .occurrences("ios")
            .filter(|&at| at > i + 6 && matches!(h.byte(at + 3), Some(b'/' | b' ')));
        if let Some(v) = v
            .map(|at| h.digits(at + 4))
            .filter(|v| !v.is_empty())
            .last()
        {
            return Some(fixed("iOS", Some(v)));
        }
    }
    let cf = h.find("cfnetwork/")?;
    h.find_from("darwin", cf + 11).map(|_| fixed("iOS", None))
}

/// `/droid ([\w\.]+)\b.+(android[- ]x86|harmonyos)/i`, then
/// `/(android|webos|qnx|bada|rim tablet os|maemo|meego|sailfish)[-\/ ]?([\w\.]*)/i`
/// -- the name keeps the UA's spelling ("Android", or "android" in apps).
pub(super) fn android(h: Hay<'_>) -> Option<Named<'_>> {
    for d in h.occurrences("droid ") {
        let v = h.run(d + 6, b"").trim_end_matches('.');
        let after = d + 6 + v.len() + 1;
        for (needle, len) in [("harmonyos", 9), ("android x86", 11), ("android-x86", 11)] {
            if let Some(at) = h.find_from(needle, after).filter(|_| !v.is_empty()) {
                return Some((Cow::Borrowed(h.slice(at, at + len)), Some(Cow::Borrowed(v))));
            }
        }
    }
    const NAMES: [&str; 8] = [
        "android",
        "webos",
        "qnx",
        "bada",
        "rim tablet os",
        "maemo",
        "meego",
        "sailfish",
    ];
    let (at, len) = NAMES
        .iter()
        .filter_map(|n| h.find(n).map(|at| (at, n.len())))
        .min()?;
    let v = h.run(h.skip_one(at + len, b"-/ "), b"");
    Some((
        Cow::Borrowed(h.slice(at, at + len)),
        Some(Cow::Borrowed(v)).filter(|v| !v.is_empty()),
    ))
}

/// `/(cros) [\w]+(?:\)| ([\w\.]+)\b)/i`
fn chromium_os(h: Hay<'_>) -> Option<Named<'_>> {
    h.occurrences("cros ").find_map(|at| {
        let arch = h.run(at + 5, b"");
        let after = at + 5 + arch.len();
        if arch.is_empty() || arch.contains('.') {
            return None;
        }
        match h.byte(after) {
            Some(b')') => Some(fixed("Chromium OS", None)),
            Some(b' ') => {
                // `([\w\.]+)\b`: trailing dots cannot end the capture.
                let v = h.run(after + 1, b"").trim_end_matches('.');
                (!v.is_empty()).then(|| fixed("Chromium OS", Some(v)))
            }
            _ => None,
        }
    })
}
