//! How compute reaches the image and network services: two traits in
//! compute's own terms, and their in-process implementations over this
//! binary's image and network crates (all-in-one). Implementations over the
//! services' REST APIs, with a service token, join these for split
//! deployments or an upstream glance or neutron.

use crate::context::Context;
use crate::error::{Error, Result};
use crate::instances::{Vif, VifIp};
use crate::virt::DiskStream;
use futures_util::future::BoxFuture;
use std::collections::BTreeMap;
use std::sync::Arc;

/// An image as compute needs it.
#[derive(Debug, Clone, PartialEq)]
pub struct ImageInfo {
    pub id: String,
    pub name: String,
    pub status: String,
    pub min_ram: i64,
    pub min_disk: i64,
    pub size: Option<i64>,
    pub disk_format: Option<String>,
    pub container_format: Option<String>,
    pub properties: BTreeMap<String, String>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// What nova's image list asks the image service for (glance's filters).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ImageFilters {
    pub name: Option<String>,
    /// A glance status (`active`, `saving`, ...).
    pub status: Option<String>,
    /// Updated at or after this instant (µs since the epoch).
    pub updated_since: Option<i64>,
    /// `min_ram` and `min_disk` as given: equal to the value; one that is
    /// not a number matches nothing.
    pub min_ram: Option<String>,
    pub min_disk: Option<String>,
    /// Custom properties with the given values.
    pub properties: Vec<(String, String)>,
}

pub trait ImageApi: Send + Sync {
    /// The image, if `ctx` may see it.
    fn show<'a>(
        &'a self,
        ctx: &'a Context,
        id: &'a str,
    ) -> BoxFuture<'a, Result<Option<ImageInfo>>>;

    /// The images `ctx` sees by default in the image service (newest
    /// first), from after `marker` (an unknown one is `BadRequest`), at
    /// most `limit` (`None`: all), and whether more follow.
    fn list<'a>(
        &'a self,
        ctx: &'a Context,
        filters: ImageFilters,
        marker: Option<String>,
        limit: Option<usize>,
    ) -> BoxFuture<'a, Result<(Vec<ImageInfo>, bool)>>;

    /// Replaces the custom properties of an image with `properties`
    /// (nova's image metadata); returns the image as it then is.
    fn set_properties<'a>(
        &'a self,
        ctx: &'a Context,
        id: &'a str,
        properties: BTreeMap<String, String>,
    ) -> BoxFuture<'a, Result<ImageInfo>>;

    /// A new `queued` image owned by `ctx`'s project (a snapshot's record).
    fn create<'a>(
        &'a self,
        ctx: &'a Context,
        attributes: serde_json::Map<String, serde_json::Value>,
    ) -> BoxFuture<'a, Result<ImageInfo>>;

    /// Uploads a queued image's data; the image becomes `active`.
    fn upload<'a>(
        &'a self,
        ctx: &'a Context,
        id: &'a str,
        data: DiskStream,
    ) -> BoxFuture<'a, Result<()>>;

    fn delete<'a>(&'a self, ctx: &'a Context, id: &'a str) -> BoxFuture<'a, Result<()>>;
}

#[derive(Debug, Clone, PartialEq)]
pub struct NetworkInfo {
    pub id: String,
    pub name: String,
    pub project_id: String,
    pub shared: bool,
    pub external: bool,
    pub subnet_count: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PortInfo {
    pub id: String,
    pub network_id: String,
    pub device_id: String,
}

/// A security group and its rules, as the network service keeps them.
pub type SecurityGroupInfo = network::client::SecurityGroupSummary;

/// A security group rule, as the network service keeps it.
pub type SecurityGroupRuleInfo = network::client::RuleSummary;

/// A floating IP, as the network service keeps it.
pub type FloatingIpInfo = network::client::FloatingIpSummary;

/// An ingress rule in nova's terms, for the network service to add.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct IngressRule {
    pub group_id: String,
    pub protocol: Option<String>,
    pub port_range_min: Option<i64>,
    pub port_range_max: Option<i64>,
    pub cidr: Option<String>,
    pub remote_group_id: Option<String>,
}

