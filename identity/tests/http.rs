//! The wire conventions on the identity API: discovery, error bodies,
//! request ids, gzip both ways, body limits, bad tokens.

use actix_web::{test, web};
use compat_api::app::service_app;
use compat_api::config::Config;
use compat_api::ErrorFormat;
use flate2::write::GzEncoder;
use flate2::Compression;
use identity::bootstrap::{BootstrapOptions, CatalogEntry};
use identity::{Identity, IdentityConfig};
use serde_json::{json, Value};
use std::io::Write;
use std::sync::Arc;

const PASSWORD: &str = "http-secret";

fn identity() -> Arc<Identity> {
    let dir =
        std::env::temp_dir().join(format!("ferrostack-http-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).expect("dir");
    let conf = "[identity]\npassword_hash_rounds = 4\n"
        .parse::<Config>()
        .expect("conf");
    let identity =
        Identity::open(IdentityConfig::from_config(&conf, &dir).expect("config")).expect("open");
    identity
        .bootstrap(&BootstrapOptions {
            admin_password: Some(PASSWORD.into()),
            reset_password: false,
            region: "RegionOne".into(),
            services: vec![CatalogEntry {
                service_type: "volumev3".into(),
                name: "cinderv3".into(),
                url: "http://127.0.0.1:8776/v3/%(project_id)s".into(),
            }],
        })
        .expect("bootstrap");
    identity
}

macro_rules! service {
    ($identity:expr) => {{
        let identity = $identity;
        test::init_service(
            service_app(ErrorFormat::Keystone, 16 * 1024)
                .app_data(web::Data::from(identity.clone()))
                .app_data(identity.verifier.clone())
                .configure(identity::api::configure),
        )
        .await
    }};
}

fn password_body() -> Value {
    json!({"auth": {
        "identity": {"methods": ["password"], "password": {"user": {
            "name": "admin", "password": PASSWORD, "domain": {"name": "Default"}}}},
        "scope": {"project": {"name": "admin", "domain": {"name": "Default"}}},
    }})
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut enc = GzEncoder::new(Vec::new(), Compression::best());
    enc.write_all(bytes).expect("gzip");
    enc.finish().expect("gzip")
}

#[actix_web::test]
async fn discovery_documents() {
    let svc = service!(identity());
    let resp = test::call_service(&svc, test::TestRequest::get().uri("/").to_request()).await;
    assert_eq!(resp.status().as_u16(), 300);
    assert!(resp.headers().contains_key("x-openstack-request-id"));
    let body: Value = test::read_body_json(resp).await;
    assert_eq!(body["versions"]["values"][0]["id"], "v3.14");
    let req = test::TestRequest::get()
        .uri("/")
        .insert_header((
            "Accept",
            "application/vnd.openstack.identity+json;version=3",
        ))
        .to_request();
    assert_eq!(test::call_service(&svc, req).await.status().as_u16(), 200);
    let resp = test::call_service(&svc, test::TestRequest::get().uri("/v3").to_request()).await;
    assert_eq!(resp.status().as_u16(), 200);
}

#[actix_web::test]
async fn gzip_request_and_response() {
    let svc = service!(identity());
    let req = test::TestRequest::post()
        .uri("/v3/auth/tokens")
        .insert_header(("Content-Type", "application/json"))
        .insert_header(("Content-Encoding", "gzip"))
        .insert_header(("Accept-Encoding", "gzip"))
        .set_payload(gzip(password_body().to_string().as_bytes()))
        .to_request();
    let resp = test::call_service(&svc, req).await;
    assert_eq!(resp.status().as_u16(), 201);
    assert_eq!(
        resp.headers()
            .get("content-encoding")
            .and_then(|v| v.to_str().ok()),
        Some("gzip")
    );
    // Project-scoped catalog URLs get the project id substituted.
    let raw = test::read_body(resp).await;
    let mut text = String::new();
    std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(&raw[..]), &mut text)
        .expect("gunzip");
    let body: Value = serde_json::from_str(&text).expect("json");
    let project = body["token"]["project"]["id"]
        .as_str()
        .expect("project")
        .to_owned();
    let url = body["token"]["catalog"][0]["endpoints"][0]["url"]
        .as_str()
        .expect("url");
    assert_eq!(url, format!("http://127.0.0.1:8776/v3/{project}"));
}

#[actix_web::test]
async fn gzip_bomb_is_413_not_memory() {
    let svc = service!(identity());
    let bomb = gzip(&vec![b' '; 64 * 1024 * 1024]);
    assert!(bomb.len() < 200 * 1024);
    let req = test::TestRequest::post()
        .uri("/v3/auth/tokens")
        .insert_header(("Content-Type", "application/json"))
        .insert_header(("Content-Encoding", "gzip"))
        .set_payload(bomb)
        .to_request();
    let resp = test::call_service(&svc, req).await;
    assert_eq!(resp.status().as_u16(), 413);
    let body: Value = test::read_body_json(resp).await;
    assert_eq!(body["error"]["code"], 413);
}

#[actix_web::test]
async fn bad_bodies_are_400_with_keystone_errors() {
    let svc = service!(identity());
    let cases: [(&str, &str); 4] = [
        ("application/json", "{not json"),
        (
            "application/json",
            r#"{"auth": {"identity": {"methods": "password"}}}"#,
        ),
        (
            "application/json",
            r#"{"auth": {"identity": {"methods": ["password"], "password": {"user": {"name": 5}}}}}"#,
        ),
        ("text/plain", r#"{"auth": {}}"#),
    ];
    for (content_type, body) in cases {
        let req = test::TestRequest::post()
            .uri("/v3/auth/tokens")
            .insert_header(("Content-Type", content_type))
            .set_payload(body)
            .to_request();
        let resp = test::call_service(&svc, req).await;
        assert_eq!(resp.status().as_u16(), 400, "{body}");
        let err: Value = test::read_body_json(resp).await;
        assert_eq!(err["error"]["title"], "Bad Request", "{body}");
    }
}

#[actix_web::test]
async fn bad_tokens_are_401_and_unknown_paths_404() {
    let svc = service!(identity());
    for token in [None, Some("garbage"), Some("eyJhbGciOiJFUzI1NiJ9.e30.AAAA")] {
        let mut req = test::TestRequest::get().uri("/v3/projects");
        if let Some(t) = token {
            req = req.insert_header(("X-Auth-Token", t));
        }
        let resp = test::call_service(&svc, req.to_request()).await;
        assert_eq!(resp.status().as_u16(), 401);
        let err: Value = test::read_body_json(resp).await;
        assert_eq!(
            err["error"]["message"],
            "The request you have made requires authentication."
        );
    }
    let resp = test::call_service(
        &svc,
        test::TestRequest::get().uri("/v3/nothing").to_request(),
    )
    .await;
    assert_eq!(resp.status().as_u16(), 404);
}

#[actix_web::test]
async fn wrong_password_and_unknown_user_look_the_same() {
    let svc = service!(identity());
    let mut messages = Vec::new();
    for (user, password) in [("admin", "wrong"), ("nobody", PASSWORD)] {
        let mut body = password_body();
        body["auth"]["identity"]["password"]["user"]["name"] = json!(user);
        body["auth"]["identity"]["password"]["user"]["password"] = json!(password);
        let req = test::TestRequest::post()
            .uri("/v3/auth/tokens")
            .set_json(body)
            .to_request();
        let resp = test::call_service(&svc, req).await;
        assert_eq!(resp.status().as_u16(), 401);
        let err: Value = test::read_body_json(resp).await;
        messages.push(err["error"]["message"].clone());
    }
    assert_eq!(messages[0], messages[1]);
}

#[actix_web::test]
async fn wrong_method_is_405_in_keystone_format() {
    let svc = service!(identity());
    for (method, uri) in [
        ("DELETE", "/v3/projects"),
        ("PUT", "/v3/auth/catalog"),
        ("POST", "/v3"),
    ] {
        let req = test::TestRequest::default()
            .method(method.parse().expect("method"))
            .uri(uri)
            .to_request();
        let resp = test::call_service(&svc, req).await;
        assert_eq!(resp.status().as_u16(), 405, "{method} {uri}");
        let err: Value = test::read_body_json(resp).await;
        assert_eq!(err["error"]["code"], 405);
    }
}
