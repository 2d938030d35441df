//! Device type and vendor, named like ua-parser-js 1.0.37.
//!
//! uap-core has no notion of device *type*, and its brands disagree with
//! ua-parser-js on exactly the models that matter (it calls `SM-X200` a
//! generic tablet, `RMX2185` an Oppo, and Xiaomi's numeric models generic),
//! so mapping uap brands cannot reproduce what ownstats stored. Instead the
//! device table of ua-parser-js 1.0.37 (MIT, (c) Faisal Salman) is ported
//! here, in order, and compiled with ua-parser's own prefiltered regex set
//! (`ua_parser::device::Builder`), so no extra dependency is needed and
//! the first-match semantics are the same as in JavaScript.
//!
//! JavaScript regex features Rust's engine lacks are rewritten, keeping
//! the JS outcome: positive look-aheads are consumed (only the vendor is
//! needed, not the match span); negative ones become equivalent "what
//! follows is not X" patterns (`NOT_DS`, `NOT_MOBILE`, `NOT_LG_WORDS`) or
//! are dropped where both readings give the same vendor and type; the one
//! back-reference (Xiaomi Hongmi) is checked in code; `\b` is made ASCII
//! like in JS. On 194,042 UAs (isbot's fixtures) type and vendor match
//! ua-parser-js 1.0.37 on every one.

use std::borrow::Cow;

use ua_parser::device::{Builder, Extractor, Flag, Parser};

use super::scan::{is_word, Hay};
use super::DeviceType;

/// `(?!.+d\/s)` -- "no `d/s` after at least one more character".
const NOT_DS: &str = r"(?:$|.(?:[^d]|d(?:d|/d)*(?:[^d/]|/[^sd]))*(?:d(?:d|/d)*/?)?$)";
/// `(?!.+mobile)` -- same construction for "mobile".
const NOT_MOBILE: &str = r"(?:$|.(?:[^m]|m(?:m|om|obm|obim|obilm)*(?:[^mo]|o[^mb]|ob[^mi]|obi[^ml]|obil[^me]))*(?:m(?:m|om|obm|obim|obilm)*(?:o|ob|obi|obil)?)?$)";

/// `(?!browser|netcast|android tv)\w+`: a word that does not start with
/// one of those, spelled out letter by letter.
const NOT_LG_WORDS: &str = concat!(
    r"(?:[^bna\W]",
    r"|b(?:$|[^r]|r(?:$|[^o]|o(?:$|[^w]|w(?:$|[^s]|s(?:$|[^e]|e(?:$|[^r]))))))",
    r"|n(?:$|[^e]|e(?:$|[^t]|t(?:$|[^c]|c(?:$|[^a]|a(?:$|[^s]|s(?:$|[^t]))))))",
    r"|a(?:$|[^n]|n(?:$|[^d]|d(?:$|[^r]|r(?:$|[^o]|o(?:$|[^i]|i(?:$|[^d]|d(?:$|[^ ]| (?:$|[^t]|t(?:$|[^v]))))))))))",
);

