//! Users, passwords and groups.

use crate::error::Error;
use crate::resource::options_text;
use crate::store::models::{Group, Password, User};
use crate::store::{
    app_creds as ac_q, assignment as assign_q, identity as q, new_id, resource as res_q,
    AnyConnection,
};
use crate::tokens::{blocking, user_event};
use crate::{password, policy, Identity};
use compat_api::time::now_us;
use compat_api::AuthContext;
use serde::Deserialize;
use serde_json::{Map, Value};
use std::sync::Arc;

#[derive(Debug, Clone, Deserialize)]
pub struct NewUser {
    pub name: String,
    #[serde(default)]
    pub domain_id: Option<String>,
    #[serde(default)]
    pub password: Option<String>,
    #[serde(default)]
    pub enabled: Option<bool>,
    #[serde(default)]
    pub default_project_id: Option<String>,
    #[serde(default)]
    pub options: Option<Value>,
    /// Anything else (email, description, ...), kept as keystone keeps it.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct UserPatch {
    pub name: Option<String>,
    pub enabled: Option<bool>,
    pub password: Option<String>,
    #[serde(default, with = "double_option")]
    pub default_project_id: Option<Option<String>>,
    pub options: Option<Value>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Tells an absent field from an explicit `null`.
mod double_option {
    use serde::{Deserialize, Deserializer};
    pub fn deserialize<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
    where
        D: Deserializer<'de>,
        T: Deserialize<'de>,
    {
        Option::<T>::deserialize(d).map(Some)
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct NewGroup {
    pub name: String,
    #[serde(default)]
    pub domain_id: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct GroupPatch {
    pub name: Option<String>,
    pub description: Option<String>,
}

/// A user with the expiry of its current password.
#[derive(Debug, Clone)]
pub struct UserView {
    pub user: User,
    pub password_expires_at: Option<i64>,
}

/// Attribute names stored in columns, never in `extra`.
const RESERVED: [&str; 9] = [
    "id",
    "name",
    "domain_id",
    "password",
    "enabled",
    "default_project_id",
    "options",
    "links",
    "password_expires_at",
];

fn extra_text(mut extra: Map<String, Value>) -> String {
    extra.retain(|k, _| !RESERVED.contains(&k.as_str()));
    Value::Object(extra).to_string()
}

/// A boolean user option (`ignore_lockout_failure_attempts`, `ignore_password_expiry`).
pub(crate) fn user_option(user: &User, name: &str) -> bool {
    serde_json::from_str::<Value>(&user.options)
        .ok()
        .and_then(|o| o.get(name).and_then(Value::as_bool))
        .unwrap_or(false)
}

fn view(c: &mut AnyConnection, user: User) -> Result<UserView, Error> {
    let expires = q::passwords_of(c, &user.id)?
        .first()
        .and_then(|p| p.expires_at);
    Ok(UserView {
        user,
        password_expires_at: expires,
    })
}

impl Identity {
    fn new_password(&self, user: &User, hashed: String, self_service: bool) -> Password {
        let now = now_us();
        let expires_at = match user_option(user, "ignore_password_expiry") {
            true => None,
            false => password::expiry(&self.conf.security, now),
        };
        Password {
            id: new_id(),
            user_id: user.id.clone(),
            password_hash: hashed,
            created_at: now,
            expires_at,
            self_service,
        }
    }

    async fn hash_password(&self, plain: String) -> Result<String, Error> {
        password::validate_strength(&plain, &self.conf.security)?;
        let rounds = self.conf.password_hash_rounds;
        blocking(move || password::hash(&plain, rounds)).await?
    }

    fn history_to_keep(&self) -> usize {
        (self.conf.security.unique_last_password_count as usize).max(1)
    }

    pub async fn create_user(
        self: &Arc<Self>,
        ctx: &AuthContext,
        new: NewUser,
    ) -> Result<UserView, Error> {
        policy::admin(ctx, "create_user")?;
        let hashed = match new.password.clone() {
            Some(p) => Some(self.hash_password(p).await?),
            None => None,
        };
        let domain_id = new
            .domain_id
            .clone()
            .or_else(|| ctx.scope_domain_id().map(str::to_owned))
            .unwrap_or_else(|| self.conf.default_domain_id.clone());
        let user = User {
            id: new_id(),
            name: new.name.clone(),
            domain_id,
            enabled: new.enabled.unwrap_or(true),
            default_project_id: new.default_project_id.clone(),
            extra: extra_text(new.extra),
            options: options_text(new.options),
            created_at: now_us(),
            last_active_at: None,
            failed_auth_count: 0,
            failed_auth_at: None,
        };
        let pw = hashed.map(|h| self.new_password(&user, h, false));
        self.db
            .write(move |c| {
                if res_q::get_domain(c, &user.domain_id)?.is_none() {
                    return Err(Error::not_found("domain", &user.domain_id));
                }
                if q::find_user_by_name(c, &user.domain_id, &user.name)?.is_some() {
                    return Err(Error::conflict(
                        "user",
                        format!(
                            "Duplicate entry found with name {} at domain ID {}.",
                            user.name, user.domain_id
                        ),
                    ));
                }
                q::insert_user(c, &user)?;
                if let Some(pw) = &pw {
                    q::insert_password(c, pw)?;
                }
                Ok(UserView {
                    password_expires_at: pw.and_then(|p| p.expires_at),
                    user,
                })
            })
            .await
    }

    pub async fn get_user(&self, ctx: &AuthContext, id: String) -> Result<UserView, Error> {
        policy::owner_or_admin(ctx, &id, "get_user").or_else(|e| {
            if ctx.is_system_reader() {
                Ok(())
            } else {
                Err(e)
            }
        })?;
        self.db
            .read(move |c| {
                let user = q::get_user(c, &id)?.ok_or_else(|| Error::not_found("user", &id))?;
                view(c, user)
            })
            .await
    }

    pub async fn list_users(
        &self,
        ctx: &AuthContext,
        domain_id: Option<String>,
        name: Option<String>,
        enabled: Option<bool>,
    ) -> Result<Vec<UserView>, Error> {
        policy::reader(ctx, "list_users")?;
        self.db
            .read(move |c| {
                q::list_users(c, domain_id.as_deref(), name.as_deref(), enabled)?
                    .into_iter()
                    .map(|u| view(c, u))
                    .collect()
            })
            .await
    }

    pub async fn update_user(
        self: &Arc<Self>,
        ctx: &AuthContext,
        id: String,
        patch: UserPatch,
    ) -> Result<UserView, Error> {
        policy::admin(ctx, "update_user")?;
        let hashed = match patch.password.clone() {
            Some(p) => Some(self.hash_password(p).await?),
            None => None,
        };
        let this = self.clone();
        let keep = self.history_to_keep();
        self.db
            .write(move |c| {
                let mut u = q::get_user(c, &id)?.ok_or_else(|| Error::not_found("user", &id))?;
                let disabling = u.enabled && patch.enabled == Some(false);
                if let Some(name) = patch.name {
                    if name != u.name && q::find_user_by_name(c, &u.domain_id, &name)?.is_some() {
                        return Err(Error::conflict(
                            "user",
                            format!(
                                "Duplicate entry found with name {name} at domain ID {}.",
                                u.domain_id
                            ),
                        ));
                    }
                    u.name = name;
                }
                if let Some(v) = patch.enabled {
                    u.enabled = v;
                }
                if let Some(v) = patch.default_project_id {
                    u.default_project_id = v;
                }
                if patch.options.is_some() {
                    u.options = options_text(patch.options);
                }
                if !patch.extra.is_empty() {
                    let mut extra: Map<String, Value> =
                        serde_json::from_str(&u.extra).unwrap_or_default();
                    extra.extend(patch.extra);
                    u.extra = extra_text(extra);
                }
                q::update_user(c, &u)?;
                if let Some(h) = hashed {
                    q::insert_password(c, &this.new_password(&u, h, false))?;
                    q::trim_passwords(c, &u.id, keep)?;
                }
                if disabling || patch.password.is_some() {
                    this.revoke(c, user_event(&u.id))?;
                }
                view(c, u)
            })
            .await
    }

    pub async fn delete_user(self: &Arc<Self>, ctx: &AuthContext, id: String) -> Result<(), Error> {
        policy::admin(ctx, "delete_user")?;
        let this = self.clone();
        self.db
            .write(move |c| {
                q::get_user(c, &id)?.ok_or_else(|| Error::not_found("user", &id))?;
                for ac in ac_q::ids_for(c, &id, None)? {
                    ac_q::delete(c, &ac)?;
                }
                ac_q::delete_credentials_of_user(c, &id)?;
                assign_q::delete_for(c, &id)?;
                q::delete_user(c, &id)?;
                this.revoke(c, user_event(&id))
            })
            .await
    }

    /// `POST /v3/users/{id}/password`: the user changes their own password,
    /// proving the old one; no token needed, as upstream.
    pub async fn change_password(
        self: &Arc<Self>,
        user_id: String,
        original: String,
        new: String,
    ) -> Result<(), Error> {
        let id = user_id.clone();
        let (user, history) = self
            .db
            .read(move |c| -> Result<_, Error> {
                let user = q::get_user(c, &id)?.ok_or_else(Error::bad_credentials)?;
                let history = q::passwords_of(c, &id)?;
                Ok((user, history))
            })
            .await?;
        if let Some(message) = self.lockout(&user, now_us()) {
            return Err(Error::Unauthorized(message));
        }
        let current = history
            .first()
            .map(|p| p.password_hash.clone())
            .unwrap_or_default();
        let ok = blocking(move || password::verify(&original, &current)).await?;
        if !ok || !user.enabled {
            return Err(Error::bad_credentials());
        }
        password::check_minimum_age(history.first(), &self.conf.security, now_us())?;
        password::validate_strength(&new, &self.conf.security)?;
        let rules = self.conf.security.clone();
        let plain = new.clone();
        blocking(move || password::check_history(&plain, &history, &rules)).await??;
        let hashed = self.hash_password(new).await?;
        let pw = self.new_password(&user, hashed, true);
        let keep = self.history_to_keep();
        let this = self.clone();
        self.db
            .write(move |c| {
                q::insert_password(c, &pw)?;
                q::trim_passwords(c, &user_id, keep)?;
                this.revoke(c, user_event(&user_id))
            })
            .await
    }

    pub async fn create_group(&self, ctx: &AuthContext, new: NewGroup) -> Result<Group, Error> {
        policy::admin(ctx, "create_group")?;
        let group = Group {
            id: new_id(),
            name: new.name,
            domain_id: new
                .domain_id
                .or_else(|| ctx.scope_domain_id().map(str::to_owned))
                .unwrap_or_else(|| self.conf.default_domain_id.clone()),
            description: new.description.unwrap_or_default(),
        };
        self.db
            .write(move |c| {
                if res_q::get_domain(c, &group.domain_id)?.is_none() {
                    return Err(Error::Validation(format!(
                        "Could not find domain: {}.",
                        group.domain_id
                    )));
                }
                if !q::list_groups(c, Some(&group.domain_id), Some(&group.name))?.is_empty() {
                    return Err(Error::conflict(
                        "group",
                        format!(
                            "Duplicate entry found with name {} at domain ID {}.",
                            group.name, group.domain_id
                        ),
                    ));
                }
                q::insert_group(c, &group)?;
                Ok(group)
            })
            .await
    }

    pub async fn get_group(&self, ctx: &AuthContext, id: String) -> Result<Group, Error> {
        policy::reader(ctx, "get_group")?;
        self.db
            .read(move |c| q::get_group(c, &id)?.ok_or_else(|| Error::not_found("group", id)))
            .await
    }

    pub async fn list_groups(
        &self,
        ctx: &AuthContext,
        domain_id: Option<String>,
        name: Option<String>,
    ) -> Result<Vec<Group>, Error> {
        policy::reader(ctx, "list_groups")?;
        self.db
            .read(move |c| Ok(q::list_groups(c, domain_id.as_deref(), name.as_deref())?))
            .await
    }

    pub async fn update_group(
        &self,
        ctx: &AuthContext,
        id: String,
        patch: GroupPatch,
    ) -> Result<Group, Error> {
        policy::admin(ctx, "update_group")?;
        self.db
            .write(move |c| {
                let mut g = q::get_group(c, &id)?.ok_or_else(|| Error::not_found("group", &id))?;
                if let Some(name) = patch.name {
                    if name != g.name
                        && !q::list_groups(c, Some(&g.domain_id), Some(&name))?.is_empty()
                    {
                        return Err(Error::conflict(
                            "group",
                            format!("Duplicate entry found with name {name}."),
                        ));
                    }
                    g.name = name;
                }
                if let Some(d) = patch.description {
                    g.description = d;
                }
                q::update_group(c, &g)?;
                Ok(g)
            })
            .await
    }

    pub async fn delete_group(
        self: &Arc<Self>,
        ctx: &AuthContext,
        id: String,
    ) -> Result<(), Error> {
        policy::admin(ctx, "delete_group")?;
        let this = self.clone();
        self.db
            .write(move |c| {
                q::get_group(c, &id)?.ok_or_else(|| Error::not_found("group", &id))?;
                for user in q::user_ids_in_group(c, &id)? {
                    this.revoke(c, user_event(&user))?;
                }
                assign_q::delete_for(c, &id)?;
                q::delete_group(c, &id).map_err(Error::from)
            })
            .await
    }

    fn user_and_group(c: &mut AnyConnection, user_id: &str, group_id: &str) -> Result<(), Error> {
        q::get_group(c, group_id)?.ok_or_else(|| Error::not_found("group", group_id))?;
        q::get_user(c, user_id)?.ok_or_else(|| Error::not_found("user", user_id))?;
        Ok(())
    }

    pub async fn add_user_to_group(
        &self,
        ctx: &AuthContext,
        group_id: String,
        user_id: String,
    ) -> Result<(), Error> {
        policy::admin(ctx, "add_user_to_group")?;
        self.db
            .write(move |c| {
                Self::user_and_group(c, &user_id, &group_id)?;
                Ok(q::add_member(c, &user_id, &group_id)?)
            })
            .await
    }

    pub async fn remove_user_from_group(
        self: &Arc<Self>,
        ctx: &AuthContext,
        group_id: String,
        user_id: String,
    ) -> Result<(), Error> {
        policy::admin(ctx, "remove_user_from_group")?;
        let this = self.clone();
        self.db
            .write(move |c| {
                Self::user_and_group(c, &user_id, &group_id)?;
                if q::remove_member(c, &user_id, &group_id)? == 0 {
                    return Err(Error::not_found(
                        "membership",
                        format!("user {user_id} in group {group_id}"),
                    ));
                }
                this.revoke(c, user_event(&user_id))
            })
            .await
    }

    pub async fn check_user_in_group(
        &self,
        ctx: &AuthContext,
        group_id: String,
        user_id: String,
    ) -> Result<(), Error> {
        policy::reader(ctx, "check_user_in_group")?;
        self.db
            .read(move |c| {
                Self::user_and_group(c, &user_id, &group_id)?;
                if !q::is_member(c, &user_id, &group_id)? {
                    return Err(Error::not_found(
                        "membership",
                        format!("user {user_id} in group {group_id}"),
                    ));
                }
                Ok(())
            })
            .await
    }

    pub async fn list_users_in_group(
        &self,
        ctx: &AuthContext,
        group_id: String,
    ) -> Result<Vec<UserView>, Error> {
        policy::reader(ctx, "list_users_in_group")?;
        self.db
            .read(move |c| {
                q::get_group(c, &group_id)?.ok_or_else(|| Error::not_found("group", &group_id))?;
                let ids = q::user_ids_in_group(c, &group_id)?;
                q::list_users_by_ids(c, &ids)?
                    .into_iter()
                    .map(|u| view(c, u))
                    .collect()
            })
            .await
    }

    pub async fn list_groups_for_user(
        &self,
        ctx: &AuthContext,
        user_id: String,
    ) -> Result<Vec<Group>, Error> {
        policy::owner_or_admin(ctx, &user_id, "list_groups_for_user")?;
        self.db
            .read(move |c| {
                q::get_user(c, &user_id)?.ok_or_else(|| Error::not_found("user", &user_id))?;
                let ids = q::group_ids_of_user(c, &user_id)?;
                Ok(q::list_groups_by_ids(c, &ids)?)
            })
            .await
    }
}
