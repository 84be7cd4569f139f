//! Reading request attributes as neutron does: booleans given as strings,
//! `null` meaning "none" where absent means "default", unknown attributes
//! refused by name, and the standard attributes every resource has.

use crate::error::{Error, Result};
use serde::{Deserialize, Deserializer};
use serde_json::Value;
use std::collections::BTreeMap;

/// Attributes a body had that the resource does not know.
pub type Unknown = BTreeMap<String, Value>;

/// "Unrecognized attribute(s) 'a, b'" unless `unknown` is empty.
pub fn refuse_unknown(unknown: &Unknown) -> Result<()> {
    if unknown.is_empty() {
        return Ok(());
    }
    let names: Vec<&str> = unknown.keys().map(String::as_str).collect();
    Err(Error::bad_request(format!(
        "Unrecognized attribute(s) '{}'",
        names.join(", ")
    )))
}

/// Refuses attributes that may be set at create time only.
pub fn refuse_read_only(attr: &str, given: bool) -> Result<()> {
    if given {
        return Err(Error::bad_request(format!(
            "Cannot update read-only attribute {attr}"
        )));
    }
    Ok(())
}

/// neutron's `convert_to_boolean`: true/false, "true"/"false" in any case, 1/0.
pub fn bool_of(value: &Value) -> Option<bool> {
    match value {
        Value::Bool(b) => Some(*b),
        Value::Number(n) => match n.as_i64() {
            Some(0) => Some(false),
            Some(1) => Some(true),
            _ => None,
        },
        Value::String(s) => match s.to_ascii_lowercase().as_str() {
            "true" | "1" => Some(true),
            "false" | "0" => Some(false),
            _ => None,
        },
        _ => None,
    }
}

/// `#[serde(default, deserialize_with = "attrs::flexible_bool")]`
pub fn flexible_bool<'de, D: Deserializer<'de>>(
    d: D,
) -> std::result::Result<Option<bool>, D::Error> {
    let value = Value::deserialize(d)?;
    if value.is_null() {
        return Ok(None);
    }
    bool_of(&value)
        .map(Some)
        .ok_or_else(|| serde::de::Error::custom(format!("'{value}' is not a valid boolean value")))
}

/// `#[serde(default, deserialize_with = "attrs::nullable")]`: absent is
/// `None`, `null` is `Some(None)`.
pub fn nullable<'de, D, T>(d: D) -> std::result::Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}

/// Integers may come as JSON numbers or numeric strings.
pub fn flexible_int<'de, D: Deserializer<'de>>(d: D) -> std::result::Result<Option<i64>, D::Error> {
    let value = Value::deserialize(d)?;
    match &value {
        Value::Null => Ok(None),
        Value::Number(n) => n
            .as_i64()
            .map(Some)
            .ok_or_else(|| serde::de::Error::custom(format!("'{value}' is not an integer"))),
        Value::String(s) => s
            .trim()
            .parse()
            .map(Some)
            .map_err(|_| serde::de::Error::custom(format!("'{s}' is not an integer"))),
        _ => Err(serde::de::Error::custom(format!(
            "'{value}' is not an integer"
        ))),
    }
}

/// The 255-character limit of names and descriptions.
pub fn check_len(attr: &str, value: &str, max: usize) -> Result<()> {
    if value.chars().count() > max {
        return Err(Error::invalid_attr(
            attr,
            format!("'{value}' exceeds maximum length of {max}"),
        ));
    }
    Ok(())
}

/// Name and description, checked.
pub fn text(attr: &str, value: Option<String>) -> Result<Option<String>> {
    if let Some(v) = &value {
        check_len(attr, v, 255)?;
    }
    Ok(value)
}

/// Deserialises an envelope's inner object into a request type, with
/// neutron's wording for type errors.
pub fn from_object<T: serde::de::DeserializeOwned>(resource: &str, value: Value) -> Result<T> {
    if !value.is_object() {
        return Err(Error::bad_request(format!(
            "Invalid input for {resource}: the body must be an object"
        )));
    }
    serde_json::from_value(value)
        .map_err(|e| Error::bad_request(format!("Invalid input for operation: {e}.")))
}

/// `If-Match: revision_number=N` against the stored revision.
pub fn check_revision(expected: Option<i64>, current: i64) -> Result<()> {
    match expected {
        Some(n) if n != current => Err(Error::PreconditionFailed(format!(
            "Constrained to {n}, but current revision is {current}"
        ))),
        _ => Ok(()),
    }
}

/// The bookkeeping of every update: the next revision, a new timestamp.
pub fn touch(revision_number: &mut i64, updated_at: &mut i64) {
    *revision_number += 1;
    *updated_at = compat_api::time::now_us();
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn booleans_as_neutron_reads_them() {
        assert_eq!(bool_of(&json!("True")), Some(true));
        assert_eq!(bool_of(&json!(0)), Some(false));
        assert_eq!(bool_of(&json!("yes")), None);
    }

    #[test]
    fn unknown_attributes_are_named() {
        let mut u = Unknown::new();
        u.insert("foo".into(), json!(1));
        let e = refuse_unknown(&u).unwrap_err();
        assert_eq!(e.to_string(), "Unrecognized attribute(s) 'foo'");
    }
}
