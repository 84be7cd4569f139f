//! The scheduler: picks a compute node for an instance, then claims its
//! resources in the allocation ledger.
//!
//! Hosts are filtered and weighed as nova's filter scheduler does
//! (`[filter_scheduler] enabled_filters`, `weight_classes`,
//! `*_weight_multiplier`, `host_subset_size`), over a view of every node
//! kept in memory ([`HostState`]) so a decision costs no database read. The
//! view may be stale (other schedulers claim too): the claim
//! ([`claims::claim`]) is what decides, atomically in the database, and a
//! node that turns out to be full is dropped from this decision and the
//! next candidate is tried.

pub mod claims;
pub mod filters;
pub mod weighers;

use crate::config::{NodePolicy, SchedulerConfig};
use crate::store::models::ComputeNodeRow;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashSet};

/// What an instance needs from a node.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Resources {
    pub vcpus: i32,
    pub memory_mb: i32,
    pub disk_gb: i32,
}

/// What the scheduler is asked to place (nova's RequestSpec).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct RequestSpec {
    pub instance_id: String,
    pub project_id: String,
    pub resources: Resources,
    pub flavor_extra_specs: BTreeMap<String, String>,
    pub image_properties: BTreeMap<String, String>,
    /// The zone asked for (or pinned to by an earlier placement).
    pub availability_zone: Option<String>,
    /// An admin's `zone:host[:node]` choice.
    pub force_host: Option<String>,
    pub force_node: Option<String>,
    /// Hosts that already failed this instance (retries).
    #[serde(default)]
    pub ignore_hosts: Vec<String>,
    /// `same_host` hint: the hosts of those instances.
    #[serde(default)]
    pub same_host: Option<Vec<String>>,
    /// `different_host` hint: the hosts of those instances.
    #[serde(default)]
    pub different_host: Option<Vec<String>>,
    /// Server group policy and the hosts its members are on.
    #[serde(default)]
    pub group_policy: Option<String>,
    #[serde(default)]
    pub group_hosts: Vec<String>,
    /// The server group, whose members' hosts are read again right before
    /// each decision (`group_hosts` is then refreshed).
    #[serde(default)]
    pub group_id: Option<String>,
    /// Set for a move: the destination is recorded on this migration, and
    /// the instance stays on its source until the move finishes.
    #[serde(default)]
    pub migration_id: Option<String>,
}

/// One node as the scheduler sees it.
#[derive(Debug, Clone)]
pub struct HostState {
    pub node_id: String,
    pub host: String,
    pub nodename: String,
    pub hypervisor_type: String,
    pub total: Resources,
    pub policy: NodePolicy,
    pub used: Resources,
    pub instances: usize,
    /// The service is enabled and has reported within `service_down_time`.
    pub enabled: bool,
    pub up: bool,
    pub availability_zone: String,
    /// Metadata of the aggregates the host is in, values of a key merged.
    pub aggregate_metadata: BTreeMap<String, HashSet<String>>,
}

impl HostState {
    pub fn from_row(row: &ComputeNodeRow) -> HostState {
        HostState {
            node_id: row.id.clone(),
            host: row.host.clone(),
            nodename: row.hypervisor_hostname.clone(),
            hypervisor_type: row.hypervisor_type.clone(),
            total: Resources {
                vcpus: row.vcpus,
                memory_mb: row.memory_mb,
                disk_gb: row.local_gb,
            },
            policy: row.policy(),
            used: Resources::default(),
            instances: 0,
            enabled: true,
            up: true,
            availability_zone: String::new(),
            aggregate_metadata: BTreeMap::new(),
        }
    }

    /// What can be allocated on the node in all: (total − reserved) × ratio,
    /// as placement computes capacity.
    pub fn capacity(&self) -> (f64, f64, f64) {
        capacity(&self.total, &self.policy)
    }

    pub fn fits(&self, want: &Resources) -> bool {
        fits(&self.total, &self.policy, &self.used, want)
    }

    /// Free memory before overcommit (nova's `free_ram_mb`).
    pub fn free_ram_mb(&self) -> f64 {
        f64::from(self.total.memory_mb - self.policy.reserved_host_memory_mb - self.used.memory_mb)
    }

    pub fn free_vcpus(&self) -> f64 {
        f64::from(self.total.vcpus - self.policy.reserved_host_cpus - self.used.vcpus)
    }

    pub fn free_disk_gb(&self) -> f64 {
        f64::from(self.total.disk_gb)
            - reserved_disk_gb(&self.policy)
            - f64::from(self.used.disk_gb)
    }
}

fn reserved_disk_gb(policy: &NodePolicy) -> f64 {
    (f64::from(policy.reserved_host_disk_mb) / 1024.0).ceil()
}

pub fn capacity(total: &Resources, policy: &NodePolicy) -> (f64, f64, f64) {
    (
        f64::from(total.vcpus - policy.reserved_host_cpus) * policy.cpu_allocation_ratio,
        f64::from(total.memory_mb - policy.reserved_host_memory_mb) * policy.ram_allocation_ratio,
        (f64::from(total.disk_gb) - reserved_disk_gb(policy)) * policy.disk_allocation_ratio,
    )
}

