//! ua-parser-js 1.0.37 browser rules, part 1: the rules it evaluates first
//! (Chrome iOS, Edge, Opera, Baidu, then the Kindle/IE/Vivaldi/Brave/...
//! array), as token scans. Each function cites the JS pattern it mirrors;
//! names the JS code copies from the UA keep the UA's spelling. The
//! building block [`group`] mirrors the common `(a|b|c)[\/ ]?([\w\.]+)`.

use super::naming::{captured, fixed, Named};
use super::scan::{is_word, Hay};

pub(super) type Out<'a> = Option<Named<'a>>;

/// `/(alt1|alt2|...)[seps]?([\w\.<extra>]+ or *)/i`: leftmost alternative
/// (ties go to the earlier one); returns (name as in the UA, version).
/// `sep_required` turns `[seps]?` into `[seps]`.
pub(super) fn group<'a>(
    h: Hay<'a>,
    alts: &[&'static str],
    seps: (&[u8], bool),
    extra: &[u8],
    required: bool,
) -> Option<(&'a str, Option<&'a str>)> {
    let mut best: Option<(usize, &'a str, &'a str)> = None;
    for &alt in alts {
        for at in h.occurrences(alt) {
            if best.is_some_and(|(b, _, _)| at >= b) {
                break;
            }
            let s = h.skip_one(at + alt.len(), seps.0);
            if seps.1 && s == at + alt.len() {
                continue;
            }
            let run = h.run(s, extra);
            if !required || !run.is_empty() {
                best = Some((at, h.slice(at, at + alt.len()), run));
                break;
            }
        }
    }
    best.map(|(_, name, run)| (name, (!run.is_empty()).then_some(run)))
}

/// [`group`] with a `\b` before the alternatives and a required `[\w\.]+`.
fn group_b<'a>(h: Hay<'a>, alts: &[&'static str]) -> Option<(usize, Option<&'a str>)> {
    alts.iter()
        .filter_map(|alt| {
            h.occurrences(alt).find_map(|at| {
                let boundary = at == 0 || !h.byte(at - 1).is_some_and(is_word);
                let run = h.run(at + alt.len(), b"");
                (boundary && !run.is_empty()).then_some((at, Some(run)))
            })
        })
        .min_by_key(|(at, _)| *at)
}

pub(super) const NO_SEP: (&[u8], bool) = (b"", false);
pub(super) const OPT_SEP: (&[u8], bool) = (b"/ ", false);
pub(super) const SEP: (&[u8], bool) = (b"/ ", true);

/// The first six arrays of ua-parser-js's browser list, in order.
pub(super) fn first<'a>(h: Hay<'a>) -> Out<'a> {
    // /\b(?:crmo|crios)\/([\w\.]+)/i
    if let Some((_, v)) = group_b(h, &["crmo/", "crios/"]) {
        return Some(fixed("Chrome", v));
    }
    // /edg(?:e|ios|a)?\/([\w\.]+)/i
    for at in h.occurrences("edg") {
        for suffix in ["e/", "ios/", "a/", "/"] {
            let run = h.run(at + 3 + suffix.len(), b"");
            if h.at(at + 3, suffix) && !run.is_empty() {
                return Some(fixed("Edge", Some(run)));
            }
        }
    }
    if let Some(n) = presto_opera(h) {
        return Some(n);
    }
    // /opios[\/ ]+([\w\.]+)/i
    for at in h.occurrences("opios") {
        let mut s = at + 5;
        while matches!(h.byte(s), Some(b'/' | b' ')) {
            s += 1;
        }
        let run = h.run(s, b"");
        if s > at + 5 && !run.is_empty() {
            return Some(fixed("Opera Mini", Some(run)));
        }
    }
    if let Some(v) = h.version_after_b("opr/", b"") {
        return Some(fixed("Opera", Some(v)));
    }
    baidu(h).or_else(|| legacy_and_forks(h))
}

