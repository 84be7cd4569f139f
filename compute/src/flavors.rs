//! Flavors: sizes of instances, public or shared with chosen projects,
//! with extra specs the scheduler matches against hosts.

use crate::context::Context;
use crate::error::{Error, Result};
use crate::instances::FlavorSnapshot;
use crate::store::models::FlavorRow;
use crate::store::{self, Conn};
use std::collections::BTreeMap;

#[derive(Debug, Clone)]
pub struct Flavor {
    pub row: FlavorRow,
    pub extra_specs: BTreeMap<String, String>,
}

impl Flavor {
    fn from_row(row: FlavorRow) -> Flavor {
        Flavor {
            extra_specs: serde_json::from_str(&row.extra_specs).unwrap_or_default(),
            row,
        }
    }

    pub fn snapshot(&self) -> FlavorSnapshot {
        FlavorSnapshot {
            id: self.row.id.clone(),
            name: self.row.name.clone(),
            memory_mb: self.row.memory_mb,
            vcpus: self.row.vcpus,
            root_gb: self.row.root_gb,
            ephemeral_gb: self.row.ephemeral_gb,
            swap: self.row.swap,
            description: self.row.description.clone(),
            extra_specs: self.extra_specs.clone(),
        }
    }
}

/// `POST /flavors`
#[derive(Debug, Clone, Default)]
pub struct FlavorCreate {
    pub id: Option<String>,
    pub name: String,
    pub ram: i64,
    pub vcpus: i64,
    pub disk: i64,
    pub ephemeral: i64,
    pub swap: i64,
    pub rxtx_factor: f64,
    pub is_public: bool,
    pub description: Option<String>,
}

/// The flavors a context may use: public ones, and private ones shared
/// with its project; an admin may use them all.
pub fn accessible(c: &mut Conn, ctx: &Context, id: &str) -> Result<Flavor> {
    let row = store::flavors::get(c, id)?.ok_or_else(|| Error::flavor_not_found(id))?;
    if row.is_public || ctx.is_admin || store::flavors::has_access(c, id, &ctx.project_id)? {
        return Ok(Flavor::from_row(row));
    }
    Err(Error::flavor_not_found(id))
}

/// `is_public` as the list takes it: `Some(true)`, `Some(false)`, or
/// `None` for both (`is_public=None` or `all`).
pub fn list(c: &mut Conn, ctx: &Context, is_public: Option<bool>) -> Result<Vec<Flavor>> {
    let shared: Vec<String> = if ctx.is_admin {
        Vec::new()
    } else {
        store::flavors::shared_with(c, &ctx.project_id)?
    };
    let mut out: Vec<Flavor> = store::flavors::all(c)?
        .into_iter()
        .filter(|f| match (ctx.is_admin, is_public) {
            (true, None) => true,
            (true, Some(p)) => f.is_public == p,
            // A project sees public flavors and those shared with it, whatever it asks.
            (false, Some(false)) => !f.is_public && shared.contains(&f.id),
            (false, _) => f.is_public || shared.contains(&f.id),
        })
        .map(Flavor::from_row)
        .collect();
    out.sort_by(|a, b| a.row.id.cmp(&b.row.id));
    Ok(out)
}

fn check_name(name: &str) -> Result<()> {
    if name.is_empty() || name.chars().count() > 255 {
        return Err(Error::bad_request(
            "Invalid input for field/attribute name. Value: must be 1-255 characters",
        ));
    }
    if name.trim() != name {
        return Err(Error::bad_request(format!(
            "Invalid input for field/attribute name. Value: {name}. '{name}' has leading or trailing whitespace"
        )));
    }
    Ok(())
}

fn check_id(id: &str) -> Result<()> {
    let ok = !id.is_empty()
        && id.len() <= 255
        && id.trim() == id
        && id
            .chars()
            .all(|ch| ch.is_ascii_alphanumeric() || "-_. ".contains(ch));
    if ok {
        Ok(())
    } else {
        Err(Error::bad_request(format!(
            "Invalid input for field/attribute id. Value: {id}. '{id}' does not match '^(?! )[a-zA-Z0-9. _-]+(?<! )$'"
        )))
    }
}

