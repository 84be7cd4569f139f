//! Commands: `all-in-one`, and `manage` (keystone-manage's equivalents).

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use compat_api::config::Config;
use compute::{ComputeConfig, ComputeService};
use identity::bootstrap::{BootstrapOptions, CatalogEntry};
use identity::{Identity, IdentityConfig};
use image::{ImageConfig, ImageService};
use network::{NetworkConfig, NetworkService};
use std::path::PathBuf;
use std::sync::Arc;

#[derive(Parser, Debug)]
#[command(
    name = "ferrostack",
    version,
    about = "An OpenStack cloud in one binary"
)]
pub struct Cli {
    /// Directory for databases, keys, clouds.yaml and openrc.
    #[arg(
        long,
        global = true,
        env = "FERROSTACK_DATA_DIR",
        default_value = "ferrostack-data"
    )]
    pub data_dir: PathBuf,
    /// oslo-style INI configuration file.
    #[arg(long, global = true, env = "FERROSTACK_CONFIG")]
    pub config: Option<PathBuf>,
    /// Log at debug level.
    #[arg(long, global = true)]
    pub debug: bool,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Every API, the scheduler and one compute host in one process.
    AllInOne,
    /// Database, bootstrap and key management.
    Manage {
        #[command(subcommand)]
        action: Manage,
    },
}

#[derive(Subcommand, Debug)]
pub enum Manage {
    /// Create or upgrade the database schema.
    DbSync,
    /// Create the default domain, roles, admin user and catalog (resets the
    /// admin password when one is given).
    Bootstrap {
        #[arg(long, env = "OS_BOOTSTRAP_PASSWORD")]
        bootstrap_password: Option<String>,
    },
    /// Add a new token signing key; retired keys keep verifying until their tokens expire.
    TokenRotate,
}

/// Everything a command needs: the configuration and where things live.
pub struct Runtime {
    pub conf: Config,
    pub data_dir: PathBuf,
}

fn load(cli: &Cli) -> Result<Runtime> {
    std::fs::create_dir_all(&cli.data_dir)
        .with_context(|| format!("cannot create data directory {}", cli.data_dir.display()))?;
    let conf = Config::load(cli.config.as_deref())?;
    let data_dir = cli.data_dir.canonicalize()?;
    Ok(Runtime { conf, data_dir })
}

pub fn open_identity(ctx: &Runtime) -> Result<Arc<Identity>> {
    let conf = IdentityConfig::from_config(&ctx.conf, &ctx.data_dir)?;
    Ok(Identity::open(conf)?)
}

pub fn open_image(ctx: &Runtime) -> Result<Arc<ImageService>> {
    let conf = ImageConfig::from_config(&ctx.conf, &ctx.data_dir)?;
    Ok(ImageService::open(conf)?)
}

/// The compute service, talking to this process's image and network
/// services over `bus`.
pub fn open_compute(
    ctx: &Runtime,
    bus: Arc<dyn compat_api::bus::Bus>,
    image: Arc<ImageService>,
    network: Arc<NetworkService>,
) -> Result<Arc<ComputeService>> {
    let conf = ComputeConfig::from_config(&ctx.conf, &ctx.data_dir)?;
    let wiring = compute::Wiring {
        bus,
        images: Arc::new(compute::clients::InProcessImages(image)),
        network: Arc::new(compute::clients::InProcessNetwork(
            network::client::InProcess(network),
        )),
        notifier: compute::notifications::NotifierConfig::from_config(
            &ctx.conf,
            conf.notify_on_state_change,
        ),
    };
    Ok(ComputeService::open(conf, wiring)?)
}

pub fn open_network(ctx: &Runtime) -> Result<Arc<NetworkService>> {
    let conf = NetworkConfig::from_config(&ctx.conf, &ctx.data_dir)?;
    Ok(NetworkService::open(conf)?)
}

/// Where each API listens and what URLs the catalog advertises.
pub struct Endpoints {
    pub bind_host: String,
    pub identity_port: u16,
    pub identity_url: String,
    /// `[image] bind_port` (glance's `bind_port`), 9292 by default.
    pub image_port: u16,
    /// `[image] public_endpoint`, else derived from the bind address.
    pub image_url: String,
    /// `[network] bind_port` (neutron's `bind_port`), 9696 by default.
    pub network_port: u16,
    /// `[network] public_endpoint`, else derived from the bind address.
    pub network_url: String,
    /// `[DEFAULT] osapi_compute_listen_port` (nova's option), 8774 by default.
    pub compute_port: u16,
    /// `[api] compute_link_prefix`, else derived from the bind address.
    pub compute_url: String,
}

