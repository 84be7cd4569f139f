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

    fn get_info(&self, id: &str) -> DriverResult<GuestInfo>;

    fn console_output(&self, id: &str) -> DriverResult<String>;
}