pub trait NetworkApi: Send + Sync {
    /// The networks `ctx` may see (all of them, or those in `ids`; an
    /// unknown id is `NotFound`).
    fn networks<'a>(
        &'a self,
        ctx: &'a Context,
        ids: Option<Vec<String>>,
    ) -> BoxFuture<'a, Result<Vec<NetworkInfo>>>;

    fn show_port<'a>(&'a self, ctx: &'a Context, id: &'a str) -> BoxFuture<'a, Result<PortInfo>>;

    /// Creates a port for an instance on a network, owned by `ctx`'s project.
    fn create_port<'a>(
        &'a self,
        ctx: &'a Context,
        network_id: &'a str,
        fixed_ip: Option<String>,
        instance_id: &'a str,
        security_groups: Option<Vec<String>>,
    ) -> BoxFuture<'a, Result<String>>;

    /// Binds a port to a host and tells what to plug.
    fn bind_port<'a>(
        &'a self,
        port_id: &'a str,
        host: &'a str,
        instance_id: &'a str,
    ) -> BoxFuture<'a, Result<Vif>>;

    fn unbind_port<'a>(&'a self, port_id: &'a str) -> BoxFuture<'a, Result<()>>;

    fn delete_port<'a>(&'a self, port_id: &'a str) -> BoxFuture<'a, Result<()>>;

    /// The security groups of a project, or of every project (`None`,
    /// admins); the project's `default` group is made if missing.
    fn security_groups<'a>(
        &'a self,
        ctx: &'a Context,
        project_id: Option<&'a str>,
    ) -> BoxFuture<'a, Result<Vec<SecurityGroupInfo>>>;

    fn show_security_group<'a>(
        &'a self,
        ctx: &'a Context,
        id: &'a str,
    ) -> BoxFuture<'a, Result<SecurityGroupInfo>>;

    fn create_security_group<'a>(
        &'a self,
        ctx: &'a Context,
        name: String,
        description: String,
    ) -> BoxFuture<'a, Result<SecurityGroupInfo>>;

    fn update_security_group<'a>(
        &'a self,
        ctx: &'a Context,
        id: &'a str,
        name: Option<String>,
        description: Option<String>,
    ) -> BoxFuture<'a, Result<SecurityGroupInfo>>;

    fn delete_security_group<'a>(
        &'a self,
        ctx: &'a Context,
        id: &'a str,
    ) -> BoxFuture<'a, Result<()>>;

    fn port_security_groups<'a>(&'a self, port_id: &'a str) -> BoxFuture<'a, Result<Vec<String>>>;

    fn set_port_security_groups<'a>(
        &'a self,
        port_id: &'a str,
        ids: Vec<String>,
    ) -> BoxFuture<'a, Result<()>>;

    /// Adds an ingress rule (a quota overrun is `OverQuota`, a duplicate
    /// `Conflict`).
    fn create_security_group_rule<'a>(
        &'a self,
        ctx: &'a Context,
        rule: IngressRule,
    ) -> BoxFuture<'a, Result<SecurityGroupRuleInfo>>;

    fn delete_security_group_rule<'a>(
        &'a self,
        ctx: &'a Context,
        id: &'a str,
    ) -> BoxFuture<'a, Result<()>>;

    /// The floating IPs `ctx` sees.
    fn floating_ips<'a>(&'a self, ctx: &'a Context) -> BoxFuture<'a, Result<Vec<FloatingIpInfo>>>;

    /// Allocates an address of an external network to `ctx`'s project (a
    /// quota overrun is `OverQuota`).
    fn create_floating_ip<'a>(
        &'a self,
        ctx: &'a Context,
        network_id: &'a str,
    ) -> BoxFuture<'a, Result<FloatingIpInfo>>;

    fn delete_floating_ip<'a>(&'a self, ctx: &'a Context, id: &'a str)
        -> BoxFuture<'a, Result<()>>;

    /// Maps a floating IP to a port (and one of its fixed addresses), or
    /// with `None` unmaps it.
    fn set_floating_ip_port<'a>(
        &'a self,
        ctx: &'a Context,
        id: &'a str,
        port: Option<(String, Option<String>)>,
    ) -> BoxFuture<'a, Result<FloatingIpInfo>>;
}

