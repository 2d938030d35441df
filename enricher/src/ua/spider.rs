//! uap-core's crawler verdict (device family "Spider") without running its whole device list.
//!
//! uap-core names the device of a UA after the *first* of its ~630 device parsers that
//! matches, and a crawler is a UA whose first match is one of the parsers that replace the
//! device with "Spider". Running the full list on every UA-cache miss was the costliest part
//! of a miss (prefilter over all atoms, then candidate regexes until one matches; ~5 % of
//! enrich + encode on cf400k.log). The Spider parsers sit at the top of the list, plus one
//! generic bot pattern near the end, so the same verdict needs far less:
//!
//! - a leading Spider parser matches → Spider (nothing can come before it);
//! - no Spider parser matches and the UA does not contain the text "Spider" → not Spider
//!   (any other parser could only name the device "Spider" by capturing that text);
//! - otherwise (a later Spider parser matches, or the text is there) → the full list decides.

use super::UaError;
use ua_parser::device::{Builder, Extractor, Parser};

const SPIDER: &str = "Spider";

/// The verdict, equal to `full.extract(ua).device == "Spider"` for every input.
pub(super) struct UapSpider {
    /// The Spider parsers that open the list.
    leading: Extractor<'static>,
    /// The other Spider parsers.
    later: Extractor<'static>,
    /// The whole list, for the rare UAs the two above cannot decide.
    full: Extractor<'static>,
}

#[derive(serde::Deserialize)]
struct UapDevices {
    device_parsers: Vec<Parser<'static>>,
}

fn is_spider_parser(p: &Parser<'_>) -> bool {
    p.device_replacement.as_deref() == Some(SPIDER)
}

/// The device parsers of uap-core's JSON (parsers are not `Clone`, so each set is read anew).
fn parsers(json: &'static str) -> Result<Vec<Parser<'static>>, UaError> {
    Ok(serde_json::from_str::<UapDevices>(json)?.device_parsers)
}

fn build(
    parsers: impl IntoIterator<Item = Parser<'static>>,
) -> Result<Extractor<'static>, UaError> {
    Ok(parsers
        .into_iter()
        .try_fold(Builder::new(), |b, p| b.push(p))
        .map_err(ua_parser::Error::from)?
        .build()
        .map_err(ua_parser::Error::from)?)
}

impl UapSpider {
    /// Compiles the three sets from uap-core's regexes (JSON form).
    pub(super) fn new(json: &'static str) -> Result<Self, UaError> {
        let full = parsers(json)?;
        let lead = full.iter().take_while(|p| is_spider_parser(p)).count();
        Ok(UapSpider {
            leading: build(parsers(json)?.into_iter().take(lead))?,
            later: build(
                parsers(json)?
                    .into_iter()
                    .skip(lead)
                    .filter(is_spider_parser),
            )?,
            full: build(full)?,
        })
    }

    /// True when uap-core's device family for `ua` is "Spider".
    pub(super) fn is_spider(&self, ua: &str) -> bool {
        if self.leading.extract(ua).is_some() {
            return true;
        }
        if self.later.extract(ua).is_none() && !ua.contains(SPIDER) {
            return false;
        }
        self.full_verdict(ua)
    }

    /// The verdict of the whole list (what [`UapSpider::is_spider`] must always equal).
    pub(super) fn full_verdict(&self, ua: &str) -> bool {
        self.full.extract(ua).is_some_and(|d| d.device == SPIDER)
    }
}
