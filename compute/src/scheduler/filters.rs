//! Host filters, by nova's names.
//!
//! RAM, vCPU and disk capacity (RamFilter, CoreFilter, DiskFilter, done by
//! placement upstream) are always checked, as placement always does; the
//! three names are accepted in `enabled_filters` for configurations that
//! still list them.

use super::{HostState, RequestSpec};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Filter {
    All,
    Compute,
    AvailabilityZone,
    Resources,
    ImageProperties,
    AggregateInstanceExtraSpecs,
    ComputeCapabilities,
    ServerGroupAffinity,
    ServerGroupAntiAffinity,
    SameHost,
    DifferentHost,
    /// Done by `ignore_hosts`; kept as a name.
    Retry,
}

impl Filter {
    /// A filter by its class name, with or without nova's module path.
    pub fn named(name: &str) -> Option<Filter> {
        let short = name.rsplit('.').next().unwrap_or(name);
        Some(match short {
            "AllHostsFilter" => Filter::All,
            "ComputeFilter" => Filter::Compute,
            "AvailabilityZoneFilter" => Filter::AvailabilityZone,
            "RamFilter" | "CoreFilter" | "DiskFilter" => Filter::Resources,
            "ImagePropertiesFilter" => Filter::ImageProperties,
            "AggregateInstanceExtraSpecsFilter" => Filter::AggregateInstanceExtraSpecs,
            "ComputeCapabilitiesFilter" => Filter::ComputeCapabilities,
            "ServerGroupAffinityFilter" => Filter::ServerGroupAffinity,
            "ServerGroupAntiAffinityFilter" => Filter::ServerGroupAntiAffinity,
            "SameHostFilter" => Filter::SameHost,
            "DifferentHostFilter" => Filter::DifferentHost,
            "RetryFilter" => Filter::Retry,
            _ => return None,
        })
    }

    pub fn passes(&self, host: &HostState, spec: &RequestSpec) -> bool {
        match self {
            Filter::All | Filter::Retry | Filter::Resources => true,
            Filter::Compute => host.enabled && host.up,
            Filter::AvailabilityZone => spec
                .availability_zone
                .as_deref()
                .is_none_or(|az| az == host.availability_zone),
            Filter::ImageProperties => image_properties(host, spec),
            Filter::AggregateInstanceExtraSpecs => aggregate_extra_specs(host, spec),
            Filter::ComputeCapabilities => capabilities(host, spec),
            Filter::ServerGroupAffinity => match spec.group_policy.as_deref() {
                Some("affinity") => {
                    spec.group_hosts.is_empty() || spec.group_hosts.contains(&host.host)
                }
                _ => true,
            },
            Filter::ServerGroupAntiAffinity => match spec.group_policy.as_deref() {
                Some("anti-affinity") => !spec.group_hosts.contains(&host.host),
                _ => true,
            },
            Filter::SameHost => spec
                .same_host
                .as_ref()
                .is_none_or(|hosts| hosts.is_empty() || hosts.contains(&host.host)),
            Filter::DifferentHost => spec
                .different_host
                .as_ref()
                .is_none_or(|hosts| !hosts.contains(&host.host)),
        }
    }
}

/// Capacity, forced host and hosts that already failed: always applied.
pub fn resources_fit(host: &HostState, spec: &RequestSpec) -> bool {
    if spec.ignore_hosts.contains(&host.host) {
        return false;
    }
    if spec.force_host.as_ref().is_some_and(|h| h != &host.host) {
        return false;
    }
    if spec
        .force_node
        .as_ref()
        .is_some_and(|n| n != &host.nodename)
    {
        return false;
    }
    host.fits(&spec.resources)
}

/// What a fake or KVM host runs.
const HOST_ARCHES: &[&str] = &["x86_64", "i686"];
const HOST_VM_MODES: &[&str] = &["hvm"];

