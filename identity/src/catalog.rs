//! The service catalog as tokens carry it, built from the catalog tables and
//! cached until a region, service or endpoint changes.

use crate::error::Error;
use crate::store::{catalog as q, AnyConnection};
use serde::ser::{SerializeMap, SerializeSeq, Serializer};
use serde::Serialize;
use std::borrow::Cow;
use std::sync::{Arc, RwLock};

#[derive(Debug, Clone)]
struct CatalogEndpoint {
    id: String,
    interface: String,
    region: Option<String>,
    url: String,
}

#[derive(Debug, Clone)]
struct CatalogService {
    id: String,
    service_type: String,
    name: String,
    endpoints: Vec<CatalogEndpoint>,
}

#[derive(Default)]
pub struct CatalogCache {
    services: RwLock<Option<Arc<Vec<CatalogService>>>>,
}

/// Endpoint URLs may name the project: `http://h:8776/v3/%(project_id)s`.
fn substitute<'a>(url: &'a str, project_id: Option<&str>) -> Option<Cow<'a, str>> {
    const MARKERS: [&str; 4] = [
        "%(project_id)s",
        "$(project_id)s",
        "%(tenant_id)s",
        "$(tenant_id)s",
    ];
    if !MARKERS.iter().any(|m| url.contains(m)) {
        return Some(Cow::Borrowed(url));
    }
    // Without a project the endpoint cannot be used, so keystone leaves it out.
    let project_id = project_id?;
    Some(Cow::Owned(
        MARKERS
            .iter()
            .fold(url.to_owned(), |acc, m| acc.replace(m, project_id)),
    ))
}

impl CatalogCache {
    pub fn invalidate(&self) {
        *self.services.write().unwrap_or_else(|e| e.into_inner()) = None;
    }

    fn load(c: &mut AnyConnection) -> Result<Vec<CatalogService>, Error> {
        let services = q::list_services(c, None, None)?;
        let endpoints = q::list_endpoints(c, &q::EndpointFilter::default())?;
        Ok(services
            .into_iter()
            .filter(|s| s.enabled)
            .map(|s| CatalogService {
                endpoints: endpoints
                    .iter()
                    .filter(|e| e.enabled && e.service_id == s.id)
                    .map(|e| CatalogEndpoint {
                        id: e.id.clone(),
                        interface: e.interface.clone(),
                        region: e.region_id.clone(),
                        url: e.url.clone(),
                    })
                    .collect(),
                id: s.id,
                service_type: s.service_type,
                name: s.name,
            })
            .collect())
    }

    fn get(&self, c: &mut AnyConnection) -> Result<Arc<Vec<CatalogService>>, Error> {
        if let Some(cached) = self
            .services
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
        {
            return Ok(cached);
        }
        let fresh = Arc::new(Self::load(c)?);
        *self.services.write().unwrap_or_else(|e| e.into_inner()) = Some(fresh.clone());
        Ok(fresh)
    }

    /// The catalog as tokens carry it, loaded first if it is not cached.
    /// Renders from what was loaded, so a change racing with the load (which
    /// empties the cache again) cannot leave the caller without a catalog.
    pub fn render_loaded(
        &self,
        c: &mut AnyConnection,
        project_id: Option<&str>,
    ) -> Result<Catalog, Error> {
        Ok(Catalog {
            services: self.get(c)?,
            project_id: project_id.map(str::to_owned),
        })
    }

    /// The catalog as tokens carry it, or None when it is not cached (the
    /// caller then loads it on a blocking thread with `render_loaded`).
    pub fn render_cached(&self, project_id: Option<&str>) -> Option<Catalog> {
        let services = self
            .services
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()?;
        Some(Catalog {
            services,
            project_id: project_id.map(str::to_owned),
        })
    }
}

/// The catalog of one project as tokens carry it, written straight from
/// the cached services: every validation with a catalog renders one.
pub struct Catalog {
    services: Arc<Vec<CatalogService>>,
    project_id: Option<String>,
}

impl Serialize for Catalog {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let project_id = self.project_id.as_deref();
        let mut list = s.serialize_seq(Some(self.services.len()))?;
        for service in self.services.iter() {
            list.serialize_element(&ServiceView {
                service,
                project_id,
            })?;
        }
        list.end()
    }
}

struct ServiceView<'a> {
    service: &'a CatalogService,
    project_id: Option<&'a str>,
}

