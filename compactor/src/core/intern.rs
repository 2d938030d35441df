//! String interning: dense ids in first-seen order.

use rustc_hash::FxHashMap;
use std::sync::Arc;

/// Interns strings to dense ids in first-seen order. Each distinct string is stored once (the
/// map and the id table share it), which matters for half a million 64-character visitor ids.
#[derive(Debug, Default)]
pub struct Interner {
    ids: FxHashMap<Arc<str>, u32>,
    strings: Vec<Arc<str>>,
}

impl Interner {
    /// The id of `s`.
    pub fn intern(&mut self, s: &str) -> u32 {
        if let Some(&id) = self.ids.get(s) {
            return id;
        }
        let id = self.strings.len() as u32;
        let b: Arc<str> = s.into();
        self.ids.insert(b.clone(), id);
        self.strings.push(b);
        id
    }

    /// The strings, by id.
    pub fn strings(&self) -> &[Arc<str>] {
        &self.strings
    }

    /// The string of an id.
    pub fn get(&self, id: u32) -> &str {
        &self.strings[id as usize]
    }
}
