//! The in-memory hypervisor: guests are entries in a map. One driver per
//! host, several hosts per process (`[fake_driver] hosts`), with a
//! configurable build time and hosts where builds fail, to exercise the
//! scheduler's retries and the error paths.

use super::{
    Diagnostics, DiskStream, Driver, DriverError, DriverResult, GuestInfo, GuestSpec, NodeResources,
};
use crate::config::{FakeDriverConfig, FakeHost};
use crate::instances::Vif;
use crate::states::power;
use futures_util::future::BoxFuture;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

struct Guest {
    name: String,
    power_state: i32,
    console: String,
    /// Stands for the root disk: what a snapshot uploads.
    disk: String,
    vcpus: i32,
    memory_mb: i32,
    root_gb: i32,
    macs: Vec<String>,
    booted: std::time::Instant,
    admin_password: Option<String>,
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

impl FakeDriver {
    /// The password `set_admin_password` gave the guest (tests look).
    pub fn admin_password(&self, id: &str) -> Option<String> {
        self.guests().get(id).and_then(|g| g.admin_password.clone())
    }

    /// Runs `f` on a guest, or NotFound.
    fn with_guest<T>(
        &self,
        id: &str,
        f: impl FnOnce(&mut Guest) -> DriverResult<T>,
    ) -> DriverResult<T> {
        let mut guests = self.guests();
        let guest = guests
            .get_mut(id)
            .ok_or_else(|| DriverError::NotFound(id.to_owned()))?;
        f(guest)
    }

    /// A guest as booted from `spec`, with a console that shows its
    /// addresses.
    fn boot(&self, spec: &GuestSpec, power_state: i32) {
        let mut console = format!("{} booting on {}\n", spec.name, self.host.name);
        for vif in &spec.vifs {
            for ip in &vif.ips {
                console.push_str(&format!("eth: {} {}\n", vif.mac, ip.address));
            }
        }
        console.push_str("login:\n");
        let disk = format!(
            "fake disk of {} from image {} ({} vCPUs, {} MiB, {} GiB)\n",
            spec.name, spec.image_ref, spec.vcpus, spec.memory_mb, spec.root_gb
        );
        self.guests().insert(
            spec.id.clone(),
            Guest {
                name: spec.name.clone(),
                power_state,
                console,
                disk,
                vcpus: spec.vcpus,
                memory_mb: spec.memory_mb,
                root_gb: spec.root_gb,
                macs: spec.vifs.iter().map(|v| v.mac.clone()).collect(),
                booted: std::time::Instant::now(),
                admin_password: spec.admin_password.clone(),
            },
        );
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
            self.boot(spec, power::RUNNING);
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

    fn migrate_disk_and_power_off<'a>(
        &'a self,
        id: &'a str,
        _dest_host: &'a str,
    ) -> BoxFuture<'a, DriverResult<()>> {
        let found = self.guests().remove(id).is_some();
        ready(if found {
            Ok(())
        } else {
            Err(DriverError::NotFound(id.to_owned()))
        })
    }

    fn finish_migration<'a>(
        &'a self,
        spec: &'a GuestSpec,
        power_on: bool,
    ) -> BoxFuture<'a, DriverResult<()>> {
        Box::pin(async move {
            // Bringing a moved guest up takes as long as a build.
            if !self.spawn_delay.is_zero() {
                tokio::time::sleep(self.spawn_delay).await;
            }
            let state = if power_on {
                power::RUNNING
            } else {
                power::SHUTDOWN
            };
            self.boot(spec, state);
            Ok(())
        })
    }

    fn confirm_migration<'a>(&'a self, _id: &'a str) -> BoxFuture<'a, DriverResult<()>> {
        // The disk left with the guest: nothing stays behind.
        ready(Ok(()))
    }

    fn snapshot<'a>(&'a self, id: &'a str) -> BoxFuture<'a, DriverResult<DiskStream>> {
        let disk = self.guests().get(id).map(|g| g.disk.clone());
        ready(match disk {
            Some(d) => {
                let chunk: std::io::Result<bytes::Bytes> = Ok(bytes::Bytes::from(d));
                Ok(Box::pin(futures_util::stream::iter([chunk])) as DiskStream)
            }
            None => Err(DriverError::NotFound(id.to_owned())),
        })
    }

    fn set_admin_password<'a>(
        &'a self,
        id: &'a str,
        password: &'a str,
    ) -> BoxFuture<'a, DriverResult<()>> {
        ready(self.with_guest(id, |g| {
            if g.power_state != power::RUNNING {
                return Err(DriverError::Failed(format!(
                    "guest {} is {}, cannot set its password",
                    g.name,
                    power::name(g.power_state)
                )));
            }
            g.admin_password = Some(password.to_owned());
            Ok(())
        }))
    }

    fn attach_interface<'a>(
        &'a self,
        id: &'a str,
        vif: &'a Vif,
    ) -> BoxFuture<'a, DriverResult<()>> {
        ready(self.with_guest(id, |g| {
            g.macs.push(vif.mac.clone());
            g.console.push_str(&format!("eth: {} attached\n", vif.mac));
            Ok(())
        }))
    }

    fn detach_interface<'a>(
        &'a self,
        id: &'a str,
        vif: &'a Vif,
    ) -> BoxFuture<'a, DriverResult<()>> {
        ready(self.with_guest(id, |g| {
            g.macs.retain(|m| m != &vif.mac);
            Ok(())
        }))
    }

    fn diagnostics(&self, id: &str) -> DriverResult<Diagnostics> {
        let guests = self.guests();
        let g = guests
            .get(id)
            .ok_or_else(|| DriverError::NotFound(id.to_owned()))?;
        Ok(Diagnostics {
            state: power::name(g.power_state).to_owned(),
            // What nova's fake driver reports: API schemas only know real
            // drivers.
            driver: "libvirt".into(),
            hypervisor: "kvm".into(),
            hypervisor_os: "ubuntu".into(),
            uptime_s: g.booted.elapsed().as_secs() as i64,
            num_cpus: g.vcpus,
            memory_mb: g.memory_mb,
            nics: g.macs.clone(),
            disk_gb: g.root_gb,
        })
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
