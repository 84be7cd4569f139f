//! `ferrostack all-in-one`: every API this build has, in one process.

use crate::cli::{bootstrap_options, open_identity, Endpoints, Runtime};
use actix_web::{web, HttpServer};
use anyhow::{Context, Result};
use compat_api::app::service_app;
use compat_api::body::DEFAULT_BODY_LIMIT;
use compat_api::ErrorFormat;
use identity::Identity;
use std::sync::Arc;
use std::time::{Duration, Instant};

pub fn all_in_one(rt: Runtime) -> Result<()> {
    let started = Instant::now();
    let identity = open_identity(&rt)?;
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
    runtime.block_on(serve(
        identity, endpoints, workers, body_limit, &rt, started,
    ))
}

async fn serve(
    identity: Arc<Identity>,
    endpoints: Endpoints,
    workers: usize,
    body_limit: usize,
    rt: &Runtime,
    started: Instant,
) -> Result<()> {
    spawn_housekeeping(identity.clone());
    let data = web::Data::from(identity.clone());
    let verifier = identity.verifier.clone();
    let mut server = HttpServer::new(move || {
        service_app(ErrorFormat::Keystone, body_limit)
            .app_data(data.clone())
            .app_data(verifier.clone())
            .configure(identity::api::configure)
    })
    .bind((endpoints.bind_host.as_str(), endpoints.identity_port))
    .with_context(|| {
        format!(
            "cannot listen on {}:{}",
            endpoints.bind_host, endpoints.identity_port
        )
    })?;
    if workers > 0 {
        server = server.workers(workers);
    }
    tracing::info!(
        "ferrostack ready in {} ms: identity {}/v3, data in {}",
        started.elapsed().as_millis(),
        endpoints.identity_url,
        rt.data_dir.display()
    );
    eprintln!("ferrostack ready: identity {}/v3", endpoints.identity_url);
    server.run().await.context("server failed")
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
