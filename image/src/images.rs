//! Image records: creation, lookup under the visibility rules, listing,
//! metadata updates (glance's JSON patch), tags, deletion and
//! deactivation. Data upload and download live in `data.rs`.

use crate::error::Error;
use crate::policy::{refusal, Viewer};
use crate::store::models::ImageRow;
use crate::store::{images as q, members as members_q, AnyConnection};
use crate::ImageService;
use compat_api::time::now_us;
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// An image as the domain sees it: its row, custom properties and tags.
#[derive(Debug, Clone, PartialEq)]
pub struct Image {
    pub row: ImageRow,
    pub properties: BTreeMap<String, String>,
    pub tags: Vec<String>,
}

/// Attributes the server computes; a client sending one gets a 403.
pub const READ_ONLY: &[&str] = &[
    "checksum",
    "os_hash_algo",
    "os_hash_value",
    "created_at",
    "status",
    "updated_at",
    "virtual_size",
    "size",
    "direct_url",
    "self",
    "file",
    "schema",
    "stores",
];

/// Attributes glance keeps for itself.
pub const RESERVED: &[&str] = &["location", "deleted", "deleted_at"];

/// Core attributes a client may set.
const WRITABLE_CORE: &[&str] = &[
    "id",
    "name",
    "visibility",
    "protected",
    "os_hidden",
    "container_format",
    "disk_format",
    "min_disk",
    "min_ram",
    "tags",
    "owner",
];

/// Refuses read-only and reserved attribute names, as glance does before
/// looking at values.
pub fn check_attribute(name: &str) -> Result<(), Error> {
    if READ_ONLY.contains(&name) {
        return Err(Error::Forbidden(format!(
            "Attribute '{name}' is read-only."
        )));
    }
    if RESERVED.contains(&name) || name.starts_with("os_glance") {
        return Err(Error::Forbidden(format!("Attribute '{name}' is reserved.")));
    }
    Ok(())
}

fn quota_exceeded(what: &str, attempted: usize, maximum: i64) -> Error {
    Error::TooLarge(format!(
        "The limit has been exceeded on the number of allowed image {what}. Attempted: {attempted}, Maximum: {maximum}"
    ))
}

fn within(quota: i64, count: usize) -> bool {
    quota < 0 || count as i64 <= quota
}

impl ImageService {
    /// `POST /v2/images`: a new `queued` image from a request's attributes.
    pub async fn create_image(
        &self,
        viewer: &Viewer,
        body: Map<String, Value>,
    ) -> Result<Image, Error> {
        if !viewer.is_member {
            return Err(Error::Forbidden(refusal("add_image")));
        }
        for key in body.keys() {
            check_attribute(key)?;
        }
        if body.contains_key("locations") {
            return Err(Error::Forbidden(refusal("set_image_location")));
        }
        self.schemas.validate_image(&Value::Object(body.clone()))?;
        let now = now_us();
        let id = uuid::Uuid::new_v4().to_string();
        let mut image = Image {
            row: ImageRow::queued(id, viewer.project_id.clone(), now),
            properties: BTreeMap::new(),
            tags: Vec::new(),
        };
        if let Some(Value::String(id)) = body.get("id") {
            image.row.id = id.clone();
        }
        if let Some(owner) = body.get("owner") {
            let owner = owner.as_str().map(str::to_owned);
            if !viewer.is_admin && owner != viewer.project_id {
                return Err(Error::Forbidden(format!(
                    "You are not permitted to create images owned by '{}'",
                    owner.unwrap_or_default()
                )));
            }
            image.row.owner = owner;
        }
        for (key, value) in body {
            if key != "id" && key != "owner" {
                apply_attribute(&mut image, &key, value)?;
            }
        }
        viewer
            .may_set_visibility(&image.row.visibility)
            .map_err(|action| Error::Forbidden(refusal(action)))?;
        self.check_quotas(&image)?;
        let stored = image.clone();
        self.db
            .write(move |c| {
                if q::get(c, &stored.row.id)?.is_some() {
                    return Err(Error::Conflict(format!(
                        "Image ID {} already exists!",
                        stored.row.id
                    )));
                }
                q::insert(c, &stored.row)?;
                q::set_properties(c, &stored.row.id, &stored.properties)?;
                q::set_tags(c, &stored.row.id, &stored.tags, stored.row.created_at)?;
                Ok(())
            })
            .await?;
        Ok(image)
    }

