//! Browser naming, exactly as ua-parser-js 1.0.37 names browsers.
//!
//! ua-parser-js evaluates an ordered list of patterns and the first match
//! wins; ownstats stored whatever that produced, including its quirks
//! (Chrome on Android is "Chrome", Samsung's browser "Samsung Internet",
//! an iOS app webview "WebKit" with the WebKit build as version). The list
//! is reproduced (ported from ua-parser-js 1.0.37, MIT, (c) Faisal Salman)
//! as token scans over a lowercased copy of the UA:
//!
//! 1. [`js_rules::first`]: Chrome iOS, Edge, Opera, Baidu, IE and the
//!    Vivaldi/Brave/Silk/... group, ranked first by ua-parser-js;
//! 2. [`js_named::named`]: the other named browsers and in-app webviews;
//! 3. [`js_tail::tail`]: the generic tail that names the engine token left
//!    (Chrome WebView, Android Browser, Chrome, Safari, WebKit, Firefox...).
//!
//! Why not rename uap-core's families instead (the first design): uap
//! orders its rules differently, so on UAs carrying two browser tokens it
//! picks the other one (WeChat vs QQBrowser, IE vs Sogou, GSA vs Chrome
//! WebView...). On 36,487 UAs from the isbot crate's fixtures that cost 13
//! browser names; following ua-parser-js's order, the final rules match
//! ua-parser-js 1.0.37 on all 194,042 fixture UAs, versions included.
//! Versions are the raw token ua-parser-js reads ("107.0.0.0", "13.26.1"),
//! which uap splits into parts and sometimes truncates.

use std::borrow::Cow;

use super::js_named;
use super::js_rules;
use super::js_tail;
use super::scan::Hay;

/// (name, version) as ua-parser-js would report them.
pub(super) type Named<'a> = (Cow<'a, str>, Option<Cow<'a, str>>);

/// A constant name with a version read from the UA.
pub(super) fn fixed<'a>(name: &'static str, version: Option<&'a str>) -> Named<'a> {
    (
        Cow::Borrowed(name),
        version.filter(|v| !v.is_empty()).map(Cow::Borrowed),
    )
}

/// A name ua-parser-js copies from the UA, so it keeps the UA's spelling.
pub(super) fn captured<'a>(name: &'a str, version: Option<&'a str>) -> Named<'a> {
    (
        Cow::Borrowed(name),
        version.filter(|v| !v.is_empty()).map(Cow::Borrowed),
    )
}

/// Browser name and version for the UA in `h`.
pub(super) fn browser(h: Hay<'_>) -> Option<Named<'_>> {
    js_rules::first(h)
        .or_else(|| js_named::named(h))
        .or_else(|| js_tail::tail(h))
}
