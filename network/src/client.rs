//! How compute uses the network service in this process: create a port
//! for an instance, bind it to a host, read what the host must plug, and
//! delete it. An HTTP implementation joins this one when compute runs in
//! another process.

use crate::error::{Error, Result};
use crate::policy::Caller;
use crate::ports::{self, FixedIpRequest, PortRequest};
use crate::security_groups::{SecurityGroup, SecurityGroupRequest};
use crate::{subnets, NetworkService};
use std::sync::Arc;

/// One address of a bound port, with what a guest needs to configure it.
#[derive(Debug, Clone, PartialEq)]
pub struct VifAddress {
    pub ip_address: String,
    pub subnet_id: String,
    pub cidr: String,
    pub gateway_ip: Option<String>,
    pub dns_nameservers: Vec<String>,
}

/// What a compute host asks for when it binds a port, and gets back.
#[derive(Debug, Clone, PartialEq)]
pub struct PortBinding {
    pub port_id: String,
    pub network_id: String,
    pub mac_address: String,
    /// `bridge` (a Linux bridge per network) once bound; `unbound` before.
    pub vif_type: String,
    pub vif_details: serde_json::Value,
    /// The bridge to plug the tap device into.
    pub bridge: String,
    pub mtu: i32,
    pub addresses: Vec<VifAddress>,
}

/// A port request on behalf of an instance.
#[derive(Debug, Clone, Default)]
pub struct PortSpec {
    pub network_id: String,
    /// A fixed address the user asked for.
    pub ip_address: Option<String>,
    pub device_id: String,
    pub security_groups: Option<Vec<String>>,
}

/// A network as compute needs to know it.
#[derive(Debug, Clone, PartialEq)]
pub struct NetworkSummary {
    pub id: String,
    pub name: String,
    pub project_id: String,
    pub shared: bool,
    pub external: bool,
    pub subnet_count: usize,
}

/// A port as compute needs to know it.
#[derive(Debug, Clone, PartialEq)]
pub struct PortSummary {
    pub id: String,
    pub network_id: String,
    pub project_id: String,
    pub device_id: String,
    pub device_owner: String,
}

/// A security group rule as compute's proxy API shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleSummary {
    pub id: String,
    pub direction: String,
    pub protocol: Option<String>,
    pub port_range_min: Option<i32>,
    pub port_range_max: Option<i32>,
    pub remote_ip_prefix: Option<String>,
    /// The remote group's (id, name, project).
    pub remote_group: Option<(String, String, String)>,
}

/// A floating IP as compute's proxy API shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct FloatingIpSummary {
    pub id: String,
    pub project_id: String,
    pub floating_ip_address: String,
    pub floating_network_id: String,
    pub port_id: Option<String>,
    pub fixed_ip_address: Option<String>,
    /// The device of the associated port (an instance's uuid).
    pub device_id: Option<String>,
}

/// A security group as compute's proxy API shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct SecurityGroupSummary {
    pub id: String,
    pub name: String,
    pub description: String,
    pub project_id: String,
    pub rules: Vec<RuleSummary>,
}

