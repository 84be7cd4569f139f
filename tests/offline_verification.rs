//! A second service process verifies identity's tokens offline: it fetches
//! the public keys and revocation events from a running `ferrostack
//! all-in-one`, serves requests without asking identity about each token,
//! and refuses a token once identity has revoked it.

use actix_web::{test, web, App, HttpResponse};
use compat_api::remote::{RemoteIdentity, ServiceCredentials};
use compat_api::{AuthContext, ErrorFormat, TokenVerifier};
use serde_json::json;
use std::io::Read;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

struct Identity {
    child: Child,
    url: String,
    log: std::path::PathBuf,
    dir: std::path::PathBuf,
}

impl Drop for Identity {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

async fn start_identity(password: &str) -> Identity {
    let dir = std::env::temp_dir().join(format!("ferrostack-offline-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let port = free_port();
    let conf = dir.join("ferrostack.conf");
    std::fs::write(
        &conf,
        format!("[DEFAULT]\npublic_port = {port}\nosapi_compute_listen_port = 0\n[identity]\npassword_hash_rounds = 4\n"),
    )
    .expect("conf");
    let log = dir.join("identity.log");
    let child = Command::new(env!("CARGO_BIN_EXE_ferrostack"))
        .args(["all-in-one", "--data-dir"])
        .arg(dir.join("data"))
        .arg("--config")
        .arg(&conf)
        .env("OS_BOOTSTRAP_PASSWORD", password)
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).expect("log"))
        .spawn()
        .expect("spawn ferrostack");
    let url = format!("http://127.0.0.1:{port}");
    let started = Instant::now();
    while reqwest::get(format!("{url}/v3")).await.is_err() {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "identity did not start"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Identity {
        child,
        url,
        log,
        dir,
    }
}

async fn issue_token(url: &str, password: &str) -> String {
    let body = json!({"auth": {
        "identity": {"methods": ["password"], "password": {"user": {
            "name": "admin", "password": password, "domain": {"name": "Default"}}}},
        "scope": {"project": {"name": "admin", "domain": {"name": "Default"}}},
    }});
    let resp = reqwest::Client::new()
        .post(format!("{url}/v3/auth/tokens"))
        .json(&body)
        .send()
        .await
        .expect("token");
    assert_eq!(resp.status().as_u16(), 201);
    resp.headers()["x-subject-token"]
        .to_str()
        .expect("token header")
        .to_owned()
}

fn validation_calls(log: &std::path::Path) -> usize {
    let mut text = String::new();
    std::fs::File::open(log)
        .and_then(|mut f| f.read_to_string(&mut text))
        .expect("read log");
    text.lines()
        .filter(|l| l.contains("\"GET /v3/auth/tokens") || l.contains("\"HEAD /v3/auth/tokens"))
        .count()
}

async fn whoami(ctx: AuthContext) -> HttpResponse {
    HttpResponse::Ok().body(ctx.user_id().to_owned())
}

#[actix_web::test]
async fn second_process_verifies_offline_and_honours_revocation() {
    let password = "offline-secret";
    let identity = start_identity(password).await;
    let verifier = web::Data::new(TokenVerifier::new());
    let remote = RemoteIdentity::new(ServiceCredentials {
        auth_url: format!("{}/v3", identity.url),
        username: "admin".into(),
        password: password.into(),
        project_name: "admin".into(),
        user_domain_name: "Default".into(),
        project_domain_name: "Default".into(),
    });
    let _sync = remote
        .start(verifier.clone(), Duration::from_millis(200))
        .await
        .expect("initial sync");
    let service = test::init_service(
        App::new()
            .app_data(ErrorFormat::Nova)
            .app_data(verifier.clone())
            .route("/whoami", web::get().to(whoami)),
    )
    .await;

    let token = issue_token(&identity.url, password).await;
    for _ in 0..50 {
        let req = test::TestRequest::get()
            .uri("/whoami")
            .insert_header(("X-Auth-Token", token.as_str()))
            .to_request();
        assert_eq!(
            test::call_service(&service, req).await.status().as_u16(),
            200
        );
    }
    assert_eq!(
        validation_calls(&identity.log),
        0,
        "the service must not ask identity per request"
    );

    // A forged signature and garbage are refused, in the service's error format.
    let forged = format!("{}x", &token[..token.len() - 1]);
    let req = test::TestRequest::get()
        .uri("/whoami")
        .insert_header(("X-Auth-Token", forged))
        .to_request();
    let resp = test::call_service(&service, req).await;
    assert_eq!(resp.status().as_u16(), 401);
    let body: serde_json::Value = test::read_body_json(resp).await;
    assert!(body.get("unauthorized").is_some(), "{body}");

    // Revoke at identity; the service refuses the token within a few polls.
    let admin = issue_token(&identity.url, password).await;
    let resp = reqwest::Client::new()
        .delete(format!("{}/v3/auth/tokens", identity.url))
        .header("X-Auth-Token", &admin)
        .header("X-Subject-Token", &token)
        .send()
        .await
        .expect("revoke");
    assert_eq!(resp.status().as_u16(), 204);
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let req = test::TestRequest::get()
            .uri("/whoami")
            .insert_header(("X-Auth-Token", token.as_str()))
            .to_request();
        let status = test::call_service(&service, req).await.status().as_u16();
        if status == 401 {
            break;
        }
        assert!(Instant::now() < deadline, "revoked token still accepted");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Other tokens keep working.
    let req = test::TestRequest::get()
        .uri("/whoami")
        .insert_header(("X-Auth-Token", admin.as_str()))
        .to_request();
    assert_eq!(
        test::call_service(&service, req).await.status().as_u16(),
        200
    );
}
