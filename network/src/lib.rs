//! Network (Neutron v2.0).
//!
//! `api/` is the HTTP surface, one file per resource; beside it the rules,
//! one file per resource (`networks.rs`, `subnets.rs`, `ports.rs`,
//! `security_groups.rs`, `routers.rs`, `floating_ips.rs`,
//! `subnetpools.rs`, `quotas.rs`), the address arithmetic (`ipam.rs`),
//! request attribute conventions (`attrs.rs`) and who may do what
//! (`policy.rs`). `store/` holds the tables. [`client::NetworkClient`] is
//! how compute, in this process, creates, binds and deletes ports.
//!
//! This is the control plane only: no bridges, DHCP or iptables yet. A
//! bound port reports the VIF a host must plug (`bridge`, a Linux bridge
//! per network) and is `ACTIVE`.

pub mod api;
pub mod attrs;
pub mod availability;
pub mod bootstrap;
pub mod client;
pub mod config;
pub mod error;
pub mod floating_ips;
pub mod ipam;
pub mod networks;
pub mod policy;
pub mod ports;
pub mod quotas;
pub mod routers;
pub mod security_groups;
pub mod store;
pub mod subnetpools;
pub mod subnets;
pub mod topology;

use std::sync::Arc;

pub use config::NetworkConfig;
pub use error::Error;
use policy::Caller;
use store::Conn;

/// What every domain operation gets besides its connection.
#[derive(Clone, Copy)]
pub struct Ctx<'a> {
    pub conf: &'a NetworkConfig,
    pub caller: &'a Caller,
    pub ipam: &'a ports::IpamHints,
}

/// The network service: configuration, database and IPAM hints.
pub struct NetworkService {
    pub conf: NetworkConfig,
    pub db: store::Db,
    pub ipam: ports::IpamHints,
}

impl NetworkService {
    /// Opens the database, migrating it.
    pub fn open(conf: NetworkConfig) -> Result<Arc<NetworkService>, Error> {
        let db = store::Db::open(&conf.database_url, conf.max_db_connections)?;
        db.run_sync(store::migrations::run)?;
        Ok(Arc::new(NetworkService {
            conf,
            db,
            ipam: ports::IpamHints::default(),
        }))
    }

    /// What a domain operation gets besides its connection.
    fn ctx<'a>(&'a self, caller: &'a Caller) -> Ctx<'a> {
        Ctx {
            conf: &self.conf,
            caller,
            ipam: &self.ipam,
        }
    }

    /// Runs a domain operation in one write transaction.
    pub async fn write<R: Send + 'static>(
        self: &Arc<Self>,
        caller: Caller,
        f: impl FnOnce(&mut Conn, &Ctx) -> Result<R, Error> + Send + 'static,
    ) -> Result<R, Error> {
        let svc = self.clone();
        self.db.write(move |c| f(c, &svc.ctx(&caller))).await
    }

    /// [`NetworkService::write`] for operations that concurrent writers
    /// make deadlock on MySQL or PostgreSQL (port creation and binding,
    /// with their address allocation): run again when the database rolls
    /// them back for that.
    pub async fn write_retrying<R: Send + 'static>(
        self: &Arc<Self>,
        caller: Caller,
        f: impl Fn(&mut Conn, &Ctx) -> Result<R, Error> + Send + Sync + 'static,
    ) -> Result<R, Error> {
        let svc = self.clone();
        self.db
            .write_retrying(move |c| f(c, &svc.ctx(&caller)))
            .await
    }

    /// Runs a read-only domain operation.
    pub async fn read<R: Send + 'static>(
        self: &Arc<Self>,
        caller: Caller,
        f: impl FnOnce(&mut Conn, &Ctx) -> Result<R, Error> + Send + 'static,
    ) -> Result<R, Error> {
        let svc = self.clone();
        self.db.read(move |c| f(c, &svc.ctx(&caller))).await
    }

    /// Runs a domain operation synchronously in one transaction (start-up).
    pub fn write_sync<R>(
        &self,
        caller: Caller,
        f: impl FnOnce(&mut Conn, &Ctx) -> Result<R, Error>,
    ) -> Result<R, Error> {
        self.db.write_sync(|c| {
            let ctx = Ctx {
                conf: &self.conf,
                caller: &caller,
                ipam: &self.ipam,
            };
            f(c, &ctx)
        })
    }
}