fn in_range(field: &str, value: i64, min: i64) -> Result<i32> {
    if value < min || value > i64::from(i32::MAX) {
        return Err(Error::bad_request(format!(
            "Invalid input for field/attribute {field}. Value: {value}. {value} is less than the minimum of {min}"
        )));
    }
    Ok(value as i32)
}

pub fn create(c: &mut Conn, ctx: &Context, req: FlavorCreate) -> Result<Flavor> {
    ctx.require_admin("os_compute_api:os-flavor-manage:create")?;
    check_name(&req.name)?;
    let id = match req.id.filter(|i| !i.is_empty() && i != "auto") {
        Some(id) => {
            check_id(&id)?;
            id
        }
        None => uuid::Uuid::new_v4().to_string(),
    };
    if !(req.rxtx_factor > 0.0 && req.rxtx_factor.is_finite()) {
        return Err(Error::bad_request(
            "Invalid input for field/attribute rxtx_factor. Value must be greater than 0",
        ));
    }
    let row = FlavorRow {
        memory_mb: in_range("ram", req.ram, 1)?,
        vcpus: in_range("vcpus", req.vcpus, 1)?,
        root_gb: in_range("disk", req.disk, 0)?,
        ephemeral_gb: in_range("OS-FLV-EXT-DATA:ephemeral", req.ephemeral, 0)?,
        swap: in_range("swap", req.swap, 0)?,
        id,
        name: req.name,
        rxtx_factor: req.rxtx_factor,
        is_public: req.is_public,
        description: req.description,
        extra_specs: "{}".into(),
        created_at: compat_api::time::now_us(),
        updated_at: None,
    };
    if store::flavors::by_name(c, &row.name)?.is_some() {
        return Err(Error::conflict(format!(
            "Flavor with name {} already exists.",
            row.name
        )));
    }
    if store::flavors::get(c, &row.id)?.is_some() {
        return Err(Error::conflict(format!(
            "Flavor with ID {} already exists.",
            row.id
        )));
    }
    store::flavors::insert(c, &row)?;
    Ok(Flavor::from_row(row))
}

pub fn update_description(
    c: &mut Conn,
    ctx: &Context,
    id: &str,
    description: Option<String>,
) -> Result<Flavor> {
    ctx.require_admin("os_compute_api:os-flavor-manage:update")?;
    let mut row = store::flavors::get(c, id)?.ok_or_else(|| Error::flavor_not_found(id))?;
    row.description = description;
    row.updated_at = Some(compat_api::time::now_us());
    store::flavors::update(c, &row)?;
    Ok(Flavor::from_row(row))
}

pub fn delete(c: &mut Conn, ctx: &Context, id: &str) -> Result<()> {
    ctx.require_admin("os_compute_api:os-flavor-manage:delete")?;
    if store::flavors::get(c, id)?.is_none() {
        return Err(Error::flavor_not_found(id));
    }
    store::flavors::delete(c, id).map_err(Into::into)
}

/// Extra spec keys: 1-255 of `[a-zA-Z0-9-_:. /]`; values up to 255.
fn check_spec(key: &str, value: &str) -> Result<()> {
    let key_ok = !key.is_empty()
        && key.len() <= 255
        && key
            .chars()
            .all(|ch| ch.is_ascii_alphanumeric() || "-_:. /".contains(ch));
    if !key_ok {
        return Err(Error::bad_request(format!(
            "Invalid input for field/attribute extra_specs. Value: {key} is not a valid key"
        )));
    }
    if value.chars().count() > 255 {
        return Err(Error::bad_request(
            "Invalid input for field/attribute extra_specs. Value is too long",
        ));
    }
    Ok(())
}

