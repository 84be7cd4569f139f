//! `ferrostack all-in-one`: every API this build has, in one process.

use crate::cli::{
    bootstrap_options, open_compute, open_identity, open_image, open_network, Endpoints, Runtime,
};
use actix_http::body::MessageBody;
use actix_http::HttpService;
use actix_server::{ServerBuilder, ServerHandle};
use actix_service::{map_config, ServiceFactory};
use actix_web::dev::{AppConfig, ServiceRequest, ServiceResponse};
use actix_web::{web, App};
use anyhow::{Context, Result};
use compat_api::app::service_app;
use compat_api::body::DEFAULT_BODY_LIMIT;
use compat_api::ErrorFormat;
use compute::ComputeService;
use identity::Identity;
use image::ImageService;
use network::NetworkService;
use std::net::ToSocketAddrs;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::signal::unix::{signal, Signal, SignalKind};

pub fn all_in_one(rt: Runtime) -> Result<()> {
    let started = Instant::now();
    let identity = open_identity(&rt)?;
    let image = open_image(&rt)?;
    let network = open_network(&rt)?;
    let bus = compat_api::bus::InProcessBus::new();
    let compute = open_compute(&rt, bus, image.clone(), network.clone())?;
    let endpoints = Endpoints::from_config(&rt.conf)?;
    let password = std::env::var("OS_BOOTSTRAP_PASSWORD")
        .ok()
        .filter(|p| !p.is_empty());
    let opts = bootstrap_options(&rt.conf, &endpoints, password, false);
    let report = identity.bootstrap(&opts)?;
    if let Some(p) = &report.generated_password {
        // Printed once: the first start is the only time it is known.
        println!("ferrostack: admin password (shown once): {p}");
    }
    if let (true, Some(p)) = (report.admin_created, &report.admin_password) {
        crate::clouds::write(&rt.data_dir, &endpoints.identity_url, p, &opts.region)?;
    }
    if let Some(nets) = &network.conf.bootstrap {
        if network.bootstrap(&report.admin_project_id, nets)? {
            tracing::info!("created the public and private networks");
        }
    }
    let workers = rt.conf.get_or("DEFAULT", "workers", 0usize)?;
    let body_limit = rt.conf.get_or(
        "oslo_middleware",
        "max_request_body_size",
        DEFAULT_BODY_LIMIT,
    )?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let services = Services {
        identity,
        image,
        network,
        compute,
    };
    runtime.block_on(serve(
        services, endpoints, workers, body_limit, &rt, started,
    ))
}

/// The services this process runs.
struct Services {
    identity: Arc<Identity>,
    image: Arc<ImageService>,
    network: Arc<NetworkService>,
    compute: Arc<ComputeService>,
}

async fn serve(
    services: Services,
    endpoints: Endpoints,
    workers: usize,
    body_limit: usize,
    rt: &Runtime,
    started: Instant,
) -> Result<()> {
    let Services {
        identity,
        image,
        network,
        compute,
    } = services;
    // Listening from here on: a stop asked for while the APIs start is a
    // graceful stop too, not the default kill.
    let stop = StopSignals::listen()?;
    compute
        .start()
        .await
        .context("cannot start the compute host agents")?;
    spawn_housekeeping(identity.clone());
    spawn_scrubber(image.clone());
    let verifier = identity.verifier.clone();
    let host = endpoints.bind_host.as_str();
    let mut server = actix_server::Server::build()
        .disable_signals()
        .backlog(1024);
    if workers > 0 {
        server = server.workers(workers);
    }
    let identity_data = web::Data::from(identity.clone());
    let identity_verifier = verifier.clone();
    server = listen(
        server,
        "identity",
        (host, endpoints.identity_port),
        move || {
            service_app(ErrorFormat::Keystone, body_limit)
                .app_data(identity_data.clone())
                .app_data(identity_verifier.clone())
                .configure(identity::api::configure)
        },
    )
    .with_context(|| listen_error(&endpoints, endpoints.identity_port))?;
    let image_data = web::Data::from(image);
    let image_verifier = verifier.clone();
    server = listen(server, "image", (host, endpoints.image_port), move || {
        service_app(ErrorFormat::Glance, body_limit)
            .app_data(image_data.clone())
            .app_data(image_verifier.clone())
            .configure(image::api::configure)
    })
    .with_context(|| listen_error(&endpoints, endpoints.image_port))?;
    let network_data = web::Data::from(network);
    let network_verifier = verifier.clone();
    server = listen(
        server,
        "network",
        (host, endpoints.network_port),
        move || {
            service_app(ErrorFormat::Neutron, body_limit)
                .app_data(network_data.clone())
                .app_data(network_verifier.clone())
                .configure(network::api::configure)
        },
    )
    .with_context(|| listen_error(&endpoints, endpoints.network_port))?;
    let compute_data = web::Data::from(compute);
    server = listen(
        server,
        "compute",
        (host, endpoints.compute_port),
        move || {
            service_app(ErrorFormat::Nova, body_limit)
                .app_data(compute_data.clone())
                .app_data(verifier.clone())
                .configure(compute::api::configure)
        },
    )
    .with_context(|| listen_error(&endpoints, endpoints.compute_port))?;
    let server = server.run();
    stop.stop_on_signal(server.handle());
    tracing::info!(
        "ferrostack ready in {} ms: identity {}/v3, image {}, network {}, compute {}/v2.1, data in {}",
        started.elapsed().as_millis(),
        endpoints.identity_url,
        endpoints.image_url,
        endpoints.network_url,
        endpoints.compute_url,
        rt.data_dir.display()
    );
    eprintln!(
        "ferrostack ready: identity {}/v3, image {}, network {}, compute {}/v2.1",
        endpoints.identity_url, endpoints.image_url, endpoints.network_url, endpoints.compute_url
    );
    server.await.context("server failed")?;
    Ok(())
}

