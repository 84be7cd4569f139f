//! `/v3/auth/*`, the public signing keys (OS-SIMPLE-CERT, JWKS) and the
//! revocation events (OS-REVOKE) other services pull.

use super::{arc, collection, no_content, self_link, Query, Svc};
use crate::tokens::{AppCredSel, DomainSel, Method, ProjectSel, ScopeRequest, UserSel};
use actix_web::http::header::HeaderValue;
use actix_web::{HttpRequest, HttpResponse};
use compat_api::auth::SUBJECT_HEADER;
use compat_api::body::{RequestBody, Validator};
use compat_api::time::{iso_micros_z, now_us, parse_iso};
use compat_api::{json_schema, ApiError, AuthContext, JsonBody, TokenClaims};
use serde::Deserialize;
use serde_json::{json, Value};
use std::sync::Arc;

#[derive(Debug, Deserialize)]
pub struct DomainRef {
    id: Option<String>,
    name: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct UserRef {
    id: Option<String>,
    name: Option<String>,
    domain: Option<DomainRef>,
    password: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct PasswordAuth {
    user: UserRef,
}

#[derive(Debug, Deserialize)]
pub struct TokenAuth {
    id: String,
}

#[derive(Debug, Deserialize)]
pub struct AppCredAuth {
    id: Option<String>,
    name: Option<String>,
    secret: String,
    user: Option<UserRef>,
}

#[derive(Debug, Deserialize)]
pub struct IdentityAuth {
    methods: Vec<String>,
    password: Option<PasswordAuth>,
    token: Option<TokenAuth>,
    application_credential: Option<AppCredAuth>,
}

#[derive(Debug, Deserialize)]
pub struct ProjectScope {
    id: Option<String>,
    name: Option<String>,
    domain: Option<DomainRef>,
}

#[derive(Debug, Deserialize)]
pub struct Scope {
    project: Option<ProjectScope>,
    domain: Option<DomainRef>,
    system: Option<Value>,
}

#[derive(Debug, Deserialize)]
pub struct Auth {
    identity: IdentityAuth,
    scope: Option<Value>,
}

#[derive(Debug, Deserialize)]
pub struct AuthTokenRequest {
    auth: Auth,
}

impl RequestBody for AuthTokenRequest {
    fn schema() -> Option<&'static Validator> {
        let named = json!({
            "type": "object",
            "properties": {"id": {"type": "string"}, "name": {"type": "string"}},
        });
        json_schema!({
            "type": "object",
            "required": ["auth"],
            "properties": {"auth": {
                "type": "object",
                "required": ["identity"],
                "properties": {
                    "identity": {
                        "type": "object",
                        "required": ["methods"],
                        "properties": {
                            "methods": {"type": "array", "minItems": 1, "items": {"type": "string"}},
                            "password": {
                                "type": "object",
                                "required": ["user"],
                                "properties": {"user": {
                                    "type": "object",
                                    "properties": {
                                        "id": {"type": "string"},
                                        "name": {"type": "string"},
                                        "password": {"type": "string"},
                                        "domain": named,
                                    },
                                }},
                            },
                            "token": {"type": "object", "required": ["id"], "properties": {"id": {"type": "string"}}},
                            "application_credential": {
                                "type": "object",
                                "required": ["secret"],
                                "properties": {
                                    "id": {"type": "string"},
                                    "name": {"type": "string"},
                                    "secret": {"type": "string"},
                                },
                            },
                        },
                    },
                    "scope": {"type": ["object", "string"]},
                },
            }},
        })
    }
}

fn domain_sel(d: Option<DomainRef>, what: &str) -> Result<DomainSel, ApiError> {
    match d {
        Some(DomainRef { id: Some(id), .. }) => Ok(DomainSel::Id(id)),
        Some(DomainRef {
            name: Some(name), ..
        }) => Ok(DomainSel::Name(name)),
        _ => Err(ApiError::bad_request(format!(
            "Expecting to find domain in {what}."
        ))),
    }
}

fn user_sel(u: UserRef) -> Result<UserSel, ApiError> {
    if let Some(id) = u.id {
        return Ok(UserSel::Id(id));
    }
    let name = u
        .name
        .ok_or_else(|| ApiError::bad_request("Expecting to find user in password."))?;
    Ok(UserSel::Name {
        name,
        domain: domain_sel(u.domain, "user")?,
    })
}

fn methods(identity: IdentityAuth) -> Result<Vec<Method>, ApiError> {
    let mut out = Vec::new();
    let IdentityAuth {
        methods,
        password,
        token,
        application_credential,
    } = identity;
    let (mut password, mut token, mut app_cred) = (password, token, application_credential);
    for m in methods {
        match m.as_str() {
            "password" => {
                let p = password.take().ok_or_else(|| {
                    ApiError::bad_request("Expecting to find password in identity.")
                })?;
                let secret =
                    p.user.password.clone().ok_or_else(|| {
                        ApiError::bad_request("Expecting to find password in user.")
                    })?;
                out.push(Method::Password {
                    user: user_sel(p.user)?,
                    password: secret,
                });
            }
            "token" => {
                let t = token
                    .take()
                    .ok_or_else(|| ApiError::bad_request("Expecting to find token in identity."))?;
                out.push(Method::Token { token: t.id });
            }
            "application_credential" => {
                let a = app_cred.take().ok_or_else(|| {
                    ApiError::bad_request("Expecting to find application_credential in identity.")
                })?;
                let credential = match (a.id, a.name, a.user) {
                    (Some(id), _, _) => AppCredSel::Id(id),
                    (None, Some(name), Some(user)) => AppCredSel::Name {
                        name,
                        user: user_sel(user)?,
                    },
                    _ => {
                        return Err(ApiError::bad_request(
                            "Expecting to find id or name and user in application_credential.",
                        ))
                    }
                };
                out.push(Method::ApplicationCredential {
                    credential,
                    secret: a.secret,
                });
            }
            other => {
                return Err(ApiError::unauthorized(format!(
                    "Attempted to authenticate with an unsupported method: {other}."
                )))
            }
        }
    }
    Ok(out)
}

fn scope(value: Option<Value>) -> Result<ScopeRequest, ApiError> {
    let Some(value) = value else {
        return Ok(ScopeRequest::Unscoped);
    };
    if value == json!("unscoped") {
        return Ok(ScopeRequest::Unscoped);
    }
    let s: Scope = serde_json::from_value(value)
        .map_err(|e| ApiError::bad_request(format!("Invalid scope: {e}")))?;
    if let Some(p) = s.project {
        return Ok(ScopeRequest::Project(match (p.id, p.name) {
            (Some(id), _) => ProjectSel::Id(id),
            (None, Some(name)) => ProjectSel::Name {
                name,
                domain: domain_sel(p.domain, "project")?,
            },
            _ => {
                return Err(ApiError::bad_request(
                    "Expecting to find id or name in project.",
                ))
            }
        }));
    }
    if let Some(d) = s.domain {
        return Ok(ScopeRequest::Domain(domain_sel(Some(d), "scope")?));
    }
    if let Some(system) = s.system {
        if system.get("all") == Some(&json!(true)) {
            return Ok(ScopeRequest::System);
        }
        return Err(ApiError::bad_request(
            "Invalid system scope: only {\"all\": true} is supported.",
        ));
    }
    Err(ApiError::bad_request(
        "Invalid scope: expecting project, domain or system.",
    ))
}

fn with_subject(mut resp: HttpResponse, token: &str) -> HttpResponse {
    if let Ok(v) = HeaderValue::from_str(token) {
        resp.headers_mut().insert(
            actix_web::http::header::HeaderName::from_static(SUBJECT_HEADER),
            v,
        );
    }
    resp
}

/// `POST /v3/auth/tokens`
pub async fn create_token(
    req: HttpRequest,
    svc: Svc,
    body: JsonBody<AuthTokenRequest>,
) -> Result<HttpResponse, ApiError> {
    let auth = body.into_inner().auth;
    let scope = scope(auth.scope)?;
    let methods = methods(auth.identity)?;
    let issued = arc(&svc).issue_token(methods, scope).await?;
    let nocatalog = Query::parse(&req)?.present("nocatalog");
    let body = svc.render_token(&issued.claims, !nocatalog).await?;
    Ok(with_subject(HttpResponse::Created().json(body), &issued.id))
}

fn subject(req: &HttpRequest) -> Result<String, ApiError> {
    req.headers()
        .get(SUBJECT_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty())
        .ok_or_else(|| {
            ApiError::bad_request("Expecting to find X-Subject-Token in the request headers.")
        })
}

/// Checks the subject token and that the caller may look at it.
fn subject_claims(
    req: &HttpRequest,
    svc: &Svc,
    ctx: &AuthContext,
    action: &str,
) -> Result<(String, Arc<TokenClaims>), ApiError> {
    let token = subject(req)?;
    let claims = svc.validate_token(&token)?;
    if claims.sub != ctx.user_id() && !ctx.is_system_reader() && !ctx.has_role("service") {
        return Err(AuthContext::forbid(&format!("identity:{action}")));
    }
    Ok((token, claims))
}

/// `GET /v3/auth/tokens`
pub async fn validate_token(
    req: HttpRequest,
    svc: Svc,
    ctx: AuthContext,
) -> Result<HttpResponse, ApiError> {
    let (token, claims) = subject_claims(&req, &svc, &ctx, "validate_token")?;
    let nocatalog = Query::parse(&req)?.present("nocatalog");
    let body = svc.render_token(&claims, !nocatalog).await?;
    Ok(with_subject(HttpResponse::Ok().json(body), &token))
}

/// `HEAD /v3/auth/tokens`
pub async fn check_token(
    req: HttpRequest,
    svc: Svc,
    ctx: AuthContext,
) -> Result<HttpResponse, ApiError> {
    let (token, _) = subject_claims(&req, &svc, &ctx, "check_token")?;
    Ok(with_subject(HttpResponse::Ok().finish(), &token))
}

/// `DELETE /v3/auth/tokens`
pub async fn revoke_token(
    req: HttpRequest,
    svc: Svc,
    ctx: AuthContext,
) -> Result<HttpResponse, ApiError> {
    let (token, _) = subject_claims(&req, &svc, &ctx, "revoke_token")?;
    arc(&svc).revoke_token(&token).await?;
    Ok(no_content())
}

/// `GET /v3/auth/catalog`
pub async fn catalog(
    req: HttpRequest,
    svc: Svc,
    ctx: AuthContext,
) -> Result<HttpResponse, ApiError> {
    if !ctx.claims.is_scoped() {
        return Err(ApiError::forbidden(
            "A scoped token is required to produce a service catalog.",
        ));
    }
    let catalog = svc.catalog_for(ctx.project_id()).await?;
    Ok(HttpResponse::Ok()
        .json(json!({"catalog": catalog, "links": self_link(&req, &svc, "auth/catalog")})))
}

/// `GET /v3/auth/projects`
pub async fn projects(
    req: HttpRequest,
    svc: Svc,
    ctx: AuthContext,
) -> Result<HttpResponse, ApiError> {
    let projects = svc.projects_of_user(ctx.user_id().to_owned()).await?;
    let items = projects
        .iter()
        .map(|p| super::projects::render(&req, &svc, p))
        .collect();
    Ok(collection(&req, &svc, "projects", items))
}

/// `GET /v3/auth/domains`
pub async fn domains(
    req: HttpRequest,
    svc: Svc,
    ctx: AuthContext,
) -> Result<HttpResponse, ApiError> {
    let domains = svc.domains_of_user(ctx.user_id().to_owned()).await?;
    let items = domains
        .iter()
        .map(|d| super::domains::render(&req, &svc, d))
        .collect();
    Ok(collection(&req, &svc, "domains", items))
}

/// `GET /v3/auth/system`
pub async fn system(
    req: HttpRequest,
    svc: Svc,
    ctx: AuthContext,
) -> Result<HttpResponse, ApiError> {
    let has_system = svc.has_system_roles(ctx.user_id().to_owned()).await?;
    let system: Vec<Value> = if has_system {
        vec![json!({"all": true})]
    } else {
        vec![]
    };
    Ok(HttpResponse::Ok()
        .json(json!({"system": system, "links": self_link(&req, &svc, "auth/system")})))
}

/// `GET /v3/OS-SIMPLE-CERT/certificates` and `/ca`: the signing keys'
/// self-signed certificates, each its own authority.
pub async fn certificates(svc: Svc) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/x-pem-file")
        .body(svc.keys.certificates_pem())
}

