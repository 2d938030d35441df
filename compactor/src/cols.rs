//! Column positions in the enriched file schema, looked up by name once.

use std::sync::OnceLock;

/// Index of a column of [`shared::schema::file_schema`]; panics on a name that is not in the
/// schema, which only a typo in this crate can cause (and every test would hit).
pub fn index(name: &str) -> usize {
    static NAMES: OnceLock<Vec<String>> = OnceLock::new();
    let names = NAMES.get_or_init(|| {
        shared::schema::file_schema()
            .fields()
            .iter()
            .map(|f| f.name().clone())
            .collect()
    });
    names
        .iter()
        .position(|n| n == name)
        .unwrap_or_else(|| panic!("column {name} is not in the enriched schema"))
}
