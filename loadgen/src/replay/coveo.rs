//! The Coveo "SIGIR eCom 2021" browsing log (`browsing_train.csv`) mapped to GA-style `/collect`
//! events: a session becomes a client id, a pageview a `pageview` hit, a product event the
//! matching enhanced-e-commerce action. Rows with an action we do not know still become a
//! generic event (and are counted), because a replay should show what the data holds rather
//! than stop half-way through 36 million rows.

use std::fmt::Write;

/// Columns, in file order.
pub const COLUMNS: [&str; 6] = [
    "session_id_hash",
    "event_type",
    "product_action",
    "product_sku_hash",
    "server_timestamp_epoch_ms",
    "hashed_url",
];

/// One valid row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row<'a> {
    /// Session (becomes `cid`).
    pub session: &'a str,
    /// `pageview` or `event_product`.
    pub event_type: &'a str,
    /// Product action, empty for pageviews.
    pub action: &'a str,
    /// Product SKU hash, may be empty.
    pub sku: &'a str,
    /// Server timestamp.
    pub ts_ms: i64,
    /// Hashed page URL, may be empty.
    pub url: &'a str,
}

/// Splits one CSV line into fields; double-quoted fields may contain commas and `""`.
fn fields(line: &str) -> Option<Vec<String>> {
    let mut out = Vec::with_capacity(COLUMNS.len());
    let mut field = String::new();
    let (mut quoted, mut at_start) = (false, true);
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        if quoted {
            match c {
                '"' if chars.peek() == Some(&'"') => {
                    chars.next();
                    field.push('"');
                }
                '"' => quoted = false,
                c => field.push(c),
            }
        } else {
            match c {
                ',' => {
                    out.push(std::mem::take(&mut field));
                    at_start = true;
                    continue;
                }
                '"' if at_start => quoted = true,
                '"' => return None,
                c => field.push(c),
            }
        }
        at_start = false;
    }
    if quoted {
        return None;
    }
    out.push(field);
    Some(out)
}

/// A parsed line: owned fields, borrowed by [`Row`].
#[derive(Debug)]
pub struct Line(Vec<String>);

/// What a line is.
#[derive(Debug, PartialEq, Eq)]
pub enum Parsed {
    /// The header row.
    Header,
    /// A row to replay.
    Row(Line),
}

/// Parses one line; `Err` says why it is malformed.
pub fn parse_line(line: &str) -> Result<Parsed, String> {
    let line = line.trim_end_matches(['\r', '\n']);
    let f = fields(line).ok_or("unbalanced quotes")?;
    if f.len() != COLUMNS.len() {
        return Err(format!("{} fields, expected {}", f.len(), COLUMNS.len()));
    }
    if f[0] == COLUMNS[0] {
        return Ok(Parsed::Header);
    }
    if f[0].trim().is_empty() {
        return Err("empty session_id_hash".into());
    }
    if f[4].trim().parse::<i64>().is_err() {
        return Err(format!(
            "server_timestamp_epoch_ms {:?} is not an integer",
            f[4]
        ));
    }
    Ok(Parsed::Row(Line(f)))
}

impl PartialEq for Line {
    fn eq(&self, other: &Line) -> bool {
        self.0 == other.0
    }
}
impl Eq for Line {}

impl Line {
    /// The typed view.
    pub fn row(&self) -> Row<'_> {
        let f = &self.0;
        Row {
            session: f[0].trim(),
            event_type: f[1].trim(),
            action: f[2].trim(),
            sku: f[3].trim(),
            ts_ms: f[4].trim().parse().unwrap_or(0),
            url: f[5].trim(),
        }
    }
}

/// What a row became.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `t=pageview`.
    Pageview,
    /// An e-commerce action (`pa`), one of [`ACTIONS`].
    Action(usize),
    /// A generic event for an unknown event type or action.
    Unknown,
}

/// The e-commerce actions of the data set, which are also GA's `pa` values.
pub const ACTIONS: [&str; 5] = ["detail", "add", "remove", "purchase", "click"];

/// Classifies a row.
pub fn kind(row: &Row<'_>) -> Kind {
    match row.event_type {
        "pageview" => Kind::Pageview,
        "event_product" => ACTIONS
            .iter()
            .position(|a| *a == row.action)
            .map_or(Kind::Unknown, Kind::Action),
        _ => Kind::Unknown,
    }
}

