//! Optional domain allow-list: which `(hostname, domain key)` pairs may write data.
//!
//! File format, one entry per line (`#` comments): `hostname` (any key accepted) or
//! `hostname key` / `hostname,key` (the hit's `dk` must equal `key`, as in ownstats). Hostnames
//! compare case-insensitively (ownstats compared exactly, so `WWW.x.com` hits were lost).
//! Reloading is the adapter's job: it parses a new list and swaps it in.

use std::collections::HashMap;

/// Parsed allow-list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AllowList {
    /// hostname (lower-case) → accepted keys (`None` = any key).
    entries: HashMap<String, Option<Vec<String>>>,
}

/// Result of a check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// The hit may pass.
    Allowed,
    /// The hostname is not listed.
    UnknownDomain,
    /// Listed, but the key is missing or wrong.
    WrongKey,
}

impl AllowList {
    /// Parses the file format above.
    pub fn parse(text: &str) -> Result<AllowList, String> {
        let mut entries: HashMap<String, Option<Vec<String>>> = HashMap::new();
        for (n, line) in text.lines().enumerate() {
            let line = line.split('#').next().unwrap_or("").trim();
            if line.is_empty() {
                continue;
            }
            let mut parts = line.split([' ', '\t', ',']).filter(|p| !p.is_empty());
            let host = parts.next().unwrap_or("").to_ascii_lowercase();
            let key = parts.next().map(str::to_string);
            if parts.next().is_some() {
                return Err(format!(
                    "allow-list line {}: expected `hostname [key]`",
                    n + 1
                ));
            }
            match (entries.entry(host).or_insert_with(|| Some(Vec::new())), key) {
                (slot @ Some(_), None) => *slot = None,
                (Some(keys), Some(k)) => keys.push(k),
                (None, _) => {}
            }
        }
        Ok(AllowList { entries })
    }

    /// Number of hostnames.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when no hostname is listed (everything is rejected).
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Checks a hit's hostname and domain key.
    pub fn check(&self, host: &str, key: Option<&str>) -> Verdict {
        let found = if host.bytes().any(|b| b.is_ascii_uppercase()) {
            self.entries.get(&host.to_ascii_lowercase())
        } else {
            self.entries.get(host)
        };
        match found {
            None => Verdict::UnknownDomain,
            Some(None) => Verdict::Allowed,
            Some(Some(keys)) => match key {
                Some(k) if keys.iter().any(|x| x == k) => Verdict::Allowed,
                _ => Verdict::WrongKey,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table() {
        let list = AllowList::parse(
            "# sites\nmapthe.cloud k1\nmapthe.cloud,k2\nLocalHost\nopen.example  # any key\n",
        )
        .unwrap();
        let cases = [
            ("mapthe.cloud", Some("k1"), Verdict::Allowed),
            ("mapthe.cloud", Some("k2"), Verdict::Allowed),
            ("MAPTHE.cloud", Some("k2"), Verdict::Allowed),
            ("mapthe.cloud", Some("bad"), Verdict::WrongKey),
            ("mapthe.cloud", None, Verdict::WrongKey),
            ("localhost", None, Verdict::Allowed),
            ("open.example", Some("whatever"), Verdict::Allowed),
            ("evil.example", Some("k1"), Verdict::UnknownDomain),
        ];
        for (host, key, want) in cases {
            assert_eq!(list.check(host, key), want, "{host} {key:?}");
        }
        assert_eq!(list.len(), 3);
        assert!(AllowList::parse("a b c").is_err());
    }
}
