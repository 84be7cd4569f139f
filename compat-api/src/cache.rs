//! Responses cached against a generation counter.
//!
//! A service keeps a counter in its database that every write bumps in the
//! same transaction. A response computed after reading generation `g` is
//! valid as long as the counter still reads `g`; reading the counter is one
//! cheap query, so several API processes on one database stay coherent
//! without talking to each other.

use bytes::Bytes;
use std::collections::HashMap;
use std::sync::Mutex;

pub struct GenerationCache {
    entries: Mutex<HashMap<String, (i64, Bytes)>>,
    capacity: usize,
}

impl GenerationCache {
    pub fn new(capacity: usize) -> Self {
        GenerationCache {
            entries: Mutex::new(HashMap::new()),
            capacity,
        }
    }

    /// The response stored for `key` at `generation`, if any.
    pub fn get(&self, key: &str, generation: i64) -> Option<Bytes> {
        let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        match entries.get(key) {
            Some((g, body)) if *g == generation => Some(body.clone()),
            _ => None,
        }
    }

    /// Stores a response computed at `generation`. When full, everything is
    /// dropped: entries of older generations are worthless anyway. A cache
    /// of capacity 0 keeps nothing.
    pub fn put(&self, key: String, generation: i64, body: Bytes) {
        if self.capacity == 0 {
            return;
        }
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if entries.len() >= self.capacity && !entries.contains_key(&key) {
            entries.clear();
        }
        entries.insert(key, (generation, body));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hits_only_at_the_same_generation() {
        let cache = GenerationCache::new(2);
        cache.put("a".into(), 1, Bytes::from_static(b"x"));
        assert_eq!(cache.get("a", 1).as_deref(), Some(&b"x"[..]));
        assert!(cache.get("a", 2).is_none());
        cache.put("b".into(), 1, Bytes::new());
        cache.put("c".into(), 1, Bytes::new());
        assert!(cache.get("a", 1).is_none());
        assert!(cache.get("c", 1).is_some());
        let off = GenerationCache::new(0);
        off.put("a".into(), 1, Bytes::new());
        assert!(off.get("a", 1).is_none());
    }
}