#[allow(async_fn_in_trait)]
pub trait NetworkClient {
    /// The networks `caller` may see, or those named in `ids`.
    async fn networks(
        &self,
        caller: Caller,
        ids: Option<Vec<String>>,
    ) -> Result<Vec<NetworkSummary>>;
    /// A port `caller` may see.
    async fn show_port(&self, caller: Caller, port_id: &str) -> Result<PortSummary>;
    /// Detaches a port from its device and host, keeping it.
    async fn unbind_port(&self, port_id: &str) -> Result<()>;
    /// Creates a port owned by `caller`'s project.
    async fn create_port(&self, caller: Caller, spec: PortSpec) -> Result<String>;
    /// Binds the port to `host` and returns what to plug.
    async fn bind_port(&self, port_id: &str, host: &str, device_id: &str) -> Result<PortBinding>;
    async fn delete_port(&self, port_id: &str) -> Result<()>;
    /// The security groups `caller` sees; a project's `default` group is
    /// created if it has none yet.
    async fn security_groups(&self, caller: Caller) -> Result<Vec<SecurityGroupSummary>>;
    async fn show_security_group(&self, caller: Caller, id: &str) -> Result<SecurityGroupSummary>;
    async fn create_security_group(
        &self,
        caller: Caller,
        name: String,
        description: String,
    ) -> Result<SecurityGroupSummary>;
    async fn update_security_group(
        &self,
        caller: Caller,
        id: &str,
        name: Option<String>,
        description: Option<String>,
    ) -> Result<SecurityGroupSummary>;
    async fn delete_security_group(&self, caller: Caller, id: &str) -> Result<()>;
    /// The security group ids of a port.
    async fn port_security_groups(&self, port_id: &str) -> Result<Vec<String>>;
    async fn set_port_security_groups(&self, port_id: &str, ids: Vec<String>) -> Result<()>;
    /// Adds a rule to a group `caller` sees; the rule as its group shows it.
    async fn create_security_group_rule(
        &self,
        caller: Caller,
        req: crate::security_groups::SecurityGroupRuleRequest,
    ) -> Result<RuleSummary>;
    async fn delete_security_group_rule(&self, caller: Caller, id: &str) -> Result<()>;
    /// The floating IPs `caller` sees.
    async fn floating_ips(&self, caller: Caller) -> Result<Vec<FloatingIpSummary>>;
    /// Allocates an address of an external network to `caller`'s project.
    async fn create_floating_ip(
        &self,
        caller: Caller,
        network_id: &str,
    ) -> Result<FloatingIpSummary>;
    async fn delete_floating_ip(&self, caller: Caller, id: &str) -> Result<()>;
    /// Maps a floating IP to a port's fixed address, or (`None`) unmaps it.
    async fn set_floating_ip_port(
        &self,
        caller: Caller,
        id: &str,
        port: Option<(String, Option<String>)>,
    ) -> Result<FloatingIpSummary>;
}

/// The in-process implementation, for the all-in-one binary.
pub struct InProcess(pub Arc<NetworkService>);

impl NetworkClient for InProcess {
    async fn networks(
        &self,
        caller: Caller,
        ids: Option<Vec<String>>,
    ) -> Result<Vec<NetworkSummary>> {
        self.0
            .read(caller, move |c, ctx| {
                let all = match ids {
                    None => crate::networks::list(c, ctx.caller)?,
                    Some(ids) => {
                        let mut out = Vec::new();
                        for id in ids {
                            out.push(crate::networks::show(c, ctx.caller, &id)?);
                        }
                        out
                    }
                };
                Ok(all
                    .into_iter()
                    .map(|n| NetworkSummary {
                        subnet_count: n.subnets.len(),
                        id: n.row.id,
                        name: n.row.name,
                        project_id: n.row.project_id,
                        shared: n.row.shared,
                        external: n.row.external,
                    })
                    .collect())
            })
            .await
    }

    async fn show_port(&self, caller: Caller, port_id: &str) -> Result<PortSummary> {
        let id = port_id.to_owned();
        self.0
            .read(caller, move |c, ctx| {
                let row = ports::visible(c, ctx.caller, &id)?;
                Ok(PortSummary {
                    id: row.id,
                    network_id: row.network_id,
                    project_id: row.project_id,
                    device_id: row.device_id,
                    device_owner: row.device_owner,
                })
            })
            .await
    }

    async fn unbind_port(&self, port_id: &str) -> Result<()> {
        let id = port_id.to_owned();
        let req = PortRequest {
            binding_host_id: Some(String::new()),
            device_id: Some(String::new()),
            device_owner: Some(String::new()),
            ..Default::default()
        };
        self.0
            .write_retrying(Caller::admin(), move |c, ctx| {
                ports::update(c, ctx, &id, req.clone(), None).map(|_| ())
            })
            .await
    }

    async fn create_port(&self, caller: Caller, spec: PortSpec) -> Result<String> {
        let req = PortRequest {
            network_id: Some(spec.network_id),
            device_id: Some(spec.device_id),
            device_owner: Some("compute:nova".into()),
            security_groups: spec.security_groups,
            fixed_ips: spec.ip_address.map(|ip| {
                vec![FixedIpRequest {
                    ip_address: Some(ip),
                    ..Default::default()
                }]
            }),
            ..Default::default()
        };
        let port = self
            .0
            .write_retrying(caller, move |c, ctx| ports::create(c, ctx, req.clone()))
            .await?;
        Ok(port.row.id)
    }