impl Endpoints {
    pub fn from_config(conf: &Config) -> Result<Endpoints> {
        let bind_host = conf
            .get("DEFAULT", "bind_host")
            .unwrap_or_else(|| "127.0.0.1".into());
        let identity_port = conf.get_or("DEFAULT", "public_port", 5000u16)?;
        let advertised_host = match bind_host.as_str() {
            "0.0.0.0" | "::" => conf
                .get("DEFAULT", "my_ip")
                .unwrap_or_else(|| "127.0.0.1".into()),
            h => h.to_owned(),
        };
        let identity_url = conf
            .get("DEFAULT", "public_endpoint")
            .map(|e| e.trim_end_matches('/').to_owned())
            .unwrap_or_else(|| format!("http://{advertised_host}:{identity_port}"));
        let image_port = conf.get_or("image", "bind_port", 9292u16)?;
        let image_url = conf
            .get("image", "public_endpoint")
            .map(|e| e.trim_end_matches('/').to_owned())
            .unwrap_or_else(|| format!("http://{advertised_host}:{image_port}"));
        let network_port = conf.get_or("network", "bind_port", 9696u16)?;
        let network_url = conf
            .get("network", "public_endpoint")
            .map(|e| e.trim_end_matches('/').to_owned())
            .unwrap_or_else(|| format!("http://{advertised_host}:{network_port}"));
        let compute_port = conf.get_or("DEFAULT", "osapi_compute_listen_port", 8774u16)?;
        let compute_url = conf
            .get("api", "compute_link_prefix")
            .map(|e| e.trim_end_matches('/').to_owned())
            .unwrap_or_else(|| format!("http://{advertised_host}:{compute_port}"));
        Ok(Endpoints {
            bind_host,
            compute_port,
            compute_url,
            network_port,
            network_url,
            identity_port,
            identity_url,
            image_port,
            image_url,
        })
    }

    /// The catalog of the services this binary serves.
    pub fn catalog(&self) -> Vec<CatalogEntry> {
        vec![
            CatalogEntry {
                service_type: "identity".into(),
                name: "keystone".into(),
                url: format!("{}/v3", self.identity_url),
            },
            CatalogEntry {
                service_type: "image".into(),
                name: "glance".into(),
                url: self.image_url.clone(),
            },
            CatalogEntry {
                service_type: "compute".into(),
                name: "nova".into(),
                url: format!("{}/v2.1", self.compute_url),
            },
            CatalogEntry {
                service_type: "network".into(),
                name: "neutron".into(),
                url: self.network_url.clone(),
            },
        ]
    }
}

pub fn bootstrap_options(
    conf: &Config,
    endpoints: &Endpoints,
    password: Option<String>,
    reset: bool,
) -> BootstrapOptions {
    BootstrapOptions {
        admin_password: password.or_else(|| conf.get("bootstrap", "admin_password")),
        reset_password: reset,
        region: conf
            .get("bootstrap", "region_id")
            .unwrap_or_else(|| "RegionOne".into()),
        services: endpoints.catalog(),
    }
}

pub fn run(cli: Cli) -> Result<()> {
    let ctx = load(&cli)?;
    match cli.command {
        Command::AllInOne => crate::serve::all_in_one(ctx),
        Command::Manage { action } => manage(ctx, action),
    }
}

fn manage(ctx: Runtime, action: Manage) -> Result<()> {
    let identity = open_identity(&ctx)?;
    match action {
        Manage::DbSync => {
            let image = open_image(&ctx)?;
            let network = open_network(&ctx)?;
            let bus = compat_api::bus::InProcessBus::new();
            open_compute(&ctx, bus, image, network)?;
            println!("identity, image, network and compute databases are up to date");
        }
        Manage::Bootstrap { bootstrap_password } => {
            let endpoints = Endpoints::from_config(&ctx.conf)?;
            let opts = bootstrap_options(&ctx.conf, &endpoints, bootstrap_password, true);
            let report = identity.bootstrap(&opts)?;
            if let Some(p) = &report.generated_password {
                println!("admin password: {p}");
            }
            if let Some(p) = &report.admin_password {
                crate::clouds::write(&ctx.data_dir, &endpoints.identity_url, p, &opts.region)?;
            }
            println!("bootstrap complete");
        }
        Manage::TokenRotate => {
            let kid = identity.keys.rotate()?;
            println!("new signing key {kid}");
        }
    }
    Ok(())
}
