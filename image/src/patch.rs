//! glance's JSON patch for image metadata
//! (`application/openstack-images-v2.1-json-patch`, and the v2.0 spelling).
//!
//! Not RFC 6902 in general: paths name one top-level attribute, and the
//! operations carry glance's rules (`add` creates or overwrites, `replace`
//! needs the property to exist, core attributes cannot be removed,
//! read-only and reserved attributes are refused with 403).

use crate::error::Error;
use crate::images::{apply_attribute, check_attribute, is_core, Image};
use crate::policy::{refusal, Viewer};
use crate::schemas::Schemas;
use serde_json::{Map, Value};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Add,
    /// The v2.0 media type's `add`: the property must not exist yet.
    AddNew,
    Replace,
    Remove,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PatchOp {
    pub op: Op,
    /// The attribute the path names (JSON pointer decoded).
    pub attribute: String,
    pub value: Option<Value>,
}

fn bad(message: impl Into<String>) -> Error {
    Error::BadRequest(message.into())
}

/// Reads a patch document; `v2_0` selects the old `{"add": "/path", "value": ...}` form.
pub fn parse(body: &Value, v2_0: bool) -> Result<Vec<PatchOp>, Error> {
    let ops = body
        .as_array()
        .ok_or_else(|| bad("Request body must be a JSON array of operation objects."))?;
    ops.iter().map(|raw| parse_op(raw, v2_0)).collect()
}

fn parse_op(raw: &Value, v2_0: bool) -> Result<PatchOp, Error> {
    let obj = raw
        .as_object()
        .ok_or_else(|| bad("Operations must be JSON objects."))?;
    let (op, path) = if v2_0 {
        legacy_op(obj)?
    } else {
        let op = obj
            .get("op")
            .and_then(Value::as_str)
            .ok_or_else(|| {
                bad("Unable to find `op` in JSON Schema change. It must be one of the following: add, remove, replace.")
            })?;
        let path = obj
            .get("path")
            .and_then(Value::as_str)
            .ok_or_else(|| bad("Unable to find 'path' in JSON Schema change"))?;
        (op_named(op)?, path)
    };
    let value = obj.get("value").cloned();
    if op != Op::Remove && value.is_none() {
        let name = if op == Op::Replace { "replace" } else { "add" };
        return Err(bad(format!(
            "Operation \"{name}\" requires a member named \"value\"."
        )));
    }
    Ok(PatchOp {
        op,
        attribute: decode_path(path)?,
        value,
    })
}

fn legacy_op(obj: &Map<String, Value>) -> Result<(Op, &str), Error> {
    let mut found = None;
    for name in ["add", "replace", "remove"] {
        if let Some(path) = obj.get(name) {
            if found.is_some() {
                return Err(bad("Operation objects must contain exactly one member named \"add\", \"remove\", or \"replace\"."));
            }
            let path = path.as_str().ok_or_else(|| bad("Invalid JSON pointer"))?;
            let op = match op_named(name)? {
                Op::Add => Op::AddNew,
                other => other,
            };
            found = Some((op, path));
        }
    }
    found.ok_or_else(|| {
        bad("Operation objects must contain exactly one member named \"add\", \"remove\", or \"replace\".")
    })
}

fn op_named(name: &str) -> Result<Op, Error> {
    match name {
        "add" => Ok(Op::Add),
        "replace" => Ok(Op::Replace),
        "remove" => Ok(Op::Remove),
        other => Err(bad(format!(
            "Invalid operation: `{other}`. It must be one of the following: add, remove, replace."
        ))),
    }
}

/// `/name` → `name`; `~1` and `~0` unescaped. Nested paths are refused:
/// image attributes are flat.
fn decode_path(path: &str) -> Result<String, Error> {
    let invalid = || bad(format!("Invalid JSON pointer for this resource: '{path}'"));
    let rest = path
        .strip_prefix('/')
        .ok_or_else(|| bad(format!("Pointer `{path}` does not start with \"/\".")))?;
    if rest.is_empty() || rest.contains('/') {
        return Err(invalid());
    }
    if rest.replace("~0", "").replace("~1", "").contains('~') {
        return Err(bad(format!(
            "Pointer `{path}` contains \"~\" not part of a recognized escape sequence."
        )));
    }
    Ok(rest.replace("~1", "/").replace("~0", "~"))
}

/// Applies the operations to `image` in order, then checks the result
/// against the image schema.
pub fn apply(
    image: &mut Image,
    ops: &[PatchOp],
    viewer: &Viewer,
    schemas: &Schemas,
) -> Result<(), Error> {
    for op in ops {
        let name = op.attribute.as_str();
        check_attribute(name)?;
        if name == "locations" {
            return Err(Error::Forbidden(
                "It's not allowed to update locations if locations are invisible.".into(),
            ));
        }
        if name == "id" {
            return Err(Error::Forbidden("Attribute 'id' is read-only.".into()));
        }
        match op.op {
            Op::Remove => remove(image, name)?,
            Op::Replace if !is_core(name) && !image.properties.contains_key(name) => {
                return Err(Error::Conflict(format!("Property {name} does not exist.")));
            }
            Op::Add | Op::AddNew | Op::Replace => {
                let value = op.value.clone().unwrap_or(Value::Null);
                schemas.validate_attribute(name, &value)?;
                if name == "visibility" {
                    if let Some(v) = value.as_str() {
                        viewer
                            .may_set_visibility(v)
                            .map_err(|action| Error::Forbidden(refusal(action)))?;
                    }
                }
                if name == "owner" && !viewer.is_admin {
                    return Err(Error::Forbidden(
                        "Owner can't be updated by non admin.".into(),
                    ));
                }
                if op.op == Op::AddNew && image.properties.contains_key(name) {
                    return Err(Error::Conflict(format!("Property {name} already present.")));
                }
                apply_attribute(image, name, value)?;
            }
        }
    }
    Ok(())
}

fn remove(image: &mut Image, name: &str) -> Result<(), Error> {
    if is_core(name) {
        return Err(Error::Forbidden(format!(
            "Property {name} may not be removed."
        )));
    }
    if image.properties.remove(name).is_none() {
        return Err(Error::Conflict(format!("Property {name} does not exist.")));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parses_both_media_types() {
        let v21 = parse(
            &json!([{"op": "replace", "path": "/name", "value": "x"}]),
            false,
        )
        .unwrap();
        let v20 = parse(&json!([{"replace": "/name", "value": "x"}]), true).unwrap();
        let add = parse(&json!([{"add": "/k", "value": "x"}]), true).unwrap();
        assert_eq!(add[0].op, Op::AddNew);
        assert_eq!(v21, v20);
        assert_eq!(v21[0].attribute, "name");
    }

    #[test]
    fn refuses_malformed_operations() {
        assert!(parse(&json!({"op": "add"}), false).is_err());
        assert!(parse(&json!([{"op": "move", "path": "/a", "value": 1}]), false).is_err());
        assert!(parse(&json!([{"op": "add", "path": "/a"}]), false).is_err());
        assert!(parse(&json!([{"op": "add", "path": "/a/b", "value": "x"}]), false).is_err());
        assert!(parse(&json!([{"op": "add", "path": "a", "value": "x"}]), false).is_err());
    }

    #[test]
    fn pointer_escapes_decode() {
        let ops = parse(&json!([{"op": "remove", "path": "/a~1b~0c"}]), false).unwrap();
        assert_eq!(ops[0].attribute, "a/b~c");
    }
}
