//! `os-simple-tenant-usage`: what each project's instances used over a
//! period, in hours and hour-weighted vCPUs, RAM and disk, counted from the
//! instance records (deleted ones included).

use crate::error::Result;
use crate::instances::Instance;
use crate::store::{self, Conn};
use std::collections::BTreeMap;

/// One instance's share of the period.
#[derive(Debug, Clone)]
pub struct ServerUsage {
    pub instance: Instance,
    pub hours: f64,
}

/// A project's usage over the period.
#[derive(Debug, Clone, Default)]
pub struct TenantUsage {
    pub servers: Vec<ServerUsage>,
    pub total_hours: f64,
    pub total_vcpus_usage: f64,
    pub total_memory_mb_usage: f64,
    pub total_local_gb_usage: f64,
}

const US_PER_HOUR: f64 = 3_600_000_000.0;

/// Usage per project in `[start, end]` (µs), of one project or all.
pub fn usage(
    c: &mut Conn,
    project_id: Option<&str>,
    start: i64,
    end: i64,
) -> Result<BTreeMap<String, TenantUsage>> {
    let now = compat_api::time::now_us();
    let mut out: BTreeMap<String, TenantUsage> = BTreeMap::new();
    for row in store::instances::existing_between(c, project_id, start, end)? {
        let inst = Instance::from_row(row);
        let from = inst
            .row
            .launched_at
            .unwrap_or(inst.row.created_at)
            .max(start);
        let to = inst.row.deleted_at.unwrap_or(now).min(end);
        let hours = (to - from).max(0) as f64 / US_PER_HOUR;
        let f = &inst.flavor;
        let t = out.entry(inst.row.project_id.clone()).or_default();
        t.total_hours += hours;
        t.total_vcpus_usage += hours * f64::from(f.vcpus);
        t.total_memory_mb_usage += hours * f64::from(f.memory_mb);
        t.total_local_gb_usage += hours * f64::from(f.root_gb + f.ephemeral_gb);
        t.servers.push(ServerUsage {
            instance: inst,
            hours,
        });
    }
    Ok(out)
}