    fn check_quotas(&self, image: &Image) -> Result<(), Error> {
        if !within(self.conf.image_property_quota, image.properties.len()) {
            return Err(quota_exceeded(
                "properties",
                image.properties.len(),
                self.conf.image_property_quota,
            ));
        }
        if !within(self.conf.image_tag_quota, image.tags.len()) {
            return Err(quota_exceeded(
                "tags",
                image.tags.len(),
                self.conf.image_tag_quota,
            ));
        }
        Ok(())
    }

    /// An image the viewer may see, or a 404 that does not tell it exists.
    pub async fn get_image(&self, viewer: &Viewer, id: &str) -> Result<Image, Error> {
        let viewer = viewer.clone();
        let id = id.to_owned();
        self.db.read(move |c| load_visible(c, &viewer, &id)).await
    }

    /// `PATCH /v2/images/{id}`: applies glance's JSON patch operations.
    pub async fn update_image(
        &self,
        viewer: &Viewer,
        id: &str,
        ops: Vec<crate::patch::PatchOp>,
    ) -> Result<Image, Error> {
        let viewer = viewer.clone();
        let id = id.to_owned();
        let conf = self.conf.clone();
        let schemas = self.schemas.clone();
        self.db
            .write(move |c| {
                let mut image = load_visible(c, &viewer, &id)?;
                if !viewer.can_modify(&image.row) {
                    return Err(Error::Forbidden(refusal("modify_image")));
                }
                let before = image.clone();
                crate::patch::apply(&mut image, &ops, &viewer, &schemas)?;
                if image == before {
                    return Ok(image);
                }
                if !within(conf.image_property_quota, image.properties.len()) {
                    return Err(quota_exceeded(
                        "properties",
                        image.properties.len(),
                        conf.image_property_quota,
                    ));
                }
                if !within(conf.image_tag_quota, image.tags.len()) {
                    return Err(quota_exceeded(
                        "tags",
                        image.tags.len(),
                        conf.image_tag_quota,
                    ));
                }
                image.row.updated_at = now_us();
                q::update(c, &image.row)?;
                if image.properties != before.properties {
                    q::set_properties(c, &image.row.id, &image.properties)?;
                }
                if image.tags != before.tags {
                    q::set_tags(c, &image.row.id, &image.tags, image.row.updated_at)?;
                }
                Ok(image)
            })
            .await
    }

    /// `DELETE /v2/images/{id}`: removes the record and its data, or with
    /// `delayed_delete` leaves it `pending_delete` for the scrubber.
    pub async fn delete_image(&self, viewer: &Viewer, id: &str) -> Result<(), Error> {
        let viewer = viewer.clone();
        let id = id.to_owned();
        let delayed = self.conf.delayed_delete;
        let deleted = self
            .db
            .write(move |c| {
                let image = load_visible(c, &viewer, &id)?;
                if !viewer.can_modify(&image.row) {
                    return Err(Error::Forbidden(refusal("delete_image")));
                }
                if image.row.protected {
                    return Err(Error::Forbidden(format!(
                        "Image {id} is protected and cannot be deleted."
                    )));
                }
                if delayed && image.row.location.is_some() {
                    let mut row = image.row.clone();
                    row.status = "pending_delete".into();
                    row.deleted_at = Some(now_us());
                    q::update(c, &row)?;
                    return Ok(None);
                }
                q::delete(c, &id)?;
                Ok(Some(image.row))
            })
            .await?;
        if let Some(row) = deleted {
            self.remove_data(&row);
        }
        Ok(())
    }

    /// Removes an image's data (stored or staged), if it has any.
    pub(crate) fn remove_data(&self, row: &ImageRow) {
        let Some(location) = &row.location else {
            return;
        };
        let Some(store) = self.stores.get(row.store_id.as_deref()) else {
            tracing::warn!("image {}: unknown store {:?}", row.id, row.store_id);
            return;
        };
        if let Err(e) = store.delete(location) {
            tracing::warn!("cannot remove image data at {location}: {e}");
        }
    }

