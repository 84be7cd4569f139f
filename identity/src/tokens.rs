//! Authentication and tokens: who is asking (password, token, application
//! credential), on what scope, with which roles; signing, rendering,
//! validation and revocation.
//!
//! Token bodies are rendered from the signed claims alone, so `POST` and
//! `GET /v3/auth/tokens` answer byte-identical tokens and validation needs no
//! database round trip.

use crate::assignment::{self, Target};
use crate::catalog::Catalog;
use crate::error::Error;
use crate::password;
use crate::store::models::{AppCred, Domain, Project, User};
use crate::store::{app_creds as ac_q, identity as users_q, resource as res_q, AnyConnection};
use crate::users::user_option;
use crate::Identity;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use compat_api::auth::{
    AppCredRef, IdName, ProjectRef, RevocationEvent, TokenClaims, TokenError, UserRef,
};
use compat_api::time::{iso_micros_z, now_us};
use jsonwebtoken::{Algorithm, Header};
use serde::ser::{SerializeMap, Serializer};
use serde::Serialize;
use serde_json::{json, Value};
use std::sync::Arc;

#[derive(Debug, Clone)]
pub enum DomainSel {
    Id(String),
    Name(String),
}

#[derive(Debug, Clone)]
pub enum UserSel {
    Id(String),
    Name { name: String, domain: DomainSel },
}

#[derive(Debug, Clone)]
pub enum ProjectSel {
    Id(String),
    Name { name: String, domain: DomainSel },
}

#[derive(Debug, Clone)]
pub enum AppCredSel {
    Id(String),
    Name { name: String, user: UserSel },
}

#[derive(Debug, Clone)]
pub enum Method {
    Password {
        user: UserSel,
        password: String,
    },
    Token {
        token: String,
    },
    ApplicationCredential {
        credential: AppCredSel,
        secret: String,
    },
}

#[derive(Debug, Clone)]
pub enum ScopeRequest {
    Unscoped,
    Project(ProjectSel),
    Domain(DomainSel),
    System,
}

/// The outcome of authentication, before scoping.
struct Authenticated {
    user: User,
    methods: Vec<String>,
    /// Expiry and audit chain inherited from a token used to authenticate.
    parent: Option<Arc<TokenClaims>>,
    app_cred: Option<(AppCred, Vec<String>)>,
}

pub struct IssuedToken {
    pub id: String,
    pub claims: TokenClaims,
}

fn audit_id() -> String {
    URL_SAFE_NO_PAD.encode(uuid::Uuid::new_v4().as_bytes())
}

fn resolve_domain(c: &mut AnyConnection, sel: &DomainSel) -> Result<Option<Domain>, Error> {
    Ok(match sel {
        DomainSel::Id(id) => res_q::get_domain(c, id)?,
        DomainSel::Name(name) => res_q::find_domain_by_name(c, name)?,
    })
}

/// The user named by a selector, or None (the caller hides which part failed).
fn resolve_user(c: &mut AnyConnection, sel: &UserSel) -> Result<Option<User>, Error> {
    match sel {
        UserSel::Id(id) => Ok(users_q::get_user(c, id)?),
        UserSel::Name { name, domain } => {
            let Some(domain) = resolve_domain(c, domain)? else {
                return Ok(None);
            };
            Ok(users_q::find_user_by_name(c, &domain.id, name)?)
        }
    }
}

/// An enabled user in an enabled domain.
fn usable(c: &mut AnyConnection, user: &User) -> Result<bool, Error> {
    if !user.enabled {
        return Ok(false);
    }
    Ok(res_q::get_domain(c, &user.domain_id)?.is_some_and(|d| d.enabled))
}

fn to_claims_user(user: &User, domain: &Domain, password_expires_us: Option<i64>) -> UserRef {
    UserRef {
        id: user.id.clone(),
        name: user.name.clone(),
        domain: IdName {
            id: domain.id.clone(),
            name: domain.name.clone(),
        },
        password_expires_us,
    }
}

impl Identity {
    /// `POST /v3/auth/tokens`.
    pub async fn issue_token(
        self: &Arc<Self>,
        methods: Vec<Method>,
        scope: ScopeRequest,
    ) -> Result<IssuedToken, Error> {
        let method = methods
            .into_iter()
            .next()
            .ok_or_else(|| Error::Validation("Expecting to find identity in auth.".into()))?;
        let auth = match method {
            Method::Password { user, password } => {
                self.authenticate_password(user, password).await?
            }
            Method::Token { token } => self.authenticate_token(&token).await?,
            Method::ApplicationCredential { credential, secret } => {
                self.authenticate_app_cred(credential, secret).await?
            }
        };
        let this = self.clone();
        let claims = self
            .db
            .read(move |c| this.scope_claims(c, auth, scope))
            .await?;
        let id = self.sign(&claims)?;
        Ok(IssuedToken { id, claims })
    }