fn field(out: &mut String, k: &str, v: &str) {
    out.push_str(",\"");
    out.push_str(k);
    out.push_str("\":");
    // Hashes and our own strings; serde_json escapes anything unusual in the data.
    let _ = write!(out, "{}", serde_json::Value::from(v));
}

/// The GA-style JSON event for `row` sent at client time `tm`.
pub fn collect_json(row: &Row<'_>, kind: Kind, domain: &str, tm: i64, out: &mut String) {
    out.clear();
    out.push_str("{\"v\":\"1\"");
    field(out, "tid", domain);
    field(out, "cid", row.session);
    let t = if kind == Kind::Pageview {
        "pageview"
    } else {
        "event"
    };
    field(out, "t", t);
    let page = format!("https://{domain}/{}", row.url);
    field(out, "dl", &page);
    let _ = write!(out, ",\"tm\":{tm}");
    match kind {
        Kind::Pageview => {}
        Kind::Action(i) => {
            let action = ACTIONS[i];
            field(out, "ec", "ecommerce");
            field(out, "ea", action);
            field(out, "pa", action);
            if !row.sku.is_empty() {
                field(out, "pr1id", row.sku);
                field(out, "pr1qt", "1");
            }
            if action == "purchase" {
                // The data set has no order ids; session and time identify the purchase.
                field(out, "ti", &format!("{}-{}", row.session, row.ts_ms));
            }
        }
        Kind::Unknown => {
            field(out, "ec", row.event_type);
            field(
                out,
                "ea",
                if row.action.is_empty() {
                    row.event_type
                } else {
                    row.action
                },
            );
            if !row.sku.is_empty() {
                field(out, "pr1id", row.sku);
            }
        }
    }
    out.push('}');
}

/// A public-looking IPv4 address per session, so a per-IP limiter sees one client per session.
pub fn session_ip(session: &str) -> String {
    const FIRST: [u8; 12] = [31, 37, 46, 62, 77, 79, 81, 85, 89, 93, 178, 217];
    let h = session.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    let b = h.to_le_bytes();
    format!(
        "{}.{}.{}.{}",
        FIRST[usize::from(b[0]) % FIRST.len()],
        b[1],
        b[2],
        b[3].max(1)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(line: &str) -> Line {
        match parse_line(line).unwrap() {
            Parsed::Row(l) => l,
            Parsed::Header => panic!("header"),
        }
    }

    #[test]
    fn lines() {
        assert_eq!(parse_line(&COLUMNS.join(",")).unwrap(), Parsed::Header);
        let l = row("s1,pageview,,,1550885210881,u1\r\n");
        assert_eq!(kind(&l.row()), Kind::Pageview);
        assert_eq!(l.row().ts_ms, 1_550_885_210_881);
        let l = row("s1,event_product,add,sku9,1550885210881,");
        assert_eq!((kind(&l.row()), l.row().url), (Kind::Action(1), ""));
        let l = row("\"s,1\",event_product,\"wish\"\"list\",sku,1,u");
        assert_eq!(l.row().session, "s,1");
        assert_eq!(
            (kind(&l.row()), l.row().action),
            (Kind::Unknown, "wish\"list")
        );
        for bad in [
            "s1,pageview,,1550885210881,u1",
            "s1,pageview,,,abc,u1",
            ",pageview,,,1,u",
            "\"s1,pageview,,,1,u",
        ] {
            assert!(parse_line(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn json() {
        let mut out = String::new();
        let l = row("s1,event_product,purchase,sku9,1550885210881,u1");
        collect_json(&l.row(), kind(&l.row()), "shop.example", 42, &mut out);
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(v["t"], "event");
        assert_eq!(v["pa"], "purchase");
        assert_eq!(v["pr1id"], "sku9");
        assert_eq!(v["cid"], "s1");
        assert_eq!(v["tm"], 42);
        assert_eq!(v["dl"], "https://shop.example/u1");
        let l = row("s1,event_product,wishlist,,1,u1");
        collect_json(&l.row(), kind(&l.row()), "shop.example", 42, &mut out);
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(
            (v["t"].as_str(), v["ea"].as_str(), v.get("pa")),
            (Some("event"), Some("wishlist"), None)
        );
        assert_ne!(session_ip("a"), session_ip("b"));
        assert!(session_ip("a").parse::<std::net::Ipv4Addr>().is_ok());
    }
}
