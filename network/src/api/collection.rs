//! neutron's list conventions on rendered resources: filters on any
//! attribute (repeated keys are alternatives), tag filters, `fields`,
//! `sort_key`/`sort_dir`, and `limit`/`marker`/`page_reverse` pagination
//! with `<collection>_links`.

use crate::attrs::bool_of;
use compat_api::pagination::{next_link, previous_link};
use compat_api::query::Query;
use serde_json::{Map, Value};
use std::cmp::Ordering;

type Item = Map<String, Value>;

const RESERVED: &[&str] = &[
    "fields",
    "sort_key",
    "sort_dir",
    "limit",
    "marker",
    "page_reverse",
    "tags",
    "tags-any",
    "not-tags",
    "not-tags-any",
];

/// A parsed list query.
#[derive(Debug, Default)]
pub struct ListQuery {
    pub filters: Vec<(String, Vec<String>)>,
    tags: Vec<String>,
    tags_any: Vec<String>,
    not_tags: Vec<String>,
    not_tags_any: Vec<String>,
    pub fields: Vec<String>,
    pub sorts: Vec<(String, bool)>,
    pub limit: Option<usize>,
    pub marker: Option<String>,
    pub page_reverse: bool,
    pairs: Vec<(String, String)>,
}

#[derive(Debug)]
pub struct QueryError(pub String);

impl ListQuery {
    pub fn parse(q: Query, max_limit: i64) -> Result<ListQuery, QueryError> {
        let mut out = ListQuery::default();
        for (key, value) in &q.0 {
            if RESERVED.contains(&key.as_str()) {
                continue;
            }
            match out.filters.iter_mut().find(|(k, _)| k == key) {
                Some((_, values)) => values.push(value.clone()),
                None => out.filters.push((key.clone(), vec![value.clone()])),
            }
        }
        let split = |key: &str| -> Vec<String> {
            q.all(key)
                .iter()
                .flat_map(|v| v.split(','))
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect()
        };
        out.tags = split("tags");
        out.tags_any = split("tags-any");
        out.not_tags = split("not-tags");
        out.not_tags_any = split("not-tags-any");
        out.fields = split("fields");
        let keys = q.all("sort_key");
        let dirs = q.all("sort_dir");
        if !dirs.is_empty() && keys.len() != dirs.len() {
            return Err(QueryError(
                "The number of sort_keys and sort_dirs must be same".into(),
            ));
        }
        for (i, key) in keys.iter().enumerate() {
            let asc = match dirs.get(i).map(|d| d.to_ascii_lowercase()).as_deref() {
                None | Some("asc") => true,
                Some("desc") => false,
                Some(other) => {
                    return Err(QueryError(format!(
                    "{other} is an invalid value for sort_dir, valid values are 'asc' and 'desc'"
                )))
                }
            };
            out.sorts.push((key.clone(), asc));
        }
        if let Some(limit) = q.get("limit") {
            let n: i64 = limit.parse().map_err(|_| {
                QueryError(format!(
                    "Limit must be an integer 0 or greater and not '{limit}'"
                ))
            })?;
            if n < 0 {
                return Err(QueryError(format!(
                    "Limit must be an integer 0 or greater and not '{n}'"
                )));
            }
            let n = if max_limit > 0 && (n == 0 || n > max_limit) {
                max_limit
            } else {
                n
            };
            out.limit = (n > 0).then_some(n as usize);
        } else if max_limit > 0 {
            out.limit = Some(max_limit as usize);
        }
        out.marker = q.get("marker");
        out.page_reverse = q
            .get("page_reverse")
            .is_some_and(|v| bool_of(&Value::String(v)) == Some(true));
        out.pairs = q.0;
        Ok(out)
    }

    /// Neither filters nor custom sorting: the store can page by id.
    pub fn is_plain(&self) -> bool {
        self.filters.is_empty()
            && self.tags.is_empty()
            && self.tags_any.is_empty()
            && self.not_tags.is_empty()
            && self.not_tags_any.is_empty()
            && self.sorts.is_empty()
            && !self.page_reverse
    }

    /// Whether the list must be sorted and cut (else it goes out as the
    /// store gives it).
    pub fn needs_order(&self) -> bool {
        !self.sorts.is_empty() || self.limit.is_some() || self.page_reverse
    }

    pub fn matches(&self, item: &Item) -> bool {
        self.filters
            .iter()
            .all(|(key, values)| matches_filter(item, key, values))
            && self.matches_tags(item)
    }

    fn matches_tags(&self, item: &Item) -> bool {
        let tags: Vec<&str> = item
            .get("tags")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let has = |t: &String| tags.contains(&t.as_str());
        (self.tags.is_empty() || self.tags.iter().all(has))
            && (self.tags_any.is_empty() || self.tags_any.iter().any(has))
            && (self.not_tags.is_empty() || !self.not_tags.iter().all(has))
            && (self.not_tags_any.is_empty() || !self.not_tags_any.iter().any(has))
    }

    /// Sorts by the requested keys, then id; a key no item has is an error.
    pub fn sort(&self, items: &mut [Item]) -> Result<(), QueryError> {
        for (key, _) in &self.sorts {
            if items.iter().any(|i| !i.contains_key(key)) {
                return Err(QueryError(format!(
                    "'{key}' is an invalid attribute for sort_key"
                )));
            }
        }
        let mut keys = self.sorts.clone();
        if !keys.iter().any(|(k, _)| k == "id") {
            let asc = keys.first().is_none_or(|(_, a)| *a);
            keys.push(("id".into(), asc));
        }
        items.sort_by(|a, b| {
            for (key, asc) in &keys {
                let ord = compare(a.get(key), b.get(key));
                let ord = if *asc { ord } else { ord.reverse() };
                if ord != Ordering::Equal {
                    return ord;
                }
            }
            Ordering::Equal
        });
        Ok(())
    }