    async fn authenticate_password(
        self: &Arc<Self>,
        sel: UserSel,
        password: String,
    ) -> Result<Authenticated, Error> {
        let found = self
            .db
            .read(move |c| -> Result<_, Error> {
                let Some(user) = resolve_user(c, &sel)? else {
                    return Ok(None);
                };
                let ok = usable(c, &user)?;
                let passwords = users_q::passwords_of(c, &user.id)?;
                Ok(Some((user, ok, passwords)))
            })
            .await?;
        let rounds = self.conf.password_hash_rounds;
        let Some((user, usable, passwords)) = found else {
            blocking(move || password::dummy_verify(&password, rounds)).await?;
            return Err(Error::bad_credentials());
        };
        let now = now_us();
        if let Some(message) = self.lockout(&user, now) {
            return Err(Error::Unauthorized(message));
        }
        let current = passwords.first().cloned();
        let hashed = current
            .as_ref()
            .map(|p| p.password_hash.clone())
            .unwrap_or_default();
        let matched = blocking(move || password::verify(&password, &hashed)).await?;
        if !matched || !usable {
            if matched || !usable {
                return Err(Error::bad_credentials());
            }
            self.record_failure(&user, now).await?;
            return Err(Error::bad_credentials());
        }
        if let Some(expired) = current
            .as_ref()
            .and_then(|p| p.expires_at)
            .filter(|e| *e <= now && !user_option(&user, "ignore_password_expiry"))
        {
            tracing::info!("password of user {} expired at {expired}", user.id);
            return Err(Error::Unauthorized(format!(
                "The password is expired and needs to be changed for user: {}.",
                user.id
            )));
        }
        if user.failed_auth_count > 0 || self.conf.security.lockout_failure_attempts.is_some() {
            let id = user.id.clone();
            self.db
                .write(move |c| users_q::record_auth_success(c, &id, now).map_err(Error::from))
                .await?;
        }
        Ok(Authenticated {
            user,
            methods: vec!["password".into()],
            parent: None,
            app_cred: None,
        })
    }

    /// The lockout message, while the account is locked.
    pub(crate) fn lockout(&self, user: &User, now: i64) -> Option<String> {
        if user_option(user, "ignore_lockout_failure_attempts") {
            return None;
        }
        let attempts = self.conf.security.lockout_failure_attempts? as i32;
        let last = user.failed_auth_at?;
        let until = last + (self.conf.security.lockout_duration_s as i64) * 1_000_000;
        (user.failed_auth_count >= attempts && now < until)
            .then(|| format!("The account is locked for user: {}.", user.id))
    }

    async fn record_failure(&self, user: &User, now: i64) -> Result<(), Error> {
        let Some(attempts) = self.conf.security.lockout_failure_attempts else {
            return Ok(());
        };
        if user_option(user, "ignore_lockout_failure_attempts") {
            return Ok(());
        }
        let duration = (self.conf.security.lockout_duration_s as i64) * 1_000_000;
        // A lock that has run out starts a fresh count.
        let expired = user.failed_auth_at.is_some_and(|at| now >= at + duration)
            && user.failed_auth_count >= attempts as i32;
        let count = if expired {
            1
        } else {
            user.failed_auth_count + 1
        };
        let id = user.id.clone();
        self.db
            .write(move |c| users_q::record_auth_failure(c, &id, count, now).map_err(Error::from))
            .await
    }

    async fn authenticate_token(&self, token: &str) -> Result<Authenticated, Error> {
        let parent = self.verifier.verify(token).map_err(|e| {
            tracing::debug!("token auth rejected: {e}");
            Error::not_found("token", "the token is invalid, expired or revoked")
        })?;
        if parent.application_credential.is_some() {
            return Err(Error::ForbiddenMessage(
                "Tokens issued from an application credential cannot be rescoped.".into(),
            ));
        }
        let user_id = parent.sub.clone();
        let user = self
            .db
            .read(move |c| -> Result<_, Error> {
                let user = users_q::get_user(c, &user_id)?;
                match user {
                    Some(u) if usable(c, &u)? => Ok(Some(u)),
                    _ => Ok(None),
                }
            })
            .await?
            .ok_or_else(Error::bad_credentials)?;
        let mut methods = parent.methods.clone();
        if !methods.iter().any(|m| m == "token") {
            methods.push("token".into());
        }
        Ok(Authenticated {
            user,
            methods,
            parent: Some(parent),
            app_cred: None,
        })
    }

