//! Images, their custom properties and tags.

use super::models::{ImageRow, PropertyRow, TagRow};
use super::schema::{image_members, image_properties, image_tags, image_tasks, images};
use super::{bump_generation, AnyConnection, StoreError};
use diesel::prelude::*;
use std::collections::{BTreeMap, HashMap};

type Conn = AnyConnection;
type R<T> = Result<T, StoreError>;

pub fn get(c: &mut Conn, id: &str) -> R<Option<ImageRow>> {
    Ok(images::table
        .find(id)
        .select(ImageRow::as_select())
        .first(c)
        .optional()?)
}

pub fn insert(c: &mut Conn, row: &ImageRow) -> R<()> {
    diesel::insert_into(images::table).values(row).execute(c)?;
    bump_generation(c)
}

pub fn update(c: &mut Conn, row: &ImageRow) -> R<()> {
    diesel::update(images::table.find(&row.id))
        .set(row)
        .execute(c)?;
    bump_generation(c)
}

/// Moves an image from one status to another only if it is still in the
/// first: the guard that keeps two uploads (or an upload and a delete) from
/// both going ahead. Returns whether it moved.
pub fn transition(c: &mut Conn, id: &str, from: &str, to: &str, now: i64) -> R<bool> {
    let n = diesel::update(images::table.find(id).filter(images::status.eq(from)))
        .set((images::status.eq(to), images::updated_at.eq(now)))
        .execute(c)?;
    if n == 1 {
        bump_generation(c)?;
    }
    Ok(n == 1)
}

/// Saves a finished upload or import if the image is still `busy`
/// (`saving`, `importing`).
pub fn finish_upload(c: &mut Conn, row: &ImageRow, busy: &str) -> R<bool> {
    let n = diesel::update(images::table.find(&row.id).filter(images::status.eq(busy)))
        .set(row)
        .execute(c)?;
    Ok(n == 1)
}

pub fn delete(c: &mut Conn, id: &str) -> R<()> {
    diesel::delete(image_properties::table.filter(image_properties::image_id.eq(id))).execute(c)?;
    diesel::delete(image_tags::table.filter(image_tags::image_id.eq(id))).execute(c)?;
    diesel::delete(image_members::table.filter(image_members::image_id.eq(id))).execute(c)?;
    diesel::delete(image_tasks::table.filter(image_tasks::image_id.eq(id))).execute(c)?;
    diesel::delete(images::table.find(id)).execute(c)?;
    bump_generation(c)
}

/// Images in a status, oldest first (restart recovery, the scrubber).
pub fn in_status(c: &mut Conn, status: &str) -> R<Vec<ImageRow>> {
    Ok(images::table
        .filter(images::status.eq(status))
        .order(images::created_at)
        .select(ImageRow::as_select())
        .load(c)?)
}

/// Bytes stored for an owner, the image being uploaded excluded.
pub fn storage_used(c: &mut Conn, owner: &str, except: &str) -> R<i64> {
    let sizes: Vec<Option<i64>> = images::table
        .filter(images::owner.eq(owner))
        .filter(images::id.ne(except))
        .filter(images::status.ne("pending_delete"))
        .select(images::size)
        .load(c)?;
    Ok(sizes.into_iter().flatten().sum())
}

pub fn properties(c: &mut Conn, ids: &[String]) -> R<HashMap<String, BTreeMap<String, String>>> {
    let rows: Vec<PropertyRow> = image_properties::table
        .filter(image_properties::image_id.eq_any(ids))
        .select(PropertyRow::as_select())
        .load(c)?;
    let mut out: HashMap<String, BTreeMap<String, String>> = HashMap::new();
    for row in rows {
        out.entry(row.image_id)
            .or_default()
            .insert(row.name, row.value);
    }
    Ok(out)
}

