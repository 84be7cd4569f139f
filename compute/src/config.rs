//! Compute options, named as in nova.conf.

use compat_api::config::{Config, ConfigError};
use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

/// Quota resources and nova's `[quota]` defaults.
pub const QUOTA_DEFAULTS: &[(&str, i64)] = &[
    ("instances", 10),
    ("cores", 20),
    ("ram", 51200),
    ("metadata_items", 128),
    ("injected_files", 5),
    ("injected_file_content_bytes", 10240),
    ("injected_file_path_bytes", 255),
    ("key_pairs", 100),
    ("server_groups", 10),
    ("server_group_members", 10),
    // nova-network's quotas: shown and settable below 2.36 as nova keeps
    // them, enforced nowhere (the network service has its own quotas).
    ("floating_ips", 10),
    ("fixed_ips", -1),
    ("security_groups", 10),
    ("security_group_rules", 20),
];

/// The nova-network quota resources the API drops from 2.36.
pub const LEGACY_NETWORK_QUOTAS: &[&str] = &[
    "floating_ips",
    "fixed_ips",
    "security_groups",
    "security_group_rules",
];

/// What instance state changes send `instance.update` notifications.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotifyOnStateChange {
    Never,
    VmState,
    VmAndTaskState,
}

/// Ratios and reservations a compute node reports with its resources.
#[derive(Debug, Clone, PartialEq)]
pub struct NodePolicy {
    pub cpu_allocation_ratio: f64,
    pub ram_allocation_ratio: f64,
    pub disk_allocation_ratio: f64,
    pub reserved_host_cpus: i32,
    pub reserved_host_memory_mb: i32,
    pub reserved_host_disk_mb: i32,
}

