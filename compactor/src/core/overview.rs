//! paas' `overview_1h` / `overview_1d` (seeds-spec B.3) over one domain-day of pageviews and
//! events. Sessions are keyed by the client (GA `cid`, else the daily visitor id for pixel
//! hits) with the same gap rule as everywhere else (> 1800 s; paas used `>=`); a purchase sent
//! twice counts once (the earliest hit per transaction id is kept, as paas' `logs` does).
//! Buckets exist only when they hold at least one hit.

use super::sessions::Sessionizer;
use rustc_hash::FxHashSet;

/// The product action of a hit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// No product action, or one we do not count (checkout, refund…).
    Other,
    /// `click`.
    Click,
    /// `detail`.
    Detail,
    /// `add`.
    Add,
    /// `remove`.
    Remove,
    /// `purchase`.
    Purchase,
}

impl Action {
    /// From the enriched `product_action` (already lower-cased and trimmed).
    pub fn parse(s: Option<&str>) -> Action {
        match s {
            Some("click") => Action::Click,
            Some("detail") => Action::Detail,
            Some("add") => Action::Add,
            Some("remove") => Action::Remove,
            Some("purchase") => Action::Purchase,
            _ => Action::Other,
        }
    }
}

/// One product of a hit: interned upper-cased product id and quantity.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Product {
    /// Interned product id; `None` without an id.
    pub id: Option<u32>,
    /// Quantity (0 when absent).
    pub quantity: i64,
}

/// One pageview or event, reduced to what the overview needs. Strings are interned by the
/// caller (any consistent numbering). 48 bytes: a busy domain-day holds millions of these, so
/// the rarer e-commerce fields live in a side table ([`Commerce`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Hit {
    /// event_timestamp, epoch ms.
    pub ts: i64,
    /// Tie-break among equal timestamps (the event id bits).
    pub tie: u128,
    /// Client key: client_id, else daily_visitor_id.
    pub client: u32,
    /// user_id.
    pub user: Option<u32>,
    /// event_type = pageview.
    pub pageview: bool,
    /// Product action.
    pub action: Action,
    /// Index into the commerce slice given to [`overview`], or [`NO_COMMERCE`].
    pub commerce: u32,
}

/// [`Hit::commerce`] of a hit without product action and transaction.
pub const NO_COMMERCE: u32 = u32::MAX;

/// The e-commerce fields of a hit.
#[derive(Debug, Clone, PartialEq)]
pub struct Commerce {
    /// Interned upper(trim(transaction_id)) when non-empty.
    pub transaction: Option<u32>,
    /// transaction_revenue / tax / shipping, 0 when null.
    pub money: [f64; 3],
    /// Range into the products slice given to [`overview`].
    pub products: std::ops::Range<u32>,
}

/// One row of `overview_1h` / `overview_1d`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Row {
    /// Bucket start, epoch ms.
    pub bucket_ms: i64,
    /// count_active_sessions, users, clients.
    pub active: [i64; 3],
    /// count_new_sessions, users, clients.
    pub new: [i64; 3],
    /// Pageviews.
    pub pageviews: i64,
    /// (sum_of_X, distinct (session, product)) for click, detail, add, remove.
    pub products: [(i64, i64); 4],
    /// Distinct transactions.
    pub transactions: i64,
    /// Σ revenue, tax, shipping.
    pub money: [f64; 3],
    /// Σ quantity of purchased products.
    pub purchased_items: i64,
    /// Distinct purchased product ids.
    pub purchased_products: i64,
}

#[derive(Default)]
struct Acc {
    row: Row,
    active: [FxHashSet<u32>; 3],
    products: [FxHashSet<(u32, u32)>; 4],
    transactions: FxHashSet<u32>,
    purchased: FxHashSet<u32>,
}

/// Computes the hourly rows and the daily row (`None` for a day without hits).
pub fn overview(
    mut hits: Vec<Hit>,
    commerce: &[Commerce],
    products: &[Product],
    day_start_ms: i64,
) -> (Vec<Row>, Option<Row>) {
    hits.sort_unstable_by_key(|h| (h.ts, h.tie));
    let mut seen_tx = FxHashSet::default();
    let no_commerce = Commerce {
        transaction: None,
        money: [0.0; 3],
        products: 0..0,
    };
    let commerce_of = |h: &Hit| commerce.get(h.commerce as usize).unwrap_or(&no_commerce);
    hits.retain(|h| match (h.action, commerce_of(h).transaction) {
        (Action::Purchase, Some(t)) => seen_tx.insert(t),
        _ => true,
    });
    let mut hours: Vec<Acc> = (0..24).map(|_| Acc::default()).collect();
    let mut day = Acc::default();
    let mut sessions = Sessionizer::default();
    let mut new_users = FxHashSet::default();
    let mut new_clients = FxHashSet::default();
    for (i, h) in hits.iter().enumerate() {
        let (session, new_session) = sessions.push(&h.client, h.ts, i as u64);
        let news = [
            new_session,
            h.user.is_some_and(|u| new_users.insert(u)),
            new_clients.insert(h.client),
        ];
        let hour = ((h.ts - day_start_ms).div_euclid(3_600_000)).clamp(0, 23) as usize;
        for acc in [&mut hours[hour], &mut day] {
            add(acc, h, commerce_of(h), session, news, products);
        }
    }
    let rows = hours
        .into_iter()
        .enumerate()
        .filter(|(_, a)| !a.active[0].is_empty())
        .map(|(hour, a)| finish(a, day_start_ms + hour as i64 * 3_600_000))
        .collect();
    let daily = (!hits.is_empty()).then(|| finish(day, day_start_ms));
    (rows, daily)
}

