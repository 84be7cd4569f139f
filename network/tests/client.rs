//! The in-process client compute uses: create a port for an instance,
//! bind it to a host, read back what to plug, delete it.

use compat_api::config::Config;
use network::client::{InProcess, NetworkClient, PortSpec};
use network::policy::Caller;
use network::{NetworkConfig, NetworkService};

fn service() -> (std::sync::Arc<NetworkService>, std::path::PathBuf) {
    let dir = std::env::temp_dir().join(format!("ferrostack-net-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let conf = NetworkConfig::from_config(&Config::default(), &dir).unwrap();
    let svc = NetworkService::open(conf).unwrap();
    let nets = svc.conf.bootstrap.clone().unwrap();
    assert!(svc.bootstrap("admin-project", &nets).unwrap());
    assert!(
        !svc.bootstrap("admin-project", &nets).unwrap(),
        "bootstrap runs once"
    );
    (svc, dir)
}

fn private_network(svc: &NetworkService) -> String {
    svc.write_sync(Caller::admin(), |c, _| {
        Ok(network::store::networks::all(c)?
            .into_iter()
            .find(|n| n.name == "private")
            .map(|n| n.id)
            .unwrap())
    })
    .unwrap()
}

#[tokio::test]
async fn a_port_is_created_bound_and_deleted() {
    let (svc, dir) = service();
    let network_id = private_network(&svc);
    let client = InProcess(svc.clone());
    let member = Caller {
        project_id: Some("tenant-a".into()),
        is_admin: false,
    };
    let spec = PortSpec {
        network_id: network_id.clone(),
        device_id: "instance-1".into(),
        ..Default::default()
    };
    let port_id = client.create_port(member, spec).await.unwrap();

    let binding = client
        .bind_port(&port_id, "compute-1", "instance-1")
        .await
        .unwrap();
    assert_eq!(binding.vif_type, "bridge");
    assert_eq!(binding.bridge, format!("brq{}", &network_id[..11]));
    assert_eq!(binding.mtu, 1450);
    assert!(binding.mac_address.starts_with("fa:16:3e:"));
    assert_eq!(binding.addresses.len(), 1);
    let address = &binding.addresses[0];
    assert_eq!(address.cidr, "10.0.0.0/24");
    assert_eq!(address.gateway_ip.as_deref(), Some("10.0.0.1"));
    // The bootstrap router's interface holds the gateway address.
    assert!(address.ip_address.starts_with("10.0.0."));
    assert_ne!(address.ip_address, "10.0.0.1");

    client.delete_port(&port_id).await.unwrap();
    let gone = svc
        .write_sync(Caller::admin(), |c, _| {
            Ok(network::store::ports::get(c, &port_id)?)
        })
        .unwrap();
    assert!(gone.is_none());
    std::fs::remove_dir_all(dir).ok();
}

#[tokio::test]
async fn a_port_asks_for_its_address() {
    let (svc, dir) = service();
    let network_id = private_network(&svc);
    let client = InProcess(svc.clone());
    let member = Caller {
        project_id: Some("tenant-b".into()),
        is_admin: false,
    };
    let spec = |ip: &str| PortSpec {
        network_id: network_id.clone(),
        device_id: "instance-2".into(),
        ip_address: Some(ip.into()),
        ..Default::default()
    };
    // A member may not pick an address on a network it does not own.
    assert!(client.create_port(member, spec("10.0.0.50")).await.is_err());
    let owner = Caller {
        project_id: Some("admin-project".into()),
        is_admin: false,
    };
    let port_id = client
        .create_port(owner.clone(), spec("10.0.0.50"))
        .await
        .unwrap();
    let binding = client
        .bind_port(&port_id, "compute-1", "instance-2")
        .await
        .unwrap();
    assert_eq!(binding.addresses[0].ip_address, "10.0.0.50");
    // The address is taken now.
    assert!(client.create_port(owner, spec("10.0.0.50")).await.is_err());
    std::fs::remove_dir_all(dir).ok();
}

/// Lists load related rows in chunks of ids; a list longer than one chunk
/// still gets every port's addresses.
#[test]
fn a_long_list_has_every_address() {
    let (svc, dir) = service();
    let count = 1100;
    let network_id = svc
        .write_sync(Caller::admin(), |c, ctx| {
            let net = network::networks::create(
                c,
                ctx,
                network::networks::NetworkRequest {
                    project_id: Some("p".into()),
                    ..Default::default()
                },
            )?;
            network::subnets::create(
                c,
                ctx,
                network::subnets::SubnetRequest {
                    network_id: Some(net.row.id.clone()),
                    cidr: Some("10.50.0.0/20".into()),
                    ip_version: Some(4),
                    project_id: Some("p".into()),
                    ..Default::default()
                },
            )?;
            Ok(net.row.id)
        })
        .unwrap();
    let quota_free = network::NetworkConfig {
        quotas: Default::default(),
        ..svc.conf.clone()
    };
    svc.write_sync(Caller::admin(), |c, ctx| {
        let ctx = network::Ctx {
            conf: &quota_free,
            ..*ctx
        };
        for _ in 0..count {
            let req = network::ports::PortRequest {
                network_id: Some(network_id.clone()),
                project_id: Some("p".into()),
                ..Default::default()
            };
            network::ports::create(c, &ctx, req)?;
        }
        Ok(())
    })
    .unwrap();
    let ports = svc
        .write_sync(Caller::admin(), |c, ctx| {
            network::ports::list(c, ctx.caller)
        })
        .unwrap();
    let ours: Vec<_> = ports
        .iter()
        .filter(|p| p.row.network_id == network_id)
        .collect();
    assert_eq!(ours.len(), count);
    assert!(ours.iter().all(|p| p.fixed_ips.len() == 1));
    std::fs::remove_dir_all(dir).ok();
}