impl Serialize for ServiceView<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let svc = self.service;
        let endpoints: Vec<EndpointView> = svc
            .endpoints
            .iter()
            .filter_map(|e| {
                Some(EndpointView {
                    id: &e.id,
                    interface: &e.interface,
                    region: e.region.as_deref(),
                    region_id: e.region.as_deref(),
                    url: substitute(&e.url, self.project_id)?,
                })
            })
            .collect();
        let mut m = s.serialize_map(Some(4))?;
        m.serialize_entry("id", &svc.id)?;
        m.serialize_entry("type", &svc.service_type)?;
        m.serialize_entry("name", &svc.name)?;
        m.serialize_entry("endpoints", &endpoints)?;
        m.end()
    }
}

#[derive(Serialize)]
struct EndpointView<'a> {
    id: &'a str,
    interface: &'a str,
    region: Option<&'a str>,
    region_id: Option<&'a str>,
    url: Cow<'a, str>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn project_markers_are_substituted_or_dropped() {
        assert_eq!(
            substitute("http://h/v3/%(project_id)s", Some("p")).as_deref(),
            Some("http://h/v3/p")
        );
        assert_eq!(
            substitute("http://h/v3/$(tenant_id)s", Some("p")).as_deref(),
            Some("http://h/v3/p")
        );
        assert_eq!(substitute("http://h/v3/%(project_id)s", None), None);
        assert_eq!(
            substitute("http://h/v3", None).as_deref(),
            Some("http://h/v3")
        );
    }
}

/// Region, service and endpoint management.
pub mod admin {
    use crate::error::Error;
    use crate::store::models::{Endpoint, Region, Service};
    use crate::store::{catalog as q, new_id};
    use crate::{policy, Identity};
    use compat_api::AuthContext;
    use serde::Deserialize;

    pub const INTERFACES: [&str; 3] = ["public", "internal", "admin"];

    #[derive(Debug, Clone, Deserialize)]
    pub struct NewRegion {
        pub id: Option<String>,
        #[serde(default)]
        pub description: Option<String>,
        #[serde(default)]
        pub parent_region_id: Option<String>,
    }

    #[derive(Debug, Clone, Default, Deserialize)]
    pub struct RegionPatch {
        pub description: Option<String>,
        pub parent_region_id: Option<String>,
    }

    #[derive(Debug, Clone, Deserialize)]
    pub struct NewService {
        #[serde(rename = "type")]
        pub service_type: String,
        #[serde(default)]
        pub name: Option<String>,
        #[serde(default)]
        pub description: Option<String>,
        #[serde(default)]
        pub enabled: Option<bool>,
    }

    #[derive(Debug, Clone, Default, Deserialize)]
    pub struct ServicePatch {
        #[serde(rename = "type")]
        pub service_type: Option<String>,
        pub name: Option<String>,
        pub description: Option<String>,
        pub enabled: Option<bool>,
    }

    #[derive(Debug, Clone, Deserialize)]
    pub struct NewEndpoint {
        pub service_id: String,
        pub interface: String,
        pub url: String,
        #[serde(default)]
        pub region_id: Option<String>,
        #[serde(default)]
        pub region: Option<String>,
        #[serde(default)]
        pub enabled: Option<bool>,
    }

    #[derive(Debug, Clone, Default, Deserialize)]
    pub struct EndpointPatch {
        pub service_id: Option<String>,
        pub interface: Option<String>,
        pub url: Option<String>,
        pub region_id: Option<String>,
        /// The v3.0 name of `region_id`, still sent by some clients.
        pub region: Option<String>,
        pub enabled: Option<bool>,
    }

    fn check_interface(i: &str) -> Result<(), Error> {
        if INTERFACES.contains(&i) {
            return Ok(());
        }
        Err(Error::Validation(format!(
            "Invalid input for field 'interface': '{i}' is not one of public, internal, admin."
        )))
    }

    /// As keystone: an endpoint naming an unknown region creates it.
    fn ensure_region(c: &mut crate::store::AnyConnection, id: &str) -> Result<(), Error> {
        if q::get_region(c, id)?.is_some() {
            return Ok(());
        }
        let region = Region {
            id: id.to_owned(),
            description: String::new(),
            parent_region_id: None,
            extra: "{}".into(),
        };
        Ok(q::insert_region(c, &region)?)
    }

    fn check_url(url: &str) -> Result<(), Error> {
        if url.starts_with("http://") || url.starts_with("https://") {
            return Ok(());
        }
        Err(Error::Validation(format!(
            "Invalid input for field 'url': '{url}' is not a URL."
        )))
    }