/// `GET /v3/OS-SIMPLE-CERT/jwks`
pub async fn jwks(svc: Svc) -> HttpResponse {
    HttpResponse::Ok().json(svc.keys.jwks())
}

/// `GET /v3/OS-REVOKE/events?since=...` (admins and services).
pub async fn revocation_events(
    req: HttpRequest,
    svc: Svc,
    ctx: AuthContext,
) -> Result<HttpResponse, ApiError> {
    if !ctx.is_admin() && !ctx.has_role("service") {
        return Err(AuthContext::forbid("identity:list_revoke_events"));
    }
    let query = Query::parse(&req)?;
    let since = match query.get("since") {
        Some(text) => parse_iso(&text)
            .ok_or_else(|| ApiError::bad_request(format!("Invalid since: {text}")))?,
        None => now_us() - svc.conf.token_lifetime_us(),
    };
    let events: Vec<Value> = svc
        .verifier
        .revocations()
        .since(since)
        .into_iter()
        .map(|e| {
            let mut v = json!({
                "issued_before": iso_micros_z(e.issued_before_us),
                "revoked_at": iso_micros_z(e.revoked_at_us),
            });
            for (key, value) in [
                ("audit_id", e.audit_id),
                ("user_id", e.user_id),
                ("project_id", e.project_id),
                ("domain_id", e.domain_id),
                ("application_credential_id", e.application_credential_id),
            ] {
                if let Some(value) = value {
                    v[key] = json!(value);
                }
            }
            v
        })
        .collect();
    Ok(HttpResponse::Ok()
        .json(json!({"events": events, "links": self_link(&req, &svc, "OS-REVOKE/events")})))
}