impl NodePolicy {
    /// Each option by its nova name, as text: what a change record shows.
    pub fn fields(&self) -> [(&'static str, String); 6] {
        [
            (
                "cpu_allocation_ratio",
                self.cpu_allocation_ratio.to_string(),
            ),
            (
                "ram_allocation_ratio",
                self.ram_allocation_ratio.to_string(),
            ),
            (
                "disk_allocation_ratio",
                self.disk_allocation_ratio.to_string(),
            ),
            ("reserved_host_cpus", self.reserved_host_cpus.to_string()),
            (
                "reserved_host_memory_mb",
                self.reserved_host_memory_mb.to_string(),
            ),
            (
                "reserved_host_disk_mb",
                self.reserved_host_disk_mb.to_string(),
            ),
        ]
    }
}

/// One host of the fake driver.
#[derive(Debug, Clone, PartialEq)]
pub struct FakeHost {
    pub name: String,
    pub vcpus: i32,
    pub memory_mb: i32,
    pub local_gb: i32,
}

/// `[fake_driver]`: the in-memory hypervisor.
#[derive(Debug, Clone)]
pub struct FakeDriverConfig {
    /// `hosts = a, b:8:16384:200` (name, or name:vcpus:memory_mb:local_gb).
    pub hosts: Vec<FakeHost>,
    /// `spawn_delay` seconds: how long a build, or bringing a moved guest
    /// up, takes.
    pub spawn_delay: Duration,
    /// `fail_spawn_hosts`: hosts where every build fails (to test retries).
    pub fail_spawn_hosts: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct SchedulerConfig {
    /// `[filter_scheduler] enabled_filters`
    pub enabled_filters: Vec<String>,
    /// `[filter_scheduler] weight_classes`
    pub weight_classes: Vec<String>,
    pub ram_weight_multiplier: f64,
    pub cpu_weight_multiplier: f64,
    pub disk_weight_multiplier: f64,
    /// `[filter_scheduler] host_subset_size`
    pub host_subset_size: usize,
    /// `[scheduler] max_attempts`
    pub max_attempts: u32,
}

#[derive(Debug, Clone)]
pub struct ComputeConfig {
    /// `[compute_database] connection`, else `[database] connection`, else
    /// `compute.db` in the data directory.
    pub database_url: String,
    pub max_db_connections: u32,
    /// `[DEFAULT] host`: the name of this process's compute service.
    pub host: String,
    /// `[api] compute_link_prefix`: the URL in links, else the request's.
    pub link_prefix: Option<String>,
    /// `[api] max_limit`
    pub max_limit: i64,
    /// `[api] enable_instance_password`
    pub enable_instance_password: bool,
    pub default_availability_zone: String,
    pub internal_service_availability_zone: String,
    /// `[DEFAULT] reclaim_instance_interval` seconds: above zero a delete
    /// is a soft delete (`restore` brings the server back) and the host
    /// reclaims it after this long.
    pub reclaim_instance_interval: Duration,
    /// `[DEFAULT] allow_resize_to_same_host`: a resize may stay on its
    /// host (a cold migration never does).
    pub allow_resize_to_same_host: bool,
    pub node_policy: NodePolicy,
    /// `[DEFAULT] update_resources_interval`; 0 means every 60 s.
    pub update_resources_interval: Duration,
    /// `[DEFAULT] report_interval`
    pub report_interval: Duration,
    /// `[DEFAULT] service_down_time`
    pub service_down_time: Duration,
    pub scheduler: SchedulerConfig,
    pub fake: FakeDriverConfig,
    /// `[quota] <resource>`; -1 is unlimited.
    pub quotas: BTreeMap<String, i64>,
    pub notify_on_state_change: NotifyOnStateChange,
    /// `[oslo_messaging_notifications] driver`: `messagingv2`/`messaging`
    /// publish on the bus, `log` logs them, empty or `noop` drops them.
    pub notification_drivers: Vec<String>,
    /// `[compute] bootstrap_flavors`: create the m1.* flavors on first start.
    pub bootstrap_flavors: bool,
}

fn invalid(section: &str, option: &str, value: &str, reason: &str) -> ConfigError {
    ConfigError::Invalid {
        section: section.into(),
        option: option.into(),
        value: value.into(),
        reason: reason.into(),
    }
}

fn seconds(
    conf: &Config,
    section: &str,
    option: &str,
    default: f64,
) -> Result<Duration, ConfigError> {
    let s: f64 = conf.get_or(section, option, default)?;
    if !(0.0..=86_400.0 * 365.0).contains(&s) {
        return Err(invalid(section, option, &s.to_string(), "out of range"));
    }
    Ok(Duration::from_secs_f64(s))
}

impl ComputeConfig {
    pub fn from_config(conf: &Config, data_dir: &Path) -> Result<Self, ConfigError> {
        let default_db = format!("sqlite:///{}", data_dir.join("compute.db").display());
        let database_url = conf
            .get("compute_database", "connection")
            .or_else(|| conf.get("database", "connection"))
            .unwrap_or(default_db);
        let host = conf.get("DEFAULT", "host").unwrap_or_else(local_hostname);
        let mut quotas = BTreeMap::new();
        for (resource, default) in QUOTA_DEFAULTS {
            // The one resource whose option name differs from its API key.
            let option = match *resource {
                "injected_file_path_bytes" => "injected_file_path_length",
                other => other,
            };
            quotas.insert(
                (*resource).to_owned(),
                conf.get_or("quota", option, *default)?,
            );
        }
        let interval = seconds(conf, "DEFAULT", "update_resources_interval", 0.0)?;
        Ok(ComputeConfig {
            database_url,
            max_db_connections: conf.get_or("database", "max_pool_size", 8u32)?,
            link_prefix: conf
                .get("api", "compute_link_prefix")
                .map(|p| p.trim_end_matches('/').to_owned()),
            max_limit: conf.get_or("api", "max_limit", 1000i64)?,
            enable_instance_password: conf.get_bool("api", "enable_instance_password", true)?,
            default_availability_zone: conf
                .get("DEFAULT", "default_availability_zone")
                .unwrap_or_else(|| "nova".into()),
            internal_service_availability_zone: conf
                .get("DEFAULT", "internal_service_availability_zone")
                .unwrap_or_else(|| "internal".into()),
            reclaim_instance_interval: seconds(conf, "DEFAULT", "reclaim_instance_interval", 0.0)?,
            allow_resize_to_same_host: conf.get_bool(
                "DEFAULT",
                "allow_resize_to_same_host",
                false,
            )?,
            node_policy: node_policy(conf)?,
            update_resources_interval: if interval.is_zero() {
                Duration::from_secs(60)
            } else {
                interval
            },
            report_interval: seconds(conf, "DEFAULT", "report_interval", 10.0)?,
            service_down_time: seconds(conf, "DEFAULT", "service_down_time", 60.0)?,
            scheduler: scheduler(conf)?,
            fake: fake_driver(conf, &host)?,
            host,
            quotas,
            notify_on_state_change: match conf
                .get("notifications", "notify_on_state_change")
                .as_deref()
            {
                None | Some("") | Some("None") => NotifyOnStateChange::Never,
                Some("vm_state") => NotifyOnStateChange::VmState,
                Some("vm_and_task_state") => NotifyOnStateChange::VmAndTaskState,
                Some(other) => {
                    return Err(invalid(
                        "notifications",
                        "notify_on_state_change",
                        other,
                        "must be vm_state or vm_and_task_state",
                    ))
                }
            },
            notification_drivers: conf.get_list("oslo_messaging_notifications", "driver", &[]),
            bootstrap_flavors: conf.get_bool("compute", "bootstrap_flavors", true)?,
        })
    }