pub fn tags(c: &mut Conn, ids: &[String]) -> R<HashMap<String, Vec<String>>> {
    let rows: Vec<TagRow> = image_tags::table
        .filter(image_tags::image_id.eq_any(ids))
        .order((image_tags::created_at, image_tags::value))
        .select(TagRow::as_select())
        .load(c)?;
    let mut out: HashMap<String, Vec<String>> = HashMap::new();
    for row in rows {
        out.entry(row.image_id).or_default().push(row.value);
    }
    Ok(out)
}

/// Replaces an image's custom properties with `props`.
pub fn set_properties(c: &mut Conn, id: &str, props: &BTreeMap<String, String>) -> R<()> {
    diesel::delete(image_properties::table.filter(image_properties::image_id.eq(id))).execute(c)?;
    // One row at a time: diesel's MultiConnection has no batch insert.
    for (name, value) in props {
        let row = PropertyRow {
            image_id: id.to_owned(),
            name: name.clone(),
            value: value.clone(),
        };
        diesel::insert_into(image_properties::table)
            .values(&row)
            .execute(c)?;
    }
    bump_generation(c)
}

/// Replaces an image's tags with `tags`, keeping their order.
pub fn set_tags(c: &mut Conn, id: &str, tags: &[String], now: i64) -> R<()> {
    diesel::delete(image_tags::table.filter(image_tags::image_id.eq(id))).execute(c)?;
    for (i, value) in tags.iter().enumerate() {
        let row = TagRow {
            image_id: id.to_owned(),
            value: value.clone(),
            // Insertion order survives in the timestamps.
            created_at: now + i as i64,
        };
        diesel::insert_into(image_tags::table)
            .values(&row)
            .execute(c)?;
    }
    bump_generation(c)
}

pub fn add_tag(c: &mut Conn, id: &str, tag: &str, now: i64) -> R<()> {
    let exists = image_tags::table
        .find((id, tag))
        .count()
        .get_result::<i64>(c)?
        > 0;
    if !exists {
        diesel::insert_into(image_tags::table)
            .values(&TagRow {
                image_id: id.to_owned(),
                value: tag.to_owned(),
                created_at: now,
            })
            .execute(c)?;
        bump_generation(c)?;
    }
    Ok(())
}

/// Returns whether the tag was there.
pub fn remove_tag(c: &mut Conn, id: &str, tag: &str) -> R<bool> {
    let removed = diesel::delete(image_tags::table.find((id, tag))).execute(c)? == 1;
    if removed {
        bump_generation(c)?;
    }
    Ok(removed)
}

pub fn tag_count(c: &mut Conn, id: &str) -> R<i64> {
    Ok(image_tags::table
        .filter(image_tags::image_id.eq(id))
        .count()
        .get_result(c)?)
}

pub fn touch(c: &mut Conn, id: &str, now: i64) -> R<()> {
    diesel::update(images::table.find(id))
        .set(images::updated_at.eq(now))
        .execute(c)?;
    bump_generation(c)
}

/// A comparison in a list filter (`created_at=gte:...`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cmp {
    Eq,
    Neq,
    Gt,
    Gte,
    Lt,
    Lte,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortKey {
    Name,
    Status,
    ContainerFormat,
    DiskFormat,
    Size,
    Id,
    CreatedAt,
    UpdatedAt,
}

/// Who is listing, for the visibility rules.
#[derive(Debug, Clone, Default)]
pub struct ListScope {
    pub is_admin: bool,
    pub project_id: Option<String>,
}

