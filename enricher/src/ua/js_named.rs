//! ua-parser-js 1.0.37 browser rules, part 2: the named browsers and
//! in-app webviews from UC Browser to TikTok, in ua-parser-js order (first
//! match wins, which is how ownstats resolved UAs carrying two tokens).

use std::borrow::Cow;

use super::js_rules::{group, Out, NO_SEP, OPT_SEP, SEP};
use super::naming::{captured, fixed};
use super::scan::{is_word, Hay};

/// `/(tesla)(?: qtcarbrowser|\/(20\d\d\.[-\w\.]+))/i`
fn tesla(h: Hay<'_>) -> Out<'_> {
    // Leftmost of the two branches wins, as in one regex.
    let qt = h.find("tesla qtcarbrowser");
    let versioned = h.occurrences("tesla/20").find(|&at| {
        let s = at + 6;
        h.byte(s + 2).is_some_and(|c| c.is_ascii_digit())
            && h.byte(s + 3).is_some_and(|c| c.is_ascii_digit())
            && h.byte(s + 4) == Some(b'.')
            && h.byte(s + 5)
                .is_some_and(|c| is_word(c) || c == b'.' || c == b'-')
    });
    match (qt, versioned) {
        (Some(q), v) if v.is_none_or(|v| q < v) => Some(captured(h.slice(q, q + 5), None)),
        (_, Some(at)) => Some(captured(h.slice(at, at + 5), Some(h.run(at + 6, b"-")))),
        _ => None,
    }
}

/// `/(?:\buc? ?browser|(?:juc.+)ucweb)[\/ ]?([\w\.]+)/i`
pub(super) fn uc(h: Hay<'_>) -> Out<'_> {
    for needle in ["ucbrowser", "uc browser", "ubrowser", "u browser"] {
        for at in h.occurrences(needle) {
            if at > 0 && h.byte(at - 1).is_some_and(is_word) {
                continue;
            }
            let run = h.run(h.skip_one(at + needle.len(), b"/ "), b"");
            if !run.is_empty() {
                return Some(fixed("UCBrowser", Some(run)));
            }
        }
    }
    let j = h.find("juc")?;
    h.occurrences("ucweb")
        .filter(|&at| at > j + 3)
        .find_map(|at| {
            let run = h.run(h.skip_one(at + 5, b"/ "), b"");
            (!run.is_empty()).then(|| fixed("UCBrowser", Some(run)))
        })
}

/// `/((?:fban\/fbios|fb_iab\/fb4a)(?!.+fbav)|;fbav\/([\w\.]+);)/i`
pub(super) fn facebook(h: Hay<'_>) -> Out<'_> {
    for at in h.occurrences(";fbav/") {
        let run = h.run(at + 6, b"");
        if !run.is_empty() && h.at(at + 6 + run.len(), ";") {
            return Some(fixed("Facebook", Some(run)));
        }
    }
    for marker in ["fban/fbios", "fb_iab/fb4a"] {
        if let Some(at) = h.find(marker) {
            // `(?!.+fbav)`: no "fbav" after at least one more character.
            if h.find_from("fbav", at + marker.len() + 1).is_none() {
                return Some(fixed("Facebook", None));
            }
        }
    }
    None
}

/// Single-token rules: (needle, name, `\b` before the needle, extra chars).
type Simple = (&'static str, &'static str, bool, &'static [u8]);

fn simple<'a>(h: Hay<'a>, rules: &[Simple]) -> Out<'a> {
    rules.iter().find_map(|&(needle, name, boundary, extra)| {
        let v = if boundary {
            h.version_after_b(needle, extra)
        } else {
            h.version_after(needle, extra)
        };
        v.map(|v| fixed(name, Some(v)))
    })
}

/// The named rules from UC Browser on, in ua-parser-js order.
pub(super) fn named<'a>(h: Hay<'a>) -> Out<'a> {
    if let Some(n) = uc(h) {
        return Some(n);
    }
    // WeChat: the QBCore version on Windows desktop, else MicroMessenger.
    if h.contains("microm") {
        if let Some(v) = h.version_after_b("qbcore/", b"") {
            return Some(fixed("WeChat", Some(v)));
        }
    }
    const EARLY: [Simple; 2] = [
        ("micromessenger/", "WeChat", false, b""),
        ("konqueror/", "Konqueror", false, b""),
    ];
    if let Some(n) = simple(h, &EARLY).or_else(|| ie11(h)) {
        return Some(n);
    }
    if let Some((_, v)) = group(h, &["yabrowser/", "yasearchbrowser/"], NO_SEP, b"", true) {
        return Some(fixed("Yandex", v));
    }
    if let Some(v) = h.version_after("slbrowser/", b"") {
        return Some(fixed("Smart Lenovo Browser", Some(v)));
    }
    if let Some((n, v)) = group(h, &["avast/", "avg/"], NO_SEP, b"", true) {
        return Some((
            Cow::Owned(format!("{} Secure Browser", &n[..n.len() - 1])),
            v.map(Cow::Borrowed),
        ));
    }
    const MID: [Simple; 2] = [
        ("focus/", "Firefox Focus", true, b""),
        ("opt/", "Opera Touch", true, b""),
    ];
    if let Some(n) = simple(h, &MID) {
        return Some(n);
    }
    // /coc_coc\w+\/([\w\.]+)/i
    for at in h.occurrences("coc_coc") {
        let mut s = at + 7;
        while h.byte(s).is_some_and(is_word) {
            s += 1;
        }
        let v = h.run(s + 1, b"");
        if s > at + 7 && h.byte(s) == Some(b'/') && !v.is_empty() {
            return Some(fixed("Coc Coc", Some(v)));
        }
    }
    const LATE: [Simple; 4] = [
        ("dolfin/", "Dolphin", false, b""),
        ("coast/", "Opera Coast", false, b""),
        ("miuibrowser/", "MIUI Browser", false, b""),
        ("fxios/", "Firefox", false, b"-"),
    ];
    if let Some(n) = simple(h, &LATE) {
        return Some(n);
    }
    if qihoo(h) {
        return Some(fixed("360 Browser", None));
    }
    let browsers = [
        "oculusbrowser/",
        "sailfishbrowser/",
        "huaweibrowser/",
        "vivobrowser/",
    ];
    if let Some((n, v)) = group(h, &browsers, NO_SEP, b"", true) {
        let name = format!("{} Browser", &n[..n.len() - 8]);
        return Some((Cow::Owned(name), v.map(Cow::Borrowed)));
    }
    if let Some(v) = h.version_after("samsungbrowser/", b"") {
        return Some(fixed("Samsung Internet", Some(v)));
    }
    if let Some((n, v)) = group(h, &["comodo_dragon/"], NO_SEP, b"", true) {
        return Some((Cow::Owned(n[..13].replace('_', " ")), v.map(Cow::Borrowed)));
    }
    named_late(h)
}

