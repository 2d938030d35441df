//! The generator's intermediate form of a hit: compact references into the model plus times.
//! Encoders turn it into a CloudFront line or an envelope only when it leaves the reorder heap,
//! so the heap holds small structs rather than kilobyte strings.

use super::visitors::Visitor;
use std::rc::Rc;

/// UTM parameters of a landing URL, stored as they appear in `location.search` (already
/// percent-encoded once by whoever built the campaign link, e.g. `spring%20sale`).
#[derive(Debug, Clone, Copy)]
pub struct Utm {
    /// `utm_source`.
    pub source: &'static str,
    /// `utm_medium`.
    pub medium: &'static str,
    /// `utm_campaign`.
    pub campaign: &'static str,
    /// `utm_content`.
    pub content: Option<&'static str>,
    /// `utm_term`.
    pub term: Option<&'static str>,
}

/// One visit.
#[derive(Debug)]
pub struct Session {
    /// Index into the model's sites.
    pub site: u16,
    /// Who.
    pub visitor: Rc<Visitor>,
    /// External `document.referrer` of the landing page.
    pub referrer: Option<String>,
    /// Campaign parameters of the landing URL.
    pub utm: Option<Utm>,
}

/// Static assets the CDN serves besides the pixel (the enricher must drop them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Asset {
    /// `/go.js`, the loader.
    Loader,
    /// `/versions/hello-<sha>.js`, the tracker (index into the known builds).
    Tracker(u8),
}

/// GA enhanced-e-commerce product action (`pa`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProductAction {
    /// Product list click.
    Click,
    /// Product detail view.
    Detail,
    /// Add to cart.
    Add,
    /// Remove from cart.
    Remove,
    /// Purchase.
    Purchase,
}

impl ProductAction {
    /// The `pa` value.
    pub fn as_str(self) -> &'static str {
        match self {
            ProductAction::Click => "click",
            ProductAction::Detail => "detail",
            ProductAction::Add => "add",
            ProductAction::Remove => "remove",
            ProductAction::Purchase => "purchase",
        }
    }
}

/// An e-commerce event of a `/collect` session.
#[derive(Debug, Clone)]
pub struct Ecommerce {
    /// Action.
    pub action: ProductAction,
    /// `(product index, quantity)`.
    pub products: Vec<(u16, u16)>,
    /// Position in the product list (for clicks).
    pub position: u16,
    /// Transaction id for purchases.
    pub transaction: Option<u64>,
    /// True on the second send of a double-fired purchase.
    pub duplicate: bool,
}

/// What happened.
#[derive(Debug, Clone)]
pub enum HitBody {
    /// Tracker pageview (`t=pv`).
    Pageview {
        /// Second pageview of a pushState + hashchange pair (same `ts`).
        double_fired: bool,
    },
    /// Tracker event (`t=tr`).
    Track {
        /// `en`.
        name: &'static str,
        /// `pr` (JSON).
        props: &'static str,
    },
    /// A non-pixel CDN request.
    Asset(Asset),
    /// `/collect` pageview.
    CollectPageview,
    /// `/collect` e-commerce event.
    Ecommerce(Box<Ecommerce>),
}

/// One hit on its way to the output.
#[derive(Debug, Clone)]
pub struct Hit {
    /// When the collector / CloudFront received it (epoch ms); output order.
    pub arrival_ms: i64,
    /// When it really happened (epoch ms); the client reports this plus its clock skew.
    pub event_ms: i64,
    /// The visit.
    pub session: Rc<Session>,
    /// Current page (index into the site's pages).
    pub page: u16,
    /// Previous page of the visit, for `document.referrer` on multi-page sites.
    pub prev_page: Option<u16>,
    /// True for hits on the landing page (which carries the UTM parameters).
    pub landing: bool,
    /// What.
    pub body: HitBody,
}

impl Hit {
    /// The timestamp the client reports (`ts` / `tm`).
    pub fn client_ms(&self) -> i64 {
        self.event_ms + self.session.visitor.skew_ms
    }
}