/// The table, in ua-parser-js order: `(type, vendor, regex)`, all regexes
/// case-insensitive. The vendor may be a `$n` template because ua-parser-js
/// then keeps the UA's own spelling; `{NAME}` placeholders are replaced by
/// the constants above. One rule per line: it reads as a table.
#[rustfmt::skip]
const RULES: &[(&str, &str, &str)] = &[
    // Samsung
    ("tablet", "Samsung", r"\b(sch-i[89]0\d|shw-m380s|sm-[ptx]\w{2,4}|gt-[pn]\d{2,4}|sgh-t8[56]9|nexus 10)"),
    ("mobile", "Samsung", r"\b((?:s[cgp]h|gt|sm)-\w+|sc[g-]?[\d]+a?|galaxy nexus)"),
    ("mobile", "Samsung", r"samsung[- ]([-\w]+)"),
    ("mobile", "Samsung", r"sec-(sgh\w+)"),
    // Apple
    ("mobile", "Apple", r"(?:\/|\()(ip(?:hone|od)[\w, ]*)(?:\/|;)"),
    ("tablet", "Apple", r"\((ipad);[-\w\),; ]+apple"),
    ("tablet", "Apple", r"applecoremedia\/[\w\.]+ \((ipad)"),
    ("tablet", "Apple", r"\b(ipad)\d\d?,\d\d?[;\]].+ios"),
    ("none", "Apple", r"(macintosh);"),
    // Sharp, Huawei
    ("mobile", "Sharp", r"\b(sh-?[altvz]?\d\d[a-ekm]?)"),
    ("tablet", "Huawei", r"\b((?:ag[rs][23]?|bah2?|sht?|btv)-a?[lw]\d{2})\b{NOT_DS}"),
    ("mobile", "Huawei", r"(?:huawei|honor)([-\w ]+)[;\)]"),
    ("mobile", "Huawei", r"\b(nexus 6p|\w{2,4}e?-[atu]?[ln][\dx][012359c][adn]?)\b{NOT_DS}"),
    // Xiaomi
    ("mobile", "Xiaomi", r"\b(poco[\w ]+|m2\d{3}j\d\d[a-z]{2})(?: bui|\))"),
    // `\b; (\w+) build\/hm\1` needs a back-reference: checked in code.
    ("hongmi", "Xiaomi", r"\b; (\w+) build\/hm"),
    ("mobile", "Xiaomi", r"\b(hm[-_ ]?note?[_ ]?(?:\d\w)?) bui"),
    ("mobile", "Xiaomi", r"\b(redmi[\-_ ]?(?:note|k)?[\w_ ]+)(?: bui|\))"),
    ("mobile", "Xiaomi", r"oid[^\)]+; (m?[12][0-389][01]\w{3,6}[c-y])( bui|; wv|\))"),
    ("mobile", "Xiaomi", r"\b(mi[-_ ]?(?:a\d|one|one[_ ]plus|note lte|max|cc)?[_ ]?(?:\d?\w?)[_ ]?(?:plus|se|lite)?)(?: bui|\))"),
    ("tablet", "Xiaomi", r"oid[^\)]+; (2\d{4}(283|rpbf)[cgl])( bui|\))"),
    ("tablet", "Xiaomi", r"\b(mi[-_ ]?(?:pad)(?:[\w_ ]+))(?: bui|\))"),
    // OPPO, Vivo, Realme
    ("mobile", "OPPO", r"; (\w+) bui.+ oppo"),
    ("mobile", "OPPO", r"\b(cph[12]\d{3}|p(?:af|c[al]|d\w|e[ar])[mt]\d0|x9007|a101op)\b"),
    ("mobile", "Vivo", r"vivo (\w+)(?: bui|\))"),
    ("mobile", "Vivo", r"\b(v[12]\d{3}\w?[at])(?: bui|;)"),
    ("mobile", "Realme", r"\b(rmx[1-3]\d{3})(?: bui|;|\))"),
    // Motorola
    ("mobile", "Motorola", r"\b(milestone|droid(?:[2-4x]| (?:bionic|x2|pro|razr))?:?( 4g)?)\b[\w ]+build\/"),
    ("mobile", "Motorola", r"\bmot(?:orola)?[- ](\w*)"),
    ("mobile", "Motorola", r"((?:moto[\w\(\) ]+|xt\d{3,4}|nexus 6)(?: bui|\)))"),
    ("tablet", "Motorola", r"\b(mz60\d|xoom[2 ]{0,2}) build\/"),
    // LG
    ("tablet", "LG", r"([vl]k\-?\d{3}) bui| 3\.[-\w; ]{10}lg?-([06cv9]{3,4})"),
    ("mobile", "LG", r"(lm(?:-?f100[nv]?|-[\w\.]+)(?: bui|\))|nexus [45])"),
    ("mobile", "LG", r"\blg[-e;\/ ]+{NOT_LG_WORDS}"),
    ("mobile", "LG", r"\blg-?([\d\w]+) bui"),
    // Lenovo, Nokia, Google, Sony, OnePlus
    ("tablet", "Lenovo", r"(ideatab[-\w ]+)"),
    ("tablet", "Lenovo", r"lenovo ?(s[56]000[-\w]+|tab(?:[\w ]+)|yt[-\d\w]{6}|tb[-\d\w]{6})"),
    ("mobile", "Nokia", r"(?:maemo|nokia).*(n900|lumia \d+)"),
    ("mobile", "Nokia", r"nokia[-_ ]?([-\w\.]*)"),
    ("tablet", "Google", r"(pixel c)\b"),
    ("mobile", "Google", r"droid.+; (pixel[\daxl ]{0,6})(?: bui|\))"),
    ("mobile", "Sony", r"droid.+ (a?\d[0-2]{2}so|[c-g]\d{4}|so[-gl]\w+|xq-a\w[4-7][12])(?: bui|\).+chrome\/(?:[07-9]\d|\d{3}|[^\d]|$))"),
    ("tablet", "Sony", r"sony tablet [ps]"),
    ("tablet", "Sony", r"\b(?:sony)?sgp\w+(?: bui|\))"),
    ("mobile", "OnePlus", r" (kb2005|in20[12]5|be20[12][59])\b"),
    ("mobile", "OnePlus", r"(?:one)?(?:plus)? (a\d0\d\d)(?: b|\))"),
    // Amazon, BlackBerry, Asus, HTC
    ("tablet", "Amazon", r"(alexa)webm"),
    ("tablet", "Amazon", r"(kf[a-z]{2}wi|aeo[c-r]{2})( bui|\))"),
    ("tablet", "Amazon", r"(kf[a-z]+)( bui|\)).+silk\/"),
    ("mobile", "Amazon", r"((?:sd|kf)[0349hijorstuw]+)( bui|\)).+silk\/"),
    ("tablet", "$2", r"(playbook);[-\w\),; ]+(rim)"),
    ("mobile", "BlackBerry", r"\b((?:bb[a-f]|st[hv])100-\d)"),
    ("mobile", "BlackBerry", r"\(bb10; (\w+)"),
    ("tablet", "ASUS", r"(?:\b|asus_)(transfo[prime ]{4,10} \w+|eeepc|slider \w+|nexus 7|padfone|p00[cj])"),
    ("mobile", "ASUS", r" (z[bes]6[027][012][km][ls]|zenfone \d\w?)\b"),
    ("tablet", "HTC", r"(nexus 9)"),
    ("mobile", "$1", r"(htc)[-;_ ]{1,2}(?:[\w ]+(?:\)| bui)|\w+)"),
    ("mobile", "$1", r"(zte)[- ]([\w ]+?)(?: bui|\/|\))"),
    ("mobile", "$1$2$3", r"(alcatel|geeksphone|nexian)[-_ ]?[-\w]*|(panasonic)(?:[^;.]|$)|(sony)(?:[^-]|$|-(?:[^b]|$|b(?:[^r]|$|r(?:[^a]|$))))"),
    ("tablet", "Acer", r"droid.+; ([ab][1-7]-?[0178a]\d\d?)"),
    ("mobile", "Meizu", r"droid.+; (m[1-5] note) bui"),
    ("mobile", "Meizu", r"\bmz-([-\w]{2,})"),
    ("mobile", "Ulefone", r"; ((?:power )?armor(?:[\w ]{0,8}))(?: bui|\))"),
    // Mixed vendors, type mobile, vendor as spelled in the UA
    ("mobile", "$1$2", r"(blackberry|benq|sonyericsson|acer|asus|dell|meizu|motorola|polytron|infinix|tecno)[-_ ]?[-\w]*|(palm)-"),
    ("mobile", "$1", r"(hp) ([\w ]+\w)"),
    ("mobile", "$1", r"(asus)-?(\w+)"),
    ("mobile", "$1", r"(microsoft); (lumia[\w ]+)"),
    ("mobile", "$1", r"(lenovo)[-_ ]?([-\w]+)"),
    ("mobile", "$1", r"(jolla)"),
    ("mobile", "$1", r"(oppo) ?([\w ]+) bui"),
    // Mixed vendors, type tablet
    ("tablet", "$1", r"(kobo)\s(ereader|touch)"),
    ("tablet", "$1", r"(archos) (gamepad2?)"),
    ("tablet", "$1", r"(hp).+(touchpad|tablet)"),
    ("tablet", "$1", r"(kindle)\/([\w\.]+)"),
    ("tablet", "$1", r"(nook)[\w ]+build\/(\w+)"),
    ("tablet", "$1", r"(dell) (strea[kpr\d ]*[\dko])"),
    ("tablet", "$1", r"(le[- ]+pan)[- ]+(\w{1,9}) bui"),
    ("tablet", "$1", r"(trinity)[- ]*(t\d{3}) bui"),
    ("tablet", "$1", r"(gigaset)[- ]+(q\w{1,9}) bui"),
    ("tablet", "$1", r"(vodafone) ([\w ]+)(?:\)| bui)"),
    ("tablet", "Microsoft", r"(surface duo)"),
    ("mobile", "Fairphone", r"droid [\d\.]+; (fp\du?)(?: b|\))"),
    ("mobile", "AT&T", r"(u304aa)"),
    ("mobile", "Siemens", r"\bsie-(\w*)"),
    ("tablet", "RCA", r"\b(rct\w+) b"),
    ("tablet", "Dell", r"\b(venue[\d ]{2,7}) b"),
    ("tablet", "Verizon", r"\b(q(?:mv|ta)\w+) b"),
    ("tablet", "Barnes & Noble", r"\b(?:barnes[& ]+noble |bn[rt])([\w\+ ]*) b"),
    ("tablet", "NuVision", r"\b(tm\d{3}\w+) b"),
    ("tablet", "ZTE", r"\b(k88) b"),
    ("mobile", "ZTE", r"\b(nx\d{3}j) b"),
    ("mobile", "Swiss", r"\b(gen\d{3}) b.+49h"),
    ("tablet", "Swiss", r"\b(zur\d{3}) b"),
    ("tablet", "Zeki", r"\b((zeki)?tb.*\b) b"),
    ("tablet", "Dragon Touch", r"\b([yr]\d{2}) b"),
    ("tablet", "Dragon Touch", r"\b(dragon[- ]+touch |dt)(\w{5}) b"),
    ("tablet", "Insignia", r"\b(ns-?\w{0,9}) b"),
    ("tablet", "NextBook", r"\b((nxa|next)-?\w{0,9}) b"),
    ("mobile", "Voice", r"\b(xtreme_)?(v(1[045]|2[015]|[3469]0|7[05])) b"),
    ("mobile", "LvTel", r"\b(lvtel\-)?(v1[12]) b"),
    ("mobile", "Essential", r"\b(ph-1) "),
    ("tablet", "Envizen", r"\b(v(100md|700na|7011|917g).*\b) b"),
    ("tablet", "MachSpeed", r"\b(trio[-\w\. ]+) b"),
    ("tablet", "Rotor", r"\btu_(1491) b"),
    ("tablet", "Nvidia", r"(shield[\w ]+) b"),
    ("mobile", "$1", r"(sprint) (\w+)"),
    ("mobile", "Microsoft", r"(kin\.[onetw]{3})"),
    ("tablet", "Zebra", r"droid.+; (cc6666?|et5[16]|mc[239][23]x?|vc8[03]x?)\)"),
    ("mobile", "Zebra", r"droid.+; (ec30|ps20|tc[2-8]\d[kx])\)"),
    // Smart TVs
    ("smarttv", "$1", r"smart-tv.+(samsung)"),
    ("smarttv", "Samsung", r"hbbtv.+maple;(\d+)"),
    ("smarttv", "LG", r"(nux; netcast.+smarttv|lg (netcast\.tv-201\d|android tv))"),
    ("smarttv", "$1", r"(apple) ?tv"),
    ("smarttv", "Google", r"crkey"),
    ("smarttv", "Amazon", r"droid.+aft(\w+)( bui|\))"),
    ("smarttv", "Sharp", r"\(dtv[\);].+(aquos)"),
    ("smarttv", "Sharp", r"(aquos-tv[\w ]+)\)"),
    ("smarttv", "Sony", r"(bravia[\w ]+)( bui|\))"),
    ("smarttv", "Xiaomi", r"(mitv-\w{5}) bui"),
    ("smarttv", "$1", r"hbbtv.*(technisat) (.*);"),
    // ua-parser-js trims only leading blanks here; `|` shields the
    // trailing ones from ua-parser's template trimming (removed later).
    ("smarttv", "$1|", r"\b(roku)[\dx]*[\)\/]((?:dvp-)?[\d\.]*)"),
    ("smarttv", "$1|", r"hbbtv\/\d+\.\d+\.\d+ +\([\w\+ ]*; *([\w\d][^;]*);([^;]*)"),
    ("smarttv", "", r"\b(android tv|smart[- ]?tv|opera tv|tv; rv:)\b"),
    // Consoles (`xbox(?!; xbox)`: both readings give Microsoft/console)
    ("console", "$1", r"(ouya)"),
    ("console", "$1", r"(nintendo) ([wids3utch]+)"),
    ("console", "Nvidia", r"droid.+; (shield) bui"),
    ("console", "Sony", r"(playstation [345portablevi]+)"),
    ("console", "Microsoft", r"\b(xbox(?: one)?)[\); ]"),
    // Wearables, embedded
    ("wearable", "$1", r"((pebble))app"),
    ("wearable", "Apple", r"(watch)(?: ?os[,\/]|\d,\d\/)[\d\.]+"),
    ("wearable", "Google", r"droid.+; (glass) \d"),
    ("wearable", "Zebra", r"droid.+; (wt63?0{2,3})\)"),
    ("wearable", "Facebook", r"(quest( 2| pro)?)"),
    ("embedded", "$1", r"(tesla)(?: qtcarbrowser|\/[-\w\.]+)"),
    ("embedded", "Amazon", r"(aeobc)\b"),
    // Generic Android phones/tablets, then bare hints
    ("mobile", "", r"droid .+?; ([^;]+?)(?: bui|; wv\)|\) applew).+? mobile safari"),
    ("tablet", "", r"droid .+?; ([^;]+?)(?: bui|\) applew).+? safari"),
    ("tablet", "", r"\b(?:(?:tablet|tab)[;\/]|focus\/\d{NOT_MOBILE})"),
    ("mobile", "", r"(phone|mobile(?:[;\/]| [ \w\/\.]*safari)|pda.+windows ce)"),
    ("none", "Generic", r"(android[-\w\. ]{0,9});.+buil"),
];