/// Whether `want` fits beside `used`: the one capacity rule, used by the
/// filters (on the in-memory view) and by the claim (on the ledger).
pub fn fits(total: &Resources, policy: &NodePolicy, used: &Resources, want: &Resources) -> bool {
    let (cpu, ram, disk) = capacity(total, policy);
    f64::from(used.vcpus + want.vcpus) <= cpu
        && f64::from(used.memory_mb + want.memory_mb) <= ram
        && f64::from(used.disk_gb + want.disk_gb) <= disk
}

/// Filters and weighers as configured.
pub struct Scheduler {
    filters: Vec<filters::Filter>,
    weighers: Vec<(weighers::Weigher, f64)>,
    subset: usize,
    pub max_attempts: u32,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("[filter_scheduler] enabled_filters: unknown filter {0}")]
    UnknownFilter(String),
    #[error("[filter_scheduler] weight_classes: unknown weigher {0}")]
    UnknownWeigher(String),
}

impl Scheduler {
    pub fn new(conf: &SchedulerConfig) -> Result<Scheduler, ConfigError> {
        let filters = conf
            .enabled_filters
            .iter()
            .map(|name| {
                filters::Filter::named(name).ok_or_else(|| ConfigError::UnknownFilter(name.clone()))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let weighers = weighers::configured(conf).map_err(ConfigError::UnknownWeigher)?;
        Ok(Scheduler {
            filters,
            weighers,
            subset: conf.host_subset_size,
            max_attempts: conf.max_attempts,
        })
    }

    /// The hosts that pass every filter, best first.
    pub fn select<'a>(&self, hosts: &'a [HostState], spec: &RequestSpec) -> Vec<&'a HostState> {
        let passing: Vec<&HostState> = hosts
            .iter()
            .filter(|h| filters::resources_fit(h, spec))
            .filter(|h| self.filters.iter().all(|f| f.passes(h, spec)))
            .collect();
        let mut ranked = weighers::rank(&self.weighers, passing);
        if self.subset > 1 && ranked.len() > 1 {
            // nova picks at random among the best `host_subset_size`.
            let n = self.subset.min(ranked.len());
            let pick = random_below(n);
            ranked.swap(0, pick);
        }
        ranked
    }
}

fn random_below(n: usize) -> usize {
    let mut b = [0u8; 8];
    let _ = ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut b);
    (u64::from_le_bytes(b) % n as u64) as usize
}

#[cfg(test)]
mod tests {
    use super::*;

    pub fn host(name: &str, ram: i32, reserved: i32, used: i32) -> HostState {
        HostState {
            node_id: name.into(),
            host: name.into(),
            nodename: name.into(),
            hypervisor_type: "fake".into(),
            total: Resources {
                vcpus: 64,
                memory_mb: ram,
                disk_gb: 1000,
            },
            policy: NodePolicy {
                cpu_allocation_ratio: 1.0,
                ram_allocation_ratio: 1.0,
                disk_allocation_ratio: 1.0,
                reserved_host_cpus: 0,
                reserved_host_memory_mb: reserved,
                reserved_host_disk_mb: 0,
            },
            used: Resources {
                vcpus: 0,
                memory_mb: used,
                disk_gb: 0,
            },
            instances: 0,
            enabled: true,
            up: true,
            availability_zone: "nova".into(),
            aggregate_metadata: BTreeMap::new(),
        }
    }

    #[test]
    fn the_seed_overcommit_cannot_fit() {
        // 300 GiB of RAM, 20 GiB reserved, ratio 1.0: 280 GiB placeable.
        let h = host("h", 300 * 1024, 20 * 1024, 270 * 1024);
        let ten = Resources {
            vcpus: 1,
            memory_mb: 10 * 1024,
            disk_gb: 1,
        };
        assert!(h.fits(&ten));
        let twenty = Resources {
            memory_mb: 20 * 1024,
            ..ten
        };
        assert!(!h.fits(&twenty));
    }

    #[test]
    fn ranks_by_free_ram_and_skips_full_hosts() {
        let conf = crate::config::ComputeConfig::from_config(
            &"".parse().unwrap(),
            std::path::Path::new("/tmp"),
        )
        .unwrap()
        .scheduler;
        let s = Scheduler::new(&conf).unwrap();
        let hosts = vec![
            host("a", 8192, 0, 4096),
            host("b", 8192, 0, 1024),
            host("c", 8192, 0, 8000),
        ];
        let spec = RequestSpec {
            resources: Resources {
                vcpus: 1,
                memory_mb: 512,
                disk_gb: 1,
            },
            ..Default::default()
        };
        let order: Vec<&str> = s
            .select(&hosts, &spec)
            .iter()
            .map(|h| h.host.as_str())
            .collect();
        assert_eq!(order, vec!["b", "a"]);
    }
}