    async fn bind_port(&self, port_id: &str, host: &str, device_id: &str) -> Result<PortBinding> {
        let id = port_id.to_owned();
        let req = PortRequest {
            binding_host_id: Some(host.to_owned()),
            device_id: Some(device_id.to_owned()),
            ..Default::default()
        };
        self.0
            .write_retrying(Caller::admin(), move |c, ctx| {
                let port = ports::update(c, ctx, &id, req.clone(), None)?;
                let network = crate::networks::visible(c, ctx.caller, &port.row.network_id)?;
                let subnets = subnets::of_network(c, &network.id)?;
                let addresses = port
                    .fixed_ips
                    .iter()
                    .filter_map(|f| {
                        let s = subnets.iter().find(|s| s.row.id == f.subnet_id)?;
                        Some(VifAddress {
                            ip_address: f.ip_address.clone(),
                            subnet_id: s.row.id.clone(),
                            cidr: s.row.cidr.clone(),
                            gateway_ip: s.row.gateway_ip.clone(),
                            dns_nameservers: s.dns_nameservers.clone(),
                        })
                    })
                    .collect();
                Ok(PortBinding {
                    port_id: port.row.id.clone(),
                    bridge: ports::bridge_name(&network.id),
                    network_id: network.id,
                    mac_address: port.row.mac_address,
                    vif_type: port.row.binding_vif_type,
                    vif_details: port.binding_vif_details,
                    mtu: network.mtu,
                    addresses,
                })
            })
            .await
    }

    async fn delete_port(&self, port_id: &str) -> Result<()> {
        let id = port_id.to_owned();
        self.0
            .write_retrying(Caller::admin(), move |c, _| ports::delete_unchecked(c, &id))
            .await
    }

    async fn security_groups(&self, caller: Caller) -> Result<Vec<SecurityGroupSummary>> {
        self.0
            .write(caller, |c, ctx| {
                let groups = crate::security_groups::list(c, ctx.caller)?;
                summarize(c, groups)
            })
            .await
    }

    async fn show_security_group(&self, caller: Caller, id: &str) -> Result<SecurityGroupSummary> {
        let id = id.to_owned();
        self.0
            .read(caller, move |c, ctx| {
                let group = crate::security_groups::show(c, ctx.caller, &id)?;
                one(c, group)
            })
            .await
    }

    async fn create_security_group(
        &self,
        caller: Caller,
        name: String,
        description: String,
    ) -> Result<SecurityGroupSummary> {
        let req = SecurityGroupRequest {
            name: Some(name),
            description: Some(description),
            ..Default::default()
        };
        self.0
            .write(caller, move |c, ctx| {
                let group = crate::security_groups::create(c, ctx, req)?;
                one(c, group)
            })
            .await
    }

    async fn update_security_group(
        &self,
        caller: Caller,
        id: &str,
        name: Option<String>,
        description: Option<String>,
    ) -> Result<SecurityGroupSummary> {
        let id = id.to_owned();
        let req = SecurityGroupRequest {
            name,
            description,
            ..Default::default()
        };
        self.0
            .write(caller, move |c, ctx| {
                let group = crate::security_groups::update(c, ctx, &id, req, None)?;
                one(c, group)
            })
            .await
    }

    async fn delete_security_group(&self, caller: Caller, id: &str) -> Result<()> {
        let id = id.to_owned();
        self.0
            .write(caller, move |c, ctx| {
                crate::security_groups::delete(c, ctx, &id)
            })
            .await
    }

    async fn port_security_groups(&self, port_id: &str) -> Result<Vec<String>> {
        let id = port_id.to_owned();
        let port = self
            .0
            .read(Caller::admin(), move |c, ctx| {
                ports::show(c, ctx.caller, &id)
            })
            .await?;
        Ok(port.security_groups)
    }

    async fn set_port_security_groups(&self, port_id: &str, ids: Vec<String>) -> Result<()> {
        let id = port_id.to_owned();
        let req = PortRequest {
            security_groups: Some(ids),
            ..Default::default()
        };
        self.0
            .write(Caller::admin(), move |c, ctx| {
                ports::update(c, ctx, &id, req, None).map(|_| ())
            })
            .await
    }

    async fn create_security_group_rule(
        &self,
        caller: Caller,
        req: crate::security_groups::SecurityGroupRuleRequest,
    ) -> Result<RuleSummary> {
        self.0
            .write(caller, move |c, ctx| {
                let rule = crate::security_groups::create_rule(c, ctx, req)?;
                let group = crate::security_groups::show(c, ctx.caller, &rule.security_group_id)?;
                one(c, group)?
                    .rules
                    .into_iter()
                    .find(|r| r.id == rule.id)
                    .ok_or_else(|| {
                        Error::not_found(
                            "SecurityGroupRuleNotFound",
                            "Security group rule vanished.",
                        )
                    })
            })
            .await
    }