/// The compiled table, plus the rules after the Hongmi one for when its
/// back-reference does not hold (a regex would then try the next rule).
pub(super) struct Devices {
    all: Extractor<'static>,
    after_hongmi: Extractor<'static>,
}

/// Compiles the table once (cheap compared with the uap-core set).
pub(super) fn build() -> Result<Devices, ua_parser::Error> {
    let split = RULES
        .iter()
        .position(|r| r.0 == "hongmi")
        .map_or(RULES.len(), |i| i + 1);
    Ok(Devices {
        all: compile(RULES)?,
        after_hongmi: compile(&RULES[split..])?,
    })
}

fn compile(
    rules: &[(&'static str, &'static str, &'static str)],
) -> Result<Extractor<'static>, ua_parser::Error> {
    let mut builder = Builder::new();
    for &(kind, vendor, regex) in rules {
        // JavaScript's `\b` is ASCII-only; Rust's default is Unicode, which
        // would see no boundary between "L29" and a following "é".
        let regex = regex
            .replace("{NOT_DS}", NOT_DS)
            .replace("{NOT_MOBILE}", NOT_MOBILE)
            .replace("{NOT_LG_WORDS}", NOT_LG_WORDS)
            .replace(r"\b", r"(?-u:\b)");
        builder = builder.push(Parser {
            regex: Cow::Owned(regex),
            regex_flag: Some(Flag::IgnoreCase),
            device_replacement: Some(Cow::Borrowed(kind)),
            brand_replacement: (!vendor.is_empty()).then_some(Cow::Borrowed(vendor)),
            // The model is not stored; a constant keeps templating off.
            model_replacement: Some(Cow::Borrowed("-")),
        })?;
    }
    Ok(builder.build()?)
}

/// `\b; (\w+) build\/hm\1` on the lowercased UA.
fn hongmi(h: Hay<'_>) -> bool {
    h.occurrences(" build/hm").any(|at| {
        let mut s = at;
        while s > 0 && h.byte(s - 1).is_some_and(is_word) {
            s -= 1;
        }
        let word = &h.lower[s..at];
        !word.is_empty()
            && h.before(s, "; ")
            && s >= 3
            && h.byte(s - 3).is_some_and(is_word)
            && h.at(at + 9, word)
    })
}

/// `(type, vendor)` as ua-parser-js's `getDevice()` would report them.
pub(super) fn device<'a>(devices: &'a Devices, h: Hay<'a>) -> (DeviceType, Option<Cow<'a, str>>) {
    let mut hit = devices.all.extract(h.ua);
    if hit.as_ref().is_some_and(|v| v.device == "hongmi") && !hongmi(h) {
        hit = devices.after_hongmi.extract(h.ua);
    }
    let Some(hit) = hit else {
        return (DeviceType::Desktop, None);
    };
    let kind = match hit.device.as_ref() {
        "mobile" | "hongmi" => DeviceType::Mobile,
        "tablet" => DeviceType::Tablet,
        "smarttv" => DeviceType::SmartTV,
        "console" => DeviceType::Console,
        "wearable" => DeviceType::Wearable,
        "embedded" => DeviceType::Embedded,
        _ => DeviceType::Desktop,
    };
    let vendor = hit.brand.map(|b| match b {
        Cow::Borrowed(s) => Cow::Borrowed(s.strip_suffix('|').unwrap_or(s)),
        Cow::Owned(s) => Cow::Owned(s.strip_suffix('|').map(str::to_owned).unwrap_or(s)),
    });
    (kind, vendor)
}
