//! `overview_1h` / `overview_1d` inputs: each pageview and event reduced to a
//! [`crate::core::overview::Hit`] with interned strings.

use super::{opt_f64, opt_str, overview_schema, View};
use crate::core::order::event_id_bits;
use crate::core::overview::{overview, Action, Commerce, Hit, Product, Row, NO_COMMERCE};
use crate::read::Interner;
use arrow_array::builder::{Float64Builder, Int64Builder, TimestampMillisecondBuilder};
use arrow_array::cast::AsArray;
use arrow_array::types::Int32Type;
use arrow_array::{Array, ArrayRef, RecordBatch};
use arrow_schema::ArrowError;
use std::sync::Arc;

/// Collects hits of one unit.
#[derive(Default)]
pub struct OverviewInput {
    hits: Vec<Hit>,
    commerce: Vec<Commerce>,
    products: Vec<Product>,
    clients: Interner,
    users: Interner,
    transactions: Interner,
    product_ids: Interner,
}

impl OverviewInput {
    /// Reserves room for `hits` more hits: the unit's row count is known from the file
    /// footers, and an exact reservation avoids the 3× peak of a doubling vector.
    pub fn reserve(&mut self, hits: usize) {
        self.hits.reserve_exact(hits);
    }

    /// Adds a batch of pageviews (`pageview = true`) or events.
    pub fn add(&mut self, batch: &RecordBatch, pageview: bool) {
        let v = View::new(batch);
        let ts = v.ts();
        let (event_id, visitor, client, user) = (
            v.str("event_id"),
            v.str("daily_visitor_id"),
            v.str("client_id"),
            v.str("user_id"),
        );
        let (action, tx) = (v.str("product_action"), v.str("transaction_id"));
        let money = [
            v.f64("transaction_revenue"),
            v.f64("transaction_tax"),
            v.f64("transaction_shipping"),
        ];
        let products = batch
            .column(crate::cols::index("products"))
            .as_list::<i32>();
        let items = products.values().as_struct();
        let ids = items.column_by_name("id").map(|c| c.as_string::<i32>());
        let qty = items
            .column_by_name("quantity")
            .map(|c| c.as_primitive::<Int32Type>());
        for i in 0..batch.num_rows() {
            // A pixel hit has no client id: the daily visitor stands in for the client.
            let client_key = opt_str(client, i).unwrap_or_else(|| visitor.value(i));
            let act = Action::parse(opt_str(action, i));
            let start = self.products.len() as u32;
            if act != Action::Other && !products.is_null(i) {
                let offs = products.value_offsets();
                for j in offs[i] as usize..offs[i + 1] as usize {
                    let id = ids
                        .and_then(|a| opt_str(a, j))
                        .map(|s| self.product_ids.intern(&s.trim().to_uppercase()));
                    let quantity = qty
                        .filter(|q| !q.is_null(j))
                        .map_or(0, |q| i64::from(q.value(j)));
                    self.products.push(Product { id, quantity });
                }
            }
            let transaction = opt_str(tx, i)
                .map(|t| t.trim().to_uppercase())
                .filter(|t| !t.is_empty())
                .map(|t| self.transactions.intern(&t));
            let products = start..self.products.len() as u32;
            let commerce = if act == Action::Other && transaction.is_none() {
                NO_COMMERCE
            } else {
                self.commerce.push(Commerce {
                    transaction,
                    money: money.map(|a| opt_f64(a, i).unwrap_or(0.0)),
                    products,
                });
                self.commerce.len() as u32 - 1
            };
            self.hits.push(Hit {
                ts: ts.value(i),
                tie: event_id_bits(event_id.value(i)),
                client: self.clients.intern(client_key),
                user: opt_str(user, i).map(|u| self.users.intern(u)),
                pageview,
                action: act,
                commerce,
            });
        }
    }

    /// The hourly and daily batches (`None` for a day without hits).
    pub fn finish(
        self,
        day_start_ms: i64,
    ) -> Result<Option<(RecordBatch, RecordBatch)>, ArrowError> {
        let (hourly, daily) = overview(self.hits, &self.commerce, &self.products, day_start_ms);
        match daily {
            None => Ok(None),
            Some(d) => Ok(Some((rows_batch(&hourly)?, rows_batch(&[d])?))),
        }
    }
}

fn rows_batch(rows: &[Row]) -> Result<RecordBatch, ArrowError> {
    let n = rows.len();
    let mut ts = TimestampMillisecondBuilder::with_capacity(n).with_timezone("UTC");
    let mut ints: Vec<Int64Builder> = (0..16).map(|_| Int64Builder::with_capacity(n)).collect();
    let mut money: Vec<Float64Builder> = (0..3).map(|_| Float64Builder::with_capacity(n)).collect();
    let mut tail: Vec<Int64Builder> = (0..2).map(|_| Int64Builder::with_capacity(n)).collect();
    for r in rows {
        ts.append_value(r.bucket_ms);
        let mut v = Vec::with_capacity(16);
        v.extend(r.active);
        v.extend(r.new);
        v.push(r.pageviews);
        for (sum, distinct) in r.products {
            v.push(sum);
            v.push(distinct);
        }
        v.push(r.transactions);
        for (b, x) in ints.iter_mut().zip(v) {
            b.append_value(x);
        }
        for (b, x) in money.iter_mut().zip(r.money) {
            b.append_value(x);
        }
        tail[0].append_value(r.purchased_items);
        tail[1].append_value(r.purchased_products);
    }
    let mut cols: Vec<ArrayRef> = vec![Arc::new(ts.finish())];
    cols.extend(ints.iter_mut().map(|b| Arc::new(b.finish()) as ArrayRef));
    cols.extend(money.iter_mut().map(|b| Arc::new(b.finish()) as ArrayRef));
    cols.extend(tail.iter_mut().map(|b| Arc::new(b.finish()) as ArrayRef));
    RecordBatch::try_new(overview_schema(), cols)
}
