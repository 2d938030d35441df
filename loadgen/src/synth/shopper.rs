//! Visits of the GA-style `/collect` client on a shop: pageviews plus an enhanced-e-commerce
//! funnel (list click → detail → add → checkout → purchase, occasionally remove). A few
//! purchases are sent twice (same transaction, same content, new hit id), as real
//! double-firing trackers do, so the compactor has to de-duplicate by transaction id.

use super::hit::{Ecommerce, HitBody, ProductAction};
use super::rng::Rng;
use super::session::{dwell, next_page, resume_gap, HitSink};
use super::sites::{PageKind, Site};

const SECOND: i64 = 1000;

/// What a shopping visit produced, for the summary.
#[derive(Debug, Default, Clone, Copy)]
pub struct ShopperOutcome {
    /// The visit pauses for more than 30 minutes.
    pub split: bool,
    /// The purchase was double-fired.
    pub duplicate_purchase: bool,
}

fn event(action: ProductAction, products: Vec<(u16, u16)>, position: u16) -> HitBody {
    HitBody::Ecommerce(Box::new(Ecommerce {
        action,
        products,
        position,
        transaction: None,
        duplicate: false,
    }))
}

/// Generates one `/collect` visit to a shop starting at `start_ms`.
pub fn collect_session(
    rng: &mut Rng,
    site: &Site,
    sink: &mut HitSink<'_>,
    start_ms: i64,
    duplicate_rate: f64,
) -> ShopperOutcome {
    let mut outcome = ShopperOutcome::default();
    let pages = rng.geometric(4.5).min(40);
    let resume_after =
        (pages >= 2 && rng.chance(0.06)).then(|| rng.below(u64::from(pages - 1)) as u32);
    outcome.split = resume_after.is_some();
    let mut cart: Vec<(u16, u16)> = Vec::new();
    let mut t = start_ms;
    let mut page = site.popularity.sample(rng) as u16;
    let mut prev = None;
    let mut forced: Option<u16> = None;
    let cart_page = site.find(PageKind::Cart);
    for i in 0..pages {
        if i > 0 {
            prev = Some(page);
            page = match (forced.take(), cart_page) {
                (Some(p), _) => p,
                (None, Some(c)) if !cart.is_empty() && rng.chance(0.15) => c,
                _ => next_page(rng, site, page),
            };
        }
        let landing = i == 0;
        sink.push(rng, t, page, prev, landing, HitBody::CollectPageview);
        let mut stay = dwell(rng);
        let kind = site.pages.get(usize::from(page)).map(|p| p.kind);
        match kind {
            Some(PageKind::Category) if !site.products.is_empty() && rng.chance(0.5) => {
                let product = site.product_popularity.sample(rng) as u16;
                let at = t + rng.between(2 * SECOND, stay.max(3 * SECOND));
                let position = 1 + rng.below(24) as u16;
                sink.push(
                    rng,
                    at,
                    page,
                    prev,
                    landing,
                    event(ProductAction::Click, vec![(product, 1)], position),
                );
                forced = site.product_page(product);
                stay = stay.max(at - t + 500);
            }
            Some(PageKind::Product(product)) => {
                let at = t + rng.between(200, 1500);
                sink.push(
                    rng,
                    at,
                    page,
                    prev,
                    landing,
                    event(ProductAction::Detail, vec![(product, 1)], 1),
                );
                if rng.chance(0.1) {
                    let qty = if rng.chance(0.85) {
                        1
                    } else {
                        rng.between(2, 3) as u16
                    };
                    let at = t + rng.between(3 * SECOND, stay.max(4 * SECOND));
                    sink.push(
                        rng,
                        at,
                        page,
                        prev,
                        landing,
                        event(ProductAction::Add, vec![(product, qty)], 1),
                    );
                    cart.push((product, qty));
                    stay = stay.max(at - t + 500);
                }
            }
            Some(PageKind::Cart) if !cart.is_empty() && rng.chance(0.15) => {
                let item = cart.remove(rng.index(cart.len()));
                let at = t + rng.between(SECOND, stay);
                sink.push(
                    rng,
                    at,
                    page,
                    prev,
                    landing,
                    event(ProductAction::Remove, vec![item], 1),
                );
            }
            _ => {}
        }
        t += stay;
        if resume_after == Some(i) {
            t += resume_gap(rng);
        }
    }
    if !cart.is_empty() && rng.chance(0.28) {
        let checkout = site.find(PageKind::Checkout).unwrap_or(page);
        sink.push(
            rng,
            t,
            checkout,
            Some(page),
            false,
            HitBody::CollectPageview,
        );
        t += rng.between(20 * SECOND, 180 * SECOND);
        let purchase = Ecommerce {
            action: ProductAction::Purchase,
            products: cart,
            position: 1,
            transaction: Some(rng.next_u64()),
            duplicate: false,
        };
        let double = rng.chance(duplicate_rate);
        if double {
            // Same content and client time; only the hit id and the arrival differ.
            let mut again = purchase.clone();
            again.duplicate = true;
            sink.push(
                rng,
                t,
                checkout,
                Some(page),
                false,
                HitBody::Ecommerce(Box::new(again)),
            );
            if let Some(h) = sink.out.last_mut() {
                h.arrival_ms += rng.between(100, 5 * SECOND);
            }
            outcome.duplicate_purchase = true;
        }
        sink.push(
            rng,
            t,
            checkout,
            Some(page),
            false,
            HitBody::Ecommerce(Box::new(purchase)),
        );
    }
    outcome
}

#[cfg(test)]
mod tests {
    use super::super::hit::Session;
    use super::super::regions::edge_table;
    use super::super::sites::build_sites;
    use super::super::visitors::VisitorFactory;
    use super::*;
    use std::collections::HashMap;
    use std::rc::Rc;

    #[test]
    fn funnel_and_double_fired_purchases() {
        let mut rng = Rng::new(12);
        let sites = build_sites(&mut rng, 1);
        let mut visitors = VisitorFactory::new(&edge_table());
        let mut hits = Vec::new();
        let mut dups = 0;
        for _ in 0..4000 {
            let session = Rc::new(Session {
                site: 0,
                visitor: visitors.visitor_for_session(&mut rng, 14),
                referrer: None,
                utm: None,
            });
            let mut sink = HitSink {
                out: &mut hits,
                session: &session,
            };
            dups += usize::from(
                collect_session(&mut rng, &sites[0], &mut sink, 0, 0.05).duplicate_purchase,
            );
        }
        let mut by_action: HashMap<&str, usize> = HashMap::new();
        let mut tx: HashMap<u64, Vec<&Ecommerce>> = HashMap::new();
        for h in &hits {
            if let HitBody::Ecommerce(e) = &h.body {
                *by_action.entry(e.action.as_str()).or_default() += 1;
                if let Some(t) = e.transaction {
                    tx.entry(t).or_default().push(e);
                }
            }
        }
        assert!(
            by_action["detail"] > by_action["add"] && by_action["add"] > by_action["purchase"],
            "{by_action:?}"
        );
        assert!(
            by_action["click"] > 0 && by_action["remove"] > 0,
            "{by_action:?}"
        );
        assert!(dups > 0);
        let doubled: Vec<_> = tx.values().filter(|v| v.len() == 2).collect();
        assert_eq!(doubled.len(), dups);
        for pair in doubled {
            assert_eq!(pair[0].products, pair[1].products);
            assert_ne!(pair[0].duplicate, pair[1].duplicate);
        }
    }
}