fn add(acc: &mut Acc, h: &Hit, c: &Commerce, session: u32, news: [bool; 3], products: &[Product]) {
    acc.active[0].insert(session);
    if let Some(u) = h.user {
        acc.active[1].insert(u);
    }
    acc.active[2].insert(h.client);
    for (n, is_new) in acc.row.new.iter_mut().zip(news) {
        *n += i64::from(is_new);
    }
    acc.row.pageviews += i64::from(h.pageview);
    let slot = match h.action {
        Action::Click => Some(0),
        Action::Detail => Some(1),
        Action::Add => Some(2),
        Action::Remove => Some(3),
        Action::Purchase | Action::Other => None,
    };
    let items = &products[c.products.start as usize..c.products.end as usize];
    if let Some(slot) = slot {
        for p in items {
            acc.row.products[slot].0 += 1;
            if let Some(id) = p.id {
                acc.products[slot].insert((session, id));
            }
        }
    }
    if h.action == Action::Purchase {
        if let Some(t) = c.transaction {
            acc.transactions.insert(t);
            for (sum, v) in acc.row.money.iter_mut().zip(c.money) {
                *sum += v;
            }
        }
        for p in items {
            acc.row.purchased_items += p.quantity;
            if let Some(id) = p.id {
                acc.purchased.insert(id);
            }
        }
    }
}

fn finish(acc: Acc, bucket_ms: i64) -> Row {
    let mut row = acc.row;
    row.bucket_ms = bucket_ms;
    for (n, set) in row.active.iter_mut().zip(&acc.active) {
        *n = set.len() as i64;
    }
    for (p, set) in row.products.iter_mut().zip(&acc.products) {
        p.1 = set.len() as i64;
    }
    row.transactions = acc.transactions.len() as i64;
    row.purchased_products = acc.purchased.len() as i64;
    row
}

#[cfg(test)]
mod tests {
    use super::*;

    const H: i64 = 3_600_000;

    fn hit(ts: i64, client: u32) -> Hit {
        Hit {
            ts,
            tie: ts as u128,
            client,
            user: None,
            pageview: true,
            action: Action::Other,
            commerce: NO_COMMERCE,
        }
    }

    #[test]
    fn a_hit_is_48_bytes() {
        assert_eq!(std::mem::size_of::<Hit>(), 48);
    }

    #[test]
    fn empty_day_has_no_rows() {
        assert_eq!(overview(vec![], &[], &[], 0), (vec![], None));
    }

    #[test]
    fn new_versus_active_and_hourly_sums() {
        // Client 1: 00:50 and 01:10 (one session across the hour), client 2 at 01:20 and
        // again at 03:00 (a second session), user 7 on both clients.
        let mut hits = vec![
            hit(50 * 60_000, 1),
            hit(70 * 60_000, 1),
            hit(80 * 60_000, 2),
            hit(3 * H, 2),
        ];
        hits[0].user = Some(7);
        hits[2].user = Some(7);
        let (hourly, daily) = overview(hits, &[], &[], 0);
        let summary: Vec<_> = hourly
            .iter()
            .map(|r| (r.bucket_ms / H, r.active, r.new))
            .collect();
        assert_eq!(
            summary,
            vec![
                (0, [1, 1, 1], [1, 1, 1]),
                (1, [2, 1, 2], [1, 0, 1]),
                (3, [1, 0, 1], [1, 0, 0]),
            ]
        );
        let daily = daily.unwrap();
        assert_eq!(
            (daily.active, daily.new, daily.pageviews),
            ([3, 1, 2], [3, 1, 2], 4)
        );
        for k in 0..3 {
            assert_eq!(
                hourly.iter().map(|r| r.new[k]).sum::<i64>(),
                daily.active[k]
            );
        }
    }

    #[test]
    fn purchase_sent_twice_counts_once_and_products() {
        let products = [
            Product {
                id: Some(1),
                quantity: 2,
            },
            Product {
                id: Some(2),
                quantity: 1,
            },
            Product {
                id: Some(1),
                quantity: 2,
            },
            Product {
                id: Some(1),
                quantity: 0,
            },
        ];
        let mut buy = hit(10, 1);
        buy.pageview = false;
        buy.action = Action::Purchase;
        let commerce = [
            Commerce {
                transaction: Some(9),
                money: [100.0, 19.0, 5.0],
                products: 0..2,
            },
            Commerce {
                transaction: Some(9),
                money: [100.0, 19.0, 5.0],
                products: 2..3,
            },
            Commerce {
                transaction: None,
                money: [0.0; 3],
                products: 3..4,
            },
        ];
        buy.commerce = 0;
        let mut again = buy.clone();
        again.ts = 20;
        again.tie = 20;
        again.commerce = 1;
        let mut click = hit(5, 1);
        click.action = Action::Click;
        click.pageview = false;
        click.commerce = 2;
        let mut click2 = click.clone();
        click2.ts = 6;
        click2.tie = 6;
        let (_, daily) = overview(vec![again, buy, click, click2], &commerce, &products, 0);
        let d = daily.unwrap();
        assert_eq!(d.transactions, 1);
        assert_eq!(d.money, [100.0, 19.0, 5.0]);
        assert_eq!((d.purchased_items, d.purchased_products), (3, 2));
        assert_eq!(
            d.products[0],
            (2, 1),
            "two click rows, one (session, product)"
        );
        assert_eq!(d.pageviews, 0);
    }
}
