//! Scheduler decision time: filters and weighers over N in-memory hosts,
//! as the conductor runs them (the claim that follows is a database write,
//! measured by bench/compute.sh end to end).
//!
//!   cargo run --release -p compute --example scheduler_bench -- [HOSTS...]

use compat_api::config::Config;
use compute::config::NodePolicy;
use compute::scheduler::{HostState, RequestSpec, Resources, Scheduler};
use compute::ComputeConfig;
use std::collections::BTreeMap;
use std::time::Instant;

fn host(i: usize) -> HostState {
    HostState {
        node_id: format!("node-{i}"),
        host: format!("host-{i}"),
        nodename: format!("host-{i}"),
        hypervisor_type: "fake".into(),
        total: Resources {
            vcpus: 64,
            memory_mb: 256 * 1024,
            disk_gb: 2000,
        },
        policy: NodePolicy {
            cpu_allocation_ratio: 4.0,
            ram_allocation_ratio: 1.0,
            disk_allocation_ratio: 1.0,
            reserved_host_cpus: 0,
            reserved_host_memory_mb: 512,
            reserved_host_disk_mb: 0,
        },
        // Uneven load, so the weighers have something to rank.
        used: Resources {
            vcpus: (i % 64) as i32,
            memory_mb: ((i * 7919) % (200 * 1024)) as i32,
            disk_gb: ((i * 31) % 1500) as i32,
        },
        instances: i % 50,
        enabled: !i.is_multiple_of(97),
        up: true,
        availability_zone: if i.is_multiple_of(2) { "nova" } else { "az2" }.into(),
        aggregate_metadata: BTreeMap::new(),
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let sizes: Vec<usize> = std::env::args()
        .skip(1)
        .map(|a| a.parse())
        .collect::<Result<_, _>>()?;
    let sizes = if sizes.is_empty() {
        vec![1_000, 10_000]
    } else {
        sizes
    };
    let conf = ComputeConfig::from_config(&Config::default(), &std::env::temp_dir())?;
    let scheduler = Scheduler::new(&conf.scheduler)?;
    let spec = RequestSpec {
        instance_id: "bench".into(),
        project_id: "bench".into(),
        resources: Resources {
            vcpus: 2,
            memory_mb: 4096,
            disk_gb: 40,
        },
        availability_zone: Some("nova".into()),
        ..Default::default()
    };
    for n in sizes {
        let hosts: Vec<HostState> = (0..n).map(host).collect();
        let rounds = (2_000_000 / n).clamp(20, 2_000);
        let mut picked = 0usize;
        let started = Instant::now();
        for _ in 0..rounds {
            picked += scheduler.select(&hosts, &spec).len().min(1);
        }
        let per = started.elapsed().as_secs_f64() / rounds as f64;
        println!(
            "scheduler: {n} hosts: {:.3} ms per decision ({rounds} decisions, {picked} placed)",
            per * 1000.0
        );
    }
    Ok(())
}