/// Merges `specs` into the flavor's extra specs.
pub fn set_extra_specs(
    c: &mut Conn,
    ctx: &Context,
    id: &str,
    specs: BTreeMap<String, String>,
) -> Result<Flavor> {
    ctx.require_admin("os_compute_api:os-flavor-extra-specs:create")?;
    let row = store::flavors::get(c, id)?.ok_or_else(|| Error::flavor_not_found(id))?;
    let mut flavor = Flavor::from_row(row);
    for (k, v) in specs {
        check_spec(&k, &v)?;
        flavor.extra_specs.insert(k, v);
    }
    flavor.row.extra_specs = crate::instances::to_json(&flavor.extra_specs);
    flavor.row.updated_at = Some(compat_api::time::now_us());
    store::flavors::update(c, &flavor.row)?;
    Ok(flavor)
}

pub fn delete_extra_spec(c: &mut Conn, ctx: &Context, id: &str, key: &str) -> Result<()> {
    ctx.require_admin("os_compute_api:os-flavor-extra-specs:delete")?;
    let row = store::flavors::get(c, id)?.ok_or_else(|| Error::flavor_not_found(id))?;
    let mut flavor = Flavor::from_row(row);
    if flavor.extra_specs.remove(key).is_none() {
        return Err(Error::NotFound(format!(
            "Flavor {id} has no extra specs with key {key}."
        )));
    }
    flavor.row.extra_specs = crate::instances::to_json(&flavor.extra_specs);
    store::flavors::update(c, &flavor.row)?;
    Ok(())
}

/// The projects a private flavor is shared with.
pub fn access_list(c: &mut Conn, ctx: &Context, id: &str) -> Result<Vec<String>> {
    ctx.require_admin("os_compute_api:os-flavor-access")?;
    let row = store::flavors::get(c, id)?.ok_or_else(|| Error::flavor_not_found(id))?;
    if row.is_public {
        return Err(Error::NotFound(
            "Access list not available for public flavors.".into(),
        ));
    }
    Ok(store::flavors::projects(c, id)?)
}

pub fn add_access(c: &mut Conn, ctx: &Context, id: &str, project: &str) -> Result<Vec<String>> {
    ctx.require_admin("os_compute_api:os-flavor-access:add_tenant_access")?;
    let row = store::flavors::get(c, id)?.ok_or_else(|| Error::flavor_not_found(id))?;
    if row.is_public {
        return Err(Error::conflict("Can not add access to a public flavor."));
    }
    if store::flavors::has_access(c, id, project)? {
        return Err(Error::conflict(format!(
            "Flavor access already exists for flavor {id} and project {project} combination."
        )));
    }
    store::flavors::add_access(c, id, project)?;
    Ok(store::flavors::projects(c, id)?)
}

pub fn remove_access(c: &mut Conn, ctx: &Context, id: &str, project: &str) -> Result<Vec<String>> {
    ctx.require_admin("os_compute_api:os-flavor-access:remove_tenant_access")?;
    if store::flavors::get(c, id)?.is_none() {
        return Err(Error::flavor_not_found(id));
    }
    if store::flavors::remove_access(c, id, project)? == 0 {
        return Err(Error::NotFound(format!(
            "Flavor access not found for {id} / {project} combination."
        )));
    }
    Ok(store::flavors::projects(c, id)?)
}

/// The flavors a new cloud starts with (nova's devstack set).
pub fn bootstrap(c: &mut Conn) -> Result<bool> {
    if !store::flavors::all(c)?.is_empty() {
        return Ok(false);
    }
    let admin = Context::service();
    for (id, name, ram, vcpus, disk) in [
        ("1", "m1.tiny", 512, 1, 1),
        ("2", "m1.small", 2048, 1, 20),
        ("3", "m1.medium", 4096, 2, 40),
        ("4", "m1.large", 8192, 4, 80),
        ("5", "m1.xlarge", 16384, 8, 160),
        ("42", "m1.nano", 128, 1, 1),
        ("84", "m1.micro", 192, 1, 1),
    ] {
        create(
            c,
            &admin,
            FlavorCreate {
                id: Some(id.into()),
                name: name.into(),
                ram,
                vcpus,
                disk,
                rxtx_factor: 1.0,
                is_public: true,
                ..Default::default()
            },
        )?;
    }
    Ok(true)
}