    async fn delete_security_group_rule(&self, caller: Caller, id: &str) -> Result<()> {
        let id = id.to_owned();
        self.0
            .write(caller, move |c, ctx| {
                crate::security_groups::delete_rule(c, ctx, &id)
            })
            .await
    }

    async fn floating_ips(&self, caller: Caller) -> Result<Vec<FloatingIpSummary>> {
        self.0
            .read(caller, |c, ctx| {
                crate::floating_ips::list(c, ctx.caller)?
                    .into_iter()
                    .map(|f| floating_summary(c, f.row))
                    .collect()
            })
            .await
    }

    async fn create_floating_ip(
        &self,
        caller: Caller,
        network_id: &str,
    ) -> Result<FloatingIpSummary> {
        let req = crate::floating_ips::FloatingIpRequest {
            floating_network_id: Some(network_id.to_owned()),
            ..Default::default()
        };
        self.0
            .write(caller, move |c, ctx| {
                let f = crate::floating_ips::create(c, ctx, req)?;
                floating_summary(c, f.row)
            })
            .await
    }

    async fn delete_floating_ip(&self, caller: Caller, id: &str) -> Result<()> {
        let id = id.to_owned();
        self.0
            .write(caller, move |c, ctx| {
                crate::floating_ips::delete(c, ctx, &id)
            })
            .await
    }

    async fn set_floating_ip_port(
        &self,
        caller: Caller,
        id: &str,
        port: Option<(String, Option<String>)>,
    ) -> Result<FloatingIpSummary> {
        let id = id.to_owned();
        let req = match port {
            Some((port_id, fixed)) => crate::floating_ips::FloatingIpRequest {
                port_id: Some(Some(port_id)),
                fixed_ip_address: Some(fixed),
                ..Default::default()
            },
            None => crate::floating_ips::FloatingIpRequest {
                port_id: Some(None),
                ..Default::default()
            },
        };
        self.0
            .write(caller, move |c, ctx| {
                let f = crate::floating_ips::update(c, ctx, &id, req, None)?;
                floating_summary(c, f.row)
            })
            .await
    }
}

fn floating_summary(
    c: &mut crate::store::Conn,
    row: crate::store::models::FloatingIpRow,
) -> Result<FloatingIpSummary> {
    let device_id = match &row.fixed_port_id {
        Some(p) => crate::store::ports::by_ids(c, std::slice::from_ref(p))?
            .into_iter()
            .next()
            .map(|p| p.device_id),
        None => None,
    };
    Ok(FloatingIpSummary {
        id: row.id,
        project_id: row.project_id,
        floating_ip_address: row.floating_ip_address,
        floating_network_id: row.floating_network_id,
        port_id: row.fixed_port_id,
        fixed_ip_address: row.fixed_ip_address,
        device_id,
    })
}

fn one(c: &mut crate::store::Conn, group: SecurityGroup) -> Result<SecurityGroupSummary> {
    let mut all = summarize(c, vec![group])?;
    all.pop()
        .ok_or_else(|| Error::not_found("SecurityGroupNotFound", "Security group vanished."))
}

/// Groups with their rules, remote groups named.
fn summarize(
    c: &mut crate::store::Conn,
    groups: Vec<SecurityGroup>,
) -> Result<Vec<SecurityGroupSummary>> {
    let mut names: std::collections::HashMap<String, (String, String)> = groups
        .iter()
        .map(|g| {
            (
                g.row.id.clone(),
                (g.row.name.clone(), g.row.project_id.clone()),
            )
        })
        .collect();
    let mut out = Vec::new();
    for g in groups {
        let mut rules = Vec::new();
        for r in &g.rules {
            let remote = match &r.remote_group_id {
                Some(id) => {
                    if !names.contains_key(id) {
                        if let Some(row) = crate::store::security_groups::get(c, id)? {
                            names.insert(id.clone(), (row.name, row.project_id));
                        }
                    }
                    names
                        .get(id)
                        .map(|(n, p)| (id.clone(), n.clone(), p.clone()))
                }
                None => None,
            };
            rules.push(RuleSummary {
                id: r.id.clone(),
                direction: r.direction.clone(),
                protocol: r.protocol.clone(),
                port_range_min: r.port_range_min,
                port_range_max: r.port_range_max,
                remote_ip_prefix: r.remote_ip_prefix.clone(),
                remote_group: remote,
            });
        }
        out.push(SecurityGroupSummary {
            id: g.row.id,
            name: g.row.name,
            description: g.row.description,
            project_id: g.row.project_id,
            rules,
        });
    }
    Ok(out)
}
