//! `os-simple-tenant-usage`: what each project's instances used over a
//! period, in hours and hour-weighted vCPUs, RAM and disk, counted from the
//! instance records (deleted ones included).

use crate::error::{Error, Result};
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

/// Which instances a report counts, in nova's order (project, then
/// instance id): at most `limit`, after the instance `marker` if given.
#[derive(Debug, Clone)]
pub struct InstancePage {
    pub limit: usize,
    pub marker: Option<String>,
}

/// Usage per project, from one page of instances.
#[derive(Debug, Default)]
pub struct UsageReport {
    pub tenants: BTreeMap<String, TenantUsage>,
    /// The last instance counted, when more follow: the next page's marker.
    pub next_marker: Option<String>,
}

/// Usage per project in `[start, end]` (µs), of one project or all. The
/// marker may be any instance, deleted or of another project, as in nova;
/// an unknown one is a `BadRequest`.
pub fn usage(
    c: &mut Conn,
    project_id: Option<&str>,
    start: i64,
    end: i64,
    page: &InstancePage,
) -> Result<UsageReport> {
    let after = match &page.marker {
        None => None,
        Some(marker) => {
            let row = store::instances::get(c, marker)?.ok_or_else(|| {
                Error::bad_request(format!("Marker {marker} could not be found."))
            })?;
            Some((row.project_id, row.id))
        }
    };
    // One row more than the page tells whether another page follows.
    let fetch = i64::try_from(page.limit).unwrap_or(i64::MAX - 1) + 1;
    let mut rows = store::instances::existing_between(c, project_id, start, end, after, fetch)?;
    let more = rows.len() > page.limit;
    rows.truncate(page.limit);
    let now = compat_api::time::now_us();
    let mut report = UsageReport {
        next_marker: rows.last().filter(|_| more).map(|r| r.id.clone()),
        ..UsageReport::default()
    };
    for row in rows {
        let inst = Instance::from_row(row);
        let from = inst
            .row
            .launched_at
            .unwrap_or(inst.row.created_at)
            .max(start);
        let to = inst.row.deleted_at.unwrap_or(now).min(end);
        let hours = (to - from).max(0) as f64 / US_PER_HOUR;
        let f = &inst.flavor;
        let t = report
            .tenants
            .entry(inst.row.project_id.clone())
            .or_default();
        t.total_hours += hours;
        t.total_vcpus_usage += hours * f64::from(f.vcpus);
        t.total_memory_mb_usage += hours * f64::from(f.memory_mb);
        t.total_local_gb_usage += hours * f64::from(f.root_gb + f.ephemeral_gb);
        t.servers.push(ServerUsage {
            instance: inst,
            hours,
        });
    }
    Ok(report)
}