    async fn authenticate_app_cred(
        &self,
        sel: AppCredSel,
        secret: String,
    ) -> Result<Authenticated, Error> {
        let found = self
            .db
            .read(move |c| -> Result<_, Error> {
                let cred = match &sel {
                    AppCredSel::Id(id) => ac_q::get(c, id)?,
                    AppCredSel::Name { name, user } => match resolve_user(c, user)? {
                        Some(u) => ac_q::find_by_name(c, &u.id, name)?,
                        None => None,
                    },
                };
                let Some(cred) = cred else { return Ok(None) };
                let Some(user) = users_q::get_user(c, &cred.user_id)? else {
                    return Ok(None);
                };
                let ok = usable(c, &user)?;
                let roles = ac_q::role_ids(c, &cred.id)?;
                Ok(Some((cred, user, ok, roles)))
            })
            .await?;
        let Some((cred, user, usable, roles)) = found else {
            return Err(Error::bad_credentials());
        };
        let hashed = cred.secret_hash.clone();
        let matched = blocking(move || password::verify(&secret, &hashed)).await?;
        let expired = cred.expires_at.is_some_and(|e| e <= now_us());
        if !matched || !usable || expired {
            return Err(Error::bad_credentials());
        }
        Ok(Authenticated {
            user,
            methods: vec!["application_credential".into()],
            parent: None,
            app_cred: Some((cred, roles)),
        })
    }

    /// Resolves the scope, the roles on it, and builds the claims.
    fn scope_claims(
        &self,
        c: &mut AnyConnection,
        auth: Authenticated,
        scope: ScopeRequest,
    ) -> Result<TokenClaims, Error> {
        let user = &auth.user;
        let user_domain =
            res_q::get_domain(c, &user.domain_id)?.ok_or_else(Error::bad_credentials)?;
        let password_expires = users_q::passwords_of(c, &user.id)?
            .first()
            .and_then(|p| p.expires_at);
        let now = now_us();
        let (expires_us, audit_ids) = match &auth.parent {
            Some(p) => (
                p.expires_us,
                vec![audit_id(), p.audit_ids.last().cloned().unwrap_or_default()],
            ),
            None => (now + self.conf.token_lifetime_us(), vec![audit_id()]),
        };
        let expires_us = match auth.app_cred.as_ref().and_then(|(ac, _)| ac.expires_at) {
            Some(ac_exp) => expires_us.min(ac_exp),
            None => expires_us,
        };
        let mut claims = TokenClaims {
            sub: user.id.clone(),
            exp: (expires_us / 1_000_000) as u64,
            iat: (now / 1_000_000) as u64,
            issued_us: now,
            expires_us,
            audit_ids,
            methods: auth.methods.clone(),
            user: to_claims_user(user, &user_domain, password_expires),
            project: None,
            domain: None,
            system: false,
            roles: Vec::new(),
            application_credential: None,
        };
        if let Some((cred, role_ids)) = &auth.app_cred {
            if !matches!(scope, ScopeRequest::Unscoped) {
                return Err(Error::Unauthorized(
                    "Application credentials cannot request a scope.".into(),
                ));
            }
            let project = self.scope_project(c, &ProjectSel::Id(cred.project_id.clone()), user)?;
            let held =
                assignment::effective_roles(c, &user.id, &Target::Project(project.0.id.clone()))?;
            let roles: Vec<IdName> = held
                .into_iter()
                .filter(|r| role_ids.contains(&r.id))
                .map(|r| IdName {
                    id: r.id,
                    name: r.name,
                })
                .collect();
            if roles.is_empty() {
                return Err(Error::bad_credentials());
            }
            claims.project = Some(project_ref(&project.0, &project.1));
            claims.roles = roles;
            claims.application_credential = Some(AppCredRef {
                id: cred.id.clone(),
                name: cred.name.clone(),
                restricted: !cred.unrestricted,
            });
            return Ok(claims);
        }
        let scope = match scope {
            ScopeRequest::Unscoped => self.default_scope(c, user)?,
            other => other,
        };
        match scope {
            ScopeRequest::Unscoped => {}
            ScopeRequest::Project(sel) => {
                let (project, domain) = self.scope_project(c, &sel, user)?;
                claims.roles = self.require_roles(
                    c,
                    user,
                    &Target::Project(project.id.clone()),
                    "project",
                    &project.id,
                )?;
                claims.project = Some(project_ref(&project, &domain));
            }
            ScopeRequest::Domain(sel) => {
                let domain = resolve_domain(c, &sel)?
                    .filter(|d| d.enabled)
                    .ok_or_else(|| {
                        Error::Unauthorized(
                            "Could not find the requested domain, or it is disabled.".into(),
                        )
                    })?;
                claims.roles = self.require_roles(
                    c,
                    user,
                    &Target::Domain(domain.id.clone()),
                    "domain",
                    &domain.id,
                )?;
                claims.domain = Some(IdName {
                    id: domain.id,
                    name: domain.name,
                });
            }
            ScopeRequest::System => {
                claims.roles = self.require_roles(c, user, &Target::System, "system", "all")?;
                claims.system = true;
            }
        }
        Ok(claims)
    }

