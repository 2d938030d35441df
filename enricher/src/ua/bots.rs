//! Bot detection compatible with the npm `isbot@3` verdicts ownstats stored.
//!
//! The `isbot` crate (0.1) ships an older pattern list than npm `isbot@3.8`
//! and misses whole classes that npm flags (bare `name/version` agents such
//! as `Java-http-client/17`, "manager", "http" URLs...). So the crate's
//! matcher is fed npm isbot 3.8.0's own pattern list (The Unlicense). Five
//! npm patterns use look-around, which Rust's regex engine lacks; they are
//! checked by hand in [`lookaround_bot`]. uap-core's "Spider" device family
//! is OR-ed in by the caller: it adds crawlers neither list knows.

use std::panic::{catch_unwind, AssertUnwindSafe};

use super::scan::Hay;

/// npm isbot 3.8.0 `pattern`, one alternative per line, look-around
/// alternatives removed, `\d`/`\w` spelled as ASCII classes (JavaScript's
/// meaning; Rust's are Unicode-aware). Lines are used verbatim, leading and
/// trailing spaces included.
const NPM_ISBOT_3_PATTERNS: &str = r#"
 daum[ /]
 deusu/
 yadirectfetcher
(?:^| )site
(?:^|[^g])news
@[a-z]
\(at\)[a-z]
\(github\.com/
\[at\][a-z]
^12345
^<
^[[0-9a-z_] \.\-\(\)]+(/v?[0-9]+(\.[0-9]+)?(\.[0-9]{1,10})?)?$
^[^ ]{50,}$
^active
^ad muncher
^amaya
^anglesharp/
^anonymous
^avsdevicesdk/
^axios/
^bidtellect/
^biglotron
^btwebclient/
^castro
^clamav[ /]
^client/
^cobweb/
^coccoc
^custom
^ddg[_-]android
^discourse
^dispatch/[0-9]
^downcast/
^duckduckgo
^facebook
^fdm[ /][0-9]
^getright/
^gozilla/
^hatena
^hobbit
^hotzonu
^hwcdn/
^jeode/
^jetty/
^jigsaw
^linkdex
^lwp[-: ]
^metauri
^microsoft bits
^movabletype
^mozilla/[0-9]\.[0-9] \(compatible;?\)$
^mozilla/[0-9]\.[0-9] [0-9a-z_]*$
^navermailapp
^netsurf
^offline explorer
^php
^postman
^postrank
^python
^read
^reed
^restsharp/
^snapchat
^space bison
^svn
^swcd 
^taringa
^test certificate info
^thumbor/
^tumblr/
^user-agent:mozilla
^valid
^venus/fedoraplanet
^w3c
^webbandit/
^webcopier
^wget
^whatsapp
^xenu link sleuth
^yahoo
^yandex
^zdm/[0-9]
^zoom marketplace/
^\{\{.*\}\}$
adbeat\.com
appinsights
archive
ask jeeves/teoma
bit\.ly/
bluecoat drtr
browsex
burpcollaborator
capture
catch
check
chrome-lighthouse
chromeframe
cloud
crawl
cryptoapi
dareboost
datanyze
dataprovider
dejaclick
dmbrowser
download
evc-batch/
feed
firephp
freesafeip
gomezagent
headlesschrome/
httrack
hubspot marketing grader
hydra
ibisbrowser
images
inspect
iplabel
ips-agent
library
mail\.ru/
manager
monitor
morningscore/
neustar wpm
nutch
offbyone
optimize
pageburst
pagespeed
perl
phantom
pingdom
powermarks
preview
proxy
ptst[ /][0-9]
reader
rexx;
rigor
rss
scan
scrape
serp ?reputation ?management
server
sogou
sparkler/
speedcurve
spider
splash
statuscake
stumbleupon\.com
supercleaner
synapse
synthetic
torrent
tracemyfile
transcoder
trendsmapresolver
twingly recon
url
virtuoso
wappalyzer
webglance
webkit2png
websitemetadataretriever
whatcms/
wordpress
zgrab
"#;

/// Builds the matcher. `isbot::Bots::new` panics on an invalid pattern;
/// the list is constant and covered by tests, but a panic must not escape
/// a constructor that promises a `Result`.
pub(super) fn build() -> Option<isbot::Bots> {
    catch_unwind(AssertUnwindSafe(|| isbot::Bots::new(NPM_ISBOT_3_PATTERNS))).ok()
}

/// The npm patterns that need look-behind/look-ahead; `lower` is the
/// lowercased user agent.
pub(super) fn lookaround_bot(lower: &str) -> bool {
    let h = Hay::new(lower, lower);
    let before = |at: usize, s: &str| h.before(at, s);
    let after = |at: usize, s: &str| h.at(at, s);
    let occurrences = |needle: &'static str| h.occurrences(needle);
    // (?<! cu)bot
    occurrences("bot").any(|at| !before(at, " cu"))
        // (?<! (?:channel\/|google\/))google(?!(app|\/google| pixel))
        || occurrences("google").any(|at| {
            !before(at, " channel/")
                && !before(at, " google/")
                && !["app", "/google", " pixel"].iter().any(|s| after(at + 6, s))
        })
        // (?<!(?:lib))http
        || occurrences("http").any(|at| !before(at, "lib"))
        // java(?!;)
        || occurrences("java").any(|at| !after(at + 4, ";"))
        // (?<! ya(?:yandex)?)search
        || occurrences("search").any(|at| !before(at, " ya") && !before(at, " yayandex"))
}
