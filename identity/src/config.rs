//! Identity options, named as in keystone.conf where keystone has them.

use compat_api::config::{Config, ConfigError};
use std::path::{Path, PathBuf};

#[derive(Debug, Clone)]
pub struct SecurityCompliance {
    pub lockout_failure_attempts: Option<u32>,
    pub lockout_duration_s: u64,
    pub unique_last_password_count: u32,
    pub minimum_password_age_days: u32,
    pub password_expires_days: Option<u32>,
    pub password_regex: Option<String>,
    pub password_regex_description: Option<String>,
}

#[derive(Debug, Clone)]
pub struct IdentityConfig {
    /// `[database] connection`
    pub database_url: String,
    pub max_db_connections: u32,
    /// `[token] expiration`, seconds
    pub token_expiration_s: u64,
    /// `[token] key_repository` (keystone: `[fernet_tokens] key_repository`)
    pub key_repository: PathBuf,
    /// `[identity] password_hash_rounds` (bcrypt cost)
    pub password_hash_rounds: u32,
    /// `[identity] default_domain_id`
    pub default_domain_id: String,
    /// `[identity] list_limit`
    pub list_limit: Option<usize>,
    /// `[DEFAULT] public_endpoint`
    pub public_endpoint: Option<String>,
    pub security: SecurityCompliance,
}

impl IdentityConfig {
    pub fn from_config(conf: &Config, data_dir: &Path) -> Result<Self, ConfigError> {
        let default_db = format!("sqlite:///{}", data_dir.join("identity.db").display());
        let rounds = conf.get_or("identity", "password_hash_rounds", 12u32)?;
        if !(4..=31).contains(&rounds) {
            return Err(ConfigError::Invalid {
                section: "identity".into(),
                option: "password_hash_rounds".into(),
                value: rounds.to_string(),
                reason: "bcrypt needs 4 to 31 rounds".into(),
            });
        }
        Ok(IdentityConfig {
            database_url: conf.get("database", "connection").unwrap_or(default_db),
            max_db_connections: conf.get_or("database", "max_pool_size", 8u32)?,
            token_expiration_s: conf.get_or("token", "expiration", 3600u64)?,
            key_repository: conf
                .get("token", "key_repository")
                .map(PathBuf::from)
                .unwrap_or_else(|| data_dir.join("token-keys")),
            password_hash_rounds: rounds,
            default_domain_id: conf
                .get("identity", "default_domain_id")
                .unwrap_or_else(|| "default".into()),
            list_limit: conf.parse("identity", "list_limit")?,
            public_endpoint: conf.get("DEFAULT", "public_endpoint"),
            security: SecurityCompliance {
                lockout_failure_attempts: conf
                    .parse("security_compliance", "lockout_failure_attempts")?
                    .filter(|n: &u32| *n > 0),
                lockout_duration_s: conf.get_or(
                    "security_compliance",
                    "lockout_duration",
                    1800u64,
                )?,
                unique_last_password_count: conf.get_or(
                    "security_compliance",
                    "unique_last_password_count",
                    0u32,
                )?,
                minimum_password_age_days: conf.get_or(
                    "security_compliance",
                    "minimum_password_age",
                    0u32,
                )?,
                password_expires_days: conf
                    .parse("security_compliance", "password_expires_days")?,
                password_regex: conf.get("security_compliance", "password_regex"),
                password_regex_description: conf
                    .get("security_compliance", "password_regex_description"),
            },
        })
    }

    pub fn token_lifetime_us(&self) -> i64 {
        (self.token_expiration_s as i64) * 1_000_000
    }
}