    /// No scope asked: the user's default project, if they may use it.
    fn default_scope(&self, c: &mut AnyConnection, user: &User) -> Result<ScopeRequest, Error> {
        let Some(pid) = &user.default_project_id else {
            return Ok(ScopeRequest::Unscoped);
        };
        let roles = assignment::effective_roles(c, &user.id, &Target::Project(pid.clone()))?;
        let enabled = res_q::get_project(c, pid)?.is_some_and(|p| p.enabled);
        if roles.is_empty() || !enabled {
            return Ok(ScopeRequest::Unscoped);
        }
        Ok(ScopeRequest::Project(ProjectSel::Id(pid.clone())))
    }

    fn scope_project(
        &self,
        c: &mut AnyConnection,
        sel: &ProjectSel,
        user: &User,
    ) -> Result<(Project, Domain), Error> {
        let project = match sel {
            ProjectSel::Id(id) => res_q::get_project(c, id)?,
            ProjectSel::Name { name, domain } => match resolve_domain(c, domain)? {
                Some(d) => res_q::find_project_by_name(c, &d.id, name)?,
                None => None,
            },
        };
        let no_access = || {
            let shown = match sel {
                ProjectSel::Id(id) => id.clone(),
                ProjectSel::Name { name, .. } => name.clone(),
            };
            Error::Unauthorized(format!("User {} has no access to project {shown}", user.id))
        };
        let project = project.filter(|p| p.enabled).ok_or_else(no_access)?;
        let domain = res_q::get_domain(c, &project.domain_id)?
            .filter(|d| d.enabled)
            .ok_or_else(no_access)?;
        Ok((project, domain))
    }

    fn require_roles(
        &self,
        c: &mut AnyConnection,
        user: &User,
        target: &Target,
        what: &str,
        id: &str,
    ) -> Result<Vec<IdName>, Error> {
        let roles = assignment::effective_roles(c, &user.id, target)?;
        if roles.is_empty() {
            return Err(Error::Unauthorized(format!(
                "User {} has no access to {what} {id}",
                user.id
            )));
        }
        Ok(roles
            .into_iter()
            .map(|r| IdName {
                id: r.id,
                name: r.name,
            })
            .collect())
    }

    fn sign(&self, claims: &TokenClaims) -> Result<String, Error> {
        let (kid, key) = self.keys.signer()?;
        let mut header = Header::new(Algorithm::ES256);
        header.kid = Some(kid);
        jsonwebtoken::encode(&header, claims, &key)
            .map_err(|e| Error::Internal(format!("cannot sign token: {e}")))
    }

    /// `GET /v3/auth/tokens`: a missing, forged, expired or revoked subject
    /// token is 404, as upstream.
    pub fn validate_token(&self, token: &str) -> Result<Arc<TokenClaims>, Error> {
        self.verifier.verify(token).map_err(|e: TokenError| {
            tracing::debug!("validation failed: {e}");
            Error::not_found("token", "the token is invalid, expired or revoked")
        })
    }

    /// `DELETE /v3/auth/tokens`: revokes the token and every token made from it.
    pub async fn revoke_token(self: &Arc<Self>, token: &str) -> Result<(), Error> {
        let claims = self.validate_token(token)?;
        let event = RevocationEvent {
            audit_id: claims.audit_ids.first().cloned(),
            ..RevocationEvent::now()
        };
        let this = self.clone();
        self.db.write(move |c| this.revoke(c, event)).await
    }

