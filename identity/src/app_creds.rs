//! Application credentials (a user delegates some of their roles on one
//! project to a secret) and credentials (opaque blobs such as EC2 keys).

use crate::assignment::{self, Target};
use crate::error::Error;
use crate::store::models::{AppCred, Credential, Role};
use crate::store::{
    app_creds as q, assignment as roles_q, identity as users_q, new_id, AnyConnection,
};
use crate::tokens::blocking;
use crate::{password, policy, Identity};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use compat_api::auth::RevocationEvent;
use compat_api::time::{now_us, parse_iso};
use compat_api::AuthContext;
use ring::rand::{SecureRandom, SystemRandom};
use serde::Deserialize;
use std::sync::Arc;

#[derive(Debug, Clone, Deserialize)]
pub struct RoleSel {
    pub id: Option<String>,
    pub name: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct NewAppCred {
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub secret: Option<String>,
    #[serde(default)]
    pub expires_at: Option<String>,
    #[serde(default)]
    pub roles: Option<Vec<RoleSel>>,
    #[serde(default)]
    pub unrestricted: Option<bool>,
    #[serde(default)]
    pub access_rules: Option<Vec<serde_json::Value>>,
}

/// An application credential with its roles; `secret` only right after creation.
#[derive(Debug, Clone)]
pub struct AppCredView {
    pub cred: AppCred,
    pub roles: Vec<Role>,
    pub secret: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct NewCredential {
    pub user_id: String,
    #[serde(default)]
    pub project_id: Option<String>,
    #[serde(rename = "type")]
    pub cred_type: String,
    pub blob: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct CredentialPatch {
    pub project_id: Option<String>,
    #[serde(rename = "type")]
    pub cred_type: Option<String>,
    pub blob: Option<String>,
}

fn generate_secret() -> Result<String, Error> {
    let mut bytes = [0u8; 64];
    SystemRandom::new()
        .fill(&mut bytes)
        .map_err(|_| Error::Internal("no randomness".into()))?;
    Ok(URL_SAFE_NO_PAD.encode(bytes))
}

fn view(c: &mut AnyConnection, cred: AppCred) -> Result<AppCredView, Error> {
    let mut roles = Vec::new();
    for id in q::role_ids(c, &cred.id)? {
        if let Some(r) = roles_q::get_role(c, &id)? {
            roles.push(r);
        }
    }
    Ok(AppCredView {
        cred,
        roles,
        secret: None,
    })
}

impl Identity {
    pub async fn create_app_cred(
        &self,
        ctx: &AuthContext,
        user_id: String,
        new: NewAppCred,
    ) -> Result<AppCredView, Error> {
        if ctx.user_id() != user_id {
            return Err(Error::Forbidden(
                "identity:create_application_credential".into(),
            ));
        }
        if ctx
            .claims
            .application_credential
            .as_ref()
            .is_some_and(|a| a.restricted)
        {
            return Err(Error::ForbiddenMessage(
                "Using a restricted application credential to create application credentials is not allowed.".into(),
            ));
        }
        let project_id = ctx.project_id().map(str::to_owned).ok_or_else(|| {
            Error::ForbiddenMessage(
                "Application credentials can only be created with a project-scoped token.".into(),
            )
        })?;
        let expires_at = match new.expires_at.as_deref() {
            None => None,
            Some(text) => {
                let t = parse_iso(text).ok_or_else(|| {
                    Error::Validation(format!(
                        "Invalid input for field 'expires_at': '{text}' is not a date-time."
                    ))
                })?;
                if t <= now_us() {
                    return Err(Error::Validation(
                        "Invalid input for field 'expires_at': the date is in the past.".into(),
                    ));
                }
                Some(t)
            }
        };
        // Roles asked must be held on the project now (they may postdate the
        // token); none asked (absent or empty) means the token's roles.
        let (uid, pid) = (user_id.clone(), project_id.clone());
        let held = self
            .db
            .read(move |c| assignment::effective_roles(c, &uid, &Target::Project(pid)))
            .await?;
        let wanted = new.roles.clone().unwrap_or_default();
        let mut role_ids = Vec::new();
        for sel in &wanted {
            let found = held.iter().find(|r| {
                sel.id.as_ref().is_some_and(|id| *id == r.id)
                    || sel.name.as_ref().is_some_and(|n| *n == r.name)
            });
            let role = found.ok_or_else(|| {
                Error::not_found(
                    "role assignment",
                    sel.id.clone().or(sel.name.clone()).unwrap_or_default(),
                )
            })?;
            role_ids.push(role.id.clone());
        }
        if wanted.is_empty() {
            role_ids = ctx.claims.roles.iter().map(|r| r.id.clone()).collect();
        }
        let secret = match new.secret.clone() {
            Some(s) if !s.is_empty() => s,
            _ => generate_secret()?,
        };
        let rounds = self.conf.password_hash_rounds;
        let plain = secret.clone();
        let secret_hash = blocking(move || password::hash(&plain, rounds)).await??;
        let cred = AppCred {
            id: new_id(),
            name: new.name.clone(),
            secret_hash,
            description: new.description,
            user_id,
            project_id,
            expires_at,
            unrestricted: new.unrestricted.unwrap_or(false),
            created_at: now_us(),
        };
        let name = new.name;
        let mut out = self
            .db
            .write(move |c| {
                if q::find_by_name(c, &cred.user_id, &cred.name)?.is_some() {
                    return Err(Error::conflict(
                        "application_credential",
                        format!("Duplicate entry found with name {name}."),
                    ));
                }
                q::insert(c, &cred, &role_ids)?;
                view(c, cred)
            })
            .await?;
        out.secret = Some(secret);
        Ok(out)
    }

    pub async fn list_app_creds(
        &self,
        ctx: &AuthContext,
        user_id: String,
        name: Option<String>,
    ) -> Result<Vec<AppCredView>, Error> {
        policy::owner_or_admin(ctx, &user_id, "list_application_credentials")?;
        self.db
            .read(move |c| {
                users_q::get_user(c, &user_id)?
                    .ok_or_else(|| Error::not_found("user", &user_id))?;
                q::list_for_user(c, &user_id, name.as_deref())?
                    .into_iter()
                    .map(|a| view(c, a))
                    .collect()
            })
            .await
    }

    pub async fn get_app_cred(
        &self,
        ctx: &AuthContext,
        user_id: String,
        id: String,
    ) -> Result<AppCredView, Error> {
        policy::owner_or_admin(ctx, &user_id, "get_application_credential")?;
        self.db
            .read(move |c| {
                let cred = q::get(c, &id)?
                    .filter(|a| a.user_id == user_id)
                    .ok_or_else(|| Error::not_found("application credential", &id))?;
                view(c, cred)
            })
            .await
    }

    pub async fn delete_app_cred(
        self: &Arc<Self>,
        ctx: &AuthContext,
        user_id: String,
        id: String,
    ) -> Result<(), Error> {
        policy::owner_or_admin(ctx, &user_id, "delete_application_credential")?;
        let this = self.clone();
        self.db
            .write(move |c| {
                q::get(c, &id)?
                    .filter(|a| a.user_id == user_id)
                    .ok_or_else(|| Error::not_found("application credential", &id))?;
                q::delete(c, &id)?;
                this.revoke(
                    c,
                    RevocationEvent {
                        application_credential_id: Some(id),
                        ..RevocationEvent::now()
                    },
                )
            })
            .await
    }

    pub async fn create_credential(
        &self,
        ctx: &AuthContext,
        new: NewCredential,
    ) -> Result<Credential, Error> {
        policy::owner_or_admin(ctx, &new.user_id, "create_credential")?;
        let cred = Credential {
            id: new_id(),
            user_id: new.user_id,
            project_id: new.project_id,
            cred_type: new.cred_type,
            blob_data: new.blob,
            extra: "{}".into(),
        };
        self.db
            .write(move |c| {
                users_q::get_user(c, &cred.user_id)?.ok_or_else(|| {
                    Error::Validation(format!("Could not find user: {}.", cred.user_id))
                })?;
                q::insert_credential(c, &cred)?;
                Ok(cred)
            })
            .await
    }

    async fn owned_credential(
        &self,
        ctx: &AuthContext,
        id: String,
        action: &'static str,
    ) -> Result<Credential, Error> {
        let cred = self
            .db
            .read(move |c| {
                q::get_credential(c, &id)?.ok_or_else(|| Error::not_found("credential", id))
            })
            .await?;
        policy::owner_or_admin(ctx, &cred.user_id, action)?;
        Ok(cred)
    }

    pub async fn get_credential(&self, ctx: &AuthContext, id: String) -> Result<Credential, Error> {
        self.owned_credential(ctx, id, "get_credential").await
    }

    pub async fn list_credentials(
        &self,
        ctx: &AuthContext,
        user_id: Option<String>,
        cred_type: Option<String>,
    ) -> Result<Vec<Credential>, Error> {
        let user_id = if ctx.is_system_reader() {
            user_id
        } else {
            Some(ctx.user_id().to_owned())
        };
        self.db
            .read(move |c| {
                Ok(q::list_credentials(
                    c,
                    user_id.as_deref(),
                    cred_type.as_deref(),
                )?)
            })
            .await
    }

    pub async fn update_credential(
        &self,
        ctx: &AuthContext,
        id: String,
        patch: CredentialPatch,
    ) -> Result<Credential, Error> {
        let mut cred = self.owned_credential(ctx, id, "update_credential").await?;
        if let Some(p) = patch.project_id {
            cred.project_id = Some(p);
        }
        if let Some(t) = patch.cred_type {
            cred.cred_type = t;
        }
        if let Some(b) = patch.blob {
            cred.blob_data = b;
        }
        self.db
            .write(move |c| {
                q::update_credential(c, &cred)?;
                Ok(cred)
            })
            .await
    }

    pub async fn delete_credential(&self, ctx: &AuthContext, id: String) -> Result<(), Error> {
        let cred = self.owned_credential(ctx, id, "delete_credential").await?;
        self.db
            .write(move |c| q::delete_credential(c, &cred.id).map_err(Error::from))
            .await
    }
}