    impl Identity {
        pub async fn create_region(
            &self,
            ctx: &AuthContext,
            new: NewRegion,
        ) -> Result<Region, Error> {
            policy::admin(ctx, "create_region")?;
            let region = Region {
                id: new.id.unwrap_or_else(new_id),
                description: new.description.unwrap_or_default(),
                parent_region_id: new.parent_region_id,
                extra: "{}".into(),
            };
            let cache = self.catalog.clone();
            self.db
                .write(move |c| {
                    if q::get_region(c, &region.id)?.is_some() {
                        return Err(Error::conflict(
                            "region",
                            format!("Duplicate ID, {}.", region.id),
                        ));
                    }
                    if let Some(p) = &region.parent_region_id {
                        q::get_region(c, p)?.ok_or_else(|| {
                            Error::Validation(format!("Could not find region: {p}."))
                        })?;
                    }
                    q::insert_region(c, &region)?;
                    cache.invalidate();
                    Ok(region)
                })
                .await
        }

        pub async fn get_region(&self, id: String) -> Result<Region, Error> {
            self.db
                .read(move |c| q::get_region(c, &id)?.ok_or_else(|| Error::not_found("region", id)))
                .await
        }

        pub async fn list_regions(&self, parent: Option<String>) -> Result<Vec<Region>, Error> {
            self.db
                .read(move |c| Ok(q::list_regions(c, parent.as_deref())?))
                .await
        }

        pub async fn update_region(
            &self,
            ctx: &AuthContext,
            id: String,
            patch: RegionPatch,
        ) -> Result<Region, Error> {
            policy::admin(ctx, "update_region")?;
            self.db
                .write(move |c| {
                    let mut r =
                        q::get_region(c, &id)?.ok_or_else(|| Error::not_found("region", &id))?;
                    if let Some(d) = patch.description {
                        r.description = d;
                    }
                    if let Some(p) = patch.parent_region_id {
                        if p == r.id {
                            return Err(Error::Validation(
                                "A region cannot be its own parent.".into(),
                            ));
                        }
                        q::get_region(c, &p)?.ok_or_else(|| {
                            Error::Validation(format!("Could not find region: {p}."))
                        })?;
                        r.parent_region_id = Some(p);
                    }
                    q::update_region(c, &r)?;
                    Ok(r)
                })
                .await
        }

        pub async fn delete_region(&self, ctx: &AuthContext, id: String) -> Result<(), Error> {
            policy::admin(ctx, "delete_region")?;
            self.db
                .write(move |c| {
                    q::get_region(c, &id)?.ok_or_else(|| Error::not_found("region", &id))?;
                    if q::count_region_users(c, &id)? > 0 {
                        return Err(Error::conflict(
                            "region",
                            "The region has child regions or endpoints.",
                        ));
                    }
                    Ok(q::delete_region(c, &id)?)
                })
                .await
        }

        pub async fn create_service(
            &self,
            ctx: &AuthContext,
            new: NewService,
        ) -> Result<Service, Error> {
            policy::admin(ctx, "create_service")?;
            let service = Service {
                id: new_id(),
                service_type: new.service_type,
                name: new.name.unwrap_or_default(),
                description: new.description.unwrap_or_default(),
                enabled: new.enabled.unwrap_or(true),
                extra: "{}".into(),
            };
            let cache = self.catalog.clone();
            self.db
                .write(move |c| {
                    q::insert_service(c, &service)?;
                    cache.invalidate();
                    Ok(service)
                })
                .await
        }

        pub async fn get_service(&self, ctx: &AuthContext, id: String) -> Result<Service, Error> {
            policy::reader(ctx, "get_service")?;
            self.db
                .read(move |c| {
                    q::get_service(c, &id)?.ok_or_else(|| Error::not_found("service", id))
                })
                .await
        }

        pub async fn list_services(
            &self,
            ctx: &AuthContext,
            service_type: Option<String>,
            name: Option<String>,
        ) -> Result<Vec<Service>, Error> {
            policy::reader(ctx, "list_services")?;
            self.db
                .read(move |c| {
                    Ok(q::list_services(
                        c,
                        service_type.as_deref(),
                        name.as_deref(),
                    )?)
                })
                .await
        }

