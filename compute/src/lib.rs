//! Compute (Nova v2.1).
//!
//! `api/` is the HTTP surface, one file per resource. Behind it:
//! `servers.rs` (what the API asks of instances), `conductor.rs` (placing
//! and building them, with the scheduler in `scheduler/`), `agent.rs` (the
//! host agent driving a hypervisor through `virt/`), and the rules of
//! flavors, key pairs, quotas and instance actions in their own files.
//! Everything between API, conductor, scheduler and agents travels on the
//! message bus ([`compat_api::bus`]); `store/` holds the tables.

pub mod actions;
pub mod agent;
pub mod aggregates;
pub mod api;
pub mod clients;
pub mod conductor;
pub mod config;
pub mod context;
pub mod error;
pub mod flavors;
pub mod instances;
pub mod keypairs;
pub mod moves;
pub mod notifications;
pub mod quotas;
pub mod scheduler;
pub mod server_actions;
pub mod server_groups;
pub mod server_interfaces;
pub mod servers;
pub mod states;
pub mod store;
pub mod usage;
pub mod virt;

use compat_api::bus::Bus;
use context::Context;
use instances::Instance;
use std::sync::{Arc, Mutex};
use store::Conn;

pub use config::ComputeConfig;
pub use error::Error;

/// The compute service: API domain, conductor, scheduler and this
/// process's host agents share it.
pub struct ComputeService {
    pub conf: ComputeConfig,
    pub db: store::Db,
    pub bus: Arc<dyn Bus>,
    pub images: Arc<dyn clients::ImageApi>,
    pub network: Arc<dyn clients::NetworkApi>,
    pub notifier: notifications::Notifier,
    pub scheduler: scheduler::Scheduler,
    hosts: Mutex<conductor::HostView>,
    agents: Mutex<Vec<Arc<agent::Agent>>>,
    /// When this process opened the service (µs): the fake driver's hosts
    /// it runs came up with it.
    pub started_at: i64,
}

/// What [`ComputeService::open`] needs besides its configuration.
pub struct Wiring {
    pub bus: Arc<dyn Bus>,
    pub images: Arc<dyn clients::ImageApi>,
    pub network: Arc<dyn clients::NetworkApi>,
    pub notifier: notifications::NotifierConfig,
}

#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error(transparent)]
    Store(#[from] compat_api::db::StoreError),
    #[error(transparent)]
    Domain(#[from] Error),
    #[error(transparent)]
    Scheduler(#[from] scheduler::ConfigError),
}

impl ComputeService {
    /// Opens the database (migrating it) and checks the scheduler options.
    pub fn open(conf: ComputeConfig, wiring: Wiring) -> Result<Arc<ComputeService>, OpenError> {
        let db = store::Db::open(&conf.database_url, conf.max_db_connections)?;
        db.run_sync(store::migrations::run)?;
        let scheduler = scheduler::Scheduler::new(&conf.scheduler)?;
        if conf.bootstrap_flavors && db.write_sync(flavors::bootstrap)? {
            tracing::info!("created the default flavors");
        }
        Ok(Arc::new(ComputeService {
            notifier: notifications::Notifier::new(wiring.notifier, wiring.bus.clone()),
            conf,
            db,
            bus: wiring.bus,
            images: wiring.images,
            network: wiring.network,
            scheduler,
            hosts: Mutex::new(conductor::HostView::default()),
            agents: Mutex::new(Vec::new()),
            started_at: compat_api::time::now_us(),
        }))
    }

    /// Starts the conductor, the scheduler and a host agent per host of
    /// the fake driver.
    pub async fn start(self: &Arc<Self>) -> Result<(), Error> {
        self.spawn_conductor();
        for host in &self.conf.fake.hosts {
            let driver = Arc::new(virt::fake::FakeDriver::new(host.clone(), &self.conf.fake));
            let agent = agent::Agent::new(self.clone(), driver);
            agent.clone().start().await?;
            self.agents
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(agent);
        }
        self.reload_hosts().await
    }

    /// The agent of `host` in this process.
    pub fn agent(&self, host: &str) -> Option<Arc<agent::Agent>> {
        self.agents
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .find(|a| a.host() == host)
            .cloned()
    }

    pub async fn read<R: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Conn) -> Result<R, Error> + Send + 'static,
    ) -> Result<R, Error> {
        self.db.read(f).await
    }

    pub async fn write<R: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Conn) -> Result<R, Error> + Send + 'static,
    ) -> Result<R, Error> {
        self.db.write(f).await
    }

    /// Changes an instance in one transaction (`f` returns whether it
    /// changed anything), then sends `instance.update` as configured.
    /// Returns the instance as saved, or None if `f` left it alone.
    pub async fn update_instance(
        &self,
        ctx: &Context,
        service: &str,
        id: &str,
        f: impl FnOnce(&mut Instance) -> bool + Send + 'static,
    ) -> Result<Option<Instance>, Error> {
        let id = id.to_owned();
        let changed = self
            .write(move |c| {
                let mut inst = instances::load_for_update(c, &id)?;
                let old = (inst.row.vm_state.clone(), inst.row.task_state.clone());
                if !f(&mut inst) {
                    return Ok(None);
                }
                instances::save(c, &mut inst)?;
                Ok(Some((inst, old)))
            })
            .await?;
        let Some((inst, (old_vm, old_task))) = changed else {
            return Ok(None);
        };
        self.notifier.instance_update(
            ctx,
            service,
            &self.conf.host,
            &inst,
            &old_vm,
            old_task.as_deref(),
        );
        Ok(Some(inst))
    }

    /// Marks an instance deleted and frees what it held in this service
    /// (allocations; quota usage is counted from live instances).
    pub async fn finish_delete(
        &self,
        ctx: &Context,
        service: &str,
        id: &str,
    ) -> Result<Option<Instance>, Error> {
        let id2 = id.to_owned();
        self.write(move |c| {
            store::nodes::release(c, &id2)?;
            // An open move holds the source's share under its own id.
            if let Some(m) = store::moves::latest_of(c, &id2, moves::OPEN)? {
                store::nodes::release(c, &m.id)?;
            }
            store::server_groups::remove_instance(c, &id2)?;
            Ok(())
        })
        .await?;
        self.update_instance(ctx, service, id, |i| {
            let now = compat_api::time::now_us();
            i.row.vm_state = states::vm::DELETED.into();
            i.row.task_state = None;
            i.row.power_state = states::power::NOSTATE;
            i.row.deleted_at = Some(now);
            i.vifs.clear();
            true
        })
        .await
    }
}
