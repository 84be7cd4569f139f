//! Regions, services and endpoints.

use super::models::{Endpoint, Region, Service};
use super::schema::{endpoints, regions, services};
use super::{AnyConnection, StoreError};
use diesel::prelude::*;

type Conn = AnyConnection;
type R<T> = Result<T, StoreError>;

pub fn get_region(c: &mut Conn, id: &str) -> R<Option<Region>> {
    Ok(regions::table
        .find(id)
        .select(Region::as_select())
        .first(c)
        .optional()?)
}

pub fn list_regions(c: &mut Conn, parent: Option<&str>) -> R<Vec<Region>> {
    let mut q = regions::table
        .select(Region::as_select())
        .order(regions::id)
        .into_boxed();
    if let Some(p) = parent {
        q = q.filter(regions::parent_region_id.eq(p.to_owned()));
    }
    Ok(q.load(c)?)
}

pub fn insert_region(c: &mut Conn, r: &Region) -> R<()> {
    diesel::insert_into(regions::table).values(r).execute(c)?;
    Ok(())
}

pub fn update_region(c: &mut Conn, r: &Region) -> R<()> {
    diesel::update(regions::table.find(&r.id))
        .set(r)
        .execute(c)?;
    Ok(())
}

pub fn delete_region(c: &mut Conn, id: &str) -> R<()> {
    diesel::delete(regions::table.find(id)).execute(c)?;
    Ok(())
}

pub fn count_region_users(c: &mut Conn, id: &str) -> R<i64> {
    let children: i64 = regions::table
        .filter(regions::parent_region_id.eq(id))
        .count()
        .get_result(c)?;
    let eps: i64 = endpoints::table
        .filter(endpoints::region_id.eq(id))
        .count()
        .get_result(c)?;
    Ok(children + eps)
}

pub fn get_service(c: &mut Conn, id: &str) -> R<Option<Service>> {
    Ok(services::table
        .find(id)
        .select(Service::as_select())
        .first(c)
        .optional()?)
}

pub fn list_services(
    c: &mut Conn,
    service_type: Option<&str>,
    name: Option<&str>,
) -> R<Vec<Service>> {
    let mut q = services::table
        .select(Service::as_select())
        .order(services::service_type)
        .into_boxed();
    if let Some(v) = service_type {
        q = q.filter(services::service_type.eq(v.to_owned()));
    }
    if let Some(v) = name {
        q = q.filter(services::name.eq(v.to_owned()));
    }
    Ok(q.load(c)?)
}

pub fn insert_service(c: &mut Conn, s: &Service) -> R<()> {
    diesel::insert_into(services::table).values(s).execute(c)?;
    Ok(())
}

pub fn update_service(c: &mut Conn, s: &Service) -> R<()> {
    diesel::update(services::table.find(&s.id))
        .set(s)
        .execute(c)?;
    Ok(())
}

pub fn delete_service(c: &mut Conn, id: &str) -> R<()> {
    diesel::delete(endpoints::table.filter(endpoints::service_id.eq(id))).execute(c)?;
    diesel::delete(services::table.find(id)).execute(c)?;
    Ok(())
}

pub fn get_endpoint(c: &mut Conn, id: &str) -> R<Option<Endpoint>> {
    Ok(endpoints::table
        .find(id)
        .select(Endpoint::as_select())
        .first(c)
        .optional()?)
}

#[derive(Debug, Default, Clone)]
pub struct EndpointFilter {
    pub service_id: Option<String>,
    pub interface: Option<String>,
    pub region_id: Option<String>,
}

pub fn list_endpoints(c: &mut Conn, f: &EndpointFilter) -> R<Vec<Endpoint>> {
    let mut q = endpoints::table
        .select(Endpoint::as_select())
        .order(endpoints::id)
        .into_boxed();
    if let Some(v) = &f.service_id {
        q = q.filter(endpoints::service_id.eq(v.clone()));
    }
    if let Some(v) = &f.interface {
        q = q.filter(endpoints::interface.eq(v.clone()));
    }
    if let Some(v) = &f.region_id {
        q = q.filter(endpoints::region_id.eq(v.clone()));
    }
    Ok(q.load(c)?)
}

pub fn insert_endpoint(c: &mut Conn, e: &Endpoint) -> R<()> {
    diesel::insert_into(endpoints::table).values(e).execute(c)?;
    Ok(())
}

pub fn update_endpoint(c: &mut Conn, e: &Endpoint) -> R<()> {
    diesel::update(endpoints::table.find(&e.id))
        .set(e)
        .execute(c)?;
    Ok(())
}

pub fn delete_endpoint(c: &mut Conn, id: &str) -> R<()> {
    diesel::delete(endpoints::table.find(id)).execute(c)?;
    Ok(())
}