    /// `PUT /v2/images/{id}/tags/{tag}`
    pub async fn add_tag(&self, viewer: &Viewer, id: &str, tag: &str) -> Result<(), Error> {
        if tag.chars().count() > 255 {
            return Err(Error::BadRequest(format!(
                "Provided object does not match schema 'image': '{tag}' is too long"
            )));
        }
        let (viewer, id, tag) = (viewer.clone(), id.to_owned(), tag.to_owned());
        let quota = self.conf.image_tag_quota;
        self.db
            .write(move |c| {
                let image = load_visible(c, &viewer, &id)?;
                if !viewer.can_modify(&image.row) {
                    return Err(Error::Forbidden(refusal("modify_image")));
                }
                if image.tags.contains(&tag) {
                    return Ok(());
                }
                if !within(quota, image.tags.len() + 1) {
                    return Err(quota_exceeded("tags", image.tags.len() + 1, quota));
                }
                let now = now_us();
                q::add_tag(c, &id, &tag, now)?;
                q::touch(c, &id, now)?;
                Ok(())
            })
            .await
    }

    /// `DELETE /v2/images/{id}/tags/{tag}`
    pub async fn remove_tag(&self, viewer: &Viewer, id: &str, tag: &str) -> Result<(), Error> {
        let (viewer, id, tag) = (viewer.clone(), id.to_owned(), tag.to_owned());
        self.db
            .write(move |c| {
                let image = load_visible(c, &viewer, &id)?;
                if !viewer.can_modify(&image.row) {
                    return Err(Error::Forbidden(refusal("modify_image")));
                }
                if !q::remove_tag(c, &id, &tag)? {
                    return Err(Error::NotFound("The resource could not be found.".into()));
                }
                q::touch(c, &id, now_us())?;
                Ok(())
            })
            .await
    }

    /// `POST /v2/images/{id}/actions/deactivate` and `.../reactivate`.
    pub async fn set_active(&self, viewer: &Viewer, id: &str, active: bool) -> Result<(), Error> {
        let (viewer, id) = (viewer.clone(), id.to_owned());
        self.db
            .write(move |c| {
                let image = load_visible(c, &viewer, &id)?;
                let action = if active { "reactivate" } else { "deactivate" };
                if !viewer.can_modify(&image.row) {
                    return Err(Error::Forbidden(refusal(action)));
                }
                let (from, to) = if active {
                    ("deactivated", "active")
                } else {
                    ("active", "deactivated")
                };
                if image.row.status == to {
                    return Ok(());
                }
                if image.row.status != from || !q::transition(c, &id, from, to, now_us())? {
                    return Err(Error::Forbidden(format!(
                        "Not allowed to {action} image in status '{}'",
                        image.row.status
                    )));
                }
                Ok(())
            })
            .await
    }
}

/// Sets one client-writable attribute (create, and patch `add`/`replace`).
pub(crate) fn apply_attribute(image: &mut Image, key: &str, value: Value) -> Result<(), Error> {
    let row = &mut image.row;
    let text = |v: &Value| v.as_str().map(str::to_owned);
    match key {
        "name" => row.name = text(&value),
        "visibility" => row.visibility = text(&value).unwrap_or_default(),
        "protected" => row.protected = value.as_bool().unwrap_or(false),
        "os_hidden" => row.os_hidden = value.as_bool().unwrap_or(false),
        "disk_format" => {
            check_format_change(row, "disk_format")?;
            row.disk_format = text(&value);
        }
        "container_format" => {
            check_format_change(row, "container_format")?;
            row.container_format = text(&value);
        }
        "min_disk" => row.min_disk = size_in(key, &value)?,
        "min_ram" => row.min_ram = size_in(key, &value)?,
        "owner" => row.owner = text(&value),
        "tags" => {
            let mut tags: Vec<String> = Vec::new();
            for tag in value
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
            {
                if !tags.iter().any(|t| t == tag) {
                    tags.push(tag.to_owned());
                }
            }
            image.tags = tags;
        }
        _ if key.chars().count() > 255 => {
            return Err(Error::BadRequest(
                "Custom property should not be greater than 255 characters.".into(),
            ))
        }
        _ => match value {
            Value::String(s) => {
                image.properties.insert(key.to_owned(), s);
            }
            other => {
                return Err(Error::BadRequest(format!(
                    "Provided object does not match schema 'image': {other} is not of type 'string'"
                )))
            }
        },
    }
    Ok(())
}