    /// The page after (or, reversed, before) the marker.
    pub fn paginate(&self, items: Vec<Item>) -> Vec<Item> {
        let Some(limit) = self.limit else {
            return items;
        };
        let position = self.marker.as_ref().and_then(|m| {
            items
                .iter()
                .position(|i| i.get("id").and_then(Value::as_str) == Some(m.as_str()))
        });
        if self.page_reverse {
            let end = position.unwrap_or(items.len());
            let start = end.saturating_sub(limit);
            return items.into_iter().skip(start).take(end - start).collect();
        }
        let start = position.map(|p| p + 1).unwrap_or(0);
        items.into_iter().skip(start).take(limit).collect()
    }

    /// `fields=` selection (everything when none is asked for).
    pub fn select(&self, item: Item) -> Item {
        if self.fields.is_empty() {
            return item;
        }
        item.into_iter()
            .filter(|(k, _)| self.fields.contains(k))
            .collect()
    }

    /// neutron's links: `next` unless a forward page came out short,
    /// `previous` unless a backward page did.
    pub fn links(&self, url: &str, page: &[Item]) -> Vec<Value> {
        let Some(limit) = self.limit else {
            return Vec::new();
        };
        let id = |i: Option<&Item>| {
            i.and_then(|i| i.get("id"))
                .and_then(Value::as_str)
                .map(str::to_owned)
        };
        let mut links = Vec::new();
        let (first, last) = (id(page.first()), id(page.last()));
        let short = page.len() < limit;
        if let Some(last) = last.filter(|_| !short || self.page_reverse) {
            links
                .push(serde_json::to_value(next_link(url, &self.pairs, &last)).unwrap_or_default());
        }
        if let Some(first) = first.filter(|_| !(short && self.page_reverse)) {
            links.push(
                serde_json::to_value(previous_link(url, &self.pairs, &first)).unwrap_or_default(),
            );
        }
        links
    }
}

/// Whether an item's attribute equals one of the filter values. Lists
/// match when one element does; `fixed_ips=ip_address=x` filters on a
/// field of the entries.
fn matches_filter(item: &Item, key: &str, values: &[String]) -> bool {
    let Some(actual) = item.get(key) else {
        // Unknown attributes are ignored, as neutron without filter-validation.
        return true;
    };
    values.iter().any(|v| value_matches(actual, v))
}

fn value_matches(actual: &Value, wanted: &str) -> bool {
    match actual {
        Value::Null => wanted.is_empty() || wanted == "None",
        Value::Bool(b) => bool_of(&Value::String(wanted.to_owned())) == Some(*b),
        Value::Number(n) => n.to_string() == wanted,
        Value::String(s) => s == wanted,
        Value::Array(items) => items.iter().any(|i| value_matches(i, wanted)),
        Value::Object(map) => match wanted.split_once('=') {
            Some((k, v)) => map.get(k).is_some_and(|x| value_matches(x, v)),
            None => false,
        },
    }
}

fn compare(a: Option<&Value>, b: Option<&Value>) -> Ordering {
    match (a, b) {
        (Some(Value::Number(x)), Some(Value::Number(y))) => x
            .as_f64()
            .partial_cmp(&y.as_f64())
            .unwrap_or(Ordering::Equal),
        (Some(Value::String(x)), Some(Value::String(y))) => x.cmp(y),
        (Some(Value::Bool(x)), Some(Value::Bool(y))) => x.cmp(y),
        (None | Some(Value::Null), None | Some(Value::Null)) => Ordering::Equal,
        (None | Some(Value::Null), _) => Ordering::Less,
        (_, None | Some(Value::Null)) => Ordering::Greater,
        (Some(x), Some(y)) => x.to_string().cmp(&y.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn q(s: &str) -> ListQuery {
        let pairs = actix_web::web::Query::<Vec<(String, String)>>::from_query(s)
            .unwrap()
            .into_inner();
        ListQuery::parse(Query(pairs), -1).unwrap()
    }

    fn item(v: Value) -> Item {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn filters_any_attribute() {
        let port = item(
            json!({"id": "a", "admin_state_up": true, "fixed_ips": [{"ip_address": "10.0.0.3", "subnet_id": "s"}], "tags": ["x", "y"]}),
        );
        assert!(q("admin_state_up=True").matches(&port));
        assert!(!q("admin_state_up=false").matches(&port));
        assert!(q("fixed_ips=ip_address%3D10.0.0.3").matches(&port));
        assert!(q("id=b&id=a").matches(&port));
        assert!(q("tags=x,y").matches(&port));
        assert!(!q("not-tags-any=y").matches(&port));
        assert!(q("unknown=1").matches(&port));
    }

    #[test]
    fn sorts_and_pages() {
        let mut items: Vec<Item> = ["c", "a", "b", "d"]
            .iter()
            .map(|id| item(json!({"id": id, "name": id})))
            .collect();
        let query = q("sort_key=name&sort_dir=desc&limit=2&marker=c");
        query.sort(&mut items).unwrap();
        let page = query.paginate(items.clone());
        let ids: Vec<&str> = page.iter().map(|i| i["id"].as_str().unwrap()).collect();
        assert_eq!(ids, ["b", "a"]);
        assert_eq!(query.links("http://x/v2.0/networks", &page).len(), 2);
        let back = q("limit=2&marker=c&page_reverse=True");
        let mut items2 = items.clone();
        back.sort(&mut items2).unwrap();
        let ids: Vec<String> = back
            .paginate(items2)
            .iter()
            .map(|i| i["id"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(ids, ["a", "b"]);
        assert!(q("sort_key=nope").sort(&mut items).is_err());
    }
}
