//! The less common part of ua-parser-js's OS list (mobile platforms of the
//! 2010s, TVs, consoles, Linux distributions, BSDs, Unixes), in its order.
//! Reached when the Windows/Apple/Android rules found nothing, so clarity
//! matters more than speed here.

use super::naming::{captured, fixed, Named};
use super::scan::{is_word, Hay};

/// BlackBerry, Tizen/KaiOS, Series40, BB10, Symbian, Firefox OS, webOS,
/// watchOS, Chromecast.
pub(super) fn mobile(h: Hay<'_>) -> Option<Named<'_>> {
    // /(blackberry)\w*\/([\w\.]*)/i
    for at in h.occurrences("blackberry") {
        let mut e = at + 10;
        while h.byte(e).is_some_and(is_word) {
            e += 1;
        }
        if h.byte(e) == Some(b'/') {
            return Some(captured(h.slice(at, at + 10), Some(h.run(e + 1, b""))));
        }
    }
    // /(tizen|kaios)[\/ ]([\w\.]+)/i
    let tizen = ["tizen", "kaios"].iter().filter_map(|n| {
        h.occurrences(n).find(|&at| {
            matches!(h.byte(at + 5), Some(b'/' | b' ')) && !h.run(at + 6, b"").is_empty()
        })
    });
    if let Some(at) = tizen.min() {
        return Some(captured(h.slice(at, at + 5), Some(h.run(at + 6, b""))));
    }
    if let Some(at) = h.find("(series40;") {
        return Some(captured(h.slice(at + 1, at + 9), None));
    }
    if h.contains("(bb10;") {
        return Some(fixed("BlackBerry", Some("10")));
    }
    // /(?:symbian ?os|symbos|s60(?=;)|series60)[-\/ ]?([\w\.]*)/i
    let symbian = [
        ("symbian os", 10),
        ("symbianos", 9),
        ("symbos", 6),
        ("s60;", 3),
        ("series60", 8),
    ]
    .iter()
    .filter_map(|&(n, len)| h.find(n).map(|at| (at, len)))
    .min();
    if let Some((at, len)) = symbian {
        return Some(fixed(
            "Symbian",
            Some(h.run(h.skip_one(at + len, b"-/ "), b"")),
        ));
    }
    // /mozilla\/[\d\.]+ \((?:mobile|tablet|tv|mobile; [\w ]+); rv:.+ gecko\/([\w\.]+)/i
    if let Some(at) = h.find("mozilla/") {
        let d = h.digits(at + 8);
        let p = at + 8 + d.len();
        if !d.is_empty() && h.at(p, " (") {
            let kinds = ["mobile; rv:", "tablet; rv:", "tv; rv:"];
            let simple = kinds.iter().any(|k| h.at(p + 2, k));
            let with_model = h.at(p + 2, "mobile; ") && {
                let m = h.find_from(";", p + 10).unwrap_or(p + 10);
                (p + 10..m).all(|i| h.byte(i).is_some_and(|c| is_word(c) || c == b' '))
                    && m > p + 10
                    && h.at(m, "; rv:")
            };
            if simple || with_model {
                if let Some(g) = h
                    .occurrences(" gecko/")
                    .find(|&g| !h.run(g + 7, b"").is_empty())
                {
                    return Some(fixed("Firefox OS", Some(h.run(g + 7, b""))));
                }
            }
        }
    }
    // /web0s;.+rt(tv)/i, /\b(?:hp)?wos(?:browser)?\/([\w\.]+)/i
    if let Some(at) = h.find("web0s;") {
        if let Some(tv) = h.find_from("rttv", at + 7) {
            return Some(captured("webOS", Some(h.slice(tv + 2, tv + 4))));
        }
    }
    for needle in ["wos/", "wosbrowser/"] {
        for at in h.occurrences(needle) {
            let start = if h.before(at, "hp") { at - 2 } else { at };
            let run = h.run(at + needle.len(), b"");
            if (start == 0 || !h.byte(start - 1).is_some_and(is_word)) && !run.is_empty() {
                return Some(fixed("webOS", Some(run)));
            }
        }
    }
    watch(h).or_else(|| {
        let at = h
            .occurrences("crkey/")
            .find(|&at| !h.digits(at + 6).is_empty())?;
        Some(fixed("Chromecast", Some(h.digits(at + 6))))
    })
}

/// `/watch(?: ?os[,\/]|\d,\d\/)([\d\.]+)/i`
fn watch(h: Hay<'_>) -> Option<Named<'_>> {
    h.occurrences("watch").find_map(|at| {
        let s = at + 5;
        let digit = |i: usize| h.byte(i).is_some_and(|c| c.is_ascii_digit());
        let skip = if h.at(s, "os/") || h.at(s, "os,") {
            3
        } else if h.at(s, " os/")
            || h.at(s, " os,")
            || (digit(s) && h.at(s + 1, ",") && digit(s + 2) && h.at(s + 3, "/"))
        {
            4
        } else {
            return None;
        };
        let v = h.digits(s + skip);
        (!v.is_empty()).then(|| fixed("watchOS", Some(v)))
    })
}

/// TVs, consoles, Palm, Linux distributions, BSDs, Haiku, Solaris, Unixes.
pub(super) fn rest(h: Hay<'_>) -> Option<Named<'_>> {
    if let Some(at) = h.find("panasonic;viera") {
        return Some(captured(h.slice(at + 10, at + 15), None));
    }
    if let Some(at) = h.find("netrangemmh") {
        return Some(captured(h.slice(at, at + 8), None));
    }
    for at in h.occurrences("nettv/") {
        let d = h.digits(at + 6);
        let digits = d.split('.').next().unwrap_or("");
        let run = h.run(at + 6, b"");
        if !digits.is_empty()
            && h.byte(at + 6 + digits.len()) == Some(b'.')
            && run.len() > digits.len() + 1
        {
            return Some(captured(h.slice(at, at + 5), Some(run)));
        }
    }
    // /(nintendo|playstation) ([wids345portablevuch]+)/i
    let console = [("nintendo ", 8), ("playstation ", 11)]
        .iter()
        .filter_map(|&(n, len)| {
            h.occurrences(n).find_map(|at| {
                let s = at + len + 1;
                let mut e = s;
                while h
                    .byte(e)
                    .is_some_and(|c| b"wids345portablevuch".contains(&c))
                {
                    e += 1;
                }
                (e > s).then_some((at, len, e))
            })
        });
    if let Some((at, len, e)) = console.min() {
        return Some(captured(
            h.slice(at, at + len),
            Some(h.slice(at + len + 1, e)),
        ));
    }
    // /(xbox); +xbox ([^\);]+)/i
    for at in h.occurrences("xbox;") {
        let mut s = at + 5;
        while h.byte(s) == Some(b' ') {
            s += 1;
        }
        if s > at + 5 && h.at(s, "xbox ") {
            let m = s + 5;
            let mut e = m;
            while h.byte(e).is_some_and(|c| c != b')' && c != b';') {
                e += 1;
            }
            if e > m {
                return Some(captured(h.slice(at, at + 4), Some(h.slice(m, e))));
            }
        }
    }
    palm(h).or_else(|| linux(h)).or_else(|| unix(h))
}

/// `/\b(joli|palm)\b ?(?:os)?\/?([\w\.]*)/i`
fn palm(h: Hay<'_>) -> Option<Named<'_>> {
    let found = ["joli", "palm"].iter().filter_map(|n| {
        h.occurrences(n).find(|&at| {
            (at == 0 || !h.byte(at - 1).is_some_and(is_word))
                && !h.byte(at + 4).is_some_and(is_word)
        })
    });
    let at = found.min()?;
    let mut s = h.skip_one(at + 4, b" ");
    if h.at(s, "os") {
        s += 2;
    }
    Some(captured(
        h.slice(at, at + 4),
        Some(h.run(h.skip_one(s, b"/"), b"")),
    ))
}

/// Mint, Mageia/VectorLinux, the distro list, Hurd/Linux, GNU, BSDs, Haiku.
fn linux(h: Hay<'_>) -> Option<Named<'_>> {
    if let Some(at) = h.find("mint") {
        let mut e = h.skip_one(at + 4, b"/() ");
        let s = e;
        while h.byte(e).is_some_and(is_word) {
            e += 1;
        }
        return Some(captured(h.slice(at, at + 4), Some(h.slice(s, e))));
    }
    let mageia = ["mageia", "vectorlinux"].iter().filter_map(|n| {
        h.occurrences(n)
            .find(|&at| matches!(h.byte(at + n.len()), Some(b';' | b' ')))
            .map(|at| (at, n.len()))
    });
    if let Some((at, len)) = mageia.min() {
        return Some(captured(h.slice(at, at + len), None));
    }
    if let Some(n) = distro(h) {
        return Some(n);
    }
    let hurd = ["hurd", "linux"]
        .iter()
        .filter_map(|n| h.find(n).map(|at| (at, n.len())))
        .min();
    if let Some((at, len)) = hurd {
        return Some(captured(
            h.slice(at, at + len),
            Some(h.run(h.skip_one(at + len, b" "), b"")),
        ));
    }
    if let Some(at) = h.find("gnu") {
        return Some(captured(
            h.slice(at, at + 3),
            Some(h.run(h.skip_one(at + 3, b" "), b"")),
        ));
    }
    bsd(h).or_else(|| {
        let at = h
            .occurrences("haiku ")
            .find(|&at| h.byte(at + 6).is_some_and(is_word))?;
        Some(captured(h.slice(at, at + 5), Some(h.run(at + 6, b""))))
    })
}

/// The distribution regex: leftmost name wins (longest at equal start),
/// spelled as in the UA; the version follows unless it is "Chromium"/"package".
fn distro(h: Hay<'_>) -> Option<Named<'_>> {
    const NAMES: [&str; 27] = [
        "kubuntu",
        "xubuntu",
        "lubuntu",
        "nubuntu",
        "ubuntu",
        "debian",
        "opensuse",
        "suse",
        "gentoo",
        "arch linux",
        "slackware",
        "fedora",
        "mandriva",
        "centos",
        "pclinuxos",
        "red hat",
        "redhat",
        "zenwalk",
        "linpus",
        "raspbian",
        "plan 9",
        "minix",
        "risc os",
        "contiki",
        "deepin",
        "manjaro",
        "elementary os",
    ];
    const MORE: [&str; 2] = ["sabayon", "linspire"];
    let (at, len) = NAMES
        .iter()
        .chain(MORE.iter())
        .filter_map(|n| h.find(n).map(|at| (at, n.len())))
        .min_by_key(|&(at, len)| (at, usize::MAX - len))?;
    // "arch" is a distro only before " linux", and the name is just "Arch".
    let name_len = if h.at(at, "arch linux") { 4 } else { len };
    // `(?: gnu\/linux)?(?: enterprise)?(?:[- ]linux)?(?:-gnu)?[-\/ ]?`, then
    // `(?!chrom|package)([-\w\.]*)`. Each optional part is tried taken
    // first, as a backtracking engine does, until the look-ahead passes;
    // mask bit set = part skipped, most significant = first part.
    const PARTS: [&[&str]; 5] = [
        &[" gnu/linux"],
        &[" enterprise"],
        &[" linux", "-linux"],
        &["-gnu"],
        &["-", "/", " "],
    ];
    let start = at + name_len;
    let version = (0u32..32).find_map(|mask| {
        let mut p = start;
        for (i, alts) in PARTS.iter().enumerate() {
            if mask & (1 << (4 - i)) == 0 {
                let len = alts.iter().find(|a| h.at(p, a))?.len();
                p += len;
            }
        }
        (!h.at(p, "chrom") && !h.at(p, "package")).then(|| h.run(p, b"-"))
    });
    Some(captured(h.slice(at, at + name_len), version))
}

/// `/\b([-frentopcghs]{0,5}bsd|dragonfly)[\/ ]?(?!amd|[ix346]{1,2}86)([\w\.]*)/i`
fn bsd(h: Hay<'_>) -> Option<Named<'_>> {
    // `\b` is a word/non-word transition; the name may start with '-'.
    let word = |i: usize| h.byte(i).is_some_and(is_word);
    let boundary = |i: usize| (i > 0 && word(i - 1)) != word(i);
    let bsd = h.occurrences("bsd").find_map(|b| {
        (0..=5.min(b))
            .rev()
            .find(|&k| {
                (b - k..b).all(|i| h.byte(i).is_some_and(|c| b"-frentopcghs".contains(&c)))
                    && boundary(b - k)
            })
            .map(|k| (b - k, b + 3))
    });
    let dragonfly = h
        .occurrences("dragonfly")
        .find(|&at| boundary(at))
        .map(|at| (at, at + 9));
    let (at, end) = [bsd, dragonfly].into_iter().flatten().min()?;
    let v = h.skip_one(end, b"/ ");
    let arch = h.at(v, "amd") || {
        let k = (v..v + 2)
            .take_while(|&i| h.byte(i).is_some_and(|c| b"ix346".contains(&c)))
            .count();
        (1..=k).any(|n| h.at(v + n, "86"))
    };
    Some(captured(
        h.slice(at, end),
        Some(if arch { "" } else { h.run(v, b"") }),
    ))
}

/// SunOS/Solaris, AIX, BeOS & co, Unix.
fn unix(h: Hay<'_>) -> Option<Named<'_>> {
    if let Some(at) = h.find("sunos") {
        return Some(fixed("Solaris", Some(h.run(h.skip_one(at + 5, b" "), b""))));
    }
    for (n, len) in [("opensolaris", 11), ("solaris", 7)] {
        if let Some(at) = h.find(n) {
            return Some(captured(
                h.slice(at, at + len),
                Some(h.run(h.skip_one(at + len, b"-/ "), b"")),
            ));
        }
    }
    if let Some(at) = h.find("aix ") {
        return Some(captured(h.slice(at, at + 3), None));
    }
    const OTHERS: [&str; 8] = [
        "beos",
        "os/2",
        "amigaos",
        "morphos",
        "openvms",
        "fuchsia",
        "hp-ux",
        "serenityos",
    ];
    let other = OTHERS
        .iter()
        .filter_map(|n| {
            h.occurrences(n)
                .find(|&at| at == 0 || !h.byte(at - 1).is_some_and(is_word))
                .map(|at| (at, n.len()))
        })
        .min();
    if let Some((at, len)) = other {
        return Some(captured(h.slice(at, at + len), None));
    }
    let at = h.find("unix")?;
    Some(captured(
        h.slice(at, at + 4),
        Some(h.run(h.skip_one(at + 4, b" "), b"")),
    ))
}
