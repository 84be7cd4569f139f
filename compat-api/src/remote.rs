//! Keeps a [`TokenVerifier`] in step with an identity service in another
//! process: its public keys (JWKS) and its revocation events, pulled every
//! few seconds. Requests are verified locally; identity sees one key fetch
//! and one events poll per interval, never a call per request.
//!
//! Options follow keystonemiddleware's `[keystone_authtoken]`: `auth_url`,
//! `username`, `password`, `project_name`, `user_domain_name`,
//! `project_domain_name`. A token revoked at identity is refused here within
//! one interval (keystonemiddleware's default token cache is five minutes).

use crate::auth::{RevocationEvent, TokenVerifier};
use crate::time::{iso_micros_z, parse_iso};
use actix_web::web;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::Deserialize;
use serde_json::json;
use std::time::Duration;

#[derive(Debug, Clone)]
pub struct ServiceCredentials {
    /// The identity root, e.g. `http://127.0.0.1:5000` (a trailing `/v3` is accepted).
    pub auth_url: String,
    pub username: String,
    pub password: String,
    pub project_name: String,
    pub user_domain_name: String,
    pub project_domain_name: String,
}

#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error("identity request failed: {0}")]
    Http(#[from] reqwest::Error),
    #[error("identity answered {0}")]
    Status(u16),
    #[error("unexpected answer from identity: {0}")]
    Format(String),
}

pub struct RemoteIdentity {
    creds: ServiceCredentials,
    root: String,
    http: reqwest::Client,
    token: tokio::sync::Mutex<Option<(String, i64)>>,
    /// Revocation events already applied up to this instant.
    synced_until: tokio::sync::Mutex<i64>,
}

#[derive(Deserialize)]
struct Jwk {
    kid: String,
    x: String,
    y: String,
}

#[derive(Deserialize)]
struct Jwks {
    keys: Vec<Jwk>,
}

#[derive(Deserialize)]
struct WireEvent {
    audit_id: Option<String>,
    user_id: Option<String>,
    project_id: Option<String>,
    domain_id: Option<String>,
    application_credential_id: Option<String>,
    issued_before: String,
    revoked_at: String,
}

#[derive(Deserialize)]
struct Events {
    events: Vec<WireEvent>,
}

fn point(jwk: &Jwk) -> Result<Vec<u8>, SyncError> {
    let decode = |s: &str| {
        URL_SAFE_NO_PAD
            .decode(s)
            .map_err(|e| SyncError::Format(e.to_string()))
    };
    let (x, y) = (decode(&jwk.x)?, decode(&jwk.y)?);
    if x.len() != 32 || y.len() != 32 {
        return Err(SyncError::Format(format!("key {} is not P-256", jwk.kid)));
    }
    Ok([&[4u8][..], &x, &y].concat())
}

impl RemoteIdentity {
    pub fn new(creds: ServiceCredentials) -> RemoteIdentity {
        let root = creds
            .auth_url
            .trim_end_matches('/')
            .trim_end_matches("/v3")
            .to_owned();
        RemoteIdentity {
            creds,
            root,
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(10))
                .build()
                .unwrap_or_default(),
            token: tokio::sync::Mutex::new(None),
            synced_until: tokio::sync::Mutex::new(0),
        }
    }

    /// Loads the public keys: `GET /v3/OS-SIMPLE-CERT/jwks`.
    pub async fn sync_keys(&self, verifier: &TokenVerifier) -> Result<usize, SyncError> {
        let resp = self
            .http
            .get(format!("{}/v3/OS-SIMPLE-CERT/jwks", self.root))
            .send()
            .await?;
        if !resp.status().is_success() {
            return Err(SyncError::Status(resp.status().as_u16()));
        }
        let jwks: Jwks = resp.json().await?;
        let keys = jwks
            .keys
            .iter()
            .map(|k| point(k).map(|p| (k.kid.clone(), p)))
            .collect::<Result<Vec<_>, _>>()?;
        let n = keys.len();
        verifier.set_keys(keys);
        Ok(n)
    }

    /// The service's own token, renewed a minute before it expires.
    async fn service_token(&self) -> Result<String, SyncError> {
        let mut cached = self.token.lock().await;
        if let Some((token, expires)) = cached.as_ref() {
            if *expires > crate::time::now_us() + 60_000_000 {
                return Ok(token.clone());
            }
        }
        let body = json!({"auth": {
            "identity": {"methods": ["password"], "password": {"user": {
                "name": self.creds.username,
                "password": self.creds.password,
                "domain": {"name": self.creds.user_domain_name},
            }}},
            "scope": {"project": {"name": self.creds.project_name, "domain": {"name": self.creds.project_domain_name}}},
        }});
        let resp = self
            .http
            .post(format!("{}/v3/auth/tokens?nocatalog", self.root))
            .json(&body)
            .send()
            .await?;
        if resp.status().as_u16() != 201 {
            return Err(SyncError::Status(resp.status().as_u16()));
        }
        let token = resp
            .headers()
            .get("x-subject-token")
            .and_then(|v| v.to_str().ok())
            .ok_or_else(|| SyncError::Format("no X-Subject-Token".into()))?
            .to_owned();
        let body: serde_json::Value = resp.json().await?;
        let expires = body["token"]["expires_at"]
            .as_str()
            .and_then(parse_iso)
            .ok_or_else(|| SyncError::Format("no expires_at".into()))?;
        *cached = Some((token.clone(), expires));
        Ok(token)
    }

    /// Applies revocation events newer than the last sync: `GET /v3/OS-REVOKE/events`.
    pub async fn sync_revocations(&self, verifier: &TokenVerifier) -> Result<usize, SyncError> {
        let token = self.service_token().await?;
        let mut until = self.synced_until.lock().await;
        let mut request = self.http.get(format!("{}/v3/OS-REVOKE/events", self.root));
        if *until > 0 {
            request = request.query(&[("since", iso_micros_z(*until))]);
        }
        let resp = request.header("x-auth-token", token).send().await?;
        if !resp.status().is_success() {
            return Err(SyncError::Status(resp.status().as_u16()));
        }
        let events: Events = resp.json().await?;
        let n = events.events.len();
        for e in events.events {
            let (Some(issued_before_us), Some(revoked_at_us)) =
                (parse_iso(&e.issued_before), parse_iso(&e.revoked_at))
            else {
                return Err(SyncError::Format("bad event timestamp".into()));
            };
            *until = (*until).max(revoked_at_us);
            verifier.revocations().add(RevocationEvent {
                audit_id: e.audit_id,
                user_id: e.user_id,
                project_id: e.project_id,
                domain_id: e.domain_id,
                application_credential_id: e.application_credential_id,
                issued_before_us,
                revoked_at_us,
            });
        }
        Ok(n)
    }

    /// Syncs now, then every `interval` in the background.
    pub async fn start(
        self,
        verifier: web::Data<TokenVerifier>,
        interval: Duration,
    ) -> Result<tokio::task::JoinHandle<()>, SyncError> {
        self.sync_keys(&verifier).await?;
        self.sync_revocations(&verifier).await?;
        Ok(tokio::spawn(async move {
            let mut tick = tokio::time::interval(interval);
            loop {
                tick.tick().await;
                if let Err(e) = self.sync_keys(&verifier).await {
                    tracing::warn!("cannot refresh identity keys: {e}");
                }
                if let Err(e) = self.sync_revocations(&verifier).await {
                    tracing::warn!("cannot refresh revocation events: {e}");
                }
            }
        }))
    }
}
