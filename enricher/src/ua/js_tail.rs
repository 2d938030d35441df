//! The generic tail of ua-parser-js's browser list.
//!
//! When no named browser matched, ua-parser-js names whatever engine token
//! is left: Chrome WebView, Android Browser, Chrome, (Mobile) Safari,
//! WebKit, Firefox and its forks, Mozilla, a few legacy browsers. ownstats
//! stored those names even for apps and bots other parsers name precisely,
//! so they are reproduced here rule by rule, in order.

use std::borrow::Cow;

use super::naming::{captured, fixed, Named};
use super::scan::{is_word, Hay};

pub(super) fn tail(h: Hay<'_>) -> Option<Named<'_>> {
    // /headlesschrome(?:\/([\w\.]+)| )/i
    for at in h.occurrences("headlesschrome") {
        match h.byte(at + 14) {
            Some(b'/') if !h.run(at + 15, b"").is_empty() => {
                return Some(fixed("Chrome Headless", Some(h.run(at + 15, b""))));
            }
            Some(b' ') => return Some(fixed("Chrome Headless", None)),
            _ => {}
        }
    }
    // / wv\).+(chrome)\/([\w\.]+)/i
    // Greedy `.+`: the last "chrome/" with a version.
    if let Some(at) = h.find(" wv)") {
        if let Some(c) = h
            .occurrences("chrome/")
            .filter(|&c| c > at + 4 && !h.run(c + 7, b"").is_empty())
            .last()
        {
            return Some(fixed("Chrome WebView", Some(h.run(c + 7, b""))));
        }
    }
    // /droid.+ version\/([\w\.]+)\b.+(?:mobile safari|safari)/i
    if let Some(d) = h.find("droid") {
        // Greedy `droid.+ version`: the last " version/" that works.
        let hit = h
            .occurrences(" version/")
            .filter(|&v| v > d + 5)
            .filter_map(|v| {
                // `([\w\.]+)\b`: a trailing dot cannot end the capture.
                let run = h.run(v + 9, b"").trim_end_matches('.');
                let end = v + 9 + run.len();
                (!run.is_empty() && h.find_from("safari", end + 1).is_some()).then_some(run)
            })
            .last();
        if let Some(run) = hit {
            return Some(fixed("Android Browser", Some(run)));
        }
    }
    chrome_like(h)
        .or_else(|| safari(h))
        .or_else(|| engine(h))
        .or_else(|| gecko(h))
        .or_else(|| legacy(h))
}

/// `/(chrome|omniweb|arora|[tizenoka]{5} ?browser)\/v?([\w\.]+)/i`
fn chrome_like(h: Hay<'_>) -> Option<Named<'_>> {
    let mut best: Option<(usize, usize, &str)> = None;
    let mut consider = |at: usize, name_end: usize, slash: usize| {
        // `v?` is optional: "chrome/v-1" has the version "v".
        let after_v = h.run(slash + 2, b"");
        let run = if h.byte(slash + 1) == Some(b'v') && !after_v.is_empty() {
            after_v
        } else {
            h.run(slash + 1, b"")
        };
        if !run.is_empty() && best.is_none_or(|(b, _, _)| at < b) {
            best = Some((at, name_end, run));
        }
    };
    for alt in ["chrome/", "omniweb/", "arora/"] {
        if let Some(at) = h
            .occurrences(alt)
            .find(|&at| !h.run(at + alt.len(), b"").is_empty())
        {
            consider(at, at + alt.len() - 1, at + alt.len() - 1);
        }
    }
    for b in h.occurrences("browser/") {
        let space = usize::from(b > 0 && h.byte(b - 1) == Some(b' '));
        let five = b.checked_sub(5 + space);
        if let Some(at) = five
            .filter(|&at| (at..at + 5).all(|i| h.byte(i).is_some_and(|c| b"tizenoka".contains(&c))))
        {
            consider(at, b + 7, b + 7);
        }
    }
    best.map(|(at, name_end, run)| captured(h.slice(at, name_end), Some(run)))
}

/// The three Safari rules.
fn safari(h: Hay<'_>) -> Option<Named<'_>> {
    // /version\/([\w\.\,]+) .*mobile\/\w+ (safari)/i
    for at in h.occurrences("version/") {
        let run = h.run(at + 8, b",");
        let rest = at + 8 + run.len();
        if run.is_empty() || h.byte(rest) != Some(b' ') {
            continue;
        }
        let mobile = h.occurrences("mobile/").filter(|&m| m >= rest).any(|m| {
            let mut e = m + 7;
            while h.byte(e).is_some_and(is_word) {
                e += 1;
            }
            e > m + 7 && h.at(e, " safari")
        });
        if mobile {
            return Some(fixed("Mobile Safari", Some(run)));
        }
    }
    // /version\/([\w(\.|\,)]+) .*(mobile ?safari|safari)/i -- greedy `.*`
    // makes the captured name "Safari".
    for at in h.occurrences("version/") {
        let run = h.run(at + 8, b",()|");
        let rest = at + 8 + run.len();
        if !run.is_empty() && h.byte(rest) == Some(b' ') && h.find_from("safari", rest).is_some() {
            let s = h
                .occurrences("safari")
                .filter(|&s| s >= rest)
                .last()
                .unwrap_or(rest);
            return Some(captured(h.slice(s, s + 6), Some(run)));
        }
    }
    // /webkit.+?(mobile ?safari|safari)(\/[\w\.]+)/i + the Safari < 3 map
    let wk = h.find("webkit")?;
    let s = h
        .occurrences("safari/")
        .find(|&s| s > wk + 6 && !h.run(s + 7, b"").is_empty())?;
    let start = [7, 6]
        .iter()
        .map(|&n| s.saturating_sub(n))
        .find(|&m| m > wk + 6 && (h.at(m, "mobile safari") || h.at(m, "mobilesafari")));
    let name = h.slice(start.unwrap_or(s), s + 6);
    let build = h.run(s + 7, b"");
    const OLD: [(&str, &str); 7] = [
        ("1.0", "8"),
        ("1.2", "1"),
        ("1.3", "3"),
        ("2.0", "412"),
        ("2.0.2", "416"),
        ("2.0.3", "417"),
        ("2.0.4", "419"),
    ];
    let version = OLD
        .iter()
        .find(|(_, b)| build.starts_with(b))
        .map(|(v, _)| *v);
    Some((Cow::Borrowed(name), version.map(Cow::Borrowed)))
}

/// `/(webkit|khtml)\/([\w\.]+)/i`, `/(navigator|netscape\d?)\/([-\w\.]+)/i`,
/// `/mobile vr; rv:([\w\.]+)\).+firefox/i`
fn engine(h: Hay<'_>) -> Option<Named<'_>> {
    let mut best: Option<(usize, usize, &str)> = None;
    for alt in ["webkit/", "khtml/"] {
        if let Some(at) = h
            .occurrences(alt)
            .find(|&at| !h.run(at + alt.len(), b"").is_empty())
        {
            if best.is_none_or(|(b, _, _)| at < b) {
                best = Some((at, alt.len(), h.run(at + alt.len(), b"")));
            }
        }
    }
    if let Some((at, len, run)) = best {
        return Some(captured(h.slice(at, at + len - 1), Some(run)));
    }
    for alt in ["navigator", "netscape"] {
        for at in h.occurrences(alt) {
            let mut s = at + alt.len();
            if alt == "netscape" && h.byte(s).is_some_and(|c| c.is_ascii_digit()) {
                s += 1;
            }
            let run = h.run(s + 1, b"-");
            if h.byte(s) == Some(b'/') && !run.is_empty() {
                return Some(fixed("Netscape", Some(run)));
            }
        }
    }
    let at = h.find("mobile vr; rv:")?;
    let run = h.run(at + 14, b"");
    let end = at + 14 + run.len();
    let ok =
        !run.is_empty() && h.byte(end) == Some(b')') && h.find_from("firefox", end + 2).is_some();
    ok.then(|| fixed("Firefox Reality", Some(run)))
}

/// Gecko family: Flow, Swiftfox, the Firefox forks, Firefox, Mozilla.
fn gecko(h: Hay<'_>) -> Option<Named<'_>> {
    if let Some(e) = h.find("ekiohf") {
        if let Some(at) = h
            .occurrences("flow/")
            .find(|&at| at > e + 6 && !h.run(at + 5, b"").is_empty())
        {
            return Some(captured(h.slice(at, at + 4), Some(h.run(at + 5, b""))));
        }
    }
    if let Some(at) = h.find("swiftfox") {
        return Some(captured(h.slice(at, at + 8), None));
    }
    const FORKS: [&str; 9] = [
        "icedragon",
        "iceweasel",
        "camino",
        "chimera",
        "fennec",
        "maemo browser",
        "minimo",
        "conkeror",
        "klar",
    ];
    let fork = FORKS.iter().filter_map(|f| {
        h.occurrences(f).find_map(|at| {
            let run = h.run(h.skip_one(at + f.len(), b"/ "), b"+");
            (!run.is_empty()).then_some((at, f.len(), run))
        })
    });
    if let Some((at, len, run)) = fork.min_by_key(|(at, _, _)| *at) {
        return Some(captured(h.slice(at, at + len), Some(run)));
    }
    // /(seamonkey|...|waterfox)\/([-\w\.]+)$/i -- the version must end the UA.
    const ANCHORED: [&str; 9] = [
        "seamonkey",
        "k-meleon",
        "icecat",
        "iceape",
        "firebird",
        "phoenix",
        "palemoon",
        "basilisk",
        "waterfox",
    ];
    for f in ANCHORED {
        if let Some(at) = h.occurrences(f).find(|&at| {
            let run = h.run(at + f.len() + 1, b"-");
            h.byte(at + f.len()) == Some(b'/')
                && !run.is_empty()
                && at + f.len() + 1 + run.len() == h.len()
        }) {
            return Some(captured(
                h.slice(at, at + f.len()),
                Some(h.run(at + f.len() + 1, b"-")),
            ));
        }
    }
    if let Some(at) = h
        .occurrences("firefox/")
        .find(|&at| !h.run(at + 8, b"").is_empty())
    {
        return Some(captured(h.slice(at, at + 7), Some(h.run(at + 8, b""))));
    }
    // /(mozilla)\/([\w\.]+) .+rv\:.+gecko\/\d+/i
    let at = h.find("mozilla/")?;
    let run = h.run(at + 8, b"");
    let rv = h.find_from("rv:", at + 8 + run.len() + 2)?;
    let gecko = h
        .occurrences("gecko/")
        .any(|g| g > rv + 3 && h.byte(g + 6).is_some_and(|c| c.is_ascii_digit()));
    (!run.is_empty() && h.byte(at + 8 + run.len()) == Some(b' ') && gecko)
        .then(|| captured(h.slice(at, at + 7), Some(run)))
}

/// `/(polaris|lynx|...|(?:go|ice|up)[\. ]?browser)[-\/ ]?v?([\w\.]+)/i`,
/// `/(links) \(([\w\.]+)/i`, `/panasonic;(viera)/i`, `/(cobalt)\/([\w\.]+)/i`
fn legacy(h: Hay<'_>) -> Option<Named<'_>> {
    const NAMES: [&str; 20] = [
        "polaris",
        "lynx",
        "dillo",
        "icab",
        "doris",
        "amaya",
        "w3m",
        "netsurf",
        "sleipnir",
        "obigo",
        "mosaic",
        "gobrowser",
        "go.browser",
        "go browser",
        "icebrowser",
        "ice.browser",
        "ice browser",
        "upbrowser",
        "up.browser",
        "up browser",
    ];
    let found = NAMES.iter().filter_map(|n| {
        h.occurrences(n).find_map(|at| {
            let s = h.skip_one(at + n.len(), b"-/ ");
            let run = h.run(h.skip_one(s, b"v"), b"");
            let run = if run.is_empty() { h.run(s, b"") } else { run };
            (!run.is_empty()).then_some((at, n.len(), run))
        })
    });
    if let Some((at, len, run)) = found.min_by_key(|(at, _, _)| *at) {
        return Some(captured(h.slice(at, at + len), Some(run)));
    }
    if let Some(at) = h
        .occurrences("links (")
        .find(|&at| !h.run(at + 7, b"").is_empty())
    {
        return Some(captured(h.slice(at, at + 5), Some(h.run(at + 7, b""))));
    }
    if let Some(at) = h.find("panasonic;viera") {
        return Some(captured(h.slice(at + 10, at + 15), None));
    }
    let at = h
        .occurrences("cobalt/")
        .find(|&at| !h.run(at + 7, b"").is_empty())?;
    let v = h
        .run(at + 7, b"")
        .replacen("master.", "", 1)
        .replacen("lts.", "", 1);
    Some((
        Cow::Borrowed(h.slice(at, at + 6)),
        Some(Cow::<str>::Owned(v)).filter(|v| !v.is_empty()),
    ))
}