/// `/trident.+rv[: ]([\w\.]{1,9})\b.+like gecko/i`
fn ie11(h: Hay<'_>) -> Out<'_> {
    let t = h.find("trident")?;
    // Greedy `.+like gecko`: any later "like gecko" will do, so take the last.
    let g = h.occurrences("like gecko").filter(|&g| g > t).last()?;
    // Greedy `trident.+rv`: the last "rv" that works.
    h.occurrences("rv")
        .filter(|&at| at > t + 7 && at < g && matches!(h.byte(at + 2), Some(b':' | b' ')))
        .map(|at| h.run(at + 3, b"").trim_end_matches('.'))
        .filter(|run| (1..=9).contains(&run.len()))
        .last()
        .map(|run| fixed("IE", Some(run)))
}

/// `/\bqihu|(qi?ho?o?|360)browser/i`
fn qihoo(h: Hay<'_>) -> bool {
    const PREFIXES: [&str; 7] = ["qh", "qih", "qho", "qiho", "qhoo", "qihoo", "360"];
    h.occurrences("qihu")
        .any(|at| at == 0 || !h.byte(at - 1).is_some_and(is_word))
        || h.occurrences("browser")
            .any(|at| PREFIXES.iter().any(|p| h.before(at, p)))
}

fn named_late<'a>(h: Hay<'a>) -> Out<'a> {
    // /metasr[\/ ]?([\d\.]+)/i, /(sogou)mo\w+\/([\d\.]+)/i
    if let Some(v) = h
        .occurrences("metasr")
        .map(|at| h.digits(h.skip_one(at + 6, b"/ ")))
        .find(|v| !v.is_empty())
    {
        return Some(fixed("Sogou Explorer", Some(v)));
    }
    for at in h.occurrences("sogoumo") {
        let mut s = at + 7;
        while h.byte(s).is_some_and(is_word) {
            s += 1;
        }
        let v = h.digits(s + 1);
        if s > at + 7 && h.byte(s) == Some(b'/') && !v.is_empty() {
            return Some(fixed("Sogou Mobile", Some(v)));
        }
    }
    // /(electron)\/([\w\.]+) safari/i, Tesla, /m?(qqbrowser|2345Explorer)[\/ ]?([\w\.]+)/i
    for at in h.occurrences("electron/") {
        let run = h.run(at + 9, b"");
        if !run.is_empty() && h.at(at + 9 + run.len(), " safari") {
            return Some(captured(h.slice(at, at + 8), Some(run)));
        }
    }
    if let Some(n) = tesla(h) {
        return Some(n);
    }
    if let Some((n, v)) = group(h, &["qqbrowser", "2345explorer"], OPT_SEP, b"", true) {
        return Some(captured(n, v));
    }
    // /(lbbrowser)/i, /\[(linkedin)app\]/i
    if let Some(at) = h.find("lbbrowser") {
        return Some(captured(h.slice(at, at + 9), None));
    }
    if let Some(at) = h.find("[linkedinapp]") {
        return Some(captured(h.slice(at + 1, at + 9), None));
    }
    facebook(h).or_else(|| in_app(h))
}