/// The image service of this process.
pub struct InProcessImages(pub Arc<image::ImageService>);

fn image_error(e: image::Error) -> Error {
    match e {
        image::Error::NotFound(m) => Error::NotFound(m),
        image::Error::Forbidden(m) => Error::Forbidden(m),
        image::Error::Conflict(m) => Error::Conflict(m),
        image::Error::BadRequest(m) => Error::BadRequest(m),
        image::Error::TooLarge(m) => Error::OverQuota(m),
        other => Error::Unavailable(format!("image service: {other}")),
    }
}

fn viewer(ctx: &Context) -> image::policy::Viewer {
    image::policy::Viewer {
        project_id: Some(ctx.project_id.clone()),
        is_admin: ctx.is_admin,
        is_member: true,
    }
}

fn image_info(img: image::images::Image) -> ImageInfo {
    ImageInfo {
        id: img.row.id.clone(),
        name: img.row.name.clone().unwrap_or_default(),
        status: img.row.status.clone(),
        min_ram: img.row.min_ram.into(),
        min_disk: img.row.min_disk.into(),
        size: img.row.size,
        disk_format: img.row.disk_format.clone(),
        container_format: img.row.container_format.clone(),
        created_at: img.row.created_at,
        updated_at: img.row.updated_at,
        properties: img.properties,
    }
}

impl ImageApi for InProcessImages {
    fn show<'a>(
        &'a self,
        ctx: &'a Context,
        id: &'a str,
    ) -> BoxFuture<'a, Result<Option<ImageInfo>>> {
        Box::pin(async move {
            use image::client::ImageClient;
            match self.0.show(&viewer(ctx), id).await {
                Ok(img) => Ok(Some(image_info(img))),
                Err(image::Error::NotFound(_)) => Ok(None),
                Err(e) => Err(image_error(e)),
            }
        })
    }

    fn list<'a>(
        &'a self,
        ctx: &'a Context,
        filters: ImageFilters,
        marker: Option<String>,
        limit: Option<usize>,
    ) -> BoxFuture<'a, Result<(Vec<ImageInfo>, bool)>> {
        Box::pin(async move {
            use image::client::ImageClient;
            use image::store::images::{Cmp, ListQuery};
            // An integer column's value as glance's SQL compares it: one
            // that is not a number matches no image (none is negative).
            let column = |v: Option<String>| v.map(|v| v.trim().parse::<i32>().unwrap_or(-1));
            let query = ListQuery {
                member_status: "accepted".into(),
                os_hidden: Some(false),
                names: filters.name.into_iter().collect(),
                status: filters.status,
                updated_at: filters
                    .updated_since
                    .map(|t| (Cmp::Gte, t))
                    .into_iter()
                    .collect(),
                min_ram: column(filters.min_ram),
                min_disk: column(filters.min_disk),
                properties: filters.properties,
                ..ListQuery::default()
            };
            // Without a limit, every image (nova pages through them all).
            let limit = limit.unwrap_or(i32::MAX as usize);
            let (images, more) = self
                .0
                .list(&viewer(ctx), query, marker, limit)
                .await
                .map_err(image_error)?;
            Ok((images.into_iter().map(image_info).collect(), more))
        })
    }

    fn set_properties<'a>(
        &'a self,
        ctx: &'a Context,
        id: &'a str,
        properties: BTreeMap<String, String>,
    ) -> BoxFuture<'a, Result<ImageInfo>> {
        Box::pin(async move {
            use image::client::ImageClient;
            use image::patch::{Op, PatchOp};
            let viewer = viewer(ctx);
            let current = self.0.show(&viewer, id).await.map_err(image_error)?;
            // The patch a glance client sends: removals, then additions.
            let removals = current
                .properties
                .keys()
                .filter(|k| !properties.contains_key(*k))
                .map(|k| PatchOp {
                    op: Op::Remove,
                    attribute: k.clone(),
                    value: None,
                });
            let additions = properties
                .iter()
                .filter(|(k, v)| current.properties.get(*k) != Some(*v))
                .map(|(k, v)| PatchOp {
                    op: Op::Add,
                    attribute: k.clone(),
                    value: Some(serde_json::Value::String(v.clone())),
                });
            let ops = removals.chain(additions).collect();
            self.0
                .update(&viewer, id, ops)
                .await
                .map(image_info)
                .map_err(image_error)
        })
    }

    fn create<'a>(
        &'a self,
        ctx: &'a Context,
        attributes: serde_json::Map<String, serde_json::Value>,
    ) -> BoxFuture<'a, Result<ImageInfo>> {
        Box::pin(async move {
            use image::client::ImageClient;
            self.0
                .create(&viewer(ctx), attributes)
                .await
                .map(image_info)
                .map_err(image_error)
        })
    }

    fn upload<'a>(
        &'a self,
        ctx: &'a Context,
        id: &'a str,
        data: DiskStream,
    ) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            use image::client::ImageClient;
            self.0
                .upload(&viewer(ctx), id, None, data)
                .await
                .map_err(image_error)
        })
    }

    fn delete<'a>(&'a self, ctx: &'a Context, id: &'a str) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            match self.0.delete_image(&viewer(ctx), id).await {
                Ok(()) | Err(image::Error::NotFound(_)) => Ok(()),
                Err(e) => Err(image_error(e)),
            }
        })
    }
}