    pub fn quota_default(&self, resource: &str) -> i64 {
        self.quotas.get(resource).copied().unwrap_or(-1)
    }
}

fn node_policy(conf: &Config) -> Result<NodePolicy, ConfigError> {
    // nova: an unset `*_allocation_ratio` takes `initial_*_allocation_ratio`.
    let ratio = |name: &str, initial: f64| -> Result<f64, ConfigError> {
        let initial = conf.get_or("DEFAULT", &format!("initial_{name}"), initial)?;
        let value: f64 = conf.get_or("DEFAULT", name, initial)?;
        if !(value > 0.0 && value.is_finite()) {
            return Err(invalid(
                "DEFAULT",
                name,
                &value.to_string(),
                "must be positive",
            ));
        }
        Ok(value)
    };
    let reserved = |name: &str, default: i32| -> Result<i32, ConfigError> {
        let value: i32 = conf.get_or("DEFAULT", name, default)?;
        if value < 0 {
            return Err(invalid(
                "DEFAULT",
                name,
                &value.to_string(),
                "must not be negative",
            ));
        }
        Ok(value)
    };
    Ok(NodePolicy {
        cpu_allocation_ratio: ratio("cpu_allocation_ratio", 4.0)?,
        ram_allocation_ratio: ratio("ram_allocation_ratio", 1.0)?,
        disk_allocation_ratio: ratio("disk_allocation_ratio", 1.0)?,
        reserved_host_cpus: reserved("reserved_host_cpus", 0)?,
        reserved_host_memory_mb: reserved("reserved_host_memory_mb", 512)?,
        reserved_host_disk_mb: reserved("reserved_host_disk_mb", 0)?,
    })
}

/// nova's defaults.
const DEFAULT_FILTERS: &[&str] = &[
    "ComputeFilter",
    "AvailabilityZoneFilter",
    "ComputeCapabilitiesFilter",
    "ImagePropertiesFilter",
    "ServerGroupAntiAffinityFilter",
    "ServerGroupAffinityFilter",
];

fn scheduler(conf: &Config) -> Result<SchedulerConfig, ConfigError> {
    let max_attempts: u32 = conf.get_or("scheduler", "max_attempts", 3u32)?;
    if max_attempts == 0 {
        return Err(invalid(
            "scheduler",
            "max_attempts",
            "0",
            "must be at least 1",
        ));
    }
    let subset: usize = conf.get_or("filter_scheduler", "host_subset_size", 1usize)?;
    Ok(SchedulerConfig {
        enabled_filters: conf.get_list("filter_scheduler", "enabled_filters", DEFAULT_FILTERS),
        weight_classes: conf.get_list(
            "filter_scheduler",
            "weight_classes",
            &["nova.scheduler.weights.all_weighers"],
        ),
        ram_weight_multiplier: conf.get_or("filter_scheduler", "ram_weight_multiplier", 1.0)?,
        cpu_weight_multiplier: conf.get_or("filter_scheduler", "cpu_weight_multiplier", 1.0)?,
        disk_weight_multiplier: conf.get_or("filter_scheduler", "disk_weight_multiplier", 1.0)?,
        host_subset_size: subset.max(1),
        max_attempts,
    })
}

/// The fake driver's default host: as large as nova's fake driver reports.
const FAKE_VCPUS: i32 = 1000;
const FAKE_MEMORY_MB: i32 = 800_000;
const FAKE_LOCAL_GB: i32 = 600_000;

fn fake_driver(conf: &Config, own_host: &str) -> Result<FakeDriverConfig, ConfigError> {
    let vcpus = conf.get_or("fake_driver", "vcpus", FAKE_VCPUS)?;
    let memory_mb = conf.get_or("fake_driver", "memory_mb", FAKE_MEMORY_MB)?;
    let local_gb = conf.get_or("fake_driver", "local_gb", FAKE_LOCAL_GB)?;
    let mut hosts = Vec::new();
    for item in conf.get_list("fake_driver", "hosts", &[own_host]) {
        let parts: Vec<&str> = item.split(':').map(str::trim).collect();
        let bad = || {
            invalid(
                "fake_driver",
                "hosts",
                &item,
                "expected name or name:vcpus:memory_mb:local_gb",
            )
        };
        let host = match parts.as_slice() {
            [name] if !name.is_empty() => FakeHost {
                name: (*name).to_owned(),
                vcpus,
                memory_mb,
                local_gb,
            },
            [name, c, m, d] if !name.is_empty() => FakeHost {
                name: (*name).to_owned(),
                vcpus: c.parse().map_err(|_| bad())?,
                memory_mb: m.parse().map_err(|_| bad())?,
                local_gb: d.parse().map_err(|_| bad())?,
            },
            _ => return Err(bad()),
        };
        if host.vcpus < 0 || host.memory_mb < 0 || host.local_gb < 0 {
            return Err(bad());
        }
        hosts.push(host);
    }
    Ok(FakeDriverConfig {
        hosts,
        spawn_delay: seconds(conf, "fake_driver", "spawn_delay", 0.0)?,
        fail_spawn_hosts: conf.get_list("fake_driver", "fail_spawn_hosts", &[]),
    })
}

fn local_hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "localhost".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_nova_options() {
        let conf: Config =
            "[DEFAULT]\nhost = c0\nram_allocation_ratio = 1.5\nreserved_host_memory_mb = 20480\n\
[fake_driver]\nhosts = a, b:8:300000:100\nmemory_mb = 1024\n[quota]\ncores = 4\n\
[notifications]\nnotify_on_state_change = vm_and_task_state\n"
                .parse()
                .unwrap();
        let c = ComputeConfig::from_config(&conf, Path::new("/tmp")).unwrap();
        assert_eq!(c.host, "c0");
        assert_eq!(c.node_policy.ram_allocation_ratio, 1.5);
        assert_eq!(c.node_policy.cpu_allocation_ratio, 4.0);
        assert_eq!(c.node_policy.reserved_host_memory_mb, 20480);
        assert_eq!(c.fake.hosts[0].memory_mb, 1024);
        assert_eq!(c.fake.hosts[1].memory_mb, 300000);
        assert_eq!(c.quota_default("cores"), 4);
        assert_eq!(c.quota_default("instances"), 10);
        assert_eq!(
            c.notify_on_state_change,
            NotifyOnStateChange::VmAndTaskState
        );
        assert_eq!(c.scheduler.max_attempts, 3);
    }

    #[test]
    fn refuses_nonsense() {
        for bad in [
            "[DEFAULT]\nram_allocation_ratio = 0\n",
            "[DEFAULT]\nreserved_host_memory_mb = -1\n",
            "[fake_driver]\nhosts = a:1:2\n",
            "[scheduler]\nmax_attempts = 0\n",
        ] {
            let conf: Config = bad.parse().unwrap();
            assert!(
                ComputeConfig::from_config(&conf, Path::new("/tmp")).is_err(),
                "{bad}"
            );
        }
    }
}