    /// The token body; the catalog for scoped tokens unless `nocatalog`.
    pub async fn render_token<'a>(
        &self,
        claims: &'a TokenClaims,
        with_catalog: bool,
    ) -> Result<TokenBody<'a>, Error> {
        let catalog = if with_catalog && claims.is_scoped() {
            Some(
                self.catalog_for(claims.project.as_ref().map(|p| p.id.as_str()))
                    .await?,
            )
        } else {
            None
        };
        Ok(TokenBody { claims, catalog })
    }

    /// The catalog for a project (or none), from the cache.
    pub async fn catalog_for(&self, project_id: Option<&str>) -> Result<Catalog, Error> {
        if let Some(v) = self.catalog.render_cached(project_id) {
            return Ok(v);
        }
        let cache = self.catalog.clone();
        let project_id = project_id.map(str::to_owned);
        self.db
            .read(move |c| cache.render_loaded(c, project_id.as_deref()))
            .await
    }
}

fn project_ref(project: &Project, domain: &Domain) -> ProjectRef {
    ProjectRef {
        id: project.id.clone(),
        name: project.name.clone(),
        domain: IdName {
            id: domain.id.clone(),
            name: domain.name.clone(),
        },
    }
}

/// Keystone's token body (`{"token": {...}}`), written straight to the
/// response: validation is the hot path.
pub struct TokenBody<'a> {
    claims: &'a TokenClaims,
    catalog: Option<Catalog>,
}

impl Serialize for TokenBody<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(1))?;
        m.serialize_entry("token", &TokenView(self))?;
        m.end()
    }
}

struct TokenView<'a>(&'a TokenBody<'a>);

impl Serialize for TokenView<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let claims = self.0.claims;
        let user = &claims.user;
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("methods", &claims.methods)?;
        m.serialize_entry(
            "user",
            &json!({
                "id": user.id,
                "name": user.name,
                "domain": {"id": user.domain.id, "name": user.domain.name},
                "password_expires_at": user.password_expires_us.map(iso_micros_z),
            }),
        )?;
        m.serialize_entry("audit_ids", &claims.audit_ids)?;
        m.serialize_entry("expires_at", &iso_micros_z(claims.expires_us))?;
        m.serialize_entry("issued_at", &iso_micros_z(claims.issued_us))?;
        if let Some(p) = &claims.project {
            m.serialize_entry(
                "project",
                &json!({"id": p.id, "name": p.name, "domain": {"id": p.domain.id, "name": p.domain.name}}),
            )?;
            m.serialize_entry("is_domain", &false)?;
        }
        if let Some(d) = &claims.domain {
            m.serialize_entry("domain", &json!({"id": d.id, "name": d.name}))?;
        }
        if claims.system {
            m.serialize_entry("system", &json!({"all": true}))?;
        }
        if claims.is_scoped() {
            let roles: Vec<Value> = claims
                .roles
                .iter()
                .map(|r| json!({"id": r.id, "name": r.name}))
                .collect();
            m.serialize_entry("roles", &roles)?;
        }
        if let Some(ac) = &claims.application_credential {
            m.serialize_entry(
                "application_credential",
                &json!({"id": ac.id, "name": ac.name, "restricted": ac.restricted}),
            )?;
        }
        if let Some(catalog) = &self.0.catalog {
            m.serialize_entry("catalog", catalog)?;
        }
        m.end()
    }
}

/// Runs CPU-heavy work (bcrypt) off the async workers.
pub(crate) async fn blocking<R: Send + 'static>(
    f: impl FnOnce() -> R + Send + 'static,
) -> Result<R, Error> {
    compat_api::db::run_blocking(f).await.map_err(Error::Store)
}

pub fn row_from_event(e: &RevocationEvent) -> crate::store::models::RevocationRow {
    crate::store::models::RevocationRow {
        id: crate::store::new_id(),
        audit_id: e.audit_id.clone(),
        user_id: e.user_id.clone(),
        project_id: e.project_id.clone(),
        domain_id: e.domain_id.clone(),
        app_cred_id: e.application_credential_id.clone(),
        issued_before: e.issued_before_us,
        revoked_at: e.revoked_at_us,
    }
}

pub fn event_from_row(r: crate::store::models::RevocationRow) -> RevocationEvent {
    RevocationEvent {
        audit_id: r.audit_id,
        user_id: r.user_id,
        project_id: r.project_id,
        domain_id: r.domain_id,
        application_credential_id: r.app_cred_id,
        issued_before_us: r.issued_before,
        revoked_at_us: r.revoked_at,
    }
}

/// A revocation event for everything a user holds (password change, disable, delete).
pub fn user_event(user_id: &str) -> RevocationEvent {
    RevocationEvent {
        user_id: Some(user_id.to_owned()),
        ..RevocationEvent::now()
    }
}
