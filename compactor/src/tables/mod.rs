//! The analytics tables: their schemas, and the accumulators fed with the sorted, de-duplicated
//! rows of a unit.

pub mod events;
pub mod overview;
pub mod pageviews;

use arrow_array::cast::AsArray;
use arrow_array::types::{Float64Type, TimestampMillisecondType};
use arrow_array::{Array, RecordBatch, StringArray};
use arrow_schema::{DataType, Field, Schema, SchemaRef, TimeUnit};
use std::sync::Arc;

/// Table names, in the order the docs list them.
pub const TABLES: [&str; 6] = [
    "compacted",
    "sessions",
    "stats",
    "events",
    "overview_1h",
    "overview_1d",
];

pub(crate) fn ts_type() -> DataType {
    DataType::Timestamp(TimeUnit::Millisecond, Some("UTC".into()))
}

fn schema(fields: Vec<Field>) -> SchemaRef {
    Arc::new(Schema::new(fields))
}

/// `sessions` file schema (partitions `domain_name`, `event_date` in the path).
pub fn sessions_schema() -> SchemaRef {
    let s = |n: &str| Field::new(n, DataType::Utf8, true);
    schema(vec![
        Field::new("session_id", DataType::Utf8, false),
        Field::new("daily_visitor_id", DataType::Utf8, false),
        Field::new("session_start", ts_type(), false),
        Field::new("session_end", ts_type(), false),
        Field::new("visit_duration_sec", DataType::Int64, false),
        Field::new("pageviews", DataType::Int32, false),
        Field::new("is_bounce", DataType::Boolean, false),
        s("landing_page"),
        s("exit_page"),
        Field::new("landing_page_view_id", DataType::Utf8, false),
        s("referrer_domain_name"),
    ])
}

/// `stats` file schema (partitions `domain_name`, `event_date`).
pub fn stats_schema() -> SchemaRef {
    let s = |n: &str| Field::new(n, DataType::Utf8, true);
    let f = |n: &str| Field::new(n, DataType::Float64, true);
    let i = |n: &str| Field::new(n, DataType::Int32, false);
    schema(vec![
        i("event_hour"),
        s("edge_city"),
        s("edge_country"),
        f("edge_latitude"),
        f("edge_longitude"),
        s("referrer_domain_name"),
        s("browser_name"),
        s("browser_os_name"),
        s("device_type"),
        s("device_vendor"),
        s("utm_source"),
        s("utm_campaign"),
        s("utm_medium"),
        s("utm_content"),
        s("utm_term"),
        s("request_path"),
        i("page_views_cnt"),
        i("visitor_cnt"),
        i("bounce_cnt"),
        Field::new("visit_duration_sec_sum", DataType::Int64, false),
        i("visit_duration_sec_avg"),
    ])
}

/// `events` file schema (partitions `domain_name`, `event_date`, `event_name`).
pub fn events_schema() -> SchemaRef {
    let s = |n: &str| Field::new(n, DataType::Utf8, true);
    let f = |n: &str| Field::new(n, DataType::Float64, true);
    schema(vec![
        Field::new("event_timestamp", ts_type(), false),
        s("edge_city"),
        s("edge_country"),
        f("edge_latitude"),
        f("edge_longitude"),
        s("request_path"),
        Field::new("page_view_id", DataType::Utf8, false),
        Field::new("daily_visitor_id", DataType::Utf8, false),
        s("event_data"),
        Field::new("event_id", DataType::Utf8, false),
    ])
}

/// Columns of the enriched file copied into `events`, in [`events_schema`] order.
pub const EVENTS_SOURCE_COLUMNS: [&str; 10] = [
    "event_timestamp",
    "edge_city",
    "edge_country",
    "edge_latitude",
    "edge_longitude",
    "request_path",
    "page_view_id",
    "daily_visitor_id",
    "event_data",
    "event_id",
];

/// `overview_1h` / `overview_1d` file schema (partitions `domain_name`, `event_date`).
pub fn overview_schema() -> SchemaRef {
    let i = |n: &str| Field::new(n, DataType::Int64, false);
    let f = |n: &str| Field::new(n, DataType::Float64, false);
    schema(vec![
        Field::new("timestamp", ts_type(), false),
        i("count_active_sessions"),
        i("count_active_users"),
        i("count_active_clients"),
        i("count_new_sessions"),
        i("count_new_users"),
        i("count_new_clients"),
        i("pageviews"),
        i("sum_of_product_clicks"),
        i("product_clicks"),
        i("sum_of_product_details"),
        i("product_details"),
        i("sum_of_add_to_cart"),
        i("add_to_cart"),
        i("sum_of_remove_from_cart"),
        i("remove_from_cart"),
        i("transactions"),
        f("transaction_revenue"),
        f("transaction_tax"),
        f("transaction_shipping"),
        i("purchased_items"),
        i("purchased_products"),
    ])
}

/// Typed access to the columns of an enriched batch.
pub(crate) struct View<'a> {
    batch: &'a RecordBatch,
}

impl<'a> View<'a> {
    pub(crate) fn new(batch: &'a RecordBatch) -> Self {
        View { batch }
    }

    pub(crate) fn str(&self, name: &str) -> &'a StringArray {
        self.batch
            .column(crate::cols::index(name))
            .as_string::<i32>()
    }

    pub(crate) fn f64(&self, name: &str) -> &'a arrow_array::Float64Array {
        self.batch
            .column(crate::cols::index(name))
            .as_primitive::<Float64Type>()
    }

    pub(crate) fn ts(&self) -> &'a arrow_array::TimestampMillisecondArray {
        self.batch
            .column(crate::cols::index("event_timestamp"))
            .as_primitive::<TimestampMillisecondType>()
    }
}

/// The value at `i`, `None` when null.
pub(crate) fn opt_str(a: &StringArray, i: usize) -> Option<&str> {
    (!a.is_null(i)).then(|| a.value(i))
}

/// The value at `i`, `None` when null.
pub(crate) fn opt_f64(a: &arrow_array::Float64Array, i: usize) -> Option<f64> {
    (!a.is_null(i)).then(|| a.value(i))
}
