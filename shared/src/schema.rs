//! The one Arrow schema of the enriched record, defined here and nowhere else.
//!
//! Column order: the 48 ownstats `incoming_events` columns in Glue order (so a Glue/Athena table
//! written for ownstats reads our files), then our additions, then the three partition keys.
//! Partition keys live in the object path (Hive style), not in the file body, exactly as in
//! ownstats' cleaned bucket; [`file_schema`] is the schema of the Parquet files,
//! [`enriched_schema`] the logical table including the partition columns.

use arrow_schema::{DataType, Field, Fields, Schema, SchemaRef, TimeUnit};
use std::sync::{Arc, OnceLock};

/// Names of the three Hive partition columns, in path order.
pub const PARTITION_COLUMNS: [&str; 3] = ["domain_name", "event_type", "event_date"];

fn ts() -> DataType {
    DataType::Timestamp(TimeUnit::Millisecond, Some("UTC".into()))
}

/// The struct type of one element of the `products` list.
pub fn product_fields() -> Fields {
    Fields::from(vec![
        Field::new("id", DataType::Utf8, true),
        Field::new("name", DataType::Utf8, true),
        Field::new("brand", DataType::Utf8, true),
        Field::new("category", DataType::Utf8, true),
        Field::new("variant", DataType::Utf8, true),
        Field::new("price", DataType::Float64, true),
        Field::new("quantity", DataType::Int32, true),
        Field::new("position", DataType::Int32, true),
    ])
}

/// The list item field of `products`.
pub fn product_item_field() -> Arc<Field> {
    Arc::new(Field::new("item", DataType::Struct(product_fields()), true))
}

fn build_file_fields() -> Vec<Field> {
    use DataType::{Float64, Int32, Int64, Utf8};
    let s = |name: &str| Field::new(name, Utf8, true);
    vec![
        Field::new("event_year", Int32, false),
        Field::new("event_month", Int32, false),
        Field::new("event_day", Int32, false),
        Field::new("event_timestamp", ts(), false),
        Field::new("arrival_timestamp", ts(), false),
        Field::new("arrival_delay_ms", Int64, false),
        s("edge_city"),
        s("edge_state"),
        s("edge_country"),
        s("edge_country_code"),
        Field::new("edge_latitude", Float64, true),
        Field::new("edge_longitude", Float64, true),
        s("edge_id"),
        s("referrer"),
        Field::new("referrer_domain_name", Utf8, false),
        s("browser_name"),
        s("browser_version"),
        s("browser_os_name"),
        s("browser_os_version"),
        s("browser_timezone"),
        s("browser_language"),
        Field::new("device_type", Utf8, false),
        s("device_vendor"),
        s("device_outer_resolution"),
        s("device_inner_resolution"),
        Field::new("device_color_depth", Int32, true),
        s("device_platform"),
        Field::new("device_memory", Float64, true),
        Field::new("device_cores", Int32, true),
        s("utm_source"),
        s("utm_campaign"),
        s("utm_medium"),
        s("utm_content"),
        s("utm_term"),
        s("request_url"),
        s("request_path"),
        s("request_query_string"),
        Field::new("request_bytes", Int32, true),
        Field::new("request_status_code", Int32, true),
        s("request_cache_status"),
        Field::new("request_delivery_time_ms", Int32, true),
        Field::new("request_asn", Int64, true),
        Field::new("request_is_bot", Int32, false),
        s("event_name"),
        s("event_data"),
        Field::new("page_view_id", Utf8, false),
        Field::new("daily_page_view_id", Utf8, false),
        Field::new("daily_visitor_id", Utf8, false),
        // Our additions.
        Field::new("event_id", Utf8, false),
        Field::new("source", Utf8, false),
        s("client_id"),
        s("user_id"),
        s("product_action"),
        s("transaction_id"),
        Field::new("transaction_revenue", Float64, true),
        Field::new("transaction_tax", Float64, true),
        Field::new("transaction_shipping", Float64, true),
        s("currency_code"),
        Field::new("products", DataType::List(product_item_field()), true),
    ]
}

/// Schema of the enriched Parquet files (partition columns excluded).
pub fn file_schema() -> SchemaRef {
    static SCHEMA: OnceLock<SchemaRef> = OnceLock::new();
    SCHEMA
        .get_or_init(|| Arc::new(Schema::new(build_file_fields())))
        .clone()
}

/// The logical enriched table: [`file_schema`] plus the partition columns (as Athena, DuckDB or
/// pyarrow see it when reading with Hive partitioning).
pub fn enriched_schema() -> SchemaRef {
    static SCHEMA: OnceLock<SchemaRef> = OnceLock::new();
    SCHEMA
        .get_or_init(|| {
            let mut fields = build_file_fields();
            fields.extend(
                PARTITION_COLUMNS
                    .iter()
                    .map(|name| Field::new(*name, DataType::Utf8, false)),
            );
            Arc::new(Schema::new(fields))
        })
        .clone()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ownstats_columns_come_first_in_glue_order() {
        // seeds-spec A.8, in order.
        let glue = "event_year event_month event_day event_timestamp arrival_timestamp \
            arrival_delay_ms edge_city edge_state edge_country edge_country_code edge_latitude \
            edge_longitude edge_id referrer referrer_domain_name browser_name browser_version \
            browser_os_name browser_os_version browser_timezone browser_language device_type \
            device_vendor device_outer_resolution device_inner_resolution device_color_depth \
            device_platform device_memory device_cores utm_source utm_campaign utm_medium \
            utm_content utm_term request_url request_path request_query_string request_bytes \
            request_status_code request_cache_status request_delivery_time_ms request_asn \
            request_is_bot event_name event_data page_view_id daily_page_view_id daily_visitor_id";
        let names: Vec<_> = file_schema()
            .fields()
            .iter()
            .map(|f| f.name().clone())
            .collect();
        let glue: Vec<_> = glue.split_whitespace().collect();
        assert_eq!(glue.len(), 48);
        assert_eq!(&names[..48], &glue[..]);
        let all = enriched_schema();
        assert_eq!(all.fields().len(), file_schema().fields().len() + 3);
        for p in PARTITION_COLUMNS {
            assert!(all.field_with_name(p).is_ok());
            assert!(
                file_schema().field_with_name(p).is_err(),
                "{p} must stay in the path"
            );
        }
    }
}
