//! Network options, named as in neutron.conf (and ml2_conf.ini).

use crate::bootstrap::BootstrapNetworks;
use compat_api::config::{Config, ConfigError};
use std::collections::BTreeMap;
use std::path::Path;

/// Resources with a quota, and neutron's `[quotas] quota_<resource>` defaults.
pub const QUOTA_DEFAULTS: &[(&str, i64)] = &[
    ("network", 100),
    ("subnet", 100),
    ("subnetpool", -1),
    ("port", 500),
    ("router", 10),
    ("floatingip", 50),
    ("security_group", 10),
    ("security_group_rule", 100),
];

#[derive(Debug, Clone)]
pub struct NetworkConfig {
    /// `[network_database] connection`, else `[database] connection`, else
    /// `network.db` in the data directory.
    pub database_url: String,
    pub max_db_connections: u32,
    /// `[DEFAULT] base_mac`: generated MACs keep its non-zero octets.
    pub base_mac: [u8; 6],
    /// `[DEFAULT] global_physnet_mtu`
    pub global_physnet_mtu: i32,
    /// `[ml2] tenant_network_types`, the first is used.
    pub tenant_network_type: String,
    /// `[DEFAULT] dns_domain`
    pub dns_domain: String,
    /// `[quotas] quota_<resource>`; negative is unlimited.
    pub quotas: BTreeMap<String, i64>,
    /// `[DEFAULT] pagination_max_limit`; negative is unlimited.
    pub pagination_max_limit: i64,
    /// `[network] public_endpoint`: the URL in links, else the request's.
    pub public_endpoint: Option<String>,
    /// The starting networks of a new cloud; None with
    /// `[network] bootstrap_networks = false`.
    pub bootstrap: Option<BootstrapNetworks>,
}

impl NetworkConfig {
    pub fn from_config(conf: &Config, data_dir: &Path) -> Result<Self, ConfigError> {
        let default_db = format!("sqlite:///{}", data_dir.join("network.db").display());
        let database_url = conf
            .get("network_database", "connection")
            .or_else(|| conf.get("database", "connection"))
            .unwrap_or(default_db);
        let base_mac_text = conf
            .get("DEFAULT", "base_mac")
            .unwrap_or_else(|| "fa:16:3e:00:00:00".into());
        let base_mac = parse_mac(&base_mac_text).ok_or_else(|| ConfigError::Invalid {
            section: "DEFAULT".into(),
            option: "base_mac".into(),
            value: base_mac_text.clone(),
            reason: "not a MAC address".into(),
        })?;
        let mut quotas = BTreeMap::new();
        for (resource, default) in QUOTA_DEFAULTS {
            let value = conf.get_or("quotas", &format!("quota_{resource}"), *default)?;
            quotas.insert((*resource).to_owned(), value);
        }
        Ok(NetworkConfig {
            database_url,
            max_db_connections: conf.get_or("database", "max_pool_size", 8u32)?,
            base_mac,
            global_physnet_mtu: conf.get_or("DEFAULT", "global_physnet_mtu", 1500i32)?,
            tenant_network_type: conf
                .get_list("ml2", "tenant_network_types", &["vxlan"])
                .into_iter()
                .next()
                .unwrap_or_else(|| "vxlan".into()),
            dns_domain: conf
                .get("DEFAULT", "dns_domain")
                .unwrap_or_else(|| "openstacklocal".into()),
            quotas,
            pagination_max_limit: conf.get_or("DEFAULT", "pagination_max_limit", -1i64)?,
            public_endpoint: conf.get("network", "public_endpoint"),
            bootstrap: bootstrap(conf)?,
        })
    }

    /// The MTU of a new tenant network: the physical MTU less the
    /// encapsulation overhead of its type (as ml2's type drivers).
    pub fn tenant_mtu(&self) -> i32 {
        let overhead = match self.tenant_network_type.as_str() {
            "vxlan" => 50,
            "geneve" => 58,
            "gre" => 42,
            _ => 0,
        };
        self.global_physnet_mtu - overhead
    }

    pub fn quota_default(&self, resource: &str) -> i64 {
        self.quotas.get(resource).copied().unwrap_or(-1)
    }
}

fn bootstrap(conf: &Config) -> Result<Option<BootstrapNetworks>, ConfigError> {
    if !conf.get_bool("network", "bootstrap_networks", true)? {
        return Ok(None);
    }
    let d = BootstrapNetworks::default();
    Ok(Some(BootstrapNetworks {
        public_cidr: conf
            .get("network", "bootstrap_public_cidr")
            .unwrap_or(d.public_cidr),
        private_cidr: conf
            .get("network", "bootstrap_private_cidr")
            .unwrap_or(d.private_cidr),
        pool_prefix: conf
            .get("network", "bootstrap_subnetpool_prefix")
            .unwrap_or(d.pool_prefix),
    }))
}

/// `fa:16:3e:00:00:00` → bytes; any separator-free or malformed text is None.
pub fn parse_mac(text: &str) -> Option<[u8; 6]> {
    let parts: Vec<&str> = text.split([':', '-']).collect();
    if parts.len() != 6 {
        return None;
    }
    let mut mac = [0u8; 6];
    for (byte, part) in mac.iter_mut().zip(parts) {
        if part.len() != 2 {
            return None;
        }
        *byte = u8::from_str_radix(part, 16).ok()?;
    }
    Some(mac)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_neutron_options() {
        let conf: Config = "[DEFAULT]\nbase_mac = fa:16:3e:4f:00:00\nglobal_physnet_mtu = 9000\n[quotas]\nquota_port = 7\n"
            .parse()
            .unwrap();
        let net = NetworkConfig::from_config(&conf, Path::new("/tmp")).unwrap();
        assert_eq!(net.base_mac, [0xfa, 0x16, 0x3e, 0x4f, 0, 0]);
        assert_eq!(net.tenant_mtu(), 8950);
        assert_eq!(net.quota_default("port"), 7);
        assert_eq!(net.quota_default("network"), 100);
    }

    #[test]
    fn rejects_bad_macs() {
        assert!(parse_mac("fa:16:3e:00:00").is_none());
        assert!(parse_mac("fa:16:3e:00:00:zz").is_none());
        assert_eq!(
            parse_mac("FA-16-3E-00-00-01"),
            Some([0xfa, 0x16, 0x3e, 0, 0, 1])
        );
    }
}