/// A list request as SQL sees it.
#[derive(Debug, Clone, Default)]
pub struct ListQuery {
    pub scope: ListScope,
    /// `None`: the default set; `Some("all")`: every visibility.
    pub visibility: Option<String>,
    /// The member status shared images must have (`accepted` by default,
    /// `all` for any).
    pub member_status: String,
    pub ids: Vec<String>,
    pub names: Vec<String>,
    pub status: Option<String>,
    pub owner: Option<String>,
    pub disk_format: Option<String>,
    pub container_format: Option<String>,
    pub checksum: Option<String>,
    pub protected: Option<bool>,
    /// `None`: both hidden and visible.
    pub os_hidden: Option<bool>,
    pub size_min: Option<i64>,
    pub size_max: Option<i64>,
    /// `min_ram` and `min_disk` filters: equal to the value, as glance
    /// compares its image columns.
    pub min_ram: Option<i32>,
    pub min_disk: Option<i32>,
    pub tags: Vec<String>,
    pub properties: Vec<(String, String)>,
    pub created_at: Vec<(Cmp, i64)>,
    pub updated_at: Vec<(Cmp, i64)>,
    pub sort: Vec<(SortKey, bool)>,
}

type Backend = <Conn as Connection>::Backend;
type Boxed<'a> = diesel::dsl::IntoBoxed<
    'a,
    diesel::dsl::Select<images::table, diesel::dsl::AsSelect<ImageRow, Backend>>,
    Backend,
>;

macro_rules! compare {
    ($q:ident, $col:expr, $cmp:expr, $v:expr) => {
        $q = match $cmp {
            Cmp::Eq => $q.filter($col.eq($v)),
            Cmp::Neq => $q.filter($col.ne($v)),
            Cmp::Gt => $q.filter($col.gt($v)),
            Cmp::Gte => $q.filter($col.ge($v)),
            Cmp::Lt => $q.filter($col.lt($v)),
            Cmp::Lte => $q.filter($col.le($v)),
        }
    };
}

macro_rules! order {
    ($q:ident, $col:expr, $desc:expr) => {
        $q = if $desc {
            $q.then_order_by($col.desc())
        } else {
            $q.then_order_by($col.asc())
        }
    };
}

fn filtered(q: &ListQuery) -> Boxed<'static> {
    let mut query = images::table.select(ImageRow::as_select()).into_boxed();
    // Deleted images wait for the scrubber; killed ones are never listed.
    query = query.filter(images::status.ne_all(["pending_delete", "killed", "deleted"]));
    query = visible(query, q);
    if !q.ids.is_empty() {
        query = query.filter(images::id.eq_any(q.ids.clone()));
    }
    if !q.names.is_empty() {
        query = query.filter(images::name.eq_any(q.names.clone()));
    }
    if let Some(s) = &q.status {
        query = query.filter(images::status.eq(s.clone()));
    }
    if let Some(o) = &q.owner {
        query = query.filter(images::owner.eq(o.clone()));
    }
    if let Some(f) = &q.disk_format {
        query = query.filter(images::disk_format.eq(f.clone()));
    }
    if let Some(f) = &q.container_format {
        query = query.filter(images::container_format.eq(f.clone()));
    }
    if let Some(sum) = &q.checksum {
        query = query.filter(images::checksum.eq(sum.clone()));
    }
    if let Some(p) = q.protected {
        query = query.filter(images::protected.eq(p));
    }
    if let Some(h) = q.os_hidden {
        query = query.filter(images::os_hidden.eq(h));
    }
    if let Some(min) = q.size_min {
        query = query.filter(images::size.ge(min));
    }
    if let Some(max) = q.size_max {
        query = query.filter(images::size.le(max));
    }
    if let Some(ram) = q.min_ram {
        query = query.filter(images::min_ram.eq(ram));
    }
    if let Some(disk) = q.min_disk {
        query = query.filter(images::min_disk.eq(disk));
    }
    for tag in &q.tags {
        query = query.filter(
            images::id.eq_any(
                image_tags::table
                    .filter(image_tags::value.eq(tag.clone()))
                    .select(image_tags::image_id),
            ),
        );
    }
    for (name, value) in &q.properties {
        query = query.filter(
            images::id.eq_any(
                image_properties::table
                    .filter(image_properties::name.eq(name.clone()))
                    .filter(image_properties::value.eq(value.clone()))
                    .select(image_properties::image_id),
            ),
        );
    }
    for (cmp, v) in &q.created_at {
        compare!(query, images::created_at, cmp, *v);
    }
    for (cmp, v) in &q.updated_at {
        compare!(query, images::updated_at, cmp, *v);
    }
    query
}