fn image_properties(host: &HostState, spec: &RequestSpec) -> bool {
    let p = &spec.image_properties;
    let arch_ok = p
        .get("hw_architecture")
        .or_else(|| p.get("architecture"))
        .is_none_or(|a| HOST_ARCHES.contains(&a.as_str()));
    let hv_ok = p
        .get("img_hv_type")
        .or_else(|| p.get("hypervisor_type"))
        .is_none_or(|t| {
            t.eq_ignore_ascii_case(&host.hypervisor_type)
                || (t == "qemu" || t == "kvm") && host.hypervisor_type == "QEMU"
        });
    let mode_ok = p
        .get("hw_vm_mode")
        .or_else(|| p.get("vm_mode"))
        .is_none_or(|m| HOST_VM_MODES.contains(&m.as_str()));
    arch_ok && hv_ok && mode_ok
}

/// Unscoped or `aggregate_instance_extra_specs:` keys must match the
/// metadata of one of the host's aggregates.
fn aggregate_extra_specs(host: &HostState, spec: &RequestSpec) -> bool {
    spec.flavor_extra_specs.iter().all(|(key, want)| {
        let key = match key.split_once(':') {
            Some(("aggregate_instance_extra_specs", k)) => k,
            Some(_) => return true,
            None => key.as_str(),
        };
        host.aggregate_metadata
            .get(key)
            .is_some_and(|values| values.iter().any(|v| matches(v, want)))
    })
}

/// `capabilities:<attr>` keys against what the host reports.
fn capabilities(host: &HostState, spec: &RequestSpec) -> bool {
    spec.flavor_extra_specs.iter().all(|(key, want)| {
        let Some(attr) = key.strip_prefix("capabilities:") else {
            return true;
        };
        let have = match attr {
            "hypervisor_type" => host.hypervisor_type.clone(),
            "hypervisor_hostname" => host.nodename.clone(),
            "vcpus" => host.total.vcpus.to_string(),
            "memory_mb" => host.total.memory_mb.to_string(),
            "local_gb" => host.total.disk_gb.to_string(),
            "free_ram_mb" => host.free_ram_mb().to_string(),
            "free_disk_mb" => (host.free_disk_gb() * 1024.0).to_string(),
            "host" => host.host.clone(),
            _ => return false,
        };
        matches(&have, want)
    })
}

/// nova's extra spec operators: `= 4` (at least), `== 4`, `!= 4`, `>= 4`,
/// `<= 4`, `s== x`, `s!= x`, `s< x`, `s<= x`, `s> x`, `s>= x`,
/// `<in> x`, `<or> a <or> b`; anything else is string equality.
pub fn matches(have: &str, want: &str) -> bool {
    let mut words = want.split_whitespace();
    let Some(op) = words.next() else {
        return have.is_empty();
    };
    let rest: Vec<&str> = words.collect();
    let arg = rest.join(" ");
    let num = |s: &str| s.trim().parse::<f64>().ok();
    match op {
        "=" => matches!((num(have), num(&arg)), (Some(h), Some(w)) if h >= w),
        "==" => matches!((num(have), num(&arg)), (Some(h), Some(w)) if h == w),
        "!=" => matches!((num(have), num(&arg)), (Some(h), Some(w)) if h != w),
        ">=" => matches!((num(have), num(&arg)), (Some(h), Some(w)) if h >= w),
        "<=" => matches!((num(have), num(&arg)), (Some(h), Some(w)) if h <= w),
        "s==" => have == arg,
        "s!=" => have != arg,
        "s<" => have < arg.as_str(),
        "s<=" => have <= arg.as_str(),
        "s>" => have > arg.as_str(),
        "s>=" => have >= arg.as_str(),
        "<in>" => have.contains(&arg),
        "<or>" => {
            let options: Vec<&str> = want
                .split("<or>")
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .collect();
            options.contains(&have)
        }
        _ => have == want,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extra_spec_operators() {
        assert!(matches("8", "= 4"));
        assert!(!matches("2", "= 4"));
        assert!(matches("fake", "s== fake"));
        assert!(matches("b", "<or> a <or> b"));
        assert!(matches("true", "true"));
        assert!(!matches("false", "true"));
        assert!(matches("x86_64 avx", "<in> avx"));
    }

    #[test]
    fn knows_nova_names() {
        assert_eq!(
            Filter::named("nova.scheduler.filters.compute_filter.ComputeFilter"),
            Some(Filter::Compute)
        );
        assert_eq!(Filter::named("RamFilter"), Some(Filter::Resources));
        assert_eq!(Filter::named("NoSuchFilter"), None);
    }
}
