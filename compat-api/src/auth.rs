//! Offline token verification and the policy context.
//!
//! Identity signs tokens as JWS (ES256). Every service holds a
//! [`TokenVerifier`] with identity's public keys and its revocation events, so
//! verifying a token costs one signature check and a few hash lookups, never
//! a call to identity. Identity feeds its own verifier directly; another
//! process keeps its copy fresh from `/v3/OS-SIMPLE-CERT/jwks` and
//! `/v3/OS-REVOKE/events`.

use crate::error::{ApiError, ErrorFormat};
use actix_web::dev::Payload;
use actix_web::{web, FromRequest, HttpRequest};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::future::{ready, Ready};
use std::sync::{Arc, RwLock};

pub const AUTH_HEADER: &str = "x-auth-token";
pub const SUBJECT_HEADER: &str = "x-subject-token";

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct IdName {
    pub id: String,
    pub name: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct UserRef {
    pub id: String,
    pub name: String,
    pub domain: IdName,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password_expires_us: Option<i64>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct ProjectRef {
    pub id: String,
    pub name: String,
    pub domain: IdName,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct AppCredRef {
    pub id: String,
    pub name: String,
    pub restricted: bool,
}

/// What a token says: enough for any service to authorize offline.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct TokenClaims {
    /// The user id.
    pub sub: String,
    /// Expiry and issue time in seconds (JWT), and in microseconds (exact).
    pub exp: u64,
    pub iat: u64,
    pub issued_us: i64,
    pub expires_us: i64,
    pub audit_ids: Vec<String>,
    pub methods: Vec<String>,
    pub user: UserRef,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project: Option<ProjectRef>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub domain: Option<IdName>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub system: bool,
    #[serde(default)]
    pub roles: Vec<IdName>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub application_credential: Option<AppCredRef>,
}

impl TokenClaims {
    pub fn is_scoped(&self) -> bool {
        self.project.is_some() || self.domain.is_some() || self.system
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("the token is malformed")]
    Malformed,
    #[error("the token was signed by an unknown key")]
    UnknownKey,
    #[error("the token signature is invalid")]
    BadSignature,
    #[error("the token has expired")]
    Expired,
    #[error("the token has been revoked")]
    Revoked,
}

/// A revocation event, as keystone's OS-REVOKE extension describes them: a
/// token matches when every field the event sets matches the token and the
/// token was issued at or before `issued_before_us`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct RevocationEvent {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audit_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub domain_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub application_credential_id: Option<String>,
    pub issued_before_us: i64,
    pub revoked_at_us: i64,
}

impl RevocationEvent {
    /// An event that matches nothing yet, stamped now: set the fields to match,
    /// `RevocationEvent { user_id: Some(id), ..RevocationEvent::now() }`.
    pub fn now() -> Self {
        let now = crate::time::now_us();
        RevocationEvent {
            audit_id: None,
            user_id: None,
            project_id: None,
            domain_id: None,
            application_credential_id: None,
            issued_before_us: now,
            revoked_at_us: now,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum RevocationKey {
    Audit(String),
    User(String),
    Project(String),
    Domain(String),
    UserProject(String, String),
    AppCred(String),
}

impl RevocationEvent {
    fn key(&self) -> Option<RevocationKey> {
        if let Some(a) = &self.audit_id {
            return Some(RevocationKey::Audit(a.clone()));
        }
        if let Some(a) = &self.application_credential_id {
            return Some(RevocationKey::AppCred(a.clone()));
        }
        match (&self.user_id, &self.project_id, &self.domain_id) {
            (Some(u), Some(p), _) => Some(RevocationKey::UserProject(u.clone(), p.clone())),
            (Some(u), None, _) => Some(RevocationKey::User(u.clone())),
            (None, Some(p), _) => Some(RevocationKey::Project(p.clone())),
            (None, None, Some(d)) => Some(RevocationKey::Domain(d.clone())),
            _ => None,
        }
    }
}

/// Revocation events indexed for constant-time checks.
#[derive(Default)]
pub struct RevocationList {
    inner: RwLock<RevocationIndex>,
}

#[derive(Default)]
struct RevocationIndex {
    /// For each key, the latest `issued_before_us`.
    index: HashMap<RevocationKey, i64>,
    events: Vec<RevocationEvent>,
}

impl RevocationList {
    pub fn add(&self, event: RevocationEvent) {
        let Some(key) = event.key() else { return };
        let mut inner = self.inner.write().unwrap_or_else(|e| e.into_inner());
        let entry = inner.index.entry(key).or_insert(i64::MIN);
        *entry = (*entry).max(event.issued_before_us);
        inner.events.push(event);
    }

    /// Events revoked strictly after `since_us`, oldest first.
    pub fn since(&self, since_us: i64) -> Vec<RevocationEvent> {
        let inner = self.inner.read().unwrap_or_else(|e| e.into_inner());
        inner
            .events
            .iter()
            .filter(|e| e.revoked_at_us > since_us)
            .cloned()
            .collect()
    }

    /// Drops events no unexpired token can match.
    pub fn prune(&self, older_than_us: i64) {
        let mut inner = self.inner.write().unwrap_or_else(|e| e.into_inner());
        inner.events.retain(|e| e.issued_before_us >= older_than_us);
        inner.index.retain(|_, before| *before >= older_than_us);
    }

    pub fn is_revoked(&self, claims: &TokenClaims) -> bool {
        let inner = self.inner.read().unwrap_or_else(|e| e.into_inner());
        if inner.index.is_empty() {
            return false;
        }
        let hit = |key: RevocationKey| {
            inner
                .index
                .get(&key)
                .is_some_and(|before| claims.issued_us <= *before)
        };
        let audit = claims
            .audit_ids
            .iter()
            .any(|a| inner.index.contains_key(&RevocationKey::Audit(a.clone())));
        if audit || hit(RevocationKey::User(claims.sub.clone())) {
            return true;
        }
        if hit(RevocationKey::Domain(claims.user.domain.id.clone())) {
            return true;
        }
        if let Some(ac) = &claims.application_credential {
            if hit(RevocationKey::AppCred(ac.id.clone())) {
                return true;
            }
        }
        if let Some(d) = &claims.domain {
            if hit(RevocationKey::Domain(d.id.clone())) {
                return true;
            }
        }
        let Some(p) = &claims.project else {
            return false;
        };
        hit(RevocationKey::Project(p.id.clone()))
            || hit(RevocationKey::Domain(p.domain.id.clone()))
            || hit(RevocationKey::UserProject(claims.sub.clone(), p.id.clone()))
    }
}

/// How many verified tokens [`TokenVerifier`] remembers.
const VERIFIED_CACHE_SIZE: usize = 16_384;

/// Verifies identity's tokens with its public keys.
///
/// A token whose signature was checked once is remembered (keyed by the
/// whole token text, so a forgery can never hit), and later checks cost
/// only the expiry and revocation tests, like keystonemiddleware's cache.
pub struct TokenVerifier {
    keys: RwLock<HashMap<String, DecodingKey>>,
    revocations: RevocationList,
    validation: Validation,
    verified: RwLock<HashMap<Box<str>, Arc<TokenClaims>>>,
}

impl Default for TokenVerifier {
    fn default() -> Self {
        Self::new()
    }
}

impl TokenVerifier {
    pub fn new() -> Self {
        let mut validation = Validation::new(Algorithm::ES256);
        validation.leeway = 0;
        validation.validate_aud = false;
        validation.set_required_spec_claims(&["exp", "sub"]);
        TokenVerifier {
            keys: RwLock::new(HashMap::new()),
            revocations: RevocationList::default(),
            validation,
            verified: RwLock::new(HashMap::new()),
        }
    }

    /// Replaces the key set: `(kid, uncompressed SEC1 P-256 public point)`.
    pub fn set_keys(&self, keys: impl IntoIterator<Item = (String, Vec<u8>)>) {
        let map = keys
            .into_iter()
            .map(|(kid, point)| (kid, DecodingKey::from_ec_der(&point)))
            .collect();
        *self.keys.write().unwrap_or_else(|e| e.into_inner()) = map;
        // A token signed by a key that was just dropped must not live on here.
        self.verified
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
    }

    pub fn key_ids(&self) -> Vec<String> {
        let keys = self.keys.read().unwrap_or_else(|e| e.into_inner());
        keys.keys().cloned().collect()
    }

    pub fn revocations(&self) -> &RevocationList {
        &self.revocations
    }

    /// Checks signature, expiry and revocation.
    pub fn verify(&self, token: &str) -> Result<Arc<TokenClaims>, TokenError> {
        let cached = self
            .verified
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(token)
            .cloned();
        let claims = match cached {
            Some(c) => c,
            None => {
                let c = Arc::new(self.verify_signature(token)?);
                self.remember(token, c.clone());
                c
            }
        };
        if claims.expires_us <= crate::time::now_us() {
            return Err(TokenError::Expired);
        }
        if self.revocations.is_revoked(&claims) {
            return Err(TokenError::Revoked);
        }
        Ok(claims)
    }

    fn remember(&self, token: &str, claims: Arc<TokenClaims>) {
        let mut cache = self.verified.write().unwrap_or_else(|e| e.into_inner());
        if cache.len() >= VERIFIED_CACHE_SIZE {
            let now = crate::time::now_us();
            cache.retain(|_, c| c.expires_us > now);
            if cache.len() >= VERIFIED_CACHE_SIZE {
                cache.clear();
            }
        }
        cache.insert(token.into(), claims);
    }

    fn verify_signature(&self, token: &str) -> Result<TokenClaims, TokenError> {
        let header = jsonwebtoken::decode_header(token).map_err(|_| TokenError::Malformed)?;
        if header.alg != Algorithm::ES256 {
            return Err(TokenError::Malformed);
        }
        let kid = header.kid.ok_or(TokenError::Malformed)?;
        let keys = self.keys.read().unwrap_or_else(|e| e.into_inner());
        let key = keys.get(&kid).ok_or(TokenError::UnknownKey)?;
        jsonwebtoken::decode::<TokenClaims>(token, key, &self.validation)
            .map(|data| data.claims)
            .map_err(|e| match e.kind() {
                jsonwebtoken::errors::ErrorKind::ExpiredSignature => TokenError::Expired,
                jsonwebtoken::errors::ErrorKind::InvalidSignature => TokenError::BadSignature,
                _ => TokenError::Malformed,
            })
    }
}

/// The caller of a request: the verified claims of its `X-Auth-Token`.
/// Handlers make their policy decisions on it.
#[derive(Debug, Clone)]
pub struct AuthContext {
    pub token: String,
    pub claims: Arc<TokenClaims>,
}

impl AuthContext {
    pub fn user_id(&self) -> &str {
        &self.claims.sub
    }

    pub fn project_id(&self) -> Option<&str> {
        self.claims.project.as_ref().map(|p| p.id.as_str())
    }

    /// The domain of the scope: the domain itself, or the project's domain.
    pub fn scope_domain_id(&self) -> Option<&str> {
        if let Some(d) = &self.claims.domain {
            return Some(&d.id);
        }
        self.claims.project.as_ref().map(|p| p.domain.id.as_str())
    }

    pub fn is_system_scoped(&self) -> bool {
        self.claims.system
    }

    pub fn has_role(&self, name: &str) -> bool {
        self.claims
            .roles
            .iter()
            .any(|r| r.name.eq_ignore_ascii_case(name))
    }

    /// The cloud administrator: the admin role, in any scope (the upstream
    /// defaults before `enforce_scope`, which every stock client expects).
    pub fn is_admin(&self) -> bool {
        self.has_role("admin")
    }

    /// Admin, or reader/member in system scope: may read everything.
    pub fn is_system_reader(&self) -> bool {
        self.is_admin()
            || (self.claims.system && (self.has_role("reader") || self.has_role("member")))
    }

    /// A policy refusal in keystone's words.
    pub fn forbid(action: &str) -> ApiError {
        ApiError::forbidden(format!(
            "You are not authorized to perform the requested action: {action}."
        ))
    }
}

fn unauthorized(format: ErrorFormat) -> ApiError {
    ApiError::authentication_required().with_format(format)
}

impl FromRequest for AuthContext {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(authenticate(req))
    }
}

fn authenticate(req: &HttpRequest) -> Result<AuthContext, ApiError> {
    let format = ErrorFormat::of(req);
    let token = req
        .headers()
        .get(AUTH_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| unauthorized(format))?;
    let verifier = req
        .app_data::<web::Data<TokenVerifier>>()
        .ok_or_else(|| ApiError::internal("no token verifier configured").with_format(format))?;
    let claims = verifier.verify(token).map_err(|e| {
        tracing::debug!("rejected token: {e}");
        unauthorized(format)
    })?;
    Ok(AuthContext {
        token: token.to_owned(),
        claims,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims(issued_us: i64) -> TokenClaims {
        TokenClaims {
            sub: "u1".into(),
            exp: 0,
            iat: 0,
            issued_us,
            expires_us: i64::MAX,
            audit_ids: vec!["a1".into(), "a0".into()],
            methods: vec!["password".into()],
            user: UserRef {
                id: "u1".into(),
                name: "alice".into(),
                domain: IdName {
                    id: "default".into(),
                    name: "Default".into(),
                },
                password_expires_us: None,
            },
            project: Some(ProjectRef {
                id: "p1".into(),
                name: "demo".into(),
                domain: IdName {
                    id: "default".into(),
                    name: "Default".into(),
                },
            }),
            domain: None,
            system: false,
            roles: vec![],
            application_credential: None,
        }
    }

    /// An empty event stamped at `before`.
    fn event(before: i64) -> RevocationEvent {
        RevocationEvent {
            issued_before_us: before,
            revoked_at_us: before,
            ..RevocationEvent::now()
        }
    }

    fn signing_key() -> (jsonwebtoken::EncodingKey, Vec<u8>) {
        use ring::signature::{EcdsaKeyPair, KeyPair, ECDSA_P256_SHA256_FIXED_SIGNING};
        let rng = ring::rand::SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng).unwrap();
        let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref(), &rng)
            .unwrap();
        (
            jsonwebtoken::EncodingKey::from_ec_der(pkcs8.as_ref()),
            pair.public_key().as_ref().to_vec(),
        )
    }

    fn sign(key: &jsonwebtoken::EncodingKey, kid: &str, c: &TokenClaims) -> String {
        let mut header = jsonwebtoken::Header::new(Algorithm::ES256);
        header.kid = Some(kid.into());
        jsonwebtoken::encode(&header, c, key).unwrap()
    }

    fn live(issued_us: i64) -> TokenClaims {
        let now = crate::time::now_us();
        TokenClaims {
            exp: ((now + 3_600_000_000) / 1_000_000) as u64,
            expires_us: now + 3_600_000_000,
            ..claims(issued_us)
        }
    }

    #[test]
    fn verifies_good_tokens_and_refuses_the_rest() {
        let (key, public) = signing_key();
        let verifier = TokenVerifier::new();
        verifier.set_keys([("k1".to_string(), public)]);
        let good = sign(&key, "k1", &live(1));
        assert_eq!(verifier.verify(&good).unwrap().sub, "u1");
        // Cached now; a second check still honours revocation.
        verifier.revocations().add(RevocationEvent {
            audit_id: Some("a1".into()),
            ..RevocationEvent::now()
        });
        assert_eq!(verifier.verify(&good).unwrap_err(), TokenError::Revoked);

        let mut expired = live(1);
        expired.audit_ids = vec!["other".into()];
        expired.exp = 1;
        expired.expires_us = 1_000_000;
        assert_eq!(
            verifier.verify(&sign(&key, "k1", &expired)).unwrap_err(),
            TokenError::Expired
        );

        let fresh = TokenClaims {
            audit_ids: vec!["b".into()],
            ..live(1)
        };
        let unknown_kid = sign(&key, "rotated-out", &fresh);
        assert_eq!(
            verifier.verify(&unknown_kid).unwrap_err(),
            TokenError::UnknownKey
        );
        let (other_key, _) = signing_key();
        let forged = sign(&other_key, "k1", &fresh);
        assert_eq!(
            verifier.verify(&forged).unwrap_err(),
            TokenError::BadSignature
        );
        assert_eq!(
            verifier.verify("not.a.token").unwrap_err(),
            TokenError::Malformed
        );
    }

    #[test]
    fn user_event_revokes_only_older_tokens() {
        let list = RevocationList::default();
        list.add(RevocationEvent {
            user_id: Some("u1".into()),
            ..event(100)
        });
        assert!(list.is_revoked(&claims(100)));
        assert!(!list.is_revoked(&claims(101)));
    }

    #[test]
    fn audit_event_revokes_the_chain() {
        let list = RevocationList::default();
        list.add(RevocationEvent {
            audit_id: Some("a0".into()),
            ..event(5)
        });
        assert!(list.is_revoked(&claims(1_000)));
    }

    #[test]
    fn user_project_event_needs_both() {
        let list = RevocationList::default();
        list.add(RevocationEvent {
            user_id: Some("u1".into()),
            project_id: Some("p2".into()),
            ..event(100)
        });
        assert!(!list.is_revoked(&claims(50)));
        list.add(RevocationEvent {
            domain_id: Some("default".into()),
            ..event(100)
        });
        assert!(list.is_revoked(&claims(50)));
    }
}
