//! The in-memory hypervisor: guests are entries in a map. One driver per
//! host, several hosts per process (`[fake_driver] hosts`), with a
//! configurable build time and hosts where builds fail, to exercise the
//! scheduler's retries and the error paths.

use super::{Driver, DriverError, DriverResult, GuestInfo, GuestSpec, NodeResources};
use crate::config::{FakeDriverConfig, FakeHost};
use crate::states::power;
use futures_util::future::BoxFuture;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

struct Guest {
    name: String,
    power_state: i32,
    console: String,
}

pub struct FakeDriver {
    host: FakeHost,
    spawn_delay: Duration,
    fail_spawn: bool,
    guests: Mutex<HashMap<String, Guest>>,
}

impl FakeDriver {
    pub fn new(host: FakeHost, conf: &FakeDriverConfig) -> FakeDriver {
        FakeDriver {
            fail_spawn: conf.fail_spawn_hosts.contains(&host.name),
            spawn_delay: conf.spawn_delay,
            host,
            guests: Mutex::new(HashMap::new()),
        }
    }

    fn guests(&self) -> std::sync::MutexGuard<'_, HashMap<String, Guest>> {
        self.guests.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Moves a guest from one of `from` power states to `to`.
    fn transition(&self, id: &str, from: &[i32], to: i32, line: &str) -> DriverResult<()> {
        let mut guests = self.guests();
        let guest = guests
            .get_mut(id)
            .ok_or_else(|| DriverError::NotFound(id.to_owned()))?;
        if !from.is_empty() && !from.contains(&guest.power_state) {
            return Err(DriverError::Failed(format!(
                "guest {} is {}, cannot {line}",
                guest.name,
                power::name(guest.power_state)
            )));
        }
        guest.power_state = to;
        guest.console.push_str(line);
        guest.console.push('\n');
        Ok(())
    }
}

fn ready<'a, T: Send + 'a>(v: T) -> BoxFuture<'a, T> {
    Box::pin(std::future::ready(v))
}

impl Driver for FakeDriver {
    fn host(&self) -> &str {
        &self.host.name
    }

    fn node_resources(&self) -> Vec<NodeResources> {
        vec![NodeResources {
            hypervisor_hostname: self.host.name.clone(),
            hypervisor_type: "fake".into(),
            hypervisor_version: 1000,
            host_ip: "127.0.0.1".into(),
            vcpus: self.host.vcpus,
            memory_mb: self.host.memory_mb,
            local_gb: self.host.local_gb,
        }]
    }

    fn list_guests(&self) -> Vec<String> {
        self.guests().keys().cloned().collect()
    }

    fn spawn<'a>(&'a self, spec: &'a GuestSpec) -> BoxFuture<'a, DriverResult<()>> {
        Box::pin(async move {
            if !self.spawn_delay.is_zero() {
                tokio::time::sleep(self.spawn_delay).await;
            }
            if self.fail_spawn {
                return Err(DriverError::Failed(format!(
                    "fake driver: builds fail on host {} (fail_spawn_hosts)",
                    self.host.name
                )));
            }
            let mut console = format!("{} booting on {}\n", spec.name, self.host.name);
            for vif in &spec.vifs {
                for ip in &vif.ips {
                    console.push_str(&format!("eth: {} {}\n", vif.mac, ip.address));
                }
            }
            console.push_str("login:\n");
            self.guests().insert(
                spec.id.clone(),
                Guest {
                    name: spec.name.clone(),
                    power_state: power::RUNNING,
                    console,
                },
            );
            Ok(())
        })
    }

    fn destroy<'a>(&'a self, id: &'a str) -> BoxFuture<'a, DriverResult<()>> {
        self.guests().remove(id);
        ready(Ok(()))
    }

    fn reboot<'a>(&'a self, id: &'a str, hard: bool) -> BoxFuture<'a, DriverResult<()>> {
        let from: &[i32] = if hard { &[] } else { &[power::RUNNING] };
        ready(self.transition(id, from, power::RUNNING, "reboot: login:"))
    }

    fn power_off<'a>(&'a self, id: &'a str) -> BoxFuture<'a, DriverResult<()>> {
        ready(self.transition(id, &[], power::SHUTDOWN, "power off"))
    }

    fn power_on<'a>(&'a self, id: &'a str) -> BoxFuture<'a, DriverResult<()>> {
        ready(self.transition(id, &[], power::RUNNING, "power on: login:"))
    }

    fn pause<'a>(&'a self, id: &'a str) -> BoxFuture<'a, DriverResult<()>> {
        ready(self.transition(id, &[power::RUNNING], power::PAUSED, "paused"))
    }

    fn unpause<'a>(&'a self, id: &'a str) -> BoxFuture<'a, DriverResult<()>> {
        ready(self.transition(id, &[power::PAUSED], power::RUNNING, "unpaused"))
    }

    fn suspend<'a>(&'a self, id: &'a str) -> BoxFuture<'a, DriverResult<()>> {
        ready(self.transition(id, &[power::RUNNING], power::SUSPENDED, "suspended"))
    }

    fn resume<'a>(&'a self, id: &'a str) -> BoxFuture<'a, DriverResult<()>> {
        ready(self.transition(id, &[power::SUSPENDED], power::RUNNING, "resumed"))
    }

    fn get_info(&self, id: &str) -> DriverResult<GuestInfo> {
        self.guests()
            .get(id)
            .map(|g| GuestInfo {
                power_state: g.power_state,
            })
            .ok_or_else(|| DriverError::NotFound(id.to_owned()))
    }

    fn console_output(&self, id: &str) -> DriverResult<String> {
        self.guests()
            .get(id)
            .map(|g| g.console.clone())
            .ok_or_else(|| DriverError::NotFound(id.to_owned()))
    }
}