/// `/(opera mini)\/([-\w\.]+)/i`, `/(opera [mobiletab]{3,6})\b.+version\/([-\w\.]+)/i`,
/// `/(opera)(?:.+version\/|[\/ ]+)([\w\.]+)/i`
fn presto_opera(h: Hay<'_>) -> Out<'_> {
    h.find("opera")?;
    if let Some((name, v)) = group(h, &["opera mini/"], NO_SEP, b"-", true) {
        return Some(captured(&name[..10], v));
    }
    // `(opera [mobiletab]{3,6})\b`: longest letter run that ends a word.
    for at in h.occurrences("opera ") {
        let letters = (at + 6..at + 12)
            .take_while(|&i| h.byte(i).is_some_and(|c| b"mobiletab".contains(&c)))
            .count();
        let end = (3..=letters)
            .rev()
            .map(|n| at + 6 + n)
            .find(|&e| !h.byte(e).is_some_and(is_word));
        if let Some(end) = end {
            let versions = h
                .occurrences("version/")
                .filter(|&i| i > end)
                .map(|i| h.run(i + 8, b"-"));
            if let Some(v) = versions.filter(|r| !r.is_empty()).last() {
                return Some(captured(h.slice(at, end), Some(v)));
            }
        }
    }
    h.occurrences("opera").find_map(|at| {
        let name = h.slice(at, at + 5);
        // Greedy `.+version\/`: the last "version/" after this "opera".
        let versions = h
            .occurrences("version/")
            .filter(|&i| i > at + 5)
            .map(|i| h.run(i + 8, b""));
        if let Some(v) = versions.filter(|r| !r.is_empty()).last() {
            return Some(captured(name, Some(v)));
        }
        let mut s = at + 5;
        while matches!(h.byte(s), Some(b'/' | b' ')) {
            s += 1;
        }
        let run = h.run(s, b"");
        (s > at + 5 && !run.is_empty()).then(|| captured(name, Some(run)))
    })
}

/// `/\bb[ai]*d(?:uhd|[ub]*[aekoprswx]{5,6})[\/ ]?([\w\.]+)/i`
fn baidu(h: Hay<'_>) -> Out<'_> {
    let b = h.lower.as_bytes();
    for at in h.occurrences("b") {
        if at > 0 && is_word(b[at - 1]) {
            continue;
        }
        let mut i = at + 1;
        while matches!(b.get(i), Some(b'a' | b'i')) {
            i += 1;
        }
        if b.get(i) != Some(&b'd') {
            continue;
        }
        i += 1;
        // Candidate ends of `(?:uhd|[ub]*[aekoprswx]{5,6})` in the order a
        // backtracking engine tries them: "uhd", then the longest `[ub]*`
        // first, and 6 letters before 5.
        let mut ends = Vec::new();
        if h.at(i, "uhd") {
            ends.push(i + 3);
        }
        let mut tails = Vec::new();
        let mut j = i;
        loop {
            let k = (j..b.len().min(j + 6))
                .take_while(|&k| b"aekoprswx".contains(&b[k]))
                .count();
            if k == 6 {
                tails.push((j, 6));
            }
            if k >= 5 {
                tails.push((j, 5));
            }
            if !matches!(b.get(j), Some(b'u' | b'b')) {
                break;
            }
            j += 1;
        }
        tails.sort_by_key(|&(j, len)| std::cmp::Reverse((j, len)));
        ends.extend(tails.into_iter().map(|(j, len)| j + len));
        for e in ends {
            let run = h.run(h.skip_one(e, b"/ "), b"");
            if !run.is_empty() {
                return Some(fixed("Baidu", Some(run)));
            }
        }
    }
    None
}

/// The Kindle/Lunascape/Avant/IE/"big group"/Ovi/Weibo array.
fn legacy_and_forks(h: Hay<'_>) -> Out<'_> {
    if let Some((n, v)) = group(h, &["kindle/"], NO_SEP, b"", true) {
        return Some(captured(&n[..6], v));
    }
    if let Some((n, v)) = group(
        h,
        &["lunascape", "maxthon", "netfront", "jasmine", "blazer"],
        OPT_SEP,
        b"",
        false,
    ) {
        return Some(captured(n, v));
    }
    // /(avant|iemobile|slim)\s?(?:browser)?[\/ ]?([\w\.]*)/i
    let avant = ["avant", "iemobile", "slim"]
        .iter()
        .filter_map(|a| h.find(a).map(|at| (at, a.len())))
        .min();
    if let Some((at, len)) = avant {
        let mut s = h.skip_one(at + len, b" \t");
        if h.at(s, "browser") {
            s += 7;
        }
        return Some(captured(
            h.slice(at, at + len),
            Some(h.run(h.skip_one(s, b"/ "), b"")),
        ));
    }
    // /(?:ms|\()(ie) ([\w\.]+)/i
    for at in h.occurrences("ie ") {
        let run = h.run(at + 3, b"");
        if (h.before(at, "ms") || h.before(at, "(")) && !run.is_empty() {
            return Some(captured(h.slice(at, at + 2), Some(run)));
        }
    }
    const BIG: [&str; 22] = [
        "flock/",
        "rockmelt/",
        "midori/",
        "epiphany/",
        "silk/",
        "skyfire/",
        "bolt/",
        "iron/",
        "vivaldi/",
        "iridium/",
        "phantomjs/",
        "bowser/",
        "quark/",
        "qupzilla/",
        "falkon/",
        "rekonq/",
        "puffin/",
        "brave/",
        "whale/",
        "qqbrowserlite/",
        "qq/",
        "duckduckgo/",
    ];
    // `whale(?!.+naver)`: Whale only counts when no "naver" follows it
    // (rare, so the filtered copy is only built then).
    let whale_ok = h
        .find("whale/")
        .is_none_or(|w| h.find_from("naver", w + 6).is_none());
    let big = if whale_ok {
        group(h, &BIG, NO_SEP, b"-", true)
    } else {
        let alts: Vec<&'static str> = BIG.into_iter().filter(|a| *a != "whale/").collect();
        group(h, &alts, NO_SEP, b"-", true)
    };
    if let Some((n, v)) = big {
        return Some(captured(&n[..n.len() - 1], v));
    }
    // /(heytap|ovi)browser\/([\d\.]+)/i, /(weibo)__([\d\.]+)/i
    for (needle, name_len) in [("heytapbrowser/", 6), ("ovibrowser/", 3), ("weibo__", 5)] {
        for at in h.occurrences(needle) {
            let v = h.digits(at + needle.len());
            if !v.is_empty() {
                return Some(captured(h.slice(at, at + name_len), Some(v)));
            }
        }
    }
    None
}
