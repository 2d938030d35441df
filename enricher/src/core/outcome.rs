//! The result of enriching one input.

use shared::record::EnrichedRecord;
use std::borrow::Cow;

/// Why an input did not become a record. Static text where possible (no allocation on the
/// common paths); a stable prefix per cause so dead letters can be grouped.
pub type Reason = Cow<'static, str>;

/// Outcome of one input.
///
/// The record is not boxed although it dwarfs the other variants: a box cost a `malloc` and a
/// `free` per line on the hot path, and every outcome is consumed right where it is made.
#[derive(Debug, Clone, PartialEq)]
#[allow(clippy::large_enum_variant)]
pub enum Outcome<'a> {
    /// A record for the enriched table.
    Ok(EnrichedRecord<'a>),
    /// Not analytics data (a script download, a non-allowed domain): counted, not kept.
    Dropped(Reason),
    /// Analytics data that could not be parsed: becomes a dead letter with this reason.
    Failed(Reason),
}

impl Outcome<'_> {
    /// `ok`, `dropped` or `failed` (metric label).
    pub fn kind(&self) -> &'static str {
        match self {
            Outcome::Ok(_) => "ok",
            Outcome::Dropped(_) => "dropped",
            Outcome::Failed(_) => "failed",
        }
    }
}

/// Shorthand used by the mappers: a parse error becomes `Failed`.
pub(crate) type MapResult<'a> = Result<Outcome<'a>, Reason>;

pub(crate) fn failed<T>(why: impl Into<Reason>) -> Result<T, Reason> {
    Err(why.into())
}