        pub async fn update_service(
            &self,
            ctx: &AuthContext,
            id: String,
            patch: ServicePatch,
        ) -> Result<Service, Error> {
            policy::admin(ctx, "update_service")?;
            let cache = self.catalog.clone();
            self.db
                .write(move |c| {
                    let mut s =
                        q::get_service(c, &id)?.ok_or_else(|| Error::not_found("service", &id))?;
                    if let Some(v) = patch.service_type {
                        s.service_type = v;
                    }
                    if let Some(v) = patch.name {
                        s.name = v;
                    }
                    if let Some(v) = patch.description {
                        s.description = v;
                    }
                    if let Some(v) = patch.enabled {
                        s.enabled = v;
                    }
                    q::update_service(c, &s)?;
                    cache.invalidate();
                    Ok(s)
                })
                .await
        }

        pub async fn delete_service(&self, ctx: &AuthContext, id: String) -> Result<(), Error> {
            policy::admin(ctx, "delete_service")?;
            let cache = self.catalog.clone();
            self.db
                .write(move |c| {
                    q::get_service(c, &id)?.ok_or_else(|| Error::not_found("service", &id))?;
                    q::delete_service(c, &id)?;
                    cache.invalidate();
                    Ok(())
                })
                .await
        }

        pub async fn create_endpoint(
            &self,
            ctx: &AuthContext,
            new: NewEndpoint,
        ) -> Result<Endpoint, Error> {
            policy::admin(ctx, "create_endpoint")?;
            check_interface(&new.interface)?;
            check_url(&new.url)?;
            let endpoint = Endpoint {
                id: new_id(),
                service_id: new.service_id,
                interface: new.interface,
                url: new.url,
                region_id: new.region_id.or(new.region),
                enabled: new.enabled.unwrap_or(true),
                extra: "{}".into(),
            };
            let cache = self.catalog.clone();
            self.db
                .write(move |c| {
                    q::get_service(c, &endpoint.service_id)?.ok_or_else(|| {
                        Error::Validation(format!(
                            "Could not find service: {}.",
                            endpoint.service_id
                        ))
                    })?;
                    if let Some(r) = &endpoint.region_id {
                        ensure_region(c, r)?;
                    }
                    q::insert_endpoint(c, &endpoint)?;
                    cache.invalidate();
                    Ok(endpoint)
                })
                .await
        }

        pub async fn get_endpoint(&self, ctx: &AuthContext, id: String) -> Result<Endpoint, Error> {
            policy::reader(ctx, "get_endpoint")?;
            self.db
                .read(move |c| {
                    q::get_endpoint(c, &id)?.ok_or_else(|| Error::not_found("endpoint", id))
                })
                .await
        }

        pub async fn list_endpoints(
            &self,
            ctx: &AuthContext,
            filter: q::EndpointFilter,
        ) -> Result<Vec<Endpoint>, Error> {
            policy::reader(ctx, "list_endpoints")?;
            self.db
                .read(move |c| Ok(q::list_endpoints(c, &filter)?))
                .await
        }

        pub async fn update_endpoint(
            &self,
            ctx: &AuthContext,
            id: String,
            patch: EndpointPatch,
        ) -> Result<Endpoint, Error> {
            policy::admin(ctx, "update_endpoint")?;
            if let Some(i) = &patch.interface {
                check_interface(i)?;
            }
            if let Some(u) = &patch.url {
                check_url(u)?;
            }
            let cache = self.catalog.clone();
            self.db
                .write(move |c| {
                    let mut e = q::get_endpoint(c, &id)?
                        .ok_or_else(|| Error::not_found("endpoint", &id))?;
                    if let Some(v) = patch.service_id {
                        q::get_service(c, &v)?.ok_or_else(|| {
                            Error::Validation(format!("Could not find service: {v}."))
                        })?;
                        e.service_id = v;
                    }
                    if let Some(v) = patch.interface {
                        e.interface = v;
                    }
                    if let Some(v) = patch.url {
                        e.url = v;
                    }
                    if let Some(v) = patch.region_id.or(patch.region) {
                        ensure_region(c, &v)?;
                        e.region_id = Some(v);
                    }
                    if let Some(v) = patch.enabled {
                        e.enabled = v;
                    }
                    q::update_endpoint(c, &e)?;
                    cache.invalidate();
                    Ok(e)
                })
                .await
        }

        pub async fn delete_endpoint(&self, ctx: &AuthContext, id: String) -> Result<(), Error> {
            policy::admin(ctx, "delete_endpoint")?;
            let cache = self.catalog.clone();
            self.db
                .write(move |c| {
                    q::get_endpoint(c, &id)?.ok_or_else(|| Error::not_found("endpoint", &id))?;
                    q::delete_endpoint(c, &id)?;
                    cache.invalidate();
                    Ok(())
                })
                .await
        }
    }
}
