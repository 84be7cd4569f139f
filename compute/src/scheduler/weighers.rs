//! Host weighers, by nova's names: each weigher's raw values are
//! normalised to 0..1 over the candidate hosts, multiplied by its
//! multiplier and summed; the highest total wins.

use super::HostState;
use crate::config::SchedulerConfig;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Weigher {
    Ram,
    Cpu,
    Disk,
}

impl Weigher {
    fn raw(&self, h: &HostState) -> f64 {
        match self {
            Weigher::Ram => h.free_ram_mb(),
            Weigher::Cpu => h.free_vcpus(),
            Weigher::Disk => h.free_disk_gb(),
        }
    }
}

/// The weighers `weight_classes` names, with their multipliers.
pub fn configured(conf: &SchedulerConfig) -> Result<Vec<(Weigher, f64)>, String> {
    let mut out: Vec<(Weigher, f64)> = Vec::new();
    let mut add = |w: Weigher, m: f64| {
        if m != 0.0 && !out.iter().any(|(x, _)| *x == w) {
            out.push((w, m));
        }
    };
    for name in &conf.weight_classes {
        let short = name.rsplit('.').next().unwrap_or(name);
        match short {
            "all_weighers" => {
                add(Weigher::Ram, conf.ram_weight_multiplier);
                add(Weigher::Cpu, conf.cpu_weight_multiplier);
                add(Weigher::Disk, conf.disk_weight_multiplier);
            }
            "RAMWeigher" => add(Weigher::Ram, conf.ram_weight_multiplier),
            "CPUWeigher" => add(Weigher::Cpu, conf.cpu_weight_multiplier),
            "DiskWeigher" => add(Weigher::Disk, conf.disk_weight_multiplier),
            _ => return Err(name.clone()),
        }
    }
    Ok(out)
}

/// Sorts hosts best first. Ties keep their order, so equal hosts are taken
/// in the order the caller gave them.
pub fn rank<'a>(weighers: &[(Weigher, f64)], hosts: Vec<&'a HostState>) -> Vec<&'a HostState> {
    if hosts.len() < 2 || weighers.is_empty() {
        return hosts;
    }
    let mut totals = vec![0.0f64; hosts.len()];
    let mut raw = vec![0.0f64; hosts.len()];
    for (weigher, multiplier) in weighers {
        let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
        for (slot, h) in raw.iter_mut().zip(&hosts) {
            *slot = weigher.raw(h);
            lo = lo.min(*slot);
            hi = hi.max(*slot);
        }
        let span = hi - lo;
        if span <= 0.0 {
            continue;
        }
        for (total, value) in totals.iter_mut().zip(&raw) {
            *total += multiplier * (value - lo) / span;
        }
    }
    let mut order: Vec<usize> = (0..hosts.len()).collect();
    order.sort_by(|&a, &b| totals[b].total_cmp(&totals[a]));
    order.into_iter().map(|i| hosts[i]).collect()
}
