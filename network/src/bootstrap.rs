//! The networks of a new cloud, so a first server boots without any
//! network setup: an external `public` network (the default for floating
//! IPs and auto-allocation), a shared `private` network, a router between
//! them and a default subnet pool.

use crate::error::Result;
use crate::networks::{self, NetworkRequest};
use crate::policy::Caller;
use crate::routers::{self, GatewayRequest, InterfaceRequest, RouterRequest};
use crate::store;
use crate::subnetpools::{self, SubnetPoolRequest};
use crate::subnets::{self, SubnetRequest};
use crate::NetworkService;

/// `[network] bootstrap_*` options.
#[derive(Debug, Clone)]
pub struct BootstrapNetworks {
    pub public_cidr: String,
    pub private_cidr: String,
    /// The default IPv4 subnet pool (`auto-allocated-topology`, `--use-default-subnet-pool`).
    pub pool_prefix: String,
}

impl Default for BootstrapNetworks {
    fn default() -> Self {
        BootstrapNetworks {
            public_cidr: "172.24.4.0/24".into(),
            private_cidr: "10.0.0.0/24".into(),
            pool_prefix: "10.128.0.0/9".into(),
        }
    }
}

impl NetworkService {
    /// Creates the starting networks once, owned by `admin_project`; a
    /// cloud that has any network already is left alone. Returns whether
    /// it created them.
    pub fn bootstrap(&self, admin_project: &str, nets: &BootstrapNetworks) -> Result<bool> {
        self.write_sync(Caller::admin(), |c, ctx| {
            if !store::networks::all(c)?.is_empty() {
                return Ok(false);
            }
            let owner = Some(admin_project.to_owned());
            let public = networks::create(
                c,
                ctx,
                NetworkRequest {
                    name: Some("public".into()),
                    external: Some(true),
                    is_default: Some(true),
                    project_id: owner.clone(),
                    ..Default::default()
                },
            )?;
            subnets::create(
                c,
                ctx,
                SubnetRequest {
                    name: Some("public-subnet".into()),
                    network_id: Some(public.row.id.clone()),
                    ip_version: Some(4),
                    cidr: Some(nets.public_cidr.clone()),
                    enable_dhcp: Some(false),
                    project_id: owner.clone(),
                    ..Default::default()
                },
            )?;
            let private = networks::create(
                c,
                ctx,
                NetworkRequest {
                    name: Some("private".into()),
                    shared: Some(true),
                    project_id: owner.clone(),
                    ..Default::default()
                },
            )?;
            let private_subnet = subnets::create(
                c,
                ctx,
                SubnetRequest {
                    name: Some("private-subnet".into()),
                    network_id: Some(private.row.id.clone()),
                    ip_version: Some(4),
                    cidr: Some(nets.private_cidr.clone()),
                    project_id: owner.clone(),
                    ..Default::default()
                },
            )?;
            let router = routers::create(
                c,
                ctx,
                RouterRequest {
                    name: Some("router1".into()),
                    project_id: owner.clone(),
                    external_gateway_info: Some(Some(GatewayRequest {
                        network_id: Some(public.row.id),
                        ..Default::default()
                    })),
                    ..Default::default()
                },
            )?;
            routers::add_interface(
                c,
                ctx,
                &router.row.id,
                InterfaceRequest {
                    subnet_id: Some(private_subnet.row.id),
                    ..Default::default()
                },
            )?;
            subnetpools::create(
                c,
                ctx,
                SubnetPoolRequest {
                    name: Some("shared-default-subnetpool-v4".into()),
                    prefixes: Some(vec![nets.pool_prefix.clone()]),
                    default_prefixlen: Some(26),
                    shared: Some(true),
                    is_default: Some(true),
                    project_id: owner,
                    ..Default::default()
                },
            )?;
            Ok(true)
        })
    }
}
