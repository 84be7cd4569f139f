//! limit/marker pagination and the `links` that point at the next page.

use crate::error::ApiError;
use serde::Serialize;

#[derive(Debug, Clone, Default)]
pub struct PageRequest {
    pub limit: Option<usize>,
    pub marker: Option<String>,
}

impl PageRequest {
    /// Reads `limit` and `marker` from query pairs; a negative or non-numeric
    /// limit is a 400, as upstream.
    pub fn from_query(pairs: &[(String, String)], max_limit: usize) -> Result<Self, ApiError> {
        let mut page = PageRequest::default();
        for (key, value) in pairs {
            match key.as_str() {
                "limit" => {
                    let limit: usize = value.parse().map_err(|_| {
                        ApiError::bad_request(format!("Invalid limit value: {value}"))
                    })?;
                    page.limit = Some(limit.min(max_limit));
                }
                "marker" => page.marker = Some(value.clone()),
                _ => {}
            }
        }
        Ok(page)
    }

    /// Applies the page to items already in their final order. An unknown
    /// marker is a 400 (`Marker x could not be found.`).
    pub fn apply<T>(&self, items: Vec<T>, id_of: impl Fn(&T) -> &str) -> Result<Page<T>, ApiError> {
        let start = match &self.marker {
            None => 0,
            Some(marker) => {
                items
                    .iter()
                    .position(|i| id_of(i) == marker)
                    .ok_or_else(|| {
                        ApiError::bad_request(format!("Marker {marker} could not be found."))
                    })?
                    + 1
            }
        };
        let mut rest: Vec<T> = items.into_iter().skip(start).collect();
        let more = match self.limit {
            Some(limit) if rest.len() > limit => {
                rest.truncate(limit);
                true
            }
            _ => false,
        };
        Ok(Page { items: rest, more })
    }
}

#[derive(Debug)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Whether a next page exists.
    pub more: bool,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct PageLink {
    pub rel: &'static str,
    pub href: String,
}

/// `url` with the query, `marker` left out: a list's first page.
pub fn first_link(url: &str, pairs: &[(String, String)]) -> String {
    let query = query_without_marker(pairs);
    if query.is_empty() {
        return url.to_owned();
    }
    format!("{url}?{}", query.join("&"))
}

/// The `next` link: the same query with `marker` set to the last item.
pub fn next_link(url: &str, pairs: &[(String, String)], last_id: &str) -> PageLink {
    marker_link("next", url, pairs, last_id, false)
}

/// The `previous` link of neutron's pagination: the first item of this page
/// as marker, walking backwards (`page_reverse=True`).
pub fn previous_link(url: &str, pairs: &[(String, String)], first_id: &str) -> PageLink {
    marker_link("previous", url, pairs, first_id, true)
}

fn marker_link(
    rel: &'static str,
    url: &str,
    pairs: &[(String, String)],
    marker: &str,
    reverse: bool,
) -> PageLink {
    let mut query: Vec<String> = pairs
        .iter()
        .filter(|(k, _)| k != "page_reverse")
        .filter(|(k, _)| k != "marker")
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect();
    query.push(format!("marker={}", encode(marker)));
    if reverse {
        query.push("page_reverse=True".into());
    }
    PageLink {
        rel,
        href: format!("{url}?{}", query.join("&")),
    }
}

fn query_without_marker(pairs: &[(String, String)]) -> Vec<String> {
    pairs
        .iter()
        .filter(|(k, _)| k != "marker")
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect()
}

fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b':' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    }

    #[test]
    fn pages_after_marker_and_reports_more() {
        let page = PageRequest::from_query(&q(&[("limit", "2"), ("marker", "b")]), 1000).unwrap();
        let items = vec!["a", "b", "c", "d", "e"];
        let out = page.apply(items, |s| s).unwrap();
        assert_eq!(out.items, vec!["c", "d"]);
        assert!(out.more);
    }

    #[test]
    fn bad_limit_and_unknown_marker_are_400() {
        assert_eq!(
            PageRequest::from_query(&q(&[("limit", "-1")]), 10)
                .unwrap_err()
                .status
                .as_u16(),
            400
        );
        let page = PageRequest::from_query(&q(&[("marker", "zz")]), 10).unwrap();
        assert_eq!(
            page.apply(vec!["a"], |s| s).unwrap_err().status.as_u16(),
            400
        );
    }

    #[test]
    fn next_link_replaces_marker() {
        let link = next_link(
            "http://h/v2/images",
            &q(&[("limit", "2"), ("marker", "x")]),
            "c d",
        );
        assert_eq!(link.href, "http://h/v2/images?limit=2&marker=c%20d");
        assert_eq!(
            first_link("/v2/images", &q(&[("marker", "x")])),
            "/v2/images"
        );
        assert_eq!(
            first_link("/v2/images", &q(&[("limit", "2"), ("marker", "x")])),
            "/v2/images?limit=2"
        );
    }
}