/// glance's visibility rules for a list: admins see everything; others see
/// public images, their own, and shared images they are a member of (with
/// the requested member status). Community images of others only appear
/// when asked for by `visibility=community`.
fn visible<'a>(mut query: Boxed<'a>, q: &ListQuery) -> Boxed<'a> {
    match q.visibility.as_deref() {
        Some("all") => {}
        Some(v) => query = query.filter(images::visibility.eq(v.to_owned())),
        None => {
            let project = q.scope.project_id.clone().unwrap_or_default();
            query = query.filter(
                images::visibility
                    .ne("community")
                    .or(images::owner.assume_not_null().eq(project)),
            );
        }
    }
    if q.scope.is_admin {
        return query;
    }
    let project = q.scope.project_id.clone().unwrap_or_default();
    let own_or_open = images::visibility
        .eq("public")
        .or(images::visibility.eq("community"))
        .or(images::owner.assume_not_null().eq(project.clone()));
    let memberships = image_members::table
        .filter(image_members::member.eq(project))
        .select(image_members::image_id);
    let shared = images::visibility.eq("shared");
    // Two spellings of one condition: a boxed subquery cannot be nested
    // under diesel's MultiConnection backend.
    if q.member_status == "all" {
        return query.filter(own_or_open.or(shared.and(images::id.eq_any(memberships))));
    }
    let with_status = memberships.filter(image_members::status.eq(q.member_status.clone()));
    query.filter(own_or_open.or(shared.and(images::id.eq_any(with_status))))
}

fn sorted(mut query: Boxed<'static>, sort: &[(SortKey, bool)]) -> Boxed<'static> {
    for (key, desc) in sort {
        let desc = *desc;
        match key {
            SortKey::Name => order!(query, images::name, desc),
            SortKey::Status => order!(query, images::status, desc),
            SortKey::ContainerFormat => order!(query, images::container_format, desc),
            SortKey::DiskFormat => order!(query, images::disk_format, desc),
            SortKey::Size => order!(query, images::size, desc),
            SortKey::Id => order!(query, images::id, desc),
            SortKey::CreatedAt => order!(query, images::created_at, desc),
            SortKey::UpdatedAt => order!(query, images::updated_at, desc),
        }
    }
    query
}

/// One page of a list: up to `limit` rows after `marker` (an image id that
/// must be in the filtered set), and whether more follow.
pub fn list(
    c: &mut Conn,
    q: &ListQuery,
    marker: Option<&str>,
    limit: usize,
) -> R<Option<(Vec<ImageRow>, bool)>> {
    let Some(marker) = marker else {
        let mut rows = sorted(filtered(q), &q.sort)
            .limit(limit as i64 + 1)
            .load(c)?;
        let more = rows.len() > limit;
        rows.truncate(limit);
        return Ok(Some((rows, more)));
    };
    // With a marker, find its place among the ordered ids, then load the page.
    let ids: Vec<String> = sorted(filtered(q), &q.sort)
        .load(c)?
        .into_iter()
        .map(|r| r.id)
        .collect();
    let Some(pos) = ids.iter().position(|id| id == marker) else {
        return Ok(None);
    };
    let page: Vec<String> = ids.iter().skip(pos + 1).take(limit).cloned().collect();
    let more = ids.len() > pos + 1 + limit;
    let mut rows: Vec<ImageRow> = images::table
        .filter(images::id.eq_any(&page))
        .select(ImageRow::as_select())
        .load(c)?;
    rows.sort_by_key(|r| page.iter().position(|id| *id == r.id));
    Ok(Some((rows, more)))
}