/// Klarna, Kakao, Naver, LINE, Alipay, Chromium/Instagram/Snapchat, GSA, TikTok.
fn in_app<'a>(h: Hay<'a>) -> Out<'a> {
    if let Some((n, v)) = group(h, &["klarna/"], NO_SEP, b"", true) {
        return Some(captured(&n[..6], v));
    }
    if let Some((n, v)) = group(h, &["kakaotalk", "kakaostory"], SEP, b"", true) {
        return Some(captured(n, v));
    }
    // /(naver)\(.*?(\d+\.[\w\.]+).*\)/i
    if let Some(at) = h.find("naver(") {
        let found = (at + 6..h.len()).find_map(|i| {
            let d = h.digits(i);
            let digits = d.find('.').map_or(d, |dot| &d[..dot]);
            let run = h.run(i, b"");
            let ok = h.byte(i).is_some_and(|c| c.is_ascii_digit())
                && h.byte(i + digits.len()) == Some(b'.')
                && run.len() > digits.len() + 1;
            ok.then_some((i, run))
        });
        if let Some((i, v)) = found {
            if h.find_from(")", i + v.len()).is_some() {
                return Some(captured(h.slice(at, at + 5), Some(v)));
            }
        }
    }
    // /safari (line)\/([\w\.]+)/i, /\b(line)\/([\w\.]+)\/iab/i
    for at in h.occurrences("safari line/") {
        let v = h.run(at + 12, b"");
        if !v.is_empty() {
            return Some(captured(h.slice(at + 7, at + 11), Some(v)));
        }
    }
    for at in h.occurrences("line/") {
        let run = h.run(at + 5, b"");
        let boundary = at == 0 || !h.byte(at - 1).is_some_and(is_word);
        if boundary && !run.is_empty() && h.at(at + 5 + run.len(), "/iab") {
            return Some(captured(h.slice(at, at + 4), Some(run)));
        }
    }
    if let Some((n, v)) = group(h, &["alipayclient/"], NO_SEP, b"", true) {
        return Some(captured(&n[..6], v));
    }
    if let Some((n, v)) = group(h, &["chromium", "instagram", "snapchat"], SEP, b"-", true) {
        return Some(captured(n, v));
    }
    // /\bgsa\/([\w\.]+) .*safari\//i
    for at in h.occurrences("gsa/") {
        let run = h.run(at + 4, b"");
        let boundary = at == 0 || !h.byte(at - 1).is_some_and(is_word);
        let tail = at + 4 + run.len();
        if boundary && !run.is_empty() && h.at(tail, " ") && h.find_from("safari/", tail).is_some()
        {
            return Some(fixed("GSA", Some(run)));
        }
    }
    // /musical_ly(?:.+app_?version\/|_)([\w\.]+)/i: per "musical_ly", the
    // greedy branch (last app_version/) first, then "_" right after it.
    h.occurrences("musical_ly").find_map(|m| {
        let app_version = ["app_version/", "appversion/"]
            .iter()
            .flat_map(|t| {
                h.occurrences(t)
                    .filter(|&i| i > m + 10)
                    .map(move |i| (i, h.run(i + t.len(), b"")))
            })
            .filter(|(_, r)| !r.is_empty())
            .max_by_key(|(i, _)| *i)
            .map(|(_, r)| r);
        let direct = Some(h.run(m + 11, b"")).filter(|r| h.at(m + 10, "_") && !r.is_empty());
        app_version.or(direct).map(|v| fixed("TikTok", Some(v)))
    })
}