/// `min_disk` and `min_ram`: integers (the schema says so) from 0 to 2^31-1.
fn size_in(key: &str, value: &Value) -> Result<i32, Error> {
    let n = value.as_i64().unwrap_or(0);
    if n < 0 {
        return Err(Error::BadRequest(format!(
            "Invalid value '{n}' for parameter '{key}': Cannot be a negative value"
        )));
    }
    i32::try_from(n).map_err(|_| {
        Error::BadRequest(format!(
            "'{key}' value out of range, must not exceed 2147483647."
        ))
    })
}

fn check_format_change(row: &ImageRow, attribute: &str) -> Result<(), Error> {
    if matches!(row.status.as_str(), "queued" | "importing" | "uploading") {
        return Ok(());
    }
    Err(Error::Forbidden(format!(
        "Attribute {attribute} can be only replaced for a queued image."
    )))
}

/// Whether a name is one of glance's core image attributes.
pub fn is_core(name: &str) -> bool {
    WRITABLE_CORE.contains(&name) || READ_ONLY.contains(&name)
}

/// Loads an image with its properties and tags if the viewer may see it.
pub(crate) fn load_visible(
    c: &mut AnyConnection,
    viewer: &Viewer,
    id: &str,
) -> Result<Image, Error> {
    let row = q::get(c, id)?
        .filter(|r| r.status != "pending_delete" && r.status != "deleted")
        .ok_or_else(|| Error::image_not_found(id))?;
    let is_member = match (&viewer.project_id, row.visibility.as_str()) {
        (Some(project), "shared") if !viewer.owns(&row) => {
            members_q::get(c, id, project)?.is_some()
        }
        _ => false,
    };
    if !viewer.can_see(&row, is_member) {
        return Err(Error::image_not_found(id));
    }
    let ids = [row.id.clone()];
    let properties = q::properties(c, &ids)?.remove(&row.id).unwrap_or_default();
    let tags = q::tags(c, &ids)?.remove(&row.id).unwrap_or_default();
    Ok(Image {
        row,
        properties,
        tags,
    })
}

/// Loads the properties and tags of a page of rows.
pub(crate) fn hydrate(c: &mut AnyConnection, rows: Vec<ImageRow>) -> Result<Vec<Image>, Error> {
    let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
    let mut properties = q::properties(c, &ids)?;
    let mut tags = q::tags(c, &ids)?;
    Ok(rows
        .into_iter()
        .map(|row| Image {
            properties: properties.remove(&row.id).unwrap_or_default(),
            tags: tags.remove(&row.id).unwrap_or_default(),
            row,
        })
        .collect())
}

impl ImageService {
    /// The generation counter of the image tables (see `compat_api::cache`).
    pub async fn list_generation(&self) -> Result<i64, Error> {
        Ok(self.db.read(crate::store::generation).await?)
    }

    /// `GET /v2/images`: one page of the images the viewer may see, and
    /// whether more follow. An unknown or invisible marker is a 400.
    pub async fn list_images(
        &self,
        viewer: &Viewer,
        mut query: q::ListQuery,
        marker: Option<String>,
        limit: usize,
    ) -> Result<(Vec<Image>, bool), Error> {
        query.scope = q::ListScope {
            is_admin: viewer.is_admin,
            project_id: viewer.project_id.clone(),
        };
        // glance's tie-breakers: created_at, then id, so that markers are stable.
        let dir = query.sort.first().map(|(_, d)| *d).unwrap_or(true);
        for key in [q::SortKey::CreatedAt, q::SortKey::Id] {
            if !query.sort.iter().any(|(k, _)| *k == key) {
                query.sort.push((key, dir));
            }
        }
        self.db
            .read(move |c| {
                let Some((rows, more)) = q::list(c, &query, marker.as_deref(), limit)? else {
                    return Err(Error::BadRequest(format!(
                        "No image found with ID {}",
                        marker.unwrap_or_default()
                    )));
                };
                Ok((hydrate(c, rows)?, more))
            })
            .await
    }
}
