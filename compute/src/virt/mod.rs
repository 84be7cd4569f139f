//! Hypervisor drivers: one trait, one implementation per hypervisor.
//!
//! The host agent (`agent.rs`) drives every guest through [`Driver`] and
//! keeps instance state in the database; a driver only knows its guests.
//! `fake` keeps guests in memory; `libvirt` joins it with the same trait.

pub mod fake;

use crate::instances::Vif;
use futures_util::future::BoxFuture;
use serde_json::Value;

#[derive(Debug, Clone, thiserror::Error, PartialEq)]
pub enum DriverError {
    #[error("instance {0} not found on this host")]
    NotFound(String),
    #[error("{0}")]
    Failed(String),
}

pub type DriverResult<T> = Result<T, DriverError>;

/// A guest's disk as a stream of bytes (a snapshot on its way to the image
/// service).
pub type DiskStream = futures_util::stream::BoxStream<'static, std::io::Result<bytes::Bytes>>;

/// What one hypervisor node offers, as the resource tracker reports it.
#[derive(Debug, Clone, PartialEq)]
pub struct NodeResources {
    pub hypervisor_hostname: String,
    pub hypervisor_type: String,
    pub hypervisor_version: i64,
    pub host_ip: String,
    pub vcpus: i32,
    pub memory_mb: i32,
    pub local_gb: i32,
}

/// Everything a driver needs to create a guest.
#[derive(Debug, Clone)]
pub struct GuestSpec {
    pub id: String,
    /// The hypervisor's name for the guest.
    pub name: String,
    pub vcpus: i32,
    pub memory_mb: i32,
    pub root_gb: i32,
    pub image_ref: String,
    pub vifs: Vec<Vif>,
    pub user_data: Option<String>,
    pub admin_password: Option<String>,
    pub metadata: Value,
}

/// What `diagnostics` reports of a guest (nova's standard diagnostics).
#[derive(Debug, Clone, PartialEq)]
pub struct Diagnostics {
    /// `running`, `paused`, `shutdown`, ... (power state names).
    pub state: String,
    pub driver: String,
    pub hypervisor: String,
    pub hypervisor_os: String,
    pub uptime_s: i64,
    pub num_cpus: i32,
    pub memory_mb: i32,
    /// MAC addresses of the guest's interfaces.
    pub nics: Vec<String>,
    pub disk_gb: i32,
}

/// A guest as the hypervisor sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct GuestInfo {
    pub power_state: i32,
}

pub trait Driver: Send + Sync {
    /// The compute host this driver serves.
    fn host(&self) -> &str;

    /// The nodes of this host and their resources.
    fn node_resources(&self) -> Vec<NodeResources>;

    /// Guests the hypervisor has (by instance id), for start-up cleanup.
    fn list_guests(&self) -> Vec<String>;

    fn spawn<'a>(&'a self, spec: &'a GuestSpec) -> BoxFuture<'a, DriverResult<()>>;

    /// Removes a guest; removing one that is not there is not an error.
    fn destroy<'a>(&'a self, id: &'a str) -> BoxFuture<'a, DriverResult<()>>;

    fn reboot<'a>(&'a self, id: &'a str, hard: bool) -> BoxFuture<'a, DriverResult<()>>;

    fn power_off<'a>(&'a self, id: &'a str) -> BoxFuture<'a, DriverResult<()>>;

    fn power_on<'a>(&'a self, id: &'a str) -> BoxFuture<'a, DriverResult<()>>;

    fn pause<'a>(&'a self, id: &'a str) -> BoxFuture<'a, DriverResult<()>>;

    fn unpause<'a>(&'a self, id: &'a str) -> BoxFuture<'a, DriverResult<()>>;

    fn suspend<'a>(&'a self, id: &'a str) -> BoxFuture<'a, DriverResult<()>>;

    fn resume<'a>(&'a self, id: &'a str) -> BoxFuture<'a, DriverResult<()>>;

    /// Powers the guest off and hands its disk over to `dest_host` (nova's
    /// `migrate_disk_and_power_off`): the first half of a resize or cold
    /// migration, run on the source.
    fn migrate_disk_and_power_off<'a>(
        &'a self,
        id: &'a str,
        dest_host: &'a str,
    ) -> BoxFuture<'a, DriverResult<()>>;

    /// Brings a moved guest up from its disk with `spec`'s flavor, running
    /// or powered off: the second half of a move on the destination, and
    /// of a revert on the source.
    fn finish_migration<'a>(
        &'a self,
        spec: &'a GuestSpec,
        power_on: bool,
    ) -> BoxFuture<'a, DriverResult<()>>;

    /// Removes what a confirmed move left on its source.
    fn confirm_migration<'a>(&'a self, id: &'a str) -> BoxFuture<'a, DriverResult<()>>;

    /// The guest's root disk, for an image snapshot.
    fn snapshot<'a>(&'a self, id: &'a str) -> BoxFuture<'a, DriverResult<DiskStream>>;

    fn set_admin_password<'a>(
        &'a self,
        id: &'a str,
        password: &'a str,
    ) -> BoxFuture<'a, DriverResult<()>>;

    /// Plugs one more interface into a guest.
    fn attach_interface<'a>(&'a self, id: &'a str, vif: &'a Vif)
        -> BoxFuture<'a, DriverResult<()>>;

    fn detach_interface<'a>(&'a self, id: &'a str, vif: &'a Vif)
        -> BoxFuture<'a, DriverResult<()>>;

    fn diagnostics(&self, id: &str) -> DriverResult<Diagnostics>;

    fn get_info(&self, id: &str) -> DriverResult<GuestInfo>;

    fn console_output(&self, id: &str) -> DriverResult<String>;
}
