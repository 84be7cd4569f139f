//! The JSON schemas glance publishes under `/v2/schemas/` (clients such as
//! glanceclient read them before talking to images), and request
//! validation against the same documents.
//!
//! `schemas/image.json` and `schemas/member.json` are glance's documents;
//! the disk and container format enums are filled from the configuration.

use crate::config::ImageConfig;
use crate::error::Error;
use compat_api::body::Validator;
use serde_json::{json, Value};

const IMAGE: &str = include_str!("schemas/image.json");
const MEMBER: &str = include_str!("schemas/member.json");

pub struct Schemas {
    pub image: Value,
    pub images: Value,
    pub member: Value,
    pub members: Value,
    image_validator: Validator,
}

fn parse(text: &str) -> Value {
    match serde_json::from_str(text) {
        Ok(v) => v,
        Err(e) => panic!("invalid built-in schema document: {e}"),
    }
}

/// `["a", "b"]` plus null: glance's format enums accept an unset value.
fn format_enum(formats: &[String]) -> Value {
    let mut values: Vec<Value> = vec![Value::Null];
    values.extend(formats.iter().map(|f| Value::String(f.clone())));
    Value::Array(values)
}

/// The collection schema glance builds around an item schema.
fn collection(name: &str, item: &Value, links: Value) -> Value {
    let mut doc = json!({
        "name": name,
        "properties": {
            name: {"type": "array", "items": item},
            "schema": {"type": "string"},
        },
        "links": links,
    });
    if name == "images" {
        doc["properties"]["first"] = json!({"type": "string"});
        doc["properties"]["next"] = json!({"type": "string"});
    }
    doc
}

impl Schemas {
    pub fn new(conf: &ImageConfig) -> Schemas {
        let mut image = parse(IMAGE);
        image["properties"]["disk_format"]["enum"] = format_enum(&conf.disk_formats);
        image["properties"]["container_format"]["enum"] = format_enum(&conf.container_formats);
        let member = parse(MEMBER);
        let images = collection(
            "images",
            &image,
            json!([
                {"rel": "first", "href": "{first}"},
                {"rel": "next", "href": "{next}"},
                {"rel": "describedby", "href": "{schema}"},
            ]),
        );
        let members = collection(
            "members",
            &member,
            json!([{"rel": "describedby", "href": "{schema}"}]),
        );
        Schemas {
            image_validator: compat_api::body::compile(&image),
            image,
            images,
            member,
            members,
        }
    }

    /// Checks image attributes (a create body, or one patched attribute)
    /// against the image schema.
    pub fn validate_image(&self, attributes: &Value) -> Result<(), Error> {
        match self.image_validator.iter_errors(attributes).next() {
            None => Ok(()),
            Some(error) => Err(Error::BadRequest(format!(
                "Provided object does not match schema 'image': {error}"
            ))),
        }
    }

    pub fn validate_attribute(&self, name: &str, value: &Value) -> Result<(), Error> {
        self.validate_image(&json!({ name: value }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schemas() -> Schemas {
        let conf = compat_api::config::Config::default();
        let conf = ImageConfig::from_config(&conf, std::path::Path::new("/tmp")).unwrap();
        Schemas::new(&conf)
    }

    #[test]
    fn documents_are_named_and_validate() {
        let s = schemas();
        assert_eq!(s.image["name"], "image");
        assert_eq!(s.images["name"], "images");
        assert_eq!(s.member["name"], "member");
        assert!(s.validate_attribute("disk_format", &json!("qcow2")).is_ok());
        assert!(s
            .validate_attribute("disk_format", &json!("floppy"))
            .is_err());
        assert!(s.validate_attribute("min_ram", &json!("x")).is_err());
        assert!(s.validate_attribute("custom", &json!("v")).is_ok());
        assert!(s.validate_attribute("custom", &json!(5)).is_err());
    }
}