/// Adds an API's listener to the one server of the process. Every worker
/// thread builds the API's app with `app` and serves its connections, so
/// the process runs as many event loops as it has workers, not that many
/// per API; each listener is set up as `HttpServer` would set up its own.
fn listen<F, T, B>(
    server: ServerBuilder,
    name: &str,
    addr: (&str, u16),
    app: F,
) -> std::io::Result<ServerBuilder>
where
    F: Fn() -> App<T> + Send + Clone + 'static,
    T: ServiceFactory<
            ServiceRequest,
            Config = (),
            Response = ServiceResponse<B>,
            Error = actix_web::Error,
            InitError = (),
        > + 'static,
    B: MessageBody + 'static,
{
    let addrs: Vec<_> = addr.to_socket_addrs()?.collect();
    if addrs.is_empty() {
        return Err(std::io::Error::other("the address resolves to nothing"));
    }
    let mut server = server;
    // Every address the host resolves to, as HttpServer binds them.
    for local in addrs {
        let shutdown = server.graceful_shutdown_signal();
        let app = app.clone();
        server = server.bind(name, local, move || {
            // What links fall back on when a request names no host:
            // actix-web builds it only through a hidden constructor outside
            // HttpServer.
            let config = AppConfig::__priv_test_new(false, local.to_string(), local);
            let shutdown = shutdown.clone();
            HttpService::build()
                .client_disconnect_timeout(Duration::from_secs(1))
                .graceful_shutdown_signal(move || {
                    let shutdown = shutdown.clone();
                    async move { shutdown.notified().await }
                })
                .local_addr(local)
                .finish(map_config(app(), move |()| config.clone()))
                .tcp()
        })?;
    }
    Ok(server)
}

/// SIGTERM and SIGINT, listened for from the start (actix would listen only
/// once the server runs, and a signal before that would kill the process
/// without a graceful stop).
struct StopSignals {
    terminate: Signal,
    interrupt: Signal,
}

impl StopSignals {
    fn listen() -> Result<StopSignals> {
        let listen = |kind| signal(kind).context("cannot listen for signals");
        Ok(StopSignals {
            terminate: listen(SignalKind::terminate())?,
            interrupt: listen(SignalKind::interrupt())?,
        })
    }

    /// Stops the server gracefully at the first signal.
    fn stop_on_signal(mut self, server: ServerHandle) {
        tokio::spawn(async move {
            let name = tokio::select! {
                _ = self.terminate.recv() => "SIGTERM",
                _ = self.interrupt.recv() => "SIGINT",
            };
            tracing::info!("{name} received: stopping");
            server.stop(true).await;
        });
    }
}

fn listen_error(endpoints: &Endpoints, port: u16) -> String {
    format!("cannot listen on {}:{port}", endpoints.bind_host)
}

/// With `delayed_delete`, removes images whose `scrub_time` has passed.
fn spawn_scrubber(image: Arc<ImageService>) {
    if !image.conf.delayed_delete {
        return;
    }
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(image.conf.scrub_wakeup_s));
        loop {
            tick.tick().await;
            match image.scrub().await {
                Ok(0) => {}
                Ok(n) => tracing::info!("scrubbed {n} deleted images"),
                Err(e) => tracing::warn!("image scrubber: {e}"),
            }
        }
    });
}

/// Picks up rotated keys and forgets revocation events no live token can match.
fn spawn_housekeeping(identity: Arc<Identity>) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(10));
        loop {
            tick.tick().await;
            if let Err(e) = identity.reload_keys() {
                tracing::warn!("cannot reload token keys: {e}");
            }
            let horizon = compat_api::time::now_us() - identity.conf.token_lifetime_us();
            identity.verifier.revocations().prune(horizon);
        }
    });
}