/// The network service of this process.
pub struct InProcessNetwork(pub network::client::InProcess);

fn network_error(e: network::Error) -> Error {
    match e {
        network::Error::NotFound { message, .. } => Error::NotFound(message),
        network::Error::Conflict { message, .. } => Error::Conflict(message),
        network::Error::BadRequest { message, .. } => Error::BadRequest(message),
        network::Error::Forbidden(m) => Error::Forbidden(m),
        other => Error::Unavailable(format!("network service: {other}")),
    }
}

/// As `network_error`, with a quota overrun told apart.
fn quota_error(e: network::Error) -> Error {
    match e {
        network::Error::Conflict {
            kind: "OverQuota",
            message,
        } => Error::OverQuota(message),
        other => network_error(other),
    }
}

fn caller(ctx: &Context) -> network::policy::Caller {
    network::policy::Caller {
        project_id: Some(ctx.project_id.clone()),
        is_admin: ctx.is_admin,
    }
}

impl NetworkApi for InProcessNetwork {
    fn networks<'a>(
        &'a self,
        ctx: &'a Context,
        ids: Option<Vec<String>>,
    ) -> BoxFuture<'a, Result<Vec<NetworkInfo>>> {
        Box::pin(async move {
            use network::client::NetworkClient;
            let nets = self
                .0
                .networks(caller(ctx), ids)
                .await
                .map_err(network_error)?;
            Ok(nets
                .into_iter()
                .map(|n| NetworkInfo {
                    id: n.id,
                    name: n.name,
                    project_id: n.project_id,
                    shared: n.shared,
                    external: n.external,
                    subnet_count: n.subnet_count,
                })
                .collect())
        })
    }

    fn show_port<'a>(&'a self, ctx: &'a Context, id: &'a str) -> BoxFuture<'a, Result<PortInfo>> {
        Box::pin(async move {
            use network::client::NetworkClient;
            let p = self
                .0
                .show_port(caller(ctx), id)
                .await
                .map_err(network_error)?;
            Ok(PortInfo {
                id: p.id,
                network_id: p.network_id,
                device_id: p.device_id,
            })
        })
    }

    fn create_port<'a>(
        &'a self,
        ctx: &'a Context,
        network_id: &'a str,
        fixed_ip: Option<String>,
        instance_id: &'a str,
        security_groups: Option<Vec<String>>,
    ) -> BoxFuture<'a, Result<String>> {
        Box::pin(async move {
            use network::client::{NetworkClient, PortSpec};
            let spec = PortSpec {
                network_id: network_id.to_owned(),
                ip_address: fixed_ip,
                device_id: instance_id.to_owned(),
                security_groups,
            };
            self.0
                .create_port(caller(ctx), spec)
                .await
                .map_err(network_error)
        })
    }

    fn bind_port<'a>(
        &'a self,
        port_id: &'a str,
        host: &'a str,
        instance_id: &'a str,
    ) -> BoxFuture<'a, Result<Vif>> {
        Box::pin(async move {
            use network::client::NetworkClient;
            let b = self
                .0
                .bind_port(port_id, host, instance_id)
                .await
                .map_err(network_error)?;
            let admin = network::policy::Caller::admin();
            let label = self
                .0
                .networks(admin, Some(vec![b.network_id.clone()]))
                .await
                .map_err(network_error)?
                .into_iter()
                .next()
                .map(|n| n.name)
                .unwrap_or_default();
            Ok(Vif {
                port_id: b.port_id,
                network_id: b.network_id,
                network_label: label,
                mac: b.mac_address,
                vif_type: b.vif_type,
                bridge: b.bridge,
                mtu: b.mtu,
                ips: b
                    .addresses
                    .into_iter()
                    .map(|a| VifIp {
                        version: if a.ip_address.contains(':') { 6 } else { 4 },
                        address: a.ip_address,
                        kind: "fixed".into(),
                        cidr: a.cidr,
                        gateway: a.gateway_ip,
                        subnet_id: Some(a.subnet_id),
                    })
                    .collect(),
                preserve_on_delete: false,
            })
        })
    }

    fn unbind_port<'a>(&'a self, port_id: &'a str) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            use network::client::NetworkClient;
            self.0.unbind_port(port_id).await.map_err(network_error)
        })
    }

    fn delete_port<'a>(&'a self, port_id: &'a str) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            use network::client::NetworkClient;
            match self.0.delete_port(port_id).await {
                Err(network::Error::NotFound { .. }) => Ok(()),
                other => other.map_err(network_error),
            }
        })
    }

    fn security_groups<'a>(
        &'a self,
        ctx: &'a Context,
        project_id: Option<&'a str>,
    ) -> BoxFuture<'a, Result<Vec<SecurityGroupInfo>>> {
        Box::pin(async move {
            use network::client::NetworkClient;
            let who = match project_id {
                Some(p) => network::policy::Caller {
                    project_id: Some(p.to_owned()),
                    is_admin: false,
                },
                None => caller(ctx),
            };
            self.0.security_groups(who).await.map_err(network_error)
        })
    }

    fn show_security_group<'a>(
        &'a self,
        ctx: &'a Context,
        id: &'a str,
    ) -> BoxFuture<'a, Result<SecurityGroupInfo>> {
        Box::pin(async move {
            use network::client::NetworkClient;
            self.0
                .show_security_group(caller(ctx), id)
                .await
                .map_err(network_error)
        })
    }

    fn create_security_group<'a>(
        &'a self,
        ctx: &'a Context,
        name: String,
        description: String,
    ) -> BoxFuture<'a, Result<SecurityGroupInfo>> {
        Box::pin(async move {
            use network::client::NetworkClient;
            self.0
                .create_security_group(caller(ctx), name, description)
                .await
                .map_err(network_error)
        })
    }

    fn update_security_group<'a>(
        &'a self,
        ctx: &'a Context,
        id: &'a str,
        name: Option<String>,
        description: Option<String>,
    ) -> BoxFuture<'a, Result<SecurityGroupInfo>> {
        Box::pin(async move {
            use network::client::NetworkClient;
            self.0
                .update_security_group(caller(ctx), id, name, description)
                .await
                .map_err(network_error)
        })
    }

    fn delete_security_group<'a>(
        &'a self,
        ctx: &'a Context,
        id: &'a str,
    ) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            use network::client::NetworkClient;
            self.0
                .delete_security_group(caller(ctx), id)
                .await
                .map_err(network_error)
        })
    }

    fn port_security_groups<'a>(&'a self, port_id: &'a str) -> BoxFuture<'a, Result<Vec<String>>> {
        Box::pin(async move {
            use network::client::NetworkClient;
            self.0
                .port_security_groups(port_id)
                .await
                .map_err(network_error)
        })
    }

    fn set_port_security_groups<'a>(
        &'a self,
        port_id: &'a str,
        ids: Vec<String>,
    ) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            use network::client::NetworkClient;
            self.0
                .set_port_security_groups(port_id, ids)
                .await
                .map_err(network_error)
        })
    }

    fn create_security_group_rule<'a>(
        &'a self,
        ctx: &'a Context,
        rule: IngressRule,
    ) -> BoxFuture<'a, Result<SecurityGroupRuleInfo>> {
        Box::pin(async move {
            use network::client::NetworkClient;
            // nova's self-referencing rules are IPv4 only; a CIDR tells.
            let ethertype = match &rule.cidr {
                Some(c) if c.contains(':') => "IPv6",
                _ => "IPv4",
            };
            let req = network::security_groups::SecurityGroupRuleRequest {
                security_group_id: Some(rule.group_id),
                direction: Some("ingress".into()),
                ethertype: Some(ethertype.into()),
                protocol: rule.protocol.map(serde_json::Value::String),
                port_range_min: rule.port_range_min,
                port_range_max: rule.port_range_max,
                remote_ip_prefix: rule.cidr,
                remote_group_id: rule.remote_group_id,
                ..Default::default()
            };
            self.0
                .create_security_group_rule(caller(ctx), req)
                .await
                .map_err(quota_error)
        })
    }

    fn delete_security_group_rule<'a>(
        &'a self,
        ctx: &'a Context,
        id: &'a str,
    ) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            use network::client::NetworkClient;
            self.0
                .delete_security_group_rule(caller(ctx), id)
                .await
                .map_err(network_error)
        })
    }

    fn floating_ips<'a>(&'a self, ctx: &'a Context) -> BoxFuture<'a, Result<Vec<FloatingIpInfo>>> {
        Box::pin(async move {
            use network::client::NetworkClient;
            self.0
                .floating_ips(caller(ctx))
                .await
                .map_err(network_error)
        })
    }

    fn create_floating_ip<'a>(
        &'a self,
        ctx: &'a Context,
        network_id: &'a str,
    ) -> BoxFuture<'a, Result<FloatingIpInfo>> {
        Box::pin(async move {
            use network::client::NetworkClient;
            self.0
                .create_floating_ip(caller(ctx), network_id)
                .await
                .map_err(quota_error)
        })
    }

    fn delete_floating_ip<'a>(
        &'a self,
        ctx: &'a Context,
        id: &'a str,
    ) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            use network::client::NetworkClient;
            self.0
                .delete_floating_ip(caller(ctx), id)
                .await
                .map_err(network_error)
        })
    }

    fn set_floating_ip_port<'a>(
        &'a self,
        ctx: &'a Context,
        id: &'a str,
        port: Option<(String, Option<String>)>,
    ) -> BoxFuture<'a, Result<FloatingIpInfo>> {
        Box::pin(async move {
            use network::client::NetworkClient;
            self.0
                .set_floating_ip_port(caller(ctx), id, port)
                .await
                .map_err(network_error)
        })
    }
}
